//! Paying what is due on a loan, shared by the founder's request and the daily collection.
//!
//! What is due on a date: the unpaid penalty, then the unpaid interest and principal of every
//! instalment due on or before it. The domain's allocation splits a payment penalty → interest
//! → principal; a payment of exactly what is due clears every part, and the instalments are
//! marked paid oldest first.

use chrono::NaiveDate;
use imkon_platform::money::Money;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::contracts::{self, ContractRow};
use crate::db::installments::{self, InstallmentRow};
use crate::db::repayments::{self, NewRepayment};
use crate::domain::allocation::{allocate_payment, Allocation, AmountsDue};
use crate::error::DisbursementError;
use crate::loans::money;
use crate::money_flows::RepaymentParts;

/// What is due on a date, and the instalments it settles.
#[derive(Debug, Clone)]
pub struct AmountDue {
    pub parts: RepaymentParts,
    pub installments: Vec<InstallmentRow>,
}

/// The instalments due on or before `as_of` and not fully paid, oldest first.
pub fn unpaid_due(rows: &[InstallmentRow], as_of: NaiveDate) -> Vec<InstallmentRow> {
    rows.iter()
        .filter(|row| row.due_date <= as_of && !row.is_settled())
        .cloned()
        .collect()
}

/// What the client owes on `as_of`; `None` when nothing is due.
pub async fn amount_due(
    connection: &mut PgConnection,
    contract: &ContractRow,
    as_of: NaiveDate,
) -> Result<Option<AmountDue>, DisbursementError> {
    let rows = installments::list(&mut *connection, contract.id).await?;
    let due = unpaid_due(&rows, as_of);
    let interest: Decimal = due.iter().map(InstallmentRow::unpaid_interest).sum();
    let principal: Decimal = due.iter().map(InstallmentRow::unpaid_principal).sum();
    let parts = RepaymentParts {
        penalty: money(contract, contract.penalty_outstanding),
        interest: money(contract, interest),
        principal: money(contract, principal),
    };
    if parts.total().is_zero() {
        return Ok(None);
    }
    Ok(Some(AmountDue {
        parts,
        installments: due,
    }))
}

/// Records a payment of everything in `due`, moved by the ledger transfer `transfer_id`.
pub async fn record_payment_of_due(
    connection: &mut PgConnection,
    contract: &ContractRow,
    due: &AmountDue,
    repayment_id: Uuid,
    transfer_id: Uuid,
    repaid_on: NaiveDate,
) -> Result<(), DisbursementError> {
    let payment: Money = due.parts.total();
    let allocation = allocate_payment(
        payment,
        &AmountsDue {
            penalty: due.parts.penalty,
            interest: due.parts.interest,
            principal: due.parts.principal,
        },
    )?;
    assert!(
        allocation.overpayment.is_zero() && allocation.principal == due.parts.principal,
        "a payment of exactly what is due clears every part"
    );
    for row in &due.installments {
        installments::add_payment(
            &mut *connection,
            contract.id,
            row.number,
            row.unpaid_interest(),
            row.unpaid_principal(),
        )
        .await?;
    }
    contracts::add_penalty(&mut *connection, contract.id, -allocation.penalty.amount()).await?;
    repayments::insert(
        &mut *connection,
        &NewRepayment {
            id: repayment_id,
            contract_id: contract.id,
            kind: "scheduled",
            repaid_on,
            amount: payment.amount(),
            penalty: allocation.penalty.amount(),
            interest: allocation.interest.amount(),
            principal: allocation.principal.amount(),
            extra_principal: None,
            early_option: None,
            transfer_id,
        },
    )
    .await?;
    Ok(())
}

/// Records a payment of part of `due` (`payment` is less than all of it), moved by the ledger
/// transfer `transfer_id`: the allocation takes penalty, then interest, then principal, and
/// within interest and principal the oldest instalment first; the rest stays due, so the
/// arrears job keeps counting it. Returns the allocation the transfer must carry.
pub async fn record_partial_payment(
    connection: &mut PgConnection,
    contract: &ContractRow,
    due: &AmountDue,
    allocation: &Allocation,
    repayment_id: Uuid,
    transfer_id: Uuid,
    repaid_on: NaiveDate,
) -> Result<(), DisbursementError> {
    let mut interest_left = allocation.interest.amount();
    let mut principal_left = allocation.principal.amount();
    for row in &due.installments {
        let interest = row.unpaid_interest().min(interest_left);
        interest_left -= interest;
        let principal = row.unpaid_principal().min(principal_left);
        principal_left -= principal;
        if !(interest.is_zero() && principal.is_zero()) {
            installments::add_payment(
                &mut *connection,
                contract.id,
                row.number,
                interest,
                principal,
            )
            .await?;
        }
    }
    contracts::add_penalty(&mut *connection, contract.id, -allocation.penalty.amount()).await?;
    repayments::insert(
        &mut *connection,
        &NewRepayment {
            id: repayment_id,
            contract_id: contract.id,
            kind: "scheduled",
            repaid_on,
            amount: allocation.penalty.amount()
                + allocation.interest.amount()
                + allocation.principal.amount(),
            penalty: allocation.penalty.amount(),
            interest: allocation.interest.amount(),
            principal: allocation.principal.amount(),
            extra_principal: None,
            early_option: None,
            transfer_id,
        },
    )
    .await?;
    Ok(())
}

/// Closes the loan once every instalment and every penalty is paid; true when it closed. Called
/// after a repayment, so a schedule left without rows (an early repayment of everything before
/// the first due date) counts as repaid.
pub async fn close_when_repaid(
    connection: &mut PgConnection,
    contract_id: Uuid,
) -> Result<bool, DisbursementError> {
    let contract = contracts::find(&mut *connection, contract_id)
        .await?
        .ok_or(DisbursementError::ContractNotFound)?;
    let rows = installments::list(&mut *connection, contract_id).await?;
    let repaid =
        rows.iter().all(InstallmentRow::is_settled) && contract.penalty_outstanding.is_zero();
    if repaid {
        crate::loans::contract_status(&contract).close()?;
        contracts::mark_closed(connection, contract_id).await?;
    }
    Ok(repaid)
}
