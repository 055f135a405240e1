//! Clients' own transfers: quotes awaiting confirmation, and what a client sent today.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::ledger::KeyedTransfer;

#[derive(Debug, Clone)]
pub struct QuoteRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub from_account_id: Uuid,
    pub to_account_id: Uuid,
    pub amount: Decimal,
    pub fee: Decimal,
    pub currency: String,
    pub confirmation_token: String,
    pub expires_at: DateTime<Utc>,
    pub transfer_id: Option<Uuid>,
}

pub async fn insert_quote(connection: &mut PgConnection, quote: &QuoteRow) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into client_transfer_quote
            (id, client_id, from_account_id, to_account_id, amount, fee, currency, confirmation_token, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        quote.id,
        quote.client_id,
        quote.from_account_id,
        quote.to_account_id,
        quote.amount,
        quote.fee,
        quote.currency,
        quote.confirmation_token,
        quote.expires_at
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Deletes quotes that expired unconfirmed (of every client, at most `batch` of them): a
/// confirmed quote stays as the record of its transfer, an expired one is useless.
pub async fn forget_expired(
    connection: &mut PgConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> sqlx::Result<u64> {
    let deleted = sqlx::query!(
        "delete from client_transfer_quote where id in (
             select id from client_transfer_quote
             where transfer_id is null and expires_at < $1
             limit $2)",
        now,
        batch
    )
    .execute(connection)
    .await?;
    Ok(deleted.rows_affected())
}

/// How many of the client's quotes await confirmation and have not expired. The count is taken
/// under a per-client transaction lock, so concurrent quotes cannot all slip under the bound.
pub async fn count_open_locked(
    connection: &mut PgConnection,
    client_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtextextended('client_transfer_quote:' || $1::uuid::text, 0))",
        client_id
    )
    .execute(&mut *connection)
    .await?;
    sqlx::query_scalar!(
        r#"select count(*) as "open!" from client_transfer_quote
         where client_id = $1 and transfer_id is null and expires_at >= $2"#,
        client_id,
        now
    )
    .fetch_one(connection)
    .await
}

/// The client's quote, locked until the caller's transaction ends; another client's quote is
/// not found.
pub async fn lock_quote(
    connection: &mut PgConnection,
    quote_id: Uuid,
    client_id: Uuid,
) -> sqlx::Result<Option<QuoteRow>> {
    sqlx::query_as!(
        QuoteRow,
        "select id, client_id, from_account_id, to_account_id, amount, fee, currency,
                confirmation_token, expires_at, transfer_id
         from client_transfer_quote where id = $1 and client_id = $2
         for update",
        quote_id,
        client_id
    )
    .fetch_optional(connection)
    .await
}

pub async fn mark_confirmed(
    connection: &mut PgConnection,
    quote_id: Uuid,
    transfer_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update client_transfer_quote set transfer_id = $2 where id = $1",
        quote_id,
        transfer_id
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Serialises one client's confirmations, so that two confirmed at once cannot both fit under
/// a daily limit that only one of them fits. Held until the caller's transaction ends.
pub async fn lock_client(connection: &mut PgConnection, client_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtext('client-transfers:' || $1::uuid::text))",
        client_id
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// What a client's own transfers in `currency` took out of their accounts on the bank's `day`,
/// which runs over [start, end): the transfers booked then, the standing orders' payments for
/// that day booked at any time (a run catching up on a missed day, or run ahead of it), and
/// the payments to other banks accepted then and not refused or returned (held or settled).
pub async fn sent_on_day(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    currency: &str,
    day: NaiveDate,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> sqlx::Result<Decimal> {
    let scope = format!("client:{client_id}");
    sqlx::query_scalar!(
        r#"select coalesce((select sum(e.amount) from transfer t
                            join entry e on e.transfer_id = t.id
                            where t.idempotency_scope = $1 and t.kind = 'client_transfer'
                              and t.currency = $2 and e.side = 'debit'
                              and ((t.created_at >= $3 and t.created_at < $4)
                                   or t.reference like 'standing-order:%:' || $5::text)), 0)
                + coalesce((select sum(p.amount) from interbank_payment p
                            where p.client_id = $6 and p.currency = $2
                              and p.accepted_at >= $3 and p.accepted_at < $4
                              and p.state not in ('refused', 'returned')), 0) as "sent!""#,
        scope,
        currency,
        start,
        end,
        day.to_string(),
        client_id
    )
    .fetch_one(executor)
    .await
}

/// The transfer of this scope with this reference, if one was booked.
pub async fn transfer_by_reference(
    executor: impl PgExecutor<'_>,
    scope: &str,
    reference: &str,
) -> sqlx::Result<Option<KeyedTransfer>> {
    sqlx::query_as!(
        KeyedTransfer,
        "select id, idempotency_scope, idempotency_key, request_fingerprint
         from transfer where idempotency_scope = $1 and reference = $2",
        scope,
        reference
    )
    .fetch_optional(executor)
    .await
}
