//! The real `kanban-tui` binary in real terminals (tmux), two side by side, as a
//! new user would run it. Polling the screen is the only way to see a terminal;
//! every wait has a deadline.

use crate::tmux::Tmux;
use crate::util::TestServer;

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
    let Some(tmux) = Tmux::new("share") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let env = [
        ("KANBAN_CONFIG_DIR", cfg.path().to_str().unwrap()),
        ("KANBAN_STATE_DIR", cfg.path().to_str().unwrap()),
        // A terminal that says it shows 24-bit color gets it.
        ("COLORTERM", "truecolor"),
    ];
    tmux.start("ann", 100, 24, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.start("bob", 100, 24, &format!("KANBAN_TOKEN={bob} {BIN} --server {url}"), &env);
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
    let Some(tmux) = Tmux::new("embedded") else { return };
    let env = [
        ("KANBAN_CONFIG_DIR", cfg.path().to_str().unwrap()),
        ("KANBAN_STATE_DIR", cfg.path().to_str().unwrap()),
        ("USER", "newcomer"),
    ];
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
    tmux.keys("me", &["Down"; 30]);
    tmux.wait_for("me", "how others join", false, |s| {
        s.contains("project grant") && s.contains("user add") && s.contains("kanban-tui login --server")
    });
    // Escape alone (followed at once by a key it would read as Alt+key).
    tmux.keys("me", &["Escape"]);
    tmux.wait_for("me", "the help closed", false, |s| !s.contains("project grant"));
    tmux.keys("me", &["q"]);
    assert_eq!(tmux.wait_exit("me"), 0);
}

/// The columns of `line` at which `c` appears, counting each character's width as
/// the terminal (tmux) does.
fn columns_of(line: &str, c: char) -> Vec<usize> {
    use unicode_width::UnicodeWidthChar;
    let mut x = 0;
    let mut found = Vec::new();
    for ch in line.chars() {
        if ch == c {
            found.push(x);
        }
        x += ch.width().unwrap_or(0);
    }
    found
}

