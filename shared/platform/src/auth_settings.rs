//! Token verification and issuing keys from a service's settings.
//!
//! Every service trusts the public keys in `token_public_keys` (a JWKS document) for tokens
//! issued by `token_issuer` to its own audience. Only onboarding signs tokens, with
//! `token_signing_key` (the base64 of a 32-byte Ed25519 seed) under `token_key_id`.

use imkon_auth::{Audience, KeyId, PublicKeySet, SigningKey, TokenIssuer, TokenVerifier};

use crate::config::{ConfigError, Settings};

/// The issuer name tokens carry unless configured otherwise.
pub const DEFAULT_TOKEN_ISSUER: &str = "imkon";

/// The verifier for tokens addressed to `audience`.
pub fn token_verifier(
    settings: &Settings,
    audience: Audience,
) -> Result<TokenVerifier, ConfigError> {
    let issuer: String = settings.get_or("token_issuer", DEFAULT_TOKEN_ISSUER.to_owned())?;
    let jwks: String = settings.require("token_public_keys")?;
    let keys = PublicKeySet::from_jwks_json(&jwks)
        .map_err(|error| settings.invalid("token_public_keys", error.to_string()))?;
    TokenVerifier::new(keys, &issuer, audience)
        .map_err(|error| settings.invalid("token_issuer", error.to_string()))
}

/// The issuer of the platform's access tokens (onboarding only).
pub fn token_issuer(settings: &Settings) -> Result<TokenIssuer, ConfigError> {
    let issuer: String = settings.get_or("token_issuer", DEFAULT_TOKEN_ISSUER.to_owned())?;
    let key_id_text: String = settings.require("token_key_id")?;
    let key_id = KeyId::parse(&key_id_text)
        .map_err(|error| settings.invalid("token_key_id", error.to_string()))?;
    let seed = settings.require_secret("token_signing_key")?;
    let key = SigningKey::from_seed_base64(key_id, seed.expose())
        .map_err(|error| settings.invalid("token_signing_key", error.to_string()))?;
    TokenIssuer::new(key, &issuer)
        .map_err(|error| settings.invalid("token_issuer", error.to_string()))
}
