//! Logging in with a password, refresh tokens, access tokens, and the public keys.
//!
//! A password login returns a refresh token (random 32 bytes, stored only as its SHA-256,
//! absolute expiry, revocable). The token endpoint, `POST /v1/oauth/token`, takes
//! `application/x-www-form-urlencoded` bodies as OAuth2 (RFC 6749) prescribes and trades a
//! refresh token, or a service's client credentials, for a short-lived access token addressed
//! to one service. Its refusals are problem documents whose `code` is the OAuth2 error code
//! (`invalid_grant`, `invalid_client`, `invalid_target`, `unsupported_grant_type`,
//! `invalid_request`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use imkon_auth::{policy, Audience, Principal, Scope, ACCESS_TOKEN_MAX_LIFETIME};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::problem::ValidatedJson;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::db;
use crate::db::accounts::AccountRecord;
use crate::domain::credentials::PASSWORD_MAX_BYTES;
use crate::domain::lockout::{address_bucket, login_gate, AttemptOutcome, LoginGate};
use crate::error::OnboardingError;
use crate::http::second_factor::{
    login_or_challenge, refresh_token_allowed, SecondFactorChallenge,
};
use crate::http::source_address;
use crate::password::{verify_password, PasswordHashError};
use crate::AppState;

/// The longest username kept in the attempt log; longer input is cut, never stored whole.
const LOGGED_USERNAME_MAX_CHARS: usize = 64;

/// The header in which the frontend names the visitor a password login is for.
pub const CLIENT_ADDRESS_HEADER: &str = "x-imkon-client-address";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/password", post(login_with_password))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/oauth/token", post(issue_token))
        .route("/.well-known/jwks.json", get(public_keys))
}

/// A password sign-in. It declares no limit: an overlong username or password is a wrong one,
/// answered as any other, so a sign-in never says which part of it was refused.
#[derive(Deserialize, ToSchema, Validate)]
pub struct PasswordLoginRequest {
    username: String,
    password: String,
}

/// Who logged in, as their tokens will describe them.
#[derive(Serialize, ToSchema)]
pub struct PrincipalView {
    id: Uuid,
    roles: Vec<String>,
    client_id: Option<Uuid>,
    name: String,
    /// The person's name in Cyrillic script when their profile has one (a founder's), so that
    /// pages in uz-Cyrl and ru can show it; `name` is the Latin one.
    cyrillic_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Trade it at `/v1/oauth/token` for access tokens; keep it server-side.
    pub(crate) refresh_token: String,
    pub(crate) refresh_expires_in: i64,
    pub(crate) principal: PrincipalView,
}

/// A sign-out; an unknown refresh token is ignored, so nothing here is a shape.
#[derive(Deserialize, ToSchema, Validate)]
pub struct LogoutRequest {
    refresh_token: String,
}

/// An OAuth2 token request, form-encoded.
#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `refresh_token`, `client_credentials` or `authorization_code`.
    grant_type: String,
    refresh_token: Option<String>,
    /// For `authorization_code`: onboarding's code from an external login.
    code: Option<String>,
    /// For `authorization_code`: the redirect URI the code was sent to.
    redirect_uri: Option<String>,
    /// The service the token is for: onboarding, applications, scoring, disbursement,
    /// accounts or frontend.
    audience: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    /// A service token's operations, space-separated (RFC 6749, section 5.1); absent for a
    /// person's token and for a service granted no operation at the audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

fn refresh_token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The principal an account signs in as. Every kind of sign-in and refresh comes through
/// here, so a disabled account is refused everywhere (403 `account_disabled`).
pub(crate) fn principal_of(account: &AccountRecord) -> Result<Principal, OnboardingError> {
    if account.disabled_at.is_some() {
        return Err(OnboardingError::forbidden(
            "account_disabled",
            "This account is disabled; an administrator can enable it again.",
        ));
    }
    Principal::user(
        account.id,
        account.roles.iter().copied(),
        account.client_id,
        Some(account.display_name.clone()),
    )
    .map_err(|_| {
        OnboardingError::forbidden(
            "no_roles",
            "This account holds no role yet; an administrator must grant one.",
        )
    })
}

