//! People's public keys as the admin gives them: one OpenSSH line
//! (`ssh-ed25519 AAAA... comment`), checked, and named by its SHA-256 fingerprint,
//! as `ssh-keygen -lf` prints it.

use russh::keys::{Algorithm, HashAlg, PublicKey};

use crate::store::SshKey;

/// The fingerprint by which a key is found: `SHA256:...`.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Reads one public key line (the first that is not blank or a comment).
/// Ed25519 and ECDSA keys only: the SSH server verifies those signatures.
pub fn parse(text: &str) -> Result<SshKey, String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or("no public key given: pass it on stdin (e.g. < ~/.ssh/id_ed25519.pub) or with --key")?;
    let mut key = PublicKey::from_openssh(line)
        .map_err(|e| format!("not an OpenSSH public key ({e}): give the line of a .pub file"))?;
    match key.algorithm() {
        Algorithm::Ed25519 | Algorithm::Ecdsa { .. } => {}
        other => {
            return Err(format!(
                "{} keys are not taken here: use an Ed25519 key (ssh-keygen -t ed25519) or ECDSA",
                other.as_str()
            ));
        }
    }
    let comment = key.comment().to_string();
    key.set_comment("");
    let public_key = key.to_openssh().map_err(|e| format!("cannot write the key out: {e}"))?;
    Ok(SshKey { fingerprint: fingerprint(&key), public_key, comment, added: String::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    // A key made by `ssh-keygen -t ed25519`, with its fingerprint as ssh-keygen -l
    // prints it.
    const ED25519: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII/Eq6D3onFkVb3JLNLd9rHQyodJTJJFjPpBfMyQlPX/ ann@laptop";
    const FINGERPRINT: &str = "SHA256:kzmTnjzj6fEEHbNDsJxlaKBF2gEOx4BQIWayDeEP8oY";

    #[test]
    fn a_pub_line_gives_its_key_fingerprint_and_comment() {
        let key = parse(&format!("# ann's key\n\n{ED25519}\n")).unwrap();
        assert_eq!(key.comment, "ann@laptop");
        assert_eq!(format!("{} ann@laptop", key.public_key), ED25519);
        assert_eq!(key.fingerprint, FINGERPRINT);
    }

    #[test]
    fn rsa_garbage_and_nothing_are_refused_with_a_reason() {
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDHHjAnuHI+tUEfPvDjUoIVR96xLrC5pMtpm4I6/x0fnBvJQ6tHCvGiLno2Qy2++MUk/FX3XZrH2GcaVDW4Q5Vy1kRCJBnOHS3jqwcp3/XmqUiWCNjgpwPGDf3jM9luLKKh9ei6eXClxa0ZT+FWy0EOxLqo9JV4ZjNgHOk1W4NazQ== x";
        assert!(parse(rsa).unwrap_err().contains("Ed25519"), "{:?}", parse(rsa));
        assert!(parse("ssh-ed25519 notbase64").unwrap_err().contains("not an OpenSSH public key"));
        assert!(parse("\n# nothing\n").unwrap_err().contains("no public key given"));
    }
}
