//! A signed-in client moving their own money: a quote, then a confirmation with the quote's
//! one-time token, under a daily limit.
//!
//! The confirmation holds a per-client lock from the moment it reads the day's total until its
//! transfer is committed by the ledger writer, so two confirmations at once cannot both slip
//! under the limit. Whether the source has the money is decided by the writer, under the
//! account's row lock.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use imkon_auth::extract::{BankClient, RequireRole};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::id::new_id;
use imkon_platform::idempotency::{self, IdempotencyKey};
use imkon_platform::money::{Currency, Money};
use imkon_platform::problem::{Problem, ValidatedJson};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::transfers::booked_response;
use super::{
    amount_text, client_of, earlier_confirmation, parse_account_number, parse_amount,
    ACCOUNT_NUMBER_CHARS, MAX_AMOUNT_CHARS, MAX_CONFIRMATION_TOKEN_CHARS,
};
use crate::db;
use crate::db::accounts::AccountRow;
use crate::domain::account::{Account, AccountId, AccountKind, AccountOwner, ClientId, CompanyId};
use crate::domain::account_number::AccountNumber;
use crate::domain::client_transfer::{
    confirm_client_transfer, quote_client_transfer, ClientTransferRequest, ConfirmationToken,
    TransferQuote,
};
use crate::domain::transfer::{
    IdempotencyKey as TransferKey, TransferReference, TransferViolations,
};
use crate::error::AccountsError;
use crate::events::{self, Movement};
use crate::ledger::{Booked, TransferRequest};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/me/transfers/quote", post(quote_transfer))
        .route("/v1/me/transfers/confirm", post(confirm_transfer))
        .route("/v1/me/limits", get(my_limits))
}

/// A client's transfer to quote. The sizes are bounded here; the domain parses the numbers
/// and the amount.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// One of the client's own current accounts.
    #[validate(length(
        equal = ACCOUNT_NUMBER_CHARS,
        code = "account_number_wrong_length"
    ))]
    #[schema(min_length = 20, max_length = 20)]
    pub from_account: String,
    /// Any client's current account in the same currency, by number.
    #[validate(length(
        equal = ACCOUNT_NUMBER_CHARS,
        code = "account_number_wrong_length"
    ))]
    #[schema(min_length = 20, max_length = 20)]
    pub to_account: String,
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuoteDto {
    pub quote_id: Uuid,
    pub from_account: String,
    pub to_account: String,
    pub currency: String,
    pub amount: String,
    pub fee: String,
    pub total_debit: String,
    /// Present this with the quote id to confirm; shown once.
    pub confirmation_token: String,
    pub expires_at: DateTime<Utc>,
    pub daily_limit: String,
    /// What may still be sent today before this transfer.
    pub remaining_daily_limit: String,
}

