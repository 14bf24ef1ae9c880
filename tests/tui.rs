//! The terminal client end to end, headless: real servers, and clients driven
//! through the app's own update loop (keys in, the board and presence out).

use kanban_protocol::model::CursorPos;
use kanban_tui::app::input::{KeyCode, KeyEvent, KeyModifiers};
use kanban_tui::app::{Action, App, Connection, Mode};
use kanban_tui::client::{Client, Step};
use kanban_tui::net::api::Api;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use crate::util::{TestServer, WAIT};

fn client(server: &TestServer, token: &str) -> Client {
    Client::start(Api::new(&server.url(""), token), App::new(60, None))
}

/// Runs the client's loop until `done` holds, failing after [`WAIT`].
async fn until(client: &mut Client, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(&client.app) {
        match tokio::time::timeout_at(deadline, client.step()).await {
            Ok(Step::Quit) => panic!("the client quit while waiting for {what}"),
            Ok(_) => {}
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

/// Presses a key and runs the loop until it has been handled (a step that only
/// sent a cursor frame has not read it yet).
async fn press(client: &mut Client, key: KeyEvent) {
    client.sender.send(Action::Key(key)).await.unwrap();
    while client.step().await == Step::Idle {}
}

async fn keys(client: &mut Client, keys: &[KeyCode]) {
    for &k in keys {
        press(client, KeyEvent::new(k, KeyModifiers::NONE)).await;
    }
}

async fn typed(client: &mut Client, text: &str) {
    let codes: Vec<KeyCode> = text.chars().map(KeyCode::Char).collect();
    keys(client, &codes).await;
}

/// Runs both clients' loops until `done` holds for `watcher`.
async fn until_both(actor: &mut Client, watcher: &mut Client, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(&watcher.app) {
        tokio::select! {
            _ = actor.step() => {}
            _ = watcher.step() => {}
            () = tokio::time::sleep_until(deadline) => panic!("timed out waiting for {what}"),
        }
    }
}

fn titles(app: &App, column: usize) -> Vec<String> {
    let Some(b) = &app.board else { return vec![] };
    b.statuses.get(column).map(|s| b.cards(s.id).map(|t| t.title.clone()).collect()).unwrap_or_default()
}

async fn ready(client: &mut Client) {
    until(client, "the board, online", |a| a.board.is_some() && a.connection == Connection::Online).await;
}

async fn two() -> (TestServer, Client, Client) {
    let (server, _, a, b) = two_with_tokens().await;
    (server, a, b)
}

/// ann (owner) and bob (member) on one board, with their tokens.
async fn two_with_tokens() -> (TestServer, [String; 2], Client, Client) {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    server.project("alpha", &["ann:owner", "bob:member"]).await;
    let mut a = client(&server, &ann);
    let mut b = client(&server, &bob);
    ready(&mut a).await;
    ready(&mut b).await;
    (server, [ann, bob], a, b)
}

#[tokio::test]
async fn a_card_made_edited_moved_and_deleted_by_one_appears_in_the_other() {
    let (_server, mut ann, mut bob) = two().await;
    keys(&mut ann, &[KeyCode::Char('n')]).await;
    typed(&mut ann, "Write the docs").await;
    keys(&mut ann, &[KeyCode::Enter]).await;
    until(&mut bob, "the new card", |a| titles(a, 0) == ["Write the docs"]).await;

    until(&mut ann, "the card selected", |a| a.selection.task_id.is_some()).await;
    keys(&mut ann, &[KeyCode::Char('e'), KeyCode::End]).await;
    typed(&mut ann, " today").await;
    press(&mut ann, KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)).await;
    until(&mut bob, "the edit", |a| titles(a, 0) == ["Write the docs today"]).await;

    keys(&mut ann, &[KeyCode::Char('L')]).await;
    until(&mut bob, "the move", |a| titles(a, 1) == ["Write the docs today"] && titles(a, 0).is_empty())
        .await;
    until(&mut ann, "the selection following the card", |a| a.selection.column_index == 1).await;

    keys(&mut ann, &[KeyCode::Char('d'), KeyCode::Char('y')]).await;
    until(&mut bob, "the deletion", |a| titles(a, 1).is_empty()).await;
    until(&mut ann, "the deletion here too", |a| titles(a, 1).is_empty()).await;
    assert_eq!(ann.app.board.as_ref().unwrap().rev, bob.app.board.as_ref().unwrap().rev);
}

#[tokio::test]
async fn presence_shows_joins_and_leaves() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    server.project("alpha", &["ann", "bob"]).await;
    let mut a = client(&server, &ann);
    ready(&mut a).await;
    until(&mut a, "ann alone", |app| app.presence.members.len() == 1).await;
    let mut b = client(&server, &bob);
    ready(&mut b).await;
    until(&mut a, "bob joining", |app| app.presence.members.iter().any(|(_, u)| u.name == "bob")).await;
    until(&mut b, "both, seen by bob", |app| app.presence.members.len() == 2).await;
    drop(b);
    until(&mut a, "bob leaving", |app| app.presence.members.len() == 1).await;
}

#[tokio::test]
async fn a_cursor_move_lands_as_a_marker_on_the_same_card() {
    let (_server, mut ann, mut bob) = two().await;
    for title in ["first", "second", "third"] {
        keys(&mut ann, &[KeyCode::Char('n')]).await;
        typed(&mut ann, title).await;
        keys(&mut ann, &[KeyCode::Enter]).await;
    }
    until(&mut bob, "three cards", |a| titles(a, 0).len() == 3).await;
    until(&mut ann, "three cards here", |a| titles(a, 0).len() == 3).await;
    keys(&mut ann, &[KeyCode::Char('g'), KeyCode::Char('j')]).await;
    let second = ann.app.board.as_ref().unwrap().tasks.iter().find(|t| t.title == "second").unwrap().clone();
    assert_eq!(ann.app.selection.task_id, Some(second.id));
    let ann_id = ann.app.me.as_ref().unwrap().id.to_string();
    let want = CursorPos { status_id: second.status_id, task_id: Some(second.id) };
    until_both(&mut ann, &mut bob, "ann's cursor", |a| a.presence.cursors.get(&ann_id) == Some(&want)).await;
    // Drawn as ann's initial on that card's line, in bob's terminal of any size.
    for width in [60, 120] {
        let mut term = Terminal::new(TestBackend::new(width, 20)).unwrap();
        term.draw(|f| {
            kanban_tui::ui::draw(
                f,
                &bob.app,
                kanban_tui::ui::Theme::new(kanban_tui::ui::paint::Depth::TrueColor),
            )
        })
        .unwrap();
        let buf = term.backend().buffer();
        let lines: Vec<String> =
            (0..20).map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect::<String>()).collect();
        let line = lines.iter().find(|l| l.contains("second")).expect("the card is shown");
        assert!(line.contains(" A "), "ann's marker on the card: {line}");
        let other = lines.iter().find(|l| l.contains("first")).unwrap();
        assert!(!other.contains(" A "), "and not on another: {other}");
    }
}

