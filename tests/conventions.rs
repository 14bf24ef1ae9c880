//! The terminal conventions people expect of a terminal program, tried on the
//! real `kanban-tui` in tmux: colors at the depth the terminal shows, job control,
//! no terminal at all, addresses as people type them, a log that never reaches the
//! screen, and an outage that is counted down and cut short.

use crate::tmux::Tmux;
use crate::util::TestServer;

const BIN: &str = env!("CARGO_BIN_EXE_kanban-tui");

/// The people on a board as a headless client each, running in the background
/// (present, pointing where their selection is) until the returned tasks end.
async fn present(server: &TestServer, tokens: &[&str]) -> Vec<tokio::task::JoinHandle<()>> {
    let mut running = Vec::new();
    for token in tokens {
        let mut client = kanban_tui::client::Client::start(
            kanban_tui::net::api::Api::new(&server.url(""), token),
            kanban_tui::app::App::new(60, None),
        );
        running.push(tokio::spawn(
            async move { while client.step().await != kanban_tui::client::Step::Quit {} },
        ));
    }
    running
}

/// The background of the marker whose text is `label`: the last SGR sequence
/// before it on `line`.
fn marker_bg(line: &str, label: &str) -> Option<String> {
    let at = line.find(label)?;
    let sgr = line[..at].rfind("\x1b[")?;
    let params = &line[sgr + 2..at];
    let params = params.split('m').next()?;
    let fields: Vec<&str> = params.split(';').collect();
    let i = fields
        .iter()
        .position(|f| *f == "48")
        .map(|i| fields[i..].iter().take(3).copied().collect::<Vec<_>>().join(";"));
    i.or_else(|| fields.iter().find(|f| f.starts_with('4') || f.starts_with("10")).map(|f| f.to_string()))
}

/// Every indexed color (`38;5;N`, `48;5;N`) on a screen.
pub(crate) fn indexed(screen: &str) -> Vec<u8> {
    let mut found = Vec::new();
    for prefix in ["38;5;", "48;5;"] {
        for (at, _) in screen.match_indices(prefix) {
            let digits: String =
                screen[at + prefix.len()..].chars().take_while(char::is_ascii_digit).collect();
            found.extend(digits.parse::<u8>().ok());
        }
    }
    found
}

/// Colors come at the depth the terminal shows (256 colors under tmux's
/// `screen-256color` without `COLORTERM`, 16 on a console, none with `NO_COLOR`),
/// and people whose colors or initials clash are still told apart: bob's lime and
/// cy's green, and bob and bea's `B`.
#[tokio::test(flavor = "multi_thread")]
async fn people_stay_apart_at_every_color_depth() {
    let server = TestServer::start().await;
    let store = server.server.store().clone();
    let mut tokens = Vec::new();
    for (name, color) in [("ann", "#e06c75"), ("bob", "#b5e853"), ("cy", "#98c379"), ("bea", "#b4e955")] {
        tokens.push(kanban_server::admin::user_add(store.as_ref(), name, Some(color)).await.unwrap());
    }
    server.project("alpha", &["ann:owner", "bob:member", "cy:member", "bea:member"]).await;
    let _others = present(&server, &[&tokens[1], &tokens[2], &tokens[3]]).await;
    let url = server.url("");
    let Some(tmux) = Tmux::new("depth") else { return };
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    let run = |term: &str, extra: &str| {
        format!(
            "env -u COLORTERM -u NO_COLOR TERM={term} {extra} KANBAN_TOKEN={} {BIN} --server {url}",
            tokens[0]
        )
    };
    // The others point at the first column's header: their markers sit on it.
    let header = |s: &str| s.lines().nth(2).unwrap_or("").to_string();
    let all_there = |s: &str| ["Bo", "Be", "C"].iter().all(|l| header(s).contains(l));

    tmux.start("c256", 100, 24, &run("screen-256color", ""), &env);
    let screen = tmux.wait_for("c256", "three markers, 256 colors", true, |s| {
        all_there(s) && s.lines().nth(1).is_some_and(|l| l.contains("bea"))
    });
    assert!(!screen.contains("38;2;") && !screen.contains("48;2;"), "no 24-bit color:\n{screen}");
    let line = header(&screen);
    let bgs: Vec<String> =
        ["Bo", "C", "Be"].iter().map(|l| marker_bg(&line, l).unwrap_or_default()).collect();
    assert!(bgs.iter().all(|b| b.starts_with("48;5;")), "{bgs:?} in {line:?}");
    assert!(bgs[0] != bgs[1] && bgs[1] != bgs[2] && bgs[0] != bgs[2], "three colors: {bgs:?}");

    tmux.start("c16", 100, 24, &run("linux", ""), &env);
    let screen = tmux.wait_for("c16", "three markers, 16 colors", true, all_there);
    // crossterm writes the sixteen as indexes 0 to 15, which every such console has.
    assert!(!screen.contains("38;2;") && !screen.contains("48;2;"), "no 24-bit color:\n{screen}");
    assert!(indexed(&screen).iter().all(|i| *i < 16), "only the sixteen: {:?}", indexed(&screen));
    let line = header(&screen);
    let bgs: Vec<String> =
        ["Bo", "C", "Be"].iter().map(|l| marker_bg(&line, l).unwrap_or_default()).collect();
    assert!(bgs.iter().all(|b| !b.is_empty()), "{bgs:?} in {line:?}");
    assert!(bgs[0] != bgs[1] && bgs[1] != bgs[2] && bgs[0] != bgs[2], "three colors: {bgs:?}");

    // Without color the labels alone tell them apart; --color overrides it all.
    tmux.start("none", 100, 24, &run("xterm-256color", "NO_COLOR=1"), &env);
    let screen = tmux.wait_for("none", "three markers, no color", true, all_there);
    assert!(!screen.contains("38;") && !screen.contains("48;"), "{screen}");
    tmux.start("forced", 100, 24, &format!("{} --color truecolor", run("linux", "NO_COLOR=1")), &env);
    tmux.wait_for("forced", "24-bit, as asked", true, |s| all_there(s) && s.contains("48;2;"));
}

