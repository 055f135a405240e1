//! `/v1/applications`: founders draft, submit, answer and withdraw; officers screen, ask for
//! information, keep internal notes and work through the queue.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{
    AuthenticatedUser, BankClient, CreditOfficer, RequireRole, RoleRequirement,
};
use imkon_auth::{Principal, Role};
use imkon_platform::id::{new_id, now_utc};
use imkon_platform::money::parse_decimal_literal;
use imkon_platform::problem::ValidatedJson;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::programmes::{self, LoadedProgramme};
use crate::db;
use crate::db::applications::{ApplicationRow, DraftFields, QueueFilter, QueueOrder};
use crate::domain::actor::{Actor, ActorRole};
use crate::domain::form::{AnswerValue, MAX_QUESTIONS};
use crate::domain::programme::MAX_TERM_MONTHS;
use crate::domain::state::{Event, State as ApplicationState};
use crate::domain::submission::{check_submission, PositiveAmount, Submission, SubmissionError};
use crate::domain::timeline::{founder_timeline, FounderTimelineEntryKind, TimelineEntryKind};
use crate::error::{ApiError, FieldRefusal};
use crate::peers::{ScoreKnockout, ScoredCharacteristic};
use crate::screening::{self, ScoreExplanation, StoredDraft};
use crate::workflow;
use crate::AppState;

/// The bank's staff who run applications: credit officers and approvers.
pub enum Officer {}

impl RoleRequirement for Officer {
    const ALLOWED: &'static [Role] = &[Role::CreditOfficer, Role::Approver];
}

/// The longest message of an information request, answer or note, in characters.
const MAX_MESSAGE_LENGTH_CHARS: u64 = 5_000;

/// The most answers a draft may carry: one for each question the largest form may ask (a
/// `u64`, as the validator's length limits are).
const MAX_ANSWERS: u64 = MAX_QUESTIONS as u64;

/// Who is looking at an application.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    /// A founder, who sees only their own client's applications.
    Founder { client_id: Uuid },
    /// A credit officer or approver, who sees every application.
    Officer,
}

impl Viewer {
    pub fn of(principal: &Principal) -> Result<Viewer, ApiError> {
        if principal.has_role(Role::CreditOfficer) || principal.has_role(Role::Approver) {
            return Ok(Viewer::Officer);
        }
        match (principal.has_role(Role::Client), principal.client_id()) {
            (true, Some(client_id)) => Ok(Viewer::Founder { client_id }),
            _ => Err(ApiError::forbidden(
                "role_not_permitted",
                "only founders and the officers who run applications see them",
            )),
        }
    }

    pub fn may_see(&self, row: &ApplicationRow) -> bool {
        match self {
            Viewer::Founder { client_id } => row.client_id == *client_id,
            Viewer::Officer => true,
        }
    }
}

/// The founder's client id, which their applications belong to.
pub fn founder_client_id(principal: &Principal) -> Result<Uuid, ApiError> {
    principal.client_id().ok_or_else(|| {
        ApiError::forbidden(
            "client_profile_missing",
            "a founder's token must name their client profile",
        )
    })
}

pub fn founder_actor(principal: &Principal) -> Actor {
    Actor::new(principal.subject(), ActorRole::Founder)
}

/// Reads an application the viewer may see; another owner's is "not found" so that ids cannot
/// be probed.
pub async fn visible_application(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
) -> Result<ApplicationRow, ApiError> {
    db::applications::find(&state.pool, id)
        .await?
        .filter(|row| viewer.may_see(row))
        .ok_or(ApiError::NotFound {
            what: "application",
        })
}

/// Staff who are also a client act on nothing of their own: a member of staff whose token
/// names the applicant's client may not screen, question, note, assign, propose, confirm or
/// send back that application (403 `own_application`), whatever roles they hold.
pub fn refuse_own_application(officer: &Principal, row: &ApplicationRow) -> Result<(), ApiError> {
    if officer.client_id() == Some(row.client_id) {
        return Err(ApiError::forbidden(
            "own_application",
            "staff may not act on an application of their own client",
        ));
    }
    Ok(())
}

/// The score stored with an application, with its explanation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreView {
    pub score: String,
    pub band: String,
    /// `approve`, `review` or `decline`.
    pub recommendation: String,
    pub probability_of_default: String,
    pub evaluation_id: Option<Uuid>,
    pub knockouts: Vec<ScoreKnockout>,
    pub characteristics: Vec<ScoredCharacteristic>,
    pub scored_at: DateTime<Utc>,
}

