//! Webhooks, on SQLite and PostgreSQL, into a real HTTP receiver the test runs
//! (`util::receiver`, checking each signature as the README's receiver does):
//! every change of a thousand reaches its hooks whole and in revision order, a
//! hook's events and boards chosen; a receiver refusing, then gone, then the
//! server SIGKILLed and started again, still gets every change, in order, none
//! lost; one that never answers holds up neither the board's writes nor another
//! hook; a delivery given up is said in `webhook list` and `/metrics`; the
//! commands refuse what they cannot do; and of two servers sharing PostgreSQL,
//! one alone sends each delivery.

use std::collections::HashMap;
use std::time::{Duration, Instant};

mod receiver;

use kanban_server::store::Store;
use kanban_server::webhooks::admin::{self, Scope};
use serde_json::json;

use self::receiver::{Got, Mode, Receiver};
use crate::util::TestServer;
use crate::util::stores::Site;

/// Long enough for a thousand deliveries on a slow machine.
const DELIVERED_WITHIN: Duration = Duration::from_secs(60);

/// Adds a hook; answers its id and sets its secret on `receiver`.
async fn hook(store: &dyn Store, receiver: &Receiver, scope: Scope<'_>, events: Option<&str>) -> i64 {
    let said = admin::add(store, &receiver.url(), scope, events).await.expect("webhook add");
    receiver.set_secret(secret_in(&said));
    said.split_whitespace().nth(1).and_then(|id| id.parse().ok()).expect("the hook's id")
}

/// The secret `webhook add` printed.
fn secret_in(said: &str) -> &str {
    said.lines().find_map(|l| l.strip_prefix("secret ")).expect("the secret is printed")
}

async fn made(server: &TestServer, token: &str, pid: i64, title: &str) -> i64 {
    let (status, made) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), token, Some(json!({ "title": title })))
        .await;
    assert_eq!(status, 201, "{made}");
    made["task"]["id"].as_i64().unwrap()
}

