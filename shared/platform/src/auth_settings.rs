//! Token verification and issuing keys from a service's settings.
//!
//! Every service verifies tokens issued by `token_issuer` to its own audience, against one of
//! two key sources: `token_jwks_url`, onboarding's published key set, fetched and kept fresh
//! (see [`crate::jwks`]; keys rotate without a restart), or `token_public_keys`, a fixed JWKS
//! document (tests, the demo, and a platform that never rotates). Only onboarding signs tokens,
//! with `token_signing_key` (the base64 of a 32-byte Ed25519 seed) under `token_key_id`.

use std::time::Duration;

use imkon_auth::{Audience, KeyId, PublicKeySet, SigningKey, TokenIssuer, TokenVerifier};

use crate::config::{ConfigError, Settings};
use crate::jwks::{JwksKeySource, JwksPolicy};

/// The issuer name tokens carry unless configured otherwise.
pub const DEFAULT_TOKEN_ISSUER: &str = "imkon";

/// The setting naming the URL of the key set to fetch.
pub const TOKEN_JWKS_URL_SETTING: &str = "token_jwks_url";

/// The setting bounding fetches caused by unknown key ids, in seconds.
pub const TOKEN_JWKS_REFETCH_SETTING: &str = "token_jwks_unknown_kid_refetch_seconds";

/// The readiness condition of a service whose key set is fetched.
const KEYS_LOADED_CONDITION: &str = "the token keys have not been loaded yet";

/// The range `token_jwks_unknown_kid_refetch_seconds` may take: at least a second, so random key
/// ids cannot make a service fetch in a loop; at most five minutes, so a newly published key is
/// not refused for long.
const REFETCH_SECONDS_RANGE: std::ops::RangeInclusive<u64> = 1..=300;

/// The verifier for tokens addressed to `audience`. With `token_jwks_url` it starts fetching
/// the key set in the background (it must be called inside the Tokio runtime) and registers the
/// readiness condition that the set was loaded.
pub fn token_verifier(
    settings: &Settings,
    audience: Audience,
) -> Result<TokenVerifier, ConfigError> {
    let issuer: String = settings.get_or("token_issuer", DEFAULT_TOKEN_ISSUER.to_owned())?;
    if let Some(url) = settings.raw(TOKEN_JWKS_URL_SETTING) {
        if settings.raw("token_public_keys").is_some() {
            return Err(settings.invalid(
                TOKEN_JWKS_URL_SETTING,
                "set either token_jwks_url or token_public_keys, not both",
            ));
        }
        return jwks_token_verifier(settings, url, &issuer, audience);
    }
    let jwks: String = settings.require("token_public_keys")?;
    let keys = PublicKeySet::from_jwks_json(&jwks)
        .map_err(|error| settings.invalid("token_public_keys", error.to_string()))?;
    TokenVerifier::new(keys, &issuer, audience)
        .map_err(|error| settings.invalid("token_issuer", error.to_string()))
}

fn jwks_token_verifier(
    settings: &Settings,
    url: &str,
    issuer: &str,
    audience: Audience,
) -> Result<TokenVerifier, ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| settings.invalid(TOKEN_JWKS_URL_SETTING, error.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(settings.invalid(TOKEN_JWKS_URL_SETTING, "must be an http or https URL"));
    }
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(settings.invalid(
            TOKEN_JWKS_URL_SETTING,
            "the key set can only be fetched inside the service's runtime",
        ));
    }
    let default_policy = JwksPolicy::default();
    let refetch_seconds: u64 = settings.get_or(
        TOKEN_JWKS_REFETCH_SETTING,
        default_policy.unknown_kid_refetch_interval.as_secs(),
    )?;
    if !REFETCH_SECONDS_RANGE.contains(&refetch_seconds) {
        return Err(settings.invalid(
            TOKEN_JWKS_REFETCH_SETTING,
            format!(
                "must be from {} to {} seconds",
                REFETCH_SECONDS_RANGE.start(),
                REFETCH_SECONDS_RANGE.end()
            ),
        ));
    }
    let policy = JwksPolicy {
        unknown_kid_refetch_interval: Duration::from_secs(refetch_seconds),
        ..default_policy
    };
    let source = JwksKeySource::new(url, policy)
        .map_err(|error| settings.invalid(TOKEN_JWKS_URL_SETTING, error.to_string()))?;
    let verifier = source
        .verifier(issuer, audience)
        .map_err(|error| settings.invalid("token_issuer", error.to_string()))?;
    source.spawn_refreshing();
    let keys = source.trusted_keys().clone();
    crate::http::require_for_readiness(settings.service(), KEYS_LOADED_CONDITION, move || {
        keys.is_loaded()
    });
    Ok(verifier)
}

/// The issuer of the platform's access tokens (onboarding only).
pub fn token_issuer(settings: &Settings) -> Result<TokenIssuer, ConfigError> {
    let issuer: String = settings.get_or("token_issuer", DEFAULT_TOKEN_ISSUER.to_owned())?;
    let key = configured_signing_key(settings)?;
    TokenIssuer::new(key, &issuer)
        .map_err(|error| settings.invalid("token_issuer", error.to_string()))
}

/// The signing key in `token_key_id` and `token_signing_key`.
pub fn configured_signing_key(settings: &Settings) -> Result<SigningKey, ConfigError> {
    let key_id_text: String = settings.require("token_key_id")?;
    let key_id = KeyId::parse(&key_id_text)
        .map_err(|error| settings.invalid("token_key_id", error.to_string()))?;
    let seed = settings.require_secret("token_signing_key")?;
    SigningKey::from_seed_base64(key_id, seed.expose())
        .map_err(|error| settings.invalid("token_signing_key", error.to_string()))
}
