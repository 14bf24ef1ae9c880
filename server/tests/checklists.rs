//! Checklists on cards over REST, on SQLite and PostgreSQL: the events a second
//! client receives in revision order and the board they make, the snapshot and
//! the card's own events carrying the items, who may write, bad bodies and stale
//! versions, the order under concurrent moves, the trash, and the history.

use kanban_protocol::board::{Applied, BoardState};
use kanban_protocol::event::BoardEvent;
use kanban_protocol::model::{Board, EventData, events};
use serde_json::{Value, json};

use crate::util::{TestServer, Ws, data_of};

async fn board(server: &TestServer, token: &str, pid: i64) -> BoardState {
    let (status, body) = server.get(&format!("/api/projects/{pid}/board"), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    BoardState::from(serde_json::from_value::<Board>(body).expect("a board"))
}

async fn add(server: &TestServer, token: &str, task: i64, body: Value) -> (u16, Value) {
    server.rest("POST", &format!("/api/tasks/{task}/checklist"), token, Some(body)).await
}

/// The id of the item a change answered.
fn id(answer: &Value) -> i64 {
    answer["item"]["id"].as_i64().unwrap_or_else(|| panic!("an item: {answer}"))
}

/// A card's items as (text, done), in order.
fn items(board: &BoardState, task: i64) -> Vec<(String, bool)> {
    board.task(task).unwrap().checklist.iter().map(|i| (i.text.clone(), i.done)).collect()
}

/// ann (owner), bob (member), vic (viewer) on a project with one card.
async fn setup() -> (TestServer, [String; 3], i64, i64) {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let vic = server.user("vic").await;
    let pid = server.project("alpha", &["ann:owner", "bob:member", "vic:viewer"]).await;
    let (status, made) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(json!({"title": "Fix login"})))
        .await;
    assert_eq!(status, 201, "{made}");
    (server, [ann, bob, vic], pid, made["task"]["id"].as_i64().unwrap())
}

/// Applies board events from `ws` to `follower` until `n` were applied; answers
/// their names.
async fn follow(ws: &mut Ws, follower: &mut BoardState, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    while names.len() < n {
        let frame = ws.recv().await;
        let name = frame["event"].as_str().unwrap().to_string();
        if !events::is_board_event(&name) {
            continue;
        }
        let data: EventData = serde_json::from_value(data_of(&frame)).unwrap();
        let event = BoardEvent::decode(&name, data).unwrap();
        assert_eq!(follower.apply(&event), Applied::Applied, "{name} at {}", event.rev);
        names.push(name);
    }
    names
}

async fn a_checklist_reaches_a_second_client_in_order() {
    let (server, [ann, bob, vic], pid, task) = setup().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.join(&server, &vic, &format!("private-project-{pid}")).await;
    let mut follower = board(&server, &vic, pid).await;

    let (status, tests) = add(&server, &ann, task, json!({"text": "  write tests  "})).await;
    assert_eq!(status, 201, "{tests}");
    assert_eq!(
        (tests["item"]["text"].as_str(), tests["task_id"].as_i64()),
        (Some("write tests"), Some(task))
    );
    let (status, fix) = add(&server, &bob, task, json!({"text": "fix it"})).await;
    assert_eq!(status, 201, "{fix}");
    let (status, first) =
        add(&server, &bob, task, json!({"text": "reproduce", "before_id": id(&tests)})).await;
    assert_eq!(status, 201, "{first}");
    let path = |item: &Value| format!("/api/checklist/{}", id(item));
    let (status, ticked) = server.rest("PATCH", &path(&first), &bob, Some(json!({"done": true}))).await;
    assert_eq!(status, 200, "{ticked}");
    assert_eq!((ticked["item"]["done"].as_bool(), ticked["item"]["version"].as_i64()), (Some(true), Some(2)));
    let (status, renamed) =
        server.rest("PATCH", &path(&tests), &ann, Some(json!({"text": "write a test", "version": 1}))).await;
    assert_eq!(status, 200, "{renamed}");
    let (status, moved) = server
        .rest("POST", &format!("{}/move", path(&fix)), &ann, Some(json!({"after_id": id(&first)})))
        .await;
    assert_eq!(status, 200, "{moved}");
    // The card's own change carries its checklist: a client replaces the card.
    let (status, edited) = server
        .rest("PATCH", &format!("/api/tasks/{task}"), &ann, Some(json!({"title": "Fix the login"})))
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["task"]["checklist"].as_array().map(Vec::len), Some(3), "{edited}");
    let (status, deleted) = server.rest("DELETE", &path(&tests), &bob, None).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["item"]["text"], "write a test", "the item as it was");

    let names = follow(&mut ws, &mut follower, 8).await;
    assert_eq!(
        names,
        [
            events::CHECKLIST_ITEM_CREATED,
            events::CHECKLIST_ITEM_CREATED,
            events::CHECKLIST_ITEM_CREATED,
            events::CHECKLIST_ITEM_UPDATED,
            events::CHECKLIST_ITEM_UPDATED,
            events::CHECKLIST_ITEM_MOVED,
            events::TASK_UPDATED,
            events::CHECKLIST_ITEM_DELETED,
        ]
    );
    let want = vec![("reproduce".to_string(), true), ("fix it".to_string(), false)];
    assert_eq!(items(&follower, task), want, "the follower's board");
    let snapshot = board(&server, &vic, pid).await;
    assert_eq!(items(&snapshot, task), want, "the snapshot, read by a viewer");
    assert_eq!(follower.task(task), snapshot.task(task), "the same card, item for item");
    // A client catching up gets the same.
    let (_, since) = server.get(&format!("/api/projects/{pid}/events?after=1"), Some(&vic)).await;
    assert_eq!(since["events"].as_array().unwrap().len(), 8);
}

