//! The board over REST: every route's answers, events in revision order, concurrent
//! moves, restarts, catching up, and the role matrix.

use kanban_protocol::board::{Applied, BoardState};
use kanban_protocol::event::BoardEvent;
use kanban_protocol::model::{Board, EventData};
use kanban_server::Limits;
use serde_json::{Value, json};

use crate::util::{TestServer, Ws, data_of, test_limits};

async fn snapshot(server: &TestServer, token: &str, pid: i64) -> BoardState {
    let (status, body) = server.get(&format!("/api/projects/{pid}/board"), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    BoardState::from(serde_json::from_value::<Board>(body).expect("a board"))
}

/// A second client: subscribed to the project's private channel, it applies each
/// event to its own copy of the board and checks that revisions come in order.
struct Follower {
    ws: Ws,
    board: BoardState,
}

impl Follower {
    async fn start(server: &TestServer, token: &str, pid: i64) -> Follower {
        let mut ws = Ws::connect(&server.ws_url()).await;
        ws.join(server, token, &format!("private-project-{pid}")).await;
        let board = snapshot(server, token, pid).await;
        Follower { ws, board }
    }

    /// Applies board events until the board is at `rev` (passing over others, such
    /// as `members-changed`, as a client does); returns their names.
    async fn follow_to(&mut self, rev: u64) -> Vec<String> {
        let mut names = Vec::new();
        while self.board.rev < rev {
            let frame = self.ws.recv().await;
            let name = frame["event"].as_str().unwrap().to_string();
            if !kanban_protocol::model::events::is_board_event(&name) {
                continue;
            }
            let data: EventData = serde_json::from_value(data_of(&frame)).expect("event data");
            let event = BoardEvent::decode(&name, data).expect("a board event");
            assert_eq!(self.board.apply(&event), Applied::Applied, "{name} at {}", event.rev);
            names.push(name);
        }
        names
    }
}

/// Creates `n` cards titled t0, t1, ... in the first column; returns their ids.
async fn cards(server: &TestServer, token: &str, pid: i64, n: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let body = json!({"title": format!("t{i}")});
        let (status, c) = server.rest("POST", &format!("/api/projects/{pid}/tasks"), token, Some(body)).await;
        assert_eq!(status, 201, "{c}");
        ids.push(c["task"]["id"].as_i64().unwrap());
    }
    ids
}

/// A card made and deleted: its id.
async fn create_and_trash(server: &TestServer, token: &str, pid: i64) -> i64 {
    let id = cards(server, token, pid, 1).await[0];
    assert_eq!(server.rest("DELETE", &format!("/api/tasks/{id}"), token, None).await.0, 200);
    id
}

async fn setup() -> (TestServer, String, i64, Vec<i64>) {
    let server = TestServer::start().await;
    let token = server.user("ann").await;
    let pid = server.project("alpha", &["ann:owner"]).await;
    let board = snapshot(&server, &token, pid).await;
    let columns = board.statuses.iter().map(|s| s.id).collect();
    (server, token, pid, columns)
}

async fn a_new_project_has_three_columns() {
    let (server, token, pid, columns) = setup().await;
    let board = snapshot(&server, &token, pid).await;
    let names: Vec<&str> = board.statuses.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Todo", "In Progress", "Done"]);
    assert_eq!(columns.len(), 3);
    assert_eq!(board.rev, 0);
    assert_eq!(board.members.len(), 1);
}

