//! The ledger's writes, shaped for batches: each statement carries a whole batch as arrays
//! (`unnest`), so a batch costs one round trip per table whatever its size.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// An account as the write path sees it under lock.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LockedAccount {
    pub id: Uuid,
    pub number: String,
    pub kind: String,
    pub currency: String,
    pub allow_negative: bool,
    pub posted_balance: Decimal,
    pub pending_holds: Decimal,
}

/// Locks the accounts in ascending id order, in one statement, and returns their state. Every
/// writer locks in this one order, so no two transactions can wait on each other in a cycle.
pub async fn lock_accounts(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> sqlx::Result<Vec<LockedAccount>> {
    sqlx::query_as(
        "select id, number, kind, currency, allow_negative, posted_balance, pending_holds
         from account where id = any($1) order by id for update",
    )
    .bind(ids)
    .fetch_all(connection)
    .await
}

/// A transfer already booked under one of the keys a batch brings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyedTransfer {
    pub id: Uuid,
    pub idempotency_scope: String,
    pub idempotency_key: String,
    pub request_fingerprint: String,
}

/// The transfers already booked under any of these (scope, key) pairs.
pub async fn transfers_by_keys(
    executor: impl PgExecutor<'_>,
    scopes: &[String],
    keys: &[String],
) -> sqlx::Result<Vec<KeyedTransfer>> {
    sqlx::query_as(
        "select t.id, t.idempotency_scope, t.idempotency_key, t.request_fingerprint
         from transfer t
         join unnest($1::text[], $2::text[]) as wanted (scope, key)
           on t.idempotency_scope = wanted.scope and t.idempotency_key = wanted.key",
    )
    .bind(scopes)
    .bind(keys)
    .fetch_all(executor)
    .await
}

/// The transfers of one batch, column by column.
#[derive(Debug, Default)]
pub struct TransferColumns {
    pub id: Vec<Uuid>,
    pub idempotency_scope: Vec<String>,
    pub idempotency_key: Vec<String>,
    pub request_fingerprint: Vec<String>,
    pub kind: Vec<String>,
    pub reference: Vec<String>,
    pub currency: Vec<String>,
    pub status: Vec<String>,
    pub created_by: Vec<Uuid>,
}

pub async fn insert_transfers(
    connection: &mut PgConnection,
    transfers: &TransferColumns,
    created_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    if transfers.id.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into transfer (id, idempotency_scope, idempotency_key, request_fingerprint, kind,
                               reference, currency, status, created_by, created_at)
         select id, scope, key, fingerprint, kind, reference, currency, status, created_by, $10
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::uuid[])
              as t (id, scope, key, fingerprint, kind, reference, currency, status, created_by)",
    )
    .bind(&transfers.id)
    .bind(&transfers.idempotency_scope)
    .bind(&transfers.idempotency_key)
    .bind(&transfers.request_fingerprint)
    .bind(&transfers.kind)
    .bind(&transfers.reference)
    .bind(&transfers.currency)
    .bind(&transfers.status)
    .bind(&transfers.created_by)
    .bind(created_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// Entries, column by column.
#[derive(Debug, Default)]
pub struct EntryColumns {
    pub transfer_id: Vec<Uuid>,
    pub leg_index: Vec<i16>,
    pub account_id: Vec<Uuid>,
    pub side: Vec<String>,
    pub amount: Vec<Decimal>,
    pub balance_after: Vec<Decimal>,
}

/// Appends entries in the order given, which is the order their balances chain in: the
/// identity column numbers them in that order.
pub async fn insert_entries(
    connection: &mut PgConnection,
    entries: &EntryColumns,
    created_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    if entries.transfer_id.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into entry (transfer_id, leg_index, account_id, side, amount, balance_after, created_at)
         select transfer_id, leg_index, account_id, side, amount, balance_after, $7
         from unnest($1::uuid[], $2::int2[], $3::uuid[], $4::text[], $5::numeric[], $6::numeric[])
              with ordinality as e (transfer_id, leg_index, account_id, side, amount, balance_after, position)
         order by position",
    )
    .bind(&entries.transfer_id)
    .bind(&entries.leg_index)
    .bind(&entries.account_id)
    .bind(&entries.side)
    .bind(&entries.amount)
    .bind(&entries.balance_after)
    .bind(created_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// New holds, column by column.
#[derive(Debug, Default)]
pub struct HoldColumns {
    pub transfer_id: Vec<Uuid>,
    pub debit_account_id: Vec<Uuid>,
    pub credit_account_id: Vec<Uuid>,
    pub amount: Vec<Decimal>,
}

pub async fn insert_holds(connection: &mut PgConnection, holds: &HoldColumns) -> sqlx::Result<()> {
    if holds.transfer_id.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into hold (transfer_id, debit_account_id, credit_account_id, amount, state)
         select transfer_id, debit_account_id, credit_account_id, amount, 'pending'
         from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::numeric[])
              as h (transfer_id, debit_account_id, credit_account_id, amount)",
    )
    .bind(&holds.transfer_id)
    .bind(&holds.debit_account_id)
    .bind(&holds.credit_account_id)
    .bind(&holds.amount)
    .execute(connection)
    .await?;
    Ok(())
}

