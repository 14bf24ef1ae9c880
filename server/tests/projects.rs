//! Boards and members over REST, on SQLite and PostgreSQL: anyone makes a board
//! and owns it (unless the site keeps that to its administrators), its owners
//! rename, archive and bring it back and manage its members, an archived board
//! takes no changes, a board never loses its last owner, and access given or taken
//! reaches the people's open boards as the admin commands' does.

use serde_json::{Value, json};

use crate::util::{Closed, TestServer, Ws};

fn names(members: &Value) -> Vec<(String, String)> {
    members
        .as_array()
        .unwrap_or_else(|| panic!("members: {members}"))
        .iter()
        .map(|m| (m["name"].as_str().unwrap().to_string(), m["role"].as_str().unwrap().to_string()))
        .collect()
}

fn pair(name: &str, role: &str) -> (String, String) {
    (name.to_string(), role.to_string())
}

async fn anyone_makes_a_board_and_its_owners_manage_it() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let eve = server.user("eve").await;

    let (status, made) =
        server.rest("POST", "/api/projects", &ann, Some(json!({"name": "  Launch  "}))).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!((made["name"].as_str(), made["role"].as_str()), (Some("Launch"), Some("owner")));
    let pid = made["id"].as_i64().unwrap();
    let (status, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    assert_eq!(status, 200, "{board}");
    assert_eq!(board["statuses"].as_array().unwrap().len(), 3, "with the default columns");
    for (bad, why) in
        [(json!({"name": ""}), 422), (json!({"name": "1234"}), 422), (json!({"name": "Launch"}), 409)]
    {
        let (status, body) = server.rest("POST", "/api/projects", &bob, Some(bad)).await;
        assert_eq!(status, why, "{body}");
    }

    // Members: granted by name, their role changed, taken away; each answer the list.
    let path = format!("/api/projects/{pid}/members");
    let (status, members) = server.rest("POST", &path, &ann, Some(json!({"user": "bob"}))).await;
    assert_eq!(status, 201, "{members}");
    assert_eq!(names(&members), [pair("ann", "owner"), pair("bob", "member")]);
    let (status, body) = server.rest("POST", &path, &ann, Some(json!({"user": "nobody"}))).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server.rest("POST", &path, &bob, Some(json!({"user": "eve"}))).await;
    assert_eq!(status, 403, "a member manages no one: {body}");
    let (status, body) =
        server.rest("POST", &path, &eve, Some(json!({"user": "eve", "role": "owner"}))).await;
    assert_eq!(status, 404, "an outsider learns nothing: {body}");
    let (status, listed) = server.get(&path, Some(&bob)).await;
    assert_eq!((status, names(&listed).len()), (200, 2), "{listed}");
    let bob_id = server.get("/api/me", Some(&bob)).await.1["id"].as_i64().unwrap();
    let ann_id = server.get("/api/me", Some(&ann)).await.1["id"].as_i64().unwrap();
    let (status, members) =
        server.rest("PATCH", &format!("{path}/{bob_id}"), &ann, Some(json!({"role": "viewer"}))).await;
    assert_eq!(status, 200, "{members}");
    assert_eq!(names(&members)[1], pair("bob", "viewer"));
    // Never without an owner: ann, the only one, may neither step down nor leave.
    let (status, body) =
        server.rest("PATCH", &format!("{path}/{ann_id}"), &ann, Some(json!({"role": "member"}))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("last owner"), "{body}");
    let (status, body) = server.rest("DELETE", &format!("{path}/{ann_id}"), &ann, None).await;
    assert_eq!(status, 422, "{body}");
    // bob leaves by himself.
    let (status, members) = server.rest("DELETE", &format!("{path}/{bob_id}"), &bob, None).await;
    assert_eq!(status, 200, "{members}");
    assert_eq!(names(&members), [pair("ann", "owner")]);
    let (status, _) = server.get(&format!("/api/projects/{pid}/board"), Some(&bob)).await;
    assert_eq!(status, 404, "gone with his access");

    // Renamed and archived by an owner: out of the list, and it takes no changes.
    server.rest("POST", &path, &ann, Some(json!({"user": "bob", "role": "member"}))).await;
    let (status, body) =
        server.rest("PATCH", &format!("/api/projects/{pid}"), &bob, Some(json!({"archived": true}))).await;
    assert_eq!(status, 403, "{body}");
    let (status, renamed) = server
        .rest(
            "PATCH",
            &format!("/api/projects/{pid}"),
            &ann,
            Some(json!({"name": "Launch 2", "archived": true})),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!((renamed["name"].as_str(), renamed["archived"].as_bool()), (Some("Launch 2"), Some(true)));
    let (_, listed) = server.get("/api/projects", Some(&bob)).await;
    assert_eq!(listed, json!([]), "archived boards leave the list");
    let (_, listed) = server.get("/api/projects?archived=1", Some(&bob)).await;
    assert_eq!(listed[0]["archived"], true, "{listed}");
    let (status, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&bob)).await;
    assert_eq!((status, board["project"]["archived"].as_bool()), (200, Some(true)), "still readable");
    let (status, body) =
        server.rest("POST", &format!("/api/projects/{pid}/tasks"), &bob, Some(json!({"title": "no"}))).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("archived"), "{body}");
    let (status, _) =
        server.rest("PATCH", &format!("/api/projects/{pid}"), &ann, Some(json!({"archived": false}))).await;
    assert_eq!(status, 200);
    let (status, body) =
        server.rest("POST", &format!("/api/projects/{pid}/tasks"), &bob, Some(json!({"title": "yes"}))).await;
    assert_eq!(status, 201, "back, it takes changes: {body}");
}

