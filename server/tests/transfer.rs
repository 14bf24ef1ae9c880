//! `project export` and `project import` through the real binary on a data
//! directory a running server serves: a round trip gives the same board, and a
//! Trello board's export (a realistic file kept in `fixtures/`) comes in with its
//! lists, cards, labels, due dates, comments and checklists, and without what was
//! archived.

use serde_json::{Value, json};

use crate::util::{TestServer, admin};

/// The board of an export, without what an import does not keep: the name, the
/// times of comments (an imported comment is made now) and their authors (an
/// imported comment is the importer's, its author's name before it).
fn board_of(export: &str) -> Value {
    let mut v: Value = serde_json::from_str(export).expect("an export is JSON");
    v.as_object_mut().unwrap().remove("name");
    for column in v["columns"].as_array_mut().unwrap() {
        for card in column["cards"].as_array_mut().unwrap() {
            for comment in card["comments"].as_array_mut().unwrap() {
                comment.as_object_mut().unwrap().remove("created_at");
                comment.as_object_mut().unwrap().remove("author");
            }
        }
    }
    v
}

/// The comments of an export's card, as (author, body).
fn comments_of(export: &Value, column: usize, card: usize) -> Vec<(String, String)> {
    export["columns"][column]["cards"][card]["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["author"].as_str().unwrap_or("").to_string(), c["body"].as_str().unwrap().to_string()))
        .collect()
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
    // A checklist, not in the order made, one item ticked.
    let mut items = Vec::new();
    for text in ["Write tests", "Fix it"] {
        let (status, made) = server
            .rest("POST", &format!("/api/tasks/{}/checklist", ids[1]), &bob, Some(json!({"text": text})))
            .await;
        assert_eq!(status, 201, "{made}");
        items.push(made["item"]["id"].as_i64().unwrap());
    }
    let (status, _) = server
        .rest(
            "POST",
            &format!("/api/checklist/{}/move", items[1]),
            &bob,
            Some(json!({"before_id": items[0]})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .rest("PATCH", &format!("/api/checklist/{}", items[1]), &bob, Some(json!({"done": true})))
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
    assert_eq!(
        value["columns"][0]["cards"][0]["checklist"],
        json!([{"text": "Fix it", "done": true}, {"text": "Write tests", "done": false}])
    );
    assert!(value["columns"][0]["cards"][1].get("checklist").is_none(), "none without items");
    assert_eq!(value["columns"][3]["name"], "Review");

    let id = admin(
        dir,
        &["project", "import", file.to_str().unwrap(), "--name", "alpha again", "--members-from-file"],
    );
    assert!(id.parse::<i64>().is_ok(), "the new id alone: {id:?}");
    let again = admin(dir, &["project", "export", &id]);
    let mut expected = board_of(&exported);
    // Each comment is the importer's now, its author's name before it.
    for comment in expected["columns"][0]["cards"][0]["comments"].as_array_mut().unwrap() {
        let body = comment["body"].as_str().unwrap().to_string();
        let author = if body.starts_with("Is this") { "ann" } else { "bob" };
        comment["body"] = json!(format!("{author}: {body}"));
    }
    assert_eq!(board_of(&again), expected, "the same board:\n{again}");
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(
        comments_of(&again, 0, 0),
        [("ann".into(), "ann: Is this ready?".into()), ("ann".into(), "bob: Yes.\nShip it.".into())],
        "the importer's, with who said them"
    );
    // Members came by name; the imported board is live for them.
    let (status, imported) = server.get(&format!("/api/projects/{id}/board"), Some(&bob)).await;
    assert_eq!(status, 200, "{imported}");
    // A name taken, or a file that is no board, is refused and makes nothing.
    let out = std::process::Command::new(crate::util::server_bin())
        .args(["--data-dir", dir.to_str().unwrap(), "project", "import", file.to_str().unwrap()])
        .args(["--member", "ann:owner"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("alpha"), "{said}");
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
async fn a_trello_board_comes_in_with_its_lists_cards_labels_comments_and_checklists() {
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
    // Its two checklists as one, in Trello's order, each item saying its list.
    assert_eq!(
        hero["checklist"],
        json!([
            {"text": "Shots: Wide shot", "done": true},
            {"text": "Shots: Close-up", "done": false},
            {"text": "Review: Sign-off from legal", "done": false},
        ])
    );
    assert_eq!(
        export["columns"][0]["cards"][1]["checklist"],
        json!([{"text": "Reproduce", "done": true}, {"text": "Ship it", "done": false}]),
        "one list: items as they are"
    );
    assert_eq!(export["columns"][0]["cards"][0]["description"], "Three paragraphs.\nNo jargon.");
    assert_eq!(export["members"], json!([{"name": "ann", "role": "owner"}]));
    let (status, board) = server.get(&format!("/api/projects/{id}/board"), Some(&ann)).await;
    assert_eq!(status, 200);
    assert_eq!(board["tasks"].as_array().unwrap().len(), 4);
}

/// An export of one column, "Todo", of `cards` cards (card `bad`, if any, with a
/// title no board takes) whose descriptions are `description` characters long.
fn export_of(cards: usize, bad: Option<usize>, description: usize, members: Value) -> String {
    let text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(description / 56 + 1);
    let cards: Vec<Value> = (0..cards)
        .map(|i| {
            let title = if Some(i) == bad { String::new() } else { format!("Card {i}") };
            json!({"title": title, "description": &text[..description],
                   "comments": [{"author": "bob", "body": "I approve"}, {"body": "Anonymous"}]})
        })
        .collect();
    json!({"format": "kanban", "version": 1, "name": "Imported", "members": members,
           "columns": [{"name": "Todo", "cards": cards}]})
    .to_string()
}

/// Rows of `table` in the data directory's database.
fn rows(dir: &std::path::Path, table: &str) -> i64 {
    let db = rusqlite::Connection::open(dir.join(kanban_server::DATABASE_FILE)).unwrap();
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

/// `project import` through the binary, on `dir`: its status and what it said.
fn import(dir: &std::path::Path, file: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(crate::util::server_bin())
        .args(["--data-dir", dir.to_str().unwrap(), "project", "import", file.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    let said = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    (out.status.success(), said(&out.stdout), said(&out.stderr))
}

/// A file is trusted for the board, not for people: its member list grants
/// nothing unless the command line asks for it, and its comments are the
/// importer's, each with its author's name before it.
#[tokio::test(flavor = "multi_thread")]
async fn an_import_trusts_its_file_for_the_board_not_for_people() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.user("bob").await;
    let mallory = server.user("mallory").await;
    let dir = server.dir.path();
    let file = dir.join("board.json");
    let members = json!([{"name": "mallory", "role": "owner"}, {"name": "bob", "role": "member"}]);
    std::fs::write(&file, export_of(1, None, 10, members)).unwrap();

    let (ok, _, said) = import(dir, &file, &[]);
    assert!(!ok && said.contains("--member USER:owner"), "{said}");
    assert_eq!(admin(dir, &["project", "list"]), "", "nothing made");

    let (ok, id, said) = import(dir, &file, &["--member", "ann:owner"]);
    assert!(ok, "{said}");
    assert_eq!(admin(dir, &["project", "list"]), format!("{id}\tImported\tann:owner"));
    let (status, _) = server.get(&format!("/api/projects/{id}/board"), Some(&mallory)).await;
    assert_eq!(status, 404, "the file's owner is nobody here");
    let export: Value = serde_json::from_str(&admin(dir, &["project", "export", &id])).unwrap();
    assert_eq!(
        comments_of(&export, 0, 0),
        [("ann".into(), "bob: I approve".into()), ("ann".into(), "Anonymous".into())],
        "the importer's comments, with who the file says wrote them"
    );

    let (ok, again, said) =
        import(dir, &file, &["--member", "ann:owner", "--members-from-file", "--name", "x"]);
    assert!(ok, "{said}");
    assert_eq!(
        admin(dir, &["project", "list"]).lines().last().unwrap(),
        format!("{again}\tx\tann:owner,bob:member,mallory:owner"),
        "asked for: the file's members who are users here"
    );
    let (status, _) = server.get(&format!("/api/projects/{again}/board"), Some(&ann)).await;
    assert_eq!(status, 200);
}

/// An import is all or nothing. A card refused three slices in leaves no project,
/// column, card, comment or event behind; one killed midway shows nobody
/// anything, and what it made is dropped once it is stale, by the next import.
#[tokio::test(flavor = "multi_thread")]
async fn an_import_is_all_or_nothing_even_when_killed() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.user("bob").await;
    let dir = server.dir.path();
    let tables = ["projects", "statuses", "tasks", "comments", "events", "activity"];
    let before: Vec<i64> = tables.iter().map(|t| rows(dir, t)).collect();

    let file = dir.join("bad.json");
    std::fs::write(&file, export_of(1_200, Some(1_100), 10, json!([]))).unwrap();
    let (ok, _, said) = import(dir, &file, &["--member", "ann:owner"]);
    assert!(!ok, "refused");
    assert!(said.contains("cannot import card") && said.contains("nothing was imported"), "{said}");
    let after: Vec<i64> = tables.iter().map(|t| rows(dir, t)).collect();
    assert_eq!(after, before, "nothing left of {tables:?}");

    // Killed while its cards go in.
    let big = dir.join("big.json");
    std::fs::write(&big, export_of(20_000, None, 10, json!([]))).unwrap();
    let mut child = std::process::Command::new(crate::util::server_bin())
        .args(["--data-dir", dir.to_str().unwrap(), "project", "import", big.to_str().unwrap()])
        .args(["--member", "ann:owner"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + crate::util::WAIT * 3;
    while rows(dir, "tasks") == 0 {
        assert!(std::time::Instant::now() < deadline, "the import never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(rows(dir, "tasks") < 20_000, "killed midway");
    assert_eq!(admin(dir, &["project", "list"]), "", "nobody sees a half-made project");
    let (_, projects) = server.get("/api/projects", Some(&ann)).await;
    assert_eq!(projects, json!([]));

    // Ten minutes on, the next import drops what it left.
    let db = rusqlite::Connection::open(dir.join(kanban_server::DATABASE_FILE)).unwrap();
    db.execute("UPDATE imports SET touched_at = '2000-01-01T00:00:00.000Z'", []).unwrap();
    let small = dir.join("small.json");
    std::fs::write(&small, export_of(3, None, 10, json!([]))).unwrap();
    let (ok, _, said) = import(dir, &small, &["--member", "ann:owner"]);
    assert!(ok, "{said}");
    assert_eq!(rows(dir, "tasks"), 3, "the dead import's cards are gone, the new ones are in");
    assert_eq!(rows(dir, "projects"), before[0] + 1);
    assert_eq!(rows(dir, "imports"), 0);
}

/// A large export (120,000 cards in 5 MB) comes in within a bounded memory:
/// parsed straight into the board it is, never as a tree of JSON values, and made
/// a slice at a time (GNU time's peak resident size of the import's process:
/// 70 MB; a tree of values took 160).
#[tokio::test(flavor = "multi_thread")]
async fn a_large_import_takes_bounded_memory() {
    let Some(time) =
        crate::util::tool("/usr/bin/time", "GNU time (`apt-get install time`) measures the import's memory")
    else {
        return;
    };
    let server = TestServer::start().await;
    server.user("ann").await;
    let dir = server.dir.path();
    let file = dir.join("large.json");
    let cards: Vec<Value> =
        (0..120_000).map(|i| json!({"title": format!("Card {i}"), "labels": ["bug", "ui"]})).collect();
    let board = json!({"format": "kanban", "version": 1, "name": "Large", "members": [],
                       "columns": [{"name": "Todo", "cards": cards}]});
    std::fs::write(&file, board.to_string()).unwrap();
    drop(board);
    let size = std::fs::metadata(&file).unwrap().len();
    let out = std::process::Command::new(time)
        .args(["-f", "peak %M KiB"])
        .arg(crate::util::server_bin())
        .args(["--data-dir", dir.to_str().unwrap(), "project", "import", file.to_str().unwrap()])
        .args(["--member", "ann:owner"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    let peak: u64 = said
        .lines()
        .find_map(|l| l.strip_prefix("peak ")?.strip_suffix(" KiB")?.parse().ok())
        .unwrap_or_else(|| panic!("no peak in {said}"));
    eprintln!("importing {size} bytes took a peak of {peak} KiB");
    assert!(peak < 120 * 1024, "{peak} KiB for a file of {size} bytes");
    assert_eq!(rows(dir, "tasks"), 120_000);
}