/// A second session of someone already present adds no member (so no
/// `member_added` tells the others), yet it sees where everyone points at once:
/// it asks, and they answer with their cursors.
#[tokio::test]
async fn a_second_session_sees_the_others_cursors_at_once() {
    let (server, [_, bob_token], mut ann, mut bob) = two_with_tokens().await;
    keys(&mut ann, &[KeyCode::Char('l')]).await;
    let ann_id = ann.app.me.as_ref().unwrap().id.to_string();
    let want = ann.app.selection.pos().unwrap();
    until_both(&mut ann, &mut bob, "ann's cursor at bob's", |a| {
        a.presence.cursors.get(&ann_id) == Some(&want)
    })
    .await;
    // bob opens a second terminal; ann does not move.
    let mut again = client(&server, &bob_token);
    ready(&mut again).await;
    until_both(&mut ann, &mut again, "ann's cursor in bob's second session", |a| {
        a.presence.cursors.get(&ann_id) == Some(&want)
    })
    .await;
    assert_eq!(again.app.presence.members.len(), 2, "bob is one member however many sessions");
}

#[tokio::test]
async fn a_held_key_sends_at_most_one_cursor_per_frame() {
    let (server, mut ann, mut bob) = two().await;
    // 200 selection moves as fast as keys come.
    for _ in 0..100 {
        keys(&mut ann, &[KeyCode::Char('l'), KeyCode::Char('h')]).await;
    }
    keys(&mut ann, &[KeyCode::Char('l')]).await;
    let ann_id = ann.app.me.as_ref().unwrap().id.to_string();
    let last = ann.app.selection.pos().unwrap();
    until_both(&mut ann, &mut bob, "the last position", |a| a.presence.cursors.get(&ann_id) == Some(&last))
        .await;
    // The server counted the client events it received.
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let received: u64 =
        metrics.lines().find_map(|l| l.strip_prefix("kanban_messages_in_total ")).unwrap().parse().unwrap();
    assert!(received < 100, "201 moves became {received} messages (subscribes and cursors)");
}

