//! End-to-end encrypted channels (`private-encrypted-*`), as Pusher has them: a
//! channel's secret is SHA-256 of its name and the app's master key, given to
//! whoever is authorized on it; publishers encrypt with NaCl secretbox under it
//! (the Pusher SDKs do), subscribers decrypt (pusher-js does), and the server
//! relays `{nonce, ciphertext}` it cannot read. Here the key and the shape
//! of what may be sent are checked; nothing is ever decrypted.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The app's encryption master key: 32 bytes, given in base64 as the Pusher
/// SDKs take it (`encryptionMasterKeyBase64`). Never printed.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl std::str::FromStr for MasterKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| {
            "the encryption master key is not base64 (make one: openssl rand -base64 32)".to_string()
        })?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            format!(
                "the encryption master key is {} bytes, not 32 (make one: openssl rand -base64 32)",
                b.len()
            )
        })?;
        Ok(MasterKey(key))
    }
}

impl MasterKey {
    /// The secret of `channel`, in base64, as the auth answer's `shared_secret`.
    pub fn shared_secret(&self, channel: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(channel.as_bytes());
        hash.update(self.0);
        STANDARD.encode(hash.finalize())
    }
}

/// Secretbox's nonce, and its authenticator (the least a ciphertext holds).
const NONCE: usize = 24;
const TAG: usize = 16;

/// Whether `data` is an event encrypted as the Pusher SDKs encrypt one: a JSON
/// object holding a base64 `nonce` of 24 bytes and a base64 `ciphertext` of at
/// least the 16 bytes of its authenticator.
pub fn looks_encrypted(data: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Sealed {
        nonce: String,
        ciphertext: String,
    }
    let Ok(sealed) = serde_json::from_str::<Sealed>(data) else { return false };
    let nonce = STANDARD.decode(&sealed.nonce).map(|n| n.len() == NONCE);
    let ciphertext = STANDARD.decode(&sealed.ciphertext).map(|c| c.len() >= TAG);
    nonce == Ok(true) && ciphertext == Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_secret_is_sha256_of_the_name_and_the_key() {
        let key: MasterKey = STANDARD.encode([7u8; 32]).parse().unwrap();
        let mut expected = Sha256::new();
        expected.update(b"private-encrypted-x");
        expected.update([7u8; 32]);
        assert_eq!(key.shared_secret("private-encrypted-x"), STANDARD.encode(expected.finalize()));
        assert!("c2hvcnQ=".parse::<MasterKey>().unwrap_err().contains("5 bytes, not 32"));
        assert!("not base64!".parse::<MasterKey>().unwrap_err().contains("not base64"));
        assert_eq!(format!("{key:?}"), "MasterKey(..)");
    }

    #[test]
    fn only_sealed_data_looks_encrypted() {
        let nonce = STANDARD.encode([1u8; 24]);
        let ciphertext = STANDARD.encode([2u8; 40]);
        assert!(looks_encrypted(&format!(r#"{{"nonce":"{nonce}","ciphertext":"{ciphertext}"}}"#)));
        assert!(!looks_encrypted(r#"{"message":"hello"}"#));
        assert!(!looks_encrypted(&format!(
            r#"{{"nonce":"{}","ciphertext":"{ciphertext}"}}"#,
            STANDARD.encode([1u8; 8])
        )));
        assert!(!looks_encrypted(&format!(
            r#"{{"nonce":"{nonce}","ciphertext":"{}"}}"#,
            STANDARD.encode([2u8; 4])
        )));
        assert!(!looks_encrypted("hello"));
    }
}
