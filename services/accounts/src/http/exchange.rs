//! Currency exchange: the bank's rates under four eyes (a member of finance proposes, a
//! second member of finance or an admin publishes); a client exchanges between their own accounts with a quote and its
//! confirmation; finance reads the day's FX position.
//!
//! A confirmation books one `exchange` transfer through the ledger writer (see
//! [`crate::domain::exchange`] for its legs), under the client's Idempotency-Key in the
//! client's scope, with the quote as its reference: a retry replays the booked exchange, and
//! another key for a confirmed quote is refused. The quote's row stays locked until the
//! transfer is booked and the quote marked, so two confirmations at once book one exchange.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use imkon_auth::extract::{BankClient, Finance, RequireRole, Staff};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::new_id;
use imkon_platform::idempotency::{self, IdempotencyKey, IDEMPOTENT_REPLAY_HEADER};
use imkon_platform::money::{Currency, Money};
use imkon_platform::problem::{Problem, ValidatedJson, ValidatedQuery};
use rand::rngs::OsRng;
use rand::RngCore;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::caller::{Allowed, Caller, LedgerStaff};
use super::{
    amount_text, client_of, earlier_confirmation, invalid, parse_account_number, parse_amount,
    ACCOUNT_NUMBER_CHARS, MAX_AMOUNT_CHARS, MAX_CONFIRMATION_TOKEN_CHARS,
};
use crate::db;
use crate::db::accounts::AccountRow;
use crate::db::exchange::{ExchangeQuoteRow, NewRate, RateRow};
use crate::domain::account::{AccountId, AccountKind, AccountOwner};
use crate::domain::client_transfer::{ClientTransferError, ConfirmationToken};
use crate::domain::exchange::{
    price, CurrencyPair, ExchangeAccounts, ExchangeError, ExchangeTerms, NamedAmount, Rates,
};
use crate::domain::transfer::{IdempotencyKey as TransferKey, Transfer, TransferReference};
use crate::error::AccountsError;
use crate::events::{self, Movement};
use crate::ledger::{Booked, TransferRequest};
use crate::opening::{open_once, AccountOpening};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/fx/rates", post(propose_rate).get(list_rates))
        .route("/v1/fx/rates/current", get(current_rates))
        .route("/v1/fx/rates/{id}/publish", post(publish_rate))
        .route("/v1/fx/rates/{id}/reject", post(reject_rate))
        .route("/v1/fx/position", get(position_report))
        .route("/v1/me/exchanges/quote", post(quote_exchange))
        .route("/v1/me/exchanges/confirm", post(confirm_exchange))
}

/// How long a client's exchange quote may be confirmed: long enough to read it, short enough
/// that the rate has not moved. A quote never outlives its rate's window.
pub const EXCHANGE_QUOTE_VALIDITY: Duration = Duration::seconds(60);

/// The longest window a rate may be published for.
pub const MAX_RATE_WINDOW: Duration = Duration::days(31);

/// How many exchange quotes one client may hold awaiting confirmation.
pub const MAX_OPEN_EXCHANGE_QUOTES: i64 = 20;

/// How many expired exchange quotes (of anyone) a new quote deletes.
const EXPIRED_QUOTES_DELETED_PER_QUOTE: i64 = 100;

/// The longest rate text: fifteen digits, a point and six decimals, with room to spare.
const MAX_RATE_CHARS: u64 = 30;

/// The longest rejection reason.
const MAX_REASON_CHARS: u64 = 500;

/// Rates per page unless `limit` says otherwise.
const DEFAULT_PAGE_SIZE: u32 = 50;

/// A rate as the API writes it: six decimals.
fn rate_text(rate: Decimal) -> String {
    let mut rate = rate;
    rate.rescale(6);
    rate.to_string()
}

