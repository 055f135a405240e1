//! Accounts: who owns them, what they are for, and how a balance moves.
//!
//! Every balance is stored in its account's *normal-side sign*: a debit-normal account (an
//! asset: a loan to a client, the bank's cash) grows with debits, a credit-normal account (a
//! liability or income: a client's current account, a grant fund, interest income) grows with
//! credits. So a healthy balance is non-negative on either kind, and "may not go below zero" is
//! one rule for all accounts.

use std::fmt;
use std::str::FromStr;

use imkon_platform::money::{Currency, Money, MoneyError};
use uuid::Uuid;

use super::account_number::{AccountNumber, BalanceAccountCode};

/// The ledger's identifier of an account. Ordered, because the write path locks accounts in
/// ascending id order to avoid deadlocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(Uuid);

impl AccountId {
    pub fn from_uuid(id: Uuid) -> AccountId {
        AccountId(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The onboarding service's identifier of a client (a person or a company).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(Uuid);

impl ClientId {
    pub fn from_uuid(id: Uuid) -> ClientId {
        ClientId(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// Onboarding's identifier of a company whose KYC it approved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CompanyId(Uuid);

impl CompanyId {
    pub fn from_uuid(id: Uuid) -> CompanyId {
        CompanyId(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// Whose account it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountOwner {
    /// A person: their current accounts, loans and term deposits.
    Client(ClientId),
    /// A company, a legal entity: its current account, which its founder operates.
    Company(CompanyId),
    /// The bank's own books: income, cash, settlement, programme funds.
    Bank,
}

/// The two sides of an entry, and the side on which an account grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Debit => Side::Credit,
            Side::Credit => Side::Debit,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }
}

/// What an account is for. The kind fixes the normal side and whose it may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// A client's current (demand deposit) account: the client's own money, a liability.
    ClientCurrent,
    /// A client's loan: what the client owes the bank, an asset.
    Loan,
    /// A programme's grant fund, from which grant tranches are paid: a liability.
    GrantFund,
    /// Interest earned on loans.
    InterestIncome,
    /// Penalties earned on overdue payments.
    PenaltyIncome,
    /// Cash in the bank's till.
    BankCash,
    /// The bank's settlement (correspondent) account: money arriving from and leaving to other
    /// banks passes through it.
    BankSettlement,
    /// The bank's losses on loans written off: an expense, where a written-off loan's
    /// outstanding principal goes.
    LoanLoss,
    /// The bank's foreign-exchange position in one currency: what it bought from clients less
    /// what it sold them. Credit-normal, so a long position is positive; it may go negative.
    FxPosition,
    /// The bank's income from exchanging currency: the spread against the mid rate.
    FxIncome,
    /// The bank's income from fees it charges clients, such as a loan's arrangement fee.
    FeeIncome,
    /// A client's term deposit: the principal (and capitalised interest) the client placed
    /// for a term, one account per deposit. A liability, like a current account.
    TermDeposit,
    /// Interest the bank owes on term deposits, accrued day by day and not yet paid: a
    /// liability.
    DepositInterestPayable,
    /// The bank's interest expense on term deposits: an expense.
    InterestExpense,
    /// A company's current (demand deposit) account: the company's own money, a liability,
    /// opened when the company's KYC is approved; grants and loans to the company are paid
    /// into it.
    CompanyCurrent,
}

/// Who may own an account of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerKind {
    Client,
    Company,
    Bank,
}

impl AccountKind {
    pub const ALL: [AccountKind; 15] = [
        AccountKind::ClientCurrent,
        AccountKind::Loan,
        AccountKind::GrantFund,
        AccountKind::InterestIncome,
        AccountKind::PenaltyIncome,
        AccountKind::BankCash,
        AccountKind::BankSettlement,
        AccountKind::LoanLoss,
        AccountKind::FxPosition,
        AccountKind::FxIncome,
        AccountKind::FeeIncome,
        AccountKind::TermDeposit,
        AccountKind::DepositInterestPayable,
        AccountKind::InterestExpense,
        AccountKind::CompanyCurrent,
    ];

    /// The stable name, as stored and sent over the wire.
    pub fn code(self) -> &'static str {
        match self {
            AccountKind::ClientCurrent => "client_current",
            AccountKind::Loan => "loan",
            AccountKind::GrantFund => "grant_fund",
            AccountKind::InterestIncome => "interest_income",
            AccountKind::PenaltyIncome => "penalty_income",
            AccountKind::BankCash => "bank_cash",
            AccountKind::BankSettlement => "bank_settlement",
            AccountKind::LoanLoss => "loan_loss",
            AccountKind::FxPosition => "fx_position",
            AccountKind::FxIncome => "fx_income",
            AccountKind::FeeIncome => "fee_income",
            AccountKind::TermDeposit => "term_deposit",
            AccountKind::DepositInterestPayable => "deposit_interest_payable",
            AccountKind::InterestExpense => "interest_expense",
            AccountKind::CompanyCurrent => "company_current",
        }
    }

    /// The side on which the balance grows: debit for assets, credit for liabilities and income.
    pub fn normal_side(self) -> Side {
        match self {
            AccountKind::Loan
            | AccountKind::BankCash
            | AccountKind::BankSettlement
            | AccountKind::LoanLoss
            | AccountKind::InterestExpense => Side::Debit,
            AccountKind::ClientCurrent
            | AccountKind::GrantFund
            | AccountKind::InterestIncome
            | AccountKind::PenaltyIncome
            | AccountKind::FxPosition
            | AccountKind::FxIncome
            | AccountKind::FeeIncome
            | AccountKind::TermDeposit
            | AccountKind::DepositInterestPayable
            | AccountKind::CompanyCurrent => Side::Credit,
        }
    }

    /// Who owns accounts of this kind: a person, a company or the bank.
    pub fn owner_kind(self) -> OwnerKind {
        match self {
            AccountKind::ClientCurrent | AccountKind::Loan | AccountKind::TermDeposit => {
                OwnerKind::Client
            }
            AccountKind::CompanyCurrent => OwnerKind::Company,
            _ => OwnerKind::Bank,
        }
    }

    /// A current (demand deposit) account, a person's or a company's: money its holder pays
    /// from and is paid into.
    pub fn is_current(self) -> bool {
        matches!(
            self,
            AccountKind::ClientCurrent | AccountKind::CompanyCurrent
        )
    }

    /// The chart-of-accounts codes an account of this kind may carry.
    pub fn balance_account_codes(self) -> &'static [BalanceAccountCode] {
        match self {
            AccountKind::ClientCurrent => &[
                BalanceAccountCode::CURRENT_ACCOUNT_OF_INDIVIDUAL,
                BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
            ],
            AccountKind::Loan => &[BalanceAccountCode::LOAN_TO_INDIVIDUAL],
            AccountKind::GrantFund => &[BalanceAccountCode::GRANT_FUND],
            AccountKind::InterestIncome => &[BalanceAccountCode::INTEREST_INCOME],
            AccountKind::PenaltyIncome => &[BalanceAccountCode::PENALTY_INCOME],
            AccountKind::BankCash => &[BalanceAccountCode::BANK_CASH],
            AccountKind::BankSettlement => &[BalanceAccountCode::BANK_SETTLEMENT],
            AccountKind::LoanLoss => &[BalanceAccountCode::LOAN_LOSS],
            AccountKind::FxPosition => &[BalanceAccountCode::FX_POSITION],
            AccountKind::FxIncome => &[BalanceAccountCode::FX_INCOME],
            AccountKind::FeeIncome => &[BalanceAccountCode::FEE_INCOME],
            AccountKind::TermDeposit => &[BalanceAccountCode::TERM_DEPOSIT_OF_INDIVIDUAL],
            AccountKind::DepositInterestPayable => &[BalanceAccountCode::DEPOSIT_INTEREST_PAYABLE],
            AccountKind::InterestExpense => &[BalanceAccountCode::DEPOSIT_INTEREST_EXPENSE],
            AccountKind::CompanyCurrent => &[BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY],
        }
    }
}

impl FromStr for AccountKind {
    type Err = AccountError;

    fn from_str(code: &str) -> Result<AccountKind, AccountError> {
        AccountKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| AccountError::UnknownKind {
                kind: code.to_owned(),
            })
    }
}

/// Why an account could not be opened as described.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("`{kind}` is not an account kind")]
    UnknownKind { kind: String },
    #[error("the account number is in {number_currency}, the account in {account_currency}")]
    CurrencyMismatch {
        number_currency: Currency,
        account_currency: Currency,
    },
    #[error("balance account {code} is not used for {kind} accounts")]
    BalanceAccountNotForKind {
        code: BalanceAccountCode,
        kind: &'static str,
    },
    #[error("a {kind} account belongs to a client")]
    NeedsClientOwner { kind: &'static str },
    #[error("a {kind} account belongs to a company")]
    NeedsCompanyOwner { kind: &'static str },
    #[error("a {kind} account belongs to the bank")]
    NeedsBankOwner { kind: &'static str },
    #[error("only the bank's own accounts may go below zero")]
    OverdraftForBankAccountsOnly,
}

impl AccountError {
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::UnknownKind { .. } => "unknown_account_kind",
            AccountError::CurrencyMismatch { .. } => "currency_mismatch",
            AccountError::BalanceAccountNotForKind { .. } => "balance_account_not_for_kind",
            AccountError::NeedsClientOwner { .. } => "account_needs_client_owner",
            AccountError::NeedsCompanyOwner { .. } => "account_needs_company_owner",
            AccountError::NeedsBankOwner { .. } => "account_needs_bank_owner",
            AccountError::OverdraftForBankAccountsOnly => "overdraft_for_bank_accounts_only",
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            AccountError::UnknownKind { .. } => "kind",
            AccountError::CurrencyMismatch { .. } => "currency",
            AccountError::BalanceAccountNotForKind { .. } => "number",
            AccountError::NeedsClientOwner { .. }
            | AccountError::NeedsCompanyOwner { .. }
            | AccountError::NeedsBankOwner { .. } => "owner",
            AccountError::OverdraftForBankAccountsOnly => "allow_negative",
        }
    }
}

/// An account as opened: its identity and the rules its balance obeys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    id: AccountId,
    number: AccountNumber,
    kind: AccountKind,
    owner: AccountOwner,
    currency: Currency,
    allow_negative: bool,
}

