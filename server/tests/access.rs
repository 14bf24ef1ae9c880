//! The access matrix: every REST route and channel kind, for every kind of caller
//! (owner, member, viewer, member of another project, no token, bad token, revoked
//! token), gets the expected answer, and no answer or event carries another
//! project's data.

use kanban_server::admin;
use serde_json::{Value, json};

use crate::util::{Closed, TestServer, Ws, data_of};

const CALLERS: [&str; 7] = ["owner", "member", "viewer", "other", "none", "bad", "revoked"];

/// The expected status per caller, in the order of [`CALLERS`].
type Want = [u16; 7];

const READ: Want = [200, 200, 200, 404, 401, 401, 401];
const WRITE: Want = [200, 200, 403, 404, 401, 401, 401];
const CREATE: Want = [201, 201, 403, 404, 401, 401, 401];
const ANYONE: Want = [200, 200, 200, 200, 401, 401, 401];
const CHANNEL: Want = [200, 200, 200, 403, 401, 401, 401];

/// The marker of project P's data: it must never reach the other project's member.
const SECRET_TITLE: &str = "only-for-project-P";

struct Fixture {
    server: TestServer,
    tokens: Vec<Option<String>>,
    pid: i64,
    columns: Vec<i64>,
}

async fn fixture() -> Fixture {
    let server = TestServer::start().await;
    let owner = server.user("owner").await;
    let member = server.user("member").await;
    let viewer = server.user("viewer").await;
    let other = server.user("other").await;
    let revoked = server.user("revoked").await;
    // Revoked before it joins P: a revocation of a member would (rightly) send P's
    // live connections to reconnect a moment later, in the middle of a test.
    admin::user_revoke(server.server.store().as_ref(), "revoked").await.unwrap();
    let pid = server.project("P", &["owner:owner", "member:member", "viewer:viewer", "revoked:owner"]).await;
    server.project("Q", &["other:owner"]).await;
    let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&owner)).await;
    let columns = board["statuses"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    let (status, _) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &owner, Some(json!({"title": SECRET_TITLE})))
        .await;
    assert_eq!(status, 201);
    let tokens = vec![
        Some(owner),
        Some(member),
        Some(viewer),
        Some(other),
        None,
        Some("kb_not-a-token".into()),
        Some(revoked),
    ];
    Fixture { server, tokens, pid, columns }
}

impl Fixture {
    fn owner(&self) -> &str {
        self.tokens[0].as_deref().unwrap()
    }

