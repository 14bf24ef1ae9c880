//! Peers that hold connections without making requests: silent sockets, headers
//! trickled a byte at a time, more sockets than the server has file descriptors.
//! Each is cut off in time, accept errors back off instead of spinning, and the
//! server keeps answering everyone else.

use std::time::Duration;

use kanban_server::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use crate::util::{ServerProcess, TestServer, WAIT, Ws, test_limits};

/// Holds `tcp` open the way a slow client would (a header byte every 300 ms when
/// `trickle`, else nothing) until the server closes it; answers whether it did
/// within [`WAIT`].
async fn hold(mut tcp: TcpStream, trickle: bool) -> bool {
    let deadline = Instant::now() + WAIT;
    let mut buf = [0u8; 64];
    if trickle && tcp.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ").await.is_err() {
        return true;
    }
    loop {
        let tick = tokio::time::sleep(Duration::from_millis(300));
        tokio::select! {
            read = tcp.read(&mut buf) => match read {
                Ok(0) | Err(_) => return true,
                // An answer (408, say) before the close is fine; keep reading.
                Ok(_) => {}
            },
            () = tick => {
                if Instant::now() > deadline {
                    return false;
                }
                if trickle && tcp.write_all(b"x").await.is_err() {
                    return true;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_of_two_thousand_sockets_is_cut_off_and_others_are_served() {
    rlimit::increase_nofile_limit(10_000).unwrap();
    let limits = Limits { header_timeout: Duration::from_secs(2), ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let ann = server.user("ann").await;
    let mut held = Vec::new();
    for i in 0..2_000 {
        let tcp = timeout(WAIT, TcpStream::connect(server.addr())).await.expect("connect in time").unwrap();
        held.push(tokio::spawn(hold(tcp, i % 2 == 0)));
    }
    // Meanwhile health checks, REST and WebSockets are answered.
    let (status, _) = server.get("/healthz", None).await;
    assert_eq!(status, 200);
    let (status, me) = server.get("/api/me", Some(&ann)).await;
    assert_eq!((status, me["name"].as_str()), (200, Some("ann")));
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.subscribe("lobby", None, None).await;
    assert_eq!(ws.recv().await["event"], "pusher_internal:subscription_succeeded");
    // Every slow socket, silent or trickling, is closed by the server.
    let mut cut = 0;
    for task in held {
        cut += usize::from(task.await.unwrap());
    }
    assert_eq!(cut, 2_000, "every slow socket is closed within {WAIT:?}");
    // The WebSocket, upgraded, is not subject to the header clock.
    ws.subscribe("lobby-2", None, None).await;
    assert_eq!(ws.recv().await["event"], "pusher_internal:subscription_succeeded");
}

/// With its open files exhausted (soft and hard limit 64), the server fails to
/// accept; it backs off instead of spinning, cuts the idle sockets off, and answers
/// a health check that waited in the queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_server_backs_off_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_under(
        &["ulimit -n 64"],
        dir.path(),
        "127.0.0.1:0",
        &["--header-timeout", "1"],
        &[],
    );
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    let started = Instant::now();
    let health = reqwest::Client::builder().timeout(WAIT).build().unwrap();
    let res = health.get(format!("{}/healthz", server.url)).send().await.expect("answered in time");
    assert_eq!(res.status(), 200);
    let log = server.log();
    let failures = log.matches("accept failed").count();
    assert!(failures > 0, "the descriptors ran out, as intended: {log}");
    // A loop that retried at once would log thousands of failures a second.
    let per_second = failures as f64 / started.elapsed().as_secs_f64().max(1.0);
    assert!(per_second < 50.0, "{failures} accept failures in {:?}", started.elapsed());
    drop(idle);
}

/// Started with a low soft limit of open files, the server raises it to the hard
/// limit.
#[test]
fn the_server_raises_its_open_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_under(&["ulimit -Sn 256"], dir.path(), "127.0.0.1:0", &[], &[]);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).expect("a line for open files");
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers[0], numbers[1], "soft limit raised to the hard limit: {line}");
    assert_ne!(numbers[0], "256", "{line}");
}

/// Sends `head` (a request without its body, or with a start of it) and answers
/// the status the server gives, within [`WAIT`], while the body never comes whole.
async fn status_of_unfinished(server: &TestServer, head: String) -> u16 {
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 512];
    let status_line = timeout(WAIT, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if answer.windows(2).any(|w| w == b"\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).lines().next().unwrap_or("").to_string()
    })
    .await
    .expect("an answer before the body is whole");
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{status_line:?}"))
}

/// Bodies are on a clock too. A Pusher API request to another app, or with a
/// stale timestamp, is answered from its head alone, its (megabyte) body never
/// read; a body that never comes whole is answered 408 at the header timeout, on
/// the Pusher API and on REST alike; and the others are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_are_refused_from_their_head_or_cut_off_in_time() {
    use crate::util::{APP_ID, APP_KEY};
    let limits = Limits { header_timeout: Duration::from_secs(2), ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:owner"]).await;
    let head = |path: &str, extra: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}Content-Length: 1000000\r\n\r\n{{"
        )
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let query = |app: &str, at: u64| {
        format!(
            "/apps/{app}/events?auth_key={APP_KEY}&auth_timestamp={at}&auth_version=1.0&body_md5=x&auth_signature=x"
        )
    };
    assert_eq!(status_of_unfinished(&server, head(&query("999", now), "")).await, 404, "another app");
    assert_eq!(status_of_unfinished(&server, head(&query(APP_ID, now - 3600), "")).await, 401, "stale");
    let batch = query(APP_ID, now).replace("/events", "/batch_events");
    assert_eq!(status_of_unfinished(&server, head(&batch, "")).await, 408, "a body that never comes");
    let rest = head(&format!("/api/projects/{pid}/tasks"), &format!("Authorization: Bearer {ann}\r\n"));
    assert_eq!(status_of_unfinished(&server, rest).await, 408, "on REST too");
    let (status, _) = server.get("/healthz", None).await;
    assert_eq!(status, 200);
}
