//! Refresh tokens, found by the SHA-256 of the token the client presents.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn insert(
    connection: &mut PgConnection,
    account_id: Uuid,
    token_sha256: &[u8; 32],
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Uuid, sqlx::Error> {
    let id = imkon_platform::id::new_id();
    sqlx::query(
        "insert into refresh_token (id, account_id, token_sha256, issued_at, expires_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(account_id)
    .bind(token_sha256.as_slice())
    .bind(issued_at)
    .bind(expires_at)
    .execute(connection)
    .await?;
    Ok(id)
}

/// The account of a refresh token that is neither revoked nor expired at `now`.
pub async fn find_live_account(
    connection: &mut PgConnection,
    token_sha256: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select account_id from refresh_token
         where token_sha256 = $1 and revoked_at is null and expires_at > $2",
    )
    .bind(token_sha256.as_slice())
    .bind(now)
    .fetch_optional(connection)
    .await
}

/// Revokes a live token and returns its account; an unknown or already revoked token
/// changes nothing.
pub async fn revoke(
    connection: &mut PgConnection,
    token_sha256: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "update refresh_token set revoked_at = $2
         where token_sha256 = $1 and revoked_at is null returning account_id",
    )
    .bind(token_sha256.as_slice())
    .bind(now)
    .fetch_optional(connection)
    .await
}

/// Revokes every live refresh token of the account except `keep` (the caller's own session,
/// when it changes its password) and says how many were revoked.
pub async fn revoke_all_for_account(
    connection: &mut PgConnection,
    account_id: Uuid,
    keep: Option<&[u8; 32]>,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "update refresh_token set revoked_at = $2
         where account_id = $1 and revoked_at is null
           and ($3::bytea is null or token_sha256 <> $3)",
    )
    .bind(account_id)
    .bind(now)
    .bind(keep.map(|hash| hash.as_slice()))
    .execute(connection)
    .await?;
    Ok(result.rows_affected())
}
