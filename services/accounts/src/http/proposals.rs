//! Four eyes on staff transfers: a member of staff's `POST /v1/transfers` (or post or void of a
//! hold) records a proposal, and a second, different member of staff confirms it, which books
//! the transfer (or settles the hold, in the confirming transaction).
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
use imkon_platform::config::HttpLimits;
use imkon_platform::id::new_id;
use imkon_platform::idempotency::{self, IdempotencyKey, IDEMPOTENT_REPLAY_HEADER};
use imkon_platform::money::{Currency, Money};
use imkon_platform::problem::{validation_problem, Problem};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidateArgs};

use sqlx::PgConnection;

use super::caller::{Allowed, Caller, LedgerStaff};
use super::holds::{settle, Settlement};
use super::transfers::{
    booked_response, parse_transfer, refuse_own_account_ids, refuse_own_accounts, TransferDto,
    TransferRequestBody,
};
use super::{page_size_within, parse_amount};
use crate::db;
use crate::db::holds::HoldRow;
use crate::db::ledger::TransferRecord;
use crate::db::proposals::{NewProposal, ProposalRow};
use crate::domain::hold::HoldError;
use crate::domain::proposal::{may_confirm, ProposalStatus};
use crate::domain::transfer::TransferKind;
use crate::error::AccountsError;
use crate::events::{self, Movement};
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
    /// transfer (book or hold a new transfer), hold_post or hold_void.
    pub action: String,
    /// pending, confirmed or rejected.
    pub status: String,
    /// The transfer as proposed, for a `transfer` proposal.
    pub transfer: Option<TransferRequestBody>,
    /// The hold (its pending transfer) a hold_post or hold_void settles.
    pub hold_id: Option<Uuid>,
    /// What a hold_post posts; null for all that is held.
    pub amount: Option<String>,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    /// Who confirmed it; never the proposer.
    pub confirmed_by: Option<Uuid>,
    /// Who turned it down.
    pub rejected_by: Option<Uuid>,
    /// The transfer the confirmation of a `transfer` proposal booked.
    pub transfer_id: Option<Uuid>,
}

/// The proposal actions, as stored.
pub(super) const TRANSFER: &str = "transfer";
const HOLD_POST: &str = "hold_post";
const HOLD_VOID: &str = "hold_void";

