//! Tranches: requested (by an officer, or by the founder with a grant milestone report),
//! approved by a different person, disbursed exactly once; a payout raises `tranche.paid` in
//! its transaction, so the founder is told.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use imkon_auth::extract::{CreditOfficer, RequireRole, RoleRequirement};
use imkon_auth::{Principal, Role};
use imkon_platform::idempotency::{self, Claim, IdempotencyKey, SavedResponse};
use imkon_platform::money::Money;
use imkon_platform::outbox;
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::contracts::{visible_contract, TrancheView};
use super::{record_audit, refuse_own_contract, AuditSubject};
use crate::db::contracts::{self, ContractRow, TrancheRow};
use crate::db::{installments, repayments};
use crate::domain::contract::ContractStatus;
use crate::domain::fees::FeeCollection;
use crate::domain::tranche::{
    check_tranche_plan, OfficerId, ProgrammeKind, TranchePlanError, TrancheStatus,
};
use crate::error::DisbursementError;
use crate::loans::contract_status;
use crate::loans::{currency, current_schedule, fee_to_collect, money, programme_kind};
use crate::money_flows::disburse_tranche as pay_out;
use crate::AppState;

/// The topic raised when a tranche is paid out.
pub const TRANCHE_PAID: &str = "tranche.paid";

/// Who may approve a tranche: a credit officer or a committee member.
pub enum TrancheApprover {}

impl RoleRequirement for TrancheApprover {
    const ALLOWED: &'static [Role] = &[Role::CreditOfficer, Role::Approver];
}

/// Who may request a tranche at all: a credit officer, or a founder for their own grant's
/// milestone (`may_request` decides which contract). Other staff are refused outright (403).
pub enum TrancheRequester {}

impl RoleRequirement for TrancheRequester {
    const ALLOWED: &'static [Role] = &[Role::CreditOfficer, Role::Client];
}

/// Who may release the money: finance or a credit officer.
pub enum TrancheDisburser {}

impl RoleRequirement for TrancheDisburser {
    const ALLOWED: &'static [Role] = &[Role::Finance, Role::CreditOfficer];
}

/// A tranche request; the note is the founder's milestone report for a grant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TrancheRequestBody {
    #[serde(default)]
    #[validate(length(max = MAX_NOTE_CHARS, code = "too_long"))]
    #[schema(max_length = 10000)]
    pub note: Option<String>,
}

/// The longest note or milestone report accepted, in characters.
pub const MAX_NOTE_CHARS: u64 = 10_000;

/// The tranche's state as the domain sees it, from its row.
fn tranche_status(row: &TrancheRow) -> TrancheStatus {
    let requested_by = row.requested_by.map(OfficerId::new);
    let approved_by = row.approved_by.map(OfficerId::new);
    match (row.status.as_str(), requested_by, approved_by) {
        ("planned", _, _) => TrancheStatus::Planned,
        ("requested", Some(requested_by), _) => TrancheStatus::Requested { requested_by },
        ("approved", Some(requested_by), Some(approved_by)) => TrancheStatus::Approved {
            requested_by,
            approved_by,
        },
        ("disbursed", Some(requested_by), Some(approved_by)) => TrancheStatus::Disbursed {
            requested_by,
            approved_by,
        },
        ("cancelled", _, _) => TrancheStatus::Cancelled,
        _ => unreachable!("the database checks each status has the people it needs"),
    }
}

/// The contract and tranche, both locked, for staff (no ownership to check).
async fn locked(
    connection: &mut PgConnection,
    id: Uuid,
    number: i32,
) -> Result<(ContractRow, TrancheRow), DisbursementError> {
    let contract = contracts::find_for_update(connection, id)
        .await?
        .ok_or(DisbursementError::ContractNotFound)?;
    let tranche = contracts::tranche_for_update(connection, id, number)
        .await?
        .ok_or(DisbursementError::TrancheNotFound)?;
    Ok((contract, tranche))
}

pub(super) fn require_active(contract: &ContractRow) -> Result<(), DisbursementError> {
    match contract_status(contract) {
        ContractStatus::Active => Ok(()),
        other => Err(DisbursementError::ContractNotActive {
            status: other.name(),
        }),
    }
}

