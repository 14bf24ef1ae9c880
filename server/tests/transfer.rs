//! `project export` and `project import` through the real binary on a data
//! directory a running server serves: a round trip gives the same board, and a
//! Trello board's export (a realistic file kept in `fixtures/`) comes in with its
//! lists, cards, labels, due dates and comments, and without what was archived.

use serde_json::{Value, json};

use crate::util::{TestServer, admin};

/// The board of an export, without what an import cannot keep: the name, and the
/// times of comments (an imported comment is made now).
fn board_of(export: &str) -> Value {
    let mut v: Value = serde_json::from_str(export).expect("an export is JSON");
    v.as_object_mut().unwrap().remove("name");
    for column in v["columns"].as_array_mut().unwrap() {
        for card in column["cards"].as_array_mut().unwrap() {
            for comment in card["comments"].as_array_mut().unwrap() {
                comment.as_object_mut().unwrap().remove("created_at");
            }
        }
    }
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_imported_again_is_the_same_board() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let bob_id = server.get("/api/me", Some(&bob)).await.1["id"].as_i64().unwrap();
    let pid = server.project("alpha", &["ann:owner", "bob:member"]).await;
    let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    let todo = board["statuses"][0]["id"].as_i64().unwrap();
    let new_column = json!({"name": "Review", "color": "#61afef", "wip_limit": 3});
    let (status, review) =
        server.rest("POST", &format!("/api/projects/{pid}/statuses"), &ann, Some(new_column)).await;
    assert_eq!(status, 201, "{review}");
    let review = review["status"]["id"].as_i64().unwrap();
    let card = |title: &str, extra: Value| {
        let mut body = json!({"title": title});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let mut ids = Vec::new();
    for body in [
        card("Plain", json!({})),
        card(
            "Full",
            json!({"description": "Two\nlines", "priority": "high", "labels": ["bug", "ui"],
                   "due_date": "2026-12-24", "assignee_id": bob_id}),
        ),
        card("Third", json!({"status_id": review})),
    ] {
        let (status, made) =
            server.rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(body)).await;
        assert_eq!(status, 201, "{made}");
        ids.push(made["task"]["id"].as_i64().unwrap());
    }
    // Not in the order made: "Full" first.
    let (status, _) = server
        .rest(
            "POST",
            &format!("/api/tasks/{}/move", ids[1]),
            &ann,
            Some(json!({"status_id": todo, "before_id": ids[0]})),
        )
        .await;
    assert_eq!(status, 200);
    for (who, body) in [(&ann, "Is this ready?"), (&bob, "Yes.\nShip it.")] {
        let (status, _) = server
            .rest("POST", &format!("/api/tasks/{}/comments", ids[1]), who, Some(json!({"body": body})))
            .await;
        assert_eq!(status, 201);
    }

    let dir = server.dir.path();
    let exported = admin(dir, &["project", "export", "alpha"]);
    let file = dir.join("alpha.json");
    std::fs::write(&file, &exported).unwrap();
    let value: Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(value["columns"][0]["cards"][0]["title"], "Full");
    assert_eq!(value["columns"][0]["cards"][0]["assignee"], "bob");
    assert_eq!(value["columns"][0]["cards"][0]["comments"][1]["author"], "bob");
    assert_eq!(value["columns"][3]["name"], "Review");

    let id = admin(dir, &["project", "import", file.to_str().unwrap(), "--name", "alpha again"]);
    assert!(id.parse::<i64>().is_ok(), "the new id alone: {id:?}");
    let again = admin(dir, &["project", "export", &id]);
    assert_eq!(board_of(&again), board_of(&exported), "the same board:\n{again}");
    // Members came by name; the imported board is live for them.
    let (status, imported) = server.get(&format!("/api/projects/{id}/board"), Some(&bob)).await;
    assert_eq!(status, 200, "{imported}");
    // A name taken, or a file that is no board, is refused and makes nothing.
    let out = std::process::Command::new(crate::util::server_bin())
        .args(["--data-dir", dir.to_str().unwrap(), "project", "import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("alpha"));
    std::fs::write(dir.join("junk.json"), r#"{"hello": "world"}"#).unwrap();
    let out = std::process::Command::new(crate::util::server_bin())
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "project",
            "import",
            dir.join("junk.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("Trello"), "{said}");
    assert_eq!(admin(dir, &["project", "list"]).lines().count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trello_board_comes_in_with_its_lists_cards_labels_and_comments() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let dir = server.dir.path();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/trello-board.json");
    let id = admin(dir, &["project", "import", fixture, "--member", "ann:owner"]);
    let export: Value = serde_json::from_str(&admin(dir, &["project", "export", &id])).unwrap();
    assert_eq!(export["name"], "Website relaunch");
    let columns: Vec<&str> =
        export["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, ["To Do", "Doing", "Done"], "open lists, in Trello's order");
    let titles = |i: usize| -> Vec<String> {
        export["columns"][i]["cards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(titles(0), ["Write the copy", "Fix the 404 page"], "archived cards left out, in order");
    assert_eq!(titles(1), ["New hero image"]);
    assert_eq!(titles(2), ["Launch announcement"]);
    let hero = &export["columns"][1]["cards"][0];
    assert_eq!(hero["description"], "Wide, bright, **no stock photos**.");
    assert_eq!(hero["labels"], json!(["design", "green"]));
    assert_eq!(hero["due_date"], "2026-12-18");
    let said: Vec<&str> =
        hero["comments"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(
        said,
        ["Alice Example: First draft is in the shared folder.", "Björn Ek: Second round looks great."],
        "oldest first, in the name of who said them"
    );
    assert_eq!(export["columns"][0]["cards"][0]["description"], "Three paragraphs.\nNo jargon.");
    assert_eq!(export["members"], json!([{"name": "ann", "role": "owner"}]));
    let (status, board) = server.get(&format!("/api/projects/{id}/board"), Some(&ann)).await;
    assert_eq!(status, 200);
    assert_eq!(board["tasks"].as_array().unwrap().len(), 4);
}
