//! Payments to and from other banks, the clearing batches, and the simulated clearing house's
//! own records.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A client's payment to another bank, with its source account's number.
#[derive(Debug, Clone)]
pub struct InterbankPaymentRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub fingerprint: String,
    pub from_account_id: Uuid,
    pub from_account_number: String,
    pub to_bank: String,
    pub to_account: String,
    pub recipient_name: String,
    pub purpose: String,
    pub amount: Decimal,
    pub currency: String,
    pub hold_transfer_id: Option<Uuid>,
    pub state: String,
    pub batch_id: Option<Uuid>,
    pub return_reason: Option<String>,
    pub accepted_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

macro_rules! select_payment {
    ($where:literal, $($argument:expr),*) => {
        sqlx::query_as!(
            InterbankPaymentRow,
            "select p.id, p.client_id, p.fingerprint, p.from_account_id,
                    a.number as from_account_number, p.to_bank, p.to_account, p.recipient_name,
                    p.purpose, p.amount, p.currency, p.hold_transfer_id, p.state, p.batch_id,
                    p.return_reason, p.accepted_at, p.sent_at, p.decided_at
             from interbank_payment p join account a on a.id = p.from_account_id "
            + $where,
            $($argument),*
        )
    };
}

/// What accepting a payment writes.
#[derive(Debug, Clone)]
pub struct NewInterbankPayment<'a> {
    pub id: Uuid,
    pub client_id: Uuid,
    pub idempotency_key: &'a str,
    pub fingerprint: &'a str,
    pub from_account_id: Uuid,
    pub to_bank: &'a str,
    pub to_account: &'a str,
    pub recipient_name: &'a str,
    pub purpose: &'a str,
    pub amount: Decimal,
    pub accepted_at: DateTime<Utc>,
}

/// Writes a payment down as accepted; `false` when the client's key was taken meanwhile.
pub async fn insert_payment(
    connection: &mut PgConnection,
    payment: &NewInterbankPayment<'_>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "insert into interbank_payment (id, client_id, idempotency_key, fingerprint,
                                        from_account_id, to_bank, to_account, recipient_name,
                                        purpose, amount, currency, state, accepted_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'UZS', 'accepted', $11)
         on conflict (client_id, idempotency_key) do nothing",
        payment.id,
        payment.client_id,
        payment.idempotency_key,
        payment.fingerprint,
        payment.from_account_id,
        payment.to_bank,
        payment.to_account,
        payment.recipient_name,
        payment.purpose,
        payment.amount,
        payment.accepted_at
    )
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn lock_by_key(
    connection: &mut PgConnection,
    client_id: Uuid,
    key: &str,
) -> sqlx::Result<Option<InterbankPaymentRow>> {
    select_payment!(
        "where p.client_id = $1 and p.idempotency_key = $2 for update of p",
        client_id,
        key
    )
    .fetch_optional(connection)
    .await
}

