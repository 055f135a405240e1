//! Four eyes on staff transfers: a member of staff's `POST /v1/transfers` records a proposal,
//! and a second, different member of staff confirms it, which books the transfer.
//!
//! Confirming books through the ledger writer under the proposal's own key in
//! [`PROPOSAL_SCOPE`], so a retry, a second confirmer racing the first, or a confirmation
//! repeated after a crash between booking and recording replays the one transfer instead of
//! moving the money again. The proposal's row stays locked while its transfer is booked, so a
//! rejection waits for the confirmation and then finds the proposal settled.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::new_id;
use imkon_platform::idempotency::{IdempotencyKey, IDEMPOTENT_REPLAY_HEADER};
use imkon_platform::problem::Problem;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::caller::{Allowed, Caller, LedgerStaff};
use super::invalid;
use super::transfers::{
    booked_response, parse_transfer, refuse_own_accounts, TransferDto, TransferRequestBody,
};
use crate::db;
use crate::db::proposals::ProposalRow;
use crate::domain::proposal::{may_confirm, ProposalStatus};
use crate::error::AccountsError;
use crate::ledger::{proposal_key, Booked, TransferRequest, PROPOSAL_SCOPE};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/transfer-proposals", get(list_proposals))
        .route(
            "/v1/transfer-proposals/{id}/confirm",
            post(confirm_proposal),
        )
        .route("/v1/transfer-proposals/{id}/reject", post(reject_proposal))
}

/// Proposals per page unless `limit` says otherwise.
const DEFAULT_PAGE_SIZE: u32 = 50;

/// A member of staff's transfer, waiting for (or decided by) a second member of staff.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalDto {
    pub id: Uuid,
    /// pending, confirmed or rejected.
    pub status: String,
    /// The transfer as proposed.
    pub transfer: TransferRequestBody,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    /// Who confirmed it; never the proposer.
    pub confirmed_by: Option<Uuid>,
    /// Who turned it down.
    pub rejected_by: Option<Uuid>,
    /// The transfer its confirmation booked.
    pub transfer_id: Option<Uuid>,
}

fn proposal_dto(row: &ProposalRow) -> Result<ProposalDto, AccountsError> {
    Ok(ProposalDto {
        id: row.id,
        status: ProposalStatus::of(row.confirmed_by, row.rejected_by)
            .code()
            .to_owned(),
        transfer: proposed_transfer(row)?,
        proposed_by: row.proposed_by,
        proposed_at: row.proposed_at,
        confirmed_by: row.confirmed_by,
        rejected_by: row.rejected_by,
        transfer_id: row.transfer_id,
    })
}

/// The transfer a stored proposal asks for.
fn proposed_transfer(row: &ProposalRow) -> Result<TransferRequestBody, AccountsError> {
    serde_json::from_value(row.request.clone()).map_err(|error| {
        AccountsError::Inconsistent(format!("transfer proposal {}: {error}", row.id))
    })
}

/// Records a member of staff's transfer as a proposal (202). The same key from the same person
/// answers with the same proposal; with another body it is `idempotency_key_reused`.
pub async fn propose_transfer(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    body: &TransferRequestBody,
    fingerprint: String,
) -> Result<Response, AccountsError> {
    let request = serde_json::to_value(body).map_err(|error| Problem::internal_from(&error))?;
    let mut transaction = state.pool.begin().await?;
    let (row, created) = db::proposals::insert_or_find(
        &mut transaction,
        new_id(),
        &request,
        &fingerprint,
        key.as_str(),
        caller.subject(),
    )
    .await?;
    if row.request_fingerprint != fingerprint {
        return Err(AccountsError::IdempotencyKeyReused);
    }
    if created {
        audit::record(
            &mut transaction,
            AuditEntry {
                actor_id: Some(caller.subject()),
                actor_roles: caller.role_names(),
                action: "transfer_proposal.proposed",
                subject_type: "transfer_proposal",
                subject_id: row.id.to_string(),
                before: None,
                after: Some(json!({"status": "pending", "transfer": request})),
                source_address: None,
            },
        )
        .await?;
    }
    transaction.commit().await?;
    let mut response = (StatusCode::ACCEPTED, Json(proposal_dto(&row)?)).into_response();
    if !created {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// A second member of staff confirms a proposal, which books its transfer exactly once. The
/// proposer cannot (four eyes, also a check in the database), nor can staff who are the client
/// owning one of its accounts.
#[utoipa::path(post, path = "/v1/transfer-proposals/{id}/confirm", tag = "accounts",
    params(("id" = Uuid, Path, description = "the proposal"),
           ("Idempotency-Key" = String, Header, description = "a retry replays the booked transfer")),
    security(("bearer" = ["finance", "admin"])),
    responses((status = 201, body = TransferDto, description = "booked; a replay says so in Idempotent-Replayed"),
              (status = 401),
              (status = 403, description = "forbidden, own_account, or four_eyes_violation: the proposer cannot confirm"),
              (status = 404),
              (status = 409, description = "proposal_already_settled: confirmed by someone else, or rejected"),
              (status = 422, description = "insufficient_funds and the ledger's other refusals; the proposal stays pending")))]
