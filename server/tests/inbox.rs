//! Reaching people, on SQLite and PostgreSQL: a mention notifies exactly the
//! member named, live on their own channel and in `GET /api/notifications`; the
//! watch rules (making, assignment, comments, unwatching); a person's channel and
//! notifications are theirs alone; taking someone off a board cuts what it tells
//! them; reminders once a day; nothing told is lost to a SIGKILL after the commit;
//! my work across boards; what changed since someone last looked; and history
//! that says what changed.

use serde_json::{Value, json};

use crate::util::stores::Site;
use crate::util::{TestServer, Ws, data_of};

async fn id_of(server: &TestServer, token: &str) -> i64 {
    server.get("/api/me", Some(token)).await.1["id"].as_i64().unwrap()
}

async fn card(server: &TestServer, token: &str, pid: i64, body: Value) -> i64 {
    let (status, made) = server.rest("POST", &format!("/api/projects/{pid}/tasks"), token, Some(body)).await;
    assert_eq!(status, 201, "{made}");
    made["task"]["id"].as_i64().unwrap()
}

async fn comment(server: &TestServer, token: &str, task: i64, body: &str) {
    let path = format!("/api/tasks/{task}/comments");
    let (status, made) = server.rest("POST", &path, token, Some(json!({ "body": body }))).await;
    assert_eq!(status, 201, "{made}");
}

async fn edit(server: &TestServer, token: &str, task: i64, patch: Value) {
    let (status, body) = server.rest("PATCH", &format!("/api/tasks/{task}"), token, Some(patch)).await;
    assert_eq!(status, 200, "{body}");
}

