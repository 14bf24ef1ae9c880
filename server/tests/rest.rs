//! The REST API's account routes, health, readiness and metrics, and body limits.

use kanban_server::Limits;
use serde_json::json;

use crate::util::{TestServer, Ws, test_limits};

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
    let limits = Limits { max_body_bytes: 1024, ..test_limits() };
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

/// The value of the sample `name` (with its labels, if any) in a scrape.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("{name} in {text}"))
        .parse()
        .unwrap()
}

/// `/metrics` in OpenMetrics text: how long commits take, which build runs, the
/// process's own figures, beside the counters that were there before.
async fn metrics_time_commits_and_show_the_build_and_the_process() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("p", &["ann:owner"]).await;
    let (status, _) =
        server.rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(json!({"title": "t"}))).await;
    assert_eq!(status, 201);

    let res = server.http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, kanban_server::metrics::CONTENT_TYPE);
    assert!(content_type.starts_with("application/openmetrics-text; version=1.0.0"));
    let text = res.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");

    assert!(text.contains("# TYPE kanban_commit_seconds histogram"), "{text}");
    assert!(sample(&text, "kanban_commit_seconds_count") >= 1.0);
    assert!(sample(&text, "kanban_commit_seconds_sum") > 0.0);
    assert!(sample(&text, r#"kanban_commit_seconds_bucket{le="+Inf"}"#) >= 1.0);
    let build = format!(r#"kanban_build_info{{version="{}"}}"#, env!("CARGO_PKG_VERSION"));
    assert_eq!(sample(&text, &build), 1.0);

    if cfg!(target_os = "linux") {
        assert!(sample(&text, "process_resident_memory_bytes") > 0.0);
        assert!(sample(&text, "process_cpu_seconds_total") >= 0.0);
        assert!(sample(&text, "process_open_fds") > 0.0);
        assert!(sample(&text, "process_max_fds") >= sample(&text, "process_open_fds"));
        let started = sample(&text, "process_start_time_seconds");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
        assert!(started > 1.0e9 && started <= now + 1.0, "started at {started}, now {now}");
    }

    // The counters that were there before, under their names.
    assert!(sample(&text, "kanban_events_published_total") >= 1.0);
    for name in [
        "kanban_connections",
        "kanban_connections_opened_total",
        "kanban_connections_refused_total",
        "kanban_slow_consumers_total",
        "kanban_channels",
        "kanban_messages_in_total",
        "kanban_messages_out_total",
        "kanban_client_events_rate_limited_total",
    ] {
        sample(&text, name);
    }
}

/// Once shutdown has begun, `/readyz` turns load balancers away while the server
/// finishes what is in flight. The hub is told directly here, as the server tells
/// it on SIGTERM, so that the HTTP side is still there to ask.
async fn readyz_says_when_shutdown_has_begun() {
    let server = TestServer::start().await;
    let ready = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready\n");
    server.server.hub().shutdown();
    let leaving = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(leaving.status().as_u16(), 503);
    assert_eq!(leaving.text().await.unwrap(), "not ready: shutting down\n");
    let health = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "alive all the same");
}

/// A large board goes gzipped to a client that asks for it, and as it is to one
/// that does not (or refuses gzip); a small one always goes as it is.
async fn a_large_board_is_gzipped_for_a_client_that_accepts_it() {
    use std::io::Read;
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let big = server.project("big", &["ann:owner"]).await;
    let small = server.project("small", &["ann:owner"]).await;
    let description = "What it does now, what it should do, and how to see it. ".repeat(4);
    for i in 0..120 {
        let card = json!({"title": format!("card {i}"), "description": description});
        let (status, _) = server.rest("POST", &format!("/api/projects/{big}/tasks"), &ann, Some(card)).await;
        assert_eq!(status, 201);
    }
    let fetch = |project: i64, accept: Option<&'static str>| {
        let mut req =
            server.http.get(server.url(&format!("/api/projects/{project}/board"))).bearer_auth(&ann);
        if let Some(accept) = accept {
            req = req.header("accept-encoding", accept);
        }
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200);
            let encoding = res.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
            (encoding, res.bytes().await.unwrap())
        }
    };
    let (encoding, plain) = fetch(big, None).await;
    assert_eq!(encoding, None);
    let board: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(board["tasks"].as_array().unwrap().len(), 120);
    let (encoding, gzipped) = fetch(big, Some("br, gzip;q=0.8")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(gzipped.len() * 4 < plain.len(), "{} of {} bytes", gzipped.len(), plain.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..]).read_to_end(&mut unzipped).unwrap();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&unzipped).unwrap(), board, "the same board");
    assert_eq!(fetch(big, Some("gzip;q=0, identity")).await.0, None, "gzip refused");
    assert_eq!(fetch(small, Some("gzip")).await.0, None, "too small to be worth it");
}

/// Each person's changes are held to a budget (here 2 a second, 10 at once),
/// over REST as over SSH: past it a change is refused with 429 and how long to
/// wait, nothing of it is made, others are not held back, and once the wait is
/// over the person's next change is made.
async fn a_persons_changes_are_held_to_their_budget() {
    let server = TestServer::start_with(Limits { max_writes_per_user: 2, ..test_limits() }).await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("alpha", &["ann:owner", "bob:member"]).await;
    let create = |token: &str, title: &str| {
        let req = server
            .http
            .post(server.url(&format!("/api/projects/{pid}/tasks")))
            .bearer_auth(token)
            .json(&json!({ "title": title }));
        async move { req.send().await.unwrap() }
    };
    // Changes as fast as they go: the burst passes, then one is refused.
    let mut made = 0;
    let refused = loop {
        let res = create(&ann, &format!("card {made}")).await;
        if res.status().as_u16() != 201 {
            break res;
        }
        made += 1;
        assert!(made < 100, "never refused");
    };
    assert!(made >= 10, "the burst of five seconds' worth passes: {made}");
    assert_eq!(refused.status().as_u16(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("at most 2 a second"), "{body}");
    assert_eq!(create(&bob, "bob's own").await.status().as_u16(), 201, "another person's budget");
    let deadline = std::time::Instant::now() + crate::util::WAIT;
    loop {
        let status = create(&ann, "after the wait").await.status().as_u16();
        if status == 201 {
            break;
        }
        assert_eq!(status, 429);
        assert!(std::time::Instant::now() < deadline, "the budget never came back");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    let titles: Vec<&str> =
        board["tasks"].as_array().unwrap().iter().filter_map(|t| t["title"].as_str()).collect();
    assert!(!titles.contains(&format!("card {made}").as_str()), "nothing of a refused change is made");
    assert_eq!(titles.len(), made + 2);
}

crate::both_stores!(
    a_persons_changes_are_held_to_their_budget,
    a_large_board_is_gzipped_for_a_client_that_accepts_it,
    config_me_and_projects,
    tokens_are_checked,
    oversize_and_malformed_bodies_get_json_errors,
    health_and_metrics,
    metrics_time_commits_and_show_the_build_and_the_process,
    readyz_says_when_shutdown_has_begun,
);
