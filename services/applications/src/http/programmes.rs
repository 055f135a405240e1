//! `/v1/programmes`: administrators define programmes; everyone signed in reads them.
//!
//! An administrator may edit a programme's definition only while no application has been
//! submitted to it (founders applied to the terms as they were), may close it to new
//! applications and open it again at any time (applications already submitted continue), and
//! may raise or lower its budget, never below what approvals have committed. Each change takes
//! the programme's row lock, the same lock an approval takes to commit budget, and is audited
//! with the programme before and after.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{Admin, AuthenticatedUser, RequireRole};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::{new_id, now_utc};
use imkon_platform::money::Money;
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::programme_dto::{ParsedProgramme, ProgrammeInput};
use crate::db;
use crate::db::programmes::ProgrammeRow;
use crate::domain::budget::Budget;
use crate::domain::programme::{FeeCharge, ProgrammeTerms};
use crate::error::ApiError;
use crate::AppState;

/// A programme with its budget as committed so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeView {
    pub id: Uuid,
    #[serde(flatten)]
    pub definition: ProgrammeInput,
    pub committed_amount: String,
    pub available_amount: String,
    pub created_at: DateTime<Utc>,
    /// When the definition or the budget last changed.
    pub updated_at: DateTime<Utc>,
    /// When an administrator closed it to new applications; null while open.
    pub closed_at: Option<DateTime<Utc>>,
    /// Whether an application has been submitted to it, which freezes its definition (the
    /// budget may still change, and it may still be closed and opened).
    pub has_submitted_applications: bool,
}

/// A stored programme, checked again as it is read.
#[derive(Debug, Clone)]
pub struct LoadedProgramme {
    pub row: ProgrammeRow,
    pub definition: ProgrammeInput,
    pub parsed: ParsedProgramme,
}

fn internal(error: &dyn std::error::Error) -> ApiError {
    ApiError::Problem(Problem::internal_from(error))
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|error| internal(&error))
}

/// The row that stores a checked programme.
pub fn programme_row(
    id: Uuid,
    input: &ProgrammeInput,
    parsed: &ParsedProgramme,
    created_by: Uuid,
    now: DateTime<Utc>,
) -> Result<ProgrammeRow, ApiError> {
    let programme = &parsed.programme;
    let to_i32 = |value: u32| i32::try_from(value).map_err(|error| internal(&error));
    let (rate_min, rate_max, method, day_count, interest_method, grace, cap) =
        match programme.terms() {
            ProgrammeTerms::Loan(loan) => (
                Some(loan.annual_rate.min().value()),
                Some(loan.annual_rate.max().value()),
                Some(loan.repayment_method.as_str().to_owned()),
                Some(loan.day_count.as_str().to_owned()),
                Some(loan.interest_method.as_str().to_owned()),
                Some(to_i32(loan.max_grace_months)?),
                None,
            ),
            ProgrammeTerms::Grant(grant) => (
                None,
                None,
                None,
                None,
                None,
                None,
                grant.co_funding_cap.map(|cap| cap.value()),
            ),
        };
    let fee = programme.loan_terms().and_then(|loan| loan.arrangement_fee);
    let (fee_fixed, fee_percent) = match fee.map(|fee| fee.charge) {
        Some(FeeCharge::Fixed(amount)) => (Some(amount.amount()), None),
        Some(FeeCharge::Percent(percent)) => (None, Some(percent.value())),
        None => (None, None),
    };
    Ok(ProgrammeRow {
        id,
        kind: programme.kind().as_str().to_owned(),
        name: to_json(&input.name)?,
        description: to_json(&input.description)?,
        currency: programme.currency().code().to_owned(),
        total_budget: programme.budget().total().amount(),
        committed_amount: programme.budget().committed().amount(),
        min_amount: programme.min_amount().amount(),
        max_amount: programme.max_amount().amount(),
        min_term_months: to_i32(programme.min_term_months())?,
        max_term_months: to_i32(programme.max_term_months())?,
        annual_rate_min_percent: rate_min,
        annual_rate_max_percent: rate_max,
        repayment_method: method,
        day_count,
        interest_method,
        arrangement_fee_fixed: fee_fixed,
        arrangement_fee_percent: fee_percent,
        arrangement_fee_collection: fee.map(|fee| fee.collection.as_str().to_owned()),
        late_charge_fixed: programme
            .loan_terms()
            .and_then(|loan| loan.late_charge)
            .map(|charge| charge.amount()),
        max_grace_months: grace,
        penalty_rate_percent: parsed.penalty_rate.map(|rate| rate.value()),
        co_funding_cap_percent: cap,
        opens_on: programme.opens_on(),
        closes_on: programme.closes_on(),
        eligibility: to_json(&input.eligibility)?,
        scorecard_id: programme.scorecard_id(),
        scoring_inputs: parsed.scoring_inputs.clone(),
        form: to_json(&input.questions)?,
        rubric: to_json(&input.rubric)?,
        created_at: now,
        created_by,
        updated_at: now,
        closed_at: None,
    })
}

