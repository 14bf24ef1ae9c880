//! Who you are from your account on the host: a real server with a Unix socket, real
//! system accounts made for the test (so it runs as root, as CI does; elsewhere it
//! says it was skipped), and the real `kanban-tui` run as each of them with
//! `setpriv`. Nobody types or passes a token.

use std::path::{Path, PathBuf};
use std::process::Command;

use kanban_server::unix_socket::{SocketOptions, UnixUsers};
use kanban_server::{AppOverrides, Limits, RunningServer, Server, admin};

use crate::tmux::Tmux;
use crate::util::stores;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// System accounts that live as long as the test.
struct Accounts {
    names: Vec<String>,
    /// A home of each one's own, for kanban-tui's config and state.
    homes: tempfile::TempDir,
}

impl Accounts {
    /// Makes an account for each of `who` (`ann` becomes e.g. `annkb12345`), or
    /// says why it cannot and answers `None`.
    fn make(test: &str, who: &[&str]) -> Option<Accounts> {
        if !nix_is_root() {
            let why = "making accounts needs root";
            assert!(!stores::required(), "{test}: {why} (KANBAN_TEST_REQUIRE_SERVICES is set)");
            eprintln!("{test}: skipped, {why}");
            return None;
        }
        let why = "the host-account tests make accounts and run kanban-tui as them";
        if crate::util::tool("useradd", why).is_none() || crate::util::tool("setpriv", why).is_none() {
            return None;
        }
        let homes = tempfile::tempdir().unwrap();
        chmod(homes.path(), 0o755);
        let mut made = Accounts { names: Vec::new(), homes };
        for w in who {
            let name = format!("{w}kb{}", std::process::id() % 100_000);
            let out = Command::new("useradd")
                .args(["--no-create-home", "--user-group", "--shell", "/bin/sh", &name])
                .output()
                .expect("useradd runs");
            assert!(out.status.success(), "useradd {name}: {}", String::from_utf8_lossy(&out.stderr));
            made.names.push(name.clone());
            let home = made.homes.path().join(&name);
            std::fs::create_dir(&home).unwrap();
            let chown = Command::new("chown").arg(format!("{name}:{name}")).arg(&home).status().unwrap();
            assert!(chown.success());
        }
        Some(made)
    }

    fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// A shell command that runs `command` as account `i`, in its own home, with a
    /// `USER` that lies (the server must go by the account, not the environment),
    /// and without the test's backtrace settings (an error says one line).
    fn run_as(&self, i: usize, command: &str) -> String {
        let name = self.name(i);
        let home = self.homes.path().join(name);
        let home = home.display();
        format!(
            "setpriv --reuid={name} --regid={name} --clear-groups env -u RUST_BACKTRACE \
             -u RUST_LIB_BACKTRACE HOME={home} USER=mallory KANBAN_CONFIG_DIR={home} \
             KANBAN_STATE_DIR={home} {command}"
        )
    }
}

impl Drop for Accounts {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = Command::new("userdel").args(["--force", name]).output();
        }
    }
}

fn nix_is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A server on a SQLite file with its Unix socket in a directory every account
/// can reach.
struct HostServer {
    server: Server,
    running: Option<RunningServer>,
    socket: PathBuf,
    _data: tempfile::TempDir,
    _run: tempfile::TempDir,
}

impl HostServer {
    async fn start(policy: UnixUsers) -> HostServer {
        let data = tempfile::tempdir().unwrap();
        let run = tempfile::tempdir().unwrap();
        chmod(run.path(), 0o755);
        let socket = run.path().join("kanban.sock");
        let server = Server::open(data.path(), &AppOverrides::default(), Limits::default()).await.unwrap();
        let options = SocketOptions::new(&socket, policy);
        let running =
            server.clone().spawn_all("127.0.0.1:0".parse().unwrap(), None, Some(&options)).await.unwrap();
        HostServer { server, running: Some(running), socket, _data: data, _run: run }
    }

    fn store(&self) -> &dyn kanban_server::store::Store {
        self.server.store().as_ref()
    }

    /// `curl` GETs `path` over the socket as account `i`: the status and the body.
    fn get_as(&self, accounts: &Accounts, i: usize, path: &str) -> (u16, serde_json::Value) {
        let socket = self.socket.display();
        let command = accounts.run_as(
            i,
            &format!("curl -s -w '\\n%{{http_code}}' --unix-socket {socket} http://localhost{path}"),
        );
        let out = Command::new("sh").arg("-c").arg(&command).output().expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or_else(|| panic!("{command}: {text}"));
        (status.parse().unwrap(), serde_json::from_str(body).unwrap_or_default())
    }
}

impl Drop for HostServer {
    fn drop(&mut self) {
        // Stopped with the runtime; the socket's file goes with its directory.
        drop(self.running.take());
    }
}

