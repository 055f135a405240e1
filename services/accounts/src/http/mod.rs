//! The HTTP layer: one module per resource, each with its DTOs, handlers and router.

pub mod accounts;
pub mod bill_payments;
pub mod caller;
pub mod cash_deposits;
pub mod deposits;
pub mod exchange;
pub mod holds;
pub mod interbank;
pub mod me;
pub mod proposals;
pub mod receipt_document;
pub mod standing_orders;
pub mod statement_document;
pub mod statements;

pub mod transfers;

use axum::http::StatusCode;
use axum::Router;
use imkon_auth::extract::{BankClient, RequireRole};
use imkon_platform::config::HttpLimits;
use imkon_platform::money::{Currency, Money, MoneyError};
use imkon_platform::problem::Problem;
use rust_decimal::Decimal;
use utoipa::OpenApi;
use validator::ValidationError;

use crate::domain::account_number::AccountNumber;
use crate::error::AccountsError;
use crate::AppState;

/// Every route of the service's own API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(accounts::router())
        .merge(transfers::router())
        .merge(proposals::router())
        .merge(cash_deposits::router())
        .merge(holds::router())
        .merge(statements::router())
        .merge(me::router())
        .merge(exchange::router())
        .merge(standing_orders::router())
        .merge(deposits::router())
        .merge(bill_payments::router())
        .merge(interbank::router())
        .with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        accounts::create_account,
        accounts::get_account,
        accounts::list_accounts,
        accounts::my_accounts,
        accounts::open_my_account,
        accounts::rename_my_account,
        accounts::close_my_account,
        transfers::create_transfer,
        cash_deposits::record_cash_deposit,
        proposals::list_proposals,
        proposals::confirm_proposal,
        proposals::reject_proposal,
        holds::post_hold,
        holds::void_hold,
        statements::statement_json,
        statements::statement_csv,
        statements::statement_pdf,
        me::quote_transfer,
        me::confirm_transfer,
        me::my_limits,
        exchange::propose_rate,
        exchange::list_rates,
        exchange::current_rates,
        exchange::publish_rate,
        exchange::reject_rate,
        exchange::position_report,
        exchange::quote_exchange,
        exchange::confirm_exchange,
        standing_orders::create_template,
        standing_orders::list_templates,
        standing_orders::create_standing_order,
        standing_orders::list_standing_orders,
        standing_orders::cancel_standing_order,
        deposits::create_product,
        deposits::list_products,
        deposits::withdraw_product,
        deposits::open_deposit,
        deposits::my_deposits,
        deposits::my_deposit,
        deposits::close_deposit,
        bill_payments::list_payees,
        bill_payments::find_invoice,
        bill_payments::pay_invoice,
        bill_payments::my_payments,
        bill_payments::my_payment,
        bill_payments::receipt_pdf,
        interbank::pay_other_bank,
        interbank::my_payments,
        interbank::my_payment,
        interbank::list_batches,
        interbank::receive_incoming_file,
    ),
    tags((name = "accounts", description = "clients' accounts and the bank's double-entry ledger"))
)]
pub struct ApiDoc;

/// The structural limits of request bodies, declared on the DTOs with `validator` and in the
/// OpenAPI schema. What the text means (a valid check digit, a decimal amount) the domain's
/// parsing types decide; these only bound its size, before anything is parsed or looked up.
///
/// An account number has exactly this many digits.
pub const ACCOUNT_NUMBER_CHARS: u64 = 20;
/// The longest amount text: an amount column is `numeric(30, 2)`, 28 digits, a point and two
/// decimals, with room for leading zeros a caller may send.
pub const MAX_AMOUNT_CHARS: u64 = 40;
/// The longest account name.
pub const MAX_ACCOUNT_NAME_CHARS: u64 = 200;
/// A confirmation token is 64 hexadecimal characters; anything longer is not one.
pub const MAX_CONFIRMATION_TOKEN_CHARS: u64 = 64;

/// The page-size limit of the query strings that page: from 1 to the deployment's
/// `max_page_size`. The maximum is configuration, not a constant, so the DTOs declare this
/// check with `validator`'s context (`validate_with_args(&state.limits)`) rather than a range.
pub fn page_size_within(limit: u32, limits: &HttpLimits) -> Result<(), ValidationError> {
    if (1..=limits.max_page_size).contains(&limit) {
        return Ok(());
    }
    let mut error = ValidationError::new("limit_out_of_range");
    error.message = Some(format!("between 1 and {}", limits.max_page_size).into());
    Err(error)
}

/// An amount as the API writes it: the decimal with the currency's two minor digits. Every
/// currency the ledger keeps has two (the amount columns are `numeric(30, 2)`).
pub fn amount_text(amount: Decimal) -> String {
    let mut amount = amount;
    amount.rescale(2);
    amount.to_string()
}