async fn task_lifecycle_reaches_a_second_client_as_events() {
    let (server, token, pid, cols) = setup().await;
    let mut follower = Follower::start(&server, &token, pid).await;

    let (status, created) = server
        .rest(
            "POST",
            &format!("/api/projects/{pid}/tasks"),
            &token,
            Some(json!({"title": "  Write docs ", "labels": ["docs"]})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["rev"], 1);
    let task = &created["task"];
    assert_eq!(task["title"], "Write docs");
    assert_eq!(task["status_id"], cols[0], "first column by default");
    let tid = task["id"].as_i64().unwrap();

    let (status, updated) = server
        .rest(
            "PATCH",
            &format!("/api/tasks/{tid}"),
            &token,
            Some(json!({"description": "all of them", "priority": "high", "version": 1})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["task"]["version"], 2);

    let (status, moved) = server
        .rest("POST", &format!("/api/tasks/{tid}/move"), &token, Some(json!({"status_id": cols[2]})))
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["task"]["status_id"], cols[2]);

    let names = follower.follow_to(3).await;
    assert_eq!(names, ["task-created", "task-updated", "task-moved"]);
    let seen = follower.board.task(tid).unwrap();
    assert_eq!(
        (seen.priority.as_str(), seen.description.as_str(), seen.status_id),
        ("high", "all of them", cols[2])
    );
    assert_eq!(follower.board, snapshot(&server, &token, pid).await, "events give the server's board");

    let (status, deleted) = server.rest("DELETE", &format!("/api/tasks/{tid}"), &token, None).await;
    assert_eq!((status, deleted["id"].as_i64()), (200, Some(tid)));
    assert_eq!(follower.follow_to(4).await, ["task-deleted"]);
    assert!(follower.board.task(tid).is_none());
    assert_eq!(follower.board, snapshot(&server, &token, pid).await);
}

async fn placing_cards_before_and_after() {
    let (server, token, pid, cols) = setup().await;
    let mut ids = Vec::new();
    for title in ["a", "b", "c"] {
        let (_, c) = server
            .rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(json!({"title": title})))
            .await;
        ids.push(c["task"]["id"].as_i64().unwrap());
    }
    let order = |b: &BoardState| b.cards(cols[0]).map(|t| t.title.clone()).collect::<Vec<_>>();
    assert_eq!(order(&snapshot(&server, &token, pid).await), ["a", "b", "c"]);
    // c before a; then a after b; then a new card between c and b.
    let mv = |tid: i64, body: Value| {
        let (server, token) = (&server, &token);
        async move { server.rest("POST", &format!("/api/tasks/{tid}/move"), token, Some(body)).await }
    };
    assert_eq!(mv(ids[2], json!({"status_id": cols[0], "before_id": ids[0]})).await.0, 200);
    assert_eq!(order(&snapshot(&server, &token, pid).await), ["c", "a", "b"]);
    assert_eq!(mv(ids[0], json!({"status_id": cols[0], "after_id": ids[1]})).await.0, 200);
    assert_eq!(order(&snapshot(&server, &token, pid).await), ["c", "b", "a"]);
    let body = json!({"title": "d", "after_id": ids[2], "before_id": ids[1]});
    assert_eq!(server.rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(body)).await.0, 201);
    assert_eq!(order(&snapshot(&server, &token, pid).await), ["c", "d", "b", "a"]);
    // Neighbours that are not in the target column, or in the wrong order: 422.
    assert_eq!(mv(ids[0], json!({"status_id": cols[1], "after_id": ids[1]})).await.0, 422);
    assert_eq!(
        mv(ids[0], json!({"status_id": cols[0], "after_id": ids[1], "before_id": ids[2]})).await.0,
        422
    );
    assert_eq!(mv(ids[0], json!({"status_id": cols[0], "after_id": ids[0]})).await.0, 422);
}

