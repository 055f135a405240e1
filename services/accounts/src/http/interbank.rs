//! Payments to other banks over HTTP (see [`crate::interbank`]): a client pays an account at
//! another bank by its number and the bank's code (MFO), the number's check digit checked
//! against that code, and follows the payment through accepted, sent, settled or returned.
//! Finance reads the clearing batches and hands in the clearing's incoming files.
//!
//! A payment is written down under the client's Idempotency-Key before its money is held, so
//! a retry with the key answers with it (holding its money if that is still to do); the same
//! key with another request is refused.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{BankClient, Finance, RequireRole};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::new_id;
use imkon_platform::idempotency::{self, IdempotencyKey, IDEMPOTENT_REPLAY_HEADER};
use imkon_platform::money::Currency;
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::holds::Settler;
use super::me::sent_today;
use super::{amount_text, client_of, invalid, lock_paying_account, parse_amount};
use super::{ACCOUNT_NUMBER_CHARS, MAX_AMOUNT_CHARS};
use crate::clearing::IncomingFile;
use crate::db;
use crate::db::interbank::{BatchRow, InterbankPaymentRow, NewInterbankPayment};
use crate::domain::account_number::{AccountNumber, BankCode};
use crate::error::AccountsError;
use crate::interbank::{hold_accepted, receive_file, IncomingReport};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/me/interbank-payments",
            post(pay_other_bank).get(my_payments),
        )
        .route("/v1/me/interbank-payments/{id}", get(my_payment))
        .route("/v1/clearing/batches", get(list_batches))
        .route("/v1/clearing/incoming-files", post(receive_incoming_file))
}

/// How many payments, and batches, a list shows.
const LIST_LIMIT: i64 = 100;