/// A mid rate: seven decimals, trailing zeros dropped down to six.
fn mid_rate_text(rate: Decimal) -> String {
    let mut normalized = rate.normalize();
    if normalized.scale() < 6 {
        normalized.rescale(6);
    }
    normalized.to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RateDto {
    pub id: Uuid,
    /// USD/UZS, EUR/UZS or EUR/USD: units of the second currency per unit of the first.
    pub pair: String,
    /// What the bank pays for one unit of the base currency.
    pub buy_rate: String,
    /// What the bank charges for one unit of the base currency.
    pub sell_rate: String,
    pub mid_rate: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// proposed, published or rejected.
    pub state: String,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    /// Who published or rejected it: never its proposer.
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
}

impl From<&RateRow> for RateDto {
    fn from(row: &RateRow) -> RateDto {
        RateDto {
            id: row.id,
            pair: format!("{}/{}", row.base_currency, row.quote_currency),
            buy_rate: rate_text(row.buy_rate),
            sell_rate: rate_text(row.sell_rate),
            mid_rate: mid_rate_text((row.buy_rate + row.sell_rate) / Decimal::TWO),
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            state: row.state.clone(),
            proposed_by: row.proposed_by,
            proposed_at: row.proposed_at,
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            rejection_reason: row.rejection_reason.clone(),
        }
    }
}

/// The rates of a stored row, checked again by the domain.
fn rates_of(row: &RateRow) -> Result<Rates, AccountsError> {
    let inconsistent =
        |what: String| AccountsError::Inconsistent(format!("rate {}: {what}", row.id));
    let base: Currency = row
        .base_currency
        .parse()
        .map_err(|error| inconsistent(format!("{error}")))?;
    let quote: Currency = row
        .quote_currency
        .parse()
        .map_err(|error| inconsistent(format!("{error}")))?;
    let pair = CurrencyPair::new(base, quote).map_err(|error| inconsistent(error.to_string()))?;
    Rates::new(pair, row.buy_rate, row.sell_rate).map_err(|error| inconsistent(error.to_string()))
}

fn exchange_problem(error: &ExchangeError) -> AccountsError {
    AccountsError::Problem(
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            error.code(),
            "Exchange refused",
        )
        .with_detail(error.to_string())
        .with_field_error(error.field(), error.code(), error.to_string()),
    )
}

/// A rate to propose.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ProposeRateRequest {
    /// USD/UZS, EUR/UZS or EUR/USD.
    #[validate(length(min = 7, max = 7, code = "malformed_currency_pair"))]
    pub pair: String,
    #[validate(length(min = 1, max = MAX_RATE_CHARS, code = "not_a_rate"))]
    pub buy_rate: String,
    #[validate(length(min = 1, max = MAX_RATE_CHARS, code = "not_a_rate"))]
    pub sell_rate: String,
    /// When the rate takes effect; now if left out.
    pub valid_from: Option<DateTime<Utc>>,
    /// When it stops; at most 31 days after it takes effect.
    pub valid_until: DateTime<Utc>,
}

fn parse_rate(field: &'static str, text: &str) -> Result<Decimal, AccountsError> {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b'.')
        && text.bytes().filter(|byte| *byte == b'.').count() <= 1;
    if !plain {
        return Err(invalid(
            field,
            "not_a_rate",
            "a rate is a plain decimal such as 12650.5",
        ));
    }
    text.parse::<Decimal>().map_err(|_| {
        invalid(
            field,
            "not_a_rate",
            "a rate is a plain decimal such as 12650.5",
        )
    })
}

/// Proposes a rate for a pair; a second member of finance or an admin publishes it.
#[utoipa::path(post, path = "/v1/fx/rates", tag = "accounts", request_body = ProposeRateRequest,
    security(("bearer" = ["finance"])),
    responses((status = 201, body = RateDto), (status = 401), (status = 403),
              (status = 422, description = "unknown_currency_pair, not_a_rate, rate_too_precise, sell_rate_below_buy_rate, invalid_rate_window")))]
