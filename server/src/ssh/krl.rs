//! OpenSSH key revocation lists (KRLs): the binary file `ssh-keygen -k` writes
//! and sshd's `RevokedKeys` reads, as OpenSSH's `PROTOCOL.krl` lays it out. This
//! module owns reading one whole ([`Krl::parse`], refusing a truncated or
//! malformed one as OpenSSH's `krl.c` does) and judging a user certificate by it
//! ([`Krl::revokes`], by the rules of `krl.c`'s `ssh_krl_check_key`). `ssh-key`
//! reads no KRL, and the one crate found that does is a whole SSH library of its
//! own, hence this module; the reading is by hand, in the SSH wire encoding
//! (big-endian integers, strings with a u32 length).

use std::collections::HashSet;
use std::ops::RangeInclusive;

use russh::keys::Certificate;
use russh::keys::ssh_encoding::{Decode, Encode};
use russh::keys::ssh_key::public::KeyData;
use sha2::{Digest, Sha256};

/// The first eight bytes of every KRL.
pub const MAGIC: &[u8; 8] = b"SSHKRL\n\0";

const FORMAT_VERSION: u32 = 1;

const SECTION_CERTIFICATES: u8 = 1;
const SECTION_EXPLICIT_KEY: u8 = 2;
const SECTION_FINGERPRINT_SHA1: u8 = 3;
const SECTION_SIGNATURE: u8 = 4;
const SECTION_FINGERPRINT_SHA256: u8 = 5;
const SECTION_EXTENSION: u8 = 255;

const CERT_SERIAL_LIST: u8 = 0x20;
const CERT_SERIAL_RANGE: u8 = 0x21;
const CERT_SERIAL_BITMAP: u8 = 0x22;
const CERT_KEY_ID: u8 = 0x23;
const CERT_EXTENSION: u8 = 0x39;

/// The most bytes of an mpint OpenSSH reads (`SSHBUF_MAX_BIGNUM`, 16384 bits),
/// not counting a leading zero byte.
const MAX_MPINT: usize = 16384 / 8;

/// What a KRL revokes.
#[derive(Debug, Default)]
pub struct Krl {
    /// The certificate sections, each for its CA or for any.
    certificates: Vec<ByCa>,
    /// Public key blobs revoked whole (`KRL_SECTION_EXPLICIT_KEY`).
    keys: HashSet<Vec<u8>>,
    /// SHA-1 hashes of public key blobs.
    sha1: HashSet<[u8; 20]>,
    /// SHA-256 hashes of public key blobs (what `SHA256:` fingerprints print).
    sha256: HashSet<[u8; 32]>,
}

/// The certificates one section revokes by serial and by key ID.
#[derive(Debug, Default)]
struct ByCa {
    /// The CA that signed them; `None` for any CA.
    ca: Option<KeyData>,
    serials: Vec<RangeInclusive<u64>>,
    bitmaps: Vec<Bitmap>,
    key_ids: HashSet<Vec<u8>>,
}

/// Serials revoked by a bitmap: bit N (from the least significant bit of the
/// last byte) revokes serial `first + N`.
#[derive(Debug)]
struct Bitmap {
    first: u64,
    /// Big-endian, without leading zero bytes.
    bits: Vec<u8>,
}

impl Bitmap {
    fn has(&self, serial: u64) -> bool {
        let Some(n) = serial.checked_sub(self.first) else { return false };
        let Some(byte) = usize::try_from(n / 8).ok().and_then(|i| self.bits.len().checked_sub(i + 1)) else {
            return false;
        };
        self.bits[byte] >> (n % 8) & 1 == 1
    }
}

impl ByCa {
    fn revokes(&self, cert: &Certificate) -> bool {
        if self.key_ids.contains(cert.key_id().as_bytes()) {
            return true;
        }
        // Serial 0 is a certificate without one: never revoked by serial.
        let serial = cert.serial();
        serial != 0
            && (self.serials.iter().any(|r| r.contains(&serial))
                || self.bitmaps.iter().any(|b| b.has(serial)))
    }