/// A person's notifications, newest first.
async fn inbox(server: &TestServer, token: &str) -> Vec<Value> {
    let (status, list) = server.get("/api/notifications", Some(token)).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// Their notifications as (kind, what), newest first.
async fn told(server: &TestServer, token: &str) -> Vec<(String, String)> {
    inbox(server, token)
        .await
        .iter()
        .map(|n| (n["kind"].as_str().unwrap().to_string(), n["what"].as_str().unwrap().to_string()))
        .collect()
}

async fn unread(server: &TestServer, token: &str) -> u64 {
    let (status, body) = server.get("/api/notifications/unread", Some(token)).await;
    assert_eq!(status, 200, "{body}");
    body["unread"].as_u64().unwrap()
}

async fn watchers(server: &TestServer, token: &str, task: i64) -> Vec<String> {
    let (status, body) = server.get(&format!("/api/tasks/{task}/watchers"), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    body["watchers"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap().to_string()).collect()
}

/// A socket on the person's own channel.
async fn their_channel(server: &TestServer, token: &str) -> Ws {
    let me = id_of(server, token).await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.join(server, token, &format!("private-user-{me}")).await;
    ws
}

async fn a_mention_in_a_comment_notifies_exactly_the_member_named() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let carl = server.user("carl").await;
    let eve = server.user("eve").await;
    let pid = server.project("Launch", &["ann:owner", "bob:member", "carl:member"]).await;
    let task = card(&server, &ann, pid, json!({"title": "Crash on login"})).await;
    let mut bobs = their_channel(&server, &bob).await;
    let mut carls = their_channel(&server, &carl).await;

    comment(&server, &ann, task, "@Bob can you reproduce this? (not @eve, not @ann, not ann@example.org)")
        .await;

    // bob hears it at once, with its words; the author and the outsider are not told.
    let frame = bobs.recv_event("notification-created").await;
    let live = data_of(&frame);
    assert_eq!(frame["channel"], format!("private-user-{}", id_of(&server, &bob).await));
    assert_eq!((live["kind"].as_str(), live["task_id"].as_i64()), (Some("mentioned"), Some(task)));
    assert_eq!(live["project"], "Launch");
    assert_eq!(
        live["what"],
        "ann mentioned you in a comment on “Crash on login”: @Bob can you reproduce this? (not @eve, not @ann, \
         not ann@example.org)"
    );
    let kept = inbox(&server, &bob).await;
    assert_eq!(kept.len(), 1);
    assert_eq!((&kept[0]["id"], &kept[0]["read"]), (&live["id"], &json!(false)));
    assert_eq!(kept[0]["by"], id_of(&server, &ann).await);
    assert_eq!(unread(&server, &bob).await, 1);
    for nobody in [&ann, &carl, &eve] {
        assert!(inbox(&server, nobody).await.is_empty());
    }
    assert!(carls.drain().await.is_empty(), "carl's channel says nothing");
    // Mentioned, bob watches now, as ann does (she made the card and commented).
    assert_eq!(watchers(&server, &carl, task).await, ["ann", "bob"]);

    // Read on one client: every client of bob's hears it.
    let mut bobs_other = their_channel(&server, &bob).await;
    let (status, body) =
        server.rest("POST", "/api/notifications/read", &bob, Some(json!({ "ids": [live["id"]] }))).await;
    assert_eq!((status, &body["unread"]), (200, &json!(0)), "{body}");
    for ws in [&mut bobs, &mut bobs_other] {
        let read = data_of(&ws.recv_event("notifications-read").await);
        assert_eq!((&read["ids"], &read["unread"]), (&json!([live["id"]]), &json!(0)));
    }
    assert_eq!(inbox(&server, &bob).await[0]["read"], true);
    assert!(server.get("/api/notifications?unread=1", Some(&bob)).await.1.as_array().unwrap().is_empty());

    // An edit that names someone new tells only them; a description mention too.
    let (_, thread) = server.get(&format!("/api/tasks/{task}/comments"), Some(&ann)).await;
    let cid = thread[0]["id"].as_i64().unwrap();
    let (status, body) = server
        .rest("PATCH", &format!("/api/comments/{cid}"), &ann, Some(json!({"body": "@bob and @carl: please"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(data_of(&carls.recv_event("notification-created").await)["kind"], "mentioned");
    assert_eq!(inbox(&server, &bob).await.len(), 1, "bob was named before: not told twice");
    let other = card(&server, &bob, pid, json!({"title": "Docs", "description": "cc @carl"})).await;
    let said = data_of(&carls.recv_event("notification-created").await);
    assert_eq!(
        (said["task_id"].as_i64(), said["what"].as_str()),
        (Some(other), Some("bob mentioned you on “Docs”"))
    );
}

async fn watchers_hear_of_changes_moves_comments_and_deletions_until_they_unwatch() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let carl = server.user("carl").await;
    let vic = server.user("vic").await;
    let pid = server.project("Launch", &["ann:owner", "bob:member", "carl:member", "vic:viewer"]).await;
    let task = card(&server, &ann, pid, json!({"title": "Fix login"})).await;
    assert_eq!(watchers(&server, &bob, task).await, ["ann"], "its maker watches");

    // bob comments: he watches; ann (watching) is told, bob is not.
    comment(&server, &bob, task, "Looking.").await;
    assert_eq!(
        told(&server, &ann).await,
        [("commented".into(), "bob commented on “Fix login”: Looking.".into())]
    );
    assert!(told(&server, &bob).await.is_empty(), "not of his own change");

    // ann's edit tells bob what changed.
    edit(&server, &ann, task, json!({"priority": "high", "due_date": "2026-12-10"})).await;
    assert_eq!(
        told(&server, &bob).await[0],
        ("changed".into(), "ann changed “Fix login”: priority none → high, due — → 2026-12-10".into())
    );
    // Assigned by ann, carl is told so (and nothing more), and watches.
    let carl_id = id_of(&server, &carl).await;
    edit(&server, &ann, task, json!({"assignee_id": carl_id})).await;
    assert_eq!(told(&server, &carl).await, [("assigned".into(), "ann assigned “Fix login” to you".into())]);
    assert_eq!(told(&server, &bob).await[0].1, "ann changed “Fix login”: assignee — → carl");
    assert_eq!(watchers(&server, &ann, task).await, ["ann", "bob", "carl"]);

    // A viewer watches by hand; bob stops.
    let (status, body) = server.rest("POST", &format!("/api/tasks/{task}/watch"), &vic, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.rest("DELETE", &format!("/api/tasks/{task}/watch"), &bob, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["watchers"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["ann", "carl", "vic"]
    );
    let bobs_before = told(&server, &bob).await.len();
    let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    let done = board["statuses"][2]["id"].as_i64().unwrap();
    let (status, body) = server
        .rest("POST", &format!("/api/tasks/{task}/move"), &carl, Some(json!({"status_id": done})))
        .await;
    assert_eq!(status, 200, "{body}");
    for watcher in [&ann, &vic] {
        assert_eq!(
            told(&server, watcher).await[0],
            ("moved".into(), "carl moved “Fix login” to Done".into())
        );
    }
    let (status, body) = server.rest("DELETE", &format!("/api/tasks/{task}"), &ann, None).await;
    assert_eq!(status, 200, "{body}");
    for watcher in [&carl, &vic] {
        assert_eq!(told(&server, watcher).await[0], ("deleted".into(), "ann deleted “Fix login”".into()));
    }
    assert_eq!(told(&server, &bob).await.len(), bobs_before, "bob, who stopped watching, heard nothing more");

    // Watching a card one cannot see: not found; one in the trash too.
    let eve = server.user("eve").await;
    for (who, path) in
        [(&eve, format!("/api/tasks/{task}/watch")), (&ann, format!("/api/tasks/{task}/watch"))]
    {
        let (status, _) = server.rest("POST", &path, who, None).await;
        assert_eq!(status, 404);
    }
}

async fn a_persons_channel_and_notifications_are_theirs_alone() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let eve = server.user("eve").await;
    let pid = server.project("Launch", &["ann:owner", "bob:member", "eve:member"]).await;
    let task = card(&server, &ann, pid, json!({"title": "Secret"})).await;
    comment(&server, &ann, task, "@bob look").await;
    let bob_id = id_of(&server, &bob).await;
    let bobs_channel = format!("private-user-{bob_id}");

    // eve is not signed for bob's channel, and her own signature opens nothing else.
    let mut ws = Ws::connect(&server.ws_url()).await;
    let (status, body) = server.authorize(&eve, &ws.socket_id, &bobs_channel).await;
    assert_eq!(status, 403, "{body}");
    let eve_id = id_of(&server, &eve).await;
    let (status, hers) = server.authorize(&eve, &ws.socket_id, &format!("private-user-{eve_id}")).await;
    assert_eq!(status, 200, "{hers}");
    ws.subscribe(&bobs_channel, hers["auth"].as_str(), None).await;
    let refused = ws.recv().await;
    assert_eq!(refused["event"], "pusher:subscription_error", "{refused}");
    // Nor may she mark his notifications read: ids not hers are passed over.
    let bobs_note = inbox(&server, &bob).await[0]["id"].clone();
    let (status, body) =
        server.rest("POST", "/api/notifications/read", &eve, Some(json!({ "ids": [bobs_note] }))).await;
    assert_eq!((status, &body["unread"]), (200, &json!(0)), "eve's own count: {body}");
    assert_eq!(unread(&server, &bob).await, 1, "bob's stays unread");
    assert!(inbox(&server, &eve).await.is_empty());
    // Bad bodies: nothing to mark, too many at once, not JSON.
    for bad in [json!({}), json!({"ids": (0..1001).collect::<Vec<i64>>()}), json!({"ids": "all"})] {
        let (status, body) = server.rest("POST", "/api/notifications/read", &bob, Some(bad)).await;
        assert!(status == 422 || status == 400, "{status} {body}");
    }
    assert_eq!(unread(&server, &bob).await, 1);
    let (status, _) = server.get("/api/notifications", None).await;
    assert_eq!(status, 401);
}

async fn someone_taken_off_a_board_is_told_nothing_more_of_it() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("Launch", &["ann:owner", "bob:member"]).await;
    let other = server.project("Ops", &["ann:owner", "bob:member"]).await;
    let task = card(&server, &ann, pid, json!({"title": "Plan"})).await;
    let elsewhere = card(&server, &ann, other, json!({"title": "Pager"})).await;
    comment(&server, &ann, task, "@bob plan?").await;
    comment(&server, &ann, elsewhere, "@bob pager?").await;
    assert_eq!(unread(&server, &bob).await, 2);

    let bob_id = id_of(&server, &bob).await;
    let (status, body) =
        server.rest("DELETE", &format!("/api/projects/{pid}/members/{bob_id}"), &ann, None).await;
    assert_eq!(status, 200, "{body}");
    comment(&server, &ann, task, "@bob are you there?").await;
    edit(&server, &ann, task, json!({"title": "Plan, revised"})).await;
    // What Launch told him before is no longer his to read, nor counted.
    let left = told(&server, &bob).await;
    assert_eq!(left, [("mentioned".into(), "ann mentioned you in a comment on “Pager”: @bob pager?".into())]);
    assert_eq!(unread(&server, &bob).await, 1);
    let (status, _) = server.get(&format!("/api/tasks/{task}/watchers"), Some(&bob)).await;
    assert_eq!(status, 404);
    // Back on the board, he is not told of what happened while he was away.
    let (status, body) = server
        .rest("POST", &format!("/api/projects/{pid}/members"), &ann, Some(json!({"user": "bob"})))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(unread(&server, &bob).await, 2, "his earlier notifications are his again");
}

async fn cards_due_tomorrow_or_overdue_are_told_once_a_day() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("Launch", &["ann:owner", "bob:member"]).await;
    let bob_id = id_of(&server, &bob).await;
    let today = jiff::Zoned::now().date();
    let day = |d: i64| today.checked_add(jiff::Span::new().days(d)).unwrap().to_string();
    let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    let done = board["statuses"][2]["id"].as_i64().unwrap();
    card(&server, &ann, pid, json!({"title": "Ship", "assignee_id": bob_id, "due_date": day(1)})).await;
    card(&server, &ann, pid, json!({"title": "Late", "assignee_id": bob_id, "due_date": day(-2)})).await;
    card(&server, &ann, pid, json!({"title": "Later", "assignee_id": bob_id, "due_date": day(5)})).await;
    card(&server, &ann, pid, json!({"title": "Today", "assignee_id": bob_id, "due_date": day(0)})).await;
    let finished =
        json!({"title": "Finished", "assignee_id": bob_id, "due_date": day(-1), "status_id": done});
    card(&server, &ann, pid, finished).await;
    let assigned = told(&server, &bob).await.len();

    let store = server.admin_store().await;
    let made = store.remind(day(0), day(1)).await.unwrap();
    assert_eq!(made.len(), 2, "{made:?}");
    let again = store.remind(day(0), day(1)).await.unwrap();
    assert!(again.is_empty(), "once a day: {again:?}");
    let mut reminders: Vec<(String, String)> = told(&server, &bob).await.into_iter().take(2).collect();
    reminders.sort();
    let late = format!("“Late” is overdue (due {})", day(-2));
    assert_eq!(
        reminders,
        [("due".into(), "“Ship” is due tomorrow".into()), ("overdue".into(), late.clone())]
    );
    assert_eq!(told(&server, &bob).await.len(), assigned + 2);
    // The next day, the overdue card is told of again; the card due then, once.
    let next = store.remind(day(1), day(2)).await.unwrap();
    let kinds: Vec<&str> = next.iter().map(|(_, n)| n.kind.as_str()).collect();
    assert_eq!(kinds, ["overdue", "overdue"], "Late and Today then (Ship is due that day): {next:?}");
}

async fn a_notification_committed_survives_a_kill_right_after() {
    let site = Site::new();
    let ann = site.admin(&["user", "add", "ann"]);
    let bob = site.admin(&["user", "add", "bob"]);
    site.admin(&["project", "add", "Launch", "--member", "ann:owner", "--member", "bob:member"]);
    let mut server = site.start(&[]);
    let http = reqwest::Client::new();
    let (_, projects) = get(&http, &server.url, &ann, "/api/projects").await;
    let pid = projects[0]["id"].as_i64().unwrap();
    let made: Value = http
        .post(format!("{}/api/projects/{pid}/tasks", server.url))
        .bearer_auth(&ann)
        .json(&json!({"title": "Crash", "description": "@bob please"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(made["rev"].as_u64().is_some(), "{made}");
    // Killed as soon as the change is answered: committed, so told.
    server.crash();
    let server = site.start(&[]);
    let (status, list) = get(&http, &server.url, &bob, "/api/notifications").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["what"], "ann mentioned you on “Crash”");
}

async fn get(http: &reqwest::Client, url: &str, token: &str, path: &str) -> (u16, Value) {
    let res = http.get(format!("{url}{path}")).bearer_auth(token).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn my_work_is_every_card_of_mine_on_every_board_due_first() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let bob_id = id_of(&server, &bob).await;
    let launch = server.project("Launch", &["ann:owner", "bob:member"]).await;
    let ops = server.project("Ops", &["ann:owner", "bob:viewer"]).await;
    let hr = server.project("HR", &["ann:owner", "bob:member"]).await;
    let secret = server.project("Secret", &["ann:owner"]).await;
    let mine =
        |title: &str, due: Option<&str>| json!({"title": title, "assignee_id": bob_id, "due_date": due});
    card(&server, &ann, launch, mine("Later", Some("2027-03-01"))).await;
    card(&server, &ann, ops, mine("Soon", Some("2027-01-05"))).await;
    card(&server, &ann, hr, mine("Whenever", None)).await;
    card(&server, &ann, launch, json!({"title": "Not mine"})).await;
    let (_, board) = server.get(&format!("/api/projects/{hr}/board"), Some(&ann)).await;
    let done = board["statuses"][2]["id"].as_i64().unwrap();
    card(&server, &ann, hr, json!({"title": "Finished", "assignee_id": bob_id, "status_id": done})).await;
    let gone = card(&server, &ann, launch, mine("Deleted", Some("2027-01-01"))).await;
    server.rest("DELETE", &format!("/api/tasks/{gone}"), &ann, None).await;
    let _ = secret;

    let titles = |list: &Value| -> Vec<String> {
        list.as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_string()).collect()
    };
    let (status, list) = server.get("/api/me/tasks?assigned=1&status=open", Some(&bob)).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["Soon", "Later", "Whenever"]);
    assert_eq!((list[0]["project"].as_str(), list[0]["column"].as_str()), (Some("Ops"), Some("Todo")));
    assert_eq!((list[0]["project_id"].as_i64(), list[0]["done"].as_bool()), (Some(ops), Some(false)));
    let (_, list) = server.get("/api/me/tasks?due_before=2027-02-01", Some(&bob)).await;
    assert_eq!(titles(&list), ["Soon"]);
    let (_, list) = server.get("/api/me/tasks?status=all", Some(&bob)).await;
    assert_eq!(titles(&list), ["Soon", "Later", "Whenever", "Finished"], "undated last, by board and column");
    let (_, list) = server.get("/api/me/tasks?status=done", Some(&bob)).await;
    assert_eq!(titles(&list), ["Finished"]);
    for bad in ["status=later", "due_before=tomorrow", "assigned=0"] {
        let (status, body) = server.get(&format!("/api/me/tasks?{bad}"), Some(&bob)).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    // Off a board: its cards are no longer his work; an archived one rests.
    let (status, _) =
        server.rest("DELETE", &format!("/api/projects/{ops}/members/{bob_id}"), &ann, None).await;
    assert_eq!(status, 200);
    let (status, _) =
        server.rest("PATCH", &format!("/api/projects/{hr}"), &ann, Some(json!({"archived": true}))).await;
    assert_eq!(status, 200);
    let (_, list) = server.get("/api/me/tasks", Some(&bob)).await;
    assert_eq!(titles(&list), ["Later"]);
}

async fn since_i_last_looked_counts_the_changes_of_others() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("Launch", &["ann:owner", "bob:member"]).await;
    let first = card(&server, &ann, pid, json!({"title": "First"})).await;
    let path = format!("/api/projects/{pid}/seen");

    let (status, never) = server.get(&path, Some(&bob)).await;
    assert_eq!(status, 200, "{never}");
    assert_eq!(
        (&never["rev"], &never["at"], &never["now"], &never["changes"]),
        (&json!(0), &Value::Null, &json!(1), &json!(0))
    );
    let (status, body) = server.rest("PUT", &path, &bob, Some(json!({"rev": 1}))).await;
    assert_eq!(status, 204, "{body}");

    let second = card(&server, &ann, pid, json!({"title": "Second"})).await;
    edit(&server, &ann, first, json!({"priority": "high"})).await;
    comment(&server, &ann, first, "news").await;
    card(&server, &bob, pid, json!({"title": "Bob's own"})).await;
    let gone = card(&server, &ann, pid, json!({"title": "Gone"})).await;
    server.rest("DELETE", &format!("/api/tasks/{gone}"), &ann, None).await;

    let (_, since) = server.get(&path, Some(&bob)).await;
    assert_eq!(since["rev"], 1);
    assert!(since["at"].is_string(), "{since}");
    assert_eq!(since["now"], 7);
    assert_eq!(since["changes"], 5, "ann's five, not bob's own: {since}");
    assert_eq!(since["tasks"], json!([first, second]), "the cards still there: {since}");
    // Never back, never past the board.
    server.rest("PUT", &path, &bob, Some(json!({"rev": 99}))).await;
    server.rest("PUT", &path, &bob, Some(json!({"rev": 2}))).await;
    let (_, since) = server.get(&path, Some(&bob)).await;
    assert_eq!((&since["rev"], &since["changes"]), (&json!(7), &json!(0)));
    // Not a member: not found.
    let eve = server.user("eve").await;
    let (status, _) = server.get(&path, Some(&eve)).await;
    assert_eq!(status, 404);
    let (status, _) = server.rest("PUT", &path, &eve, Some(json!({"rev": 1}))).await;
    assert_eq!(status, 404);
}

async fn the_history_says_what_changed() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("Launch", &["ann:owner", "bob:member"]).await;
    let task = card(&server, &ann, pid, json!({"title": "Fix login", "priority": "low"})).await;
    let bob_id = id_of(&server, &bob).await;
    edit(&server, &ann, task, json!({"priority": "high", "due_date": "2026-12-10", "assignee_id": bob_id}))
        .await;
    edit(&server, &ann, task, json!({"title": "Fix the login", "labels": ["bug"], "description": "steps"}))
        .await;
    let (_, history) = server.get(&format!("/api/tasks/{task}/history"), Some(&bob)).await;
    let said: Vec<&str> = history.as_array().unwrap().iter().map(|l| l["what"].as_str().unwrap()).collect();
    assert_eq!(
        said[..2],
        [
            "ann changed “Fix the login”: title “Fix login” → “Fix the login”, the description, labels — → bug",
            "ann changed “Fix login”: assignee — → bob, priority low → high, due — → 2026-12-10",
        ]
    );
}

crate::both_stores!(
    a_mention_in_a_comment_notifies_exactly_the_member_named,
    watchers_hear_of_changes_moves_comments_and_deletions_until_they_unwatch,
    a_persons_channel_and_notifications_are_theirs_alone,
    someone_taken_off_a_board_is_told_nothing_more_of_it,
    cards_due_tomorrow_or_overdue_are_told_once_a_day,
    a_notification_committed_survives_a_kill_right_after,
    my_work_is_every_card_of_mine_on_every_board_due_first,
    since_i_last_looked_counts_the_changes_of_others,
    the_history_says_what_changed,
);
