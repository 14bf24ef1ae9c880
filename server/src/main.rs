//! The `kanban-server` command: serve, or administer users, projects and the app.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use kanban_protocol::model::Role;
use kanban_server::logging::LogFormat;
use kanban_server::ssh::SshOptions;
use kanban_server::store::schema::Migrations;
use kanban_server::unix_socket::{self, UnixUsers};
use kanban_server::webhooks::admin as webhooks;
use kanban_server::{AppOverrides, Database, Limits, Server, admin};

#[derive(Parser)]
#[command(
    name = "kanban-server",
    version,
    about = "A shared kanban board server (Pusher Channels protocol v7)"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "KANBAN_LISTEN", default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// Where the database lives [default: the platform's data directory].
    #[arg(long, env = "KANBAN_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// A PostgreSQL database shared by several servers, as
    /// postgres://USER[:PASSWORD]@HOST:PORT/DB [default: the SQLite file in the data
    /// directory].
    #[arg(long, env = "KANBAN_DATABASE_URL", global = true, hide_env_values = true)]
    database: Option<String>,
    /// The broker that joins this node to the others sharing the database, as
    /// redis://[USER:PASSWORD@]HOST:PORT (rediss:// for TLS) or
    /// nats://[USER:PASSWORD@|TOKEN@]HOST:PORT (tls:// for TLS) [default: this
    /// process alone].
    #[arg(long, env = "KANBAN_BROKER_URL", hide_env_values = true)]
    broker: Option<String>,
    /// PEM certificates of the CA that signed the broker's TLS certificate, when
    /// the system's roots do not hold it.
    #[arg(long, env = "KANBAN_BROKER_CA", value_name = "FILE")]
    broker_ca: Option<PathBuf>,
    #[command(flatten)]
    app: AppArgs,
    /// A PEM certificate chain: serve HTTPS and WSS (with --tls-key).
    #[arg(long, env = "KANBAN_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "KANBAN_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    #[command(flatten)]
    unix: UnixArgs,
    #[command(flatten)]
    ssh: SshArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    oidc: OidcArgs,
    /// Serve /metrics here alone (plain HTTP, e.g. on a private network) instead of
    /// on --listen, where it then answers 404.
    #[arg(long, env = "KANBAN_METRICS_LISTEN", value_name = "ADDR:PORT")]
    metrics_listen: Option<SocketAddr>,
    /// Seconds between SIGTERM and the stop: /readyz answers 503 at once while the
    /// server goes on serving, so that a load balancer sends new clients elsewhere
    /// before the WebSockets are told to reconnect (a second signal stops at once).
    #[arg(long, env = "KANBAN_DRAIN_SECONDS", default_value_t = 5)]
    drain_seconds: u64,
    /// A TOML file of these flags, one key per flag named as its long name
    /// (`max-connections = 5000`): the defaults under KANBAN_* and the command line.
    #[arg(long, env = "KANBAN_CONFIG", value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Log lines on stderr: text, or json (one object per line). RUST_LOG sets what
    /// is logged [default: info; warn for commands]; the access log's target is
    /// kanban_server::access.
    #[arg(long, env = "KANBAN_LOG_FORMAT", value_enum, default_value_t, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct AppArgs {
    /// Pusher app id [default: generated on first start and kept].
    #[arg(long, env = "KANBAN_APP_ID", global = true)]
    app_id: Option<String>,
    /// Pusher app key [default: generated on first start and kept].
    #[arg(long, env = "KANBAN_APP_KEY", global = true)]
    app_key: Option<String>,
    /// Pusher app secret [default: generated on first start and kept].
    #[arg(long, env = "KANBAN_APP_SECRET", global = true, hide_env_values = true)]
    app_secret: Option<String>,
    /// The key (32 bytes, base64: `openssl rand -base64 32`) encrypted channels'
    /// secrets derive from, as the Pusher SDKs' encryptionMasterKeyBase64: with
    /// it, a project's members are given the secret of
    /// private-encrypted-project-<id>. From the environment or
    /// KANBAN_ENCRYPTION_MASTER_KEY_FILE, never the command line.
    #[arg(long, env = "KANBAN_ENCRYPTION_MASTER_KEY", hide_env_values = true)]
    encryption_master_key: Option<String>,
}

impl AppArgs {
    fn encryption(&self) -> anyhow::Result<Option<kanban_server::encryption::MasterKey>> {
        self.encryption_master_key.as_deref().map(str::parse).transpose().map_err(anyhow::Error::msg)
    }
}

#[derive(Args)]
struct UnixArgs {
    /// Also listen on a Unix socket, where people on this host are their own
    /// accounts, with no token [PATH when the flag is given alone:
    /// /run/kanban/kanban.sock].
    #[arg(long, env = "KANBAN_UNIX_SOCKET", value_name = "PATH", num_args = 0..=1,
          default_missing_value = unix_socket::DEFAULT_PATH)]
    unix_socket: Option<PathBuf>,
    /// Who an account on the Unix socket may be: existing (only login names that
    /// are users) or auto (a new name becomes a user, member of no project).
    #[arg(long, env = "KANBAN_UNIX_USERS", value_enum, default_value = "existing")]
    unix_users: UnixUsers,
    /// The socket file's mode, in octal: who may connect (who is let in is
    /// --unix-users).
    #[arg(long, env = "KANBAN_UNIX_SOCKET_MODE", value_parser = unix_socket::parse_mode, default_value = "0666")]
    unix_socket_mode: u32,
    /// The group that owns the socket file (with --unix-socket-mode 0660, its
    /// members alone may connect).
    #[arg(long, env = "KANBAN_UNIX_SOCKET_GROUP", value_name = "GROUP")]
    unix_socket_group: Option<String>,
}

