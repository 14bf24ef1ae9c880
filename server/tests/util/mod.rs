//! Helpers for the end-to-end tests: a real server on a loopback port with a SQLite
//! file in a temporary directory, and real WebSocket and HTTP clients.
//! Every wait has a timeout; nothing sleeps.

#![allow(dead_code)]

pub mod own_postgres;
pub mod pki;
pub mod stores;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use kanban_protocol::pusher::{self, ServerMessage};
use kanban_server::{AppOverrides, Database, Limits, RunningServer, Server, admin};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any one expected thing may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

pub const APP_ID: &str = "4242";
pub const APP_KEY: &str = "test-key";
pub const APP_SECRET: &str = "test-secret";

/// A server serving in this process, and its data directory.
pub struct TestServer {
    pub server: Server,
    pub limits: Limits,
    pub running: Option<RunningServer>,
    pub dir: tempfile::TempDir,
    /// Where the store is: the data directory's SQLite file, or a PostgreSQL
    /// schema of this test's own.
    pub database: Database,
    /// The PostgreSQL schema, dropped with the server.
    pub schema: Option<stores::Schema>,
    pub http: reqwest::Client,
}

/// The limits a test server has unless a test says otherwise: the defaults,
/// without the budget of changes per person (tests of other things write in
/// bulk as one person; the budget's own tests turn it on).
pub fn test_limits() -> Limits {
    Limits { max_writes_per_user: 0, ..Limits::default() }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(test_limits()).await
    }

    /// A server on the store of the test under way ([`stores::current`]).
    pub async fn start_with(limits: Limits) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let schema = match stores::current() {
            stores::Backend::Sqlite => None,
            stores::Backend::Postgres => Some(stores::Schema::create()),
        };
        let database = match &schema {
            Some(s) => s.database.clone(),
            None => Database::Sqlite(dir.path().to_owned()),
        };
        let server =
            Server::open_database(&database, &overrides(), limits.clone()).await.expect("open server");
        let running = server.clone().spawn("127.0.0.1:0".parse().unwrap()).await.expect("bind");
        TestServer {
            server,
            limits,
            running: Some(running),
            dir,
            database,
            schema,
            // As sent: a test that asks for gzip sees it (another crate may
            // turn reqwest's decoding on).
            http: reqwest::Client::builder().no_gzip().build().expect("an HTTP client"),
        }
    }

    /// Another store on this server's database, as an admin command opens it
    /// beside a running server.
    pub async fn admin_store(&self) -> std::sync::Arc<dyn kanban_server::store::Store> {
        kanban_server::open_database(&self.database).await.expect("open the store")
    }

    /// Stops the server and starts a new one on the same data directory (and a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.server =
            Server::open_database(&self.database, &overrides(), self.limits.clone()).await.expect("reopen");
        self.running = Some(self.server.clone().spawn("127.0.0.1:0".parse().unwrap()).await.expect("bind"));
    }

    /// Stops the server and starts it again on the same address and data.
    pub async fn restart_in_place(&mut self) {
        let addr = self.addr();
        self.stop().await;
        self.resume_at(addr).await;
    }

    /// Starts a stopped server again, on `addr` (its address before it stopped).
    pub async fn resume_at(&mut self, addr: std::net::SocketAddr) {
        self.server =
            Server::open_database(&self.database, &overrides(), self.limits.clone()).await.expect("reopen");
        self.running = Some(self.server.clone().spawn(addr).await.expect("bind the same address"));
    }

    /// A REST call with a JSON body (or none); answers the status and JSON body.
    pub async fn rest(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.running.as_ref().expect("running").addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/app/{APP_KEY}?protocol=7&client=test&version=1", self.addr())
    }

    /// Adds a user through the admin commands; returns its token.
    pub async fn user(&self, name: &str) -> String {
        admin::user_add(self.server.store().as_ref(), name, None).await.expect("user add")
    }

    /// Adds a project with members given as `user:role`; returns its id.
    pub async fn project(&self, name: &str, members: &[&str]) -> i64 {
        let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        admin::project_add(self.server.store().as_ref(), name, &members).await.expect("project add")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Asks the server for a channel signature, as pusher-js would.
    pub async fn authorize(&self, token: &str, socket_id: &str, channel: &str) -> (u16, Value) {
        let res = self
            .http
            .post(self.url("/api/pusher/auth"))
            .bearer_auth(token)
            .form(&[("socket_id", socket_id), ("channel_name", channel)])
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A signed Pusher HTTP API request; `body` is sent when given (POST).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, Value) {
        let body = body.map(|b| b.to_string());
        let (status, text) = self.api_raw(method, path, query, body.as_deref(), None).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Like [`api`] with full control: a raw body and a timestamp.
    pub async fn api_raw(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&str>,
        timestamp: Option<u64>,
    ) -> (u16, String) {
        let ts = timestamp
            .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs())
            .to_string();
        let md5 = body.map(|b| kanban_protocol::sign::body_md5(b.as_bytes()));
        let mut params: Vec<(&str, &str)> =
            vec![("auth_key", APP_KEY), ("auth_timestamp", &ts), ("auth_version", "1.0")];
        if let Some(m) = &md5 {
            params.push(("body_md5", m));
        }
        params.extend_from_slice(query);
        let sig = kanban_protocol::sign::http_signature(APP_SECRET, method, path, params.iter().copied());
        params.push(("auth_signature", &sig));
        let url = format!("{}?{}", self.url(path), serde_urlencoded_pairs(&params));
        let req = match method {
            "POST" => self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body.unwrap_or("").to_string()),
            _ => self.http.get(url),
        };
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.unwrap_or_default())
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("clean stop");
        }
    }
}

