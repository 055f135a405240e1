//! Rescheduling a loan with four eyes: a credit officer proposes a payment holiday or a longer
//! term, an approver who did not propose it confirms or rejects it. A confirmation replaces the
//! rows due after the bank's today and keeps the rows it replaced as a schedule version, so
//! the page shows the schedule before and after.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use imkon_auth::extract::{AuthenticatedUser, CreditOfficer, RequireRole};
use imkon_auth::Principal;
use imkon_platform::problem::{Problem, ValidatedJson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::contracts::{required_reason, visible_contract, WriteOffDecider, MAX_REASON_CHARS};
use super::schedules::InstallmentView;
use super::tranches::require_active;
use super::{record_audit, refuse_own_contract, AuditSubject};
use crate::db::contracts::{self, ContractRow};
use crate::db::installments;
use crate::db::reschedules::{self, NewProposal, RescheduleRow};
use crate::domain::reschedule::{reschedule, Rescheduling, MAX_RESCHEDULE_MONTHS};
use crate::domain::schedule::Schedule;
use crate::error::DisbursementError;
use crate::loans::{current_schedule, money};
use crate::AppState;

/// A credit officer's proposal: `payment_holiday` (the next `months` instalments are interest
/// only) or `longer_term` (`months` more instalments), with the reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    pub kind: String,
    #[validate(range(min = 1, max = MAX_RESCHEDULE_MONTHS, code = "months_out_of_range"))]
    #[schema(minimum = 1, maximum = 24)]
    pub months: u32,
    /// Not blank once trimmed (checked by the handler).
    #[validate(length(max = MAX_REASON_CHARS, code = "invalid_reason"))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// A rescheduling and, while it is proposed, the rows it would put in place of those due
/// after the bank's today.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RescheduleView {
    pub id: Uuid,
    /// `payment_holiday` or `longer_term`.
    pub kind: String,
    pub months: i32,
    pub reason: String,
    /// `proposed`, `confirmed` or `rejected`.
    pub status: String,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The bank's day a confirmed rescheduling took effect.
    pub effective_on: Option<NaiveDate>,
    /// A proposal's new rows as they would be if confirmed today; absent once decided.
    pub proposed_installments: Option<Vec<InstallmentView>>,
}

impl RescheduleView {
    fn new(row: &RescheduleRow, proposed: Option<&Schedule>) -> RescheduleView {
        RescheduleView {
            id: row.id,
            kind: row.kind.clone(),
            months: row.months,
            reason: row.reason.clone(),
            status: row.status.clone(),
            proposed_by: row.proposed_by,
            proposed_at: row.proposed_at,
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            effective_on: row.effective_on,
            proposed_installments: proposed.map(|schedule| {
                schedule
                    .installments()
                    .iter()
                    .map(InstallmentView::from_installment)
                    .collect()
            }),
        }
    }
}

/// One row of a schedule a rescheduling replaced, with what had been paid of it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionInstallmentView {
    pub number: i32,
    pub due_date: NaiveDate,
    pub principal: String,
    pub interest: String,
    pub total: String,
    pub balance: String,
    pub paid_principal: String,
    pub paid_interest: String,
}

/// The rows a confirmed rescheduling replaced.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScheduleVersionView {
    /// 1 for the schedule the first rescheduling replaced, and so on.
    pub version: i32,
    pub reschedule_id: Uuid,
    pub installments: Vec<VersionInstallmentView>,
}

/// A contract's reschedulings, oldest first, and the schedule versions they replaced.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReschedulesView {
    pub contract_id: Uuid,
    pub reschedules: Vec<RescheduleView>,
    pub versions: Vec<ScheduleVersionView>,
}

/// The schedule a rescheduling gives if it takes effect on `today`.
async fn rescheduled(
    connection: &mut PgConnection,
    contract: &ContractRow,
    change: Rescheduling,
    today: NaiveDate,
) -> Result<Schedule, DisbursementError> {
    let current = current_schedule(connection, contract)
        .await?
        .ok_or(DisbursementError::GrantHasNoSchedule)?;
    Ok(reschedule(&current, today, change)?)
}

/// The contract, locked, and its pending proposal, for an approver who may decide on it.
async fn locked_proposal(
    transaction: &mut PgConnection,
    approver: &Principal,
    id: Uuid,
) -> Result<(ContractRow, RescheduleRow), DisbursementError> {
    let contract = contracts::find_for_update(&mut *transaction, id)
        .await?
        .ok_or(DisbursementError::ContractNotFound)?;
    refuse_own_contract(approver, contract.client_id)?;
    let proposal = reschedules::pending(&mut *transaction, id)
        .await?
        .ok_or(DisbursementError::NoRescheduleProposal)?;
    Ok((contract, proposal))
}