/// The confirmed decision on an application.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionSummary {
    /// `approve` or `reject`.
    pub outcome: String,
    pub amount: Option<String>,
    pub term_months: Option<i32>,
    pub annual_rate_percent: Option<String>,
    pub grace_months: Option<i32>,
    pub reasons: Vec<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// An application.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: Uuid,
    pub programme_id: Uuid,
    pub client_id: Uuid,
    pub company_id: Uuid,
    /// `draft`, `submitted`, `screening`, `in_review`, `info_requested`, `decision`,
    /// `approved`, `rejected`, `withdrawn` or `cancelled`.
    pub state: String,
    pub requested_amount: Option<String>,
    pub term_months: Option<i32>,
    pub project_cost: Option<String>,
    /// Answers by question key: strings, or numbers for number questions.
    #[schema(value_type = Object)]
    pub answers: Value,
    pub submitted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub score: Option<ScoreView>,
    /// Why screening last failed to finish (a peer service was unreachable); officers only.
    pub screening_error: Option<String>,
    pub decision: Option<DecisionSummary>,
}

fn score_view(row: &ApplicationRow) -> Option<ScoreView> {
    let explanation: ScoreExplanation =
        serde_json::from_value(row.score_explanation.clone()?).ok()?;
    Some(ScoreView {
        score: row.score?.to_string(),
        band: row.score_band.clone()?,
        recommendation: row.score_recommendation.clone()?,
        probability_of_default: row.score_probability_of_default.clone()?,
        evaluation_id: row.score_evaluation_id,
        knockouts: explanation.knockouts,
        characteristics: explanation.characteristics,
        scored_at: row.scored_at?,
    })
}

pub fn application_view(row: &ApplicationRow, viewer: Viewer) -> ApplicationView {
    ApplicationView {
        id: row.id,
        programme_id: row.programme_id,
        client_id: row.client_id,
        company_id: row.company_id,
        state: row.state.clone(),
        requested_amount: row.requested_amount.map(|amount| amount.to_string()),
        term_months: row.term_months,
        project_cost: row.project_cost.map(|amount| amount.to_string()),
        answers: row.answers.clone(),
        submitted_at: row.submitted_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        score: score_view(row),
        screening_error: match viewer {
            Viewer::Officer => row.screening_error.clone(),
            Viewer::Founder { .. } => None,
        },
        decision: None,
    }
}

/// The view with the confirmed decision, for a single application; `executor` may be the
/// transaction that just decided it.
pub async fn full_view(
    executor: impl sqlx::PgExecutor<'_>,
    row: &ApplicationRow,
    viewer: Viewer,
) -> Result<ApplicationView, ApiError> {
    let mut view = application_view(row, viewer);
    if let Some(decision) = db::decisions::confirmed(executor, row.id).await? {
        view.decision = Some(DecisionSummary {
            outcome: decision.outcome,
            amount: decision.amount.map(|amount| amount.to_string()),
            term_months: decision.term_months,
            annual_rate_percent: decision
                .annual_rate_percent
                .map(|rate| rate.normalize().to_string()),
            grace_months: decision.grace_months,
            reasons: serde_json::from_value(decision.reasons).unwrap_or_default(),
            decided_at: decision.resolved_at,
        });
    }
    Ok(view)
}

/// A new draft. Its structural limits are declared here for `ValidatedJson` and the OpenAPI
/// schema: no term is longer than any programme may offer, and no form has more questions than
/// a form may ask, so more answers than that name a question that does not exist. The
/// programme's own limits and the answers' meaning are the domain's rules.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct CreateDraft {
    pub programme_id: Uuid,
    pub company_id: Uuid,
    /// A decimal string in the programme's currency, such as "50000000.00".
    #[serde(default)]
    pub requested_amount: Option<String>,
    #[serde(default)]
    #[validate(range(min = 1, max = MAX_TERM_MONTHS, code = "term_out_of_range"))]
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: Option<u32>,
    /// The project's total cost, for co-funded grants.
    #[serde(default)]
    pub project_cost: Option<String>,
    /// Answers by question key: strings, or numbers for number questions.
    #[serde(default)]
    #[validate(length(max = MAX_ANSWERS, code = "unknown_question"))]
    #[schema(schema_with = answers_schema)]
    pub answers: BTreeMap<String, Value>,
}

/// The answers' schema: an object of at most [`MAX_QUESTIONS`] answers, built by hand because
/// utoipa's field attributes cannot bound the properties of an object.
fn answers_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Object)
        .max_properties(Some(MAX_QUESTIONS))
        .build()
}

/// Changes to a draft; absent fields stay as they are, an answer set to null is removed. Its
/// limits are those of [`CreateDraft`], for the same reasons.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct UpdateDraft {
    #[serde(default)]
    pub requested_amount: Option<String>,
    #[serde(default)]
    #[validate(range(min = 1, max = MAX_TERM_MONTHS, code = "term_out_of_range"))]
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: Option<u32>,
    #[serde(default)]
    pub project_cost: Option<String>,
    #[serde(default)]
    #[validate(length(max = MAX_ANSWERS, code = "unknown_question"))]
    #[schema(schema_with = answers_schema)]
    pub answers: BTreeMap<String, Value>,
}

