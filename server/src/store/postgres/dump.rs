//! `kanban-server backup` on PostgreSQL: PostgreSQL's own `pg_dump`, run with the
//! server's connection settings, of the site's schema alone, into an owner-only
//! file, marked at its end as a backup's copy (see [`crate::store::site`]): a
//! database restored from it (`psql -f FILE`) takes a new cluster id and epoch
//! when a server first opens it, so it never joins the cluster it came from and
//! clients fetch their boards afresh.
//!
//! The connection goes to `pg_dump` in the environment (`PGPASSWORD` and the
//! rest), never on its command line, where every account of the host could read it.

use std::path::Path;
use std::process::Stdio;

use postgres::config::Host;

use super::target::Target;
use crate::store::{Result, StoreError};

/// Dumps `schema` of the database `config` reaches into a new file at `path`.
pub async fn pg_dump(target: &Target, schema: &str, path: &Path) -> Result<()> {
    let file = create_private(path)?;
    let mut command = tokio::process::Command::new("pg_dump");
    command
        .args(["--format=plain", "--no-owner", "--no-privileges", "--quote-all-identifiers"])
        .arg(format!("--schema={schema}"))
        .envs(environment(target))
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::piped());
    // Spawned, not `output()`, which would capture stdout instead of the file.
    let dumped = match command.spawn() {
        Ok(child) => child.wait_with_output().await,
        Err(e) => Err(e),
    };
    let dumped = match dumped {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(StoreError::Failed(format!(
            "pg_dump failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::Failed(
            "pg_dump is not installed: install PostgreSQL's client programs (Debian: postgresql-client), \
             of the server's major version or newer"
                .into(),
        )),
        Err(e) => Err(StoreError::Failed(format!("cannot run pg_dump: {e}"))),
    };
    let marked = dumped.and_then(|()| mark(path, schema));
    if marked.is_err() {
        let _ = std::fs::remove_file(path);
    }
    marked
}

/// The file, new and readable by its owner alone whatever the umask: the dump
/// holds the app secret and the token hashes.
fn create_private(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            StoreError::Conflict(format!("{} exists: choose a new file", path.display()))
        }
        _ => StoreError::Failed(format!("cannot create {}: {e}", path.display())),
    })
}

/// Appends the copy's mark, which the restore runs last.
fn mark(path: &Path, schema: &str) -> Result<()> {
    use std::io::Write;
    let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| StoreError::Failed(format!("cannot mark {}: {e}", path.display())))?;
    writeln!(
        file,
        "\n-- kanban-server: this is a backup's copy; the first server to open it gives it a new\n\
         -- cluster id and epoch.\nUPDATE {quoted}.\"site\" SET \"is_copy\" = true;"
    )
    .and_then(|()| file.sync_all())
    .map_err(|e| StoreError::Failed(format!("cannot mark {}: {e}", path.display())))
}

/// libpq's environment for the connection `target` describes.
fn environment(target: &Target) -> Vec<(&'static str, String)> {
    let config = &target.config;
    let mut env = Vec::new();
    if let Some(host) = config.get_hosts().first() {
        let host = match host {
            Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            Host::Unix(dir) => dir.display().to_string(),
        };
        env.push(("PGHOST", host));
    }
    if let Some(port) = config.get_ports().first() {
        env.push(("PGPORT", port.to_string()));
    }
    if let Some(user) = config.get_user() {
        env.push(("PGUSER", user.to_string()));
    }
    if let Some(password) = config.get_password() {
        env.push(("PGPASSWORD", String::from_utf8_lossy(password).into_owned()));
    }
    if let Some(db) = config.get_dbname() {
        env.push(("PGDATABASE", db.to_string()));
    }
    // As the store connects: TLS verified against the CA file where there is
    // one; with the system's roots alone, libpq's `require` (libpq before 16 has
    // no word for those roots).
    match (target.tls(), &target.ca) {
        (true, Some(ca)) => {
            env.push(("PGSSLMODE", "verify-full".into()));
            env.push(("PGSSLROOTCERT", ca.display().to_string()));
        }
        (true, None) => env.push(("PGSSLMODE", "require".into())),
        (false, _) => env.push(("PGSSLMODE", "disable".into())),
    }
    env
}
