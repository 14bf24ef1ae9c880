//! Reaching people, in the real `kanban-tui` in tmux on a real server: bob's
//! unread count rises when ann mentions him, and his inbox takes him to the card on
//! another board; the cards changed since he last looked are marked after he
//! starts his client again; his work across three boards is one list.

use serde_json::json;

use crate::tmux::Tmux;
use crate::util::TestServer;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// A card made over REST by `token`; its id.
async fn card(server: &TestServer, token: &str, pid: i64, body: serde_json::Value) -> i64 {
    let (status, made) = server.rest("POST", &format!("/api/projects/{pid}/tasks"), token, Some(body)).await;
    assert_eq!(status, 201, "{made}");
    made["task"]["id"].as_i64().unwrap()
}

/// Starts kanban-tui as `token` in the window `window`, on `project`.
fn start(
    tmux: &Tmux,
    server: &TestServer,
    cfg: &tempfile::TempDir,
    window: &str,
    token: &str,
    project: &str,
) {
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    let url = server.url("");
    tmux.start(
        window,
        110,
        26,
        &format!("KANBAN_TOKEN={token} {BIN} --server {url} --project {project}"),
        &env,
    );
    tmux.wait_for(window, "the board, online", false, |s| s.contains("online") && s.contains(project));
}

/// The first line of the screen (the title bar).
fn title(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mention_raises_the_unread_count_and_the_inbox_goes_to_the_card_on_its_board() {
    let Some(tmux) = Tmux::new("mention") else { return };
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    server.project("alpha", &["ann:owner", "bob:member"]).await;
    let beta = server.project("beta", &["ann:owner", "bob:member"]).await;
    card(&server, &ann, beta, json!({"title": "Top of beta"})).await;
    let asked = card(&server, &ann, beta, json!({"title": "Reproduce the crash"})).await;
    let cfg = tempfile::tempdir().unwrap();
    start(&tmux, &server, &cfg, "bob", &bob, "alpha");
    let screen = tmux.screen("bob", false);
    assert!(title(&screen).contains("✉ 0"), "nothing unread yet: {screen}");

    // ann mentions bob on a card of the other board: his count rises at once.
    let path = format!("/api/tasks/{asked}/comments");
    let (status, body) =
        server.rest("POST", &path, &ann, Some(json!({"body": "@bob can you reproduce this?"}))).await;
    assert_eq!(status, 201, "{body}");
    tmux.wait_for("bob", "one unread", false, |s| title(s).contains("✉ 1"));

    // The inbox says it; Enter opens beta with the card selected, and it is read.
    tmux.keys("bob", &["i"]);
    tmux.wait_for("bob", "the inbox", false, |s| {
        s.contains("ann mentioned you in a comment on “Reproduce the crash”")
    });
    tmux.keys("bob", &["Enter"]);
    tmux.wait_for("bob", "beta with the card selected", false, |s| {
        title(s).contains("beta") && s.lines().any(|l| l.contains("▶") && l.contains("Reproduce the crash"))
    });
    tmux.wait_for("bob", "nothing unread", false, |s| title(s).contains("✉ 0"));
    let (_, unread) = server.get("/api/notifications/unread", Some(&bob)).await;
    assert_eq!(unread["unread"], 0, "read on the server too");
    tmux.keys("bob", &["q"]);
    assert_eq!(tmux.wait_exit("bob"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn cards_changed_since_the_last_look_are_marked_after_a_restart() {
    let Some(tmux) = Tmux::new("since") else { return };
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("alpha", &["ann:owner", "bob:member"]).await;
    let quiet = card(&server, &ann, pid, json!({"title": "Quiet card"})).await;
    let busy = card(&server, &ann, pid, json!({"title": "Busy card"})).await;
    let _ = quiet;
    let cfg = tempfile::tempdir().unwrap();
    start(&tmux, &server, &cfg, "bob", &bob, "alpha");
    tmux.keys("bob", &["q"]);
    assert_eq!(tmux.wait_exit("bob"), 0);

    // While he is away, ann edits one card twice and comments on it.
    let (status, _) =
        server.rest("PATCH", &format!("/api/tasks/{busy}"), &ann, Some(json!({"priority": "high"}))).await;
    assert_eq!(status, 200);
    let (status, _) =
        server.rest("PATCH", &format!("/api/tasks/{busy}"), &ann, Some(json!({"labels": ["ops"]}))).await;
    assert_eq!(status, 200);
    let path = format!("/api/tasks/{busy}/comments");
    let (status, _) = server.rest("POST", &path, &ann, Some(json!({"body": "done?"}))).await;
    assert_eq!(status, 201);

    start(&tmux, &server, &cfg, "bob2", &bob, "alpha");
    let screen = tmux.wait_for("bob2", "the mark and the count", false, |s| {
        s.contains("3 changes since") && s.lines().any(|l| l.contains('•') && l.contains("Busy card"))
    });
    assert!(!screen.lines().any(|l| l.contains('•') && l.contains("Quiet card")), "{screen}");
    // X clears the marks.
    tmux.keys("bob2", &["X"]);
    tmux.wait_for("bob2", "no marks", false, |s| {
        !s.lines().any(|l| l.contains('•') && l.contains("Busy card"))
    });
    tmux.keys("bob2", &["q"]);
    assert_eq!(tmux.wait_exit("bob2"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn my_work_lists_my_cards_of_three_boards_and_goes_to_one() {
    let Some(tmux) = Tmux::new("work") else { return };
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let bob_id = server.get("/api/me", Some(&bob)).await.1["id"].as_i64().unwrap();
    let mut boards = Vec::new();
    for (name, title, due) in [
        ("alpha", "Alpha task", "2030-03-01"),
        ("beta", "Beta task", "2020-01-01"),
        ("gamma", "Gamma task", "2030-01-01"),
    ] {
        let pid = server.project(name, &["ann:owner", "bob:member"]).await;
        card(&server, &ann, pid, json!({"title": format!("Not mine on {name}")})).await;
        card(&server, &ann, pid, json!({"title": title, "assignee_id": bob_id, "due_date": due})).await;
        boards.push(pid);
    }
    let cfg = tempfile::tempdir().unwrap();
    start(&tmux, &server, &cfg, "bob", &bob, "alpha");
    tmux.keys("bob", &["m"]);
    let screen = tmux.wait_for("bob", "my work", false, |s| {
        ["Alpha task", "Beta task", "Gamma task"].iter().all(|t| s.contains(t)) && s.contains("overdue")
    });
    let list = &screen[screen.find("My work").unwrap()..];
    let at = |t: &str| list.find(t).unwrap();
    // Grouped by board, the overdue one first.
    assert!(at("Beta task") < at("Gamma task") && at("Gamma task") < at("Alpha task"), "{screen}");
    assert!(!list.contains("Not mine"), "{screen}");
    // Down to gamma's, Enter: gamma opens with it selected.
    tmux.keys("bob", &["Down", "Enter"]);
    tmux.wait_for("bob", "gamma with the card selected", false, |s| {
        title(s).contains("gamma") && s.lines().any(|l| l.contains("▶") && l.contains("Gamma task"))
    });
    tmux.keys("bob", &["q"]);
    assert_eq!(tmux.wait_exit("bob"), 0);
}
