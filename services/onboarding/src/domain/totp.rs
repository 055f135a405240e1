//! The second factor: time-based one-time passwords (RFC 6238), their secrets sealed at rest,
//! and recovery codes.
//!
//! A code is six digits from HMAC-SHA1 over 30-second steps, the parameters every phone
//! authenticator uses by default. A code is accepted for the step before and after the
//! server's (clocks drift), and each step counts once: the caller remembers the last step
//! used and refuses any step not after it, so a code seen over a shoulder cannot be replayed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use imkon_auth::Role;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};
use uuid::Uuid;

/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;

/// How long a code [`TotpSecret::next_code`] picks is still accepted at least, in seconds.
pub const NEXT_CODE_VALID_FOR_SECONDS: u64 = 10;
/// Digits of a code.
pub const DIGITS: usize = 6;
/// Steps either side of the server's that a code may come from.
const SKEW_STEPS: u64 = 1;
/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODE_COUNT: usize = 10;
/// The issuer name phone authenticators show beside the account.
pub const ISSUER: &str = "Imkon";
const NONCE_BYTES: usize = 12;

/// Whether an account with these roles must pass the second factor: every staff role that
/// decides about clients or moves money. Founders pass it only once they have enrolled.
pub fn required_for(roles: &[Role]) -> bool {
    roles.iter().any(|role| {
        matches!(
            role,
            Role::KycOfficer | Role::CreditOfficer | Role::Approver | Role::Finance | Role::Admin
        )
    })
}

/// A TOTP shared secret. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> TotpSecret {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// A secret of these bytes (the demo's documented ones).
    pub fn from_bytes(bytes: &[u8]) -> TotpSecret {
        TotpSecret(bytes.to_vec())
    }

    /// The secret whose base32 text is given (spaces and case ignored), as authenticators
    /// and `oathtool --totp -b` take it.
    pub fn from_base32(text: &str) -> Option<TotpSecret> {
        let cleaned: String = text
            .chars()
            .filter(|character| !character.is_whitespace())
            .map(|character| character.to_ascii_uppercase())
            .collect();
        totp_rs::Secret::Encoded(cleaned)
            .to_bytes()
            .ok()
            .filter(|bytes| bytes.len() >= 16)
            .map(TotpSecret)
    }

    /// The base32 text to type into an authenticator.
    pub fn to_base32(&self) -> String {
        totp_rs::Secret::Raw(self.0.clone())
            .to_encoded()
            .to_string()
    }

    fn totp(&self, account_name: &str) -> TOTP {
        // The account name may not hold a colon (it separates issuer and account in the
        // URI); usernames never do, and any other text is made safe the same way.
        TOTP::new_unchecked(
            Algorithm::SHA1,
            DIGITS,
            SKEW_STEPS as u8,
            STEP_SECONDS,
            self.0.clone(),
            Some(ISSUER.to_owned()),
            account_name.replace(':', "_"),
        )
    }

    /// The `otpauth://totp/…` URI that a QR code carries to an authenticator.
    pub fn otpauth_uri(&self, account_name: &str) -> String {
        self.totp(account_name).get_url()
    }

    /// The code for the step holding `unix_seconds`.
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp("").generate(unix_seconds)
    }

    /// A code the server will accept at `unix_seconds` after `last_used_step`: the earliest
    /// step still open, or `None` until the clock moves on. Tests and scripted clients use
    /// it to sign in twice within one step without replaying a code.
    ///
    /// The code picked stays acceptable for at least [`NEXT_CODE_VALID_FOR_SECONDS`], the time a
    /// client may take to send it: near the end of a step the step before is no longer offered,
    /// since the server's clock may have moved two steps on by the time the code arrives.
    pub fn next_code(&self, unix_seconds: u64, last_used_step: i64) -> Option<String> {
        let current = unix_seconds / STEP_SECONDS;
        let step_on_arrival = (unix_seconds + NEXT_CODE_VALID_FOR_SECONDS) / STEP_SECONDS;
        let earliest = step_on_arrival.saturating_sub(SKEW_STEPS);
        let after_last = u64::try_from(last_used_step.saturating_add(1)).unwrap_or_default();
        let step = earliest.max(after_last);
        (step <= current + SKEW_STEPS).then(|| self.code_at(step * STEP_SECONDS))
    }

    /// The step of the code `code` if it is valid at `unix_seconds` and its step is after
    /// `last_used_step`; `None` otherwise (wrong, too old, or already used).
    pub fn verify(&self, code: &str, unix_seconds: u64, last_used_step: i64) -> Option<i64> {
        if code.len() != DIGITS || !code.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let current = unix_seconds / STEP_SECONDS;
        let totp = self.totp("");
        (current.saturating_sub(SKEW_STEPS)..=current + SKEW_STEPS)
            .filter(|step| i64::try_from(*step).is_ok_and(|step| step > last_used_step))
            .find(|step| {
                bool::from(
                    totp.generate(step * STEP_SECONDS)
                        .as_bytes()
                        .ct_eq(code.as_bytes()),
                )
            })
            .and_then(|step| i64::try_from(step).ok())
    }
}