#[tokio::test]
async fn after_a_server_restart_the_client_reconnects_and_catches_up() {
    let (mut server, mut ann, _bob) = two().await;
    let bob_token = server.user("carl").await;
    kanban_server::admin::project_grant(
        server.server.store().as_ref(),
        "alpha",
        "carl",
        "member".parse().unwrap(),
    )
    .await
    .unwrap();
    let pid = ann.app.project_id.unwrap();
    server.restart_in_place().await;
    // Changes while ann is away.
    for i in 0..3 {
        let (status, _) = server
            .rest(
                "POST",
                &format!("/api/projects/{pid}/tasks"),
                &bob_token,
                Some(json!({"title": format!("while away {i}")})),
            )
            .await;
        assert_eq!(status, 201);
    }
    until(&mut ann, "the board caught up", |a| titles(a, 0).len() == 3 && a.connection == Connection::Online)
        .await;
    let (_, snapshot) = server.get(&format!("/api/projects/{pid}/board"), Some(&bob_token)).await;
    let server_board: kanban_protocol::model::Board = serde_json::from_value(snapshot).unwrap();
    let mine = ann.app.board.as_ref().unwrap();
    assert_eq!(mine.rev, server_board.rev);
    assert_eq!(mine.tasks, kanban_protocol::board::BoardState::from(server_board).tasks);
}

#[tokio::test]
async fn a_refused_change_shows_its_message() {
    let server = TestServer::start().await;
    let vic = server.user("vic").await;
    let pid = server.project("alpha", &["vic:viewer"]).await;
    let owner = server.user("own").await;
    kanban_server::admin::project_grant(
        server.server.store().as_ref(),
        "alpha",
        "own",
        "owner".parse().unwrap(),
    )
    .await
    .unwrap();
    server.rest("POST", &format!("/api/projects/{pid}/tasks"), &owner, Some(json!({"title": "x"}))).await;
    let mut v = client(&server, &vic);
    ready(&mut v).await;
    // The client refuses before asking; the server would too.
    keys(&mut v, &[KeyCode::Char('d')]).await;
    assert!(matches!(v.app.mode, Mode::Board));
    assert!(v.app.notice.as_ref().is_some_and(|n| n.error));
    assert_eq!(titles(&v.app, 0), ["x"]);
}

/// Two people edit one card at once: the second save meets a newer version, and
/// the form comes back with that person's typing over the card as it is now.
#[tokio::test]
async fn an_edit_made_meanwhile_is_taken_into_the_open_form_with_the_typing_kept() {
    let (_server, mut ann, mut bob) = two().await;
    keys(&mut ann, &[KeyCode::Char('n')]).await;
    typed(&mut ann, "Plan").await;
    keys(&mut ann, &[KeyCode::Enter]).await;
    until(&mut bob, "the new card", |a| titles(a, 0) == ["Plan"]).await;
    until(&mut ann, "the card selected", |a| a.selection.task_id.is_some()).await;

    // bob opens the card and types; ann changes its description and saves first.
    keys(&mut bob, &[KeyCode::Char('e'), KeyCode::End]).await;
    typed(&mut bob, " the launch").await;
    keys(&mut ann, &[KeyCode::Char('e'), KeyCode::Tab]).await;
    typed(&mut ann, "by Friday").await;
    press(&mut ann, KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)).await;
    // bob's open form takes ann's edit in at once, says so, and keeps his typing.
    until(
        &mut bob,
        "ann's edit in bob's form",
        |a| matches!(&a.mode, Mode::Form(f) if f.task.as_ref().is_some_and(|t| t.version == 2)),
    )
    .await;
    let Mode::Form(form) = &bob.app.mode else { unreachable!() };
    assert_eq!(form.title.lines(), ["Plan the launch"]);
    assert_eq!(form.description.lines(), ["by Friday"]);
    assert_eq!(form.note.as_deref(), Some("ann changed the description: shown here"));
    press(&mut bob, KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)).await;
    until_both(&mut bob, &mut ann, "bob's title, over ann's description", |a| {
        a.board.as_ref().is_some_and(|b| {
            b.tasks.iter().any(|t| t.title == "Plan the launch" && t.description == "by Friday")
        })
    })
    .await;
}

#[tokio::test]
async fn the_embedded_server_opens_the_local_users_board() {
    let dir = tempfile::tempdir().unwrap();
    let first = kanban_tui::embedded::start(dir.path(), 0).await.unwrap();
    let mut c = Client::start(Api::new(&first.url, &first.token), App::new(60, None));
    ready(&mut c).await;
    let names: Vec<&str> = c.app.board.as_ref().unwrap().statuses.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Todo", "In Progress", "Done"]);
    assert!(first.hint.short.contains(&first.url));
    drop(c);
    let token = first.token.clone();
    if let Some(r) = first.running {
        r.stop().await.unwrap();
    }
    // A second start on the same data keeps the user, its token and its board.
    let again = kanban_tui::embedded::start(dir.path(), 0).await.unwrap();
    assert_eq!(again.token, token);
    let mode = std::fs::metadata(dir.path().join("local-token")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.permissions().mode() & 0o777, 0o600);
}