/// The rescheduling `reschedule_id` of the contract, as just decided.
async fn decided(
    transaction: &mut PgConnection,
    id: Uuid,
    reschedule_id: Uuid,
) -> Result<RescheduleRow, DisbursementError> {
    Ok(reschedules::list(&mut *transaction, id)
        .await?
        .into_iter()
        .find(|row| row.id == reschedule_id)
        .expect("the rescheduling was decided a moment ago"))
}

fn rescheduling_of(row: &RescheduleRow) -> Result<Rescheduling, DisbursementError> {
    let months =
        u32::try_from(row.months).expect("the database checks the months are between 1 and 24");
    Ok(Rescheduling::parse(&row.kind, months)?)
}

/// A credit officer proposes rescheduling an active loan; an approver who did not propose it
/// decides. The answer shows the rows that would replace those due after today.
#[utoipa::path(post, path = "/v1/contracts/{id}/reschedule", tag = "contracts",
    request_body = RescheduleRequest,
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["credit_officer"])),
    responses((status = 202, body = RescheduleView, description = "Proposed; an approver decides"),
        (status = 401), (status = 403, description = "Not a credit officer, or `own_contract`"),
        (status = 404),
        (status = 409, description = "`contract_not_active`, `reschedule_pending`, `nothing_to_reschedule` or `grant_has_no_schedule`"),
        (status = 422, description = "An unknown kind, months out of range, a term past 360 months, or no reason")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn propose_reschedule(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    officer: RequireRole<CreditOfficer>,
    Path(id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<RescheduleRequest>,
) -> Result<(StatusCode, Json<RescheduleView>), Problem> {
    let reason = required_reason(&request.reason, MAX_REASON_CHARS)?;
    let change =
        Rescheduling::parse(&request.kind, request.months).map_err(DisbursementError::from)?;
    let mut transaction = state.pool.begin().await?;
    let contract = contracts::find_for_update(&mut transaction, id)
        .await?
        .ok_or(DisbursementError::ContractNotFound)?;
    refuse_own_contract(&officer, contract.client_id)?;
    require_active(&contract)?;
    if reschedules::pending(&mut *transaction, id).await?.is_some() {
        return Err(DisbursementError::ReschedulePending.into());
    }
    let proposed = rescheduled(&mut transaction, &contract, change, state.calendar.today()).await?;
    let months = i32::try_from(change.months()).expect("at most 24 months");
    let proposal_id = imkon_platform::id::new_id();
    reschedules::propose(
        &mut transaction,
        &NewProposal {
            id: proposal_id,
            contract_id: id,
            kind: change.kind(),
            months,
            reason,
            proposed_by: officer.subject(),
        },
    )
    .await?;
    record_audit(
        &mut transaction,
        &officer,
        address,
        "contract.reschedule_proposed",
        AuditSubject::Contract(id),
        None,
        Some(json!({"kind": change.kind(), "months": months, "reason": reason})),
    )
    .await?;
    let row = reschedules::pending(&mut *transaction, id)
        .await?
        .expect("the proposal was stored a moment ago");
    transaction.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RescheduleView::new(&row, Some(&proposed))),
    ))
}