impl UnixArgs {
    fn options(&self) -> Option<unix_socket::SocketOptions> {
        let path = self.unix_socket.clone()?;
        Some(unix_socket::SocketOptions {
            path,
            mode: self.unix_socket_mode,
            group: self.unix_socket_group.clone(),
            policy: self.unix_users,
        })
    }
}

#[derive(Args)]
struct SshArgs {
    /// Also serve the board over SSH here (`ssh -t -p PORT HOST [PROJECT]`), to the
    /// people whose keys `user key add` gave; off unless given.
    #[arg(long, env = "KANBAN_SSH_LISTEN", value_name = "ADDR:PORT")]
    ssh_listen: Option<SocketAddr>,
    /// The SSH host key (OpenSSH's private key format; made there if missing)
    /// [default: ssh_host_ed25519_key in the data directory]. The nodes of a
    /// cluster give the same one, so that people behind a balancer see one host.
    #[arg(long, env = "KANBAN_SSH_HOST_KEY", value_name = "FILE")]
    ssh_host_key: Option<PathBuf>,
    /// Most signed-in SSH connections at once.
    #[arg(long, env = "KANBAN_SSH_MAX_SESSIONS", default_value_t = SshOptions::default().max_sessions)]
    ssh_max_sessions: usize,
    /// Seconds an SSH connection has to sign in with a key before it is closed.
    #[arg(long, env = "KANBAN_SSH_LOGIN_GRACE_TIME", default_value_t = SshOptions::default().login_grace.as_secs())]
    ssh_login_grace_time: u64,
    /// Most SSH connections signing in at once; past it a new one is closed at once.
    #[arg(long, env = "KANBAN_SSH_MAX_STARTUPS", default_value_t = SshOptions::default().max_startups)]
    ssh_max_startups: usize,
    /// Most SSH connections signing in at once from one address (an IPv6 /64).
    #[arg(long, env = "KANBAN_SSH_PER_SOURCE_MAX_STARTUPS",
          default_value_t = SshOptions::default().per_source_max_startups)]
    ssh_per_source_max_startups: usize,
    /// Authentication attempts (keys offered) per SSH connection.
    #[arg(long, env = "KANBAN_SSH_MAX_AUTH_ATTEMPTS", default_value_t = SshOptions::default().max_auth_attempts)]
    ssh_max_auth_attempts: usize,
    /// Seconds without a key pressed before an SSH session ends.
    #[arg(long, env = "KANBAN_SSH_IDLE_TIMEOUT", default_value_t = SshOptions::default().idle_timeout.as_secs())]
    ssh_idle_timeout: u64,
    /// OpenSSH CA public keys, one a line (as sshd's TrustedUserCAKeys): a user
    /// certificate one of them signed, valid now, whose principal names a user,
    /// signs that user in without a key of theirs added.
    #[arg(long, env = "KANBAN_SSH_TRUSTED_USER_CA", value_name = "FILE")]
    ssh_trusted_user_ca: Option<PathBuf>,
    /// Who a certificate's principal may be: existing (only names that are users)
    /// or auto (a new name becomes a user, member of no project).
    #[arg(long, env = "KANBAN_SSH_PRINCIPALS", value_enum, default_value = "existing")]
    ssh_principals: kanban_server::ssh::certificates::Principals,
    /// Revoked certificates and keys: an OpenSSH KRL (as `ssh-keygen -k` writes
    /// it and sshd's RevokedKeys reads it), or else a list, one a line, of
    /// serials (1234, or 100-199) and key fingerprints (SHA256:...); read again
    /// at each sign-in by certificate.
    #[arg(long, env = "KANBAN_SSH_REVOKED_KEYS", value_name = "FILE", requires = "ssh_trusted_user_ca")]
    ssh_revoked_keys: Option<PathBuf>,
}

impl SshArgs {
    fn options(&self) -> anyhow::Result<SshOptions> {
        let certificates = match &self.ssh_trusted_user_ca {
            Some(path) => Some(std::sync::Arc::new(
                kanban_server::ssh::certificates::load(
                    path,
                    self.ssh_principals,
                    self.ssh_revoked_keys.clone(),
                )
                .map_err(|e| anyhow::anyhow!("--ssh-trusted-user-ca: {e}"))?,
            )),
            None => None,
        };
        Ok(SshOptions {
            max_sessions: self.ssh_max_sessions.max(1),
            login_grace: Duration::from_secs(self.ssh_login_grace_time.max(1)),
            max_startups: self.ssh_max_startups.max(1),
            per_source_max_startups: self.ssh_per_source_max_startups.max(1),
            max_auth_attempts: self.ssh_max_auth_attempts.max(1),
            idle_timeout: Duration::from_secs(self.ssh_idle_timeout.max(1)),
            certificates,
            ..SshOptions::default()
        })
    }
}