fn from_json<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value.clone()).map_err(|error| internal(&error))
}

fn definition_of(row: &ProgrammeRow) -> Result<ProgrammeInput, ApiError> {
    let text = |value: Option<rust_decimal::Decimal>| value.map(|value| value.to_string());
    let months = |value: i32| u32::try_from(value).map_err(|error| internal(&error));
    Ok(ProgrammeInput {
        kind: row.kind.clone(),
        name: from_json(&row.name)?,
        description: from_json(&row.description)?,
        currency: row.currency.clone(),
        total_budget: row.total_budget.to_string(),
        min_amount: row.min_amount.to_string(),
        max_amount: row.max_amount.to_string(),
        min_term_months: months(row.min_term_months)?,
        max_term_months: months(row.max_term_months)?,
        annual_rate_min_percent: text(row.annual_rate_min_percent),
        annual_rate_max_percent: text(row.annual_rate_max_percent),
        repayment_method: row.repayment_method.clone(),
        day_count: row.day_count.clone(),
        interest_method: row.interest_method.clone(),
        arrangement_fee_fixed: text(row.arrangement_fee_fixed),
        arrangement_fee_percent: row
            .arrangement_fee_percent
            .map(|percent| percent.normalize().to_string()),
        arrangement_fee_collection: row.arrangement_fee_collection.clone(),
        late_charge_fixed: text(row.late_charge_fixed),
        max_grace_months: row.max_grace_months.map(months).transpose()?,
        penalty_rate_percent: text(row.penalty_rate_percent),
        co_funding_cap_percent: text(row.co_funding_cap_percent),
        opens_on: row.opens_on,
        closes_on: row.closes_on,
        eligibility: from_json(&row.eligibility)?,
        scorecard_id: row.scorecard_id,
        scoring_inputs: row.scoring_inputs.clone(),
        questions: from_json(&row.form)?,
        rubric: from_json(&row.rubric)?,
    })
}

/// Reads a stored programme back through the checks that admitted it, with its committed
/// budget.
pub fn loaded(row: ProgrammeRow) -> Result<LoadedProgramme, ApiError> {
    let definition = definition_of(&row)?;
    let mut parsed = definition.parse().map_err(|error| {
        internal(&std::io::Error::other(format!(
            "stored programme {} no longer parses: {error}",
            row.id
        )))
    })?;
    let currency = parsed.programme.currency();
    let committed = Money::new(row.committed_amount, currency).map_err(|error| internal(&error))?;
    let budget = Budget::new(parsed.programme.budget().total(), committed)
        .map_err(|error| internal(&error))?;
    parsed.programme = parsed
        .programme
        .with_budget(budget)
        .map_err(|error| internal(&error))?;
    Ok(LoadedProgramme {
        row,
        definition,
        parsed,
    })
}

pub async fn load(
    executor: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<LoadedProgramme>, ApiError> {
    db::programmes::find(executor, id)
        .await?
        .map(loaded)
        .transpose()
}

fn view(programme: LoadedProgramme, has_submitted_applications: bool) -> ProgrammeView {
    let budget = programme.parsed.programme.budget();
    ProgrammeView {
        id: programme.row.id,
        committed_amount: budget.committed().amount().to_string(),
        available_amount: budget.available().amount().to_string(),
        created_at: programme.row.created_at,
        updated_at: programme.row.updated_at,
        closed_at: programme.row.closed_at,
        has_submitted_applications,
        definition: programme.definition,
    }
}

fn audit_entry<'a>(
    admin: &RequireRole<Admin>,
    action: &'a str,
    id: Uuid,
    before: serde_json::Value,
    after: serde_json::Value,
) -> AuditEntry<'a> {
    AuditEntry {
        actor_id: Some(admin.subject()),
        actor_roles: admin.roles().map(|role| role.as_str().to_owned()).collect(),
        action,
        subject_type: "programme",
        subject_id: id.to_string(),
        before: Some(before),
        after: Some(after),
        source_address: None,
    }
}

