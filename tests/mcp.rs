//! `kanban-tui mcp` driven by an MCP client nobody here wrote: the reference
//! Python SDK (`mcp`, pinned in tests/mcp/requirements.txt) runs
//! tests/mcp/client.py, which lists the tools and resources, makes a card, moves
//! it, comments on it and reads it back, while bob's kanban-tui in tmux sees the
//! card arrive and move. A viewer's agent reads and is refused a change.

use std::process::Command;

use serde_json::{Value, json};

use crate::tmux::Tmux;
use crate::util::TestServer;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// The Python with the MCP SDK (`KANBAN_TEST_PYTHON`, or `python3`); `None`
/// (skipped, said) where it has not, unless every test must run.
fn python() -> Option<String> {
    let python = std::env::var("KANBAN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let has = Command::new(&python).args(["-c", "import mcp"]).output().is_ok_and(|o| o.status.success());
    if has {
        return Some(python);
    }
    let why = "the MCP test drives kanban-tui mcp with the reference Python SDK: \
               pip install -r tests/mcp/requirements.txt (KANBAN_TEST_PYTHON names its python)";
    assert!(std::env::var_os("KANBAN_TEST_REQUIRE_SERVICES").is_none(), "{why}");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "mcp: skipped, {python} has no mcp module: {why}");
    None
}

/// What the client saw, run as `token`.
fn client(python: &str, server: &TestServer, token: &str) -> Value {
    let cfg = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/client.py");
    let out = Command::new(python)
        .args([script, BIN, "--server", &server.url("")])
        .env("KANBAN_TOKEN", token)
        .env("KANBAN_CONFIG_DIR", cfg.path())
        .env("KANBAN_STATE_DIR", cfg.path())
        .output()
        .expect("run the MCP client");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the client failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(said.trim()).unwrap_or_else(|e| panic!("{e}: {said}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_makes_and_moves_a_card_that_a_teammate_sees_live() {
    let Some(python) = python() else { return };
    let Some(tmux) = Tmux::new("mcp") else { return };
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let vic = server.user("vic").await;
    let pid = server.project("Launch", &["ann:owner", "bob:member", "vic:viewer"]).await;
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    let url = server.url("");
    tmux.start("bob", 100, 24, &format!("KANBAN_TOKEN={bob} {BIN} --server {url} --project Launch"), &env);
    tmux.wait_for("bob", "bob's board", false, |s| s.contains("online") && s.contains("Launch"));

    let seen = client(&python, &server, &ann);
    let tools: Vec<&str> = seen["tools"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(
        tools,
        [
            "comment_card",
            "create_card",
            "edit_card",
            "list_boards",
            "list_cards",
            "move_card",
            "my_work",
            "show_card"
        ]
    );
    assert_eq!(seen["resources"], json!([format!("kanban://board/{pid}")]));
    assert_eq!(seen["boards"][0]["name"], "Launch");
    let made = &seen["made"];
    assert_eq!(
        (&made["title"], &made["column"], &made["labels"]),
        (&json!("From an agent"), &json!("Todo"), &json!(["agent"]))
    );
    assert_eq!(seen["moved"]["column"], "In Progress");
    assert_eq!(seen["comment"]["body"], "picked up");
    assert_eq!(seen["shown"]["comments"][0]["author"], "ann");
    assert_eq!(seen["found"].as_array().unwrap().len(), 1, "found by a word of its title, in another case");
    assert_eq!(seen["refused"], json!({"error": "task not found"}));
    assert_eq!(seen["resource"]["columns"][1]["name"], "In Progress");
    assert_eq!(seen["resource"]["cards"][0]["title"], "From an agent");

    // bob saw it come and go to In Progress: the middle of his three columns.
    tmux.wait_for("bob", "the agent's card in In Progress", false, |s| {
        s.lines()
            .any(|l| l.find("From an agent").is_some_and(|at| (34..67).contains(&l[..at].chars().count())))
    });

    // A viewer's agent reads, and is refused a change with the server's words.
    let seen = client(&python, &server, &vic);
    assert_eq!(seen["boards"][0]["role"], "viewer");
    assert_eq!(seen["made"], json!({"error": "viewers cannot change the board"}));
}
