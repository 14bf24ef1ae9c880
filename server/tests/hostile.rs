//! Hostile input, generated: random frames over a real WebSocket and random
//! bodies to the REST and HTTP APIs. Each gets an error (or nothing), the server
//! keeps serving, and nothing changes: no subscription, no event, no write.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::util::{TestServer, Ws};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,16}".prop_map(Value::from),
        Just(Value::from("pusher:subscribe")),
        Just(Value::from("private-project-1")),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("event".to_string()),
                    Just("channel".to_string()),
                    Just("data".to_string()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Frames no server should accept.
fn bad_frame() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        json_value().prop_map(|v| v.to_string()),
        // Subscriptions with forged signatures or bad names.
        ("(private|presence)-project-[0-9]{1,3}", "[ -~]{0,80}").prop_map(|(channel, auth)| {
            json!({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth, "channel_data": "{\"user_id\":\"1\"}"}}).to_string()
        }),
        "[ -~]{0,220}".prop_map(|channel| json!({"event": "pusher:subscribe", "data": {"channel": format!("{channel} ")}}).to_string()),
        // Client events on channels this connection is not in.
        ("client-[a-z]{1,10}", "(private|presence)-[a-z0-9-]{1,20}", json_value())
            .prop_map(|(event, channel, data)| json!({"event": event, "channel": channel, "data": data}).to_string()),
    ]
}

#[test]
fn random_frames_get_errors_and_change_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (server, attacker, mut bystander) = rt.block_on(async {
        let server = TestServer::start().await;
        let ann = server.user("ann").await;
        let pid = server.project("P", &["ann"]).await;
        let mut bystander = Ws::connect(&server.ws_url()).await;
        bystander.join(&server, &ann, &format!("presence-project-{pid}")).await;
        let attacker = Ws::connect(&server.ws_url()).await;
        (server, std::cell::RefCell::new(attacker), bystander)
    });
    let mut runner = TestRunner::new(Config { cases: 300, failure_persistence: None, ..Config::default() });
    runner
        .run(&bad_frame(), |text| {
            let mut attacker = attacker.borrow_mut();
            rt.block_on(async {
                attacker.send_text(&text).await;
                for reply in attacker.drain().await {
                    let event = reply["event"].as_str().unwrap_or("");
                    prop_assert!(
                        matches!(event, "pusher:error" | "pusher:subscription_error" | "pusher:pong"),
                        "{text} got {reply}"
                    );
                }
                Ok(())
            })
        })
        .unwrap();
    rt.block_on(async {
        assert!(bystander.drain().await.is_empty(), "the bystander heard nothing");
        let (_, channels) = server.api("GET", "/apps/4242/channels", &[], None).await;
        let names: Vec<&String> = channels["channels"].as_object().unwrap().keys().collect();
        assert_eq!(names.len(), 1, "only the bystander's channel: {names:?}");
    });
}

#[test]
fn random_bodies_get_errors_and_write_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (server, token, pid, tid) = rt.block_on(async {
        let server = TestServer::start().await;
        let token = server.user("ann").await;
        let pid = server.project("P", &["ann"]).await;
        let (_, c) = server
            .rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(json!({"title": "keep"})))
            .await;
        let tid = c["task"]["id"].as_i64().unwrap();
        (server, token, pid, tid)
    });
    let routes = [
        ("POST", format!("/api/projects/{pid}/tasks")),
        ("PATCH", format!("/api/tasks/{tid}")),
        ("POST", format!("/api/tasks/{tid}/move")),
        ("POST", format!("/api/projects/{pid}/statuses")),
        ("POST", "/api/pusher/auth".to_string()),
    ];
    let before = rt.block_on(server.get(&format!("/api/projects/{pid}/board"), Some(&token))).1;
    let mut runner = TestRunner::new(Config { cases: 200, failure_persistence: None, ..Config::default() });
    let strategy =
        (0..routes.len(), prop_oneof![".{0,100}".prop_map(|s| s), json_value().prop_map(|v| v.to_string())]);
    runner
        .run(&strategy, |(route, body)| {
            let (method, path) = &routes[route];
            rt.block_on(async {
                let res = server
                    .http
                    .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), server.url(path))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let answer: Value = res.json().await.unwrap_or(Value::Null);
                prop_assert!((400..500).contains(&status), "{method} {path} {body} -> {status}");
                prop_assert!(answer["error"].is_string(), "an error message: {answer}");
                Ok(())
            })
        })
        .unwrap();
    let after = rt.block_on(server.get(&format!("/api/projects/{pid}/board"), Some(&token))).1;
    assert_eq!(after, before, "nothing was written");
    // And the Pusher HTTP API, signed but with random bodies.
    let mut runner = TestRunner::new(Config { cases: 100, failure_persistence: None, ..Config::default() });
    runner
        .run(&json_value(), |body| {
            rt.block_on(async {
                let (status, _) = server.api("POST", "/apps/4242/events", &[], Some(&body)).await;
                prop_assert!(status == 400 || status == 413, "{body} -> {status}");
                Ok(())
            })
        })
        .unwrap();
}
