//! The Pusher Channels protocol v7 over a real WebSocket: handshake, channels,
//! presence, client events, limits and errors.

use std::time::Duration;

use kanban_protocol::sign;
use kanban_server::Limits;
use serde_json::json;

use crate::util::{APP_KEY, APP_SECRET, Closed, TestServer, Ws, data_of, refused_with, test_limits};

#[tokio::test]
async fn handshake_gives_a_socket_id_and_activity_timeout() {
    let server = TestServer::start().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    assert!(kanban_protocol::pusher::is_socket_id(&ws.socket_id), "{}", ws.socket_id);
    let other = Ws::connect(&server.ws_url()).await;
    assert_ne!(ws.socket_id, other.socket_id);
    ws.send(json!({"event": "pusher:ping", "data": {}})).await;
    let pong = ws.recv().await;
    assert_eq!(pong["event"], "pusher:pong");
}

#[tokio::test]
async fn unknown_app_key_and_protocol_are_refused() {
    let server = TestServer::start().await;
    let (frames, code) = refused_with(&format!("ws://{}/app/nope?protocol=7", server.addr())).await;
    assert_eq!(code, 4001);
    let e = frames.first().expect("pusher:error before the close");
    assert_eq!(e["event"], "pusher:error");
    assert_eq!(e["data"]["code"], 4001);

    let (_, code) = refused_with(&format!("ws://{}/app/{APP_KEY}?protocol=3", server.addr())).await;
    assert_eq!(code, 4007);
}