#[derive(Args)]
struct OidcArgs {
    /// Sign people in through this OpenID Connect provider (its issuer URL, as
    /// its discovery document names it): `kanban-tui login` runs its device flow.
    #[arg(long, env = "KANBAN_OIDC_ISSUER", value_name = "URL", requires = "oidc_client_id")]
    oidc_issuer: Option<String>,
    /// This server's client id at the provider.
    #[arg(long, env = "KANBAN_OIDC_CLIENT_ID", value_name = "ID", requires = "oidc_issuer")]
    oidc_client_id: Option<String>,
    /// A file holding the client's secret (none: a public client).
    #[arg(long, env = "KANBAN_OIDC_CLIENT_SECRET_FILE", value_name = "FILE")]
    oidc_client_secret_file: Option<PathBuf>,
    /// The ID token's claim that is the user's name here.
    #[arg(long, env = "KANBAN_OIDC_USERNAME_CLAIM", default_value = "preferred_username")]
    oidc_username_claim: String,
    /// Who a name the provider vouches for may be: existing (only names that are
    /// users) or auto (a new name becomes a user).
    #[arg(long, env = "KANBAN_OIDC_USERS", value_enum, default_value = "existing")]
    oidc_users: kanban_server::oidc::OidcUsers,
    /// GROUP=PROJECT:ROLE: the provider's group GROUP gives ROLE on PROJECT, set
    /// at each sign-in and taken away once the person has left the group
    /// (repeatable).
    #[arg(long, env = "KANBAN_OIDC_GROUP_ROLE", value_name = "GROUP=PROJECT:ROLE", value_delimiter = ',')]
    oidc_group_role: Vec<kanban_server::oidc::GroupRole>,
    /// The scopes asked for, space separated.
    #[arg(long, env = "KANBAN_OIDC_SCOPES", default_value = "openid profile email groups offline_access")]
    oidc_scopes: String,
    /// How many days a token issued through the provider lasts past the
    /// provider's last yes: the server asks it again (with its refresh token)
    /// as often as its access tokens expire, and each yes renews the token.
    /// Fractions are taken (0.5 is twelve hours).
    #[arg(long, env = "KANBAN_OIDC_SESSION_DAYS", default_value_t = 30.0, value_parser = session_days)]
    oidc_session_days: f64,
}

/// A number of days, more than none and at most ten years.
fn session_days(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(days) if days > 0.0 && days <= 3650.0 => Ok(days),
        _ => Err(format!("{text:?} is not a number of days between 0 and 3650 (e.g. 30, or 0.5)")),
    }
}

impl OidcArgs {
    fn options(&self) -> anyhow::Result<Option<kanban_server::oidc::OidcOptions>> {
        let (Some(issuer), Some(client_id)) = (&self.oidc_issuer, &self.oidc_client_id) else {
            return Ok(None);
        };
        let client_secret = match &self.oidc_client_secret_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("--oidc-client-secret-file {}", path.display()))?
                    .trim()
                    .to_string(),
            ),
            None => None,
        };
        Ok(Some(kanban_server::oidc::OidcOptions {
            issuer: issuer.clone(),
            client_id: client_id.clone(),
            client_secret,
            username_claim: self.oidc_username_claim.clone(),
            users: self.oidc_users,
            group_roles: self.oidc_group_role.clone(),
            scopes: self.oidc_scopes.split_whitespace().map(str::to_string).collect(),
            session: std::time::Duration::from_secs_f64(self.oidc_session_days * 86_400.0),
        }))
    }
}