#[tracing::instrument(skip_all, fields(caller = %finance.subject()))]
pub async fn propose_rate(
    State(state): State<AppState>,
    finance: RequireRole<Finance>,
    ValidatedJson(request): ValidatedJson<ProposeRateRequest>,
) -> Result<(StatusCode, Json<RateDto>), AccountsError> {
    let pair: CurrencyPair = request
        .pair
        .parse()
        .map_err(|error| exchange_problem(&error))?;
    let buy = parse_rate("buy_rate", &request.buy_rate)?;
    let sell = parse_rate("sell_rate", &request.sell_rate)?;
    let rates = Rates::new(pair, buy, sell).map_err(|error| exchange_problem(&error))?;
    let now = state.calendar.now();
    let valid_from = request.valid_from.unwrap_or(now);
    let window = request.valid_until - valid_from;
    if window <= Duration::zero() || window > MAX_RATE_WINDOW || request.valid_until <= now {
        return Err(invalid(
            "valid_until",
            "invalid_rate_window",
            "a rate is valid until a future instant after it takes effect, for at most 31 days",
        ));
    }
    let base = pair.base().code();
    let quote = pair.quote().code();
    let mut transaction = state.pool.begin().await?;
    let row = db::exchange::insert_rate(
        &mut transaction,
        &NewRate {
            id: new_id(),
            base_currency: base,
            quote_currency: quote,
            buy_rate: rates.buy(),
            sell_rate: rates.sell(),
            valid_from,
            valid_until: request.valid_until,
            proposed_by: finance.subject(),
            proposed_at: now,
        },
    )
    .await?;
    let dto = RateDto::from(&row);
    let actor = (
        finance.subject(),
        finance
            .roles()
            .map(|role| role.as_str().to_owned())
            .collect(),
    );
    audit_rate(&mut transaction, actor, "fx_rate.proposed", &dto).await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

async fn audit_rate(
    connection: &mut PgConnection,
    actor: (Uuid, Vec<String>),
    action: &'static str,
    dto: &RateDto,
) -> Result<(), AccountsError> {
    let (actor_id, actor_roles) = actor;
    audit::record(
        connection,
        AuditEntry {
            actor_id: Some(actor_id),
            actor_roles,
            action,
            subject_type: "fx_rate",
            subject_id: dto.id.to_string(),
            before: None,
            after: serde_json::to_value(dto).ok(),
            source_address: None,
        },
    )
    .await?;
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
pub struct ListRatesQuery {
    /// proposed, published or rejected; every state if left out.
    pub state: Option<String>,
    /// Only rates proposed before this instant (the last one of the previous page).
    pub before: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
}

/// Rates, newest proposal first: the queue of proposals awaiting a second member of staff, and
/// the history.
#[utoipa::path(get, path = "/v1/fx/rates", tag = "accounts", params(ListRatesQuery),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = [RateDto]), (status = 400), (status = 401), (status = 403), (status = 422)))]
#[tracing::instrument(skip_all, fields(caller = %staff.subject()))]
pub async fn list_rates(
    State(state): State<AppState>,
    staff: RequireRole<Staff>,
    ValidatedQuery(query): ValidatedQuery<ListRatesQuery>,
) -> Result<Json<Vec<RateDto>>, AccountsError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    super::page_size_within(limit, &state.limits)
        .map_err(|_| invalid("limit", "limit_out_of_range", "limit is out of range"))?;
    if let Some(wanted) = query.state.as_deref() {
        if !["proposed", "published", "rejected"].contains(&wanted) {
            return Err(invalid(
                "state",
                "unknown_rate_state",
                "proposed, published or rejected",
            ));
        }
    }
    let rows = db::exchange::list_rates(
        &state.pool,
        query.state.as_deref(),
        query.before,
        i64::from(limit),
    )
    .await?;
    Ok(Json(rows.iter().map(RateDto::from).collect()))
}

/// The published rate of each pair in force now: what a client's quote uses.
#[utoipa::path(get, path = "/v1/fx/rates/current", tag = "accounts",
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = [RateDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %caller.subject()))]
pub async fn current_rates(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RateDto>>, AccountsError> {
    // People read the rates (clients to exchange, staff to watch them); no service needs them.
    if caller.principal().is_service() {
        return Err(AccountsError::Problem(Problem::forbidden(
            "forbidden",
            "the rates are for people signed in, not for services",
        )));
    }
    let rows = db::exchange::rates_in_force(&state.pool, state.calendar.now()).await?;
    Ok(Json(rows.iter().map(RateDto::from).collect()))
}

/// Locks a proposed rate for a decision by someone other than its proposer.
async fn rate_to_decide(
    connection: &mut PgConnection,
    id: Uuid,
    decider: Uuid,
) -> Result<RateRow, AccountsError> {
    let row = db::exchange::lock_rate(connection, id)
        .await?
        .ok_or(AccountsError::NotFound("rate"))?;
    if row.state != "proposed" {
        return Err(AccountsError::Problem(Problem::conflict(
            "rate_already_decided",
            format!("This rate is already {}.", row.state),
        )));
    }
    if row.proposed_by == decider {
        return Err(AccountsError::Problem(Problem::forbidden(
            "four_eyes_violation",
            "A second member of staff must decide this rate; its proposer cannot.",
        )));
    }
    Ok(row)
}

/// Publishes a proposed rate: from its `valid_from`, clients' quotes use it. A second member
/// of finance or an admin decides, as for staff transfers.
#[utoipa::path(post, path = "/v1/fx/rates/{id}/publish", tag = "accounts",
    params(("id" = Uuid, Path, description = "the proposed rate")),
    security(("bearer" = ["finance", "admin"])),
    responses((status = 200, body = RateDto), (status = 401),
              (status = 403, description = "four_eyes_violation: the proposer cannot publish"),
              (status = 404), (status = 409, description = "rate_already_decided, rate_window_passed")))]
