//! The Pusher HTTP API: signed triggers and queries, and refusals.

use serde_json::json;

use crate::util::{TestServer, Ws, data_of};

#[tokio::test]
async fn trigger_reaches_subscribers_except_the_excluded_socket() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann"]).await;
    let channel = format!("private-project-{pid}");
    let mut a = Ws::connect(&server.ws_url()).await;
    let mut b = Ws::connect(&server.ws_url()).await;
    a.join(&server, &ann, &channel).await;
    b.join(&server, &ann, &channel).await;

    let body = json!({"name": "task-created", "channels": [channel], "data": "{\"id\":1}"});
    let (status, answer) = server.api("POST", "/apps/4242/events", &[], Some(&body)).await;
    assert_eq!((status, answer), (200, json!({})));
    for ws in [&mut a, &mut b] {
        let f = ws.recv_event("task-created").await;
        assert_eq!(f["channel"], channel.as_str());
        assert_eq!(data_of(&f), json!({"id": 1}));
    }

    let body = json!({"name": "only-b", "channel": channel, "data": "x", "socket_id": a.socket_id});
    assert_eq!(server.api("POST", "/apps/4242/events", &[], Some(&body)).await.0, 200);
    assert_eq!(b.recv_event("only-b").await["data"], "x");
    assert!(a.drain().await.is_empty(), "the excluded socket got nothing");
}

#[tokio::test]
async fn batch_events_and_info() {
    let server = TestServer::start().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.subscribe("one", None, None).await;
    ws.subscribe("two", None, None).await;
    ws.recv_event("pusher_internal:subscription_succeeded").await;
    ws.recv_event("pusher_internal:subscription_succeeded").await;
    let body = json!({"batch": [
        {"channel": "one", "name": "e1", "data": "1"},
        {"channel": "two", "name": "e2", "data": "2", "info": "subscription_count"},
    ]});
    let (status, answer) = server.api("POST", "/apps/4242/batch_events", &[], Some(&body)).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"batch": [{}, {"subscription_count": 1}]}));
    assert_eq!(ws.recv().await["event"], "e1");
    assert_eq!(ws.recv().await["event"], "e2");

    // One bad event refuses the whole batch.
    let body = json!({"batch": [
        {"channel": "one", "name": "fine", "data": "1"},
        {"channel": "bad name", "name": "e", "data": "2"},
    ]});
    assert_eq!(server.api("POST", "/apps/4242/batch_events", &[], Some(&body)).await.0, 400);
    assert!(ws.drain().await.is_empty());
    let eleven: Vec<_> =
        (0..11).map(|i| json!({"channel": "one", "name": "e", "data": i.to_string()})).collect();
    assert_eq!(
        server.api("POST", "/apps/4242/batch_events", &[], Some(&json!({"batch": eleven}))).await.0,
        400
    );
}

#[tokio::test]
async fn channel_queries() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("alpha", &["ann", "bob"]).await;
    let presence = format!("presence-project-{pid}");
    let mut a1 = Ws::connect(&server.ws_url()).await;
    let mut a2 = Ws::connect(&server.ws_url()).await;
    let mut b = Ws::connect(&server.ws_url()).await;
    a1.join(&server, &ann, &presence).await;
    a2.join(&server, &ann, &presence).await;
    b.join(&server, &bob, &presence).await;
    b.subscribe("lobby", None, None).await;
    b.recv_event("pusher_internal:subscription_succeeded").await;

    let (status, all) = server.api("GET", "/apps/4242/channels", &[], None).await;
    assert_eq!(status, 200);
    assert_eq!(all, json!({"channels": {"lobby": {}, presence.clone(): {}}}));

    let q = [("filter_by_prefix", "presence-"), ("info", "user_count")];
    let (_, some) = server.api("GET", "/apps/4242/channels", &q, None).await;
    assert_eq!(some, json!({"channels": {presence.clone(): {"user_count": 2}}}));
    let q = [("filter_by_prefix", "lob"), ("info", "user_count")];
    assert_eq!(server.api("GET", "/apps/4242/channels", &q, None).await.0, 400);

    let q = [("info", "user_count,subscription_count")];
    let (_, one) = server.api("GET", &format!("/apps/4242/channels/{presence}"), &q, None).await;
    assert_eq!(one, json!({"occupied": true, "user_count": 2, "subscription_count": 3}));
    let (_, empty) = server.api("GET", "/apps/4242/channels/nobody-here", &[], None).await;
    assert_eq!(empty, json!({"occupied": false}));
    assert_eq!(server.api("GET", "/apps/4242/channels/lobby", &[("info", "user_count")], None).await.0, 400);

    let (_, users) = server.api("GET", &format!("/apps/4242/channels/{presence}/users"), &[], None).await;
    let mut ids: Vec<String> =
        users["users"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    let mut want = vec![
        server.get("/api/me", Some(&ann)).await.1["id"].to_string(),
        server.get("/api/me", Some(&bob)).await.1["id"].to_string(),
    ];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(server.api("GET", "/apps/4242/channels/lobby/users", &[], None).await.0, 400);
}