    /// As `krl.c` refuses them: serial 0 (no serial) and empty ranges.
    fn revoke(&mut self, serials: RangeInclusive<u64>, at: usize) -> Result<(), String> {
        if *serials.start() == 0 || serials.start() > serials.end() {
            return Err(format!(
                "at byte {at}: a certificate subsection revokes serials {}-{}, which is no range of serials \
                 (they start at 1)",
                serials.start(),
                serials.end()
            ));
        }
        self.serials.push(serials);
        Ok(())
    }
}

impl Krl {
    /// Whether `data` looks like a KRL (by its magic) rather than a text list.
    pub fn is_krl(data: &[u8]) -> bool {
        data.starts_with(MAGIC)
    }

    /// The KRL in `data`; or why it is not one, in a line for the admin.
    pub fn parse(data: &[u8]) -> Result<Krl, String> {
        let mut file = Reader { data, at: 0, within: "the file" };
        if file.take(MAGIC.len(), "the magic")? != MAGIC {
            return Err("it does not begin with SSHKRL\\n\\0".into());
        }
        let version = file.u32("the format version")?;
        if version != FORMAT_VERSION {
            return Err(format!("format version {version}, where only {FORMAT_VERSION} is known"));
        }
        file.u64("the KRL version")?;
        file.u64("the date it was made")?;
        file.u64("the flags")?;
        file.string("the reserved field")?;
        file.cstring("the comment")?;
        let mut krl = Krl::default();
        while !file.is_empty() {
            let at = file.at;
            let kind = file.u8("a section's type")?;
            let mut section = file.string("a section")?.within("a section");
            match kind {
                SECTION_CERTIFICATES => krl.certificates.push(ByCa::read(&mut section)?),
                SECTION_EXPLICIT_KEY => {
                    while !section.is_empty() {
                        krl.keys.insert(section.string("a revoked key")?.data.to_vec());
                    }
                }
                SECTION_FINGERPRINT_SHA1 => {
                    while !section.is_empty() {
                        krl.sha1.insert(section.hash("a SHA-1 hash")?);
                    }
                }
                SECTION_FINGERPRINT_SHA256 => {
                    while !section.is_empty() {
                        krl.sha256.insert(section.hash("a SHA-256 hash")?);
                    }
                }
                SECTION_EXTENSION => extension(&mut section, at, "section")?,
                SECTION_SIGNATURE => {
                    // Two strings, the signing key (read above as the section)
                    // and the signature, skipped unverified: OpenSSH never
                    // completed KRL signatures and, since 9.4, krl.c skips them
                    // too (ssh-keygen -k writes none). The file is the admin's
                    // own configuration, trusted as it is, as sshd trusts its
                    // RevokedKeys; a signature here could not be checked against
                    // any key the site names.
                    file.string("a signature")?;
                    continue;
                }
                other => return Err(format!("at byte {at}: unknown section type {other}")),
            }
            section.finished()?;
        }
        Ok(krl)
    }

    /// Whether the KRL revokes `cert`, as sshd's `ssh_krl_check_key` judges it:
    /// the certificate's own key revoked (explicitly or by SHA-1 or SHA-256
    /// hash), its key ID or serial revoked for its CA or for any CA, or the CA's
    /// key itself revoked, which revokes every certificate it signed.
    pub fn revokes(&self, cert: &Certificate) -> bool {
        self.revokes_key(cert.public_key())
            || self
                .certificates
                .iter()
                .filter(|by| by.ca.as_ref().is_none_or(|ca| ca == cert.signature_key()))
                .any(|by| by.revokes(cert))
            || self.revokes_key(cert.signature_key())
    }

    /// Whether a plain key is revoked whole or by hash.
    fn revokes_key(&self, key: &KeyData) -> bool {
        // A key that cannot be written out cannot be cleared: sshd too takes an
        // error while checking for a revocation.
        let Ok(blob) = key.encode_vec() else { return true };
        self.keys.contains(&blob)
            || self.sha256.contains(&<[u8; 32]>::from(Sha256::digest(&blob)))
            || self.sha1.contains(&sha1(&blob))
    }
}

