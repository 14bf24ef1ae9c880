//! What an on-call reads: `/metrics` on a listener of its own (and not on the
//! public port) with HTTP requests by route and status, the store's connections
//! and the SSH sessions; in a cluster, the broker and the nodes; the access log's
//! line with the request's id (the balancer's, or one made and answered), the
//! user, and the client's address through a trusted proxy (its X-Forwarded-For,
//! or a TCP balancer's PROXY header).

use std::time::Duration;

use crate::util::stores::Site;
use crate::util::{ServerProcess, WAIT};

/// The address the log says `/metrics` is served at.
fn metrics_addr(server: &ServerProcess) -> String {
    server.wait_for_log("serving /metrics here alone");
    let log = server.log();
    let line = log.lines().find(|l| l.contains("serving /metrics here alone")).unwrap();
    line.split("addr=").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
}

/// The value of the sample `name` (with its labels, as written) in `text`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

async fn get(url: &str, token: Option<&str>, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_port_count_requests_connections_and_sessions() {
    let site = Site::sqlite();
    let ann = site.admin(&["user", "add", "ann"]);
    let server = site.start(&["--metrics-listen", "127.0.0.1:0", "--ssh-listen", "127.0.0.1:0"]);
    let scrape = format!("http://{}/metrics", metrics_addr(&server));
    assert_eq!(
        get(&format!("{}/metrics", server.url), None, &[]).await.status(),
        404,
        "not on the public port"
    );
    for _ in 0..3 {
        assert_eq!(get(&format!("{}/api/me", server.url), Some(&ann), &[]).await.status(), 200);
    }
    assert_eq!(get(&format!("{}/api/me", server.url), Some("wrong"), &[]).await.status(), 401);
    assert_eq!(get(&format!("{}/api/tasks/5/move", server.url), Some(&ann), &[]).await.status(), 405);
    let text = get(&scrape, None, &[]).await.text().await.unwrap();
    assert_eq!(
        sample(&text, r#"kanban_http_requests_total{route="/api/me",status="200"}"#),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"kanban_http_requests_total{route="/api/me",status="401"}"#),
        Some(1.0),
        "{text}"
    );
    assert!(sample(&text, "kanban_db_connections").is_some_and(|n| n >= 2.0), "{text}");
    assert!(sample(&text, "kanban_db_connections_in_use").is_some(), "{text}");
    assert!(sample(&text, "kanban_db_connection_waits_total").is_some(), "{text}");
    assert_eq!(sample(&text, "kanban_ssh_sessions"), Some(0.0), "{text}");
    assert!(!text.contains("kanban_cluster"), "no cluster here: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_access_line_has_the_request_id_the_user_and_the_client_behind_a_trusted_proxy() {
    let site = Site::sqlite();
    let ann = site.admin(&["user", "add", "ann"]);
    let behind = site.start(&["--trusted-proxy", "127.0.0.0/8"]);
    let me = format!("{}/api/me", behind.url);
    let res = get(&me, Some(&ann), &[("x-request-id", "req-7f3a"), ("x-forwarded-for", "203.0.113.7")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "req-7f3a", "the balancer's id, answered");
    behind.wait_for_log(r#"request_id="req-7f3a""#);
    let log = behind.log();
    let line = log.lines().find(|l| l.contains(r#"request_id="req-7f3a""#)).unwrap();
    for part in [r#"user="ann""#, "peer=203.0.113.7", "proxy=127.0.0.1:", "status=200", r#"path="/api/me""#] {
        assert!(line.contains(part), "{part} in {line}");
    }
    // No id given: one is made, answered and logged.
    let res = get(&me, Some(&ann), &[]).await;
    let made = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(made.len(), 16);
    behind.wait_for_log(&format!("request_id=\"{made}\""));

    // A server that trusts no proxy believes no X-Forwarded-For.
    let (direct, _copy) = site_again(&site);
    let res = get(&format!("{}/api/me", direct.url), Some(&ann), &[("x-forwarded-for", "203.0.113.7")]).await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let logged = format!("request_id=\"{id}\"");
    direct.wait_for_log(&logged);
    let log = direct.log();
    let line = log.lines().find(|l| l.contains(&logged)).unwrap();
    assert!(line.contains("peer=127.0.0.1") && !line.contains("203.0.113.7"), "{line}");
}

/// A second server on another copy of the same users (a SQLite directory is one
/// server's, so the site is copied with `backup`), and the copy's site.
fn site_again(site: &Site) -> (ServerProcess, Site) {
    let copy = Site::sqlite();
    let file = copy.dir.path().join("copy.db");
    site.admin(&["backup", file.to_str().unwrap()]);
    copy.admin(&["restore", file.to_str().unwrap()]);
    (copy.start(&[]), copy)
}

/// In a cluster: the broker answers, and every node counts the others.
async fn metrics_say_the_cluster(broker: String) {
    let site = Site::new();
    let nodes: Vec<ServerProcess> = (0..2).map(|_| site.start(&["--broker", &broker])).collect();
    let deadline = tokio::time::Instant::now() + WAIT;
    for node in &nodes {
        loop {
            let text = get(&format!("{}/metrics", node.url), None, &[]).await.text().await.unwrap();
            if sample(&text, "kanban_cluster_broker_up") == Some(1.0)
                && sample(&text, "kanban_cluster_nodes") == Some(2.0)
            {
                assert!(sample(&text, "kanban_cluster_messages_dropped_total").is_some(), "{text}");
                assert!(sample(&text, "kanban_cluster_messages_foreign_total") == Some(0.0), "{text}");
                let other =
                    text.lines().find(|l| l.starts_with("kanban_cluster_node_silence_seconds{node=\""));
                let lag: Option<f64> = other.and_then(|l| l.rsplit(' ').next()?.parse().ok());
                assert!(lag.is_some(), "the other node's silence: {text}");
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the cluster never showed: {text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

crate::both_brokers!(metrics_say_the_cluster);

/// Behind a TCP load balancer (`send-proxy`): with `--proxy-protocol`, each
/// connection's PROXY header names the client, whom the log then says; a
/// connection without one is closed unanswered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_protocol_names_the_client_of_a_tcp_balancer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let site = Site::sqlite();
    let ann = site.admin(&["user", "add", "ann"]);
    let server = site.start(&["--trusted-proxy", "127.0.0.0/8", "--proxy-protocol"]);
    let addr = server.url.trim_start_matches("http://").to_string();
    let port = addr.rsplit(':').next().unwrap();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "PROXY TCP4 203.0.113.7 127.0.0.1 51000 {port}\r\nGET /api/me HTTP/1.1\r\nHost: kanban\r\n\
         Authorization: Bearer {ann}\r\nX-Request-Id: via-proxy\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(WAIT, tcp.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.wait_for_log(r#"request_id="via-proxy""#);
    let log = server.log();
    let line = log.lines().find(|l| l.contains(r#"request_id="via-proxy""#)).unwrap();
    assert!(line.contains("peer=203.0.113.7"), "{line}");

    // Without the header: closed, nothing answered.
    let plain = reqwest::get(format!("{}/healthz", server.url)).await;
    assert!(plain.is_err(), "answered without a PROXY header: {plain:?}");
}
