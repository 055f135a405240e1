//! External login attempts, onboarding's own authorization codes, and the links between
//! provider subjects and login accounts.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// A login attempt about to leave for its provider.
#[derive(Debug, Clone)]
pub struct NewLoginAttempt<'a> {
    pub provider: &'a str,
    pub state_sha256: &'a [u8; 32],
    pub pkce_verifier: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub redirect_uri: &'a str,
    pub client_state: &'a str,
    /// The signed-in account whose identity this login links, if it is a linking login.
    pub link_account_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A consumed login attempt: what the callback needs to finish it.
#[derive(Debug, Clone)]
pub struct LoginAttemptRecord {
    pub pkce_verifier: Option<String>,
    pub nonce: Option<String>,
    pub redirect_uri: String,
    pub client_state: String,
    pub link_account_id: Option<Uuid>,
}

pub async fn insert_attempt(
    connection: &mut PgConnection,
    attempt: &NewLoginAttempt<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into external_login_attempt
             (id, provider, state_sha256, pkce_verifier, nonce, redirect_uri, client_state,
              link_account_id, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(imkon_platform::id::new_id())
    .bind(attempt.provider)
    .bind(attempt.state_sha256.as_slice())
    .bind(attempt.pkce_verifier)
    .bind(attempt.nonce)
    .bind(attempt.redirect_uri)
    .bind(attempt.client_state)
    .bind(attempt.link_account_id)
    .bind(attempt.created_at)
    .bind(attempt.expires_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// Marks the live attempt of `provider` with this state consumed and returns it. An unknown,
/// already consumed or expired state returns nothing: the one update makes two concurrent
/// callbacks with the same state impossible to both succeed.
pub async fn consume_attempt(
    connection: &mut PgConnection,
    provider: &str,
    state_sha256: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<LoginAttemptRecord>, sqlx::Error> {
    let row = sqlx::query(
        "update external_login_attempt set consumed_at = $3
         where provider = $1 and state_sha256 = $2 and consumed_at is null and expires_at > $3
         returning pkce_verifier, nonce, redirect_uri, client_state, link_account_id",
    )
    .bind(provider)
    .bind(state_sha256.as_slice())
    .bind(now)
    .fetch_optional(connection)
    .await?;
    row.map(|row| {
        Ok(LoginAttemptRecord {
            pkce_verifier: row.try_get("pkce_verifier")?,
            nonce: row.try_get("nonce")?,
            redirect_uri: row.try_get("redirect_uri")?,
            client_state: row.try_get("client_state")?,
            link_account_id: row.try_get("link_account_id")?,
        })
    })
    .transpose()
}

/// The account linked to a provider's subject.
pub async fn find_linked_account(
    connection: &mut PgConnection,
    provider: &str,
    subject: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select account_id from external_identity where provider = $1 and subject = $2",
    )
    .bind(provider)
    .bind(subject)
    .fetch_optional(connection)
    .await
}

/// Links a provider's subject to an account. Returns false when the subject is already
/// linked (to this account or another), leaving the existing link as it was.
pub async fn link_identity(
    connection: &mut PgConnection,
    provider: &str,
    subject: &str,
    account_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into external_identity (provider, subject, account_id) values ($1, $2, $3)
         on conflict (provider, subject) do nothing",
    )
    .bind(provider)
    .bind(subject)
    .bind(account_id)
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn insert_authorization_code(
    connection: &mut PgConnection,
    code_sha256: &[u8; 32],
    account_id: Uuid,
    redirect_uri: &str,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into authorization_code (code_sha256, account_id, redirect_uri, issued_at, expires_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(code_sha256.as_slice())
    .bind(account_id)
    .bind(redirect_uri)
    .bind(issued_at)
    .bind(expires_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// Marks a live code, issued for `redirect_uri`, used and returns its account. A code that
/// is unknown, used, expired or was sent to another redirect URI returns nothing.
pub async fn consume_authorization_code(
    connection: &mut PgConnection,
    code_sha256: &[u8; 32],
    redirect_uri: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "update authorization_code set used_at = $3
         where code_sha256 = $1 and redirect_uri = $2 and used_at is null and expires_at > $3
         returning account_id",
    )
    .bind(code_sha256.as_slice())
    .bind(redirect_uri)
    .bind(now)
    .fetch_optional(connection)
    .await
}

/// Holds a transaction-scoped advisory lock on a subject, such as a PINFL, so that two
/// logins of the same person run one after the other.
pub async fn lock_subject(connection: &mut PgConnection, subject: &str) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('external_identity:' || $1, 0))")
        .bind(subject)
        .execute(connection)
        .await?;
    Ok(())
}

/// Deletes login attempts and authorization codes that can no longer be used.
pub async fn delete_expired(
    connection: &mut PgConnection,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from external_login_attempt where expires_at <= $1")
        .bind(now)
        .execute(&mut *connection)
        .await?;
    sqlx::query("delete from authorization_code where expires_at <= $1")
        .bind(now)
        .execute(&mut *connection)
        .await?;
    Ok(())
}
