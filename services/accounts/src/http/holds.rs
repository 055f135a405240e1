//! Holds: post a pending transfer (in full or in part) or void it, exactly once. A service
//! settles a hold at once; a member of staff only proposes it, and a second member of staff
//! confirms (see [`super::proposals`]).
//!
//! Settling runs in one short transaction (its own, or the one confirming a staff proposal):
//! it locks the hold's row, then its two accounts in ascending id order (the ledger writer's
//! order), so it can neither deadlock with the writer nor settle a hold twice.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::SubsecRound;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::now_utc;
use imkon_platform::money::{Currency, Money};
use imkon_platform::problem::validation_problem;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::caller::{Allowed, Caller, LedgerOperator};
use super::proposals::{propose_hold_settlement, ProposalDto};
use super::transfers::TransferDto;
use super::{invalid, parse_amount, MAX_AMOUNT_CHARS};
use crate::db;
use crate::db::holds::HoldRow;
use crate::db::ledger::BatchWrites;
use crate::domain::account::{AccountId, AccountKind, Side};
use crate::domain::hold::{release, Hold, HoldState};
use crate::domain::posting::{apply_postings, plan_postings, AccountState, AccountStates};
use crate::domain::transfer::{IdempotencyKey, LegDraft, Transfer, TransferDraft, TransferKind};
use crate::error::AccountsError;
use crate::AppState;
use sqlx::PgConnection;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/holds/{transfer_id}/post", post(post_hold))
        .route("/v1/holds/{transfer_id}/void", post(void_hold))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate, Default)]
#[serde(deny_unknown_fields)]
pub struct PostHoldRequest {
    /// What to post, at most what is held; the whole hold when left out.
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: Option<String>,
}

/// Posts a pending hold: books its transfer for the amount (all or part of what is held) and
/// releases the reservation. A second post or void is a 409. A member of staff only proposes
/// it (202); a second member of staff confirms it.
#[utoipa::path(post, path = "/v1/holds/{transfer_id}/post", tag = "accounts",
    params(("transfer_id" = Uuid, Path, description = "the pending transfer")),
    request_body(content = PostHoldRequest, description = "optional; an empty body posts everything held"),
    security(("bearer" = ["finance", "admin", "service"])),
    responses((status = 200, body = TransferDto, description = "posted (a service)"),
              (status = 202, body = ProposalDto, description = "proposed (a member of staff); another member of staff confirms it"),
              (status = 401), (status = 403, description = "forbidden or own_account"), (status = 404),
              (status = 409, description = "hold_already_posted or hold_already_voided"),
              (status = 422, description = "post_exceeds_hold, insufficient_funds, too_many_decimals")))]
#[tracing::instrument(skip_all, fields(caller = %operator.subject(), hold = %transfer_id))]
pub async fn post_hold(
    State(state): State<AppState>,
    operator: Allowed<LedgerOperator>,
    Path(transfer_id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, AccountsError> {
    let caller = operator.into_caller();
    // The body is optional, so it is read by hand rather than by `ValidatedJson`; its limits
    // are still the ones the DTO declares.
    let request: PostHoldRequest = if body.iter().all(u8::is_ascii_whitespace) {
        PostHoldRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|error| invalid("amount", "invalid_body", error.to_string()))?
    };
    request
        .validate()
        .map_err(|errors| validation_problem(&errors))?;
    let settlement = Settlement::Post(request.amount);
    if !caller.principal().is_service() {
        return propose_hold_settlement(&state, &caller, transfer_id, &settlement).await;
    }
    settle_now(&state, &caller, transfer_id, settlement).await
}

/// Voids a pending hold, releasing everything it reserved. A second post or void is a 409. A
/// member of staff only proposes it (202); a second member of staff confirms it.
#[utoipa::path(post, path = "/v1/holds/{transfer_id}/void", tag = "accounts",
    params(("transfer_id" = Uuid, Path, description = "the pending transfer")),
    security(("bearer" = ["finance", "admin", "service"])),
    responses((status = 200, body = TransferDto, description = "voided (a service)"),
              (status = 202, body = ProposalDto, description = "proposed (a member of staff); another member of staff confirms it"),
              (status = 401), (status = 403, description = "forbidden or own_account"), (status = 404),
              (status = 409, description = "hold_already_posted or hold_already_voided")))]
