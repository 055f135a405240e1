//! Access tokens: issuing them (onboarding does) and verifying them (every service does).
//!
//! The format is a JWT in compact form, `header.claims.signature`, each part base64url without
//! padding, signed with Ed25519 (`"alg": "EdDSA"`, RFC 8037). It is written here by hand on
//! `ed25519-dalek` rather than through a general JWT library, so that exactly one algorithm is
//! ever accepted and there is no algorithm-confusion path to forget to close.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::keys::{PublicKeySet, SigningKey, TrustedKeys};
use crate::policy::{granted_scopes, Scope};
use crate::principal::{Principal, PrincipalError};
use crate::role::{Audience, Role};

/// The longest an access token may live. A token cannot be revoked once issued, so its
/// lifetime is the window in which a leaked token is useful to a thief, and the longest a
/// removed role keeps working.
pub const ACCESS_TOKEN_MAX_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// How far a verifier's clock may disagree with the issuer's before a fresh token looks
/// premature or a live one looks expired.
pub const DEFAULT_CLOCK_SKEW_LEEWAY: Duration = Duration::from_secs(30);

/// The most leeway a verifier may be configured with: more would quietly extend every token.
pub const CLOCK_SKEW_LEEWAY_MAX: Duration = Duration::from_secs(5 * 60);

/// The longest token a verifier will look at, in bytes. Ours are a few hundred bytes; the bound
/// keeps a hostile header from costing memory or time.
pub const TOKEN_MAX_BYTES: usize = 8 * 1024;

/// The longest issuer name, in bytes.
pub const ISSUER_MAX_BYTES: usize = 200;

/// How many verified tokens a verifier remembers. A service sees a few tokens per caller per
/// fifteen minutes, so this holds every live token of a busy service; past it, the expired ones
/// are dropped, and if that is not enough the whole cache is, which only costs re-verification.
pub const VERIFIED_TOKEN_CACHE_ENTRIES: usize = 4096;

/// The only signing algorithm this platform speaks.
const ALGORITHM: &str = "EdDSA";

/// A mistake in how an issuer or verifier is set up; found at start-up, never per request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("issuer: must not be blank or have surrounding whitespace")]
    BlankIssuer,
    #[error("issuer: is {length_bytes} bytes long, the limit is {ISSUER_MAX_BYTES}")]
    IssuerTooLong { length_bytes: usize },
    #[error("keys: a verifier must trust at least one key")]
    NoTrustedKeys,
    #[error("leeway: {leeway_seconds} s is more than the limit of {} s", CLOCK_SKEW_LEEWAY_MAX.as_secs())]
    LeewayTooLong { leeway_seconds: u64 },
}

/// Why a token could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    #[error("lifetime: {requested_seconds} s is longer than the limit of {} s", ACCESS_TOKEN_MAX_LIFETIME.as_secs())]
    LifetimeTooLong { requested_seconds: u64 },
    #[error("lifetime: must be at least one second")]
    LifetimeTooShort,
}

/// Which part of a token's structure is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformation {
    /// Longer than [`TOKEN_MAX_BYTES`].
    TooLong,
    /// Not three dot-separated parts.
    SegmentCount,
    /// The header is not base64url without padding.
    HeaderEncoding,
    /// The header is not the JSON object a JWT header is.
    HeaderJson,
    /// The header names no key id.
    MissingKeyId,
    /// The header lists critical extensions, none of which this platform understands.
    CriticalHeader,
    /// The signature is not base64url of 64 bytes.
    SignatureEncoding,
    /// The claims are not base64url without padding.
    ClaimsEncoding,
    /// The claims are not the JSON object this platform issues.
    ClaimsJson,
    /// A time claim is outside the range of dates.
    TimestampOutOfRange,
}

