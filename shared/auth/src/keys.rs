//! Signing keys, their ids, and the public half that other services trust.
//!
//! A private key is stored as the standard base64 (with padding) of its 32-byte Ed25519 seed:
//! one line, easy to hold in an environment variable or a secret store, and any 32 random bytes
//! are a valid seed, so `openssl rand -base64 32` makes one as well as [`SigningKey::generate`].
//! Public keys travel as a JWKS-like JSON document (RFC 8037's `OKP`/`Ed25519` form), which is
//! what the onboarding service publishes and every other service loads.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::SECRET_KEY_LENGTH;
use serde::{Deserialize, Serialize};

/// The longest key id accepted, in bytes.
pub const KEY_ID_MAX_BYTES: usize = 64;

/// The name of a key, carried in each token's header (`kid`) so verifiers can pick the right
/// public key, and so a new key can be introduced before the old one is retired.
///
/// One to 64 characters from `A-Z a-z 0-9 . _ -`, so that it is safe in logs and URLs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(kid: &str) -> Result<Self, KeyError> {
        if kid.is_empty() {
            return Err(KeyError::EmptyKeyId);
        }
        if kid.len() > KEY_ID_MAX_BYTES {
            return Err(KeyError::KeyIdTooLong {
                length_bytes: kid.len(),
            });
        }
        if !kid
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
        {
            return Err(KeyError::KeyIdCharacters);
        }
        Ok(Self(kid.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Key sets are looked up by the `kid` string of an untrusted header, before it is parsed.
impl Borrow<str> for KeyId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Why a key, a key id or a key set could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("kid: must not be empty")]
    EmptyKeyId,
    #[error("kid: is {length_bytes} bytes long, the limit is {KEY_ID_MAX_BYTES}")]
    KeyIdTooLong { length_bytes: usize },
    #[error("kid: may only contain letters, digits, '.', '_' and '-'")]
    KeyIdCharacters,
    #[error("seed: is not standard base64")]
    SeedNotBase64,
    #[error("seed: must be 32 bytes, found {length_bytes}")]
    SeedLength { length_bytes: usize },
    #[error("x: is not base64url without padding")]
    PublicKeyNotBase64,
    #[error("x: is not a valid Ed25519 public key")]
    PublicKeyInvalid,
    #[error("kty: expected \"OKP\", found {found:?}")]
    KeyType { found: String },
    #[error("crv: expected \"Ed25519\", found {found:?}")]
    Curve { found: String },
    #[error("keys: the key id {kid} appears twice")]
    DuplicateKeyId { kid: String },
    #[error("keys: the document is not a JSON key set: {reason}")]
    KeySetJson { reason: String },
}

/// A private signing key and its id. Held only by the service that issues tokens.
///
/// `Debug` shows the id only; the key material never reaches a log.
#[derive(Clone)]
pub struct SigningKey {
    kid: KeyId,
    key: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate(kid: KeyId) -> Self {
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        Self { kid, key }
    }

    /// Loads a key from the standard base64 of its 32-byte seed (surrounding whitespace, such as
    /// a trailing newline in a secret file, is ignored).
    pub fn from_seed_base64(kid: KeyId, seed_base64: &str) -> Result<Self, KeyError> {
        let seed = STANDARD
            .decode(seed_base64.trim())
            .map_err(|_| KeyError::SeedNotBase64)?;
        let seed: [u8; SECRET_KEY_LENGTH] =
            seed.as_slice()
                .try_into()
                .map_err(|_| KeyError::SeedLength {
                    length_bytes: seed.len(),
                })?;
        Ok(Self {
            kid,
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        })
    }

    /// The standard base64 of the 32-byte seed: the form [`SigningKey::from_seed_base64`]
    /// reads. This is the secret; store it as one.
    pub fn to_seed_base64(&self) -> String {
        STANDARD.encode(self.key.to_bytes())
    }

    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The public half, to hand to verifiers.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            kid: self.kid.clone(),
            key: self.key.verifying_key(),
        }
    }

    pub(crate) fn sign(&self, message: &[u8]) -> ed25519_dalek::Signature {
        use ed25519_dalek::Signer as _;
        self.key.sign(message)
    }
}

/// A public key and its id: what a verifier trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    kid: KeyId,
    key: ed25519_dalek::VerifyingKey,
}

impl PublicKey {
    /// Loads a public key from the base64url (no padding) of its 32 bytes, the JWK `x` form.
    pub fn from_x_base64url(kid: KeyId, x: &str) -> Result<Self, KeyError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(x)
            .map_err(|_| KeyError::PublicKeyNotBase64)?;
        let bytes: [u8; ed25519_dalek::PUBLIC_KEY_LENGTH] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::PublicKeyInvalid)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| KeyError::PublicKeyInvalid)?;
        // A small-order point "verifies" signatures it never made; such a key is never trusted.
        if key.is_weak() {
            return Err(KeyError::PublicKeyInvalid);
        }
        Ok(Self { kid, key })
    }

    /// The base64url (no padding) of the key's 32 bytes.
    pub fn to_x_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.as_bytes())
    }

    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    pub(crate) fn verifying_key(&self) -> &ed25519_dalek::VerifyingKey {
        &self.key
    }
}

