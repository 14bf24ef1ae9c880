//! Bearer tokens: made from the OS's random source, stored only as SHA-256.

use sha2::{Digest, Sha256};

/// The prefix that makes a kanban token recognizable (e.g. to secret scanners).
const PREFIX: &str = "kb_";

/// A new random token: 32 bytes of entropy, hex-encoded.
pub fn generate() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{PREFIX}{}", hex::encode(bytes))
}

/// What the store keeps of a token. A fast hash suffices: tokens carry 256 bits of
/// entropy, so there is nothing to brute-force.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
    }
}
