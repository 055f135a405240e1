//! Programmes and their budgets.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A programme as stored; the JSON columns hold the administrator's checked definition.
#[derive(Debug, Clone)]
pub struct ProgrammeRow {
    pub id: Uuid,
    pub kind: String,
    pub name: Value,
    pub description: Value,
    pub currency: String,
    pub total_budget: Decimal,
    pub committed_amount: Decimal,
    pub min_amount: Decimal,
    pub max_amount: Decimal,
    pub min_term_months: i32,
    pub max_term_months: i32,
    pub annual_rate_min_percent: Option<Decimal>,
    pub annual_rate_max_percent: Option<Decimal>,
    pub repayment_method: Option<String>,
    /// Loans: `30/360`, `actual/365` or `actual/actual-isda`, carried into each contract.
    pub day_count: Option<String>,
    /// Loans: `declining_balance` or `flat`, carried into each contract.
    pub interest_method: Option<String>,
    /// Loans: an arrangement fee of a fixed amount or a percent of the principal (at most one),
    /// and `deducted` or `upfront` when either is set.
    pub arrangement_fee_fixed: Option<Decimal>,
    pub arrangement_fee_percent: Option<Decimal>,
    pub arrangement_fee_collection: Option<String>,
    /// Loans: the late-payment charge per instalment that falls overdue.
    pub late_charge_fixed: Option<Decimal>,
    pub max_grace_months: Option<i32>,
    pub penalty_rate_percent: Option<Decimal>,
    pub co_funding_cap_percent: Option<Decimal>,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub eligibility: Value,
    pub scorecard_id: Uuid,
    pub scoring_inputs: Vec<String>,
    pub form: Value,
    pub rubric: Value,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    /// When the definition or the budget last changed.
    pub updated_at: DateTime<Utc>,
    /// When an administrator closed it to new applications; `None` while open.
    pub closed_at: Option<DateTime<Utc>>,
}

