//! `/v1/applications/{id}/decision`: a credit officer proposes, a different person with the
//! approver role confirms or sends the proposal back. Approval commits the amount against the
//! programme's budget under a row lock and publishes `application.approved`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use imkon_auth::extract::{Approver, CreditOfficer, RequireRole};
use imkon_auth::Principal;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::{new_id, now_utc};
use imkon_platform::idempotency::{self, Claim, IdempotencyKey, SavedResponse};
use imkon_platform::money::Money;
use imkon_platform::outbox;
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::applications::{
    full_view, refuse_own_application, visible_application, ApplicationView, Viewer,
};
use super::programme_dto::ParsedProgramme;
use super::programmes::{self, LoadedProgramme};
use crate::db;
use crate::db::applications::ApplicationRow;
use crate::db::decisions::DecisionRow;
use crate::domain::actor::{Actor, ActorRole};
use crate::domain::budget::{Budget, BudgetError};
use crate::domain::decision::{ApprovalTerms, DecisionError, Proposal, ProposedOutcome};
use crate::domain::programme::{FeeCharge, Percent};
use crate::domain::state::DecisionOutcome;
use crate::domain::submission::PositiveAmount;
use crate::domain::timeline::TimelineEntryKind;
use crate::error::ApiError;
use crate::workflow;
use crate::AppState;

/// The topic the disbursement service turns into a contract.
pub const APPLICATION_APPROVED: &str = "application.approved";

/// A proposed decision. The count of reasons is bounded here for `ValidatedJson` and the OpenAPI
/// schema; that a rejection has at least one, each non-blank, is the domain's rule.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct ProposalInput {
    /// `approve` or `reject`.
    pub outcome: String,
    /// Approvals: a decimal string within the programme's limits.
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub term_months: Option<u32>,
    /// Loan approvals: within the programme's rate range.
    #[serde(default)]
    pub annual_rate_percent: Option<String>,
    /// Loan approvals: months of grace on principal.
    #[serde(default)]
    pub grace_months: Option<u32>,
    /// Rejections: one reason at least.
    #[serde(default)]
    #[validate(length(max = 20, code = "reasons_missing"))]
    #[schema(max_items = 20)]
    pub reasons: Vec<String>,
}

/// Why a decision is sent back. Its length limit is declared here for `ValidatedJson` and the
/// OpenAPI schema; the domain still refuses a blank reason, which is a rule, not a shape.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct SendBackInput {
    #[validate(length(min = 1, max = 2000, code = "reason_length_out_of_range"))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

fn decision_refused(error: &DecisionError) -> ApiError {
    match error {
        DecisionError::SamePersonBothSides => {
            ApiError::forbidden("four_eyes_violation", error.to_string())
        }
        DecisionError::RoleNotPermitted { .. } => {
            ApiError::forbidden("role_not_permitted", error.to_string())
        }
        _ => ApiError::refused(error, "decision"),
    }
}

fn internal(detail: String) -> ApiError {
    ApiError::Problem(Problem::internal_from(&std::io::Error::other(detail)))
}

fn roles_of(principal: &Principal) -> Vec<String> {
    principal
        .roles()
        .map(|role| role.as_str().to_owned())
        .collect()
}

fn outcome_name(outcome: DecisionOutcome) -> &'static str {
    match outcome {
        DecisionOutcome::Approve => "approve",
        DecisionOutcome::Reject => "reject",
    }
}

