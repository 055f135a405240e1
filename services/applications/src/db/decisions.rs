//! Proposed decisions and their confirmation by a second person.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct DecisionRow {
    pub id: Uuid,
    pub application_id: Uuid,
    pub outcome: String,
    pub from_screening: bool,
    pub proposed_by: Uuid,
    pub proposed_role: String,
    pub proposed_at: DateTime<Utc>,
    pub amount: Option<Decimal>,
    pub term_months: Option<i32>,
    pub annual_rate_percent: Option<Decimal>,
    pub grace_months: Option<i32>,
    /// A JSON array of strings.
    pub reasons: Value,
    pub status: String,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub sent_back_reason: Option<String>,
}

pub async fn insert(executor: impl PgExecutor<'_>, row: &DecisionRow) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into application_decision (id, application_id, outcome, from_screening,
            proposed_by, proposed_role, proposed_at, amount, term_months, annual_rate_percent,
            grace_months, reasons)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        row.id,
        row.application_id,
        row.outcome,
        row.from_screening,
        row.proposed_by,
        row.proposed_role,
        row.proposed_at,
        row.amount,
        row.term_months,
        row.annual_rate_percent,
        row.grace_months,
        row.reasons,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The proposal awaiting a second officer, if any.
pub async fn pending(
    connection: &mut PgConnection,
    application_id: Uuid,
) -> Result<Option<DecisionRow>, sqlx::Error> {
    sqlx::query_as!(
        DecisionRow,
        "select id, application_id, outcome, from_screening, proposed_by, proposed_role,
            proposed_at, amount, term_months, annual_rate_percent, grace_months, reasons, status,
            resolved_by, resolved_at, sent_back_reason
         from application_decision where application_id = $1 and status = 'pending'",
        application_id,
    )
    .fetch_optional(connection)
    .await
}

/// The confirmed decision, if the application is decided.
pub async fn confirmed(
    executor: impl PgExecutor<'_>,
    application_id: Uuid,
) -> Result<Option<DecisionRow>, sqlx::Error> {
    sqlx::query_as!(
        DecisionRow,
        "select id, application_id, outcome, from_screening, proposed_by, proposed_role,
            proposed_at, amount, term_months, annual_rate_percent, grace_months, reasons, status,
            resolved_by, resolved_at, sent_back_reason
         from application_decision where application_id = $1 and status = 'confirmed'",
        application_id,
    )
    .fetch_optional(executor)
    .await
}

/// Confirms or sends back a pending proposal; the database refuses a resolver who proposed it.
pub async fn resolve(
    connection: &mut PgConnection,
    id: Uuid,
    status: &str,
    resolved_by: Uuid,
    resolved_at: DateTime<Utc>,
    sent_back_reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update application_decision set status = $2, resolved_by = $3, resolved_at = $4,
            sent_back_reason = $5
         where id = $1 and status = 'pending'",
        id,
        status,
        resolved_by,
        resolved_at,
        sent_back_reason,
    )
    .execute(connection)
    .await?;
    Ok(())
}
