//! Recoveries: money paid towards a loan after it was written off.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct RecoveryRow {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub recovered_on: NaiveDate,
    pub amount: Decimal,
    pub transfer_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// What a written-off contract moved to the losses, and how much of it has come back.
#[derive(Debug, Clone, Copy)]
pub struct WrittenOffStanding {
    pub principal_written_off: Decimal,
    pub recovered: Decimal,
}

impl WrittenOffStanding {
    /// What the client still owes of the principal written off.
    pub fn still_owed(&self) -> Decimal {
        self.principal_written_off - self.recovered
    }
}

/// The standing of a written-off contract; `None` for a contract that is not written off.
pub async fn standing<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Option<WrittenOffStanding>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select c.written_off_principal,
                  (select coalesce(sum(r.amount), 0) from recovery r where r.contract_id = c.id)
                      as "recovered!"
           from contract c
           where c.id = $1"#,
        contract_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.and_then(|row| {
        row.written_off_principal
            .map(|principal_written_off| WrittenOffStanding {
                principal_written_off,
                recovered: row.recovered,
            })
    }))
}

/// A recovery to record; the database stamps its creation time.
#[derive(Debug, Clone)]
pub struct NewRecovery {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub recovered_on: NaiveDate,
    pub amount: Decimal,
    pub transfer_id: Uuid,
    /// The person who paid it.
    pub recorded_by: Uuid,
}

pub async fn insert(
    connection: &mut PgConnection,
    recovery: &NewRecovery,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into recovery (id, contract_id, recovered_on, amount, transfer_id, recorded_by)
         values ($1, $2, $3, $4, $5, $6)",
        recovery.id,
        recovery.contract_id,
        recovery.recovered_on,
        recovery.amount,
        recovery.transfer_id,
        recovery.recorded_by,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// A contract's recoveries, oldest first.
pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Vec<RecoveryRow>, sqlx::Error> {
    sqlx::query_as!(
        RecoveryRow,
        "select id, contract_id, recovered_on, amount, transfer_id, created_at
         from recovery where contract_id = $1 order by created_at, id",
        contract_id
    )
    .fetch_all(executor)
    .await
}