impl ByCa {
    /// A `KRL_SECTION_CERTIFICATES` section: the CA, then subsections.
    fn read(section: &mut Reader<'_>) -> Result<ByCa, String> {
        let at = section.at;
        let ca = section.string("the CA key")?;
        section.string("the reserved field")?;
        let mut by = ByCa::default();
        if !ca.is_empty() {
            let mut blob = ca.data;
            let key = KeyData::decode(&mut blob).map_err(|e| {
                format!("at byte {at}: a certificate section's CA key is not a public key ({e})")
            })?;
            if !blob.is_empty() {
                return Err(format!("at byte {at}: a certificate section's CA key has bytes past its end"));
            }
            by.ca = Some(key);
        }
        while !section.is_empty() {
            let at = section.at;
            let kind = section.u8("a certificate subsection's type")?;
            let mut sub = section.string("a certificate subsection")?.within("a certificate subsection");
            match kind {
                CERT_SERIAL_LIST => {
                    while !sub.is_empty() {
                        let serial = sub.u64("a serial")?;
                        by.revoke(serial..=serial, at)?;
                    }
                }
                CERT_SERIAL_RANGE => {
                    let (from, to) = (sub.u64("a range's first serial")?, sub.u64("a range's last serial")?);
                    by.revoke(from..=to, at)?;
                }
                CERT_SERIAL_BITMAP => {
                    let first = sub.u64("a bitmap's first serial")?;
                    let bits = sub.mpint("a bitmap")?.to_vec();
                    if let Some(top) = bits.first() {
                        let width = (bits.len() as u64 - 1) * 8 + u64::from(8 - top.leading_zeros());
                        if first.checked_add(width - 1).is_none() {
                            return Err(format!("at byte {at}: a serial bitmap runs past the last serial"));
                        }
                    }
                    let bitmap = Bitmap { first, bits };
                    if bitmap.has(0) {
                        return Err(format!("at byte {at}: a serial bitmap revokes serial 0"));
                    }
                    by.bitmaps.push(bitmap);
                }
                CERT_KEY_ID => {
                    while !sub.is_empty() {
                        by.key_ids.insert(sub.cstring("a key ID")?.to_vec());
                    }
                }
                CERT_EXTENSION => extension(&mut sub, at, "certificate subsection")?,
                other => {
                    return Err(format!("at byte {at}: unknown certificate subsection type {other:#04x}"));
                }
            }
            sub.finished()?;
        }
        Ok(by)
    }
}

/// An extension (section or certificate subsection): none is known, so a
/// critical one refuses the KRL and any other is skipped.
fn extension(body: &mut Reader<'_>, at: usize, what: &str) -> Result<(), String> {
    let name = body.cstring("an extension's name")?;
    let critical = body.u8("an extension's criticality")?;
    body.string("an extension's contents")?;
    if critical != 0 {
        let name = String::from_utf8_lossy(name);
        return Err(format!(
            "at byte {at}: a critical extension {what} this server does not know ({name:?})"
        ));
    }
    Ok(())
}

/// A cursor over SSH wire data, telling where it stopped short.
struct Reader<'a> {
    data: &'a [u8],
    /// Where `data` begins in the file.
    at: usize,
    /// What `data` is the whole of, for the errors.
    within: &'static str,
}