/// Titles with emoji that terminals and layouts measure differently (joined
/// families, hearts with a variation selector, skin tones, flags) leave every
/// border where it belongs, also as the selection moves over them.
#[tokio::test(flavor = "multi_thread")]
async fn emoji_titles_keep_the_borders_in_place() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:owner"]).await;
    let titles = [
        "family 👨\u{200D}👩\u{200D}👧 trip",
        "love ❤\u{FE0F} it",
        "ok 👍🏽 done",
        "flags 🇫🇷🇩🇪 and 🇮",
        "keycap 1\u{FE0F}\u{20E3} end",
    ];
    for title in titles {
        let (status, _) = server
            .rest(
                "POST",
                &format!("/api/projects/{pid}/tasks"),
                &ann,
                Some(serde_json::json!({"title": title})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let url = server.url("");
    let Some(tmux) = Tmux::new("emoji") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let env = [
        ("KANBAN_CONFIG_DIR", cfg.path().to_str().unwrap()),
        ("KANBAN_STATE_DIR", cfg.path().to_str().unwrap()),
    ];
    tmux.start("ann", 96, 30, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    let mut screen =
        tmux.wait_for("ann", "the board", false, |s| s.contains("keycap") && s.contains("online"));
    for step in 0..titles.len() {
        // Where the top border puts the columns' edges, every row of cards keeps them.
        let lines: Vec<&str> = screen.lines().collect();
        let top = lines.iter().position(|l| l.contains("Todo")).expect("the column headers");
        let corners = columns_of(lines[top], '╮');
        assert_eq!(corners.len(), 3, "three columns: {}", lines[top]);
        for line in &lines[top + 1..] {
            let edges = columns_of(line, '│');
            if edges.is_empty() || line.contains('╰') {
                continue;
            }
            for corner in &corners {
                assert!(edges.contains(corner), "step {step}: a border moved in {line:?}\n{screen}");
            }
        }
        if step + 1 < titles.len() {
            // The selection moves down onto the next card.
            let next = titles[step + 1].split(' ').next().unwrap();
            tmux.keys("ann", &["j"]);
            screen = tmux.wait_for("ann", "the selection on the next card", false, |s| {
                s.lines().any(|l| l.contains(&format!("▶{next}")))
            });
        }
    }
    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
}

/// Revoked while looking: the board leaves the screen, the reason shows, and a key
/// brings it back once access is given again.
#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_member_sees_the_board_go_and_why() {
    let server = TestServer::start().await;
    let bob = server.user("bob").await;
    let pid = server.project("alpha", &["bob:member"]).await;
    let card = serde_json::json!({"title": "Secret plan"});
    let (status, _) = server.rest("POST", &format!("/api/projects/{pid}/tasks"), &bob, Some(card)).await;
    assert_eq!(status, 201);
    let url = server.url("");
    let Some(tmux) = Tmux::new("revoked") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let env = [
        ("KANBAN_CONFIG_DIR", cfg.path().to_str().unwrap()),
        ("KANBAN_STATE_DIR", cfg.path().to_str().unwrap()),
    ];
    tmux.start("bob", 100, 24, &format!("KANBAN_TOKEN={bob} {BIN} --server {url}"), &env);
    tmux.wait_for("bob", "the board", false, |s| s.contains("Secret plan") && s.contains("online"));
    let store = server.server.store().clone();
    kanban_server::admin::project_revoke(store.as_ref(), "alpha", "bob").await.unwrap();
    let screen = tmux.wait_for("bob", "the refusal", false, |s| s.contains("No access to this project"));
    assert!(!screen.contains("Secret plan") && !screen.contains("Todo"), "the board is gone:\n{screen}");
    assert!(screen.contains("Press any key to try again") && screen.contains("refused"), "{screen}");
    kanban_server::admin::project_grant(store.as_ref(), "alpha", "bob", "member".parse().unwrap())
        .await
        .unwrap();
    tmux.keys("bob", &["Space"]);
    tmux.wait_for("bob", "the board again", false, |s| s.contains("Secret plan") && s.contains("online"));
    tmux.keys("bob", &["q"]);
    assert_eq!(tmux.wait_exit("bob"), 0);
}

/// In the real terminal: a value the server would refuse keeps the form open with
/// the reason beside its field, and Esc on a form with changes asks first.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_value_stays_in_the_form_esc_asks_and_the_trash_and_undo_work() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:owner"]).await;
    let url = server.url("");
    let Some(tmux) = Tmux::new("form") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let env = [
        ("KANBAN_CONFIG_DIR", cfg.path().to_str().unwrap()),
        ("KANBAN_STATE_DIR", cfg.path().to_str().unwrap()),
    ];
    tmux.start("ann", 100, 30, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.wait_for("ann", "the board", false, |s| s.contains("Todo") && s.contains("online"));
    tmux.keys("ann", &["n"]);
    tmux.wait_for("ann", "the card form", false, |s| s.contains("New card"));
    tmux.type_text("ann", "Launch party");
    tmux.keys("ann", &["Tab", "Tab", "Tab", "Tab", "Tab"]);
    tmux.type_text("ann", "2026-13-45");
    tmux.keys("ann", &["Enter"]);
    let screen = tmux.wait_for("ann", "the due date marked, and why", false, |s| {
        s.lines().any(|l| l.contains("Due (YYYY-MM-DD, fri, +3d)") && l.contains('✕'))
            && s.contains("✕ Due: due_date \"2026-13-45\" is not a date")
    });
    assert!(screen.contains("Launch party"), "the title is still there:\n{screen}");
    tmux.keys("ann", &["Escape"]);
    tmux.wait_for("ann", "the question", false, |s| s.contains("Discard your changes? (y/n)"));
    tmux.keys("ann", &["n"]);
    tmux.wait_for("ann", "back in the form", false, |s| {
        !s.contains("Discard your") && s.contains("Launch party")
    });
    // Ctrl-C asks too, and "no" keeps it all.
    tmux.keys("ann", &["C-c"]);
    tmux.wait_for("ann", "the quit question", false, |s| s.contains("Quit, and lose your changes? (y/n)"));
    tmux.keys("ann", &["n"]);
    tmux.wait_for("ann", "back in the form again", false, |s| {
        !s.contains("Quit, and lose") && s.contains("Launch party")
    });
    // Fixed in words, the form says the date it understood, and saves it.
    for _ in 0..10 {
        tmux.keys("ann", &["BSpace"]);
    }
    tmux.type_text("ann", "fri");
    let fridays = days_from_today(|today| {
        (1..=7)
            .map(|n| today + jiff::Span::new().days(n))
            .find(|d| d.weekday() == jiff::civil::Weekday::Friday)
    });
    tmux.wait_for("ann", "the date understood", false, |s| {
        fridays.iter().any(|d| s.contains(&format!("Due: {}", d.strftime("%a %Y-%m-%d"))))
    });
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the card on the board", false, |s| {
        s.contains("Todo 1") && s.contains("Launch party")
    });
    // The board shows a change before the server has it: asked until it does.
    due_comes_to(&server, &ann, pid, &fridays).await;
    // `+3d` in the card's form, opened again.
    tmux.keys("ann", &["e"]);
    tmux.wait_for("ann", "the card's form", false, |s| s.contains("Due: ") && s.contains("Launch party"));
    tmux.keys("ann", &["Tab", "Tab", "Tab", "Tab", "Tab", "End"]);
    for _ in 0..10 {
        tmux.keys("ann", &["BSpace"]);
    }
    tmux.type_text("ann", "+3d");
    tmux.keys("ann", &["Enter"]);
    let in_three = days_from_today(|today| Some(today + jiff::Span::new().days(3)));
    due_comes_to(&server, &ann, pid, &in_three).await;

    // Deleted, it is in the trash, and comes back from it.
    tmux.keys("ann", &["d", "y"]);
    tmux.wait_for("ann", "the card deleted", false, |s| s.contains("Todo 0"));
    tmux.keys("ann", &["T"]);
    tmux.wait_for("ann", "the trash", false, |s| {
        s.contains("Trash · 1") && s.contains("▶ “Launch party” · in “Todo” · deleted by ann 20")
    });
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the trash emptied", false, |s| s.contains("The trash is empty"));
    tmux.keys("ann", &["Escape"]);
    tmux.wait_for("ann", "the card back", false, |s| s.contains("Todo 1") && s.contains("Launch party"));
    // Bringing it back is undone, and redone.
    tmux.keys("ann", &["u"]);
    tmux.wait_for("ann", "the undo", false, |s| {
        s.contains("Todo 0") && s.contains("Undone: bringing back “Launch party” (Ctrl-R redoes)")
    });
    tmux.keys("ann", &["C-r"]);
    tmux.wait_for("ann", "the redo", false, |s| {
        s.contains("Todo 1") && s.contains("Redone: bringing back “Launch party”")
    });
    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
}