async fn access_given_and_taken_reaches_open_boards() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let (_, made) = server.rest("POST", "/api/projects", &ann, Some(json!({"name": "Live"}))).await;
    let pid = made["id"].as_i64().unwrap();
    let path = format!("/api/projects/{pid}/members");
    server.rest("POST", &path, &ann, Some(json!({"user": "bob", "role": "viewer"}))).await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.join(&server, &bob, &format!("private-project-{pid}")).await;
    let bob_id = server.get("/api/me", Some(&bob)).await.1["id"].as_i64().unwrap();
    let (status, _) =
        server.rest("PATCH", &format!("{path}/{bob_id}"), &ann, Some(json!({"role": "member"}))).await;
    assert_eq!(status, 200);
    let changed = crate::util::data_of(&ws.recv_event("members-changed").await);
    assert_eq!(names(&changed["members"])[1], pair("bob", "member"), "{changed}");
    // Taken away: bob's connection is asked to go (as `project revoke` does).
    let (status, _) = server.rest("DELETE", &format!("{path}/{bob_id}"), &ann, None).await;
    assert_eq!(status, 200);
    assert_eq!(ws.closed().await, Closed::Code(4200), "reconnect, and be refused");
}

async fn making_boards_counts_in_the_budget_of_changes() {
    let limits = kanban_server::config::Limits { max_writes_per_user: 1, ..crate::util::test_limits() };
    let server = TestServer::start_with(limits).await;
    let ann = server.user("ann").await;
    // A burst of five seconds' worth, then no more for now.
    let mut refused = None;
    for i in 0..10 {
        let (status, body) =
            server.rest("POST", "/api/projects", &ann, Some(json!({"name": format!("Board {i}")}))).await;
        if status != 201 {
            refused = Some((i, status, body));
            break;
        }
    }
    let (i, status, body) = refused.expect("a script making boards in a loop is stopped");
    assert_eq!((i, status), (5, 429), "{body}");
    let (_, listed) = server.get("/api/projects", Some(&ann)).await;
    assert_eq!(listed.as_array().unwrap().len(), 5, "none made past the budget");
}

async fn a_site_may_keep_making_boards_to_its_administrators() {
    let limits = kanban_server::config::Limits { admins_make_boards: true, ..crate::util::test_limits() };
    let server = TestServer::start_with(limits).await;
    let ann = server.user("ann").await;
    let (status, body) = server.rest("POST", "/api/projects", &ann, Some(json!({"name": "Mine"}))).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("project add"), "{body}");
}

crate::both_stores!(
    anyone_makes_a_board_and_its_owners_manage_it,
    access_given_and_taken_reaches_open_boards,
    making_boards_counts_in_the_budget_of_changes,
    a_site_may_keep_making_boards_to_its_administrators,
);
