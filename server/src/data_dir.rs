//! The data directory: created owner-only, its database kept owner-only, and
//! served by one process at a time.
//!
//! Two servers on one database would each fan out only their own writes and each
//! miss the other's revocations, so a server holds an advisory lock on
//! `kanban.lock` from opening the directory until it stops serving, and writes in
//! it where it serves. A second server is refused with that address; an embedded
//! `kanban-tui` joins it instead. Admin commands take no lock: they work beside a
//! running server, through the database's own locking.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The lock file inside the data directory.
pub const LOCK_FILE: &str = "kanban.lock";

/// Where the process that holds a data directory serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serving {
    pub pid: u32,
    /// The URL a client on this host reaches it at, once it listens.
    pub url: Option<String>,
}

/// Why a data directory cannot be served from here.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{} is already served by another process{}: stop it first, or give another --data-dir", dir.display(), describe(serving))]
    Busy { dir: PathBuf, serving: Option<Serving> },
    #[error("cannot lock {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn describe(serving: &Option<Serving>) -> String {
    match serving {
        Some(Serving { pid, url: Some(url) }) => format!(" (pid {pid}, at {url})"),
        Some(Serving { pid, url: None }) => format!(" (pid {pid})"),
        None => String::new(),
    }
}

/// The lock of a data directory, held until dropped.
#[derive(Debug)]
pub struct DirLock {
    file: File,
}

impl DirLock {
    /// Takes the lock of `dir` (which must exist), or says who holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io_error = |source| LockError::Io { path: path.clone(), source };
        let mut file = private_file(&path).map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Busy { dir: dir.to_path_buf(), serving: read(&mut file) });
            }
            Err(TryLockError::Error(e)) => return Err(io_error(e)),
        }
        let lock = DirLock { file };
        lock.write(&Serving { pid: std::process::id(), url: None }).map_err(io_error)?;
        Ok(lock)
    }

    /// Records where this process serves, for whoever finds the directory taken.
    pub fn announce(&self, url: &str) -> io::Result<()> {
        self.write(&Serving { pid: std::process::id(), url: Some(url.to_string()) })
    }

    fn write(&self, serving: &Serving) -> io::Result<()> {
        let mut file = &self.file;
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(serde_json::to_string(serving).map_err(io::Error::other)?.as_bytes())?;
        file.sync_data()
    }
}

/// What the lock of `dir` last said (who served it, and where); it may be a
/// process that has stopped since: compare the pid with the one expected.
pub fn serving(dir: &Path) -> Option<Serving> {
    read(&mut File::open(dir.join(LOCK_FILE)).ok()?)
}

fn read(file: &mut File) -> Option<Serving> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// Makes the database file and its `-wal` and `-shm` companions owner-only,
/// whatever the umask made of them (they hold the app secret, which signs any
/// channel and any event). A missing database file is created empty and private
/// first: SQLite gives the files it creates beside it the database's own mode.
pub fn protect_database(db: &Path) -> io::Result<()> {
    private_file(db)?;
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut path = db.as_os_str().to_owned();
        path.push(suffix);
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Whether accounts other than the owner may read or enter `dir`.
pub fn open_to_others(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Opens (creating) a file readable and writable by its owner only.
pub fn private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Creates `dir` (and its parents) owner-only, if it does not exist.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_it_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let lock = DirLock::acquire(dir.path()).unwrap();
        let Err(LockError::Busy { serving, .. }) = DirLock::acquire(dir.path()) else {
            panic!("a second lock must be refused");
        };
        assert_eq!(serving, Some(Serving { pid: std::process::id(), url: None }), "starting");
        lock.announce("http://127.0.0.1:7878").unwrap();
        let Err(e @ LockError::Busy { .. }) = DirLock::acquire(dir.path()) else {
            panic!("a second lock must be refused");
        };
        assert!(e.to_string().contains("at http://127.0.0.1:7878"), "{e}");
        drop(lock);
        DirLock::acquire(dir.path()).expect("free again once released");
    }
}
