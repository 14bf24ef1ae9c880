//! The server's own SSH key: made on first start, kept with the data (mode 0600),
//! so that people's `known_hosts` keep trusting the same host.

use std::io::Write;
use std::path::{Path, PathBuf};

use russh::keys::{HashAlg, PrivateKey, ssh_key};

/// The host key's file in the data directory.
pub const FILE: &str = "ssh_host_ed25519_key";

/// Where the host key of a data directory is kept.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The key at `path`, made there (readable by this account alone) when there is
/// none.
pub fn load_or_make(path: &Path) -> anyhow::Result<PrivateKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => PrivateKey::from_openssh(&text)
            .map_err(|e| anyhow::anyhow!("the SSH host key {} cannot be read: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => make(path),
        Err(e) => Err(anyhow::anyhow!("cannot read the SSH host key {}: {e}", path.display())),
    }
}

fn make(path: &Path) -> anyhow::Result<PrivateKey> {
    if let Some(dir) = path.parent() {
        crate::data_dir::create_private_dir(dir)?;
    }
    let seed: [u8; 32] = rand::random();
    let pair = ssh_key::private::Ed25519Keypair::from_seed(&seed);
    let key = PrivateKey::from(pair);
    let text = key.to_openssh(ssh_key::LineEnding::LF)?;
    // Written whole under another name, then put in place: a crash leaves no half key.
    let partial = path.with_extension("partial");
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file =
            std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&partial)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&partial, path)?;
    tracing::info!(path = %path.display(), "made an SSH host key");
    Ok(key)
}

/// The fingerprint people compare when ssh first asks about the host.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_private_and_read_back_the_same() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        let made = load_or_make(&file).unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        let again = load_or_make(&file).unwrap();
        assert_eq!(fingerprint(&made), fingerprint(&again));
        assert!(fingerprint(&made).starts_with("SHA256:"));
    }
}
