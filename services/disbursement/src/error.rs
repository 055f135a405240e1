//! The service's one error enum and its problem+json codes.
//!
//! Handlers return `Result<_, Problem>`; the refusals this service itself decides are built
//! here, so every code a client may branch on is listed in one place.

use axum::http::StatusCode;
use imkon_platform::problem::Problem;

use crate::domain::allocation::AllocationError;
use crate::domain::contract::ContractTransitionError;
use crate::domain::early_repayment::EarlyRepaymentError;
use crate::domain::fees::FeeError;
use crate::domain::reschedule::RescheduleError;
use crate::domain::terms::{RateError, TermsError};
use crate::domain::tranche::TrancheError;
use crate::ledger::LedgerError;

/// Why the disbursement service refused a request.
#[derive(Debug, thiserror::Error)]
pub enum DisbursementError {
    #[error("no contract with this id")]
    ContractNotFound,
    #[error("no tranche with this number on the contract")]
    TrancheNotFound,
    #[error(transparent)]
    Terms(#[from] TermsError),
    #[error(transparent)]
    ContractTransition(#[from] ContractTransitionError),
    #[error(transparent)]
    Tranche(#[from] TrancheError),
    #[error(transparent)]
    Allocation(#[from] AllocationError),
    #[error(transparent)]
    EarlyRepayment(#[from] EarlyRepaymentError),
    #[error(transparent)]
    Fee(#[from] FeeError),
    #[error(transparent)]
    Reschedule(#[from] RescheduleError),
    #[error("a rescheduling of this contract is already proposed; an approver decides it first")]
    ReschedulePending,
    #[error("no rescheduling of this contract is proposed")]
    NoRescheduleProposal,
    #[error("you proposed this rescheduling yourself: an approver who did not must confirm it")]
    RescheduleConfirmedByProposer,
    #[error("{field}: {message}")]
    InvalidField {
        field: &'static str,
        code: &'static str,
        message: String,
    },
    #[error("staff may not act on a contract of their own company")]
    OwnContract,
    #[error("a write-off of this contract is already proposed; another approver confirms it")]
    WriteOffPending,
    #[error("the contract document has changed since it was shown: read it again before signing")]
    DocumentMismatch,
    #[error("no write-off of this contract is proposed")]
    NoWriteOffProposal,
    #[error("you proposed this write-off yourself: another approver must confirm it")]
    WriteOffConfirmedByProposer,
    #[error("only the contract's founder may {action}")]
    NotTheFounder { action: &'static str },
    #[error("the contract must be active: it is {status}")]
    ContractNotActive { status: &'static str },
    #[error("only a written-off loan takes recoveries: this contract is {status}")]
    ContractNotWrittenOff { status: &'static str },
    #[error("a grant has no repayment schedule")]
    GrantHasNoSchedule,
    #[error("{0}")]
    WrongRole(String),
    #[error("nothing is due on this contract today")]
    NothingDue,
    #[error("instalments due today or earlier must be paid before an early repayment")]
    InstallmentsDueFirst,
    #[error("the schedule is already being repaid; a further tranche cannot change it")]
    ScheduleInRepayment,
    #[error("the client has no current account in {currency} to pay from or into")]
    NoCurrentAccount { currency: String },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<DisbursementError> for Problem {
    fn from(error: DisbursementError) -> Problem {
        let detail = error.to_string();
        match error {
            DisbursementError::ContractNotFound => Problem::not_found("contract_not_found", detail),
            DisbursementError::TrancheNotFound => Problem::not_found("tranche_not_found", detail),
            DisbursementError::Terms(terms) => {
                Problem::invalid_field(terms.field(), terms_code(&terms), detail)
            }
            DisbursementError::ContractTransition(_) => {
                Problem::conflict("contract_wrong_state", detail)
            }
            DisbursementError::Tranche(
                TrancheError::ApproverIsRequester | TrancheError::DisburserIsApprover,
            ) => Problem::forbidden("four_eyes_violation", detail),
            DisbursementError::OwnContract => Problem::forbidden("own_contract", detail),
            DisbursementError::WriteOffPending => Problem::conflict("write_off_pending", detail),
            DisbursementError::DocumentMismatch => Problem::conflict("document_mismatch", detail),
            DisbursementError::NoWriteOffProposal => {
                Problem::conflict("no_write_off_proposal", detail)
            }
            DisbursementError::WriteOffConfirmedByProposer => {
                Problem::forbidden("four_eyes_violation", detail)
            }
            DisbursementError::Tranche(TrancheError::WrongState { .. }) => {
                Problem::conflict("tranche_wrong_state", detail)
            }
            DisbursementError::Allocation(allocation) => {
                Problem::invalid_field(allocation.field(), "invalid_amount", detail)
            }
            DisbursementError::EarlyRepayment(early) => {
                // The domain speaks of the extra principal; the request calls it `amount`.
                let field = match early.field() {
                    "extra_principal" => "amount",
                    other => other,
                };
                Problem::invalid_field(field, early_repayment_code(&early), detail)
            }
            DisbursementError::Fee(FeeError::PayoutNotAboveFee { .. }) => {
                Problem::conflict("payout_not_above_fee", detail)
            }
            DisbursementError::Reschedule(RescheduleError::NothingToReschedule) => {
                Problem::conflict("nothing_to_reschedule", detail)
            }
            DisbursementError::Reschedule(reschedule) => {
                let code = match reschedule {
                    RescheduleError::UnknownKind(_) => "unknown_reschedule_kind",
                    RescheduleError::MonthsOutOfRange { .. } => "months_out_of_range",
                    _ => "term_too_long",
                };
                Problem::invalid_field(reschedule.field(), code, detail)
            }
            DisbursementError::ReschedulePending => Problem::conflict("reschedule_pending", detail),
            DisbursementError::NoRescheduleProposal => {
                Problem::conflict("no_reschedule_proposal", detail)
            }
            DisbursementError::RescheduleConfirmedByProposer => {
                Problem::forbidden("four_eyes_violation", detail)
            }
            DisbursementError::Fee(_) => {
                Problem::invalid_field("arrangement_fee", "invalid_arrangement_fee", detail)
            }
            DisbursementError::InvalidField {
                field,
                code,
                message,
            } => Problem::invalid_field(field, code, message),
            DisbursementError::NotTheFounder { .. } | DisbursementError::WrongRole(_) => {
                Problem::forbidden("forbidden", detail)
            }
            DisbursementError::ContractNotActive { .. } => {
                Problem::conflict("contract_not_active", detail)
            }
            DisbursementError::ContractNotWrittenOff { .. } => {
                Problem::conflict("contract_not_written_off", detail)
            }
            DisbursementError::GrantHasNoSchedule => {
                Problem::conflict("grant_has_no_schedule", detail)
            }
            DisbursementError::NothingDue => Problem::conflict("nothing_due", detail),
            DisbursementError::InstallmentsDueFirst => {
                Problem::conflict("installments_due_first", detail)
            }
            DisbursementError::ScheduleInRepayment => {
                Problem::conflict("schedule_in_repayment", detail)
            }
            DisbursementError::NoCurrentAccount { .. } => {
                Problem::unprocessable("no_current_account", detail)
            }
            DisbursementError::Ledger(ledger) => ledger_problem(&ledger),
            DisbursementError::Database(database) => Problem::internal_from(&database),
        }
    }
}

fn ledger_problem(error: &LedgerError) -> Problem {
    match error {
        LedgerError::Refused { code, detail, .. } if code == "insufficient_funds" => {
            Problem::unprocessable("insufficient_funds", detail.clone())
        }
        LedgerError::Refused { .. } | LedgerError::Unavailable(_) => {
            tracing::error!(%error, "the ledger did not complete a call");
            Problem::new(
                StatusCode::BAD_GATEWAY,
                "ledger_unavailable",
                "Ledger unavailable",
            )
            .with_detail(
                "The ledger did not complete the transfer; retrying with the same Idempotency-Key is safe.",
            )
        }
    }
}

/// Codes that name what is wrong with which term, so a client (the frontend's calculator)
/// can explain each one in the user's language without parsing messages.
fn terms_code(error: &TermsError) -> &'static str {
    match error {
        TermsError::PrincipalNotPositive => "principal_not_positive",
        TermsError::PrincipalTooManyDecimals => "principal_too_many_decimals",
        TermsError::PrincipalTooLarge => "principal_too_large",
        TermsError::AnnualRate(RateError::Negative) => "rate_negative",
        TermsError::AnnualRate(RateError::AboveHundredPercent) => "rate_above_hundred_percent",
        TermsError::AnnualRate(RateError::TooManyDecimals { .. }) => "rate_too_many_decimals",
        TermsError::TermNotPositive => "term_not_positive",
        TermsError::TermTooLong { .. } => "term_too_long",
        TermsError::GraceNegative => "grace_negative",
        TermsError::GraceNotShorterThanTerm { .. } => "grace_not_shorter_than_term",
        TermsError::FirstDueDateNotAfterDisbursement => "first_due_date_not_after_disbursement",
        TermsError::FirstDueDateTooLate { .. } => "first_due_date_too_late",
        TermsError::DueDatesOutOfRange => "due_dates_out_of_range",
        TermsError::UnknownRepaymentMethod(_) => "unknown_repayment_method",
        TermsError::UnknownDayCount(_) => "unknown_day_count",
        TermsError::UnknownInterestMethod(_) => "unknown_interest_method",
    }
}

fn early_repayment_code(error: &EarlyRepaymentError) -> &'static str {
    match error {
        EarlyRepaymentError::ExtraPrincipalNotPositive => "not_positive",
        EarlyRepaymentError::CurrencyMismatch => "currency_mismatch",
        EarlyRepaymentError::ExceedsOutstandingPrincipal { .. } => "exceeds_outstanding",
        EarlyRepaymentError::DateBeforeScheduleStart { .. } => "before_schedule_start",
        EarlyRepaymentError::NothingOutstanding => "nothing_outstanding",
    }
}
