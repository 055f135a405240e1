//! Term deposits over HTTP: admins set up the products; a client opens a deposit from one of
//! their current accounts, follows its interest and schedule, and may close it early. The
//! daily job ([`crate::deposits`]) accrues, pays and returns the money.
//!
//! Opening is idempotent under the client's Idempotency-Key: the deposit is written down with
//! the key first (`opening`), then its money moved under a key derived from the deposit, so a
//! retry finds the deposit and finishes or replays it, and two requests with one key open one
//! deposit. Closing early is written down with its figures first (`closing`) and finished the
//! same way; closing a deposit already closed early answers with it again.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use imkon_auth::extract::{Admin, BankClient, RequireRole};
use imkon_auth::Role;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::new_id;
use imkon_platform::idempotency::{self, IdempotencyKey, IDEMPOTENT_REPLAY_HEADER};
use imkon_platform::money::Currency;
use imkon_platform::problem::{Problem, ValidatedJson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::caller::Caller;
use super::{amount_text, client_of, invalid, lock_paying_account, parse_amount};
use super::{ACCOUNT_NUMBER_CHARS, MAX_AMOUNT_CHARS};
use crate::db;
use crate::db::deposits::{DepositRow, NewDeposit, NewProduct, ProductRow};
use crate::deposits::{current_period, finish_closing, finish_opening, money, terms_of};
use crate::domain::account::{AccountKind, AccountOwner, ClientId};
use crate::domain::deposit::{early_closure, DepositTerms, InterestPayout};
use crate::domain::posting::TransferError;
use crate::error::AccountsError;
use crate::opening::{open_account, AccountOpening};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/deposit-products",
            post(create_product).get(list_products),
        )
        .route("/v1/deposit-products/{id}/withdraw", post(withdraw_product))
        .route("/v1/me/deposits", post(open_deposit).get(my_deposits))
        .route("/v1/me/deposits/{id}", get(my_deposit))
        .route("/v1/me/deposits/{id}/close", post(close_deposit))
}

/// The longest product name.
const MAX_PRODUCT_NAME_CHARS: u64 = 100;

/// The longest rate text.
const MAX_RATE_CHARS: u64 = 10;

/// How many deposits one client may hold open at once: each is a ledger account and a daily
/// accrual, so an unbounded number would let one client load the job.
pub const MAX_OPEN_DEPOSITS: usize = 20;

fn rate_text(rate: Decimal) -> String {
    let mut rate = rate;
    rate.rescale(2);
    rate.to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    #[validate(length(min = 1, max = MAX_PRODUCT_NAME_CHARS, code = "name_length"))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// UZS, USD or EUR.
    #[validate(length(min = 3, max = 3, code = "unknown_currency"))]
    pub currency: String,
    /// 1 to 60.
    pub term_months: u32,
    /// Percent a year, above 0 and below 100, at most two decimals.
    #[validate(length(min = 1, max = MAX_RATE_CHARS, code = "not_a_rate"))]
    pub annual_rate: String,
    /// Percent a year paid when the deposit is closed before maturity: 0 up to the annual rate.
    #[validate(length(min = 1, max = MAX_RATE_CHARS, code = "not_a_rate"))]
    pub early_withdrawal_rate: String,
    /// The smallest deposit, in the product's currency.
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    pub min_amount: String,
    /// monthly or maturity.
    pub interest_payout: String,
    /// Whether monthly interest is added to the deposit (only with monthly interest).
    pub capitalised: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductDto {
    pub id: Uuid,
    pub name: String,
    pub currency: String,
    pub term_months: i16,
    pub annual_rate: String,
    pub early_withdrawal_rate: String,
    pub min_amount: String,
    pub interest_payout: String,
    pub capitalised: bool,
    /// offered or withdrawn.
    pub state: String,
    pub created_at: DateTime<Utc>,
}

impl From<&ProductRow> for ProductDto {
    fn from(row: &ProductRow) -> ProductDto {
        ProductDto {
            id: row.id,
            name: row.name.clone(),
            currency: row.currency.clone(),
            term_months: row.term_months,
            annual_rate: rate_text(row.annual_rate),
            early_withdrawal_rate: rate_text(row.early_withdrawal_rate),
            min_amount: amount_text(row.min_amount),
            interest_payout: row.interest_payout.clone(),
            capitalised: row.capitalised,
            state: row.state.clone(),
            created_at: row.created_at,
        }
    }
}

fn parse_rate(field: &str, text: &str) -> Result<Decimal, AccountsError> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|_| invalid(field, "not_a_rate", "a percentage such as 18.5"))
}

