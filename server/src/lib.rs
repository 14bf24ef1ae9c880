//! kanban-server: the board's durable store, its REST API, and a Pusher Channels
//! protocol v7 hub, in one process on one port.
//!
//! [`Server::open`] opens the data directory; [`Server::serve`] runs until the given
//! shutdown future resolves. The binary only parses arguments around these, and
//! tests and the TUI's embedded mode call the same functions on port 0.

#![forbid(unsafe_code)]

pub mod access;
pub mod activity;
pub mod admin;
pub mod api;
pub mod board;
pub mod boards;
pub mod cluster;
pub mod config;
pub mod config_file;
pub mod data_dir;
pub mod encryption;
pub mod hub;
pub mod inbox;
pub mod logging;
pub mod metrics;
pub mod migrate;
pub mod oidc;
pub mod proxy_protocol;
pub mod restore;
pub mod secrets;
pub mod serve;
#[cfg(feature = "ssh")]
pub mod ssh;
pub mod state;
pub mod store;
pub mod tls;
pub mod transfer;
pub mod unix_socket;
pub mod webhooks;
pub mod writer;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::{AppCredentials, Limits};
use hub::Hub;
use metrics::Metrics;
use store::schema::Migrations;
use store::{PgStore, SqliteStore, Store, StoreError};

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "kanban.db";

/// Where the store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// The SQLite file of a data directory: one server on one host (the default).
    Sqlite(PathBuf),
    /// A PostgreSQL database that several servers share (`postgres://...`).
    Postgres(String),
}

impl Database {
    /// Where the store is, for the log: never a password (the URL's user part and
    /// its query are left out).
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(dir) => format!("sqlite:{}", dir.display()),
            Database::Postgres(url) => {
                let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
                let place = rest.split('?').next().unwrap_or(rest);
                format!("postgres:{}", place.rsplit('@').next().unwrap_or(place))
            }
        }
    }

    /// `--database URL` when given, else the data directory's SQLite file. Only
    /// PostgreSQL URLs are taken.
    pub fn choose(url: Option<&str>, data_dir: &Path) -> Result<Database, OpenError> {
        match url {
            None => Ok(Database::Sqlite(data_dir.to_owned())),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Database::Postgres(u.to_string()))
            }
            // Nothing of it is said back: a key=value string or a mistyped URL may
            // hold a password anywhere.
            Some(u) => Err(OpenError::Url(u.split("://").next().filter(|s| s.len() < u.len()).map_or_else(
                || "a string that is not a URL".to_string(),
                |scheme| format!("a {scheme}:// URL"),
            ))),
        }
    }
}

/// Opens a store for admin commands: no lock is taken, so they work beside running
/// servers. An empty database gets its schema; an older one is left alone and
/// refused (a server starting, or `migrate-schema`, upgrades it).
pub async fn open_database(db: &Database) -> Result<Arc<dyn Store>, OpenError> {
    open_database_with(db, Migrations::CreateOnly).await
}

/// Like [`open_database`], doing to the schema what `migrations` allows.
pub async fn open_database_with(db: &Database, migrations: Migrations) -> Result<Arc<dyn Store>, OpenError> {
    Ok(match db {
        Database::Sqlite(dir) => Arc::new(open_store_with(dir, migrations).await?),
        Database::Postgres(url) => Arc::new(PgStore::open_with(url, migrations).await?),
    })
}

/// The schema version this binary knows for the store `db` names.
pub fn schema_version(db: &Database) -> i64 {
    match db {
        Database::Sqlite(_) => SqliteStore::SCHEMA,
        Database::Postgres(_) => PgStore::SCHEMA.into(),
    }
}

/// App credentials given on the command line or in the environment; each one given
/// replaces the stored one.
#[derive(Debug, Clone, Default)]
pub struct AppOverrides {
    pub id: Option<String>,
    pub key: Option<String>,
    pub secret: Option<String>,
}

/// The platform's data directory for kanban (e.g. `~/.local/share/kanban`).
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "kanban").map(|d| d.data_dir().to_path_buf())
}