/// An embedded start on a data directory that a running `kanban-server` already
/// serves joins that server instead of serving the same database a second time: a
/// card the embedded user makes reaches the server's own subscribers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_start_joins_the_server_already_serving_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::util::ServerProcess::start(dir.path(), "127.0.0.1:0", &[], &[]);
    let joined = kanban_tui::embedded::start(dir.path(), 0).await.unwrap();
    assert!(joined.running.is_none(), "no second server on the same data");
    assert_eq!(joined.url, server.url);

    let mut c = Client::start(Api::new(&joined.url, &joined.token), App::new(60, None));
    ready(&mut c).await;
    let pid = c.app.project_id.unwrap();
    let mut ws = crate::util::Ws::connect(&format!(
        "{}/app/{}?protocol=7",
        server.url.replace("http://", "ws://"),
        crate::util::admin(dir.path(), &["app"]).lines().find_map(|l| l.strip_prefix("key\t")).unwrap()
    ))
    .await;
    let (status, auth) = {
        let res = reqwest::Client::new()
            .post(format!("{}/api/pusher/auth", server.url))
            .bearer_auth(&joined.token)
            .form(&[
                ("socket_id", ws.socket_id.as_str()),
                ("channel_name", &format!("private-project-{pid}")),
            ])
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(status, 200, "{auth}");
    ws.subscribe(&format!("private-project-{pid}"), auth["auth"].as_str(), None).await;
    ws.recv_event("pusher_internal:subscription_succeeded").await;
    let (status, _) = {
        let res = reqwest::Client::new()
            .post(format!("{}/api/projects/{pid}/tasks", joined.url))
            .bearer_auth(&joined.token)
            .json(&json!({"title": "through the one server"}))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), ())
    };
    assert_eq!(status, 201);
    let created = ws.recv_event("task-created").await;
    assert!(created["data"].as_str().unwrap().contains("through the one server"));
}

/// Access taken away: the client clears the board, says why, and stops trying
/// (no reconnect, no request) until a key is pressed; with access given back, a
/// key brings the board back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_member_sees_why_and_the_client_stops_retrying() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    server.project("alpha", &["ann:owner", "bob:member"]).await;
    let mut c = client(&server, &bob);
    ready(&mut c).await;
    let store = server.server.store().clone();
    kanban_server::admin::project_revoke(store.as_ref(), "alpha", "bob").await.unwrap();
    until(&mut c, "the refusal", |a| matches!(a.connection, Connection::Refused(_))).await;
    assert!(c.app.board.is_none(), "the board is no longer on screen");
    let Connection::Refused(reason) = &c.app.connection else { unreachable!() };
    assert!(reason.contains("No access"), "{reason}");

    // Nothing more happens on its own: no reconnect, no request.
    let opened = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("kanban_connections_opened_total "))
            .and_then(|n| n.parse().ok())
            .expect("the connections counter")
    };
    let metrics =
        || async { server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap() };
    // (Answers to requests made before the refusal may still arrive; they change
    // nothing.)
    let before = opened(&metrics().await);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    while let Ok(step) = tokio::time::timeout_at(deadline, c.step()).await {
        assert_eq!(step, Step::Changed);
        assert!(matches!(c.app.connection, Connection::Refused(_)), "{:?}", c.app.connection);
        assert!(c.app.board.is_none());
    }
    assert_eq!(opened(&metrics().await), before, "no connection attempt while refused");

    // Access given back: a key tries again, and the board returns.
    kanban_server::admin::project_grant(store.as_ref(), "alpha", "bob", "member".parse().unwrap())
        .await
        .unwrap();
    c.sender.send(Action::Key(KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE))).await.unwrap();
    ready(&mut c).await;
    assert_eq!(c.app.board.as_ref().unwrap().project.name, "alpha");
    drop(ann);
}

/// A token the server no longer accepts (another server on the same port, say)
/// is said once and not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_token_is_said_and_not_retried() {
    let server = TestServer::start().await;
    let mut c = client(&server, "kb_not-a-token");
    until(&mut c, "the refusal", |a| matches!(a.connection, Connection::Refused(_))).await;
    let Connection::Refused(reason) = &c.app.connection else { unreachable!() };
    assert!(reason.contains("token"), "{reason}");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
    while let Ok(step) = tokio::time::timeout_at(deadline, c.step()).await {
        assert_eq!(step, Step::Changed);
        assert!(matches!(c.app.connection, Connection::Refused(_)), "{:?}", c.app.connection);
    }
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("kanban_connections_opened_total 0"), "no WebSocket was even tried:\n{metrics}");
}