/// Waits until the server has one of `days` as the due date of the project's
/// first card; fails after [`crate::util::WAIT`] with what it has.
async fn due_comes_to(server: &TestServer, token: &str, pid: i64, days: &[jiff::civil::Date]) {
    let deadline = tokio::time::Instant::now() + crate::util::WAIT;
    loop {
        let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(token)).await;
        let due = board["tasks"][0]["due_date"].as_str().map(str::to_string);
        if due.as_deref().is_some_and(|due| days.iter().any(|d| d.to_string() == due)) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the due date is {due:?}, not one of {days:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// What `f` makes of today, asked before and after whatever runs between (a run
/// across midnight may take either day).
fn days_from_today(f: impl Fn(jiff::civil::Date) -> Option<jiff::civil::Date>) -> Vec<jiff::civil::Date> {
    let today = jiff::Zoned::now().date();
    let mut days: Vec<_> = [today, today.tomorrow().unwrap()].into_iter().filter_map(f).collect();
    days.dedup();
    days
}

/// Two terminals on two nodes of a cluster (one PostgreSQL database, one broker):
/// each sees the other's cards, presence and cursor marker as on one server.
#[tokio::test(flavor = "multi_thread")]
async fn two_terminals_on_two_nodes_share_a_board_live() {
    crate::util::stores::run_on_broker("redis", |broker| async move {
        let site = crate::util::stores::Site::new();
        let nodes: Vec<_> = (0..2).map(|_| site.start(&["--broker", &broker])).collect();
        let ann = site.admin(&["user", "add", "ann"]);
        let bob = site.admin(&["user", "add", "bob"]);
        site.admin(&["project", "add", "alpha", "--member", "ann:owner", "--member", "bob"]);
        let me: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/api/me", nodes[0].url))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let bob_color = me["color"].as_str().unwrap().to_string();
        let Some(tmux) = Tmux::new("nodes") else { return };
        let cfg = tempfile::tempdir().unwrap();
        let env = [
            ("KANBAN_CONFIG_DIR", cfg.path().to_str().unwrap()),
            ("KANBAN_STATE_DIR", cfg.path().to_str().unwrap()),
            ("COLORTERM", "truecolor"),
        ];
        tmux.start("ann", 100, 24, &format!("KANBAN_TOKEN={ann} {BIN} --server {}", nodes[0].url), &env);
        tmux.start("bob", 100, 24, &format!("KANBAN_TOKEN={bob} {BIN} --server {}", nodes[1].url), &env);
        for who in ["ann", "bob"] {
            tmux.wait_for(who, "the board", false, |s| s.contains("alpha") && s.contains("Todo"));
        }
        // ann, on node 0, sees bob, on node 1, in his color; and he sees her.
        tmux.wait_for("ann", "bob present in his color", true, |s| {
            s.lines().nth(1).is_some_and(|l| l.contains(&fg(&bob_color)) && l.contains("bob"))
        });
        tmux.wait_for("bob", "ann present", false, |s| s.lines().nth(1).is_some_and(|l| l.contains("ann")));
        // bob makes a card through node 1: ann's terminal shows it.
        tmux.keys("bob", &["n"]);
        tmux.wait_for("bob", "the card form", false, |s| s.contains("New card"));
        tmux.type_text("bob", "Across nodes");
        tmux.keys("bob", &["Enter"]);
        tmux.wait_for("ann", "bob's card", false, |s| s.contains("Across nodes"));
        // His cursor sits on it: ann sees his initial there, on his color.
        tmux.wait_for("ann", "bob's marker on the card", true, |s| {
            s.lines().any(|l| l.contains("Across nodes") && l.contains(&bg(&bob_color)) && l.contains('B'))
        });
        // ann moves it through node 0; bob's screen follows.
        tmux.keys("ann", &["L"]);
        tmux.wait_for("bob", "the card in In Progress", false, |s| s.contains("In Progress 1"));
        // bob quits: ann sees him go.
        tmux.keys("bob", &["q"]);
        assert_eq!(tmux.wait_exit("bob"), 0);
        tmux.wait_for("ann", "bob gone", false, |s| s.lines().nth(1).is_some_and(|l| !l.contains("bob")));
    })
    .await;
}

/// A comment takes lines: a paste keeps them (as a terminal pastes them, with
/// carriage returns), Alt-Enter starts one; Esc on a comment written asks first,
/// and any other key goes back to it.
#[tokio::test(flavor = "multi_thread")]
async fn a_comment_keeps_its_pasted_lines_and_esc_asks_first() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:owner"]).await;
    let (status, card) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(serde_json::json!({"title": "Talk"})))
        .await;
    assert_eq!(status, 201);
    let tid = card["task"]["id"].as_i64().unwrap();
    let url = server.url("");
    let Some(tmux) = Tmux::new("comment-lines") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    tmux.start("ann", 100, 24, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.wait_for("ann", "the board", false, |s| s.contains("Talk") && s.contains("online"));
    tmux.keys("ann", &["c"]);
    tmux.wait_for("ann", "the comment prompt", false, |s| s.contains("Comment (Enter posts it"));
    tmux.paste("ann", "Steps:\n1. open it\n2. see");
    tmux.keys("ann", &["M-Enter"]);
    tmux.type_text("ann", "Thanks");
    tmux.wait_for("ann", "the lines", false, |s| s.contains("2. see") && s.contains("Thanks"));
    tmux.keys("ann", &["Escape"]);
    tmux.wait_for("ann", "the question", false, |s| s.contains("Discard this comment?"));
    tmux.keys("ann", &["n"]);
    tmux.wait_for("ann", "the comment back", false, |s| !s.contains("Discard this") && s.contains("Thanks"));
    tmux.keys("ann", &["Enter"]);
    let deadline = tokio::time::Instant::now() + crate::util::WAIT;
    loop {
        let (_, thread) = server.get(&format!("/api/tasks/{tid}/comments"), Some(&ann)).await;
        if let Some(body) = thread[0]["body"].as_str() {
            assert_eq!(body, "Steps:\n1. open it\n2. see\nThanks");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never posted: {thread}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // In the card's view: Tab chooses the comment, e edits it (its lines kept),
    // d deletes it after asking.
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the thread", false, |s| s.contains("Comments (1)") && s.contains("Thanks"));
    tmux.keys("ann", &["Tab"]);
    tmux.wait_for("ann", "the comment chosen", false, |s| s.contains("▶ ann ·") && s.contains("e edits"));
    tmux.keys("ann", &["e"]);
    tmux.wait_for("ann", "its prompt", false, |s| s.contains("Edit comment") && s.contains("2. see"));
    tmux.type_text("ann", ", really");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the edit in the view", false, |s| {
        s.contains("Thanks, really") && s.contains("edited")
    });
    let (_, thread) = server.get(&format!("/api/tasks/{tid}/comments"), Some(&ann)).await;
    assert_eq!(thread[0]["body"], "Steps:\n1. open it\n2. see\nThanks, really");
    tmux.keys("ann", &["d"]);
    tmux.wait_for("ann", "the question", false, |s| s.contains("Delete ann's comment for good? (y/n)"));
    tmux.keys("ann", &["y"]);
    tmux.wait_for("ann", "the thread empty", false, |s| s.contains("No comments yet"));
    let (_, thread) = server.get(&format!("/api/tasks/{tid}/comments"), Some(&ann)).await;
    assert_eq!(thread, serde_json::json!([]));
}

/// The last escape sequence before `text` on the screen's line that holds it.
fn style_before(screen: &str, text: &str) -> String {
    let line = screen.lines().find(|l| l.contains(text)).unwrap_or_else(|| panic!("no {text:?}:\n{screen}"));
    let before = &line[..line.find(text).unwrap()];
    before.rfind("\u{1b}[").map_or_else(String::new, |i| before[i..].to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checklist_is_typed_and_ticked_live_in_a_second_terminal() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("alpha", &["ann:owner", "bob:member"]).await;
    let (status, _) = server
        .rest(
            "POST",
            &format!("/api/projects/{pid}/tasks"),
            &ann,
            Some(serde_json::json!({"title": "Fix login"})),
        )
        .await;
    assert_eq!(status, 201);
    let url = server.url("");
    let Some(tmux) = Tmux::new("checklist") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    tmux.start("ann", 100, 30, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.start("bob", 100, 30, &format!("KANBAN_TOKEN={bob} {BIN} --server {url}"), &env);
    for who in ["ann", "bob"] {
        tmux.wait_for(who, "the board", false, |s| s.contains("Fix login") && s.contains("online"));
    }

    // ann types a list into the card's view, an item a line; an empty line ends it.
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the view", false, |s| s.contains("No checklist (a adds an item)"));
    tmux.keys("ann", &["a"]);
    tmux.wait_for("ann", "the item prompt", false, |s| s.contains("New checklist item"));
    for item in ["reproduce", "fix it"] {
        tmux.type_text("ann", item);
        tmux.keys("ann", &["Enter"]);
    }
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the list in the view", false, |s| {
        s.contains("Checklist 0/2") && s.contains("☐ reproduce") && s.contains("☐ fix it")
    });
    tmux.wait_for("bob", "the progress on bob's board", false, |s| {
        s.lines().any(|l| l.contains("Fix login") && l.contains("☑ 0/2"))
    });

    // ann ticks the first: bob's board counts it, without a key pressed there.
    tmux.keys("ann", &["Tab"]);
    tmux.wait_for("ann", "the item chosen", false, |s| {
        s.contains("▶ ☐ reproduce") && s.contains("Space ticks")
    });
    tmux.keys("ann", &["Space"]);
    tmux.wait_for("ann", "ticked", false, |s| s.contains("▶ ☑ reproduce") && s.contains("Checklist 1/2"));
    let half = tmux.wait_for("bob", "one of two on bob's board", true, |s| s.contains("☑ 1/2"));

    // bob opens the card: ann's next tick shows in his view as she makes it, and
    // the card's progress, all done, is muted.
    tmux.keys("bob", &["Enter"]);
    tmux.wait_for("bob", "bob's view", false, |s| s.contains("☑ reproduce") && s.contains("☐ fix it"));
    tmux.keys("ann", &["Tab", "Space"]);
    tmux.wait_for("bob", "the tick live in bob's view", false, |s| {
        s.contains("Checklist 2/2") && s.contains("☑ fix it")
    });
    tmux.keys("bob", &["Escape"]);
    let done = tmux.wait_for("bob", "all done on bob's board", true, |s| s.contains("☑ 2/2"));
    assert_ne!(style_before(&done, "☑ 2/2"), style_before(&half, "☑ 1/2"), "muted once all are done");

    // What the server keeps, in order.
    let deadline = tokio::time::Instant::now() + crate::util::WAIT;
    loop {
        let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&bob)).await;
        let items: Vec<(String, bool)> = board["tasks"][0]["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["text"].as_str().unwrap().to_string(), i["done"].as_bool().unwrap()))
            .collect();
        if items == [("reproduce".to_string(), true), ("fix it".to_string(), true)] {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not kept: {items:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The card's title and description as the server keeps them, once they are
/// `want` (waited for: the board shows a change before the server has it).
async fn card_comes_to(server: &TestServer, token: &str, tid: i64, want: (&str, &str)) {
    let deadline = tokio::time::Instant::now() + crate::util::WAIT;
    loop {
        let (_, history) = server.get(&format!("/api/tasks/{tid}/history"), Some(token)).await;
        let (_, board) = server.get("/api/projects", Some(token)).await;
        let pid = board[0]["id"].as_i64().unwrap();
        let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(token)).await;
        let card = board["tasks"].as_array().unwrap().iter().find(|t| t["id"] == tid).cloned().unwrap();
        let now = (card["title"].as_str().unwrap(), card["description"].as_str().unwrap());
        if now == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the card is {now:?}; its history: {history}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn e_hands_the_card_to_the_editor_and_takes_back_what_it_saved() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:owner"]).await;
    let body = serde_json::json!({"title": "Fix login", "description": "Old words"});
    let (status, card) = server.rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(body)).await;
    assert_eq!(status, 201);
    let tid = card["task"]["id"].as_i64().unwrap();
    let url = server.url("");
    let Some(tmux) = Tmux::new("editor") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    // One editor that does what the file `mode` says: each scenario sets it.
    let mode = cfg.path().join("mode");
    let script = cfg.path().join("editor.sh");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
cp "$1" "{dir}/given"
case "$(cat '{mode}')" in
rewrite) printf 'Renamed by the editor\n\n## Plan\n\n- step one\n' > "$1" ;;
typed) printf 'EDITOR READY\n'; read line; printf '%s\n\nTyped in the editor\n' "$line" > "$1" ;;
fail) printf 'Never saved\n' > "$1"; exit 3 ;;
untitled) printf '\n\nA description without its title\n' > "$1" ;;
esac
"#,
            mode = mode.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod").arg("+x").arg(&script).status().unwrap();
    let script = script.to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir), ("EDITOR", script), ("VISUAL", "")];
    tmux.start("ann", 100, 30, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.wait_for("ann", "the board", false, |s| s.contains("Fix login") && s.contains("online"));

    // The editor gets the title, a blank line and the description, as git
    // writes a commit message; what it leaves is saved.
    std::fs::write(&mode, "rewrite").unwrap();
    tmux.keys("ann", &["E"]);
    card_comes_to(&server, &ann, tid, ("Renamed by the editor", "## Plan\n\n- step one")).await;
    assert_eq!(std::fs::read_to_string(cfg.path().join("given")).unwrap(), "Fix login\n\nOld words\n");
    tmux.wait_for("ann", "the board back", false, |s| {
        s.contains("Renamed by the editor") && s.contains("online")
    });

    // The keys go to the editor while it runs, not to the board.
    std::fs::write(&mode, "typed").unwrap();
    tmux.keys("ann", &["E"]);
    tmux.wait_for("ann", "the editor", false, |s| s.contains("EDITOR READY"));
    tmux.type_text("ann", "jjkk Typed title");
    tmux.keys("ann", &["Enter"]);
    card_comes_to(&server, &ann, tid, ("jjkk Typed title", "Typed in the editor")).await;
    tmux.wait_for("ann", "the board back", false, |s| s.contains("jjkk Typed title"));

    // An editor that fails saves nothing, and says so.
    std::fs::write(&mode, "fail").unwrap();
    tmux.keys("ann", &["E"]);
    tmux.wait_for("ann", "why nothing was saved", false, |s| {
        s.contains("Nothing saved") && s.contains("status 3")
    });
    card_comes_to(&server, &ann, tid, ("jjkk Typed title", "Typed in the editor")).await;

    // A text the server would refuse stays in the form, with why.
    std::fs::write(&mode, "untitled").unwrap();
    tmux.keys("ann", &["E"]);
    tmux.wait_for("ann", "the form with the text and why", false, |s| {
        s.contains("A description without its title") && s.contains("title must be")
    });
    tmux.keys("ann", &["Escape"]);
    tmux.wait_for("ann", "asked first", false, |s| s.contains("Discard"));
    tmux.keys("ann", &["y"]);
    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
    card_comes_to(&server, &ann, tid, ("jjkk Typed title", "Typed in the editor")).await;
}