/// The programme's row, locked until the transaction ends; 404 when there is none.
async fn locked(connection: &mut sqlx::PgConnection, id: Uuid) -> Result<ProgrammeRow, ApiError> {
    db::programmes::lock(connection, id)
        .await?
        .ok_or(ApiError::NotFound { what: "programme" })
}

/// Defines a programme.
#[utoipa::path(post, path = "/v1/programmes", tag = "programmes", request_body = ProgrammeInput,
    security(("bearer" = ["admin"])),
    responses((status = 201, body = ProgrammeView), (status = 403, description = "Not an admin"),
        (status = 422, description = "A field is invalid; the problem names it")))]
#[tracing::instrument(skip_all)]
async fn create_programme(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
    ValidatedJson(input): ValidatedJson<ProgrammeInput>,
) -> Result<(StatusCode, Json<ProgrammeView>), ApiError> {
    let parsed = input.parse()?;
    let id = new_id();
    let row = programme_row(id, &input, &parsed, admin.subject(), now_utc())?;
    let mut transaction = state.pool.begin().await?;
    db::programmes::insert(&mut *transaction, &row).await?;
    audit::record(
        &mut transaction,
        AuditEntry {
            actor_id: Some(admin.subject()),
            actor_roles: admin.roles().map(|role| role.as_str().to_owned()).collect(),
            action: "programme.create",
            subject_type: "programme",
            subject_id: id.to_string(),
            before: None,
            after: Some(to_json(&input)?),
            source_address: None,
        },
    )
    .await?;
    transaction.commit().await?;
    let programme = loaded(row)?;
    Ok((StatusCode::CREATED, Json(view(programme, false))))
}

/// Every programme.
#[utoipa::path(get, path = "/v1/programmes", tag = "programmes",
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = [ProgrammeView]), (status = 401, description = "No token")))]
#[tracing::instrument(skip_all)]
async fn list_programmes(
    State(state): State<AppState>,
    _user: AuthenticatedUser,
) -> Result<Json<Vec<ProgrammeView>>, ApiError> {
    let rows = db::programmes::list(&state.pool).await?;
    let submitted = db::programmes::with_submissions(&state.pool).await?;
    let views = rows
        .into_iter()
        .map(|row| {
            let has_submissions = submitted.contains(&row.id);
            loaded(row).map(|programme| view(programme, has_submissions))
        })
        .collect::<Result<_, _>>()?;
    Ok(Json(views))
}

/// One programme.
#[utoipa::path(get, path = "/v1/programmes/{programme_id}", tag = "programmes",
    params(("programme_id" = Uuid, Path)),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = ProgrammeView), (status = 404, description = "No such programme")))]
#[tracing::instrument(skip_all, fields(%programme_id))]
async fn get_programme(
    State(state): State<AppState>,
    _user: AuthenticatedUser,
    Path(programme_id): Path<Uuid>,
) -> Result<Json<ProgrammeView>, ApiError> {
    let programme = load(&state.pool, programme_id)
        .await?
        .ok_or(ApiError::NotFound { what: "programme" })?;
    let has_submissions = db::programmes::has_submissions(&state.pool, programme_id).await?;
    Ok(Json(view(programme, has_submissions)))
}

/// Replaces a programme's definition while no application has been submitted to it. The
/// committed amount is kept (it is zero, since only a submitted application can be approved).
#[utoipa::path(put, path = "/v1/programmes/{programme_id}", tag = "programmes",
    params(("programme_id" = Uuid, Path)), request_body = ProgrammeInput,
    security(("bearer" = ["admin"])),
    responses((status = 200, body = ProgrammeView), (status = 403, description = "Not an admin"),
        (status = 404, description = "No such programme"),
        (status = 409, description = "`programme_has_submissions`: an application has been submitted to it"),
        (status = 422, description = "A field is invalid; the problem names it")))]
