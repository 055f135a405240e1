//! Talking to external identity providers: the standard OAuth2 authorization code flow with
//! PKCE and OpenID Connect userinfo (through the `oauth2` crate), and the OneID adapter.
//!
//! OneID, Uzbekistan's government single sign-on, is OAuth2-shaped but not standard: the
//! authorization request says `response_type=one_code`, the code is exchanged with
//! `grant_type=one_authorization_code`, and the person is read by a second call to the token
//! URL with `grant_type=one_access_token_identify`. It has no PKCE.
//!
//! Every call goes through one HTTP client that never follows redirects, so a provider (or
//! whoever answers in its place) cannot bounce onboarding's requests, secrets included, to
//! another host.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::config::ProviderSettings;

/// How long one call to a provider may take.
pub const PROVIDER_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a provider could not tell who logged in.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider could not be called: {0}")]
    Unreachable(String),
    #[error("the provider refused: {0}")]
    Refused(String),
    #[error("the provider's answer is unusable: {0}")]
    InvalidAnswer(String),
    #[error("the provider is misconfigured: {0}")]
    Misconfigured(String),
}

/// The HTTP client for provider calls: no redirects, bounded time.
pub fn provider_http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PROVIDER_CALL_TIMEOUT)
        .build()
}

/// The `id_token` that an OpenID Connect token response carries beside the access token.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct IdTokenFields {
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenFields {}

type OidcTokenResponse = StandardTokenResponse<IdTokenFields, BasicTokenType>;

type OidcClient = oauth2::Client<
    BasicErrorResponse,
    OidcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

fn oidc_client(
    provider: &ProviderSettings,
    callback_url: &str,
) -> Result<OidcClient, ProviderError> {
    let redirect_url = RedirectUrl::new(callback_url.to_owned())
        .map_err(|error| ProviderError::Misconfigured(format!("callback URL: {error}")))?;
    Ok(
        oauth2::Client::new(ClientId::new(provider.client_id.clone()))
            .set_client_secret(ClientSecret::new(provider.client_secret.clone()))
            .set_auth_uri(AuthUrl::from_url(provider.authorization_url.clone()))
            .set_token_uri(TokenUrl::from_url(provider.token_url.clone()))
            .set_redirect_uri(redirect_url),
    )
}

/// Where to send the browser for a standard login, and the PKCE verifier to keep for the
/// code exchange.
#[derive(Debug)]
pub struct OidcAuthorization {
    pub url: url::Url,
    pub pkce_verifier: String,
}

/// Builds the authorization URL: code flow, S256 PKCE challenge, our state and nonce.
pub fn oidc_authorization(
    provider: &ProviderSettings,
    callback_url: &str,
    state: &str,
    nonce: &str,
) -> Result<OidcAuthorization, ProviderError> {
    let client = oidc_client(provider, callback_url)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state.to_owned();
    let (url, _) = client
        .authorize_url(move || CsrfToken::new(state))
        .add_scopes(provider.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce)
        .url();
    Ok(OidcAuthorization {
        url,
        pkce_verifier: verifier.secret().clone(),
    })
}

/// A staff member as the provider identifies them. Only the subject is trusted for anything:
/// roles come from onboarding's database.
#[derive(Debug, Clone)]
pub struct OidcIdentity {
    pub subject: String,
    pub name: Option<String>,
}

/// Exchanges the code (with the PKCE verifier), checks the id_token, and reads userinfo.
///
/// The id_token arrives straight from the token endpoint over the connection onboarding
/// opened, so (as OpenID Connect Core 3.1.3.7 allows for this flow) its signature is not
/// checked; its audience, expiry and nonce are, and its subject must be userinfo's.
pub async fn oidc_identify(
    http: &reqwest::Client,
    provider: &ProviderSettings,
    callback_url: &str,
    code: &str,
    pkce_verifier: &str,
    nonce: &str,
) -> Result<OidcIdentity, ProviderError> {
    let client = oidc_client(provider, callback_url)?;
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(|error| match error {
            oauth2::RequestTokenError::ServerResponse(response) => {
                ProviderError::Refused(response.error().to_string())
            }
            other => ProviderError::Unreachable(other.to_string()),
        })?;
    let id_token = token
        .extra_fields()
        .id_token
        .as_deref()
        .ok_or_else(|| ProviderError::InvalidAnswer("no id_token".to_owned()))?;
    let token_subject = check_id_token(id_token, &provider.client_id, nonce, chrono::Utc::now())?;
    let userinfo_url = provider
        .userinfo_url
        .clone()
        .ok_or_else(|| ProviderError::Misconfigured("no userinfo URL".to_owned()))?;
    let response = http
        .get(userinfo_url)
        .bearer_auth(token.access_token().secret())
        .send()
        .await
        .map_err(|error| ProviderError::Unreachable(error.to_string()))?;
    if !response.status().is_success() {
        return Err(ProviderError::Refused(format!(
            "userinfo answered {}",
            response.status()
        )));
    }
    let userinfo: serde_json::Value = response
        .json()
        .await
        .map_err(|error| ProviderError::InvalidAnswer(format!("userinfo: {error}")))?;
    let subject = userinfo["sub"]
        .as_str()
        .ok_or_else(|| ProviderError::InvalidAnswer("userinfo has no sub".to_owned()))?;
    if subject != token_subject {
        return Err(ProviderError::InvalidAnswer(
            "userinfo and id_token name different subjects".to_owned(),
        ));
    }
    Ok(OidcIdentity {
        subject: subject.to_owned(),
        name: userinfo["name"].as_str().map(str::to_owned),
    })
}

