//! Working beside each other, as people do: who is editing a card, and following a
//! teammate's selection. The real `kanban-tui` twice in tmux on a real server.

use crate::tmux::Tmux;
use crate::util::TestServer;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// ann and bob on the board "alpha" with the cards given, in windows of their names.
async fn ann_and_bob(tmux: &Tmux, cards: &[&str]) -> (TestServer, tempfile::TempDir) {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let project = server.project("alpha", &["ann:owner", "bob:member"]).await;
    for title in cards {
        let (status, _) = server
            .rest(
                "POST",
                &format!("/api/projects/{project}/tasks"),
                &ann,
                Some(serde_json::json!({"title": title})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let url = server.url("");
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    tmux.start("ann", 100, 24, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.start("bob", 100, 24, &format!("KANBAN_TOKEN={bob} {BIN} --server {url}"), &env);
    for (who, other) in [("ann", "bob"), ("bob", "ann")] {
        tmux.wait_for(who, "the board with the other present", false, |s| {
            s.contains("online")
                && cards.iter().all(|c| s.contains(c))
                && s.lines().nth(1).is_some_and(|l| l.contains(other))
        });
    }
    (server, cfg)
}

/// The line of the screen with `text` on it.
fn line_with(screen: &str, text: &str) -> String {
    screen.lines().find(|l| l.contains(text)).unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn who_is_editing_a_card_shows_on_it_and_in_the_others_form() {
    let Some(tmux) = Tmux::new("editing") else { return };
    let (_server, _cfg) = ann_and_bob(&tmux, &["Shared card"]).await;
    // ann opens the card's form: bob sees the edit mark with her initial on it.
    tmux.keys("ann", &["e"]);
    tmux.wait_for("ann", "ann's form", false, |s| s.contains("Card #"));
    tmux.wait_for("bob", "ann editing", false, |s| line_with(s, "Shared card").contains("✎A"));
    // bob opens the same card: his form says ann is editing it.
    tmux.keys("bob", &["e"]);
    tmux.wait_for("bob", "the note in bob's form", false, |s| s.contains("ann is editing this card"));
    tmux.wait_for("ann", "the note in ann's form", false, |s| s.contains("bob is editing this card"));
    // ann closes hers: the note goes from bob's form.
    tmux.keys("ann", &["Escape"]);
    tmux.wait_for("bob", "the note gone", false, |s| s.contains("Card #") && !s.contains("ann is editing"));
    tmux.keys("bob", &["Escape"]);
    tmux.wait_for("bob", "no mark", false, |s| {
        !s.contains("Card #") && !line_with(s, "Shared card").contains('✎')
    });
    // ann opens it again and goes away with the form open: the mark goes with her.
    tmux.keys("ann", &["e"]);
    tmux.wait_for("bob", "ann editing again", false, |s| line_with(s, "Shared card").contains("✎A"));
    tmux.keys("ann", &["C-c"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
    tmux.wait_for("bob", "ann gone, and her mark", false, |s| {
        !line_with(s, "Shared card").contains('✎') && s.lines().nth(1).is_some_and(|l| !l.contains("ann"))
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn following_a_teammate_moves_the_selection_until_a_move_key() {
    let Some(tmux) = Tmux::new("follow") else { return };
    let (_server, _cfg) = ann_and_bob(&tmux, &["First", "Second", "Third"]).await;
    // The selection's mark: "▶" before the selected card's title.
    let selected = |s: &str, title: &str| {
        line_with(s, title).contains(&format!("▶{title}"))
            || line_with(s, title).contains(&format!("▶ {title}"))
    };
    tmux.wait_for("bob", "bob on the first card", false, |s| selected(s, "First"));
    tmux.keys("bob", &["f"]);
    tmux.wait_for("bob", "following ann", false, |s| s.contains("Following ann"));
    tmux.keys("ann", &["j", "j"]);
    tmux.wait_for("bob", "bob's selection where ann's is", false, |s| selected(s, "Third"));
    tmux.keys("ann", &["k"]);
    tmux.wait_for("bob", "and again", false, |s| selected(s, "Second"));
    // A move key of bob's own stops it.
    tmux.keys("bob", &["k"]);
    tmux.wait_for("bob", "stopped", false, |s| selected(s, "First") && s.contains("Stopped following ann"));
    tmux.keys("ann", &["j"]);
    tmux.wait_for("bob", "ann's marker moved on", false, |s| line_with(s, "Third").contains('A'));
    let screen = tmux.screen("bob", false);
    assert!(selected(&screen, "First"), "no longer following:\n{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_comment_shows_as_a_count_on_the_card_and_in_the_open_thread() {
    let Some(tmux) = Tmux::new("comments") else { return };
    let (_server, _cfg) = ann_and_bob(&tmux, &["Talk about me"]).await;
    tmux.keys("ann", &["c"]);
    tmux.wait_for("ann", "the comment prompt", false, |s| s.contains("Comment (Enter posts it"));
    tmux.type_text("ann", "Who takes this?");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("bob", "the count on the card", false, |s| line_with(s, "Talk about me").contains("✉1"));
    // bob opens the card: the thread is there, and ann's next comment comes into it.
    tmux.keys("bob", &["Enter"]);
    tmux.wait_for("bob", "the thread", false, |s| {
        s.contains("Comments (1)") && s.contains("Who takes this?")
    });
    tmux.keys("ann", &["c"]);
    tmux.type_text("ann", "Or shall I?");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("bob", "the thread, live", false, |s| {
        s.contains("Comments (2)") && s.contains("Or shall I?")
    });
    // bob answers from the view, and is back in it.
    tmux.keys("bob", &["c"]);
    tmux.type_text("bob", "Mine.");
    tmux.keys("bob", &["Enter"]);
    tmux.wait_for("bob", "bob's comment in the thread", false, |s| {
        s.contains("Comments (3)") && s.contains("Mine.")
    });
    tmux.wait_for("ann", "the count on ann's card", false, |s| line_with(s, "Talk about me").contains("✉3"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_history_says_who_did_what_and_the_card_keeps_its_own() {
    let Some(tmux) = Tmux::new("history") else { return };
    let (_server, _cfg) = ann_and_bob(&tmux, &["Fix login"]).await;
    tmux.keys("ann", &["L"]);
    tmux.wait_for("bob", "the move", false, |s| s.contains("In Progress 1"));
    tmux.keys("bob", &["A"]);
    tmux.wait_for("bob", "the history", false, |s| {
        s.contains("History")
            && s.contains("ann moved “Fix login” from Todo to In Progress")
            && s.contains("ann added “Fix login” to Todo")
    });
    // It takes in what happens while it is open.
    tmux.keys("ann", &["c"]);
    tmux.type_text("ann", "Done soon");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("bob", "the comment in the history", false, |s| s.contains("ann commented on “Fix login”"));
    tmux.keys("bob", &["Escape"]);
    tmux.wait_for("bob", "the history closed", false, |s| !s.contains("ann commented on"));
    // The card's own history is in its view (bob's selection went with the card).
    tmux.keys("bob", &["Enter"]);
    tmux.wait_for("bob", "the card's history", false, |s| {
        s.contains("Card #")
            && s.contains("ann moved “Fix login” from Todo to In Progress")
            && s.contains("Done soon")
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn following_goes_along_to_another_board() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    server.project("alpha", &["ann:owner", "bob:member"]).await;
    server.project("beta", &["ann:owner", "bob:member"]).await;
    let url = server.url("");
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    let Some(tmux) = Tmux::new("follow-project") else { return };
    tmux.start("ann", 100, 24, &format!("KANBAN_TOKEN={ann} {BIN} --server {url} --project alpha"), &env);
    tmux.start("bob", 100, 24, &format!("KANBAN_TOKEN={bob} {BIN} --server {url} --project alpha"), &env);
    tmux.wait_for("bob", "ann on alpha", false, |s| {
        s.contains("alpha") && s.contains("online") && s.lines().nth(1).is_some_and(|l| l.contains("ann"))
    });
    tmux.keys("bob", &["f"]);
    tmux.wait_for("bob", "following ann", false, |s| s.contains("Following ann"));
    // ann opens beta from her picker; bob's board goes there with her.
    tmux.keys("ann", &["P"]);
    tmux.wait_for("ann", "the picker", false, |s| s.contains("Open a project"));
    tmux.keys("ann", &["Down", "Enter"]);
    tmux.wait_for("ann", "ann on beta", false, |s| s.lines().next().is_some_and(|l| l.contains("beta")));
    tmux.wait_for("bob", "bob on beta with ann", false, |s| {
        s.lines().next().is_some_and(|l| l.contains("beta"))
            && s.to_lowercase().contains("following ann")
            && s.lines().nth(1).is_some_and(|l| l.contains("ann"))
    });
}
