//! Single-use password tickets (an emailed reset link, or the change step after a one-time
//! password), found by the SHA-256 of the ticket the person presents.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// What a ticket is for; both set a new password without the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketPurpose {
    Reset,
    Change,
}

impl TicketPurpose {
    fn code(self) -> &'static str {
        match self {
            TicketPurpose::Reset => "reset",
            TicketPurpose::Change => "change",
        }
    }
}

pub async fn insert(
    connection: &mut PgConnection,
    token_sha256: &[u8; 32],
    account_id: Uuid,
    purpose: TicketPurpose,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into password_ticket (token_sha256, account_id, purpose, created_at, expires_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(token_sha256.as_slice())
    .bind(account_id)
    .bind(purpose.code())
    .bind(now)
    .bind(expires_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// How many tickets of `purpose` the account was given since `since`: the reset rate limit.
pub async fn count_since(
    connection: &mut PgConnection,
    account_id: Uuid,
    purpose: TicketPurpose,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from password_ticket
         where account_id = $1 and purpose = $2 and created_at > $3",
    )
    .bind(account_id)
    .bind(purpose.code())
    .bind(since)
    .fetch_one(connection)
    .await
}

/// Uses a ticket that is neither used nor expired at `now` and returns its account; an
/// unknown, used or expired ticket changes nothing. The row lock of the update makes two
/// concurrent uses of one ticket succeed at most once.
pub async fn consume(
    connection: &mut PgConnection,
    token_sha256: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "update password_ticket set used_at = $2
         where token_sha256 = $1 and used_at is null and expires_at > $2
         returning account_id",
    )
    .bind(token_sha256.as_slice())
    .bind(now)
    .fetch_optional(connection)
    .await
}

/// Voids the account's other unused tickets once its password is set, so an older emailed
/// link cannot undo the new password.
pub async fn void_unused(
    connection: &mut PgConnection,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update password_ticket set used_at = $2 where account_id = $1 and used_at is null",
    )
    .bind(account_id)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}