/// A request of this (root) process over the socket.
fn as_root(socket: &Path) -> reqwest::Client {
    reqwest::Client::builder().unix_socket(socket).build().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn people_on_the_host_share_a_board_as_their_accounts_with_no_token() {
    let test = "people_on_the_host_share_a_board_as_their_accounts_with_no_token";
    let Some(accounts) = Accounts::make(test, &["ann", "bob", "carol"]) else { return };
    let (ann, bob, carol) = (accounts.name(0), accounts.name(1), accounts.name(2));
    let host = HostServer::start(UnixUsers::Existing).await;
    let ann_token = admin::user_add(host.store(), ann, None).await.unwrap();
    admin::user_add(host.store(), bob, None).await.unwrap();
    let project =
        admin::project_add(host.store(), "host board", &[format!("{ann}:owner"), format!("{bob}:member")])
            .await
            .unwrap();

    let Some(tmux) = Tmux::new("host") else { return };
    let socket = host.socket.display().to_string();
    // ann names the socket; bob finds it through KANBAN_SOCKET.
    tmux.start("ann", 100, 24, &accounts.run_as(0, &format!("{BIN} --server unix:{socket}")), &[]);
    tmux.start("bob", 100, 24, &accounts.run_as(1, &format!("KANBAN_SOCKET={socket} {BIN}")), &[]);
    for (who, other) in [("ann", bob), ("bob", ann)] {
        tmux.wait_for(who, "the board with the other one present", false, |s| {
            s.contains("host board")
                && s.contains("online")
                && s.lines().nth(1).is_some_and(|l| l.contains(other))
        });
    }
    let screen = tmux.screen("ann", false);
    assert!(!screen.contains("mallory"), "named by the account, not by $USER:\n{screen}");

    tmux.keys("ann", &["n"]);
    tmux.wait_for("ann", "the card form", false, |s| s.contains("New card"));
    tmux.type_text("ann", "Made by an account");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("bob", "ann's card", false, |s| s.contains("Made by an account"));
    // ann's cursor on her card shows in bob's terminal as her initial.
    tmux.wait_for("bob", "ann's marker", false, |s| {
        s.lines().any(|l| l.contains("Made by an account") && l.contains('A'))
    });

    // carol has an account but is no user of the board: told so, nothing opens.
    tmux.start("carol", 100, 24, &accounts.run_as(2, &format!("{BIN} --server unix:{socket}")), &[]);
    let screen = tmux.wait_for("carol", "carol refused", false, |s| s.contains("[exited "));
    assert!(screen.contains(&format!("{carol} is not a user of this board")), "{screen}");
    assert_ne!(tmux.wait_exit("carol"), 0);

    // root is nobody, even with ann's token: the socket does not look at tokens.
    let http = as_root(&host.socket);
    for token in [None, Some(ann_token.as_str())] {
        let mut req = http.get("http://localhost/api/me");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 403);
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("root is nobody"), "{body}");
    }

    // bob's access taken away: his board goes, and the socket opens it no more (a
    // project one is not a member of is not found, as over TCP).
    admin::project_revoke(host.store(), &project.to_string(), bob).await.unwrap();
    tmux.wait_for("bob", "bob's board gone", false, |s| !s.contains("Made by an account"));
    let (status, body) = host.get_as(&accounts, 1, &format!("/api/projects/{project}/board"));
    assert_eq!(status, 404, "{body}");
    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_auto_an_account_becomes_a_user_of_no_project_and_needs_no_token() {
    let test = "with_auto_an_account_becomes_a_user_of_no_project_and_needs_no_token";
    let Some(accounts) = Accounts::make(test, &["dan"]) else { return };
    let dan = accounts.name(0);
    let host = HostServer::start(UnixUsers::Auto).await;
    let (status, me) = host.get_as(&accounts, 0, "/api/me");
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name"], dan);
    let (status, projects) = host.get_as(&accounts, 0, "/api/projects");
    assert_eq!((status, projects), (200, serde_json::json!([])));
    // Made once, whatever the number of connections, and holding no token.
    let (status, again) = host.get_as(&accounts, 0, "/api/me");
    assert_eq!((status, &again["id"]), (200, &me["id"]));
    let user = host.store().user_by_name(dan).await.unwrap();
    assert_eq!(host.store().revoke_tokens(user.id).await.unwrap(), 0, "no token was left behind");
    // Granted by login name, the project is there.
    let project = admin::project_add(host.store(), "dan's", &[format!("{dan}:member")]).await.unwrap();
    let (_, projects) = host.get_as(&accounts, 0, "/api/projects");
    assert_eq!(projects[0]["id"], project);
    // root still is nobody.
    let res = as_root(&host.socket).get("http://localhost/api/me").send().await.unwrap();
    assert_eq!(res.status(), 403);
}