#[tracing::instrument(skip_all, fields(caller = %operator.subject(), hold = %transfer_id))]
pub async fn void_hold(
    State(state): State<AppState>,
    operator: Allowed<LedgerOperator>,
    Path(transfer_id): Path<Uuid>,
) -> Result<Response, AccountsError> {
    let caller = operator.into_caller();
    if !caller.principal().is_service() {
        return propose_hold_settlement(&state, &caller, transfer_id, &Settlement::Void).await;
    }
    settle_now(&state, &caller, transfer_id, Settlement::Void).await
}

/// Settles a hold in a transaction of its own and answers 200 with its transfer.
async fn settle_now(
    state: &AppState,
    caller: &Caller,
    transfer_id: Uuid,
    settlement: Settlement,
) -> Result<Response, AccountsError> {
    let mut transaction = state.pool.begin().await?;
    let transfer = settle(&mut transaction, &caller.into(), transfer_id, settlement).await?;
    transaction.commit().await?;
    Ok(Json(transfer).into_response())
}

/// What settling a hold does: post it (all of it, or the amount given) or void it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Post(Option<String>),
    Void,
}

/// Rebuilds the domain hold from its row and the locked states of its accounts.
fn restore_hold(row: &HoldRow, states: &AccountStates) -> Result<Hold, AccountsError> {
    let inconsistent =
        |what: String| AccountsError::Inconsistent(format!("hold {}: {what}", row.transfer_id));
    let currency: Currency = row
        .currency
        .parse()
        .map_err(|error| inconsistent(format!("{error}")))?;
    let kind: TransferKind = row
        .kind
        .parse()
        .map_err(|error| inconsistent(format!("{error}")))?;
    let leg = |account: Uuid, side: Side| LegDraft {
        account_id: AccountId::from_uuid(account),
        side,
        amount: row.amount,
        currency,
    };
    let transfer = Transfer::validate(&TransferDraft {
        idempotency_key: row.idempotency_key.clone(),
        kind,
        reference: row.reference.clone(),
        legs: vec![
            leg(row.debit_account_id, Side::Debit),
            leg(row.credit_account_id, Side::Credit),
        ],
    })
    .map_err(|error| inconsistent(error.to_string()))?;
    // A hold reserved the amount on each account its transfer reduces: the legs against the
    // account's normal side.
    let reservations = transfer
        .legs()
        .iter()
        .filter(|leg| {
            states
                .get(&leg.account_id())
                .is_some_and(|account| account.normal_side() != leg.side())
        })
        .map(|leg| (leg.account_id(), leg.amount()))
        .collect();
    let money =
        |amount| Money::new(amount, currency).map_err(|error| inconsistent(format!("{error}")));
    let hold_state = match (row.state.as_str(), row.posted_amount) {
        ("pending", None) => HoldState::Pending,
        ("voided", None) => HoldState::Voided,
        ("posted", Some(amount)) => HoldState::Posted {
            amount: money(amount)?,
        },
        (other, _) => return Err(inconsistent(format!("state {other}"))),
    };
    Ok(Hold::restore(transfer, reservations, hold_state)?)
}

/// Who settles a hold, as the audit trail names them.
#[derive(Debug, Clone)]
pub struct Settler {
    pub id: Uuid,
    pub roles: Vec<String>,
}

impl From<&Caller> for Settler {
    fn from(caller: &Caller) -> Settler {
        Settler {
            id: caller.subject(),
            roles: caller.role_names(),
        }
    }
}