/// Checks an id_token's audience, expiry and nonce and returns its subject.
pub fn check_id_token(
    id_token: &str,
    client_id: &str,
    nonce: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ProviderError> {
    let invalid = |reason: &str| ProviderError::InvalidAnswer(format!("id_token: {reason}"));
    let payload = id_token
        .split('.')
        .nth(1)
        .ok_or_else(|| invalid("not a JWT"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| invalid("the payload is not base64url"))?;
    let claims: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| invalid("the payload is not JSON"))?;
    let audience_matches = match &claims["aud"] {
        serde_json::Value::String(audience) => audience == client_id,
        serde_json::Value::Array(audiences) => audiences
            .iter()
            .any(|audience| audience.as_str() == Some(client_id)),
        _ => false,
    };
    if !audience_matches {
        return Err(invalid("issued to another client"));
    }
    if claims["nonce"].as_str() != Some(nonce) {
        return Err(invalid("the nonce is not this login's"));
    }
    let expires_at = claims["exp"].as_i64().ok_or_else(|| invalid("no exp"))?;
    if expires_at <= now.timestamp() {
        return Err(invalid("expired"));
    }
    claims["sub"]
        .as_str()
        .filter(|subject| !subject.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| invalid("no sub"))
}

/// The OneID authorization URL: `response_type=one_code`, no PKCE.
pub fn oneid_authorization_url(
    provider: &ProviderSettings,
    callback_url: &str,
    state: &str,
) -> url::Url {
    let mut url = provider.authorization_url.clone();
    url.query_pairs_mut()
        .append_pair("response_type", "one_code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", callback_url)
        .append_pair("scope", &provider.scopes.join(" "))
        .append_pair("state", state);
    url
}

/// A company the person represents, as OneID lists it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OneIdLegalEntity {
    pub le_tin: Option<String>,
    pub le_name: Option<String>,
}

/// A person as OneID's identify call describes them, field names as OneID spells them. The
/// values are unchecked text: the login parses them with the domain's types.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OneIdPerson {
    /// The PINFL.
    pub pin: String,
    pub pport_no: String,
    pub pport_issue_date: Option<String>,
    pub pport_expr_date: Option<String>,
    pub sur_name: String,
    pub first_name: String,
    pub mid_name: Option<String>,
    pub birth_date: String,
    pub mob_phone_no: Option<String>,
    pub email: Option<String>,
    /// The permanent address, one line: region, district and street, comma-separated.
    pub per_adr: Option<String>,
    /// `I` for an individual, `L` for a legal entity's representative.
    pub user_type: Option<String>,
    #[serde(default)]
    pub legal_info: Vec<OneIdLegalEntity>,
}

#[derive(Deserialize)]
struct OneIdTokenAnswer {
    access_token: String,
}

async fn oneid_post<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    provider: &ProviderSettings,
    form: &[(&str, &str)],
) -> Result<T, ProviderError> {
    let response = http
        .post(provider.token_url.clone())
        .form(form)
        .send()
        .await
        .map_err(|error| ProviderError::Unreachable(error.to_string()))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .map_err(|error| ProviderError::InvalidAnswer(error.to_string()))?;
    if !status.is_success() || body.get("error").is_some() {
        let code = body["error"].as_str().unwrap_or("no error code");
        return Err(ProviderError::Refused(format!("{status}: {code}")));
    }
    serde_json::from_value(body).map_err(|error| ProviderError::InvalidAnswer(error.to_string()))
}

/// Exchanges a OneID code and reads the person it identifies.
pub async fn oneid_identify(
    http: &reqwest::Client,
    provider: &ProviderSettings,
    callback_url: &str,
    code: &str,
) -> Result<OneIdPerson, ProviderError> {
    let token: OneIdTokenAnswer = oneid_post(
        http,
        provider,
        &[
            ("grant_type", "one_authorization_code"),
            ("client_id", &provider.client_id),
            ("client_secret", &provider.client_secret),
            ("code", code),
            ("redirect_uri", callback_url),
        ],
    )
    .await?;
    let scope = provider.scopes.join(" ");
    oneid_post(
        http,
        provider,
        &[
            ("grant_type", "one_access_token_identify"),
            ("client_id", &provider.client_id),
            ("client_secret", &provider.client_secret),
            ("access_token", &token.access_token),
            ("scope", &scope),
        ],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_token(claims: serde_json::Value) -> String {
        format!(
            "e30.{}.signature",
            URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn an_id_token_for_this_client_and_nonce_gives_its_subject() {
        let now = chrono::Utc::now();
        let token = id_token(serde_json::json!({
            "sub": "alice", "aud": "imkon", "nonce": "n-1", "exp": now.timestamp() + 60
        }));
        assert_eq!(
            check_id_token(&token, "imkon", "n-1", now).unwrap(),
            "alice"
        );
    }

    #[test]
    fn an_id_token_with_another_nonce_audience_or_past_expiry_is_refused() {
        let now = chrono::Utc::now();
        let live = now.timestamp() + 60;
        for claims in [
            serde_json::json!({"sub": "alice", "aud": "imkon", "nonce": "other", "exp": live}),
            serde_json::json!({"sub": "alice", "aud": "someone", "nonce": "n-1", "exp": live}),
            serde_json::json!({"sub": "alice", "aud": ["imkon"], "nonce": "n-1", "exp": now.timestamp()}),
        ] {
            assert!(check_id_token(&id_token(claims), "imkon", "n-1", now).is_err());
        }
    }
}
