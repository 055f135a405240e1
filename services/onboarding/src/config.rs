//! The onboarding service's own settings, beyond the platform's common ones.

use std::collections::BTreeMap;

use imkon_platform::config::{ConfigError, Settings};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::lockout::LockoutPolicy;

/// How password logins and refresh tokens behave.
#[derive(Debug, Clone)]
pub struct LoginSettings {
    /// When attempts are refused before the password is even checked.
    pub lockout: LockoutPolicy,
    /// How long a refresh token lives, from the login that issued it; never extended.
    pub refresh_token_lifetime: chrono::Duration,
    /// The frontend's page that sets a new password; an emailed reset link is this address
    /// with `?token=` appended.
    pub password_reset_url: String,
}

/// The frontend's reset page in development, when `password_reset_url` is not set.
pub const DEFAULT_PASSWORD_RESET_URL: &str = "http://localhost:8080/password/reset";

impl Default for LoginSettings {
    fn default() -> LoginSettings {
        LoginSettings {
            lockout: LockoutPolicy::default(),
            refresh_token_lifetime: chrono::Duration::hours(12),
            password_reset_url: DEFAULT_PASSWORD_RESET_URL.to_owned(),
        }
    }
}

impl LoginSettings {
    /// Reads `login_lock_duration_seconds`, `login_failures_to_lock`,
    /// `login_attempts_per_address`, `login_address_window_seconds` and
    /// `refresh_token_lifetime_seconds`, each defaulting to the bank's policy, and
    /// `password_reset_url`.
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
            password_reset_url: settings
                .get_or("password_reset_url", defaults.password_reset_url)?,
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

/// How onboarding talks to one external identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Standard OAuth2 authorization code with PKCE and OpenID Connect userinfo: the bank's
    /// staff identity provider. Its subjects map to staff accounts an admin linked.
    Oidc,
    /// Uzbekistan's government single sign-on, with its own grant types; citizens only.
    OneId,
}

