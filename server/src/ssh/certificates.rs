//! Sign-in with an OpenSSH user certificate (`--ssh-trusted-user-ca`): a
//! certificate signed by a CA the site trusts, valid now, not revoked, whose
//! principal names a user, opens that user's board without a key of theirs
//! registered. Each refusal says why in one line, to the person and in the log.
//! The revoked ones (`--ssh-revoked-keys`) are a text list or an OpenSSH KRL
//! (`krl`).

use std::collections::HashSet;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use russh::keys::ssh_key::Fingerprint;
use russh::keys::ssh_key::certificate::CertType;
use russh::keys::{Algorithm, Certificate, HashAlg, PublicKey};

use super::krl::Krl;

/// Who a certificate's principal may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Principals {
    /// Only principals that name a user already.
    #[default]
    Existing,
    /// A principal that names nobody yet becomes a user, member of no project.
    Auto,
}

/// What the server trusts certificates by.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The fingerprints of the trusted CAs' keys.
    cas: Vec<Fingerprint>,
    pub principals: Principals,
    /// The revoked certificates and keys (`--ssh-revoked-keys`, a text list or
    /// a KRL), read again at each sign-in so that a revocation takes without a
    /// restart.
    revoked: Option<PathBuf>,
}

/// The CA keys of `path`, one OpenSSH public key a line (as `TrustedUserCAKeys`).
pub fn load(path: &Path, principals: Principals, revoked: Option<PathBuf>) -> Result<Trust, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut cas = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(n, l)| (n + 1, l.trim())) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = PublicKey::from_openssh(line)
            .map_err(|e| format!("{} line {n}: not an OpenSSH public key ({e})", path.display()))?;
        if !matches!(key.algorithm(), Algorithm::Ed25519 | Algorithm::Ecdsa { .. }) {
            return Err(format!(
                "{} line {n}: {} CA keys are not taken here: use an Ed25519 or ECDSA CA",
                path.display(),
                key.algorithm().as_str()
            ));
        }
        cas.push(key.fingerprint(HashAlg::Sha256));
    }
    if cas.is_empty() {
        return Err(format!("{} holds no CA key", path.display()));
    }
    if let Some(revoked) = &revoked {
        Revoked::read(revoked)?;
    }
    Ok(Trust { cas, principals, revoked })
}