async fn audit_action(
    connection: &mut PgConnection,
    actor: (Uuid, Vec<String>),
    action: &'static str,
    subject_type: &'static str,
    subject_id: Uuid,
    after: serde_json::Value,
) -> Result<(), AccountsError> {
    audit::record(
        connection,
        AuditEntry {
            actor_id: Some(actor.0),
            actor_roles: actor.1,
            action,
            subject_type,
            subject_id: subject_id.to_string(),
            before: None,
            after: Some(after),
            source_address: None,
        },
    )
    .await?;
    Ok(())
}

fn actor_of<R>(person: &RequireRole<R>) -> (Uuid, Vec<String>) {
    (
        person.subject(),
        person
            .roles()
            .map(|role| role.as_str().to_owned())
            .collect(),
    )
}

/// Sets up a term deposit product.
#[utoipa::path(post, path = "/v1/deposit-products", tag = "accounts", request_body = CreateProductRequest,
    security(("bearer" = ["admin"])),
    responses((status = 201, body = ProductDto), (status = 401), (status = 403),
              (status = 422, description = "name_length, unknown_currency, term_out_of_range, not_a_rate, rate_out_of_range, early_rate_out_of_range, capitalisation_needs_monthly_interest, invalid_interest_payout, not_an_amount, too_many_decimals, min_amount_not_positive")))]
#[tracing::instrument(skip_all, fields(caller = %admin.subject()))]
pub async fn create_product(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
    ValidatedJson(request): ValidatedJson<CreateProductRequest>,
) -> Result<(StatusCode, Json<ProductDto>), AccountsError> {
    let name = request.name.trim();
    if name.is_empty() {
        return Err(invalid("name", "name_length", "a name is required"));
    }
    let currency: Currency = request
        .currency
        .parse()
        .map_err(|_| invalid("currency", "unknown_currency", "UZS, USD or EUR"))?;
    let payout = InterestPayout::parse(&request.interest_payout).ok_or_else(|| {
        invalid(
            "interest_payout",
            "invalid_interest_payout",
            "monthly or maturity",
        )
    })?;
    let terms = DepositTerms::new(
        request.term_months,
        parse_rate("annual_rate", &request.annual_rate)?,
        parse_rate("early_withdrawal_rate", &request.early_withdrawal_rate)?,
        payout,
        request.capitalised,
        parse_amount("min_amount", &request.min_amount, currency)?,
    )
    .map_err(|error| invalid(error.field(), error.code(), error.to_string()))?;
    let term_months = i16::try_from(terms.term_months())
        .map_err(|_| invalid("term_months", "term_out_of_range", "1 to 60"))?;
    let mut transaction = state.pool.begin().await?;
    let row = db::deposits::insert_product(
        &mut transaction,
        &NewProduct {
            id: new_id(),
            name,
            currency: currency.code(),
            term_months,
            annual_rate: terms.annual_rate(),
            early_withdrawal_rate: terms.early_withdrawal_rate(),
            min_amount: terms.min_amount().amount(),
            interest_payout: payout.code(),
            capitalised: terms.capitalised(),
            created_by: admin.subject(),
        },
    )
    .await?;
    let dto = ProductDto::from(&row);
    audit_action(
        &mut transaction,
        actor_of(&admin),
        "deposit_product.created",
        "deposit_product",
        row.id,
        json!(dto),
    )
    .await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// The products on offer; an admin sees withdrawn ones too.
#[utoipa::path(get, path = "/v1/deposit-products", tag = "accounts",
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = [ProductDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %caller.subject()))]
pub async fn list_products(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ProductDto>>, AccountsError> {
    // People choose and run products; no service needs them.
    if caller.principal().is_service() {
        return Err(AccountsError::Problem(Problem::forbidden(
            "forbidden",
            "services do not read deposit products",
        )));
    }
    let withdrawn_too = caller.principal().has_role(Role::Admin);
    let rows = db::deposits::list_products(&state.pool, withdrawn_too).await?;
    Ok(Json(rows.iter().map(ProductDto::from).collect()))
}

/// Stops offering a product; deposits already open keep their terms.
#[utoipa::path(post, path = "/v1/deposit-products/{id}/withdraw", tag = "accounts",
    params(("id" = Uuid, Path, description = "the product")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = ProductDto), (status = 401), (status = 403),
              (status = 404, description = "no such product on offer")))]
