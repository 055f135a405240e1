//! `/v1/programmes`: administrators define programmes; everyone signed in reads them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{Admin, AuthenticatedUser, RequireRole};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::{new_id, now_utc};
use imkon_platform::money::Money;
use imkon_platform::problem::{JsonBody, Problem};
use serde::Serialize;
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

use super::programme_dto::{ParsedProgramme, ProgrammeInput};
use crate::db;
use crate::db::programmes::ProgrammeRow;
use crate::domain::budget::Budget;
use crate::domain::programme::ProgrammeTerms;
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
    let (rate_min, rate_max, method, grace, cap) = match programme.terms() {
        ProgrammeTerms::Loan(loan) => (
            Some(loan.annual_rate.min().value()),
            Some(loan.annual_rate.max().value()),
            Some(loan.repayment_method.as_str().to_owned()),
            Some(to_i32(loan.max_grace_months)?),
            None,
        ),
        ProgrammeTerms::Grant(grant) => (
            None,
            None,
            None,
            None,
            grant.co_funding_cap.map(|cap| cap.value()),
        ),
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

fn view(programme: LoadedProgramme) -> ProgrammeView {
    let budget = programme.parsed.programme.budget();
    ProgrammeView {
        id: programme.row.id,
        committed_amount: budget.committed().amount().to_string(),
        available_amount: budget.available().amount().to_string(),
        created_at: programme.row.created_at,
        definition: programme.definition,
    }
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
    JsonBody(input): JsonBody<ProgrammeInput>,
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
    Ok((StatusCode::CREATED, Json(view(programme))))
}

/// Every programme.
#[utoipa::path(get, path = "/v1/programmes", tag = "programmes",
    security(("bearer" = ["founder", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = [ProgrammeView]), (status = 401, description = "No token")))]
#[tracing::instrument(skip_all)]
async fn list_programmes(
    State(state): State<AppState>,
    _user: AuthenticatedUser,
) -> Result<Json<Vec<ProgrammeView>>, ApiError> {
    let rows = db::programmes::list(&state.pool).await?;
    let views = rows
        .into_iter()
        .map(|row| loaded(row).map(view))
        .collect::<Result<_, _>>()?;
    Ok(Json(views))
}

/// One programme.
#[utoipa::path(get, path = "/v1/programmes/{programme_id}", tag = "programmes",
    params(("programme_id" = Uuid, Path)),
    security(("bearer" = ["founder", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
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
    Ok(Json(view(programme)))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(create_programme, list_programmes, get_programme))]
pub struct ProgrammesApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/programmes",
            get(list_programmes).post(create_programme),
        )
        .route("/v1/programmes/{programme_id}", get(get_programme))
}
