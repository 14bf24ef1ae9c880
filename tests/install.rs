//! What a package installs beside `kanban-tui`: its shell completions and man
//! pages, printed by the binary itself into a pipe (no terminal needed) without
//! touching any state.

use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// Runs `kanban-tui` with no terminal at all: stdin closed, stdout and stderr piped.
fn run(state: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("KANBAN_STATE_DIR", state)
        .env("KANBAN_CONFIG_DIR", state)
        .stdin(Stdio::null())
        .output()
        .expect("run kanban-tui")
}

fn stdout_ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn completions_print_into_a_pipe() {
    let state = tempfile::tempdir().unwrap();
    let bash = stdout_ok(&run(state.path(), &["completions", "bash"]));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bash).unwrap();
    let checked = Command::new("bash").arg("-n").arg(file.path()).output().unwrap();
    assert!(checked.status.success(), "bash -n: {}", String::from_utf8_lossy(&checked.stderr));
    for word in ["kanban-tui", "login", "--server", "--project", "card", "--assignee", "--overdue"] {
        assert!(bash.contains(word), "{word} in the bash completion");
    }
    for shell in ["zsh", "fish"] {
        let script = stdout_ok(&run(state.path(), &["completions", shell]));
        assert!(script.contains("kanban-tui") && script.contains("login"), "{shell}: {script}");
    }
    let unknown = run(state.path(), &["completions", "csh"]);
    assert!(!unknown.status.success() && unknown.stdout.is_empty());
    let why = String::from_utf8_lossy(&unknown.stderr);
    assert!(why.contains("invalid value 'csh'") && why.contains("zsh"), "{why}");
    assert!(!why.contains("terminal"), "not refused for want of a terminal: {why}");
    assert_eq!(std::fs::read_dir(state.path()).unwrap().count(), 0, "no log, no login written");
}

#[test]
fn man_pages_print_into_a_pipe_or_a_directory() {
    let state = tempfile::tempdir().unwrap();
    let page = stdout_ok(&run(state.path(), &["man"]));
    // roff's preamble (`.ie`/`.el`, which defines the apostrophe) comes first.
    let first = page.lines().find(|l| !l.starts_with(".ie") && !l.starts_with(".el")).unwrap_or("");
    assert!(first.starts_with(".TH kanban-tui 1"), "{page}");
    for word in [r"\-\-server", "KANBAN_TOKEN", r"kanban\-tui\-login(1)"] {
        assert!(page.contains(word), "{word} in the man page");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run(state.path(), &["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success() && out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    for name in [
        "kanban-tui.1",
        "kanban-tui-login.1",
        "kanban-tui-card.1",
        "kanban-tui-card-add.1",
        "kanban-tui-board.1",
    ] {
        let page = std::fs::read_to_string(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(page.contains(".TH"), "{name}");
    }
    assert_eq!(std::fs::read_dir(state.path()).unwrap().count(), 0, "no log, no login written");
}