#[tracing::instrument(skip_all, fields(caller = %admin.subject(), product = %id))]
pub async fn withdraw_product(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
    Path(id): Path<Uuid>,
) -> Result<Json<ProductDto>, AccountsError> {
    let mut transaction = state.pool.begin().await?;
    let row =
        db::deposits::withdraw_product(&mut transaction, id, admin.subject(), state.calendar.now())
            .await?
            .ok_or(AccountsError::NotFound("deposit product"))?;
    let dto = ProductDto::from(&row);
    audit_action(
        &mut transaction,
        actor_of(&admin),
        "deposit_product.withdrawn",
        "deposit_product",
        row.id,
        json!(dto),
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(dto))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct OpenDepositRequest {
    pub product_id: Uuid,
    /// One of the client's own open current accounts in the product's currency: the money
    /// comes from it and returns to it.
    #[validate(length(equal = ACCOUNT_NUMBER_CHARS, code = "account_number_wrong_length"))]
    #[schema(min_length = 20, max_length = 20)]
    pub from_account: String,
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: String,
}

/// A deposit as the client sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DepositDto {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_name: String,
    pub currency: String,
    pub term_months: i16,
    pub annual_rate: String,
    pub early_withdrawal_rate: String,
    /// monthly or maturity.
    pub interest_payout: String,
    pub capitalised: bool,
    pub principal: String,
    /// The principal with the interest added to it so far.
    pub balance: String,
    /// The deposit's own account, and the current account the money came from and returns to.
    pub account_number: String,
    pub current_account: String,
    pub opened_on: NaiveDate,
    pub matures_on: NaiveDate,
    /// opening, open, closing, matured or closed_early.
    pub state: String,
    /// The last day whose interest is booked.
    pub accrued_through: Option<NaiveDate>,
    /// All interest booked so far: paid, capitalised and accrued in the current period.
    pub interest_accrued: String,
    pub interest_paid: String,
    pub interest_capitalised: String,
    /// An early closure's interest at the early-withdrawal rate, and what it returned.
    pub early_interest: Option<String>,
    pub returned: Option<String>,
    pub closed_on: Option<NaiveDate>,
}

impl From<&DepositRow> for DepositDto {
    fn from(row: &DepositRow) -> DepositDto {
        DepositDto {
            id: row.id,
            product_id: row.product_id,
            product_name: row.product_name.clone(),
            currency: row.currency.clone(),
            term_months: row.term_months,
            annual_rate: rate_text(row.annual_rate),
            early_withdrawal_rate: rate_text(row.early_withdrawal_rate),
            interest_payout: row.interest_payout.clone(),
            capitalised: row.capitalised,
            principal: amount_text(row.principal),
            balance: amount_text(match row.state.as_str() {
                "matured" | "closed_early" => Decimal::ZERO,
                _ => row.principal + row.interest_capitalised,
            }),
            account_number: row.account_number.clone(),
            current_account: row.current_account_number.clone(),
            opened_on: row.opened_on,
            matures_on: row.matures_on,
            state: row.state.clone(),
            accrued_through: row.accrued_through,
            interest_accrued: amount_text(
                row.interest_paid + row.interest_capitalised + row.period_accrued,
            ),
            interest_paid: amount_text(row.interest_paid),
            interest_capitalised: amount_text(row.interest_capitalised),
            early_interest: row.early_interest.map(amount_text),
            returned: row.returned.map(amount_text),
            closed_on: row.closed_on,
        }
    }
}

/// One interest period of a deposit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScheduleRowDto {
    pub starts_on: NaiveDate,
    /// The day its interest is paid (or added to the deposit).
    pub ends_on: NaiveDate,
    /// What the period earns on: the principal, with earlier interest when capitalised.
    pub base: String,
    /// The interest the terms give the period.
    pub interest: String,
    /// paid, capitalised, accruing (the current period), due (a later one), or not_paid (the
    /// deposit was closed early before it).
    pub status: String,
}

/// What closing the deposit early today would settle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EarlyClosureDto {
    pub closed_on: NaiveDate,
    /// Interest at the early-withdrawal rate for the days held.
    pub interest: String,
    /// Interest already paid out or added to the deposit.
    pub credited: String,
    /// What goes back to the current account.
    pub returned: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DepositDetailDto {
    #[serde(flatten)]
    pub deposit: DepositDto,
    pub schedule: Vec<ScheduleRowDto>,
    /// Present while the deposit is open and before its maturity date.
    pub early_closure: Option<EarlyClosureDto>,
}