async fn viewers_read_members_write_and_bad_items_are_refused() {
    let (server, [ann, bob, vic], pid, task) = setup().await;
    let eve = server.user("eve").await;
    let (status, body) = add(&server, &vic, task, json!({"text": "me too"})).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = add(&server, &eve, task, json!({"text": "who am I"})).await;
    assert_eq!(status, 404, "an outsider learns nothing: {body}");
    for bad in [json!({"text": "   "}), json!({"text": "two\nlines"}), json!({"text": "x".repeat(501)})] {
        let (status, body) = add(&server, &ann, task, bad).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("text")), "{body}");
    }
    let (status, body) = add(&server, &ann, task, json!({"text": "ok", "colour": "red"})).await;
    assert!(status == 400 || status == 422, "an unknown field: {status} {body}");

    let (_, item) = add(&server, &bob, task, json!({"text": "step"})).await;
    let path = format!("/api/checklist/{}", id(&item));
    let (status, body) = server.rest("PATCH", &path, &vic, Some(json!({"done": true}))).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = server.rest("DELETE", &path, &eve, None).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server.rest("PATCH", &path, &ann, Some(json!({"text": "step"}))).await;
    assert_eq!(status, 422, "nothing to change: {body}");
    let (status, _) = server.rest("PATCH", &path, &ann, Some(json!({"done": true}))).await;
    assert_eq!(status, 200);
    // bob saw version 1; it is at 2: refused, with the item as it is.
    let (status, stale) =
        server.rest("PATCH", &path, &bob, Some(json!({"text": "mine", "version": 1}))).await;
    assert_eq!(status, 409, "{stale}");
    assert_eq!((stale["item"]["version"].as_i64(), stale["item"]["done"].as_bool()), (Some(2), Some(true)));
    let (status, body) =
        server.rest("PATCH", "/api/checklist/999999", &ann, Some(json!({"done": true}))).await;
    assert_eq!(status, 404, "{body}");

    // An item of another card is no neighbour.
    let (_, other) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(json!({"title": "Other"})))
        .await;
    let other = other["task"]["id"].as_i64().unwrap();
    let (_, theirs) = add(&server, &ann, other, json!({"text": "elsewhere"})).await;
    let (status, body) = add(&server, &ann, task, json!({"text": "x", "after_id": id(&theirs)})).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) =
        server.rest("POST", &format!("{path}/move"), &ann, Some(json!({"before_id": id(&theirs)}))).await;
    assert_eq!(status, 422, "{body}");

    // In the trash with its card: not to be changed, and back with it.
    let (status, _) = server.rest("DELETE", &format!("/api/tasks/{task}"), &ann, None).await;
    assert_eq!(status, 200);
    let (status, body) = server.rest("PATCH", &path, &ann, Some(json!({"done": false}))).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = add(&server, &ann, task, json!({"text": "more"})).await;
    assert_eq!(status, 404, "{body}");
    let (status, restored) = server.rest("POST", &format!("/api/tasks/{task}/restore"), &ann, None).await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["task"]["checklist"][0]["text"], "step", "{restored}");
    assert_eq!(items(&board(&server, &vic, pid).await, task), [("step".to_string(), true)]);
}