fn overrides() -> AppOverrides {
    AppOverrides { id: Some(APP_ID.into()), key: Some(APP_KEY.into()), secret: Some(APP_SECRET.into()) }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A raw Pusher-protocol WebSocket client.
pub struct Ws {
    stream: Stream,
    pub socket_id: String,
}

/// What a connection ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum Closed {
    Code(u16),
    /// Closed without a close frame.
    Abrupt,
}

impl Ws {
    /// Connects and waits for `pusher:connection_established`.
    pub async fn connect(url: &str) -> Ws {
        let (stream, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect in time")
            .expect("connect");
        let mut ws = Ws { stream, socket_id: String::new() };
        match ws.recv_message().await {
            ServerMessage::ConnectionEstablished { socket_id, .. } => ws.socket_id = socket_id,
            other => panic!("no handshake: {other:?}"),
        }
        ws
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream.send(Message::text(text)).await.expect("send");
    }

    /// The next text frame, parsed; fails the test after [`WAIT`].
    pub async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a frame in time")
                .expect("stream open")
                .expect("frame");
            match msg {
                Message::Text(t) => return serde_json::from_str(&t).expect("JSON frame"),
                Message::Close(c) => panic!("closed while waiting for a frame: {c:?}"),
                _ => continue,
            }
        }
    }

    /// The next text frame, decoded as a Pusher client reads it.
    pub async fn recv_message(&mut self) -> ServerMessage {
        let frame = self.recv().await;
        ServerMessage::decode(&frame.to_string()).unwrap_or_else(|e| panic!("{e}: {frame}"))
    }

    /// The next frame named `event`, skipping others.
    pub async fn recv_event(&mut self, event: &str) -> Value {
        loop {
            let f = self.recv().await;
            if f["event"] == event {
                return f;
            }
        }
    }

    /// The next text frame if one is waiting; `None` when the stream ended.
    pub async fn try_next_frame(&mut self) -> Option<Value> {
        loop {
            match self.stream.next().await? {
                Ok(Message::Text(t)) => return serde_json::from_str(&t).ok(),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Every frame up to the pong of a ping sent now. The server answers frames in
    /// order and writes queued frames first, so anything caused by earlier frames of
    /// this connection has arrived by then.
    pub async fn drain(&mut self) -> Vec<Value> {
        self.send_text(&pusher::ping()).await;
        let mut seen = Vec::new();
        loop {
            let f = self.recv().await;
            if f["event"] == "pusher:pong" {
                return seen;
            }
            seen.push(f);
        }
    }

    /// Reads until the server closes; returns the close code.
    pub async fn closed(&mut self) -> Closed {
        loop {
            let msg = tokio::time::timeout(WAIT, self.stream.next()).await.expect("closed in time");
            match msg {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Closed::Code(u16::from(frame.code));
                }
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return Closed::Abrupt,
                Some(Ok(_)) => continue,
            }
        }
    }

    pub async fn subscribe(&mut self, channel: &str, auth: Option<&str>, channel_data: Option<&str>) {
        self.send_text(&pusher::subscribe(channel, auth, channel_data)).await;
    }

    /// Subscribes with a signature from the server's auth endpoint and waits for
    /// the success; returns its frame.
    pub async fn join(&mut self, server: &TestServer, token: &str, channel: &str) -> Value {
        let (status, auth) = server.authorize(token, &self.socket_id, channel).await;
        assert_eq!(status, 200, "auth for {channel}: {auth}");
        self.subscribe(channel, auth["auth"].as_str(), auth["channel_data"].as_str()).await;
        let f = self.recv().await;
        match ServerMessage::decode(&f.to_string()) {
            Ok(ServerMessage::SubscriptionSucceeded { channel: c, .. }) if c == channel => f,
            other => panic!("no success for {channel}: {other:?}"),
        }
    }

    /// Like [`Ws::join`], authorized by the server process at `url` (a node).
    pub async fn join_at(&mut self, url: &str, token: &str, channel: &str) -> Value {
        let res = reqwest::Client::new()
            .post(format!("{url}/api/pusher/auth"))
            .bearer_auth(token)
            .form(&[("socket_id", self.socket_id.as_str()), ("channel_name", channel)])
            .send()
            .await
            .expect("auth request");
        assert_eq!(res.status(), 200, "auth for {channel}");
        let auth: Value = res.json().await.expect("auth JSON");
        self.subscribe(channel, auth["auth"].as_str(), auth["channel_data"].as_str()).await;
        loop {
            let f = self.recv().await;
            match ServerMessage::decode(&f.to_string()) {
                Ok(ServerMessage::SubscriptionSucceeded { channel: c, .. }) if c == channel => return f,
                // News of others on channels joined before.
                Ok(ServerMessage::MemberAdded { .. } | ServerMessage::MemberRemoved { .. }) => continue,
                other => panic!("no success for {channel}: {other:?}"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self
            .stream
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }))
            .await;
    }
}

/// Connects to `url` and reads until the server closes: the text frames it sent
/// first, and the close code (for connections the server refuses).
pub async fn refused_with(url: &str) -> (Vec<Value>, u16) {
    let (mut stream, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("connect in time")
        .expect("connect");
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, stream.next()).await.expect("closed in time") {
            Some(Ok(Message::Text(t))) => frames.push(serde_json::from_str(&t).expect("JSON frame")),
            Some(Ok(Message::Close(Some(frame)))) => return (frames, u16::from(frame.code)),
            Some(Ok(_)) => continue,
            other => panic!("closed without a code: {other:?}"),
        }
    }
}