#[tracing::instrument(skip_all, fields(caller = %staff.subject(), rate = %id))]
pub async fn publish_rate(
    State(state): State<AppState>,
    staff: Allowed<LedgerStaff>,
    Path(id): Path<Uuid>,
) -> Result<Json<RateDto>, AccountsError> {
    let staff = staff.into_caller();
    let now = state.calendar.now();
    let mut transaction = state.pool.begin().await?;
    let row = rate_to_decide(&mut transaction, id, staff.subject()).await?;
    if row.valid_until <= now {
        return Err(AccountsError::Problem(Problem::conflict(
            "rate_window_passed",
            "This rate's window has already ended; propose a new rate.",
        )));
    }
    let row = db::exchange::decide_rate(
        &mut transaction,
        id,
        "published",
        staff.subject(),
        now,
        None,
    )
    .await?;
    let dto = RateDto::from(&row);
    let actor = (staff.subject(), staff.role_names());
    audit_rate(&mut transaction, actor, "fx_rate.published", &dto).await?;
    transaction.commit().await?;
    Ok(Json(dto))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RejectRateRequest {
    #[validate(length(min = 1, max = MAX_REASON_CHARS, code = "reason_length"))]
    pub reason: String,
}

/// Rejects a proposed rate with a reason: a second member of finance or an admin.
#[utoipa::path(post, path = "/v1/fx/rates/{id}/reject", tag = "accounts",
    params(("id" = Uuid, Path, description = "the proposed rate")), request_body = RejectRateRequest,
    security(("bearer" = ["finance", "admin"])),
    responses((status = 200, body = RateDto), (status = 401), (status = 403), (status = 404),
              (status = 409, description = "rate_already_decided"), (status = 422)))]
#[tracing::instrument(skip_all, fields(caller = %staff.subject(), rate = %id))]
pub async fn reject_rate(
    State(state): State<AppState>,
    staff: Allowed<LedgerStaff>,
    Path(id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<RejectRateRequest>,
) -> Result<Json<RateDto>, AccountsError> {
    let staff = staff.into_caller();
    let reason = request.reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "reason_length", "a reason is not blank"));
    }
    let now = state.calendar.now();
    let mut transaction = state.pool.begin().await?;
    rate_to_decide(&mut transaction, id, staff.subject()).await?;
    let row = db::exchange::decide_rate(
        &mut transaction,
        id,
        "rejected",
        staff.subject(),
        now,
        Some(reason),
    )
    .await?;
    let dto = RateDto::from(&row);
    let actor = (staff.subject(), staff.role_names());
    audit_rate(&mut transaction, actor, "fx_rate.rejected", &dto).await?;
    transaction.commit().await?;
    Ok(Json(dto))
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
pub struct PositionQuery {
    /// The bank's day (Tashkent); today if left out.
    pub day: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PositionLineDto {
    pub currency: String,
    /// The position when the day began and when it ended (or now, for today): what the bank
    /// holds from exchanges, long when positive.
    pub opening: String,
    pub closing: String,
    /// Bought from clients and sold to them during the day (the sum's side at mid rates).
    pub bought: String,
    pub sold: String,
    /// Exchange income booked during the day, net of rounding losses.
    pub income: String,
    pub exchanges: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PositionDto {
    pub day: NaiveDate,
    pub lines: Vec<PositionLineDto>,
}

/// The bank's FX position for one day, per currency.
#[utoipa::path(get, path = "/v1/fx/position", tag = "accounts", params(PositionQuery),
    security(("bearer" = ["finance"])),
    responses((status = 200, body = PositionDto), (status = 400), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %finance.subject()))]