#[tracing::instrument(skip_all, fields(caller = %staff.subject(), proposal = %id))]
pub async fn confirm_proposal(
    State(state): State<AppState>,
    staff: Allowed<LedgerStaff>,
    Path(id): Path<Uuid>,
    _key: IdempotencyKey,
) -> Result<Response, AccountsError> {
    let caller = staff.into_caller();
    let mut transaction = state.pool.begin().await?;
    let proposal = db::proposals::lock(&mut transaction, id)
        .await?
        .ok_or(AccountsError::NotFound("transfer proposal"))?;
    if !may_confirm(proposal.proposed_by, caller.subject()) {
        return Err(AccountsError::FourEyesViolation);
    }
    let body = proposed_transfer(&proposal)?;
    refuse_own_accounts(&state, &caller, &body).await?;
    match ProposalStatus::of(proposal.confirmed_by, proposal.rejected_by) {
        ProposalStatus::Pending => {}
        // The confirmer's retry replays the transfer below; anyone else is told it is done.
        ProposalStatus::Confirmed if proposal.confirmed_by == Some(caller.subject()) => {}
        status => return Err(AccountsError::ProposalSettled(status.code())),
    }
    let ledger_key = IdempotencyKey::parse(&proposal_key(id))
        .map_err(|error| AccountsError::Inconsistent(error.to_string()))?;
    let transfer = parse_transfer(&state, &body, &ledger_key).await?;
    let booked = state
        .ledger
        .submit(TransferRequest {
            scope: PROPOSAL_SCOPE.to_owned(),
            fingerprint: proposal.request_fingerprint.clone(),
            transfer,
            hold: body.hold,
            actor_id: caller.subject(),
            actor_roles: caller.role_names(),
            request_id: imkon_platform::telemetry::current_request_id(),
        })
        .await?;
    let transfer_id = match &booked {
        Booked::Created(record) | Booked::Replayed(record) => record.id,
    };
    if proposal.confirmed_by.is_none() {
        db::proposals::confirm(&mut transaction, id, caller.subject(), transfer_id).await?;
        audit::record(
            &mut transaction,
            AuditEntry {
                actor_id: Some(caller.subject()),
                actor_roles: caller.role_names(),
                action: "transfer_proposal.confirmed",
                subject_type: "transfer_proposal",
                subject_id: id.to_string(),
                before: Some(json!({"status": "pending", "proposed_by": proposal.proposed_by})),
                after: Some(json!({
                    "status": "confirmed",
                    "confirmed_by": caller.subject(),
                    "transfer_id": transfer_id,
                })),
                source_address: None,
            },
        )
        .await?;
    }
    transaction.commit().await?;
    let replayed = proposal.confirmed_by.is_some();
    Ok(booked_response(match booked {
        Booked::Created(record) if replayed => Booked::Replayed(record),
        other => other,
    }))
}