fn parse_outcome(
    input: &ProposalInput,
    programme: &ParsedProgramme,
) -> Result<ProposedOutcome, ApiError> {
    let programme = &programme.programme;
    match input.outcome.as_str() {
        "approve" => {
            let amount_text = input.amount.as_deref().ok_or_else(|| {
                ApiError::field("amount", "required", "an approval needs an amount")
            })?;
            let amount = PositiveAmount::parse("amount", amount_text, programme.currency())
                .map_err(|error| ApiError::refused(&error, "amount"))?;
            let term_months = input.term_months.ok_or_else(|| {
                ApiError::field("term_months", "required", "an approval needs a term")
            })?;
            let annual_rate = input
                .annual_rate_percent
                .as_deref()
                .map(|text| {
                    let value =
                        imkon_platform::money::parse_decimal_literal(text).map_err(|error| {
                            ApiError::field(
                                "annual_rate_percent",
                                "invalid_number",
                                error.to_string(),
                            )
                        })?;
                    Percent::new("annual_rate_percent", value)
                        .map_err(|error| ApiError::refused(&error, "annual_rate_percent"))
                })
                .transpose()?;
            let terms = ApprovalTerms::new(
                programme,
                amount,
                term_months,
                annual_rate,
                input.grace_months,
            )
            .map_err(|error| decision_refused(&error))?;
            Ok(ProposedOutcome::Approve(terms))
        }
        "reject" => {
            ProposedOutcome::reject(&input.reasons).map_err(|error| decision_refused(&error))
        }
        _ => Err(ApiError::field(
            "outcome",
            "invalid_outcome",
            "must be approve or reject",
        )),
    }
}

/// Reads a stored proposal back into the domain, through the checks that admitted it.
fn stored_proposal(row: &DecisionRow, programme: &LoadedProgramme) -> Result<Proposal, ApiError> {
    let programme_rules = &programme.parsed.programme;
    let role = match row.proposed_role.as_str() {
        "credit_officer" => ActorRole::CreditOfficer,
        "service" => ActorRole::Service,
        other => {
            return Err(internal(format!(
                "decision {} has the proposer role {other}",
                row.id
            )))
        }
    };
    let unreadable = |what: &str| internal(format!("decision {} has an unreadable {what}", row.id));
    let reasons: Vec<String> =
        serde_json::from_value(row.reasons.clone()).map_err(|_| unreadable("reasons"))?;
    let outcome = match row.outcome.as_str() {
        "approve" => {
            let amount = row
                .amount
                .and_then(|amount| Money::new(amount, programme_rules.currency()).ok())
                .and_then(|money| PositiveAmount::new("amount", money).ok())
                .ok_or_else(|| unreadable("amount"))?;
            let term_months = row
                .term_months
                .and_then(|months| u32::try_from(months).ok())
                .ok_or_else(|| unreadable("term"))?;
            let annual_rate = row
                .annual_rate_percent
                .map(|rate| Percent::new("annual_rate_percent", rate))
                .transpose()
                .map_err(|_| unreadable("rate"))?;
            let grace_months = row
                .grace_months
                .map(u32::try_from)
                .transpose()
                .map_err(|_| unreadable("grace"))?;
            let terms = ApprovalTerms::new(
                programme_rules,
                amount,
                term_months,
                annual_rate,
                grace_months,
            )
            .map_err(|_| unreadable("terms"))?;
            ProposedOutcome::Approve(terms)
        }
        _ => ProposedOutcome::reject(&reasons).map_err(|_| unreadable("reasons"))?,
    };
    Ok(Proposal::from_stored(
        Actor::new(row.proposed_by, role),
        outcome,
        row.from_screening,
    ))
}

async fn locked_application(
    connection: &mut PgConnection,
    application_id: Uuid,
) -> Result<ApplicationRow, ApiError> {
    db::applications::lock(connection, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })
}

async fn programme_of(state: &AppState, row: &ApplicationRow) -> Result<LoadedProgramme, ApiError> {
    programmes::load(&state.pool, row.programme_id)
        .await?
        .ok_or(ApiError::NotFound { what: "programme" })
}

async fn application_response(
    state: &AppState,
    application_id: Uuid,
) -> Result<Json<ApplicationView>, ApiError> {
    let row = visible_application(state, Viewer::Officer, application_id).await?;
    Ok(Json(full_view(&state.pool, &row, Viewer::Officer).await?))
}