pub async fn position_report(
    State(state): State<AppState>,
    finance: RequireRole<Finance>,
    ValidatedQuery(query): ValidatedQuery<PositionQuery>,
) -> Result<Json<PositionDto>, AccountsError> {
    let day = query.day.unwrap_or_else(|| state.calendar.today());
    let start = state.calendar.start_of(day);
    let end = state.calendar.start_of(day + Duration::days(1));
    let lines = db::exchange::position_between(&state.pool, start, end).await?;
    Ok(Json(PositionDto {
        day,
        lines: lines
            .into_iter()
            .map(|line| PositionLineDto {
                currency: line.currency,
                opening: amount_text(line.opening),
                closing: amount_text(line.closing),
                bought: amount_text(line.bought),
                sold: amount_text(line.sold),
                income: amount_text(line.income),
                exchanges: line.exchanges,
            })
            .collect(),
    }))
}

/// An exchange to quote: exactly one of the two amounts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ExchangeQuoteRequest {
    /// The client's own current account the money leaves.
    #[validate(length(equal = ACCOUNT_NUMBER_CHARS, code = "account_number_wrong_length"))]
    #[schema(min_length = 20, max_length = 20)]
    pub from_account: String,
    /// The client's own current account in the other currency.
    #[validate(length(equal = ACCOUNT_NUMBER_CHARS, code = "account_number_wrong_length"))]
    #[schema(min_length = 20, max_length = 20)]
    pub to_account: String,
    /// What leaves `from_account`, exactly, in its currency.
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    pub sell_amount: Option<String>,
    /// What reaches `to_account`, exactly, in its currency.
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    pub buy_amount: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExchangeQuoteDto {
    pub quote_id: Uuid,
    pub from_account: String,
    pub to_account: String,
    pub pair: String,
    pub sell_currency: String,
    pub sell_amount: String,
    pub buy_currency: String,
    pub buy_amount: String,
    /// The rate applied: the bank's buy rate when the client sells the pair's base currency,
    /// its sell rate when the client buys it.
    pub rate: String,
    /// Present this with the quote id to confirm; shown once.
    pub confirmation_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExchangeDto {
    pub transfer_id: Uuid,
    pub quote_id: Uuid,
    pub from_account: String,
    pub to_account: String,
    pub sell_currency: String,
    pub sell_amount: String,
    pub buy_currency: String,
    pub buy_amount: String,
    pub rate: String,
    pub booked_at: DateTime<Utc>,
}

/// The open current account with this number that the client may use: their own, or a
/// company's they founded.
async fn own_current_account(
    state: &AppState,
    client_id: Uuid,
    field: &str,
    number: &str,
) -> Result<AccountRow, AccountsError> {
    let number = parse_account_number(state, field, number)?;
    let row = db::accounts::find_operated(&state.pool, &number.to_string(), client_id)
        .await?
        .filter(db::accounts::is_current)
        .ok_or_else(|| AccountsError::UnknownAccount {
            field: field.to_owned(),
        })?;
    if row.closed_at.is_some() {
        return Err(AccountsError::Problem(
            Problem::conflict("account_closed", format!("{field}: this account is closed"))
                .with_field_error(field, "account_closed", "this account is closed"),
        ));
    }
    Ok(row)
}

fn currency_of(row: &AccountRow) -> Result<Currency, AccountsError> {
    row.currency
        .parse()
        .map_err(|error| AccountsError::Inconsistent(format!("account {}: {error}", row.id)))
}

/// The bank's accounts an exchange of `pair` books: its position accounts in both currencies
/// and its income account in the quote currency.
fn fx_accounts_wanted(pair: CurrencyPair) -> [(AccountKind, Currency, &'static str); 3] {
    [
        (AccountKind::FxPosition, pair.base(), "Currency position"),
        (AccountKind::FxPosition, pair.quote(), "Currency position"),
        (
            AccountKind::FxIncome,
            pair.quote(),
            "Income from currency exchange",
        ),
    ]
}

/// Opens the bank's FX accounts of `pair` that are missing: a quote does, so that its
/// confirmation only has to find them.
async fn open_fx_accounts(state: &AppState, pair: CurrencyPair) -> Result<(), AccountsError> {
    for (kind, currency, name) in fx_accounts_wanted(pair) {
        if db::accounts::find_bank_account(&state.pool, kind.code(), currency.code())
            .await?
            .is_none()
        {
            let mut transaction = state.pool.begin().await?;
            open_once(
                &mut transaction,
                state.bank,
                &AccountOpening {
                    kind,
                    owner: AccountOwner::Bank,
                    currency,
                    allow_negative: true,
                    name: Some(name),
                },
                "first exchange in the currency",
            )
            .await?;
            transaction.commit().await?;
        }
    }
    Ok(())
}

/// Finds the bank's FX accounts of `pair` on the caller's connection (a confirmation's
/// transaction, so that it needs no second connection while it waits for the ledger).
async fn find_fx_accounts(
    connection: &mut PgConnection,
    pair: CurrencyPair,
) -> Result<[AccountId; 3], AccountsError> {
    let mut ids = [AccountId::from_uuid(Uuid::nil()); 3];
    for (slot, (kind, currency, _)) in ids.iter_mut().zip(fx_accounts_wanted(pair)) {
        let account =
            db::accounts::find_bank_account(&mut *connection, kind.code(), currency.code())
                .await?
                .ok_or_else(|| {
                    AccountsError::Inconsistent(format!(
                        "the bank's {} account in {currency} is missing though a quote opened it",
                        kind.code()
                    ))
                })?;
        *slot = AccountId::from_uuid(account.id);
    }
    Ok(ids)
}

/// Quotes an exchange between two current accounts of one holder (the client, or a company they
/// founded) at the rate in force.
#[utoipa::path(post, path = "/v1/me/exchanges/quote", tag = "accounts", request_body = ExchangeQuoteRequest,
    security(("bearer" = ["client"])),
    responses((status = 201, body = ExchangeQuoteDto), (status = 401), (status = 403),
              (status = 404, description = "an account is not the client's"),
              (status = 409, description = "account_closed, no_rate_in_force"),
              (status = 422, description = "same_currency, different_holder, amount_too_small, too_many_decimals"),
              (status = 429, description = "too_many_open_quotes")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn quote_exchange(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    ValidatedJson(request): ValidatedJson<ExchangeQuoteRequest>,
) -> Result<(StatusCode, Json<ExchangeQuoteDto>), AccountsError> {
    let client_id = client_of(&founder)?;
    let from_row =
        own_current_account(&state, client_id, "from_account", &request.from_account).await?;
    let to_row = own_current_account(&state, client_id, "to_account", &request.to_account).await?;
    // An exchange converts one holder's money: a company's into a founder's is a payment, which
    // is made as a transfer with its own limits and record.
    if (from_row.owner_client_id, from_row.owner_company_id)
        != (to_row.owner_client_id, to_row.owner_company_id)
    {
        return Err(invalid(
            "to_account",
            "different_holder",
            "both accounts of an exchange belong to the same holder",
        ));
    }
    let from = currency_of(&from_row)?;
    let to = currency_of(&to_row)?;
    let pair = CurrencyPair::between(from, to).map_err(|error| exchange_problem(&error))?;
    let named = match (&request.sell_amount, &request.buy_amount) {
        (Some(sell), None) => NamedAmount::Sell(parse_amount("sell_amount", sell, from)?),
        (None, Some(buy)) => NamedAmount::Buy(parse_amount("buy_amount", buy, to)?),
        _ => {
            return Err(invalid(
                "sell_amount",
                "one_amount_required",
                "name exactly one of sell_amount and buy_amount",
            ))
        }
    };
    let now = state.calendar.now();
    let rate_row = db::exchange::rates_in_force(&state.pool, now)
        .await?
        .into_iter()
        .find(|row| {
            row.base_currency == pair.base().code() && row.quote_currency == pair.quote().code()
        })
        .ok_or_else(|| {
            AccountsError::Problem(Problem::conflict(
                "no_rate_in_force",
                format!("The bank publishes no {pair} rate at the moment; try again later."),
            ))
        })?;
    let rates = rates_of(&rate_row)?;
    let terms = price(&rates, from, to, named).map_err(|error| exchange_problem(&error))?;
    open_fx_accounts(&state, pair).await?;

    let mut token_bytes = [0u8; 32];
    OsRng.fill_bytes(&mut token_bytes);
    let token = ConfirmationToken::from_random_bytes(token_bytes);
    let expires_at = (now + EXCHANGE_QUOTE_VALIDITY).min(rate_row.valid_until);
    let quote_id = new_id();
    let mut transaction = state.pool.begin().await?;
    db::exchange::forget_expired_quotes(&mut transaction, now, EXPIRED_QUOTES_DELETED_PER_QUOTE)
        .await?;
    if db::exchange::count_open_quotes_locked(&mut transaction, client_id, now).await?
        >= MAX_OPEN_EXCHANGE_QUOTES
    {
        return Err(AccountsError::TooManyOpenQuotes {
            limit: MAX_OPEN_EXCHANGE_QUOTES,
        });
    }
    db::exchange::insert_quote(
        &mut transaction,
        &ExchangeQuoteRow {
            id: quote_id,
            client_id,
            rate_id: rate_row.id,
            from_account_id: from_row.id,
            to_account_id: to_row.id,
            sell_amount: terms.sell_amount().amount(),
            buy_amount: terms.buy_amount().amount(),
            applied_rate: terms.applied_rate(),
            mid_rate: terms.mid_rate(),
            confirmation_token: token.as_str().to_owned(),
            expires_at,
            transfer_id: None,
        },
    )
    .await?;
    transaction.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(ExchangeQuoteDto {
            quote_id,
            from_account: from_row.number,
            to_account: to_row.number,
            pair: pair.to_string(),
            sell_currency: from.code().to_owned(),
            sell_amount: amount_text(terms.sell_amount().amount()),
            buy_currency: to.code().to_owned(),
            buy_amount: amount_text(terms.buy_amount().amount()),
            rate: rate_text(terms.applied_rate()),
            confirmation_token: token.as_str().to_owned(),
            expires_at,
        }),
    ))
}

/// A quote's confirmation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ConfirmExchangeRequest {
    pub quote_id: Uuid,
    #[validate(length(max = MAX_CONFIRMATION_TOKEN_CHARS, code = "confirmation_token_malformed"))]
    #[schema(max_length = 64)]
    pub confirmation_token: String,
}