/// A quote's confirmation. Only the token's size is bounded here; whether it is well formed
/// (64 lowercase hexadecimal characters) is the domain's `ConfirmationToken` to decide, with its
/// own code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub quote_id: Uuid,
    #[validate(length(
        max = MAX_CONFIRMATION_TOKEN_CHARS,
        code = "confirmation_token_malformed"
    ))]
    #[schema(max_length = 64)]
    pub confirmation_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LimitDto {
    pub currency: String,
    pub daily_limit: String,
    pub sent_today: String,
    pub remaining: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LimitsDto {
    /// The bank's day (Tashkent) the totals count.
    pub day: chrono::NaiveDate,
    pub limits: Vec<LimitDto>,
}

/// The company whose account `from` is, when the client founded it and so pays for it; none
/// for the client's own account (or one they may not use, which the domain then refuses).
async fn acting_for(
    executor: impl sqlx::PgExecutor<'_>,
    client_id: Uuid,
    from: &AccountRow,
) -> Result<Option<CompanyId>, AccountsError> {
    let Some(company_id) = from.owner_company_id else {
        return Ok(None);
    };
    let founder = db::accounts::company_founder(executor, company_id).await?;
    Ok((founder == Some(client_id)).then(|| CompanyId::from_uuid(company_id)))
}

/// The client's idempotency scope: their keys never collide with another caller's.
fn client_scope(client_id: Uuid) -> String {
    format!("client:{client_id}")
}

/// The domain's view of a stored account.
fn domain_account(state: &AppState, row: &AccountRow) -> Result<Account, AccountsError> {
    let inconsistent =
        |what: String| AccountsError::Inconsistent(format!("account {}: {what}", row.id));
    let number = AccountNumber::parse(&row.number, state.bank)
        .map_err(|error| inconsistent(error.to_string()))?;
    let kind: AccountKind = row.kind.parse()?;
    let currency: Currency = row
        .currency
        .parse()
        .map_err(|error| inconsistent(format!("{error}")))?;
    let owner = match (row.owner_client_id, row.owner_company_id) {
        (Some(client), _) => AccountOwner::Client(ClientId::from_uuid(client)),
        (None, Some(company)) => AccountOwner::Company(CompanyId::from_uuid(company)),
        (None, None) => AccountOwner::Bank,
    };
    Ok(Account::open(
        AccountId::from_uuid(row.id),
        number,
        kind,
        owner,
        currency,
        row.allow_negative,
    )?)
}

/// What the client has sent in `currency` on the bank's day of `now`: the day a daily limit
/// counts.
pub async fn sent_today(
    connection: impl sqlx::PgExecutor<'_>,
    calendar: &BankCalendar,
    client_id: Uuid,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<Money, AccountsError> {
    let day = calendar.day_of(now);
    let start = calendar.start_of(day);
    let end = calendar.start_of(day + Duration::days(1));
    let sent =
        db::quotes::sent_on_day(connection, client_id, currency.code(), day, start, end).await?;
    Money::new(sent, currency).map_err(|error| AccountsError::Inconsistent(error.to_string()))
}

/// How many quotes one client may hold awaiting confirmation: each is a stored row, so an
/// unbounded number would let one client fill the table.
pub const MAX_OPEN_QUOTES_PER_CLIENT: i64 = 20;

/// How many expired quotes (of anyone) a new quote deletes: enough to keep up with the quotes
/// made, little enough to keep a quote fast.
const EXPIRED_QUOTES_DELETED_PER_QUOTE: i64 = 100;

/// Quotes a transfer from the client's own current account: the rules and the daily limit are
/// checked and a confirmation token is issued. A client holds at most
/// [`MAX_OPEN_QUOTES_PER_CLIENT`] unconfirmed quotes; expired ones are deleted.
#[utoipa::path(post, path = "/v1/me/transfers/quote", tag = "accounts", request_body = QuoteRequest,
    security(("bearer" = ["client"])),
    responses((status = 201, body = QuoteDto), (status = 401), (status = 403),
              (status = 404, description = "the source is not the client's, or the destination does not exist"),
              (status = 422, description = "daily_limit_exceeded, currency_mismatch, same_account, too_many_decimals"),
              (status = 429, description = "too_many_open_quotes")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn quote_transfer(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    ValidatedJson(request): ValidatedJson<QuoteRequest>,
) -> Result<(StatusCode, Json<QuoteDto>), AccountsError> {
    let client_id = client_of(&founder)?;
    let from_number = parse_account_number(&state, "from_account", &request.from_account)?;
    let to_number = parse_account_number(&state, "to_account", &request.to_account)?;
    let from_row = db::accounts::find_operated(&state.pool, &from_number.to_string(), client_id)
        .await?
        .ok_or(AccountsError::NotFound("account"))?;
    let to_row = db::accounts::find_by_number(&state.pool, &to_number.to_string())
        .await?
        .ok_or_else(|| AccountsError::UnknownAccount {
            field: "to_account".to_owned(),
        })?;
    let from = domain_account(&state, &from_row)?;
    let to = domain_account(&state, &to_row)?;
    let acting_for = acting_for(&state.pool, client_id, &from_row).await?;
    let amount = parse_amount("amount", &request.amount, from.currency())?;
    let now = state.calendar.now();
    let sent = sent_today(
        &state.pool,
        &state.calendar,
        client_id,
        from.currency(),
        now,
    )
    .await?;
    let mut token_bytes = [0u8; 32];
    OsRng.fill_bytes(&mut token_bytes);
    let quote = quote_client_transfer(
        &ClientTransferRequest {
            client: ClientId::from_uuid(client_id),
            acting_for,
            from: &from,
            to: &to,
            amount,
        },
        sent,
        &state.client_transfer_policy,
        now,
        ConfirmationToken::from_random_bytes(token_bytes),
    )?;
    let quote_id = new_id();
    let mut transaction = state.pool.begin().await?;
    db::quotes::forget_expired(&mut transaction, now, EXPIRED_QUOTES_DELETED_PER_QUOTE).await?;
    if db::quotes::count_open_locked(&mut transaction, client_id, now).await?
        >= MAX_OPEN_QUOTES_PER_CLIENT
    {
        return Err(AccountsError::TooManyOpenQuotes {
            limit: MAX_OPEN_QUOTES_PER_CLIENT,
        });
    }
    db::quotes::insert_quote(
        &mut transaction,
        &db::quotes::QuoteRow {
            id: quote_id,
            client_id,
            from_account_id: from_row.id,
            to_account_id: to_row.id,
            amount: quote.amount.amount(),
            fee: quote.fee.amount(),
            currency: from_row.currency.clone(),
            confirmation_token: quote.token.as_str().to_owned(),
            expires_at: quote.expires_at,
            transfer_id: None,
        },
    )
    .await?;
    transaction.commit().await?;
    let limit = state.client_transfer_policy.daily_limit(from.currency());
    Ok((
        StatusCode::CREATED,
        Json(QuoteDto {
            quote_id,
            from_account: from_row.number,
            to_account: to_row.number,
            currency: from_row.currency,
            amount: amount_text(quote.amount.amount()),
            fee: amount_text(quote.fee.amount()),
            total_debit: amount_text(quote.total_debit.amount()),
            confirmation_token: quote.token.as_str().to_owned(),
            expires_at: quote.expires_at,
            daily_limit: amount_text(limit.amount()),
            remaining_daily_limit: amount_text(limit.amount() - sent.amount()),
        }),
    ))
}

/// Confirms a quote with its token: the transfer is booked once. A repeat with the same
/// Idempotency-Key returns the same transfer; confirming the quote again otherwise is a 409.
#[utoipa::path(post, path = "/v1/me/transfers/confirm", tag = "accounts", request_body = ConfirmRequest,
    params(("Idempotency-Key" = String, Header, description = "makes a retry safe")),
    security(("bearer" = ["client"])),
    responses((status = 201, body = super::transfers::TransferDto), (status = 401), (status = 403),
              (status = 404, description = "no such quote for this client"),
              (status = 409, description = "quote_already_confirmed"),
              (status = 422, description = "confirmation_token_mismatch, quote_expired, daily_limit_exceeded, insufficient_funds")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), quote = %request.quote_id))]
