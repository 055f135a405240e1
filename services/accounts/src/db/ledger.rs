//! The ledger's writes, shaped for batches: each statement carries a whole batch as arrays
//! (`unnest`), so a batch costs a fixed handful of round trips whatever its size.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// An account as the write path sees it under lock.
#[derive(Debug, Clone)]
pub struct LockedAccount {
    pub id: Uuid,
    pub number: String,
    pub kind: String,
    pub currency: String,
    pub allow_negative: bool,
    pub posted_balance: Decimal,
    pub pending_holds: Decimal,
    pub closed: bool,
}

/// Locks the accounts in ascending id order, in one statement, and returns their state. Every
/// writer locks in this one order, so no two transactions can wait on each other in a cycle.
pub async fn lock_accounts(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> sqlx::Result<Vec<LockedAccount>> {
    sqlx::query_as!(
        LockedAccount,
        r#"select id, number, kind, currency, allow_negative, posted_balance, pending_holds,
                  closed_at is not null as "closed!"
           from account where id = any($1) order by id for update"#,
        ids
    )
    .fetch_all(connection)
    .await
}

/// What the writer reads at the start of a batch, in one round trip.
#[derive(Debug, Default)]
pub struct BatchStart {
    /// The batch's accounts, locked, in ascending id order.
    pub locked: Vec<LockedAccount>,
    /// The transfers already booked under the batch's keys.
    pub booked: Vec<KeyedTransfer>,
}

/// One row of [`lock_accounts_and_find_keys`]: an account (its columns set, the key columns
/// null) or a booked transfer (the key columns set, the account columns null).
struct StartRow {
    id: Uuid,
    number: Option<String>,
    kind: Option<String>,
    currency: Option<String>,
    allow_negative: Option<bool>,
    posted_balance: Option<Decimal>,
    pending_holds: Option<Decimal>,
    closed: Option<bool>,
    idempotency_scope: Option<String>,
    idempotency_key: Option<String>,
    request_fingerprint: Option<String>,
}

/// [`lock_accounts`] and [`transfers_by_keys`] in one statement, which saves the writer a round
/// trip per batch.
///
/// The key lookup reads the statement's snapshot, taken before the locks were waited for, so
/// it can miss a transfer that another process committed while this one waited. Such a batch
/// then fails on the unique index of (scope, key), and the writer retries it with
/// [`lock_accounts`] and then [`transfers_by_keys`], whose lookup sees what was committed
/// before the locks were granted.
pub async fn lock_accounts_and_find_keys(
    connection: &mut PgConnection,
    ids: &[Uuid],
    scopes: &[String],
    keys: &[String],
) -> sqlx::Result<BatchStart> {
    let rows = sqlx::query_as!(
        StartRow,
        r#"select a.id as "id!", a.number, a.kind, a.currency, a.allow_negative,
                  a.posted_balance, a.pending_holds, a.closed_at is not null as closed,
                  null::text as idempotency_scope, null::text as idempotency_key,
                  null::text as request_fingerprint
           from (select id, number, kind, currency, allow_negative, posted_balance,
                        pending_holds, closed_at
                 from account where id = any($1) order by id for update) a
           union all
           select t.id, null, null, null, null, null, null, null,
                  t.idempotency_scope, t.idempotency_key, t.request_fingerprint
           from unnest($2::text[], $3::text[]) as wanted (scope, key)
           cross join lateral (
               select id, idempotency_scope, idempotency_key, request_fingerprint
               from transfer
               where idempotency_scope = wanted.scope and idempotency_key = wanted.key
               limit 1) t"#,
        ids,
        scopes,
        keys
    )
    .fetch_all(connection)
    .await?;
    let mut start = BatchStart::default();
    for row in rows {
        let id = row.id;
        let unexpected =
            || sqlx::Error::Protocol(format!("row {id} is neither an account nor a transfer"));
        match (
            row.idempotency_scope,
            row.idempotency_key,
            row.request_fingerprint,
        ) {
            (Some(idempotency_scope), Some(idempotency_key), Some(request_fingerprint)) => {
                start.booked.push(KeyedTransfer {
                    id,
                    idempotency_scope,
                    idempotency_key,
                    request_fingerprint,
                })
            }
            _ => start.locked.push(LockedAccount {
                id,
                number: row.number.ok_or_else(unexpected)?,
                kind: row.kind.ok_or_else(unexpected)?,
                currency: row.currency.ok_or_else(unexpected)?,
                allow_negative: row.allow_negative.ok_or_else(unexpected)?,
                posted_balance: row.posted_balance.ok_or_else(unexpected)?,
                pending_holds: row.pending_holds.ok_or_else(unexpected)?,
                closed: row.closed.ok_or_else(unexpected)?,
            }),
        }
    }
    Ok(start)
}

/// A transfer already booked under one of the keys a batch brings.
#[derive(Debug, Clone)]
pub struct KeyedTransfer {
    pub id: Uuid,
    pub idempotency_scope: String,
    pub idempotency_key: String,
    pub request_fingerprint: String,
}

/// The transfers already booked under any of these (scope, key) pairs.
///
/// Each key is looked up on its own through the (scope, key) index: the `limit` keeps the
/// lookup a subquery per key, which the planner cannot turn into a join. As a join, the writer's
/// generic plan, made once per connection from the statistics of the moment, hashed the keys and
/// scanned the whole table when it was planned while the table was small, and went on scanning
/// it as the table grew: the ledger benchmark's spread shape, planned at 324 transfers, booked
/// its 8 000 with a scan of the table per batch (at 0.54x to 0.66x pgbench -N; [`lock_accounts_and_find_keys`]
/// looks keys up the same way).
pub async fn transfers_by_keys(
    executor: impl PgExecutor<'_>,
    scopes: &[String],
    keys: &[String],
) -> sqlx::Result<Vec<KeyedTransfer>> {
    sqlx::query_as!(
        KeyedTransfer,
        r#"select t.id as "id!", t.idempotency_scope as "idempotency_scope!",
                  t.idempotency_key as "idempotency_key!",
                  t.request_fingerprint as "request_fingerprint!"
           from unnest($1::text[], $2::text[]) as wanted (scope, key)
           cross join lateral (
               select id, idempotency_scope, idempotency_key, request_fingerprint
               from transfer
               where idempotency_scope = wanted.scope and idempotency_key = wanted.key
               limit 1) t"#,
        scopes,
        keys
    )
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

/// Entries, column by column, in the order their balances chain in: the identity column
/// numbers them in that order.
#[derive(Debug, Default)]
pub struct EntryColumns {
    pub transfer_id: Vec<Uuid>,
    pub leg_index: Vec<i16>,
    pub account_id: Vec<Uuid>,
    pub side: Vec<String>,
    pub amount: Vec<Decimal>,
    pub balance_after: Vec<Decimal>,
}

/// New holds, column by column.
#[derive(Debug, Default)]
pub struct HoldColumns {
    pub transfer_id: Vec<Uuid>,
    pub debit_account_id: Vec<Uuid>,
    pub credit_account_id: Vec<Uuid>,
    pub amount: Vec<Decimal>,
}

/// The balances of locked accounts as a batch leaves them, column by column.
#[derive(Debug, Default)]
pub struct BalanceColumns {
    pub id: Vec<Uuid>,
    pub posted_balance: Vec<Decimal>,
    pub pending_holds: Vec<Decimal>,
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

/// Everything a batch writes.
#[derive(Debug, Default)]
pub struct BatchWrites {
    pub transfers: TransferColumns,
    pub entries: EntryColumns,
    pub holds: HoldColumns,
    pub balances: BalanceColumns,
    pub audit: AuditColumns,
}

/// Writes a batch's transfers, entries, holds, balances and audit records (to the platform's
/// append-only trail) in one statement, so that a batch costs one round trip to PostgreSQL
/// for its writes whatever its size. Empty columns write nothing.
///
/// The parts are data-modifying `with` queries of one statement. PostgreSQL checks the foreign
/// keys of entries and holds on their transfers at the end of the statement, when the
/// transfers the same statement inserts are there.
pub async fn write_batch(
    connection: &mut PgConnection,
    writes: &BatchWrites,
    created_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    let BatchWrites {
        transfers,
        entries,
        holds,
        balances,
        audit,
    } = writes;
    sqlx::query!(
        "with new_transfers as (
             insert into transfer (id, idempotency_scope, idempotency_key, request_fingerprint,
                                   kind, reference, currency, status, created_by, created_at)
             select id, scope, key, fingerprint, kind, reference, currency, status, created_by, $10
             from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::uuid[])
                  as t (id, scope, key, fingerprint, kind, reference, currency, status, created_by)
         ), new_entries as (
             insert into entry (transfer_id, leg_index, account_id, side, amount, balance_after,
                                created_at)
             select transfer_id, leg_index, account_id, side, amount, balance_after, $10
             from unnest($11::uuid[], $12::int2[], $13::uuid[], $14::text[], $15::numeric[],
                         $16::numeric[])
                  with ordinality as e (transfer_id, leg_index, account_id, side, amount,
                                        balance_after, position)
             order by position
         ), new_holds as (
             insert into hold (transfer_id, debit_account_id, credit_account_id, amount, state)
             select transfer_id, debit_account_id, credit_account_id, amount, 'pending'
             from unnest($17::uuid[], $18::uuid[], $19::uuid[], $20::numeric[])
                  as h (transfer_id, debit_account_id, credit_account_id, amount)
         ), new_balances as (
             update account set posted_balance = b.posted_balance, pending_holds = b.pending_holds
             from unnest($21::uuid[], $22::numeric[], $23::numeric[])
                  as b (id, posted_balance, pending_holds)
             where account.id = b.id
         )
         insert into audit_record (id, actor_id, actor_roles, action, subject_type, subject_id,
                                   after, request_id)
         select id, actor_id, string_to_array(actor_roles, ','), action, 'transfer', subject_id,
                after, request_id
         from unnest($24::uuid[], $25::uuid[], $26::text[], $27::text[], $28::text[],
                     $29::jsonb[], $30::text[])
              as a (id, actor_id, actor_roles, action, subject_id, after, request_id)",
        &transfers.id,
        &transfers.idempotency_scope,
        &transfers.idempotency_key,
        &transfers.request_fingerprint,
        &transfers.kind,
        &transfers.reference,
        &transfers.currency,
        &transfers.status,
        &transfers.created_by,
        created_at,
        &entries.transfer_id,
        &entries.leg_index,
        &entries.account_id,
        &entries.side,
        &entries.amount,
        &entries.balance_after,
        &holds.transfer_id,
        &holds.debit_account_id,
        &holds.credit_account_id,
        &holds.amount,
        &balances.id,
        &balances.posted_balance,
        &balances.pending_holds,
        &audit.id,
        &audit.actor_id,
        &audit.actor_roles,
        &audit.action,
        &audit.subject_id,
        &audit.after,
        // A request id may be missing, which the macro's check of a text[] parameter (it
        // expects `&[String]`) cannot express; the column's own type allows it.
        &audit.request_id as _
    )
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

/// Loads transfers with their legs: booked entries in leg order, or the held legs of a hold
/// that booked nothing. Two statements whatever the number of transfers.
pub async fn load_transfers(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, TransferRecord>> {
    let heads = sqlx::query!(
        "select id, kind, reference, currency, status, created_at from transfer where id = any($1)",
        ids
    )
    .fetch_all(&mut *connection)
    .await?;
    // The columns of a union are not traced back to their tables, so each one says whether it
    // can be null: only the balance after a held leg is.
    let legs = sqlx::query!(
        r#"select leg.transfer_id as "transfer_id!", leg.account_number as "account_number!",
                leg.side as "side!", leg.amount as "amount!", leg.balance_after
         from (
             select e.transfer_id, a.number as account_number, e.side, e.amount, e.balance_after,
                    e.leg_index::int4 as position
             from entry e join account a on a.id = e.account_id
             where e.transfer_id = any($1)
             union all
             select h.transfer_id, a.number, l.side, h.amount, null::numeric, l.position
             from hold h
             cross join lateral (values (h.debit_account_id, 'debit', 0),
                                        (h.credit_account_id, 'credit', 1))
                  as l (account_id, side, position)
             join account a on a.id = l.account_id
             where h.transfer_id = any($1)
               and not exists (select 1 from entry e where e.transfer_id = h.transfer_id)
         ) as leg
         order by leg.transfer_id, leg.position"#,
        ids
    )
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
