//! The `kanban-server` command line, run as a real process: what it prints, that a
//! running server sees what the admin commands changed, what it logs, and the
//! completions and man pages it makes of itself.

use std::process::{Command, Output};

use serde_json::Value;

use crate::util::{ServerProcess, TestServer, admin, server_bin};

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(server_bin())
        .args(args)
        .env("KANBAN_DATA_DIR", dir)
        .env_remove("KANBAN_APP_KEY")
        .env_remove("KANBAN_APP_SECRET")
        .env_remove("KANBAN_APP_ID")
        .output()
        .expect("run kanban-server")
}

fn stdout_ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test]
async fn admin_commands_print_exactly_what_scripts_need() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let token = stdout_ok(&run(d, &["user", "add", "ann"]));
    assert!(token.ends_with('\n') && token.lines().count() == 1, "{token:?}");
    let token = token.trim_end();
    assert!(token.starts_with("kb_") && token.len() > 40);
    stdout_ok(&run(d, &["user", "add", "bob", "--color", "teal"]));

    let id =
        stdout_ok(&run(d, &["project", "add", "Team board", "--member", "ann:owner", "--member", "bob"]));
    let id: i64 = id.trim_end().parse().expect("the id alone");
    let list = stdout_ok(&run(d, &["project", "list"]));
    assert!(list.contains(&format!("{id}\tTeam board\tann:owner,bob:member")), "{list}");
    let users = stdout_ok(&run(d, &["user", "list"]));
    assert!(users.contains("bob\t#2ec4b6"), "{users}");

    // Refusals: a message on stderr, a failing status, nothing on stdout.
    for args in [
        &["user", "add", "ann"][..],
        &["user", "add", "has space"],
        &["user", "add", "cat", "--color", "chartreuse"],
        &["project", "add", "x", "--member", "nobody"],
        &["project", "add", "y", "--member", "ann:king"],
        &["project", "grant", "Team board", "nobody"],
        &["project", "revoke", "404", "ann"],
    ] {
        let out = run(d, args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?} says why");
    }

    let app = stdout_ok(&run(d, &["app"]));
    assert!(app.starts_with("app_id\t") && app.contains("\nkey\t") && app.contains("\nsecret\t"));
    assert_eq!(app, stdout_ok(&run(d, &["app"])), "credentials are kept");

    // The database holds no token in the clear.
    let db = std::fs::read(d.join(kanban_server::DATABASE_FILE)).unwrap();
    let wal = std::fs::read(d.join(format!("{}-wal", kanban_server::DATABASE_FILE))).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
    }
}

#[tokio::test]
async fn admin_changes_reach_a_running_server() {
    let server = TestServer::start().await;
    let d = server.dir.path();
    let token = stdout_ok(&run(d, &["user", "add", "cli-user"]));
    let token = token.trim_end();
    let (status, me) = server.get("/api/me", Some(token)).await;
    assert_eq!((status, me["name"].as_str()), (200, Some("cli-user")));

    let id = stdout_ok(&run(d, &["project", "add", "ops"])).trim_end().to_string();
    assert_eq!(server.get("/api/projects", Some(token)).await.1, serde_json::json!([]));
    stdout_ok(&run(d, &["project", "grant", "ops", "cli-user", "--role", "viewer"]));
    let (_, projects) = server.get("/api/projects", Some(token)).await;
    assert_eq!(projects[0]["id"].to_string(), id);
    assert_eq!(projects[0]["role"], "viewer");
    stdout_ok(&run(d, &["project", "revoke", &id, "cli-user"]));
    assert_eq!(server.get("/api/projects", Some(token)).await.1, serde_json::json!([]));

    let second = stdout_ok(&run(d, &["user", "token", "cli-user"]));
    let second = second.trim_end();
    assert_ne!(second, token);
    assert_eq!(server.get("/api/me", Some(second)).await.0, 200);
    assert_eq!(server.get("/api/me", Some(token)).await.0, 200, "earlier tokens stay valid");
}