#[tokio::test]
async fn bad_frames_get_errors_and_the_connection_stays() {
    let server = TestServer::start().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    for bad in
        ["{", "[]", r#"{"data":{}}"#, r#"{"event":"pusher:subscribe","data":5}"#, r#"{"event":"nonsense"}"#]
    {
        ws.send_text(bad).await;
        let e = ws.recv().await;
        assert_eq!(e["event"], "pusher:error", "for {bad}: {e}");
        assert!(e["data"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // A bad channel name is a subscription error for that channel.
    ws.subscribe("has space", None, None).await;
    let e = ws.recv().await;
    assert_eq!(e["event"], "pusher:subscription_error");
    assert_eq!(data_of(&e)["status"], 400);
    ws.subscribe(&"a".repeat(201), None, None).await;
    assert_eq!(ws.recv().await["event"], "pusher:subscription_error");
    // Still served.
    ws.subscribe("public-ok", None, None).await;
    assert_eq!(ws.recv().await["event"], "pusher_internal:subscription_succeeded");
}

#[tokio::test]
async fn oversize_frame_closes_only_that_connection() {
    let limits = Limits { max_frame_bytes: 16 * 1024, ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let mut bystander = Ws::connect(&server.ws_url()).await;
    bystander.subscribe("news", None, None).await;
    bystander.recv_event("pusher_internal:subscription_succeeded").await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    ws.send_text(&format!(r#"{{"event":"pusher:ping","data":"{}"}}"#, "x".repeat(64 * 1024))).await;
    assert_eq!(ws.closed().await, Closed::Code(1009));
    let (status, _) = server
        .api(
            "POST",
            "/apps/4242/events",
            &[],
            Some(&json!({"name": "hello", "channel": "news", "data": "{}"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(bystander.recv_event("hello").await["channel"], "news");
}

#[tokio::test]
async fn private_channels_need_a_valid_signature() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:member"]).await;
    let channel = format!("private-project-{pid}");
    let mut ws = Ws::connect(&server.ws_url()).await;

    ws.subscribe(&channel, None, None).await;
    let e = ws.recv().await;
    assert_eq!(e["event"], "pusher:subscription_error");
    assert_eq!(data_of(&e)["status"], 401);

    // Signed for another socket: refused.
    let forged = sign::channel_auth(APP_KEY, APP_SECRET, "1.1", &channel, None);
    ws.subscribe(&channel, Some(&forged), None).await;
    assert_eq!(data_of(&ws.recv().await)["type"], "AuthError");
    // Signed with the wrong secret: refused.
    let forged = sign::channel_auth(APP_KEY, "guess", &ws.socket_id, &channel, None);
    ws.subscribe(&channel, Some(&forged), None).await;
    assert_eq!(ws.recv().await["event"], "pusher:subscription_error");

    ws.join(&server, &ann, &channel).await;
}

#[tokio::test]
async fn channel_auth_checks_token_and_membership() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let viewer = server.user("vic").await;
    let pid = server.project("alpha", &["ann:owner", "vic:viewer"]).await;
    let other = server.project("beta", &["bob"]).await;
    let ws = Ws::connect(&server.ws_url()).await;
    let sid = ws.socket_id.clone();

    let (status, body) = server.authorize(&bob, &sid, &format!("presence-project-{pid}")).await;
    assert_eq!(status, 403, "non-member: {body}");
    assert!(body["error"].as_str().unwrap().contains("member"));
    let (status, _) = server.authorize("kb_wrong", &sid, &format!("private-project-{pid}")).await;
    assert_eq!(status, 401);
    let (status, _) = server.authorize(&ann, &sid, &format!("private-project-{other}")).await;
    assert_eq!(status, 403, "member of another project");
    let (status, _) = server.authorize(&ann, &sid, "private-anything").await;
    assert_eq!(status, 403, "not a project channel");
    let (status, _) = server.authorize(&ann, "not-a-socket", &format!("private-project-{pid}")).await;
    assert_eq!(status, 400);
    let (status, _) = server.authorize(&ann, &sid, "private-project-999").await;
    assert_eq!(status, 403, "no such project");
    let (status, body) = server.authorize(&viewer, &sid, &format!("presence-project-{pid}")).await;
    assert_eq!(status, 200, "viewers may be present: {body}");

    // channel_data comes from the user's record, not from the request.
    let (status, body) = server.authorize(&ann, &sid, &format!("presence-project-{pid}")).await;
    assert_eq!(status, 200);
    let data: serde_json::Value = serde_json::from_str(body["channel_data"].as_str().unwrap()).unwrap();
    assert_eq!(data["user_info"]["name"], "ann");
    assert!(data["user_info"]["color"].as_str().unwrap().starts_with('#'));
    let me = server.get("/api/me", Some(&ann)).await.1;
    assert_eq!(data["user_id"], me["id"].to_string());
}

#[tokio::test]
async fn presence_counts_users_not_connections() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("alpha", &["ann", "bob"]).await;
    let channel = format!("presence-project-{pid}");
    let ann_id = server.get("/api/me", Some(&ann)).await.1["id"].to_string();

    let mut bob_ws = Ws::connect(&server.ws_url()).await;
    let ok = bob_ws.join(&server, &bob, &channel).await;
    assert_eq!(data_of(&ok)["presence"]["count"], 1);

    let mut ann1 = Ws::connect(&server.ws_url()).await;
    let ok = ann1.join(&server, &ann, &channel).await;
    let presence = &data_of(&ok)["presence"];
    assert_eq!(presence["count"], 2);
    assert_eq!(presence["hash"][&ann_id]["name"], "ann");
    let added = bob_ws.recv().await;
    assert_eq!(added["event"], "pusher_internal:member_added");
    assert_eq!(data_of(&added)["user_id"], ann_id.as_str());
    assert_eq!(data_of(&added)["user_info"]["name"], "ann");

    // A second tab of ann: no second member.
    let mut ann2 = Ws::connect(&server.ws_url()).await;
    let ok = ann2.join(&server, &ann, &channel).await;
    assert_eq!(data_of(&ok)["presence"]["count"], 2);
    let (_, users) = server.api("GET", &format!("/apps/4242/channels/{channel}/users"), &[], None).await;
    assert_eq!(users["users"].as_array().unwrap().len(), 2);

    // ann leaves one tab: still present.
    ann1.close().await;
    assert!(bob_ws.drain().await.is_empty(), "no member_removed while a tab remains");
    // The last tab: removed.
    ann2.close().await;
    let removed = bob_ws.recv().await;
    assert_eq!(removed["event"], "pusher_internal:member_removed");
    assert_eq!(data_of(&removed)["user_id"], ann_id.as_str());
    // A member's second connection was never announced.
    assert!(bob_ws.drain().await.is_empty());
}

#[tokio::test]
async fn client_events_are_relayed_with_user_id_and_not_echoed() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("alpha", &["ann", "bob:viewer"]).await;
    let presence = format!("presence-project-{pid}");
    let ann_id = server.get("/api/me", Some(&ann)).await.1["id"].to_string();

    let mut a = Ws::connect(&server.ws_url()).await;
    let mut b = Ws::connect(&server.ws_url()).await;
    a.join(&server, &ann, &presence).await;
    b.join(&server, &bob, &presence).await;
    a.recv_event("pusher_internal:member_added").await;

    let cursor = json!({"status_id": 3, "task_id": null});
    a.send(json!({"event": "client-cursor-move", "channel": presence, "data": cursor})).await;
    let got = b.recv_event("client-cursor-move").await;
    assert_eq!(got["channel"], presence.as_str());
    assert_eq!(got["data"], cursor);
    assert_eq!(got["user_id"], ann_id.as_str());
    assert!(a.drain().await.is_empty(), "not echoed to the sender");

    // Public channels and channels one is not subscribed to: refused.
    a.subscribe("lobby", None, None).await;
    a.recv_event("pusher_internal:subscription_succeeded").await;
    a.send(json!({"event": "client-x", "channel": "lobby", "data": {}})).await;
    assert_eq!(a.recv().await["event"], "pusher:error");
    a.send(json!({"event": "client-x", "channel": format!("private-project-{pid}"), "data": {}})).await;
    assert_eq!(a.recv().await["event"], "pusher:error");
    // On a board's presence channel, only the board's events, in their shapes.
    for (event, data) in [
        ("client-x", json!({})),
        ("client-cursor-move", json!({"status_id": 3, "task_id": null, "pad": "x".repeat(9000)})),
        ("client-cursor-move", json!({"status_id": "3"})),
        ("client-project-switch", json!({"project_id": 2, "also": 1})),
    ] {
        a.send(json!({"event": event, "channel": presence, "data": data})).await;
        let refused = a.recv().await;
        assert_eq!(refused["event"], "pusher:error", "{event} {data}");
        assert_eq!(refused["data"]["code"], 4300, "{refused}");
    }
    assert!(b.drain().await.is_empty(), "nothing refused reached the other side");

    // Elsewhere (any presence channel of a plain Pusher app), any client event
    // within the size and depth limits.
    let room = "presence-room";
    let member = r#"{"user_id":"7","user_info":{"name":"ann"}}"#;
    for ws in [&mut a, &mut b] {
        let auth = sign::channel_auth(APP_KEY, APP_SECRET, &ws.socket_id, room, Some(member));
        ws.subscribe(room, Some(&auth), Some(member)).await;
        ws.recv_event("pusher_internal:subscription_succeeded").await;
    }
    // Oversize data: refused.
    let big = "x".repeat(11 * 1024);
    a.send(json!({"event": "client-x", "channel": room, "data": big})).await;
    assert_eq!(a.recv().await["event"], "pusher:error");
    // Data nested deeper than 32 levels: refused, however small.
    let deep = format!(
        r#"{{"event":"client-x","channel":"{room}","data":{}{}}}"#,
        "[".repeat(3000),
        "]".repeat(3000)
    );
    a.send_text(&deep).await;
    let refused = a.recv().await;
    assert_eq!(refused["event"], "pusher:error");
    assert!(refused["data"]["message"].as_str().unwrap().contains("deeper"), "{refused}");
    let nested = format!("{}{}", "[".repeat(32), "]".repeat(32));
    let ok = format!(r#"{{"event":"client-x","channel":"{room}","data":{nested}}}"#);
    a.send_text(&ok).await;
    assert_eq!(b.recv_event("client-x").await["data"].to_string(), nested, "32 levels pass");
    assert!(b.drain().await.is_empty(), "nothing refused reached the other side");
}

/// A person's client events on a channel share one budget however many
/// connections they send them from: ten sockets of one viewer get one person's
/// rate, not ten.
#[tokio::test]
async fn client_events_are_budgeted_per_person_across_their_connections() {
    let limits = Limits { client_events_per_second: 2, ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let ann = server.user("ann").await;
    let vic = server.user("vic").await;
    let pid = server.project("alpha", &["ann", "vic:viewer"]).await;
    let channel = format!("presence-project-{pid}");
    let mut listener = Ws::connect(&server.ws_url()).await;
    listener.join(&server, &ann, &channel).await;
    let mut tabs = Vec::new();
    for _ in 0..10 {
        let mut ws = Ws::connect(&server.ws_url()).await;
        ws.join(&server, &vic, &channel).await;
        tabs.push(ws);
    }
    listener.drain().await;
    let cursor = json!({"status_id": 1, "task_id": null});
    let started = std::time::Instant::now();
    for _ in 0..3 {
        for ws in &mut tabs {
            ws.send(json!({"event": "client-cursor-move", "channel": channel, "data": cursor})).await;
        }
    }
    let took = started.elapsed().as_secs_f64();
    let mut limited = 0;
    for ws in &mut tabs {
        limited += ws.drain().await.iter().filter(|f| f["data"]["code"] == 4301).count();
    }
    let delivered = listener.drain().await.iter().filter(|f| f["event"] == "client-cursor-move").count();
    assert_eq!(delivered + limited, 30, "each event delivered or refused");
    // One person's burst of 2 and what 2 a second refilled while they were sent
    // (ten budgets would have let 20 through at once).
    let allowed = 2 + (2.0 * took).ceil() as usize + 1;
    assert!(delivered <= allowed, "{delivered} delivered in {took:.2} s, at most {allowed}");
}

#[tokio::test]
async fn client_event_rate_limit_answers_4301_and_keeps_the_connection() {
    let limits = Limits { client_events_per_second: 5, ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let pid = server.project("alpha", &["ann", "bob"]).await;
    let channel = format!("presence-project-{pid}");
    let mut a = Ws::connect(&server.ws_url()).await;
    let mut b = Ws::connect(&server.ws_url()).await;
    a.join(&server, &ann, &channel).await;
    b.join(&server, &bob, &channel).await;
    a.recv_event("pusher_internal:member_added").await;

    for i in 0..20 {
        let cursor = json!({"status_id": i, "task_id": null});
        a.send(json!({"event": "client-cursor-move", "channel": channel, "data": cursor})).await;
    }
    let replies = a.drain().await;
    let limited =
        replies.iter().filter(|f| f["event"] == "pusher:error" && f["data"]["code"] == 4301).count();
    assert!(limited >= 10, "most of a burst of 20 over a limit of 5/s is refused: {replies:?}");
    let delivered = b.drain().await.iter().filter(|f| f["event"] == "client-cursor-move").count();
    assert_eq!(delivered + limited, 20, "each event either delivered or refused");
    // The connection stays and is still served.
    a.send(json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(a.recv().await["event"], "pusher:pong");
}

#[tokio::test]
async fn quiet_clients_are_pinged_then_closed_4201() {
    let limits = Limits {
        activity_timeout: Duration::from_millis(300),
        pong_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = TestServer::start_with(limits).await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    assert_eq!(ws.recv().await["event"], "pusher:ping");
    // Answering keeps it open: the next ping comes after another quiet period.
    ws.send(json!({"event": "pusher:pong", "data": {}})).await;
    assert_eq!(ws.recv().await["event"], "pusher:ping");
    assert_eq!(ws.closed().await, Closed::Code(4201));
}

#[tokio::test]
async fn subscription_limit_per_connection() {
    let limits = Limits { max_subscriptions_per_connection: 2, ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    for c in ["a", "b"] {
        ws.subscribe(c, None, None).await;
        assert_eq!(ws.recv().await["event"], "pusher_internal:subscription_succeeded");
    }
    ws.subscribe("c", None, None).await;
    assert_eq!(ws.recv().await["event"], "pusher:subscription_error");
    ws.send(json!({"event": "pusher:unsubscribe", "data": {"channel": "a"}})).await;
    ws.subscribe("c", None, None).await;
    assert_eq!(ws.recv().await["event"], "pusher_internal:subscription_succeeded");
}

/// A subscribe frame naming more channels than a connection may hold gets one
/// error, not one per channel (which would overflow its own queue and cut it off).
#[tokio::test]
async fn a_subscribe_naming_ten_thousand_channels_gets_one_error() {
    let server = TestServer::start().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    let names: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
    ws.send(json!({"event": "pusher:subscribe", "data": {"channels": names}})).await;
    let replies = ws.drain().await;
    assert_eq!(replies.len(), 1, "{:?}", &replies[..replies.len().min(3)]);
    assert_eq!(replies[0]["event"], "pusher:error");
    assert!(replies[0]["data"]["message"].as_str().unwrap().contains("at most 100"), "{replies:?}");
    // Still connected and served.
    ws.subscribe("lobby", None, None).await;
    assert_eq!(ws.recv().await["event"], "pusher_internal:subscription_succeeded");
}

#[tokio::test]
async fn connections_over_capacity_are_closed_4100() {
    let limits = Limits { max_connections: 2, ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let _a = Ws::connect(&server.ws_url()).await;
    let _b = Ws::connect(&server.ws_url()).await;
    let (_, code) = refused_with(&server.ws_url()).await;
    assert_eq!(code, 4100);
}

#[tokio::test]
async fn shutdown_closes_sockets_with_4200() {
    let mut server = TestServer::start().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    let stop = tokio::spawn(async move {
        server.stop().await;
        server
    });
    assert_eq!(ws.closed().await, Closed::Code(4200));
    stop.await.unwrap();
}

#[tokio::test]
async fn presence_channels_hold_at_most_their_limit_of_users() {
    let limits = Limits { max_presence_members: 2, ..test_limits() };
    let server = TestServer::start_with(limits).await;
    let tokens = [server.user("a").await, server.user("b").await, server.user("c").await];
    let pid = server.project("P", &["a", "b", "c"]).await;
    let channel = format!("presence-project-{pid}");
    let mut first = Ws::connect(&server.ws_url()).await;
    first.join(&server, &tokens[0], &channel).await;
    let mut second = Ws::connect(&server.ws_url()).await;
    second.join(&server, &tokens[1], &channel).await;
    // A second tab of a present user still fits; a third user does not.
    let mut again = Ws::connect(&server.ws_url()).await;
    again.join(&server, &tokens[0], &channel).await;
    let mut third = Ws::connect(&server.ws_url()).await;
    let (_, auth) = server.authorize(&tokens[2], &third.socket_id, &channel).await;
    third.subscribe(&channel, auth["auth"].as_str(), auth["channel_data"].as_str()).await;
    let refused = third.recv().await;
    assert_eq!(refused["event"], "pusher:subscription_error");
    assert!(data_of(&refused)["error"].as_str().unwrap().contains("full"), "{refused}");
}

/// `pusher:signin`: a forged signature, a malformed frame or `user_data`, an id
/// outside the channel alphabet and an over-long watchlist are each answered
/// 4009, and the connection stays, unsigned; a user's own channel is refused to
/// a connection not signed in as them; a good signin opens it.
#[tokio::test]
async fn signin_refusals_leave_the_connection_as_it_was() {
    let server = TestServer::start().await;
    let mut ws = Ws::connect(&server.ws_url()).await;
    let sid = ws.socket_id.clone();
    let signed = |user_data: &str| sign::user_auth(APP_KEY, APP_SECRET, &sid, user_data);
    let long: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let watching = json!({"id": "ann", "watchlist": long}).to_string();
    let cases = [
        json!({"event": "pusher:signin", "data": {"auth": sign::user_auth(APP_KEY, "guess", &sid, r#"{"id":"ann"}"#), "user_data": r#"{"id":"ann"}"#}}),
        json!({"event": "pusher:signin", "data": {"auth": signed(r#"{"id":"ann"}"#), "user_data": r#"{"id":"bob"}"#}}),
        json!({"event": "pusher:signin", "data": {"user_data": r#"{"id":"ann"}"#}}),
        json!({"event": "pusher:signin", "data": "not an object"}),
        json!({"event": "pusher:signin", "data": {"auth": signed("[1]"), "user_data": "[1]"}}),
        json!({"event": "pusher:signin", "data": {"auth": signed(r#"{"id":"a b"}"#), "user_data": r#"{"id":"a b"}"#}}),
        json!({"event": "pusher:signin", "data": {"auth": signed(&watching), "user_data": watching}}),
    ];
    for frame in cases {
        ws.send(frame.clone()).await;
        let error = ws.recv().await;
        assert_eq!(
            (error["event"].as_str(), error["data"]["code"].as_u64()),
            (Some("pusher:error"), Some(4009)),
            "{frame}: {error}"
        );
    }
    ws.subscribe("#server-to-user-ann", Some(""), None).await;
    let refused = ws.recv().await;
    assert_eq!(refused["event"], "pusher:subscription_error", "{refused}");
    assert_eq!(data_of(&refused)["status"], 401);

    let user_data = r#"{"id":"ann","user_info":{"name":"Ann"}}"#;
    ws.send(json!({"event": "pusher:signin", "data": {"auth": signed(user_data), "user_data": user_data}}))
        .await;
    let ok = ws.recv().await;
    assert_eq!(ok["event"], "pusher:signin_success");
    assert_eq!(data_of(&ok)["user_data"], user_data);
    ws.subscribe("#server-to-user-ann", Some(""), None).await;
    assert_eq!(ws.recv().await["event"], "pusher_internal:subscription_succeeded");
    ws.subscribe("#server-to-user-bob", Some(""), None).await;
    assert_eq!(ws.recv().await["event"], "pusher:subscription_error", "another user's channel");
}

/// Without `--encryption-master-key` a member asking for an encrypted channel
/// is told the server has none (404), not given a channel nobody can read.
#[tokio::test]
async fn an_encrypted_channel_needs_the_servers_master_key() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let pid = server.project("alpha", &["ann:member"]).await;
    let ws = Ws::connect(&server.ws_url()).await;
    let (status, body) =
        server.authorize(&ann, &ws.socket_id, &kanban_protocol::channel::encrypted_channel(pid)).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].as_str().unwrap().contains("--encryption-master-key"), "{body}");
}
