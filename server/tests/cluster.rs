//! Three `kanban-server` nodes on one PostgreSQL database and one broker (Redis and
//! NATS each): events in revision order on every node while every node writes,
//! client events across nodes, presence one per cluster, the HTTP API answering
//! for the cluster, a node killed, the broker restarted. Skipped, and said so,
//! where PostgreSQL or the broker does not answer (required by `.ci/run`).

use std::time::Duration;

use kanban_protocol::event::BoardEvent;
use kanban_protocol::model::EventData;
use kanban_protocol::pusher;
use serde_json::{Value, json};

use kanban_server::Database;

use crate::util::stores::Site;
use crate::util::{Closed, ServerProcess, Ws, data_of};

/// A site on PostgreSQL and nodes on a broker.
struct Cluster {
    site: Site,
    broker: String,
    nodes: Vec<ServerProcess>,
}

impl Cluster {
    fn start(broker: &str, n: usize) -> Cluster {
        Cluster::start_with(broker, n, &[])
    }

    /// Like [`Cluster::start`], each node given `extra` arguments too.
    fn start_with(broker: &str, n: usize, extra: &[&str]) -> Cluster {
        let site = Site::new();
        let mut args = vec!["--broker", broker];
        args.extend_from_slice(extra);
        let nodes = (0..n).map(|_| site.start(&args)).collect();
        Cluster { site, broker: broker.to_string(), nodes }
    }

    async fn ws(&self, node: usize) -> Ws {
        Ws::connect(&self.nodes[node].ws_url().await).await
    }
}