/// Sets the balances of locked accounts to what the batch left them at.
pub async fn update_balances(
    connection: &mut PgConnection,
    ids: &[Uuid],
    posted_balances: &[Decimal],
    pending_holds: &[Decimal],
) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "update account set posted_balance = b.posted_balance, pending_holds = b.pending_holds
         from unnest($1::uuid[], $2::numeric[], $3::numeric[]) as b (id, posted_balance, pending_holds)
         where account.id = b.id",
    )
    .bind(ids)
    .bind(posted_balances)
    .bind(pending_holds)
    .execute(connection)
    .await?;
    Ok(())
}

/// Audit records of a batch's money movements, column by column.
#[derive(Debug, Default)]
pub struct AuditColumns {
    pub id: Vec<Uuid>,
    pub actor_id: Vec<Uuid>,
    /// Each actor's roles joined by commas (a text[] of text[] cannot be passed as one array).
    pub actor_roles: Vec<String>,
    pub action: Vec<String>,
    pub subject_id: Vec<String>,
    pub after: Vec<Value>,
    pub request_id: Vec<Option<String>>,
}

/// Appends the batch's audit records to the platform's append-only trail in one statement.
pub async fn insert_audit_records(
    connection: &mut PgConnection,
    records: &AuditColumns,
) -> sqlx::Result<()> {
    if records.id.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into audit_record (id, actor_id, actor_roles, action, subject_type, subject_id, after, request_id)
         select id, actor_id, string_to_array(actor_roles, ','), action, 'transfer', subject_id, after, request_id
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[])
              as a (id, actor_id, actor_roles, action, subject_id, after, request_id)",
    )
    .bind(&records.id)
    .bind(&records.actor_id)
    .bind(&records.actor_roles)
    .bind(&records.action)
    .bind(&records.subject_id)
    .bind(&records.after)
    .bind(&records.request_id)
    .execute(connection)
    .await?;
    Ok(())
}

/// A transfer as shown to callers.
#[derive(Debug, Clone)]
pub struct TransferRecord {
    pub id: Uuid,
    pub kind: String,
    pub reference: String,
    pub currency: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub legs: Vec<LegRecord>,
}

/// One leg of a transfer: the booked entry, or for a pending or voided hold the leg as held
/// (with no balance after it, since nothing was booked).
#[derive(Debug, Clone)]
pub struct LegRecord {
    pub account_number: String,
    pub side: String,
    pub amount: Decimal,
    pub balance_after: Option<Decimal>,
}

#[derive(sqlx::FromRow)]
struct TransferHead {
    id: Uuid,
    kind: String,
    reference: String,
    currency: String,
    status: String,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct LegRow {
    transfer_id: Uuid,
    account_number: String,
    side: String,
    amount: Decimal,
    balance_after: Option<Decimal>,
}

/// Loads transfers with their legs: booked entries in leg order, or the held legs of a hold
/// that booked nothing. Two statements whatever the number of transfers.
pub async fn load_transfers(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, TransferRecord>> {
    let heads: Vec<TransferHead> = sqlx::query_as(
        "select id, kind, reference, currency, status, created_at from transfer where id = any($1)",
    )
    .bind(ids)
    .fetch_all(&mut *connection)
    .await?;
    let legs: Vec<LegRow> = sqlx::query_as(
        "select e.transfer_id, a.number as account_number, e.side, e.amount, e.balance_after,
                e.leg_index::int4 as position
         from entry e join account a on a.id = e.account_id
         where e.transfer_id = any($1)
         union all
         select h.transfer_id, a.number, l.side, h.amount, null::numeric, l.position
         from hold h
         cross join lateral (values (h.debit_account_id, 'debit', 0), (h.credit_account_id, 'credit', 1))
              as l (account_id, side, position)
         join account a on a.id = l.account_id
         where h.transfer_id = any($1)
           and not exists (select 1 from entry e where e.transfer_id = h.transfer_id)
         order by transfer_id, position",
    )
    .bind(ids)
    .fetch_all(&mut *connection)
    .await?;
    let mut records: HashMap<Uuid, TransferRecord> = heads
        .into_iter()
        .map(|head| {
            (
                head.id,
                TransferRecord {
                    id: head.id,
                    kind: head.kind,
                    reference: head.reference,
                    currency: head.currency,
                    status: head.status,
                    created_at: head.created_at,
                    legs: Vec::new(),
                },
            )
        })
        .collect();
    for leg in legs {
        if let Some(record) = records.get_mut(&leg.transfer_id) {
            record.legs.push(LegRecord {
                account_number: leg.account_number,
                side: leg.side,
                amount: leg.amount,
                balance_after: leg.balance_after,
            });
        }
    }
    Ok(records)
}
