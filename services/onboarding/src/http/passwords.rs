//! Passwords: a signed-in person changes their own, a founder who forgot theirs asks for an
//! emailed single-use link, and a ticket (that link, or the step after signing in with a
//! one-time password an admin issued) sets a new one.
//!
//! Setting a password ends the account's other sessions (its refresh tokens are revoked) and
//! voids its other unused tickets. Tickets are stored as SHA-256 only.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use imkon_auth::extract::AuthenticatedUser;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::now_utc;
use imkon_platform::mail;
use imkon_platform::problem::ValidatedJson;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::db;
use crate::db::password_tickets::TicketPurpose;
use crate::domain::credentials::{NewPassword, PASSWORD_MAX_BYTES};
use crate::domain::lockout::{address_bucket, login_gate, AttemptOutcome, LoginGate};
use crate::domain::password_mail::{reset_email, Language};
use crate::error::OnboardingError;
use crate::http::external_login::{random_secret, secret_hash};
use crate::http::{audit_by, source_address};
use crate::password::{hash_password, verify_password};
use crate::AppState;

/// How long an emailed reset link works.
pub const RESET_TICKET_MINUTES: i64 = 30;

/// How long the change step after a one-time password may take.
pub const CHANGE_TICKET_MINUTES: i64 = 10;

/// At most this many reset emails per account within [`RESET_LIMIT_WINDOW_MINUTES`]; further
/// requests answer the same but send nothing, so nobody can flood a founder's inbox.
pub const RESETS_PER_WINDOW: i64 = 3;
pub const RESET_LIMIT_WINDOW_MINUTES: i64 = 60;

/// The longest email address accepted (RFC 5321's path limit).
const EMAIL_MAX_CHARS: u64 = 320;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/me/password", post(change_own_password))
        .route("/v1/password-resets", post(request_reset))
        .route("/v1/password-resets/complete", post(complete_with_ticket))
}

/// A password change. A password's limits are the domain's (`NewPassword`), in bytes, and an
/// overlong old password is a wrong one, counted as a failed attempt; nothing here is a shape.
#[derive(Deserialize, ToSchema, Validate)]
pub struct ChangePasswordRequest {
    old_password: String,
    new_password: String,
    /// The caller's own refresh token, which stays valid; every other one is revoked.
    keep_refresh_token: Option<String>,
}

/// A reset request. The address's length is declared here; that it looks like one is checked
/// by the handler, and the language by `Language::parse`.
#[derive(Deserialize, ToSchema, Validate)]
pub struct ResetRequest {
    #[validate(length(min = 1, max = EMAIL_MAX_CHARS, code = "invalid_email"))]
    #[schema(min_length = 1, max_length = 320)]
    email: String,
    /// The language of the email: uz-Latn (when absent), uz-Cyrl, ru or en.
    language: Option<String>,
}

/// A reset's completion; the new password is the domain's to parse.
#[derive(Deserialize, ToSchema, Validate)]
pub struct CompleteRequest {
    /// The ticket from the reset link or from the sign-in's change step.
    ticket: String,
    new_password: String,
}

/// The sign-in's answer to an account that must change its one-time password.
#[derive(Serialize, ToSchema)]
pub struct PasswordChangeStep {
    /// Always `change_password`.
    step: &'static str,
    /// A single-use ticket for `POST /v1/password-resets/complete`.
    ticket: String,
    expires_in: i64,
}