/// Turns a pending proposal down; nothing is booked. Any admin or finance member of staff may,
/// the proposer included (withdrawing it), except staff who are the client owning one of its
/// accounts.
#[utoipa::path(post, path = "/v1/transfer-proposals/{id}/reject", tag = "accounts",
    params(("id" = Uuid, Path, description = "the proposal")),
    security(("bearer" = ["finance", "admin"])),
    responses((status = 200, body = ProposalDto), (status = 401),
              (status = 403, description = "forbidden or own_account"), (status = 404),
              (status = 409, description = "proposal_already_settled")))]
#[tracing::instrument(skip_all, fields(caller = %staff.subject(), proposal = %id))]
pub async fn reject_proposal(
    State(state): State<AppState>,
    staff: Allowed<LedgerStaff>,
    Path(id): Path<Uuid>,
) -> Result<Json<ProposalDto>, AccountsError> {
    let caller = staff.into_caller();
    let mut transaction = state.pool.begin().await?;
    let proposal = db::proposals::lock(&mut transaction, id)
        .await?
        .ok_or(AccountsError::NotFound("transfer proposal"))?;
    refuse_own_accounts(&state, &caller, &proposed_transfer(&proposal)?).await?;
    let status = ProposalStatus::of(proposal.confirmed_by, proposal.rejected_by);
    // A confirmation that booked its transfer but crashed before recording it still moved the
    // money: such a proposal is settled, not rejectable.
    let booked = !db::ledger::transfers_by_keys(
        &mut *transaction,
        &[PROPOSAL_SCOPE.to_owned()],
        &[proposal_key(id)],
    )
    .await?
    .is_empty();
    if status != ProposalStatus::Pending || booked {
        return Err(AccountsError::ProposalSettled(if booked {
            ProposalStatus::Confirmed.code()
        } else {
            status.code()
        }));
    }
    db::proposals::reject(&mut transaction, id, caller.subject()).await?;
    audit::record(
        &mut transaction,
        AuditEntry {
            actor_id: Some(caller.subject()),
            actor_roles: caller.role_names(),
            action: "transfer_proposal.rejected",
            subject_type: "transfer_proposal",
            subject_id: id.to_string(),
            before: Some(json!({"status": "pending", "proposed_by": proposal.proposed_by})),
            after: Some(json!({"status": "rejected", "rejected_by": caller.subject()})),
            source_address: None,
        },
    )
    .await?;
    let rejected = db::proposals::find(&mut *transaction, id)
        .await?
        .ok_or_else(|| AccountsError::Inconsistent(format!("proposal {id} vanished")))?;
    transaction.commit().await?;
    Ok(Json(proposal_dto(&rejected)?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ProposalListQuery {
    /// A previous page's `next_after`.
    pub after: Option<Uuid>,
    /// Proposals per page, at most the service's maximum page size.
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalPage {
    pub items: Vec<ProposalDto>,
    /// Pass as `after` for the next page; null on the last page.
    pub next_after: Option<Uuid>,
}

/// The proposals awaiting a second member of staff, oldest first.
#[utoipa::path(get, path = "/v1/transfer-proposals", tag = "accounts", params(ProposalListQuery),
    security(("bearer" = ["finance", "admin"])),
    responses((status = 200, body = ProposalPage), (status = 401), (status = 403),
              (status = 422, description = "limit_out_of_range")))]
#[tracing::instrument(skip_all, fields(caller = %staff.subject()))]
pub async fn list_proposals(
    State(state): State<AppState>,
    staff: Allowed<LedgerStaff>,
    Query(query): Query<ProposalListQuery>,
) -> Result<Json<ProposalPage>, AccountsError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if limit == 0 || limit > state.limits.max_page_size {
        return Err(invalid(
            "limit",
            "limit_out_of_range",
            format!("between 1 and {}", state.limits.max_page_size),
        ));
    }
    let mut rows =
        db::proposals::list_pending(&state.pool, query.after, i64::from(limit) + 1).await?;
    let next_after = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|row| row.id)
    } else {
        None
    };
    let items = rows
        .iter()
        .map(proposal_dto)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(ProposalPage { items, next_after }))
}
