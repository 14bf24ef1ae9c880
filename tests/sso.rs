//! Single sign-on through a real OpenID Connect provider nobody here wrote
//! (`oidc-provider` from npm, in `tests/oidc`), driven as a person's browser
//! would (`browser.mjs`, a cookie jar through its pages): `kanban-tui login`'s
//! device flow end to end with groups giving roles, a group left taking the role
//! away (an open socket of the board closed), the provider's keys rotated, a
//! token of another client or with a forged signature refused, and a provider
//! that is down said so.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::util::stores::Site;
use crate::util::{ServerProcess, Ws};

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// `tests/oidc`, where its packages are installed (`npm ci`, as `.ci/run` does);
/// `None` (the test skipped, and said so) where Node or the packages are not.
fn harness() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
    crate::util::tool("node", "the sign-in tests run oidc-provider on Node.js")?;
    let why = "the sign-in tests need oidc-provider: npm ci --prefix tests/oidc";
    let installed = dir.join("node_modules/oidc-provider");
    crate::util::tool(installed.join("package.json").to_str().unwrap(), why)?;
    Some(dir)
}

/// The provider, running on `port` (0: any) with its keys in `keys`.
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    fn start(dir: &Path, port: u16, keys: &Path, rotate: bool) -> Provider {
        let rotate: &[(&str, &str)] = if rotate { &[("OIDC_KEYS_ROTATE", "1")] } else { &[] };
        Provider::start_with(dir, port, keys, rotate)
    }

    fn start_with(dir: &Path, port: u16, keys: &Path, env: &[(&str, &str)]) -> Provider {
        let mut command = Command::new("node");
        command.arg(dir.join("provider.mjs")).arg(port.to_string()).env("OIDC_KEYS_FILE", keys);
        command.envs(env.iter().copied());
        let mut child =
            command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("node provider.mjs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let issuer =
            line.trim().strip_prefix("listening ").unwrap_or_else(|| panic!("provider said {line:?}"));
        Provider { issuer: issuer.to_string(), child }
    }

    fn port(&self) -> u16 {
        self.issuer.rsplit(':').next().unwrap().parse().unwrap()
    }

    async fn set_groups(&self, user: &str, groups: &[&str]) {
        self.control("groups", json!({ "user": user, "groups": groups })).await;
    }

    /// Disables `user` at the provider: their refresh tokens are refused.
    async fn disable(&self, user: &str) {
        self.control("disable", json!({ "user": user })).await;
    }

    async fn control(&self, what: &str, body: Value) {
        let res = reqwest::Client::new()
            .post(format!("{}/__test/{what}", self.issuer))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A person signing in at the provider's page as `login`.
fn browse(dir: &Path, uri: &str, code: &str, login: &str) {
    let out = Command::new("node").arg(dir.join("browser.mjs")).args([uri, code, login]).output().unwrap();
    assert!(
        out.status.success(),
        "browser.mjs: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `kanban-tui login --server URL` with `config` as its config directory, the
/// person signing in at the provider as `login` when it shows the code; its
/// exit, stdout and stderr.
fn login(dir: &Path, server: &str, config: &Path, login: &str) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(["login", "--server", server])
        .env("KANBAN_CONFIG_DIR", config)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("BROWSER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut said = String::new();
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        said.push_str(&line);
        if let Some(rest) = line.strip_prefix("To sign in, open ") {
            let (uri, code) = rest.trim().split_once(" and enter the code ").expect("where and the code");
            browse(dir, uri, code, login);
        }
        line.clear();
    }
    let done = child.wait_with_output().unwrap();
    (done.status.success(), said, String::from_utf8_lossy(&done.stderr).to_string())
}

/// `kanban-tui board list --json` as the saved login.
fn boards(config: &Path) -> Vec<String> {
    let out = Command::new(BIN)
        .args(["board", "list", "--json"])
        .env("KANBAN_CONFIG_DIR", config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap().to_string()).collect()
}

fn saved_token(config: &Path) -> String {
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(config.join("login.json")).unwrap()).unwrap();
    saved["token"].as_str().unwrap().to_string()
}

fn start_server(site: &Site, issuer: &str) -> ServerProcess {
    start_server_with(site, issuer, &[])
}

fn start_server_with(site: &Site, issuer: &str, more: &[&str]) -> ServerProcess {
    let secret = site.dir.path().join("oidc-secret");
    std::fs::write(&secret, "kanban-secret\n").unwrap();
    let args = [
        "--oidc-issuer",
        issuer,
        "--oidc-client-id",
        "kanban",
        "--oidc-client-secret-file",
        secret.to_str().unwrap(),
        "--oidc-scopes",
        "openid profile groups",
        "--oidc-users",
        "auto",
        "--oidc-group-role",
        "launch-team=Launch:member",
        "--oidc-group-role",
        "ops=Ops:owner",
    ];
    site.start(&[&args[..], more].concat())
}

/// The names of the boards `token` opens, or the status it is refused with.
async fn boards_of(server: &ServerProcess, token: &str) -> Result<Vec<String>, u16> {
    Ok(projects(server, token).await?.into_iter().map(|(name, _)| name).collect())
}

/// The boards `token` opens (`GET /api/projects`), name and id, or the status
/// it is refused with.
async fn projects(server: &ServerProcess, token: &str) -> Result<Vec<(String, i64)>, u16> {
    let res = reqwest::Client::new()
        .get(format!("{}/api/projects", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    if !res.status().is_success() {
        return Err(res.status().as_u16());
    }
    let list: Value = res.json().await.unwrap();
    Ok(list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["name"].as_str().unwrap().to_string(), b["id"].as_i64().unwrap()))
        .collect())
}

/// Asks `boards_of` until `done` holds; fails after `within`.
async fn until(
    server: &ServerProcess,
    token: &str,
    what: &str,
    within: std::time::Duration,
    done: impl Fn(&Result<Vec<String>, u16>) -> bool,
) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let now = boards_of(server, token).await;
        if done(&now) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: still {now:?} after {within:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The server asks the provider again as often as its access tokens expire
/// (two seconds here), with the refresh token it gave: a group left takes its
/// board away from an open socket with no new sign-in; a person disabled at the
/// provider loses their token; `user list` says how each signs in; and with the
/// provider gone a token lasts its --oidc-session-days (half a minute here) past
/// the last yes, then ends, its open socket closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_is_asked_again_and_its_no_or_its_silence_ends_the_session() {
    let Some(dir) = harness() else { return };
    let keys = tempfile::tempdir().unwrap();
    let keys = keys.path().join("keys.json");
    let provider = Provider::start_with(&dir, 0, &keys, &[("OIDC_ACCESS_TTL", "2")]);
    let site = Site::sqlite();
    site.admin(&["user", "add", "root"]);
    site.admin(&["project", "add", "Launch", "--member", "root:owner"]);
    site.admin(&["project", "add", "Ops", "--member", "root:owner"]);
    let server = start_server_with(&site, &provider.issuer, &["--oidc-session-days", "0.00035"]);
    let (alice, bob) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (config, who) in [(&alice, "alice"), (&bob, "bob")] {
        let (ok, said, err) = login(&dir, &server.url, config.path(), who);
        assert!(ok, "{who}: {said}{err}");
    }
    let (alice, bob) = (saved_token(alice.path()), saved_token(bob.path()));
    assert_eq!(boards_of(&server, &alice).await, Ok(vec!["Launch".to_string()]));
    assert_eq!(boards_of(&server, &bob).await, Ok(vec!["Ops".to_string()]));

    // alice's board open; she leaves launch-team for ops at the provider.
    let ids: std::collections::HashMap<String, i64> =
        projects(&server, &root_token(&site)).await.unwrap().into_iter().collect();
    let mut launch = Ws::connect(&server.ws_url().await).await;
    launch.join_at(&server.url, &alice, &format!("presence-project-{}", ids["Launch"])).await;
    provider.set_groups("alice", &["ops"]).await;
    launch.closed().await;
    until(&server, &alice, "alice's boards as her groups say", WAIT_LONG, |b| {
        b.as_ref().is_ok_and(|b| b == &["Ops"])
    })
    .await;

    // bob disabled at the provider: his token ends.
    provider.disable("bob").await;
    until(&server, &bob, "bob's token refused", WAIT_LONG, |b| *b == Err(401)).await;
    let users = site.admin(&["user", "list"]);
    let line_of =
        |name: &str| users.lines().find(|l| l.split('\t').nth(1) == Some(name)).unwrap().to_string();
    assert!(line_of("alice").contains("provider subject alice (last 20"), "{users}");
    assert!(line_of("alice").ends_with(", 1 session live)"), "{users}");
    assert!(line_of("bob").ends_with(", 0 sessions live)"), "{users}");
    let counted = metric(&server, "kanban_oidc_renewed_total").await;
    assert!(counted >= 1.0, "renewals counted: {counted}");
    assert_eq!(metric(&server, "kanban_oidc_ended_total").await, 1.0, "bob's sign-in ended by the provider");

    // The provider gone: alice's token is not cut at once, but it ends at its
    // time, and her open board with it.
    let mut ops = Ws::connect(&server.ws_url().await).await;
    ops.join_at(&server.url, &alice, &format!("presence-project-{}", ids["Ops"])).await;
    drop(provider);
    assert!(boards_of(&server, &alice).await.is_ok(), "a provider that is silent is not a no");
    let gone = std::time::Instant::now();
    until(&server, &alice, "alice's token ended at its time", std::time::Duration::from_secs(90), |b| {
        *b == Err(401)
    })
    .await;
    ops.closed().await;
    eprintln!("with the provider gone, the token ended after {:?}", gone.elapsed());
    assert!(metric(&server, "kanban_oidc_unanswered_total").await >= 1.0, "the silence counted");
}

/// The value of an unlabelled sample of the server's `/metrics`.
async fn metric(server: &ServerProcess, name: &str) -> f64 {
    let text = reqwest::get(format!("{}/metrics", server.url)).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
}

/// Long enough for a few asks of the provider, two seconds apart.
const WAIT_LONG: std::time::Duration = std::time::Duration::from_secs(30);

/// The admin's token (root's first), issued anew.
fn root_token(site: &Site) -> String {
    site.admin(&["user", "token", "root"]).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_at_the_provider_and_the_groups_say_what_they_see() {
    let Some(dir) = harness() else { return };
    let keys = tempfile::tempdir().unwrap();
    let keys = keys.path().join("keys.json");
    let mut provider = Provider::start(&dir, 0, &keys, false);
    let site = Site::sqlite();
    site.admin(&["user", "add", "root"]);
    site.admin(&["project", "add", "Launch", "--member", "root:owner"]);
    site.admin(&["project", "add", "Ops", "--member", "root:owner"]);
    site.admin(&["project", "add", "Secret", "--member", "root:owner"]);
    let server = start_server(&site, &provider.issuer);
    let config = tempfile::tempdir().unwrap();

    // alice, new here, is made a user; her group gives her Launch.
    let (ok, said, err) = login(&dir, &server.url, config.path(), "alice");
    assert!(ok, "{said}{err}");
    assert!(said.contains("Logged in to") && said.contains("as alice"), "{said}");
    assert_eq!(boards(config.path()), ["Launch"]);
    let listed = site.admin(&["project", "list"]);
    assert!(listed.contains("alice:member"), "{listed}");

    // Her board open on a socket; then she leaves the group at the provider: at
    // her next sign-in the role goes, and the socket is closed.
    let token = saved_token(config.path());
    let pid = projects(&server, &token).await.unwrap()[0].1;
    let mut ws = Ws::connect(&server.ws_url().await).await;
    ws.join_at(&server.url, &token, &format!("presence-project-{pid}")).await;
    provider.set_groups("alice", &["ops"]).await;
    let (ok, said, err) = login(&dir, &server.url, config.path(), "alice");
    assert!(ok, "{said}{err}");
    assert_eq!(boards(config.path()), ["Ops"], "Launch taken away, Ops given");
    ws.closed().await;

    // The provider's keys rotated: the next sign-in's token names a new key,
    // which the server fetches.
    let port = provider.port();
    drop(provider);
    provider = Provider::start(&dir, port, &keys, true);
    let (ok, said, err) = login(&dir, &server.url, config.path(), "alice");
    assert!(ok, "after the rotation: {said}{err}");

    // The provider down: said, and soon.
    drop(provider);
    let started = std::time::Instant::now();
    let (ok, said, err) = login(&dir, &server.url, config.path(), "alice");
    assert!(!ok, "{said}");
    assert!(err.contains("the sign-in provider at") && err.contains("cannot be reached"), "{err}");
    eprintln!("a sign-in with the provider down failed in {:?}", started.elapsed());
}

/// An ID token from the provider's device flow for `client`, signed in as `login`.
async fn id_token_for(dir: &Path, issuer: &str, client: &str, secret: &str, login: &str) -> String {
    let http = reqwest::Client::new();
    let started: Value = http
        .post(format!("{issuer}/device/auth"))
        .basic_auth(client, Some(secret))
        .form(&[("client_id", client), ("scope", "openid profile groups")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    browse(dir, started["verification_uri"].as_str().unwrap(), started["user_code"].as_str().unwrap(), login);
    let device_code = started["device_code"].as_str().unwrap();
    let form = [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", device_code)];
    let answer: Value = http
        .post(format!("{issuer}/token"))
        .basic_auth(client, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["id_token"].as_str().unwrap_or_else(|| panic!("no ID token: {answer}")).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_for_another_client_or_with_a_forged_signature_is_refused() {
    use kanban_server::oidc::{Oidc, OidcOptions, OidcUsers};
    let Some(dir) = harness() else { return };
    let keys = tempfile::tempdir().unwrap();
    let provider = Provider::start(&dir, 0, &keys.path().join("keys.json"), false);
    let oidc = Oidc::new(OidcOptions {
        issuer: provider.issuer.clone(),
        client_id: "kanban".into(),
        client_secret: Some("kanban-secret".into()),
        username_claim: "preferred_username".into(),
        users: OidcUsers::Existing,
        group_roles: Vec::new(),
        scopes: vec!["openid".into()],
        session: std::time::Duration::from_secs(86_400),
    });
    let good = id_token_for(&dir, &provider.issuer, "kanban", "kanban-secret", "bob").await;
    let identity = oidc.verify(&good).await.expect("the provider's own token for this client");
    assert_eq!(
        (identity.username.as_str(), identity.groups.as_slice()),
        ("bob", &["ops".to_string(), "everyone".to_string()][..])
    );

    let other = id_token_for(&dir, &provider.issuer, "other", "other-secret", "bob").await;
    let refused = oidc.verify(&other).await.unwrap_err().to_string();
    assert!(refused.contains("audience"), "{refused}");

    // The same claims with a signature made up.
    let (signed, _) = good.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{}", "A".repeat(342));
    let refused = oidc.verify(&forged).await.unwrap_err().to_string();
    assert!(refused.contains("Signature verification failed"), "{refused}");
    // And another issuer's view of it: a provider of the same software elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let second = Provider::start(&dir, 0, &elsewhere.path().join("keys.json"), false);
    let foreign = id_token_for(&dir, &second.issuer, "kanban", "kanban-secret", "bob").await;
    let refused = oidc.verify(&foreign).await.unwrap_err().to_string();
    assert!(refused.contains("issuer") || refused.contains("Signature"), "{refused}");
}

/// Asking to sign in needs no token: a flood of asks is turned away before it
/// reaches the site's provider (here one that is down, said as such meanwhile).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_sign_ins_is_held_back_before_the_provider() {
    let site = Site::sqlite();
    let server = site.start(&["--oidc-issuer", "http://127.0.0.1:9", "--oidc-client-id", "kanban"]);
    let http = reqwest::Client::new();
    let mut statuses = std::collections::BTreeMap::new();
    // At once: past the burst of 100 the budget refills at 20 a second, so that
    // 300 asked within ten seconds meet it.
    let asks = (0..300).map(|_| async {
        let res = http.post(format!("{}/api/login/oidc/device", server.url)).send().await.unwrap();
        let status = res.status().as_u16();
        if status == 502 {
            let said: Value = res.json().await.unwrap();
            assert!(said["error"].as_str().unwrap().contains("cannot be reached"), "{said}");
        }
        status
    });
    for status in futures_util::future::join_all(asks).await {
        *statuses.entry(status).or_insert(0) += 1;
    }
    assert!(statuses.get(&502).is_some_and(|n| *n >= 100), "{statuses:?}");
    assert!(statuses.get(&429).is_some_and(|n| *n >= 1), "{statuses:?}");
    // The server goes on serving.
    let config: Value =
        http.get(format!("{}/api/config", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(config["oidc"], true);
}
