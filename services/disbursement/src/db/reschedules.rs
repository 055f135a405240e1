//! Reschedulings of a loan and the schedule versions they replaced.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A rescheduling as stored.
#[derive(Debug, Clone)]
pub struct RescheduleRow {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub kind: String,
    pub months: i32,
    pub reason: String,
    pub status: String,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub effective_on: Option<NaiveDate>,
}

/// A proposal not yet decided.
pub struct NewProposal<'a> {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub kind: &'a str,
    pub months: i32,
    pub reason: &'a str,
    pub proposed_by: Uuid,
}

pub async fn propose(
    connection: &mut PgConnection,
    proposal: &NewProposal<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into reschedule (id, contract_id, kind, months, reason, proposed_by, proposed_at)
         values ($1, $2, $3, $4, $5, $6, now())",
        proposal.id,
        proposal.contract_id,
        proposal.kind,
        proposal.months,
        proposal.reason,
        proposal.proposed_by
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The contract's pending proposal, if any.
pub async fn pending<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Option<RescheduleRow>, sqlx::Error> {
    sqlx::query_as!(
        RescheduleRow,
        "select id, contract_id, kind, months, reason, status, proposed_by, proposed_at,
             decided_by, decided_at, effective_on
         from reschedule where contract_id = $1 and status = 'proposed'",
        contract_id
    )
    .fetch_optional(executor)
    .await
}

/// Every rescheduling of the contract, oldest first.
pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Vec<RescheduleRow>, sqlx::Error> {
    sqlx::query_as!(
        RescheduleRow,
        "select id, contract_id, kind, months, reason, status, proposed_by, proposed_at,
             decided_by, decided_at, effective_on
         from reschedule where contract_id = $1 order by proposed_at, id",
        contract_id
    )
    .fetch_all(executor)
    .await
}

/// Confirms the pending proposal as taking effect on `effective_on`.
pub async fn confirm(
    connection: &mut PgConnection,
    id: Uuid,
    approver: Uuid,
    effective_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update reschedule
         set status = 'confirmed', decided_by = $2, decided_at = now(), effective_on = $3
         where id = $1 and status = 'proposed'",
        id,
        approver,
        effective_on
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn reject(
    connection: &mut PgConnection,
    id: Uuid,
    approver: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update reschedule set status = 'rejected', decided_by = $2, decided_at = now()
         where id = $1 and status = 'proposed'",
        id,
        approver
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// A confirmed rescheduling as the schedule's replay needs it.
#[derive(Debug, Clone)]
pub struct ConfirmedReschedule {
    pub kind: String,
    pub months: i32,
    pub effective_on: NaiveDate,
    pub decided_at: DateTime<Utc>,
}

/// The contract's confirmed reschedulings in the order they were decided.
pub async fn confirmed(
    connection: &mut PgConnection,
    contract_id: Uuid,
) -> Result<Vec<ConfirmedReschedule>, sqlx::Error> {
    sqlx::query_as!(
        ConfirmedReschedule,
        r#"select kind, months, effective_on as "effective_on!", decided_at as "decided_at!"
         from reschedule where contract_id = $1 and status = 'confirmed'
         order by decided_at, id"#,
        contract_id
    )
    .fetch_all(connection)
    .await
}

/// Keeps the rows a rescheduling replaced as the contract's next schedule version.
pub async fn insert_version(
    connection: &mut PgConnection,
    contract_id: Uuid,
    reschedule_id: Uuid,
    installments: &Value,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(
        r#"insert into schedule_version (contract_id, version, reschedule_id, installments)
         values ($1,
                 (select coalesce(max(version), 0) + 1 from schedule_version where contract_id = $1),
                 $2, $3)
         returning version"#,
        contract_id,
        reschedule_id,
        installments
    )
    .fetch_one(connection)
    .await
}

/// A schedule a rescheduling replaced.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: i32,
    pub reschedule_id: Uuid,
    pub installments: Value,
}

pub async fn versions<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as!(
        VersionRow,
        "select version, reschedule_id, installments from schedule_version
         where contract_id = $1 order by version",
        contract_id
    )
    .fetch_all(executor)
    .await
}