pub async fn find(
    executor: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<InterbankPaymentRow>> {
    select_payment!("where p.id = $1", id)
        .fetch_optional(executor)
        .await
}

pub async fn list_for_client(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<InterbankPaymentRow>> {
    select_payment!(
        "where p.client_id = $1 order by p.accepted_at desc, p.id limit $2",
        client_id,
        limit
    )
    .fetch_all(executor)
    .await
}

/// Accepted payments whose money is not held yet, accepted before `before` (their request
/// died between writing them down and holding the money).
pub async fn unheld_before(
    executor: impl PgExecutor<'_>,
    before: DateTime<Utc>,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "select id from interbank_payment
         where state = 'accepted' and hold_transfer_id is null and accepted_at < $1
         order by accepted_at",
        before
    )
    .fetch_all(executor)
    .await
}

/// Locks a payment unless another transaction holds it.
pub async fn lock_unless_busy(
    connection: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<InterbankPaymentRow>> {
    select_payment!("where p.id = $1 for update of p skip locked", id)
        .fetch_optional(connection)
        .await
}

pub async fn set_hold(
    connection: &mut PgConnection,
    id: Uuid,
    hold_transfer_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update interbank_payment set hold_transfer_id = $2 where id = $1",
        id,
        hold_transfer_id
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn mark_refused(
    connection: &mut PgConnection,
    id: Uuid,
    reason: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update interbank_payment set state = 'refused', return_reason = $2, decided_at = $3
         where id = $1 and state = 'accepted'",
        id,
        reason,
        at
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Locks the held payments accepted before `cut_off` that no batch holds yet, skipping any
/// another runner holds.
pub async fn lock_ready_for_batch(
    connection: &mut PgConnection,
    cut_off: DateTime<Utc>,
) -> sqlx::Result<Vec<InterbankPaymentRow>> {
    select_payment!(
        "where p.state = 'accepted' and p.hold_transfer_id is not null and p.accepted_at < $1
         order by p.accepted_at, p.id
         for update of p skip locked",
        cut_off
    )
    .fetch_all(connection)
    .await
}

/// Records a batch as formed; `false` when this cut-off has a batch already.
pub async fn insert_batch(
    connection: &mut PgConnection,
    id: Uuid,
    cut_off_at: DateTime<Utc>,
    payments: i32,
    total: Decimal,
    formed_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "insert into clearing_batch (id, cut_off_at, payments, total, state, formed_at)
         values ($1, $2, $3, $4, 'formed', $5)
         on conflict (cut_off_at) do nothing",
        id,
        cut_off_at,
        payments,
        total,
        formed_at
    )
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn assign_to_batch(
    connection: &mut PgConnection,
    ids: &[Uuid],
    batch_id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update interbank_payment set state = 'sent', batch_id = $2, sent_at = $3
         where id = any($1) and state = 'accepted'",
        ids,
        batch_id,
        at
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// A batch as stored.
#[derive(Debug, Clone)]
pub struct BatchRow {
    pub id: Uuid,
    pub cut_off_at: DateTime<Utc>,
    pub payments: i32,
    pub total: Decimal,
    pub state: String,
    pub formed_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
}

/// Batches not settled yet, oldest first.
pub async fn open_batches(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<BatchRow>> {
    sqlx::query_as!(
        BatchRow,
        "select id, cut_off_at, payments, total, state, formed_at, sent_at, settled_at
         from clearing_batch where state <> 'settled' order by cut_off_at"
    )
    .fetch_all(executor)
    .await
}

/// The latest batches, newest first.
pub async fn list_batches(
    executor: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<BatchRow>> {
    sqlx::query_as!(
        BatchRow,
        "select id, cut_off_at, payments, total, state, formed_at, sent_at, settled_at
         from clearing_batch order by cut_off_at desc limit $1",
        limit
    )
    .fetch_all(executor)
    .await
}

/// Locks an unsettled batch unless another runner holds it.
pub async fn lock_open_batch(
    connection: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<BatchRow>> {
    sqlx::query_as!(
        BatchRow,
        "select id, cut_off_at, payments, total, state, formed_at, sent_at, settled_at
         from clearing_batch where id = $1 and state <> 'settled' for update skip locked",
        id
    )
    .fetch_optional(connection)
    .await
}

pub async fn batch_payments(
    executor: impl PgExecutor<'_>,
    batch_id: Uuid,
) -> sqlx::Result<Vec<InterbankPaymentRow>> {
    select_payment!("where p.batch_id = $1 order by p.id", batch_id)
        .fetch_all(executor)
        .await
}

pub async fn mark_batch_sent(
    connection: &mut PgConnection,
    id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update clearing_batch set state = 'sent', sent_at = $2 where id = $1 and state = 'formed'",
        id,
        at
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn mark_batch_settled(
    connection: &mut PgConnection,
    id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update clearing_batch set state = 'settled', settled_at = $2 where id = $1",
        id,
        at
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Records a sent payment's outcome: settled, or returned with the reason.
pub async fn decide_payment(
    connection: &mut PgConnection,
    id: Uuid,
    return_reason: Option<&str>,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update interbank_payment
         set state = case when $2::text is null then 'settled' else 'returned' end,
             return_reason = $2, decided_at = $3
         where id = $1 and state = 'sent'",
        id,
        return_reason,
        at
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Whether the simulated clearing house knows this account at another bank to be closed.
pub async fn simulated_account_closed(
    executor: impl PgExecutor<'_>,
    bank: &str,
    account: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from simulated_clearing_closed_account
                          where bank = $1 and account = $2) as "closed!""#,
        bank,
        account
    )
    .fetch_one(executor)
    .await
}

/// Adds an account at another bank that the simulated clearing house returns payments to.
pub async fn simulated_close_account(
    executor: impl PgExecutor<'_>,
    bank: &str,
    account: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into simulated_clearing_closed_account (bank, account) values ($1, $2)
         on conflict do nothing",
        bank,
        account
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The simulated clearing house receives a batch (once: a batch sent again is the same batch).
pub async fn simulated_receive(
    executor: impl PgExecutor<'_>,
    batch_id: Uuid,
    received_at: DateTime<Utc>,
    settles_at: DateTime<Utc>,
    outcomes: &Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into simulated_clearing_batch (batch_id, received_at, settles_at, outcomes)
         values ($1, $2, $3, $4) on conflict (batch_id) do nothing",
        batch_id,
        received_at,
        settles_at,
        outcomes
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// When the simulated clearing house settles a batch, and each payment's fate.
pub async fn simulated_batch(
    executor: impl PgExecutor<'_>,
    batch_id: Uuid,
) -> sqlx::Result<Option<(DateTime<Utc>, Value)>> {
    let row = sqlx::query!(
        "select settles_at, outcomes from simulated_clearing_batch where batch_id = $1",
        batch_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| (row.settles_at, row.outcomes)))
}

/// Whether a payment from another bank with this reference was recorded already.
pub async fn incoming_seen(executor: impl PgExecutor<'_>, reference: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from incoming_payment where reference = $1) as "seen!""#,
        reference
    )
    .fetch_one(executor)
    .await
}

/// What recording a payment from another bank writes.
#[derive(Debug, Clone)]
pub struct NewIncomingPayment<'a> {
    pub reference: &'a str,
    pub file_name: &'a str,
    pub payer_bank: &'a str,
    pub payer_account: &'a str,
    pub payer_name: &'a str,
    pub to_account_id: Option<Uuid>,
    pub amount: Decimal,
    pub purpose: &'a str,
    pub reject_reason: Option<&'a str>,
    pub transfer_id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
}

/// Records a payment from another bank; `false` when its reference was recorded already.
pub async fn insert_incoming(
    connection: &mut PgConnection,
    payment: &NewIncomingPayment<'_>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "insert into incoming_payment (reference, file_name, payer_bank, payer_account,
                                       payer_name, to_account_id, amount, purpose, state,
                                       reject_reason, transfer_id, received_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8,
                 case when $9::text is null then 'credited' else 'rejected' end, $9, $10, $11)
         on conflict (reference) do nothing",
        payment.reference,
        payment.file_name,
        payment.payer_bank,
        payment.payer_account,
        payment.payer_name,
        payment.to_account_id,
        payment.amount,
        payment.purpose,
        payment.reject_reason,
        payment.transfer_id,
        payment.received_at
    )
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
