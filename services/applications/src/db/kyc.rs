//! The local copy of clients' KYC status, kept from onboarding's events.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// Records a client's KYC status as of `changed_at`; an older event than the one already
/// applied (events may arrive out of order after retries) changes nothing.
pub async fn record(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    status: &str,
    changed_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into client_kyc (client_id, status, changed_at) values ($1, $2, $3)
         on conflict (client_id) do update set status = excluded.status, changed_at = excluded.changed_at
         where client_kyc.changed_at <= excluded.changed_at",
        client_id,
        status,
        changed_at,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The last status received for the client, if any event has arrived.
pub async fn status(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select status from client_kyc where client_id = $1",
        client_id,
    )
    .fetch_optional(executor)
    .await
}