/// An approver confirms the pending rescheduling: the rows due after the bank's today are
/// replaced, and the rows they replace are kept as the contract's next schedule version. The
/// officer who proposed it never confirms it (four eyes, also a check in the database).
#[utoipa::path(post, path = "/v1/contracts/{id}/reschedule/confirm", tag = "contracts",
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["approver"])),
    responses((status = 200, body = RescheduleView), (status = 401),
        (status = 403, description = "Not an approver, `own_contract`, or `four_eyes_violation`: the proposer cannot confirm"),
        (status = 404),
        (status = 409, description = "`no_reschedule_proposal`, `contract_not_active` or `nothing_to_reschedule`")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn confirm_reschedule(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    approver: RequireRole<WriteOffDecider>,
    Path(id): Path<Uuid>,
) -> Result<Json<RescheduleView>, Problem> {
    let mut transaction = state.pool.begin().await?;
    let (contract, proposal) = locked_proposal(&mut transaction, &approver, id).await?;
    if proposal.proposed_by == approver.subject() {
        return Err(DisbursementError::RescheduleConfirmedByProposer.into());
    }
    require_active(&contract)?;
    let today = state.calendar.today();
    let new_rows = rescheduled(
        &mut transaction,
        &contract,
        rescheduling_of(&proposal)?,
        today,
    )
    .await?;
    let first_replaced = new_rows
        .installments()
        .first()
        .map(|row| row.number())
        .expect("a rescheduled schedule has rows");
    let before = installments::list(&mut *transaction, id).await?;
    let replaced_rows: Vec<_> = before
        .iter()
        .filter(|row| i64::from(row.number) >= i64::from(first_replaced))
        .collect();
    let replaced_total: Decimal = replaced_rows.iter().map(|row| row.total).sum();
    let replaced: Vec<VersionInstallmentView> = replaced_rows
        .iter()
        .map(|row| {
            let text = |amount: Decimal| money(&contract, amount).amount().to_string();
            VersionInstallmentView {
                number: row.number,
                due_date: row.due_date,
                principal: text(row.principal),
                interest: text(row.interest),
                total: text(row.total),
                balance: text(row.balance),
                paid_principal: text(row.paid_principal),
                paid_interest: text(row.paid_interest),
            }
        })
        .collect();
    let snapshot =
        serde_json::to_value(&replaced).map_err(|error| Problem::internal_from(&error))?;
    let version = reschedules::insert_version(&mut transaction, id, proposal.id, &snapshot).await?;
    reschedules::confirm(&mut transaction, proposal.id, approver.subject(), today).await?;
    installments::replace_from(&mut transaction, id, first_replaced, &new_rows).await?;
    record_audit(
        &mut transaction,
        &approver,
        address,
        "contract.rescheduled",
        AuditSubject::Contract(id),
        Some(json!({
            "installments": replaced.len(),
            "total_payable": money(&contract, replaced_total).amount(),
        })),
        Some(json!({
            "reschedule_id": proposal.id,
            "kind": proposal.kind,
            "months": proposal.months,
            "effective_on": today,
            "schedule_version_kept": version,
            "installments": new_rows.installments().len(),
            "total_payable": new_rows.total_payable().amount(),
        })),
    )
    .await?;
    let decided = decided(&mut transaction, id, proposal.id).await?;
    transaction.commit().await?;
    Ok(Json(RescheduleView::new(&decided, None)))
}

/// An approver rejects the pending rescheduling; the schedule stays as it is.
#[utoipa::path(post, path = "/v1/contracts/{id}/reschedule/reject", tag = "contracts",
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["approver"])),
    responses((status = 200, body = RescheduleView), (status = 401),
        (status = 403, description = "Not an approver, or `own_contract`"), (status = 404),
        (status = 409, description = "`no_reschedule_proposal`")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn reject_reschedule(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    approver: RequireRole<WriteOffDecider>,
    Path(id): Path<Uuid>,
) -> Result<Json<RescheduleView>, Problem> {
    let mut transaction = state.pool.begin().await?;
    let (_, proposal) = locked_proposal(&mut transaction, &approver, id).await?;
    reschedules::reject(&mut transaction, proposal.id, approver.subject()).await?;
    record_audit(
        &mut transaction,
        &approver,
        address,
        "contract.reschedule_rejected",
        AuditSubject::Contract(id),
        Some(json!({"status": "proposed"})),
        Some(json!({"status": "rejected", "reschedule_id": proposal.id})),
    )
    .await?;
    let decided = decided(&mut transaction, id, proposal.id).await?;
    transaction.commit().await?;
    Ok(Json(RescheduleView::new(&decided, None)))
}

/// The contract's reschedulings and the schedules they replaced; its founder or staff. A
/// pending proposal carries the rows it would give if confirmed today.
#[utoipa::path(get, path = "/v1/contracts/{id}/reschedules", tag = "contracts",
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = ReschedulesView), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn list_reschedules(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(id): Path<Uuid>,
) -> Result<Json<ReschedulesView>, Problem> {
    let contract = visible_contract(&state, &user, id).await?;
    let mut connection = state.pool.acquire().await?;
    let mut views = Vec::new();
    for row in reschedules::list(&mut *connection, id).await? {
        let preview = if row.status == "proposed" {
            rescheduled(
                &mut connection,
                &contract,
                rescheduling_of(&row)?,
                state.calendar.today(),
            )
            .await
            .ok()
        } else {
            None
        };
        views.push(RescheduleView::new(&row, preview.as_ref()));
    }
    let mut versions = Vec::new();
    for version in reschedules::versions(&mut *connection, id).await? {
        versions.push(ScheduleVersionView {
            version: version.version,
            reschedule_id: version.reschedule_id,
            installments: serde_json::from_value(version.installments)
                .map_err(|error| Problem::internal_from(&error))?,
        });
    }
    Ok(Json(ReschedulesView {
        contract_id: id,
        reschedules: views,
        versions,
    }))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/contracts/{id}/reschedule", post(propose_reschedule))
        .route(
            "/v1/contracts/{id}/reschedule/confirm",
            post(confirm_reschedule),
        )
        .route(
            "/v1/contracts/{id}/reschedule/reject",
            post(reject_reschedule),
        )
        .route("/v1/contracts/{id}/reschedules", get(list_reschedules))
}