fn login_audit<'a>(
    account: Option<&AccountRecord>,
    username: &str,
    address: &str,
    outcome: &str,
) -> AuditEntry<'a> {
    AuditEntry {
        actor_id: account.map(|account| account.id),
        actor_roles: account
            .map(|account| {
                account
                    .roles
                    .iter()
                    .map(|role| role.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        action: "login.password",
        subject_type: "login_account",
        subject_id: username.to_owned(),
        before: None,
        after: Some(serde_json::json!({ "outcome": outcome })),
        source_address: Some(address.to_owned()),
    }
}

/// A client's id and secret from HTTP Basic authentication (RFC 6749 section 2.3.1: each
/// form-urlencoded, then joined by a colon and base64-encoded), if the request carries them.
fn basic_client_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (client_id, secret) = decoded.split_once(':')?;
    // A form-urlencoded part holds no raw `=` or `&`, so it parses as one bare name.
    let form_decoded = |part: &str| {
        url::form_urlencoded::parse(part.as_bytes())
            .next()
            .map(|(name, _)| name.into_owned())
            .unwrap_or_default()
    };
    Some((form_decoded(client_id), form_decoded(secret)))
}

/// The address a password login comes from.
///
/// Every browser's sign-in reaches onboarding from the frontend, so its TCP peer alone would
/// put every visitor in one bucket, and a few dozen guesses by anyone would lock everyone out.
/// The frontend therefore names the visitor's address in [`CLIENT_ADDRESS_HEADER`] and proves
/// it is the frontend with its client credentials (HTTP Basic). The header is believed only
/// then: from anyone else it would let a guesser claim a fresh address for every try, so
/// without the frontend's credentials an attempt counts against its own TCP peer.
fn login_source_address(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    let peer = peer.ip().to_canonical();
    let Some(named) = headers.get(CLIENT_ADDRESS_HEADER) else {
        return peer;
    };
    let from_frontend = basic_client_credentials(headers).is_some_and(|(client_id, secret)| {
        client_id == FRONTEND_CLIENT_ID && state.service_clients.verify(&client_id, &secret)
    });
    let named = named
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<IpAddr>().ok());
    match (from_frontend, named) {
        (true, Some(address)) => address.to_canonical(),
        (true, None) => {
            tracing::warn!("the frontend named a client address that is not an IP address");
            peer
        }
        (false, _) => {
            tracing::warn!(
                %peer,
                "a password login named a client address without the frontend's credentials; \
                 counted against its own address"
            );
            peer
        }
    }
}

/// Logs in with a username and password.
///
/// Five wrong passwords in a row lock the username for the configured time, during which the
/// right password is refused too; an address is also limited in how often it may try. The
/// answer for an unknown username is the same as for a wrong password, and every attempt is
/// recorded and audited. The frontend names the visitor's address in `x-imkon-client-address`
/// with its client credentials as HTTP Basic authentication; from any other caller the header
/// is ignored and the connection's address counts. Staff who decide or move money (and anyone
/// enrolled) get a second-factor challenge (202) instead of the token, completed at
/// `POST /v1/auth/second-factor`.
///
/// The username is not a field of the span: people type passwords into the username box, and
/// logs must never hold one. The account id is, once the username names an account.
#[utoipa::path(post, path = "/v1/auth/password", tag = "auth", request_body = PasswordLoginRequest,
    security(()),
    responses((status = 200, body = LoginResponse),
              (status = 202, body = SecondFactorChallenge, description = "a second factor is needed, or (body PasswordChangeStep, step change_password) a one-time password must be replaced"),
              (status = 401, description = "invalid_credentials"),
              (status = 403, description = "account_disabled or no_roles"),
              (status = 429, description = "login_locked, with Retry-After"),
              (status = 503, description = "busy: too many passwords being checked, with Retry-After")))]
