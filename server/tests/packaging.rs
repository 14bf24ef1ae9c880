//! What `packaging/` ships: the systemd unit verifies with `systemd-analyze` and its
//! command line serves the Unix socket it promises; the Dockerfile is multi-stage,
//! runs as a user that is not root with its data on a volume, and its entrypoint
//! with its environment serves. (No container is built here: that needs a Docker
//! daemon and its registry, which this machine has not.) And the root has a LICENSE
//! that says what Cargo.toml says.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{WAIT, server_bin};

fn packaging(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `KEY=VALUE` settings of `Environment=` lines.
fn unit_environment(unit: &str) -> Vec<(String, String)> {
    unit.lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn unit_value<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

/// A server started as `command` with `env`, stopped (SIGTERM) when dropped.
struct Started(std::process::Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn start(args: &[String], env: &[(String, String)]) -> Started {
    let mut cmd = Command::new(server_bin());
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Started(cmd.spawn().expect("start kanban-server"))
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_systemd_unit_verifies_and_its_command_line_serves_the_hosts_socket() {
    let unit = packaging("kanban-server.service");
    for hardening in [
        "User=kanban",
        "StateDirectory=kanban",
        "RuntimeDirectory=kanban",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "CapabilityBoundingSet=",
        "UMask=0077",
    ] {
        assert!(unit.lines().any(|l| l == hardening), "the unit has {hardening}");
    }
    let env = unit_environment(&unit);
    let value = |k: &str| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    // Where kanban-tui looks by default.
    assert_eq!(value("KANBAN_UNIX_SOCKET"), Some(kanban_server::unix_socket::DEFAULT_PATH));
    assert_eq!(value("KANBAN_DATA_DIR"), Some("/var/lib/kanban"));

    let bin = server_bin();
    if Command::new("systemd-analyze").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("kanban-server.service");
        std::fs::write(&copy, unit.replace("/usr/local/bin/kanban-server", bin.to_str().unwrap())).unwrap();
        let out = Command::new("systemd-analyze").arg("verify").arg(&copy).output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");
    } else {
        eprintln!("the_systemd_unit_verifies_…: systemd-analyze is not installed: the unit was not verified");
    }

    // ExecStart with the unit's environment, its paths moved into a temporary
    // directory: the socket is there, with its mode, and answers.
    let exec = unit_value(&unit, "ExecStart").expect("ExecStart");
    let mut args: Vec<String> = exec.split_whitespace().skip(1).map(str::to_string).collect();
    args.extend(["--listen".into(), "127.0.0.1:0".into()]);
    let tmp = tempfile::tempdir().unwrap();
    let moved = |v: &str| {
        v.replace("/var/lib/kanban", &tmp.path().join("state").display().to_string())
            .replace("/run/kanban", &tmp.path().join("run").display().to_string())
    };
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.clone(), moved(v))).collect();
    let socket = PathBuf::from(moved(value("KANBAN_UNIX_SOCKET").unwrap()));
    let _server = start(&args, &env);
    wait_until("the unit's socket", || socket.exists());
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let meta = std::fs::metadata(&socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o666);
    let http = reqwest::Client::builder().unix_socket(socket.as_path()).build().unwrap();
    let health = http.get("http://localhost/healthz").send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dockerfile_runs_a_user_that_is_not_root_on_a_volume_and_its_entrypoint_serves() {
    let file = packaging("Dockerfile");
    let lines: Vec<&str> = file.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
    let froms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    assert!(froms.len() >= 2 && froms[0].contains(" AS "), "multi-stage: {froms:?}");
    assert!(lines.iter().any(|l| l.starts_with("COPY --from=")), "the binary comes from the build stage");
    let user = lines.iter().rev().find_map(|l| l.strip_prefix("USER ")).expect("a USER");
    assert!(!user.starts_with("root") && !user.starts_with('0'), "not root: {user}");
    assert!(lines.iter().any(|l| l.starts_with("VOLUME") && l.contains("/data")), "data on a volume");

    // ENV (a continued instruction) and ENTRYPOINT, as the container would run them.
    let env_block = file.split("\nENV ").nth(1).expect("ENV").split("\nVOLUME").next().unwrap();
    let mut env: Vec<(String, String)> = env_block
        .split_whitespace()
        .filter(|w| *w != "\\")
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert!(env.iter().any(|(k, v)| k == "KANBAN_DATA_DIR" && v == "/data"));
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for (k, v) in &mut env {
        match k.as_str() {
            "KANBAN_DATA_DIR" => *v = data.path().display().to_string(),
            "KANBAN_LISTEN" => *v = format!("127.0.0.1:{port}"),
            _ => {}
        }
    }
    let entry = lines.iter().find_map(|l| l.strip_prefix("ENTRYPOINT ")).expect("ENTRYPOINT");
    let entry: Vec<String> = serde_json::from_str(entry).expect("ENTRYPOINT in exec form");
    assert_eq!(entry[0], "kanban-server");
    let _server = start(&entry[1..], &env);
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + WAIT;
    loop {
        if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "the entrypoint does not serve at {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(data.path().join(kanban_server::DATABASE_FILE).exists(), "its data is in the volume");
}

#[test]
fn the_license_is_the_one_cargo_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let license = std::fs::read_to_string(root.join("LICENSE")).expect("a LICENSE at the root");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"MIT\""));
    assert!(license.starts_with("MIT License") && license.contains("WITHOUT WARRANTY OF ANY KIND"));
}