/// Raises this process's soft limit of open files to its hard limit: every
/// connection is a file descriptor, and the usual soft default (1024) is far below
/// what a server is allowed. Returns the limit now in force.
pub fn raise_open_file_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// Why a data directory cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the data directory {}: {source}", dir.display())]
    DataDir { dir: PathBuf, source: std::io::Error },
    /// Another server holds the directory (or its lock cannot be taken).
    #[error(transparent)]
    Lock(#[from] data_dir::LockError),
    #[error("cannot make {} private: {source}", path.display())]
    Protect { path: PathBuf, source: std::io::Error },
    #[error("the database: {0}")]
    Store(#[from] StoreError),
    #[error("--broker joins nodes that share a PostgreSQL database: give --database postgres://... too")]
    BrokerNeedsPostgres,
    #[error(transparent)]
    Broker(#[from] cluster::link::LinkError),
    /// A `--database` that is not a PostgreSQL URL (only what kind it is is said:
    /// the rest may hold a password).
    #[error("--database takes a postgres:// URL, not {0}")]
    Url(String),
}

/// Opens the store in `data_dir`, creating the directory (owner-only) if needed,
/// and keeps the database files owner-only. Takes no lock: admin commands use this
/// beside a running server.
pub async fn open_store(data_dir: &Path) -> Result<SqliteStore, OpenError> {
    open_store_with(data_dir, Migrations::Apply).await
}

/// Like [`open_store`], doing to the schema what `migrations` allows.
pub async fn open_store_with(data_dir: &Path, migrations: Migrations) -> Result<SqliteStore, OpenError> {
    create_data_dir(data_dir)?;
    let db = data_dir.join(DATABASE_FILE);
    data_dir::protect_database(&db).map_err(|source| OpenError::Protect { path: db.clone(), source })?;
    Ok(SqliteStore::open_with(&db, migrations).await?)
}

fn create_data_dir(dir: &Path) -> Result<(), OpenError> {
    data_dir::create_private_dir(dir).map_err(|source| OpenError::DataDir { dir: dir.to_owned(), source })
}

/// The app credentials in force: the stored ones (made on first use), with any
/// given ones in their place.
pub async fn resolve_app(store: &dyn Store, overrides: &AppOverrides) -> Result<AppCredentials, StoreError> {
    let generated = AppCredentials {
        id: rand::random_range(100_000..1_000_000u32).to_string(),
        key: hex::encode(rand::random::<[u8; 10]>()),
        secret: hex::encode(rand::random::<[u8; 16]>()),
    };
    let stored = store.app_credentials(generated).await?;
    Ok(AppCredentials {
        id: overrides.id.clone().unwrap_or(stored.id),
        key: overrides.key.clone().unwrap_or(stored.key),
        secret: overrides.secret.clone().unwrap_or(stored.secret),
    })
}

/// A server ready to serve: its store and hub, and the lock of its data directory.
#[derive(Clone)]
pub struct Server {
    state: state::Core,
    /// Held from opening until serving ends (see [`data_dir`]).
    lock: Arc<std::sync::Mutex<Option<data_dir::DirLock>>>,
    /// This node of a cluster, with a broker.
    node: Option<Arc<cluster::ClusterAdapter>>,
    /// Where `/metrics` is served instead of the main port (`--metrics-listen`).
    metrics_listener: Arc<std::sync::Mutex<Option<TcpListener>>>,
}

impl Server {
    /// Opens the data directory and sets up the hub. Refused (with
    /// [`data_dir::LockError::Busy`]) while another server holds the directory.
    pub async fn open(data_dir: &Path, overrides: &AppOverrides, limits: Limits) -> Result<Self, OpenError> {
        Self::open_database(&Database::Sqlite(data_dir.to_owned()), overrides, limits).await
    }

    /// Opens the store where `db` says and sets up the hub. A data directory is
    /// locked for this server alone; a PostgreSQL database is shared by design.
    pub async fn open_database(
        db: &Database,
        overrides: &AppOverrides,
        limits: Limits,
    ) -> Result<Self, OpenError> {
        Self::open_node(db, None, overrides, limits).await
    }

    /// Like [`Server::open_database`], as a node of the cluster that shares the
    /// `broker` (Redis or NATS) and the PostgreSQL database.
    pub async fn open_node(
        db: &Database,
        broker: Option<&cluster::link::Broker>,
        overrides: &AppOverrides,
        limits: Limits,
    ) -> Result<Self, OpenError> {
        if let Some(broker) = broker {
            cluster::link::check(&broker.url)?;
        }
        if broker.is_some() && !matches!(db, Database::Postgres(_)) {
            return Err(OpenError::BrokerNeedsPostgres);
        }
        let (store, lock): (Arc<dyn Store>, _) = match db {
            Database::Sqlite(dir) => {
                let (store, lock) = Self::open_data_dir(dir, &limits).await?;
                (Arc::new(store), Some(lock))
            }
            Database::Postgres(url) => {
                (Arc::new(PgStore::open(url).await?.with_event_retention(limits.event_retention)), None)
            }
        };
        let app = resolve_app(store.as_ref(), overrides).await?;
        let site = store.site();
        let (adapter, node): (Arc<dyn hub::Adapter>, _) = match broker {
            Some(broker) => {
                // The nodes of one database share a subject: one app, one cluster. A
                // copy of the database has a cluster id of its own, so it cannot
                // join the cluster it was copied from.
                let subject = format!("kanban.{}.{}", app.id, site.cluster_name());
                let link = cluster::link::open(broker, &subject)?;
                let node = cluster::ClusterAdapter::new(
                    site.cluster,
                    limits.max_presence_members,
                    link.out,
                    link.up,
                );
                tracing::info!(
                    node = %node.name(),
                    cluster = %site.cluster_name(),
                    "a node of the cluster that shares the broker and this database"
                );
                tokio::spawn(node.clone().run(link.inbound, store.clone()));
                (node.clone(), Some(node))
            }
            None => (Arc::new(hub::LocalAdapter::new(limits.max_presence_members)), None),
        };
        let gate = Arc::new(access::StoreGate(store.clone()));
        let hub = Hub::with_adapter(app, limits, Arc::new(Metrics::default()), adapter, Some(gate));
        let writer = writer::Writer::spawn(store.clone(), hub.clone());
        let lock = Arc::new(std::sync::Mutex::new(lock));
        Ok(Self {
            state: state::Core { store, hub, writer, oidc: None, encryption: None },
            lock,
            node,
            metrics_listener: Arc::default(),
        })
    }

    async fn open_data_dir(
        data_dir: &Path,
        limits: &Limits,
    ) -> Result<(SqliteStore, data_dir::DirLock), OpenError> {
        create_data_dir(data_dir)?;
        let lock = data_dir::DirLock::acquire(data_dir)?;
        if data_dir::open_to_others(data_dir) {
            tracing::warn!(
                data_dir = %data_dir.display(),
                "the data directory is open to other accounts: it holds the app secret (chmod 700 it)"
            );
        }
        let store = open_store(data_dir).await?.with_event_retention(limits.event_retention);
        Ok((store, lock))
    }

    /// Gives members of a project the secret of its encrypted channel
    /// (`private-encrypted-project-<id>`), derived from `key`.
    pub fn with_encryption(mut self, key: encryption::MasterKey) -> Self {
        self.state.encryption = Some(Arc::new(key));
        self
    }

    /// Signs people in through the site's OpenID Connect provider as well.
    pub fn with_oidc(mut self, oidc: oidc::Oidc) -> Self {
        self.state.oidc = Some(Arc::new(oidc));
        self
    }

    pub fn hub(&self) -> &Hub {
        &self.state.hub
    }

    /// Serves `/metrics` on `listener` alone (plain HTTP), and not on the main port.
    pub fn serve_metrics_on(&self, listener: TcpListener) {
        *self.metrics_listener.lock().unwrap_or_else(|e| e.into_inner()) = Some(listener);
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.state.store
    }

    /// Serves on `listener` until `shutdown` resolves, then closes every WebSocket
    /// with 4200 (so clients reconnect) and lets requests in flight finish. With a
    /// TLS configuration, serves HTTPS and WSS.
    pub async fn serve(
        self,
        listener: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if let Ok(addr) = listener.local_addr() {
            self.announce(addr, tls.is_some());
        }
        self.serve_all(listener, tls, None, shutdown).await
    }

    /// Like [`Server::serve`], on a Unix socket as well when one is given: people
    /// on the host connect there as their own accounts, without a token.
    pub async fn serve_all(
        self,
        listener: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        unix: Option<unix_socket::UnixAccept>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let lock = self.lock.clone();
        let limits = self.state.hub.limits();
        let proxies =
            limits.proxy_protocol.then(|| api::access_log::Proxies::new(limits.trusted_proxies.clone()));
        let served = match tls {
            Some(config) => self.serve_on(tls::listener(listener, config, proxies)?, unix, shutdown).await,
            None => match proxies {
                Some(proxies) => self.serve_on(serve::proxied(listener, proxies)?, unix, shutdown).await,
                None => self.serve_on(serve::TcpAccept::new(listener), unix, shutdown).await,
            },
        };
        // A stopped server no longer holds its directory: another may serve it.
        lock.lock().unwrap_or_else(|e| e.into_inner()).take();
        served
    }

    /// Writes into the data directory's lock where this server is reached from this
    /// host, for whoever finds the directory taken. [`Server::serve`] does it too;
    /// a binary that logs its address first calls it before, so that whoever reads
    /// the log finds the lock saying the same.
    pub fn announce(&self, mut addr: SocketAddr, tls: bool) {
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                [127, 0, 0, 1].into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let url = format!("{}://{addr}", if tls { "https" } else { "http" });
        if let Some(lock) = self.lock.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && let Err(e) = lock.announce(&url)
        {
            tracing::warn!(error = %e, "cannot record the address in the data directory's lock");
        }
    }

    async fn serve_on<L: axum::serve::Listener<Addr: Clone + Send + Sync + 'static>>(
        self,
        listener: L,
        unix: Option<unix_socket::UnixAccept>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let hub = self.state.hub.clone();
        let node = self.node.clone();
        let watcher = access::watch(self.state.store.clone(), hub.clone(), access::CHECK_EVERY);
        let purger = purge_trash(self.state.store.clone(), hub.limits().trash_days);
        let reminder = tokio::spawn(inbox::remind(self.state.clone()));
        let deliveries = webhooks::spawn(
            self.state.store.clone(),
            hub.metrics().clone(),
            hub.limits(),
            self.state.writer.committed(),
        );
        let renewals = self.state.oidc.clone().map(|oidc| {
            tokio::spawn(oidc::refresh::run(self.state.store.clone(), oidc, hub.metrics().clone()))
        });
        let header_timeout = hub.limits().header_timeout;
        let metrics_listener = self.metrics_listener.lock().unwrap_or_else(|e| e.into_inner()).take();
        let metrics = metrics_listener.map(|listener| {
            let (app, mut stopping) = (api::metrics_router(self.state.clone()), hub.shutdown_signal());
            tokio::spawn(serve::serve(serve::TcpAccept::new(listener), app, header_timeout, async move {
                let _ = stopping.wait_for(|s| *s).await;
            }))
        });
        let app = api::router(self.state, metrics.is_none());
        let signal_hub = hub.clone();
        // One shutdown for both sockets.
        let (stop, mut stopping) = tokio::sync::watch::channel(false);
        let on_unix = unix.map(|unix| {
            let stopped = async move {
                let _ = stopping.wait_for(|s| *s).await;
            };
            tokio::spawn(serve::serve(unix, app.clone(), header_timeout, stopped))
        });
        serve::serve(listener, app, header_timeout, async move {
            shutdown.await;
            stop.send_replace(true);
            signal_hub.shutdown();
        })
        .await;
        if let Some(on_unix) = on_unix {
            let _ = on_unix.await;
        }
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        watcher.abort();
        purger.abort();
        reminder.abort();
        deliveries.abort();
        if let Some(renewals) = renewals {
            renewals.abort();
        }
        if let Some(node) = &node {
            node.leave();
        }
        // Upgraded sockets are not tracked by the HTTP server: wait for them here.
        let _ = tokio::time::timeout(Duration::from_secs(10), hub.closed()).await;
        Ok(())
    }

    /// Serves the board over SSH on `ssh` beside the other listeners, until the
    /// server shuts down (its sessions end then, each told why).
    #[cfg(feature = "ssh")]
    pub fn spawn_ssh(&self, ssh: ssh::SshListener) -> JoinHandle<()> {
        let mut stopping = self.state.hub.shutdown_signal();
        let stopped = async move {
            let _ = stopping.wait_for(|s| *s).await;
        };
        tokio::spawn(ssh::serve(ssh.listener, self.state.clone(), ssh.options, ssh.host_key, stopped))
    }

    /// Binds `addr` and serves in a background task; for tests and embedding.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<RunningServer> {
        self.spawn_with(addr, None).await
    }

    /// Like [`Server::spawn`], with TLS when a configuration is given.
    pub async fn spawn_with(
        self,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<RunningServer> {
        self.spawn_all(addr, tls, None).await
    }

    /// Like [`Server::spawn_with`], on a Unix socket as well when one is given.
    pub async fn spawn_all(
        self,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
        unix: Option<&unix_socket::SocketOptions>,
    ) -> std::io::Result<RunningServer> {
        let unix = unix.map(unix_socket::bind).transpose()?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(self.serve_all(listener, tls, unix, async {
            let _ = rx.await;
        }));
        Ok(RunningServer { addr, stop: Some(tx), task })
    }
}

/// Resolves on SIGINT or SIGTERM: what a serving process stops on.
///
/// The handlers are installed when this is called, not when the future is first
/// polled: a service manager's SIGTERM that comes the moment after the listening
/// line is a stop (drained, the store closed), never the default kill. Call it
/// before announcing that the server listens.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async fn received(signal: Option<Signal>) {
            match signal {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        async move {
            tokio::select! {
                () = received(term) => {},
                () = received(interrupt) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Empties the trash of what is older than `days`, and drops what imports that
/// died left behind, at start and then hourly.
fn purge_trash(store: Arc<dyn Store>, days: u32) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(Duration::from_secs(3600));
        loop {
            hourly.tick().await;
            match store.purge_trash(days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, days, "the trash emptied of what was older"),
                Err(e) => tracing::warn!(error = %e, "cannot empty the trash"),
            }
            let stale = store.stale_imports(transfer::STALE_SECS).await;
            for project_id in stale.unwrap_or_default() {
                tracing::warn!(project_id, "dropping what an import that died left behind");
                if let Err(e) = store.drop_import(project_id).await {
                    tracing::warn!(error = %e, "cannot drop what an import left behind");
                }
            }
        }
    })
}

/// A server serving in the background.
pub struct RunningServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Shuts down gracefully and waits until it has.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}
