//! The REST API's account routes, health and metrics, and body limits.

use kanban_server::Limits;
use serde_json::json;

use crate::util::{TestServer, Ws};

async fn config_me_and_projects() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.user("bob").await;
    let alpha = server.project("alpha", &["ann:owner"]).await;
    let beta = server.project("beta", &["ann:viewer", "bob"]).await;
    server.project("gamma", &["bob"]).await;

    let (status, config) = server.get("/api/config", None).await;
    assert_eq!(status, 200);
    assert_eq!(config["app_key"], "test-key");
    assert_eq!(config["activity_timeout"], 120);

    let (status, me) = server.get("/api/me", Some(&ann)).await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], "ann");
    assert!(me["color"].as_str().unwrap().starts_with('#'));

    let (status, projects) = server.get("/api/projects", Some(&ann)).await;
    assert_eq!(status, 200);
    assert_eq!(
        projects,
        json!([{"id": alpha, "name": "alpha", "role": "owner"}, {"id": beta, "name": "beta", "role": "viewer"}])
    );
}

async fn tokens_are_checked() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    for token in [None, Some("kb_0000"), Some(""), Some(&ann[..ann.len() - 1])] {
        let (status, body) = server.get("/api/me", token).await;
        assert_eq!(status, 401, "{token:?}");
        assert!(body["error"].is_string());
    }
    let res = server
        .http
        .get(server.url("/api/me"))
        .header("authorization", format!("Basic {ann}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    // Removing a user ends its tokens.
    kanban_server::admin::user_remove(server.server.store().as_ref(), "ann").await.unwrap();
    assert_eq!(server.get("/api/me", Some(&ann)).await.0, 401);
}

async fn oversize_and_malformed_bodies_get_json_errors() {
    let limits = Limits { max_body_bytes: 1024, ..Limits::default() };
    let server = TestServer::start_with(limits).await;
    let ann = server.user("ann").await;
    let big = format!("socket_id=1.1&channel_name={}", "a".repeat(4096));
    let res = server
        .http
        .post(server.url("/api/pusher/auth"))
        .bearer_auth(&ann)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"].is_string());

    let res = server
        .http
        .post(server.url("/api/pusher/auth"))
        .bearer_auth(&ann)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"].is_string());

    let (status, body) = server.get("/api/nothing-here", Some(&ann)).await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string());
}

async fn health_and_metrics() {
    let server = TestServer::start().await;
    let res = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.subscribe("lobby", None, None).await;
    ws.recv_event("pusher_internal:subscription_succeeded").await;
    let text = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .parse()
            .unwrap()
    };
    assert_eq!(value("kanban_connections"), 1);
    assert_eq!(value("kanban_channels"), 1);
    assert!(value("kanban_messages_in_total") >= 1);
    assert!(value("kanban_messages_out_total") >= 1);
}

crate::both_stores!(
    config_me_and_projects,
    tokens_are_checked,
    oversize_and_malformed_bodies_get_json_errors,
    health_and_metrics,
);
