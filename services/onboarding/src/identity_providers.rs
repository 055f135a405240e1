//! Talking to external identity providers: the standard OpenID Connect authorization code
//! flow with PKCE (through the `openidconnect` crate), and the OneID adapter.
//!
//! An OpenID Connect id_token is verified in full before its subject is believed: its
//! signature against the keys the provider publishes (JWKS, RS256 only, fetched at each login
//! so that a key rotation needs no restart), `iss` exactly the configured issuer, `aud`
//! containing our client id, `azp` ours when present or when there are several audiences,
//! `exp` in the future, `iat` recent, and the nonce this login sent.
//!
//! OneID, Uzbekistan's government single sign-on, is OAuth2-shaped but not standard: the
//! authorization request says `response_type=one_code`, the code is exchanged with
//! `grant_type=one_authorization_code`, and the person is read by a second call to the token
//! URL with `grant_type=one_access_token_identify`. It has no PKCE and issues no id_token: the
//! person comes only from that server-to-server call, authenticated by our client secret.
//!
//! Every call goes through one HTTP client that never follows redirects, so a provider (or
//! whoever answers in its place) cannot bounce onboarding's requests, secrets included, to
//! another host.

use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet,
};
use openidconnect::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, JsonWebKeySetUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse, TokenUrl,
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

/// How far an id_token's `iat` may lie in the future, for clocks a little apart.
pub const ID_TOKEN_CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(60);
/// The oldest id_token accepted: one issued before this login could have started is not
/// this login's.
pub const ID_TOKEN_MAX_AGE: chrono::Duration = chrono::Duration::minutes(10);

fn misconfigured(what: &str) -> ProviderError {
    ProviderError::Misconfigured(format!("an OpenID Connect provider without {what}"))
}

fn issuer_of(provider: &ProviderSettings) -> Result<IssuerUrl, ProviderError> {
    let issuer = provider
        .issuer
        .as_ref()
        .ok_or_else(|| misconfigured("issuer"))?;
    // The issuer is compared as text with the id_token's `iss`, so it is kept as configured
    // rather than as the URL parser prints it (which adds a trailing slash to a bare host).
    IssuerUrl::new(issuer.as_str().trim_end_matches('/').to_owned())
        .map_err(|error| ProviderError::Misconfigured(format!("issuer: {error}")))
}

/// The OpenID Connect client for `provider`, with the keys its id_tokens must be signed by.
fn oidc_client(
    provider: &ProviderSettings,
    callback_url: &str,
    keys: CoreJsonWebKeySet,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
    >,
    ProviderError,
> {
    let redirect_url = RedirectUrl::new(callback_url.to_owned())
        .map_err(|error| ProviderError::Misconfigured(format!("callback URL: {error}")))?;
    Ok(CoreClient::new(
        ClientId::new(provider.client_id.clone()),
        issuer_of(provider)?,
        keys,
    )
    .set_client_secret(ClientSecret::new(provider.client_secret.clone()))
    .set_auth_uri(AuthUrl::from_url(provider.authorization_url.clone()))
    .set_token_uri(TokenUrl::from_url(provider.token_url.clone()))
    .set_redirect_uri(redirect_url))
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
    // The authorization URL needs no keys; the callback fetches them to verify the id_token.
    let client = oidc_client(provider, callback_url, CoreJsonWebKeySet::new(Vec::new()))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state.to_owned();
    let nonce = nonce.to_owned();
    let (url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        )
        .add_scopes(
            provider
                .scopes
                .iter()
                .filter(|scope| scope.as_str() != "openid")
                .cloned()
                .map(Scope::new),
        )
        .set_pkce_challenge(challenge)
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

/// Exchanges the code (with the PKCE verifier), verifies the id_token (see the module's
/// documentation), and reads userinfo, whose subject must be the id_token's.
pub async fn oidc_identify(
    http: &reqwest::Client,
    provider: &ProviderSettings,
    callback_url: &str,
    code: &str,
    pkce_verifier: &str,
    nonce: &str,
) -> Result<OidcIdentity, ProviderError> {
    let jwks_url = provider
        .jwks_url
        .as_ref()
        .ok_or_else(|| misconfigured("jwks_url"))
        .map(|url| JsonWebKeySetUrl::from_url(url.clone()))?;
    let keys = CoreJsonWebKeySet::fetch_async(&jwks_url, http)
        .await
        .map_err(|error| ProviderError::Unreachable(format!("JWKS: {error}")))?;
    let client = oidc_client(provider, callback_url, keys.clone())?;
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(|error| match error {
            openidconnect::RequestTokenError::ServerResponse(response) => {
                ProviderError::Refused(response.error().to_string())
            }
            other => ProviderError::Unreachable(other.to_string()),
        })?;
    let id_token = token
        .id_token()
        .ok_or_else(|| ProviderError::InvalidAnswer("no id_token".to_owned()))?;
    let token_subject = verify_id_token(
        id_token,
        &provider.client_id,
        issuer_of(provider)?,
        keys,
        nonce,
        imkon_platform::id::now_utc(),
    )?;
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

/// Verifies an id_token for `client_id` from `issuer`, signed by one of `keys`, carrying
/// `nonce`, at `now`; returns its subject.
pub fn verify_id_token(
    id_token: &CoreIdToken,
    client_id: &str,
    issuer: IssuerUrl,
    keys: CoreJsonWebKeySet,
    nonce: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ProviderError> {
    let invalid = |reason: String| ProviderError::InvalidAnswer(format!("id_token: {reason}"));
    // A public-client verifier: only the provider's published keys are trusted, never an
    // HMAC over our client secret, which the provider's staff also know.
    let verifier = openidconnect::core::CoreIdTokenVerifier::new_public_client(
        ClientId::new(client_id.to_owned()),
        issuer,
        keys,
    )
    .set_time_fn(move || now)
    .set_issue_time_verifier_fn(move |issued_at| {
        if issued_at > now + ID_TOKEN_CLOCK_SKEW {
            Err("issued in the future".to_owned())
        } else if issued_at < now - ID_TOKEN_MAX_AGE {
            Err("issued too long ago".to_owned())
        } else {
            Ok(())
        }
    });
    let claims: &CoreIdTokenClaims = id_token
        .claims(&verifier, &Nonce::new(nonce.to_owned()))
        .map_err(|error| invalid(error.to_string()))?;
    // OpenID Connect Core 3.1.3.7 items 4 and 5: several audiences need an azp naming us
    // (the library checks azp only when it is present).
    if claims.audiences().len() > 1
        && claims.authorized_party().map(|party| party.as_str()) != Some(client_id)
    {
        return Err(invalid(
            "several audiences and no authorized party naming this client".to_owned(),
        ));
    }
    let subject = claims.subject().as_str();
    if subject.is_empty() {
        return Err(invalid("no sub".to_owned()));
    }
    Ok(subject.to_owned())
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
