//! Access tokens for calls from one service to another.
//!
//! A calling service authenticates to onboarding's token endpoint with its client id (its
//! service name) and secret (OAuth2 client credentials) and receives a short-lived service
//! token for the audience it calls. Tokens are cached until shortly before they expire, so a
//! busy service asks for a new one every few minutes, not on every call.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use imkon_auth::{Audience, Principal, TokenIssuer};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::client::ServiceClient;
use crate::config::{ConfigError, Secret, Settings};

/// A token is renewed when less than this much of its life is left.
const RENEWAL_MARGIN: Duration = Duration::from_secs(60);

/// How long a locally signed token lives.
const LOCAL_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum ServiceTokenError {
    #[error("the token endpoint could not be reached: {0}")]
    Unreachable(String),
    #[error("the token endpoint refused the service's credentials ({0})")]
    Refused(u16),
    #[error("the token could not be signed: {0}")]
    Signing(String),
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

#[derive(Clone)]
enum Source {
    Remote {
        client: ServiceClient,
        token_url: String,
        client_id: String,
        client_secret: Secret<String>,
    },
    // Boxed: a signing key is large, and the remote variant is the common one.
    Local {
        issuer: Box<TokenIssuer>,
        principal: Principal,
    },
}

/// Where a service gets the tokens it presents to other services.
#[derive(Clone)]
pub struct ServiceTokens {
    source: Source,
    cache: Arc<Mutex<HashMap<Audience, (String, Instant)>>>,
}

impl std::fmt::Debug for ServiceTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.source {
            Source::Remote {
                token_url,
                client_id,
                ..
            } => format!("remote({client_id} at {token_url})"),
            Source::Local { .. } => "local".to_owned(),
        };
        f.debug_struct("ServiceTokens")
            .field("source", &kind)
            .finish()
    }
}

impl ServiceTokens {
    /// Client credentials from the settings `onboarding_url` and `service_client_secret`; the
    /// client id is the service's name.
    pub fn from_settings(
        settings: &Settings,
        client: ServiceClient,
    ) -> Result<ServiceTokens, ConfigError> {
        let onboarding_url: String = settings.require("onboarding_url")?;
        Ok(ServiceTokens::remote(
            client,
            format!("{}/v1/oauth/token", onboarding_url.trim_end_matches('/')),
            settings.service().to_owned(),
            settings.require_secret("service_client_secret")?,
        ))
    }

    pub fn remote(
        client: ServiceClient,
        token_url: String,
        client_id: String,
        client_secret: Secret<String>,
    ) -> ServiceTokens {
        ServiceTokens {
            source: Source::Remote {
                client,
                token_url,
                client_id,
                client_secret,
            },
            cache: Arc::default(),
        }
    }

    /// Tokens signed in this process, for tests that run a service without onboarding.
    pub fn local(issuer: TokenIssuer, principal: Principal) -> ServiceTokens {
        ServiceTokens {
            source: Source::Local {
                issuer: Box::new(issuer),
                principal,
            },
            cache: Arc::default(),
        }
    }

    /// A valid token for calls to `audience`.
    pub async fn token_for(&self, audience: Audience) -> Result<String, ServiceTokenError> {
        let mut cache = self.cache.lock().await;
        if let Some((token, expires_at)) = cache.get(&audience) {
            if Instant::now() + RENEWAL_MARGIN < *expires_at {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = match &self.source {
            Source::Local { issuer, principal } => {
                let token = issuer
                    .issue(principal, audience, LOCAL_TOKEN_LIFETIME)
                    .map_err(|error| ServiceTokenError::Signing(error.to_string()))?;
                (token.as_str().to_owned(), LOCAL_TOKEN_LIFETIME)
            }
            Source::Remote {
                client,
                token_url,
                client_id,
                client_secret,
            } => {
                let response = client
                    .post(token_url)
                    // OAuth2 token requests are form-encoded (RFC 6749, section 4.4.2), which
                    // is what onboarding's token endpoint reads.
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id.as_str()),
                        ("client_secret", client_secret.expose().as_str()),
                        ("audience", audience.as_str()),
                    ])
                    .send()
                    .await
                    .map_err(|error| ServiceTokenError::Unreachable(error.to_string()))?;
                if !response.status().is_success() {
                    return Err(ServiceTokenError::Refused(response.status().as_u16()));
                }
                let body: TokenResponse = response
                    .json()
                    .await
                    .map_err(|error| ServiceTokenError::Unreachable(error.to_string()))?;
                (body.access_token, Duration::from_secs(body.expires_in))
            }
        };
        cache.insert(audience, (token.clone(), Instant::now() + lifetime));
        Ok(token)
    }
}
