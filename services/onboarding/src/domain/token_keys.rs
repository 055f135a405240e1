//! Onboarding's token signing keys: which one signs, which are published, and how a private
//! key is sealed at rest.
//!
//! The rules, in order:
//!
//! 1. Every key not retired is published in the JWKS, so that verifiers trust a new key before
//!    it signs and an old key until its last token has expired.
//! 2. The key activated last among those not retired signs, provided its private half is at
//!    hand (the configured key, or a sealed one that opens with the configured sealing key);
//!    otherwise the one activated before it, and so on. A key whose private half is not at hand
//!    is still published, so the tokens it signed stay valid until it is retired.
//! 3. A generated key's 32-byte seed is sealed with ChaCha20-Poly1305 under the sealing key,
//!    its kid authenticated with it, so a database dump alone signs nothing and a sealed seed
//!    copied to another kid's row does not open.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use chrono::{DateTime, Utc};
use imkon_auth::{KeyId, PublicKey, PublicKeySet, SigningKey};
use rand::RngCore;

const NONCE_BYTES: usize = 12;

/// The key that seals token signing keys in the database (`token_key_sealing_key`). `Debug`
/// hides it.
#[derive(Clone)]
pub struct KeySealingKey(Key);

impl std::fmt::Debug for KeySealingKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("KeySealingKey(..)")
    }
}

/// A seed could not be sealed, or a sealed one opened: another sealing key sealed it, or the
/// row was altered.
#[derive(Debug, thiserror::Error)]
#[error("the token signing key cannot be sealed or opened with the configured sealing key")]
pub struct SealError;

impl KeySealingKey {
    /// A fresh random key (tests and the launcher).
    pub fn generate() -> KeySealingKey {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        KeySealingKey(Key::from(bytes))
    }

    /// Parses 32 bytes in standard base64, as the setting holds them.
    pub fn from_base64(text: &str) -> Result<KeySealingKey, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|error| format!("not base64: {error}"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| format!("{} bytes, not 32", bytes.len()))?;
        Ok(KeySealingKey(Key::from(bytes)))
    }

    /// The key in standard base64.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_slice())
    }

    /// Seals `key`'s seed: a random nonce followed by the ciphertext, the kid authenticated.
    pub fn seal(&self, key: &SigningKey) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let seed = key.to_seed_base64();
        let ciphertext = ChaCha20Poly1305::new(&self.0)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: seed.as_bytes(),
                    aad: key.kid().as_str().as_bytes(),
                },
            )
            .map_err(|_| SealError)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Opens what [`KeySealingKey::seal`] sealed for `kid`.
    pub fn open(&self, kid: &KeyId, sealed: &[u8]) -> Result<SigningKey, SealError> {
        if sealed.len() <= NONCE_BYTES {
            return Err(SealError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let seed = ChaCha20Poly1305::new(&self.0)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: kid.as_str().as_bytes(),
                },
            )
            .map_err(|_| SealError)?;
        let seed = String::from_utf8(seed).map_err(|_| SealError)?;
        SigningKey::from_seed_base64(kid.clone(), &seed).map_err(|_| SealError)
    }
}

/// A key as stored.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub public_key: PublicKey,
    /// `None` for the configured key.
    pub sealed_seed: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl StoredKey {
    pub fn kid(&self) -> &KeyId {
        self.public_key.kid()
    }
}

/// What onboarding publishes and signs with.
#[derive(Debug, Clone)]
pub struct Keyring {
    pub published: PublicKeySet,
    pub signer: SigningKey,
}

/// Why no keyring could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("no active token signing key has its private half at hand")]
    NoSigner,
    #[error("the published keys: {0}")]
    Published(String),
}

