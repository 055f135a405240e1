//! The ledger transfers this service makes, with the accounts they need and the idempotency
//! keys that make each exactly-once.
//!
//! Keys, all derived from what the money is for:
//! - `contract:<id>:loan-account`: the client's loan account for a contract;
//! - `grant-fund:<programme id>`: a grant programme's fund account;
//! - `bank:<kind>:<currency>`: the bank's settlement, interest income, penalty income, loan-loss
//!   and fee income accounts;
//! - `contract:<id>:grant-funding`: the grant fund receiving the contract's principal from the
//!   bank's settlement account (how the demo funds grant programmes);
//! - `tranche:<id>:disburse`: a tranche's payout;
//! - `repayment:<sha-256 of the contract, the caller's Idempotency-Key and the request>`: a
//!   repayment the founder asked for, so a retry of the same request after a crash finds the
//!   transfer the first attempt made;
//! - `contract:<id>:due:<date>:<amount>`: the daily job collecting what is due on a date;
//! - `contract:<id>:arrangement-fee`: an arrangement fee the founder pays up front when signing;
//!   a fee deducted from the first payout travels in that payout's transfer instead;
//! - `contract:<id>:arrangement-fee-refund`: that fee given back when the signed contract is
//!   cancelled before any payout;
//! - `recovery:<sha-256 of the contract, the caller's Idempotency-Key and the request>`: a
//!   payment towards a written-off loan, made exactly once in the same way as a repayment.

use imkon_platform::money::{Currency, Money};
use uuid::Uuid;

use crate::db::contracts::{ContractRow, TrancheRow};
use crate::domain::fees::FeeCollection;
use crate::domain::tranche::ProgrammeKind;
use crate::error::DisbursementError;
use crate::ledger::{AccountKind, AccountOwner, Ledger, Leg, OpenAccount, Side, TransferRequest};
use crate::loans::{currency, fee_to_collect, money, programme_kind};

/// The current account a contract's money is paid into and taken from, in the contract's
/// currency: the company's own account when the company has one (accounts opens it when the
/// company's KYC is approved), or else the founder's, which is where contracts made before
/// companies had accounts, and those of a company not yet approved, were and are paid. Every
/// flow of a contract (a payout, a fee paid at signing, a repayment, a recovery) asks here, so
/// the money comes back from the account it went to.
pub async fn contract_current_account(
    ledger: &dyn Ledger,
    contract: &ContractRow,
) -> Result<String, DisbursementError> {
    let currency = currency(contract);
    if let Some(company_account) = ledger
        .company_current_account(contract.company_id, currency)
        .await?
    {
        return Ok(company_account);
    }
    ledger
        .client_current_account(contract.client_id, currency)
        .await?
        .ok_or(DisbursementError::NoCurrentAccount {
            currency: currency.code().to_owned(),
        })
}

/// The client's loan account for the contract: the stored number, or a new account.
pub async fn loan_account(
    ledger: &dyn Ledger,
    contract: &ContractRow,
) -> Result<String, DisbursementError> {
    if let Some(number) = &contract.loan_account_number {
        return Ok(number.clone());
    }
    Ok(ledger
        .open_account(OpenAccount {
            idempotency_key: format!("contract:{}:loan-account", contract.id),
            owner: AccountOwner::Client(contract.client_id),
            kind: AccountKind::Loan,
            currency: currency(contract),
            allow_negative: false,
            name: format!("Loan under contract {}", contract.id),
        })
        .await?)
}

/// One of the bank's own accounts of `kind` in `currency`.
pub async fn bank_account(
    ledger: &dyn Ledger,
    kind: AccountKind,
    currency: Currency,
) -> Result<String, DisbursementError> {
    Ok(ledger
        .open_account(OpenAccount {
            idempotency_key: format!("bank:{}:{}", kind.name(), currency.code()),
            owner: AccountOwner::Bank,
            kind,
            currency,
            // The settlement account stands for money outside the ledger and may run either way.
            allow_negative: kind == AccountKind::BankSettlement,
            name: format!("Bank {} {}", kind.name(), currency.code()),
        })
        .await?)
}