/// Proposes approving (with amount and terms within the programme's limits) or rejecting
/// (with reasons).
#[utoipa::path(post, path = "/v1/applications/{application_id}/decision/proposal", tag = "decisions",
    request_body = ProposalInput, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["credit_officer"])),
    responses((status = 200, body = ApplicationView), (status = 403, description = "Not a credit officer"),
        (status = 409, description = "Not in review"), (status = 422, description = "Terms outside the programme's limits")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn propose(
    State(state): State<AppState>,
    officer: RequireRole<CreditOfficer>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<ProposalInput>,
) -> Result<Json<ApplicationView>, ApiError> {
    let actor = Actor::new(officer.subject(), ActorRole::CreditOfficer);
    let row = visible_application(&state, Viewer::Officer, application_id).await?;
    refuse_own_application(officer.principal(), &row)?;
    let programme = programme_of(&state, &row).await?;
    let outcome = parse_outcome(&input, &programme.parsed)?;
    let proposal = Proposal::propose(&actor, outcome).map_err(|error| decision_refused(&error))?;
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    let row = locked_application(&mut transaction, application_id).await?;
    workflow::apply(&mut transaction, &row, &proposal.event(), &actor, now).await?;
    let (amount, term_months, annual_rate, grace_months, reasons) = match proposal.outcome() {
        ProposedOutcome::Approve(terms) => (
            Some(terms.amount().amount()),
            i32::try_from(terms.term_months()).ok(),
            terms.loan().map(|loan| loan.annual_rate.value()),
            terms
                .loan()
                .and_then(|loan| i32::try_from(loan.grace_months).ok()),
            Vec::new(),
        ),
        ProposedOutcome::Reject { reasons } => (None, None, None, None, reasons.clone()),
    };
    let decision = DecisionRow {
        id: new_id(),
        application_id,
        outcome: outcome_name(proposal.outcome().outcome()).to_owned(),
        from_screening: false,
        proposed_by: actor.person_id,
        proposed_role: actor.role.as_str().to_owned(),
        proposed_at: now,
        amount,
        term_months,
        annual_rate_percent: annual_rate,
        grace_months,
        reasons: Value::from(reasons),
        status: "pending".to_owned(),
        resolved_by: None,
        resolved_at: None,
        sent_back_reason: None,
    };
    db::decisions::insert(&mut *transaction, &decision).await?;
    workflow::record(
        &mut transaction,
        &row,
        &actor,
        TimelineEntryKind::DecisionProposed {
            outcome: proposal.outcome().outcome(),
        },
        now,
    )
    .await?;
    audit::record(
        &mut transaction,
        AuditEntry {
            actor_id: Some(officer.subject()),
            actor_roles: roles_of(&officer),
            action: "application.decision_proposed",
            subject_type: "application",
            subject_id: application_id.to_string(),
            before: Some(json!({ "state": row.state })),
            after: Some(
                json!({ "decision_id": decision.id, "outcome": decision.outcome,
                "amount": decision.amount.map(|amount| amount.to_string()) }),
            ),
            source_address: None,
        },
    )
    .await?;
    transaction.commit().await?;
    application_response(&state, application_id).await
}

/// The payload of `application.approved`, exactly as the disbursement service expects it.
fn approved_payload(
    row: &ApplicationRow,
    programme: &LoadedProgramme,
    terms: &ApprovalTerms,
    securities: &[crate::db::securities::SecurityRow],
    security_documents: &[crate::db::security_documents::SecurityDocumentRow],
    approved_at: chrono::DateTime<chrono::Utc>,
) -> Value {
    let programme_rules = &programme.parsed.programme;
    let loan_terms = programme_rules.loan_terms();
    let fee = loan_terms.and_then(|loan| loan.arrangement_fee);
    let (fee_fixed, fee_percent) = match fee.map(|fee| fee.charge) {
        Some(FeeCharge::Fixed(amount)) => (Some(amount.amount().to_string()), None),
        Some(FeeCharge::Percent(percent)) => (None, Some(percent.value().normalize().to_string())),
        None => (None, None),
    };
    json!({
        "application_id": row.id,
        "programme_id": row.programme_id,
        "programme_kind": programme_rules.kind().as_str(),
        "client_id": row.client_id,
        "company_id": row.company_id,
        "currency": programme_rules.currency().code(),
        "amount": terms.amount().amount().to_string(),
        "term_months": terms.term_months(),
        "annual_rate_percent": terms.loan().map(|loan| loan.annual_rate.value().normalize().to_string()),
        "repayment_method": loan_terms.map(|loan| loan.repayment_method.as_str()),
        "day_count": loan_terms.map(|loan| loan.day_count.as_str()),
        "interest_method": loan_terms.map(|loan| loan.interest_method.as_str()),
        "grace_months": terms.loan().map_or(0, |loan| loan.grace_months),
        "penalty_rate_percent": programme.parsed.penalty_rate.map(|rate| rate.value().normalize().to_string()),
        "arrangement_fee_fixed": fee_fixed,
        "arrangement_fee_percent": fee_percent,
        "arrangement_fee_collection": fee.map(|fee| fee.collection.as_str()),
        "late_charge": loan_terms.and_then(|loan| loan.late_charge).map(|charge| charge.amount().to_string()),
        "securities": super::securities::approval_payload(securities, security_documents),
        "approved_at": approved_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// Confirms the pending proposal. The proposer may never confirm their own (403); an approval
/// that would commit more than the programme's budget is refused (409). It commits money, so
/// it takes an `Idempotency-Key`: a retried confirmation replays the first answer.
#[utoipa::path(post, path = "/v1/applications/{application_id}/decision/confirmation", tag = "decisions",
    params(("application_id" = Uuid, Path)),
    security(("bearer" = ["approver"])),
    responses((status = 200, body = ApplicationView), (status = 400, description = "No Idempotency-Key"),
        (status = 403, description = "Not an approver, or the proposer"),
        (status = 409, description = "No pending decision, or the budget is exhausted")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn confirm(
    State(state): State<AppState>,
    approver: RequireRole<Approver>,
    key: IdempotencyKey,
    Path(application_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let actor = Actor::new(approver.subject(), ActorRole::Approver);
    let row = visible_application(&state, Viewer::Officer, application_id).await?;
    refuse_own_application(approver.principal(), &row)?;
    let programme = programme_of(&state, &row).await?;
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    let scope = format!("{}:confirm_decision", approver.subject());
    let path = format!("/v1/applications/{application_id}/decision/confirmation");
    let request_fingerprint = idempotency::fingerprint("POST", &path, b"");
    if let Claim::Replay(response) =
        idempotency::claim(&mut transaction, &scope, &key, &request_fingerprint).await?
    {
        return Ok(response);
    }
    let row = locked_application(&mut transaction, application_id).await?;
    let pending = db::decisions::pending(&mut transaction, application_id)
        .await?
        .ok_or_else(|| {
            ApiError::conflict("no_pending_decision", "no decision awaits confirmation")
        })?;
    let proposal = stored_proposal(&pending, &programme)?;
    let decision = proposal
        .confirm(&actor)
        .map_err(|error| decision_refused(&error))?;
    workflow::apply(&mut transaction, &row, &decision.event(), &actor, now).await?;
    let mut committed_after = None;
    if let Some(terms) = decision.approval_terms() {
        let (total, committed) =
            db::programmes::lock_budget(&mut transaction, row.programme_id).await?;
        let currency = programme.parsed.programme.currency();
        let budget = Money::new(total, currency)
            .and_then(|total| Ok((total, Money::new(committed, currency)?)))
            .map_err(|error| internal(error.to_string()))
            .and_then(|(total, committed)| {
                Budget::new(total, committed).map_err(|error| internal(error.to_string()))
            })?;
        let after = decision
            .commit_budget(&budget)
            .map_err(|error| match error {
                BudgetError::BudgetExceeded { .. } => {
                    ApiError::conflict("budget_exceeded", error.to_string())
                }
                other => internal(other.to_string()),
            })?;
        db::programmes::set_committed(
            &mut transaction,
            row.programme_id,
            after.committed().amount(),
        )
        .await?;
        let securities = db::securities::list(&mut *transaction, row.id).await?;
        let security_documents =
            db::security_documents::of_application(&mut *transaction, row.id).await?;
        outbox::enqueue(
            &mut transaction,
            APPLICATION_APPROVED,
            &approved_payload(
                &row,
                &programme,
                terms,
                &securities,
                &security_documents,
                now,
            ),
        )
        .await?;
        committed_after = Some(after.committed().amount().to_string());
    }
    db::decisions::resolve(
        &mut transaction,
        pending.id,
        "confirmed",
        actor.person_id,
        now,
        None,
    )
    .await?;
    let reasons = match decision.proposal().outcome() {
        ProposedOutcome::Reject { .. } => {
            serde_json::from_value(pending.reasons.clone()).unwrap_or_default()
        }
        ProposedOutcome::Approve(_) => Vec::new(),
    };
    workflow::record(
        &mut transaction,
        &row,
        &actor,
        TimelineEntryKind::DecisionConfirmed {
            outcome: decision.outcome(),
            reasons,
        },
        now,
    )
    .await?;
    audit::record(
        &mut transaction,
        AuditEntry {
            actor_id: Some(approver.subject()),
            actor_roles: roles_of(&approver),
            action: "application.decision_confirmed",
            subject_type: "application",
            subject_id: application_id.to_string(),
            before: Some(json!({ "state": row.state })),
            after: Some(
                json!({ "decision_id": pending.id, "outcome": pending.outcome,
                "amount": pending.amount.map(|amount| amount.to_string()),
                "programme_committed_amount": committed_after }),
            ),
            source_address: None,
        },
    )
    .await?;
    let decided = db::applications::find(&mut *transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    let view = full_view(&mut *transaction, &decided, Viewer::Officer).await?;
    let saved = SavedResponse::json(StatusCode::OK, &view)?;
    idempotency::save(&mut transaction, &scope, &key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

/// Sends the pending proposal back to review, with the reason.
#[utoipa::path(post, path = "/v1/applications/{application_id}/decision/send-back", tag = "decisions",
    request_body = SendBackInput, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["approver"])),
    responses((status = 200, body = ApplicationView), (status = 403, description = "Not an approver, or the proposer"),
        (status = 409, description = "No pending decision")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn send_back(
    State(state): State<AppState>,
    approver: RequireRole<Approver>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<SendBackInput>,
) -> Result<Json<ApplicationView>, ApiError> {
    let actor = Actor::new(approver.subject(), ActorRole::Approver);
    let row = visible_application(&state, Viewer::Officer, application_id).await?;
    refuse_own_application(approver.principal(), &row)?;
    let programme = programme_of(&state, &row).await?;
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    let row = locked_application(&mut transaction, application_id).await?;
    let pending = db::decisions::pending(&mut transaction, application_id)
        .await?
        .ok_or_else(|| {
            ApiError::conflict("no_pending_decision", "no decision awaits confirmation")
        })?;
    let proposal = stored_proposal(&pending, &programme)?;
    let sent_back = proposal
        .send_back(&actor, &input.reason)
        .map_err(|error| decision_refused(&error))?;
    workflow::apply(&mut transaction, &row, &sent_back.event(), &actor, now).await?;
    db::decisions::resolve(
        &mut transaction,
        pending.id,
        "sent_back",
        actor.person_id,
        now,
        Some(&sent_back.reason),
    )
    .await?;
    workflow::record(
        &mut transaction,
        &row,
        &actor,
        TimelineEntryKind::DecisionSentBack {
            reason: sent_back.reason.clone(),
        },
        now,
    )
    .await?;
    audit::record(
        &mut transaction,
        AuditEntry {
            actor_id: Some(approver.subject()),
            actor_roles: roles_of(&approver),
            action: "application.decision_sent_back",
            subject_type: "application",
            subject_id: application_id.to_string(),
            before: Some(json!({ "state": row.state, "decision_id": pending.id })),
            after: Some(json!({ "reason": sent_back.reason })),
            source_address: None,
        },
    )
    .await?;
    transaction.commit().await?;
    application_response(&state, application_id).await
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(propose, confirm, send_back))]
pub struct DecisionsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/applications/{application_id}/decision/proposal",
            post(propose),
        )
        .route(
            "/v1/applications/{application_id}/decision/confirmation",
            post(confirm),
        )
        .route(
            "/v1/applications/{application_id}/decision/send-back",
            post(send_back),
        )
}