/// The keyring the stored keys make (rules 1 and 2). Keys that cannot be opened are returned
/// too, so the caller can log them.
pub fn keyring(
    keys: &[StoredKey],
    configured: Option<&SigningKey>,
    sealing: Option<&KeySealingKey>,
) -> Result<(Keyring, Vec<KeyId>), KeyringError> {
    let live: Vec<&StoredKey> = keys.iter().filter(|key| key.retired_at.is_none()).collect();
    let published = PublicKeySet::new(live.iter().map(|key| key.public_key.clone()))
        .map_err(|error| KeyringError::Published(error.to_string()))?;
    let mut active: Vec<&StoredKey> = live
        .into_iter()
        .filter(|key| key.activated_at.is_some())
        .collect();
    active.sort_by_key(|key| std::cmp::Reverse(key.activated_at));
    let mut unopened = Vec::new();
    for key in active {
        let private = match (&key.sealed_seed, configured, sealing) {
            (None, Some(configured), _) if configured.public_key() == key.public_key => {
                Some(configured.clone())
            }
            (Some(sealed), _, Some(sealing)) => sealing
                .open(key.kid(), sealed)
                .ok()
                .filter(|opened| opened.public_key() == key.public_key),
            _ => None,
        };
        match private {
            Some(signer) => return Ok((Keyring { published, signer }, unopened)),
            None => unopened.push(key.kid().clone()),
        }
    }
    Err(KeyringError::NoSigner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(kid: &str) -> SigningKey {
        SigningKey::generate(KeyId::parse(kid).expect("a valid kid"))
    }

    fn at(minute: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2025-03-01T10:{minute:02}:00Z"))
            .expect("a valid instant")
            .with_timezone(&Utc)
    }

    fn stored(
        key: &SigningKey,
        sealing: Option<&KeySealingKey>,
        activated: Option<u32>,
        retired: Option<u32>,
    ) -> StoredKey {
        StoredKey {
            public_key: key.public_key(),
            sealed_seed: sealing.map(|sealing| sealing.seal(key).expect("seals")),
            created_at: at(0),
            activated_at: activated.map(at),
            retired_at: retired.map(at),
        }
    }

    #[test]
    fn the_key_activated_last_signs_and_every_live_key_is_published() {
        let sealing = KeySealingKey::generate();
        let configured = generated("config");
        let second = generated("second");
        let published_only = generated("next");
        let retired = generated("old");
        let keys = [
            stored(&retired, Some(&sealing), Some(0), Some(5)),
            stored(&configured, None, Some(1), None),
            stored(&second, Some(&sealing), Some(2), None),
            stored(&published_only, Some(&sealing), None, None),
        ];
        let (keyring, unopened) =
            keyring(&keys, Some(&configured), Some(&sealing)).expect("a signer");
        assert_eq!(keyring.signer.kid().as_str(), "second");
        assert!(unopened.is_empty());
        let mut kids: Vec<&str> = keyring
            .published
            .iter()
            .map(|key| key.kid().as_str())
            .collect();
        kids.sort_unstable();
        assert_eq!(kids, ["config", "next", "second"]);
    }

    #[test]
    fn a_key_sealed_under_another_sealing_key_is_skipped_for_the_one_before() {
        let configured = generated("config");
        let foreign = KeySealingKey::generate();
        let second = generated("second");
        let keys = [
            stored(&configured, None, Some(1), None),
            stored(&second, Some(&foreign), Some(2), None),
        ];
        let (keyring, unopened) =
            keyring(&keys, Some(&configured), Some(&KeySealingKey::generate())).expect("a signer");
        assert_eq!(keyring.signer.kid().as_str(), "config");
        assert_eq!(unopened, [KeyId::parse("second").expect("a valid kid")]);
        assert_eq!(keyring.published.len(), 2);
    }

    #[test]
    fn without_an_active_key_at_hand_there_is_no_signer() {
        let configured = generated("config");
        let keys = [stored(&configured, None, Some(1), Some(2))];
        assert_eq!(
            keyring(&keys, Some(&configured), None).map(|_| ()),
            Err(KeyringError::NoSigner)
        );
    }

    #[test]
    fn a_sealed_seed_opens_only_under_its_own_kid() {
        let sealing = KeySealingKey::generate();
        let key = generated("k1");
        let sealed = sealing.seal(&key).expect("seals");
        let opened = sealing.open(key.kid(), &sealed).expect("opens");
        assert_eq!(opened.public_key(), key.public_key());
        let other = KeyId::parse("k2").expect("a valid kid");
        assert!(sealing.open(&other, &sealed).is_err());
        assert!(!format!("{sealing:?}").contains(&sealing.to_base64()));
    }
}
