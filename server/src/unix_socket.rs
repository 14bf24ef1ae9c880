//! The server's Unix domain socket: the way in for people logged in on the host.
//!
//! A connection on it is who the kernel says its peer is (`SO_PEERCRED`): the
//! peer's uid, its account's login name, and the kanban user of that name. Nothing
//! on this socket takes a token, so nothing secret is typed, pasted or kept in a
//! shell's history. Who may connect at all is the socket file's mode and group;
//! who is let in is the policy ([`UnixUsers`]): only names that are already users,
//! or a user made on first connection (a member of nothing until granted).
//! root is nobody here: an admin runs the board as their own account.

use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::serve::Listener;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::OnceCell;

use crate::serve::AcceptBackoff;

/// Where a system service's socket is unless told otherwise (systemd's
/// `RuntimeDirectory=kanban`); `kanban-tui` looks there too.
pub const DEFAULT_PATH: &str = kanban_protocol::HOST_SOCKET;

/// The socket file's mode unless told otherwise: every account may connect and be
/// told whether it is let in, as every account may reach the loopback port.
pub const DEFAULT_MODE: u32 = 0o666;

/// Who a connection's account may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum UnixUsers {
    /// Only accounts whose login name is already a kanban user.
    #[default]
    Existing,
    /// An account that is not yet a user becomes one on its first connection,
    /// with no project until an admin grants one.
    Auto,
}

/// The account at the other end of a connection on the socket, as a request
/// extension: the extractors take it instead of a bearer token.
#[derive(Debug, Clone)]
pub struct HostAccount {
    pub uid: u32,
    pub policy: UnixUsers,
    /// The login name, looked up once per connection on first use (the lookup may
    /// ask a directory service, so not in the accept loop).
    login: Arc<OnceCell<Option<String>>>,
}

impl HostAccount {
    pub fn new(uid: u32, policy: UnixUsers) -> Self {
        HostAccount { uid, policy, login: Arc::new(OnceCell::new()) }
    }

    /// The account's login name, `None` for a uid with no account.
    pub async fn login(&self) -> Option<String> {
        let uid = self.uid;
        self.login
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || login_name(uid)).await.ok().flatten()
            })
            .await
            .clone()
    }
}

/// The login name of `uid`, from the host's account database (NSS).
pub fn login_name(uid: u32) -> Option<String> {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(user) => user.map(|u| u.name),
        Err(e) => {
            tracing::warn!(uid, error = %e, "cannot look up the account");
            None
        }
    }
}

/// The id of a group by name.
fn group_id(name: &str) -> io::Result<u32> {
    match nix::unistd::Group::from_name(name) {
        Ok(Some(group)) => Ok(group.gid.as_raw()),
        Ok(None) => Err(io::Error::new(io::ErrorKind::NotFound, format!("no group named {name:?}"))),
        Err(e) => Err(io::Error::other(format!("cannot look up the group {name:?}: {e}"))),
    }
}

/// How the socket file is made.
#[derive(Debug, Clone)]
pub struct SocketOptions {
    pub path: PathBuf,
    pub mode: u32,
    /// The group that owns the file (with a mode like 0660, who may connect).
    pub group: Option<String>,
    pub policy: UnixUsers,
}

impl SocketOptions {
    pub fn new(path: impl Into<PathBuf>, policy: UnixUsers) -> Self {
        SocketOptions { path: path.into(), mode: DEFAULT_MODE, group: None, policy }
    }
}

/// A bound socket: accepts connections and removes its file when dropped.
pub struct UnixAccept {
    listener: UnixListener,
    policy: UnixUsers,
    backoff: AcceptBackoff,
    file: SocketFile,
}

/// Binds the socket of `options`, replacing a stale file that nobody listens on but
/// never a live socket or a file that is not a socket.
pub fn bind(options: &SocketOptions) -> io::Result<UnixAccept> {
    let path = &options.path;
    let context =
        |e: io::Error, what: &str| io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::fs::create_dir_all(dir).map_err(|e| context(e, "cannot create the directory of"))?;
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_socket() => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket: not replacing it", path.display()),
            ));
        }
        Ok(_) => match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("another server listens on {}", path.display()),
                ));
            }
            // Left behind by a server that did not stop cleanly.
            Err(_) => std::fs::remove_file(path).map_err(|e| context(e, "cannot remove the stale socket"))?,
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(context(e, "cannot read")),
    }
    let listener = UnixListener::bind(path).map_err(|e| context(e, "cannot listen on"))?;
    let file = SocketFile(path.clone());
    if let Some(group) = &options.group {
        let gid = group_id(group)?;
        std::os::unix::fs::chown(path, None, Some(gid)).map_err(|e| context(e, "cannot give the group"))?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(options.mode))
        .map_err(|e| context(e, "cannot set the mode of"))?;
    Ok(UnixAccept { listener, policy: options.policy, backoff: AcceptBackoff::default(), file })
}

/// The socket's file, removed when the server stops.
struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl UnixAccept {
    pub fn path(&self) -> &Path {
        &self.file.0
    }
}

impl Listener for UnixAccept {
    type Io = UnixStream;
    type Addr = HostAccount;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) => {
                    self.backoff.reset();
                    match stream.peer_cred() {
                        Ok(cred) => return (stream, HostAccount::new(cred.uid(), self.policy)),
                        // Without credentials nobody can be named: close it.
                        Err(e) => tracing::warn!(error = %e, "a Unix connection without peer credentials"),
                    }
                }
                Err(e) => self.backoff.failed(&e).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "a Unix socket has no account of its own"))
    }
}

/// Parses a file mode given in octal (`660`, `0660`, `0o660`).
pub fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.trim_start_matches("0o");
    u32::from_str_radix(digits, 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| format!("{text:?} is not a file mode in octal (e.g. 0660)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_octal() {
        assert_eq!(parse_mode("0660"), Ok(0o660));
        assert_eq!(parse_mode("666"), Ok(0o666));
        assert_eq!(parse_mode("0o600"), Ok(0o600));
        assert!(parse_mode("999").is_err());
        assert!(parse_mode("01777").is_err());
        assert!(parse_mode("rw").is_err());
    }

    #[tokio::test]
    async fn a_stale_socket_is_replaced_a_live_one_and_other_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.sock");
        let options = SocketOptions::new(&path, UnixUsers::Existing);
        let live = bind(&options).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, DEFAULT_MODE);
        let again = bind(&options).err().expect("a live socket is kept");
        assert!(again.to_string().contains("another server listens"), "{again}");
        drop(live);
        assert!(!path.exists(), "removed when the server stops");
        // A listener gone without removing its file (as after SIGKILL).
        let std_listener = std::os::unix::net::UnixListener::bind(dir.path().join("other.sock")).unwrap();
        drop(std_listener);
        let stale = SocketOptions::new(dir.path().join("other.sock"), UnixUsers::Existing);
        drop(bind(&stale).expect("a stale socket is replaced"));
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "keep me").unwrap();
        let error = bind(&SocketOptions::new(&plain, UnixUsers::Existing)).err().expect("not a socket");
        assert!(error.to_string().contains("is not a socket"), "{error}");
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), "keep me");
    }
}