#[tracing::instrument(skip_all, fields(%programme_id))]
async fn edit_programme(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
    Path(programme_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<ProgrammeInput>,
) -> Result<Json<ProgrammeView>, ApiError> {
    let parsed = input.parse()?;
    let mut transaction = state.pool.begin().await?;
    let current = locked(&mut transaction, programme_id).await?;
    if db::programmes::has_submissions(&mut *transaction, programme_id).await? {
        return Err(ApiError::conflict(
            "programme_has_submissions",
            "an application has been submitted to this programme: its definition can no longer change, only its budget and whether it is open",
        ));
    }
    let before = loaded(current.clone())?;
    let mut row = programme_row(
        programme_id,
        &input,
        &parsed,
        current.created_by,
        current.created_at,
    )?;
    row.committed_amount = current.committed_amount;
    row.closed_at = current.closed_at;
    row.updated_at = now_utc();
    db::programmes::update_definition(&mut transaction, &row).await?;
    audit::record(
        &mut transaction,
        audit_entry(
            &admin,
            "programme.edited",
            programme_id,
            to_json(&before.definition)?,
            to_json(&input)?,
        ),
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(view(loaded(row)?, false)))
}

/// The first amount the `numeric(20, 2)` budget column cannot hold: 10^18.
const LARGEST_BUDGET_EXCLUSIVE: i64 = 1_000_000_000_000_000_000;

/// A new total budget. Its amount is a rule of the domain's `Money` and `Budget`, not a shape,
/// so it has no declared limit; it derives `Validate` so that every request body goes through
/// `ValidatedJson` alike.
#[derive(Debug, Deserialize, Serialize, ToSchema, Validate)]
pub struct BudgetInput {
    /// The new total, in the programme's currency (`"1500000000.00"`).
    pub total_budget: String,
}

/// The budget figures the audit trail records before and after a change, in the minor units
/// every currency of a programme has (two decimals), so that zero reads `0.00` like the rest.
fn budget_json(row: &ProgrammeRow) -> serde_json::Value {
    serde_json::json!({
        "total_budget": format!("{:.2}", row.total_budget),
        "committed_amount": format!("{:.2}", row.committed_amount),
        "currency": row.currency,
    })
}

/// Raises or lowers a programme's total budget, never below what approvals have committed
/// (checked under the row lock that approvals take to commit, so a concurrent approval is
/// counted) nor below the largest amount one application may ask for. Setting a total is
/// idempotent: repeating the request leaves the same budget.
#[utoipa::path(put, path = "/v1/programmes/{programme_id}/budget", tag = "programmes",
    params(("programme_id" = Uuid, Path)), request_body = BudgetInput,
    security(("bearer" = ["admin"])),
    responses((status = 200, body = ProgrammeView), (status = 403, description = "Not an admin"),
        (status = 404, description = "No such programme"),
        (status = 409, description = "`budget_below_committed`: approvals have committed more than the new total"),
        (status = 422, description = "Not an amount, or `budget_below_max_amount`")))]