/// Checks a draft's fields as far as they are filled in, naming every field at fault.
fn check_draft(
    programme: &LoadedProgramme,
    requested_amount: Option<&str>,
    term_months: Option<u32>,
    project_cost: Option<&str>,
    answers: &serde_json::Map<String, Value>,
) -> Result<DraftFields, ApiError> {
    let programme_rules = &programme.parsed.programme;
    let currency = programme_rules.currency();
    let mut refusals = Vec::new();
    let mut requested = None;
    if let Some(text) = requested_amount {
        match PositiveAmount::parse("requested_amount", text, currency) {
            Ok(amount) if !programme_rules.amount_within_limits(amount.money()) => {
                refusals.push(FieldRefusal::from_refusal(
                    &SubmissionError::AmountOutOfRange {
                        min: programme_rules.min_amount(),
                        max: programme_rules.max_amount(),
                    },
                    "requested_amount",
                ));
            }
            Ok(amount) => requested = Some(amount.money().amount()),
            Err(error) => refusals.push(FieldRefusal::from_refusal(&error, "requested_amount")),
        }
    }
    if let Some(months) = term_months {
        if !programme_rules.term_within_limits(months) {
            refusals.push(FieldRefusal::from_refusal(
                &SubmissionError::TermOutOfRange {
                    min_months: programme_rules.min_term_months(),
                    max_months: programme_rules.max_term_months(),
                },
                "term_months",
            ));
        }
    }
    let mut cost = None;
    if let Some(text) = project_cost {
        match PositiveAmount::parse("project_cost", text, currency) {
            Ok(amount) => cost = Some(amount.money().amount()),
            Err(error) => refusals.push(FieldRefusal::from_refusal(&error, "project_cost")),
        }
    }
    let mut values = BTreeMap::new();
    for (key, value) in answers {
        match value {
            Value::String(text) => {
                values.insert(key.clone(), AnswerValue::Text(text.clone()));
            }
            Value::Number(number) => match parse_decimal_literal(&number.to_string()) {
                Ok(decimal) => {
                    values.insert(key.clone(), AnswerValue::Number(decimal));
                }
                Err(_) => refusals.push(FieldRefusal::new(
                    format!("answers.{key}"),
                    "wrong_answer_type",
                    "numbers are plain decimals such as 12.5",
                )),
            },
            _ => refusals.push(FieldRefusal::new(
                format!("answers.{key}"),
                "wrong_answer_type",
                "an answer is a string, or a number for a number question",
            )),
        }
    }
    if let Err(errors) = programme_rules.form().parse_answers(&values) {
        refusals.extend(
            errors
                .iter()
                .map(|error| FieldRefusal::from_refusal(error, "answers")),
        );
    }
    if !refusals.is_empty() {
        return Err(ApiError::Invalid {
            code: "validation_failed",
            refusals,
        });
    }
    let term_months = term_months
        .map(i32::try_from)
        .transpose()
        .map_err(|_| ApiError::field("term_months", "term_out_of_range", "is too large"))?;
    Ok(DraftFields {
        requested_amount: requested,
        term_months,
        project_cost: cost,
        answers: Value::Object(answers.clone()),
    })
}

/// The stored draft parsed for submission or screening; a missing amount or term is a 422
/// naming it.
pub fn stored_draft(
    row: &ApplicationRow,
    programme: &LoadedProgramme,
) -> Result<StoredDraft, ApiError> {
    let currency = programme.parsed.programme.currency();
    let answers = match &row.answers {
        Value::Object(answers) => answers.clone(),
        _ => serde_json::Map::new(),
    };
    let mut values = BTreeMap::new();
    for (key, value) in &answers {
        let value = match value {
            Value::Number(number) => parse_decimal_literal(&number.to_string())
                .map(AnswerValue::Number)
                .map_err(|_| {
                    ApiError::field(
                        format!("answers.{key}"),
                        "wrong_answer_type",
                        "not a decimal",
                    )
                })?,
            other => AnswerValue::Text(other.as_str().unwrap_or_default().to_owned()),
        };
        values.insert(key.clone(), value);
    }
    let answers = programme
        .parsed
        .programme
        .form()
        .parse_answers(&values)
        .map_err(|errors| ApiError::refused_all("validation_failed", &errors, "answers"))?;
    let amount = |field: &'static str, value: Option<Decimal>| {
        value
            .map(|amount| PositiveAmount::parse(field, &amount.to_string(), currency))
            .transpose()
            .map_err(|error| ApiError::refused(&error, field))
    };
    let requested_amount = amount("requested_amount", row.requested_amount)?
        .ok_or_else(|| ApiError::field("requested_amount", "required", "is required to submit"))?;
    let term_months = row
        .term_months
        .and_then(|months| u32::try_from(months).ok())
        .ok_or_else(|| ApiError::field("term_months", "required", "is required to submit"))?;
    Ok(StoredDraft {
        answers,
        requested_amount,
        term_months,
        project_cost: amount("project_cost", row.project_cost)?,
    })
}