/// Makes `n` cards on board `pid` of the server at `url`, one after another.
async fn cards(url: &str, token: &str, pid: i64, n: usize) {
    let http = reqwest::Client::new();
    for i in 0..n {
        let res = http
            .post(format!("{url}/api/projects/{pid}/tasks"))
            .bearer_auth(token)
            .json(&json!({ "title": format!("card {i}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
}

/// The revisions delivered of board `pid`, each once, in the order first taken;
/// panics if a delivery taken again differs from the first.
fn revisions(took: &[Got], pid: i64) -> Vec<u64> {
    let mut first: HashMap<&str, &[u8]> = HashMap::new();
    let mut revs = Vec::new();
    for got in took.iter().filter(|g| g.body["project"]["id"] == pid) {
        match first.get(got.delivery.as_str()) {
            Some(raw) => {
                assert_eq!(*raw, got.raw.as_slice(), "delivery {} sent again the same", got.delivery)
            }
            None => {
                first.insert(&got.delivery, &got.raw);
                revs.push(got.body["rev"].as_u64().unwrap());
            }
        }
    }
    revs
}

async fn every_change_reaches_its_hooks_signed_whole_and_in_revision_order() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("Launch", &["ann:owner"]).await;
    let store = server.admin_store().await;
    let board = Receiver::start(Mode::Take).await;
    let moves = Receiver::start(Mode::Take).await;
    hook(store.as_ref(), &board, Scope::Project("Launch"), None).await;
    hook(store.as_ref(), &moves, Scope::All, Some("task-moved")).await;
    let (_, snapshot) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    let done = snapshot["statuses"][2]["id"].as_i64().unwrap();
    // A thousand changes from four writers at once: a card made, then moved.
    let started = Instant::now();
    let writers = (0..4).map(|w| {
        let (server, ann) = (&server, &ann);
        async move {
            for i in 0..125 {
                let tid = made(server, ann, pid, &format!("card {w}.{i}")).await;
                let (status, body) = server
                    .rest("POST", &format!("/api/tasks/{tid}/move"), ann, Some(json!({ "status_id": done })))
                    .await;
                assert_eq!(status, 200, "{body}");
            }
        }
    });
    futures_util::future::join_all(writers).await;
    let written = started.elapsed();
    board.wait_until(DELIVERED_WITHIN, "a thousand changes", |took| took.len() >= 1000).await;
    let took = board.took();
    eprintln!("1,000 changes written in {written:?}; all delivered {:?} after the first", started.elapsed());
    assert_eq!(revisions(&took, pid), (1..=1000).collect::<Vec<u64>>(), "every change, in revision order");
    assert_eq!(board.forged(), 0, "every signature checks out");
    // Each body whole: the change as the board's channel carried it, and who made it.
    let me = server.get("/api/me", Some(&ann)).await.1;
    let (_, events) = server.get(&format!("/api/projects/{pid}/events?after=0"), Some(&ann)).await;
    for (got, event) in took.iter().zip(events["events"].as_array().unwrap()) {
        assert_eq!(got.body["id"], got.delivery.as_str(), "the id is the delivery's");
        assert_eq!(got.body["event"], event["name"]);
        assert_eq!(got.event, got.body["event"].as_str().unwrap(), "X-Kanban-Event names it");
        assert_eq!(got.body["data"], event["data"], "the event's own data");
        assert_eq!(got.body["project"], json!({"id": pid, "name": "Launch"}));
        assert_eq!(got.body["by"], json!({"id": me["id"], "name": "ann"}));
        assert!(
            got.body["at"].as_str().is_some_and(|at| at.parse::<jiff::Timestamp>().is_ok()),
            "{}",
            got.body
        );
    }
    // The moves alone, to the hook that asked for them, and of a board made
    // after that hook too.
    moves.wait_until(DELIVERED_WITHIN, "the 500 moves", |took| took.len() >= 500).await;
    assert!(moves.took().iter().all(|g| g.event == "task-moved"));
    let moved: Vec<u64> = (1..=1000)
        .zip(events["events"].as_array().unwrap())
        .filter(|(_, e)| e["name"] == "task-moved")
        .map(|(rev, _)| rev)
        .collect();
    assert_eq!(revisions(&moves.took(), pid), moved);
    let later = server.project("Later", &["ann:owner"]).await;
    let tid = made(&server, &ann, later, "new board's card").await;
    let (_, snapshot) = server.get(&format!("/api/projects/{later}/board"), Some(&ann)).await;
    let column = snapshot["statuses"][1]["id"].as_i64().unwrap();
    server.rest("POST", &format!("/api/tasks/{tid}/move"), &ann, Some(json!({ "status_id": column }))).await;
    moves.wait_until(DELIVERED_WITHIN, "the new board's move", |took| took.len() > 500).await;
    assert_eq!(revisions(&moves.took(), later), [2]);
    assert_eq!(board.took().len(), 1000, "a board's hook is sent that board's changes alone");
    let list = admin::list(store.as_ref()).await.unwrap();
    assert!(
        list.lines().all(|l| l.contains("\t0 waiting\t0 failed\tlast: ") && l.contains("delivered 200")),
        "{list}"
    );
}

async fn a_receiver_refusing_then_gone_then_the_server_killed_loses_nothing() {
    let site = Site::new();
    let ann = site.admin(&["user", "add", "ann"]);
    site.admin(&["project", "add", "Launch", "--member", "ann:owner"]);
    let mut receiver = Receiver::start(Mode::Refuse).await;
    let said = site.admin(&["webhook", "add", &receiver.url(), "--project", "Launch"]);
    receiver.set_secret(secret_in(&said));
    let args = ["--webhook-max-backoff", "1"];
    let mut server = site.start(&args);
    let pid = site.admin(&["project", "list"]).split_whitespace().next().unwrap().parse::<i64>().unwrap();
    let write = |url: String, n: usize| {
        let ann = ann.clone();
        async move { cards(&url, &ann, pid, n).await }
    };
    // Refused: tried again, a second apart at most.
    write(server.url.clone(), 100).await;
    receiver.wait_refused(3).await;
    // Gone: its port closed, and found so.
    receiver.down();
    write(server.url.clone(), 100).await;
    let deadline = Instant::now() + crate::util::WAIT;
    while !site.admin(&["webhook", "deliveries", "1", "--limit", "1"]).contains("retrying\ttry") {
        assert!(Instant::now() < deadline, "no try while the receiver was gone");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The server killed with everything waiting, and started again.
    server.crash();
    let server = site.start(&args);
    write(server.url.clone(), 100).await;
    receiver.up().await;
    receiver.set_mode(Mode::Take);
    receiver.wait_until(DELIVERED_WITHIN, "all 300 changes", |took| revisions(took, pid).len() >= 300).await;
    assert_eq!(
        revisions(&receiver.took(), pid),
        (1..=300).collect::<Vec<u64>>(),
        "every change once, in order"
    );
    assert_eq!(receiver.forged(), 0);
    let list = site.admin(&["webhook", "list"]);
    assert!(list.contains("\t0 waiting\t0 failed\t"), "{list}");
    let deliveries = site.admin(&["webhook", "deliveries", "1", "--limit", "1000"]);
    assert!(deliveries.contains("retrying 500"), "the refusals are kept: {deliveries}");
    assert!(
        deliveries.contains("retrying\ttry") && deliveries.contains("Connection refused"),
        "and why: {deliveries}"
    );
    drop(server);
}

async fn a_receiver_that_never_answers_holds_up_neither_the_board_nor_another_hook() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("Launch", &["ann:owner"]).await;
    let store = server.admin_store().await;
    let timed = |n: usize, from: usize| {
        let (server, ann) = (&server, &ann);
        async move {
            let started = Instant::now();
            for i in from..from + n {
                made(server, ann, pid, &format!("card {i}")).await;
            }
            started.elapsed()
        }
    };
    let without = timed(200, 0).await;
    let silent = Receiver::start(Mode::Hang).await;
    let other = Receiver::start(Mode::Take).await;
    hook(store.as_ref(), &silent, Scope::Project("Launch"), None).await;
    hook(store.as_ref(), &other, Scope::Project("Launch"), None).await;
    let with = timed(200, 200).await;
    // The other hook is sent every change while the silent one holds its first.
    other.wait_until(DELIVERED_WITHIN, "200 changes", |took| took.len() >= 200).await;
    assert_eq!(revisions(&other.took(), pid), (201..=400).collect::<Vec<u64>>());
    assert_eq!(silent.took().len(), 0);
    // Its first request open (a second could only come after the 10 s timeout).
    silent.wait_refused(1).await;
    assert_eq!(silent.refused(), 1, "one request open to the silent receiver, the rest wait behind it");
    eprintln!(
        "200 card writes: {without:?} without hooks, {with:?} with one hook that never answers and one that does"
    );
}

async fn a_delivery_given_up_is_counted_and_the_next_go_on() {
    let site = Site::new();
    let ann = site.admin(&["user", "add", "ann"]);
    site.admin(&["project", "add", "Launch", "--member", "ann:owner"]);
    let receiver = Receiver::start(Mode::Refuse).await;
    let said = site.admin(&["webhook", "add", &receiver.url(), "--project", "Launch"]);
    receiver.set_secret(secret_in(&said));
    let server = site.start(&["--webhook-max-backoff", "1", "--webhook-give-up-after", "2"]);
    let http = reqwest::Client::new();
    let pid = 1;
    let post = |title: &str| {
        http.post(format!("{}/api/projects/{pid}/tasks", server.url))
            .bearer_auth(&ann)
            .json(&json!({ "title": title }))
            .send()
    };
    assert_eq!(post("refused").await.unwrap().status(), 201);
    // Tried until it is two seconds old, then given up.
    let deadline = Instant::now() + crate::util::WAIT;
    let metrics = loop {
        let text = http.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
        if text.contains("kanban_webhooks_failed_total 1") {
            break text;
        }
        assert!(Instant::now() < deadline, "never given up:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!metrics.contains("kanban_webhooks_retried_total 0"), "{metrics}");
    let list = site.admin(&["webhook", "list"]);
    assert!(list.contains("\t0 waiting\t1 failed\tlast: ") && list.contains("failed 500"), "{list}");
    // The receiver back: what comes next is delivered.
    receiver.set_mode(Mode::Take);
    assert_eq!(post("taken").await.unwrap().status(), 201);
    receiver.wait_until(crate::util::WAIT, "the next change", |took| !took.is_empty()).await;
    assert_eq!(revisions(&receiver.took(), pid), [2]);
}

async fn the_commands_refuse_what_they_cannot_do_and_test_pings() {
    let site = Site::new();
    site.admin(&["project", "add", "Launch"]);
    let receiver = Receiver::start(Mode::Take).await;
    let refused = |args: &[&str]| {
        let (ok, _, err) = site.admin_output(args);
        assert!(!ok, "{args:?} refused");
        err
    };
    let url = receiver.url();
    assert!(refused(&["webhook", "add", "ftp://example.com/x", "--all"]).contains("http:// or https://"));
    assert!(refused(&["webhook", "add", &url]).contains("--project"), "a board or --all");
    let long = format!("{url}?{}", "x".repeat(3000));
    assert!(refused(&["webhook", "add", &long, "--all"]).contains("at most 2048 bytes"));
    assert!(refused(&["webhook", "add", &url, "--project", "Nope"]).contains("not found"));
    let unknown = refused(&["webhook", "add", &url, "--all", "--events", "task-created,card-made"]);
    assert!(
        unknown.contains("\"card-made\"") && unknown.contains("task-moved"),
        "the events listed: {unknown}"
    );
    let said =
        site.admin(&["webhook", "add", &url, "--project", "Launch", "--events", "task-created, task-moved"]);
    assert!(said.starts_with("webhook 1\t") && said.contains("\tLaunch\ttask-created,task-moved"), "{said}");
    receiver.set_secret(secret_in(&said));
    assert!(!site.admin(&["webhook", "list"]).contains(secret_in(&said)), "the secret is shown once");
    let pinged = site.admin(&["webhook", "test", "1"]);
    assert!(pinged.contains("answered 200"), "{pinged}");
    let ping = &receiver.took()[0];
    assert_eq!(
        (ping.event.as_str(), &ping.body["rev"], &ping.body["data"]["hook_id"]),
        ("ping", &json!(0), &json!(1))
    );
    assert_eq!(receiver.forged(), 0, "the ping is signed");
    receiver.set_secret("another");
    let (ok, _, err) = site.admin_output(&["webhook", "test", "1"]);
    assert!(!ok && err.contains("answered 401"), "a receiver's refusal is said: {err}");
    assert!(refused(&["webhook", "test", "7"]).contains("webhook not found"));
    assert!(refused(&["webhook", "deliveries", "7"]).contains("webhook not found"));
    site.admin(&["webhook", "remove", "1"]);
    assert!(refused(&["webhook", "remove", "1"]).contains("webhook not found"));
    assert_eq!(site.admin(&["webhook", "list"]), "");
}

crate::both_stores!(
    every_change_reaches_its_hooks_signed_whole_and_in_revision_order,
    a_receiver_refusing_then_gone_then_the_server_killed_loses_nothing,
    a_receiver_that_never_answers_holds_up_neither_the_board_nor_another_hook,
    a_delivery_given_up_is_counted_and_the_next_go_on,
    the_commands_refuse_what_they_cannot_do_and_test_pings,
);

/// Two servers on one PostgreSQL database, both writing: each delivery is sent
/// by one of them alone, once, in revision order.
async fn of_two_servers_sharing_a_database_one_alone_sends_each_delivery() {
    let site = Site::new();
    let ann = site.admin(&["user", "add", "ann"]);
    site.admin(&["project", "add", "Launch", "--member", "ann:owner"]);
    let receiver = Receiver::start(Mode::Take).await;
    let said = site.admin(&["webhook", "add", &receiver.url(), "--all"]);
    receiver.set_secret(secret_in(&said));
    let nodes = [site.start(&[]), site.start(&[])];
    let writers = nodes.iter().map(|node| cards(&node.url, &ann, 1, 150));
    futures_util::future::join_all(writers).await;
    receiver.wait_until(DELIVERED_WITHIN, "all 300 changes", |took| took.len() >= 300).await;
    let took = receiver.took();
    assert_eq!(revisions(&took, 1), (1..=300).collect::<Vec<u64>>());
    assert_eq!(took.len(), 300, "none sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_of_two_servers_sharing_a_database_one_alone_sends_each_delivery() {
    crate::util::stores::run_on(
        crate::util::stores::Backend::Postgres,
        of_two_servers_sharing_a_database_one_alone_sends_each_delivery(),
    )
    .await;
}

/// The README's receiver, run as written: it takes a ping and a change signed by
/// the server, and refuses a body whose signature is not the secret's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_receiver_checks_what_the_server_sends() {
    use std::io::{BufRead, Write};
    let Some(python) = crate::util::tool("python3", "the README's webhook receiver is Python") else {
        return;
    };
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme.split("### Webhooks").nth(1).expect("README: ### Webhooks");
    let code = section.split("```python\n").nth(1).and_then(|c| c.split("```").next()).expect("its receiver");
    let site = Site::sqlite();
    let ann = site.admin(&["user", "add", "ann"]);
    site.admin(&["project", "add", "Launch", "--member", "ann:owner"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/");
    let said = site.admin(&["webhook", "add", &url, "--project", "Launch"]);
    let secret = secret_in(&said);
    let mut receiver = std::process::Command::new(python)
        .args(["-", secret, &port.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    receiver.stdin.take().unwrap().write_all(code.as_bytes()).unwrap();
    let (lines, printed) = std::sync::mpsc::channel();
    let stdout = receiver.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    // Pinged until it listens.
    let deadline = Instant::now() + crate::util::WAIT;
    while !site.admin_output(&["webhook", "test", "1"]).0 {
        assert!(Instant::now() < deadline, "the README's receiver never took a ping");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(printed.recv_timeout(crate::util::WAIT).unwrap(), "ping 0 None");
    let server = site.start(&[]);
    let made = reqwest::Client::new()
        .post(format!("{}/api/projects/1/tasks", server.url))
        .bearer_auth(&ann)
        .json(&json!({ "title": "Fix login" }))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    assert_eq!(printed.recv_timeout(crate::util::WAIT).unwrap(), "task-created 1 Fix login");
    let forged = reqwest::Client::new()
        .post(&url)
        .header("X-Kanban-Signature", kanban_server::webhooks::sign::signature("not the secret", b"{}"))
        .header("X-Kanban-Delivery", "forged")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let _ = receiver.kill();
    let _ = receiver.wait();
}
