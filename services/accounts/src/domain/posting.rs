//! Planning postings: what a transfer does to the balances it touches, decided before anything
//! is written.
//!
//! The write path loads (and locks) the state of every account a transfer touches, asks
//! [`plan_postings`] for the entries, and writes them with each account's new balance. The
//! planner refuses what must never be written: an entry in another currency than its account,
//! and an entry that leaves an account that forbids it below zero once pending holds are counted.

use std::collections::BTreeMap;

use imkon_platform::money::{Currency, Money};

use super::account::{apply_leg, Account, AccountId, Side};
use super::transfer::Transfer;

/// The state of one account as the write path sees it under lock. Balances are in the
/// account's normal-side sign (see [`super::account`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState {
    currency: Currency,
    /// A closed account takes no new entries or holds.
    closed: bool,
    normal_side: Side,
    allow_negative: bool,
    posted_balance: Money,
    pending_holds: Money,
}

/// Why a stored account state cannot be used; a database row in this shape is a bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountStateError {
    #[error("the balance or holds are not in the account's currency {currency}")]
    CurrencyMismatch { currency: Currency },
    #[error("pending holds cannot be negative")]
    NegativeHolds,
}

impl AccountState {
    pub fn new(
        currency: Currency,
        normal_side: Side,
        allow_negative: bool,
        posted_balance: Money,
        pending_holds: Money,
    ) -> Result<AccountState, AccountStateError> {
        if posted_balance.currency() != currency || pending_holds.currency() != currency {
            return Err(AccountStateError::CurrencyMismatch { currency });
        }
        if pending_holds.is_negative() {
            return Err(AccountStateError::NegativeHolds);
        }
        Ok(AccountState {
            currency,
            closed: false,
            normal_side,
            allow_negative,
            posted_balance,
            pending_holds,
        })
    }

    /// The state of `account` with the given posted balance and pending holds.
    pub fn of(
        account: &Account,
        posted_balance: Money,
        pending_holds: Money,
    ) -> Result<AccountState, AccountStateError> {
        AccountState::new(
            account.currency(),
            account.normal_side(),
            account.allow_negative(),
            posted_balance,
            pending_holds,
        )
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The same state of an account that has been closed.
    pub fn closed(self) -> AccountState {
        AccountState {
            closed: true,
            ..self
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn normal_side(&self) -> Side {
        self.normal_side
    }

    pub fn allow_negative(&self) -> bool {
        self.allow_negative
    }

    pub fn posted_balance(&self) -> Money {
        self.posted_balance
    }

    pub fn pending_holds(&self) -> Money {
        self.pending_holds
    }

    /// What may still be taken out: the posted balance less what pending holds have reserved.
    pub fn available_balance(&self) -> Money {
        self.posted_balance
            .checked_sub(&self.pending_holds)
            .expect("balance and holds share the account's currency and fit in a Decimal")
    }

    pub(crate) fn with_posted_balance(self, posted_balance: Money) -> AccountState {
        AccountState {
            posted_balance,
            ..self
        }
    }

    pub(crate) fn with_pending_holds(self, pending_holds: Money) -> AccountState {
        AccountState {
            pending_holds,
            ..self
        }
    }
}

/// The states of the accounts a transfer (or batch) touches, keyed and ordered by id.
pub type AccountStates = BTreeMap<AccountId, AccountState>;

/// One entry to write: a leg applied to an account, with the balance before and after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posting {
    leg_index: usize,
    account_id: AccountId,
    side: Side,
    amount: Money,
    balance_before: Money,
    balance_after: Money,
}

impl Posting {
    /// Which leg of the transfer this entry books.
    pub fn leg_index(&self) -> usize {
        self.leg_index
    }

    pub fn account_id(&self) -> AccountId {
        self.account_id
    }

    pub fn side(&self) -> Side {
        self.side
    }

    pub fn amount(&self) -> Money {
        self.amount
    }

    pub fn balance_before(&self) -> Money {
        self.balance_before
    }

    /// The account's posted balance after this entry, in normal-side sign.
    pub fn balance_after(&self) -> Money {
        self.balance_after
    }
}

/// Why a valid transfer cannot be booked against the accounts as they are now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error("leg {leg}: account {account_id} is unknown")]
    UnknownAccount { leg: usize, account_id: AccountId },
    #[error("leg {leg}: account {account_id} is in {account_currency}, the transfer in {transfer_currency}")]
    CurrencyMismatch {
        leg: usize,
        account_id: AccountId,
        account_currency: Currency,
        transfer_currency: Currency,
    },
    #[error("leg {leg}: account {account_id} has {available} available, {requested} was asked")]
    InsufficientFunds {
        leg: usize,
        account_id: AccountId,
        available: Money,
        requested: Money,
    },
    #[error("leg {leg}: the balance would be out of range")]
    AmountOutOfRange { leg: usize },
    #[error("leg {leg}: account {account_id} is closed")]
    AccountClosed { leg: usize, account_id: AccountId },
    #[error("the idempotency key was already used by request {first_position} of this batch")]
    RepeatedInBatch { first_position: usize },
}

impl TransferError {
    pub fn code(&self) -> &'static str {
        match self {
            TransferError::UnknownAccount { .. } => "unknown_account",
            TransferError::CurrencyMismatch { .. } => "currency_mismatch",
            TransferError::InsufficientFunds { .. } => "insufficient_funds",
            TransferError::AmountOutOfRange { .. } => "amount_out_of_range",
            TransferError::AccountClosed { .. } => "account_closed",
            TransferError::RepeatedInBatch { .. } => "idempotency_key_repeated",
        }
    }

