//! Comments on cards over REST, on SQLite and PostgreSQL: the thread, the events a
//! second client receives in revision order, counts on the board, who may write,
//! change and delete, bad bodies, the trash, and a comment made in the same group
//! commit as its card.

use kanban_protocol::board::{Applied, BoardState};
use kanban_protocol::event::{BoardChange, BoardEvent};
use kanban_protocol::model::{Board, EventData, events};
use serde_json::{Value, json};

use crate::util::{TestServer, Ws, data_of};

async fn board(server: &TestServer, token: &str, pid: i64) -> BoardState {
    let (status, body) = server.get(&format!("/api/projects/{pid}/board"), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    BoardState::from(serde_json::from_value::<Board>(body).expect("a board"))
}

async fn comment(server: &TestServer, token: &str, task: i64, body: &str) -> (u16, Value) {
    server.rest("POST", &format!("/api/tasks/{task}/comments"), token, Some(json!({ "body": body }))).await
}

/// ann (owner), bob (member), vic (viewer) on a project with one card.
async fn setup() -> (TestServer, [String; 3], i64, i64) {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let vic = server.user("vic").await;
    let pid = server.project("alpha", &["ann:owner", "bob:member", "vic:viewer"]).await;
    let (status, made) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(json!({"title": "Talk"})))
        .await;
    assert_eq!(status, 201, "{made}");
    (server, [ann, bob, vic], pid, made["task"]["id"].as_i64().unwrap())
}

async fn a_thread_reaches_a_second_client_in_order_with_counts() {
    let (server, [ann, bob, vic], pid, task) = setup().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.join(&server, &vic, &format!("private-project-{pid}")).await;
    let mut follower = board(&server, &vic, pid).await;

    let (status, first) = comment(&server, &ann, task, "  Who takes this?  ").await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["comment"]["body"], "Who takes this?", "trimmed");
    assert_eq!(first["comments"], 1);
    let (status, second) = comment(&server, &bob, task, "I do.\nTomorrow.").await;
    assert_eq!(status, 201, "{second}");
    let bobs = second["comment"]["id"].as_i64().unwrap();
    let (status, edited) = server
        .rest("PATCH", &format!("/api/comments/{bobs}"), &bob, Some(json!({"body": "I do, today."})))
        .await;
    assert_eq!(status, 200, "{edited}");
    let anns = first["comment"]["id"].as_i64().unwrap();
    let (status, deleted) = server.rest("DELETE", &format!("/api/comments/{anns}"), &ann, None).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(
        (deleted["id"].as_i64(), deleted["task_id"].as_i64(), deleted["comments"].as_u64()),
        (Some(anns), Some(task), Some(1))
    );

    // vic's socket gets the four, in revision order, and its board counts one.
    let mut names = Vec::new();
    while names.len() < 4 {
        let frame = ws.recv().await;
        let name = frame["event"].as_str().unwrap().to_string();
        if !events::is_board_event(&name) {
            continue;
        }
        let data: EventData = serde_json::from_value(data_of(&frame)).unwrap();
        let event = BoardEvent::decode(&name, data).unwrap();
        assert_eq!(follower.apply(&event), Applied::Applied, "{name} at {}", event.rev);
        if let BoardChange::CommentUpdated { comment, .. } = &event.change {
            assert_eq!(comment.body, "I do, today.");
        }
        names.push(name);
    }
    assert_eq!(
        names,
        [events::COMMENT_CREATED, events::COMMENT_CREATED, events::COMMENT_UPDATED, events::COMMENT_DELETED]
    );
    assert_eq!(follower.comment_count(task), 1);
    assert_eq!(board(&server, &vic, pid).await.comment_count(task), 1, "the snapshot counts the same");

    // The thread: oldest first, readable by the viewer; the catch-up has it too.
    let (status, thread) = server.get(&format!("/api/tasks/{task}/comments"), Some(&vic)).await;
    assert_eq!(status, 200, "{thread}");
    let bodies: Vec<&str> = thread.as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["I do, today."]);
    assert_eq!(thread[0]["author_id"], server.get("/api/me", Some(&bob)).await.1["id"]);
    let (_, since) = server.get(&format!("/api/projects/{pid}/events?after=1"), Some(&vic)).await;
    assert_eq!(since["events"].as_array().unwrap().len(), 4);
}