#[tokio::test]
async fn badly_signed_requests_are_refused() {
    let server = TestServer::start().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.subscribe("news", None, None).await;
    ws.recv_event("pusher_internal:subscription_succeeded").await;
    let body = r#"{"name":"e","channel":"news","data":"x"}"#;

    // A stale timestamp (a replay).
    let old = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 601;
    let (status, text) = server.api_raw("POST", "/apps/4242/events", &[], Some(body), Some(old)).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("auth_timestamp"));

    // A tampered signature, a wrong key, a body that does not match its md5.
    let url = |q: &str| format!("{}?{q}", server.url("/apps/4242/events"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let md5 = kanban_protocol::sign::body_md5(body.as_bytes());
    let good_q = format!("auth_key=test-key&auth_timestamp={now}&auth_version=1.0&body_md5={md5}");
    let sig = kanban_protocol::sign::http_signature(
        crate::util::APP_SECRET,
        "POST",
        "/apps/4242/events",
        good_q.split('&').map(|kv| kv.split_once('=').unwrap()),
    );
    let post = |q: String, body: &'static str| {
        let client = server.http.clone();
        let u = url(&q);
        async move { client.post(u).body(body).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(format!("{good_q}&auth_signature={}", "0".repeat(64)), body).await, 401);
    assert_eq!(
        post(format!("{}&auth_signature={sig}", good_q.replace("test-key", "other")), body).await,
        401
    );
    assert_eq!(
        post(format!("{good_q}&auth_signature={sig}"), r#"{"name":"e","channel":"news","data":"y"}"#).await,
        401
    );
    assert_eq!(post(good_q.clone(), body).await, 401, "no signature");
    // Wrong app id: 404. The genuine request: 200.
    let (status, _) = server.api_raw("POST", "/apps/1/events", &[], Some(body), None).await;
    assert_eq!(status, 404);
    assert_eq!(post(format!("{good_q}&auth_signature={sig}"), body).await, 200);
    let frames = ws.drain().await;
    assert_eq!(frames.len(), 1, "only the genuine request published: {frames:?}");
    assert_eq!(frames[0]["data"], "x");
}

#[tokio::test]
async fn bad_event_bodies_are_refused() {
    let server = TestServer::start().await;
    let post = |body: String| {
        let server = &server;
        async move { server.api_raw("POST", "/apps/4242/events", &[], Some(&body), None).await }
    };
    assert_eq!(post("not json".into()).await.0, 400);
    assert_eq!(post(r#"{"name":"e","data":"x"}"#.into()).await.0, 400, "no channel");
    assert_eq!(post(json!({"name": "", "channel": "a", "data": "x"}).to_string()).await.0, 400);
    let many: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
    assert_eq!(post(json!({"name": "e", "channels": many, "data": "x"}).to_string()).await.0, 400);
    let big = "x".repeat(11 * 1024);
    let (status, text) = post(json!({"name": "e", "channel": "a", "data": big}).to_string()).await;
    assert_eq!(status, 413, "{text}");
    assert!(serde_json::from_str::<serde_json::Value>(&text).unwrap()["error"].is_string());
}
