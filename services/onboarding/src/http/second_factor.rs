//! The second factor of a login: after the password (or an external provider) an account
//! that needs one gets a one-time challenge instead of a refresh token, and completes the
//! login at `POST /v1/auth/second-factor` with a six-digit TOTP code or a recovery code.
//!
//! Staff who decide about clients or move money always need it; an account without an
//! enrolled factor is led through enrolment by the same challenge (the answer carries the
//! secret, its `otpauth://` URI and a QR code drawn as SVG), and the code that proves the
//! authenticator works completes the login and hands out ten recovery codes, once.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use imkon_auth::Principal;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::now_utc;
use imkon_platform::problem::ValidatedJson;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use validator::Validate;

use crate::db;
use crate::db::accounts::AccountRecord;
use crate::domain::lockout::AttemptOutcome;
use crate::domain::totp::{self, TotpSecret};
use crate::error::OnboardingError;
use crate::http::auth::{issue_refresh_token, principal_of, LoginResponse};
use crate::http::external_login::random_secret;
use crate::http::source_address;
use crate::AppState;

/// Wrong codes one challenge takes before it dies; the holder must sign in again.
const CHALLENGE_MAX_FAILED_CODES: i32 = 5;
/// How long a challenge to enter a code lives.
const VERIFY_LIFETIME_MINUTES: i64 = 5;
/// How long a challenge to enrol lives: long enough to install an authenticator.
const ENROL_LIFETIME_MINUTES: i64 = 15;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/auth/second-factor", post(complete_login))
}

/// What the client must do next: `enrol` (set up an authenticator from `enrolment`, then
/// send its first code) or `verify` (send a code or a recovery code).
#[derive(Serialize, ToSchema)]
pub struct SecondFactorChallenge {
    /// Send it back with the code; it works once, for a few minutes.
    pub challenge: String,
    /// `enrol` or `verify`.
    pub step: &'static str,
    pub expires_in: i64,
    /// Only for `enrol`: the new secret to put into an authenticator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<Enrolment>,
}

/// A new TOTP secret, shown to its holder once, at enrolment.
#[derive(Serialize, ToSchema)]
pub struct Enrolment {
    /// The secret in base32, for typing into an authenticator.
    pub secret: String,
    /// The `otpauth://totp/…` URI the QR code holds.
    pub otpauth_uri: String,
    /// The QR code of the URI, an SVG document drawn on the server.
    pub qr_svg: String,
}

/// A second factor. It declares no limit: an unknown challenge or a wrong code is a refused
/// credential (401), counted against the challenge, whatever its length.
#[derive(Deserialize, ToSchema, Validate)]
pub struct SecondFactorRequest {
    challenge: String,
    /// The six digits the authenticator shows, or a recovery code.
    code: String,
}

/// A completed login, as a password login without a second factor answers, and at
/// enrolment the recovery codes, shown this once.
#[derive(Serialize, ToSchema)]
pub struct SecondFactorLoginResponse {
    #[serde(flatten)]
    login: LoginResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes: Option<Vec<String>>,
}

/// Whether a refresh token may still act for `account`: one from a login without the second
/// factor stops working once the account needs it (a founder granted a staff role, say).
pub(crate) async fn refresh_token_allowed(
    connection: &mut sqlx::PgConnection,
    account: &AccountRecord,
    token_sha256: &[u8; 32],
) -> Result<bool, OnboardingError> {
    Ok(!totp::required_for(&account.roles)
        || db::second_factor::refresh_token_passed(connection, token_sha256).await?)
}

fn challenge_hash(challenge: &str) -> [u8; 32] {
    Sha256::digest(challenge.as_bytes()).into()
}

/// Whether the account must pass a second factor: staff who decide or move money always,
/// anyone else once they have enrolled one.
async fn needs_second_factor(
    connection: &mut sqlx::PgConnection,
    account: &AccountRecord,
) -> Result<bool, OnboardingError> {
    Ok(totp::required_for(&account.roles)
        || db::second_factor::is_enrolled(connection, account.id).await?)
}