/// A config file's keys and colors (`[keys]`, `[theme]`): the remapped key makes a
/// card where the default one no longer does, the help and the footer show the
/// new key, and the accent color draws the selected column.
#[tokio::test(flavor = "multi_thread")]
async fn a_remapped_key_works_and_shows_in_the_help() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:owner"]).await;
    let url = server.url("");
    let Some(tmux) = Tmux::new("remap") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let config = "[keys]\nnew-card = \"o\"\n\n[theme]\naccent = \"#ff00ff\"\n";
    std::fs::write(cfg.path().join("config.toml"), config).unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir), ("COLORTERM", "truecolor")];
    tmux.start("ann", 100, 40, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.wait_for("ann", "the board", false, |s| s.contains("Todo") && s.contains("online"));
    tmux.wait_for("ann", "the footer's new key", false, |s| s.contains("o new") && !s.contains("n new"));
    tmux.wait_for("ann", "the selected column in the accent color", true, |s| s.contains(&fg("#ff00ff")));

    // n makes no card now: the help opens over the board where the form would
    // have taken the ?, and it lists o for a new card.
    tmux.keys("ann", &["n"]);
    tmux.keys("ann", &["?"]);
    let help = tmux.wait_for("ann", "the help", false, |s| s.contains("new card in this column"));
    let line = help.lines().find(|l| l.contains("new card in this column")).unwrap();
    // The keys are what the help's box shows before what they do.
    let keys = line.split("new card in this column").next().unwrap().rsplit('│').next().unwrap().trim();
    assert_eq!(keys, "o", "{line}");
    assert!(!help.contains("New card"), "n opened no form:\n{help}");
    tmux.keys("ann", &["Escape"]);
    tmux.wait_for("ann", "the help closed", false, |s| !s.contains("new card in this column"));

    tmux.keys("ann", &["o"]);
    tmux.wait_for("ann", "the card form", false, |s| s.contains("New card"));
    tmux.type_text("ann", "Made with o");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the card", false, |s| s.contains("Made with o") && s.contains("Todo 1"));
    let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    assert_eq!(board["tasks"][0]["title"], "Made with o");
    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
}