/// A card deleted by someone else while its form is open: the form says who at once,
/// the text stays, and saving makes a new card of it, which everyone sees.
#[tokio::test]
async fn a_form_outlives_its_card_and_saves_the_text_as_a_new_one() {
    let (server, [_, bob_token], mut ann, mut bob) = two_with_tokens().await;
    keys(&mut ann, &[KeyCode::Char('n')]).await;
    typed(&mut ann, "Draft plan").await;
    press(&mut ann, KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)).await;
    until_both(&mut ann, &mut bob, "the card on bob's board", |a| titles(a, 0) == ["Draft plan"]).await;
    let card = bob.app.board.as_ref().unwrap().tasks[0].id;
    // ann opens it and writes a description.
    until(&mut ann, "the card selected", |a| a.selection.task_id == Some(card)).await;
    keys(&mut ann, &[KeyCode::Char('e'), KeyCode::Tab]).await;
    typed(&mut ann, "all the details").await;
    // bob deletes it meanwhile.
    let (status, _) = server.rest("DELETE", &format!("/api/tasks/{card}"), &bob_token, None).await;
    assert_eq!(status, 200);
    until(
        &mut ann,
        "the form saying bob deleted it",
        |a| matches!(&a.mode, Mode::Form(f) if f.deleted_by.as_deref() == Some("bob")),
    )
    .await;
    let Mode::Form(form) = &ann.app.mode else { unreachable!() };
    assert_eq!(form.description.lines(), ["all the details"], "the text stays");
    press(&mut ann, KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)).await;
    until_both(&mut ann, &mut bob, "the text as a new card", |a| {
        a.board.as_ref().is_some_and(|b| {
            b.rev == 3
                && b.tasks.iter().any(|t| t.title == "Draft plan" && t.description == "all the details")
        })
    })
    .await;
}

/// A save the server refuses comes back in its form with the reason, the typing kept.
#[tokio::test]
async fn a_save_the_server_refuses_comes_back_with_the_reason() {
    let (server, [_, bob_token], mut ann, _bob) = two_with_tokens().await;
    keys(&mut ann, &[KeyCode::Char('n')]).await;
    typed(&mut ann, "Ship it").await;
    // bob deletes the column the card is being made in before the save arrives.
    let column = ann.app.board.as_ref().unwrap().statuses[0].id;
    let (status, _) = server.rest("DELETE", &format!("/api/statuses/{column}"), &bob_token, None).await;
    assert_eq!(status, 200);
    until(&mut ann, "the column gone", |a| a.board.as_ref().is_some_and(|b| b.statuses.len() == 2)).await;
    press(&mut ann, KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)).await;
    until(&mut ann, "the form back with the reason", |a| {
        matches!(&a.mode, Mode::Form(f) if f.error.as_ref().is_some_and(|(_, m)| m.contains("not a column")))
    })
    .await;
    let Mode::Form(form) = &ann.app.mode else { unreachable!() };
    assert_eq!(form.title.lines(), ["Ship it"], "nothing typed is lost");
}