async fn tranche_view(
    connection: &mut PgConnection,
    contract: &ContractRow,
    number: i32,
) -> Result<TrancheView, DisbursementError> {
    let row = contracts::tranche_for_update(connection, contract.id, number)
        .await?
        .ok_or(DisbursementError::TrancheNotFound)?;
    Ok(TrancheView::from_row(contract, &row))
}

/// Whether `principal` may request this contract's tranches: a credit officer for any, the
/// contract's founder for a grant milestone (the request carries the milestone report).
/// Another founder's contract is not found.
fn may_request(principal: &Principal, contract: &ContractRow) -> Result<(), DisbursementError> {
    let own = principal.client_id() == Some(contract.client_id);
    if principal.has_role(Role::CreditOfficer) && !own {
        return Ok(());
    }
    if principal.client_id() != Some(contract.client_id) {
        return Err(DisbursementError::ContractNotFound);
    }
    if programme_kind(contract) == ProgrammeKind::Grant {
        return Ok(());
    }
    Err(DisbursementError::WrongRole(
        "a loan tranche is requested by a credit officer".to_owned(),
    ))
}

/// Requests a tranche: a credit officer, or the founder reporting a grant milestone.
#[utoipa::path(post, path = "/v1/contracts/{id}/tranches/{number}/request", tag = "tranches",
    request_body = TrancheRequestBody,
    params(("id" = Uuid, Path, description = "The contract's id"), ("number" = i32, Path, description = "The tranche's number, counted from 1")),
    security(("bearer" = ["client", "credit_officer"])),
    responses((status = 200, body = TrancheView), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "The contract is not active or the tranche not planned")))]
#[tracing::instrument(skip_all, fields(contract_id = %id, number))]
pub async fn request_tranche(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    user: RequireRole<TrancheRequester>,
    Path((id, number)): Path<(Uuid, i32)>,
    ValidatedJson(body): ValidatedJson<TrancheRequestBody>,
) -> Result<Json<TrancheView>, Problem> {
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|note| !note.is_empty());
    let mut transaction = state.pool.begin().await?;
    let (contract, tranche) = locked(&mut transaction, id, number).await?;
    may_request(&user, &contract)?;
    require_active(&contract)?;
    tranche_status(&tranche)
        .request(OfficerId::new(user.subject()))
        .map_err(DisbursementError::from)?;
    contracts::mark_tranche_requested(&mut transaction, tranche.id, user.subject(), note).await?;
    record_audit(
        &mut transaction,
        &user,
        address,
        "tranche.requested",
        AuditSubject::Tranche(tranche.id),
        Some(json!({"status": tranche.status})),
        Some(json!({"status": "requested", "note": note})),
    )
    .await?;
    let view = tranche_view(&mut transaction, &contract, number).await?;
    transaction.commit().await?;
    Ok(Json(view))
}

/// Approves a requested tranche; the approver must not be the requester (four eyes). For a
/// grant milestone this is the officer accepting the founder's report.
#[utoipa::path(post, path = "/v1/contracts/{id}/tranches/{number}/approve", tag = "tranches",
    params(("id" = Uuid, Path, description = "The contract's id"), ("number" = i32, Path, description = "The tranche's number, counted from 1")),
    security(("bearer" = ["credit_officer", "approver"])),
    responses((status = 200, body = TrancheView), (status = 401),
        (status = 403, description = "Wrong role, or `four_eyes_violation`: the requester cannot approve"),
        (status = 404), (status = 409, description = "The tranche is not requested")))]
#[tracing::instrument(skip_all, fields(contract_id = %id, number))]
pub async fn approve_tranche(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    approver: RequireRole<TrancheApprover>,
    Path((id, number)): Path<(Uuid, i32)>,
) -> Result<Json<TrancheView>, Problem> {
    let mut transaction = state.pool.begin().await?;
    let (contract, tranche) = locked(&mut transaction, id, number).await?;
    refuse_own_contract(&approver, contract.client_id)?;
    require_active(&contract)?;
    tranche_status(&tranche)
        .approve(OfficerId::new(approver.subject()))
        .map_err(DisbursementError::from)?;
    contracts::mark_tranche_approved(&mut transaction, tranche.id, approver.subject()).await?;
    record_audit(
        &mut transaction,
        &approver,
        address,
        "tranche.approved",
        AuditSubject::Tranche(tranche.id),
        Some(json!({"status": tranche.status, "requested_by": tranche.requested_by})),
        Some(json!({"status": "approved"})),
    )
    .await?;
    let view = tranche_view(&mut transaction, &contract, number).await?;
    transaction.commit().await?;
    Ok(Json(view))
}

