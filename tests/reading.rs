//! Reading and finding cards in the real `kanban-tui`, in tmux on a 256-color
//! terminal: due dates and labels drawn at that depth, the compact toggle, a card's
//! view, a quick filter, someone pointing out of sight, and a viewer's footer.

use serde_json::json;

use crate::tmux::Tmux;
use crate::util::TestServer;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

#[tokio::test(flavor = "multi_thread")]
async fn reading_and_finding_cards_on_a_256_color_terminal() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let vic = server.user("vic").await;
    let pid = server.project("alpha", &["ann:owner", "bob:member", "vic:viewer"]).await;
    let me = server.get("/api/me", Some(&ann)).await.1["id"].as_i64().unwrap();
    let late = (jiff::Zoned::now().date() - jiff::Span::new().days(3)).to_string();
    let long = "Fix the login page when the password has spaces in it and other characters people type";
    let first = json!({
        "title": long, "description": "Steps: open the login page, type a password with spaces.",
        "labels": ["bug"], "due_date": late, "assignee_id": me,
    });
    let tasks = format!("/api/projects/{pid}/tasks");
    assert_eq!(server.rest("POST", &tasks, &ann, Some(first)).await.0, 201);
    for i in 0..30 {
        assert_eq!(
            server.rest("POST", &tasks, &ann, Some(json!({"title": format!("Card {i}")}))).await.0,
            201
        );
    }
    let url = server.url("");
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    let Some(tmux) = Tmux::new("reading") else { return };
    let run = |token: &str| {
        format!("env -u COLORTERM TERM=screen-256color KANBAN_TOKEN={token} {BIN} --server {url}")
    };
    tmux.start("ann", 100, 30, &run(&ann), &env);
    let screen = tmux.wait_for("ann", "the board", true, |s| s.contains("Card 0") && s.contains("online"));
    assert!(!screen.contains("38;2;") && !screen.contains("48;2;"), "no 24-bit color on 256:\n{screen}");
    let line = screen.lines().find(|l| l.contains("3 days overdue")).expect("the due date said");
    assert!(line.contains("38;5;1m"), "overdue in red: {line:?}");
    let label = &line[..line.find("#b").expect("the label, cut")];
    let sgr = &label[label.rfind("\x1b[").unwrap()..];
    assert!(
        sgr.starts_with("\x1b[38;5;") && !sgr.starts_with("\x1b[38;5;1m") && !sgr.starts_with("\x1b[38;5;8m"),
        "the label in a color of its own: {sgr:?}"
    );
    let plain = tmux.screen("ann", false);
    assert!(plain.contains('≡'), "the description is marked:\n{plain}");
    let roomy = (0..30).filter(|i| plain.contains(&format!("Card {i} "))).count();

    // The whole title in the card's view.
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the card's view", false, |s| {
        s.contains("people type") && s.contains("Steps: open the login page") && s.contains("e edit")
    });
    tmux.keys("ann", &["q"]);
    tmux.wait_for("ann", "the view closed", false, |s| !s.contains("Steps: open"));

    // Compact: more cards fit.
    tmux.keys("ann", &["z"]);
    let compact = tmux.wait_for("ann", "compact cards", false, |s| s.contains("Compact"));
    let shown = (0..30).filter(|i| compact.contains(&format!("Card {i} "))).count();
    assert!(shown > roomy + 5, "{roomy} roomy, {shown} compact:\n{compact}");

    // bob points at the last card, out of ann's sight: his marker is at the edge.
    let mut bob_client = kanban_tui::client::Client::start(
        kanban_tui::net::api::Api::new(&url, &bob),
        kanban_tui::app::App::new(60, None),
    );
    let bob_goes = tokio::spawn(async move {
        let end = kanban_tui::app::input::KeyEvent::new(
            kanban_tui::app::input::KeyCode::End,
            kanban_tui::app::input::KeyModifiers::NONE,
        );
        let mut pressed = false;
        loop {
            if bob_client.step().await == kanban_tui::client::Step::Quit {
                return;
            }
            if !pressed && bob_client.app.board.is_some() {
                pressed = true;
                let _ = bob_client.sender.send(kanban_tui::app::Action::Key(end)).await;
            }
        }
    });
    tmux.wait_for("ann", "bob's marker at the bottom edge", false, |s| {
        s.lines().any(|l| l.contains("↓ ") && l.contains(" more") && l.contains(" B "))
    });

    // A quick filter: ann's cards only.
    tmux.keys("ann", &["F"]);
    tmux.wait_for("ann", "the quick filters", false, |s| s.contains("my cards (@me)"));
    tmux.keys("ann", &["m"]);
    tmux.wait_for("ann", "ann's cards", false, |s| {
        s.contains("filter: @me") && s.contains("Todo 1 of 31") && !s.contains("Card 0")
    });

    // A viewer is offered no key that would change the board.
    tmux.start("vic", 100, 30, &run(&vic), &env);
    let screen = tmux.wait_for("vic", "vic's board", false, |s| s.contains("Card 0") && s.contains("online"));
    let footer = screen.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(
        footer.contains("Enter view") && !footer.contains("n new") && !footer.contains("e edit"),
        "{footer}"
    );
    bob_goes.abort();
}