impl<'a> Reader<'a> {
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn within(self, within: &'static str) -> Reader<'a> {
        Reader { within, ..self }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.data.len() < n {
            return Err(self.past_end(what, self.at));
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        self.at += n;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.take(4, what)?.try_into().expect("four bytes")))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_be_bytes(self.take(8, what)?.try_into().expect("eight bytes")))
    }

    /// A string: a u32 length, then that many bytes.
    fn string(&mut self, what: &str) -> Result<Reader<'a>, String> {
        let at = self.at;
        let len = self.u32(what)? as usize;
        if self.data.len() < len {
            return Err(self.past_end(what, at));
        }
        let start = self.at;
        Ok(Reader { data: self.take(len, what)?, at: start, within: self.within })
    }

    fn past_end(&self, what: &str, at: usize) -> String {
        let truncated = if self.within == "the file" { "truncated: " } else { "" };
        format!("{truncated}{what} (at byte {at}) runs past the end of {}", self.within)
    }

    /// A string of text, as OpenSSH's `sshbuf_get_cstring` takes it: no NUL
    /// but one at its very end, which is dropped.
    fn cstring(&mut self, what: &str) -> Result<&'a [u8], String> {
        let at = self.at;
        let text = self.string(what)?.data;
        match text.iter().position(|&b| b == 0) {
            None => Ok(text),
            Some(nul) if nul + 1 == text.len() => Ok(&text[..nul]),
            Some(_) => Err(format!("{what} (at byte {at}) holds a NUL byte")),
        }
    }

    /// A hash of `N` bytes, as a string.
    fn hash<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let at = self.at;
        let hash = self.string(what)?.data;
        hash.try_into().map_err(|_| format!("{what} (at byte {at}) is {} bytes long, not {N}", hash.len()))
    }

    /// A non-negative mpint's bytes, without leading zeros.
    fn mpint(&mut self, what: &str) -> Result<&'a [u8], String> {
        let at = self.at;
        let mut bytes = self.string(what)?.data;
        if bytes.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(format!("{what} (at byte {at}) is a negative number"));
        }
        if bytes.len() > MAX_MPINT + 1 || (bytes.len() == MAX_MPINT + 1 && bytes[0] != 0) {
            return Err(format!("{what} (at byte {at}) is longer than OpenSSH takes ({MAX_MPINT} bytes)"));
        }
        while let [0, rest @ ..] = bytes {
            bytes = rest;
        }
        Ok(bytes)
    }

    /// Refuses what is left unread, as `krl.c` does.
    fn finished(&self) -> Result<(), String> {
        if self.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} bytes left unread at the end of {} (at byte {})",
            self.data.len(),
            self.within,
            self.at
        ))
    }
}

