//! The real `kanban-tui` binary in real terminals (tmux), two side by side, as a
//! new user would run it. Polling the screen is the only way to see a terminal;
//! every wait has a deadline.

use crate::util::TestServer;
use crate::util::tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// The escape sequence of a `#rrggbb` foreground, as tmux reports it.
fn fg(hex: &str) -> String {
    let (r, g, b) = kanban_protocol::color::rgb(hex).unwrap();
    format!("38;2;{r};{g};{b}")
}

fn bg(hex: &str) -> String {
    let (r, g, b) = kanban_protocol::color::rgb(hex).unwrap();
    format!("48;2;{r};{g};{b}")
}

#[tokio::test(flavor = "multi_thread")]
async fn two_terminals_share_a_board_live() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    server.project("alpha", &["ann:owner", "bob:member"]).await;
    let ann_color = server.get("/api/me", Some(&ann)).await.1["color"].as_str().unwrap().to_string();
    let url = server.url("");
    let tmux = Tmux::new("share");
    let cfg = tempfile::tempdir().unwrap();
    let env = [("KANBAN_CONFIG_DIR", cfg.path().to_str().unwrap())];
    tmux.start("ann", 100, 24, &format!("{BIN} --server {url} --token {ann}"), &env);
    tmux.start("bob", 100, 24, &format!("{BIN} --server {url} --token {bob}"), &env);
    for who in ["ann", "bob"] {
        tmux.wait_for(who, "the board", false, |s| {
            s.contains("alpha") && s.contains("Todo") && s.contains("online")
        });
    }

    // bob sees ann in the presence bar, in her color.
    tmux.wait_for("bob", "ann present in her color", true, |s| {
        s.lines().nth(1).is_some_and(|l| l.contains(&fg(&ann_color)) && l.contains("ann"))
    });

    // ann makes a card: it shows in bob's terminal without a key press there.
    tmux.keys("ann", &["n"]);
    tmux.wait_for("ann", "the card form", false, |s| s.contains("New card"));
    tmux.type_text("ann", "Ship it");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("bob", "ann's card", false, |s| s.contains("Ship it"));

    // ann's cursor sits on that card: bob sees her initial there, on her color.
    tmux.wait_for("bob", "ann's marker on the card", true, |s| {
        s.lines().any(|l| l.contains("Ship it") && l.contains(&bg(&ann_color)) && l.contains('A'))
    });

    // ann moves it right; bob's screen follows.
    tmux.keys("ann", &["L"]);
    tmux.wait_for("bob", "the card in In Progress", false, |s| s.contains("In Progress 1"));

    // The help overlay lists the keys.
    tmux.keys("bob", &["?"]);
    tmux.wait_for("bob", "the help", false, |s| s.contains("Keys") && s.contains("move the card"));
    tmux.keys("bob", &["Escape"]);
    tmux.wait_for("bob", "the help closed", false, |s| !s.contains("move the card"));

    // ann quits: her terminal is given back cleanly, and bob sees her go.
    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
    tmux.wait_for("bob", "ann gone", false, |s| s.lines().nth(1).is_some_and(|l| !l.contains("ann")));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_run_command_opens_a_working_board_with_nothing_else() {
    let data = tempfile::tempdir().unwrap();
    let cfg = tempfile::tempdir().unwrap();
    let tmux = Tmux::new("embedded");
    let env = [("KANBAN_CONFIG_DIR", cfg.path().to_str().unwrap()), ("USER", "newcomer")];
    let command = format!("{BIN} --data-dir {} --port 0", data.path().display());
    tmux.start("me", 110, 24, &command, &env);
    let screen = tmux.wait_for("me", "the embedded board", false, |s| {
        s.contains("newcomer's board") && s.contains("In Progress") && s.contains("online")
    });
    assert!(screen.contains("others join at http://127.0.0.1:"), "{screen}");
    tmux.keys("me", &["n"]);
    tmux.type_text("me", "First card");
    tmux.keys("me", &["Enter"]);
    tmux.wait_for("me", "the card", false, |s| s.contains("First card") && s.contains("Todo 1"));
    tmux.keys("me", &["?"]);
    // 24 lines hold the keys but not all of how others join: the help scrolls.
    tmux.wait_for("me", "the help", false, |s| s.contains("move the selection") && s.contains("↓↑ scroll"));
    tmux.keys("me", &["Down"; 8]);
    tmux.wait_for("me", "how others join", false, |s| {
        s.contains("project grant") && s.contains("user add") && s.contains("--token TOKEN")
    });
    // Escape alone (followed at once by a key it would read as Alt+key).
    tmux.keys("me", &["Escape"]);
    tmux.wait_for("me", "the help closed", false, |s| !s.contains("project grant"));
    tmux.keys("me", &["q"]);
    assert_eq!(tmux.wait_exit("me"), 0);
}
