//! Transfers: the bank's services move money between accounts; finance and admin staff
//! propose transfers, which a second member of staff confirms (see [`super::proposals`]).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_platform::idempotency::{self, IdempotencyKey, IDEMPOTENT_REPLAY_HEADER};
use imkon_platform::money::{parse_decimal_literal, Currency};
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::caller::{Allowed, Caller, LedgerOperator};
use super::proposals::{propose_transfer, ProposalDto};
use super::{amount_text, invalid, parse_account_number, ACCOUNT_NUMBER_CHARS, MAX_AMOUNT_CHARS};
use crate::db;
use crate::db::ledger::TransferRecord;
use crate::domain::account::{AccountId, Side};
use crate::domain::transfer::{
    LegDraft, Transfer, TransferDraft, TransferKind, TransferViolations, MAX_LEGS,
    MAX_REFERENCE_CHARS,
};
use crate::error::AccountsError;
use crate::ledger::{Booked, TransferRequest, LEDGER_SCOPE};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/transfers", post(create_transfer))
}

/// The domain's limits on a transfer, as `validator` takes them (a `u64`), so the DTO declares
/// the same figures the domain keeps.
const MAX_REFERENCE_CHARS_DECLARED: u64 = MAX_REFERENCE_CHARS as u64;
const MAX_LEGS_DECLARED: u64 = MAX_LEGS as u64;

/// One leg as sent. The sizes are bounded here; what the number and the amount mean is the
/// domain's to parse.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct LegRequest {
    /// The 20-digit account number.
    #[validate(length(
        equal = ACCOUNT_NUMBER_CHARS,
        code = "account_number_wrong_length"
    ))]
    #[schema(min_length = 20, max_length = 20)]
    pub account: String,
    /// debit or credit.
    pub side: String,
    /// A positive decimal with at most the currency's minor digits, such as "100.00".
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: String,
}

/// A transfer as sent. The number of legs is bounded here, so a request cannot make the
/// service parse and look up an unbounded number of accounts; that a transfer has at least two
/// legs, balanced, is the double-entry rule the domain keeps.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TransferRequestBody {
    /// disbursement, repayment, client_transfer, reversal, adjustment, deposit or withdrawal.
    pub kind: String,
    /// What the transfer is for, such as `tranche:<uuid>`; not blank and without control
    /// characters (the domain's rules).
    #[validate(length(min = 1, max = MAX_REFERENCE_CHARS_DECLARED, code = "reference_length"))]
    #[schema(min_length = 1, max_length = 255)]
    pub reference: String,
    pub currency: String,
    #[validate(length(max = MAX_LEGS_DECLARED, code = "too_many_legs"), nested)]
    #[schema(max_items = 32)]
    pub legs: Vec<LegRequest>,
    /// Place a hold (a pending transfer) instead of booking it now.
    #[serde(default)]
    pub hold: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LegDto {
    pub account: String,
    pub side: String,
    pub amount: String,
    /// The account's posted balance after this entry; null while a hold is pending.
    pub balance_after: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferDto {
    pub id: Uuid,
    pub kind: String,
    pub reference: String,
    pub currency: String,
    /// posted, pending (a hold) or voided.
    pub status: String,
    pub legs: Vec<LegDto>,
    pub created_at: DateTime<Utc>,
}

impl From<&TransferRecord> for TransferDto {
    fn from(record: &TransferRecord) -> TransferDto {
        TransferDto {
            id: record.id,
            kind: record.kind.clone(),
            reference: record.reference.clone(),
            currency: record.currency.clone(),
            status: record.status.clone(),
            legs: record
                .legs
                .iter()
                .map(|leg| LegDto {
                    account: leg.account_number.clone(),
                    side: leg.side.clone(),
                    amount: amount_text(leg.amount),
                    balance_after: leg.balance_after.map(amount_text),
                })
                .collect(),
            created_at: record.created_at,
        }
    }
}

/// The 201 answer to a booking; a replay says so in the `Idempotent-Replayed` header.
pub fn booked_response(booked: Booked) -> Response {
    let (record, replayed) = match booked {
        Booked::Created(record) => (record, false),
        Booked::Replayed(record) => (record, true),
    };
    let mut response = (StatusCode::CREATED, Json(TransferDto::from(&record))).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
    }
    response
}