/// The public keys a verifier trusts, by key id. During a rotation it holds the old key and
/// the new one; once no token signed by the old key can still be alive (15 minutes after the
/// switch), the old key is dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeySet {
    keys: BTreeMap<KeyId, PublicKey>,
}

#[derive(Serialize, Deserialize)]
struct JwkSetDocument {
    keys: Vec<JwkDocument>,
}

#[derive(Serialize, Deserialize)]
struct JwkDocument {
    kty: String,
    crv: String,
    kid: String,
    x: String,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    public_key_use: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alg: Option<String>,
}

impl PublicKeySet {
    /// A set of keys; two keys with the same id are refused, since a verifier could not tell
    /// which one a token means.
    pub fn new(keys: impl IntoIterator<Item = PublicKey>) -> Result<Self, KeyError> {
        let mut set = BTreeMap::new();
        for key in keys {
            let kid = key.kid.clone();
            if set.insert(kid.clone(), key).is_some() {
                return Err(KeyError::DuplicateKeyId { kid: kid.0 });
            }
        }
        Ok(Self { keys: set })
    }

    pub fn get(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.get(kid)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.values()
    }

    /// The set as a JWKS document:
    /// `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":…,"x":…,"use":"sig","alg":"EdDSA"}]}`.
    pub fn to_jwks_json(&self) -> String {
        let document = JwkSetDocument {
            keys: self
                .keys
                .values()
                .map(|key| JwkDocument {
                    kty: "OKP".to_owned(),
                    crv: "Ed25519".to_owned(),
                    kid: key.kid.0.clone(),
                    x: key.to_x_base64url(),
                    public_key_use: Some("sig".to_owned()),
                    alg: Some("EdDSA".to_owned()),
                })
                .collect(),
        };
        serde_json::to_string(&document).expect("a document of strings always serialises to JSON")
    }

    /// Reads a JWKS document. Every key must be an Ed25519 `OKP` key: this platform signs with
    /// nothing else, so anything else in the document is a configuration mistake.
    pub fn from_jwks_json(json: &str) -> Result<Self, KeyError> {
        let document: JwkSetDocument =
            serde_json::from_str(json).map_err(|error| KeyError::KeySetJson {
                reason: error.to_string(),
            })?;
        let keys = document
            .keys
            .into_iter()
            .map(|jwk| {
                if jwk.kty != "OKP" {
                    return Err(KeyError::KeyType { found: jwk.kty });
                }
                if jwk.crv != "Ed25519" {
                    return Err(KeyError::Curve { found: jwk.crv });
                }
                PublicKey::from_x_base64url(KeyId::parse(&jwk.kid)?, &jwk.x)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(keys)
    }
}

/// The key set a verifier trusts now, shared by the verifier's clones and by whatever keeps it
/// fresh (a JWKS fetcher, or onboarding reading its own keys), which replaces it in place.
///
/// Each replacement that changes the set counts a new generation; a verifier's memory of
/// verified tokens is only good for the generation it was made under, so a key removed from
/// the set stops verifying at once, even for a token seen before.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    state: Arc<RwLock<TrustedKeysState>>,
}

#[derive(Debug, Default)]
struct TrustedKeysState {
    set: Arc<PublicKeySet>,
    generation: u64,
    loaded: bool,
}

impl TrustedKeys {
    /// Trusts `set` from the start.
    pub fn new(set: PublicKeySet) -> Self {
        Self {
            state: Arc::new(RwLock::new(TrustedKeysState {
                set: Arc::new(set),
                generation: 0,
                loaded: true,
            })),
        }
    }

    /// Trusts nothing until the first [`TrustedKeys::replace`]; [`TrustedKeys::is_loaded`]
    /// says whether that happened, for the service's readiness.
    pub fn not_loaded() -> Self {
        Self::default()
    }

    /// The set trusted now, and its generation.
    pub fn current(&self) -> (Arc<PublicKeySet>, u64) {
        let state = self
            .state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (state.set.clone(), state.generation)
    }

    /// The generation of the set trusted now.
    pub fn generation(&self) -> u64 {
        self.current().1
    }

    /// Trusts `set` from now on, in place of the previous one; says whether it differs.
    pub fn replace(&self, set: PublicKeySet) -> bool {
        let mut state = self
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.loaded = true;
        if *state.set == set {
            return false;
        }
        state.set = Arc::new(set);
        state.generation += 1;
        true
    }