/// Runs `kanban-tui` inside an interactive shell in tmux, so that job control
/// (Ctrl-Z, `fg`) is the shell's as it is for a person.
fn in_a_shell(tmux: &Tmux, name: &str, command: &str, env: &[(&str, &str)]) {
    tmux.start(name, 100, 24, "env PS1='$ ' bash --norc --noprofile -i", env);
    tmux.wait_for(name, "the shell", false, |s| s.trim_end().ends_with('$'));
    tmux.type_text(name, command);
    tmux.keys(name, &["Enter"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_z_gives_the_shell_back_and_fg_redraws_the_board() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.project("alpha", &["ann:owner"]).await;
    let url = server.url("");
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    let Some(tmux) = Tmux::new("jobs") else { return };
    in_a_shell(&tmux, "ann", &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.wait_for("ann", "the board", false, |s| s.contains("alpha") && s.contains("online"));
    // Something half done survives the stop.
    tmux.keys("ann", &["n"]);
    tmux.wait_for("ann", "the card form", false, |s| s.contains("New card"));
    tmux.type_text("ann", "Half typed");

    tmux.keys("ann", &["C-z"]);
    let shell = tmux.wait_for("ann", "the shell, with the job stopped", false, |s| {
        s.contains("Stopped") && s.trim_end().ends_with('$')
    });
    assert!(!shell.contains("New card"), "the board's screen is gone:\n{shell}");
    // The terminal is back in cooked mode: the shell reads a line and runs it.
    tmux.type_text("ann", "echo still-here-$((6*7))");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the shell answering", false, |s| s.contains("still-here-42"));

    tmux.type_text("ann", "fg");
    tmux.keys("ann", &["Enter"]);
    let board = tmux.wait_for("ann", "the board drawn again", false, |s| {
        s.contains("New card") && s.contains("Half typed") && s.contains("Todo")
    });
    assert!(!board.contains("still-here"), "the whole screen is redrawn:\n{board}");
    // Keys reach the board again, one at a time (raw mode is back).
    tmux.type_text("ann", "!");
    tmux.wait_for("ann", "a typed key", false, |s| s.contains("Half typed!"));
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "the card saved", false, |s| s.contains("Todo 1"));
    tmux.keys("ann", &["q"]);
    tmux.wait_for("ann", "the shell after quitting", false, |s| s.trim_end().ends_with('$'));
    tmux.type_text("ann", "echo status-$?");
    tmux.keys("ann", &["Enter"]);
    tmux.wait_for("ann", "a clean exit", false, |s| s.contains("status-0"));
}

/// `ssh host kanban-tui` without `-t`: no terminal. Said plainly, not a panic.
#[test]
fn without_a_terminal_it_says_so_and_fails() {
    let out = std::process::Command::new(BIN)
        .args(["--server", "http://127.0.0.1:9"])
        .env("KANBAN_TOKEN", "kb_x")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("needs a terminal") || said.contains("not one"), "{said}");
    assert!(said.contains("ssh -t"), "{said}");
    assert!(!said.contains("panicked"), "{said}");
}

/// `host:port` is a server's address; what is not an address is refused before
/// anything is tried.
#[tokio::test(flavor = "multi_thread")]
async fn addresses_as_people_type_them() {
    for bad in ["http//127.0.0.1:7878", "ftp://127.0.0.1", "127.0.0.1:notaport", "http://127.0.0.1:99999"] {
        let out = std::process::Command::new(BIN)
            .args(["--server", bad])
            .env("KANBAN_TOKEN", "kb_x")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {said}");
        assert!(said.contains("--server") && said.contains(bad), "{bad}: {said}");
        let login = std::process::Command::new(BIN).args(["login", "--server", bad]).output();
        assert_eq!(login.unwrap().status.code(), Some(2), "login --server {bad}");
    }
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.project("alpha", &["ann:owner"]).await;
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let Some(tmux) = Tmux::new("address") else { return };
    let bare = server.addr().to_string();
    assert!(!bare.contains("://"));
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    tmux.start("ann", 100, 24, &format!("KANBAN_TOKEN={ann} {BIN} --server {bare}"), &env);
    tmux.wait_for("ann", "the board at host:port", false, |s| s.contains("alpha") && s.contains("online"));
}

/// The client's log goes to a file in the state directory (or `--log FILE`),
/// readable by its owner only, and never to the screen.
#[tokio::test(flavor = "multi_thread")]
async fn the_log_goes_to_a_file_never_to_the_screen() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.project("alpha", &["ann:owner"]).await;
    let url = server.url("");
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir), ("RUST_LOG", "debug")];
    let Some(tmux) = Tmux::new("log") else { return };
    tmux.start("ann", 100, 24, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.wait_for("ann", "the board", false, |s| s.contains("alpha") && s.contains("online"));
    tmux.keys("ann", &["q"]);
    let screen = tmux.screen("ann", false);
    assert_eq!(tmux.wait_exit("ann"), 0);
    let file = state.path().join("kanban-tui.log");
    let log = std::fs::read_to_string(&file).unwrap();
    assert!(log.contains("online") && log.contains(&url), "{log}");
    assert!(!log.contains(&ann), "the token is not logged:\n{log}");
    assert!(!screen.contains("INFO") && !screen.contains("DEBUG"), "{screen}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);

    let elsewhere = state.path().join("elsewhere.log");
    let command = format!("KANBAN_TOKEN={ann} {BIN} --server {url} --log {}", elsewhere.display());
    tmux.start("again", 100, 24, &command, &env);
    tmux.wait_for("again", "the board", false, |s| s.contains("alpha") && s.contains("online"));
    tmux.keys("again", &["q"]);
    assert_eq!(tmux.wait_exit("again"), 0);
    assert!(std::fs::read_to_string(&elsewhere).unwrap().contains("online"));
}

/// The server goes away: the title bar says so and when the next try is, `r`
/// tries at once, and when the server is back the board is online again with
/// what was said during the outage gone.
#[tokio::test(flavor = "multi_thread")]
async fn an_outage_is_counted_down_r_retries_and_the_return_clears_it() {
    let mut server = TestServer::start().await;
    let ann = server.user("ann").await;
    server.project("alpha", &["ann:owner"]).await;
    let url = server.url("");
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_str().unwrap();
    let env = [("KANBAN_CONFIG_DIR", dir), ("KANBAN_STATE_DIR", dir)];
    let Some(tmux) = Tmux::new("outage") else { return };
    tmux.start("ann", 120, 24, &format!("KANBAN_TOKEN={ann} {BIN} --server {url}"), &env);
    tmux.wait_for("ann", "the board", false, |s| s.contains("alpha") && s.contains("online"));
    let addr = server.addr();
    server.stop().await;
    tmux.wait_for("ann", "offline, counting down", false, |s| {
        s.contains("○ offline") && s.contains("retrying in") && s.contains("r now")
    });
    // Something that fails while the server is away says so.
    tmux.keys("ann", &["T"]);
    tmux.wait_for("ann", "a failure said", false, |s| s.contains("Cannot open the trash"));
    tmux.keys("ann", &["Escape"]);
    tmux.keys("ann", &["r"]);
    tmux.wait_for("ann", "a try at once", false, |s| s.contains("Trying to connect now…"));
    tmux.wait_for("ann", "offline again", false, |s| s.contains("○ offline"));
    tmux.keys("ann", &["T"]);
    tmux.wait_for("ann", "a failure said again", false, |s| s.contains("Cannot open the trash"));

    server.resume_at(addr).await;
    let screen = tmux.wait_for("ann", "online again", false, |s| s.contains("● online"));
    tmux.wait_for("ann", "the notice gone", false, |s| !s.contains("Cannot open the trash"));
    assert!(!screen.contains("offline"), "{screen}");
}