// Multi-threaded: the admin command blocks its thread while the server and the
// writers go on in the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_consistent_database_while_serving() {
    let server = TestServer::start().await;
    let d = server.dir.path();
    let token = stdout_ok(&run(d, &["user", "add", "ann"]));
    let token = token.trim_end();
    let pid = stdout_ok(&run(d, &["project", "add", "P", "--member", "ann"])).trim_end().to_string();
    // Writers keep going while the backup is taken.
    let writer = {
        let (http, url, token) =
            (server.http.clone(), server.url(&format!("/api/projects/{pid}/tasks")), token.to_string());
        tokio::spawn(async move {
            for i in 0..100 {
                let res = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"title": format!("t{i}")}))
                    .send()
                    .await;
                assert_eq!(res.unwrap().status(), 201);
            }
        })
    };
    let copy = tempfile::tempdir().unwrap();
    let file = copy.path().join(kanban_server::DATABASE_FILE);
    let out = run(d, &["backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    writer.await.unwrap();
    // The copy opens as a data directory of its own: a board at some revision whose
    // cards are exactly those of its events.
    let restored =
        kanban_server::Server::open(copy.path(), &Default::default(), Default::default()).await.unwrap();
    let store = restored.store();
    let user = store.user_by_token(token).await.unwrap().expect("the token works on the copy").user;
    let board = kanban_server::board::read::board(&**store, user.id, pid.parse().unwrap()).await.unwrap();
    assert_eq!(board.tasks.len() as u64, board.rev, "one card per revision, none half-written");
    // A second backup to the same file is refused rather than overwritten.
    assert!(!run(d, &["backup", file.to_str().unwrap()]).status.success());
}

/// One server per data directory: a second one, in another process or in this
/// one, is refused and told who serves it; admin commands work beside the first;
/// once it is gone, the directory can be served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_one_data_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut first = ServerProcess::start(d, "127.0.0.1:0", &[], &[]);
    let second = Command::new(server_bin())
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(d)
        .env_remove("KANBAN_APP_KEY")
        .env_remove("KANBAN_APP_SECRET")
        .output()
        .expect("run kanban-server");
    assert!(!second.status.success());
    let why = String::from_utf8_lossy(&second.stderr);
    assert!(why.contains("already served by another process"), "{why}");
    assert!(why.contains(&first.url) && why.contains(&first.pid().to_string()), "{why}");
    let in_process = kanban_server::Server::open(d, &Default::default(), Default::default()).await;
    let Err(e) = in_process else { panic!("a second server in this process must be refused too") };
    assert!(matches!(e, kanban_server::OpenError::Lock(kanban_server::data_dir::LockError::Busy { .. })));
    // Admin commands work beside the running server.
    let token = stdout_ok(&run(d, &["user", "add", "ann"]));
    assert!(token.starts_with("kb_"));
    // A killed server holds nothing: the directory is served again.
    first.crash();
    let again = ServerProcess::start(d, "127.0.0.1:0", &[], &[]);
    let res = reqwest::get(format!("{}/healthz", again.url)).await.unwrap();
    assert_eq!(res.status(), 200);
}