/// SHA-1, for `KRL_SECTION_FINGERPRINT_SHA1` alone: the hash of a key the
/// client presents, looked up among the revoked ones.
fn sha1(data: &[u8]) -> [u8; 20] {
    use sha1::Digest;
    sha1::Sha1::digest(data).into()
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use super::*;

    /// A folder where OpenSSH's own `ssh-keygen` makes keys, certificates and
    /// KRLs, and says what they revoke.
    pub(crate) struct Keygen {
        dir: tempfile::TempDir,
    }

    impl Keygen {
        pub(crate) fn new() -> Keygen {
            Keygen { dir: tempfile::tempdir().unwrap() }
        }

        pub(crate) fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn run(&self, args: &[&str]) -> std::process::Output {
            Command::new("ssh-keygen").args(args).current_dir(self.dir.path()).output().expect("ssh-keygen")
        }

        fn ok(&self, args: &[&str]) {
            let out = self.run(args);
            assert!(out.status.success(), "ssh-keygen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }

        /// A new Ed25519 key pair `name` and `name.pub`.
        pub(crate) fn key(&self, name: &str) {
            self.ok(&["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", name]);
        }

        /// The `.pub` line of key `name`.
        pub(crate) fn public(&self, name: &str) -> String {
            std::fs::read_to_string(self.path(&format!("{name}.pub"))).unwrap().trim().to_string()
        }

        /// A user certificate `name-cert.pub` for the key `user`, signed by
        /// `ca`, for principal ann, with key ID `id` and serial `serial`.
        pub(crate) fn cert(&self, name: &str, ca: &str, user: &str, id: &str, serial: u64) -> PathBuf {
            std::fs::copy(self.path(&format!("{user}.pub")), self.path(&format!("{name}.pub"))).unwrap();
            let serial = serial.to_string();
            self.ok(&["-q", "-s", ca, "-I", id, "-n", "ann", "-z", &serial, &format!("{name}.pub")]);
            self.path(&format!("{name}-cert.pub"))
        }

        /// `ssh-keygen -k -f name [-s ca] spec`, the spec written from `spec`.
        fn krl_command(&self, name: &str, ca: Option<&str>, spec: &str) -> std::process::Output {
            let spec_file = format!("{name}.spec");
            std::fs::write(self.path(&spec_file), spec).unwrap();
            let mut args = vec!["-k", "-f", name];
            if let Some(ca) = ca {
                args.extend(["-s", ca]);
            }
            args.push(&spec_file);
            self.run(&args)
        }

        /// A KRL `name` as [`Keygen::krl_command`] makes it.
        pub(crate) fn krl(&self, name: &str, ca: Option<&str>, spec: &str) -> PathBuf {
            let out = self.krl_command(name, ca, spec);
            assert!(out.status.success(), "ssh-keygen -k: {}", String::from_utf8_lossy(&out.stderr));
            self.path(name)
        }

        /// Whether OpenSSH (`ssh-keygen -Q`) says the KRL revokes `cert`.
        pub(crate) fn openssh_revokes(&self, krl: &Path, cert: &Path) -> bool {
            let out = self.run(&["-Q", "-f", krl.to_str().unwrap(), cert.to_str().unwrap()]);
            let said = String::from_utf8_lossy(&out.stdout);
            match out.status.code() {
                Some(0) if said.trim_end().ends_with(": ok") => false,
                Some(1) if said.trim_end().ends_with(": REVOKED") => true,
                _ => panic!("ssh-keygen -Q: {said} {}", String::from_utf8_lossy(&out.stderr)),
            }
        }
    }

    fn parse(path: &Path) -> Krl {
        Krl::parse(&std::fs::read(path).unwrap()).unwrap()
    }

    /// Whether `krl` revokes `cert`, asserting that OpenSSH says the same.
    fn judge(keygen: &Keygen, krl: &Path, cert: &Path) -> bool {
        let ours = parse(krl).revokes(&Certificate::read_file(cert).unwrap());
        assert_eq!(ours, keygen.openssh_revokes(krl, cert), "OpenSSH and this module disagree on {cert:?}");
        ours
    }

    /// The subsection types of the certificate sections of `data`.
    fn subsection_types(data: &[u8]) -> Vec<u8> {
        let mut file = Reader { data, at: 0, within: "the file" };
        file.take(8 + 4 + 3 * 8, "the header").unwrap();
        file.string("reserved").unwrap();
        file.string("comment").unwrap();
        let mut types = Vec::new();
        while !file.is_empty() {
            let kind = file.u8("type").unwrap();
            let mut section = file.string("section").unwrap();
            if kind == SECTION_CERTIFICATES {
                section.string("ca").unwrap();
                section.string("reserved").unwrap();
                while !section.is_empty() {
                    types.push(section.u8("type").unwrap());
                    section.string("subsection").unwrap();
                }
            }
        }
        types
    }

    #[test]
    fn serials_in_lists_ranges_and_bitmaps_are_revoked_for_their_ca_alone() {
        let k = Keygen::new();
        for key in ["ca", "ca2", "u"] {
            k.key(key);
        }
        // Lone serials (a list), a long range, a short one and the odd serials
        // 101..=199, dense enough for ssh-keygen to write bitmaps.
        let mut spec =
            "serial: 5\nserial: 5000\nserial: 9000\nserial: 10-20\nserial: 1000-3000 # a comment\n"
                .to_string();
        for serial in (101..=199).step_by(2) {
            spec.push_str(&format!("serial: {serial}\n"));
        }
        let krl = k.krl("krl", Some("ca.pub"), &spec);
        let types = subsection_types(&std::fs::read(&krl).unwrap());
        for kind in [CERT_SERIAL_LIST, CERT_SERIAL_RANGE, CERT_SERIAL_BITMAP] {
            assert!(types.contains(&kind), "no subsection {kind:#04x} in {types:02x?}");
        }
        let revoked = [5, 10, 11, 15, 20, 101, 103, 151, 199, 1000, 2345, 3000, 5000, 9000];
        let kept =
            [0, 1, 4, 6, 9, 21, 99, 100, 102, 150, 198, 200, 201, 999, 3001, 4999, 5001, 8999, u64::MAX];
        for serial in revoked.into_iter().chain(kept) {
            let cert = k.cert(&format!("c{serial}"), "ca", "u", "ann@laptop", serial);
            assert_eq!(judge(&k, &krl, &cert), revoked.contains(&serial), "serial {serial}");
        }
        // The same serials signed by another CA are not revoked.
        for serial in [5, 15, 101, 5000] {
            let cert = k.cert(&format!("other{serial}"), "ca2", "u", "ann@laptop", serial);
            assert!(!judge(&k, &krl, &cert), "serial {serial} of another CA");
        }
    }

    #[test]
    fn key_ids_keys_and_fingerprints_are_revoked() {
        let k = Keygen::new();
        for key in ["ca", "ca2", "u1", "u2", "u3", "u4", "u5"] {
            k.key(key);
        }
        let fingerprint = {
            let out = Command::new("ssh-keygen").args(["-l", "-f"]).arg(k.path("u5.pub")).output().unwrap();
            String::from_utf8(out.stdout).unwrap().split_whitespace().nth(1).unwrap().to_string()
        };
        assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
        let spec = format!(
            "id: gone\n{}\nsha1: {}\nsha256: {}\nhash: {fingerprint}\n",
            k.public("u2"),
            k.public("u3"),
            k.public("u4"),
        );
        let krl = k.krl("krl", Some("ca.pub"), &spec);
        let parsed = parse(&krl);
        assert!(!parsed.keys.is_empty() && !parsed.sha1.is_empty() && parsed.sha256.len() == 2);
        let cases = [
            ("gone", "ca", "u1", "gone", true),
            ("kept", "ca", "u1", "kept", false),
            ("gone-elsewhere", "ca2", "u1", "gone", false),
            ("explicit", "ca", "u2", "kept", true),
            ("explicit-elsewhere", "ca2", "u2", "kept", true),
            ("sha1", "ca", "u3", "kept", true),
            ("sha256", "ca", "u4", "kept", true),
            ("hash", "ca2", "u5", "kept", true),
        ];
        for (name, ca, user, id, revoked) in cases {
            let cert = k.cert(name, ca, user, id, 3);
            assert_eq!(judge(&k, &krl, &cert), revoked, "{name}");
        }
        // An explicit key listed by `ssh-keygen -k -f krl2 u2.pub`.
        let krl2 = k.path("krl2");
        k.ok(&["-k", "-f", "krl2", "u2.pub"]);
        assert!(judge(&k, &krl2, &k.path("explicit-cert.pub")));
        assert!(!judge(&k, &krl2, &k.path("sha1-cert.pub")));
    }

    #[test]
    fn any_ca_sections_and_revoked_cas_revoke_across_cas() {
        let k = Keygen::new();
        for key in ["ca", "ca2", "u"] {
            k.key(key);
        }
        // Serials and key IDs need a CA, or `-s none` for any CA.
        let refused = k.krl_command("bare", None, "serial: 7\n");
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("requires specification of a CA key"));
        let any = k.krl("any", Some("none"), "serial: 7\nid: everyone-gone\n");
        assert!(parse(&any).certificates.iter().all(|by| by.ca.is_none()));
        let cases = [
            ("c7", "ca", "ann", 7, true),
            ("d7", "ca2", "ann", 7, true),
            ("c8", "ca", "ann", 8, false),
            ("d8", "ca2", "everyone-gone", 8, true),
            ("c0", "ca", "everyone-gone", 0, true),
        ];
        for (name, ca, id, serial, revoked) in cases {
            let cert = k.cert(name, ca, "u", id, serial);
            assert_eq!(judge(&k, &any, &cert), revoked, "{name}");
        }
        // A revoked CA key revokes all it signed: explicitly or by fingerprint.
        let by_key = k.krl("by-key", None, &format!("{}\n", k.public("ca")));
        let by_hash = k.krl("by-hash", None, &format!("sha256: {}\n", k.public("ca")));
        for krl in [by_key, by_hash] {
            assert!(judge(&k, &krl, &k.path("c8-cert.pub")));
            assert!(judge(&k, &krl, &k.path("c0-cert.pub")));
            assert!(!judge(&k, &krl, &k.path("d8-cert.pub")));
        }
        // An empty KRL revokes nothing.
        let empty = k.krl("empty", None, "");
        assert!(!judge(&k, &empty, &k.path("c7-cert.pub")));
    }

    #[test]
    fn truncated_and_malformed_krls_are_refused() {
        let k = Keygen::new();
        k.key("ca");
        k.key("u");
        let krl =
            std::fs::read(k.krl("krl", Some("ca.pub"), &format!("serial: 5\nid: x\n{}\n", k.public("u"))))
                .unwrap();
        assert!(Krl::parse(&krl).is_ok());
        // Cut in the header, in a section's length, in a section.
        for len in [8, 11, 30, krl.len() - 40, krl.len() - 1] {
            let e = Krl::parse(&krl[..len]).unwrap_err();
            assert!(e.starts_with("truncated: "), "{len}: {e}");
        }
        let with = |tail: &[u8]| {
            let mut data = krl.clone();
            data.extend_from_slice(tail);
            Krl::parse(&data)
        };
        assert!(with(&[6, 0, 0, 0, 0]).unwrap_err().contains("unknown section type 6"));
        // An extension: skipped unless critical.
        let extension = |critical: u8| {
            let mut body = vec![0, 0, 0, 7];
            body.extend_from_slice(b"x@y.org");
            body.extend_from_slice(&[critical, 0, 0, 0, 0]);
            let mut section = vec![SECTION_EXTENSION];
            section.extend_from_slice(&(body.len() as u32).to_be_bytes());
            section.extend_from_slice(&body);
            section
        };
        assert!(with(&extension(0)).is_ok());
        assert!(with(&extension(1)).unwrap_err().contains("critical extension section"));
        // A signature section (a key and a signature) is skipped.
        assert!(with(&[SECTION_SIGNATURE, 0, 0, 0, 1, 9, 0, 0, 0, 2, 9, 9]).is_ok());
        // A key cut short in its section; a hash of the wrong length.
        let e = with(&[SECTION_EXPLICIT_KEY, 0, 0, 0, 5, 0, 0, 0, 0, 1]).unwrap_err();
        assert!(e.contains("a revoked key") && e.contains("past the end of a section"), "{e}");
        assert!(
            with(&[SECTION_FINGERPRINT_SHA256, 0, 0, 0, 5, 0, 0, 0, 1, 1]).unwrap_err().contains("not 32")
        );
        // Serial 0 and an empty range, as krl.c refuses them.
        let serials = |kind: u8, serials: &[u64]| {
            let mut sub: Vec<u8> = serials.iter().flat_map(|s| s.to_be_bytes()).collect();
            sub.splice(0..0, (sub.len() as u32).to_be_bytes());
            sub.insert(0, kind);
            let mut body = vec![0; 8]; // any CA, reserved
            body.extend_from_slice(&sub);
            let mut section = vec![SECTION_CERTIFICATES];
            section.extend_from_slice(&(body.len() as u32).to_be_bytes());
            section.extend_from_slice(&body);
            section
        };
        assert!(with(&serials(CERT_SERIAL_LIST, &[3, 4])).is_ok());
        assert!(with(&serials(CERT_SERIAL_LIST, &[3, 0])).unwrap_err().contains("serials 0-0"));
        assert!(with(&serials(CERT_SERIAL_RANGE, &[9, 8])).unwrap_err().contains("serials 9-8"));
        let e = with(&serials(CERT_SERIAL_RANGE, &[1, 2, 3])).unwrap_err();
        assert!(e.contains("8 bytes left unread at the end of a certificate subsection"), "{e}");
        assert!(with(&serials(0x24, &[1])).unwrap_err().contains("unknown certificate subsection type 0x24"));
        let mut other = krl.clone();
        other[11] = 2;
        assert!(Krl::parse(&other).unwrap_err().contains("format version 2"));
    }

    #[test]
    fn bitmaps_count_bits_from_the_last_byte() {
        let bitmap = Bitmap { first: 100, bits: vec![0x01, 0x82] };
        let set: Vec<u64> = (0..200).filter(|&s| bitmap.has(s)).collect();
        assert_eq!(set, [101, 107, 108]);
        assert!(!Bitmap { first: u64::MAX, bits: vec![] }.has(u64::MAX));
    }

    #[test]
    fn sha1_matches_the_standard_vectors() {
        assert_eq!(hex::encode(sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(hex::encode(sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            hex::encode(sha1(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
    }
}