impl Account {
    /// Opens an account after checking that the number, kind, owner and currency agree.
    pub fn open(
        id: AccountId,
        number: AccountNumber,
        kind: AccountKind,
        owner: AccountOwner,
        currency: Currency,
        allow_negative: bool,
    ) -> Result<Account, AccountError> {
        if number.currency() != currency {
            return Err(AccountError::CurrencyMismatch {
                number_currency: number.currency(),
                account_currency: currency,
            });
        }
        if !kind
            .balance_account_codes()
            .contains(&number.balance_account_code())
        {
            return Err(AccountError::BalanceAccountNotForKind {
                code: number.balance_account_code(),
                kind: kind.code(),
            });
        }
        match (kind.owner_kind(), owner) {
            (OwnerKind::Client, AccountOwner::Client(_))
            | (OwnerKind::Company, AccountOwner::Company(_))
            | (OwnerKind::Bank, AccountOwner::Bank) => {}
            (OwnerKind::Client, _) => {
                return Err(AccountError::NeedsClientOwner { kind: kind.code() })
            }
            (OwnerKind::Company, _) => {
                return Err(AccountError::NeedsCompanyOwner { kind: kind.code() })
            }
            (OwnerKind::Bank, _) => return Err(AccountError::NeedsBankOwner { kind: kind.code() }),
        }
        // A client's account below zero is credit the bank never decided to give: the only
        // credit a client (a person or a company) gets is a loan, made by the four-eyes decision
        // and its contract. So only the bank's own books (settlement, cash) may be allowed to go
        // negative.
        if allow_negative && owner != AccountOwner::Bank {
            return Err(AccountError::OverdraftForBankAccountsOnly);
        }
        Ok(Account {
            id,
            number,
            kind,
            owner,
            currency,
            allow_negative,
        })
    }