/// The database holds the app secret: its files are the owner's alone whatever
/// the umask, a backup too, and a server warns when the directory is open to others.
#[test]
fn the_database_files_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    // A directory that existed already, open to others, under a permissive umask.
    let d = dir.path().join("data");
    std::fs::create_dir(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let in_shell = |args: &[&str]| {
        let out = Command::new("sh")
            .arg("-c")
            .arg("umask 022 && exec \"$0\" \"$@\"")
            .arg(server_bin())
            .arg("--data-dir")
            .arg(&d)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    in_shell(&["user", "add", "ann"]);
    let db = d.join(kanban_server::DATABASE_FILE);
    let companions = ["", "-wal", "-shm"].map(|s| std::path::PathBuf::from(format!("{}{s}", db.display())));
    for file in &companions {
        if file.exists() {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
    }
    assert_eq!(mode(&db), 0o600);
    // A database made readable by others (an older build, a careless copy) is
    // made private again on the next use.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let backup = dir.path().join("copy.db");
    in_shell(&["backup", backup.to_str().unwrap()]);
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&backup), 0o600, "the backup holds the secret too");

    let server = ServerProcess::start_under(&["umask 022"], &d, "127.0.0.1:0", &[], &[]);
    for file in &companions {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    let log = server.log();
    assert!(log.contains("open to other accounts"), "{log}");
}

/// A broker joins nodes of one PostgreSQL site: on SQLite, or with a broker of a
/// scheme it does not speak, the server says so and does not start.
#[test]
fn a_broker_without_a_shared_database_or_of_another_kind_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--listen", "127.0.0.1:0", "--broker", "redis://127.0.0.1:6379"]);
    assert!(!out.status.success());
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(why.contains("share a PostgreSQL database"), "{why}");
    let out = run(dir.path(), &["--listen", "127.0.0.1:0", "--broker", "amqp://127.0.0.1:5672"]);
    assert!(!out.status.success());
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(why.contains("redis:// or nats://"), "{why}");
}

/// The completion scripts and man pages a package installs come from the binary
/// itself, with no data directory needed.
#[test]
fn completions_and_man_pages_describe_the_command_line() {
    let plain = |args: &[&str]| Command::new(server_bin()).args(args).output().expect("run kanban-server");
    let bash = stdout_ok(&plain(&["completions", "bash"]));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bash).unwrap();
    let checked = Command::new("bash").arg("-n").arg(file.path()).output().unwrap();
    assert!(checked.status.success(), "bash -n: {}", String::from_utf8_lossy(&checked.stderr));
    for word in ["kanban-server", "user", "project", "backup", "migrate", "--listen", "--log-format"] {
        assert!(bash.contains(word), "{word} in the bash completion");
    }
    for shell in ["zsh", "fish"] {
        let script = stdout_ok(&plain(&["completions", shell]));
        assert!(script.contains("kanban-server") && script.contains("backup"), "{shell}: {script}");
    }
    let unknown = plain(&["completions", "tcsh"]);
    assert!(!unknown.status.success() && unknown.stdout.is_empty());
    let why = String::from_utf8_lossy(&unknown.stderr);
    assert!(why.contains("invalid value 'tcsh'") && why.contains("bash"), "{why}");

    let page = stdout_ok(&plain(&["man"]));
    // roff's preamble (`.ie`/`.el`, which defines the apostrophe) comes first.
    let first = page.lines().find(|l| !l.starts_with(".ie") && !l.starts_with(".el")).unwrap_or("");
    assert!(first.starts_with(".TH kanban-server 1"), "{page}");
    for word in [r"\-\-listen", r"\-\-data\-dir", "KANBAN_DATA_DIR", r"kanban\-server\-user(1)"] {
        assert!(page.contains(word), "{word} in the man page");
    }
    // Every page at once, for a package: the subcommands' pages named above too.
    let dir = tempfile::tempdir().unwrap();
    let out = plain(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success() && out.stdout.is_empty());
    for name in
        ["kanban-server.1", "kanban-server-user.1", "kanban-server-user-add.1", "kanban-server-backup.1"]
    {
        let page = std::fs::read_to_string(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(page.contains(".TH"), "{name}");
    }
}