/// Why a certificate opens nothing, in the words the person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl Trust {
    /// The principals of `cert` if it may sign in from `peer` at `now` (seconds
    /// since the epoch); otherwise why not.
    pub fn check(&self, cert: &Certificate, peer: IpAddr, now: u64) -> Result<Vec<String>, Refusal> {
        let serial = cert.serial();
        let refuse = |why: String| Err(Refusal(format!("This certificate (serial {serial}) {why}")));
        if cert.cert_type() != CertType::User {
            return refuse("is a host certificate, not a user's.".into());
        }
        let ca = cert.signature_key().fingerprint(HashAlg::Sha256);
        if !self.cas.contains(&ca) {
            return refuse(format!("is signed by a CA this board does not trust ({ca})."));
        }
        if now < cert.valid_after() {
            return refuse(format!("is not valid before {}.", time(cert.valid_after())));
        }
        if now >= cert.valid_before() {
            return refuse(format!("expired at {}: ask for a new one.", time(cert.valid_before())));
        }
        for (option, value) in cert.critical_options().iter() {
            match option.as_str() {
                "source-address" if !from_any(value, peer) => {
                    return refuse(format!("is for {value}, not for {peer}."));
                }
                "source-address" => {}
                other => return refuse(format!("has a critical option this board does not know ({other}).")),
            }
        }
        // The signature, the CA and the dates once more, together, by the crate.
        if cert.validate_at(now, &self.cas).is_err() {
            return refuse("does not verify.".into());
        }
        if let Some(path) = &self.revoked {
            match Revoked::read(path) {
                Ok(revoked) if revoked.has(cert) => return refuse("is revoked.".into()),
                Ok(_) => {}
                Err(e) => {
                    // A list that cannot be read now lets nobody in by certificate.
                    tracing::warn!(error = %e, "cannot read --ssh-revoked-keys: certificates refused");
                    return refuse("cannot be checked against the revoked ones now.".into());
                }
            }
        }
        if cert.valid_principals().is_empty() {
            return refuse("names no principal.".into());
        }
        Ok(cert.valid_principals().to_vec())
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
fn time(secs: u64) -> String {
    jiff::Timestamp::from_second(secs.min(i64::MAX as u64) as i64)
        .map_or_else(|_| "forever".into(), |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// Whether `peer` is in a `source-address` list (addresses and CIDR ranges,
/// comma separated).
fn from_any(list: &str, peer: IpAddr) -> bool {
    list.split(',').map(str::trim).any(|entry| {
        entry.parse::<ipnet::IpNet>().is_ok_and(|net| net.contains(&peer))
            || entry.parse::<IpAddr>().is_ok_and(|ip| ip == peer)
    })
}

/// The revoked certificates and keys: an OpenSSH KRL (as `ssh-keygen -k` writes
/// it), known by its magic, or else a text list.
#[derive(Debug)]
enum Revoked {
    List(List),
    Krl(Krl),
}

impl Revoked {
    fn read(path: &Path) -> Result<Revoked, String> {
        let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if Krl::is_krl(&data) {
            return Krl::parse(&data)
                .map(Revoked::Krl)
                .map_err(|e| format!("{}: not a valid OpenSSH KRL: {e}", path.display()));
        }
        let text = String::from_utf8(data)
            .map_err(|_| format!("{}: stream did not contain valid UTF-8", path.display()))?;
        List::parse(&text, path).map(Revoked::List)
    }

    fn has(&self, cert: &Certificate) -> bool {
        match self {
            Revoked::List(list) => {
                list.has(cert.serial(), &cert.public_key().fingerprint(HashAlg::Sha256).to_string())
            }
            Revoked::Krl(krl) => krl.revokes(cert),
        }
    }
}

/// The text list: serials (`1234`, or ranges `100-199`) and key fingerprints
/// (`SHA256:...`), one a line, `#` comments.
#[derive(Debug, Default)]
struct List {
    serials: Vec<RangeInclusive<u64>>,
    keys: HashSet<String>,
}

impl List {
    fn parse(text: &str, path: &Path) -> Result<List, String> {
        let mut revoked = List::default();
        for (n, line) in text.lines().enumerate().map(|(n, l)| (n + 1, l.trim())) {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if line.starts_with("SHA256:") {
                revoked.keys.insert(line.to_string());
                continue;
            }
            let range = match line.split_once('-') {
                Some((from, to)) => from.trim().parse().and_then(|f| to.trim().parse().map(|t| f..=t)),
                None => line.parse().map(|s| s..=s),
            };
            let range = range.map_err(|_| {
                format!("{} line {n}: a serial, a range of serials (100-199) or a SHA256: fingerprint, not {line:?}", path.display())
            })?;
            revoked.serials.push(range);
        }
        Ok(revoked)
    }

    fn has(&self, serial: u64, key: &str) -> bool {
        self.keys.contains(key) || self.serials.iter().any(|r| r.contains(&serial))
    }
}

#[cfg(test)]
mod tests {
    use super::super::krl::tests::Keygen;
    use super::*;

    #[test]
    fn source_addresses_take_addresses_and_ranges() {
        let peer: IpAddr = "10.1.2.3".parse().unwrap();
        assert!(from_any("192.168.0.0/16, 10.0.0.0/8", peer));
        assert!(from_any("10.1.2.3", peer));
        assert!(!from_any("10.1.2.4,fe80::/10", peer));
        assert!(!from_any("", peer));
    }

    #[test]
    fn revoked_lists_hold_serials_ranges_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("revoked");
        std::fs::write(&path, "# gone\n7\n100-199 # a batch\nSHA256:abc\n").unwrap();
        let Revoked::List(revoked) = Revoked::read(&path).unwrap() else { panic!("not a list") };
        assert!(revoked.has(7, "x") && revoked.has(150, "x") && revoked.has(1, "SHA256:abc"));
        assert!(!revoked.has(8, "SHA256:abd") && !revoked.has(200, "x"));
        std::fs::write(&path, "seven\n").unwrap();
        assert!(Revoked::read(&path).unwrap_err().contains("line 1"));
    }

    #[test]
    fn sign_in_refuses_what_the_krl_or_the_list_revokes_read_again_each_time() {
        let k = Keygen::new();
        for key in ["ca", "u"] {
            k.key(key);
        }
        let five = Certificate::read_file(&k.cert("five", "ca", "u", "ann@laptop", 5)).unwrap();
        let six = Certificate::read_file(&k.cert("six", "ca", "u", "ann@laptop", 6)).unwrap();
        let krl = k.krl("krl", Some("ca.pub"), "serial: 5\n");
        let trust = load(&k.path("ca.pub"), Principals::Existing, Some(krl.clone())).unwrap();
        let (peer, now) = ("10.1.2.3".parse().unwrap(), 1_800_000_000);
        assert_eq!(
            trust.check(&five, peer, now),
            Err(Refusal("This certificate (serial 5) is revoked.".into()))
        );
        assert_eq!(trust.check(&six, peer, now), Ok(vec!["ann".to_string()]));
        // The file is read again at each sign-in, a text list as well as a KRL.
        let fingerprint = six.public_key().fingerprint(HashAlg::Sha256);
        std::fs::write(&krl, format!("6\n{fingerprint}\n")).unwrap();
        assert!(trust.check(&five, peer, now).is_err(), "the same key, listed by its fingerprint");
        std::fs::write(&krl, "6\n").unwrap();
        assert!(trust.check(&five, peer, now).is_ok() && trust.check(&six, peer, now).is_err());
        // A KRL cut short is refused at start, naming the file, and refuses
        // every certificate if it is found so at a sign-in.
        let whole = std::fs::read(k.krl("krl", Some("ca.pub"), "serial: 5\n")).unwrap();
        std::fs::write(&krl, &whole[..whole.len() - 3]).unwrap();
        let e = load(&k.path("ca.pub"), Principals::Existing, Some(krl.clone())).unwrap_err();
        assert!(e.starts_with(&format!("{}: not a valid OpenSSH KRL: truncated: ", krl.display())), "{e}");
        assert_eq!(
            trust.check(&six, peer, now),
            Err(Refusal(
                "This certificate (serial 6) cannot be checked against the revoked ones now.".into()
            ))
        );
    }
}