/// Parses the body into a domain transfer: numbers checked, accounts found, legs validated.
pub(super) async fn parse_transfer(
    state: &AppState,
    body: &TransferRequestBody,
    key: &IdempotencyKey,
) -> Result<Transfer, AccountsError> {
    let kind: TransferKind = body
        .kind
        .parse()
        .map_err(|violation| AccountsError::Violations(TransferViolations(vec![violation])))?;
    let currency: Currency = body
        .currency
        .parse()
        .map_err(|_| invalid("currency", "unknown_currency", "UZS, USD or EUR"))?;
    let mut numbers = Vec::with_capacity(body.legs.len());
    let mut parsed_legs = Vec::with_capacity(body.legs.len());
    for (index, leg) in body.legs.iter().enumerate() {
        let number = parse_account_number(state, &format!("legs[{index}].account"), &leg.account)?;
        let side = match leg.side.as_str() {
            "debit" => Side::Debit,
            "credit" => Side::Credit,
            _ => {
                return Err(invalid(
                    &format!("legs[{index}].side"),
                    "unknown_side",
                    "debit or credit",
                ))
            }
        };
        let amount = parse_decimal_literal(&leg.amount).map_err(|_| {
            invalid(
                &format!("legs[{index}].amount"),
                "not_an_amount",
                "a plain decimal such as 100.00",
            )
        })?;
        numbers.push(number.to_string());
        parsed_legs.push((side, amount));
    }
    let ids = state.account_ids.resolve(&state.pool, &numbers).await?;
    let mut legs = Vec::with_capacity(parsed_legs.len());
    for (index, (number, (side, amount))) in numbers.iter().zip(parsed_legs).enumerate() {
        let account_id = ids
            .get(number)
            .ok_or_else(|| AccountsError::UnknownAccount {
                field: format!("legs[{index}].account"),
            })?;
        legs.push(LegDraft {
            account_id: AccountId::from_uuid(*account_id),
            side,
            amount,
            currency,
        });
    }
    Ok(Transfer::validate(&TransferDraft {
        idempotency_key: key.as_str().to_owned(),
        kind,
        reference: body.reference.clone(),
        legs,
    })?)
}

/// The client a member of staff also is, if any: such staff move no money of their own
/// company's accounts; someone else at the bank must.
fn staff_client_id(caller: &Caller) -> Option<Uuid> {
    caller
        .principal()
        .client_id()
        .filter(|_| !caller.principal().is_service())
}

fn own_account() -> AccountsError {
    Problem::forbidden(
        "own_account",
        "staff may not move money of their own company's accounts",
    )
    .into()
}

/// Refuses staff who are the client owning one of the transfer's accounts, or operating it for
/// their company.
pub(super) async fn refuse_own_accounts(
    state: &AppState,
    caller: &Caller,
    body: &TransferRequestBody,
) -> Result<(), AccountsError> {
    let Some(client_id) = staff_client_id(caller) else {
        return Ok(());
    };
    let numbers: Vec<String> = body.legs.iter().map(|leg| leg.account.clone()).collect();
    if db::accounts::any_owned_by(&state.pool, &numbers, client_id).await? {
        return Err(own_account());
    }
    Ok(())
}

/// Refuses staff who are the client owning (or, for their company, operating) one of the
/// accounts with these ids (a hold's).
pub(super) async fn refuse_own_account_ids(
    state: &AppState,
    caller: &Caller,
    ids: &[Uuid],
) -> Result<(), AccountsError> {
    let Some(client_id) = staff_client_id(caller) else {
        return Ok(());
    };
    if db::accounts::any_id_owned_by(&state.pool, ids, client_id).await? {
        return Err(own_account());
    }
    Ok(())
}

/// Books a balanced transfer (or places a hold), all legs or none. A service books at once; a
/// member of staff only proposes it (202), and a second member of staff confirms it with
/// `POST /v1/transfer-proposals/{id}/confirm` (four eyes).
#[utoipa::path(post, path = "/v1/transfers", tag = "accounts", request_body = TransferRequestBody,
    params(("Idempotency-Key" = String, Header, description = "the same key never moves money twice")),
    security(("bearer" = ["finance", "admin", "service"])),
    responses((status = 201, body = TransferDto, description = "booked (a service's transfer)"),
              (status = 202, body = ProposalDto, description = "proposed (a member of staff's transfer); another member of staff confirms it"),
              (status = 401), (status = 403, description = "forbidden or own_account"),
              (status = 404, description = "unknown_account"),
              (status = 422, description = "insufficient_funds, unbalanced_transfer, currency_mismatch, too_many_decimals, validation_failed, idempotency_key_reused")))]
#[tracing::instrument(skip_all, fields(caller = %operator.subject(), key = %key.as_str()))]
pub async fn create_transfer(
    State(state): State<AppState>,
    operator: Allowed<LedgerOperator>,
    key: IdempotencyKey,
    ValidatedJson(body): ValidatedJson<TransferRequestBody>,
) -> Result<Response, AccountsError> {
    let caller = operator.into_caller();
    refuse_own_accounts(&state, &caller, &body).await?;
    let transfer = parse_transfer(&state, &body, &key).await?;
    let canonical = serde_json::to_vec(&body).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/transfers", &canonical);
    if !caller.principal().is_service() {
        return propose_transfer(&state, &caller, &key, &body, fingerprint).await;
    }
    let booked = state
        .ledger
        .submit(TransferRequest {
            scope: LEDGER_SCOPE.to_owned(),
            fingerprint,
            transfer,
            hold: body.hold,
            actor_id: caller.subject(),
            actor_roles: caller.role_names(),
            request_id: imkon_platform::telemetry::current_request_id(),
        })
        .await?;
    Ok(booked_response(booked))
}