/// The grant programme's fund, holding at least this contract's principal: the fund is opened
/// on first use and receives each contract's principal once from the bank's settlement account.
async fn funded_grant_fund(
    ledger: &dyn Ledger,
    contract: &ContractRow,
) -> Result<String, DisbursementError> {
    let currency = currency(contract);
    let fund = ledger
        .open_account(OpenAccount {
            idempotency_key: format!("grant-fund:{}", contract.programme_id),
            owner: AccountOwner::Bank,
            kind: AccountKind::GrantFund,
            currency,
            allow_negative: false,
            name: format!("Grant fund of programme {}", contract.programme_id),
        })
        .await?;
    let settlement = bank_account(ledger, AccountKind::BankSettlement, currency).await?;
    let principal = money(contract, contract.principal);
    ledger
        .post_transfer(TransferRequest {
            idempotency_key: format!("contract:{}:grant-funding", contract.id),
            kind: "deposit",
            reference: format!("contract:{}", contract.id),
            currency,
            legs: vec![
                Leg {
                    account: settlement,
                    side: Side::Debit,
                    amount: principal,
                },
                Leg {
                    account: fund.clone(),
                    side: Side::Credit,
                    amount: principal,
                },
            ],
        })
        .await?;
    Ok(fund)
}

/// What a disbursement paid, from which loan account (loans only), and the arrangement fee kept
/// back from it, if any.
pub struct Disbursed {
    pub transfer_id: Uuid,
    pub loan_account: Option<String>,
    pub fee_deducted: Option<Money>,
}

/// Pays a tranche into the contract's current account (the company's, or else the founder's,
/// see [`contract_current_account`]): from the loan account for a loan, from
/// the programme's grant fund for a grant. A loan's first payout keeps back an arrangement fee
/// that is deducted: in the same transfer, the loan account is debited the whole tranche, the
/// current account credited the tranche less the fee and the bank's fee income the fee. A
/// repeat posts nothing new: the ledger returns the transfer made under the tranche's key.
pub async fn disburse_tranche(
    ledger: &dyn Ledger,
    contract: &ContractRow,
    tranche: &TrancheRow,
) -> Result<Disbursed, DisbursementError> {
    let current = contract_current_account(ledger, contract).await?;
    let (source, loan_account) = match programme_kind(contract) {
        ProgrammeKind::Loan => {
            let account = loan_account(ledger, contract).await?;
            (account.clone(), Some(account))
        }
        ProgrammeKind::Grant => (funded_grant_fund(ledger, contract).await?, None),
    };
    let amount: Money = money(contract, tranche.amount);
    let fee = fee_to_collect(contract, FeeCollection::Deducted);
    let paid_in = match &fee {
        Some(fee) => fee.payout_net_of_fee(amount)?,
        None => amount,
    };
    let mut legs = vec![
        Leg {
            account: source,
            side: Side::Debit,
            amount,
        },
        Leg {
            account: current,
            side: Side::Credit,
            amount: paid_in,
        },
    ];
    if let Some(fee) = &fee {
        legs.push(Leg {
            account: bank_account(ledger, AccountKind::FeeIncome, currency(contract)).await?,
            side: Side::Credit,
            amount: fee.amount(),
        });
    }
    let transfer_id = ledger
        .post_transfer(TransferRequest {
            idempotency_key: format!("tranche:{}:disburse", tranche.id),
            kind: "disbursement",
            reference: format!("tranche:{}", tranche.id),
            currency: currency(contract),
            legs,
        })
        .await?;
    Ok(Disbursed {
        transfer_id,
        loan_account,
        fee_deducted: fee.map(|fee| fee.amount()),
    })
}

/// Which way an arrangement fee paid up front moves between the contract's current account and
/// the bank's fee income.
#[derive(Clone, Copy)]
enum UpfrontFeeMove {
    Collect,
    Refund,
}

/// Collects an arrangement fee paid up front from the contract's current account into the
/// bank's fee income, under a key derived from the contract, so a signature retried after a
/// failure pays it once. Answers the transfer's id.
pub async fn collect_upfront_fee(
    ledger: &dyn Ledger,
    contract: &ContractRow,
    fee: Money,
) -> Result<Uuid, DisbursementError> {
    move_upfront_fee(ledger, contract, fee, UpfrontFeeMove::Collect).await
}

/// Gives an arrangement fee paid up front back, in full, from the bank's fee income to the
/// contract's current account (the one it was paid from, unless the company has since had its
/// own opened, which is then where the contract's money goes), when the signed contract is
/// cancelled before any payout. The key is derived from the contract, so a cancellation retried
/// after a failure refunds once. Answers the transfer's id.
pub async fn refund_upfront_fee(
    ledger: &dyn Ledger,
    contract: &ContractRow,
    fee: Money,
) -> Result<Uuid, DisbursementError> {
    move_upfront_fee(ledger, contract, fee, UpfrontFeeMove::Refund).await
}

