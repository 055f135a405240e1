//! The service's one error type, and how each error becomes a problem+json response with a
//! stable `code`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use imkon_platform::problem::Problem;

use crate::domain::account::AccountError;
use crate::domain::account_number::AccountNumberError;
use crate::domain::client_transfer::ClientTransferError;
use crate::domain::hold::HoldError;
use crate::domain::posting::TransferError;
use crate::domain::transfer::TransferViolations;

/// Everything a request to this service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// An account number in the request is malformed; `field` names where it was.
    #[error("{field}: {error}")]
    AccountNumber {
        field: String,
        error: AccountNumberError,
    },
    /// The request names an account that does not exist (or that the caller may not see).
    #[error("{field}: no such account")]
    UnknownAccount { field: String },
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Violations(#[from] TransferViolations),
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error(transparent)]
    Hold(#[from] HoldError),
    #[error(transparent)]
    ClientTransfer(#[from] ClientTransferError),
    /// The same idempotency key was used before for a different request.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    /// The resource does not exist, or belongs to someone else.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A confirmed quote cannot be confirmed again.
    #[error("the quote has already been confirmed")]
    QuoteAlreadyConfirmed,
    /// The client holds as many unconfirmed quotes as one client may.
    #[error("too many quotes await confirmation")]
    TooManyOpenQuotes { limit: i64 },
    /// The member of staff who proposed a transfer tried to confirm it (four eyes).
    #[error("the proposer of a transfer cannot confirm it")]
    FourEyesViolation,
    /// The proposal was already confirmed by someone else, or turned down.
    #[error("the transfer proposal is already {0}")]
    ProposalSettled(&'static str),
    /// Any other problem already in its final form (an invalid field, a bad cursor).
    #[error("{0}")]
    Problem(Problem),
    /// The database failed; the caller learns nothing more than that.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The batch this request was booked in failed as a whole (the cause is logged once by the
    /// ledger writer); nothing of it was written, so a retry with the same key is safe.
    #[error("the ledger could not book the batch")]
    BatchFailed,
    /// A stored row breaks an invariant the service relies on: a bug, reported as a 500.
    #[error("stored data is inconsistent: {0}")]
    Inconsistent(String),
}

impl From<Problem> for AccountsError {
    fn from(problem: Problem) -> AccountsError {
        AccountsError::Problem(problem)
    }
}

/// The top-level code of a transfer that cannot be booked, as the API contract names them.
fn transfer_error_problem(error: &TransferError) -> Problem {
    let field = match error {
        TransferError::UnknownAccount { leg, .. } | TransferError::AccountClosed { leg, .. } => {
            format!("legs[{leg}].account")
        }
        TransferError::CurrencyMismatch { .. } => "currency".to_owned(),
        other => other.field(),
    };
    let status = match error {
        TransferError::UnknownAccount { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Problem::new(status, error.code(), "Transfer refused")
        .with_detail(error.to_string())
        .with_field_error(field, error.code(), error.to_string())
}

impl AccountsError {
    pub fn to_problem(&self) -> Problem {
        match self {
            AccountsError::AccountNumber { field, error } => {
                Problem::invalid_field(field.clone(), error.code(), error.to_string())
            }
            AccountsError::UnknownAccount { field } => {
                Problem::not_found("unknown_account", format!("{field}: no such account"))
                    .with_field_error(field.clone(), "unknown_account", "no such account")
            }
            AccountsError::Account(error) => {
                Problem::invalid_field(error.field(), error.code(), error.to_string())
            }
            AccountsError::Violations(TransferViolations(violations)) => {
                // The first violation names the problem, as the API contract promises one code
                // per refusal; every violation is listed under `errors`.
                let code = violations
                    .first()
                    .map_or("validation_failed", |violation| violation.code());
                violations.iter().fold(
                    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, "Invalid transfer")
                        .with_detail(self.to_string()),
                    |problem, violation| {
                        problem.with_field_error(
                            violation.field().replace(".account_id", ".account"),
                            violation.code(),
                            violation.to_string(),
                        )
                    },
                )
            }
            AccountsError::Transfer(error) => transfer_error_problem(error),
            AccountsError::Hold(HoldError::Transfer(error)) => transfer_error_problem(error),
            AccountsError::Hold(error @ (HoldError::AlreadyPosted | HoldError::AlreadyVoided)) => {
                Problem::conflict(error.code(), error.to_string())
            }
            AccountsError::Hold(error) => match error.field() {
                Some(field) => Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    error.code(),
                    "Hold refused",
                )
                .with_detail(error.to_string())
                .with_field_error(field, error.code(), error.to_string()),
                None => Problem::internal_from(error),
            },
            AccountsError::ClientTransfer(error) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, error.code(), "Transfer refused")
                    .with_detail(error.to_string())
                    .with_field_error(error.field(), error.code(), error.to_string())
            }
            AccountsError::IdempotencyKeyReused => Problem::unprocessable(
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request; use a new key for a new request.",
            ),
            AccountsError::NotFound(what) => {
                Problem::not_found("not_found", format!("No such {what}."))
            }
            AccountsError::QuoteAlreadyConfirmed => Problem::conflict(
                "quote_already_confirmed",
                "This quote has already been confirmed; ask for a new quote.",
            ),
            AccountsError::TooManyOpenQuotes { limit } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_open_quotes",
                "Too many quotes",
            )
            .with_detail(format!(
                "At most {limit} quotes may await confirmation; confirm one or wait until they expire."
            )),
            AccountsError::FourEyesViolation => Problem::forbidden(
                "four_eyes_violation",
                "A second member of staff must confirm this transfer; its proposer cannot.",
            ),
            AccountsError::ProposalSettled(status) => Problem::conflict(
                "proposal_already_settled",
                format!("This transfer proposal is already {status}."),
            ),
            AccountsError::Problem(problem) => problem.clone(),
            AccountsError::Database(error) => Problem::internal_from(error),
            AccountsError::BatchFailed => Problem::internal(),
            AccountsError::Inconsistent(_) => Problem::internal_from(self),
        }
    }
}

impl IntoResponse for AccountsError {
    fn into_response(self) -> Response {
        self.to_problem().into_response()
    }
}