    pub fn field(&self) -> String {
        match self {
            TransferError::UnknownAccount { leg, .. }
            | TransferError::AccountClosed { leg, .. } => format!("legs[{leg}].account_id"),
            TransferError::CurrencyMismatch { leg, .. } => format!("legs[{leg}].currency"),
            TransferError::InsufficientFunds { leg, .. }
            | TransferError::AmountOutOfRange { leg } => format!("legs[{leg}].amount"),
            TransferError::RepeatedInBatch { .. } => "idempotency_key".to_owned(),
        }
    }
}

/// Looks up the account of a leg and checks it is open and in the leg's currency (the
/// transfer's, but for an exchange).
pub(crate) fn state_for_leg(
    states: &AccountStates,
    leg: usize,
    account_id: AccountId,
    transfer_currency: Currency,
) -> Result<AccountState, TransferError> {
    let state = *states
        .get(&account_id)
        .ok_or(TransferError::UnknownAccount { leg, account_id })?;
    if state.closed {
        return Err(TransferError::AccountClosed { leg, account_id });
    }
    if state.currency != transfer_currency {
        return Err(TransferError::CurrencyMismatch {
            leg,
            account_id,
            account_currency: state.currency,
            transfer_currency,
        });
    }
    Ok(state)
}

/// The entries that book `transfer`, each with its account's balance after it.
///
/// Legs are applied in order. When a transfer touches one account twice, the second entry
/// starts from the first entry's balance, and every entry, not only the last, must leave an
/// account that forbids it at or above zero counting holds: a statement never shows a line
/// below zero on such an account. Entries that grow an account are never refused for funds.
pub fn plan_postings(
    transfer: &Transfer,
    states: &AccountStates,
) -> Result<Vec<Posting>, TransferError> {
    let mut working: BTreeMap<AccountId, AccountState> = BTreeMap::new();
    let mut postings = Vec::with_capacity(transfer.legs().len());
    for (leg_index, leg) in transfer.legs().iter().enumerate() {
        let account_id = leg.account_id();
        let state = match working.get(&account_id) {
            Some(state) => *state,
            None => state_for_leg(states, leg_index, account_id, leg.amount().currency())?,
        };
        let balance_before = state.posted_balance;
        let balance_after = apply_leg(balance_before, state.normal_side, leg.side(), leg.amount())
            .map_err(|_| TransferError::AmountOutOfRange { leg: leg_index })?;
        let reduces = leg.side() != state.normal_side;
        let after = state.with_posted_balance(balance_after);
        if reduces && !state.allow_negative && after.available_balance().is_negative() {
            return Err(TransferError::InsufficientFunds {
                leg: leg_index,
                account_id,
                available: state.available_balance(),
                requested: leg.amount(),
            });
        }
        working.insert(account_id, after);
        postings.push(Posting {
            leg_index,
            account_id,
            side: leg.side(),
            amount: leg.amount(),
            balance_before,
            balance_after,
        });
    }
    Ok(postings)
}