#[derive(Args)]
struct LimitArgs {
    /// Most connections at once: WebSockets and SSH sessions together.
    #[arg(long, env = "KANBAN_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Most channels one connection may subscribe to.
    #[arg(long, env = "KANBAN_MAX_SUBSCRIPTIONS", default_value_t = Limits::default().max_subscriptions_per_connection)]
    max_subscriptions: usize,
    /// Most distinct users in one presence channel.
    #[arg(long, env = "KANBAN_MAX_PRESENCE_MEMBERS", default_value_t = Limits::default().max_presence_members)]
    max_presence_members: usize,
    /// Largest WebSocket message, in bytes.
    #[arg(long, env = "KANBAN_MAX_FRAME_BYTES", default_value_t = Limits::default().max_frame_bytes)]
    max_frame_bytes: usize,
    /// Largest event data (client events and the HTTP API), in bytes.
    #[arg(long, env = "KANBAN_MAX_EVENT_BYTES", default_value_t = Limits::default().max_event_bytes)]
    max_event_bytes: usize,
    /// Largest HTTP request body, in bytes.
    #[arg(long, env = "KANBAN_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Client events per second per connection (over it: error 4301).
    #[arg(long, env = "KANBAN_CLIENT_EVENT_RATE", default_value_t = Limits::default().client_events_per_second)]
    client_event_rate: u32,
    /// Frames queued per connection before it counts as a slow consumer.
    #[arg(long, env = "KANBAN_OUTBOUND_QUEUE", default_value_t = Limits::default().outbound_queue)]
    outbound_queue: usize,
    /// Seconds of client silence before the server pings.
    #[arg(long, env = "KANBAN_ACTIVITY_TIMEOUT", default_value_t = Limits::default().activity_timeout.as_secs())]
    activity_timeout: u64,
    /// Days a deleted card or column stays in its project's trash.
    #[arg(long, env = "KANBAN_TRASH_DAYS", default_value_t = Limits::default().trash_days)]
    trash_days: u32,
    /// Only the site's administrators make boards (`kanban-server project add`):
    /// `POST /api/projects` is refused.
    #[arg(long, env = "KANBAN_ADMINS_MAKE_BOARDS")]
    admins_make_boards: bool,
    /// Board changes per second one person may make, sustained (five seconds'
    /// worth at once); over it: 429 with Retry-After. 0: no limit.
    #[arg(long, env = "KANBAN_MAX_WRITES_PER_USER", default_value_t = Limits::default().max_writes_per_user)]
    max_writes_per_user: u32,
    /// Seconds an HTTP connection has to send a request head (also how long an idle
    /// keep-alive connection stays open).
    #[arg(long, env = "KANBAN_HEADER_TIMEOUT", default_value_t = Limits::default().header_timeout.as_secs())]
    header_timeout: u64,
    /// A load balancer's network (CIDR, repeatable): its X-Forwarded-For says who
    /// a request is from, in the access log.
    #[arg(
        long = "trusted-proxy",
        env = "KANBAN_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Every connection on --listen begins with a PROXY protocol header (v1 or
    /// v2) from a --trusted-proxy network: a TCP load balancer's `send-proxy`,
    /// naming the client. Others are closed.
    #[arg(long, env = "KANBAN_PROXY_PROTOCOL", requires = "trusted_proxies")]
    proxy_protocol: bool,
    /// Seconds of the longest wait between two tries of a webhook delivery (the
    /// waits double from one second, with jitter).
    #[arg(long, env = "KANBAN_WEBHOOK_MAX_BACKOFF", value_name = "SECS",
          default_value_t = Limits::default().webhook_max_backoff.as_secs())]
    webhook_max_backoff: u64,
    /// Seconds after its change that a webhook delivery is given up (marked
    /// failed) if it has not gone through.
    #[arg(long, env = "KANBAN_WEBHOOK_GIVE_UP_AFTER", value_name = "SECS",
          default_value_t = Limits::default().webhook_give_up.as_secs())]
    webhook_give_up_after: u64,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_connections: self.max_connections,
            max_subscriptions_per_connection: self.max_subscriptions,
            max_presence_members: self.max_presence_members,
            max_frame_bytes: self.max_frame_bytes,
            max_event_bytes: self.max_event_bytes,
            max_body_bytes: self.max_body_bytes,
            client_events_per_second: self.client_event_rate,
            outbound_queue: self.outbound_queue,
            activity_timeout: Duration::from_secs(self.activity_timeout.max(1)),
            header_timeout: Duration::from_secs(self.header_timeout.max(1)),
            trash_days: self.trash_days,
            admins_make_boards: self.admins_make_boards,
            max_writes_per_user: self.max_writes_per_user,
            trusted_proxies: self.trusted_proxies.clone(),
            proxy_protocol: self.proxy_protocol,
            webhook_max_backoff: Duration::from_secs(self.webhook_max_backoff.max(1)),
            webhook_give_up: Duration::from_secs(self.webhook_give_up_after.max(1)),
            ..Limits::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Manage users and their tokens.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage projects (boards) and their members.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Print the app id, key and secret.
    App,
    /// Write a consistent copy of the database to FILE, readable by its owner
    /// alone (safe while serving). SQLite: a database file; PostgreSQL: pg_dump's
    /// SQL of the site's schema (pg_dump must be installed). The copy is marked:
    /// restored, it becomes a cluster of its own with a new epoch.
    Backup { file: PathBuf },
    /// Put a backup's copy in place of the data directory's database (SQLite; the
    /// server stopped). PostgreSQL's copies are restored with psql (README:
    /// Backups and restores).
    Restore { file: PathBuf },
    /// Check the settings (--config, KANBAN_*, flags): print each with where it
    /// came from, secrets hidden, and whether the TLS files and URLs can be used.
    CheckConfig,
    /// Upgrade the database's schema to this release's, without serving (a server
    /// does it when it starts).
    MigrateSchema,
    /// The database's identity: the cluster its servers form, and its epoch.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Manage the webhooks that board changes are POSTed to, signed.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Copy a site's SQLite data (users and their token hashes, projects, members,
    /// boards, the event log, the app credentials) into the empty PostgreSQL database
    /// of --database.
    Migrate {
        /// The data directory whose kanban.db is copied.
        #[arg(long = "from", value_name = "DATA_DIR")]
        from: PathBuf,
    },
    /// Print a completion script for SHELL to stdout.
    Completions { shell: clap_complete::Shell },
    /// Print the man page kanban-server(1) to stdout, or write one page per command
    /// and subcommand into a directory.
    Man {
        /// Write kanban-server.1, kanban-server-user.1, ... into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Add a hook: each committed change of the board (or of every board) is
    /// POSTed to URL as JSON, signed with the secret printed here, once.
    #[command(group = clap::ArgGroup::new("scope").required(true))]
    Add {
        url: String,
        /// The board whose changes are sent (id or name).
        #[arg(long, group = "scope")]
        project: Option<String>,
        /// Every board's changes, those of boards made later too.
        #[arg(long, group = "scope")]
        all: bool,
        /// The events sent, comma separated (task-created,task-moved,...) [default:
        /// every event].
        #[arg(long, value_name = "LIST")]
        events: Option<String>,
    },
    /// List the hooks: how many changes wait, how many were given up, the last
    /// delivery.
    List,
    /// What became of a hook's latest deliveries, newest first.
    Deliveries {
        id: i64,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Remove a hook; what it has not been sent is not sent.
    Remove { id: i64 },
    /// Send a hook a `ping` now, signed as every delivery, and say what it answered.
    Test { id: i64 },
}

#[derive(Subcommand)]
enum ClusterCommand {
    /// Print the cluster id, the epoch and the schema version.
    Show,
    /// Give the database a new cluster id and epoch: after restoring it by other
    /// means than `backup`'s copy, so that it never joins the cluster it was copied
    /// from and clients fetch their boards afresh. Run with its servers stopped.
    NewId,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; prints its token alone.
    Add {
        name: String,
        /// `#rrggbb` or a palette name [default: picked from the name].
        #[arg(long)]
        color: Option<String>,
    },
    /// List users.
    List,
    /// Remove a user with its tokens and memberships.
    Remove { name: String },
    /// Issue a new token for a user; prints it alone.
    Token { name: String },
    /// End every sign-in of a user: tokens (with the provider's sessions), SSH
    /// keys, and every open session, by certificate too (issue a new token with
    /// `token`).
    Revoke { name: String },
    /// Manage the SSH keys a user signs in with (`--ssh-listen`).
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Add a public key (an Ed25519 or ECDSA .pub line, on stdin or with --key);
    /// prints its fingerprint.
    Add {
        name: String,
        /// The key itself, as "ssh-ed25519 AAAA... comment", or the path of its .pub
        /// file [default: read stdin].
        #[arg(long)]
        key: Option<String>,
    },
    /// List a user's keys: fingerprint, added, key, comment.
    List { name: String },
    /// Remove a key by its fingerprint (SHA256:...); its sessions end.
    Remove { name: String, fingerprint: String },
}

#[derive(Subcommand)]
enum ProjectCommand {
    /// Add a project with the columns Todo, In Progress, Done; prints its id alone.
    Add {
        name: String,
        /// A member, as USER or USER:ROLE (owner, member, viewer); repeatable.
        #[arg(long = "member", value_name = "USER[:ROLE]")]
        members: Vec<String>,
    },
    /// List projects and their members.
    List,
    /// Add a member to a project, or change its role.
    Grant {
        /// Project id or name.
        project: String,
        user: String,
        #[arg(long, default_value = "member")]
        role: Role,
    },
    /// Remove a member from a project.
    Revoke { project: String, user: String },
    /// Write a project as JSON to stdout: its columns and cards with all their
    /// fields, the comments, the members by name.
    Export {
        /// Project id or name.
        project: String,
    },
    /// Make a project from FILE (an export of `project export`, or a Trello board's
    /// JSON); prints its id alone.
    Import {
        file: PathBuf,
        /// The new project's name [default: the board's].
        #[arg(long)]
        name: Option<String>,
        /// A member, as USER or USER:ROLE; repeatable. The first owner (or else the
        /// first who may write) makes the import's changes and its comments.
        #[arg(long = "member", value_name = "USER[:ROLE]")]
        members: Vec<String>,
        /// Also grant the file's members who are users here, with the file's roles
        /// (a file is not trusted for who may see a board unless this is said).
        #[arg(long)]
        members_from_file: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut command = Cli::command();
    let mut from_file = Vec::new();
    if let Some(path) = kanban_server::config_file::named(&args) {
        (command, from_file) = with_config(command, &path)?;
    }
    let matches = command.get_matches_from(args);
    let mut cli = Cli::from_arg_matches(&matches)?;
    take_secrets(&mut cli, &matches)?;
    if let Some(Command::CheckConfig) = &cli.command {
        return check_config(&cli, &matches, &from_file);
    }
    // Before any data directory is looked for: packagers run these at build time.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "kanban-server", &mut script);
            return print_all(&script);
        }
        Some(Command::Man { dir }) => return man(dir.as_deref()),
        _ => {}
    }
    let default_level = if cli.command.is_some() { "warn" } else { "info" };
    kanban_server::logging::init(cli.log_format, default_level);
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => kanban_server::default_data_dir().context("no data directory: give --data-dir")?,
    };
    let encryption = cli.app.encryption()?;
    let overrides = AppOverrides { id: cli.app.app_id, key: cli.app.app_key, secret: cli.app.app_secret };
    let database = Database::choose(cli.database.as_deref(), &data_dir)?;
    let Some(command) = cli.command else {
        let tls = match (&cli.tls_cert, &cli.tls_key) {
            (Some(cert), Some(key)) => {
                let certificates = kanban_server::tls::Certificates::load(cert, key)?;
                tokio::spawn(reload_on_hangup(certificates.clone()));
                Some(certificates.server_config()?)
            }
            _ => None,
        };
        let unix = cli.unix.options();
        let ssh = match cli.ssh.ssh_listen {
            Some(addr) => Some(
                kanban_server::ssh::SshListener::bind(
                    addr,
                    &cli.ssh
                        .ssh_host_key
                        .clone()
                        .unwrap_or_else(|| kanban_server::ssh::host_key::path(&data_dir)),
                    cli.ssh.options()?,
                )
                .await?,
            ),
            None => None,
        };
        return serve(
            cli.listen,
            unix,
            ssh,
            &database,
            cli.broker.map(|url| kanban_server::cluster::link::Broker { url, ca: cli.broker_ca }).as_ref(),
            &overrides,
            cli.limits.limits(),
            cli.oidc.options()?,
            encryption,
            tls,
            Duration::from_secs(cli.drain_seconds),
            cli.metrics_listen,
        )
        .await;
    };
    if let Command::Restore { file } = &command {
        let Database::Sqlite(dir) = &database else {
            anyhow::bail!(
                "a PostgreSQL backup is restored with psql into an empty database: \
                 psql -v ON_ERROR_STOP=1 -d NEW_DATABASE -f {}",
                file.display()
            );
        };
        kanban_server::restore::restore(dir, file)?;
        eprintln!(
            "restored {} into {}: the next start serves it, with a new epoch",
            file.display(),
            dir.display()
        );
        return Ok(());
    }
    if let Command::MigrateSchema = &command {
        let store = kanban_server::open_database_with(&database, Migrations::Apply).await?;
        eprintln!("the schema is at version {}", kanban_server::schema_version(&database));
        store.close().await;
        return Ok(());
    }
    if let Command::Migrate { from } = &command {
        let Database::Postgres(url) = &database else {
            anyhow::bail!("migrate copies into PostgreSQL: give --database postgres://...");
        };
        let copied = kanban_server::migrate::sqlite_to_postgres(from, url).await?;
        eprintln!("copied into PostgreSQL: {copied}");
        return Ok(());
    }
    let store = kanban_server::open_database(&database).await?;
    let store = store.as_ref();
    let out = match command {
        Command::User(UserCommand::Add { name, color }) => {
            admin::user_add(store, &name, color.as_deref()).await? + "\n"
        }
        Command::User(UserCommand::List) => admin::user_list(store).await?,
        Command::User(UserCommand::Remove { name }) => {
            admin::user_remove(store, &name).await.map(|()| String::new())?
        }
        Command::User(UserCommand::Token { name }) => admin::user_token(store, &name).await? + "\n",
        Command::User(UserCommand::Revoke { name }) => {
            eprintln!("{}", admin::user_revoke(store, &name).await?);
            String::new()
        }
        Command::User(UserCommand::Key(KeyCommand::Add { name, key })) => {
            let text = match key {
                // A .pub file's path, as people reach for first.
                Some(key) if std::path::Path::new(&key).is_file() => {
                    std::fs::read_to_string(&key).with_context(|| format!("reading {key}"))?
                }
                Some(key) if !key.trim_start().contains(' ') => anyhow::bail!(
                    "--key takes a public key (\"ssh-ed25519 AAAA... comment\") or the path of its .pub file, \
                     and {key} is neither"
                ),
                Some(key) => key,
                None => std::io::read_to_string(std::io::stdin()).context("reading the key from stdin")?,
            };
            admin::user_key_add(store, &name, &text).await? + "\n"
        }
        Command::User(UserCommand::Key(KeyCommand::List { name })) => {
            admin::user_key_list(store, &name).await?
        }
        Command::User(UserCommand::Key(KeyCommand::Remove { name, fingerprint })) => {
            admin::user_key_remove(store, &name, &fingerprint).await.map(|()| String::new())?
        }
        Command::Project(ProjectCommand::Add { name, members }) => {
            format!("{}\n", admin::project_add(store, &name, &members).await?)
        }
        Command::Project(ProjectCommand::List) => admin::project_list(store).await?,
        Command::Project(ProjectCommand::Grant { project, user, role }) => {
            admin::project_grant(store, &project, &user, role).await.map(|()| String::new())?
        }
        Command::Project(ProjectCommand::Revoke { project, user }) => {
            admin::project_revoke(store, &project, &user).await.map(|()| String::new())?
        }
        Command::Project(ProjectCommand::Export { project }) => {
            kanban_server::transfer::export(store, &project).await?
        }
        Command::Project(ProjectCommand::Import { file, name, members, members_from_file }) => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let board = kanban_server::transfer::parse(&bytes)?;
            drop(bytes);
            let members = kanban_server::transfer::Members { named: &members, from_file: members_from_file };
            format!("{}\n", kanban_server::transfer::import(store, board, name.as_deref(), members).await?)
        }
        Command::App => {
            let mut out = admin::app(&kanban_server::resolve_app(store, &overrides).await?);
            let host_key =
                cli.ssh.ssh_host_key.clone().unwrap_or_else(|| kanban_server::ssh::host_key::path(&data_dir));
            if host_key.exists() {
                let key = kanban_server::ssh::host_key::load_or_make(&host_key)?;
                out += &format!("ssh_host_key\t{}\n", kanban_server::ssh::host_key::fingerprint(&key));
            }
            out
        }
        Command::Backup { file } => {
            admin::backup(store, &file).await?;
            eprintln!(
                "backed up to {} (readable by its owner alone: it holds the app secret)",
                file.display()
            );
            String::new()
        }
        Command::Cluster(ClusterCommand::Show) => {
            let site = store.site();
            let schema = kanban_server::schema_version(&database);
            format!("cluster\t{}\nepoch\t{}\nschema\t{schema}\n", site.cluster_name(), site.epoch)
        }
        Command::Cluster(ClusterCommand::NewId) => {
            let site = store.renew_site().await?;
            eprintln!("a new cluster id and epoch: start the servers of this database again");
            format!("cluster\t{}\nepoch\t{}\n", site.cluster_name(), site.epoch)
        }
        Command::Webhook(WebhookCommand::Add { url, project, all: _, events }) => {
            let scope = match &project {
                Some(name) => webhooks::Scope::Project(name),
                None => webhooks::Scope::All,
            };
            let out = webhooks::add(store, &url, scope, events.as_deref()).await?;
            eprintln!("the secret is shown this once: the receiver checks X-Kanban-Signature with it");
            out
        }
        Command::Webhook(WebhookCommand::List) => webhooks::list(store).await?,
        Command::Webhook(WebhookCommand::Deliveries { id, limit }) => {
            webhooks::deliveries(store, id, limit).await?
        }
        Command::Webhook(WebhookCommand::Remove { id }) => {
            webhooks::remove(store, id).await.map(|()| String::new())?
        }
        Command::Webhook(WebhookCommand::Test { id }) => webhooks::test(store, id).await?,
        Command::Migrate { .. }
        | Command::CheckConfig
        | Command::Restore { .. }
        | Command::MigrateSchema
        | Command::Completions { .. }
        | Command::Man { .. } => {
            unreachable!("done above")
        }
    };
    print!("{out}");
    Ok(())
}