/// A server frame's `data`, decoded from its JSON string.
pub fn data_of(frame: &Value) -> Value {
    match &frame["data"] {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
        other => other.clone(),
    }
}

/// The program `name` (a path, or a name looked up in `PATH`) that a test needs,
/// if this machine has it. Where it has not, the test is skipped, saying on stderr
/// what was missing and what for (`why`), unless `KANBAN_TEST_REQUIRE_SERVICES`
/// says everything must run (as `.ci/run` does): then it fails.
pub fn tool(name: &str, why: &str) -> Option<PathBuf> {
    let found = if name.contains('/') {
        Some(PathBuf::from(name)).filter(|p| p.is_file())
    } else {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| p.is_file()))
    };
    if found.is_none() {
        assert!(!stores::required(), "{name} is required (KANBAN_TEST_REQUIRE_SERVICES) and missing: {why}");
        let test = std::thread::current().name().unwrap_or("a test").to_string();
        // Straight to stderr, past the harness's capture: a skip is said even when
        // the test passes.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{test}: skipped, {name} is not installed: {why}");
    }
    found
}

/// The `kanban-server` binary, built once per test run (cargo builds the binaries
/// of other packages only when asked). `--workspace` resolves features as
/// `cargo test --workspace` does, so the two builds do not undo each other.
pub fn server_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let mut dir = std::env::current_exe().expect("test exe");
        dir.pop(); // deps
        let release = dir.parent().and_then(|d| d.file_name()).is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--workspace", "--bin", "kanban-server"]);
        if release {
            build.arg("--release");
        }
        assert!(build.status().expect("run cargo build").success(), "building kanban-server failed");
        dir.pop(); // debug or release
        dir.join(format!("kanban-server{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

/// The `kanban-server` binary running as a child process, its log collected.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub url: String,
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
    /// Reads stderr into `log` until the process closes it.
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ServerProcess {
    /// Starts the binary on a free loopback port with `dir` as its data directory.
    pub fn start(dir: &std::path::Path, listen: &str, extra: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        Self::start_under(&[], dir, listen, extra, env)
    }

    /// Like [`ServerProcess::start`], run by a shell that first runs `setup` (such
    /// as `ulimit -n 64`) and then becomes the server.
    pub fn start_under(
        setup: &[&str],
        dir: &std::path::Path,
        listen: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> ServerProcess {
        use std::io::BufRead;
        let mut cmd = if setup.is_empty() {
            Command::new(server_bin())
        } else {
            let mut sh = Command::new("sh");
            let script = format!("{} && exec \"$0\" \"$@\"", setup.join(" && "));
            sh.arg("-c").arg(script).arg(server_bin());
            sh
        };
        cmd.args(["--listen", listen, "--data-dir"]).arg(dir).args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        // As for a test server in this process: no budget of changes per person,
        // unless the test says otherwise.
        if !env.iter().any(|(k, _)| *k == "KANBAN_MAX_WRITES_PER_USER") {
            cmd.env("KANBAN_MAX_WRITES_PER_USER", "0");
        }
        // Stopped at once, unless the test is of the drain.
        if !env.iter().any(|(k, _)| *k == "KANBAN_DRAIN_SECONDS") && !extra.contains(&"--drain-seconds") {
            cmd.env("KANBAN_DRAIN_SECONDS", "0");
        }
        let mut child = cmd
            .env_remove("KANBAN_APP_KEY")
            .env_remove("KANBAN_APP_SECRET")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start kanban-server");
        let stderr = child.stderr.take().expect("stderr");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                {
                    let mut log = sink.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
                if let Some(addr) = listening_addr(&line) {
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no listening line; log:\n{}", log.lock().unwrap()));
        ServerProcess { child, url: format!("http://{addr}"), log, reader: Some(reader) }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The WebSocket URL of this process, with the app key it gives.
    pub async fn ws_url(&self) -> String {
        let config: Value =
            reqwest::get(format!("{}/api/config", self.url)).await.unwrap().json().await.unwrap();
        format!(
            "{}/app/{}?protocol=7",
            self.url.replacen("http", "ws", 1),
            config["app_key"].as_str().unwrap()
        )
    }

    /// What the log holds so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM, as a service manager stops it; waits for the exit and answers the
    /// whole log.
    pub fn stop(&mut self) -> String {
        // The shell's own `kill`: a minimal system may have no kill(1).
        let pid = self.pid().to_string();
        let sent = Command::new("sh").args(["-c", "kill -TERM \"$0\"", &pid]).status().expect("run sh");
        assert!(sent.success(), "kill -TERM {pid}");
        self.wait()
    }

    /// Waits for the process to exit on its own; answers the whole log.
    pub fn wait(&mut self) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        while self.child.try_wait().expect("wait").is_none() {
            assert!(std::time::Instant::now() < deadline, "no exit after SIGTERM; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
        // Its stderr is closed now: the reader ends at once, having read it all.
        if let Some(reader) = self.reader.take() {
            reader.join().expect("the log reader");
        }
        self.log()
    }

    /// Sends `signal` (`TERM`, `HUP`, ...) and returns at once.
    pub fn signal(&self, signal: &str) {
        let pid = self.pid().to_string();
        let sent = Command::new("sh")
            .args(["-c", &format!("kill -{signal} \"$0\""), &pid])
            .status()
            .expect("run sh");
        assert!(sent.success(), "kill -{signal} {pid}");
    }

    /// Waits until the log holds `text`.
    pub fn wait_for_log(&self, text: &str) {
        let deadline = std::time::Instant::now() + WAIT;
        while !self.log().contains(text) {
            assert!(std::time::Instant::now() < deadline, "no {text:?} in the log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL: no shutdown, no flush, as a crash.
    pub fn crash(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

/// The address in the server's "listening" log line, in text (`listening
/// addr=...`) or in JSON (`--log-format json`: an `addr` field).
fn listening_addr(line: &str) -> Option<String> {
    if let Some(rest) = line.split("listening addr=").nth(1) {
        return Some(rest.split_whitespace().next().unwrap_or("").to_string());
    }
    let event: Value = serde_json::from_str(line).ok()?;
    (event["message"] == "kanban-server listening").then(|| event["addr"].as_str().map(str::to_string))?
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs an admin command on `dir` that may fail: its exit status, stdout and
/// stderr, trimmed.
pub fn admin_output(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(server_bin())
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("KANBAN_APP_KEY")
        .env_remove("KANBAN_APP_SECRET")
        .output()
        .expect("run kanban-server");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).trim().to_string();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

/// Runs an admin command on `dir` that must succeed; answers its stdout, trimmed.
pub fn admin(dir: &std::path::Path, args: &[&str]) -> String {
    let (ok, out, err) = admin_output(dir, args);
    assert!(ok, "{args:?}: {err}");
    out
}
