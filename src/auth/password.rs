//! Password hashing (argon2id, off the async executor, with bounded concurrency) and the one
//! password policy every form uses.

use std::sync::Arc;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::config::HashCost;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// Hashes and verifies passwords on actix's blocking pool. At most half the cores hash at once,
/// so a burst of sign-ins queues instead of starving page requests of CPU (measured: with one
/// hash per core, page p99 tripled during a sign-in burst on 2 cores).
#[derive(Clone)]
pub struct Hasher {
    argon2: Argon2<'static>,
    permits: Arc<Semaphore>,
    /// Verified against for unknown emails, so they cost the same time as known ones.
    dummy_hash: Arc<String>,
}

impl Hasher {
    pub fn new(cost: HashCost) -> anyhow::Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = hash_with(&argon2, "gatehouse dummy password for timing")?;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Self {
            argon2,
            permits: Arc::new(Semaphore::new((cores / 2).max(1))),
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let argon2 = self.argon2.clone();
        actix_web::web::block(move || hash_with(&argon2, &password)).await?
    }

    /// True when `password` matches `stored`. `None` (unknown user, or no password yet) still
    /// spends the time of a real verification and answers false.
    pub async fn verify(&self, stored: Option<String>, password: String) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        let argon2 = self.argon2.clone();
        let (hash, real) = match stored {
            Some(hash) => (hash, true),
            None => (self.dummy_hash.as_ref().clone(), false),
        };
        let matched = actix_web::web::block(move || {
            PasswordHash::new(&hash)
                .is_ok_and(|parsed| argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?;
        Ok(real && matched)
    }

    /// Synchronous hashing for the CLI and the demo seeder.
    pub fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        hash_with(&self.argon2, password)
    }
}

/// Checks a new password and its repetition, adding messages beside `password` and
/// `password_confirm`. Every form that sets a password goes through here.
pub fn check_new(
    password: &str,
    confirm: &str,
    min_length: usize,
    personal: &[&str],
    errors: &mut crate::validation::FieldErrors,
) {
    match check_policy(password, min_length, personal) {
        Err(message) => errors.add("password", message),
        Ok(()) if password != confirm => {
            errors.add("password_confirm", "The two passwords do not match.")
        }
        Ok(()) => {}
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// The password policy (NIST SP 800-63B): at least `min_length` (the organization's setting,
/// never below 12) and at most 128 characters, no composition rules, and a strength estimate
/// (zxcvbn, whose dictionaries hold the common-password lists) of at least 3, counting the
/// person's own name, email and organization as guessable words.
pub fn check_policy(password: &str, min_length: usize, personal: &[&str]) -> Result<(), String> {
    let length = password.chars().count();
    let min_length = min_length.clamp(MIN_LENGTH, MAX_LENGTH);
    if length < min_length {
        return Err(format!(
            "Use at least {min_length} characters ({length} so far)."
        ));
    }
    if length > MAX_LENGTH {
        return Err(format!("Use at most {MAX_LENGTH} characters."));
    }
    // Each personal value and its parts ("ada.lovelace@acme.io" → ada, lovelace, acme, io).
    let mut words: Vec<String> = Vec::new();
    for value in personal {
        let value = value.trim().to_lowercase();
        words.extend(
            value
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() >= 3)
                .map(str::to_owned),
        );
        words.push(value);
    }
    let inputs: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !w.is_empty())
        .collect();
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if (estimate.score() as u8) >= 3 {
        return Ok(());
    }
    let mut message = String::from("This password is too easy to guess.");
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            message = format!("{message} {warning}.");
        }
        for suggestion in feedback.suggestions().iter().take(2) {
            message = format!("{message} {suggestion}.");
        }
    }
    Err(message.replace("..", "."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_policy_default(password: &str, personal: &[&str]) -> Result<(), String> {
        check_policy(password, MIN_LENGTH, personal)
    }

    #[test]
    fn the_organization_can_ask_for_longer_passwords_but_not_shorter() {
        assert!(check_policy("violet orbit lantern", 24, &[])
            .unwrap_err()
            .contains("at least 24"));
        assert!(check_policy("violet orbit lantern meadow", 24, &[]).is_ok());
        assert!(check_policy("short", 4, &[])
            .unwrap_err()
            .contains("at least 12"));
    }

    #[test]
    fn the_policy_wants_length_not_composition_and_refuses_the_guessable() {
        assert!(check_policy_default("short", &[])
            .unwrap_err()
            .contains("at least 12"));
        assert!(check_policy_default(&"x".repeat(129), &[])
            .unwrap_err()
            .contains("at most 128"));
        assert!(check_policy_default("password1234", &[])
            .unwrap_err()
            .contains("too easy to guess"));
        assert!(check_policy_default("abcdefghijklmnop", &[]).is_err());
        assert!(check_policy_default("aaaaaaaaaaaaaaaa", &[]).is_err());
        assert!(
            check_policy_default("ada@example.com1", &["Ada", "Lovelace", "ada@example.com"])
                .is_err()
        );
        assert!(check_policy_default("qwertyuiop123", &[]).is_err());
        assert!(check_policy_default("correct horse battery staple", &["Ada"]).is_ok());
        assert!(check_policy_default("violet orbit lantern meadow", &[]).is_ok());
    }

    #[actix_web::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let hasher = Hasher::new(HashCost::TEST).unwrap();
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher
            .verify(Some(hash.clone()), "correct horse battery".into())
            .await
            .unwrap());
        assert!(!hasher
            .verify(Some(hash), "wrong horse battery".into())
            .await
            .unwrap());
        assert!(!hasher
            .verify(None, "gatehouse dummy password for timing".into())
            .await
            .unwrap());
    }
}