/// Settles a hold inside the caller's transaction (a service's own, the one that confirms a
/// staff proposal, so the proposal is marked confirmed in the same commit, or a bill payment's
/// once its billing system answered).
pub async fn settle(
    transaction: &mut PgConnection,
    settler: &Settler,
    transfer_id: Uuid,
    settlement: Settlement,
) -> Result<TransferDto, AccountsError> {
    let row = db::holds::lock_hold(&mut *transaction, transfer_id)
        .await?
        .ok_or(AccountsError::NotFound("hold"))?;
    let mut lock_order = vec![row.debit_account_id, row.credit_account_id];
    lock_order.sort();
    let locked = db::ledger::lock_accounts(&mut *transaction, &lock_order).await?;
    let mut states = AccountStates::new();
    for account in &locked {
        let kind: AccountKind = account.kind.parse()?;
        let currency: Currency = account
            .currency
            .parse()
            .map_err(|_| AccountsError::Inconsistent(format!("account {} currency", account.id)))?;
        let money = |amount| {
            Money::new(amount, currency)
                .map_err(|error| AccountsError::Inconsistent(error.to_string()))
        };
        let account_state = AccountState::new(
            currency,
            kind.normal_side(),
            account.allow_negative,
            money(account.posted_balance)?,
            money(account.pending_holds)?,
        )
        .map_err(|error| AccountsError::Inconsistent(error.to_string()))?;
        states.insert(AccountId::from_uuid(account.id), account_state);
    }
    let starting_states = states.clone();
    let mut hold = restore_hold(&row, &states)?;
    let settled_at = now_utc().trunc_subsecs(6);

    let mut writes = BatchWrites::default();
    let (action, posted_amount) = match settlement {
        Settlement::Post(amount_text) => {
            let held = hold.held();
            let amount = match amount_text {
                Some(text) => parse_amount("amount", &text, held.currency())?,
                None => held,
            };
            let key = IdempotencyKey::parse(&format!("hold-post:{transfer_id}"))
                .map_err(|error| AccountsError::Inconsistent(error.to_string()))?;
            let posting = hold.post(amount, key)?;
            release(&mut states, &posting.released);
            let postings = plan_postings(&posting.transfer, &states)?;
            apply_postings(&mut states, &postings);
            let entries = &mut writes.entries;
            for entry in &postings {
                entries.transfer_id.push(transfer_id);
                entries.leg_index.push(
                    i16::try_from(entry.leg_index())
                        .expect("a hold has two legs, so its leg index fits"),
                );
                entries.account_id.push(entry.account_id().as_uuid());
                entries.side.push(entry.side().code().to_owned());
                entries.amount.push(entry.amount().amount());
                entries.balance_after.push(entry.balance_after().amount());
            }
            ("hold.posted", Some(amount.amount()))
        }
        Settlement::Void => {
            let released = hold.void()?;
            release(&mut states, &released);
            ("hold.voided", None)
        }
    };
    let new_state = hold.state().code();
    db::holds::settle(
        &mut *transaction,
        transfer_id,
        new_state,
        posted_amount,
        settled_at,
    )
    .await?;

    for (id, account) in &states {
        if starting_states.get(id) != Some(account) {
            writes.balances.id.push(id.as_uuid());
            writes
                .balances
                .posted_balance
                .push(account.posted_balance().amount());
            writes
                .balances
                .pending_holds
                .push(account.pending_holds().amount());
        }
    }
    db::ledger::write_batch(&mut *transaction, &writes, settled_at).await?;
    audit::record(
        &mut *transaction,
        AuditEntry {
            actor_id: Some(settler.id),
            actor_roles: settler.roles.clone(),
            action,
            subject_type: "transfer",
            subject_id: transfer_id.to_string(),
            before: Some(json!({"status": "pending", "held": row.amount.to_string()})),
            after: Some(json!({
                "status": new_state,
                "posted_amount": posted_amount.map(|amount| amount.to_string()),
            })),
            source_address: None,
        },
    )
    .await?;
    let mut records = db::ledger::load_transfers(&mut *transaction, &[transfer_id]).await?;
    let record = records
        .remove(&transfer_id)
        .ok_or_else(|| AccountsError::Inconsistent(format!("transfer {transfer_id} vanished")))?;
    Ok(TransferDto::from(&record))
}