/// A config that cannot be used: the board opens with the default keys, and its
/// status line (and stderr, seen once the board is closed) names the file and
/// the line at fault.
#[tokio::test(flavor = "multi_thread")]
async fn a_broken_config_is_named_with_its_line_and_the_defaults_apply() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.project("alpha", &["ann:owner"]).await;
    let url = server.url("");
    let Some(tmux) = Tmux::new("broken-config") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let file = cfg.path().join("config.toml");
    std::fs::write(&file, "# my keys\n[keys]\nnew-card = \"o\"\nnwe-card = \"p\"\n").unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    tmux.start("ann", 160, 24, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    let said = format!("{} line 4: unknown action \"nwe-card\"", file.display());
    let screen = tmux.wait_for("ann", "the board and the config's fault", false, |s| {
        s.contains("Todo") && s.contains("online") && s.contains(&said)
    });
    assert!(screen.lines().last().is_some_and(|l| l.contains(&said)), "on the status line:\n{screen}");

    // The whole file is left aside: n (not o) makes a card.
    tmux.keys("ann", &["n"]);
    tmux.wait_for("ann", "the card form", false, |s| s.contains("New card"));
    tmux.keys("ann", &["Escape"]);
    tmux.wait_for("ann", "the form closed", false, |s| !s.contains("New card"));
    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
    let shell = tmux.screen("ann", false);
    assert!(shell.contains(&said) && shell.contains("the config is not used"), "{shell}");
}

