//! The key that seals what a stored session knows, so that a copy of the session database
//! (a backup, a replica, a curious reader) yields no refresh token and no access token.
//!
//! XChaCha20-Poly1305 rather than ChaCha20-Poly1305: every save of a session seals anew under
//! the same key with a random nonce, and the 24-byte nonce keeps the chance of a repeat
//! negligible however many saves a key lives through, where 12 bytes would call for counting
//! them and changing the key after a few billion.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;

/// Bytes of the random nonce that starts every sealed value.
const NONCE_BYTES: usize = 24;

/// Bytes of a key, as the `session_encryption_key` setting holds it in base64.
const KEY_BYTES: usize = 32;

/// The `session_encryption_key`: 32 bytes. `Debug` hides it.
#[derive(Clone)]
pub struct SessionEncryptionKey(Key);

impl std::fmt::Debug for SessionEncryptionKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SessionEncryptionKey(..)")
    }
}

/// A sealed value did not open: another key sealed it, it was sealed for another session, or
/// it was altered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the session's data does not open with the configured session_encryption_key")]
pub struct OpenError;

impl SessionEncryptionKey {
    /// A fresh random key: tests, and `imkon up` when none is configured.
    pub fn generate() -> SessionEncryptionKey {
        let mut bytes = [0u8; KEY_BYTES];
        OsRng.fill_bytes(&mut bytes);
        SessionEncryptionKey(Key::from(bytes))
    }

    /// Parses 32 bytes in standard base64 (`openssl rand -base64 32`).
    pub fn from_base64(text: &str) -> Result<SessionEncryptionKey, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|error| format!("not base64: {error}"))?;
        let bytes: [u8; KEY_BYTES] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| format!("{} bytes, not {KEY_BYTES}", bytes.len()))?;
        Ok(SessionEncryptionKey(Key::from(bytes)))
    }

    /// The key in standard base64, as the setting takes it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_slice())
    }

    /// The tag that marks `person`'s sessions: HMAC-SHA256 under this key, with a label of its
    /// own so that the tag key is not the sealing key's use. Without the key a tag can neither
    /// be read back into a person nor computed for one.
    pub fn owner_tag(&self, person: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(b"imkon frontend session owner\0");
        mac.update(person.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Seals `plaintext` for the session whose id hashes to `id_hash`: a random nonce, then the
    /// ciphertext and tag. The id hash is authenticated with it, so a database writer who
    /// copies one visitor's sealed data into the row of a session they hold gets a session
    /// that does not open, not the visitor's sign-in.
    pub fn seal(&self, id_hash: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = XChaCha20Poly1305::new(&self.0)
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: id_hash,
                },
            )
            // The AEAD fails only for a message beyond 256 GiB; a session's values are a few
            // kilobytes.
            .expect("a session's data is far below the cipher's message limit");
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Opens what [`SessionEncryptionKey::seal`] sealed for the same `id_hash`.
    pub fn open(&self, id_hash: &[u8], sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() <= NONCE_BYTES {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        XChaCha20Poly1305::new(&self.0)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: id_hash,
                },
            )
            .map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_for_its_session() {
        let key = SessionEncryptionKey::generate();
        let sealed = key.seal(b"session-a", b"refresh-token-value");
        assert!(!sealed
            .windows(b"refresh-token-value".len())
            .any(|window| window == b"refresh-token-value"));
        assert_eq!(
            key.open(b"session-a", &sealed).unwrap(),
            b"refresh-token-value"
        );
        assert_eq!(key.open(b"session-b", &sealed), Err(OpenError));
        assert_eq!(
            SessionEncryptionKey::generate().open(b"session-a", &sealed),
            Err(OpenError)
        );
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(key.open(b"session-a", &altered), Err(OpenError));
        assert_eq!(key.open(b"session-a", &sealed[..10]), Err(OpenError));
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let key = SessionEncryptionKey::generate();
        assert_ne!(key.seal(b"s", b"same"), key.seal(b"s", b"same"));
    }

    #[test]
    fn a_key_setting_must_be_32_bytes_of_base64_and_is_never_printed() {
        assert!(SessionEncryptionKey::from_base64("not base64!").is_err());
        assert!(SessionEncryptionKey::from_base64(&STANDARD.encode([1u8; 16])).is_err());
        let key = SessionEncryptionKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(key.to_base64(), STANDARD.encode([7u8; 32]));
        assert!(!format!("{key:?}").contains(&key.to_base64()));
    }
}