/// Issues a single-use ticket for the account and returns it; only its hash is stored.
async fn issue_ticket(
    connection: &mut PgConnection,
    account_id: Uuid,
    purpose: TicketPurpose,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<String, OnboardingError> {
    let ticket = random_secret();
    db::password_tickets::insert(
        connection,
        &secret_hash(&ticket),
        account_id,
        purpose,
        now,
        now + lifetime,
    )
    .await?;
    Ok(ticket)
}

/// The change step of a sign-in with a one-time password, in the caller's transaction.
pub(crate) async fn change_step(
    connection: &mut PgConnection,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<PasswordChangeStep, OnboardingError> {
    let lifetime = Duration::minutes(CHANGE_TICKET_MINUTES);
    let ticket = issue_ticket(connection, account_id, TicketPurpose::Change, now, lifetime).await?;
    Ok(PasswordChangeStep {
        step: "change_password",
        ticket,
        expires_in: lifetime.num_seconds(),
    })
}

fn parse_new_password(text: &str) -> Result<NewPassword, OnboardingError> {
    NewPassword::parse(text).map_err(|error| {
        OnboardingError::invalid("new_password".to_owned(), "invalid_password", &error)
    })
}

/// Stores a new password the person chose: clears the one-time flag, voids other tickets and
/// ends every session but `keep`; says how many sessions ended.
async fn store_chosen_password(
    connection: &mut PgConnection,
    account_id: Uuid,
    password_hash: &str,
    keep: Option<&[u8; 32]>,
    now: DateTime<Utc>,
) -> Result<u64, OnboardingError> {
    db::accounts::set_password(connection, account_id, password_hash, false).await?;
    db::password_tickets::void_unused(connection, account_id, now).await?;
    Ok(db::refresh_tokens::revoke_all_for_account(connection, account_id, keep, now).await?)
}

/// Changes the caller's own password. The old one is required and checked under the sign-in
/// lockout (a stolen session must not become a way to guess the password); every other
/// session of the account ends.
#[utoipa::path(post, path = "/v1/me/password", tag = "passwords", request_body = ChangePasswordRequest,
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 204, description = "Changed; other sessions ended"),
              (status = 401),
              (status = 409, description = "no_local_password"),
              (status = 422, description = "wrong_password (field old_password) or invalid_password"),
              (status = 429, description = "login_locked")))]
#[tracing::instrument(skip_all, fields(caller = %caller.subject()))]
async fn change_own_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: AuthenticatedUser,
    ValidatedJson(request): ValidatedJson<ChangePasswordRequest>,
) -> Result<StatusCode, OnboardingError> {
    let new_password = parse_new_password(&request.new_password)?;
    let now = now_utc();
    let address = address_bucket(peer.ip());
    let mut transaction = state.pool.begin().await?;
    let account = db::accounts::find_by_id(&mut transaction, caller.subject())
        .await?
        .ok_or(OnboardingError::NotFound { what: "account" })?;
    let (Some(username), Some(old_hash)) =
        (account.username.clone(), account.password_hash.clone())
    else {
        return Err(OnboardingError::conflict(
            "no_local_password",
            "This account signs in through an identity provider and has no password here.",
        ));
    };
    db::login_attempts::lock_login(&mut transaction, &username, &address).await?;
    let attempts = db::login_attempts::recent_for_username(&mut transaction, &username).await?;
    if let LoginGate::Locked { until, .. } = login_gate(&state.login.lockout, &attempts, &[], now) {
        transaction.commit().await?;
        return Err(OnboardingError::LoginLocked {
            retry_after_seconds: ((until - now).num_milliseconds() + 999) / 1000,
        });
    }
    // Recorded as failed before the check, as a sign-in is, so parallel guesses count.
    let attempt_id = db::login_attempts::record(
        &mut transaction,
        Some(account.id),
        &username,
        &address,
        now,
        AttemptOutcome::Failed,
    )
    .await?;
    transaction.commit().await?;

    let matches = request.old_password.len() <= PASSWORD_MAX_BYTES
        && verify_password(&request.old_password, Some(old_hash)).await?;
    let mut transaction = state.pool.begin().await?;
    let mut entry = audit_by(
        &caller,
        "password.change",
        "login_account",
        account.id.to_string(),
    );
    entry.source_address = Some(source_address(peer));
    if !matches {
        entry.after = Some(serde_json::json!({ "outcome": "wrong_password" }));
        audit::record(&mut transaction, entry).await?;
        transaction.commit().await?;
        return Err(OnboardingError::InvalidField {
            field: "old_password".to_owned(),
            code: "wrong_password",
            message: "the current password is wrong".to_owned(),
        });
    }
    db::login_attempts::mark_succeeded(&mut transaction, attempt_id).await?;
    transaction.commit().await?;

    let password_hash = hash_password(&new_password).await?;
    let keep = request.keep_refresh_token.as_deref().map(secret_hash);
    let mut transaction = state.pool.begin().await?;
    let ended = store_chosen_password(
        &mut transaction,
        account.id,
        &password_hash,
        keep.as_ref(),
        now,
    )
    .await?;
    entry.before = Some(serde_json::json!({
        "must_change_password": account.must_change_password,
    }));
    entry.after = Some(serde_json::json!({
        "outcome": "changed",
        "must_change_password": false,
        "sessions_ended": ended,
    }));
    audit::record(&mut transaction, entry).await?;
    transaction.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Asks for a reset link by email. The answer is 202 whether or not a founder has the address
/// (so the endpoint cannot tell who is a client), and at most a few links per account per hour
/// are sent. The email goes through the mail outbox, in the language asked for.
#[utoipa::path(post, path = "/v1/password-resets", tag = "passwords", request_body = ResetRequest,
    security(()),
    responses((status = 202, description = "A link was sent if a founder has this address"),
              (status = 422, description = "invalid_email or invalid_language")))]