async fn programme_for_application(
    state: &AppState,
    row: &ApplicationRow,
) -> Result<LoadedProgramme, ApiError> {
    programmes::load(&state.pool, row.programme_id)
        .await?
        .ok_or(ApiError::NotFound { what: "programme" })
}

/// Starts a draft for one of the founder's companies.
#[utoipa::path(post, path = "/v1/applications", tag = "applications", request_body = CreateDraft,
    security(("bearer" = ["client"])),
    responses((status = 201, body = ApplicationView), (status = 403, description = "Not a founder"),
        (status = 409, description = "`programme_closed`: closed to new applications"),
        (status = 422, description = "A field is invalid; the problem names it")))]
#[tracing::instrument(skip_all)]
async fn create_draft(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    ValidatedJson(input): ValidatedJson<CreateDraft>,
) -> Result<(StatusCode, Json<ApplicationView>), ApiError> {
    let client_id = founder_client_id(&founder)?;
    let programme = programmes::load(&state.pool, input.programme_id)
        .await?
        .ok_or_else(|| ApiError::field("programme_id", "unknown_programme", "no such programme"))?;
    refuse_closed(programme.row.closed_at)?;
    let answers: serde_json::Map<String, Value> = input
        .answers
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .collect();
    let fields = check_draft(
        &programme,
        input.requested_amount.as_deref(),
        input.term_months,
        input.project_cost.as_deref(),
        &answers,
    )?;
    let profile = state.kyc.client_profile(client_id).await?;
    screening::company_of(&profile, input.company_id)?;
    let id = new_id();
    let now = now_utc();
    let actor = founder_actor(&founder);
    let mut transaction = state.pool.begin().await?;
    db::applications::insert_draft(
        &mut *transaction,
        id,
        input.programme_id,
        client_id,
        input.company_id,
        &fields,
        now,
    )
    .await?;
    let row = db::applications::lock(&mut transaction, id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    workflow::record(
        &mut transaction,
        &row,
        &actor,
        TimelineEntryKind::Created,
        now,
    )
    .await?;
    transaction.commit().await?;
    let viewer = Viewer::Founder { client_id };
    Ok((StatusCode::CREATED, Json(application_view(&row, viewer))))
}

/// 409 `programme_closed` when an administrator has closed the programme to new applications.
fn refuse_closed(closed_at: Option<chrono::DateTime<chrono::Utc>>) -> Result<(), ApiError> {
    match closed_at {
        Some(closed_at) => Err(ApiError::conflict(
            "programme_closed",
            format!("the programme was closed to new applications at {closed_at}"),
        )),
        None => Ok(()),
    }
}

/// Saves changes to a draft.
#[utoipa::path(patch, path = "/v1/applications/{application_id}", tag = "applications",
    request_body = UpdateDraft, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["client"])),
    responses((status = 200, body = ApplicationView), (status = 404, description = "Not the founder's"),
        (status = 409, description = "No longer a draft"), (status = 422, description = "A field is invalid")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn update_draft(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<UpdateDraft>,
) -> Result<Json<ApplicationView>, ApiError> {
    let client_id = founder_client_id(&founder)?;
    let viewer = Viewer::Founder { client_id };
    let row = visible_application(&state, viewer, application_id).await?;
    if workflow::state_of(&row)? != ApplicationState::Draft {
        return Err(ApiError::conflict(
            "not_a_draft",
            "only a draft can be changed",
        ));
    }
    let programme = programme_for_application(&state, &row).await?;
    let mut answers = match &row.answers {
        Value::Object(answers) => answers.clone(),
        _ => serde_json::Map::new(),
    };
    for (key, value) in input.answers {
        if value.is_null() {
            answers.remove(&key);
        } else {
            answers.insert(key, value);
        }
    }
    let requested = input
        .requested_amount
        .or_else(|| row.requested_amount.map(|amount| amount.to_string()));
    let term = input.term_months.or_else(|| {
        row.term_months
            .and_then(|months| u32::try_from(months).ok())
    });
    let cost = input
        .project_cost
        .or_else(|| row.project_cost.map(|amount| amount.to_string()));
    let fields = check_draft(
        &programme,
        requested.as_deref(),
        term,
        cost.as_deref(),
        &answers,
    )?;
    let mut transaction = state.pool.begin().await?;
    let locked = db::applications::lock(&mut transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    if workflow::state_of(&locked)? != ApplicationState::Draft {
        return Err(ApiError::conflict(
            "not_a_draft",
            "only a draft can be changed",
        ));
    }
    db::applications::update_draft(&mut *transaction, application_id, &fields, now_utc()).await?;
    transaction.commit().await?;
    let row = visible_application(&state, viewer, application_id).await?;
    Ok(Json(application_view(&row, viewer)))
}

/// Submits a draft. Refused with every reason (KYC not approved, programme closed, a limit
/// broken, a required answer missing) as a 422 naming the fields; then screened at once.
#[utoipa::path(post, path = "/v1/applications/{application_id}/submit", tag = "applications",
    params(("application_id" = Uuid, Path)),
    security(("bearer" = ["client"])),
    responses((status = 200, body = ApplicationView), (status = 404, description = "Not the founder's"),
        (status = 409, description = "Not a draft, or `programme_closed`"), (status = 422, description = "Refused, with the reasons")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn submit(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(application_id): Path<Uuid>,
) -> Result<Json<ApplicationView>, ApiError> {
    let client_id = founder_client_id(&founder)?;
    let viewer = Viewer::Founder { client_id };
    let actor = founder_actor(&founder);
    let row = visible_application(&state, viewer, application_id).await?;
    workflow::next_state(&row, &Event::Submit, &actor)?;
    let programme = programme_for_application(&state, &row).await?;
    let draft = stored_draft(&row, &programme)?;
    let profile = state.kyc.client_profile(client_id).await?;
    let company = screening::company_of(&profile, row.company_id)?;
    let now = state.calendar.now();
    let today = state.calendar.day_of(now);
    let facts = screening::applicant_facts(
        company,
        screening::kyc_approved(&state, client_id).await?,
        screening::has_overdue_loan(&state, &programme, client_id).await?,
        today,
    );
    let submission = Submission {
        programme: &programme.parsed.programme,
        requested_amount: draft.requested_amount,
        term_months: draft.term_months,
        project_cost: draft.project_cost,
        answers: &draft.answers,
        applicant: &facts,
        submitted_on: today,
    };
    if let Err(errors) = check_submission(&submission) {
        let refusals: Vec<SubmissionError> = errors
            .into_iter()
            .filter(|error| !screening::is_eligibility_rule(error))
            .collect();
        if !refusals.is_empty() {
            return Err(ApiError::Invalid {
                code: "submission_refused",
                refusals: refusals.iter().map(submission_refusal).collect(),
            });
        }
    }
    let mut person_ids: Vec<Uuid> = company
        .founders
        .iter()
        .filter_map(|founder| founder.client_id)
        .collect();
    person_ids.push(client_id);
    person_ids.push(founder.subject());
    let mut transaction = state.pool.begin().await?;
    // Under the programme's shared lock, so that an edit or a closing waits for this
    // submission, and this submission never records an application checked against a
    // definition that an edit has replaced meanwhile.
    let (updated_at, closed_at) = db::programmes::share_lock(&mut transaction, row.programme_id)
        .await?
        .ok_or(ApiError::NotFound { what: "programme" })?;
    refuse_closed(closed_at)?;
    if updated_at != programme.row.updated_at {
        return Err(ApiError::conflict(
            "programme_changed",
            "the programme changed while the application was checked: submit it again",
        ));
    }
    let locked = db::applications::lock(&mut transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    workflow::apply(&mut transaction, &locked, &Event::Submit, &actor, now).await?;
    db::applications::mark_submitted(&mut transaction, application_id, &person_ids, now).await?;
    transaction.commit().await?;
    screening::screen(&state, application_id, &draft).await?;
    let row = visible_application(&state, viewer, application_id).await?;
    Ok(Json(full_view(&state.pool, &row, viewer).await?))
}

/// A refusal of submission; those about the applicant or the programme as a whole name the
/// fact at fault.
fn submission_refusal(error: &SubmissionError) -> FieldRefusal {
    let fallback = match error {
        SubmissionError::KycNotApproved => "kyc_status",
        SubmissionError::CompanyKycNotApproved => "company.kyc_status",
        SubmissionError::ProgrammeClosed { .. } => "programme.closes_on",
        _ => "application",
    };
    FieldRefusal::from_refusal(error, fallback)
}

/// Screens again an application that a failing peer service left in screening.
#[utoipa::path(post, path = "/v1/applications/{application_id}/screening", tag = "applications",
    params(("application_id" = Uuid, Path)),
    security(("bearer" = ["credit_officer"])),
    responses((status = 200, body = ApplicationView), (status = 409, description = "Not awaiting screening")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn rescreen(
    State(state): State<AppState>,
    officer: RequireRole<CreditOfficer>,
    Path(application_id): Path<Uuid>,
) -> Result<Json<ApplicationView>, ApiError> {
    let row = visible_application(&state, Viewer::Officer, application_id).await?;
    refuse_own_application(officer.principal(), &row)?;
    let programme = programme_for_application(&state, &row).await?;
    let draft = stored_draft(&row, &programme)?;
    screening::screen(&state, application_id, &draft).await?;
    let row = visible_application(&state, Viewer::Officer, application_id).await?;
    Ok(Json(full_view(&state.pool, &row, Viewer::Officer).await?))
}

/// Withdraws an application that is not yet decided.
#[utoipa::path(post, path = "/v1/applications/{application_id}/withdraw", tag = "applications",
    params(("application_id" = Uuid, Path)),
    security(("bearer" = ["client"])),
    responses((status = 200, body = ApplicationView), (status = 409, description = "Already decided")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn withdraw(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(application_id): Path<Uuid>,
) -> Result<Json<ApplicationView>, ApiError> {
    let viewer = Viewer::Founder {
        client_id: founder_client_id(&founder)?,
    };
    visible_application(&state, viewer, application_id).await?;
    move_under_lock(
        &state,
        application_id,
        &Event::Withdraw,
        &founder_actor(&founder),
        None,
    )
    .await?;
    let row = visible_application(&state, viewer, application_id).await?;
    Ok(Json(full_view(&state.pool, &row, viewer).await?))
}

/// A message: an information request, its answer, or an internal note. Its length limit is
/// declared once here for `ValidatedJson` and the OpenAPI schema; that it is not blank once
/// trimmed is a rule, checked by `checked_message`.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct MessageInput {
    #[validate(length(
        min = 1,
        max = MAX_MESSAGE_LENGTH_CHARS,
        code = "message_length_out_of_range"
    ))]
    #[schema(min_length = 1, max_length = 5000)]
    pub message: String,
}

fn checked_message(input: &MessageInput) -> Result<String, ApiError> {
    let message = input.message.trim();
    if message.is_empty() {
        return Err(ApiError::field(
            "message",
            "message_length_out_of_range",
            format!("must be 1 to {MAX_MESSAGE_LENGTH_CHARS} characters"),
        ));
    }
    Ok(message.to_owned())
}

/// Asks the founder for more information; the application waits for the answer.
#[utoipa::path(post, path = "/v1/applications/{application_id}/info-requests", tag = "applications",
    request_body = MessageInput, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["credit_officer"])),
    responses((status = 200, body = ApplicationView), (status = 409, description = "Not in review")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn request_info(
    State(state): State<AppState>,
    officer: RequireRole<CreditOfficer>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<MessageInput>,
) -> Result<Json<ApplicationView>, ApiError> {
    let message = checked_message(&input)?;
    let row = visible_application(&state, Viewer::Officer, application_id).await?;
    refuse_own_application(officer.principal(), &row)?;
    let actor = Actor::new(officer.subject(), ActorRole::CreditOfficer);
    let entry = TimelineEntryKind::InfoRequested { message };
    move_under_lock(
        &state,
        application_id,
        &Event::RequestInfo,
        &actor,
        Some(entry),
    )
    .await?;
    let row = visible_application(&state, Viewer::Officer, application_id).await?;
    Ok(Json(full_view(&state.pool, &row, Viewer::Officer).await?))
}

/// The founder's answer to an information request; the application returns to review.
#[utoipa::path(post, path = "/v1/applications/{application_id}/info-responses", tag = "applications",
    request_body = MessageInput, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["client"])),
    responses((status = 200, body = ApplicationView), (status = 409, description = "No information requested")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn answer_info(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<MessageInput>,
) -> Result<Json<ApplicationView>, ApiError> {
    let message = checked_message(&input)?;
    let viewer = Viewer::Founder {
        client_id: founder_client_id(&founder)?,
    };
    visible_application(&state, viewer, application_id).await?;
    let actor = founder_actor(&founder);
    let entry = TimelineEntryKind::InfoAnswered { message };
    move_under_lock(
        &state,
        application_id,
        &Event::AnswerInfo,
        &actor,
        Some(entry),
    )
    .await?;
    let row = visible_application(&state, viewer, application_id).await?;
    Ok(Json(full_view(&state.pool, &row, viewer).await?))
}

/// An internal note: officers see it, the founder never does.
#[utoipa::path(post, path = "/v1/applications/{application_id}/notes", tag = "applications",
    request_body = MessageInput, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["credit_officer", "approver"])),
    responses((status = 204, description = "Noted"), (status = 404, description = "No such application")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn add_note(
    State(state): State<AppState>,
    officer: RequireRole<Officer>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<MessageInput>,
) -> Result<StatusCode, ApiError> {
    let text = checked_message(&input)?;
    let role = if officer.has_role(Role::CreditOfficer) {
        ActorRole::CreditOfficer
    } else {
        ActorRole::Approver
    };
    let actor = Actor::new(officer.subject(), role);
    let mut transaction = state.pool.begin().await?;
    let row = db::applications::lock(&mut transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    refuse_own_application(officer.principal(), &row)?;
    workflow::record(
        &mut transaction,
        &row,
        &actor,
        TimelineEntryKind::InternalNote { text },
        now_utc(),
    )
    .await?;
    transaction.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One application.
#[utoipa::path(get, path = "/v1/applications/{application_id}", tag = "applications",
    params(("application_id" = Uuid, Path)),
    security(("bearer" = ["client", "credit_officer", "approver"])),
    responses((status = 200, body = ApplicationView), (status = 404, description = "No such application, or another founder's")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn get_application(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(application_id): Path<Uuid>,
) -> Result<Json<ApplicationView>, ApiError> {
    let viewer = Viewer::of(&user)?;
    let row = visible_application(&state, viewer, application_id).await?;
    Ok(Json(full_view(&state.pool, &row, viewer).await?))
}

/// The filters, order and page of the list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Officers: only applications in this state.
    pub state: Option<String>,
    /// Officers: only applications to this programme.
    pub programme_id: Option<Uuid>,
    /// Officers: only applications this reviewer is assigned to.
    pub assignee: Option<Uuid>,
    /// Officers: only applications scored in this band.
    pub band: Option<String>,
    /// Officers: only this client's applications (the client page).
    pub client_id: Option<Uuid>,
    /// `created_at` (oldest first, the default), `-created_at`, `-score`, `score` or
    /// `-requested_amount`.
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A page of applications.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<ApplicationView>,
    /// The offset of the next page, when there may be one.
    pub next_offset: Option<u32>,
}

/// A founder's own applications, or the officers' queue with its filters.
#[utoipa::path(get, path = "/v1/applications", tag = "applications", params(ListQuery),
    security(("bearer" = ["client", "credit_officer", "approver"])),
    responses((status = 200, body = ApplicationPage), (status = 422, description = "An unknown filter value")))]
#[tracing::instrument(skip_all)]
async fn list_applications(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<ApplicationPage>, ApiError> {
    let viewer = Viewer::of(&user)?;
    let limit = query
        .limit
        .unwrap_or(50)
        .clamp(1, state.limits.max_page_size);
    let offset = query.offset.unwrap_or(0);
    let rows = match viewer {
        Viewer::Founder { client_id } => {
            db::applications::for_client(
                &state.pool,
                client_id,
                i64::from(limit),
                i64::from(offset),
            )
            .await?
        }
        Viewer::Officer => {
            if let Some(name) = &query.state {
                if ApplicationState::from_name(name).is_none() {
                    return Err(ApiError::field(
                        "state",
                        "unknown_state",
                        "is not a state of an application",
                    ));
                }
            }
            let order = match query.sort.as_deref() {
                None | Some("created_at") => QueueOrder::OldestFirst,
                Some("-created_at") => QueueOrder::NewestFirst,
                Some("-score") => QueueOrder::HighestScoreFirst,
                Some("score") => QueueOrder::LowestScoreFirst,
                Some("-requested_amount") => QueueOrder::LargestAmountFirst,
                Some(_) => {
                    return Err(ApiError::field(
                        "sort",
                        "unknown_sort",
                        "must be created_at, -created_at, score, -score or -requested_amount",
                    ))
                }
            };
            let filter = QueueFilter {
                state: query.state.clone(),
                programme_id: query.programme_id,
                reviewer_id: query.assignee,
                band: query.band.clone(),
                client_id: query.client_id,
                order,
                limit: i64::from(limit),
                offset: i64::from(offset),
            };
            db::applications::queue(&state.pool, &filter).await?
        }
    };
    let next_offset = (rows.len() == limit as usize).then_some(offset + limit);
    Ok(Json(ApplicationPage {
        items: rows
            .iter()
            .map(|row| application_view(row, viewer))
            .collect(),
        next_offset,
    }))
}

/// One step of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryView {
    pub at: DateTime<Utc>,
    /// `created`, `state_changed`, `screening_knocked_out`, `info_requested`, `info_answered`,
    /// `reviewer_assigned`, `review_submitted`, `decision_confirmed`; officers also see
    /// `conflict_declared`, `decision_proposed`, `decision_sent_back` and `internal_note`.
    pub kind: String,
    /// Who took the step; absent where the founder may not know (reviewers).
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
}

fn founder_details(kind: &FounderTimelineEntryKind) -> (&'static str, Value) {
    use serde_json::json;
    use FounderTimelineEntryKind as Shown;
    let outcome_name = |outcome: &crate::domain::state::DecisionOutcome| match outcome {
        crate::domain::state::DecisionOutcome::Approve => "approve",
        crate::domain::state::DecisionOutcome::Reject => "reject",
    };
    match kind {
        Shown::Created => ("created", json!({})),
        Shown::StateChanged { from, to } => (
            "state_changed",
            json!({ "from": from.as_str(), "to": to.as_str() }),
        ),
        Shown::ScreeningKnockedOut { reason, knockouts } => (
            "screening_knocked_out",
            json!({ "reason": reason, "knockouts": knockouts }),
        ),
        Shown::InfoRequested { message } => ("info_requested", json!({ "message": message })),
        Shown::InfoAnswered { message } => ("info_answered", json!({ "message": message })),
        Shown::ReviewerAssigned => ("reviewer_assigned", json!({})),
        Shown::ReviewSubmitted => ("review_submitted", json!({})),
        Shown::DecisionConfirmed { outcome, reasons } => (
            "decision_confirmed",
            json!({ "outcome": outcome_name(outcome), "reasons": reasons }),
        ),
    }
}

/// The timeline: the founder's omits internal notes and reviewer identities.
#[utoipa::path(get, path = "/v1/applications/{application_id}/timeline", tag = "applications",
    params(("application_id" = Uuid, Path)),
    security(("bearer" = ["client", "credit_officer", "approver"])),
    responses((status = 200, body = [TimelineEntryView]), (status = 404, description = "No such application, or another founder's")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn timeline(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(application_id): Path<Uuid>,
) -> Result<Json<Vec<TimelineEntryView>>, ApiError> {
    let viewer = Viewer::of(&user)?;
    visible_application(&state, viewer, application_id).await?;
    let entries = db::timeline::list(&state.pool, application_id).await?;
    let views = match viewer {
        Viewer::Founder { .. } => founder_timeline(&entries)
            .iter()
            .map(|entry| {
                let (kind, details) = founder_details(&entry.kind);
                TimelineEntryView {
                    at: entry.at,
                    kind: kind.to_owned(),
                    actor_id: entry.actor.map(|actor| actor.person_id),
                    actor_role: entry.actor.map(|actor| actor.role.as_str().to_owned()),
                    details,
                }
            })
            .collect(),
        Viewer::Officer => entries
            .iter()
            .map(|entry| TimelineEntryView {
                at: entry.at,
                kind: entry.kind.as_str().to_owned(),
                actor_id: Some(entry.actor.person_id),
                actor_role: Some(entry.actor.role.as_str().to_owned()),
                details: db::timeline::details(&entry.kind),
            })
            .collect(),
    };
    Ok(Json(views))
}

/// A message to the founder about their application.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    /// The application it tells about; null for news about the founder (a KYC decision).
    pub application_id: Option<Uuid>,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// When an email was sent; null while it is only recorded.
    pub sent_at: Option<DateTime<Utc>>,
}

/// The founder's notifications, newest first.
#[utoipa::path(get, path = "/v1/notifications", tag = "applications",
    security(("bearer" = ["client"])),
    responses((status = 200, body = [NotificationView]), (status = 403, description = "Not a founder")))]