/// Cancels a tranche that has not been paid out.
#[utoipa::path(post, path = "/v1/contracts/{id}/tranches/{number}/cancel", tag = "tranches",
    params(("id" = Uuid, Path, description = "The contract's id"), ("number" = i32, Path, description = "The tranche's number, counted from 1")),
    security(("bearer" = ["credit_officer", "approver"])),
    responses((status = 200, body = TrancheView), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "The tranche is disbursed or cancelled")))]
#[tracing::instrument(skip_all, fields(contract_id = %id, number))]
pub async fn cancel_tranche(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    officer: RequireRole<TrancheApprover>,
    Path((id, number)): Path<(Uuid, i32)>,
) -> Result<Json<TrancheView>, Problem> {
    let mut transaction = state.pool.begin().await?;
    let (contract, tranche) = locked(&mut transaction, id, number).await?;
    refuse_own_contract(&officer, contract.client_id)?;
    tranche_status(&tranche)
        .cancel()
        .map_err(DisbursementError::from)?;
    contracts::mark_tranche_cancelled(&mut transaction, tranche.id).await?;
    record_audit(
        &mut transaction,
        &officer,
        address,
        "tranche.cancelled",
        AuditSubject::Tranche(tranche.id),
        Some(json!({"status": tranche.status})),
        Some(json!({"status": "cancelled"})),
    )
    .await?;
    let view = tranche_view(&mut transaction, &contract, number).await?;
    transaction.commit().await?;
    Ok(Json(view))
}

/// Pays an approved tranche out, exactly once.
///
/// The contract and tranche rows stay locked while the ledger is called, so concurrent
/// requests for the same tranche wait and then find it disbursed (409) or, with the same
/// Idempotency-Key, get the first answer again. The ledger transfer's own key is derived from
/// the tranche (`tranche:<id>:disburse`): if this service crashes after the ledger posted but
/// before the tranche was marked, the retry gets the same transfer back and pays nothing more.
/// A loan's schedule is rebuilt from the total actually disbursed. A loan's first payout keeps
/// back an arrangement fee collected by deduction, in the same ledger transfer.
#[utoipa::path(post, path = "/v1/contracts/{id}/tranches/{number}/disburse", tag = "tranches",
    params(("id" = Uuid, Path, description = "The contract's id"), ("number" = i32, Path, description = "The tranche's number, counted from 1"),
        ("Idempotency-Key" = String, Header, description = "Required; a retry with the same key returns the first answer")),
    security(("bearer" = ["finance", "credit_officer"])),
    responses((status = 200, body = TrancheView), (status = 400, description = "No Idempotency-Key"),
        (status = 401), (status = 403), (status = 404),
        (status = 409, description = "The tranche is not approved, the loan is already being repaid, or `payout_not_above_fee`: the first payout would not cover the arrangement fee deducted from it"),
        (status = 422, description = "The client has no current account, or the ledger refused"),
        (status = 502, description = "The ledger did not answer; retry with the same key")))]
