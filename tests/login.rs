//! `kanban-tui login`: the real binary checks a server and token before saving them.

use std::process::Command;

use crate::util::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tui_login_checks_and_saves_for_the_owner_only() {
    let server = TestServer::start().await;
    let token = server.user("ann").await;
    let config = tempfile::tempdir().unwrap();
    let login = |token: &str| {
        Command::new(env!("CARGO_BIN_EXE_kanban-tui"))
            .args(["login", "--server", &server.url(""), "--token", token])
            .env("KANBAN_CONFIG_DIR", config.path())
            .output()
            .unwrap()
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