/// The QR code of `text` as an SVG document, drawn on the server so the page needs no script.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The key that seals TOTP secrets in the database (ChaCha20-Poly1305). A database dump
/// alone then gives no one's codes. `Debug` hides it.
#[derive(Clone)]
pub struct SecondFactorKey(Key);

impl std::fmt::Debug for SecondFactorKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecondFactorKey(..)")
    }
}

/// A secret could not be sealed, or a sealed one opened: another key sealed it, or it was
/// altered.
#[derive(Debug, thiserror::Error)]
#[error("the second factor secret cannot be sealed or opened with the configured key")]
pub struct SealError;

impl SecondFactorKey {
    /// A fresh random key (tests and the launcher).
    pub fn generate() -> SecondFactorKey {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SecondFactorKey(Key::from(bytes))
    }

    /// Parses 32 bytes in standard base64, as the `second_factor_key` setting holds them.
    pub fn from_base64(text: &str) -> Result<SecondFactorKey, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|error| format!("not base64: {error}"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| format!("{} bytes, not 32", bytes.len()))?;
        Ok(SecondFactorKey(Key::from(bytes)))
    }

    /// The key in standard base64.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_slice())
    }

    /// Seals `secret` for `account_id`: a random nonce followed by the ciphertext. The
    /// account id is authenticated with it, so a sealed secret copied to another account's
    /// row does not open.
    pub fn seal(&self, account_id: Uuid, secret: &TotpSecret) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = ChaCha20Poly1305::new(&self.0)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &secret.0,
                    aad: account_id.as_bytes(),
                },
            )
            .map_err(|_| SealError)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Opens what [`SecondFactorKey::seal`] sealed for `account_id`.
    pub fn open(&self, account_id: Uuid, sealed: &[u8]) -> Result<TotpSecret, SealError> {
        if sealed.len() <= NONCE_BYTES {
            return Err(SealError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        ChaCha20Poly1305::new(&self.0)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: account_id.as_bytes(),
                },
            )
            .map(TotpSecret)
            .map_err(|_| SealError)
    }
}

/// The letters of recovery codes: no 0/O or 1/I/L, so a code read off paper is typed right.
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Ten fresh recovery codes, `XXXXX-XXXXX` (about 49 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let mut code = String::with_capacity(11);
            for index in 0..10 {
                if index == 5 {
                    code.push('-');
                }
                let letter = RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())];
                code.push(char::from(letter));
            }
            code
        })
        .collect()
}

/// The stored form of a recovery code: the SHA-256 of its letters, upper case, without the
/// dash or spaces. The codes are random enough that a fast hash is safe, and this lets a
/// presented code be found by lookup.
pub fn recovery_code_hash(code: &str) -> [u8; 32] {
    let normalised: String = code
        .chars()
        .filter(|character| character.is_ascii_alphanumeric())
        .map(|character| character.to_ascii_uppercase())
        .collect();
    Sha256::digest(normalised.as_bytes()).into()
}

