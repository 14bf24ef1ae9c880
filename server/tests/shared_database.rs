//! Several `kanban-server` processes on one PostgreSQL database: writes of one
//! project through all of them at once, processes starting together on an empty
//! database, access taken away reaching connections on every process, and a site
//! moved from SQLite keeping its boards, tokens and history, a database reached
//! over TLS alone. Skipped, and said so, where no PostgreSQL answers (required by
//! `.ci/run`).

use std::collections::HashSet;

use kanban_protocol::board::{Applied, BoardState};
use kanban_protocol::event::BoardEvent;
use kanban_protocol::model::{Board, EventData};
use serde_json::{Value, json};

use crate::util::stores::{Backend, Site, run_on};
use crate::util::{Closed, ServerProcess, Ws};

async fn get(http: &reqwest::Client, url: &str, token: &str) -> (u16, Value) {
    let res = http.get(url).bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn board(http: &reqwest::Client, server: &ServerProcess, token: &str, pid: &str) -> Board {
    let (status, body) = get(http, &format!("{}/api/projects/{pid}/board", server.url), token).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

/// The event log of a project from the start, checked to replay to `board`:
/// every revision once, in order.
async fn replay_log(
    http: &reqwest::Client,
    server: &ServerProcess,
    token: &str,
    pid: &str,
    board: &Board,
) -> Vec<u64> {
    let (status, log) = get(http, &format!("{}/api/projects/{pid}/events?after=0", server.url), token).await;
    assert_eq!(status, 200, "{log}");
    let events = log["events"].as_array().unwrap();
    let mut replay = BoardState::from(Board { rev: 0, tasks: vec![], ..board.clone() });
    let mut revs = Vec::new();
    for e in events {
        let data: EventData = serde_json::from_value(e["data"].clone()).unwrap();
        let event = BoardEvent::decode(e["name"].as_str().unwrap(), data).unwrap();
        revs.push(event.rev);
        assert_eq!(replay.apply(&event), Applied::Applied, "at rev {}", event.rev);
    }
    assert_eq!(replay, BoardState::from(board.clone()), "the log replays to the board");
    revs
}

async fn three_processes_write_one_project_at_once() {
    let site = Site::new();
    let tokens: Vec<String> = ["ann", "bob", "cy"].iter().map(|u| site.admin(&["user", "add", u])).collect();
    let pid = site.admin(&["project", "add", "P", "--member", "ann", "--member", "bob", "--member", "cy"]);
    let servers: Vec<ServerProcess> = (0..3).map(|_| site.start(&[])).collect();
    let http = reqwest::Client::new();
    let columns: Vec<i64> =
        board(&http, &servers[0], &tokens[0], &pid).await.statuses.iter().map(|s| s.id).collect();

    // Four writers on each process: cards made, and moved, all at once.
    const EACH: usize = 40;
    let mut writers = Vec::new();
    for (s, server) in servers.iter().enumerate() {
        for w in 0..4 {
            let (http, url, token, pid, columns) =
                (http.clone(), server.url.clone(), tokens[w % 3].clone(), pid.clone(), columns.clone());
            writers.push(tokio::spawn(async move {
                let mut answers = Vec::new();
                let mut mine = Vec::new();
                for i in 0..EACH {
                    let request = if i % 4 == 3 {
                        let tid = mine[i % mine.len()];
                        http.post(format!("{url}/api/tasks/{tid}/move"))
                            .json(&json!({"status_id": columns[i % columns.len()]}))
                    } else {
                        http.post(format!("{url}/api/projects/{pid}/tasks"))
                            .json(&json!({"title": format!("p{s} w{w} #{i}")}))
                    };
                    let res = request.bearer_auth(&token).send().await.unwrap();
                    assert!(res.status().is_success(), "{}", res.status());
                    let data: EventData = res.json().await.unwrap();
                    let task = data.task.expect("a card's event");
                    if i % 4 != 3 {
                        mine.push(task.id);
                    }
                    answers.push((data.rev, task.title));
                }
                answers
            }));
        }
    }
    let mut revs = Vec::new();
    let mut made = HashSet::new();
    for w in writers {
        for (rev, title) in w.await.unwrap() {
            revs.push(rev);
            made.insert(title);
        }
    }
    let total = revs.len() as u64;
    let unique: HashSet<u64> = revs.iter().copied().collect();
    assert_eq!(unique.len() as u64, total, "every answer's revision is its own");
    assert_eq!(unique, (1..=total).collect(), "and together they are 1 to {total}");

    // Every process serves the same board, with every card made, and the log
    // holds every revision once, in order.
    for server in &servers {
        let b = board(&http, server, &tokens[1], &pid).await;
        assert_eq!(b.rev, total);
        let titles: HashSet<String> = b.tasks.iter().map(|t| t.title.clone()).collect();
        assert_eq!(titles, made, "every card made is there");
        assert_eq!(replay_log(&http, server, &tokens[2], &pid, &b).await, (1..=total).collect::<Vec<_>>());
    }
}

async fn processes_starting_together_on_an_empty_database_migrate_it_once() {
    let site = Site::new();
    let starting: Vec<_> = (0..3)
        .map(|_| {
            let args: Vec<String> = site.database_args().iter().map(|s| s.to_string()).collect();
            let dir = site.dir.path().to_owned();
            std::thread::spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                ServerProcess::start(&dir, "127.0.0.1:0", &args, &[])
            })
        })
        .collect();
    let servers: Vec<ServerProcess> =
        starting.into_iter().map(|s| s.join().expect("a server started")).collect();
    let http = reqwest::Client::new();
    let mut keys = HashSet::new();
    for server in &servers {
        let config: Value =
            http.get(format!("{}/api/config", server.url)).send().await.unwrap().json().await.unwrap();
        keys.insert(config["app_key"].as_str().unwrap().to_string());
    }
    assert_eq!(keys.len(), 1, "one site, one set of app credentials: {keys:?}");
    let token = site.admin(&["user", "add", "ann"]);
    assert_eq!(get(&http, &format!("{}/api/me", servers[2].url), &token).await.0, 200);
    let schema = site.schema.as_ref().unwrap();
    let versions = std::thread::scope(|s| {
        s.spawn(|| {
            let mut client = ::postgres::Client::connect(site.url().unwrap(), ::postgres::NoTls).unwrap();
            let rows = client
                .query(&format!("SELECT version FROM {}.kanban_schema ORDER BY version", schema.name), &[])
                .unwrap();
            rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>()
        })
        .join()
        .unwrap()
    });
    let known = kanban_server::store::PgStore::SCHEMA;
    assert_eq!(versions, (1..=known).collect::<Vec<_>>(), "each migration applied once");
    // One identity, settled by whichever came first.
    let clusters: HashSet<String> = servers
        .iter()
        .map(|s| {
            s.log()
                .split("cluster=")
                .nth(1)
                .expect("the cluster in the log")
                .split_whitespace()
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    let shown = site.admin(&["cluster", "show"]);
    assert!(shown.contains(clusters.iter().next().unwrap()), "{shown}");
}

async fn access_taken_away_reaches_connections_on_every_process() {
    let site = Site::new();
    let ann = site.admin(&["user", "add", "ann"]);
    let bob = site.admin(&["user", "add", "bob"]);
    let pid = site.admin(&["project", "add", "P", "--member", "ann", "--member", "bob"]);
    let servers: Vec<ServerProcess> = (0..2).map(|_| site.start(&[])).collect();
    let channel = format!("private-project-{pid}");
    // ann on the first process, bob on the second.
    let mut on_first = Ws::connect(&servers[0].ws_url().await).await;
    on_first.join_at(&servers[0].url, &ann, &channel).await;
    let mut on_second = Ws::connect(&servers[1].ws_url().await).await;
    on_second.join_at(&servers[1].url, &bob, &channel).await;

    // A grant through the admin command line reaches both as members-changed.
    site.admin(&["user", "add", "cy"]);
    site.admin(&["project", "grant", "P", "cy"]);
    for ws in [&mut on_first, &mut on_second] {
        let frame = ws.recv_event("members-changed").await;
        assert!(frame.to_string().contains("cy"), "{frame}");
    }
    // bob's membership taken away: both processes ask their connections to come
    // back (4200), and bob is refused when he does.
    site.admin(&["project", "revoke", "P", "bob"]);
    assert_eq!(on_second.closed().await, Closed::Code(4200));
    assert_eq!(on_first.closed().await, Closed::Code(4200));
    let http = reqwest::Client::new();
    let (status, _) = get(&http, &format!("{}/api/projects/{pid}/board", servers[1].url), &bob).await;
    assert_eq!(status, 404, "bob no longer sees the project");
}

async fn a_site_moved_from_sqlite_keeps_its_boards_tokens_and_history() {
    let old = Site::sqlite();
    let ann = old.admin(&["user", "add", "ann"]);
    let bob = old.admin(&["user", "add", "bob", "--color", "teal"]);
    let pid = old.admin(&["project", "add", "P", "--member", "ann:owner", "--member", "bob:viewer"]);
    let http = reqwest::Client::new();
    let before = {
        let server = old.start(&[]);
        let url = &server.url;
        let mut ids = Vec::new();
        for i in 0..5 {
            let res = http
                .post(format!("{url}/api/projects/{pid}/tasks"))
                .bearer_auth(&ann)
                .header("Idempotency-Key", format!("k{i}"))
                .json(
                    &json!({"title": format!("card {i}"), "labels": ["a", "b c"], "due_date": "2027-01-02"}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            ids.push(res.json::<EventData>().await.unwrap().task.unwrap().id);
        }
        let res = http.delete(format!("{url}/api/tasks/{}", ids[0])).bearer_auth(&ann).send().await.unwrap();
        assert!(res.status().is_success());
        let res = http.post(format!("{url}/api/tasks/{}/move", ids[1])).bearer_auth(&ann);
        let res = res.json(&json!({"status_id": board(&http, &server, &ann, &pid).await.statuses[2].id}));
        assert!(res.send().await.unwrap().status().is_success());
        // A checklist, one item ticked.
        for text in ["first", "second"] {
            let res = http.post(format!("{url}/api/tasks/{}/checklist", ids[1])).bearer_auth(&ann);
            assert_eq!(res.json(&json!({"text": text})).send().await.unwrap().status(), 201);
        }
        let item =
            board(&http, &server, &ann, &pid).await.tasks.iter().find(|t| t.id == ids[1]).unwrap().checklist
                [0]
            .id;
        let res = http.patch(format!("{url}/api/checklist/{item}")).bearer_auth(&ann);
        assert!(res.json(&json!({"done": true})).send().await.unwrap().status().is_success());
        let config: Value = http.get(format!("{url}/api/config")).send().await.unwrap().json().await.unwrap();
        (board(&http, &server, &ann, &pid).await, config["app_key"].as_str().unwrap().to_string())
    };
    let (before, app_key) = before;
    assert_eq!(before.rev, 10);
    let listed = before.tasks.iter().flat_map(|t| &t.checklist).map(|i| (i.text.as_str(), i.done));
    assert_eq!(listed.collect::<Vec<_>>(), [("first", true), ("second", false)]);

    let new = Site::new();
    let url = new.url().expect("a PostgreSQL site").to_string();
    let out = std::process::Command::new(crate::util::server_bin())
        .args(["--database", &url, "migrate", "--from"])
        .arg(old.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 users"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Into a database that already holds a site: refused, nothing changed.
    let again = std::process::Command::new(crate::util::server_bin())
        .args(["--database", &url, "migrate", "--from"])
        .arg(old.dir.path())
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a site"));

    let server = new.start(&[]);
    let after = board(&http, &server, &ann, &pid).await;
    assert_ne!(after.epoch, before.epoch, "a new history: clients fetch their boards once");
    assert_eq!(
        Board { epoch: before.epoch, ..after.clone() },
        before,
        "the same board, ids, versions and times"
    );
    let config: Value =
        http.get(format!("{}/api/config", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(config["app_key"], app_key.as_str(), "the same app credentials");
    // bob's token works, as a viewer still.
    let (status, me) = get(&http, &format!("{}/api/me", server.url), &bob).await;
    assert_eq!((status, me["color"].as_str()), (200, Some("#2ec4b6")), "{me}");
    let res = http.post(format!("{}/api/projects/{pid}/tasks", server.url)).bearer_auth(&bob);
    assert_eq!(res.json(&json!({"title": "no"})).send().await.unwrap().status(), 403);
    // The history goes on where it was: the log, the trash, the change keys.
    let (_, caught) = get(&http, &format!("{}/api/projects/{pid}/events?after=5", server.url), &ann).await;
    let revs: Vec<u64> =
        caught["events"].as_array().unwrap().iter().map(|e| e["data"]["rev"].as_u64().unwrap()).collect();
    assert_eq!(revs, [6, 7, 8, 9, 10]);
    assert_eq!(replay_log(&http, &server, &ann, &pid, &after).await, (1..=10).collect::<Vec<_>>());
    let (_, trash) = get(&http, &format!("{}/api/projects/{pid}/trash", server.url), &ann).await;
    assert_eq!(trash["tasks"].as_array().unwrap().len(), 1, "{trash}");
    let replayed = http
        .post(format!("{}/api/projects/{pid}/tasks", server.url))
        .bearer_auth(&ann)
        .header("Idempotency-Key", "k2")
        .json(&json!({"title": "card 2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.json::<EventData>().await.unwrap().rev,
        3,
        "a key used before answers its first change"
    );
    let res = http.post(format!("{}/api/projects/{pid}/tasks", server.url)).bearer_auth(&ann);
    let made: EventData = res.json(&json!({"title": "new"})).send().await.unwrap().json().await.unwrap();
    assert_eq!(made.rev, 11, "the next revision follows");
    let made = made.task.unwrap();
    assert!(made.id > after.tasks.iter().map(|t| t.id).max().unwrap(), "new ids follow the copied");
    let res = http.post(format!("{}/api/tasks/{}/checklist", server.url, made.id)).bearer_auth(&ann);
    let item: EventData = res.json(&json!({"text": "x"})).send().await.unwrap().json().await.unwrap();
    let copied = after.tasks.iter().flat_map(|t| &t.checklist).map(|i| i.id).max().unwrap();
    assert!(item.item.unwrap().id > copied, "and new items' ids");
}

/// The database drops the server's connections (a restart, a failover, an admin
/// ending them): no request fails for it, and no revision is lost or repeated.
async fn a_lost_database_connection_costs_no_request() {
    let server = crate::util::TestServer::start().await;
    let token = server.user("ann").await;
    let pid = server.project("P", &["ann:owner"]).await;
    let path = format!("/api/projects/{pid}/tasks");
    let write = |title: &'static str| server.rest("POST", &path, &token, Some(json!({"title": title})));
    assert_eq!(write("before").await.0, 201);
    assert_eq!(server.get(&format!("/api/projects/{pid}/board"), Some(&token)).await.0, 200);
    let name = server.schema.as_ref().unwrap().name.clone();
    let ended: i64 = std::thread::spawn(move || {
        let mut client =
            ::postgres::Client::connect(&crate::util::stores::postgres_url(), ::postgres::NoTls).unwrap();
        let sql = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1";
        client.query_one(sql, &[&name]).unwrap().get(0)
    })
    .join()
    .unwrap();
    assert!(ended >= 2, "the writer's and a reader's connections ended ({ended})");
    assert_eq!(write("after").await.0, 201, "a change right after");
    let (status, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&token)).await;
    assert_eq!(status, 200, "a read right after: {board}");
    assert_eq!(board["rev"], 2);
    assert_eq!(write("and after").await.0, 201);
    let (_, events) = server.get(&format!("/api/projects/{pid}/events?after=0"), Some(&token)).await;
    let revs: Vec<u64> =
        events["events"].as_array().unwrap().iter().map(|e| e["data"]["rev"].as_u64().unwrap()).collect();
    assert_eq!(revs, [1, 2, 3]);
}

/// The tests above, each on PostgreSQL only: they are what sharing one is for.
macro_rules! on_postgres {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::run_on(super::Backend::Postgres, super::$name()).await
                }
            )*
        }
    };
}

/// A database that takes TLS connections alone (a managed one): reached with
/// `sslmode=verify-full&sslrootcert=CA` by the server, the admin commands and
/// `backup`'s pg_dump; refused in the clear, and refused over TLS to a
/// certificate nobody vouched for, each saying why without hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_behind_tls_is_reached_over_it_and_never_in_the_clear() {
    let pki = crate::util::pki::pki();
    let Some(db) = crate::util::own_postgres::OwnPostgres::start_tls(&pki) else { return };
    let base = format!("postgres://postgres@127.0.0.1:{}/postgres", db.port);
    let ca = pki.ca.to_str().unwrap();
    let url = format!("{base}?sslmode=verify-full&sslrootcert={ca}");
    let dir = tempfile::tempdir().unwrap();
    let admin = |url: &str, args: &[&str]| {
        let mut all = vec!["--database", url];
        all.extend_from_slice(args);
        crate::util::admin_output(dir.path(), &all)
    };
    let (ok, ann, said) = admin(&url, &["user", "add", "ann"]);
    assert!(ok, "{said}");
    let (ok, pid, said) = admin(&url, &["project", "add", "P", "--member", "ann"]);
    assert!(ok, "{said}");
    let server = ServerProcess::start(dir.path(), "127.0.0.1:0", &["--database", &url], &[]);
    let res = reqwest::Client::new()
        .post(format!("{}/api/projects/{pid}/tasks", server.url))
        .bearer_auth(&ann)
        .json(&json!({"title": "over TLS"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    if crate::util::tool("pg_dump", "backup runs it").is_some() {
        let file = dir.path().join("backup.sql");
        let (ok, _, said) = admin(&url, &["backup", file.to_str().unwrap()]);
        assert!(ok, "pg_dump over TLS: {said}");
        assert!(std::fs::read_to_string(&file).unwrap().contains("over TLS"));
    }

    let (ok, _, clear) = admin(&base, &["user", "list"]);
    assert!(!ok && clear.contains("no encryption"), "refused in the clear, and said why: {clear}");
    let (ok, _, unknown) = admin(&format!("{base}?sslmode=require"), &["user", "list"]);
    assert!(!ok && unknown.to_lowercase().contains("certificate"), "an unknown CA: {unknown}");
    let (ok, _, missing) =
        admin(&format!("{base}?sslmode=require&sslrootcert=/nowhere.pem"), &["user", "list"]);
    assert!(!ok && missing.contains("sslrootcert /nowhere.pem"), "{missing}");
}

on_postgres!(
    three_processes_write_one_project_at_once,
    processes_starting_together_on_an_empty_database_migrate_it_once,
    access_taken_away_reaches_connections_on_every_process,
    a_site_moved_from_sqlite_keeps_its_boards_tokens_and_history,
    a_lost_database_connection_costs_no_request,
);