#[tracing::instrument(skip_all, fields(account_id = tracing::field::Empty))]
async fn login_with_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ValidatedJson(request): ValidatedJson<PasswordLoginRequest>,
) -> Result<Response, OnboardingError> {
    let source = login_source_address(&state, &headers, peer);
    // The audit keeps the full address; the attempt log and the limit use its bucket.
    let address = address_bucket(source);
    let audited_address = source.to_string();
    let username: String = request
        .username
        .trim()
        .to_ascii_lowercase()
        .chars()
        .take(LOGGED_USERNAME_MAX_CHARS)
        .collect();
    let policy = state.login.lockout;
    let now = state.calendar.now();

    // The gate check and the recording of this attempt happen under locks on the username
    // and the address, and the attempt is recorded as failed before the password is checked
    // (then corrected on success). So parallel requests see each other: the sixth of a burst
    // finds five failures and is refused, instead of all of them guessing at once. The locks
    // are held for a few queries only, never during the slow hash.
    let mut transaction = state.pool.begin().await?;
    db::login_attempts::lock_login(&mut transaction, &username, &address).await?;
    let account = db::accounts::find_by_username(&mut transaction, &username).await?;
    if let Some(account) = &account {
        tracing::Span::current().record("account_id", tracing::field::display(account.id));
    }
    let account_attempts =
        db::login_attempts::recent_for_username(&mut transaction, &username).await?;
    let address_attempts = db::login_attempts::recent_for_address(
        &mut transaction,
        &address,
        now - policy.address_window,
    )
    .await?;
    let gate = login_gate(&policy, &account_attempts, &address_attempts, now);
    let outcome = match gate {
        LoginGate::Allowed => AttemptOutcome::Failed,
        LoginGate::Locked { .. } => AttemptOutcome::Refused,
    };
    let attempt_id = db::login_attempts::record(
        &mut transaction,
        account.as_ref().map(|account| account.id),
        &username,
        &address,
        now,
        outcome,
    )
    .await?;
    if let LoginGate::Locked { until, .. } = gate {
        audit::record(
            &mut transaction,
            login_audit(account.as_ref(), &username, &audited_address, "refused"),
        )
        .await?;
        transaction.commit().await?;
        let remaining_milliseconds = (until - now).num_milliseconds();
        return Err(OnboardingError::LoginLocked {
            retry_after_seconds: (remaining_milliseconds + 999) / 1000,
        });
    }
    transaction.commit().await?;

    let password_matches = if request.password.len() > PASSWORD_MAX_BYTES {
        false
    } else {
        let verified = verify_password(
            &request.password,
            account
                .as_ref()
                .and_then(|account| account.password_hash.clone()),
        )
        .await;
        match verified {
            Ok(matches) => matches,
            // The password was never checked, so the attempt must not count as a wrong one:
            // otherwise a busy moment would lock people out.
            Err(busy @ PasswordHashError::Busy { .. }) => {
                let mut connection = state.pool.acquire().await?;
                db::login_attempts::mark_not_checked(&mut connection, attempt_id).await?;
                return Err(busy.into());
            }
            Err(other) => return Err(other.into()),
        }
    };

    let mut transaction = state.pool.begin().await?;
    if password_matches {
        db::login_attempts::mark_succeeded(&mut transaction, attempt_id).await?;
    }
    audit::record(
        &mut transaction,
        login_audit(
            account.as_ref(),
            &username,
            &audited_address,
            match &account {
                Some(account) if password_matches && account.disabled_at.is_some() => "disabled",
                _ if password_matches => "succeeded",
                _ => "failed",
            },
        ),
    )
    .await?;
    let account = match account {
        Some(account) if password_matches => account,
        _ => {
            transaction.commit().await?;
            return Err(OnboardingError::InvalidCredentials);
        }
    };
    let principal = match principal_of(&account) {
        Ok(principal) => principal,
        Err(refusal) => {
            transaction.commit().await?;
            return Err(refusal);
        }
    };
    // A one-time password an admin issued buys only the step that replaces it.
    if account.must_change_password {
        let step = crate::http::passwords::change_step(&mut transaction, account.id, now).await?;
        transaction.commit().await?;
        return Ok((StatusCode::ACCEPTED, Json(step)).into_response());
    }
    let response = login_or_challenge(&mut transaction, &state, &account, principal, now).await?;
    transaction.commit().await?;
    Ok(response)
}

/// Issues a refresh token for a logged-in account, in the caller's transaction: the answer
/// of every kind of login.
pub(crate) async fn issue_refresh_token(
    connection: &mut sqlx::PgConnection,
    state: &AppState,
    account: &AccountRecord,
    principal: Principal,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<LoginResponse, OnboardingError> {
    let refresh_token = new_refresh_token();
    let lifetime = state.login.refresh_token_lifetime;
    db::refresh_tokens::insert(
        connection,
        account.id,
        &refresh_token_hash(&refresh_token),
        now,
        now + lifetime,
    )
    .await?;
    let cyrillic_name = match principal.client_id() {
        Some(client_id) => db::clients::find_person(connection, client_id)
            .await?
            .and_then(|person| cyrillic_full_name(&person)),
        None => None,
    };
    Ok(LoginResponse {
        refresh_token,
        refresh_expires_in: lifetime.num_seconds(),
        principal: PrincipalView {
            id: principal.subject(),
            roles: principal
                .roles()
                .map(|role| role.as_str().to_owned())
                .collect(),
            client_id: principal.client_id(),
            name: account.display_name.clone(),
            cyrillic_name,
        },
    })
}

/// Surname, given name and patronymic in Cyrillic, the order used on documents; none when the
/// profile has no Cyrillic name.
fn cyrillic_full_name(person: &db::clients::PersonRecord) -> Option<String> {
    let surname = person.cyrillic_surname.as_deref()?;
    let given_name = person.cyrillic_given_name.as_deref()?;
    let mut parts = vec![surname, given_name];
    parts.extend(person.cyrillic_patronymic.as_deref());
    Some(parts.join(" "))
}

/// Revokes a refresh token. Answers 204 whether or not the token was live, so the endpoint
/// cannot be used to test tokens.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", request_body = LogoutRequest,
    security(()),
    responses((status = 204, description = "The refresh token no longer works")))]
