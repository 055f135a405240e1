//! A stored contract read back into domain types: its terms and its current schedule.
//!
//! The current schedule is never trusted from the `installment` table alone: it is rebuilt
//! from the terms and the amount actually disbursed, then every early repayment and every
//! confirmed rescheduling is replayed in the order they were made through the domain. The table is the materialised copy the API lists and the
//! repayments mark as paid; the rebuild is what the arithmetic starts from.

use chrono::NaiveDate;
use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::db::contracts::ContractRow;
use crate::db::{contracts, repayments, reschedules};
use crate::domain::contract::ContractStatus;
use crate::domain::early_repayment::{repay_early, EarlyRepayment, EarlyRepaymentOption};
use crate::domain::fees::{ArrangementFee, FeeCollection};
use crate::domain::reschedule::{reschedule, Rescheduling};
use crate::domain::schedule::{build_schedule, Schedule};
use crate::domain::terms::{
    AnnualRate, DayCount, InterestMethod, LoanTerms, LoanTermsInput, RepaymentMethod,
};
use crate::domain::tranche::ProgrammeKind;
use crate::error::DisbursementError;

/// The contract's status; the database allows only the five names.
pub fn contract_status(contract: &ContractRow) -> ContractStatus {
    ContractStatus::parse(&contract.status)
        .expect("the database checks the status is one of the five")
}

/// The contract's kind; the database allows only the two names.
pub fn programme_kind(contract: &ContractRow) -> ProgrammeKind {
    ProgrammeKind::parse(&contract.programme_kind)
        .expect("the database checks the programme kind is grant or loan")
}

/// The contract's currency; the database allows only known codes.
pub fn currency(contract: &ContractRow) -> Currency {
    contract
        .currency
        .parse()
        .expect("the database checks the currency is a known code")
}

/// An amount of the contract's currency read from a `numeric(28, 2)` column.
pub fn money(contract: &ContractRow, amount: Decimal) -> Money {
    Money::from_rounded(amount, currency(contract))
}

/// The contract's arrangement fee, when its programme charges one.
pub fn arrangement_fee(contract: &ContractRow) -> Option<ArrangementFee> {
    let collection = contract.arrangement_fee_collection.as_deref()?;
    let collection = FeeCollection::parse(collection)
        .expect("the database checks the collection is deducted or upfront");
    Some(ArrangementFee::stored(
        money(contract, contract.arrangement_fee),
        collection,
    ))
}

/// The contract's arrangement fee when it is still to be collected in the given way.
pub fn fee_to_collect(contract: &ContractRow, collection: FeeCollection) -> Option<ArrangementFee> {
    arrangement_fee(contract).filter(|fee| {
        fee.collection() == collection && contract.arrangement_fee_transfer_id.is_none()
    })
}

pub fn penalty_rate(contract: &ContractRow) -> AnnualRate {
    AnnualRate::from_percent(contract.penalty_rate_percent)
        .expect("the database checks the penalty rate is between 0 and 100 with 4 decimals")
}

/// The contract's terms for `principal` between the given dates. A grant has no interest and
/// no repayment, but its dates and term follow the same rules, so it is checked the same way.
pub fn contract_terms(
    contract: &ContractRow,
    principal: Decimal,
    disbursement_date: NaiveDate,
    first_due_date: NaiveDate,
) -> Result<LoanTerms, DisbursementError> {
    let method = match &contract.repayment_method {
        Some(name) => RepaymentMethod::parse(name)?,
        None => RepaymentMethod::Annuity,
    };
    Ok(LoanTerms::parse(&LoanTermsInput {
        principal,
        currency: currency(contract),
        annual_rate_percent: contract.annual_rate_percent.unwrap_or(Decimal::ZERO),
        term_months: i64::from(contract.term_months),
        method,
        grace_months: i64::from(contract.grace_months),
        day_count: DayCount::parse(&contract.day_count)?,
        interest_method: InterestMethod::parse(&contract.interest_method)?,
        disbursement_date,
        first_due_date,
    })?)
}

/// A stored change that replaced a schedule's later rows.
enum ScheduleChange {
    Early(repayments::EarlyRepaymentRow),
    Rescheduled(reschedules::ConfirmedReschedule),
}

/// The loan's current schedule: `None` for a grant, a contract not yet active, or a loan of
/// which nothing has been disbursed.
pub async fn current_schedule(
    connection: &mut PgConnection,
    contract: &ContractRow,
) -> Result<Option<Schedule>, DisbursementError> {
    let (Some(disbursement_date), Some(first_due_date)) =
        (contract.disbursement_date, contract.first_due_date)
    else {
        return Ok(None);
    };
    if programme_kind(contract) == ProgrammeKind::Grant {
        return Ok(None);
    }
    let disbursed = contracts::disbursed_total(connection, contract.id).await?;
    if disbursed.is_zero() {
        return Ok(None);
    }
    let terms = contract_terms(contract, disbursed, disbursement_date, first_due_date)?;
    let mut schedule = build_schedule(&terms);
    // Early repayments and confirmed reschedulings each replaced the rows after their day, so
    // they are replayed in the order they were made.
    let mut changes: Vec<(chrono::DateTime<chrono::Utc>, ScheduleChange)> =
        repayments::early_repayments(connection, contract.id)
            .await?
            .into_iter()
            .map(|early| (early.created_at, ScheduleChange::Early(early)))
            .collect();
    changes.extend(
        reschedules::confirmed(connection, contract.id)
            .await?
            .into_iter()
            .map(|change| (change.decided_at, ScheduleChange::Rescheduled(change))),
    );
    changes.sort_by_key(|(at, _)| *at);
    for (_, change) in changes {
        schedule = match change {
            ScheduleChange::Early(early) => {
                let option = match early.option.as_str() {
                    "keep_installment" => EarlyRepaymentOption::KeepInstallment,
                    _ => EarlyRepaymentOption::KeepTerm,
                };
                let request = EarlyRepayment {
                    date: early.repaid_on,
                    extra_principal: money(contract, early.extra_principal),
                    option,
                };
                repay_early(&schedule, &request)?.schedule
            }
            ScheduleChange::Rescheduled(change) => {
                let months = u32::try_from(change.months)
                    .expect("the database checks the months are between 1 and 24");
                let rescheduling = Rescheduling::parse(&change.kind, months)?;
                reschedule(&schedule, change.effective_on, rescheduling)?
            }
        };
    }
    Ok(Some(schedule))
}
