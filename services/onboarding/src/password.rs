//! Password hashing: argon2id with the OWASP parameters (19 MiB of memory, two passes, one
//! lane), stored as PHC strings so the parameters travel with each hash and can be raised
//! later without invalidating old ones.
//!
//! Hashing is deliberately slow, so it runs on the blocking thread pool and never stalls the
//! async workers. In debug builds it is slower still: the workspace should build the argon2
//! crate optimised in the dev profile (`[profile.dev.package.argon2] opt-level = 3`).

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::credentials::NewPassword;

/// Memory cost in KiB (19 MiB), OWASP's first recommended argon2id configuration.
pub const MEMORY_COST_KIB: u32 = 19_456;
/// Passes over the memory.
pub const TIME_COST_PASSES: u32 = 2;
/// Lanes.
pub const PARALLELISM_LANES: u32 = 1;

/// Why a password could not be hashed or a stored hash read.
#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    #[error("argon2: {0}")]
    Hashing(String),
    #[error("the hashing task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_COST_KIB, TIME_COST_PASSES, PARALLELISM_LANES, None)
        .expect("the OWASP argon2id parameters are within argon2's limits");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a new password with a fresh random salt.
pub async fn hash_password(password: &NewPassword) -> Result<String, PasswordHashError> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| PasswordHashError::Hashing(error.to_string()))
    })
    .await?
}

/// A hash of a password nobody knows, verified against when the username is unknown so that
/// an unknown user costs the same time as a wrong password and timing does not reveal which
/// usernames exist.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(b"decoy password that matches no account", &salt)
            .map(|hash| hash.to_string())
            .expect("hashing a constant with fixed valid parameters succeeds")
    })
}

/// Whether `password` matches `stored_hash`; with no stored hash, a decoy is checked and the
/// answer is no.
pub async fn verify_password(
    password: &str,
    stored_hash: Option<String>,
) -> Result<bool, PasswordHashError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let (hash_text, is_decoy) = match &stored_hash {
            Some(hash) => (hash.as_str(), false),
            None => (decoy_hash(), true),
        };
        let parsed = PasswordHash::new(hash_text)
            .map_err(|error| PasswordHashError::Hashing(error.to_string()))?;
        let matches = hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(matches && !is_decoy)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_is_argon2id_with_the_owasp_parameters_and_verifies_only_its_password() {
        let password = NewPassword::parse("a long enough password").unwrap();
        let hash = hash_password(&password).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password("a long enough password", Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("another password!!", Some(hash))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(
            !verify_password("decoy password that matches no account", None)
                .await
                .unwrap()
        );
    }
}
