//! A board's history over REST, on SQLite and PostgreSQL: the project's activity
//! and a card's history, newest first, in words; pages; kept past the catch-up
//! log's retention; members only.

use kanban_server::Limits;
use serde_json::{Value, json};

use crate::util::{TestServer, test_limits};

fn whats(lines: &Value) -> Vec<String> {
    lines.as_array().unwrap().iter().map(|l| l["what"].as_str().unwrap().to_string()).collect()
}

/// A reorder within a column is said as one, a move says where from, and a
/// column's change says what changed.
async fn history_says_what_a_move_and_a_column_change_did() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:owner"]).await;
    let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    let (todo, doing) =
        (board["statuses"][0]["id"].as_i64().unwrap(), board["statuses"][1]["id"].as_i64().unwrap());
    let mut ids = Vec::new();
    for title in ["One", "Two"] {
        let (_, made) = server
            .rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(json!({"title": title})))
            .await;
        ids.push(made["task"]["id"].as_i64().unwrap());
    }
    let moves = [json!({"status_id": todo, "before_id": ids[0]}), json!({"status_id": doing})];
    for to in moves {
        let (status, body) =
            server.rest("POST", &format!("/api/tasks/{}/move", ids[1]), &ann, Some(to)).await;
        assert_eq!(status, 200, "{body}");
    }
    let change = json!({"name": "Doing", "wip_limit": 3});
    server.rest("PATCH", &format!("/api/statuses/{doing}"), &ann, Some(change)).await;
    server.rest("PATCH", &format!("/api/statuses/{doing}"), &ann, Some(json!({"color": "teal"}))).await;
    server.rest("PATCH", &format!("/api/statuses/{doing}"), &ann, Some(json!({"wip_limit": null}))).await;
    let (_, lines) = server.get(&format!("/api/projects/{pid}/activity?limit=5"), Some(&ann)).await;
    let teal = kanban_protocol::check::check_color("teal").unwrap();
    assert_eq!(
        whats(&lines),
        [
            "ann took away the WIP limit of Doing".to_string(),
            format!("ann set the color of Doing to {teal}"),
            "ann renamed the column In Progress to Doing and set the WIP limit of Doing to 3".to_string(),
            "ann moved “Two” from Todo to Doing".to_string(),
            "ann reordered “Two” in Todo".to_string(),
        ]
    );
}

async fn history_says_who_did_what_newest_first_and_outlives_the_log() {
    // A log that keeps 64 events (the least it keeps; trimmed as a project's
    // revision passes a multiple of 64): the history keeps every one.
    let server = TestServer::start_with(Limits { event_retention: 64, ..test_limits() }).await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let vic = server.user("vic").await;
    let pid = server.project("alpha", &["ann:owner", "bob:member", "vic:viewer"]).await;
    let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    let done = board["statuses"][2]["id"].as_i64().unwrap();
    let post = |path: String, who: &String, body: Value| {
        let (server, who) = (&server, who.clone());
        async move { server.rest("POST", &path, &who, Some(body)).await }
    };
    let (_, login) = post(format!("/api/projects/{pid}/tasks"), &ann, json!({"title": "Fix login"})).await;
    let login = login["task"]["id"].as_i64().unwrap();
    let (_, other) = post(format!("/api/projects/{pid}/tasks"), &ann, json!({"title": "Old idea"})).await;
    let other = other["task"]["id"].as_i64().unwrap();
    post(format!("/api/tasks/{login}/move"), &bob, json!({"status_id": done})).await;
    post(format!("/api/tasks/{login}/comments"), &ann, json!({"body": "Thanks!"})).await;
    server.rest("DELETE", &format!("/api/tasks/{other}"), &ann, None).await;
    for i in 0..130 {
        server
            .rest(
                "PATCH",
                &format!("/api/tasks/{login}"),
                &bob,
                Some(json!({"description": format!("v{i}")})),
            )
            .await;
    }
    // The log has let the first events go; the history has not.
    let (status, _) = server.get(&format!("/api/projects/{pid}/events?after=0"), Some(&vic)).await;
    assert_eq!(status, 410);
    let (status, lines) = server.get(&format!("/api/projects/{pid}/activity?limit=500"), Some(&vic)).await;
    assert_eq!(status, 200, "{lines}");
    let said = whats(&lines);
    assert_eq!(said.len(), 135, "{said:?}");
    assert_eq!(said[0], "bob edited the description of “Fix login”", "newest first");
    assert_eq!(
        &said[130..],
        [
            "ann deleted “Old idea”",
            "ann commented on “Fix login”",
            "bob moved “Fix login” from Todo to Done",
            "ann added “Old idea” to Todo",
            "ann added “Fix login” to Todo",
        ]
    );
    let revs: Vec<u64> = lines.as_array().unwrap().iter().map(|l| l["rev"].as_u64().unwrap()).collect();
    assert!(revs.windows(2).all(|w| w[0] == w[1] + 1), "{revs:?}");
    // A page: at most `limit`, before a revision.
    let (_, page) =
        server.get(&format!("/api/projects/{pid}/activity?before={}&limit=2", revs[130]), Some(&vic)).await;
    assert_eq!(whats(&page), ["ann commented on “Fix login”", "bob moved “Fix login” from Todo to Done"]);
    // One card's history: its own events only.
    let (status, card) = server.get(&format!("/api/tasks/{login}/history?limit=3"), Some(&ann)).await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(whats(&card), ["bob edited the description of “Fix login”"; 3]);
    let (_, all) = server.get(&format!("/api/tasks/{login}/history?limit=500"), Some(&ann)).await;
    assert_eq!(all.as_array().unwrap().len(), 133);
    assert!(all.as_array().unwrap().iter().all(|l| l["task_id"] == login));
    // Someone of another project learns nothing.
    let eve = server.user("eve").await;
    assert_eq!(server.get(&format!("/api/projects/{pid}/activity"), Some(&eve)).await.0, 404);
    assert_eq!(server.get(&format!("/api/tasks/{login}/history"), Some(&eve)).await.0, 404);
}

crate::both_stores!(
    history_says_what_a_move_and_a_column_change_did,
    history_says_who_did_what_newest_first_and_outlives_the_log
);