/// Moves each account's posted balance to the last balance the postings record for it.
pub fn apply_postings(states: &mut AccountStates, postings: &[Posting]) {
    for posting in postings {
        let state = states
            .get_mut(&posting.account_id)
            .expect("plan_postings only books accounts present in the states it was given");
        *state = state.with_posted_balance(posting.balance_after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transfer::tests::{account, draft, leg};
    use crate::domain::transfer::LegDraft;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn sums(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    /// Account 1 a client's current account with 1 000, account 2 another with 0,
    /// account 3 the bank's settlement account (may go negative), account 4 a loan.
    fn states() -> AccountStates {
        let current = |balance, holds| {
            AccountState::new(
                Currency::Uzs,
                Side::Credit,
                false,
                sums(balance),
                sums(holds),
            )
            .unwrap()
        };
        AccountStates::from([
            (account(1), current(dec!(1000), dec!(0))),
            (account(2), current(dec!(0), dec!(0))),
            (
                account(3),
                AccountState::new(
                    Currency::Uzs,
                    Side::Debit,
                    true,
                    sums(dec!(0)),
                    sums(dec!(0)),
                )
                .unwrap(),
            ),
            (
                account(4),
                AccountState::new(
                    Currency::Uzs,
                    Side::Debit,
                    false,
                    sums(dec!(0)),
                    sums(dec!(0)),
                )
                .unwrap(),
            ),
        ])
    }

    fn transfer(legs: Vec<LegDraft>) -> Transfer {
        Transfer::validate(&draft(legs)).unwrap()
    }

    #[test]
    fn a_transfer_between_current_accounts_moves_the_balances() {
        let postings = plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(400)),
                leg(2, Side::Credit, dec!(400)),
            ]),
            &states(),
        )
        .unwrap();
        assert_eq!(postings[0].balance_before(), sums(dec!(1000)));
        assert_eq!(postings[0].balance_after(), sums(dec!(600)));
        assert_eq!(postings[1].balance_after(), sums(dec!(400)));
    }

    #[test]
    fn a_disbursement_grows_both_the_loan_and_the_current_account() {
        let postings = plan_postings(
            &transfer(vec![
                leg(4, Side::Debit, dec!(5000)),
                leg(2, Side::Credit, dec!(5000)),
            ]),
            &states(),
        )
        .unwrap();
        assert_eq!(postings[0].balance_after(), sums(dec!(5000)));
        assert_eq!(postings[1].balance_after(), sums(dec!(5000)));
    }

    #[test]
    fn an_overdraft_is_refused() {
        let refused = plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(1000.01)),
                leg(2, Side::Credit, dec!(1000.01)),
            ]),
            &states(),
        )
        .unwrap_err();
        assert_eq!(
            refused,
            TransferError::InsufficientFunds {
                leg: 0,
                account_id: account(1),
                available: sums(dec!(1000)),
                requested: sums(dec!(1000.01)),
            }
        );
        assert_eq!(refused.code(), "insufficient_funds");
        assert_eq!(refused.field(), "legs[0].amount");
    }

    #[test]
    fn pending_holds_reduce_what_may_be_spent() {
        let mut held = states();
        let state = held[&account(1)].with_pending_holds(sums(dec!(300)));
        held.insert(account(1), state);
        let refused = plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(700.01)),
                leg(2, Side::Credit, dec!(700.01)),
            ]),
            &held,
        )
        .unwrap_err();
        assert_eq!(refused.code(), "insufficient_funds");
        assert!(plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(700)),
                leg(2, Side::Credit, dec!(700))
            ]),
            &held,
        )
        .is_ok());
    }

    #[test]
    fn an_account_allowed_negative_may_go_below_zero() {
        let postings = plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(50)),
                leg(3, Side::Credit, dec!(50)),
            ]),
            &states(),
        )
        .unwrap();
        assert_eq!(postings[1].balance_after(), sums(dec!(-50)));
    }

    #[test]
    fn an_account_in_another_currency_is_refused() {
        let mut mixed = states();
        mixed.insert(
            account(9),
            AccountState::new(
                Currency::Usd,
                Side::Credit,
                false,
                Money::zero(Currency::Usd),
                Money::zero(Currency::Usd),
            )
            .unwrap(),
        );
        let refused = plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(1)),
                leg(9, Side::Credit, dec!(1)),
            ]),
            &mixed,
        )
        .unwrap_err();
        assert_eq!(refused.code(), "currency_mismatch");
        assert_eq!(refused.field(), "legs[1].currency");
    }

    #[test]
    fn an_unknown_account_is_refused() {
        let refused = plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(1)),
                leg(77, Side::Credit, dec!(1)),
            ]),
            &states(),
        )
        .unwrap_err();
        assert_eq!(
            refused,
            TransferError::UnknownAccount {
                leg: 1,
                account_id: account(77)
            }
        );
    }

    #[test]
    fn an_account_touched_twice_is_applied_in_sequence() {
        let postings = plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(600)),
                leg(2, Side::Credit, dec!(1000)),
                leg(1, Side::Debit, dec!(400)),
            ]),
            &states(),
        )
        .unwrap();
        assert_eq!(postings[0].balance_after(), sums(dec!(400)));
        assert_eq!(postings[2].balance_before(), sums(dec!(400)));
        assert_eq!(postings[2].balance_after(), sums(dec!(0)));

        let overdrawn_by_the_second_entry = plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(600)),
                leg(2, Side::Credit, dec!(1200)),
                leg(1, Side::Debit, dec!(600)),
            ]),
            &states(),
        )
        .unwrap_err();
        assert_eq!(
            overdrawn_by_the_second_entry,
            TransferError::InsufficientFunds {
                leg: 2,
                account_id: account(1),
                available: sums(dec!(400)),
                requested: sums(dec!(600)),
            }
        );
    }

    #[test]
    fn applying_postings_moves_the_posted_balances() {
        let mut states = states();
        let postings = plan_postings(
            &transfer(vec![
                leg(1, Side::Debit, dec!(250)),
                leg(2, Side::Credit, dec!(250)),
            ]),
            &states,
        )
        .unwrap();
        apply_postings(&mut states, &postings);
        assert_eq!(states[&account(1)].posted_balance(), sums(dec!(750)));
        assert_eq!(states[&account(2)].posted_balance(), sums(dec!(250)));
    }

    #[test]
    fn a_state_with_negative_holds_or_another_currency_is_refused() {
        assert_eq!(
            AccountState::new(
                Currency::Uzs,
                Side::Credit,
                false,
                sums(dec!(1)),
                sums(dec!(-1))
            ),
            Err(AccountStateError::NegativeHolds)
        );
        assert_eq!(
            AccountState::new(
                Currency::Uzs,
                Side::Credit,
                false,
                Money::zero(Currency::Eur),
                sums(dec!(0))
            ),
            Err(AccountStateError::CurrencyMismatch {
                currency: Currency::Uzs
            })
        );
    }
}