pub async fn confirm_transfer(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    key: IdempotencyKey,
    ValidatedJson(request): ValidatedJson<ConfirmRequest>,
) -> Result<Response, AccountsError> {
    let client_id = client_of(&founder)?;
    let scope = client_scope(client_id);
    let canonical = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/me/transfers/confirm", &canonical);
    let reference_text = format!("quote:{}", request.quote_id);

    let mut transaction = state.pool.begin().await?;
    db::quotes::lock_client(&mut transaction, client_id).await?;
    let quote_row = db::quotes::lock_quote(&mut transaction, request.quote_id, client_id)
        .await?
        .ok_or(AccountsError::NotFound("quote"))?;
    if let Some(record) = earlier_confirmation(
        &mut transaction,
        &scope,
        &reference_text,
        &key,
        &fingerprint,
    )
    .await?
    {
        // The first confirmation booked the transfer but did not get to record it (its
        // transaction ended with an error after the ledger committed): this retry does.
        if quote_row.transfer_id.is_none() {
            record_confirmation(&mut transaction, &quote_row, client_id, record.id).await?;
            transaction.commit().await?;
        }
        return Ok(booked_response(Booked::Replayed(record)));
    }

    let token = ConfirmationToken::parse(&request.confirmation_token)?;
    let stored_token = ConfirmationToken::parse(&quote_row.confirmation_token)?;
    let from_row = db::accounts::find_by_id(&mut *transaction, quote_row.from_account_id)
        .await?
        .ok_or_else(|| AccountsError::Inconsistent("a quote's account vanished".to_owned()))?;
    let to_row = db::accounts::find_by_id(&mut *transaction, quote_row.to_account_id)
        .await?
        .ok_or_else(|| AccountsError::Inconsistent("a quote's account vanished".to_owned()))?;
    let from = domain_account(&state, &from_row)?;
    let to = domain_account(&state, &to_row)?;
    let acting_for = acting_for(&mut *transaction, client_id, &from_row).await?;
    let money = |amount| {
        Money::new(amount, from.currency())
            .map_err(|error| AccountsError::Inconsistent(error.to_string()))
    };
    let amount = money(quote_row.amount)?;
    let fee = money(quote_row.fee)?;
    let quote = TransferQuote {
        client: ClientId::from_uuid(client_id),
        from_account: from.id(),
        to_account: to.id(),
        amount,
        fee,
        total_debit: amount
            .checked_add(&fee)
            .map_err(|error| AccountsError::Inconsistent(error.to_string()))?,
        token: stored_token,
        expires_at: quote_row.expires_at,
    };
    let now = state.calendar.now();
    let sent = sent_today(
        &mut *transaction,
        &state.calendar,
        client_id,
        from.currency(),
        now,
    )
    .await?;
    let transfer_key = TransferKey::parse(key.as_str())
        .map_err(|violation| AccountsError::Violations(TransferViolations(vec![violation])))?;
    let reference = TransferReference::parse(&reference_text)
        .map_err(|violation| AccountsError::Violations(TransferViolations(vec![violation])))?;
    let transfer = confirm_client_transfer(
        &quote,
        &token,
        &ClientTransferRequest {
            client: ClientId::from_uuid(client_id),
            acting_for,
            from: &from,
            to: &to,
            amount,
        },
        sent,
        &state.client_transfer_policy,
        now,
        transfer_key,
        reference,
    )?;
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
    let transfer_id = match &booked {
        Booked::Created(record) | Booked::Replayed(record) => record.id,
    };
    record_confirmation(&mut transaction, &quote_row, client_id, transfer_id).await?;
    transaction.commit().await?;
    Ok(booked_response(booked))
}

