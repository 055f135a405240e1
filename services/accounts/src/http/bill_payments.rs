//! Paying the state and utilities over HTTP: the catalogue of payees, looking an invoice up
//! by its number, paying it from one of the client's current accounts (see
//! [`crate::bill_payments`] for how the money is held until the billing system decides), the
//! client's payments and each paid one's receipt as a PDF in the reader's language.
//!
//! A payment is written down under the client's Idempotency-Key before any money moves, so a
//! retry with the key finds it and answers with it (carrying it forward if it is still
//! pending); the same key with another request is refused.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use imkon_auth::extract::{BankClient, RequireRole};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::new_id;
use imkon_platform::idempotency::{self, IdempotencyKey, IDEMPOTENT_REPLAY_HEADER};
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::caller::Caller;
use super::holds::Settler;
use super::receipt_document;
use super::statements::{attachment, reader_language};
use super::{amount_text, client_of, invalid, lock_paying_account, ACCOUNT_NUMBER_CHARS};
use crate::bill_payments::{carry_forward, Outcome};
use crate::billing::{BillingError, Invoice, InvoiceStatus};
use crate::db;
use crate::db::billing::{BillPaymentRow, NewBillPayment, PayeeRow};
use crate::error::AccountsError;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/billing/payees", get(list_payees))
        .route("/v1/billing/invoices/{number}", get(find_invoice))
        .route("/v1/me/bill-payments", post(pay_invoice).get(my_payments))
        .route("/v1/me/bill-payments/{id}", get(my_payment))
        .route("/v1/me/bill-payments/{id}/receipt.pdf", get(receipt_pdf))
}

/// The longest invoice number any billing system issues.
const MAX_INVOICE_NUMBER_CHARS: u64 = 30;

/// How many payments the list shows.
const LIST_LIMIT: i64 = 100;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PayeeDto {
    pub code: String,
    pub name: String,
    /// state_duty, fine, tax or utility.
    pub category: String,
}

