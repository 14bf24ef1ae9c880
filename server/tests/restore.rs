//! The restore drill, on SQLite and on PostgreSQL, as the README tells it: a
//! backup made while the server serves, more changes, the server stopped, the
//! backup restored (`kanban-server restore` on SQLite; `psql -f` on PostgreSQL),
//! the server started again. The restored site serves the boards as they were, in
//! a new epoch, so that a client holding revisions of the history that was
//! rewound is told to fetch its board afresh, even once the new history has
//! counted past them.

use kanban_protocol::model::Board;
use serde_json::{Value, json};

use crate::util::stores::{self, Site};
use crate::util::{ServerProcess, tool};

async fn add_card(server: &ServerProcess, token: &str, pid: &str, title: &str) -> u64 {
    let res = reqwest::Client::new()
        .post(format!("{}/api/projects/{pid}/tasks", server.url))
        .bearer_auth(token)
        .json(&json!({ "title": title }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["rev"].as_u64().unwrap()
}

async fn board(server: &ServerProcess, token: &str, pid: &str) -> Board {
    let res = reqwest::Client::new()
        .get(format!("{}/api/projects/{pid}/board", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn events(server: &ServerProcess, token: &str, pid: &str, query: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(format!("{}/api/projects/{pid}/events?{query}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// Restores `file` into `site` as the README says, its server stopped.
fn restore(site: &Site, file: &std::path::Path) {
    match &site.schema {
        None => {
            site.admin(&["restore", file.to_str().unwrap()]);
        }
        Some(schema) => {
            // In place of the database it was made from, as after losing it.
            stores::run_sql_in(schema, &format!("DROP SCHEMA {} CASCADE", schema.name)).unwrap();
            let out = std::process::Command::new("psql")
                .args(["-q", "-v", "ON_ERROR_STOP=1", "-d", &stores::postgres_url(), "-f"])
                .arg(file)
                .output()
                .expect("run psql");
            assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

async fn a_restored_site_serves_its_boards_in_a_new_epoch_that_old_revisions_are_refused_in() {
    let site = Site::new();
    if site.schema.is_some()
        && (tool("pg_dump", "backup runs it on PostgreSQL").is_none()
            || tool("psql", "a PostgreSQL backup is restored with it").is_none())
    {
        return;
    }
    let token = site.admin(&["user", "add", "ann"]);
    let pid = site.admin(&["project", "add", "P", "--member", "ann:owner"]);
    let mut server = site.start(&[]);
    let kept = add_card(&server, &token, &pid, "kept").await;
    let before = board(&server, &token, &pid).await;
    assert!(before.epoch > 0);

    let file = site.dir.path().join("backup");
    let file_arg = file.to_str().unwrap();
    site.admin(&["backup", file_arg]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "it holds the secret");
    let (ok, _, said) = site.admin_output(&["backup", file_arg]);
    assert!(!ok && said.contains("exists"), "an existing file is never overwritten: {said}");
    for title in ["lost 1", "lost 2"] {
        add_card(&server, &token, &pid, title).await;
    }
    if site.schema.is_none() {
        let (ok, _, said) = site.admin_output(&["restore", file_arg]);
        assert!(!ok && said.contains("already served"), "not under a running server: {said}");
    }
    server.stop();

    restore(&site, &file);
    let server = site.start(&[]);
    assert!(server.log().contains("backup's copy"), "the log says why the epoch is new:\n{}", server.log());
    let restored = board(&server, &token, &pid).await;
    assert_eq!(restored.tasks.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(), ["kept"]);
    assert_eq!(restored.rev, kept);
    assert_ne!(restored.epoch, before.epoch, "a new epoch");
    // The new history counts past the revisions a client may still hold.
    for title in ["after 1", "after 2", "after 3"] {
        add_card(&server, &token, &pid, title).await;
    }
    let held = kept + 2;
    let (status, body) = events(&server, &token, &pid, &format!("after={held}&epoch={}", before.epoch)).await;
    assert_eq!(status, 410, "{body}");
    assert!(body["error"].as_str().unwrap().contains("another history"), "{body}");
    let (status, body) =
        events(&server, &token, &pid, &format!("after={kept}&epoch={}", restored.epoch)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["events"].as_array().unwrap().len(), 3);

    // A second start is not a restore: the epoch stays.
    let mut server = server;
    server.stop();
    let server = site.start(&[]);
    assert_eq!(board(&server, &token, &pid).await.epoch, restored.epoch);
}

async fn cluster_new_id_gives_a_database_a_new_identity() {
    let site = Site::new();
    site.admin(&["user", "add", "ann"]);
    let shown = site.admin(&["cluster", "show"]);
    let renewed = site.admin(&["cluster", "new-id"]);
    let value = |text: &str, key: &str| {
        text.lines().find_map(|l| l.strip_prefix(&format!("{key}\t")).map(str::to_string)).unwrap()
    };
    for key in ["cluster", "epoch"] {
        assert_ne!(value(&shown, key), value(&renewed, key), "{key}");
    }
    assert_eq!(
        site.admin(&["cluster", "show"]).lines().take(2).collect::<Vec<_>>(),
        renewed.lines().collect::<Vec<_>>()
    );
    assert!(site.admin(&["user", "list"]).contains("ann"), "nothing else changed");
}

crate::both_stores!(
    a_restored_site_serves_its_boards_in_a_new_epoch_that_old_revisions_are_refused_in,
    cluster_new_id_gives_a_database_a_new_identity,
);
