//! Secrets handed to people (links, session ids) and the hashes we keep of them.
//!
//! A secret is 256 random bits, URL-safe base64. Only its SHA-256 is stored, so a copy of the
//! database opens no account; SHA-256 (not argon2) is enough because the secret has full entropy.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh 256-bit secret, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What we store for a secret.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A short random id for correlating a 500 page with the log line.
pub fn short_id() -> String {
    let mut bytes = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Token kinds stored in `tokens.kind`.
pub mod kind {
    pub const SETUP: &str = "setup";
    pub const INVITE: &str = "invite";
    pub const VERIFY: &str = "verify";
    pub const UNBLOCK: &str = "unblock";
    pub const RESET: &str = "reset";
    pub const EMAIL_CODE: &str = "email_code";
    pub const EMAIL_CHANGE: &str = "email_change";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_only_as_their_hash() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_eq!(hash_token(&a).len(), 64);
        assert!(!hash_token(&a).contains(&a));
    }
}