/// The client's deposit that the request names; another client's is not found.
async fn lock_mine(
    connection: &mut PgConnection,
    id: Uuid,
    client_id: Uuid,
) -> Result<DepositRow, AccountsError> {
    db::deposits::lock_for_client(connection, id, client_id)
        .await?
        .filter(|deposit| deposit.state != "refused")
        .ok_or(AccountsError::NotFound("deposit"))
}

fn insufficient_funds() -> AccountsError {
    AccountsError::Problem(
        Problem::unprocessable(
            "insufficient_funds",
            "The account does not hold enough money for this deposit.",
        )
        .with_field_error(
            "amount",
            "insufficient_funds",
            "more than the account holds",
        ),
    )
}

/// The ledger's refusal to move a deposit's money, as the client is told it.
fn refused(refusal: TransferError) -> AccountsError {
    match refusal {
        TransferError::InsufficientFunds { .. } => insufficient_funds(),
        other => AccountsError::Transfer(other),
    }
}

/// Opens a term deposit from one of the client's current accounts.
#[utoipa::path(post, path = "/v1/me/deposits", tag = "accounts", request_body = OpenDepositRequest,
    params(("Idempotency-Key" = String, Header, description = "one key per deposit")),
    security(("bearer" = ["client"])),
    responses((status = 201, body = DepositDto), (status = 401), (status = 403),
              (status = 404, description = "unknown_account, deposit product"),
              (status = 409, description = "account_closed, product_withdrawn, too_many_deposits"),
              (status = 422, description = "currency_mismatch, below_minimum, insufficient_funds, too_many_decimals, not_an_amount, idempotency_key_reused")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn open_deposit(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    key: IdempotencyKey,
    ValidatedJson(request): ValidatedJson<OpenDepositRequest>,
) -> Result<Response, AccountsError> {
    let client_id = client_of(&founder)?;
    let canonical = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/me/deposits", &canonical);

    let mut transaction = state.pool.begin().await?;
    if let Some(earlier) =
        db::deposits::lock_by_key(&mut transaction, client_id, key.as_str()).await?
    {
        return finish_earlier(transaction, &state, &founder, earlier, &fingerprint).await;
    }
    let product = db::deposits::find_product(&mut *transaction, request.product_id)
        .await?
        .ok_or(AccountsError::NotFound("deposit product"))?;
    if product.state != "offered" {
        return Err(AccountsError::Problem(
            Problem::conflict("product_withdrawn", "This deposit is no longer offered.")
                .with_field_error("product_id", "product_withdrawn", "no longer offered"),
        ));
    }
    let currency: Currency = product
        .currency
        .parse()
        .map_err(|error| AccountsError::Inconsistent(format!("product {}: {error}", product.id)))?;
    let amount = parse_amount("amount", &request.amount, currency)?;
    if !amount.is_positive() {
        return Err(invalid("amount", "not_positive", "more than zero"));
    }
    if amount.amount() < product.min_amount {
        return Err(invalid(
            "amount",
            "below_minimum",
            format!(
                "this deposit starts at {} {}",
                amount_text(product.min_amount),
                product.currency
            ),
        ));
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
    // A term deposit is the client's own: it may not be funded from a company's account, which
    // would hand the company's money to its founder in passing.
    if from.owner_client_id != Some(client_id) {
        return Err(invalid(
            "from_account",
            "not_a_personal_account",
            "a deposit is opened from one of your own accounts, not a company's",
        ));
    }
    let open_now = db::deposits::list_for_client(&mut *transaction, client_id)
        .await?
        .iter()
        .filter(|deposit| matches!(deposit.state.as_str(), "opening" | "open" | "closing"))
        .count();
    if open_now >= MAX_OPEN_DEPOSITS {
        return Err(AccountsError::Problem(Problem::conflict(
            "too_many_deposits",
            format!("A client may hold {MAX_OPEN_DEPOSITS} deposits at once."),
        )));
    }
    let terms = DepositTerms::new(
        u32::try_from(product.term_months).unwrap_or(0),
        product.annual_rate,
        product.early_withdrawal_rate,
        InterestPayout::parse(&product.interest_payout).unwrap_or(InterestPayout::Maturity),
        product.capitalised,
        amount,
    )
    .map_err(|error| AccountsError::Inconsistent(format!("product {}: {error}", product.id)))?;
    let opened_on = state.calendar.today();
    let account = open_account(
        &mut transaction,
        state.bank,
        &AccountOpening {
            kind: AccountKind::TermDeposit,
            owner: AccountOwner::Client(ClientId::from_uuid(client_id)),
            currency,
            allow_negative: false,
            name: Some(&product.name),
        },
    )
    .await?;
    let id = new_id();
    let inserted = db::deposits::insert_deposit(
        &mut transaction,
        &NewDeposit {
            id,
            client_id,
            product: &product,
            principal: amount.amount(),
            account_id: account.id,
            current_account_id: from.id,
            opened_on,
            matures_on: terms.matures_on(opened_on),
            open_key: key.as_str(),
            open_fingerprint: &fingerprint,
        },
    )
    .await?;
    if !inserted {
        return Err(AccountsError::Problem(Problem::conflict(
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key has not finished; retry shortly.",
        )));
    }
    audit_action(
        &mut transaction,
        actor_of(&founder),
        "deposit.opened",
        "term_deposit",
        id,
        json!({
            "product_id": product.id,
            "principal": amount_text(amount.amount()),
            "currency": product.currency,
            "from_account": from.number,
            "account_number": account.number,
        }),
    )
    .await?;
    transaction.commit().await?;

    // The deposit's account now exists for the ledger: move the money.
    let mut transaction = state.pool.begin().await?;
    let deposit = lock_mine(&mut transaction, id, client_id).await?;
    finish_earlier(transaction, &state, &founder, deposit, &fingerprint).await
}

/// Answers a deposit already written down under the request's key: finishes its opening if
/// that is still to do, and answers with it (or with the refusal it met).
async fn finish_earlier(
    mut transaction: sqlx::Transaction<'_, sqlx::Postgres>,
    state: &AppState,
    founder: &RequireRole<BankClient>,
    deposit: DepositRow,
    fingerprint: &str,
) -> Result<Response, AccountsError> {
    if deposit.open_fingerprint != fingerprint {
        return Err(AccountsError::IdempotencyKeyReused);
    }
    let replayed = deposit.state != "opening";
    let deposit = if deposit.state == "opening" {
        let refusal = finish_opening(&mut transaction, state, &deposit, actor_of(founder)).await?;
        transaction.commit().await?;
        if let Some(refusal) = refusal {
            return Err(refused(refusal));
        }
        db::deposits::find(&state.pool, deposit.id)
            .await?
            .ok_or(AccountsError::NotFound("deposit"))?
    } else {
        deposit
    };
    if deposit.state == "refused" {
        return Err(insufficient_funds());
    }
    let mut response = (StatusCode::CREATED, Json(DepositDto::from(&deposit))).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The signed-in client's deposits, newest first.
#[utoipa::path(get, path = "/v1/me/deposits", tag = "accounts",
    security(("bearer" = ["client"])),
    responses((status = 200, body = [DepositDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn my_deposits(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<DepositDto>>, AccountsError> {
    let client_id = client_of(&founder)?;
    let rows = db::deposits::list_for_client(&state.pool, client_id).await?;
    Ok(Json(rows.iter().map(DepositDto::from).collect()))
}

/// The period rows of a deposit: the terms' schedule, with what was paid where it was.
async fn schedule_of(
    state: &AppState,
    deposit: &DepositRow,
) -> Result<Vec<ScheduleRowDto>, AccountsError> {
    let terms = terms_of(deposit)?;
    let principal = money(deposit, deposit.principal)?;
    let paid = db::deposits::interest_payments(&state.pool, deposit.id).await?;
    let current = if deposit.state == "open" {
        Some(current_period(deposit)?.starts_on)
    } else {
        None
    };
    Ok(terms
        .schedule(principal, deposit.opened_on)
        .into_iter()
        .map(|row| {
            let payment = paid
                .iter()
                .find(|payment| payment.period_ends_on == row.period.ends_on);
            let status = match payment {
                Some(payment) if payment.capitalised => "capitalised",
                Some(_) => "paid",
                None if current == Some(row.period.starts_on) => "accruing",
                None if deposit.state == "open" || deposit.state == "opening" => "due",
                None => "not_paid",
            };
            ScheduleRowDto {
                starts_on: row.period.starts_on,
                ends_on: row.period.ends_on,
                base: amount_text(row.base.amount()),
                interest: amount_text(
                    payment.map_or(row.interest.amount(), |payment| payment.amount),
                ),
                status: status.to_owned(),
            }
        })
        .collect())
}

/// What an early closure on `day` would settle.
fn early_closure_on(
    deposit: &DepositRow,
    day: NaiveDate,
) -> Result<EarlyClosureDto, AccountsError> {
    let settled = early_closure(
        money(deposit, deposit.principal)?,
        money(deposit, deposit.principal + deposit.interest_capitalised)?,
        money(
            deposit,
            deposit.interest_paid + deposit.interest_capitalised,
        )?,
        deposit.early_withdrawal_rate,
        deposit.opened_on,
        day,
    )
    .map_err(|error| AccountsError::Inconsistent(format!("deposit {}: {error}", deposit.id)))?;
    Ok(EarlyClosureDto {
        closed_on: day,
        interest: amount_text(settled.earned.amount()),
        credited: amount_text(settled.credited.amount()),
        returned: amount_text(settled.returned.amount()),
    })
}

/// One of the signed-in client's deposits, with its schedule and what closing it today pays.
#[utoipa::path(get, path = "/v1/me/deposits/{id}", tag = "accounts",
    params(("id" = Uuid, Path, description = "the deposit")),
    security(("bearer" = ["client"])),
    responses((status = 200, body = DepositDetailDto), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), deposit = %id))]
pub async fn my_deposit(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(id): Path<Uuid>,
) -> Result<Json<DepositDetailDto>, AccountsError> {
    let client_id = client_of(&founder)?;
    let deposit = db::deposits::find(&state.pool, id)
        .await?
        .filter(|deposit| deposit.client_id == client_id && deposit.state != "refused")
        .ok_or(AccountsError::NotFound("deposit"))?;
    let today = state.calendar.today();
    let early_closure = if deposit.state == "open" && today < deposit.matures_on {
        Some(early_closure_on(&deposit, today)?)
    } else {
        None
    };
    Ok(Json(DepositDetailDto {
        schedule: schedule_of(&state, &deposit).await?,
        deposit: DepositDto::from(&deposit),
        early_closure,
    }))
}

/// Closes one of the signed-in client's deposits before maturity, at the early-withdrawal
/// rate.
#[utoipa::path(post, path = "/v1/me/deposits/{id}/close", tag = "accounts",
    params(("id" = Uuid, Path, description = "the deposit"),
           ("Idempotency-Key" = String, Header, description = "one key per closure")),
    security(("bearer" = ["client"])),
    responses((status = 200, body = DepositDto), (status = 401), (status = 403), (status = 404),
              (status = 409, description = "deposit_not_open, deposit_matures_today")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), deposit = %id))]
pub async fn close_deposit(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    _key: IdempotencyKey,
    Path(id): Path<Uuid>,
) -> Result<Response, AccountsError> {
    let client_id = client_of(&founder)?;
    let mut transaction = state.pool.begin().await?;
    let deposit = lock_mine(&mut transaction, id, client_id).await?;
    let replayed = match deposit.state.as_str() {
        "closed_early" => true,
        "closing" => false,
        "open" => {
            let today = state.calendar.today();
            if today >= deposit.matures_on {
                return Err(AccountsError::Problem(Problem::conflict(
                    "deposit_matures_today",
                    "This deposit has reached its maturity date: the bank pays it back today.",
                )));
            }
            let settled = early_closure_on(&deposit, today)?;
            let parse = |text: &str| {
                text.parse::<Decimal>()
                    .map_err(|error| AccountsError::Inconsistent(error.to_string()))
            };
            db::deposits::record_closing(
                &mut transaction,
                deposit.id,
                today,
                parse(&settled.interest)?,
                parse(&settled.returned)?,
            )
            .await?;
            audit_action(
                &mut transaction,
                actor_of(&founder),
                "deposit.closed_early",
                "term_deposit",
                deposit.id,
                json!(settled),
            )
            .await?;
            false
        }
        _ => {
            return Err(AccountsError::Problem(Problem::conflict(
                "deposit_not_open",
                "This deposit is not open.",
            )))
        }
    };
    if !replayed {
        // The figures are written down before the money moves, so that a retry (or the daily
        // job) books exactly them.
        transaction.commit().await?;
        let mut finishing = state.pool.begin().await?;
        let closing = lock_mine(&mut finishing, id, client_id).await?;
        if closing.state == "closing" {
            finish_closing(&mut finishing, &state, &closing, actor_of(&founder)).await?;
        }
        finishing.commit().await?;
    }
    let deposit = db::deposits::find(&state.pool, id)
        .await?
        .ok_or(AccountsError::NotFound("deposit"))?;
    let mut response = Json(DepositDto::from(&deposit)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}