#[tracing::instrument(skip_all)]
async fn logout(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ValidatedJson(request): ValidatedJson<LogoutRequest>,
) -> Result<StatusCode, OnboardingError> {
    let mut transaction = state.pool.begin().await?;
    let revoked = db::refresh_tokens::revoke(
        &mut transaction,
        &refresh_token_hash(&request.refresh_token),
        state.calendar.now(),
    )
    .await?;
    if let Some(account_id) = revoked {
        audit::record(
            &mut transaction,
            AuditEntry {
                actor_id: Some(account_id),
                actor_roles: Vec::new(),
                action: "logout",
                subject_type: "login_account",
                subject_id: account_id.to_string(),
                before: None,
                after: None,
                source_address: Some(source_address(peer)),
            },
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

fn token_refusal(status: StatusCode, code: &'static str, detail: &str) -> OnboardingError {
    OnboardingError::TokenRequest {
        status,
        code,
        detail: detail.to_owned(),
    }
}

fn requested_audience(audience: Option<&str>) -> Result<Audience, OnboardingError> {
    let name = audience.ok_or_else(|| {
        token_refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "audience is required: the service the token is for",
        )
    })?;
    name.parse().map_err(|_| {
        token_refusal(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "audience is not one of the platform's services",
        )
    })
}

/// Refuses a service the platform's policy (`imkon_auth::policy`) does not list, or an audience
/// the policy does not give it: a service's secret buys tokens only for the services it calls,
/// so stolen scoring credentials are worth no accounts token.
fn require_service_policy(client_id: &str, audience: Option<&str>) -> Result<(), OnboardingError> {
    let policy = policy::service_client(client_id).ok_or_else(|| {
        token_refusal(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "this client may not use the client_credentials grant",
        )
    })?;
    let audience = requested_audience(audience)?;
    if !policy.may_call(audience) {
        return Err(token_refusal(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("{client_id} may not have tokens for {}", audience.as_str()),
        ));
    }
    Ok(())
}

/// A stable id for a service principal, derived from its name, so that its tokens and audit
/// records name the same subject across restarts.
fn service_subject(name: &str) -> Uuid {
    let digest = Sha256::digest(format!("imkon-service:{name}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Issues an access token (at most 15 minutes) addressed to one service.
///
/// Form-encoded body. `grant_type=refresh_token` with `refresh_token` and `audience` gives a
/// person's token with their roles and client id; `grant_type=client_credentials` with
/// `client_id` (a service's name), `client_secret` and `audience` gives a service token, for an
/// audience the service policy lists for that service, carrying the operations it grants there.
#[utoipa::path(post, path = "/v1/oauth/token", tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    security(()),
    responses((status = 200, body = TokenResponse),
              (status = 400, description = "invalid_grant, invalid_target, invalid_request, invalid_scope (a service asked for an audience its policy does not list), unauthorized_client or unsupported_grant_type"),
              (status = 401, description = "invalid_client")))]
#[tracing::instrument(skip_all)]
async fn issue_token(
    State(state): State<AppState>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, OnboardingError> {
    let Form(request) = form.map_err(|rejection| {
        token_refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &rejection.body_text(),
        )
    })?;
    let principal = match request.grant_type.as_str() {
        "authorization_code" => return trade_authorization_code(&state, &request).await,
        "refresh_token" => {
            let token = request.refresh_token.as_deref().ok_or_else(|| {
                token_refusal(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "refresh_token is required",
                )
            })?;
            let mut connection = state.pool.acquire().await?;
            let account_id = db::refresh_tokens::find_live_account(
                &mut connection,
                &refresh_token_hash(token),
                state.calendar.now(),
            )
            .await?
            .ok_or_else(|| {
                token_refusal(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the refresh token is unknown, expired or revoked",
                )
            })?;
            let account = db::accounts::find_by_id(&mut connection, account_id)
                .await?
                .ok_or_else(|| {
                    OnboardingError::Internal(format!(
                        "refresh token of missing account {account_id}"
                    ))
                })?;
            if !refresh_token_allowed(&mut connection, &account, &refresh_token_hash(token)).await?
            {
                return Err(token_refusal(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "this account now needs the second factor: sign in again",
                ));
            }
            principal_of(&account)?
        }
        "client_credentials" => {
            let client_id = request.client_id.as_deref().unwrap_or_default();
            let client_secret = request.client_secret.as_deref().unwrap_or_default();
            if !state.service_clients.verify(client_id, client_secret) {
                return Err(token_refusal(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "unknown client or wrong secret",
                ));
            }
            // The frontend acts only for the person signed in. A service token in its hands
            // would let a compromised frontend call every service as a service, past every
            // per-person rule, so its secret buys codes and refreshes, never this grant.
            if client_id == FRONTEND_CLIENT_ID {
                return Err(token_refusal(
                    StatusCode::BAD_REQUEST,
                    "unauthorized_client",
                    "the frontend may not use the client_credentials grant",
                ));
            }
            require_service_policy(client_id, request.audience.as_deref())?;
            Principal::service(service_subject(client_id), Some(client_id.to_owned()))
                .map_err(|error| OnboardingError::Internal(error.to_string()))?
        }
        _ => {
            return Err(token_refusal(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type is refresh_token, client_credentials or authorization_code",
            ))
        }
    };
    let audience = requested_audience(request.audience.as_deref())?;
    let lifetime: Duration = ACCESS_TOKEN_MAX_LIFETIME;
    let token = state
        .issuer
        .issue(&principal, audience, lifetime)
        .map_err(|error| OnboardingError::Internal(error.to_string()))?;
    let scopes = policy::granted_scopes(&principal, audience);
    let scope = (!scopes.is_empty()).then(|| {
        scopes
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    });
    let mut response = Json(TokenResponse {
        access_token: token.into_string(),
        token_type: "Bearer",
        expires_in: lifetime.as_secs(),
        scope,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The frontend's client id: the one client allowed the authorization-code grant.
pub const FRONTEND_CLIENT_ID: &str = "frontend";

/// Trades onboarding's one-time code from an external login for a refresh token, as a
/// password login gives one. Only the frontend, with its client secret, may trade codes.
async fn trade_authorization_code(
    state: &AppState,
    request: &TokenRequest,
) -> Result<Response, OnboardingError> {
    let client_id = request.client_id.as_deref().unwrap_or_default();
    let client_secret = request.client_secret.as_deref().unwrap_or_default();
    if client_id != FRONTEND_CLIENT_ID || !state.service_clients.verify(client_id, client_secret) {
        return Err(token_refusal(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        ));
    }
    let (Some(code), Some(redirect_uri)) =
        (request.code.as_deref(), request.redirect_uri.as_deref())
    else {
        return Err(token_refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code and redirect_uri are required",
        ));
    };
    let now = state.calendar.now();
    let mut transaction = state.pool.begin().await?;
    let account_id = db::external_login::consume_authorization_code(
        &mut transaction,
        &crate::http::external_login::secret_hash(code),
        redirect_uri,
        now,
    )
    .await?
    .ok_or_else(|| {
        token_refusal(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the code is unknown, used, expired or was issued for another redirect_uri",
        )
    })?;
    let account = db::accounts::find_by_id(&mut transaction, account_id)
        .await?
        .ok_or_else(|| {
            OnboardingError::Internal(format!("a code of missing account {account_id}"))
        })?;
    let principal = principal_of(&account)?;
    // The external provider stands for the first factor only: staff pass the second here too.
    let mut response =
        login_or_challenge(&mut transaction, state, &account, principal, now).await?;
    transaction.commit().await?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The public keys that verify this service's tokens, as a JWKS document.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth",
    security(()),
    responses((status = 200, content_type = "application/json", body = serde_json::Value,
        description = "A JSON Web Key Set (RFC 7517) of the Ed25519 keys not retired")))]
async fn public_keys(State(state): State<AppState>) -> Response {
    let (keys, _) = state.verifier.trusted_keys().current();
    let mut response = keys.to_jwks_json().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Verifiers keep the set this long (within their own bounds); the rotation procedure waits
    // as long between publishing a key and signing with it.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!(
            "public, max-age={}",
            crate::token_keys::JWKS_MAX_AGE_SECONDS
        ))
        .expect("a number is a valid header value"),
    );
    response
}