#[tracing::instrument(skip_all)]
async fn notifications(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    let client_id = founder_client_id(&founder)?;
    let rows = db::notifications::for_client(
        &state.pool,
        client_id,
        i64::from(state.limits.max_page_size),
    )
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| NotificationView {
                id: row.id,
                application_id: row.application_id,
                subject: row.subject,
                body: row.body,
                created_at: row.created_at,
                sent_at: row.sent_at,
            })
            .collect(),
    ))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_draft,
    update_draft,
    submit,
    rescreen,
    withdraw,
    request_info,
    answer_info,
    add_note,
    get_application,
    list_applications,
    timeline,
    notifications
))]
pub struct ApplicationsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/applications",
            get(list_applications).post(create_draft),
        )
        .route(
            "/v1/applications/{application_id}",
            get(get_application).patch(update_draft),
        )
        .route("/v1/applications/{application_id}/submit", post(submit))
        .route(
            "/v1/applications/{application_id}/screening",
            post(rescreen),
        )
        .route("/v1/applications/{application_id}/withdraw", post(withdraw))
        .route(
            "/v1/applications/{application_id}/info-requests",
            post(request_info),
        )
        .route(
            "/v1/applications/{application_id}/info-responses",
            post(answer_info),
        )
        .route("/v1/applications/{application_id}/notes", post(add_note))
        .route("/v1/applications/{application_id}/timeline", get(timeline))
        .route("/v1/notifications", get(notifications))
}

/// Applies `event` to the application under its row lock in one transaction, with an extra
/// timeline entry when the step carries a message, so the state change and its entry commit
/// together or not at all.
async fn move_under_lock(
    state: &AppState,
    application_id: Uuid,
    event: &Event,
    actor: &Actor,
    entry: Option<TimelineEntryKind>,
) -> Result<(), ApiError> {
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    let row = db::applications::lock(&mut transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    workflow::apply(&mut transaction, &row, event, actor, now).await?;
    if let Some(kind) = entry {
        workflow::record(&mut transaction, &row, actor, kind, now).await?;
    }
    transaction.commit().await?;
    Ok(())
}