impl From<&PayeeRow> for PayeeDto {
    fn from(row: &PayeeRow) -> PayeeDto {
        PayeeDto {
            code: row.code.clone(),
            name: row.name.clone(),
            category: row.category.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvoiceDto {
    pub number: String,
    pub payee: PayeeDto,
    pub description: String,
    pub amount: String,
    pub currency: String,
    pub expires_on: NaiveDate,
    /// payable, paid or expired.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BillPaymentDto {
    pub id: Uuid,
    pub payee: PayeeDto,
    pub invoice_number: String,
    pub description: String,
    pub amount: String,
    pub currency: String,
    pub from_account: String,
    /// pending (the money is held until the billing system answers), paid or refused.
    pub state: String,
    /// The billing system's confirmation number, once paid.
    pub confirmation_number: Option<String>,
    /// Why it was refused: insufficient_funds, invoice_already_paid, invoice_expired, ...
    pub refusal: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<&BillPaymentRow> for BillPaymentDto {
    fn from(row: &BillPaymentRow) -> BillPaymentDto {
        BillPaymentDto {
            id: row.id,
            payee: PayeeDto {
                code: row.payee_code.clone(),
                name: row.payee_name.clone(),
                category: row.payee_category.clone(),
            },
            invoice_number: row.invoice_number.clone(),
            description: row.description.clone(),
            amount: amount_text(row.amount),
            currency: row.currency.clone(),
            from_account: row.from_account_number.clone(),
            state: row.state.clone(),
            confirmation_number: row.confirmation_number.clone(),
            refusal: row.refusal.clone(),
            created_at: row.created_at,
            decided_at: row.decided_at,
        }
    }
}

/// A billing system's answer as the client is told it.
fn billing_problem(error: &BillingError) -> AccountsError {
    let problem = match error {
        BillingError::NotFound => Problem::not_found(error.code(), "No invoice has this number."),
        BillingError::AlreadyPaid => {
            Problem::conflict(error.code(), "This invoice is already paid.")
        }
        BillingError::Expired(on) => {
            Problem::conflict(error.code(), format!("This invoice expired on {on}."))
        }
        BillingError::AmountMismatch => Problem::conflict(
            error.code(),
            "The invoice's amount changed; look it up again.",
        ),
        BillingError::Unavailable(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            error.code(),
            "The payee's billing system is not answering",
        )
        .with_detail("Try again in a few minutes."),
    };
    AccountsError::Problem(problem.with_field_error(
        "invoice_number",
        error.code(),
        error.to_string(),
    ))
}

/// People see the catalogue; no service needs it.
fn person(caller: &Caller) -> Result<(), AccountsError> {
    if caller.principal().is_service() {
        return Err(AccountsError::Problem(Problem::forbidden(
            "forbidden",
            "services do not pay bills",
        )));
    }
    Ok(())
}

/// Who the clients can pay: state duties, fines, taxes and utilities.
#[utoipa::path(get, path = "/v1/billing/payees", tag = "accounts",
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = [PayeeDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %caller.subject()))]
pub async fn list_payees(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PayeeDto>>, AccountsError> {
    person(&caller)?;
    let rows = db::billing::list_payees(&state.pool).await?;
    Ok(Json(rows.iter().map(PayeeDto::from).collect()))
}

fn parse_invoice_number(text: &str) -> Result<String, AccountsError> {
    let number = text.trim().to_ascii_uppercase();
    let valid = !number.is_empty()
        && number.len() as u64 <= MAX_INVOICE_NUMBER_CHARS
        && number
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(number)
    } else {
        Err(invalid(
            "invoice_number",
            "invalid_invoice_number",
            "letters, digits and hyphens, at most 30",
        ))
    }
}

/// The invoice and its payee from the catalogue; an invoice of a payee the bank does not
/// list is not offered.
async fn look_up(state: &AppState, number: &str) -> Result<(Invoice, PayeeRow), AccountsError> {
    let invoice = state
        .billing
        .lookup(number)
        .await
        .map_err(|error| billing_problem(&error))?;
    let payee = db::billing::find_payee(&state.pool, &invoice.payee_code)
        .await?
        .ok_or_else(|| billing_problem(&BillingError::NotFound))?;
    Ok((invoice, payee))
}

/// An invoice by its number, with its payee and whether it can still be paid.
#[utoipa::path(get, path = "/v1/billing/invoices/{number}", tag = "accounts",
    params(("number" = String, Path, description = "the invoice's number")),
    security(("bearer" = ["client"])),
    responses((status = 200, body = InvoiceDto), (status = 401), (status = 403),
              (status = 404, description = "invoice_not_found"),
              (status = 422, description = "invalid_invoice_number"),
              (status = 503, description = "billing_unavailable")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn find_invoice(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(number): Path<String>,
) -> Result<Json<InvoiceDto>, AccountsError> {
    client_of(&founder)?;
    let number = parse_invoice_number(&number)?;
    let (invoice, payee) = look_up(&state, &number).await?;
    Ok(Json(InvoiceDto {
        number: invoice.number,
        payee: PayeeDto::from(&payee),
        description: invoice.description,
        amount: amount_text(invoice.amount.amount()),
        currency: invoice.amount.currency().code().to_owned(),
        expires_on: invoice.expires_on,
        status: invoice.status.code().to_owned(),
    }))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PayInvoiceRequest {
    #[validate(length(min = 1, max = MAX_INVOICE_NUMBER_CHARS, code = "invalid_invoice_number"))]
    #[schema(min_length = 1, max_length = 30)]
    pub invoice_number: String,
    /// One of the client's own open current accounts in the invoice's currency.
    #[validate(length(equal = ACCOUNT_NUMBER_CHARS, code = "account_number_wrong_length"))]
    #[schema(min_length = 20, max_length = 20)]
    pub from_account: String,
}

fn settler_of(founder: &RequireRole<BankClient>) -> Settler {
    Settler {
        id: founder.subject(),
        roles: founder
            .roles()
            .map(|role| role.as_str().to_owned())
            .collect(),
    }
}

/// The answer to a payment request: 201 once paid, 202 while the billing system has not
/// decided (the money is held), the refusal's problem when refused.
fn answer(payment: &BillPaymentRow, replayed: bool) -> Result<Response, AccountsError> {
    let status = match payment.state.as_str() {
        "paid" => StatusCode::CREATED,
        "pending" => StatusCode::ACCEPTED,
        _ => {
            let code = payment.refusal.clone().unwrap_or_default();
            let problem = if code == "insufficient_funds" {
                Problem::unprocessable(code.clone(), "The account does not hold enough money.")
                    .with_field_error("from_account", code, "more than the account holds")
            } else {
                Problem::conflict(
                    code.clone(),
                    "The payee's billing system refused the payment.",
                )
                .with_field_error(
                    "invoice_number",
                    code,
                    "refused by the billing system",
                )
            };
            return Err(AccountsError::Problem(problem));
        }
    };
    let mut response = (status, Json(BillPaymentDto::from(payment))).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Pays an invoice from one of the client's current accounts.
#[utoipa::path(post, path = "/v1/me/bill-payments", tag = "accounts", request_body = PayInvoiceRequest,
    params(("Idempotency-Key" = String, Header, description = "one key per payment")),
    security(("bearer" = ["client"])),
    responses((status = 201, body = BillPaymentDto, description = "paid"),
              (status = 202, body = BillPaymentDto, description = "the money is held until the billing system answers"),
              (status = 401), (status = 403),
              (status = 404, description = "invoice_not_found, unknown_account"),
              (status = 409, description = "invoice_already_paid, invoice_expired, invoice_amount_mismatch, account_closed"),
              (status = 422, description = "insufficient_funds, currency_mismatch, invalid_invoice_number, idempotency_key_reused"),
              (status = 503, description = "billing_unavailable")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn pay_invoice(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    key: IdempotencyKey,
    ValidatedJson(request): ValidatedJson<PayInvoiceRequest>,
) -> Result<Response, AccountsError> {
    let client_id = client_of(&founder)?;
    let canonical = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/me/bill-payments", &canonical);
    let settler = settler_of(&founder);

    let mut transaction = state.pool.begin().await?;
    if let Some(earlier) =
        db::billing::lock_by_key(&mut transaction, client_id, key.as_str()).await?
    {
        if earlier.fingerprint != fingerprint {
            return Err(AccountsError::IdempotencyKeyReused);
        }
        if earlier.state == "pending" {
            carry_forward(&mut transaction, &state, &earlier, &settler).await?;
            transaction.commit().await?;
        }
        let payment = db::billing::find(&state.pool, earlier.id)
            .await?
            .ok_or(AccountsError::NotFound("bill payment"))?;
        return answer(&payment, true);
    }

    let number = parse_invoice_number(&request.invoice_number)?;
    let (invoice, payee) = look_up(&state, &number).await?;
    match invoice.status {
        InvoiceStatus::Payable => {}
        InvoiceStatus::Paid => return Err(billing_problem(&BillingError::AlreadyPaid)),
        InvoiceStatus::Expired => {
            return Err(billing_problem(&BillingError::Expired(invoice.expires_on)))
        }
    }
    let currency = invoice.amount.currency().code();
    let from = lock_paying_account(
        &mut transaction,
        &state,
        client_id,
        &request.from_account,
        invoice.amount,
        "from_account",
    )
    .await?;
    if db::billing::invoice_taken(&mut *transaction, &payee.code, &invoice.number).await? {
        return Err(billing_problem(&BillingError::AlreadyPaid));
    }
    let id = new_id();
    let inserted = db::billing::insert_payment(
        &mut transaction,
        &NewBillPayment {
            id,
            client_id,
            idempotency_key: key.as_str(),
            fingerprint: &fingerprint,
            payee_code: &payee.code,
            invoice_number: &invoice.number,
            description: &invoice.description,
            amount: invoice.amount.amount(),
            currency,
            from_account_id: from.id,
        },
    )
    .await?;
    if !inserted {
        // Another request wrote its payment down first: this key's twin, or someone paying
        // the same invoice at the same moment.
        return Err(AccountsError::Problem(Problem::conflict(
            "idempotency_request_in_progress",
            "This invoice is being paid by another request; look at your payments in a moment.",
        )));
    }
    audit::record(
        &mut transaction,
        AuditEntry {
            actor_id: Some(settler.id),
            actor_roles: settler.roles.clone(),
            action: "bill_payment.requested",
            subject_type: "bill_payment",
            subject_id: id.to_string(),
            before: None,
            after: Some(json!({
                "payee": payee.code,
                "invoice_number": invoice.number,
                "amount": amount_text(invoice.amount.amount()),
                "currency": currency,
                "from_account": from.number,
            })),
            source_address: None,
        },
    )
    .await?;
    transaction.commit().await?;

    let mut transaction = state.pool.begin().await?;
    let payment = db::billing::lock_by_key(&mut transaction, client_id, key.as_str())
        .await?
        .ok_or(AccountsError::NotFound("bill payment"))?;
    if payment.state == "pending" {
        let outcome = carry_forward(&mut transaction, &state, &payment, &settler).await?;
        transaction.commit().await?;
        if outcome == Outcome::Undecided {
            tracing::info!(payment = %payment.id, "bill payment held until the billing system answers");
        }
    }
    let payment = db::billing::find(&state.pool, id)
        .await?
        .ok_or(AccountsError::NotFound("bill payment"))?;
    answer(&payment, false)
}

/// The signed-in client's payments of invoices, newest first (the latest hundred).
#[utoipa::path(get, path = "/v1/me/bill-payments", tag = "accounts",
    security(("bearer" = ["client"])),
    responses((status = 200, body = [BillPaymentDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn my_payments(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<BillPaymentDto>>, AccountsError> {
    let client_id = client_of(&founder)?;
    let rows = db::billing::list_for_client(&state.pool, client_id, LIST_LIMIT).await?;
    Ok(Json(rows.iter().map(BillPaymentDto::from).collect()))
}

async fn mine(
    state: &AppState,
    founder: &RequireRole<BankClient>,
    id: Uuid,
) -> Result<BillPaymentRow, AccountsError> {
    let client_id = client_of(founder)?;
    db::billing::find(&state.pool, id)
        .await?
        .filter(|payment| payment.client_id == client_id)
        .ok_or(AccountsError::NotFound("bill payment"))
}

/// One of the signed-in client's payments.
#[utoipa::path(get, path = "/v1/me/bill-payments/{id}", tag = "accounts",
    params(("id" = Uuid, Path, description = "the payment")),
    security(("bearer" = ["client"])),
    responses((status = 200, body = BillPaymentDto), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), payment = %id))]
pub async fn my_payment(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(id): Path<Uuid>,
) -> Result<Json<BillPaymentDto>, AccountsError> {
    Ok(Json(BillPaymentDto::from(
        &mine(&state, &founder, id).await?,
    )))
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct ReceiptQuery {
    /// The receipt's language: `uz-Latn`, `uz-Cyrl`, `ru` or `en`; when left out, the first of
    /// them in `Accept-Language`, else `uz-Latn`.
    pub lang: Option<String>,
}

/// A paid bill's receipt as a PDF in the reader's language, with the billing system's
/// confirmation number.
#[utoipa::path(get, path = "/v1/me/bill-payments/{id}/receipt.pdf", tag = "accounts",
    params(("id" = Uuid, Path, description = "the payment"), ReceiptQuery),
    security(("bearer" = ["client"])),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401),
              (status = 403), (status = 404),
              (status = 409, description = "receipt_not_ready: the payment is not paid"),
              (status = 422, description = "unknown_language")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), payment = %id))]
pub async fn receipt_pdf(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(id): Path<Uuid>,
    Query(query): Query<ReceiptQuery>,
    headers: HeaderMap,
) -> Result<Response, AccountsError> {
    let language = reader_language(query.lang.as_deref(), &headers)?;
    let payment = mine(&state, &founder, id).await?;
    let (Some(confirmation), Some(paid_at)) =
        (payment.confirmation_number.clone(), payment.decided_at)
    else {
        return Err(AccountsError::Problem(Problem::conflict(
            "receipt_not_ready",
            "A receipt is issued once the payment is paid.",
        )));
    };
    let file_name = format!("receipt-{}.pdf", payment.invoice_number);
    let document = tokio::task::spawn_blocking(move || {
        receipt_document::render(&payment, &confirmation, paid_at, language)
    })
    .await
    .map_err(|error| AccountsError::Inconsistent(format!("pdf: {error}")))?
    .map_err(|error| AccountsError::Inconsistent(error.to_string()))?;
    Ok(attachment("application/pdf", file_name, document))
}
