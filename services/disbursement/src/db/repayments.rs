//! Repayments received on loans.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// An early repayment, as the schedule rebuild replays it.
#[derive(Debug, Clone)]
pub struct EarlyRepaymentRow {
    pub repaid_on: NaiveDate,
    pub extra_principal: Decimal,
    pub option: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct RepaymentRow {
    pub id: Uuid,
    pub kind: String,
    pub repaid_on: NaiveDate,
    pub amount: Decimal,
    pub penalty: Decimal,
    pub interest: Decimal,
    pub principal: Decimal,
    pub extra_principal: Option<Decimal>,
    pub early_option: Option<String>,
    pub transfer_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// A repayment to record.
#[derive(Debug, Clone)]
pub struct NewRepayment {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub kind: &'static str,
    pub repaid_on: NaiveDate,
    pub amount: Decimal,
    pub penalty: Decimal,
    pub interest: Decimal,
    pub principal: Decimal,
    pub extra_principal: Option<Decimal>,
    pub early_option: Option<&'static str>,
    pub transfer_id: Uuid,
}

pub async fn early_repayments(
    connection: &mut PgConnection,
    contract_id: Uuid,
) -> Result<Vec<EarlyRepaymentRow>, sqlx::Error> {
    sqlx::query_as!(
        EarlyRepaymentRow,
        // The table's check makes both columns present on an early repayment.
        r#"select repaid_on, extra_principal as "extra_principal!", early_option as "option!",
             created_at
         from repayment
         where contract_id = $1 and kind = 'early' order by created_at, id"#,
        contract_id
    )
    .fetch_all(connection)
    .await
}

pub async fn insert(
    connection: &mut PgConnection,
    repayment: &NewRepayment,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into repayment (id, contract_id, kind, repaid_on, amount, penalty, interest,
             principal, extra_principal, early_option, transfer_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        repayment.id,
        repayment.contract_id,
        repayment.kind,
        repayment.repaid_on,
        repayment.amount,
        repayment.penalty,
        repayment.interest,
        repayment.principal,
        repayment.extra_principal,
        repayment.early_option,
        repayment.transfer_id
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Vec<RepaymentRow>, sqlx::Error> {
    sqlx::query_as!(
        RepaymentRow,
        "select id, kind, repaid_on, amount, penalty, interest, principal, extra_principal,
             early_option, transfer_id, created_at
         from repayment where contract_id = $1 order by created_at, id",
        contract_id
    )
    .fetch_all(executor)
    .await
}

/// Whether anything has been repaid on the contract.
pub async fn any(connection: &mut PgConnection, contract_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from repayment where contract_id = $1) as "exists!""#,
        contract_id
    )
    .fetch_one(connection)
    .await
}
