//! Which store a test server runs on. Suites that concern the store (the board, the
//! REST API, access) run once on SQLite and once on PostgreSQL: [`both_stores!`]
//! makes the two tests of each listed function, and the test server they start
//! reads which store from the task they run in. PostgreSQL is the one at
//! `KANBAN_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`),
//! each test in a schema of its own, dropped when it ends. Where none answers, the
//! PostgreSQL half says it was skipped and why, unless `KANBAN_TEST_REQUIRE_SERVICES`
//! is set (as `.ci/run` sets it): then it fails.

use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kanban_server::Database;

/// The stores a test server can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

tokio::task_local! {
    static BACKEND: Backend;
}

/// The store of the test running in this task (SQLite outside [`run_on`]).
pub fn current() -> Backend {
    BACKEND.try_with(|b| *b).unwrap_or(Backend::Sqlite)
}

/// The PostgreSQL the tests use.
pub fn postgres_url() -> String {
    std::env::var("KANBAN_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn required() -> bool {
    std::env::var_os("KANBAN_TEST_REQUIRE_SERVICES").is_some_and(|v| !v.is_empty())
}

/// Whether PostgreSQL answers (asked once per run; leftovers of earlier runs are
/// dropped then); why not when it does not.
pub fn postgres_answers() -> Result<(), String> {
    static ANSWER: OnceLock<Result<(), String>> = OnceLock::new();
    ANSWER
        .get_or_init(|| {
            let url = postgres_url();
            std::thread::spawn(move || {
                let mut config: postgres::Config = url.parse().map_err(|e| format!("{url}: {e}"))?;
                config.connect_timeout(Duration::from_secs(3));
                let mut client = config.connect(postgres::NoTls).map_err(|e| format!("{url}: {e}"))?;
                drop_stale_schemas(&mut client);
                Ok(())
            })
            .join()
            .unwrap_or_else(|_| Err("the check panicked".into()))
        })
        .clone()
}

/// Runs `test` on `backend`: skipped (and said so) on PostgreSQL where none
/// answers and none is required.
pub async fn run_on(backend: Backend, test: impl std::future::Future<Output = ()>) {
    if backend == Backend::Postgres
        && let Err(why) = postgres_answers()
    {
        assert!(
            !required(),
            "PostgreSQL is required (KANBAN_TEST_REQUIRE_SERVICES) and does not answer: {why}"
        );
        // Straight to stderr, past the test harness's capture: a skip is said even
        // when the test passes.
        let test = std::thread::current().name().unwrap_or("a test").to_string();
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped, no PostgreSQL answers at {why} (KANBAN_TEST_DATABASE_URL says where)"
        );
        return;
    }
    BACKEND.scope(backend, test).await;
}

/// A PostgreSQL schema of a test's own, dropped when it goes.
pub struct Schema {
    pub name: String,
    pub database: Database,
}

static SCHEMAS: AtomicU64 = AtomicU64::new(0);

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

impl Schema {
    /// A new empty schema, and the database URL that uses it.
    pub fn create() -> Schema {
        let n = SCHEMAS.fetch_add(1, Ordering::Relaxed);
        let name = format!("kt_{}_{}_{n}", now(), std::process::id());
        let sql = format!("CREATE SCHEMA {name}");
        run_sql(&sql).expect("create a schema for the test");
        let base = postgres_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        // Named after the schema, so that a test can find its server's connections.
        let url = format!("{base}{sep}options=-csearch_path%3D{name}&application_name={name}");
        Schema { name, database: Database::Postgres(url) }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        // Connections still open hold no lock once idle; one that does lets the
        // drop wait a little, and a schema left behind goes at the next run.
        let _ = run_sql(&format!("SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

/// Runs `sql` on the tests' PostgreSQL, in the schema of `site`.
pub fn run_sql_in(schema: &Schema, sql: &str) -> Result<(), String> {
    run_sql(&format!("SET search_path = {}; {sql}", schema.name))
}

/// Runs `sql` on the tests' PostgreSQL, in a thread of its own (the synchronous
/// client may not block an async thread).
fn run_sql(sql: &str) -> Result<(), String> {
    let (url, sql) = (postgres_url(), sql.to_string());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
        client.batch_execute(&sql).map_err(|e| kanban_server::store::pg_cause(&e))
    })
    .join()
    .unwrap_or_else(|_| Err("panicked".into()))
}

/// Schemas of test runs more than an hour old (a run that was killed): this
/// suite's (`kt_`) and the interop suite's (`ki_`).
fn drop_stale_schemas(client: &mut postgres::Client) {
    let sql = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kt\\_%' OR nspname LIKE 'ki\\_%'";
    let Ok(rows) = client.query(sql, &[]) else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let made: Option<u64> = name.split('_').nth(1).and_then(|t| t.parse().ok());
        if made.is_some_and(|t| t + 3600 < now()) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
        }
    }
}