async fn stale_versions_conflict_with_the_current_task() {
    let (server, token, pid, cols) = setup().await;
    let (_, c) =
        server.rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(json!({"title": "x"}))).await;
    let tid = c["task"]["id"].as_i64().unwrap();
    let patch = |body: Value| {
        let (server, token) = (&server, &token);
        async move { server.rest("PATCH", &format!("/api/tasks/{tid}"), token, Some(body)).await }
    };
    assert_eq!(patch(json!({"title": "first", "version": 1})).await.0, 200);
    let (status, body) = patch(json!({"title": "second", "version": 1})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("version"));
    assert_eq!(body["task"]["title"], "first");
    assert_eq!(body["task"]["version"], 2);
    let (status, body) = server
        .rest(
            "POST",
            &format!("/api/tasks/{tid}/move"),
            &token,
            Some(json!({"status_id": cols[1], "version": 1})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let board = snapshot(&server, &token, pid).await;
    assert_eq!((board.rev, board.task(tid).unwrap().title.as_str()), (2, "first"), "nothing else committed");
}

async fn columns_create_rename_reorder_and_delete() {
    let (server, token, pid, cols) = setup().await;
    let mut follower = Follower::start(&server, &token, pid).await;
    let (status, c) = server
        .rest(
            "POST",
            &format!("/api/projects/{pid}/statuses"),
            &token,
            Some(json!({"name": "Review", "wip_limit": 3, "before_id": cols[2]})),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let review = c["status"]["id"].as_i64().unwrap();
    let (status, _) = server
        .rest(
            "PATCH",
            &format!("/api/statuses/{review}"),
            &token,
            Some(json!({"name": "Code review", "color": "teal"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .rest("POST", &format!("/api/statuses/{review}/move"), &token, Some(json!({"after_id": cols[2]})))
        .await;
    assert_eq!(status, 200);
    follower.follow_to(3).await;
    let names: Vec<&str> = follower.board.statuses.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Todo", "In Progress", "Done", "Code review"]);
    assert_eq!(follower.board.status(review).unwrap().color.as_deref(), Some("#2ec4b6"));

    // A column holding cards moves them where it is told, before it goes.
    for t in ["one", "two"] {
        let body = json!({"title": t, "status_id": review});
        assert_eq!(
            server.rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(body)).await.0,
            201
        );
    }
    assert_eq!(
        server.rest("DELETE", &format!("/api/statuses/{review}?move_to={review}"), &token, None).await.0,
        422
    );
    let (status, body) =
        server.rest("DELETE", &format!("/api/statuses/{review}?move_to={}", cols[0]), &token, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tasks"].as_array().unwrap().len(), 2);
    follower.follow_to(6).await;
    assert!(follower.board.status(review).is_none());
    let titles: Vec<&str> = follower.board.cards(cols[0]).map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["one", "two"]);
    assert_eq!(follower.board, snapshot(&server, &token, pid).await);
    // An empty column goes without more ado.
    assert_eq!(server.rest("DELETE", &format!("/api/statuses/{}", cols[1]), &token, None).await.0, 200);
}

async fn bad_input_is_refused_and_changes_nothing() {
    let (server, token, pid, _) = setup().await;
    let other_pid = server.project("beta", &["ann"]).await;
    let other_col = snapshot(&server, &token, other_pid).await.statuses[0].id;
    let (_, c) =
        server.rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(json!({"title": "x"}))).await;
    let tid = c["task"]["id"].as_i64().unwrap();
    let before = snapshot(&server, &token, pid).await;

    let raw = |method: &str, path: String, body: &'static str| {
        let req = server
            .http
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), server.url(&path))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert!(body["error"].is_string(), "{status}: {body}");
            status
        }
    };
    let tasks = format!("/api/projects/{pid}/tasks");
    assert_eq!(raw("POST", tasks.clone(), "{not json").await, 400);
    assert_eq!(raw("POST", tasks.clone(), "{}").await, 422, "missing title");
    assert_eq!(raw("POST", tasks.clone(), r#"{"title": 5}"#).await, 422, "wrong type");
    assert_eq!(raw("POST", tasks.clone(), r#"{"title": "x", "colour": "red"}"#).await, 422, "unknown field");
    assert_eq!(raw("PATCH", format!("/api/tasks/{tid}"), "{}").await, 422, "empty patch");
    assert_eq!(raw("PATCH", format!("/api/tasks/{tid}"), r#"{"priority": "whenever"}"#).await, 422);
    assert_eq!(raw("PATCH", "/api/tasks/abc".into(), r#"{"title": "y"}"#).await, 400, "not an id");

    let post = |body: Value| server.rest("POST", &tasks, &token, Some(body));
    assert_eq!(post(json!({"title": "   "})).await.0, 422);
    assert_eq!(post(json!({"title": "a".repeat(201)})).await.0, 422);
    // A value refused for one field names that field, for a form to show it there.
    let (status, body) = post(json!({"title": "x", "due_date": "2026-02-30"})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("due_date")), "{body}");
    let (status, body) = post(json!({"title": "a".repeat(205)})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("title")), "{body}");
    // A description is text: an escape sequence (ESC, or the one-byte CSI) is
    // refused as in every other field, on a new card and on an edit.
    for description in ["\u{1b}[2J\u{1b}[Hgone", "a\u{9b}31mred"] {
        let (status, body) = post(json!({"title": "x", "description": description})).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("description")), "{body}");
        let (status, body) = server
            .rest("PATCH", &format!("/api/tasks/{tid}"), &token, Some(json!({"description": description})))
            .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("description")), "{body}");
    }
    assert_eq!(post(json!({"title": "x", "assignee_id": 999})).await.0, 422);
    assert_eq!(
        post(json!({"title": "x", "status_id": other_col})).await.0,
        422,
        "a column of another project"
    );
    assert_eq!(post(json!({"title": "x", "description": "d".repeat(20_001)})).await.0, 422);
    let (status, _) = server
        .rest("POST", &format!("/api/tasks/{tid}/move"), &token, Some(json!({"status_id": other_col})))
        .await;
    assert_eq!(status, 422, "a move to another project's column");
    assert_eq!(server.rest("PATCH", "/api/tasks/999999", &token, Some(json!({"title": "y"}))).await.0, 404);
    assert_eq!(server.rest("DELETE", "/api/tasks/999999", &token, None).await.0, 404);
    assert_eq!(server.rest("DELETE", "/api/statuses/999999", &token, None).await.0, 404);
    assert_eq!(
        server.rest("POST", "/api/projects/999999/tasks", &token, Some(json!({"title": "x"}))).await.0,
        404
    );
    let big = "x".repeat(2 * 1024 * 1024);
    let (status, _) =
        server.rest("POST", &tasks, &token, Some(json!({"title": "x", "description": big}))).await;
    assert_eq!(status, 413);

    assert_eq!(snapshot(&server, &token, pid).await, before, "no refused change left a trace");
}

async fn roles_decide_who_writes() {
    let (server, owner, pid, cols) = setup().await;
    let member = server.user("mia").await;
    let viewer = server.user("vic").await;
    let outsider = server.user("otto").await;
    let store = server.server.store().as_ref();
    for (name, role) in [("mia", "member"), ("vic", "viewer")] {
        kanban_server::admin::project_grant(store, "alpha", name, role.parse().unwrap()).await.unwrap();
    }
    server.project("other", &["otto:owner"]).await;
    let tasks = format!("/api/projects/{pid}/tasks");
    let create = |token: String| {
        let tasks = tasks.clone();
        let server = &server;
        async move { server.rest("POST", &tasks, &token, Some(json!({"title": "t"}))).await.0 }
    };
    assert_eq!(create(owner.clone()).await, 201);
    assert_eq!(create(member.clone()).await, 201);
    assert_eq!(create(viewer.clone()).await, 403);
    assert_eq!(create(outsider.clone()).await, 404, "non-members learn nothing");
    assert_eq!(create("kb_nope".into()).await, 401);

    let tid = snapshot(&server, &owner, pid).await.tasks[0].id;
    for token in [&viewer, &outsider] {
        let want = if token == &viewer { 403 } else { 404 };
        let calls = [
            server.rest("PATCH", &format!("/api/tasks/{tid}"), token, Some(json!({"title": "z"}))).await.0,
            server
                .rest("POST", &format!("/api/tasks/{tid}/move"), token, Some(json!({"status_id": cols[1]})))
                .await
                .0,
            server.rest("DELETE", &format!("/api/tasks/{tid}"), token, None).await.0,
            server
                .rest("POST", &format!("/api/projects/{pid}/statuses"), token, Some(json!({"name": "n"})))
                .await
                .0,
            server
                .rest("PATCH", &format!("/api/statuses/{}", cols[0]), token, Some(json!({"name": "n"})))
                .await
                .0,
            server.rest("DELETE", &format!("/api/statuses/{}", cols[1]), token, None).await.0,
        ];
        assert_eq!(calls, [want; 6]);
    }
    // Reading: viewers everything, outsiders nothing, through every read.
    let reads = [
        format!("/api/projects/{pid}/board"),
        format!("/api/projects/{pid}/events?after=0"),
        format!("/api/projects/{pid}/trash"),
        format!("/api/projects/{pid}/activity"),
        format!("/api/tasks/{tid}/comments"),
        format!("/api/tasks/{tid}/history"),
    ];
    for (token, want) in [(&viewer, 200), (&outsider, 404)] {
        for path in &reads {
            assert_eq!(server.get(path, Some(token)).await.0, want, "{path}");
        }
    }
    // A card in the trash: its history is still a member's to read, its thread is not.
    let gone = create_and_trash(&server, &owner, pid).await;
    let history = format!("/api/tasks/{gone}/history");
    assert_eq!(server.get(&history, Some(&viewer)).await.0, 200);
    assert_eq!(server.get(&history, Some(&outsider)).await.0, 404);
    assert_eq!(server.get(&format!("/api/tasks/{gone}/comments"), Some(&viewer)).await.0, 404);
    assert_eq!(server.get("/api/tasks/999999/history", Some(&viewer)).await.0, 404);
    assert_eq!(
        server.rest("PATCH", &format!("/api/tasks/{tid}"), &member, Some(json!({"title": "m"}))).await.0,
        200
    );
}

async fn events_after_returns_exactly_what_was_missed() {
    let (server, token, pid, _) = setup().await;
    let ids = cards(&server, &token, pid, 5).await;
    let (status, body) = server.get(&format!("/api/projects/{pid}/events?after=2"), Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(body["rev"], 5);
    let revs: Vec<u64> =
        body["events"].as_array().unwrap().iter().map(|e| e["data"]["rev"].as_u64().unwrap()).collect();
    assert_eq!(revs, [3, 4, 5]);
    assert_eq!(body["events"][0]["name"], "task-created");
    assert_eq!(body["events"][0]["data"]["task"]["id"], ids[2]);
    let (_, none) = server.get(&format!("/api/projects/{pid}/events?after=5"), Some(&token)).await;
    assert_eq!(none["events"], json!([]));
    assert_eq!(
        server.get(&format!("/api/projects/{pid}/events"), Some(&token)).await.0,
        400,
        "after is required"
    );

    // Catching up from an old snapshot gives the server's board.
    let mut behind = snapshot(&server, &token, pid).await;
    behind.rev = 0;
    behind.tasks.clear();
    let (_, all) = server.get(&format!("/api/projects/{pid}/events?after=0"), Some(&token)).await;
    for e in all["events"].as_array().unwrap() {
        let data: EventData = serde_json::from_value(e["data"].clone()).unwrap();
        let event = BoardEvent::decode(e["name"].as_str().unwrap(), data).unwrap();
        assert_eq!(behind.apply(&event), Applied::Applied);
    }
    assert_eq!(behind, snapshot(&server, &token, pid).await);
}

async fn events_past_retention_answer_410() {
    let limits = Limits { event_retention: 64, ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let token = server.user("ann").await;
    let pid = server.project("alpha", &["ann"]).await;
    for i in 0..128 {
        let body = json!({"title": format!("t{i}")});
        assert_eq!(
            server.rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(body)).await.0,
            201
        );
    }
    let (status, body) = server.get(&format!("/api/projects/{pid}/events?after=0"), Some(&token)).await;
    assert_eq!(status, 410, "{body}");
    assert!(body["error"].as_str().unwrap().contains("fetch the board"));
    let (status, body) = server.get(&format!("/api/projects/{pid}/events?after=64"), Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(body["events"].as_array().unwrap().len(), 64);
}

/// Revisions the board never had are said so: one past the board's answers 410
/// (the asker's copy is of a board that is no more: a restored one), and one past
/// what a revision can be answers 400 rather than wrapping into nothing.
async fn revisions_out_of_range_are_said_so() {
    let server = TestServer::start().await;
    let token = server.user("ann").await;
    let pid = server.project("alpha", &["ann"]).await;
    let (status, _) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(json!({"title": "one"})))
        .await;
    assert_eq!(status, 201);
    let (status, body) = server.get(&format!("/api/projects/{pid}/events?after=1"), Some(&token)).await;
    assert_eq!((status, body["events"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    let (status, body) = server.get(&format!("/api/projects/{pid}/events?after=3"), Some(&token)).await;
    assert_eq!(status, 410, "{body}");
    assert!(body["error"].as_str().unwrap().contains("the board is at revision 1, before 3"), "{body}");
    let huge = u64::MAX.to_string();
    let past = (i64::MAX as u64 + 1).to_string();
    for path in [
        format!("/api/projects/{pid}/events?after={huge}"),
        format!("/api/projects/{pid}/events?after={past}"),
        format!("/api/projects/{pid}/activity?before={past}"),
    ] {
        let (status, body) = server.get(&path, Some(&token)).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body["error"].as_str().unwrap().contains("must be a revision"), "{body}");
    }
    let (status, lines) =
        server.get(&format!("/api/projects/{pid}/activity?before={}", i64::MAX), Some(&token)).await;
    assert_eq!((status, lines.as_array().map(Vec::len)), (200, Some(1)), "the largest revision there is");
}

async fn acknowledged_changes_survive_a_restart() {
    let (mut server, token, pid, cols) = setup().await;
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let (status, c) = server
            .rest(
                "POST",
                &format!("/api/projects/{pid}/tasks"),
                &token,
                Some(json!({"title": format!("t{i}"), "status_id": cols[i % 3]})),
            )
            .await;
        assert_eq!(status, 201);
        acknowledged.push(c["task"]["id"].as_i64().unwrap());
    }
    let before = snapshot(&server, &token, pid).await;
    server.restart().await;
    let after = snapshot(&server, &token, pid).await;
    assert_eq!(after, before);
    for id in acknowledged {
        assert!(after.task(id).is_some());
    }
    // And the new server goes on from the same revision.
    let (_, c) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(json!({"title": "next"})))
        .await;
    assert_eq!(c["rev"], 21);
}

async fn concurrent_moves_end_in_one_order_everywhere() {
    let (server, token, pid, cols) = setup().await;
    let bob = server.user("bob").await;
    kanban_server::admin::project_grant(
        server.server.store().as_ref(),
        "alpha",
        "bob",
        "member".parse().unwrap(),
    )
    .await
    .unwrap();
    let ids = cards(&server, &token, pid, 12).await;
    let mut ann_view = Follower::start(&server, &token, pid).await;
    let mut bob_view = Follower::start(&server, &bob, pid).await;

    // Two people shuffle the same cards at the same time, 60 moves each.
    let shuffle = |token: String, seed: u64| {
        let ids = ids.clone();
        let cols = cols.clone();
        let server = &server;
        async move {
            let mut x = seed;
            for _ in 0..60 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let tid = ids[(x % ids.len() as u64) as usize];
                let other = ids[((x >> 8) % ids.len() as u64) as usize];
                let col = cols[((x >> 16) % cols.len() as u64) as usize];
                let body = if other != tid && x.is_multiple_of(2) {
                    // Before another card, wherever that card is now: may be refused
                    // (422) when it has just moved away; that is fine.
                    let board = server.get(&format!("/api/projects/{pid}/board"), Some(&token)).await.1;
                    let col = board["tasks"].as_array().unwrap().iter().find(|t| t["id"] == other).unwrap()["status_id"].clone();
                    json!({"status_id": col, "before_id": other})
                } else {
                    json!({"status_id": col})
                };
                let (status, _) =
                    server.rest("POST", &format!("/api/tasks/{tid}/move"), &token, Some(body)).await;
                assert!(status == 200 || status == 422, "{status}");
            }
        }
    };
    tokio::join!(shuffle(token.clone(), 0x1234_5678_9abc_def1), shuffle(bob.clone(), 0x0fed_cba9_8765_4321));

    let server_board = snapshot(&server, &token, pid).await;
    ann_view.follow_to(server_board.rev).await;
    bob_view.follow_to(server_board.rev).await;
    assert_eq!(ann_view.board, server_board);
    assert_eq!(bob_view.board, snapshot(&server, &bob, pid).await);
    assert_eq!(bob_view.board.tasks, server_board.tasks);
    let mut all: Vec<i64> = server_board.tasks.iter().map(|t| t.id).collect();
    all.sort();
    assert_eq!(all, ids, "every card still there, once");
    for col in &cols {
        let keys: Vec<&str> = server_board.cards(*col).map(|t| t.position.as_str()).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "distinct keys in column {col}: {keys:?}");
    }
}

/// Order keys stay short whatever the sequence of placements: 2,000 cards inserted
/// right after the same card, 3,000 moves to and fro between two neighbours, 300
/// columns inserted after the same column. A list whose key would grow too long is
/// re-spaced, with its event, and a client that follows the events ends with the
/// server's board, in the order the placements asked for.
async fn order_keys_stay_short_under_any_sequence_of_placements() {
    let (server, token, pid, cols) = setup().await;
    let mut follower = Follower::start(&server, &token, pid).await;
    let anchor = cards(&server, &token, pid, 2).await;
    let mut expected = vec![anchor[0]];
    let mut inserted = Vec::new();
    for i in 0..2_000 {
        let body = json!({"title": format!("after {i}"), "status_id": cols[0], "after_id": anchor[0]});
        let (status, c) =
            server.rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(body)).await;
        assert_eq!(status, 201, "{c}");
        inserted.push(c["task"]["id"].as_i64().unwrap());
    }
    // Each went right after the anchor: the last made comes first.
    expected.extend(inserted.iter().rev());
    expected.push(anchor[1]);
    let board = snapshot(&server, &token, pid).await;
    assert_eq!(board.cards(cols[0]).map(|t| t.id).collect::<Vec<_>>(), expected);

    // To and fro: the second card moved between the first two, then back.
    let (a, b) = (expected[0], expected[1]);
    for i in 0..3_000 {
        let mover = expected[2 + i % 2];
        let body = json!({"status_id": cols[0], "after_id": a, "before_id": b});
        let body = if i % 3 == 0 { json!({"status_id": cols[1]}) } else { body };
        let (status, m) = server.rest("POST", &format!("/api/tasks/{mover}/move"), &token, Some(body)).await;
        assert_eq!(status, 200, "{m}");
    }
    let first = cols[0];
    for _ in 0..300 {
        let body = json!({"name": "c", "after_id": first});
        let (status, c) =
            server.rest("POST", &format!("/api/projects/{pid}/statuses"), &token, Some(body)).await;
        assert_eq!(status, 201, "{c}");
    }

    let board = snapshot(&server, &token, pid).await;
    let longest = board
        .tasks
        .iter()
        .map(|t| t.position.len())
        .chain(board.statuses.iter().map(|s| s.position.len()))
        .max()
        .unwrap();
    assert!(longest < 64, "the longest key has {longest} characters");
    let names = follower.follow_to(board.rev).await;
    assert_eq!(follower.board, board, "a client following the events has the server's board");
    assert!(names.len() as u64 == board.rev, "one event per change");
    let (_, log) = server.get(&format!("/api/projects/{pid}/events?after=0"), Some(&token)).await;
    let respaced =
        log["events"].as_array().unwrap().iter().filter(|e| e["data"]["rekeyed"].is_array()).count();
    assert!(respaced > 0, "some change re-spaced its list");
}