/// Offline, a change waits: kept on disk, shown as waiting, sent when the server is
/// back, and made exactly once even when the client was quit and started again
/// meanwhile (the restarted client replays it under the same key).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_made_offline_survives_a_quit_and_lands_once() {
    let (mut server, [ann_token, _], ann, mut bob) = two_with_tokens().await;
    drop(ann);
    let state = tempfile::tempdir().unwrap();
    let queue = state.path().join("waiting.json");
    let url = server.url("");
    let start = |queue: &std::path::Path| {
        Client::start_with_queue(Api::new(&url, &ann_token), App::new(60, None), Some(queue.into()))
    };
    let mut ann = start(&queue);
    ready(&mut ann).await;

    let addr = server.addr();
    server.stop().await;
    until(&mut ann, "ann offline", |a| matches!(a.connection, Connection::Offline { .. })).await;
    keys(&mut ann, &[KeyCode::Char('n')]).await;
    typed(&mut ann, "Written offline").await;
    keys(&mut ann, &[KeyCode::Enter]).await;
    until(&mut ann, "the card waiting", |a| a.waiting.len() == 1).await;
    let kept = std::fs::read_to_string(&queue).expect("the queue is on disk");
    assert!(kept.contains("Written offline"), "{kept}");

    // ann quits; a new run finds the change and waits with it.
    drop(ann);
    let mut ann = start(&queue);
    until(&mut ann, "the kept change, waiting again", |a| a.waiting.len() == 1).await;

    server.resume_at(addr).await;
    until_both(&mut ann, &mut bob, "the card on bob's board", |a| titles(a, 0) == ["Written offline"]).await;
    until(&mut ann, "nothing waiting", |a| a.waiting.is_empty() && titles(a, 0) == ["Written offline"]).await;
    let board =
        server.get(&format!("/api/projects/{}/board", ann.app.project_id.unwrap()), Some(&ann_token)).await;
    let count =
        board.1["tasks"].as_array().unwrap().iter().filter(|t| t["title"] == "Written offline").count();
    assert_eq!(count, 1, "made exactly once");
    assert!(!queue.exists(), "the queue is gone once sent");
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Deleting puts a card, or a column with its cards, in the trash; the trash view
/// lists them and brings one back into its place on every board.
#[tokio::test]
async fn the_trash_view_brings_back_what_was_deleted() {
    let (_server, mut ann, mut bob) = two().await;
    for title in ["one", "two", "three"] {
        keys(&mut ann, &[KeyCode::Char('n')]).await;
        typed(&mut ann, title).await;
        keys(&mut ann, &[KeyCode::Enter]).await;
    }
    until_both(&mut ann, &mut bob, "three cards", |a| titles(a, 0) == ["one", "two", "three"]).await;
    until(&mut ann, "three cards here", |a| titles(a, 0).len() == 3).await;
    keys(&mut ann, &[KeyCode::Char('g'), KeyCode::Char('j'), KeyCode::Char('d'), KeyCode::Char('y')]).await;
    until_both(&mut ann, &mut bob, "two deleted", |a| titles(a, 0) == ["one", "three"]).await;

    keys(&mut ann, &[KeyCode::Char('T')]).await;
    until(
        &mut ann,
        "the trash listed",
        |a| matches!(&a.mode, Mode::Trash(v) if v.items.as_ref().is_some_and(|i| i.len() == 1)),
    )
    .await;
    keys(&mut ann, &[KeyCode::Enter]).await;
    until_both(&mut ann, &mut bob, "two back between its neighbours", |a| {
        titles(a, 0) == ["one", "two", "three"]
    })
    .await;
    until(&mut ann, "the trash empty, and the card selected", |a| {
        matches!(&a.mode, Mode::Trash(v) if v.items.as_ref().is_some_and(Vec::is_empty))
            && a.selection.task_id.and_then(|id| a.board.as_ref()?.task(id)).is_some_and(|t| t.title == "two")
    })
    .await;
    keys(&mut ann, &[KeyCode::Esc]).await;
    assert!(matches!(ann.app.mode, Mode::Board));

    // A column goes with its cards, and comes back with them.
    keys(&mut ann, &[KeyCode::Char('D')]).await;
    let Mode::Confirm(confirm) = &ann.app.mode else { panic!("{:?}", ann.app.mode) };
    assert!(confirm.question().contains("its 3 cards"), "{}", confirm.question());
    keys(&mut ann, &[KeyCode::Char('y')]).await;
    until_both(&mut ann, &mut bob, "the column gone", |a| {
        a.board.as_ref().is_some_and(|b| b.statuses.len() == 2 && b.tasks.is_empty())
    })
    .await;
    keys(&mut bob, &[KeyCode::Char('T')]).await;
    until(
        &mut bob,
        "the column in bob's trash view",
        |a| matches!(&a.mode, Mode::Trash(v) if v.items.as_ref().is_some_and(|i| i.len() == 1)),
    )
    .await;
    keys(&mut bob, &[KeyCode::Enter]).await;
    until_both(&mut bob, &mut ann, "the column back first, with its cards", |a| {
        a.board.as_ref().is_some_and(|b| b.statuses.len() == 3 && b.statuses[0].name == "Todo")
            && titles(a, 0) == ["one", "two", "three"]
    })
    .await;
}