/// Makes, for each listed test (an `async fn` of no arguments), one test on
/// SQLite (`sqlite::NAME`) and one on PostgreSQL (`postgres::NAME`).
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::util::stores::run_on($crate::util::stores::Backend::Sqlite, super::$name()).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::util::stores::run_on($crate::util::stores::Backend::Postgres, super::$name()).await
                }
            )*
        }
    };
}

/// A site for server processes: a data directory, and on PostgreSQL a schema of
/// the test's own, both gone with it.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub schema: Option<Schema>,
}

impl Site {
    /// A site on the store of the test under way.
    pub fn new() -> Site {
        let schema = (current() == Backend::Postgres).then(Schema::create);
        Site { dir: tempfile::tempdir().expect("temp dir"), schema }
    }

    /// A site on SQLite whatever the test's store.
    pub fn sqlite() -> Site {
        Site { dir: tempfile::tempdir().expect("temp dir"), schema: None }
    }

    /// The database URL, on PostgreSQL.
    pub fn url(&self) -> Option<&str> {
        match &self.schema {
            Some(Schema { database: Database::Postgres(url), .. }) => Some(url),
            _ => None,
        }
    }

    /// `--database URL` where the site is on PostgreSQL.
    pub fn database_args(&self) -> Vec<&str> {
        self.url().map(|url| vec!["--database", url]).unwrap_or_default()
    }

    /// Runs an admin command on the site; answers its stdout, trimmed.
    pub fn admin(&self, args: &[&str]) -> String {
        let mut all = self.database_args();
        all.extend_from_slice(args);
        super::admin(self.dir.path(), &all)
    }

    /// Runs an admin command that may fail: its exit status, stdout and stderr.
    pub fn admin_output(&self, args: &[&str]) -> (bool, String, String) {
        let mut all = self.database_args();
        all.extend_from_slice(args);
        super::admin_output(self.dir.path(), &all)
    }

    /// Where the store is, as the server's library takes it.
    pub fn database(&self) -> Database {
        match &self.schema {
            Some(schema) => schema.database.clone(),
            None => Database::Sqlite(self.dir.path().to_owned()),
        }
    }

    /// Starts a server process on the site.
    pub fn start(&self, extra: &[&str]) -> super::ServerProcess {
        self.start_env(extra, &[])
    }

    /// Starts a server process on the site with `env` (secrets go there, never
    /// on a command line).
    pub fn start_env(&self, extra: &[&str], env: &[(&str, &str)]) -> super::ServerProcess {
        let mut all = self.database_args();
        all.extend_from_slice(extra);
        super::ServerProcess::start(self.dir.path(), "127.0.0.1:0", &all, env)
    }
}

/// The brokers the cluster tests use, by scheme: `KANBAN_TEST_REDIS_URL` (default
/// `redis://127.0.0.1:6379`) and `KANBAN_TEST_NATS_URL` (`nats://127.0.0.1:4222`).
pub fn broker_url(scheme: &str) -> String {
    match scheme {
        "redis" => std::env::var("KANBAN_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        _ => std::env::var("KANBAN_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into()),
    }
}

/// Whether something listens where `url` points (host:port after the scheme).
fn answers(url: &str) -> Result<(), String> {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.rsplit('@').next().unwrap_or(rest).split('/').next().unwrap_or(rest);
    let addr = std::net::ToSocketAddrs::to_socket_addrs(host).map_err(|e| format!("{url}: {e}"))?.next();
    let addr = addr.ok_or_else(|| format!("{url}: no address"))?;
    std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map(drop)
        .map_err(|e| format!("{url}: {e}"))
}

/// Runs a cluster test on the broker of `scheme` and PostgreSQL: skipped (and said
/// so) where either does not answer and none is required.
pub async fn run_on_broker<F: std::future::Future<Output = ()>>(
    scheme: &str,
    test: impl FnOnce(String) -> F,
) {
    let url = broker_url(scheme);
    if let Err(why) = answers(&url) {
        assert!(
            !required(),
            "the {scheme} broker is required (KANBAN_TEST_REQUIRE_SERVICES) and does not answer: {why}"
        );
        let test = std::thread::current().name().unwrap_or("a test").to_string();
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped, no {scheme} broker answers at {why} (KANBAN_TEST_{}_URL says where)",
            scheme.to_uppercase()
        );
        return;
    }
    run_on(Backend::Postgres, test(url)).await;
}

/// Makes, for each listed test (an `async fn` taking the broker's URL), one test
/// on Redis (`redis::NAME`) and one on NATS (`nats::NAME`).
#[macro_export]
macro_rules! both_brokers {
    ($($name:ident),* $(,)?) => {
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::util::stores::run_on_broker("redis", super::$name).await
                }
            )*
        }
        mod nats {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::util::stores::run_on_broker("nats", super::$name).await
                }
            )*
        }
    };
}