/// A change sent again under its `Idempotency-Key` (a client that lost the answer, an
/// offline queue replayed) is answered with its first event and made once; another
/// user's same key is another change.
async fn a_change_sent_twice_under_one_key_is_made_once() {
    let (server, token, pid, _) = setup().await;
    let bob = server.user("bob").await;
    kanban_server::admin::project_grant(
        server.server.store().as_ref(),
        "alpha",
        "bob",
        "member".parse().unwrap(),
    )
    .await
    .unwrap();
    let mut follower = Follower::start(&server, &token, pid).await;
    let send = |token: &str, key: &str| {
        let req = server
            .http
            .post(server.url(&format!("/api/projects/{pid}/tasks")))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&json!({"title": "only once"}));
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (first_status, first) = send(&token, "k-1").await;
    let (again_status, again) = send(&token, "k-1").await;
    assert_eq!((first_status, again_status), (201, 201));
    assert_eq!(first, again, "the same event, not a second card");
    let (_, bobs) = send(&bob, "k-1").await;
    assert_ne!(bobs["rev"], first["rev"], "bob's key is bob's");
    let board = snapshot(&server, &token, pid).await;
    assert_eq!(board.tasks.len(), 2);
    // The second answer was not broadcast again: the follower sees two events.
    let names = follower.follow_to(board.rev).await;
    assert_eq!(names, ["task-created", "task-created"]);
    assert!(follower.ws.drain().await.is_empty());
    let (status, _) = send(&token, &"x".repeat(101)).await;
    assert_eq!(status, 400, "a key too long is refused");
}