/// A board made from the picker opens at once; its owner grants a member from
/// the members screen, and that member finds it in their picker and opens it;
/// a role changed there reaches them live.
#[tokio::test(flavor = "multi_thread")]
async fn a_board_made_and_a_member_granted_from_the_tui_reach_that_member() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    server.project("alpha", &["ann:owner", "bob:member"]).await;
    let url = server.url("");
    let Some(tmux) = Tmux::new("boards") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    tmux.start("ann", 100, 30, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.start("bob", 100, 30, &format!("KANBAN_TOKEN={bob} {BIN} --server {url}"), &env);
    for who in ["ann", "bob"] {
        tmux.wait_for(who, "the board", false, |s| s.contains("alpha") && s.contains("online"));
    }

    // ann makes a board from the picker: it opens, hers.
    tmux.keys("ann", &["P"]);
    tmux.wait_for("ann", "the picker", false, |s| s.contains("Open a project") && s.contains("n new board"));
    tmux.keys("ann", &["n"]);
    tmux.wait_for("ann", "the name prompt", false, |s| s.contains("New board"));
    tmux.type_text("ann", "Beta launch");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the new board open", false, |s| {
        s.lines().next().is_some_and(|l| l.contains("Beta launch")) && s.contains("Made the board")
    });

    // She gives bob access from its members screen.
    tmux.keys("ann", &["M"]);
    tmux.wait_for("ann", "the members", false, |s| {
        s.contains("Members of Beta launch") && s.contains("owner")
    });
    tmux.keys("ann", &["a"]);
    tmux.wait_for("ann", "the member prompt", false, |s| s.contains("Add a member"));
    tmux.type_text("ann", "bob");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "bob a member", false, |s| {
        s.lines().any(|l| l.contains("bob") && l.contains("member")) && s.contains("Members of")
    });

    // bob finds it in his picker, without starting again, and opens it.
    tmux.keys("bob", &["P"]);
    tmux.wait_for("bob", "Beta in bob's picker", false, |s| s.contains("Beta launch"));
    tmux.keys("bob", &["j", "Enter"]);
    tmux.wait_for("bob", "Beta open for bob", false, |s| {
        s.lines().next().is_some_and(|l| l.contains("Beta launch")) && s.contains("online")
    });

    // ann makes him a viewer: his open board says so at once.
    tmux.keys("ann", &["j", "r"]);
    tmux.wait_for("bob", "bob told he is a viewer", false, |s| s.contains("You are now a viewer"));
    let (_, projects) = server.get("/api/projects", Some(&bob)).await;
    let beta = projects.as_array().unwrap().iter().find(|p| p["name"] == "Beta launch").unwrap().clone();
    assert_eq!(beta["role"], "viewer", "{projects}");
}

