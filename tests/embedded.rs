//! The embedded board outlives its host's window: the real `kanban-tui` in tmux
//! hosting a board that another `kanban-tui` joined, then quitting.

use crate::tmux::Tmux;
use crate::util::admin;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// A background server this test started, stopped when it ends.
struct Background(u32);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").arg(self.0.to_string()).status();
    }
}

/// The host's board in tmux window `me`, and bob on it in window `bob`.
fn host_with_bob(tmux: &Tmux, data: &std::path::Path, me: &tempfile::TempDir, them: &tempfile::TempDir) {
    let env = [
        ("KANBAN_CONFIG_DIR", me.path().to_str().unwrap()),
        ("KANBAN_STATE_DIR", me.path().to_str().unwrap()),
        ("USER", "host"),
    ];
    tmux.start("me", 110, 24, &format!("{BIN} --data-dir {} --port 0", data.display()), &env);
    let screen = tmux.wait_for("me", "the embedded board", false, |s| {
        s.contains("host's board") && s.contains("online") && s.contains("others join at")
    });
    let url = screen.split("others join at ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    // The admin commands beside the running board, as the join hint says.
    let bob = admin(data, &["user", "add", "bob"]);
    admin(data, &["project", "grant", "host's board", "bob"]);
    let env = [
        ("KANBAN_CONFIG_DIR", them.path().to_str().unwrap()),
        ("KANBAN_STATE_DIR", them.path().to_str().unwrap()),
    ];
    tmux.start("bob", 110, 24, &format!("KANBAN_TOKEN={bob} {BIN} --server {url}"), &env);
    tmux.wait_for("bob", "bob on the host's board", false, |s| {
        s.contains("host's board") && s.contains("online")
    });
    tmux.wait_for("me", "bob present", false, |s| s.lines().nth(1).is_some_and(|l| l.contains("bob")));
}

#[tokio::test(flavor = "multi_thread")]
async fn quitting_with_others_on_the_board_can_keep_it_served_in_the_background() {
    let data = tempfile::tempdir().unwrap();
    let (me, them) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let Some(tmux) = Tmux::new("outlives") else { return };
    host_with_bob(&tmux, data.path(), &me, &them);

    tmux.keys("me", &["q"]);
    tmux.wait_for("me", "the question", false, |s| {
        s.contains("1 other person is on this board (bob)") && s.contains("Keep serving it in the background")
    });
    tmux.keys("me", &["Enter"]);
    let screen = tmux.wait_for("me", "the background server", false, |s| s.contains("Stop it with: kill"));
    assert_eq!(tmux.wait_exit("me"), 0);
    let pid: u32 =
        screen.split("(process ").nth(1).and_then(|r| r.split(';').next()).unwrap().parse().unwrap();
    let _background = Background(pid);

    // bob's client reconnects to the background server, where his card is kept.
    tmux.keys("bob", &["n"]);
    tmux.wait_for("bob", "the card form", false, |s| s.contains("New card"));
    tmux.type_text("bob", "After the host left");
    tmux.keys("bob", &["Enter"]);
    tmux.wait_for("bob", "bob's card", false, |s| s.contains("After the host left") && s.contains("online"));

    // The host comes back later: this kanban-tui joins the running server.
    let env = [
        ("KANBAN_CONFIG_DIR", me.path().to_str().unwrap()),
        ("KANBAN_STATE_DIR", me.path().to_str().unwrap()),
        ("USER", "host"),
    ];
    tmux.start("again", 110, 24, &format!("{BIN} --data-dir {} --port 0", data.path().display()), &env);
    tmux.wait_for("again", "bob's card and bob, on the running server", false, |s| {
        s.contains("After the host left") && s.lines().nth(1).is_some_and(|l| l.contains("bob"))
    });
    // It does not serve, so quitting asks nothing: the background server stays.
    tmux.keys("again", &["q"]);
    assert_eq!(tmux.wait_exit("again"), 0);
    tmux.keys("bob", &["n"]);
    tmux.type_text("bob", "Still served");
    tmux.keys("bob", &["Enter"]);
    tmux.wait_for("bob", "another card", false, |s| s.contains("Still served") && s.contains("online"));
}

#[tokio::test(flavor = "multi_thread")]
async fn quitting_can_stop_the_board_and_says_whom_it_disconnects() {
    let data = tempfile::tempdir().unwrap();
    let (me, them) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let Some(tmux) = Tmux::new("stops") else { return };
    host_with_bob(&tmux, data.path(), &me, &them);
    tmux.keys("me", &["q"]);
    tmux.wait_for("me", "the question", false, |s| s.contains("Keep serving it in the background"));
    tmux.type_text("me", "s");
    tmux.keys("me", &["Enter"]);
    tmux.wait_for("me", "the stop", false, |s| s.contains("Stopped: bob disconnected."));
    assert_eq!(tmux.wait_exit("me"), 0);
    tmux.wait_for("bob", "bob offline", false, |s| s.contains("offline"));
    assert!(
        kanban_server::data_dir::serving(data.path()).is_none_or(|s| {
            let mut alive = std::process::Command::new("kill");
            alive.args(["-0", &s.pid.to_string()]).stderr(std::process::Stdio::null());
            alive.status().is_ok_and(|st| !st.success())
        }),
        "nobody serves the data any more"
    );
}