#[tracing::instrument(skip_all, fields(contract_id = %id, number))]
pub async fn disburse_tranche(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    disburser: RequireRole<TrancheDisburser>,
    key: IdempotencyKey,
    Path((id, number)): Path<(Uuid, i32)>,
) -> Result<Response, Problem> {
    let path = format!("/v1/contracts/{id}/tranches/{number}/disburse");
    let fingerprint = idempotency::fingerprint("POST", &path, b"");
    let scope = format!("{}:disburse_tranche", disburser.subject());
    let mut transaction = state.pool.begin().await?;
    if let Claim::Replay(response) =
        idempotency::claim(&mut transaction, &scope, &key, &fingerprint).await?
    {
        return Ok(response);
    }
    let (contract, tranche) = locked(&mut transaction, id, number).await?;
    refuse_own_contract(&disburser, contract.client_id)?;
    require_active(&contract)?;
    tranche_status(&tranche)
        .disburse(OfficerId::new(disburser.subject()))
        .map_err(DisbursementError::from)?;
    let is_loan = programme_kind(&contract) == ProgrammeKind::Loan;
    if is_loan && repayments::any(&mut transaction, id).await? {
        return Err(DisbursementError::ScheduleInRepayment.into());
    }
    let disbursed = pay_out(state.ledger.as_ref(), &contract, &tranche).await?;
    if let (Some(number), None) = (&disbursed.loan_account, &contract.loan_account_number) {
        contracts::set_loan_account(&mut transaction, id, number).await?;
    }
    contracts::mark_tranche_disbursed(
        &mut transaction,
        tranche.id,
        disbursed.transfer_id,
        disburser.subject(),
    )
    .await?;
    if let Some(fee) = disbursed.fee_deducted {
        contracts::set_arrangement_fee_transfer(&mut transaction, id, disbursed.transfer_id)
            .await?;
        record_audit(
            &mut transaction,
            &disburser,
            address,
            "contract.arrangement_fee_collected",
            AuditSubject::Contract(id),
            None,
            Some(json!({
                "amount": fee.amount(),
                "collection": "deducted",
                "transfer_id": disbursed.transfer_id,
            })),
        )
        .await?;
    }
    if is_loan {
        let schedule = current_schedule(&mut transaction, &contract)
            .await?
            .expect("an active loan with a disbursed tranche has a schedule");
        installments::replace_from(&mut transaction, id, 1, &schedule).await?;
    } else {
        close_grant_when_paid_out(&mut transaction, &disburser, address, &contract).await?;
    }
    outbox::enqueue(
        &mut transaction,
        TRANCHE_PAID,
        &json!({
            "contract_id": contract.id,
            "application_id": contract.application_id,
            "client_id": contract.client_id,
            "company_id": contract.company_id,
            "tranche_number": number,
            "amount": money(&contract, tranche.amount).amount().to_string(),
            "currency": contract.currency,
        }),
    )
    .await?;
    record_audit(
        &mut transaction,
        &disburser,
        address,
        "tranche.disbursed",
        AuditSubject::Tranche(tranche.id),
        Some(json!({"status": tranche.status})),
        Some(json!({
            "status": "disbursed",
            "amount": tranche.amount,
            "transfer_id": disbursed.transfer_id,
        })),
    )
    .await?;
    let view = tranche_view(&mut transaction, &contract, number).await?;
    let saved = SavedResponse::json(StatusCode::OK, &view)?;
    idempotency::save(&mut transaction, &scope, &key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

/// A grant whose every milestone is paid out or cancelled is complete: nothing is repaid.
async fn close_grant_when_paid_out(
    connection: &mut PgConnection,
    principal: &Principal,
    address: SocketAddr,
    contract: &ContractRow,
) -> Result<(), DisbursementError> {
    let tranches = contracts::tranches(&mut *connection, contract.id).await?;
    let open = tranches
        .iter()
        .any(|tranche| !matches!(tranche.status.as_str(), "disbursed" | "cancelled"));
    if open {
        return Ok(());
    }
    contract_status(contract).close()?;
    contracts::mark_closed(connection, contract.id).await?;
    record_audit(
        connection,
        principal,
        address,
        "contract.closed",
        AuditSubject::Contract(contract.id),
        Some(json!({"status": contract.status})),
        Some(json!({"status": "closed", "reason": "every milestone paid out"})),
    )
    .await?;
    Ok(())
}

/// One tranche of a new plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PlannedTrancheBody {
    /// A decimal string such as `"600.00"`.
    #[validate(length(min = 1, max = 40, code = "invalid_amount"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: String,
    /// What it pays for, such as `equipment`; not blank once trimmed (checked by the handler).
    #[validate(length(max = MAX_PURPOSE_CHARS, code = "invalid_purpose"))]
    #[schema(min_length = 1, max_length = 200)]
    pub purpose: String,
}

/// A new plan of tranches, in the order they are to be paid.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TranchePlanBody {
    // The count is the domain's `MAX_TRANCHES`, which `check_tranche_plan` also holds stored plans to.
    #[validate(length(min = 1, max = 12, code = "tranche_count"), nested)]
    #[schema(min_items = 1, max_items = 12)]
    pub tranches: Vec<PlannedTrancheBody>,
}

/// The longest purpose accepted, in characters.
pub const MAX_PURPOSE_CHARS: u64 = 200;

