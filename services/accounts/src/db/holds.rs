//! Holds: finding one under lock, and recording how it was settled.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// A hold with the transfer it belongs to.
#[derive(Debug, Clone)]
pub struct HoldRow {
    pub transfer_id: Uuid,
    pub debit_account_id: Uuid,
    pub credit_account_id: Uuid,
    pub amount: Decimal,
    pub state: String,
    pub posted_amount: Option<Decimal>,
    pub idempotency_key: String,
    pub kind: String,
    pub reference: String,
    pub currency: String,
}

/// Finds the hold of a transfer and locks it until the caller's transaction ends, so that two
/// settlements of one hold are decided one after the other.
pub async fn lock_hold(
    connection: &mut PgConnection,
    transfer_id: Uuid,
) -> sqlx::Result<Option<HoldRow>> {
    sqlx::query_as!(
        HoldRow,
        "select h.transfer_id, h.debit_account_id, h.credit_account_id, h.amount, h.state,
                h.posted_amount, t.idempotency_key, t.kind, t.reference, t.currency
         from hold h join transfer t on t.id = h.transfer_id
         where h.transfer_id = $1
         for update of h",
        transfer_id
    )
    .fetch_optional(connection)
    .await
}

/// Records the settlement: the hold's final state and its transfer's status.
pub async fn settle(
    connection: &mut PgConnection,
    transfer_id: Uuid,
    state: &str,
    posted_amount: Option<Decimal>,
    settled_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update hold set state = $2, posted_amount = $3, settled_at = $4 where transfer_id = $1",
        transfer_id,
        state,
        posted_amount,
        settled_at
    )
    .execute(&mut *connection)
    .await?;
    sqlx::query!(
        "update transfer set status = $2 where id = $1",
        transfer_id,
        state
    )
    .execute(connection)
    .await?;
    Ok(())
}