/// Whether `code` looks like a recovery code rather than a six-digit TOTP code.
pub fn is_recovery_code(code: &str) -> bool {
    code.chars()
        .filter(|character| character.is_ascii_alphanumeric())
        .count()
        == 10
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret, "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret(b"12345678901234567890".to_vec())
    }

    #[test]
    fn codes_match_the_rfc_6238_test_vectors_in_their_last_six_digits() {
        let secret = rfc_secret();
        assert_eq!(secret.code_at(59), "287082");
        assert_eq!(secret.code_at(1_111_111_109), "081804");
        assert_eq!(secret.code_at(1_234_567_890), "005924");
        assert_eq!(secret.code_at(20_000_000_000), "353130");
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_never_twice() {
        let secret = rfc_secret();
        let now = 1_111_111_109;
        let step = (now / STEP_SECONDS) as i64;
        assert_eq!(secret.verify(&secret.code_at(now), now, 0), Some(step));
        assert_eq!(
            secret.verify(&secret.code_at(now - 30), now, 0),
            Some(step - 1)
        );
        assert_eq!(
            secret.verify(&secret.code_at(now + 30), now, 0),
            Some(step + 1)
        );
        assert_eq!(secret.verify(&secret.code_at(now - 60), now, 0), None);
        assert_eq!(secret.verify(&secret.code_at(now), now, step), None);
        assert_eq!(secret.verify("12345", now, 0), None);
        assert_eq!(secret.verify("abcdef", now, 0), None);
    }

    #[test]
    fn the_next_code_skips_used_steps_and_runs_out_one_step_ahead() {
        let secret = rfc_secret();
        // One second into its step: the step before is still open long enough.
        let early = 1_111_111_081;
        let step = (early / STEP_SECONDS) as i64;
        let first = secret.next_code(early, 0).unwrap();
        assert_eq!(secret.verify(&first, early, 0), Some(step - 1));
        // Twenty-nine seconds in: the step before would be refused once the clock moves on,
        // so the first code offered is this step's, and it is still accepted a step later.
        let now = 1_111_111_109;
        assert_eq!(now / STEP_SECONDS, early / STEP_SECONDS);
        let first = secret.next_code(now, 0).unwrap();
        assert_eq!(secret.verify(&first, now, 0), Some(step));
        assert_eq!(
            secret.verify(&first, now + NEXT_CODE_VALID_FOR_SECONDS, 0),
            Some(step)
        );
        let second = secret.next_code(now, step - 1).unwrap();
        assert_eq!(secret.verify(&second, now, step - 1), Some(step));
        let third = secret.next_code(now, step).unwrap();
        assert_eq!(secret.verify(&third, now, step), Some(step + 1));
        assert_eq!(secret.next_code(now, step + 1), None);
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_for_its_account() {
        let key = SecondFactorKey::generate();
        let account = Uuid::now_v7();
        let secret = TotpSecret::generate();
        let sealed = key.seal(account, &secret).unwrap();
        assert!(!sealed
            .windows(secret.0.len())
            .any(|window| window == secret.0.as_slice()));
        assert_eq!(key.open(account, &sealed).unwrap(), secret);
        assert!(key.open(Uuid::now_v7(), &sealed).is_err());
        assert!(SecondFactorKey::generate().open(account, &sealed).is_err());
        let again = SecondFactorKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(again.open(account, &sealed).unwrap(), secret);
    }

    #[test]
    fn a_key_setting_must_be_32_bytes_of_base64() {
        assert!(SecondFactorKey::from_base64("not base64!").is_err());
        assert!(SecondFactorKey::from_base64(&STANDARD.encode([1u8; 16])).is_err());
        assert!(SecondFactorKey::from_base64(&STANDARD.encode([1u8; 32])).is_ok());
    }

    #[test]
    fn base32_round_trips_and_short_secrets_are_refused() {
        let secret = TotpSecret::generate();
        let text = secret.to_base32();
        assert_eq!(TotpSecret::from_base32(&text.to_lowercase()), Some(secret));
        assert_eq!(TotpSecret::from_base32("JBSWY3DP"), None);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_hash_the_same_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        assert!(codes.iter().all(|code| is_recovery_code(code)));
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODE_COUNT);
        let code = &codes[0];
        assert_eq!(
            recovery_code_hash(code),
            recovery_code_hash(&code.replace('-', " ").to_lowercase())
        );
    }

    #[test]
    fn only_staff_who_decide_or_move_money_need_the_second_factor() {
        assert!(!required_for(&[Role::Client]));
        assert!(required_for(&[Role::Client, Role::Finance]));
        for role in [
            Role::KycOfficer,
            Role::CreditOfficer,
            Role::Approver,
            Role::Finance,
            Role::Admin,
        ] {
            assert!(required_for(&[role]));
        }
    }

    #[test]
    fn the_qr_code_is_an_svg_drawing() {
        let svg = qr_svg("otpauth://totp/Imkon:kyc1?secret=ABC").unwrap();
        assert!(svg.contains("<svg"));
    }
}