async fn viewers_read_members_write_and_only_the_author_or_an_owner_changes() {
    let (server, [ann, bob, vic], pid, task) = setup().await;
    let (status, refused) = comment(&server, &vic, task, "me too").await;
    assert_eq!(status, 403, "{refused}");
    let (_, anns) = comment(&server, &ann, task, "ann's").await;
    let anns = anns["comment"]["id"].as_i64().unwrap();
    let (_, bobs) = comment(&server, &bob, task, "bob's").await;
    let bobs = bobs["comment"]["id"].as_i64().unwrap();
    // bob may not change ann's; ann (an owner) may change bob's.
    let (status, body) =
        server.rest("PATCH", &format!("/api/comments/{anns}"), &bob, Some(json!({"body": "not mine"}))).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = server.rest("DELETE", &format!("/api/comments/{anns}"), &bob, None).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = server
        .rest("PATCH", &format!("/api/comments/{bobs}"), &ann, Some(json!({"body": "moderated"})))
        .await;
    assert_eq!(status, 200, "{body}");
    // An owner's change of bob's words says it is hers, in the event and the thread;
    // an author's change of their own says nothing more.
    let ann_id = server.get("/api/me", Some(&ann)).await.1["id"].clone();
    assert_eq!(body["comment"]["edited_by"], ann_id, "{body}");
    let (status, body) = server
        .rest("PATCH", &format!("/api/comments/{anns}"), &ann, Some(json!({"body": "ann's, fixed"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["comment"].get("edited_by").is_none(), "{body}");
    let (_, thread) = server.get(&format!("/api/tasks/{task}/comments"), Some(&bob)).await;
    let moderated = thread.as_array().unwrap().iter().find(|c| c["id"] == bobs).unwrap();
    assert_eq!((&moderated["body"], &moderated["edited_by"]), (&json!("moderated"), &ann_id));
    let (_, history) = server.get(&format!("/api/tasks/{task}/history"), Some(&bob)).await;
    let said: Vec<&str> = history.as_array().unwrap().iter().filter_map(|l| l["what"].as_str()).collect();
    assert!(said.contains(&"ann edited bob's comment on “Talk”"), "{said:?}");
    assert!(said.contains(&"ann edited a comment on “Talk”"), "{said:?}");
    // Someone of another project learns nothing: not found.
    let eve = server.user("eve").await;
    server.project("other", &["eve:owner"]).await;
    let (status, _) = server.get(&format!("/api/tasks/{task}/comments"), Some(&eve)).await;
    assert_eq!(status, 404);
    let (status, _) = comment(&server, &eve, task, "hello").await;
    assert_eq!(status, 404);
    let (status, _) = server.rest("DELETE", &format!("/api/comments/{bobs}"), &eve, None).await;
    assert_eq!(status, 404);
    // Bad bodies: empty, control characters, too long, wrong shape; nothing is made.
    for bad in [
        json!({"body": "   "}),
        json!({"body": "a\u{7}b"}),
        json!({"body": "x".repeat(10_001)}),
        json!({"text": "hi"}),
    ] {
        let (status, body) =
            server.rest("POST", &format!("/api/tasks/{task}/comments"), &ann, Some(bad.clone())).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (_, thread) = server.get(&format!("/api/tasks/{task}/comments"), Some(&ann)).await;
    assert_eq!(thread.as_array().unwrap().len(), 2);
    let _ = pid;
}

async fn comments_go_to_the_trash_with_their_card_and_come_back_with_it() {
    let (server, [ann, ..], pid, task) = setup().await;
    comment(&server, &ann, task, "keep me").await;
    let (status, _) = server.rest("DELETE", &format!("/api/tasks/{task}"), &ann, None).await;
    assert_eq!(status, 200);
    let (status, _) = server.get(&format!("/api/tasks/{task}/comments"), Some(&ann)).await;
    assert_eq!(status, 404, "a card in the trash has no thread to show");
    let (status, _) = comment(&server, &ann, task, "into the trash").await;
    assert_eq!(status, 404);
    assert_eq!(board(&server, &ann, pid).await.comment_count(task), 0);
    let (status, _) = server.rest("POST", &format!("/api/tasks/{task}/restore"), &ann, None).await;
    assert_eq!(status, 200);
    let (_, thread) = server.get(&format!("/api/tasks/{task}/comments"), Some(&ann)).await;
    assert_eq!(thread[0]["body"], "keep me");
    assert_eq!(board(&server, &ann, pid).await.comment_count(task), 1);
}

/// Changes sent at once are committed in one batch: comments and a new card,
/// each answered, every revision once.
async fn comments_and_a_card_in_one_group_commit_each_get_a_revision() {
    let (server, [ann, bob, _], pid, task) = setup().await;
    let mut calls = Vec::new();
    for i in 0..20 {
        let (server, who) = (&server, if i % 2 == 0 { &ann } else { &bob });
        calls.push(async move { comment(server, who, task, &format!("c{i}")).await });
    }
    let path = format!("/api/projects/{pid}/tasks");
    let made = server.rest("POST", &path, &ann, Some(json!({"title": "New"})));
    let (answers, (status, new_card)) = tokio::join!(futures_util::future::join_all(calls), made);
    assert_eq!(status, 201, "{new_card}");
    let mut revs: Vec<u64> = answers
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, 201, "{b}");
            b["rev"].as_u64().unwrap()
        })
        .collect();
    revs.push(new_card["rev"].as_u64().unwrap());
    revs.sort_unstable();
    revs.dedup();
    assert_eq!(revs.len(), 21, "each change its own revision");
    let new_task = new_card["task"]["id"].as_i64().unwrap();
    let (status, on_new) = comment(&server, &bob, new_task, "first on the new card").await;
    assert_eq!(status, 201, "{on_new}");
    let b = board(&server, &ann, pid).await;
    assert_eq!((b.comment_count(task), b.comment_count(new_task)), (20, 1));
}

crate::both_stores!(
    a_thread_reaches_a_second_client_in_order_with_counts,
    viewers_read_members_write_and_only_the_author_or_an_owner_changes,
    comments_go_to_the_trash_with_their_card_and_come_back_with_it,
    comments_and_a_card_in_one_group_commit_each_get_a_revision,
);