fn proposal_dto(row: &ProposalRow) -> Result<ProposalDto, AccountsError> {
    let is_transfer = row.action == TRANSFER;
    Ok(ProposalDto {
        id: row.id,
        action: row.action.clone(),
        status: ProposalStatus::of(row.confirmed_by, row.rejected_by)
            .code()
            .to_owned(),
        transfer: if is_transfer {
            Some(proposed_transfer(row)?)
        } else {
            None
        },
        hold_id: row.hold_id,
        amount: row.request["amount"].as_str().map(str::to_owned),
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
    let recorded = record_proposal(
        &mut transaction,
        caller,
        &NewProposal {
            id: new_id(),
            action: TRANSFER,
            hold_id: None,
            request: &request,
            fingerprint: &fingerprint,
            idempotency_key: key.as_str(),
            proposed_by: caller.subject(),
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(recorded.response)
}

/// Records a member of staff's post or void of a pending hold as a proposal (202). Each call
/// is a proposal of its own; once one is confirmed, the others find the hold settled (409).
pub async fn propose_hold_settlement(
    state: &AppState,
    caller: &Caller,
    hold_id: Uuid,
    settlement: &Settlement,
) -> Result<Response, AccountsError> {
    let (action, request) = match settlement {
        Settlement::Post(amount) => (HOLD_POST, json!({"amount": amount})),
        Settlement::Void => (HOLD_VOID, json!({})),
    };
    let mut transaction = state.pool.begin().await?;
    let hold = db::holds::lock_hold(&mut transaction, hold_id)
        .await?
        .ok_or(AccountsError::NotFound("hold"))?;
    refuse_own_account_ids(
        state,
        caller,
        &[hold.debit_account_id, hold.credit_account_id],
    )
    .await?;
    match hold.state.as_str() {
        "posted" => return Err(HoldError::AlreadyPosted.into()),
        "voided" => return Err(HoldError::AlreadyVoided.into()),
        _ => {}
    }
    // The amount is checked now, so that the second member of staff is not asked to confirm a
    // post the hold cannot take.
    let verb = match settlement {
        Settlement::Post(amount) => {
            if let Some(text) = amount {
                refuse_post_beyond_hold(&hold, text)?;
            }
            "post"
        }
        Settlement::Void => "void",
    };
    let canonical = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint =
        idempotency::fingerprint("POST", &format!("/v1/holds/{hold_id}/{verb}"), &canonical);
    let key = new_id().to_string();
    let recorded = record_proposal(
        &mut transaction,
        caller,
        &NewProposal {
            id: new_id(),
            action,
            hold_id: Some(hold_id),
            request: &request,
            fingerprint: &fingerprint,
            idempotency_key: &key,
            proposed_by: caller.subject(),
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(recorded.response)
}

/// Refuses an amount to post that is not a plain positive amount of the hold's currency, or is
/// more than the hold holds.
fn refuse_post_beyond_hold(hold: &HoldRow, text: &str) -> Result<(), AccountsError> {
    let currency: Currency = hold
        .currency
        .parse()
        .map_err(|_| AccountsError::Inconsistent(format!("hold {}: currency", hold.transfer_id)))?;
    let requested = parse_amount("amount", text, currency)?;
    let held = Money::new(hold.amount, currency)
        .map_err(|error| AccountsError::Inconsistent(error.to_string()))?;
    if requested.amount() <= Decimal::ZERO {
        return Err(HoldError::PostAmountNotPositive.into());
    }
    if requested.amount() > held.amount() {
        return Err(HoldError::PostExceedsHold { held, requested }.into());
    }
    Ok(())
}

/// A proposal stored, or found under the proposer's key, with its 202 answer.
pub struct RecordedProposal {
    pub id: Uuid,
    /// False when the proposer's key had made it before: the answer is a replay.
    pub created: bool,
    pub response: Response,
}

/// Stores the proposal (or finds the one under the proposer's key), audits a new one, and
/// answers 202 with it.
pub(super) async fn record_proposal(
    transaction: &mut PgConnection,
    caller: &Caller,
    proposal: &NewProposal<'_>,
) -> Result<RecordedProposal, AccountsError> {
    let (row, created) = db::proposals::insert_or_find(&mut *transaction, proposal).await?;
    if row.request_fingerprint != proposal.fingerprint {
        return Err(AccountsError::IdempotencyKeyReused);
    }
    if created {
        audit::record(
            &mut *transaction,
            AuditEntry {
                actor_id: Some(caller.subject()),
                actor_roles: caller.role_names(),
                action: "transfer_proposal.proposed",
                subject_type: "transfer_proposal",
                subject_id: row.id.to_string(),
                before: None,
                after: Some(json!({
                    "status": "pending",
                    "action": proposal.action,
                    "hold_id": proposal.hold_id,
                    "request": proposal.request,
                })),
                source_address: None,
            },
        )
        .await?;
    }
    let mut response = (StatusCode::ACCEPTED, Json(proposal_dto(&row)?)).into_response();
    if !created {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
    }
    Ok(RecordedProposal {
        id: row.id,
        created,
        response,
    })
}

/// Refuses staff who are the client owning one of the accounts the proposal moves money on.
async fn refuse_own_proposal(
    state: &AppState,
    transaction: &mut PgConnection,
    caller: &Caller,
    proposal: &ProposalRow,
) -> Result<(), AccountsError> {
    match proposal.hold_id {
        None => refuse_own_accounts(state, caller, &proposed_transfer(proposal)?).await,
        Some(hold_id) => {
            let hold = db::holds::lock_hold(transaction, hold_id)
                .await?
                .ok_or_else(|| {
                    AccountsError::Inconsistent(format!("proposal {}: no hold", proposal.id))
                })?;
            refuse_own_account_ids(
                state,
                caller,
                &[hold.debit_account_id, hold.credit_account_id],
            )
            .await
        }
    }
}

/// A second member of staff confirms a proposal, which books its transfer exactly once (or
/// settles its hold). The proposer cannot (four eyes, also a check in the database), nor can
/// staff who are the client owning one of its accounts.
#[utoipa::path(post, path = "/v1/transfer-proposals/{id}/confirm", tag = "accounts",
    params(("id" = Uuid, Path, description = "the proposal"),
           ("Idempotency-Key" = String, Header, description = "a retry replays the booked transfer")),
    security(("bearer" = ["finance", "admin"])),
    responses((status = 200, body = TransferDto, description = "a hold posted or voided; a replay says so in Idempotent-Replayed"),
              (status = 201, body = TransferDto, description = "a transfer booked; a replay says so in Idempotent-Replayed"),
              (status = 401),
              (status = 403, description = "forbidden, own_account, or four_eyes_violation: the proposer cannot confirm"),
              (status = 404),
              (status = 409, description = "proposal_already_settled: confirmed by someone else, or rejected; hold_already_posted or hold_already_voided"),
              (status = 422, description = "insufficient_funds, post_exceeds_hold and the ledger's other refusals; the proposal stays pending")))]
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
    refuse_own_proposal(&state, &mut transaction, &caller, &proposal).await?;
    match ProposalStatus::of(proposal.confirmed_by, proposal.rejected_by) {
        ProposalStatus::Pending => {}
        // The confirmer's retry replays what was booked; anyone else is told it is done.
        ProposalStatus::Confirmed if proposal.confirmed_by == Some(caller.subject()) => {}
        status => return Err(AccountsError::ProposalSettled(status.code())),
    }
    let response = match proposal.hold_id {
        None => confirm_transfer(&state, &mut transaction, &caller, &proposal).await?,
        Some(hold_id) => {
            confirm_hold_settlement(&mut transaction, &caller, &proposal, hold_id).await?
        }
    };
    transaction.commit().await?;
    Ok(response)
}

/// Books a proposed transfer through the ledger writer under the proposal's key, and records
/// the confirmation.
async fn confirm_transfer(
    state: &AppState,
    transaction: &mut PgConnection,
    caller: &Caller,
    proposal: &ProposalRow,
) -> Result<Response, AccountsError> {
    let body = proposed_transfer(proposal)?;
    let ledger_key = IdempotencyKey::parse(&proposal_key(proposal.id))
        .map_err(|error| AccountsError::Inconsistent(error.to_string()))?;
    let transfer = parse_transfer(state, &body, &ledger_key).await?;
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
        record_confirmation(&mut *transaction, caller, proposal, Some(transfer_id)).await?;
        let record = match &booked {
            Booked::Created(record) | Booked::Replayed(record) => record,
        };
        announce_to_clients(transaction, record).await?;
    }
    let replayed = proposal.confirmed_by.is_some();
    Ok(booked_response(match booked {
        Booked::Created(record) if replayed => Booked::Replayed(record),
        other => other,
    }))
}

/// Tells every client whose account a confirmed proposal's transfer moved money on, in the
/// transaction that records the confirmation (so once per proposal): cash paid in at a counter
/// is a `cash_deposit` to the client credited, anything else a `bank_posting`.
async fn announce_to_clients(
    transaction: &mut PgConnection,
    record: &TransferRecord,
) -> Result<(), AccountsError> {
    let mut told = Vec::new();
    for leg in &record.legs {
        let Some(account) =
            db::accounts::find_by_number(&mut *transaction, &leg.account_number).await?
        else {
            continue;
        };
        let Some(client_id) = db::accounts::operator_of(&mut *transaction, &account).await? else {
            continue;
        };
        if told.contains(&client_id) {
            continue;
        }
        told.push(client_id);
        let movement = if record.kind == TransferKind::Deposit.code() && leg.side == "credit" {
            Movement::CashDeposit
        } else {
            Movement::BankPosting
        };
        events::announce_money_moved(&mut *transaction, client_id, movement, record.id).await?;
    }
    Ok(())
}

/// Settles a proposed post or void of a hold in the confirming transaction, so the hold and
/// the proposal are settled together or not at all; the confirmer's retry gets the hold's
/// transfer again (200, Idempotent-Replayed).
async fn confirm_hold_settlement(
    transaction: &mut PgConnection,
    caller: &Caller,
    proposal: &ProposalRow,
    hold_id: Uuid,
) -> Result<Response, AccountsError> {
    if proposal.confirmed_by.is_some() {
        let mut records = db::ledger::load_transfers(&mut *transaction, &[hold_id]).await?;
        let record = records
            .remove(&hold_id)
            .ok_or_else(|| AccountsError::Inconsistent(format!("hold {hold_id} vanished")))?;
        let mut response = Json(TransferDto::from(&record)).into_response();
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
        return Ok(response);
    }
    let settlement = match proposal.action.as_str() {
        HOLD_POST => Settlement::Post(proposal.request["amount"].as_str().map(str::to_owned)),
        HOLD_VOID => Settlement::Void,
        other => {
            return Err(AccountsError::Inconsistent(format!(
                "proposal {}: action {other} with a hold",
                proposal.id
            )))
        }
    };
    let transfer = settle(&mut *transaction, &caller.into(), hold_id, settlement).await?;
    record_confirmation(transaction, caller, proposal, None).await?;
    Ok(Json(transfer).into_response())
}

/// Marks the proposal confirmed and audits it with both people.
async fn record_confirmation(
    transaction: &mut PgConnection,
    caller: &Caller,
    proposal: &ProposalRow,
    transfer_id: Option<Uuid>,
) -> Result<(), AccountsError> {
    db::proposals::confirm(
        &mut *transaction,
        proposal.id,
        caller.subject(),
        transfer_id,
    )
    .await?;
    audit::record(
        transaction,
        AuditEntry {
            actor_id: Some(caller.subject()),
            actor_roles: caller.role_names(),
            action: "transfer_proposal.confirmed",
            subject_type: "transfer_proposal",
            subject_id: proposal.id.to_string(),
            before: Some(json!({
                "status": "pending",
                "action": proposal.action,
                "proposed_by": proposal.proposed_by,
            })),
            after: Some(json!({
                "status": "confirmed",
                "confirmed_by": caller.subject(),
                "transfer_id": transfer_id.or(proposal.hold_id),
            })),
            source_address: None,
        },
    )
    .await?;
    Ok(())
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
    refuse_own_proposal(&state, &mut transaction, &caller, &proposal).await?;
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

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[validate(context = HttpLimits)]
pub struct ProposalListQuery {
    /// A previous page's `next_after`.
    pub after: Option<Uuid>,
    /// Proposals per page, at most the service's maximum page size.
    #[validate(custom(function = page_size_within, use_context))]
    #[param(minimum = 1)]
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
    query
        .validate_with_args(&state.limits)
        .map_err(|errors| validation_problem(&errors))?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
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