/// The end of every first factor (password or external provider), in the caller's
/// transaction: a refresh token (200) for an account that needs no second factor, else a
/// challenge (202) and no token.
pub(crate) async fn login_or_challenge(
    connection: &mut sqlx::PgConnection,
    state: &AppState,
    account: &AccountRecord,
    principal: Principal,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Response, OnboardingError> {
    if !needs_second_factor(connection, account).await? {
        let login = issue_refresh_token(connection, state, account, principal, now).await?;
        return Ok(Json(login).into_response());
    }
    let challenge = random_secret();
    let enrolled = db::second_factor::is_enrolled(connection, account.id).await?;
    let (purpose, lifetime, enrolment) = if enrolled {
        (
            "verify",
            chrono::Duration::minutes(VERIFY_LIFETIME_MINUTES),
            None,
        )
    } else {
        let secret = TotpSecret::generate();
        let sealed = state
            .second_factor_key
            .seal(account.id, &secret)
            .map_err(|error| OnboardingError::Internal(error.to_string()))?;
        db::second_factor::save_pending(connection, account.id, &sealed, now).await?;
        let account_name = account
            .username
            .clone()
            .unwrap_or_else(|| account.display_name.clone());
        let otpauth_uri = secret.otpauth_uri(&account_name);
        let qr_svg = totp::qr_svg(&otpauth_uri)
            .ok_or_else(|| OnboardingError::Internal("the QR code could not be drawn".into()))?;
        (
            "enrol",
            chrono::Duration::minutes(ENROL_LIFETIME_MINUTES),
            Some(Enrolment {
                secret: secret.to_base32(),
                otpauth_uri,
                qr_svg,
            }),
        )
    };
    db::second_factor::insert_challenge(
        connection,
        &challenge_hash(&challenge),
        account.id,
        purpose,
        now,
        now + lifetime,
    )
    .await?;
    let mut response = (
        StatusCode::ACCEPTED,
        Json(SecondFactorChallenge {
            challenge,
            step: purpose,
            expires_in: lifetime.num_seconds(),
            enrolment,
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn second_factor_audit<'a>(
    account: &AccountRecord,
    address: &str,
    outcome: &str,
) -> AuditEntry<'a> {
    AuditEntry {
        actor_id: Some(account.id),
        actor_roles: account
            .roles
            .iter()
            .map(|role| role.as_str().to_owned())
            .collect(),
        action: "login.second_factor",
        subject_type: "login_account",
        subject_id: account.id.to_string(),
        before: None,
        after: Some(serde_json::json!({ "outcome": outcome })),
        source_address: Some(address.to_owned()),
    }
}

/// Completes a login with the second factor.
///
/// Takes the challenge from the first factor and a six-digit code (or, when verifying, a
/// recovery code). A code works once: the same or an earlier time step is refused. Wrong
/// codes count towards the account's lockout, and a challenge dies after five. At enrolment
/// the answer also carries ten recovery codes, shown only this once.
#[utoipa::path(post, path = "/v1/auth/second-factor", tag = "auth", request_body = SecondFactorRequest,
    security(()),
    responses((status = 200, body = SecondFactorLoginResponse),
              (status = 401, description = "invalid_challenge or invalid_code"),
              (status = 429, description = "login_locked, with Retry-After")))]
#[tracing::instrument(skip_all)]
async fn complete_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ValidatedJson(request): ValidatedJson<SecondFactorRequest>,
) -> Result<Response, OnboardingError> {
    let address = source_address(peer);
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    let challenge = db::second_factor::find_live_challenge(
        &mut transaction,
        &challenge_hash(&request.challenge),
        now,
        CHALLENGE_MAX_FAILED_CODES,
    )
    .await?
    .ok_or_else(|| {
        OnboardingError::unauthorized(
            "invalid_challenge",
            "The sign-in expired or was not started; sign in again.",
        )
    })?;
    let account = db::accounts::find_by_id(&mut transaction, challenge.account_id)
        .await?
        .ok_or_else(|| OnboardingError::Internal("a challenge of a missing account".into()))?;

    // A password holder could otherwise start a fresh challenge after every few wrong codes;
    // the account's wrong codes over the lock duration are counted across its challenges.
    let policy = state.login.lockout;
    let recent_failures = db::second_factor::recent_failed_codes(
        &mut transaction,
        account.id,
        now - policy.lock_duration,
    )
    .await?;
    if recent_failures >= i64::from(policy.consecutive_failures_to_lock) {
        transaction.commit().await?;
        return Err(OnboardingError::LoginLocked {
            retry_after_seconds: policy.lock_duration.num_seconds(),
        });
    }

    let factor = db::second_factor::find_for_update(&mut transaction, account.id)
        .await?
        .ok_or_else(|| OnboardingError::Internal("a challenge without a second factor".into()))?;
    let secret = state
        .second_factor_key
        .open(account.id, &factor.sealed_secret)
        .map_err(|error| OnboardingError::Internal(error.to_string()))?;
    let code = request.code.trim();
    let enrolling = challenge.purpose == "enrol";
    let accepted = if !enrolling && totp::is_recovery_code(code) {
        db::second_factor::use_recovery_code(
            &mut transaction,
            account.id,
            &totp::recovery_code_hash(code),
            now,
        )
        .await?
    } else {
        let unix_seconds = u64::try_from(now.timestamp()).unwrap_or_default();
        match secret.verify(code, unix_seconds, factor.last_used_step) {
            Some(step) => {
                db::second_factor::accept_step(&mut transaction, account.id, step, now).await?;
                true
            }
            None => false,
        }
    };

    if !accepted {
        db::second_factor::count_failed_attempt(&mut transaction, challenge.id).await?;
        // Counted as a failed login of the account too, so the password lockout sees it.
        let username = account
            .username
            .clone()
            .unwrap_or_else(|| account.id.to_string());
        db::login_attempts::record(
            &mut transaction,
            Some(account.id),
            &username,
            &address,
            now,
            AttemptOutcome::Failed,
        )
        .await?;
        audit::record(
            &mut transaction,
            second_factor_audit(&account, &address, "failed"),
        )
        .await?;
        transaction.commit().await?;
        return Err(OnboardingError::unauthorized(
            "invalid_code",
            "The code is wrong, expired or already used.",
        ));
    }

    db::second_factor::consume_challenge(&mut transaction, challenge.id, now).await?;
    let recovery_codes = if enrolling && !factor.enrolled {
        let codes = totp::new_recovery_codes();
        let hashes: Vec<[u8; 32]> = codes
            .iter()
            .map(|code| totp::recovery_code_hash(code))
            .collect();
        db::second_factor::replace_recovery_codes(&mut transaction, account.id, &hashes, now)
            .await?;
        audit::record(
            &mut transaction,
            second_factor_audit(&account, &address, "enrolled"),
        )
        .await?;
        Some(codes)
    } else {
        audit::record(
            &mut transaction,
            second_factor_audit(&account, &address, "succeeded"),
        )
        .await?;
        None
    };
    let principal = principal_of(&account)?;
    let login = issue_refresh_token(&mut transaction, &state, &account, principal, now).await?;
    db::second_factor::mark_refresh_token_passed(
        &mut transaction,
        &Sha256::digest(login.refresh_token.as_bytes()).into(),
    )
    .await?;
    transaction.commit().await?;
    let mut response = Json(SecondFactorLoginResponse {
        login,
        recovery_codes,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