async fn concurrent_moves_keep_one_order_everywhere() {
    let (server, [ann, bob, vic], pid, task) = setup().await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let (status, made) = add(&server, &ann, task, json!({"text": format!("step {i}")})).await;
        assert_eq!(status, 201, "{made}");
        ids.push(id(&made));
    }
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.join(&server, &vic, &format!("private-project-{pid}")).await;
    let mut follower = board(&server, &vic, pid).await;
    // Two people move items at once, many of them to the top (so that keys grow
    // and the list is re-spaced on the way).
    let server = &server;
    let mut calls = Vec::new();
    for round in 0..30 {
        let who = if round % 2 == 0 { &ann } else { &bob };
        let item = ids[(round * 5 + 3) % ids.len()];
        let to = if round % 3 == 0 {
            json!({"after_id": ids[round % ids.len()]})
        } else {
            json!({"before_id": ids[0]})
        };
        calls.push(async move {
            let (status, body) =
                server.rest("POST", &format!("/api/checklist/{item}/move"), who, Some(to)).await;
            // Placing an item next to itself is refused; every other move is made.
            assert!(status == 200 || status == 422, "{status} {body}");
            status
        });
    }
    let made = futures_util::future::join_all(calls).await.into_iter().filter(|s| *s == 200).count();
    assert!(made >= 20, "most moves are made: {made}");
    follow(&mut ws, &mut follower, made).await;
    let snapshot = board(server, &vic, pid).await;
    let order = |b: &BoardState| b.task(task).unwrap().checklist.iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(order(&follower), order(&snapshot), "one order, live and read");
    let mut all = order(&snapshot);
    all.sort_unstable();
    assert_eq!(all, ids, "every item once");
    let keys: Vec<&str> =
        snapshot.task(task).unwrap().checklist.iter().map(|i| i.position.as_str()).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys strictly in order: {keys:?}");
    assert_eq!(follower.task(task), snapshot.task(task));
}

async fn the_history_says_what_was_done_to_the_checklist() {
    let (server, [ann, bob, _], _, task) = setup().await;
    let (_, item) = add(&server, &ann, task, json!({"text": "write tests"})).await;
    let path = format!("/api/checklist/{}", id(&item));
    server.rest("PATCH", &path, &bob, Some(json!({"done": true}))).await;
    server.rest("PATCH", &path, &ann, Some(json!({"text": "write more tests", "done": false}))).await;
    server.rest("DELETE", &path, &bob, None).await;
    let (status, history) = server.get(&format!("/api/tasks/{task}/history"), Some(&ann)).await;
    assert_eq!(status, 200, "{history}");
    let lines: Vec<&str> = history.as_array().unwrap().iter().map(|l| l["what"].as_str().unwrap()).collect();
    assert_eq!(
        lines[..4],
        [
            "bob deleted “write more tests” from the checklist of “Fix login”",
            "ann renamed “write tests” to “write more tests” and unticked “write more tests” on “Fix login”",
            "bob ticked “write tests” on “Fix login”",
            "ann added “write tests” to the checklist of “Fix login”",
        ]
    );
}

async fn a_checklist_holds_a_bounded_number_of_items() {
    let (server, [ann, ..], _, task) = setup().await;
    for i in 0..kanban_protocol::check::MAX_ITEMS {
        let (status, body) = add(&server, &ann, task, json!({"text": format!("{i}")})).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = add(&server, &ann, task, json!({"text": "one more"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("at most"), "{body}");
}

/// An item moved to where it already is stays between the same neighbours: its
/// neighbour below is itself, which must not count as one (on PostgreSQL, whose
/// batch reads a checklist's keys from the database, it once did, and the item
/// went to the top, sometimes under another's key).
async fn an_item_moved_next_to_where_it_is_keeps_its_neighbours() {
    let (server, [ann, _, vic], pid, task) = setup().await;
    let mut ids = Vec::new();
    for text in ["first", "last"] {
        let (status, made) = add(&server, &ann, task, json!({ "text": text })).await;
        assert_eq!(status, 201, "{made}");
        ids.push(id(&made));
    }
    // One between them, then moved right after the first, where it is: the item
    // above the first is itself, and the one after it the last.
    let (status, made) = add(&server, &ann, task, json!({"text": "middle", "after_id": ids[0]})).await;
    assert_eq!(status, 201, "{made}");
    let middle = id(&made);
    for to in [json!({"after_id": ids[0]}), json!({"before_id": ids[1]})] {
        let (status, body) =
            server.rest("POST", &format!("/api/checklist/{middle}/move"), &ann, Some(to)).await;
        assert_eq!(status, 200, "{body}");
    }
    let now = board(&server, &vic, pid).await;
    let keys: Vec<&str> = now.task(task).unwrap().checklist.iter().map(|i| i.position.as_str()).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys strictly in order: {keys:?}");
    let texts: Vec<String> = items(&now, task).into_iter().map(|(t, _)| t).collect();
    assert_eq!(texts, ["first", "middle", "last"], "{keys:?}");
}

crate::both_stores!(
    an_item_moved_next_to_where_it_is_keeps_its_neighbours,
    a_checklist_reaches_a_second_client_in_order,
    viewers_read_members_write_and_bad_items_are_refused,
    concurrent_moves_keep_one_order_everywhere,
    the_history_says_what_was_done_to_the_checklist,
    a_checklist_holds_a_bounded_number_of_items,
);
