//! Statements: an account's entries in a period, and its balance at the period's edges.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgExecutor;
use uuid::Uuid;

/// One line of a statement: an entry with the transfer it belongs to.
#[derive(Debug, Clone)]
pub struct StatementLine {
    pub entry_id: i64,
    pub booked_at: DateTime<Utc>,
    pub transfer_id: Uuid,
    pub kind: String,
    pub reference: String,
    pub side: String,
    pub amount: Decimal,
    pub balance_after: Decimal,
}

/// The account's balance just before `instant`: what its last earlier entry left, or zero.
pub async fn balance_before(
    executor: impl PgExecutor<'_>,
    account_id: Uuid,
    instant: DateTime<Utc>,
) -> sqlx::Result<Decimal> {
    let balance = sqlx::query_scalar!(
        "select balance_after from entry where account_id = $1 and created_at < $2
         order by id desc limit 1",
        account_id,
        instant
    )
    .fetch_optional(executor)
    .await?;
    Ok(balance.unwrap_or(Decimal::ZERO))
}

/// Up to `limit` lines booked in [start, end) after the entry `after_entry_id`, in booking order.
pub async fn lines(
    executor: impl PgExecutor<'_>,
    account_id: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    after_entry_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<StatementLine>> {
    sqlx::query_as!(
        StatementLine,
        "select e.id as entry_id, e.created_at as booked_at, e.transfer_id, t.kind, t.reference,
                e.side, e.amount, e.balance_after
         from entry e join transfer t on t.id = e.transfer_id
         where e.account_id = $1 and e.created_at >= $2 and e.created_at < $3 and e.id > $4
         order by e.id
         limit $5",
        account_id,
        start,
        end,
        after_entry_id,
        limit
    )
    .fetch_all(executor)
    .await
}