/// `--log-format json`: every line on stderr is one JSON object, each request has
/// an access line, and neither a token nor a query string (a Pusher HTTP API
/// signature) reaches the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_have_an_access_line_per_request_and_never_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = admin(dir.path(), &["user", "add", "ann"]);
    let mut server =
        ServerProcess::start(dir.path(), "127.0.0.1:0", &["--log-format", "json"], &[("RUST_LOG", "info")]);
    let http = reqwest::Client::new();
    let me = http.get(format!("{}/api/me", server.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let wrong =
        http.get(format!("{}/api/me", server.url)).bearer_auth("kb_not-a-token").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let queried = http.get(format!("{}/healthz?auth_signature={token}", server.url)).send().await.unwrap();
    assert_eq!(queried.status(), 200);

    let log = server.stop();
    let lines: Vec<Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let accessed = |path: &str, status: u16| {
        lines.iter().any(|l| {
            l["target"] == "kanban_server::access"
                && l["level"] == "INFO"
                && l["method"] == "GET"
                && l["path"] == path
                && l["status"] == status
                && l["duration_us"].is_u64()
        })
    };
    assert!(accessed("/api/me", 200), "{log}");
    assert!(accessed("/api/me", 401), "{log}");
    assert!(accessed("/healthz", 200), "{log}");
    assert!(lines.iter().any(|l| l["message"] == "stopped"), "{log}");
    for secret in [token.as_str(), "kb_not-a-token", "auth_signature", "Bearer"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

/// `RUST_LOG=info,kanban_server::access=off` silences the access log and nothing
/// else; `KANBAN_LOG_FORMAT` chooses the format as the flag does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_is_silenced_by_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("RUST_LOG", "info,kanban_server::access=off"), ("KANBAN_LOG_FORMAT", "json")];
    let mut server = ServerProcess::start(dir.path(), "127.0.0.1:0", &[], &env);
    let res = reqwest::get(format!("{}/healthz", server.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    // The whole log, up to the exit: what is not there now never will be.
    let log = server.stop();
    let lines: Vec<Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert!(lines.iter().any(|l| l["message"] == "kanban-server listening"), "{log}");
    assert!(lines.iter().any(|l| l["message"] == "stopped"), "{log}");
    assert!(!log.contains("kanban_server::access"), "{log}");
}

#[test]
fn ssh_keys_are_added_from_stdin_or_a_flag_listed_and_removed_by_fingerprint() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    stdout_ok(&run(d, &["user", "add", "ann"]));
    stdout_ok(&run(d, &["user", "add", "bob"]));
    // A key as ssh-keygen writes it (its fingerprint as `ssh-keygen -lf` says).
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII/Eq6D3onFkVb3JLNLd9rHQyodJTJJFjPpBfMyQlPX/ ann@laptop";
    let fingerprint = "SHA256:kzmTnjzj6fEEHbNDsJxlaKBF2gEOx4BQIWayDeEP8oY";
    let mut add = Command::new(server_bin())
        .args(["user", "key", "add", "ann"])
        .env("KANBAN_DATA_DIR", d)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(format!("{key}\n").as_bytes()).unwrap();
    assert_eq!(stdout_ok(&add.wait_with_output().unwrap()), format!("{fingerprint}\n"));
    let list = stdout_ok(&run(d, &["user", "key", "list", "ann"]));
    let fields: Vec<&str> = list.trim_end().split('\t').collect();
    assert_eq!(
        (fields[0], fields[2], fields[3]),
        (fingerprint, &key[..key.len() - 11], "ann@laptop"),
        "{list}"
    );

    // The same key for another user, a key of a kind not taken, a wrong
    // fingerprint: refused, with a reason, nothing printed.
    let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDHHjAnuHI+tUEfPvDjUoIVR96xLrC5pMtpm4I6/x0fnBvJQ6tHCvGiLno2Qy2++MUk/FX3XZrH2GcaVDW4Q5Vy1kRCJBnOHS3jqwcp3/XmqUiWCNjgpwPGDf3jM9luLKKh9ei6eXClxa0ZT+FWy0EOxLqo9JV4ZjNgHOk1W4NazQ== x";
    for (args, says) in [
        (vec!["user", "key", "add", "bob", "--key", key], "already ann's"),
        (vec!["user", "key", "add", "bob", "--key", rsa], "Ed25519"),
        (vec!["user", "key", "remove", "bob", fingerprint], "not found"),
        // A key for someone who is no user yet: said, with what to run first.
        (
            vec!["user", "key", "add", "carol", "--key", key],
            "add them first with `kanban-server user add carol`",
        ),
        (vec!["user", "token", "carol"], "kanban-server user add carol"),
    ] {
        let out = run(d, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && out.stdout.is_empty() && err.contains(says), "{args:?}: {err}");
    }
    stdout_ok(&run(d, &["user", "key", "remove", "ann", fingerprint]));
    assert_eq!(stdout_ok(&run(d, &["user", "key", "list", "ann"])), "");

    // --key takes the .pub file's path too; a path that is no file is said as such.
    let file = d.join("ann.pub");
    std::fs::write(&file, format!("{key}\n")).unwrap();
    assert_eq!(
        stdout_ok(&run(d, &["user", "key", "add", "ann", "--key", file.to_str().unwrap()])),
        format!("{fingerprint}\n")
    );
    let out = run(d, &["user", "key", "add", "ann", "--key", "/nowhere/id_ed25519.pub"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("or the path of its .pub file"), "{err}");
}

/// Secrets never on the command line, where every account reads them: a URL with
/// a password, or the app secret, given there is refused without being said back;
/// `KANBAN_*_FILE` gives them from a file (a systemd credential's, a container
/// secret's).
#[test]
fn secrets_come_from_the_environment_or_files_never_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [
        vec!["--database", "postgres://kanban:hunter22@db.example.org/kanban", "user", "list"],
        vec!["--broker", "redis://:hunter22@127.0.0.1:6379", "--database", "postgres://db/k"],
        vec!["user", "list", "--app-secret", "hunter22"],
    ] {
        let out = run(d, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("readable by every account"), "{args:?}: {err}");
        assert!(!err.contains("hunter22"), "the secret said back: {err}");
    }
    // Not a URL at all (a libpq key=value string): refused, nothing of it said back.
    let out = run(d, &["--database", "host=db password=hunter22", "user", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("postgres:// URL") && !err.contains("hunter22"), "{err}");

    // From a file: the app secret the server then signs with.
    let file = d.join("secret");
    std::fs::write(&file, "from-a-file\n").unwrap();
    let out = Command::new(server_bin())
        .args(["app"])
        .env("KANBAN_DATA_DIR", d)
        .env_remove("KANBAN_APP_SECRET")
        .env("KANBAN_APP_SECRET_FILE", &file)
        .output()
        .unwrap();
    assert!(stdout_ok(&out).contains("secret\tfrom-a-file\n"), "the file's text without its line break");
    let out = Command::new(server_bin())
        .args(["app"])
        .env("KANBAN_DATA_DIR", d)
        .env("KANBAN_APP_SECRET", "x")
        .env("KANBAN_APP_SECRET_FILE", &file)
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("both given"));
}

/// No board is left without an owner by an admin command: removing its last
/// owner, revoking them or making them less is refused, saying what to do first.
#[test]
fn the_last_owner_of_a_board_stays_until_another_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for user in ["ann", "bob"] {
        stdout_ok(&run(d, &["user", "add", user]));
    }
    stdout_ok(&run(d, &["project", "add", "Launch", "--member", "ann:owner", "--member", "bob"]));
    for args in [
        vec!["user", "remove", "ann"],
        vec!["project", "revoke", "Launch", "ann"],
        vec!["project", "grant", "Launch", "ann", "--role", "member"],
    ] {
        let out = run(d, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("last owner of Launch"), "{args:?}: {err}");
    }
    assert!(stdout_ok(&run(d, &["project", "list"])).contains("ann:owner"), "nothing changed");
    stdout_ok(&run(d, &["project", "grant", "Launch", "bob", "--role", "owner"]));
    stdout_ok(&run(d, &["user", "remove", "ann"]));
    let list = stdout_ok(&run(d, &["project", "list"]));
    assert!(list.contains("bob:owner") && !list.contains("ann"), "{list}");
}

/// The nodes of a cluster given one `--ssh-host-key` file are one host to SSH
/// clients; a node without it has a key of its own data directory.
#[test]
fn nodes_given_one_ssh_host_key_are_one_host() {
    let shared = tempfile::tempdir().unwrap();
    let key = shared.path().join("ssh_host_ed25519_key");
    let key = key.to_str().unwrap();
    let fingerprint = |server: &ServerProcess| {
        server.wait_for_log("serving the board over SSH");
        let log = server.log();
        let line = log.lines().find(|l| l.contains("serving the board over SSH")).unwrap().to_string();
        line.split("host_key=").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
    };
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let with = ["--ssh-listen", "127.0.0.1:0", "--ssh-host-key", key];
    let a = ServerProcess::start(dirs[0].path(), "127.0.0.1:0", &with, &[]);
    let b = ServerProcess::start(dirs[1].path(), "127.0.0.1:0", &with, &[]);
    let alone = ServerProcess::start(dirs[2].path(), "127.0.0.1:0", &["--ssh-listen", "127.0.0.1:0"], &[]);
    assert_eq!(fingerprint(&a), fingerprint(&b));
    assert_ne!(fingerprint(&a), fingerprint(&alone));
    let out = run(dirs[1].path(), &["--ssh-host-key", key, "app"]);
    assert!(stdout_ok(&out).contains(&fingerprint(&a)), "app says the key in use");
}

/// `/version`: the release, the schema it keeps and the cluster wire it speaks,
/// for whoever upgrades a cluster node by node.
#[tokio::test]
async fn version_says_the_release_schema_and_wire() {
    let server = TestServer::start().await;
    let (status, body) = server.get("/version", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["schema"], kanban_server::store::SqliteStore::SCHEMA);
    assert_eq!(body["cluster_wire"], kanban_server::cluster::wire::VERSION);
}

/// `--config FILE`: the flags in TOML, under the environment and the command line;
/// `check-config` says each setting and where it came from, secrets hidden; a key
/// that names no flag is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_gives_the_flags_and_check_config_says_from_where() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("kanban.toml");
    std::fs::write(
        &file,
        "metrics-listen = \"127.0.0.1:0\"\nmax-connections = 5000\ntrusted-proxy = [\"10.0.0.0/8\"]\n\
         database = \"postgres://kanban:hunter22@db.example.org/kanban\"\n",
    )
    .unwrap();
    let config = file.to_str().unwrap();
    let out = Command::new(server_bin())
        .args(["--config", config, "--max-connections", "7", "check-config"])
        .env("KANBAN_TRUSTED_PROXIES", "192.168.0.0/16")
        .output()
        .unwrap();
    let said = stdout_ok(&out);
    for line in [
        "metrics-listen = 127.0.0.1:0\t# config file",
        "max-connections = 7\t# command line",
        "trusted-proxy = 192.168.0.0/16\t# environment",
        "database = (hidden: it holds a password)\t# config file",
    ] {
        assert!(said.contains(line), "{line:?} in:\n{said}");
    }
    assert!(!said.contains("hunter22"));

    // A server started with it serves as it says.
    std::fs::write(&file, "metrics-listen = \"127.0.0.1:0\"\n").unwrap();
    let server = ServerProcess::start(d, "127.0.0.1:0", &["--config", config], &[]);
    server.wait_for_log("serving /metrics here alone");
    let status = reqwest::get(format!("{}/metrics", server.url)).await.unwrap().status();
    assert_eq!(status, 404, "metrics are on their own listener");

    std::fs::write(&file, "max-conections = 5000\n").unwrap();
    let out = run(d, &["--config", config, "check-config"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("max-conections is not a setting"), "{err}");
}