/// `u` undoes one's own changes, newest first, as changes everyone sees; `Ctrl-R`
/// redoes them. An undo pressed while the change is still on its way follows it.
#[tokio::test]
async fn u_undoes_and_ctrl_r_redoes_ones_own_changes() {
    let (_server, mut ann, mut bob) = two().await;
    keys(&mut ann, &[KeyCode::Char('n')]).await;
    typed(&mut ann, "Plan").await;
    keys(&mut ann, &[KeyCode::Enter]).await;
    until_both(&mut ann, &mut bob, "the card", |a| titles(a, 0) == ["Plan"]).await;
    until(&mut ann, "the card selected", |a| a.selection.task_id.is_some()).await;
    keys(&mut ann, &[KeyCode::Char('L')]).await;
    until_both(&mut ann, &mut bob, "the move", |a| titles(a, 1) == ["Plan"]).await;
    keys(&mut ann, &[KeyCode::Char('e'), KeyCode::End]).await;
    typed(&mut ann, " B").await;
    press(&mut ann, ctrl('s')).await;
    until_both(&mut ann, &mut bob, "the edit", |a| titles(a, 1) == ["Plan B"]).await;

    keys(&mut ann, &[KeyCode::Char('u')]).await;
    until_both(&mut ann, &mut bob, "the edit undone", |a| titles(a, 1) == ["Plan"]).await;
    until(&mut ann, "the notice", |a| {
        a.notice.as_ref().is_some_and(|n| n.text.starts_with("Undone: the edit"))
    })
    .await;
    keys(&mut ann, &[KeyCode::Char('u')]).await;
    until_both(&mut ann, &mut bob, "the move undone", |a| {
        titles(a, 0) == ["Plan"] && titles(a, 1).is_empty()
    })
    .await;
    keys(&mut ann, &[KeyCode::Char('u')]).await;
    until_both(&mut ann, &mut bob, "the card undone", |a| titles(a, 0).is_empty()).await;

    press(&mut ann, ctrl('r')).await;
    until_both(&mut ann, &mut bob, "the card redone", |a| titles(a, 0) == ["Plan"]).await;
    press(&mut ann, ctrl('r')).await;
    until_both(&mut ann, &mut bob, "the move redone", |a| titles(a, 1) == ["Plan"]).await;
    press(&mut ann, ctrl('r')).await;
    until_both(&mut ann, &mut bob, "the edit redone", |a| titles(a, 1) == ["Plan B"]).await;
    press(&mut ann, ctrl('r')).await;
    until(&mut ann, "nothing more", |a| a.notice.as_ref().is_some_and(|n| n.text == "Nothing to redo")).await;

    // A column renamed, undone at once (before the rename is answered).
    keys(&mut ann, &[KeyCode::Char('h'), KeyCode::Char('r')]).await;
    for _ in 0..4 {
        keys(&mut ann, &[KeyCode::Backspace]).await;
    }
    typed(&mut ann, "Backlog").await;
    keys(&mut ann, &[KeyCode::Enter, KeyCode::Char('u')]).await;
    until_both(&mut ann, &mut bob, "renamed and back", |a| {
        a.board.as_ref().is_some_and(|b| b.statuses[0].name == "Todo" && b.rev == 11)
    })
    .await;
    until(&mut ann, "the notice", |a| {
        a.notice.as_ref().is_some_and(|n| n.text.starts_with("Undone: the renaming of column “Backlog”"))
    })
    .await;
}

/// An undo never overwrites what someone else did since: it says who, and changes
/// nothing.
#[tokio::test]
async fn an_undo_says_who_changed_the_card_since_and_leaves_their_work() {
    let (server, [_, bob_token], mut ann, mut bob) = two_with_tokens().await;
    keys(&mut ann, &[KeyCode::Char('n')]).await;
    typed(&mut ann, "Plan").await;
    keys(&mut ann, &[KeyCode::Enter]).await;
    until_both(&mut ann, &mut bob, "the card", |a| titles(a, 0) == ["Plan"]).await;
    until(&mut ann, "the card selected", |a| a.selection.task_id.is_some()).await;
    keys(&mut ann, &[KeyCode::Char('e'), KeyCode::End]).await;
    typed(&mut ann, " B").await;
    press(&mut ann, ctrl('s')).await;
    until_both(&mut ann, &mut bob, "ann's edit", |a| titles(a, 0) == ["Plan B"]).await;
    let card = bob.app.board.as_ref().unwrap().tasks[0].id;
    let body = json!({"title": "Plan C"});
    let (status, _) = server.rest("PATCH", &format!("/api/tasks/{card}"), &bob_token, Some(body)).await;
    assert_eq!(status, 200);
    until(&mut ann, "bob's edit", |a| titles(a, 0) == ["Plan C"]).await;
    let rev = ann.app.board.as_ref().unwrap().rev;

    keys(&mut ann, &[KeyCode::Char('u')]).await;
    let notice = ann.app.notice.clone().expect("a notice");
    assert!(notice.error && notice.text.contains("bob changed it since"), "{notice:?}");
    assert_eq!(titles(&ann.app, 0), ["Plan C"]);
    // The step is dropped: the next undo is the one before it (the card made),
    // which bob's edit blocks too.
    keys(&mut ann, &[KeyCode::Char('u')]).await;
    assert!(ann.app.notice.as_ref().unwrap().text.contains("bob changed it since"));
    assert_eq!(ann.app.board.as_ref().unwrap().rev, rev, "nothing was sent");
    let (_, board) =
        server.get(&format!("/api/projects/{}/board", ann.app.project_id.unwrap()), Some(&bob_token)).await;
    assert_eq!(board["tasks"][0]["title"], "Plan C");
}