#[tracing::instrument(skip_all, fields(%programme_id))]
async fn change_budget(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
    Path(programme_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<BudgetInput>,
) -> Result<Json<ProgrammeView>, ApiError> {
    let mut transaction = state.pool.begin().await?;
    let mut row = locked(&mut transaction, programme_id).await?;
    let currency = loaded(row.clone())?.parsed.programme.currency();
    let total = Money::parse(&input.total_budget, currency)
        .map_err(|error| ApiError::field("total_budget", "invalid_amount", error.to_string()))?;
    let committed = Money::new(row.committed_amount, currency).map_err(|error| internal(&error))?;
    match Budget::new(total, committed) {
        Ok(_) => {}
        Err(crate::domain::budget::BudgetError::CommittedOutOfRange) => {
            return Err(ApiError::conflict(
                "budget_below_committed",
                format!(
                    "approvals have committed {committed} of this programme: the budget cannot be less"
                ),
            ))
        }
        Err(error) => return Err(ApiError::refused(&error, "total_budget")),
    }
    if total.amount() >= rust_decimal::Decimal::from(LARGEST_BUDGET_EXCLUSIVE) {
        return Err(ApiError::field(
            "total_budget",
            "amount_too_large",
            "must have at most 18 digits before the decimal point",
        ));
    }
    if total.amount() < row.max_amount {
        return Err(ApiError::field(
            "total_budget",
            "budget_below_max_amount",
            format!(
                "must be at least the largest amount one application may ask for, {}",
                row.max_amount
            ),
        ));
    }
    let before = budget_json(&row);
    let now = now_utc();
    db::programmes::set_total_budget(&mut transaction, programme_id, total.amount(), now).await?;
    row.total_budget = total.amount();
    row.updated_at = now;
    audit::record(
        &mut transaction,
        audit_entry(
            &admin,
            "programme.budget_changed",
            programme_id,
            before,
            budget_json(&row),
        ),
    )
    .await?;
    let has_submissions = db::programmes::has_submissions(&mut *transaction, programme_id).await?;
    transaction.commit().await?;
    Ok(Json(view(loaded(row)?, has_submissions)))
}

/// Closes (`Some` closing) or opens (`None`) a programme; a programme already so is left as it
/// is, without an audit record, so a repeated request changes nothing.
async fn set_closed(
    state: &AppState,
    admin: &RequireRole<Admin>,
    programme_id: Uuid,
    close: bool,
) -> Result<Json<ProgrammeView>, ApiError> {
    let mut transaction = state.pool.begin().await?;
    let mut row = locked(&mut transaction, programme_id).await?;
    if row.closed_at.is_some() != close {
        let before = serde_json::json!({ "closed_at": row.closed_at });
        let closing = close.then(|| (now_utc(), admin.subject()));
        db::programmes::set_closed(&mut transaction, programme_id, closing).await?;
        row.closed_at = closing.map(|(at, _)| at);
        let action = if close {
            "programme.closed"
        } else {
            "programme.opened"
        };
        audit::record(
            &mut transaction,
            audit_entry(
                admin,
                action,
                programme_id,
                before,
                serde_json::json!({ "closed_at": row.closed_at }),
            ),
        )
        .await?;
    }
    let has_submissions = db::programmes::has_submissions(&mut *transaction, programme_id).await?;
    transaction.commit().await?;
    Ok(Json(view(loaded(row)?, has_submissions)))
}

/// Closes a programme to new applications before its last day; applications already
/// submitted continue, and drafts can no longer be started or submitted.
#[utoipa::path(post, path = "/v1/programmes/{programme_id}/close", tag = "programmes",
    params(("programme_id" = Uuid, Path)),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = ProgrammeView), (status = 403, description = "Not an admin"),
        (status = 404, description = "No such programme")))]
#[tracing::instrument(skip_all, fields(%programme_id))]
async fn close_programme(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
    Path(programme_id): Path<Uuid>,
) -> Result<Json<ProgrammeView>, ApiError> {
    set_closed(&state, &admin, programme_id, true).await
}

/// Opens a closed programme again; its dates still say from when to when it accepts
/// applications.
#[utoipa::path(post, path = "/v1/programmes/{programme_id}/open", tag = "programmes",
    params(("programme_id" = Uuid, Path)),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = ProgrammeView), (status = 403, description = "Not an admin"),
        (status = 404, description = "No such programme")))]
#[tracing::instrument(skip_all, fields(%programme_id))]
async fn open_programme(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
    Path(programme_id): Path<Uuid>,
) -> Result<Json<ProgrammeView>, ApiError> {
    set_closed(&state, &admin, programme_id, false).await
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_programme,
    list_programmes,
    get_programme,
    edit_programme,
    change_budget,
    close_programme,
    open_programme
))]
pub struct ProgrammesApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/programmes",
            get(list_programmes).post(create_programme),
        )
        .route(
            "/v1/programmes/{programme_id}",
            get(get_programme).put(edit_programme),
        )
        .route("/v1/programmes/{programme_id}/budget", put(change_budget))
        .route("/v1/programmes/{programme_id}/close", post(close_programme))
        .route("/v1/programmes/{programme_id}/open", post(open_programme))
}