/// A credit officer splits the contract's principal into tranches, before activation. The
/// amounts must add up to the principal exactly, and each must be above an arrangement fee
/// deducted from the first payout (422 `not_above_fee`).
#[utoipa::path(put, path = "/v1/contracts/{id}/tranches", tag = "tranches",
    request_body = TranchePlanBody,
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["credit_officer"])),
    responses((status = 200, body = super::contracts::ContractView), (status = 401),
        (status = 403), (status = 404),
        (status = 409, description = "The contract is active already: its tranches are fixed"),
        (status = 422, description = "An amount or purpose is invalid, or the amounts do not add up to the principal")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn plan_tranches(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    officer: RequireRole<CreditOfficer>,
    Path(id): Path<Uuid>,
    ValidatedJson(body): ValidatedJson<TranchePlanBody>,
) -> Result<Json<super::contracts::ContractView>, Problem> {
    let mut transaction = state.pool.begin().await?;
    let contract = contracts::find_for_update(&mut transaction, id)
        .await?
        .ok_or(DisbursementError::ContractNotFound)?;
    if !matches!(
        contract_status(&contract),
        ContractStatus::Draft | ContractStatus::Signed
    ) {
        return Err(Problem::conflict(
            "tranches_fixed",
            "tranches are planned before the contract is activated",
        ));
    }
    let currency = currency(&contract);
    let mut amounts = Vec::with_capacity(body.tranches.len());
    for (index, planned) in body.tranches.iter().enumerate() {
        let amount = Money::parse(&planned.amount, currency).map_err(|error| {
            Problem::invalid_field(
                format!("tranches[{index}].amount"),
                "invalid_amount",
                error.to_string(),
            )
        })?;
        let purpose = planned.purpose.trim();
        if purpose.is_empty() {
            return Err(Problem::invalid_field(
                format!("tranches[{index}].purpose"),
                "invalid_purpose",
                format!("1 to {MAX_PURPOSE_CHARS} characters"),
            ));
        }
        amounts.push(amount);
    }
    check_tranche_plan(money(&contract, contract.principal), &amounts).map_err(|error| {
        let code = match error {
            TranchePlanError::Count { .. } => "tranche_count",
            TranchePlanError::NotPositive { .. } => "not_positive",
            TranchePlanError::SumIsNotPrincipal { .. } => "sum_is_not_principal",
        };
        Problem::invalid_field("tranches", code, error.to_string())
    })?;
    // Whichever tranche is paid out first keeps back a deducted arrangement fee, so each must
    // be able to carry it.
    if let Some(fee) = fee_to_collect(&contract, FeeCollection::Deducted) {
        if let Some(index) = amounts
            .iter()
            .position(|amount| fee.payout_net_of_fee(*amount).is_err())
        {
            return Err(Problem::invalid_field(
                format!("tranches[{index}].amount"),
                "not_above_fee",
                format!(
                    "each tranche must be above the arrangement fee of {} kept back from the first payout",
                    fee.amount()
                ),
            ));
        }
    }
    let before = contracts::tranches(&mut *transaction, id).await?;
    contracts::delete_planned_tranches(&mut transaction, id).await?;
    for (index, (planned, amount)) in body.tranches.iter().zip(&amounts).enumerate() {
        let number = i32::try_from(index + 1).expect("a plan has at most 12 tranches");
        contracts::insert_planned_tranche(
            &mut transaction,
            id,
            number,
            amount.amount(),
            planned.purpose.trim(),
        )
        .await?;
    }
    record_audit(
        &mut transaction,
        &officer,
        address,
        "tranches.planned",
        AuditSubject::Contract(id),
        Some(json!(before
            .iter()
            .map(|tranche| json!({"number": tranche.number, "amount": tranche.amount}))
            .collect::<Vec<_>>())),
        Some(json!(body.tranches)),
    )
    .await?;
    transaction.commit().await?;
    let contract = visible_contract(&state, &officer, id).await?;
    let tranches = contracts::tranches(&state.pool, id).await?;
    Ok(Json(super::contracts::ContractView::from_rows(
        &contract, &tranches,
    )))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/contracts/{id}/tranches", put(plan_tranches))
        .route(
            "/v1/contracts/{id}/tranches/{number}/request",
            post(request_tranche),
        )
        .route(
            "/v1/contracts/{id}/tranches/{number}/approve",
            post(approve_tranche),
        )
        .route(
            "/v1/contracts/{id}/tranches/{number}/cancel",
            post(cancel_tranche),
        )
        .route(
            "/v1/contracts/{id}/tranches/{number}/disburse",
            post(disburse_tranche),
        )
}