/// Members granted, changed or revoked while a board is open reach it without
/// switching project: the assignee choices, the names, and one's own role.
#[tokio::test]
async fn membership_changes_reach_an_open_board() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    server.user("cy").await;
    server.project("alpha", &["ann:owner", "bob:viewer"]).await;
    let store = server.server.store().clone();
    let mut a = client(&server, &ann);
    let mut b = client(&server, &bob);
    ready(&mut a).await;
    ready(&mut b).await;
    assert!(!b.app.can_write());

    // cy is granted access: ann's board has cy among the members, and says so.
    kanban_server::admin::project_grant(store.as_ref(), "alpha", "cy", "member".parse().unwrap())
        .await
        .unwrap();
    let has_cy = |a: &App| a.board.as_ref().is_some_and(|b| b.members.iter().any(|m| m.name == "cy"));
    until(&mut a, "cy among ann's members", has_cy).await;
    assert_eq!(a.app.notice.as_ref().unwrap().text, "cy joined the project (member)");
    // ann assigns a new card to cy (the choices: nobody, ann, bob, cy).
    keys(&mut a, &[KeyCode::Char('n'), KeyCode::Tab, KeyCode::Tab, KeyCode::Left]).await;
    let Mode::Form(form) = &a.app.mode else { panic!("{:?}", a.app.mode) };
    assert_eq!(form.assignee_name(), Some("cy"));

    // bob, a viewer, is made a member: his board lets him write at once.
    kanban_server::admin::project_grant(store.as_ref(), "alpha", "bob", "member".parse().unwrap())
        .await
        .unwrap();
    until(&mut b, "bob allowed to write", App::can_write).await;
    assert!(b.app.notice.as_ref().unwrap().text.starts_with("You are now a member"));
    keys(&mut b, &[KeyCode::Char('n')]).await;
    typed(&mut b, "bob's card").await;
    keys(&mut b, &[KeyCode::Enter]).await;
    until(&mut b, "bob's card made", |a| titles(a, 0) == ["bob's card"]).await;

    // cy's access goes: ann's open form says so and unassigns, keeping the rest.
    kanban_server::admin::project_revoke(store.as_ref(), "alpha", "cy").await.unwrap();
    until(&mut a, "cy gone from ann's board", |a| a.board.is_some() && !has_cy(a)).await;
    let Mode::Form(form) = &a.app.mode else { panic!("{:?}", a.app.mode) };
    assert_eq!(form.assignee, None);
    assert_eq!(form.note.as_deref(), Some("cy is no longer a member of the project: unassigned here"));
}

/// A person's changes past the server's budget (here 1 a second, 5 at once) are
/// not lost: kanban-tui waits as long as the server asks, says so, and makes
/// them all, in the order they were made.
#[tokio::test]
async fn changes_past_the_budget_wait_and_are_all_made_in_order() {
    let limits = kanban_server::Limits { max_writes_per_user: 1, ..crate::util::test_limits() };
    let server = TestServer::start_with(limits).await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    server.project("alpha", &["ann:owner", "bob:member"]).await;
    let (mut a, mut b) = (client(&server, &ann), client(&server, &bob));
    ready(&mut a).await;
    ready(&mut b).await;
    let made: Vec<String> = (0..8).map(|i| format!("card {i}")).collect();
    for title in &made {
        keys(&mut a, &[KeyCode::Char('n')]).await;
        typed(&mut a, title).await;
        keys(&mut a, &[KeyCode::Enter]).await;
    }
    until(&mut a, "the wait said", |app| {
        app.notice.as_ref().is_some_and(|n| n.text.contains("Too many changes at once"))
    })
    .await;
    until_both(&mut a, &mut b, "every card, in order", |app| titles(app, 0) == made).await;
}

/// The server restored from a backup while a client is away, and its new history
/// counted past the revision the client holds: the client fetches the board afresh
/// (the epoch is not the one it counted in) instead of keeping the cards the
/// restore took away and missing the ones made since.
#[tokio::test]
async fn after_a_restore_the_client_shows_the_restored_board_and_nothing_else() {
    let (mut server, [_, bob], mut ann, _bob) = two_with_tokens().await;
    let pid = ann.app.project_id.unwrap();
    async fn add(server: &TestServer, token: &str, pid: i64, title: &str) {
        let path = format!("/api/projects/{pid}/tasks");
        let (status, _) = server.rest("POST", &path, token, Some(json!({ "title": title }))).await;
        assert_eq!(status, 201);
    }
    add(&server, &bob, pid, "kept").await;
    let backup = server.dir.path().join("backup.db");
    server.admin_store().await.backup(&backup).await.unwrap();
    add(&server, &bob, pid, "lost 1").await;
    add(&server, &bob, pid, "lost 2").await;
    until(&mut ann, "the three cards", |a| titles(a, 0).len() == 3).await;

    // The server goes; the backup goes in; the restored site, elsewhere for a
    // moment, counts past the revision ann holds before she can reach it again.
    let addr = server.addr();
    server.stop().await;
    // As the process that served would, on its way out.
    server.server.store().close().await;
    kanban_server::restore::restore(server.dir.path(), &backup).unwrap();
    server.restart().await;
    for title in ["after 1", "after 2", "after 3"] {
        add(&server, &bob, pid, title).await;
    }
    server.stop().await;
    server.resume_at(addr).await;
    until(&mut ann, "the restored board and what came after", |a| {
        let mut t = titles(a, 0);
        t.sort();
        a.connection == Connection::Online && t == ["after 1", "after 2", "after 3", "kept"]
    })
    .await;
}