/// Inserts a programme; false when one with its id exists already (seeding twice).
pub async fn insert(
    executor: impl PgExecutor<'_>,
    row: &ProgrammeRow,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "insert into programme (id, kind, name, description, currency, total_budget,
            committed_amount, min_amount, max_amount, min_term_months, max_term_months,
            annual_rate_min_percent, annual_rate_max_percent, repayment_method, max_grace_months,
            penalty_rate_percent, co_funding_cap_percent, opens_on, closes_on, eligibility,
            scorecard_id, scoring_inputs, form, rubric, created_at, created_by, updated_at,
            day_count, interest_method, arrangement_fee_fixed, arrangement_fee_percent,
            arrangement_fee_collection, late_charge_fixed)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)
         on conflict (id) do nothing",
        row.id,
        row.kind,
        row.name,
        row.description,
        row.currency,
        row.total_budget,
        row.committed_amount,
        row.min_amount,
        row.max_amount,
        row.min_term_months,
        row.max_term_months,
        row.annual_rate_min_percent,
        row.annual_rate_max_percent,
        row.repayment_method,
        row.max_grace_months,
        row.penalty_rate_percent,
        row.co_funding_cap_percent,
        row.opens_on,
        row.closes_on,
        row.eligibility,
        row.scorecard_id,
        row.scoring_inputs.as_slice(),
        row.form,
        row.rubric,
        row.created_at,
        row.created_by,
        row.updated_at,
        row.day_count,
        row.interest_method,
        row.arrangement_fee_fixed,
        row.arrangement_fee_percent,
        row.arrangement_fee_collection,
        row.late_charge_fixed,
    )
    .execute(executor)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn find(
    executor: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<ProgrammeRow>, sqlx::Error> {
    sqlx::query_as!(
        ProgrammeRow,
        "select id, kind, name, description, currency, total_budget, committed_amount,
            min_amount, max_amount, min_term_months, max_term_months, annual_rate_min_percent,
            annual_rate_max_percent, repayment_method, day_count, interest_method, max_grace_months,
            arrangement_fee_fixed, arrangement_fee_percent, arrangement_fee_collection, late_charge_fixed,
            penalty_rate_percent,
            co_funding_cap_percent, opens_on, closes_on, eligibility, scorecard_id,
            scoring_inputs, form, rubric, created_at, created_by, updated_at, closed_at
         from programme where id = $1",
        id,
    )
    .fetch_optional(executor)
    .await
}

/// The programme, locked until the transaction ends: an edit, a budget change, a closing and
/// an approval's commitment of the same programme queue here, one at a time.
pub async fn lock(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ProgrammeRow>, sqlx::Error> {
    sqlx::query_as!(
        ProgrammeRow,
        "select id, kind, name, description, currency, total_budget, committed_amount,
            min_amount, max_amount, min_term_months, max_term_months, annual_rate_min_percent,
            annual_rate_max_percent, repayment_method, day_count, interest_method, max_grace_months,
            arrangement_fee_fixed, arrangement_fee_percent, arrangement_fee_collection, late_charge_fixed,
            penalty_rate_percent,
            co_funding_cap_percent, opens_on, closes_on, eligibility, scorecard_id,
            scoring_inputs, form, rubric, created_at, created_by, updated_at, closed_at
         from programme where id = $1 for update",
        id,
    )
    .fetch_optional(connection)
    .await
}

/// When the programme last changed and whether it is closed, under a shared lock until the
/// transaction ends: submissions of one programme go on side by side, but an edit or a closing
/// waits for them (and they for it).
pub async fn share_lock(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(DateTime<Utc>, Option<DateTime<Utc>>)>, sqlx::Error> {
    let row = sqlx::query!(
        "select updated_at, closed_at from programme where id = $1 for share",
        id,
    )
    .fetch_optional(connection)
    .await?;
    Ok(row.map(|row| (row.updated_at, row.closed_at)))
}

/// Whether any application to the programme has ever been submitted (a withdrawn or decided
/// one included: its founder applied to the definition as it was).
pub async fn has_submissions(executor: impl PgExecutor<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    // `exists` is never null, but Postgres describes every expression as nullable.
    sqlx::query_scalar!(
        r#"select exists (select 1 from application where programme_id = $1 and submitted_at is not null) as "exists!""#,
        id,
    )
    .fetch_one(executor)
    .await
}

/// The programmes to which some application has been submitted.
pub async fn with_submissions(executor: impl PgExecutor<'_>) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "select distinct programme_id from application where submitted_at is not null",
    )
    .fetch_all(executor)
    .await
}

/// Replaces the definition of a programme the transaction holds locked; its id, committed
/// amount, author, creation time and closing stay as they are.
pub async fn update_definition(
    connection: &mut PgConnection,
    row: &ProgrammeRow,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update programme set kind = $2, name = $3, description = $4, currency = $5,
            total_budget = $6, min_amount = $7, max_amount = $8, min_term_months = $9,
            max_term_months = $10, annual_rate_min_percent = $11, annual_rate_max_percent = $12,
            repayment_method = $13, max_grace_months = $14, penalty_rate_percent = $15,
            co_funding_cap_percent = $16, opens_on = $17, closes_on = $18, eligibility = $19,
            scorecard_id = $20, scoring_inputs = $21, form = $22, rubric = $23, updated_at = $24,
            day_count = $25, interest_method = $26, arrangement_fee_fixed = $27,
            arrangement_fee_percent = $28, arrangement_fee_collection = $29,
            late_charge_fixed = $30
         where id = $1",
        row.id,
        row.kind,
        row.name,
        row.description,
        row.currency,
        row.total_budget,
        row.min_amount,
        row.max_amount,
        row.min_term_months,
        row.max_term_months,
        row.annual_rate_min_percent,
        row.annual_rate_max_percent,
        row.repayment_method,
        row.max_grace_months,
        row.penalty_rate_percent,
        row.co_funding_cap_percent,
        row.opens_on,
        row.closes_on,
        row.eligibility,
        row.scorecard_id,
        row.scoring_inputs.as_slice(),
        row.form,
        row.rubric,
        row.updated_at,
        row.day_count,
        row.interest_method,
        row.arrangement_fee_fixed,
        row.arrangement_fee_percent,
        row.arrangement_fee_collection,
        row.late_charge_fixed,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Sets the total budget of a programme the transaction holds locked.
pub async fn set_total_budget(
    connection: &mut PgConnection,
    id: Uuid,
    total_budget: Decimal,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update programme set total_budget = $2, updated_at = $3 where id = $1",
        id,
        total_budget,
        now,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Closes a programme to new applications (`Some` closing) or opens it again (`None`).
pub async fn set_closed(
    connection: &mut PgConnection,
    id: Uuid,
    closing: Option<(DateTime<Utc>, Uuid)>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update programme set closed_at = $2, closed_by = $3 where id = $1",
        id,
        closing.map(|(at, _)| at),
        closing.map(|(_, by)| by),
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Every programme, the most recently opened first; there are a handful, not thousands.
pub async fn list(executor: impl PgExecutor<'_>) -> Result<Vec<ProgrammeRow>, sqlx::Error> {
    sqlx::query_as!(
        ProgrammeRow,
        "select id, kind, name, description, currency, total_budget, committed_amount,
            min_amount, max_amount, min_term_months, max_term_months, annual_rate_min_percent,
            annual_rate_max_percent, repayment_method, day_count, interest_method, max_grace_months,
            arrangement_fee_fixed, arrangement_fee_percent, arrangement_fee_collection, late_charge_fixed,
            penalty_rate_percent,
            co_funding_cap_percent, opens_on, closes_on, eligibility, scorecard_id,
            scoring_inputs, form, rubric, created_at, created_by, updated_at, closed_at
         from programme order by opens_on desc, id",
    )
    .fetch_all(executor)
    .await
}

/// Locks the programme's row until the transaction ends and returns its total budget and
/// committed amount: concurrent approvals of one programme queue here, one at a time.
pub async fn lock_budget(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<(Decimal, Decimal), sqlx::Error> {
    let row = sqlx::query!(
        "select total_budget, committed_amount from programme where id = $1 for update",
        id,
    )
    .fetch_one(connection)
    .await?;
    Ok((row.total_budget, row.committed_amount))
}

/// Sets the committed amount of a programme whose row the transaction holds locked.
pub async fn set_committed(
    connection: &mut PgConnection,
    id: Uuid,
    committed_amount: Decimal,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update programme set committed_amount = $2 where id = $1",
        id,
        committed_amount,
    )
    .execute(connection)
    .await?;
    Ok(())
}