/// The command line's parser with the configuration file's settings as its
/// defaults; the keys the file gave.
fn with_config(
    mut command: clap::Command,
    path: &std::path::Path,
) -> anyhow::Result<(clap::Command, Vec<String>)> {
    let settings = kanban_server::config_file::load(path)?;
    let mut keys = Vec::new();
    for (key, values) in settings {
        let id = command
            .get_arguments()
            .find(|a| a.get_long() == Some(key.as_str()) && key != "config")
            .map(|a| a.get_id().clone());
        let Some(id) = id else {
            anyhow::bail!(
                "{}: {key} is not a setting of kanban-server (the keys are the flags' long names, as \
                 `kanban-server --help` lists them)",
                path.display()
            );
        };
        // Read once at start: the parser keeps its defaults for the process's life.
        let values: Vec<&'static str> = values.into_iter().map(|v| &*Box::leak(v.into_boxed_str())).collect();
        command = command.mut_arg(id, |arg| arg.default_values(values));
        keys.push(key);
    }
    Ok((command, keys))
}

/// `check-config`: every setting given, where from, secrets hidden; then whether
/// what they name can be used.
fn check_config(cli: &Cli, matches: &clap::ArgMatches, from_file: &[String]) -> anyhow::Result<()> {
    use clap::parser::ValueSource;
    let mut out = String::new();
    for arg in Cli::command().get_arguments() {
        let (id, Some(long)) = (arg.get_id().as_str(), arg.get_long()) else { continue };
        let Some(source) = matches.value_source(id) else { continue };
        let from = match source {
            ValueSource::CommandLine => "command line",
            ValueSource::EnvVariable => "environment",
            _ if from_file.iter().any(|k| k == long) => "config file",
            _ => continue,
        };
        let raw: Vec<String> = matches
            .get_raw(id)
            .map(|v| v.map(|v| v.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let shown = match long {
            "app-secret" => "(hidden)".to_string(),
            "database" | "broker" if raw.iter().any(|v| kanban_server::secrets::has_password(v)) => {
                "(hidden: it holds a password)".to_string()
            }
            _ => raw.join(","),
        };
        out += &format!("{long} = {shown}\t# {from}\n");
    }
    // The secrets read from files are not the parser's: said as such.
    for (flag, var) in [
        ("database", "KANBAN_DATABASE_URL"),
        ("broker", "KANBAN_BROKER_URL"),
        ("app-secret", "KANBAN_APP_SECRET"),
    ] {
        if std::env::var_os(format!("{var}_FILE")).is_some() {
            out += &format!("{flag} = (hidden)\t# {var}_FILE\n");
        }
    }
    print!("{out}");
    if let (Some(cert), Some(key)) = (&cli.tls_cert, &cli.tls_key) {
        kanban_server::tls::Certificates::load(cert, key)?;
    }
    if let Some(url) = &cli.database {
        let data_dir = cli.data_dir.clone().unwrap_or_default();
        if let Database::Postgres(url) = Database::choose(Some(url), &data_dir)? {
            kanban_server::store::Target::parse(&url)?;
        }
    }
    if let Some(broker) = &cli.broker {
        kanban_server::cluster::link::check(broker)?;
    }
    cli.ssh.options()?;
    cli.oidc.options()?;
    cli.app.encryption()?;
    eprintln!("the settings can be used (nothing was connected to)");
    Ok(())
}

/// The database URL, the broker URL and the app secret: from their files where
/// `KANBAN_*_FILE` names one, and never with a password from the command line.
fn take_secrets(cli: &mut Cli, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    use kanban_server::secrets::take;
    let typed = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    take(&mut cli.database, typed("database"), "--database", "KANBAN_DATABASE_URL", false)?;
    take(&mut cli.broker, typed("broker"), "--broker", "KANBAN_BROKER_URL", false)?;
    take(&mut cli.app.app_secret, typed("app_secret"), "--app-secret", "KANBAN_APP_SECRET", true)?;
    take(
        &mut cli.app.encryption_master_key,
        typed("encryption_master_key"),
        "--encryption-master-key",
        "KANBAN_ENCRYPTION_MASTER_KEY",
        true,
    )?;
    Ok(())
}

/// The man page on stdout, or every page in `dir`. `help` is left out: the pages
/// are the help.
fn man(dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    let cli = Cli::command().disable_help_subcommand(true);
    match dir {
        Some(dir) => {
            clap_mangen::generate_to(cli, dir).with_context(|| format!("cannot write in {}", dir.display()))
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cli).render(&mut page)?;
            print_all(&page)
        }
    }
}

/// Writes `bytes` to stdout; a reader that stopped early (`| head`) is no error.
fn print_all(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

#[expect(clippy::too_many_arguments, reason = "each listener and setting of the serving process, once")]
async fn serve(
    listen: SocketAddr,
    unix: Option<unix_socket::SocketOptions>,
    ssh: Option<kanban_server::ssh::SshListener>,
    database: &Database,
    broker: Option<&kanban_server::cluster::link::Broker>,
    overrides: &AppOverrides,
    limits: Limits,
    oidc: Option<kanban_server::oidc::OidcOptions>,
    encryption: Option<kanban_server::encryption::MasterKey>,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    drain: Duration,
    metrics_listen: Option<SocketAddr>,
) -> anyhow::Result<()> {
    match kanban_server::raise_open_file_limit() {
        Ok(n) => tracing::debug!(open_files = n, "open file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open file limit"),
    }
    let mut server = Server::open_node(database, broker, overrides, limits).await?;
    if let Some(oidc) = oidc {
        tracing::info!(issuer = %oidc.issuer, "people sign in through the OpenID Connect provider too");
        server = server.with_oidc(kanban_server::oidc::Oidc::new(oidc));
    }
    if let Some(key) = encryption {
        server = server.with_encryption(key);
    }
    let listener =
        tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let unix = match &unix {
        Some(options) => {
            let bound = unix_socket::bind(options)?;
            tracing::info!(
                path = %options.path.display(),
                mode = format!("{:04o}", options.mode),
                users = ?options.policy,
                "listening on a Unix socket: accounts of this host connect as themselves"
            );
            Some(bound)
        }
        None => None,
    };
    if let Some(at) = metrics_listen {
        let listener = tokio::net::TcpListener::bind(at)
            .await
            .with_context(|| format!("cannot listen on {at} for metrics"))?;
        tracing::info!(addr = %listener.local_addr()?, "serving /metrics here alone");
        server.serve_metrics_on(listener);
    }
    // Before the listening line: a stop asked from then on is a stop.
    let stop = kanban_server::shutdown_signal();
    server.announce(addr, tls.is_some());
    let app = server.hub().app();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let store = database.describe();
    let site = server.store().site();
    tracing::info!(
        %addr,
        %scheme,
        %store,
        app_id = %app.id,
        app_key = %app.key,
        cluster = %site.cluster_name(),
        epoch = site.epoch,
        "kanban-server listening"
    );
    if let Some(ssh) = ssh {
        let addr = ssh.local_addr()?;
        tracing::info!(%addr, host_key = %ssh.fingerprint(), "serving the board over SSH (ssh -t -p PORT HOST)");
        server.spawn_ssh(ssh);
    }
    let store = server.store().clone();
    let hub = server.hub().clone();
    server
        .serve_all(listener, tls, unix, async move {
            stop.await;
            drain_for(&hub, drain).await;
            tracing::info!("shutting down");
        })
        .await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The first part of a stop: not ready at once, serving on for `drain` while load
/// balancers notice (they poll /readyz every few seconds); a second signal cuts it
/// short.
async fn drain_for(hub: &kanban_server::hub::Hub, drain: Duration) {
    if drain.is_zero() {
        return;
    }
    hub.drain();
    tracing::info!(seconds = drain.as_secs(), "draining: /readyz answers 503; serving on until the stop");
    tokio::select! {
        () = tokio::time::sleep(drain) => {}
        () = kanban_server::shutdown_signal() => tracing::info!("asked again: stopping now"),
    }
}

/// Reads the TLS certificate and key again at each SIGHUP (a renewal), keeping
/// the one served before if they cannot be read.
async fn reload_on_hangup(certificates: std::sync::Arc<kanban_server::tls::Certificates>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: the TLS certificate is read at start only");
        return;
    };
    while hangups.recv().await.is_some() {
        match certificates.reload() {
            Ok(()) => tracing::info!("SIGHUP: the TLS certificate and key read again"),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "SIGHUP: the TLS certificate stays the one before")
            }
        }
    }
}
