//! Onboarding's token signing keys at run time: read from the database into the issuer (the
//! signer) and into onboarding's own verifier (the published set, which the JWKS endpoint
//! serves), at start, after every change made here, and every [`KEY_RELOAD_INTERVAL`] so that
//! a change made through another replica reaches this one.

use std::time::Duration;

use imkon_auth::SigningKey;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::db;
use crate::domain::token_keys::{keyring, KeySealingKey, Keyring, KeyringError};
use crate::AppState;

/// How often a replica reads the keys again.
pub const KEY_RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// How long verifiers may keep the published set (`Cache-Control: max-age` of the JWKS). The
/// rotation procedure waits this long between publishing a key and making it the signer.
pub const JWKS_MAX_AGE_SECONDS: u64 = 300;

/// The private halves onboarding can sign with: the configured key, and the sealing key that
/// opens the generated ones (without it, no key can be generated).
#[derive(Debug, Clone)]
pub struct TokenKeys {
    pub configured: SigningKey,
    pub sealing: Option<KeySealingKey>,
}

/// Why the keys could not be read or used.
#[derive(Debug, thiserror::Error)]
pub enum TokenKeysError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("the configured token_key_id {kid} names a generated key; choose another kid")]
    ConfiguredKidTaken { kid: String },
}

/// The keyring the database holds now.
pub async fn read_keyring(pool: &PgPool, keys: &TokenKeys) -> Result<Keyring, TokenKeysError> {
    let mut connection = pool.acquire().await?;
    let stored = db::token_signing_keys::all(&mut connection).await?;
    let (keyring, unopened) = keyring(&stored, Some(&keys.configured), keys.sealing.as_ref())?;
    for kid in unopened {
        tracing::error!(%kid, "an active token signing key cannot be opened with the configured \
            sealing key; an older key signs instead");
    }
    Ok(keyring)
}

/// Reads the keys and installs them: the signer in the issuer, the published set in
/// onboarding's verifier.
#[tracing::instrument(skip_all)]
pub async fn reload(state: &AppState) -> Result<(), TokenKeysError> {
    let keyring = read_keyring(&state.pool, &state.token_keys).await?;
    if state.issuer.signing_key().public_key() != keyring.signer.public_key() {
        tracing::info!(kid = %keyring.signer.kid(), "signing tokens with another key");
        state.issuer.replace_signing_key(keyring.signer);
    }
    state.verifier.trusted_keys().replace(keyring.published);
    Ok(())
}

/// Stores the configured key, installs the keys, and keeps them fresh until `shutdown`.
pub async fn start(state: &AppState, shutdown: CancellationToken) -> Result<(), TokenKeysError> {
    let configured = &state.token_keys.configured;
    let mut connection = state.pool.acquire().await?;
    let stored = db::token_signing_keys::ensure_configured(&mut connection, configured).await?;
    drop(connection);
    if stored != configured.public_key().to_x_base64url() {
        return Err(TokenKeysError::ConfiguredKidTaken {
            kid: configured.kid().to_string(),
        });
    }
    reload(state).await?;
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(KEY_RELOAD_INTERVAL) => {}
            }
            if let Err(error) = reload(&state).await {
                tracing::warn!(%error, "the token signing keys could not be read again; \
                    the current ones stay in use");
            }
        }
    });
    Ok(())
}