/// Records a booked transfer against its quote and, in the outbox, tells the sender and (when
/// the destination is a client's) the recipient, all in the caller's transaction.
async fn record_confirmation(
    connection: &mut sqlx::PgConnection,
    quote: &db::quotes::QuoteRow,
    client_id: Uuid,
    transfer_id: Uuid,
) -> Result<(), AccountsError> {
    db::quotes::mark_confirmed(&mut *connection, quote.id, transfer_id).await?;
    events::announce_money_moved(
        &mut *connection,
        client_id,
        Movement::TransferSent,
        transfer_id,
    )
    .await?;
    let recipient = match db::accounts::find_by_id(&mut *connection, quote.to_account_id).await? {
        Some(account) => db::accounts::operator_of(&mut *connection, &account).await?,
        None => None,
    }
    .filter(|recipient| *recipient != client_id);
    if let Some(recipient) = recipient {
        events::announce_money_moved(
            connection,
            recipient,
            Movement::TransferReceived,
            transfer_id,
        )
        .await?;
    }
    Ok(())
}

/// The client's daily limits and what is left of them today.
#[utoipa::path(get, path = "/v1/me/limits", tag = "accounts",
    security(("bearer" = ["client"])),
    responses((status = 200, body = LimitsDto), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn my_limits(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<LimitsDto>, AccountsError> {
    let client_id = client_of(&founder)?;
    let now = state.calendar.now();
    let mut limits = Vec::new();
    for currency in Currency::ALL {
        let limit = state.client_transfer_policy.daily_limit(currency);
        let sent = sent_today(&state.pool, &state.calendar, client_id, currency, now).await?;
        let remaining = (limit.amount() - sent.amount()).max(rust_decimal::Decimal::ZERO);
        limits.push(LimitDto {
            currency: currency.code().to_owned(),
            daily_limit: amount_text(limit.amount()),
            sent_today: amount_text(sent.amount()),
            remaining: amount_text(remaining),
        });
    }
    Ok(Json(LimitsDto {
        day: state.calendar.day_of(now),
        limits,
    }))
}
