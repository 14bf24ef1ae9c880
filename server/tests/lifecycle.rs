//! A server's stop as a rolling restart sees it: on SIGTERM `/readyz` answers 503
//! at once while everything else is served on for `--drain-seconds` (a balancer
//! polling sees it and sends new clients elsewhere), then the WebSockets are told
//! to reconnect elsewhere (4200) and the process ends. A stop asked the moment it
//! listens is a stop too.

use serde_json::json;

use crate::util::stores::Site;
use crate::util::{Closed, WAIT, Ws};

async fn status(url: &str) -> u16 {
    reqwest::get(url).await.map(|r| r.status().as_u16()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_then_tells_sockets_to_reconnect() {
    let site = Site::sqlite();
    let ann = site.admin(&["user", "add", "ann"]);
    let pid = site.admin(&["project", "add", "P", "--member", "ann"]);
    let mut server = site.start(&["--drain-seconds", "3"]);
    assert_eq!(status(&format!("{}/readyz", server.url)).await, 200);
    let mut ws = Ws::connect(&server.ws_url().await).await;
    ws.join_at(&server.url, &ann, &format!("private-project-{pid}")).await;

    server.signal("TERM");
    // A balancer's poll: 503 from now on...
    let deadline = tokio::time::Instant::now() + WAIT;
    while status(&format!("{}/readyz", server.url)).await != 503 {
        assert!(tokio::time::Instant::now() < deadline, "still ready after SIGTERM");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // ... while what is under way goes on: the process lives, writes are made and
    // their events reach the sockets it has.
    assert_eq!(status(&format!("{}/healthz", server.url)).await, 200);
    let res = reqwest::Client::new()
        .post(format!("{}/api/projects/{pid}/tasks", server.url))
        .bearer_auth(&ann)
        .json(&json!({"title": "while draining"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let made = ws.recv_event("task-created").await;
    assert_eq!(crate::util::data_of(&made)["task"]["title"], "while draining");
    assert!(server.log().contains("draining"), "{}", server.log());
    // Then: reconnect, elsewhere.
    assert_eq!(ws.closed().await, Closed::Code(4200));
    let log = server.wait();
    assert!(log.contains("shutting down"), "{log}");
}

/// A service manager's SIGTERM the moment the listening line is out is a stop
/// (drained, the store closed, "stopped" said), not the default kill: the signal
/// handlers are in place before the server says it listens.
#[test]
fn a_stop_right_after_the_listening_line_is_a_stop() {
    let site = Site::sqlite();
    for _ in 0..5 {
        let mut server = site.start(&[]);
        let log = server.stop();
        assert!(log.contains("shutting down") && log.contains("stopped"), "{log}");
    }
}