/// The longest incoming file accepted, in characters (about 10 000 records).
const MAX_FILE_CHARS: u64 = 2_000_000;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct InterbankPaymentRequest {
    /// One of the client's own open current accounts in sums.
    #[validate(length(equal = ACCOUNT_NUMBER_CHARS, code = "account_number_wrong_length"))]
    #[schema(min_length = 20, max_length = 20)]
    pub from_account: String,
    /// The recipient's bank code (MFO), five digits.
    #[validate(length(equal = 5, code = "invalid_bank_code"))]
    #[schema(min_length = 5, max_length = 5)]
    pub to_bank: String,
    /// The recipient's account at that bank, twenty digits.
    #[validate(length(equal = ACCOUNT_NUMBER_CHARS, code = "account_number_wrong_length"))]
    #[schema(min_length = 20, max_length = 20)]
    pub to_account: String,
    #[validate(length(min = 1, max = 100, code = "recipient_name_length"))]
    #[schema(min_length = 1, max_length = 100)]
    pub recipient_name: String,
    #[validate(length(min = 1, max = 140, code = "purpose_length"))]
    #[schema(min_length = 1, max_length = 140)]
    pub purpose: String,
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterbankPaymentDto {
    pub id: Uuid,
    pub from_account: String,
    pub to_bank: String,
    pub to_account: String,
    pub recipient_name: String,
    pub purpose: String,
    pub amount: String,
    pub currency: String,
    /// accepted (held, waiting for the next cut-off), sent (in a batch at the clearing),
    /// settled (the money left the bank), returned (sent back; the money is free again) or
    /// refused (the money was not there).
    pub state: String,
    /// Why it was returned or refused.
    pub reason: Option<String>,
    pub accepted_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<&InterbankPaymentRow> for InterbankPaymentDto {
    fn from(row: &InterbankPaymentRow) -> InterbankPaymentDto {
        InterbankPaymentDto {
            id: row.id,
            from_account: row.from_account_number.clone(),
            to_bank: row.to_bank.clone(),
            to_account: row.to_account.clone(),
            recipient_name: row.recipient_name.clone(),
            purpose: row.purpose.clone(),
            amount: amount_text(row.amount),
            currency: row.currency.clone(),
            state: row.state.clone(),
            reason: row.return_reason.clone(),
            accepted_at: row.accepted_at,
            sent_at: row.sent_at,
            decided_at: row.decided_at,
        }
    }
}

fn settler_of<R>(person: &RequireRole<R>) -> Settler {
    Settler {
        id: person.subject(),
        roles: person
            .roles()
            .map(|role| role.as_str().to_owned())
            .collect(),
    }
}

fn insufficient_funds() -> AccountsError {
    AccountsError::Problem(
        Problem::unprocessable(
            "insufficient_funds",
            "The account does not hold enough money.",
        )
        .with_field_error(
            "amount",
            "insufficient_funds",
            "more than the account holds",
        ),
    )
}

/// The answer to a payment request: 201 with the payment once its money is held, or the
/// refusal.
fn answer(payment: &InterbankPaymentRow, replayed: bool) -> Result<Response, AccountsError> {
    if payment.state == "refused" {
        return Err(match payment.return_reason.as_deref() {
            Some("insufficient_funds") => insufficient_funds(),
            other => AccountsError::Problem(Problem::conflict(
                other.unwrap_or("refused").to_owned(),
                "The payment could not be accepted.",
            )),
        });
    }
    let mut response = (
        StatusCode::CREATED,
        Json(InterbankPaymentDto::from(payment)),
    )
        .into_response();
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Pays an account at another bank from one of the client's current accounts in sums.
#[utoipa::path(post, path = "/v1/me/interbank-payments", tag = "accounts", request_body = InterbankPaymentRequest,
    params(("Idempotency-Key" = String, Header, description = "one key per payment")),
    security(("bearer" = ["client"])),
    responses((status = 201, body = InterbankPaymentDto, description = "accepted: the money is held until the clearing settles it"),
              (status = 401), (status = 403),
              (status = 404, description = "unknown_account"),
              (status = 409, description = "account_closed"),
              (status = 422, description = "daily_limit_exceeded, invalid_bank_code, same_bank, invalid_account_number (the check digit does not match the bank code), currency_not_cleared, currency_mismatch, insufficient_funds, not_an_amount, too_many_decimals, idempotency_key_reused")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn pay_other_bank(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    key: IdempotencyKey,
    ValidatedJson(request): ValidatedJson<InterbankPaymentRequest>,
) -> Result<Response, AccountsError> {
    let client_id = client_of(&founder)?;
    let canonical = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/me/interbank-payments", &canonical);
    let settler = settler_of(&founder);

    let mut transaction = state.pool.begin().await?;
    if let Some(earlier) =
        db::interbank::lock_by_key(&mut transaction, client_id, key.as_str()).await?
    {
        if earlier.fingerprint != fingerprint {
            return Err(AccountsError::IdempotencyKeyReused);
        }
        if earlier.state == "accepted" && earlier.hold_transfer_id.is_none() {
            hold_accepted(&mut transaction, &state, &earlier, &settler).await?;
            transaction.commit().await?;
        }
        let payment = db::interbank::find(&state.pool, earlier.id)
            .await?
            .ok_or(AccountsError::NotFound("interbank payment"))?;
        return answer(&payment, true);
    }

    let to_bank = BankCode::parse(&request.to_bank)
        .map_err(|_| invalid("to_bank", "invalid_bank_code", "five digits"))?;
    if to_bank == state.bank {
        return Err(invalid(
            "to_bank",
            "same_bank",
            "this account is at this bank: send a transfer within the bank",
        ));
    }
    let to_account = AccountNumber::parse(&request.to_account, to_bank).map_err(|error| {
        invalid(
            "to_account",
            "invalid_account_number",
            format!("not an account number at bank {}: {error}", request.to_bank),
        )
    })?;
    if to_account.currency() != Currency::Uzs {
        return Err(invalid(
            "to_account",
            "currency_not_cleared",
            "the clearing pays accounts in sums only",
        ));
    }
    let recipient_name = request.recipient_name.trim();
    let purpose = request.purpose.trim();
    if recipient_name.is_empty() {
        return Err(invalid(
            "recipient_name",
            "recipient_name_length",
            "required",
        ));
    }
    if purpose.is_empty() {
        return Err(invalid("purpose", "purpose_length", "required"));
    }
    let amount = parse_amount("amount", &request.amount, Currency::Uzs)?;
    if !amount.is_positive() {
        return Err(invalid("amount", "not_positive", "more than zero"));
    }
    let from = lock_paying_account(
        &mut transaction,
        &state,
        client_id,
        &request.from_account,
        amount,
        "amount",
    )
    .await?;
    // A payment to another bank counts towards the client's daily limit as any transfer of
    // theirs does; the source account's row lock above serialises a client's payments from it.
    let now = state.calendar.now();
    let sent = sent_today(
        &mut *transaction,
        &state.calendar,
        client_id,
        Currency::Uzs,
        now,
    )
    .await?;
    let limit = state.client_transfer_policy.daily_limit(Currency::Uzs);
    if sent.amount() + amount.amount() > limit.amount() {
        return Err(AccountsError::Problem(
            Problem::unprocessable(
                "daily_limit_exceeded",
                format!(
                    "Today's payments would pass the daily limit of {} UZS.",
                    amount_text(limit.amount())
                ),
            )
            .with_field_error("amount", "daily_limit_exceeded", "above today's limit"),
        ));
    }
    let id = new_id();
    let inserted = db::interbank::insert_payment(
        &mut transaction,
        &NewInterbankPayment {
            id,
            client_id,
            idempotency_key: key.as_str(),
            fingerprint: &fingerprint,
            from_account_id: from.id,
            to_bank: &request.to_bank,
            to_account: &to_account.to_string(),
            recipient_name,
            purpose,
            amount: amount.amount(),
            accepted_at: now,
        },
    )
    .await?;
    if !inserted {
        return Err(AccountsError::Problem(Problem::conflict(
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key has not finished; retry shortly.",
        )));
    }
    audit::record(
        &mut transaction,
        AuditEntry {
            actor_id: Some(settler.id),
            actor_roles: settler.roles.clone(),
            action: "interbank_payment.accepted",
            subject_type: "interbank_payment",
            subject_id: id.to_string(),
            before: None,
            after: Some(json!({
                "from_account": from.number,
                "to_bank": request.to_bank,
                "to_account": to_account.to_string(),
                "amount": amount_text(amount.amount()),
            })),
            source_address: None,
        },
    )
    .await?;
    transaction.commit().await?;

    let mut transaction = state.pool.begin().await?;
    let payment = db::interbank::lock_by_key(&mut transaction, client_id, key.as_str())
        .await?
        .ok_or(AccountsError::NotFound("interbank payment"))?;
    if payment.state == "accepted" && payment.hold_transfer_id.is_none() {
        hold_accepted(&mut transaction, &state, &payment, &settler).await?;
        transaction.commit().await?;
    }
    let payment = db::interbank::find(&state.pool, id)
        .await?
        .ok_or(AccountsError::NotFound("interbank payment"))?;
    answer(&payment, false)
}

/// The signed-in client's payments to other banks, newest first (the latest hundred).
#[utoipa::path(get, path = "/v1/me/interbank-payments", tag = "accounts",
    security(("bearer" = ["client"])),
    responses((status = 200, body = [InterbankPaymentDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn my_payments(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<InterbankPaymentDto>>, AccountsError> {
    let client_id = client_of(&founder)?;
    let rows = db::interbank::list_for_client(&state.pool, client_id, LIST_LIMIT).await?;
    Ok(Json(rows.iter().map(InterbankPaymentDto::from).collect()))
}

/// One of the signed-in client's payments to other banks.
#[utoipa::path(get, path = "/v1/me/interbank-payments/{id}", tag = "accounts",
    params(("id" = Uuid, Path, description = "the payment")),
    security(("bearer" = ["client"])),
    responses((status = 200, body = InterbankPaymentDto), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), payment = %id))]
pub async fn my_payment(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(id): Path<Uuid>,
) -> Result<Json<InterbankPaymentDto>, AccountsError> {
    let client_id = client_of(&founder)?;
    let payment = db::interbank::find(&state.pool, id)
        .await?
        .filter(|payment| payment.client_id == client_id)
        .ok_or(AccountsError::NotFound("interbank payment"))?;
    Ok(Json(InterbankPaymentDto::from(&payment)))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchDto {
    pub id: Uuid,
    pub cut_off_at: DateTime<Utc>,
    pub payments: i32,
    pub total: String,
    /// formed, sent or settled.
    pub state: String,
    pub formed_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
}

impl From<&BatchRow> for BatchDto {
    fn from(row: &BatchRow) -> BatchDto {
        BatchDto {
            id: row.id,
            cut_off_at: row.cut_off_at,
            payments: row.payments,
            total: amount_text(row.total),
            state: row.state.clone(),
            formed_at: row.formed_at,
            sent_at: row.sent_at,
            settled_at: row.settled_at,
        }
    }
}

/// The latest clearing batches, newest first.
#[utoipa::path(get, path = "/v1/clearing/batches", tag = "accounts",
    security(("bearer" = ["finance"])),
    responses((status = 200, body = [BatchDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %finance.subject()))]
pub async fn list_batches(
    State(state): State<AppState>,
    finance: RequireRole<Finance>,
) -> Result<Json<Vec<BatchDto>>, AccountsError> {
    let rows = db::interbank::list_batches(&state.pool, LIST_LIMIT).await?;
    Ok(Json(rows.iter().map(BatchDto::from).collect()))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct IncomingFileRequest {
    #[validate(length(min = 1, max = 100, code = "file_name_length"))]
    pub file_name: String,
    /// The file's text in the clearing's incoming format (see the accounts service's
    /// `clearing` module).
    #[validate(length(min = 1, max = MAX_FILE_CHARS, code = "file_too_long"))]
    pub content: String,
}

/// Credits the payments of a file the clearing delivered, each once; records those it cannot
/// credit as rejected.
#[utoipa::path(post, path = "/v1/clearing/incoming-files", tag = "accounts", request_body = IncomingFileRequest,
    security(("bearer" = ["finance"])),
    responses((status = 200, body = IncomingReport), (status = 401), (status = 403),
              (status = 422, description = "invalid_clearing_file: the line and what is wrong with it")))]
#[tracing::instrument(skip_all, fields(caller = %finance.subject()))]
pub async fn receive_incoming_file(
    State(state): State<AppState>,
    finance: RequireRole<Finance>,
    ValidatedJson(request): ValidatedJson<IncomingFileRequest>,
) -> Result<Json<IncomingReport>, AccountsError> {
    let file = IncomingFile::parse(&request.content)
        .map_err(|error| invalid("content", "invalid_clearing_file", error.to_string()))?;
    let report = receive_file(&state, &request.file_name, &file, &settler_of(&finance)).await?;
    Ok(Json(report))
}