/// One configured identity provider: its endpoints and onboarding's client registration.
#[derive(Clone)]
pub struct ProviderSettings {
    pub kind: ProviderKind,
    pub authorization_url: url::Url,
    pub token_url: url::Url,
    /// The OpenID Connect userinfo endpoint; OneID reads the person at its token URL.
    pub userinfo_url: Option<url::Url>,
    /// The OpenID Connect issuer: an id_token's `iss` must be exactly this. None for OneID,
    /// which issues no id_token.
    pub issuer: Option<url::Url>,
    /// Where the OpenID Connect provider publishes the keys its id_tokens are signed with
    /// (JWKS). None for OneID.
    pub jwks_url: Option<url::Url>,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ProviderSettings")
            .field("kind", &self.kind)
            .field("authorization_url", &self.authorization_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The JSON form of one provider in the `external_providers` setting.
// Parsed once at start and turned into `ProviderSettings` at once, so the size of the larger
// variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
enum ProviderJson {
    Oidc {
        issuer: url::Url,
        authorization_url: url::Url,
        token_url: url::Url,
        userinfo_url: url::Url,
        jwks_url: url::Url,
        client_id: String,
        client_secret: String,
        scopes: Vec<String>,
    },
    #[serde(rename = "oneid")]
    OneId {
        authorization_url: url::Url,
        token_url: url::Url,
        client_id: String,
        client_secret: String,
        scope: String,
    },
}

impl ProviderJson {
    fn into_settings(self) -> ProviderSettings {
        match self {
            ProviderJson::Oidc {
                issuer,
                authorization_url,
                token_url,
                userinfo_url,
                jwks_url,
                client_id,
                client_secret,
                scopes,
            } => ProviderSettings {
                kind: ProviderKind::Oidc,
                authorization_url,
                token_url,
                userinfo_url: Some(userinfo_url),
                issuer: Some(issuer),
                jwks_url: Some(jwks_url),
                client_id,
                client_secret,
                scopes,
            },
            ProviderJson::OneId {
                authorization_url,
                token_url,
                client_id,
                client_secret,
                scope,
            } => ProviderSettings {
                kind: ProviderKind::OneId,
                authorization_url,
                token_url,
                userinfo_url: None,
                issuer: None,
                jwks_url: None,
                client_id,
                client_secret,
                scopes: vec![scope],
            },
        }
    }
}

/// Login through external identity providers: which providers, where the browser may be sent
/// back to, and the URL providers call back.
#[derive(Debug, Clone, Default)]
pub struct ExternalLoginSettings {
    /// Onboarding's own URL as browsers reach it; callbacks are `<public_url>/v1/auth/external/
    /// {provider}/callback`. Required once any provider is configured.
    pub public_url: Option<url::Url>,
    /// The only redirect URIs a login may end at, compared exactly: anything else would make
    /// onboarding an open redirect that hands login codes to a stranger.
    pub redirect_uris: Vec<String>,
    pub providers: BTreeMap<String, ProviderSettings>,
    /// Whether the built-in development identity provider is mounted (never in production).
    pub dev_identity_provider: bool,
}

impl ExternalLoginSettings {
    /// Parses the `external_providers` JSON object of provider name to provider.
    pub fn parse_providers(json: &str) -> Result<BTreeMap<String, ProviderSettings>, String> {
        let providers: BTreeMap<String, ProviderJson> =
            serde_json::from_str(json).map_err(|error| error.to_string())?;
        let mut parsed = BTreeMap::new();
        for (name, provider) in providers {
            let valid_name = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
            if !valid_name {
                return Err(format!(
                    "provider name {name:?} is not 1 to 64 of a-z, 0-9 and _"
                ));
            }
            let provider = provider.into_settings();
            if provider.client_secret.trim().is_empty() {
                return Err(format!("the client secret of {name:?} is blank"));
            }
            parsed.insert(name, provider);
        }
        Ok(parsed)
    }

    /// Reads `public_url`, `external_login_redirect_uris` (JSON array), `external_providers`
    /// (JSON object) and `dev_identity_provider` (false unless set).
    pub fn from_settings(settings: &Settings) -> Result<ExternalLoginSettings, ConfigError> {
        let public_url = settings
            .raw("public_url")
            .map(|text| {
                url::Url::parse(text)
                    .map_err(|error| settings.invalid("public_url", error.to_string()))
            })
            .transpose()?;
        let redirect_uris: Vec<String> = match settings.raw("external_login_redirect_uris") {
            None => Vec::new(),
            Some(json) => serde_json::from_str(json).map_err(|error| {
                settings.invalid("external_login_redirect_uris", error.to_string())
            })?,
        };
        let providers = match settings.raw("external_providers") {
            None => BTreeMap::new(),
            Some(json) => ExternalLoginSettings::parse_providers(json)
                .map_err(|reason| settings.invalid("external_providers", reason))?,
        };
        let dev_identity_provider = settings.get_or("dev_identity_provider", false)?;
        if public_url.is_none() && (!providers.is_empty() || dev_identity_provider) {
            return Err(settings.invalid(
                "public_url",
                "required when an identity provider is configured: providers call it back",
            ));
        }
        Ok(ExternalLoginSettings {
            public_url,
            redirect_uris,
            providers,
            dev_identity_provider,
        })
    }

    /// The URL `provider` sends the browser back to.
    pub fn callback_url(&self, provider: &str) -> Option<String> {
        self.public_url.as_ref().map(|base| {
            format!(
                "{}/v1/auth/external/{provider}/callback",
                base.as_str().trim_end_matches('/')
            )
        })
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
    fn both_kinds_of_provider_parse_and_an_unknown_kind_is_refused() {
        let providers = ExternalLoginSettings::parse_providers(
            r#"{"staff": {"kind": "oidc", "issuer": "https://idp.example",
                 "authorization_url": "https://idp.example/auth",
                 "token_url": "https://idp.example/token", "userinfo_url": "https://idp.example/me",
                 "jwks_url": "https://idp.example/jwks",
                 "client_id": "imkon", "client_secret": "s", "scopes": ["openid"]},
                "oneid": {"kind": "oneid", "authorization_url": "https://sso.egov.uz/sso/oauth/Authorization.do",
                 "token_url": "https://sso.egov.uz/sso/oauth/Authorization.do",
                 "client_id": "imkon", "client_secret": "s", "scope": "imkon"}}"#,
        )
        .unwrap();
        assert_eq!(providers["staff"].kind, ProviderKind::Oidc);
        assert_eq!(providers["oneid"].kind, ProviderKind::OneId);
        assert_eq!(providers["oneid"].scopes, vec!["imkon".to_owned()]);
        assert!(ExternalLoginSettings::parse_providers(r#"{"x": {"kind": "saml"}}"#).is_err());
    }

    #[test]
    fn a_provider_secret_never_shows_in_debug_output() {
        let providers = ExternalLoginSettings::parse_providers(
            r#"{"oneid": {"kind": "oneid", "authorization_url": "https://a.example/",
                 "token_url": "https://a.example/", "client_id": "imkon",
                 "client_secret": "hidden-value", "scope": "imkon"}}"#,
        )
        .unwrap();
        assert!(!format!("{providers:?}").contains("hidden-value"));
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
