//! `kanban-tui board` and `kanban-tui card` as a script runs them: the real
//! binary as a process against a real server, on SQLite and PostgreSQL. Names
//! in any case, ambiguity and unknown names refused with the candidates, the
//! `--json` shapes, exit statuses, a description from stdin, a change retried
//! under its key made once, a viewer refused.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::util::TestServer;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// Runs `kanban-tui --server URL ARGS` as `token`, `stdin` given; its exit
/// status, stdout and stderr.
fn run(server: &TestServer, token: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let cfg = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("--server")
        .arg(server.url(""))
        .args(args)
        .env("KANBAN_TOKEN", token)
        .env("KANBAN_CONFIG_DIR", cfg.path())
        .env("KANBAN_STATE_DIR", cfg.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kanban-tui");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim_end().to_string();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The JSON a command printed, which must have succeeded.
fn json_of(server: &TestServer, token: &str, args: &[&str], stdin: &str) -> Value {
    let (status, out, err) = run(server, token, args, stdin);
    assert_eq!(status, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

async fn cards_by_names_with_json_and_exit_statuses() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.user("bob").await;
    let launch = server.project("Launch", &["ann:owner", "bob:member"]).await;
    server.project("Ops", &["ann:owner"]).await;
    server.project("Operations", &["ann:member"]).await;

    let boards = json_of(&server, &ann, &["board", "list", "--json"], "");
    let names: Vec<&str> = boards.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Launch", "Ops", "Operations"]);

    // Names in any case, a date in words, the description from stdin.
    let args = [
        "card",
        "add",
        "--project",
        "LAUNCH",
        "--column",
        "in prog",
        "--assignee",
        "Bob",
        "--priority",
        "high",
        "--label",
        "bug",
        "--label",
        "ui",
        "--due",
        "2030-01-02",
        "--description",
        "-",
        "--json",
        "Fix login",
    ];
    let made = json_of(&server, &ann, &args, "Steps:\n1. log in\n");
    assert_eq!(
        (&made["title"], &made["project"], &made["column"], &made["assignee"], &made["priority"]),
        (&json!("Fix login"), &json!("Launch"), &json!("In Progress"), &json!("bob"), &json!("high"))
    );
    assert_eq!((&made["labels"], &made["due_date"]), (&json!(["bug", "ui"]), &json!("2030-01-02")));
    assert_eq!(made["description"], "Steps:\n1. log in");
    let id = made["id"].as_i64().unwrap();
    let reference = format!("#{id}");

    // Refused: an ambiguous board, an unknown column, a person who is not a member.
    let (status, _, err) = run(&server, &ann, &["card", "add", "--project", "op", "X"], "");
    assert_eq!(status, 1);
    assert_eq!(err, "kanban-tui: \"op\" could be the board Ops or Operations: say which");
    let (status, _, err) =
        run(&server, &ann, &["card", "add", "--project", "Launch", "--column", "Later", "X"], "");
    assert_eq!(
        (status, err.as_str()),
        (1, "kanban-tui: no column named \"Later\"; there are: Todo, In Progress, Done")
    );
    let (status, _, err) =
        run(&server, &ann, &["card", "add", "--project", "Launch", "--assignee", "eve", "X"], "");
    assert_eq!((status, err.contains("no member named \"eve\"; there are: ann, bob")), (1, true), "{err}");
    let (status, _, err) =
        run(&server, &ann, &["card", "add", "--project", "Launch", "--due", "someday", "X"], "");
    assert_eq!((status, err.contains("\"someday\" is not a date")), (1, true), "{err}");
    // Usage: 2.
    let (status, _, _) = run(&server, &ann, &["card", "add", "X"], "");
    assert_eq!(status, 2, "--project is needed");
    let (status, _, _) = run(&server, &ann, &["card", "frob"], "");
    assert_eq!(status, 2);

    // Move to the top of Todo, comment from stdin, edit, show with the thread.
    let (status, before, _) =
        run(&server, &ann, &["card", "add", "--project", "Launch", "First in Todo"], "");
    assert_eq!(status, 0);
    assert!(before.starts_with('#') && before.contains("Launch / Todo  First in Todo"), "{before}");
    let moved = json_of(&server, &ann, &["card", "move", &reference, "--to", "todo", "--top", "--json"], "");
    assert_eq!(moved["column"], "Todo");
    let (_, listed, _) = run(&server, &ann, &["card", "list", "--project", "launch", "--column", "Todo"], "");
    let titles: Vec<&str> = listed.lines().map(|l| l.split("  ").nth(2).unwrap()).collect();
    assert_eq!(titles, ["Fix login", "First in Todo"], "{listed}");
    let said = json_of(&server, &ann, &["card", "comment", &reference, "-", "--json"], "on it\n");
    assert_eq!((&said["body"], &said["task_id"]), (&json!("on it"), &json!(id)));
    let edited = json_of(
        &server,
        &ann,
        &["card", "edit", &id.to_string(), "--due", "none", "--assignee", "none", "--json"],
        "",
    );
    assert_eq!((&edited["due_date"], &edited["assignee"]), (&Value::Null, &Value::Null));
    let shown = json_of(&server, &ann, &["card", "show", &reference, "--json"], "");
    assert_eq!(
        (&shown["comments"][0]["body"], &shown["comments"][0]["author"]),
        (&json!("on it"), &json!("ann"))
    );
    let (status, _, err) = run(&server, &ann, &["card", "edit", &reference], "");
    assert_eq!((status, err.contains("nothing to change")), (1, true), "{err}");

    // Filters.
    let (_, listed, _) = run(&server, &ann, &["card", "list", "--label", "BUG"], "");
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let (_, listed, _) = run(&server, &ann, &["card", "list", "--mine"], "");
    assert!(listed.is_empty(), "nothing assigned to ann: {listed}");

    // Delete: in the trash, then not found (1).
    let gone = json_of(&server, &ann, &["card", "delete", &reference, "--json"], "");
    assert_eq!(gone, json!({ "deleted": id }));
    let (status, _, err) = run(&server, &ann, &["card", "show", &reference], "");
    assert_eq!((status, err.as_str()), (1, "kanban-tui: task not found"));
    let (_, board) = server.get(&format!("/api/projects/{launch}/board"), Some(&ann)).await;
    assert_eq!(board["tasks"].as_array().unwrap().len(), 1);
}

async fn a_change_sent_again_under_its_key_is_made_once_and_a_viewer_is_refused() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let vic = server.user("vic").await;
    let pid = server.project("Launch", &["ann:owner", "vic:viewer"]).await;
    // The same command again under the same key, as a script retries one whose
    // answer it never saw: one card, and the same answer.
    let args = ["card", "add", "--project", "Launch", "--key", "hook-1234", "--json", "From a hook"];
    let first = json_of(&server, &ann, &args, "");
    let again = json_of(&server, &ann, &args, "");
    assert_eq!(first["id"], again["id"]);
    let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    assert_eq!(board["tasks"].as_array().unwrap().len(), 1);
    // A viewer reads and is refused a change, with the server's words.
    let (status, listed, _) = run(&server, &vic, &["card", "list"], "");
    assert_eq!((status, listed.contains("From a hook")), (0, true));
    let (status, _, err) = run(&server, &vic, &["card", "add", "--project", "Launch", "Mine"], "");
    assert_eq!((status, err.as_str()), (1, "kanban-tui: viewers cannot change the board"));
    // A wrong token: 1, said.
    let (status, _, err) = run(&server, "kb_wrong", &["board", "list"], "");
    assert_eq!(status, 1, "{err}");
}

crate::both_stores!(
    cards_by_names_with_json_and_exit_statuses,
    a_change_sent_again_under_its_key_is_made_once_and_a_viewer_is_refused,
);