/// A description is drawn as Markdown, and its own escape sequences, however
/// they got into the database (no route takes them), reach the terminal as
/// visible marks: they neither set the window's title nor color the text.
#[tokio::test(flavor = "multi_thread")]
async fn markdown_is_drawn_and_a_hostile_escape_in_it_stays_inert() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:owner"]).await;
    let (status, card) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(serde_json::json!({"title": "Plan"})))
        .await;
    assert_eq!(status, 201);
    let tid = card["task"]["id"].as_i64().unwrap();
    let hostile = "## Steps\n\n- **first** step\n- [x] done\n\n\u{1b}]0;pwned\u{7}\u{1b}[31mred text";
    let file = server.dir.path().join(kanban_server::DATABASE_FILE);
    let db = rusqlite::Connection::open(file).unwrap();
    db.execute("UPDATE tasks SET description = ? WHERE id = ?", (hostile, tid)).unwrap();
    drop(db);
    let url = server.url("");
    let Some(tmux) = Tmux::new("markdown") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    tmux.start("ann", 100, 30, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.wait_for("ann", "the board", false, |s| s.contains("Plan") && s.contains("online"));
    let title_before = tmux.pane_title("ann");
    tmux.keys("ann", &["Enter"]);
    let screen = tmux.wait_for("ann", "the description drawn", true, |s| s.contains("red text"));
    let plain = tmux.screen("ann", false);
    assert!(plain.contains("Steps") && !plain.contains("## Steps"), "a heading, not its marks:\n{plain}");
    assert!(plain.contains("☑ done") && plain.contains("first step"), "{plain}");
    assert!(
        plain.contains("�]0;pwned") && plain.contains("�[31mred text"),
        "the escapes shown as marks:\n{plain}"
    );
    let sgr = style_before(&screen, "red text");
    let sgr = &sgr[..sgr.find('m').map_or(sgr.len(), |m| m + 1)];
    assert!(!sgr.is_empty() && !sgr.contains("31"), "not colored by the text ({sgr:?}): {screen}");
    assert_ne!(tmux.pane_title("ann"), "pwned", "the title is not the text's to set");
    assert_eq!(tmux.pane_title("ann"), title_before);
}
