//! Cash paid in at a counter and credited to a client's current account, with four eyes.
//!
//! A member of finance staff (or an admin) records the deposit with the number of the receipt
//! the counter issued. It becomes a transfer proposal: kind `deposit`, reference
//! `cash-receipt:<number>`, the bank's cash in the account's currency debited and the client's
//! current account credited. A second, different member of staff confirms it with
//! `POST /v1/transfer-proposals/{id}/confirm`, which books it; until then no money has moved.
//!
//! A receipt number is used once, ever: its `cash_receipt` row is written in the proposal's
//! transaction, so another deposit naming it is refused (409 `receipt_already_used`), even after
//! the first was rejected, since a wrong receipt is cancelled at the counter and a new one
//! issued. The same Idempotency-Key from the same person answers with the same proposal.
//!
//! Payments arriving from other banks will come through a payment-system adapter that books the
//! same shape of transfer from the settlement account; cash is the channel that people key in
//! by hand, which is why it alone waits for a second person.

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use imkon_platform::idempotency::{self, IdempotencyKey};
use imkon_platform::money::Currency;
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::caller::{Allowed, LedgerStaff};
use super::proposals::{record_proposal, TRANSFER};
use super::transfers::{parse_transfer, refuse_own_account_ids, LegRequest, TransferRequestBody};
use super::{
    amount_text, invalid, parse_account_number, parse_amount, ACCOUNT_NUMBER_CHARS,
    MAX_AMOUNT_CHARS,
};
use crate::db;
use crate::db::cash_receipts::NewCashReceipt;
use crate::db::proposals::NewProposal;
use crate::domain::account::{AccountKind, AccountOwner};
use crate::error::AccountsError;
use crate::opening::{open_once, AccountOpening};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/cash-deposits", post(record_cash_deposit))
}

/// The shortest and longest receipt numbers, in characters.
const RECEIPT_NUMBER_CHARS: (u64, u64) = (4, 32);

/// Cash received at a counter for a client's current account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CashDepositRequest {
    /// The client's current account, by its 20-digit number.
    #[validate(length(
        equal = ACCOUNT_NUMBER_CHARS,
        code = "account_number_wrong_length"
    ))]
    #[schema(min_length = 20, max_length = 20)]
    pub account: String,
    /// A positive decimal in the account's currency, such as "1500000.00".
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: String,
    /// The counter receipt's number as printed: capital letters, digits and inner hyphens.
    #[validate(length(
        min = RECEIPT_NUMBER_CHARS.0,
        max = RECEIPT_NUMBER_CHARS.1,
        code = "invalid_receipt_number"
    ))]
    #[schema(
        min_length = 4,
        max_length = 32,
        pattern = "^[A-Z0-9][A-Z0-9-]*[A-Z0-9]$"
    )]
    pub receipt_number: String,
}

/// Whether `text` is a receipt number as the counters print them (the database checks it too).
fn is_receipt_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let edge = |byte: &u8| byte.is_ascii_uppercase() || byte.is_ascii_digit();
    bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes.iter().all(|byte| edge(byte) || *byte == b'-')
}

/// Records cash received at a counter as a deposit proposal (202); a second member of staff
/// confirms it through the transfer proposals, which books it.
#[utoipa::path(post, path = "/v1/cash-deposits", tag = "accounts",
    request_body = CashDepositRequest,
    params(("Idempotency-Key" = String, Header, description = "the same key from the same person answers with the same proposal")),
    security(("bearer" = ["finance", "admin"])),
    responses(
        (status = 202, body = super::proposals::ProposalDto, description = "proposed; another member of staff confirms it"),
        (status = 400, description = "no Idempotency-Key"),
        (status = 401),
        (status = 403, description = "forbidden, or own_account: the account is the staff member's own"),
        (status = 404, description = "unknown_account"),
        (status = 409, description = "receipt_already_used"),
        (status = 422, description = "invalid_receipt_number, not_a_current_account, not_positive, too_many_decimals, validation_failed, idempotency_key_reused")))]