/// Deleted cards and columns go to the project's trash: listed there, restorable by
/// anyone who may write (events bring them back on every board, where they were),
/// and purged after the retention.
async fn the_trash_keeps_what_was_deleted_until_it_is_restored_or_purged() {
    let (server, token, pid, cols) = setup().await;
    let vic = server.user("vic").await;
    let other = server.user("other").await;
    let store = server.server.store().clone();
    kanban_server::admin::project_grant(store.as_ref(), "alpha", "vic", "viewer".parse().unwrap())
        .await
        .unwrap();
    let ids = cards(&server, &token, pid, 3).await;
    let mut follower = Follower::start(&server, &token, pid).await;
    let trash = |token: String| {
        let server = &server;
        async move { server.get(&format!("/api/projects/{pid}/trash"), Some(&token)).await }
    };

    // A card deleted: gone from the board, in the trash, back where it was.
    let (status, _) = server.rest("DELETE", &format!("/api/tasks/{}", ids[1]), &token, None).await;
    assert_eq!(status, 200);
    let (status, listed) = trash(token.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(listed["tasks"][0]["task"]["id"], ids[1]);
    assert!(listed["tasks"][0]["deleted_at"].is_string());
    assert_eq!(trash(vic.clone()).await.0, 200, "viewers see the trash");
    assert_eq!(trash(other.clone()).await.0, 404, "non-members do not");
    assert_eq!(
        server.rest("POST", &format!("/api/tasks/{}/restore", ids[1]), &vic, None).await.0,
        403,
        "viewers cannot restore"
    );
    let (status, body) = server.rest("POST", &format!("/api/tasks/{}/restore", ids[1]), &token, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["task"]["id"], ids[1]);
    let board = snapshot(&server, &token, pid).await;
    assert_eq!(board.cards(cols[0]).map(|t| t.id).collect::<Vec<_>>(), ids, "back between its neighbours");
    let names = follower.follow_to(board.rev).await;
    assert_eq!(names, ["task-deleted", "task-restored"]);
    assert_eq!(follower.board, board);
    assert_eq!(
        server.rest("POST", &format!("/api/tasks/{}/restore", ids[1]), &token, None).await.0,
        404,
        "not in the trash"
    );

    // A column deleted with its cards: both in the trash, back together.
    let (status, _) = server.rest("DELETE", &format!("/api/statuses/{}", cols[0]), &token, None).await;
    assert_eq!(status, 200);
    let (_, listed) = trash(token.clone()).await;
    assert_eq!(listed["statuses"][0]["status"]["id"], cols[0]);
    assert_eq!(listed["statuses"][0]["cards"], 3);
    assert_eq!(listed["tasks"].as_array().unwrap().len(), 0, "its cards are counted with it");
    assert!(snapshot(&server, &token, pid).await.status(cols[0]).is_none());
    let (status, body) = server.rest("POST", &format!("/api/tasks/{}/restore", ids[0]), &token, None).await;
    assert_eq!(status, 422, "a card that went with its column comes back with it: {body}");
    let (status, body) =
        server.rest("POST", &format!("/api/statuses/{}/restore", cols[0]), &token, None).await;
    assert_eq!(status, 200, "{body}");
    let board = snapshot(&server, &token, pid).await;
    assert_eq!(board.statuses[0].id, cols[0], "back in its place");
    assert_eq!(board.cards(cols[0]).map(|t| t.id).collect::<Vec<_>>(), ids);
    follower.follow_to(board.rev).await;
    assert_eq!(follower.board, board);

    // A card that comes back to a key another took meanwhile (one placed between
    // the same neighbours) goes right after that one, and things still fit between.
    server.rest("DELETE", &format!("/api/tasks/{}", ids[1]), &token, None).await;
    let body = json!({"title": "new", "status_id": cols[0], "after_id": ids[0], "before_id": ids[2]});
    let (status, c) = server.rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(body)).await;
    assert_eq!(status, 201, "{c}");
    let newer = c["task"]["id"].as_i64().unwrap();
    let (status, body) = server.rest("POST", &format!("/api/tasks/{}/restore", ids[1]), &token, None).await;
    assert_eq!(status, 200, "{body}");
    let board = snapshot(&server, &token, pid).await;
    let order: Vec<i64> = board.cards(cols[0]).map(|t| t.id).collect();
    assert_eq!(order, [ids[0], newer, ids[1], ids[2]]);
    let keys: std::collections::HashSet<&str> = board.cards(cols[0]).map(|t| t.position.as_str()).collect();
    assert_eq!(keys.len(), 4, "every card its own key");
    let to = json!({"status_id": cols[0], "after_id": newer, "before_id": ids[1]});
    let (status, body) = server.rest("POST", &format!("/api/tasks/{}/move", ids[2]), &token, Some(to)).await;
    assert_eq!(status, 200, "{body}");
    follower.follow_to(board.rev + 1).await;
    assert_eq!(follower.board, snapshot(&server, &token, pid).await);

    // Purged after the retention (here: now), it is gone for good.
    server.rest("DELETE", &format!("/api/tasks/{}", ids[2]), &token, None).await;
    assert!(store.purge_trash(0).await.unwrap() >= 1);
    assert_eq!(trash(token.clone()).await.1["tasks"], json!([]));
    assert_eq!(server.rest("POST", &format!("/api/tasks/{}/restore", ids[2]), &token, None).await.0, 404);
}

crate::both_stores!(
    a_new_project_has_three_columns,
    task_lifecycle_reaches_a_second_client_as_events,
    placing_cards_before_and_after,
    stale_versions_conflict_with_the_current_task,
    columns_create_rename_reorder_and_delete,
    bad_input_is_refused_and_changes_nothing,
    roles_decide_who_writes,
    events_after_returns_exactly_what_was_missed,
    events_past_retention_answer_410,
    revisions_out_of_range_are_said_so,
    acknowledged_changes_survive_a_restart,
    concurrent_moves_end_in_one_order_everywhere,
    order_keys_stay_short_under_any_sequence_of_placements,
    a_change_sent_twice_under_one_key_is_made_once,
    the_trash_keeps_what_was_deleted_until_it_is_restored_or_purged,
);
