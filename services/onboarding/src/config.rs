//! The onboarding service's own settings, beyond the platform's common ones.

use std::collections::BTreeMap;

use imkon_platform::config::{ConfigError, Settings};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::lockout::LockoutPolicy;

/// How password logins and refresh tokens behave.
#[derive(Debug, Clone, Copy)]
pub struct LoginSettings {
    /// When attempts are refused before the password is even checked.
    pub lockout: LockoutPolicy,
    /// How long a refresh token lives, from the login that issued it; never extended.
    pub refresh_token_lifetime: chrono::Duration,
}

impl Default for LoginSettings {
    fn default() -> LoginSettings {
        LoginSettings {
            lockout: LockoutPolicy::default(),
            refresh_token_lifetime: chrono::Duration::hours(12),
        }
    }
}

impl LoginSettings {
    /// Reads `login_lock_duration_seconds`, `login_failures_to_lock`,
    /// `login_attempts_per_address`, `login_address_window_seconds` and
    /// `refresh_token_lifetime_seconds`, each defaulting to the bank's policy.
    pub fn from_settings(settings: &Settings) -> Result<LoginSettings, ConfigError> {
        let defaults = LoginSettings::default();
        let seconds = |field: &str,
                       default: chrono::Duration|
         -> Result<chrono::Duration, ConfigError> {
            let value: u32 = settings.get_or(field, default.num_seconds().unsigned_abs() as u32)?;
            if value == 0 {
                return Err(settings.invalid(field, "must be at least one second"));
            }
            Ok(chrono::Duration::seconds(i64::from(value)))
        };
        Ok(LoginSettings {
            lockout: LockoutPolicy {
                consecutive_failures_to_lock: settings.get_or(
                    "login_failures_to_lock",
                    defaults.lockout.consecutive_failures_to_lock,
                )?,
                lock_duration: seconds(
                    "login_lock_duration_seconds",
                    defaults.lockout.lock_duration,
                )?,
                attempts_per_address: settings.get_or(
                    "login_attempts_per_address",
                    defaults.lockout.attempts_per_address,
                )?,
                address_window: seconds(
                    "login_address_window_seconds",
                    defaults.lockout.address_window,
                )?,
            },
            refresh_token_lifetime: seconds(
                "refresh_token_lifetime_seconds",
                defaults.refresh_token_lifetime,
            )?,
        })
    }
}

/// The services allowed the client-credentials grant, by name, with the SHA-256 of their
/// secrets. Secrets are compared as hashes in constant time: equal-length inputs, so neither
/// the length nor the first differing byte of a secret leaks through timing.
#[derive(Clone, Default)]
pub struct ServiceClientSecrets {
    secret_hashes: BTreeMap<String, [u8; 32]>,
}

impl std::fmt::Debug for ServiceClientSecrets {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ServiceClientSecrets")
            .field("clients", &self.secret_hashes.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ServiceClientSecrets {
    /// Parses `{"applications": "<secret>", …}`. A blank secret is refused: it would let
    /// anyone act as that service.
    pub fn from_json(json: &str) -> Result<ServiceClientSecrets, String> {
        let secrets: BTreeMap<String, String> =
            serde_json::from_str(json).map_err(|error| error.to_string())?;
        let mut secret_hashes = BTreeMap::new();
        for (client_id, secret) in secrets {
            if secret.trim().is_empty() {
                return Err(format!("the secret of {client_id:?} is blank"));
            }
            secret_hashes.insert(client_id, Sha256::digest(secret.as_bytes()).into());
        }
        Ok(ServiceClientSecrets { secret_hashes })
    }

    /// Reads `service_client_secrets`; absent means no service may use client credentials.
    pub fn from_settings(settings: &Settings) -> Result<ServiceClientSecrets, ConfigError> {
        match settings.raw("service_client_secrets") {
            None => Ok(ServiceClientSecrets::default()),
            Some(json) => ServiceClientSecrets::from_json(json)
                .map_err(|reason| settings.invalid("service_client_secrets", reason)),
        }
    }

    /// Whether `secret` is the configured secret of `client_id`. An unknown client is
    /// compared against a hash too, so it takes the same time as a wrong secret.
    pub fn verify(&self, client_id: &str, secret: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        match self.secret_hashes.get(client_id) {
            Some(expected) => bool::from(expected.ct_eq(&presented)),
            None => {
                let unknown = [0u8; 32];
                let _ = bool::from(unknown.ct_eq(&presented));
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_secret_verifies_and_nothing_else_does() {
        let secrets =
            ServiceClientSecrets::from_json(r#"{"applications": "s3cret-for-apps"}"#).unwrap();
        assert!(secrets.verify("applications", "s3cret-for-apps"));
        assert!(!secrets.verify("applications", "s3cret-for-app"));
        assert!(!secrets.verify("disbursement", "s3cret-for-apps"));
    }

    #[test]
    fn a_blank_secret_is_refused() {
        assert!(ServiceClientSecrets::from_json(r#"{"scoring": " "}"#).is_err());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let secrets = ServiceClientSecrets::from_json(r#"{"scoring": "hidden-value"}"#).unwrap();
        assert!(!format!("{secrets:?}").contains("hidden-value"));
    }
}