#[tracing::instrument(skip_all, fields(caller = %staff.subject(), key = %key.as_str()))]
pub async fn record_cash_deposit(
    State(state): State<AppState>,
    staff: Allowed<LedgerStaff>,
    key: IdempotencyKey,
    ValidatedJson(body): ValidatedJson<CashDepositRequest>,
) -> Result<Response, AccountsError> {
    let caller = staff.into_caller();
    if !is_receipt_number(&body.receipt_number) {
        return Err(invalid(
            "receipt_number",
            "invalid_receipt_number",
            "capital letters, digits and hyphens, beginning and ending with a letter or digit",
        ));
    }
    let number = parse_account_number(&state, "account", &body.account)?;
    let account = db::accounts::find_by_number(&state.pool, &number.to_string())
        .await?
        .ok_or_else(|| AccountsError::UnknownAccount {
            field: "account".to_owned(),
        })?;
    if !db::accounts::is_current(&account) {
        return Err(invalid(
            "account",
            "not_a_current_account",
            "cash is paid into a client's or a company's current account",
        ));
    }
    refuse_own_account_ids(&state, &caller, &[account.id]).await?;
    let currency: Currency = account.currency.parse().map_err(|_| {
        AccountsError::Inconsistent(format!("account {}: currency", account.number))
    })?;
    let amount = parse_amount("amount", &body.amount, currency)?;
    if !amount.is_positive() {
        return Err(invalid("amount", "not_positive", "more than zero"));
    }
    // The bank's till in the currency is opened on its first deposit, in a transaction of its
    // own: the transfer's accounts are read by number from the pool, which must see it.
    let mut opening = state.pool.begin().await?;
    let cash = open_once(
        &mut opening,
        state.bank,
        &AccountOpening {
            kind: AccountKind::BankCash,
            owner: AccountOwner::Bank,
            currency,
            allow_negative: false,
            name: Some("Cash at the counters"),
        },
        "first cash deposit",
    )
    .await?;
    opening.commit().await?;

    let transfer = TransferRequestBody {
        kind: "deposit".to_owned(),
        reference: format!("cash-receipt:{}", body.receipt_number),
        currency: currency.code().to_owned(),
        legs: vec![
            LegRequest {
                account: cash.number.clone(),
                side: "debit".to_owned(),
                amount: amount_text(amount.amount()),
            },
            LegRequest {
                account: account.number.clone(),
                side: "credit".to_owned(),
                amount: amount_text(amount.amount()),
            },
        ],
        hold: false,
    };
    // Checked now, so that the second member of staff is never asked to confirm a transfer the
    // ledger would refuse.
    parse_transfer(&state, &transfer, &key).await?;
    let request =
        serde_json::to_value(&transfer).map_err(|error| Problem::internal_from(&error))?;
    let canonical = serde_json::to_vec(&body).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/cash-deposits", &canonical);
    let mut transaction = state.pool.begin().await?;
    let recorded = record_proposal(
        &mut transaction,
        &caller,
        &NewProposal {
            id: imkon_platform::id::new_id(),
            action: TRANSFER,
            hold_id: None,
            request: &request,
            fingerprint: &fingerprint,
            idempotency_key: key.as_str(),
            proposed_by: caller.subject(),
        },
    )
    .await?;
    if recorded.created {
        let fresh = db::cash_receipts::insert(
            &mut transaction,
            &NewCashReceipt {
                receipt_number: &body.receipt_number,
                proposal_id: recorded.id,
                account_id: account.id,
                amount: amount.amount(),
                currency: currency.code(),
                recorded_by: caller.subject(),
            },
        )
        .await?;
        if !fresh {
            return Err(Problem::conflict(
                "receipt_already_used",
                format!(
                    "receipt {} was recorded with another deposit",
                    body.receipt_number
                ),
            )
            .into());
        }
    }
    transaction.commit().await?;
    Ok(recorded.response)
}

#[cfg(test)]
mod tests {
    use super::is_receipt_number;

    #[test]
    fn receipt_numbers_are_capitals_digits_and_inner_hyphens() {
        for good in ["R-000123", "2026-12-04-0007", "ABCD"] {
            assert!(is_receipt_number(good), "{good}");
        }
        for bad in ["-R123", "R123-", "r-123", "R 123", "R_123", "Ж123", ""] {
            assert!(!is_receipt_number(bad), "{bad}");
        }
    }
}