/// Records a booked exchange against its quote, in the audit trail, and in the outbox for the
/// client's notification, all in the caller's transaction.
async fn record_confirmation(
    connection: &mut PgConnection,
    founder: &RequireRole<BankClient>,
    quote: &ExchangeQuoteRow,
    client_id: Uuid,
    transfer_id: Uuid,
) -> Result<(), AccountsError> {
    db::exchange::mark_confirmed(&mut *connection, quote.id, transfer_id).await?;
    audit::record(
        &mut *connection,
        AuditEntry {
            actor_id: Some(founder.subject()),
            actor_roles: founder
                .roles()
                .map(|role| role.as_str().to_owned())
                .collect(),
            action: "exchange.confirmed",
            subject_type: "exchange_quote",
            subject_id: quote.id.to_string(),
            before: None,
            after: Some(json!({
                "transfer_id": transfer_id,
                "sell_amount": amount_text(quote.sell_amount),
                "buy_amount": amount_text(quote.buy_amount),
                "rate": rate_text(quote.applied_rate),
                "rate_id": quote.rate_id,
            })),
            source_address: None,
        },
    )
    .await?;
    events::announce_money_moved(connection, client_id, Movement::Exchange, transfer_id).await?;
    Ok(())
}

/// The exchange as the client sees it, from its quote and the booked transfer.
fn exchange_response(
    quote: &ExchangeQuoteRow,
    from: &AccountRow,
    to: &AccountRow,
    transfer_id: Uuid,
    booked_at: DateTime<Utc>,
    replayed: bool,
) -> Response {
    let dto = ExchangeDto {
        transfer_id,
        quote_id: quote.id,
        from_account: from.number.clone(),
        to_account: to.number.clone(),
        sell_currency: from.currency.clone(),
        sell_amount: amount_text(quote.sell_amount),
        buy_currency: to.currency.clone(),
        buy_amount: amount_text(quote.buy_amount),
        rate: rate_text(quote.applied_rate),
        booked_at,
    };
    let mut response = (StatusCode::CREATED, Json(dto)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
    }
    response
}

