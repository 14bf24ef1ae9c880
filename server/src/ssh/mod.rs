//! The board over SSH (`--ssh-listen`): `ssh -t -p 2222 HOST [PROJECT]` opens it,
//! the person known by their key alone. Each session runs the same front end as
//! kanban-tui (`kanban-front`: state, update, view) in this process, joined to the
//! hub and the store directly ([`link`]), drawn into the channel ([`front`]).
//!
//! `admission` is the door (connections signing in, capped and timed; the
//! sessions' slots); `keys` reads the public keys the admin adds;
//! `certificates` judges user certificates of the CAs the site trusts (`krl`
//! reads OpenSSH's revocation lists for it); `host_key` keeps the server's own;
//! `handler` is one connection (authentication, the session channel); `input`
//! decodes what the client types.

mod admission;
pub mod certificates;
mod front;
mod handler;
pub mod host_key;
mod input;
pub mod keys;
mod krl;
mod link;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use admission::{Deadline, Door, SignedIn};
use russh::keys::PrivateKey;
use tokio::net::TcpListener;

use crate::state::Core;

/// How the SSH server runs.
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// Most signed-in SSH connections at once; past it a key is refused.
    pub max_sessions: usize,
    /// How long a connection has to sign in (OpenSSH's `LoginGraceTime`).
    pub login_grace: Duration,
    /// Most connections signing in at once (`MaxStartups`); past it a new one
    /// is closed at once.
    pub max_startups: usize,
    /// Most connections signing in at once from one address (an IPv6 /64).
    pub per_source_max_startups: usize,
    /// Authentication attempts per connection.
    pub max_auth_attempts: usize,
    /// A session without a key pressed this long ends.
    pub idle_timeout: Duration,
    /// Frames per second a session draws at most (and sends cursors at most).
    pub fps: u32,
    /// The CAs whose user certificates sign people in (`--ssh-trusted-user-ca`).
    pub certificates: Option<Arc<certificates::Trust>>,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            max_sessions: 1_000,
            login_grace: Duration::from_secs(30),
            max_startups: 64,
            per_source_max_startups: 8,
            max_auth_attempts: 6,
            idle_timeout: Duration::from_secs(8 * 3600),
            fps: 30,
            certificates: None,
        }
    }
}

/// What every connection shares.
pub(crate) struct Shared {
    pub state: Core,
    pub options: SshOptions,
    pub door: Arc<Door>,
}

/// Serves SSH on `listener` until `stopped` resolves; sessions end with the hub.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Core,
    options: SshOptions,
    host_key: PrivateKey,
    stopped: impl Future<Output = ()> + Send,
) {
    // Color is chosen per session from its TERM: never dropped for the whole
    // process because the server's own environment says NO_COLOR.
    ratatui::crossterm::style::force_color_output(true);
    let config = Arc::new(russh::server::Config {
        server_id: russh::SshId::Standard(format!("SSH-2.0-kanban_{}", env!("CARGO_PKG_VERSION")).into()),
        methods: russh::MethodSet::from(&[russh::MethodKind::PublicKey][..]),
        keys: vec![host_key],
        max_auth_attempts: options.max_auth_attempts,
        // Refusals take as long whatever the key: which keys a site knows is not
        // told by timing.
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::ZERO),
        // Dead peers are found by keepalives; an idle person by the board's own
        // timer (watching the board is not idleness of the connection).
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    });
    let door =
        Arc::new(Door::new(options.max_startups, options.per_source_max_startups, options.max_sessions));
    let counted = door.clone();
    let count = crate::metrics::SessionCount(Arc::new(move || counted.sessions()));
    let _ = state.hub.metrics().ssh_sessions.set(count);
    let shared = Arc::new(Shared { state, options, door });
    tokio::pin!(stopped);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "SSH accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stopped => return,
        };
        let startup = match shared.door.enter(peer.ip()) {
            Ok(startup) => startup,
            Err(refused) => {
                // Said at debug: a flood of these must not flood the log too.
                tracing::debug!(%peer, ?refused, "SSH connection refused: too many signing in");
                drop(stream);
                continue;
            }
        };
        let (config, shared) = (config.clone(), shared.clone());
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let signed_in = SignedIn::default();
            let stream = Deadline::new(stream, shared.options.login_grace, signed_in.clone());
            let handler = handler::Handler::new(shared, startup, signed_in, peer.ip());
            match russh::server::run_stream(config, stream, handler).await {
                Ok(session) => {
                    if let Err(e) = session.await {
                        tracing::debug!(%peer, error = %e, "SSH connection ended");
                    }
                }
                Err(e) => tracing::debug!(%peer, error = %e, "SSH handshake failed"),
            }
        });
    }
}

/// Where an SSH server listens and with which key, for [`crate::Server`].
pub struct SshListener {
    pub listener: TcpListener,
    pub host_key: PrivateKey,
    pub options: SshOptions,
}

impl SshListener {
    /// Binds `addr` with the data directory's host key (made when there is none).
    pub async fn bind(
        addr: SocketAddr,
        host_key: &std::path::Path,
        options: SshOptions,
    ) -> anyhow::Result<Self> {
        let host_key = host_key::load_or_make(host_key)?;
        let listener =
            TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        Ok(SshListener { listener, host_key, options })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn fingerprint(&self) -> String {
        host_key::fingerprint(&self.host_key)
    }
}