#[tracing::instrument(skip_all)]
async fn request_reset(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ValidatedJson(request): ValidatedJson<ResetRequest>,
) -> Result<StatusCode, OnboardingError> {
    let email = request.email.trim();
    if !email.contains('@') {
        return Err(OnboardingError::InvalidField {
            field: "email".to_owned(),
            code: "invalid_email",
            message: "an email address".to_owned(),
        });
    }
    let language = match request.language.as_deref() {
        None => Language::UzLatn,
        Some(tag) => Language::parse(tag).ok_or_else(|| OnboardingError::InvalidField {
            field: "language".to_owned(),
            code: "invalid_language",
            message: "uz-Latn, uz-Cyrl, ru or en".to_owned(),
        })?,
    };
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    for account_id in db::accounts::founders_by_email(&mut transaction, email).await? {
        let recent = db::password_tickets::count_since(
            &mut transaction,
            account_id,
            TicketPurpose::Reset,
            now - Duration::minutes(RESET_LIMIT_WINDOW_MINUTES),
        )
        .await?;
        let limited = recent >= RESETS_PER_WINDOW;
        if !limited {
            let ticket = issue_ticket(
                &mut transaction,
                account_id,
                TicketPurpose::Reset,
                now,
                Duration::minutes(RESET_TICKET_MINUTES),
            )
            .await?;
            let link = format!("{}?token={ticket}", state.login.password_reset_url);
            let to = db::accounts::email_of(&mut transaction, account_id)
                .await?
                .unwrap_or_else(|| email.to_owned());
            mail::enqueue(
                &mut transaction,
                &reset_email(language, &to, &link, RESET_TICKET_MINUTES),
            )
            .await?;
        }
        audit::record(
            &mut transaction,
            AuditEntry {
                actor_id: None,
                actor_roles: Vec::new(),
                action: "password.reset_requested",
                subject_type: "login_account",
                subject_id: account_id.to_string(),
                before: None,
                after: Some(serde_json::json!({ "sent": !limited })),
                source_address: Some(source_address(peer)),
            },
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(StatusCode::ACCEPTED)
}

/// Whose password a ticket set: the web front end ends that person's browser sessions with it,
/// as onboarding ended their refresh tokens.
#[derive(Serialize, ToSchema)]
pub struct PasswordSet {
    account_id: Uuid,
}

/// Sets a new password with a single-use ticket: an emailed reset link (30 minutes) or the
/// sign-in's change step after a one-time password. Every session of the account ends.
#[utoipa::path(post, path = "/v1/password-resets/complete", tag = "passwords",
    request_body = CompleteRequest, security(()),
    responses((status = 200, body = PasswordSet, description = "The new password is set"),
              (status = 400, description = "invalid_ticket: unknown, used or expired"),
              (status = 422, description = "invalid_password")))]
#[tracing::instrument(skip_all)]
async fn complete_with_ticket(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ValidatedJson(request): ValidatedJson<CompleteRequest>,
) -> Result<Json<PasswordSet>, OnboardingError> {
    let new_password = parse_new_password(&request.new_password)?;
    // Hashed before the transaction, so no row is locked during the slow hash.
    let password_hash = hash_password(&new_password).await?;
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    let account_id =
        db::password_tickets::consume(&mut transaction, &secret_hash(&request.ticket), now)
            .await?
            .ok_or_else(|| OnboardingError::BadRequest {
                code: "invalid_ticket",
                detail: "This link is unknown, was already used or has expired; ask for a new one."
                    .to_owned(),
            })?;
    let account = db::accounts::find_by_id(&mut transaction, account_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "account" })?;
    let ended =
        store_chosen_password(&mut transaction, account_id, &password_hash, None, now).await?;
    audit::record(
        &mut transaction,
        AuditEntry {
            actor_id: Some(account_id),
            actor_roles: account
                .roles
                .iter()
                .map(|role| role.as_str().to_owned())
                .collect(),
            action: "password.set_with_ticket",
            subject_type: "login_account",
            subject_id: account_id.to_string(),
            before: Some(serde_json::json!({
                "must_change_password": account.must_change_password,
            })),
            after: Some(serde_json::json!({
                "must_change_password": false,
                "sessions_ended": ended,
            })),
            source_address: Some(source_address(peer)),
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(PasswordSet { account_id }))
}
