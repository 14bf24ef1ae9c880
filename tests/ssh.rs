//! The board over SSH, as people reach it: Debian's OpenSSH client in tmux with
//! keys the test makes, against a real server's `--ssh-listen` port, beside the
//! real `kanban-tui`.

use std::path::PathBuf;
use std::process::{Command, Output};

use kanban_server::ssh::certificates::{self, Principals};
use kanban_server::ssh::{SshListener, SshOptions, host_key};

use crate::tmux::Tmux;
use crate::util::TestServer;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// A server with its SSH port, and the keys and known hosts of the people who
/// reach it.
struct Site {
    server: TestServer,
    keys: tempfile::TempDir,
    port: u16,
    known_hosts: PathBuf,
}

/// Whether OpenSSH's client and ssh-keygen are here; where they are not, the test
/// is skipped, and says so (unless every test must run).
fn openssh() -> bool {
    let why = "the SSH tests reach the board with OpenSSH (`apt-get install openssh-client`)";
    crate::util::tool("ssh", why).is_some() && crate::util::tool("ssh-keygen", why).is_some()
}

impl Site {
    async fn start() -> Option<Site> {
        Self::start_with(SshOptions::default()).await
    }

    /// `None` where OpenSSH is not installed (see [`openssh`]).
    async fn start_with(options: SshOptions) -> Option<Site> {
        Self::start_limited(options, crate::util::test_limits()).await
    }

    async fn start_limited(options: SshOptions, limits: kanban_server::Limits) -> Option<Site> {
        if !openssh() {
            return None;
        }
        let server = TestServer::start_with(limits).await;
        let listener =
            SshListener::bind("127.0.0.1:0".parse().unwrap(), &host_key::path(server.dir.path()), options)
                .await
                .expect("bind SSH");
        let port = listener.local_addr().unwrap().port();
        server.server.spawn_ssh(listener);
        let keys = tempfile::tempdir().unwrap();
        let known_hosts = keys.path().join("known_hosts");
        Some(Site { server, keys, port, known_hosts })
    }

    /// A key pair made by ssh-keygen; the private key's path.
    fn keygen(&self, name: &str) -> String {
        keygen(self.keys.path(), name)
    }

    /// A key for the user `name`, added as the admin adds one; its path and
    /// fingerprint.
    async fn key_of(&self, name: &str) -> (String, String) {
        let key = self.keygen(name);
        let text = std::fs::read_to_string(format!("{key}.pub")).unwrap();
        let store = self.server.admin_store().await;
        let fingerprint =
            kanban_server::admin::user_key_add(&*store, name, &text).await.expect("add the key");
        (key, fingerprint)
    }

    /// The ssh options every connection here takes: this site's port and known
    /// hosts, the one key given and no agent.
    fn options(&self, key: &str) -> Vec<String> {
        ssh_options(self.port, &self.known_hosts, key)
    }

    /// The command line of a person at a terminal with `key`, opening `project`.
    /// The login name is anything: the key alone says who.
    fn line(&self, key: &str, project: &str) -> String {
        format!("ssh -t -o LogLevel=ERROR {} someone@127.0.0.1 {project}", self.options(key).join(" "))
    }

    /// ssh run with `key` and `args`, without a terminal, to its end.
    fn run(&self, key: &str, args: &[&str]) -> Output {
        Command::new("ssh")
            .args(self.options(key))
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("these tests need OpenSSH (`apt-get install openssh-client`)")
    }
}

/// A key pair made by ssh-keygen in `dir`; the private key's path.
fn keygen(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .output()
        .expect("these tests need OpenSSH (`apt-get install openssh-client`; .ci/run installs it)");
    assert!(out.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&out.stderr));
    path.to_str().unwrap().to_string()
}

/// The ssh options of a connection to `port` with `key` alone (no agent), the
/// host key kept in `known_hosts`.
fn ssh_options(port: u16, known_hosts: &std::path::Path, key: &str) -> Vec<String> {
    let port = port.to_string();
    let known = format!("UserKnownHostsFile={}", known_hosts.display());
    ["-o", "StrictHostKeyChecking=accept-new", "-o", &known, "-o", "IdentitiesOnly=yes"]
        .into_iter()
        .chain(["-o", "IdentityAgent=none", "-i", key, "-p", &port])
        .map(str::to_string)
        .collect()
}