/// Waits (a while: nodes beat every 2 s and are given 8) until `ws` hears `event`
/// about `user`.
async fn hear(ws: &mut Ws, event: &str, user: &str, wait: Duration) -> Value {
    tokio::time::timeout(wait, async {
        loop {
            let f = ws.recv_event(event).await;
            if data_of(&f)["user_id"] == user {
                return f;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {event} for {user}"))
}

/// Nothing but what `drain` finds has arrived: the names of the events of `ws`.
async fn events_now(ws: &mut Ws) -> Vec<String> {
    ws.drain().await.iter().map(|f| f["event"].as_str().unwrap_or("").to_string()).collect()
}

async fn events_in_order_on_every_node_while_every_node_writes(broker: String) {
    let cluster = Cluster::start(&broker, 3);
    let tokens: Vec<String> =
        ["ann", "bob", "cy"].iter().map(|u| cluster.site.admin(&["user", "add", u])).collect();
    let pid =
        cluster.site.admin(&["project", "add", "P", "--member", "ann", "--member", "bob", "--member", "cy"]);
    let channel = format!("private-project-{pid}");
    // A subscriber on each node.
    let mut subscribers = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        let mut ws = cluster.ws(i).await;
        ws.join_at(&node.url, &tokens[i], &channel).await;
        subscribers.push(ws);
    }
    // Every node commits changes of the project at the same time.
    const EACH: usize = 30;
    let http = reqwest::Client::new();
    let mut writers = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        for w in 0..3 {
            let (http, url, token, pid) =
                (http.clone(), node.url.clone(), tokens[(i + w) % 3].clone(), pid.clone());
            writers.push(tokio::spawn(async move {
                for k in 0..EACH {
                    let res = http
                        .post(format!("{url}/api/projects/{pid}/tasks"))
                        .bearer_auth(&token)
                        .json(&json!({"title": format!("n{i} w{w} #{k}")}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 201);
                }
            }));
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    let total = (3 * 3 * EACH) as u64;
    for (i, ws) in subscribers.iter_mut().enumerate() {
        let mut revs = Vec::new();
        while revs.len() < total as usize {
            let f = ws.recv().await;
            let Some(name) = f["event"].as_str() else { continue };
            if !kanban_protocol::model::events::is_board_event(name) {
                continue;
            }
            let data: EventData = serde_json::from_value(data_of(&f)).unwrap();
            let event = BoardEvent::decode(name, data).unwrap();
            revs.push(event.rev);
        }
        assert_eq!(revs, (1..=total).collect::<Vec<_>>(), "node {i}: every event once, in revision order");
        assert!(
            events_now(ws).await.iter().all(|e| !kanban_protocol::model::events::is_board_event(e)),
            "node {i}: no more"
        );
    }
}

async fn client_events_reach_every_node_with_their_user_and_not_the_sender(broker: String) {
    let cluster = Cluster::start(&broker, 3);
    let ann = cluster.site.admin(&["user", "add", "ann"]);
    let bob = cluster.site.admin(&["user", "add", "bob"]);
    let cy = cluster.site.admin(&["user", "add", "cy"]);
    let pid =
        cluster.site.admin(&["project", "add", "P", "--member", "ann", "--member", "bob", "--member", "cy"]);
    let channel = format!("presence-project-{pid}");
    let mut on: Vec<Ws> = Vec::new();
    for (i, token) in [&ann, &bob, &cy].iter().enumerate() {
        let mut ws = cluster.ws(i).await;
        ws.join_at(&cluster.nodes[i].url, token, &channel).await;
        on.push(ws);
    }
    let ann_id = cluster
        .site
        .admin(&["user", "list"])
        .lines()
        .find(|l| l.contains("ann"))
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    on[0]
        .send_text(&pusher::send_client_event(
            "client-cursor-move",
            &channel,
            &json!({"status_id": 1, "task_id": null}),
        ))
        .await;
    for ws in &mut on[1..] {
        let f = ws.recv_event("client-cursor-move").await;
        assert_eq!(f["user_id"], ann_id.as_str(), "{f}");
        assert_eq!(data_of(&f)["status_id"], 1);
    }
    assert!(
        !events_now(&mut on[0]).await.contains(&"client-cursor-move".to_string()),
        "never echoed to the sender"
    );
}

async fn presence_is_one_per_cluster(broker: String) {
    let cluster = Cluster::start(&broker, 3);
    let ann = cluster.site.admin(&["user", "add", "ann"]);
    let bob = cluster.site.admin(&["user", "add", "bob"]);
    let pid = cluster.site.admin(&["project", "add", "P", "--member", "ann", "--member", "bob"]);
    let channel = format!("presence-project-{pid}");
    let users = cluster.site.admin(&["user", "list"]);
    let id_of = |name: &str| {
        users.lines().find(|l| l.contains(name)).unwrap().split('\t').next().unwrap().to_string()
    };
    let (ann_id, bob_id) = (id_of("ann"), id_of("bob"));
    // bob watches from node 2.
    let mut watcher = cluster.ws(2).await;
    watcher.join_at(&cluster.nodes[2].url, &bob, &channel).await;
    // ann comes on node 0, then a second time on node 1: one member_added.
    let mut first = cluster.ws(0).await;
    first.join_at(&cluster.nodes[0].url, &ann, &channel).await;
    hear(&mut watcher, "pusher_internal:member_added", &ann_id, Duration::from_secs(10)).await;
    let mut second = cluster.ws(1).await;
    let snapshot = second.join_at(&cluster.nodes[1].url, &ann, &channel).await;
    let presence = &data_of(&snapshot)["presence"];
    let mut ids: Vec<String> =
        presence["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    ids.sort();
    let mut want = vec![ann_id.clone(), bob_id.clone()];
    want.sort();
    assert_eq!(ids, want, "the snapshot lists the members on every node once: {presence}");
    assert_eq!(presence["count"], 2);
    // What each node knows of the cluster now, through the HTTP API of node 1.
    let path = format!("/apps/APP/channels/{channel}?info=subscription_count,user_count");
    let (_, info) =
        wait_for(|| http_api(&cluster, 1, "GET", &path, None), |(_, v)| v["subscription_count"] == 3).await;
    assert_eq!(info["user_count"], 2, "{info}");
    assert!(
        !events_now(&mut watcher).await.contains(&"pusher_internal:member_added".to_string()),
        "ann was added once"
    );
    // ann's connection on node 0 goes: she is still on node 1, nobody hears of it.
    first.close().await;
    let (_, info) =
        wait_for(|| http_api(&cluster, 2, "GET", &path, None), |(_, v)| v["subscription_count"] == 2).await;
    assert_eq!(info["user_count"], 2, "{info}");
    assert!(!events_now(&mut watcher).await.contains(&"pusher_internal:member_removed".to_string()));
    // Her last one goes: removed.
    second.close().await;
    hear(&mut watcher, "pusher_internal:member_removed", &ann_id, Duration::from_secs(10)).await;
}

/// The HTTP API on `node`, signed with the site's app credentials.
async fn http_api(
    cluster: &Cluster,
    node: usize,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let app = cluster.site.admin(&["app"]);
    let field = |name: &str| {
        app.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix('\t')).map(str::to_string))
            .unwrap()
    };
    let (id, key, secret) = (field("app_id"), field("key"), field("secret"));
    let path = path.replace("APP", &id);
    let (path, asked) = path.split_once('?').unwrap_or((&path, ""));
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let timestamp =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    let mut params =
        vec![("auth_key", key.clone()), ("auth_timestamp", timestamp), ("auth_version", "1.0".into())];
    if method == "POST" {
        params.push(("body_md5", kanban_protocol::sign::body_md5(body.as_bytes())));
    }
    params.extend(asked.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (k, v.to_string())));
    let signature = kanban_protocol::sign::http_signature(
        &secret,
        method,
        path,
        params.iter().map(|(k, v)| (*k, v.as_str())),
    );
    let query: String = params.iter().map(|(k, v)| format!("{k}={v}&")).collect::<String>()
        + &format!("auth_signature={signature}");
    let url = format!("{}{path}?{query}", cluster.nodes[node].url);
    let http = reqwest::Client::new();
    let res = if method == "POST" {
        http.post(url).header("content-type", "application/json").body(body).send().await.unwrap()
    } else {
        http.get(url).send().await.unwrap()
    };
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn the_http_api_answers_for_the_cluster(broker: String) {
    let cluster = Cluster::start(&broker, 3);
    let ann = cluster.site.admin(&["user", "add", "ann"]);
    let pid = cluster.site.admin(&["project", "add", "P", "--member", "ann"]);
    let channel = format!("presence-project-{pid}");
    let mut on = Vec::new();
    for i in 0..3 {
        let mut ws = cluster.ws(i).await;
        ws.join_at(&cluster.nodes[i].url, &ann, &channel).await;
        on.push(ws);
    }
    let mut plain = cluster.ws(2).await;
    plain.subscribe("plain-news", None, None).await;
    plain.recv_event("pusher_internal:subscription_succeeded").await;
    // Every node answers for all of them.
    for node in 0..3 {
        let path = format!("/apps/APP/channels/{channel}?info=subscription_count,user_count");
        let info =
            wait_for(|| http_api(&cluster, node, "GET", &path, None), |(_, v)| v["subscription_count"] == 3)
                .await;
        assert_eq!(info.1["user_count"], 1, "node {node}: {}", info.1);
        let (_, users) =
            http_api(&cluster, node, "GET", &format!("/apps/APP/channels/{channel}/users"), None).await;
        assert_eq!(users["users"].as_array().map(Vec::len), Some(1), "{users}");
        let (_, all) = wait_for(
            || http_api(&cluster, node, "GET", "/apps/APP/channels", None),
            |(_, v)| v["channels"]["plain-news"].is_object(),
        )
        .await;
        assert!(all["channels"][&channel].is_object(), "{all}");
    }
    // A trigger on node 0 reaches node 2's subscriber.
    let body = json!({"name": "headline", "channels": ["plain-news"], "data": "{\"n\":1}"});
    let (status, answer) = http_api(&cluster, 0, "POST", "/apps/APP/events", Some(&body)).await;
    assert_eq!(status, 200, "{answer}");
    let f = plain.recv_event("headline").await;
    assert_eq!(data_of(&f)["n"], 1);
    // And a batch on node 1.
    let body = json!({"batch": [{"name": "second", "channel": "plain-news", "data": "{\"n\":2}"}]});
    let (status, answer) = http_api(&cluster, 1, "POST", "/apps/APP/batch_events", Some(&body)).await;
    assert_eq!(status, 200, "{answer}");
    let f = plain.recv_event("second").await;
    assert_eq!(data_of(&f)["n"], 2);
}

/// Polls `ask` (a node's answer, which follows the others' news within a moment)
/// until `done`; fails after the usual wait.
async fn wait_for<F: std::future::Future<Output = (u16, Value)>>(
    ask: impl Fn() -> F,
    done: impl Fn(&(u16, Value)) -> bool,
) -> (u16, Value) {
    let deadline = tokio::time::Instant::now() + crate::util::WAIT;
    loop {
        let answer = ask().await;
        if done(&answer) {
            return answer;
        }
        assert!(tokio::time::Instant::now() < deadline, "never came: {}", answer.1);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_killed_node_leaves_presence_and_a_restarted_one_rejoins(broker: String) {
    let mut cluster = Cluster::start(&broker, 3);
    let ann = cluster.site.admin(&["user", "add", "ann"]);
    let bob = cluster.site.admin(&["user", "add", "bob"]);
    let pid = cluster.site.admin(&["project", "add", "P", "--member", "ann", "--member", "bob"]);
    let channel = format!("presence-project-{pid}");
    let users = cluster.site.admin(&["user", "list"]);
    let ann_id = users.lines().find(|l| l.contains("ann")).unwrap().split('\t').next().unwrap().to_string();
    let mut watcher = cluster.ws(0).await;
    watcher.join_at(&cluster.nodes[0].url, &bob, &channel).await;
    let mut doomed = cluster.ws(2).await;
    doomed.join_at(&cluster.nodes[2].url, &ann, &channel).await;
    hear(&mut watcher, "pusher_internal:member_added", &ann_id, Duration::from_secs(10)).await;
    // SIGKILL: no goodbye. The others notice the silence within 15 s.
    cluster.nodes[2].crash();
    hear(&mut watcher, "pusher_internal:member_removed", &ann_id, Duration::from_secs(15)).await;
    // Restarted, the node rejoins: ann there is seen again.
    cluster.nodes[2] = cluster.site.start(&["--broker", &cluster.broker]);
    let mut back = cluster.ws(2).await;
    back.join_at(&cluster.nodes[2].url, &ann, &channel).await;
    hear(&mut watcher, "pusher_internal:member_added", &ann_id, Duration::from_secs(10)).await;
}

async fn the_presence_member_limit_counts_the_whole_cluster(broker: String) {
    let cluster = Cluster::start_with(&broker, 3, &["--max-presence-members", "2"]);
    let tokens: Vec<String> =
        ["ann", "bob", "cy"].iter().map(|u| cluster.site.admin(&["user", "add", u])).collect();
    let pid =
        cluster.site.admin(&["project", "add", "P", "--member", "ann", "--member", "bob", "--member", "cy"]);
    let channel = format!("presence-project-{pid}");
    let mut first = cluster.ws(0).await;
    first.join_at(&cluster.nodes[0].url, &tokens[0], &channel).await;
    let mut second = cluster.ws(1).await;
    second.join_at(&cluster.nodes[1].url, &tokens[1], &channel).await;
    // Node 2 has heard of both before cy tries.
    let path = format!("/apps/APP/channels/{channel}?info=user_count");
    wait_for(|| http_api(&cluster, 2, "GET", &path, None), |(_, v)| v["user_count"] == 2).await;
    let mut third = cluster.ws(2).await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/pusher/auth", cluster.nodes[2].url))
        .bearer_auth(&tokens[2])
        .form(&[("socket_id", third.socket_id.as_str()), ("channel_name", channel.as_str())])
        .send()
        .await
        .unwrap();
    let auth: Value = res.json().await.unwrap();
    third.subscribe(&channel, auth["auth"].as_str(), auth["channel_data"].as_str()).await;
    let f = third.recv().await;
    assert_eq!(f["event"], "pusher:subscription_error", "a third member anywhere is one too many: {f}");
}

async fn revocation_reaches_every_node(broker: String) {
    let cluster = Cluster::start(&broker, 3);
    let ann = cluster.site.admin(&["user", "add", "ann"]);
    let pid = cluster.site.admin(&["project", "add", "P", "--member", "ann"]);
    let mut on = Vec::new();
    for i in 1..3 {
        let mut ws = cluster.ws(i).await;
        ws.join_at(&cluster.nodes[i].url, &ann, &format!("private-project-{pid}")).await;
        on.push(ws);
    }
    cluster.site.admin(&["project", "revoke", &pid, "ann"]);
    for ws in &mut on {
        assert_eq!(ws.closed().await, Closed::Code(4200));
    }
}

/// A broker of the test's own on a free port, to stop and start again; with
/// `secured`, behind a password and TLS.
struct OwnBroker {
    scheme: String,
    port: u16,
    child: Option<std::process::Child>,
    secured: Option<crate::util::pki::Pki>,
}

/// The password of a secured broker's user `kanban`.
const BROKER_PASSWORD: &str = "s3cret-for-the-nodes";

impl OwnBroker {
    /// `None` (the test skipped, and said so) where the broker's program is not
    /// installed and the services are not required.
    fn start(scheme: &str) -> Option<OwnBroker> {
        Self::start_with(scheme, None)
    }

    /// One that takes only the user `kanban` with [`BROKER_PASSWORD`], over TLS with
    /// a certificate of the test's own CA.
    fn start_secured(scheme: &str) -> Option<OwnBroker> {
        Self::start_with(scheme, Some(crate::util::pki::pki()))
    }

    fn start_with(scheme: &str, secured: Option<crate::util::pki::Pki>) -> Option<OwnBroker> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut broker = OwnBroker { scheme: scheme.to_string(), port, child: None, secured };
        if let Err(why) = broker.up() {
            assert!(std::env::var_os("KANBAN_TEST_REQUIRE_SERVICES").is_none(), "{why}");
            eprintln!("broker restart: skipped, {why}");
            return None;
        }
        Some(broker)
    }

    fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    /// A secured broker's URL, as user `kanban` with `password`, over TLS.
    fn secured_url(&self, password: &str) -> String {
        let scheme = if self.scheme == "redis" { "rediss" } else { "tls" };
        format!("{scheme}://kanban:{password}@127.0.0.1:{}", self.port)
    }

    fn up(&mut self) -> Result<(), String> {
        let port = self.port.to_string();
        let (program, mut args): (&str, Vec<&str>) = match self.scheme.as_str() {
            "redis" => ("redis-server", vec!["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]),
            _ => ("nats-server", vec!["-a", "127.0.0.1", "-p", &port]),
        };
        let (cert, key) = match &self.secured {
            Some(pki) => (pki.cert.to_str().unwrap().to_string(), pki.key.to_str().unwrap().to_string()),
            None => Default::default(),
        };
        let password = format!(">{BROKER_PASSWORD}");
        match (self.scheme.as_str(), self.secured.is_some()) {
            ("redis", false) => args.extend(["--port", &port]),
            ("redis", true) => args.extend([
                "--port",
                "0",
                "--tls-port",
                &port,
                "--tls-cert-file",
                &cert,
                "--tls-key-file",
                &key,
                "--tls-auth-clients",
                "no",
                "--user",
                "kanban",
                "on",
                &password,
                "~*",
                "&*",
                "+@all",
                "--user",
                "default",
                "off",
            ]),
            (_, true) => args.extend([
                "--user",
                "kanban",
                "--pass",
                BROKER_PASSWORD,
                "--tls",
                "--tlscert",
                &cert,
                "--tlskey",
                &key,
            ]),
            (_, false) => {}
        }
        let child = std::process::Command::new(program)
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("{program} cannot be run: {e}"))?;
        self.child = Some(child);
        let deadline = std::time::Instant::now() + crate::util::WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "{program} never listened on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        self.down();
    }
}

/// Polls the node's `/readyz` until it answers `status`.
async fn ready_is(node: &ServerProcess, status: u16) {
    let deadline = tokio::time::Instant::now() + crate::util::WAIT;
    loop {
        let now = reqwest::get(format!("{}/readyz", node.url)).await.unwrap().status().as_u16();
        if now == status {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz stayed {now}, not {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads `ws` until every one of `wanted` (event, user) is in `seen`, the
/// presence events heard so far, to which those read are added.
async fn until_heard(ws: &mut Ws, seen: &mut Vec<(String, String)>, wanted: &[(&str, &str)]) {
    while !wanted.iter().all(|(e, u)| seen.iter().any(|(se, su)| se == e && su == u)) {
        let f = ws.recv().await;
        if let Some(e) = f["event"].as_str().filter(|e| e.starts_with("pusher_internal:member_")) {
            seen.push((e.to_string(), data_of(&f)["user_id"].as_str().unwrap_or("").to_string()));
        }
    }
}

/// The revisions of the board events that come to `ws` until `n` have.
async fn board_revs(ws: &mut Ws, n: usize) -> Vec<u64> {
    let mut revs = Vec::new();
    while revs.len() < n {
        let f = ws.recv().await;
        let Some(name) = f["event"].as_str().filter(|e| kanban_protocol::model::events::is_board_event(e))
        else {
            continue;
        };
        let data: EventData = serde_json::from_value(data_of(&f)).unwrap();
        revs.push(BoardEvent::decode(name, data).unwrap().rev);
    }
    revs
}

async fn a_broker_restart_keeps_nodes_serving_and_rebuilds_presence(broker: String) {
    let scheme = broker.split("://").next().unwrap().to_string();
    let Some(mut own) = OwnBroker::start(&scheme) else { return };
    let site = Site::new();
    let nodes: Vec<ServerProcess> = (0..2).map(|_| site.start(&["--broker", &own.url()])).collect();
    for node in &nodes {
        ready_is(node, 200).await;
    }
    let tokens: Vec<String> =
        ["ann", "bob", "cy", "dan"].iter().map(|u| site.admin(&["user", "add", u])).collect();
    let [ann, bob, cy, dan] = [0, 1, 2, 3].map(|i| tokens[i].as_str());
    let pid = site.admin(&[
        "project", "add", "P", "--member", "ann", "--member", "bob", "--member", "cy", "--member", "dan",
    ]);
    let users = site.admin(&["user", "list"]);
    let id_of = |name: &str| {
        users.lines().find(|l| l.contains(name)).unwrap().split('\t').next().unwrap().to_string()
    };
    let presence = format!("presence-project-{pid}");
    let board = format!("private-project-{pid}");
    let ws = |i: usize| {
        let node = &nodes[i];
        async move { Ws::connect(&node.ws_url().await).await }
    };
    // bob watches presence on node 0, and the board on each node; ann is on node 1.
    let mut watcher = ws(0).await;
    watcher.join_at(&nodes[0].url, bob, &presence).await;
    let mut near_board = ws(0).await;
    near_board.join_at(&nodes[0].url, bob, &board).await;
    let mut far_board = ws(1).await;
    far_board.join_at(&nodes[1].url, cy, &board).await;
    let mut ann_ws = ws(1).await;
    ann_ws.join_at(&nodes[1].url, ann, &presence).await;
    // What the watcher hears, all along: the outage may last long enough for
    // node 0 to give up on node 1 (and remove ann) before the broker is back.
    let mut heard = Vec::new();
    until_heard(&mut watcher, &mut heard, &[("pusher_internal:member_added", &id_of("ann"))]).await;

    // The broker goes: not ready, but each node still serves its own sockets.
    own.down();
    for node in &nodes {
        ready_is(node, 503).await;
    }
    let http = reqwest::Client::new();
    for (node, title) in [(0, "written on 0"), (1, "written on 1")] {
        let res = http
            .post(format!("{}/api/projects/{pid}/tasks", nodes[node].url))
            .bearer_auth(bob)
            .json(&json!({"title": title}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    ann_ws.close().await;
    let mut cy_ws = ws(1).await;
    cy_ws.join_at(&nodes[1].url, cy, &presence).await;
    let mut dan_ws = ws(0).await;
    dan_ws.join_at(&nodes[0].url, dan, &presence).await;
    until_heard(&mut watcher, &mut heard, &[("pusher_internal:member_added", &id_of("dan"))]).await;

    // It comes back: ann is gone, cy is there, and each side has both cards, in order.
    own.up().unwrap();
    for node in &nodes {
        ready_is(node, 200).await;
    }
    until_heard(
        &mut watcher,
        &mut heard,
        &[("pusher_internal:member_removed", &id_of("ann")), ("pusher_internal:member_added", &id_of("cy"))],
    )
    .await;
    assert_eq!(board_revs(&mut near_board, 2).await, [1, 2]);
    assert_eq!(board_revs(&mut far_board, 2).await, [1, 2]);
    let mut want = vec![id_of("bob"), id_of("cy"), id_of("dan")];
    want.sort();
    // Each node's snapshot comes to list exactly them (each has the other's state
    // a moment after its own came back).
    for (i, node) in nodes.iter().enumerate() {
        let deadline = tokio::time::Instant::now() + crate::util::WAIT;
        loop {
            let mut fresh = ws(i).await;
            let snapshot = fresh.join_at(&node.url, bob, &presence).await;
            let mut ids: Vec<String> = data_of(&snapshot)["presence"]["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            ids.sort();
            fresh.close().await;
            if ids == want {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "node {i}: {ids:?}, not {want:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let after: Vec<Value> = watcher.drain().await;
    assert!(
        after.iter().all(|f| f["event"] != "pusher_internal:member_removed"),
        "nobody else was removed: {after:?}"
    );
}

/// A broker behind a password and TLS (Redis: an ACL user over `rediss://`;
/// NATS: a user over `tls://`) joins the nodes given the password and the CA;
/// one given a wrong password never joins, and says why without saying it.
async fn a_broker_behind_a_password_and_tls_joins_the_nodes(broker: String) {
    let scheme = broker.split("://").next().unwrap().to_string();
    let Some(own) = OwnBroker::start_secured(&scheme) else { return };
    let ca = own.secured.as_ref().unwrap().ca.to_str().unwrap().to_string();
    let site = Site::new();
    let url = own.secured_url(BROKER_PASSWORD);
    let nodes: Vec<ServerProcess> =
        (0..2).map(|_| site.start_env(&["--broker-ca", &ca], &[("KANBAN_BROKER_URL", &url)])).collect();
    for node in &nodes {
        ready_is(node, 200).await;
    }
    let ann = site.admin(&["user", "add", "ann"]);
    let pid = site.admin(&["project", "add", "P", "--member", "ann"]);
    let mut far = Ws::connect(&nodes[1].ws_url().await).await;
    far.join_at(&nodes[1].url, &ann, &format!("private-project-{pid}")).await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/projects/{pid}/tasks", nodes[0].url))
        .bearer_auth(&ann)
        .json(&json!({"title": "across the secured broker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let made = far.recv_event("task-created").await;
    assert_eq!(data_of(&made)["task"]["title"], "across the secured broker");

    let wrong =
        site.start_env(&["--broker-ca", &ca], &[("KANBAN_BROKER_URL", &own.secured_url("a-wrong-guess"))]);
    let deadline = tokio::time::Instant::now() + crate::util::WAIT;
    while !wrong.log().contains("broker cannot be reached") {
        assert!(tokio::time::Instant::now() < deadline, "no word of the refusal: {}", wrong.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = wrong.log();
    assert!(!log.contains("a-wrong-guess") && !log.contains(BROKER_PASSWORD), "{log}");
    let status = reqwest::get(format!("{}/readyz", wrong.url)).await.unwrap().status().as_u16();
    assert_eq!(status, 503, "not part of the cluster");
}

/// The board events `ws` hears until one made a card titled `title`: their titles.
async fn titles_until(ws: &mut Ws, title: &str) -> Vec<String> {
    let mut seen = Vec::new();
    tokio::time::timeout(crate::util::WAIT, async {
        loop {
            let f = ws.recv_event("task-created").await;
            let made = data_of(&f)["task"]["title"].as_str().unwrap_or("").to_string();
            seen.push(made.clone());
            if made == title {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no card {title:?}; heard {seen:?}"));
    seen
}

/// A staging site made from production's dump (by PostgreSQL's own tools, under
/// another schema, as a restore elsewhere would) and pointed at production's
/// broker stays a cluster of its own: neither hears the other's changes, and
/// production's revisions are not taken for the copy's (nor the other way).
async fn a_restored_copy_of_the_database_never_joins_the_cluster_it_was_copied_from(broker: String) {
    if crate::util::tool("pg_dump", "the test copies a database with it").is_none()
        || crate::util::tool("psql", "the test restores a copy with it").is_none()
    {
        return;
    }
    let production = Cluster::start(&broker, 2);
    let ann = production.site.admin(&["user", "add", "ann"]);
    let pid = production.site.admin(&["project", "add", "P", "--member", "ann"]);
    let channel = format!("private-project-{pid}");
    let post = |url: String, title: &'static str| {
        let (ann, pid) = (ann.clone(), pid.clone());
        async move {
            let res = reqwest::Client::new()
                .post(format!("{url}/api/projects/{pid}/tasks"))
                .bearer_auth(&ann)
                .json(&json!({ "title": title }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
        }
    };
    post(production.nodes[0].url.clone(), "before the copy").await;

    let from = production.site.schema.as_ref().unwrap().name.clone();
    let copy = crate::util::stores::Schema::create();
    crate::util::stores::run_sql_in(&copy, &format!("DROP SCHEMA {}", copy.name)).unwrap();
    let dumped = std::process::Command::new("pg_dump")
        .args(["--no-owner", "--quote-all-identifiers", "--schema", &from])
        .args(["--dbname", &crate::util::stores::postgres_url()])
        .output()
        .unwrap();
    assert!(dumped.status.success(), "{}", String::from_utf8_lossy(&dumped.stderr));
    // The schema renamed where it is a name; the data is left as it was.
    let sql = String::from_utf8(dumped.stdout)
        .unwrap()
        .replace(&format!("\"{from}\""), &format!("\"{}\"", copy.name));
    let mut psql = std::process::Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-d", &crate::util::stores::postgres_url()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut psql.stdin.take().unwrap(), sql.as_bytes()).unwrap();
    assert!(psql.wait().unwrap().success());
    let Database::Postgres(copy_url) = &copy.database else { unreachable!() };
    let staging_dir = tempfile::tempdir().unwrap();
    let staging = ServerProcess::start(
        staging_dir.path(),
        "127.0.0.1:0",
        &["--database", copy_url, "--broker", &broker],
        &[],
    );
    assert!(staging.log().contains("made elsewhere"), "the copy says what it is:\n{}", staging.log());
    ready_is(&staging, 200).await;

    let mut on_production = production.ws(0).await;
    on_production.join_at(&production.nodes[0].url, &ann, &channel).await;
    let mut on_staging = Ws::connect(&staging.ws_url().await).await;
    on_staging.join_at(&staging.url, &ann, &channel).await;
    // The same revision is made on each side: the copy's first.
    post(staging.url.clone(), "staging only").await;
    post(production.nodes[1].url.clone(), "production").await;
    let heard = titles_until(&mut on_production, "production").await;
    assert_eq!(heard, ["production"], "production heard nothing of the copy");
    post(staging.url.clone(), "staging again").await;
    let heard = titles_until(&mut on_staging, "staging again").await;
    assert_eq!(heard, ["staging only", "staging again"], "the copy heard nothing of production");
}

crate::both_brokers!(
    a_restored_copy_of_the_database_never_joins_the_cluster_it_was_copied_from,
    a_broker_behind_a_password_and_tls_joins_the_nodes,
    events_in_order_on_every_node_while_every_node_writes,
    client_events_reach_every_node_with_their_user_and_not_the_sender,
    presence_is_one_per_cluster,
    the_http_api_answers_for_the_cluster,
    a_killed_node_leaves_presence_and_a_restarted_one_rejoins,
    revocation_reaches_every_node,
    the_presence_member_limit_counts_the_whole_cluster,
    a_broker_restart_keeps_nodes_serving_and_rebuilds_presence,
);