async fn move_upfront_fee(
    ledger: &dyn Ledger,
    contract: &ContractRow,
    fee: Money,
    direction: UpfrontFeeMove,
) -> Result<Uuid, DisbursementError> {
    let current = contract_current_account(ledger, contract).await?;
    let income = bank_account(ledger, AccountKind::FeeIncome, currency(contract)).await?;
    let (key, debited, credited) = match direction {
        UpfrontFeeMove::Collect => ("arrangement-fee", current, income),
        UpfrontFeeMove::Refund => ("arrangement-fee-refund", income, current),
    };
    Ok(ledger
        .post_transfer(TransferRequest {
            idempotency_key: format!("contract:{}:{key}", contract.id),
            kind: "fee",
            reference: format!("contract:{}", contract.id),
            currency: currency(contract),
            legs: vec![
                Leg {
                    account: debited,
                    side: Side::Debit,
                    amount: fee,
                },
                Leg {
                    account: credited,
                    side: Side::Credit,
                    amount: fee,
                },
            ],
        })
        .await?)
}

/// Moves a written-off loan's outstanding principal from its loan account to the bank's
/// loan-loss account, in one transfer whose key is derived from the contract, so a retry after
/// a failure books it once. Answers the transfer's id.
pub async fn write_off_principal(
    ledger: &dyn Ledger,
    contract: &ContractRow,
    outstanding: Money,
) -> Result<Uuid, DisbursementError> {
    let loan = loan_account(ledger, contract).await?;
    let loss = bank_account(ledger, AccountKind::LoanLoss, currency(contract)).await?;
    Ok(ledger
        .post_transfer(TransferRequest {
            idempotency_key: format!("contract:{}:write-off", contract.id),
            kind: "write_off",
            reference: format!("contract:{}", contract.id),
            currency: currency(contract),
            legs: vec![
                Leg {
                    account: loss,
                    side: Side::Debit,
                    amount: outstanding,
                },
                Leg {
                    account: loan,
                    side: Side::Credit,
                    amount: outstanding,
                },
            ],
        })
        .await?)
}

/// Moves a payment towards a written-off loan from the contract's current account to the bank's
/// loan-loss account, which the principal was charged to at the write-off: what comes back
/// reduces the loss. The ledger records it as a repayment, which is what the client made.
pub async fn collect_recovery(
    ledger: &dyn Ledger,
    contract: &ContractRow,
    idempotency_key: String,
    amount: Money,
) -> Result<Uuid, DisbursementError> {
    let current = contract_current_account(ledger, contract).await?;
    let loss = bank_account(ledger, AccountKind::LoanLoss, currency(contract)).await?;
    Ok(ledger
        .post_transfer(TransferRequest {
            idempotency_key,
            kind: "repayment",
            reference: format!("contract:{}", contract.id),
            currency: currency(contract),
            legs: vec![
                Leg {
                    account: current,
                    side: Side::Debit,
                    amount,
                },
                Leg {
                    account: loss,
                    side: Side::Credit,
                    amount,
                },
            ],
        })
        .await?)
}

/// How a repayment splits, each part already exact to the minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepaymentParts {
    pub penalty: Money,
    pub interest: Money,
    pub principal: Money,
}

impl RepaymentParts {
    pub fn total(&self) -> Money {
        Money::from_rounded(
            self.penalty.amount() + self.interest.amount() + self.principal.amount(),
            self.penalty.currency(),
        )
    }
}

/// Moves a repayment from the contract's current account in one transfer: the principal back to
/// the loan account, the interest and the penalty to the bank's income accounts. Parts that are
/// zero get no leg.
pub async fn collect_repayment(
    ledger: &dyn Ledger,
    contract: &ContractRow,
    idempotency_key: String,
    parts: RepaymentParts,
) -> Result<Uuid, DisbursementError> {
    let currency = currency(contract);
    let current = contract_current_account(ledger, contract).await?;
    let mut legs = vec![Leg {
        account: current,
        side: Side::Debit,
        amount: parts.total(),
    }];
    if parts.principal.is_positive() {
        legs.push(Leg {
            account: loan_account(ledger, contract).await?,
            side: Side::Credit,
            amount: parts.principal,
        });
    }
    if parts.interest.is_positive() {
        legs.push(Leg {
            account: bank_account(ledger, AccountKind::InterestIncome, currency).await?,
            side: Side::Credit,
            amount: parts.interest,
        });
    }
    if parts.penalty.is_positive() {
        legs.push(Leg {
            account: bank_account(ledger, AccountKind::PenaltyIncome, currency).await?,
            side: Side::Credit,
            amount: parts.penalty,
        });
    }
    Ok(ledger
        .post_transfer(TransferRequest {
            idempotency_key,
            kind: "repayment",
            reference: format!("contract:{}", contract.id),
            currency,
            legs,
        })
        .await?)
}
