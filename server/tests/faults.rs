//! Faults: a crash in the middle of writes, slow consumers, connection storms, and
//! logs that keep secrets. Each would fail without the mechanism it checks.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;
use kanban_protocol::board::{Applied, BoardState};
use kanban_protocol::event::BoardEvent;
use kanban_protocol::model::{Board, EventData};
use kanban_server::Limits;
use serde_json::{Value, json};

use crate::util::stores::Site;
use crate::util::{Closed, ServerProcess, TestServer, WAIT, Ws, admin, test_limits};

async fn fetch_board(http: &reqwest::Client, url: &str, token: &str, pid: &str) -> Board {
    let res = http.get(format!("{url}/api/projects/{pid}/board")).bearer_auth(token).send().await.unwrap();
    res.json().await.unwrap()
}

#[derive(Debug, Default)]
struct Acked {
    /// Task id -> the highest version an answer reported.
    versions: HashMap<i64, i64>,
    max_rev: u64,
}

/// SIGKILL in the middle of writes, on either store.
async fn a_crash_loses_no_acknowledged_change() {
    let site = Site::new();
    let tokens: Vec<String> =
        ["ann", "bob", "cy", "dee"].iter().map(|u| site.admin(&["user", "add", u])).collect();
    let pid = site.admin(&[
        "project", "add", "P", "--member", "ann", "--member", "bob", "--member", "cy", "--member", "dee",
    ]);
    let mut server = site.start(&[]);
    let http = reqwest::Client::new();
    let board = fetch_board(&http, &server.url, &tokens[0], &pid).await;
    let columns: Vec<i64> = board.statuses.iter().map(|s| s.id).collect();

    // Four writers create and move cards as fast as they can, noting every 2xx.
    let acked = Arc::new(std::sync::Mutex::new(Acked::default()));
    // The highest acknowledged revision, watched to crash at the right moment.
    let (progress, mut watch_progress) = tokio::sync::watch::channel(0u64);
    let progress = Arc::new(progress);
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (w, token) in tokens.iter().enumerate() {
        let (http, url, token, acked, stop, columns) =
            (http.clone(), server.url.clone(), token.clone(), acked.clone(), stop.clone(), columns.clone());
        let progress = progress.clone();
        let pid = pid.clone();
        writers.push(tokio::spawn(async move {
            let mut mine: Vec<i64> = Vec::new();
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let request = if i % 3 == 2 && !mine.is_empty() {
                    let tid = mine[i % mine.len()];
                    http.post(format!("{url}/api/tasks/{tid}/move"))
                        .json(&json!({"status_id": columns[i % columns.len()]}))
                } else {
                    http.post(format!("{url}/api/projects/{pid}/tasks"))
                        .json(&json!({"title": format!("w{w} #{i}")}))
                };
                let Ok(res) = request.bearer_auth(&token).send().await else { break };
                if !res.status().is_success() {
                    break;
                }
                let Ok(data) = res.json::<EventData>().await else { break };
                let task = data.task.expect("a task event");
                mine.push(task.id);
                let mut a = acked.lock().unwrap();
                let v = a.versions.entry(task.id).or_insert(0);
                *v = (*v).max(task.version);
                a.max_rev = a.max_rev.max(data.rev);
                progress.send_modify(|r| *r = (*r).max(data.rev));
            }
        }));
    }
    // Crash in the middle of the burst.
    tokio::time::timeout(WAIT, watch_progress.wait_for(|rev| *rev >= 150))
        .await
        .expect("the writers made too little progress")
        .unwrap();
    server.crash();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    let server = site.start(&[]);
    let after = fetch_board(&http, &server.url, &tokens[0], &pid).await;
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(after.rev >= acked.max_rev, "rev {} < acknowledged {}", after.rev, acked.max_rev);
    for (id, version) in &acked.versions {
        let task =
            after.tasks.iter().find(|t| t.id == *id).unwrap_or_else(|| panic!("acknowledged task {id} lost"));
        assert!(task.version >= *version, "task {id} at version {} < acknowledged {version}", task.version);
    }

    // The log holds every revision once, in order, and replays to the same board.
    let log: Value = http
        .get(format!("{}/api/projects/{pid}/events?after=0", server.url))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = log["events"].as_array().unwrap();
    let revs: Vec<u64> = events.iter().map(|e| e["data"]["rev"].as_u64().unwrap()).collect();
    assert_eq!(revs, (1..=after.rev).collect::<Vec<_>>(), "contiguous revisions");
    let mut replay = BoardState::from(Board { rev: 0, tasks: vec![], ..after.clone() });
    for e in events {
        let data: EventData = serde_json::from_value(e["data"].clone()).unwrap();
        let event = BoardEvent::decode(e["name"].as_str().unwrap(), data).unwrap();
        assert_eq!(replay.apply(&event), Applied::Applied);
    }
    assert_eq!(replay, BoardState::from(after));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_stops_reading_is_cut_off_and_the_others_carry_on() {
    let limits = Limits { outbound_queue: 32, ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let mut stalled = Ws::connect(&server.ws_url()).await;
    let mut healthy = Ws::connect(&server.ws_url()).await;
    for ws in [&mut stalled, &mut healthy] {
        ws.subscribe("news", None, None).await;
        ws.recv_event("pusher_internal:subscription_succeeded").await;
    }
    // 8 KiB events, far more than the socket buffers and the queue hold. The
    // healthy client reads all the while, in a task of its own; the stalled one
    // reads nothing.
    let payload = "x".repeat(8 * 1024);
    let events = 1_500;
    let (progress, mut read) = tokio::sync::watch::channel(0usize);
    let reader = tokio::spawn(async move {
        for n in 1..=events {
            let f = healthy.recv().await;
            assert_eq!(f["event"], "tick");
            progress.send_replace(n);
        }
    });
    for i in 0..events / 10 {
        // The healthy client stays within two batches of the publisher however
        // busy the machine is (its queue holds 32); the stalled one falls behind.
        let caught_up = read.wait_for(|&n| n + 20 >= i * 10);
        tokio::time::timeout(crate::util::WAIT, caught_up).await.expect("the healthy client reads").unwrap();
        let batch: Vec<Value> = (0..10)
            .map(|k| json!({"channel": "news", "name": "tick", "data": format!("{}:{payload}", i * 10 + k)}))
            .collect();
        let (status, _) =
            server.api("POST", "/apps/4242/batch_events", &[], Some(&json!({ "batch": batch }))).await;
        assert_eq!(status, 200, "publishing never waits for the stalled client");
    }
    reader.await.expect("the healthy client got every event");
    // The stalled one was cut off with a 4100-range code, found after the frames
    // that were on their way.
    assert_eq!(stalled.closed().await, Closed::Code(4100));
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("kanban_slow_consumers_total 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_connects_is_served_up_to_the_limit() {
    rlimit::increase_nofile_limit(10_000).unwrap();
    let limits = Limits { max_connections: 1_500, ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let url = server.ws_url();
    let attempts = futures_util::future::join_all((0..2_000).map(|_| {
        let url = url.clone();
        async move {
            let (mut stream, _) =
                tokio_tungstenite::connect_async(url).await.expect("every handshake succeeds");
            let first = tokio::time::timeout(WAIT, stream.next()).await.expect("an answer in time");
            let text = match first {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => t.to_string(),
                other => panic!("{other:?}"),
            };
            let frame: Value = serde_json::from_str(&text).unwrap();
            (frame["event"].as_str().unwrap().to_string(), frame["data"]["code"].as_u64(), stream)
        }
    }))
    .await;
    let admitted = attempts.iter().filter(|(e, _, _)| e == "pusher:connection_established").count();
    let refused = attempts.iter().filter(|(e, code, _)| e == "pusher:error" && *code == Some(4100)).count();
    assert_eq!((admitted, refused), (1_500, 500));
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("kanban_connections 1500"), "{metrics}");
}

#[tokio::test]
async fn logs_keep_tokens_and_secrets_out() {
    let dir = tempfile::tempdir().unwrap();
    let token = admin(dir.path(), &["user", "add", "ann"]);
    let pid = admin(dir.path(), &["project", "add", "P", "--member", "ann"]);
    let secret = admin(dir.path(), &["app"])
        .lines()
        .find_map(|l| l.strip_prefix("secret\t").map(str::to_string))
        .unwrap();
    let server = ServerProcess::start(dir.path(), "127.0.0.1:0", &[], &[("RUST_LOG", "trace")]);
    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{}/api/projects/{pid}/board", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad =
        http.get(format!("{}/api/me", server.url)).bearer_auth(format!("{token}x")).send().await.unwrap();
    assert_eq!(bad.status(), 401);
    let auth = http
        .post(format!("{}/api/pusher/auth", server.url))
        .bearer_auth(&token)
        .form(&[("socket_id", "1.1"), ("channel_name", &format!("private-project-{pid}"))])
        .send()
        .await
        .unwrap();
    assert_eq!(auth.status(), 200);
    let log = server.log.lock().unwrap().clone();
    assert!(log.len() > 200, "trace logging is on: {log}");
    assert!(!log.contains(&token), "a token in the log");
    assert!(!log.contains(&token[3..20]), "part of a token in the log");
    assert!(!log.contains(&secret), "the app secret in the log");
}

crate::both_stores!(a_crash_loses_no_acknowledged_change);

/// A tmpfs of `size` mounted on a directory of its own, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (the test is skipped, and says why) where this process may not
    /// mount, unless every test is required to run.
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(out) if out.status.success() => Some(SmallDisk { dir }),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    !crate::util::stores::required(),
                    "mounting a small disk is required (KANBAN_TEST_REQUIRE_SERVICES) and failed: {why}"
                );
                eprintln!("a full disk: skipped, a tmpfs cannot be mounted here (root only): {why}");
                None
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// A full disk: changes fail with an error and leave nothing half-made, reads go
/// on, `/readyz` says the database takes no writes, and once there is room again
/// the server is ready and takes changes, with nothing committed lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_not_ready_until_there_is_room_again() {
    let Some(disk) = SmallDisk::mount("4m") else { return };
    let data = disk.dir.path().join("data");
    let token = admin(&data, &["user", "add", "ann"]);
    let pid = admin(&data, &["project", "add", "alpha", "--member", "ann:owner"]);
    let server = ServerProcess::start(&data, "127.0.0.1:0", &[], &[]);
    let http = reqwest::Client::new();
    let create = |title: String| {
        http.post(format!("{}/api/projects/{pid}/tasks", server.url))
            .bearer_auth(&token)
            .json(&serde_json::json!({"title": title, "description": "x".repeat(2000)}))
            .send()
    };
    let ready = || async {
        let res = http.get(format!("{}/readyz", server.url)).send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    };
    assert_eq!(ready().await.0, 200);

    // The disk fills up (a file takes what is left), and changes go on until one fails.
    let filler = disk.dir.path().join("filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        while file.write_all(&[0u8; 64 * 1024]).is_ok() {}
        let _ = file.sync_all();
    }
    let mut made = Vec::new();
    let refused = loop {
        let res = create(format!("card {}", made.len())).await.unwrap();
        if res.status().as_u16() != 201 {
            break res;
        }
        made.push(res.json::<Value>().await.unwrap()["task"]["id"].as_i64().unwrap());
        assert!(made.len() < 5_000, "the disk never filled");
    };
    assert_eq!(refused.status().as_u16(), 500);
    let (status, said) = ready().await;
    assert_eq!(status, 503, "{said}");
    assert!(said.contains("takes no writes"), "{said}");
    let board = |server_url: String| {
        let req = http.get(format!("{server_url}/api/projects/{pid}/board")).bearer_auth(&token).send();
        async move { req.await.unwrap().json::<Value>().await.unwrap() }
    };
    let tasks = board(server.url.clone()).await["tasks"].as_array().unwrap().len();
    assert_eq!(tasks, made.len(), "reads go on, and every change acknowledged is there");

    // Room again: ready, and changes are taken.
    std::fs::remove_file(&filler).unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while ready().await.0 != 200 {
        assert!(std::time::Instant::now() < deadline, "never ready again");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(create("after".into()).await.unwrap().status().as_u16(), 201);
    let tasks = board(server.url.clone()).await["tasks"].as_array().unwrap().len();
    assert_eq!(tasks, made.len() + 1);
    drop(server);
}