/// Whether a screen shows the board "alpha", connected.
fn on_the_board(s: &str) -> bool {
    s.contains("alpha") && s.contains("online") && s.contains("Todo")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ssh_sessions_and_a_tui_share_one_board_live() {
    let Some(tmux) = Tmux::new("ssh-share") else { return };
    let Some(site) = Site::start().await else { return };
    let server = &site.server;
    server.user("ann").await;
    server.user("bob").await;
    let carl = server.user("carl").await;
    server.project("alpha", &["ann:owner", "bob:member", "carl:member"]).await;
    let ((ann, _), (bob, _)) = (site.key_of("ann").await, site.key_of("bob").await);

    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    tmux.start("ann", 100, 24, &site.line(&ann, "alpha"), &env);
    tmux.wait_for("ann", "ann's board over SSH", false, on_the_board);
    tmux.start("bob", 100, 24, &site.line(&bob, "alpha"), &env);
    let url = server.url("");
    tmux.start("carl", 100, 24, &format!("KANBAN_TOKEN={carl} {BIN} --server {url} --project alpha"), &env);
    for (who, others) in [("ann", ["bob", "carl"]), ("bob", ["ann", "carl"]), ("carl", ["ann", "bob"])] {
        tmux.wait_for(who, "everyone present", false, |s| {
            let bar = s.lines().nth(1).unwrap_or("");
            on_the_board(s) && bar.contains(&format!("{who} (you)")) && others.iter().all(|o| bar.contains(o))
        });
    }

    // ann (over SSH) makes a card: bob (SSH) and carl (kanban-tui) see it, and
    // where ann points.
    tmux.keys("ann", &["n"]);
    tmux.type_text("ann", "Made over ssh");
    tmux.keys("ann", &["Enter"]);
    for who in ["bob", "carl"] {
        tmux.wait_for(who, "ann's card with ann's marker", false, |s| {
            s.lines().any(|l| l.contains("Made over ssh") && l.contains(" A "))
        });
    }
    // And the other way round: carl's card reaches the SSH sessions.
    tmux.keys("carl", &["n"]);
    tmux.type_text("carl", "Made in kanban-tui");
    tmux.keys("carl", &["Enter"]);
    for who in ["ann", "bob"] {
        tmux.wait_for(who, "carl's card", false, |s| s.contains("Made in kanban-tui"));
    }

    // `y` puts the selected card's reference on the clipboard of the terminal the
    // person sits at: through ssh and tmux, and from kanban-tui through tmux.
    tmux.take_clipboard();
    tmux.keys("ann", &["y"]);
    tmux.wait_for("ann", "what was copied, said", false, |s| s.contains("Copied “#"));
    tmux.wait_for_clipboard("ann's card copied over ssh", |b| {
        b.starts_with('#') && b.ends_with(" Made over ssh")
    });
    tmux.keys("carl", &["y"]);
    tmux.wait_for_clipboard("carl's card copied", |b| {
        b.starts_with('#') && b.ends_with(" Made in kanban-tui")
    });

    // A smaller window redraws the board at the new size.
    tmux.resize("bob", 60, 16);
    tmux.wait_for("bob", "the board drawn 60 columns wide", false, |s| {
        // The columns' top border ends at the window's new right edge.
        s.contains("Made in kanban-tui")
            && s.lines().any(|l| l.starts_with('╭') && l.ends_with('╮') && l.chars().count() == 60)
    });

    // q ends the session; ssh exits 0, and the others see ann leave.
    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
    tmux.wait_for("carl", "ann gone", false, |s| !s.lines().nth(1).unwrap_or("").contains("ann"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_key_is_refused_with_how_to_get_access() {
    let Some(site) = Site::start().await else { return };
    site.server.user("ann").await;
    let stranger = site.keygen("stranger");
    let out = site.run(&stranger, &["-o", "BatchMode=no", "ann@127.0.0.1", "alpha"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{said}");
    assert!(said.contains("This board does not know your key (SHA256:"), "{said}");
    assert!(said.contains("kanban-server user key add"), "{said}");
    assert_eq!(said.matches("does not know your key").count(), 1, "said once: {said}");
    assert!(said.contains("Permission denied (publickey)"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_it_says_so_and_fails() {
    let Some(site) = Site::start().await else { return };
    site.server.user("ann").await;
    let (ann, _) = site.key_of("ann").await;
    let out = site.run(&ann, &["-T", "-o", "LogLevel=ERROR", "ann@127.0.0.1", "alpha"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert_eq!(said.trim(), "kanban: the board needs a terminal: ssh -t (with the project, if you give one)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_key_ends_its_session_and_says_why() {
    let Some(tmux) = Tmux::new("ssh-revoke") else { return };
    let Some(site) = Site::start().await else { return };
    site.server.user("ann").await;
    site.server.project("alpha", &["ann:owner"]).await;
    let (ann, fingerprint) = site.key_of("ann").await;
    tmux.start("ann", 100, 24, &site.line(&ann, "alpha"), &[]);
    tmux.wait_for("ann", "ann's board", false, on_the_board);

    let store = site.server.admin_store().await;
    kanban_server::admin::user_key_remove(&*store, "ann", &fingerprint).await.unwrap();
    let screen = tmux.wait_for("ann", "the session's end", false, |s| s.contains("[exited "));
    assert!(screen.contains("Your key is no longer accepted on this board"), "{screen}");
    assert_eq!(tmux.wait_exit("ann"), 1);
    // And the key opens nothing any more.
    let again = site.run(&ann, &["-o", "BatchMode=yes", "ann@127.0.0.1", "alpha"]);
    assert_eq!(again.status.code(), Some(255), "{}", String::from_utf8_lossy(&again.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_membership_closes_the_board_and_a_removed_user_the_session() {
    let Some(tmux) = Tmux::new("ssh-member") else { return };
    let Some(site) = Site::start().await else { return };
    site.server.user("ann").await;
    site.server.user("bob").await;
    let pid = site.server.project("alpha", &["ann:owner", "bob:member"]).await;
    let (bob, _) = site.key_of("bob").await;
    tmux.start("bob", 100, 24, &site.line(&bob, "alpha"), &[]);
    tmux.wait_for("bob", "bob's board", false, on_the_board);

    let store = site.server.admin_store().await;
    let bob_id = store.user_by_name("bob").await.unwrap().id;
    store.revoke(pid, bob_id).await.unwrap();
    tmux.wait_for("bob", "the refusal", false, |s| s.contains("No access to this project"));

    store.remove_user("bob").await.unwrap();
    let screen = tmux.wait_for("bob", "the session's end", false, |s| s.contains("[exited "));
    assert!(screen.contains("Your key is no longer accepted on this board"), "{screen}");
}

/// The colors are the session's own: its TERM (as ssh sends it) says how many,
/// as for kanban-tui in the same terminal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_session_draws_at_the_color_depth_of_its_terminal() {
    let Some(tmux) = Tmux::new("ssh-depth") else { return };
    let Some(site) = Site::start().await else { return };
    site.server.user("ann").await;
    site.server.project("alpha", &["ann:owner"]).await;
    let (ann, _) = site.key_of("ann").await;
    for (window, term) in [("c256", "xterm-256color"), ("c16", "linux"), ("truecolor", "xterm-direct")] {
        // tmux sets its own TERM in a window: the command line sets the one ssh
        // sends.
        let line = format!("env -u COLORTERM TERM={term} {}", site.line(&ann, "alpha"));
        tmux.start(window, 100, 24, &line, &[]);
        tmux.wait_for(window, "the board", false, on_the_board);
    }
    let c256 = tmux.wait_for("c256", "256 colors", true, |s| s.contains("38;5;"));
    assert!(!c256.contains("38;2;") && !c256.contains("48;2;"), "no 24-bit color at 256:\n{c256}");
    assert!(crate::conventions::indexed(&c256).iter().any(|i| *i >= 16), "past the sixteen:\n{c256}");
    let c16 = tmux.screen("c16", true);
    assert!(!c16.contains("38;2;") && !c16.contains("48;2;"), "{c16}");
    assert!(crate::conventions::indexed(&c16).iter().all(|i| *i < 16), "only the sixteen:\n{c16}");
    tmux.wait_for("truecolor", "24-bit color", true, |s| s.contains("38;2;") || s.contains("48;2;"));
}

/// Access is the server's to say, over SSH as over REST: a member made a viewer
/// while their new card's form is open saves nothing, is told why, and what they
/// typed is still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_after_becoming_a_viewer_is_refused_and_the_typing_kept() {
    let Some(tmux) = Tmux::new("ssh-viewer") else { return };
    let Some(site) = Site::start().await else { return };
    let ann = site.server.user("ann").await;
    site.server.user("vic").await;
    let pid = site.server.project("alpha", &["ann:owner", "vic:member"]).await;
    let (vic, _) = site.key_of("vic").await;
    tmux.start("vic", 100, 24, &site.line(&vic, "alpha"), &[]);
    tmux.wait_for("vic", "vic's board", false, on_the_board);
    tmux.keys("vic", &["n"]);
    tmux.type_text("vic", "Not mine to add");
    tmux.wait_for("vic", "the typing", false, |s| s.contains("Not mine to add"));

    let store = site.server.admin_store().await;
    let vic_id = store.user_by_name("vic").await.unwrap().id;
    store.grant(pid, vic_id, kanban_protocol::model::Role::Viewer).await.unwrap();
    tmux.wait_for("vic", "the role's change", false, |s| s.contains("read-only"));
    tmux.keys("vic", &["Enter"]);
    tmux.wait_for("vic", "the refusal, with the typing still there", false, |s| {
        s.contains("Not saved: viewers cannot change the board") && s.contains("Not mine to add")
    });
    let (status, board) = site.server.get(&format!("/api/projects/{pid}/board"), Some(&ann)).await;
    assert_eq!(status, 200);
    assert_eq!(board["tasks"].as_array().map(Vec::len), Some(0), "{board}");
}

/// The server offers the board and nothing else: a subsystem (sftp) and a port
/// forwarding are refused, whoever asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subsystems_and_forwardings_are_refused() {
    let Some(site) = Site::start().await else { return };
    site.server.user("ann").await;
    let (ann, _) = site.key_of("ann").await;
    let sftp = site.run(&ann, &["-o", "BatchMode=yes", "-s", "ann@127.0.0.1", "sftp"]);
    let said = String::from_utf8_lossy(&sftp.stderr);
    assert_eq!(sftp.status.code(), Some(255), "{said}");
    assert!(said.contains("subsystem request failed"), "{said}");
    let forward = site.run(
        &ann,
        &[
            "-o",
            "BatchMode=yes",
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-R",
            "127.0.0.1:0:127.0.0.1:9",
            "ann@127.0.0.1",
        ],
    );
    let said = String::from_utf8_lossy(&forward.stderr);
    assert_eq!(forward.status.code(), Some(255), "{said}");
    assert!(said.contains("forwarding failed"), "{said}");
}

/// A client may say any window size, up to 65535×65535 cells: the server draws at
/// most 500×300 (a larger terminal shows the board clipped), so that neither the
/// pty request nor a window change can make it allocate more than a big screen,
/// and the board goes on for everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_window_is_drawn_clipped_and_the_server_goes_on() {
    let Some(tmux) = Tmux::new("ssh-huge") else { return };
    let Some(site) = Site::start().await else { return };
    site.server.user("ann").await;
    site.server.user("bob").await;
    site.server.project("alpha", &["ann:owner", "bob:member"]).await;
    let ((ann, _), (bob, _)) = (site.key_of("ann").await, site.key_of("bob").await);
    tmux.start("bob", 100, 24, &site.line(&bob, "alpha"), &[]);
    tmux.wait_for("bob", "bob's board", false, on_the_board);

    // ann's terminal says 65535×65535 from the start (ssh sends what stty set).
    let huge = format!("stty cols 65535 rows 65535; {}", site.line(&ann, "alpha"));
    tmux.start("ann", 100, 24, &huge, &[]);
    tmux.wait_for("bob", "ann present", false, |s| s.lines().nth(1).unwrap_or("").contains("ann"));
    // Back to the window's own size: the board is drawn whole at it.
    let tty = tmux.pane_tty("ann");
    let stty = |size: &[&str]| {
        let out = Command::new("stty").args(["-F", &tty]).args(size).output().expect("stty");
        assert!(out.status.success(), "stty: {}", String::from_utf8_lossy(&out.stderr));
    };
    stty(&["cols", "100", "rows", "24"]);
    tmux.wait_for("ann", "ann's board at 100×24", false, on_the_board);

    // And as a window change, while the board runs.
    stty(&["cols", "65535", "rows", "65535"]);
    tmux.keys("bob", &["n"]);
    tmux.type_text("bob", "Still here");
    tmux.keys("bob", &["Enter"]);
    tmux.wait_for("bob", "bob's card", false, |s| s.contains("Still here"));
    stty(&["cols", "100", "rows", "24"]);
    tmux.wait_for("ann", "bob's card on ann's board, drawn at 100×24", false, |s| {
        on_the_board(s) && s.contains("Still here")
    });
    let (status, _) = site.server.get("/healthz", None).await;
    assert_eq!(status, 200);
}

/// A flood of keys (4 MiB of `A`, which opens and closes the history: a read of
/// it each time, sent as fast as ssh sends a file) costs the server one read at a
/// time, not one per key: keys it cannot keep up with are dropped, its memory
/// stays that of a server at rest, and it serves on. Run as its own process, so
/// that its memory is its own.
#[test]
fn a_flood_of_keys_costs_one_read_at_a_time() {
    if !openssh() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_dir = data.as_path();
    crate::util::admin(data_dir, &["user", "add", "ann"]);
    crate::util::admin(data_dir, &["project", "add", "alpha", "--member", "ann:owner"]);
    let key = keygen(dir.path(), "ann");
    let public = std::fs::read_to_string(format!("{key}.pub")).unwrap();
    crate::util::admin(data_dir, &["user", "key", "add", "ann", "--key", public.trim()]);
    let server =
        crate::util::ServerProcess::start(data_dir, "127.0.0.1:0", &["--ssh-listen", "127.0.0.1:0"], &[]);
    let port = wait_for_ssh_port(&server);

    let flood_file = dir.path().join("flood");
    std::fs::write(&flood_file, "A".repeat(4 << 20)).unwrap();
    let known_hosts = dir.path().join("known_hosts");
    let out = Command::new("ssh")
        .arg("-tt")
        .args(ssh_options(port, &known_hosts, &key))
        .args(["-o", "LogLevel=ERROR", "ann@127.0.0.1", "alpha"])
        .stdin(std::fs::File::open(&flood_file).unwrap())
        .output()
        .expect("run ssh");
    // The whole flood went in, and the session ended with the input, as a quit.
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let peak_kib = memory_peak_kib(server.pid());
    assert!(peak_kib < 200 * 1024, "the server's memory at its peak: {peak_kib} KiB; log:\n{}", server.log());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let health = runtime.block_on(reqwest::get(format!("{}/healthz", server.url))).unwrap();
    assert_eq!(health.status(), 200, "the server serves on");
}

/// The port of a server process's SSH listener, from its log.
fn wait_for_ssh_port(server: &crate::util::ServerProcess) -> u16 {
    let deadline = std::time::Instant::now() + crate::util::WAIT;
    loop {
        let log = server.log();
        let port = log
            .lines()
            .find(|l| l.contains("over SSH"))
            .and_then(|l| l.split("addr=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.rsplit(':').next()?.parse().ok());
        if let Some(port) = port {
            return port;
        }
        assert!(std::time::Instant::now() < deadline, "no SSH listener in the log:\n{log}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The most memory process `pid` has held (VmHWM), in KiB.
fn memory_peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of KiB")
}

/// Connections that never sign in hold nothing for long: those signing in are
/// capped per source address (and in all), each is closed at the grace time, and
/// none takes a session's slot, so that people with keys get on whatever the
/// silent ones do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_neither_hold_the_door_nor_stay() {
    use tokio::io::AsyncReadExt;
    let Some(tmux) = Tmux::new("ssh-silent") else { return };
    let options = SshOptions {
        max_sessions: 20,
        login_grace: std::time::Duration::from_secs(2),
        per_source_max_startups: 8,
        ..SshOptions::default()
    };
    let Some(site) = Site::start_with(options).await else { return };
    site.server.user("ann").await;
    site.server.project("alpha", &["ann:owner"]).await;
    let (ann, _) = site.key_of("ann").await;

    // As many silent connections as there are sessions, from one address.
    let mut silent = Vec::new();
    for _ in 0..20 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        silent.push(socket.connect(format!("127.0.0.1:{}", site.port).parse().unwrap()).await.unwrap());
    }
    // ann, from another address, gets on the board.
    tmux.start("ann", 100, 24, &site.line(&ann, "alpha"), &[]);
    tmux.wait_for("ann", "ann's board", false, on_the_board);

    // Past the eighth, each silent one was closed at once, unanswered; the eight
    // let in heard the server's greeting and are closed at the grace time.
    let mut greeted = 0;
    for mut conn in silent {
        let mut heard = Vec::new();
        tokio::time::timeout(crate::util::WAIT, conn.read_to_end(&mut heard))
            .await
            .expect("the server closes every silent connection")
            .ok();
        if heard.starts_with(b"SSH-2.0-kanban") {
            greeted += 1;
        } else {
            assert!(heard.is_empty(), "{}", String::from_utf8_lossy(&heard));
        }
    }
    assert_eq!(greeted, 8, "eight let in from one address");
    // ann's session, signed in, stays past the grace time.
    tmux.keys("ann", &["n"]);
    tmux.type_text("ann", "Still on");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "ann's card", false, |s| on_the_board(s) && s.contains("Still on"));
}

/// Switching boards over SSH leaves the old board: those still there see the
/// person go at once, and switching back is one presence again, not a ghost on
/// each board; after quitting, the person is on neither, for kanban-tui and for
/// the Pusher HTTP API's `users`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_boards_over_ssh_leaves_the_old_one() {
    let Some(tmux) = Tmux::new("ssh-switch") else { return };
    let Some(site) = Site::start().await else { return };
    site.server.user("ann").await;
    let bob = site.server.user("bob").await;
    let carl = site.server.user("carl").await;
    let alpha = site.server.project("alpha", &["ann:owner", "bob:member"]).await;
    let beta = site.server.project("beta", &["ann:owner", "carl:member"]).await;
    let (ann, _) = site.key_of("ann").await;
    // Who the Pusher HTTP API says is on a board.
    let users = async |pid: i64| {
        let path = format!("/apps/4242/channels/presence-project-{pid}/users");
        let (_, body) = site.server.api("GET", &path, &[], None).await;
        let ids = body["users"].as_array().map(|u| u.iter().map(|u| u["id"].to_string()).collect());
        ids.unwrap_or_else(Vec::<String>::new).len()
    };
    let url = site.server.url("");
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    tmux.start("bob", 100, 24, &format!("KANBAN_TOKEN={bob} {BIN} --server {url} --project alpha"), &env);
    tmux.start("carl", 100, 24, &format!("KANBAN_TOKEN={carl} {BIN} --server {url} --project beta"), &env);
    tmux.start("ann", 100, 24, &site.line(&ann, "alpha"), &[]);
    let bar = |s: &str| s.lines().nth(1).unwrap_or("").to_string();
    tmux.wait_for("bob", "ann on alpha", false, |s| bar(s).contains("ann"));

    // ann goes to beta: bob sees her go, carl sees her come.
    tmux.wait_for("ann", "ann's board", false, on_the_board);
    tmux.keys("ann", &["P"]);
    tmux.wait_for("ann", "the picker", false, |s| s.contains("beta"));
    tmux.keys("ann", &["j", "Enter"]);
    tmux.wait_for("carl", "ann on beta", false, |s| bar(s).contains("ann"));
    tmux.wait_for("bob", "ann gone from alpha", false, |s| s.contains("online") && !bar(s).contains("ann"));

    // And back: on alpha once more, gone from beta.
    tmux.keys("ann", &["P"]);
    tmux.wait_for("ann", "the picker again", false, |s| s.contains("alpha") && s.contains("beta"));
    tmux.keys("ann", &["k", "Enter"]);
    tmux.wait_for("bob", "ann back on alpha", false, |s| bar(s).contains("ann"));
    tmux.wait_for("carl", "ann gone from beta", false, |s| s.contains("online") && !bar(s).contains("ann"));
    assert_eq!((users(alpha).await, users(beta).await), (2, 1), "ann and bob on alpha, carl alone on beta");
    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
    tmux.wait_for("bob", "ann gone for good", false, |s| s.contains("online") && !bar(s).contains("ann"));
    // Gone from both boards for the HTTP API too: one person on each.
    assert_eq!((users(alpha).await, users(beta).await), (1, 1));
}

/// Keys typed in one burst over SSH, faster than their answers come: `ppp` is
/// three steps of priority, `JJ` two places down, each one change; `uuuuu` walks
/// them all back, one by one, blaming nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_typed_in_a_burst_are_each_a_step_and_undone_one_by_one() {
    let Some(tmux) = Tmux::new("ssh-burst") else { return };
    let Some(site) = Site::start().await else { return };
    let token = site.server.user("ann").await;
    let pid = site.server.project("alpha", &["ann:owner"]).await;
    for title in ["First card", "Second card", "Third card"] {
        let (status, _) = site
            .server
            .rest(
                "POST",
                &format!("/api/projects/{pid}/tasks"),
                &token,
                Some(serde_json::json!({"title": title})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (ann, _) = site.key_of("ann").await;
    tmux.start("ann", 100, 30, &site.line(&ann, "alpha"), &[]);
    tmux.wait_for("ann", "ann's board", false, |s| on_the_board(s) && s.contains("Third card"));
    let first = |board: &serde_json::Value| {
        let todo = board["statuses"][0]["id"].clone();
        let mut cards: Vec<serde_json::Value> =
            board["tasks"].as_array().unwrap().iter().filter(|t| t["status_id"] == todo).cloned().collect();
        cards.sort_by_key(|t| t["position"].as_str().unwrap().to_string());
        cards
            .iter()
            .map(|t| (t["title"].as_str().unwrap().to_string(), t["priority"].as_str().unwrap().to_string()))
            .collect::<Vec<_>>()
    };
    let until = |what: &'static str, done: fn(&[(String, String)]) -> bool| {
        let server = &site.server;
        let token = token.clone();
        async move {
            let deadline = tokio::time::Instant::now() + crate::util::WAIT;
            loop {
                let (_, board) = server.get(&format!("/api/projects/{pid}/board"), Some(&token)).await;
                let cards = first(&board);
                if done(&cards) {
                    return;
                }
                assert!(tokio::time::Instant::now() < deadline, "never {what}: {cards:?}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };

    tmux.type_text("ann", "ppp");
    until("three steps up", |c| c[0] == ("First card".into(), "high".into())).await;
    tmux.type_text("ann", "JJ");
    until("two places down", |c| c[2] == ("First card".into(), "high".into())).await;
    let (_, history) = site.server.get(&format!("/api/projects/{pid}/activity"), Some(&token)).await;
    let lines: Vec<&str> = history.as_array().unwrap().iter().filter_map(|l| l["what"].as_str()).collect();
    for step in ["none → low", "low → medium", "medium → high"] {
        let line = format!("ann changed “First card”: priority {step}");
        assert_eq!(lines.iter().filter(|l| **l == line).count(), 1, "{line}: {lines:?}");
    }
    assert_eq!(lines.iter().filter(|l| l.contains("reordered “First card” in Todo")).count(), 2, "{lines:?}");

    tmux.type_text("ann", "uuuuu");
    until("all undone", |c| c[0] == ("First card".into(), "none".into())).await;
    let screen = tmux.screen("ann", false);
    assert!(!screen.contains("Cannot undo"), "{screen}");
    let (_, history) = site.server.get(&format!("/api/projects/{pid}/activity"), Some(&token)).await;
    assert_eq!(history.as_array().unwrap().len(), 3 + 5 + 5, "three cards, five changes, five undone");
}

/// The help over SSH lists what works there: no Ctrl-Z (the session is the whole
/// connection, with no shell to go back to), and Ctrl-Z does nothing.
/// Over SSH a board is made from the picker and a member added from the members
/// screen, by the same rules as over HTTP; `E` says there is no editor here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boards_and_members_are_changed_over_ssh_too() {
    let Some(tmux) = Tmux::new("ssh-boards") else { return };
    let Some(site) = Site::start().await else { return };
    let token = site.server.user("ann").await;
    site.server.user("bob").await;
    let pid = site.server.project("alpha", &["ann:owner"]).await;
    let card = serde_json::json!({"title": "Plan"});
    let (status, _) =
        site.server.rest("POST", &format!("/api/projects/{pid}/tasks"), &token, Some(card)).await;
    assert_eq!(status, 201);
    let (ann, _) = site.key_of("ann").await;
    tmux.start("ann", 100, 30, &site.line(&ann, "alpha"), &[]);
    tmux.wait_for("ann", "ann's board", false, |s| on_the_board(s) && s.contains("Plan"));
    tmux.keys("ann", &["E"]);
    tmux.wait_for("ann", "no editor here", false, |s| s.contains("No editor here"));
    tmux.keys("ann", &["P"]);
    tmux.wait_for("ann", "the picker", false, |s| s.contains("n new board"));
    tmux.keys("ann", &["n"]);
    tmux.type_text("ann", "Gamma");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "Gamma open", false, |s| s.lines().next().is_some_and(|l| l.contains("Gamma")));
    tmux.keys("ann", &["M", "a"]);
    tmux.type_text("ann", "bob viewer");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "bob on the list", false, |s| {
        s.lines().any(|l| l.contains("bob") && l.contains("viewer"))
    });
    let (_, projects) = site.server.get("/api/projects", Some(&token)).await;
    let gamma = projects.as_array().unwrap().iter().find(|p| p["name"] == "Gamma").unwrap().clone();
    assert_eq!(gamma["role"], "owner", "{projects}");
    let path = format!("/api/projects/{}/members", gamma["id"]);
    let (_, members) = site.server.get(&path, Some(&token)).await;
    assert_eq!(members[1]["name"], "bob", "{members}");
    assert_eq!(members[1]["role"], "viewer", "{members}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_over_ssh_offers_no_suspend() {
    let Some(tmux) = Tmux::new("ssh-help") else { return };
    let Some(site) = Site::start().await else { return };
    site.server.user("ann").await;
    site.server.project("alpha", &["ann:owner"]).await;
    let (ann, _) = site.key_of("ann").await;
    tmux.start("ann", 100, 50, &site.line(&ann, "alpha"), &[]);
    tmux.wait_for("ann", "ann's board", false, on_the_board);
    tmux.keys("ann", &["C-z", "?"]);
    let screen = tmux.wait_for("ann", "the help", false, |s| s.contains("switch project"));
    assert!(!screen.contains("Ctrl-Z") && !screen.contains("suspend"), "{screen}");
    assert!(screen.contains("Ctrl-C"), "{screen}");
}

/// A key held down over SSH meets the person's budget of changes (here 1 a
/// second, 5 at once): the session says so, and the changes past the burst wait
/// their turn and are made, each one step, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_held_down_over_ssh_waits_for_the_budget_and_loses_no_step() {
    let Some(tmux) = Tmux::new("ssh-budget") else { return };
    let limits = kanban_server::Limits { max_writes_per_user: 1, ..crate::util::test_limits() };
    let Some(site) = Site::start_limited(SshOptions::default(), limits).await else { return };
    let token = site.server.user("ann").await;
    let pid = site.server.project("alpha", &["ann:owner"]).await;
    let (status, made) = site
        .server
        .rest(
            "POST",
            &format!("/api/projects/{pid}/tasks"),
            &token,
            Some(serde_json::json!({"title": "Held"})),
        )
        .await;
    assert_eq!(status, 201);
    let tid = made["task"]["id"].as_i64().unwrap();
    let (ann, _) = site.key_of("ann").await;
    tmux.start("ann", 100, 30, &site.line(&ann, "alpha"), &[]);
    tmux.wait_for("ann", "ann's board", false, |s| on_the_board(s) && s.contains("Held"));
    // Seven presses in one burst: five go at once, two wait.
    tmux.type_text("ann", "ppppppp");
    tmux.wait_for("ann", "the wait said", false, |s| s.contains("Too many changes at once"));
    let deadline = tokio::time::Instant::now() + crate::util::WAIT;
    loop {
        let (_, board) = site.server.get(&format!("/api/projects/{pid}/board"), Some(&token)).await;
        let card = board["tasks"].as_array().unwrap().iter().find(|t| t["id"] == tid).unwrap().clone();
        // Seven steps around the five priorities: two past none, each a version.
        if card["version"] == 8 {
            assert_eq!(card["priority"], "medium", "{card}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never all made: {card}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The first words a WebSocket hears from the server.
async fn first_words(url: &str) -> kanban_protocol::pusher::ServerMessage {
    use futures_util::StreamExt;
    let (mut stream, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    loop {
        let message = tokio::time::timeout(crate::util::WAIT, stream.next()).await.expect("words in time");
        if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = message {
            return kanban_protocol::pusher::ServerMessage::decode(&text).expect("a frame");
        }
    }
}

/// An SSH session is one of the server's connections: with `--max-connections
/// 1` taken by a session, a WebSocket is refused as over capacity (4100), and
/// is let in once the session has ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_session_takes_one_of_the_servers_connections() {
    use kanban_protocol::pusher::ServerMessage;
    let Some(tmux) = Tmux::new("ssh-place") else { return };
    let limits = kanban_server::Limits { max_connections: 1, ..crate::util::test_limits() };
    let Some(site) = Site::start_limited(SshOptions::default(), limits).await else { return };
    site.server.user("ann").await;
    site.server.project("alpha", &["ann:owner"]).await;
    let (ann, _) = site.key_of("ann").await;
    tmux.start("ann", 100, 24, &site.line(&ann, "alpha"), &[]);
    tmux.wait_for("ann", "ann's board", false, on_the_board);
    let url = site.server.ws_url();
    let refused = first_words(&url).await;
    assert!(matches!(refused, ServerMessage::Error { code: Some(4100), .. }), "{refused:?}");

    tmux.keys("ann", &["q"]);
    assert_eq!(tmux.wait_exit("ann"), 0);
    // The session's place is given back as its connection closes.
    let deadline = std::time::Instant::now() + crate::util::WAIT;
    loop {
        match first_words(&url).await {
            ServerMessage::ConnectionEstablished { .. } => break,
            other => assert!(std::time::Instant::now() < deadline, "still refused: {other:?}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Over SSH too, a mention reaches the person at once: bob's unread count rises
/// when ann mentions him on a card of another board, and his inbox takes him there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_reaches_an_ssh_session_and_its_inbox_goes_to_the_card() {
    let Some(tmux) = Tmux::new("ssh-mention") else { return };
    let Some(site) = Site::start().await else { return };
    let server = &site.server;
    let ann = server.user("ann").await;
    server.user("bob").await;
    server.project("alpha", &["ann:owner", "bob:member"]).await;
    let beta = server.project("beta", &["ann:owner", "bob:member"]).await;
    let (bob, _) = site.key_of("bob").await;
    let (status, made) = server
        .rest(
            "POST",
            &format!("/api/projects/{beta}/tasks"),
            &ann,
            Some(serde_json::json!({"title": "Ask bob"})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let task = made["task"]["id"].as_i64().unwrap();

    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    tmux.start("bob", 100, 24, &site.line(&bob, "alpha"), &[("KANBAN_CONFIG_DIR", dir)]);
    tmux.wait_for("bob", "bob's board over SSH", false, |s| on_the_board(s) && s.contains("✉ 0"));
    let body = serde_json::json!({"body": "@bob over to you"});
    let (status, said) = server.rest("POST", &format!("/api/tasks/{task}/comments"), &ann, Some(body)).await;
    assert_eq!(status, 201, "{said}");
    tmux.wait_for("bob", "one unread", false, |s| s.lines().next().is_some_and(|l| l.contains("✉ 1")));
    tmux.keys("bob", &["i"]);
    tmux.wait_for("bob", "the inbox", false, |s| s.contains("ann mentioned you in a comment on “Ask bob”"));
    tmux.keys("bob", &["Enter"]);
    tmux.wait_for("bob", "beta, the card selected, read", false, |s| {
        let title = s.lines().next().unwrap_or("");
        title.contains("beta")
            && title.contains("✉ 0")
            && s.lines().any(|l| l.contains('▶') && l.contains("Ask bob"))
    });
}

/// Certifies `key` (a private key's path; its `.pub` beside it) with the CA key
/// `ca` as ssh-keygen does, for `principals`, valid `validity`, with `serial` and
/// `options` (`-O ...`); answers the certificate's path, `KEY-cert.pub`, which
/// OpenSSH's client offers beside the key.
fn certify(ca: &str, key: &str, principals: &str, validity: &str, serial: u64, options: &[&str]) -> String {
    let mut args = vec!["-q", "-s", ca, "-I", "test", "-n", principals, "-V", validity];
    let serial = serial.to_string();
    args.extend(["-z", &serial]);
    for option in options {
        args.extend(["-O", option]);
    }
    let public = format!("{key}.pub");
    args.push(&public);
    let out = Command::new("ssh-keygen").args(&args).output().expect("ssh-keygen");
    assert!(out.status.success(), "ssh-keygen -s: {}", String::from_utf8_lossy(&out.stderr));
    format!("{key}-cert.pub")
}

/// A site whose SSH port trusts the user certificates of a CA made here
/// (`--ssh-trusted-user-ca`), under `principals`, with a revoked list; the CA's
/// key and the revoked list's path.
async fn certificate_site(principals: Principals) -> Option<(Site, String, PathBuf, tempfile::TempDir)> {
    if !openssh() {
        return None;
    }
    let pki = tempfile::tempdir().unwrap();
    let ca = keygen(pki.path(), "ca");
    let trusted = pki.path().join("trusted");
    std::fs::write(&trusted, std::fs::read_to_string(format!("{ca}.pub")).unwrap()).unwrap();
    let revoked = pki.path().join("revoked");
    std::fs::write(&revoked, "# none yet\n").unwrap();
    let trust = certificates::load(&trusted, principals, Some(revoked.clone())).expect("the CA file");
    let options = SshOptions { certificates: Some(std::sync::Arc::new(trust)), ..SshOptions::default() };
    let site = Site::start_with(options).await?;
    Some((site, ca, revoked, pki))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_of_a_trusted_ca_opens_its_principals_board_and_the_others_are_refused_with_why() {
    let Some(tmux) = Tmux::new("ssh-cert") else { return };
    let Some((site, ca, revoked, pki)) = certificate_site(Principals::Existing).await else { return };
    site.server.user("ann").await;
    site.server.project("alpha", &["ann:owner"]).await;
    // A key nobody added, certified for ann: her board.
    let key = site.keygen("ann");
    certify(&ca, &key, "nobody,ann", "-5m:+1h", 1, &[]);
    tmux.start("ann", 100, 24, &site.line(&key, "alpha"), &[]);
    tmux.wait_for("ann", "ann's board, by certificate", false, on_the_board);

    // Each refusal in one line, as its holder reads it.
    let refused = |name: &str, sign: &dyn Fn(&str) -> String| {
        let key = site.keygen(name);
        sign(&key);
        let out = site.run(&key, &["-o", "BatchMode=no", "ann@127.0.0.1", "alpha"]);
        assert_eq!(out.status.code(), Some(255), "{name} opened nothing");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let other_ca = keygen(pki.path(), "other-ca");
    let said = refused("other", &|key| certify(&other_ca, key, "ann", "-5m:+1h", 2, &[]));
    assert!(
        said.contains("This certificate (serial 2) is signed by a CA this board does not trust (SHA256:"),
        "{said}"
    );
    let said = refused("zed", &|key| certify(&ca, key, "zed,yann", "-5m:+1h", 3, &[]));
    assert!(
        said.contains("No user of this board is named by this certificate's principals (zed, yann)"),
        "{said}"
    );
    let said = refused("forced", &|key| certify(&ca, key, "ann", "-5m:+1h", 4, &["force-command=ls"]));
    assert!(
        said.contains("(serial 4) has a critical option this board does not know (force-command)"),
        "{said}"
    );
    let said =
        refused("elsewhere", &|key| certify(&ca, key, "ann", "-5m:+1h", 5, &["source-address=10.9.9.0/24"]));
    assert!(said.contains("(serial 5) is for 10.9.9.0/24, not for 127.0.0.1"), "{said}");
    // Expired and not yet valid: refused by the SSH layer before the board sees
    // them, so their holders read what a key alone gets.
    for (name, validity) in [("expired", "-2h:-1h"), ("early", "+1h:+2h")] {
        let said = refused(name, &|key| certify(&ca, key, "ann", validity, 6, &[]));
        assert!(said.contains("This board does not know your key"), "{name}: {said}");
    }
    // A certificate for an address it is given for signs in (-T: no terminal, so
    // the board says so and ends: it got past the door).
    let here = site.keygen("here");
    certify(&ca, &here, "ann", "-5m:+1h", 7, &["source-address=127.0.0.0/8"]);
    let out = site.run(&here, &["-T", "-o", "LogLevel=ERROR", "ann@127.0.0.1", "alpha"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    // Revoked by serial: refused from the next sign-in on, without a restart.
    std::fs::write(&revoked, "1\n").unwrap();
    let out = site.run(&key, &["-o", "BatchMode=no", "ann@127.0.0.1", "alpha"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("This certificate (serial 1) is revoked."), "{said}");
    // And by the key's fingerprint.
    let print = Command::new("ssh-keygen").args(["-lf", &format!("{here}.pub")]).output().unwrap();
    let fingerprint = String::from_utf8_lossy(&print.stdout).split_whitespace().nth(1).unwrap().to_string();
    std::fs::write(&revoked, format!("# lost laptop\n{fingerprint}\n")).unwrap();
    let out = site.run(&here, &["-o", "BatchMode=no", "ann@127.0.0.1", "alpha"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("(serial 7) is revoked."));
    // bob signs in by a key of his and by a certificate: `user list` says both,
    // and `user revoke` ends both sessions at once.
    site.server.user("bob").await;
    let store = site.server.admin_store().await;
    kanban_server::admin::project_grant(&*store, "alpha", "bob", kanban_protocol::model::Role::Member)
        .await
        .unwrap();
    let (bob_key, _) = site.key_of("bob").await;
    tmux.start("bob-key", 100, 24, &site.line(&bob_key, "alpha"), &[]);
    tmux.wait_for("bob-key", "bob's board, by key", false, on_the_board);
    let bob = site.keygen("bob-cert");
    certify(&ca, &bob, "bob", "-5m:+1h", 8, &[]);
    tmux.start("bob", 100, 24, &site.line(&bob, "alpha"), &[]);
    tmux.wait_for("bob", "bob's board, by certificate", false, on_the_board);
    let users = kanban_server::admin::user_list(&*store).await.unwrap();
    let line = users.lines().find(|l| l.split('\t').nth(1) == Some("bob")).unwrap();
    assert!(line.contains("1 token; 1 SSH key; certificate test, serial 8 (last 20"), "{line}");
    let said = kanban_server::admin::user_revoke(&*store, "bob").await.unwrap();
    assert!(said.contains("1 token(s) revoked") && said.contains("1 SSH key(s) removed"), "{said}");
    for window in ["bob-key", "bob"] {
        let screen = tmux.wait_for(window, "the session's end", false, |s| s.contains("[exited "));
        assert!(screen.contains("no longer accepted on this board"), "{window}: {screen}");
    }
    let users = kanban_server::admin::user_list(&*store).await.unwrap();
    let line = users.lines().find(|l| l.split('\t').nth(1) == Some("bob")).unwrap();
    assert!(!line.contains("token") && !line.contains("SSH key"), "nothing of bob's kept: {line}");
    // The CA still vouches for him: his certificate opens the board again, and
    // that session lasts while his user does.
    tmux.start("bob-again", 100, 24, &site.line(&bob, "alpha"), &[]);
    tmux.wait_for("bob-again", "bob's board, by certificate again", false, on_the_board);
    store.remove_user("bob").await.unwrap();
    let screen = tmux.wait_for("bob-again", "the session's end", false, |s| s.contains("[exited "));
    assert!(screen.contains("no longer accepted on this board"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_auto_a_certificates_new_principal_becomes_a_user_of_no_board() {
    let Some((site, ca, _revoked, _pki)) = certificate_site(Principals::Auto).await else { return };
    let key = site.keygen("newbie");
    certify(&ca, &key, "newbie", "-5m:+1h", 1, &[]);
    let out = site.run(&key, &["-T", "-o", "LogLevel=ERROR", "newbie@127.0.0.1"]);
    assert_eq!(out.status.code(), Some(2), "signed in: {}", String::from_utf8_lossy(&out.stderr));
    let store = site.server.admin_store().await;
    let user = store.user_by_name("newbie").await.expect("made a user");
    assert!(store.projects_of(user.id).await.unwrap().is_empty(), "of no board");
    assert_eq!(store.revoke_tokens(user.id).await.unwrap(), 0, "and holding no token nobody was shown");
}
