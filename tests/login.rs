//! `kanban-tui login`: the real binary checks a server and token before saving them,
//! and takes the token from stdin, never from its command line.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::util::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tui_login_checks_and_saves_for_the_owner_only() {
    let server = TestServer::start().await;
    let token = server.user("ann").await;
    let config = tempfile::tempdir().unwrap();
    let login = |token: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kanban-tui"))
            .args(["login", "--server", &server.url("")])
            .env("KANBAN_CONFIG_DIR", config.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // As `ssh host kanban-server user token ann | kanban-tui login ...` gives it.
        child.stdin.take().unwrap().write_all(format!("{token}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let refused = login("kb_wrong");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("invalid token"), "{said}");
    assert!(!config.path().join("login.json").exists(), "nothing saved for a wrong token");
    let out = login(&token);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = config.path().join("login.json");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["token"], token.as_str());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
}

/// A token on the command line is refused, before anything is tried, with the way
/// that keeps it out of `ps` and shell history.
#[test]
fn a_token_on_the_command_line_is_refused_with_the_way_that_keeps_it_secret() {
    let config = tempfile::tempdir().unwrap();
    for args in [
        &["--server", "http://127.0.0.1:9", "--token", "kb_secret"][..],
        &["login", "--server", "http://127.0.0.1:9", "--token", "kb_secret"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kanban-tui"))
            .args(args)
            .env("KANBAN_CONFIG_DIR", config.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {said}");
        assert!(said.contains("kanban-tui login") && said.contains("KANBAN_TOKEN"), "{args:?}: {said}");
        assert!(!said.contains("kb_secret"), "the token is not said back: {said}");
    }
    // Nothing on stdin: nothing to log in with.
    let out = Command::new(env!("CARGO_BIN_EXE_kanban-tui"))
        .args(["login", "--server", "http://127.0.0.1:9"])
        .env("KANBAN_CONFIG_DIR", config.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token given"));
    assert!(!config.path().join("login.json").exists());
}

/// What the command line says wins over what was saved: with a login saved,
/// `--data-dir` (or `--port`) opens the board served in this process on that
/// directory, and says so in the title bar; given beside `--server`, the two are
/// refused at once, with why. A server given says which it is, too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_win_over_the_saved_login_and_the_board_says_its_server() {
    let Some(tmux) = crate::tmux::Tmux::new("flags") else { return };
    let server = TestServer::start().await;
    let token = server.user("ann").await;
    server.project("remote board", &["ann:owner"]).await;
    let config = tempfile::tempdir().unwrap();
    settings_saved(&config, &server.url(""), &token);
    let data = tempfile::tempdir().unwrap();
    let dir = config.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir), ("USER", "ann")];
    let bin = env!("CARGO_BIN_EXE_kanban-tui");

    // The saved login: its server, said.
    tmux.start("saved", 120, 24, bin, &env);
    let host = server.url("").trim_start_matches("http://").to_string();
    tmux.wait_for("saved", "the saved server's board", false, |s| {
        s.contains("remote board") && s.contains(&format!("on {host}"))
    });
    // --data-dir: the board of this process on that directory, whatever is saved.
    let local = format!("{bin} --data-dir {} --port 0", data.path().display());
    tmux.start("local", 120, 24, &local, &env);
    let screen = tmux.wait_for("local", "the embedded board", false, |s| s.contains("on here,"));
    assert!(!screen.contains("remote board"), "{screen}");
    assert!(data.path().join(kanban_server::DATABASE_FILE).exists(), "served from the directory given");
    // Both: refused, with why, before anything is opened (a terminal or not).
    let out = Command::new(bin)
        .args(["--server", &server.url(""), "--data-dir"])
        .arg(data.path())
        .env("KANBAN_CONFIG_DIR", config.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--data-dir is for the board served in this process"), "{said}");
}

/// A login saved in `config` as `kanban-tui login` saves it.
fn settings_saved(config: &tempfile::TempDir, server: &str, token: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kanban-tui"))
        .args(["login", "--server", server])
        .env("KANBAN_CONFIG_DIR", config.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{token}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