    pub fn id(&self) -> AccountId {
        self.id
    }

    pub fn number(&self) -> AccountNumber {
        self.number
    }

    pub fn kind(&self) -> AccountKind {
        self.kind
    }

    pub fn owner(&self) -> AccountOwner {
        self.owner
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn normal_side(&self) -> Side {
        self.kind.normal_side()
    }

    pub fn allow_negative(&self) -> bool {
        self.allow_negative
    }
}

/// The balance after one entry: an entry on the account's normal side adds, the other subtracts.
pub fn apply_leg(
    balance: Money,
    normal_side: Side,
    leg_side: Side,
    amount: Money,
) -> Result<Money, MoneyError> {
    if leg_side == normal_side {
        balance.checked_add(&amount)
    } else {
        balance.checked_sub(&amount)
    }
}

/// The signed effect of an entry on a balance kept in normal-side sign.
pub fn signed_effect(normal_side: Side, leg_side: Side, amount: Money) -> Money {
    if leg_side == normal_side {
        amount
    } else {
        amount.negated()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account_number::BankCode;
    use rust_decimal_macros::dec;

    fn sums(amount: rust_decimal::Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    fn number(code: BalanceAccountCode, currency: Currency) -> AccountNumber {
        AccountNumber::issue(BankCode::parse("00873").unwrap(), code, currency, 1234, 1).unwrap()
    }

    fn client() -> AccountOwner {
        AccountOwner::Client(ClientId::from_uuid(Uuid::from_u128(7)))
    }

    #[test]
    fn assets_are_debit_normal_and_liabilities_and_income_credit_normal() {
        assert_eq!(AccountKind::Loan.normal_side(), Side::Debit);
        assert_eq!(AccountKind::BankCash.normal_side(), Side::Debit);
        assert_eq!(AccountKind::BankSettlement.normal_side(), Side::Debit);
        assert_eq!(AccountKind::ClientCurrent.normal_side(), Side::Credit);
        assert_eq!(AccountKind::GrantFund.normal_side(), Side::Credit);
        assert_eq!(AccountKind::InterestIncome.normal_side(), Side::Credit);
        assert_eq!(AccountKind::PenaltyIncome.normal_side(), Side::Credit);
        assert_eq!(AccountKind::LoanLoss.normal_side(), Side::Debit);
    }

    #[test]
    fn a_credit_grows_a_current_account_and_a_debit_shrinks_it() {
        let side = AccountKind::ClientCurrent.normal_side();
        let after_credit = apply_leg(sums(dec!(100)), side, Side::Credit, sums(dec!(30))).unwrap();
        assert_eq!(after_credit, sums(dec!(130)));
        let after_debit = apply_leg(after_credit, side, Side::Debit, sums(dec!(200))).unwrap();
        assert_eq!(after_debit, sums(dec!(-70)));
    }

    #[test]
    fn a_debit_grows_a_loan_account() {
        let side = AccountKind::Loan.normal_side();
        assert_eq!(
            apply_leg(sums(dec!(0)), side, Side::Debit, sums(dec!(5))),
            Ok(sums(dec!(5)))
        );
    }

    #[test]
    fn kinds_round_trip_through_their_codes() {
        for kind in AccountKind::ALL {
            assert_eq!(kind.code().parse::<AccountKind>(), Ok(kind));
        }
        assert_eq!(
            "savings".parse::<AccountKind>(),
            Err(AccountError::UnknownKind {
                kind: "savings".into()
            })
        );
    }

    #[test]
    fn an_account_opens_when_number_kind_owner_and_currency_agree() {
        let account = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(
                BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
                Currency::Uzs,
            ),
            AccountKind::ClientCurrent,
            client(),
            Currency::Uzs,
            false,
        )
        .unwrap();
        assert_eq!(account.normal_side(), Side::Credit);
        assert!(!account.allow_negative());
    }

    #[test]
    fn an_account_whose_number_is_in_another_currency_is_refused() {
        let refused = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(
                BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
                Currency::Usd,
            ),
            AccountKind::ClientCurrent,
            client(),
            Currency::Uzs,
            false,
        )
        .unwrap_err();
        assert_eq!(refused.code(), "currency_mismatch");
        assert_eq!(refused.field(), "currency");
    }

    #[test]
    fn an_account_whose_number_is_from_another_balance_account_is_refused() {
        let refused = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(BalanceAccountCode::GRANT_FUND, Currency::Uzs),
            AccountKind::Loan,
            client(),
            Currency::Uzs,
            false,
        )
        .unwrap_err();
        assert_eq!(refused.code(), "balance_account_not_for_kind");
    }

