//! A PostgreSQL server of a test's own, in a temporary directory, on a free port:
//! for what the shared one cannot be made to do (take connections over TLS only,
//! with a certificate of the test's CA). Run as the `postgres` account where the
//! test runs as root (PostgreSQL refuses root). Stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::pki::Pki;

pub struct OwnPostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
}

/// The newest installed PostgreSQL's programs, if any.
fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    dirs.sort_by_key(|d| d.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()).unwrap_or(0));
    dirs.pop()
}

/// Whether this process runs as root (`/proc/self` is its own user's).
fn root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `program args` as the `postgres` account when this is root.
fn as_postgres(program: &Path) -> Command {
    if root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn give_to_postgres(path: &Path) {
    if root() {
        let ok = Command::new("chown").args(["-R", "postgres"]).arg(path).status().unwrap().success();
        assert!(ok, "chown postgres {}", path.display());
    }
}

impl OwnPostgres {
    /// A server that takes TLS connections alone, with `pki`'s certificate for
    /// localhost and 127.0.0.1; `None` (the test skipped, and said so) where
    /// PostgreSQL's server programs are not installed and nothing is required.
    pub fn start_tls(pki: &Pki) -> Option<OwnPostgres> {
        let Some(bin) = bin_dir() else {
            super::tool("/usr/lib/postgresql/VERSION/bin/initdb", "the test runs a PostgreSQL of its own");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        for (from, name) in [(&pki.cert, "server.crt"), (&pki.key, "server.key")] {
            std::fs::copy(from, dir.path().join(name)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(dir.path().join("server.key"), std::fs::Permissions::from_mode(0o600))
            .unwrap();
        give_to_postgres(dir.path());
        let out = as_postgres(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
            dir.path().display(),
            dir.path().join("server.crt").display(),
            dir.path().join("server.key").display(),
        );
        append(&data.join("postgresql.conf"), &conf);
        // TLS or nothing, from anywhere.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        give_to_postgres(dir.path());
        let out = as_postgres(&bin.join("pg_ctl"))
            .args(["-w", "-l"])
            .arg(dir.path().join("log"))
            .arg("-D")
            .arg(&data)
            .arg("start")
            .output()
            .unwrap();
        let server = OwnPostgres { bin, dir, port };
        assert!(out.status.success(), "pg_ctl start: {}", server.log());
        Some(server)
    }

    /// The server's own log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .output();
    }
}