    async fn call(&self, caller: usize, method: &str, path: &str, body: Option<Value>) -> (u16, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.server.http.request(method, self.server.url(path));
        if let Some(t) = &self.tokens[caller] {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// A fresh card (so that each caller's delete has one).
    async fn card(&self) -> i64 {
        let (_, c) = self
            .server
            .rest(
                "POST",
                &format!("/api/projects/{}/tasks", self.pid),
                self.owner(),
                Some(json!({"title": "c"})),
            )
            .await;
        c["task"]["id"].as_i64().unwrap()
    }

    async fn column(&self) -> i64 {
        let (_, c) = self
            .server
            .rest(
                "POST",
                &format!("/api/projects/{}/statuses", self.pid),
                self.owner(),
                Some(json!({"name": "c"})),
            )
            .await;
        c["status"]["id"].as_i64().unwrap()
    }
}

async fn every_route_for_every_caller() {
    let f = fixture().await;
    let pid = f.pid;
    let mut failures = Vec::new();
    for (caller, who) in CALLERS.iter().enumerate() {
        let tid = f.card().await;
        let sid = f.column().await;
        let doomed_card = f.card().await;
        let doomed_column = f.column().await;
        let (trashed_card, trashed_column) = (f.card().await, f.column().await);
        f.server.rest("DELETE", &format!("/api/tasks/{trashed_card}"), f.owner(), None).await;
        f.server.rest("DELETE", &format!("/api/statuses/{trashed_column}"), f.owner(), None).await;
        let calls: Vec<(&str, String, Option<Value>, Want)> = vec![
            ("GET", "/api/me".into(), None, ANYONE),
            ("GET", "/api/projects".into(), None, ANYONE),
            ("GET", format!("/api/projects/{pid}/board"), None, READ),
            ("GET", format!("/api/projects/{pid}/events?after=0"), None, READ),
            ("POST", format!("/api/projects/{pid}/tasks"), Some(json!({"title": "t"})), CREATE),
            ("PATCH", format!("/api/tasks/{tid}"), Some(json!({"title": "u"})), WRITE),
            ("POST", format!("/api/tasks/{tid}/move"), Some(json!({"status_id": f.columns[1]})), WRITE),
            ("DELETE", format!("/api/tasks/{doomed_card}"), None, WRITE),
            ("POST", format!("/api/projects/{pid}/statuses"), Some(json!({"name": "s"})), CREATE),
            ("PATCH", format!("/api/statuses/{sid}"), Some(json!({"name": "v"})), WRITE),
            ("POST", format!("/api/statuses/{sid}/move"), Some(json!({"after_id": f.columns[0]})), WRITE),
            ("DELETE", format!("/api/statuses/{doomed_column}"), None, WRITE),
            ("GET", format!("/api/projects/{pid}/trash"), None, READ),
            ("POST", format!("/api/tasks/{trashed_card}/restore"), None, WRITE),
            ("POST", format!("/api/statuses/{trashed_column}/restore"), None, WRITE),
        ];
        for (method, path, body, want) in calls {
            let (status, text) = f.call(caller, method, &path, body).await;
            if status != want[caller] {
                failures.push(format!("{who}: {method} {path} -> {status}, want {}", want[caller]));
            }
            if status >= 400 && !text.contains("\"error\"") {
                failures.push(format!("{who}: {method} {path} -> no error message: {text}"));
            }
            if caller >= 3 && text.contains(SECRET_TITLE) {
                failures.push(format!("{who}: {method} {path} leaked project P: {text}"));
            }
        }
        // Channel auth for both board channels.
        for channel in [format!("private-project-{pid}"), format!("presence-project-{pid}")] {
            let mut req = f.server.http.post(f.server.url("/api/pusher/auth"));
            if let Some(t) = &f.tokens[caller] {
                req = req.bearer_auth(t);
            }
            let status =
                req.form(&[("socket_id", "1.2"), ("channel_name", &channel)]).send().await.unwrap().status();
            if status.as_u16() != CHANNEL[caller] {
                failures.push(format!("{who}: auth {channel} -> {status}, want {}", CHANNEL[caller]));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn no_event_of_a_project_reaches_another() {
    let f = fixture().await;
    let other = f.tokens[3].clone().unwrap();
    let qid = f.server.get("/api/projects", Some(&other)).await.1[0]["id"].as_i64().unwrap();
    let mut ws = Ws::connect(&f.server.ws_url()).await;
    ws.join(&f.server, &other, &format!("private-project-{qid}")).await;
    ws.join(&f.server, &other, &format!("presence-project-{qid}")).await;
    // A signature for one's own channel does not open another's.
    let (_, auth) = f.server.authorize(&other, &ws.socket_id, &format!("private-project-{qid}")).await;
    ws.subscribe(&format!("private-project-{}", f.pid), auth["auth"].as_str(), None).await;
    let refused = ws.recv().await;
    assert_eq!(refused["event"], "pusher:subscription_error");
    assert_eq!(data_of(&refused)["status"], 401);
    // Project P changes a lot; Q's member hears nothing of it.
    for i in 0..5 {
        f.server
            .rest(
                "POST",
                &format!("/api/projects/{}/tasks", f.pid),
                f.owner(),
                Some(json!({"title": format!("{SECRET_TITLE} {i}")})),
            )
            .await;
    }
    let body = json!({"name": "q-only", "channel": format!("private-project-{qid}"), "data": "{}"});
    f.server.api("POST", "/apps/4242/events", &[], Some(&body)).await;
    let frames = ws.drain().await;
    let names: Vec<&str> = frames.iter().map(|f| f["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["q-only"], "only Q's own event: {frames:?}");
}

/// Access taken away by the admin command line (here: a second store on the same
/// file, as another process would open it) ends the live subscriptions of the
/// projects it touched: those connections are told to reconnect (4200), and on
/// their way back whoever lost access is refused. Other projects' connections stay.
async fn revoked_access_ends_live_subscriptions() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let cat = server.user("cat").await;
    let dan = server.user("dan").await;
    let p = server.project("P", &["ann:owner", "bob:member"]).await;
    let q = server.project("Q", &["cat:owner"]).await;
    let r = server.project("R", &["dan:owner", "ann:owner"]).await;
    let admin_store = server.admin_store().await;

    let mut on_p = Vec::new();
    for token in [&ann, &bob] {
        let mut ws = Ws::connect(&server.ws_url()).await;
        ws.join(&server, token, &format!("private-project-{p}")).await;
        ws.join(&server, token, &format!("presence-project-{p}")).await;
        ws.drain().await;
        on_p.push(ws);
    }
    let mut on_q = Ws::connect(&server.ws_url()).await;
    on_q.join(&server, &cat, &format!("private-project-{q}")).await;
    let mut on_r = Ws::connect(&server.ws_url()).await;
    on_r.join(&server, &dan, &format!("private-project-{r}")).await;

    // A membership revoked: everyone on P reconnects; bob is refused, ann is not.
    admin::project_revoke(admin_store.as_ref(), "P", "bob").await.unwrap();
    for ws in &mut on_p {
        assert_eq!(ws.closed().await, Closed::Code(4200));
    }
    let mut back = Ws::connect(&server.ws_url()).await;
    let (status, _) = server.authorize(&bob, &back.socket_id, &format!("private-project-{p}")).await;
    assert_eq!(status, 403, "bob is no longer a member of P");
    back.join(&server, &ann, &format!("private-project-{p}")).await;

    // A user's tokens revoked: cat's connection on Q goes; the old token opens nothing.
    admin::user_revoke(admin_store.as_ref(), "cat").await.unwrap();
    assert_eq!(on_q.closed().await, Closed::Code(4200));
    let (status, _) = server.authorize(&cat, &back.socket_id, &format!("private-project-{q}")).await;
    assert_eq!(status, 401);

    // A user removed (its memberships go with it): dan's connection on R goes.
    admin::user_remove(admin_store.as_ref(), "dan").await.unwrap();
    assert_eq!(on_r.closed().await, Closed::Code(4200));

    // ann's new connection was never asked to leave: it still hears P's events.
    let (status, _) =
        server.rest("POST", &format!("/api/projects/{p}/tasks"), &ann, Some(json!({"title": "after"}))).await;
    assert_eq!(status, 201);
    let created = back.recv_event("task-created").await;
    assert_eq!(data_of(&created)["task"]["title"], "after");
}

/// Members granted or changed reach open boards at once as `members-changed` (the
/// members now, with names, colors and roles), without a reconnect; where access
/// is taken away everyone reconnects, and the catch-up carries the members.
async fn membership_changes_reach_open_boards() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.user("bob").await;
    let p = server.project("P", &["ann:owner"]).await;
    let admin_store = server.admin_store().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.join(&server, &ann, &format!("private-project-{p}")).await;
    let members = |frame: &Value| -> Vec<(String, String)> {
        data_of(frame)["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["name"].as_str().unwrap().to_string(), m["role"].as_str().unwrap().to_string()))
            .collect()
    };
    let pair = |n: &str, r: &str| (n.to_string(), r.to_string());

    admin::project_grant(admin_store.as_ref(), "P", "bob", "member".parse().unwrap()).await.unwrap();
    let frame = ws.recv_event("members-changed").await;
    assert_eq!(members(&frame), [pair("ann", "owner"), pair("bob", "member")]);
    assert!(data_of(&frame)["members"][1]["color"].as_str().unwrap().starts_with('#'));
    admin::project_grant(admin_store.as_ref(), "P", "bob", "viewer".parse().unwrap()).await.unwrap();
    let frame = ws.recv_event("members-changed").await;
    assert_eq!(members(&frame), [pair("ann", "owner"), pair("bob", "viewer")]);

    // Granting moved no revision and closed nothing: the board's events still come.
    let (status, _) =
        server.rest("POST", &format!("/api/projects/{p}/tasks"), &ann, Some(json!({"title": "t"}))).await;
    assert_eq!(status, 201);
    assert_eq!(data_of(&ws.recv_event("task-created").await)["rev"], 1);

    // Access taken away: everyone reconnects, is authorized anew, and takes the
    // members with the catch-up (an event would reach bob too).
    admin::project_revoke(admin_store.as_ref(), "P", "bob").await.unwrap();
    assert_eq!(ws.closed().await, Closed::Code(4200));

    let (status, since) = server.get(&format!("/api/projects/{p}/events?after=0"), Some(&ann)).await;
    assert_eq!(status, 200);
    assert_eq!(
        since["members"],
        json!([{"id": 1, "name": "ann", "color": since["members"][0]["color"], "role": "owner"}])
    );
}

/// The board channel carries the server's authority: no subscriber, a viewer least
/// of all, may publish on it. The refusal is an error on that connection only; the
/// others hear nothing, and the sender stays connected.
async fn nobody_publishes_on_the_board_channel() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let vic = server.user("vic").await;
    let pid = server.project("P", &["ann:owner", "vic:viewer"]).await;
    let board = format!("private-project-{pid}");
    let mut listener = Ws::connect(&server.ws_url()).await;
    listener.join(&server, &ann, &board).await;
    let mut viewer = Ws::connect(&server.ws_url()).await;
    viewer.join(&server, &vic, &board).await;
    let mut owner = Ws::connect(&server.ws_url()).await;
    owner.join(&server, &ann, &board).await;

    let rev = server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await.1["rev"].as_u64().unwrap();
    for (ws, event) in [(&mut viewer, "client-evil"), (&mut owner, "client-task-created")] {
        let forged = json!({"rev": rev + 1, "by": 1, "task": null});
        ws.send(json!({"event": event, "channel": board, "data": forged})).await;
        let replies = ws.drain().await;
        assert_eq!(replies.len(), 1, "{replies:?}");
        assert_eq!(replies[0]["event"], "pusher:error");
        assert!(replies[0]["data"]["message"].as_str().unwrap().contains("server's events"), "{replies:?}");
    }
    assert!(listener.drain().await.is_empty(), "nothing relayed on the board channel");
    // The senders stay subscribed and hear the next real change.
    let (status, _) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(json!({"title": "real"})))
        .await;
    assert_eq!(status, 201);
    for ws in [&mut viewer, &mut listener] {
        let created = ws.recv_event("task-created").await;
        assert_eq!(data_of(&created)["rev"], rev + 1);
    }
}

/// A signature fetched while one was a member is worth nothing once access is taken
/// away, whether by `project revoke` or by `user revoke`: the subscription is
/// checked when it is made, before and after the revocation's sweep of live
/// connections, and the revoked user never reappears in presence.
async fn a_signature_fetched_before_a_revocation_opens_nothing_after_it() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let cat = server.user("cat").await;
    let pid = server.project("P", &["ann:owner", "bob:member", "cat:member"]).await;
    let admin_store = server.admin_store().await;
    let (private, presence) = (format!("private-project-{pid}"), format!("presence-project-{pid}"));
    // Tells when the revocations' sweep of live connections has run.
    let mut sentinel = Ws::connect(&server.ws_url()).await;
    sentinel.join(&server, &ann, &private).await;

    // Each attacker keeps signatures for both channels without subscribing.
    let mut saved = Vec::new();
    for token in [&bob, &cat] {
        let ws = Ws::connect(&server.ws_url()).await;
        let mut auths = Vec::new();
        for channel in [&private, &presence] {
            let (status, auth) = server.authorize(token, &ws.socket_id, channel).await;
            assert_eq!(status, 200);
            auths.push(auth);
        }
        saved.push((ws, auths));
    }
    admin::project_revoke(admin_store.as_ref(), "P", "bob").await.unwrap();
    admin::user_revoke(admin_store.as_ref(), "cat").await.unwrap();

    for round in ["at once", "after the sweep"] {
        if round == "after the sweep" {
            assert_eq!(sentinel.closed().await, Closed::Code(4200));
        }
        for (ws, auths) in &mut saved {
            for (channel, auth) in [&private, &presence].into_iter().zip(auths.iter()) {
                ws.subscribe(channel, auth["auth"].as_str(), auth["channel_data"].as_str()).await;
                let refused = ws.recv().await;
                assert_eq!(refused["event"], "pusher:subscription_error", "{round}, {channel}: {refused}");
                assert_eq!(data_of(&refused)["status"], 403, "{refused}");
            }
        }
        let (_, users) = server.api("GET", &format!("/apps/4242/channels/{presence}/users"), &[], None).await;
        assert_eq!(users["users"], json!([]), "{round}: nobody is present");
    }
    let (status, _) = server
        .rest("POST", &format!("/api/projects/{pid}/tasks"), &ann, Some(json!({"title": "after"})))
        .await;
    assert_eq!(status, 201);
    for (ws, _) in &mut saved {
        let heard = ws.drain().await;
        assert!(heard.is_empty(), "a revoked user hears nothing: {heard:?}");
    }
}

crate::both_stores!(
    every_route_for_every_caller,
    no_event_of_a_project_reaches_another,
    revoked_access_ends_live_subscriptions,
    membership_changes_reach_open_boards,
    nobody_publishes_on_the_board_channel,
    a_signature_fetched_before_a_revocation_opens_nothing_after_it,
);

/// A sign-in (`pusher:signin`) the board's endpoint signed names its token: it
/// ends with the token, live, while a sign-in of another person stays.
#[tokio::test]
async fn a_sign_in_ends_with_its_token() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let admin_store = server.admin_store().await;
    let mut signed = Vec::new();
    for token in [&ann, &bob] {
        let mut ws = Ws::connect(&server.ws_url()).await;
        let res = server
            .http
            .post(server.url("/api/pusher/user-auth"))
            .bearer_auth(token)
            .form(&[("socket_id", ws.socket_id.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        ws.send(json!({"event": "pusher:signin", "data": answer})).await;
        assert_eq!(ws.recv().await["event"], "pusher:signin_success");
        signed.push(ws);
    }
    admin::user_revoke(admin_store.as_ref(), "ann").await.unwrap();
    assert_eq!(signed[0].closed().await, Closed::Code(4200), "ann's sign-in ended with her token");
    let still = signed[1].drain().await;
    assert!(still.is_empty(), "bob's connection goes on: {still:?}");
    let res = server
        .http
        .post(server.url("/api/pusher/user-auth"))
        .bearer_auth(&ann)
        .form(&[("socket_id", "1.2")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the revoked token signs nobody in");
}