    #[test]
    fn a_client_account_may_never_be_allowed_below_zero() {
        let refused = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(
                BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
                Currency::Uzs,
            ),
            AccountKind::ClientCurrent,
            client(),
            Currency::Uzs,
            true,
        );
        assert_eq!(refused, Err(AccountError::OverdraftForBankAccountsOnly));
    }

    fn company() -> AccountOwner {
        AccountOwner::Company(CompanyId::from_uuid(Uuid::from_u128(9)))
    }

    #[test]
    fn a_companys_current_account_carries_the_legal_entity_code_and_belongs_to_the_company() {
        let kind = AccountKind::CompanyCurrent;
        assert_eq!(kind.normal_side(), Side::Credit);
        let account = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(
                BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
                Currency::Uzs,
            ),
            kind,
            company(),
            Currency::Uzs,
            false,
        )
        .unwrap();
        assert_eq!(account.owner(), company());
        let of_a_person = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(
                BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
                Currency::Uzs,
            ),
            kind,
            client(),
            Currency::Uzs,
            false,
        );
        assert_eq!(
            of_a_person,
            Err(AccountError::NeedsCompanyOwner {
                kind: "company_current"
            })
        );
        let with_a_persons_code = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(
                BalanceAccountCode::CURRENT_ACCOUNT_OF_INDIVIDUAL,
                Currency::Uzs,
            ),
            kind,
            company(),
            Currency::Uzs,
            false,
        )
        .unwrap_err();
        assert_eq!(with_a_persons_code.code(), "balance_account_not_for_kind");
        let overdrawn = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(
                BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
                Currency::Uzs,
            ),
            kind,
            company(),
            Currency::Uzs,
            true,
        );
        assert_eq!(overdrawn, Err(AccountError::OverdraftForBankAccountsOnly));
    }

    #[test]
    fn client_kinds_need_a_client_and_bank_kinds_the_bank() {
        let loan_of_the_bank = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(BalanceAccountCode::LOAN_TO_INDIVIDUAL, Currency::Uzs),
            AccountKind::Loan,
            AccountOwner::Bank,
            Currency::Uzs,
            false,
        );
        assert_eq!(
            loan_of_the_bank,
            Err(AccountError::NeedsClientOwner { kind: "loan" })
        );
        let income_of_a_client = Account::open(
            AccountId::from_uuid(Uuid::from_u128(1)),
            number(BalanceAccountCode::INTEREST_INCOME, Currency::Uzs),
            AccountKind::InterestIncome,
            client(),
            Currency::Uzs,
            false,
        );
        assert_eq!(
            income_of_a_client,
            Err(AccountError::NeedsBankOwner {
                kind: "interest_income"
            })
        );
    }
}