    /// Whether a key set was ever loaded.
    pub fn is_loaded(&self) -> bool {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .loaded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kid(name: &str) -> KeyId {
        KeyId::parse(name).expect("a valid key id")
    }

    #[test]
    fn key_ids_are_short_and_plain() {
        assert!(KeyId::parse("onboarding-2025-01").is_ok());
        assert_eq!(KeyId::parse(""), Err(KeyError::EmptyKeyId));
        assert_eq!(
            KeyId::parse(&"k".repeat(65)),
            Err(KeyError::KeyIdTooLong { length_bytes: 65 })
        );
        assert_eq!(KeyId::parse("a/b"), Err(KeyError::KeyIdCharacters));
        assert_eq!(KeyId::parse("a b"), Err(KeyError::KeyIdCharacters));
    }

    #[test]
    fn a_signing_key_survives_a_round_trip_through_its_base64_seed() {
        let key = SigningKey::generate(kid("k1"));
        let seed = key.to_seed_base64();
        assert_eq!(
            seed.len(),
            44,
            "32 bytes are 44 base64 characters with padding"
        );
        let loaded =
            SigningKey::from_seed_base64(kid("k1"), &format!("{seed}\n")).expect("the seed loads");
        assert_eq!(loaded.public_key(), key.public_key());
    }

    #[test]
    fn a_seed_of_the_wrong_length_or_alphabet_is_refused() {
        assert_eq!(
            SigningKey::from_seed_base64(kid("k1"), &STANDARD.encode([7_u8; 31])).map(|_| ()),
            Err(KeyError::SeedLength { length_bytes: 31 })
        );
        assert_eq!(
            SigningKey::from_seed_base64(kid("k1"), "not base64!").map(|_| ()),
            Err(KeyError::SeedNotBase64)
        );
    }

    #[test]
    fn debug_output_never_shows_the_private_key() {
        let key = SigningKey::generate(kid("k1"));
        let debug = format!("{key:?}");
        assert!(debug.contains("k1"));
        assert!(!debug.contains(&key.to_seed_base64()));
    }

    #[test]
    fn a_public_key_set_round_trips_through_jwks() {
        let first = SigningKey::generate(kid("k1")).public_key();
        let second = SigningKey::generate(kid("k2")).public_key();
        let set = PublicKeySet::new([first.clone(), second]).expect("distinct ids");
        let json = set.to_jwks_json();
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(parsed["keys"][0]["kty"], "OKP");
        assert_eq!(parsed["keys"][0]["crv"], "Ed25519");
        assert_eq!(parsed["keys"][0]["kid"], "k1");
        assert_eq!(parsed["keys"][0]["x"], first.to_x_base64url());
        assert_eq!(PublicKeySet::from_jwks_json(&json), Ok(set));
    }

    #[test]
    fn a_key_set_with_a_repeated_id_is_refused() {
        let key = SigningKey::generate(kid("k1")).public_key();
        assert_eq!(
            PublicKeySet::new([key.clone(), key]),
            Err(KeyError::DuplicateKeyId {
                kid: "k1".to_owned()
            })
        );
    }

    #[test]
    fn a_jwks_with_a_foreign_key_type_or_curve_is_refused() {
        let x = SigningKey::generate(kid("k1"))
            .public_key()
            .to_x_base64url();
        let rsa = format!(r#"{{"keys":[{{"kty":"RSA","crv":"Ed25519","kid":"k1","x":"{x}"}}]}}"#);
        assert_eq!(
            PublicKeySet::from_jwks_json(&rsa),
            Err(KeyError::KeyType {
                found: "RSA".to_owned()
            })
        );
        let x448 = format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed448","kid":"k1","x":"{x}"}}]}}"#);
        assert_eq!(
            PublicKeySet::from_jwks_json(&x448),
            Err(KeyError::Curve {
                found: "Ed448".to_owned()
            })
        );
    }

    #[test]
    fn replacing_trusted_keys_counts_a_generation_only_when_the_set_changes() {
        let first =
            PublicKeySet::new([SigningKey::generate(kid("k1")).public_key()]).expect("one key");
        let second =
            PublicKeySet::new([SigningKey::generate(kid("k2")).public_key()]).expect("one key");
        let trusted = TrustedKeys::not_loaded();
        assert!(!trusted.is_loaded());
        assert!(trusted.replace(first.clone()));
        assert!(trusted.is_loaded());
        let generation = trusted.generation();
        assert!(!trusted.replace(first));
        assert_eq!(trusted.generation(), generation);
        let clone = trusted.clone();
        assert!(clone.replace(second.clone()));
        assert_eq!(trusted.generation(), generation + 1);
        assert_eq!(*trusted.current().0, second);
    }

    #[test]
    fn a_weak_public_key_is_refused() {
        // The identity point encodes as 1 followed by zeros: it has small order.
        let mut identity = [0_u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_x_base64url(kid("k1"), &URL_SAFE_NO_PAD.encode(identity)),
            Err(KeyError::PublicKeyInvalid)
        );
    }
}