/// Why a token was refused. Each cause is its own variant so that logs and tests can tell
/// them apart; what is shown to the caller is decided by the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is malformed ({0:?})")]
    Malformed(Malformation),
    #[error("the token's algorithm is not EdDSA")]
    UnsupportedAlgorithm,
    #[error("the token is signed by key {kid:?}, which is not trusted")]
    UnknownKey { kid: String },
    /// The signature does not match the header and claims under the named key: either the
    /// token was signed by another key, or its header or claims were altered after signing.
    /// The two cannot be told apart, by design of the signature scheme.
    #[error("the token's signature does not match its contents")]
    SignatureMismatch,
    #[error("the token was issued by someone else")]
    WrongIssuer,
    #[error("the token is addressed to another service")]
    WrongAudience,
    #[error("the token claims a lifetime longer than the platform allows")]
    LifetimeTooLong,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token's claims do not describe a principal: {0}")]
    InvalidPrincipal(#[from] PrincipalError),
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crit: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: Uuid,
    aud: String,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: Uuid,
    roles: Vec<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// A service token's operations, space-separated (RFC 8693, section 4.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

fn parse_issuer(issuer: &str) -> Result<String, ConfigError> {
    if issuer.trim().is_empty() || issuer.trim() != issuer {
        return Err(ConfigError::BlankIssuer);
    }
    if issuer.len() > ISSUER_MAX_BYTES {
        return Err(ConfigError::IssuerTooLong {
            length_bytes: issuer.len(),
        });
    }
    Ok(issuer.to_owned())
}

/// The `scope` claim for `scopes`: absent when there are none.
fn scope_claim(scopes: &[Scope]) -> Option<String> {
    if scopes.is_empty() {
        return None;
    }
    Some(
        scopes
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Signs already-serialised header and claims into the compact form.
fn sign_compact(key: &SigningKey, header_json: &[u8], claims_json: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header_json),
        URL_SAFE_NO_PAD.encode(claims_json)
    );
    let signature = key.sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

/// A freshly issued access token.
///
/// `Debug` leaves the token itself out: a bearer token in a log is a credential in a log.
#[derive(Clone)]
pub struct AccessToken {
    compact: String,
    token_id: Uuid,
    expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AccessToken")
            .field("token_id", &self.token_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    /// The compact form, to send as `Authorization: Bearer <token>`.
    pub fn as_str(&self) -> &str {
        &self.compact
    }

    pub fn into_string(self) -> String {
        self.compact
    }

    /// The token's `jti`, for audit trails.
    pub fn token_id(&self) -> Uuid {
        self.token_id
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

/// Mints access tokens. Only the onboarding service holds one (it is where people log in), and
/// each service holds one for its own service tokens.
///
/// Clones share the signing key, so that onboarding can switch every clone (the one in its
/// router state, the one its outbox relay signs with) to a new key at once, without a restart.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    key: Arc<RwLock<SigningKey>>,
    issuer: String,
}

impl TokenIssuer {
    /// An issuer that signs with `key` and names itself `issuer` in every token's `iss`.
    pub fn new(key: SigningKey, issuer: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            key: Arc::new(RwLock::new(key)),
            issuer: parse_issuer(issuer)?,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The key tokens are signed with now.
    pub fn signing_key(&self) -> SigningKey {
        self.key
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Signs every later token, in this issuer and all its clones, with `key`.
    pub fn replace_signing_key(&self, key: SigningKey) {
        *self
            .key
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = key;
    }

    /// Issues a token for `principal`, addressed to `audience`, valid from now for `lifetime`
    /// (whole seconds; at most [`ACCESS_TOKEN_MAX_LIFETIME`]). A service's token carries the
    /// scopes [`crate::policy`] grants it at that audience, and no others.
    pub fn issue(
        &self,
        principal: &Principal,
        audience: Audience,
        lifetime: Duration,
    ) -> Result<AccessToken, IssueError> {
        self.issue_at(principal, audience, lifetime, Utc::now())
    }

    /// [`TokenIssuer::issue`] with the clock given, for tests and replays.
    pub fn issue_at(
        &self,
        principal: &Principal,
        audience: Audience,
        lifetime: Duration,
        now: DateTime<Utc>,
    ) -> Result<AccessToken, IssueError> {
        if lifetime > ACCESS_TOKEN_MAX_LIFETIME {
            return Err(IssueError::LifetimeTooLong {
                requested_seconds: lifetime.as_secs(),
            });
        }
        let lifetime_seconds = i64::try_from(lifetime.as_secs())
            .expect("a lifetime of at most fifteen minutes fits in i64 seconds");
        if lifetime_seconds == 0 {
            return Err(IssueError::LifetimeTooShort);
        }
        let issued_at = now.timestamp();
        let expires_at = issued_at + lifetime_seconds;
        let token_id = Uuid::now_v7();
        let key = self.signing_key();
        let header = Header {
            alg: ALGORITHM.to_owned(),
            typ: Some("JWT".to_owned()),
            kid: Some(key.kid().as_str().to_owned()),
            crit: None,
        };
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: principal.subject(),
            aud: audience.as_str().to_owned(),
            exp: expires_at,
            nbf: issued_at,
            iat: issued_at,
            jti: token_id,
            roles: principal.roles().collect(),
            client_id: principal.client_id(),
            name: principal.name().map(str::to_owned),
            scope: scope_claim(&granted_scopes(principal, audience)),
        };
        let header_json =
            serde_json::to_vec(&header).expect("a header of strings always serialises to JSON");
        let claims_json = serde_json::to_vec(&claims)
            .expect("claims of strings, numbers and ids always serialise to JSON");
        Ok(AccessToken {
            compact: sign_compact(&key, &header_json, &claims_json),
            token_id,
            expires_at: DateTime::from_timestamp(expires_at, 0)
                .expect("now plus at most fifteen minutes is a representable instant"),
        })
    }
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    principal: Principal,
    token_id: Uuid,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl VerifiedToken {
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn into_principal(self) -> Principal {
        self.principal
    }

    /// The token's `jti`, for audit trails.
    pub fn token_id(&self) -> Uuid {
        self.token_id
    }

    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issued_at
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

#[derive(Debug, Clone)]
struct VerifierSettings {
    issuer: String,
    audience: Audience,
    leeway_seconds: i64,
}

/// Fetches a verifier's trusted keys anew when a token names a key the verifier does not know,
/// so that a key published since the last fetch is trusted without waiting for the set's
/// expiry. The implementation bounds how often it really fetches: the `kid` comes from an
/// untrusted header, and random ones must not make it hammer the key publisher.
pub trait KeyRefresher: Send + Sync + std::fmt::Debug {
    /// Resolves once the keys are fetched and installed, or once the bound said not now.
    fn refresh_for_unknown_key(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Checks access tokens on behalf of one service. Cloning is cheap (the settings, the trusted
/// keys and the cache are shared), so it can sit directly in an axum state.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    settings: Arc<VerifierSettings>,
    keys: TrustedKeys,
    refresher: Option<Arc<dyn KeyRefresher>>,
    cache: Arc<VerifiedTokenCache>,
}

/// A token that passed every check, as remembered for its next use.
#[derive(Debug)]
struct CachedToken {
    verified: VerifiedToken,
    /// The first second (Unix time) at which it is valid: the later of `nbf` and `iat`.
    earliest_valid: i64,
    /// The generation of the trusted keys it was verified under; under another it is checked
    /// afresh, since its key may have been retired.
    keys_generation: u64,
}

/// Tokens that verified, by their full compact text, so that a caller's next request with the
/// same token skips the Ed25519 signature check and the claims' parsing (a few per cent of a
/// busy service's time). Everything about a token but the clock is fixed by its text and the
/// verifier's settings, so a remembered token is re-checked against the clock alone, on every
/// use, with the same rules as a fresh one. A refused token is never remembered.
#[derive(Debug)]
struct VerifiedTokenCache {
    capacity: usize,
    tokens: Mutex<HashMap<Box<str>, CachedToken>>,
}

impl Default for VerifiedTokenCache {
    fn default() -> Self {
        Self::with_capacity(VERIFIED_TOKEN_CACHE_ENTRIES)
    }
}

impl VerifiedTokenCache {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity,
            tokens: Mutex::default(),
        }
    }

    /// The token as verified under the keys of `keys_generation`, if it was.
    fn get(&self, token: &str, keys_generation: u64) -> Option<(VerifiedToken, i64)> {
        let tokens = self
            .tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        tokens
            .get(token)
            .filter(|cached| cached.keys_generation == keys_generation)
            .map(|cached| (cached.verified.clone(), cached.earliest_valid))
    }

    /// Remembers a verified token, keeping at most its capacity: when full, the tokens expired
    /// at `now_seconds` (leeway included) go first, then all of them.
    fn insert(&self, token: &str, cached: CachedToken, now_seconds: i64, leeway_seconds: i64) {
        let mut tokens = self
            .tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if tokens.len() >= self.capacity {
            tokens.retain(|_, cached| {
                now_seconds.saturating_sub(leeway_seconds) < cached.verified.expires_at.timestamp()
            });
            if tokens.len() >= self.capacity {
                tokens.clear();
            }
        }
        tokens.insert(token.into(), cached);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.tokens
            .lock()
            .map(|tokens| tokens.len())
            .unwrap_or_default()
    }
}

/// Whether a token with these lifetime claims is alive at `now_seconds`.
fn check_lifetime(
    now_seconds: i64,
    leeway_seconds: i64,
    expires_at: i64,
    earliest_valid: i64,
) -> Result<(), VerifyError> {
    // A token is alive while now < exp; leeway stretches that window at both ends.
    if now_seconds.saturating_sub(leeway_seconds) >= expires_at {
        return Err(VerifyError::Expired);
    }
    if now_seconds.saturating_add(leeway_seconds) < earliest_valid {
        return Err(VerifyError::NotYetValid);
    }
    Ok(())
}

impl TokenVerifier {
    /// A verifier for the service `audience` that trusts `keys` and expects tokens from
    /// `issuer`, with [`DEFAULT_CLOCK_SKEW_LEEWAY`].
    pub fn new(keys: PublicKeySet, issuer: &str, audience: Audience) -> Result<Self, ConfigError> {
        if keys.is_empty() {
            return Err(ConfigError::NoTrustedKeys);
        }
        Self::trusting(TrustedKeys::new(keys), issuer, audience)
    }

    /// A verifier whose keys are replaced in place by whoever else holds `keys` (a JWKS
    /// fetcher); until they are first loaded, every token is refused as signed by an unknown
    /// key.
    pub fn trusting(
        keys: TrustedKeys,
        issuer: &str,
        audience: Audience,
    ) -> Result<Self, ConfigError> {
        let leeway_seconds =
            i64::try_from(DEFAULT_CLOCK_SKEW_LEEWAY.as_secs()).expect("thirty seconds fit in i64");
        Ok(Self {
            settings: Arc::new(VerifierSettings {
                issuer: parse_issuer(issuer)?,
                audience,
                leeway_seconds,
            }),
            keys,
            refresher: None,
            cache: Arc::default(),
        })
    }

    /// The same verifier, asking `refresher` for fresh keys when a token names an unknown key
    /// (see [`TokenVerifier::verify_refreshing`]).
    pub fn with_refresher(self, refresher: Arc<dyn KeyRefresher>) -> Self {
        Self {
            refresher: Some(refresher),
            ..self
        }
    }

    /// The keys this verifier trusts, shared with its clones.
    pub fn trusted_keys(&self) -> &TrustedKeys {
        &self.keys
    }

    /// The same verifier with another clock-skew leeway (at most [`CLOCK_SKEW_LEEWAY_MAX`]).
    pub fn with_clock_skew_leeway(self, leeway: Duration) -> Result<Self, ConfigError> {
        if leeway > CLOCK_SKEW_LEEWAY_MAX {
            return Err(ConfigError::LeewayTooLong {
                leeway_seconds: leeway.as_secs(),
            });
        }
        let mut settings = Arc::unwrap_or_clone(self.settings);
        settings.leeway_seconds =
            i64::try_from(leeway.as_secs()).expect("at most five minutes fit in i64 seconds");
        Ok(Self {
            settings: Arc::new(settings),
            cache: Arc::default(),
            ..self
        })
    }

    /// The service this verifier guards.
    pub fn audience(&self) -> Audience {
        self.settings.audience
    }

    /// Verifies a token (the part after `Bearer `) against the current time and the keys
    /// trusted now.
    pub fn verify(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        self.verify_at(token, Utc::now())
    }

    /// [`TokenVerifier::verify`], and when the token names a key the verifier does not know,
    /// one request to its refresher for fresh keys (which may decline, by its bound) and a
    /// second try. This is what the extractors call, so that a key published a moment ago is
    /// trusted on its first token.
    pub async fn verify_refreshing(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        match (self.verify(token), &self.refresher) {
            (Err(VerifyError::UnknownKey { .. }), Some(refresher)) => {
                refresher.refresh_for_unknown_key().await;
                self.verify(token)
            }
            (outcome, _) => outcome,
        }
    }

    /// [`TokenVerifier::verify`] with the clock given, for tests.
    ///
    /// The order matters: nothing in the claims is read before the signature is checked, and
    /// the algorithm is checked before any key is looked up, so an attacker-chosen `alg` or
    /// claim never steers the verification.
    ///
    /// A token verified before is taken from the verifier's cache and only its lifetime is
    /// checked again, against `now`.
    pub fn verify_at(&self, token: &str, now: DateTime<Utc>) -> Result<VerifiedToken, VerifyError> {
        let now_seconds = now.timestamp();
        let leeway_seconds = self.settings.leeway_seconds;
        let (keys, keys_generation) = self.keys.current();
        if let Some((verified, earliest_valid)) = self.cache.get(token, keys_generation) {
            check_lifetime(
                now_seconds,
                leeway_seconds,
                verified.expires_at.timestamp(),
                earliest_valid,
            )?;
            return Ok(verified);
        }
        let (verified, earliest_valid) = self.verify_uncached(token, &keys, now_seconds)?;
        self.cache.insert(
            token,
            CachedToken {
                verified: verified.clone(),
                earliest_valid,
                keys_generation,
            },
            now_seconds,
            leeway_seconds,
        );
        Ok(verified)
    }

    /// Every check of a token, from its text; returns it and the first second it is valid.
    fn verify_uncached(
        &self,
        token: &str,
        keys: &PublicKeySet,
        now_seconds: i64,
    ) -> Result<(VerifiedToken, i64), VerifyError> {
        use VerifyError::Malformed;
        let settings = &*self.settings;
        if token.len() > TOKEN_MAX_BYTES {
            return Err(Malformed(Malformation::TooLong));
        }
        let mut segments = token.split('.');
        let (Some(header_segment), Some(claims_segment), Some(signature_segment), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(Malformed(Malformation::SegmentCount));
        };

        let header_json = URL_SAFE_NO_PAD
            .decode(header_segment)
            .map_err(|_| Malformed(Malformation::HeaderEncoding))?;
        let header: Header = serde_json::from_slice(&header_json)
            .map_err(|_| Malformed(Malformation::HeaderJson))?;
        if header.alg != ALGORITHM {
            return Err(VerifyError::UnsupportedAlgorithm);
        }
        if header.crit.is_some() {
            return Err(Malformed(Malformation::CriticalHeader));
        }
        let kid = header.kid.ok_or(Malformed(Malformation::MissingKeyId))?;
        let public_key = keys.get(&kid).ok_or(VerifyError::UnknownKey { kid })?;

        let signature_bytes = URL_SAFE_NO_PAD
            .decode(signature_segment)
            .map_err(|_| Malformed(Malformation::SignatureEncoding))?;
        let signature = ed25519_dalek::Signature::from_slice(&signature_bytes)
            .map_err(|_| Malformed(Malformation::SignatureEncoding))?;
        let signing_input_length = header_segment.len() + 1 + claims_segment.len();
        let signing_input = &token.as_bytes()[..signing_input_length];
        // `verify_strict` also refuses non-canonical and small-order signature forms, so one
        // token has exactly one valid signature.
        public_key
            .verifying_key()
            .verify_strict(signing_input, &signature)
            .map_err(|_| VerifyError::SignatureMismatch)?;

        let claims_json = URL_SAFE_NO_PAD
            .decode(claims_segment)
            .map_err(|_| Malformed(Malformation::ClaimsEncoding))?;
        let claims: Claims = serde_json::from_slice(&claims_json)
            .map_err(|_| Malformed(Malformation::ClaimsJson))?;
        if claims.iss != settings.issuer {
            return Err(VerifyError::WrongIssuer);
        }
        if claims.aud != settings.audience.as_str() {
            return Err(VerifyError::WrongAudience);
        }
        let max_lifetime_seconds = i64::try_from(ACCESS_TOKEN_MAX_LIFETIME.as_secs())
            .expect("fifteen minutes fit in i64 seconds");
        if claims.exp.saturating_sub(claims.iat) > max_lifetime_seconds
            || claims.exp.saturating_sub(claims.nbf) > max_lifetime_seconds
        {
            return Err(VerifyError::LifetimeTooLong);
        }
        let earliest_valid = claims.nbf.max(claims.iat);
        check_lifetime(
            now_seconds,
            settings.leeway_seconds,
            claims.exp,
            earliest_valid,
        )?;
        let issued_at = DateTime::from_timestamp(claims.iat, 0)
            .ok_or(Malformed(Malformation::TimestampOutOfRange))?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0)
            .ok_or(Malformed(Malformation::TimestampOutOfRange))?;
        let scopes = claims
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|name| !name.is_empty())
            .map(Scope::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(PrincipalError::from)?;
        let principal =
            Principal::from_claims(claims.sub, claims.roles, claims.client_id, claims.name)?
                .with_scopes(scopes)?;
        Ok((
            VerifiedToken {
                principal,
                token_id: claims.jti,
                issued_at,
                expires_at,
            },
            earliest_valid,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyId;
    use proptest::prelude::*;
    use serde_json::json;

    const ISSUER: &str = "imkon-onboarding";
    const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);

    fn key(kid: &str) -> SigningKey {
        SigningKey::generate(KeyId::parse(kid).expect("a valid key id"))
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-03-01T10:00:00Z")
            .expect("a valid instant")
            .with_timezone(&Utc)
    }

    fn seconds_after(seconds: i64) -> DateTime<Utc> {
        now() + chrono::Duration::seconds(seconds)
    }

    fn verifier_trusting(keys: &[&SigningKey], audience: Audience) -> TokenVerifier {
        let set = PublicKeySet::new(keys.iter().map(|key| key.public_key())).expect("distinct");
        TokenVerifier::new(set, ISSUER, audience).expect("a valid verifier")
    }

    fn founder() -> Principal {
        Principal::user(
            Uuid::now_v7(),
            [Role::Client],
            Some(Uuid::now_v7()),
            Some("Aziz Rahimov".to_owned()),
        )
        .expect("a valid founder")
    }

    fn issue_for(key: &SigningKey, principal: &Principal, audience: Audience) -> String {
        TokenIssuer::new(key.clone(), ISSUER)
            .expect("a valid issuer")
            .issue_at(principal, audience, FIFTEEN_MINUTES, now())
            .expect("fifteen minutes is allowed")
            .into_string()
    }

    fn encode_json(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON serialises"))
    }

    fn decode_json(segment: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
    }

    fn claims_json(overrides: serde_json::Value) -> serde_json::Value {
        let mut claims = json!({
            "iss": ISSUER,
            "sub": Uuid::now_v7(),
            "aud": "scoring",
            "exp": now().timestamp() + 900,
            "nbf": now().timestamp(),
            "iat": now().timestamp(),
            "jti": Uuid::now_v7(),
            "roles": ["client"],
        });
        for (name, value) in overrides.as_object().expect("an object of overrides") {
            claims[name] = value.clone();
        }
        claims
    }

    /// Signs arbitrary header and claims with a real key, to forge tokens a careless issuer
    /// might have produced.
    fn sign_raw(key: &SigningKey, header: serde_json::Value, claims: serde_json::Value) -> String {
        sign_compact(
            key,
            &serde_json::to_vec(&header).expect("JSON serialises"),
            &serde_json::to_vec(&claims).expect("JSON serialises"),
        )
    }

    #[test]
    fn a_user_token_verifies_and_yields_the_same_principal() {
        let key = key("k1");
        let principal = founder();
        let issued = TokenIssuer::new(key.clone(), ISSUER)
            .expect("a valid issuer")
            .issue_at(&principal, Audience::Scoring, FIFTEEN_MINUTES, now())
            .expect("fifteen minutes is allowed");
        let verified = verifier_trusting(&[&key], Audience::Scoring)
            .verify_at(issued.as_str(), seconds_after(60))
            .expect("a fresh token verifies");
        assert_eq!(verified.principal(), &principal);
        assert_eq!(verified.token_id(), issued.token_id());
        assert_eq!(verified.issued_at(), now());
        assert_eq!(verified.expires_at(), seconds_after(900));
        assert_eq!(issued.expires_at(), seconds_after(900));
    }

    #[test]
    fn a_service_token_verifies_as_a_service_principal() {
        let key = key("k1");
        let caller = Principal::service(Uuid::now_v7(), Some("applications".to_owned()))
            .expect("a valid service");
        let token = issue_for(&key, &caller, Audience::Scoring);
        let verified = verifier_trusting(&[&key], Audience::Scoring)
            .verify_at(&token, now())
            .expect("a fresh token verifies");
        assert!(verified.principal().is_service());
        assert_eq!(verified.principal().name(), Some("applications"));
    }

    #[test]
    fn a_token_is_a_compact_jwt_with_an_eddsa_header_naming_its_key() {
        let key = key("onboarding-2025-03");
        let token = issue_for(&key, &founder(), Audience::Accounts);
        let segments: Vec<&str> = token.split('.').collect();
        assert_eq!(segments.len(), 3);
        assert!(!token.contains('='), "base64url without padding");
        assert!(
            !token.contains('+') && !token.contains('/'),
            "url-safe alphabet"
        );
        assert_eq!(
            decode_json(segments[0]),
            json!({"alg": "EdDSA", "typ": "JWT", "kid": "onboarding-2025-03"})
        );
        let claims = decode_json(segments[1]);
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["aud"], "accounts");
        assert_eq!(claims["roles"], json!(["client"]));
        assert_eq!(claims["name"], "Aziz Rahimov");
        assert_eq!(claims["exp"].as_i64(), Some(now().timestamp() + 900));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(segments[2]).map(|bytes| bytes.len()),
            Ok(64)
        );
    }

    #[test]
    fn the_issuer_refuses_a_lifetime_over_fifteen_minutes() {
        let issuer = TokenIssuer::new(key("k1"), ISSUER).expect("a valid issuer");
        assert_eq!(
            issuer
                .issue_at(
                    &founder(),
                    Audience::Scoring,
                    FIFTEEN_MINUTES + Duration::from_secs(1),
                    now()
                )
                .map(|_| ()),
            Err(IssueError::LifetimeTooLong {
                requested_seconds: 901
            })
        );
        assert_eq!(
            issuer
                .issue_at(
                    &founder(),
                    Audience::Scoring,
                    Duration::from_millis(999),
                    now()
                )
                .map(|_| ()),
            Err(IssueError::LifetimeTooShort)
        );
    }

    #[test]
    fn an_issuer_or_verifier_needs_a_plain_issuer_name_and_a_verifier_needs_a_key() {
        assert_eq!(
            TokenIssuer::new(key("k1"), " ").map(|_| ()),
            Err(ConfigError::BlankIssuer)
        );
        assert_eq!(
            TokenIssuer::new(key("k1"), &"i".repeat(201)).map(|_| ()),
            Err(ConfigError::IssuerTooLong { length_bytes: 201 })
        );
        assert_eq!(
            TokenVerifier::new(PublicKeySet::default(), ISSUER, Audience::Scoring).map(|_| ()),
            Err(ConfigError::NoTrustedKeys)
        );
        assert_eq!(
            verifier_trusting(&[&key("k1")], Audience::Scoring)
                .with_clock_skew_leeway(Duration::from_secs(301))
                .map(|_| ()),
            Err(ConfigError::LeewayTooLong {
                leeway_seconds: 301
            })
        );
    }

    #[test]
    fn an_expired_token_is_refused_once_the_leeway_has_passed() {
        let key = key("k1");
        let token = issue_for(&key, &founder(), Audience::Scoring);
        let verifier = verifier_trusting(&[&key], Audience::Scoring);
        assert!(verifier.verify_at(&token, seconds_after(900 + 29)).is_ok());
        assert_eq!(
            verifier.verify_at(&token, seconds_after(900 + 30)),
            Err(VerifyError::Expired)
        );
        let strict = verifier
            .with_clock_skew_leeway(Duration::ZERO)
            .expect("zero leeway is allowed");
        assert_eq!(
            strict.verify_at(&token, seconds_after(900)),
            Err(VerifyError::Expired)
        );
    }

    #[test]
    fn a_token_from_the_future_is_not_yet_valid() {
        let key = key("k1");
        let token = issue_for(&key, &founder(), Audience::Scoring);
        let verifier = verifier_trusting(&[&key], Audience::Scoring);
        assert!(verifier.verify_at(&token, seconds_after(-30)).is_ok());
        assert_eq!(
            verifier.verify_at(&token, seconds_after(-31)),
            Err(VerifyError::NotYetValid)
        );
    }

    #[test]
    fn a_remembered_token_is_checked_against_the_clock_on_every_use() {
        let key = key("k1");
        let token = issue_for(&key, &founder(), Audience::Scoring);
        let verifier = verifier_trusting(&[&key], Audience::Scoring);
        assert!(verifier.verify_at(&token, seconds_after(60)).is_ok());
        assert_eq!(verifier.cache.len(), 1, "the verified token is remembered");
        assert_eq!(
            verifier.verify_at(&token, seconds_after(-31)),
            Err(VerifyError::NotYetValid)
        );
        assert_eq!(
            verifier.verify_at(&token, seconds_after(900 + 30)),
            Err(VerifyError::Expired)
        );
        // A copy of the token with its signature changed is a different text: it is checked in
        // full, not taken from the cache.
        let (signed, signature) = token.rsplit_once('.').expect("three segments");
        let mut forged_signature = signature.as_bytes().to_vec();
        forged_signature[0] = if forged_signature[0] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let forged = format!(
            "{signed}.{}",
            String::from_utf8(forged_signature).expect("base64url is ASCII")
        );
        assert!(verifier.verify_at(&forged, seconds_after(60)).is_err());
        assert_eq!(verifier.cache.len(), 1, "a refused token is not remembered");
    }

    #[test]
    fn the_cache_of_verified_tokens_stays_bounded() {
        let key = key("k1");
        let mut verifier = verifier_trusting(&[&key], Audience::Scoring);
        verifier.cache = Arc::new(VerifiedTokenCache::with_capacity(4));
        let issue_at = |at| {
            TokenIssuer::new(key.clone(), ISSUER)
                .expect("a valid issuer")
                .issue_at(&founder(), Audience::Scoring, FIFTEEN_MINUTES, at)
                .expect("fifteen minutes is allowed")
                .into_string()
        };
        for _ in 0..4 {
            assert!(verifier.verify_at(&issue_at(now()), now()).is_ok());
        }
        assert_eq!(verifier.cache.len(), 4);
        // Full of live tokens, the cache starts over rather than grow.
        let one_more = issue_at(now());
        assert!(verifier.verify_at(&one_more, now()).is_ok());
        assert_eq!(verifier.cache.len(), 1);
        for _ in 0..2 {
            assert!(verifier.verify_at(&issue_at(now()), now()).is_ok());
        }
        let later = seconds_after(600);
        let live = issue_at(later);
        assert!(verifier.verify_at(&live, later).is_ok());
        assert_eq!(verifier.cache.len(), 4);
        // Full again, and once three of them have expired, a new token pushes out only those.
        let much_later = seconds_after(900 + 30);
        let fresh = issue_at(much_later);
        assert!(verifier.verify_at(&fresh, much_later).is_ok());
        assert_eq!(verifier.cache.len(), 2, "the three expired are gone");
        assert!(verifier.cache.get(&live, 0).is_some());
        assert!(verifier.cache.get(&fresh, 0).is_some());
    }

    #[test]
    fn a_token_seen_before_is_refused_once_its_key_is_no_longer_trusted() {
        let old = key("2025-01");
        let new = key("2025-03");
        let verifier = verifier_trusting(&[&old, &new], Audience::Scoring);
        let by_old = issue_for(&old, &founder(), Audience::Scoring);
        let by_new = issue_for(&new, &founder(), Audience::Scoring);
        assert!(verifier.verify_at(&by_old, now()).is_ok());
        assert!(verifier.verify_at(&by_new, now()).is_ok());
        let clone = verifier.clone();
        clone
            .trusted_keys()
            .replace(PublicKeySet::new([new.public_key()]).expect("one key"));
        assert_eq!(
            verifier.verify_at(&by_old, now()),
            Err(VerifyError::UnknownKey {
                kid: "2025-01".to_owned()
            })
        );
        assert!(verifier.verify_at(&by_new, now()).is_ok());
    }

    /// A refresher that installs a prepared key set and counts how often it was asked.
    #[derive(Debug)]
    struct PreparedRefresher {
        keys: TrustedKeys,
        next: PublicKeySet,
        calls: Mutex<usize>,
    }

    impl KeyRefresher for PreparedRefresher {
        fn refresh_for_unknown_key(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
            Box::pin(async move {
                *self.calls.lock().expect("not poisoned") += 1;
                self.keys.replace(self.next.clone());
            })
        }
    }

    #[tokio::test]
    async fn an_unknown_key_asks_the_refresher_once_and_tries_again() {
        let old = key("2025-01");
        let new = key("2025-03");
        let keys = TrustedKeys::new(PublicKeySet::new([old.public_key()]).expect("one key"));
        let refresher = Arc::new(PreparedRefresher {
            keys: keys.clone(),
            next: PublicKeySet::new([old.public_key(), new.public_key()]).expect("two keys"),
            calls: Mutex::new(0),
        });
        let verifier = TokenVerifier::trusting(keys, ISSUER, Audience::Scoring)
            .expect("a valid verifier")
            .with_refresher(refresher.clone());
        let principal = founder();
        let fresh = |signer: &SigningKey| {
            TokenIssuer::new(signer.clone(), ISSUER)
                .expect("a valid issuer")
                .issue(&principal, Audience::Scoring, FIFTEEN_MINUTES)
                .expect("fifteen minutes is allowed")
                .into_string()
        };
        assert!(verifier.verify_refreshing(&fresh(&old)).await.is_ok());
        assert_eq!(*refresher.calls.lock().expect("not poisoned"), 0);
        assert!(verifier.verify_refreshing(&fresh(&new)).await.is_ok());
        assert_eq!(*refresher.calls.lock().expect("not poisoned"), 1);
        assert_eq!(
            verifier.verify_refreshing(&fresh(&key("never"))).await,
            Err(VerifyError::UnknownKey {
                kid: "never".to_owned()
            })
        );
        assert_eq!(*refresher.calls.lock().expect("not poisoned"), 2);
    }

    #[test]
    fn an_issuer_switched_to_a_new_key_signs_with_it_in_every_clone() {
        let old = key("2025-01");
        let new = key("2025-03");
        let issuer = TokenIssuer::new(old.clone(), ISSUER).expect("a valid issuer");
        let clone = issuer.clone();
        issuer.replace_signing_key(new.clone());
        let token = clone
            .issue_at(&founder(), Audience::Scoring, FIFTEEN_MINUTES, now())
            .expect("fifteen minutes is allowed")
            .into_string();
        assert!(verifier_trusting(&[&new], Audience::Scoring)
            .verify_at(&token, now())
            .is_ok());
        assert!(verifier_trusting(&[&old], Audience::Scoring)
            .verify_at(&token, now())
            .is_err());
    }

    #[test]
    fn a_token_for_another_service_is_refused() {
        let key = key("k1");
        let token = issue_for(&key, &founder(), Audience::Accounts);
        assert_eq!(
            verifier_trusting(&[&key], Audience::Scoring).verify_at(&token, now()),
            Err(VerifyError::WrongAudience)
        );
    }

    #[test]
    fn a_token_from_another_issuer_is_refused() {
        let key = key("k1");
        let token = TokenIssuer::new(key.clone(), "someone-else")
            .expect("a valid issuer")
            .issue_at(&founder(), Audience::Scoring, FIFTEEN_MINUTES, now())
            .expect("fifteen minutes is allowed");
        assert_eq!(
            verifier_trusting(&[&key], Audience::Scoring).verify_at(token.as_str(), now()),
            Err(VerifyError::WrongIssuer)
        );
    }

    #[test]
    fn a_token_signed_by_an_untrusted_key_under_a_trusted_id_is_refused() {
        let trusted = key("k1");
        let impostor = key("k1");
        let token = issue_for(&impostor, &founder(), Audience::Scoring);
        assert_eq!(
            verifier_trusting(&[&trusted], Audience::Scoring).verify_at(&token, now()),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn a_token_whose_claims_were_altered_after_signing_is_refused() {
        let key = key("k1");
        let token = issue_for(&key, &founder(), Audience::Scoring);
        let segments: Vec<&str> = token.split('.').collect();
        let mut claims = decode_json(segments[1]);
        claims["roles"] = json!(["admin"]);
        let tampered = format!("{}.{}.{}", segments[0], encode_json(&claims), segments[2]);
        assert_eq!(
            verifier_trusting(&[&key], Audience::Scoring).verify_at(&tampered, now()),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn a_token_whose_header_was_altered_after_signing_is_refused() {
        let key = key("k1");
        let token = issue_for(&key, &founder(), Audience::Scoring);
        let segments: Vec<&str> = token.split('.').collect();
        let header = json!({"alg": "EdDSA", "kid": "k1"});
        let tampered = format!("{}.{}.{}", encode_json(&header), segments[1], segments[2]);
        assert_eq!(
            verifier_trusting(&[&key], Audience::Scoring).verify_at(&tampered, now()),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn an_unsigned_token_with_alg_none_is_refused() {
        let key = key("k1");
        let header = encode_json(&json!({"alg": "none", "typ": "JWT", "kid": "k1"}));
        let claims = encode_json(&claims_json(json!({})));
        let verifier = verifier_trusting(&[&key], Audience::Scoring);
        assert_eq!(
            verifier.verify_at(&format!("{header}.{claims}."), now()),
            Err(VerifyError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn a_token_with_any_algorithm_but_eddsa_is_refused_even_if_ed25519_signed() {
        let key = key("k1");
        let verifier = verifier_trusting(&[&key], Audience::Scoring);
        for algorithm in ["HS256", "RS256", "ES256", "eddsa", "Ed25519"] {
            let token = sign_raw(
                &key,
                json!({"alg": algorithm, "kid": "k1"}),
                claims_json(json!({})),
            );
            assert_eq!(
                verifier.verify_at(&token, now()),
                Err(VerifyError::UnsupportedAlgorithm),
                "{algorithm}"
            );
        }
    }

    #[test]
    fn a_token_naming_an_unknown_key_is_refused() {
        let token = issue_for(&key("retired-2024"), &founder(), Audience::Scoring);
        assert_eq!(
            verifier_trusting(&[&key("k1")], Audience::Scoring).verify_at(&token, now()),
            Err(VerifyError::UnknownKey {
                kid: "retired-2024".to_owned()
            })
        );
    }

    #[test]
    fn during_a_rotation_tokens_from_the_old_and_the_new_key_both_verify() {
        let old = key("2025-01");
        let new = key("2025-03");
        let verifier = verifier_trusting(&[&old, &new], Audience::Scoring);
        for signer in [&old, &new] {
            let token = issue_for(signer, &founder(), Audience::Scoring);
            assert!(verifier.verify_at(&token, now()).is_ok());
        }
    }

    #[test]
    fn malformed_tokens_are_refused_with_the_broken_part_named() {
        let key = key("k1");
        let verifier = verifier_trusting(&[&key], Audience::Scoring);
        let good = issue_for(&key, &founder(), Audience::Scoring);
        let segments: Vec<&str> = good.split('.').collect();
        let no_kid = sign_raw(&key, json!({"alg": "EdDSA"}), claims_json(json!({})));
        let critical = sign_raw(
            &key,
            json!({"alg": "EdDSA", "kid": "k1", "crit": ["exp"]}),
            claims_json(json!({})),
        );
        let claims_not_ours = sign_raw(
            &key,
            json!({"alg": "EdDSA", "kid": "k1"}),
            json!({"iss": ISSUER, "aud": "scoring"}),
        );
        let unknown_role = sign_raw(
            &key,
            json!({"alg": "EdDSA", "kid": "k1"}),
            claims_json(json!({"roles": ["superuser"]})),
        );
        let cases = [
            ("garbage".to_owned(), Malformation::SegmentCount),
            ("".to_owned(), Malformation::SegmentCount),
            (format!("{good}.extra"), Malformation::SegmentCount),
            ("a".repeat(TOKEN_MAX_BYTES + 1), Malformation::TooLong),
            (
                format!("%%%.{}.{}", segments[1], segments[2]),
                Malformation::HeaderEncoding,
            ),
            (
                format!("{}=.{}.{}", segments[0], segments[1], segments[2]),
                Malformation::HeaderEncoding,
            ),
            (
                format!(
                    "{}.{}.{}",
                    URL_SAFE_NO_PAD.encode("not json"),
                    segments[1],
                    segments[2]
                ),
                Malformation::HeaderJson,
            ),
            (no_kid, Malformation::MissingKeyId),
            (critical, Malformation::CriticalHeader),
            (
                format!("{}.{}.AAAA", segments[0], segments[1]),
                Malformation::SignatureEncoding,
            ),
            (claims_not_ours, Malformation::ClaimsJson),
            (unknown_role, Malformation::ClaimsJson),
        ];
        for (token, malformation) in cases {
            assert_eq!(
                verifier.verify_at(&token, now()),
                Err(VerifyError::Malformed(malformation)),
                "{malformation:?}"
            );
        }
    }

    #[test]
    fn a_correctly_signed_token_claiming_a_long_lifetime_is_refused() {
        let key = key("k1");
        let token = sign_raw(
            &key,
            json!({"alg": "EdDSA", "kid": "k1"}),
            claims_json(json!({"exp": now().timestamp() + 24 * 60 * 60})),
        );
        assert_eq!(
            verifier_trusting(&[&key], Audience::Scoring).verify_at(&token, now()),
            Err(VerifyError::LifetimeTooLong)
        );
    }

    #[test]
    fn a_correctly_signed_token_mixing_service_and_user_roles_is_refused() {
        let key = key("k1");
        let token = sign_raw(
            &key,
            json!({"alg": "EdDSA", "kid": "k1"}),
            claims_json(json!({"roles": ["service", "admin"]})),
        );
        assert_eq!(
            verifier_trusting(&[&key], Audience::Scoring).verify_at(&token, now()),
            Err(VerifyError::InvalidPrincipal(
                PrincipalError::UserRoleOnService
            ))
        );
    }

    #[test]
    fn a_service_token_carries_the_scopes_the_policy_grants_at_its_audience() {
        let key = key("k1");
        let disbursement = Principal::service(Uuid::now_v7(), Some("disbursement".to_owned()))
            .expect("a valid service");
        let token = issue_for(&key, &disbursement, Audience::Accounts);
        let claims = decode_json(token.split('.').nth(1).expect("three segments"));
        assert_eq!(
            claims["scope"],
            "accounts:read accounts:open accounts:transfer events:publish:loan.overdue \
             events:publish:contract.ready_to_sign events:publish:tranche.paid \
             events:publish:loan.instalment_due events:publish:contract.cancelled"
        );
        let verified = verifier_trusting(&[&key], Audience::Accounts)
            .verify_at(&token, now())
            .expect("a fresh token verifies");
        assert!(verified
            .principal()
            .has_scope(&crate::policy::ACCOUNTS_TRANSFER));

        let scoring = Principal::service(Uuid::now_v7(), Some("scoring".to_owned()))
            .expect("a valid service");
        let token = issue_for(&key, &scoring, Audience::Accounts);
        let claims = decode_json(token.split('.').nth(1).expect("three segments"));
        assert_eq!(claims.get("scope"), None);
        let verified = verifier_trusting(&[&key], Audience::Accounts)
            .verify_at(&token, now())
            .expect("a fresh token verifies");
        assert_eq!(verified.principal().scopes().len(), 0);
    }

    #[test]
    fn a_correctly_signed_person_token_claiming_a_scope_is_refused() {
        let key = key("k1");
        let token = sign_raw(
            &key,
            json!({"alg": "EdDSA", "kid": "k1"}),
            claims_json(json!({"scope": "accounts:transfer"})),
        );
        assert_eq!(
            verifier_trusting(&[&key], Audience::Scoring).verify_at(&token, now()),
            Err(VerifyError::InvalidPrincipal(PrincipalError::ScopeOnUser))
        );
    }

    #[test]
    fn refusals_never_repeat_the_token() {
        let key = key("k1");
        let token = issue_for(&key, &founder(), Audience::Accounts);
        let refusal = verifier_trusting(&[&key], Audience::Scoring)
            .verify_at(&token, now())
            .expect_err("wrong audience");
        let shown = format!("{refusal} {refusal:?}");
        for segment in token.split('.') {
            assert!(!shown.contains(segment));
        }
    }

    const BASE64URL_ALPHABET: &str =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

    proptest! {
        #[test]
        fn no_single_character_change_to_a_token_is_accepted(
            position in any::<prop::sample::Index>(),
            replacement in prop::sample::select(BASE64URL_ALPHABET.chars().collect::<Vec<_>>()),
        ) {
            let key = key("k1");
            let token = issue_for(&key, &founder(), Audience::Scoring);
            let index = position.index(token.len());
            prop_assume!(token.as_bytes()[index] != replacement as u8);
            let mut altered = token.clone().into_bytes();
            altered[index] = replacement as u8;
            let altered = String::from_utf8(altered).expect("ASCII stays UTF-8");
            prop_assert!(
                verifier_trusting(&[&key], Audience::Scoring).verify_at(&altered, now()).is_err()
            );
        }
    }
}