/// Confirms an exchange quote with its token: the exchange is booked once. A repeat with the
/// same Idempotency-Key returns the same exchange; another key for a confirmed quote is a 409.
#[utoipa::path(post, path = "/v1/me/exchanges/confirm", tag = "accounts", request_body = ConfirmExchangeRequest,
    params(("Idempotency-Key" = String, Header, description = "makes a retry safe")),
    security(("bearer" = ["client"])),
    responses((status = 201, body = ExchangeDto), (status = 401), (status = 403),
              (status = 404, description = "no such quote for this client"),
              (status = 409, description = "quote_already_confirmed"),
              (status = 422, description = "confirmation_token_mismatch, quote_expired, insufficient_funds, account_closed")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), quote = %request.quote_id))]
pub async fn confirm_exchange(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    key: IdempotencyKey,
    ValidatedJson(request): ValidatedJson<ConfirmExchangeRequest>,
) -> Result<Response, AccountsError> {
    let client_id = client_of(&founder)?;
    let scope = format!("client:{client_id}");
    let canonical = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/me/exchanges/confirm", &canonical);
    let reference_text = format!("exchange:{}", request.quote_id);

    let mut transaction = state.pool.begin().await?;
    let quote = db::exchange::lock_quote(&mut transaction, request.quote_id, client_id)
        .await?
        .ok_or(AccountsError::NotFound("quote"))?;
    let from_row = db::accounts::find_by_id(&mut *transaction, quote.from_account_id)
        .await?
        .ok_or_else(|| AccountsError::Inconsistent("a quote's account vanished".to_owned()))?;
    let to_row = db::accounts::find_by_id(&mut *transaction, quote.to_account_id)
        .await?
        .ok_or_else(|| AccountsError::Inconsistent("a quote's account vanished".to_owned()))?;
    if let Some(record) = earlier_confirmation(
        &mut transaction,
        &scope,
        &reference_text,
        &key,
        &fingerprint,
    )
    .await?
    {
        // The first confirmation booked the exchange but did not get to record it (its
        // transaction ended with an error after the ledger committed): this retry does.
        if quote.transfer_id.is_none() {
            record_confirmation(&mut transaction, &founder, &quote, client_id, record.id).await?;
            transaction.commit().await?;
        }
        return Ok(exchange_response(
            &quote,
            &from_row,
            &to_row,
            record.id,
            record.created_at,
            true,
        ));
    }

    let presented = ConfirmationToken::parse(&request.confirmation_token)?;
    let stored = ConfirmationToken::parse(&quote.confirmation_token)?;
    if !stored.matches(&presented) {
        return Err(ClientTransferError::TokenMismatch.into());
    }
    if state.calendar.now() >= quote.expires_at {
        return Err(ClientTransferError::QuoteExpired.into());
    }
    let from = currency_of(&from_row)?;
    let to = currency_of(&to_row)?;
    let inconsistent =
        |error: String| AccountsError::Inconsistent(format!("quote {}: {error}", quote.id));
    let money = |amount, currency| {
        Money::new(amount, currency).map_err(|error| inconsistent(error.to_string()))
    };
    let pair = CurrencyPair::between(from, to).map_err(|error| inconsistent(error.to_string()))?;
    let terms = ExchangeTerms::restore(
        pair,
        money(quote.sell_amount, from)?,
        money(quote.buy_amount, to)?,
        quote.applied_rate,
        quote.mid_rate,
    )
    .map_err(|error| inconsistent(error.to_string()))?;
    let [base_position, quote_position, quote_income] =
        find_fx_accounts(&mut transaction, pair).await?;
    let legs = terms.legs(&ExchangeAccounts {
        client_from: AccountId::from_uuid(from_row.id),
        client_to: AccountId::from_uuid(to_row.id),
        base_position,
        quote_position,
        quote_income,
    });
    let violation = |violation| {
        AccountsError::Violations(crate::domain::transfer::TransferViolations(vec![violation]))
    };
    let transfer = Transfer::exchange(
        TransferKey::parse(key.as_str()).map_err(violation)?,
        TransferReference::parse(&reference_text).map_err(violation)?,
        legs,
    );
    let booked = state
        .ledger
        .submit(TransferRequest {
            scope,
            fingerprint,
            transfer,
            hold: false,
            actor_id: founder.subject(),
            actor_roles: founder
                .roles()
                .map(|role| role.as_str().to_owned())
                .collect(),
            request_id: imkon_platform::telemetry::current_request_id(),
        })
        .await?;
    let (record, replayed) = match booked {
        Booked::Created(record) => (record, false),
        Booked::Replayed(record) => (record, true),
    };
    record_confirmation(&mut transaction, &founder, &quote, client_id, record.id).await?;
    transaction.commit().await?;
    Ok(exchange_response(
        &quote,
        &from_row,
        &to_row,
        record.id,
        record.created_at,
        replayed,
    ))
}