/// The client a founder's sign-in acts for; a sign-in without a client profile may not act on
/// a client's money (403 `no_client_profile`).
pub fn client_of(founder: &RequireRole<BankClient>) -> Result<uuid::Uuid, AccountsError> {
    founder.client_id().ok_or_else(|| {
        AccountsError::Problem(Problem::forbidden(
            "no_client_profile",
            "this sign-in has no client profile",
        ))
    })
}

/// The transfer an earlier confirmation of a quote booked, if one did (the transfer in `scope`
/// whose reference is the quote's): the same key and request replay it, another key finds the
/// quote confirmed (409 `quote_already_confirmed`), the same key with another request is
/// refused (`idempotency_key_reused`).
pub async fn earlier_confirmation(
    connection: &mut sqlx::PgConnection,
    scope: &str,
    reference: &str,
    key: &imkon_platform::idempotency::IdempotencyKey,
    fingerprint: &str,
) -> Result<Option<crate::db::ledger::TransferRecord>, AccountsError> {
    let Some(booked) =
        crate::db::quotes::transfer_by_reference(&mut *connection, scope, reference).await?
    else {
        return Ok(None);
    };
    if booked.idempotency_key != key.as_str() {
        return Err(AccountsError::QuoteAlreadyConfirmed);
    }
    if booked.request_fingerprint != fingerprint {
        return Err(AccountsError::IdempotencyKeyReused);
    }
    let mut records = crate::db::ledger::load_transfers(connection, &[booked.id]).await?;
    let record = records
        .remove(&booked.id)
        .ok_or_else(|| AccountsError::Inconsistent(format!("transfer {} vanished", booked.id)))?;
    Ok(Some(record))
}

/// Parses an account number from a request field.
pub fn parse_account_number(
    state: &AppState,
    field: &str,
    text: &str,
) -> Result<AccountNumber, AccountsError> {
    AccountNumber::parse(text, state.bank).map_err(|error| AccountsError::AccountNumber {
        field: field.to_owned(),
        error,
    })
}

/// Parses a bare amount string of `currency`; a fourth decimal place is `too_many_decimals`,
/// anything that is not a plain decimal a `validation_failed`, both naming `field`.
pub fn parse_amount(field: &str, text: &str, currency: Currency) -> Result<Money, AccountsError> {
    Money::parse(text, currency).map_err(|error| match error {
        MoneyError::TooManyDecimals { .. } => AccountsError::Problem(
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_decimals",
                "Invalid amount",
            )
            .with_detail(format!("{field}: {error}"))
            .with_field_error(field, "too_many_decimals", error.to_string()),
        ),
        other => invalid(field, "not_an_amount", other.to_string()),
    })
}

/// The open current account the client may pay from (their own, or a company's they founded)
/// whose number the request gives in `from_account`, locked, from which `amount` is to leave:
/// another client's account, or one that is not a current account, is not found (404 `unknown_account`); a closed one is refused (409
/// `account_closed`), one in another currency too (422 `currency_mismatch`), and one whose
/// available money is below the amount (422 `insufficient_funds`, named at `short_field`).
/// The ledger decides for certain when the money moves; this refuses before anything is
/// written when the money is plainly not there.
pub async fn lock_paying_account(
    connection: &mut sqlx::PgConnection,
    state: &AppState,
    client_id: uuid::Uuid,
    from_account: &str,
    amount: Money,
    short_field: &str,
) -> Result<crate::db::accounts::AccountRow, AccountsError> {
    let number = parse_account_number(state, "from_account", from_account)?;
    let from = crate::db::accounts::lock_operated(connection, &number.to_string(), client_id)
        .await?
        .filter(crate::db::accounts::is_current)
        .ok_or_else(|| AccountsError::UnknownAccount {
            field: "from_account".to_owned(),
        })?;
    if from.closed_at.is_some() {
        return Err(AccountsError::Problem(
            Problem::conflict("account_closed", "This account is closed.").with_field_error(
                "from_account",
                "account_closed",
                "closed",
            ),
        ));
    }
    let currency = amount.currency().code();
    if from.currency != currency {
        return Err(invalid(
            "from_account",
            "currency_mismatch",
            format!("this payment is made from an account in {currency}"),
        ));
    }
    if from.posted_balance - from.pending_holds < amount.amount() {
        return Err(AccountsError::Problem(
            Problem::unprocessable(
                "insufficient_funds",
                "The account does not hold enough money.",
            )
            .with_field_error(
                short_field,
                "insufficient_funds",
                "more than the account holds",
            ),
        ));
    }
    Ok(from)
}

/// A 422 naming the field, for input the domain types do not parse themselves.
pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> AccountsError {
    AccountsError::Problem(Problem::invalid_field(field, code, message))
}
