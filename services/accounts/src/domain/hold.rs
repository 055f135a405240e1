//! Holds: a pending transfer that reserves money now and moves it later, or never.
//!
//! A hold is placed for a two-leg transfer. Placing it reserves the amount on every account the
//! transfer would reduce (the debited client account, and a loan account being repaid), so that
//! money cannot be spent twice while the hold is pending. A hold is then settled exactly once:
//!
//! ```text
//! pending ──post(amount ≤ held)──► posted   (the rest of the reservation is released)
//!    └─────────void()────────────► voided   (the whole reservation is released)
//! ```
//!
//! Settling twice is refused with an error per final state, which the HTTP layer maps to 409.

use imkon_platform::money::{Currency, Money};

use super::account::AccountId;
use super::posting::{state_for_leg, AccountStates, TransferError};
use super::transfer::{IdempotencyKey, Transfer};

/// Money reserved on one account by a pending hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    account_id: AccountId,
    amount: Money,
}

impl Reservation {
    pub fn account_id(&self) -> AccountId {
        self.account_id
    }

    pub fn amount(&self) -> Money {
        self.amount
    }
}

/// Where a hold is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldState {
    Pending,
    /// Posted for `amount`, which is at most what was held.
    Posted {
        amount: Money,
    },
    Voided,
}

impl HoldState {
    pub fn code(self) -> &'static str {
        match self {
            HoldState::Pending => "pending",
            HoldState::Posted { .. } => "posted",
            HoldState::Voided => "voided",
        }
    }
}

/// Why a hold could not be placed or settled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoldError {
    #[error("a hold is placed for a transfer of exactly two legs, this one has {count}")]
    NotTwoLegs { count: usize },
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error("the hold has already been posted")]
    AlreadyPosted,
    #[error("the hold has already been voided")]
    AlreadyVoided,
    #[error("{requested} is more than the {held} held")]
    PostExceedsHold { held: Money, requested: Money },
    #[error("the amount to post must be positive; void the hold to post nothing")]
    PostAmountNotPositive,
    #[error("the hold is in {hold_currency}, the amount in {requested_currency}")]
    CurrencyMismatch {
        hold_currency: Currency,
        requested_currency: Currency,
    },
    #[error("the hold's stored record is inconsistent")]
    InconsistentRecord,
}

impl HoldError {
    pub fn code(&self) -> &'static str {
        match self {
            HoldError::NotTwoLegs { .. } => "hold_needs_two_legs",
            HoldError::Transfer(error) => error.code(),
            HoldError::AlreadyPosted => "hold_already_posted",
            HoldError::AlreadyVoided => "hold_already_voided",
            HoldError::PostExceedsHold { .. } => "post_exceeds_hold",
            HoldError::PostAmountNotPositive => "amount_not_positive",
            HoldError::CurrencyMismatch { .. } => "currency_mismatch",
            HoldError::InconsistentRecord => "hold_record_inconsistent",
        }
    }

    pub fn field(&self) -> Option<String> {
        match self {
            HoldError::NotTwoLegs { .. } => Some("legs".to_owned()),
            HoldError::Transfer(error) => Some(error.field()),
            HoldError::PostExceedsHold { .. }
            | HoldError::PostAmountNotPositive
            | HoldError::CurrencyMismatch { .. } => Some("amount".to_owned()),
            HoldError::AlreadyPosted | HoldError::AlreadyVoided | HoldError::InconsistentRecord => {
                None
            }
        }
    }
}

/// What posting a hold asks the write path to do: release every reservation, then book
/// `transfer` (the held transfer for the posted amount). `unposted` is the part given back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldPosting {
    pub transfer: Transfer,
    pub released: Vec<Reservation>,
    pub unposted: Money,
}

/// A pending transfer and what it reserved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    transfer: Transfer,
    reservations: Vec<Reservation>,
    state: HoldState,
}

impl Hold {
    /// Places a hold: checks the accounts as [`super::posting::plan_postings`] would and
    /// reserves the amount on every account the transfer reduces. The caller adds the
    /// reservations to the accounts' pending holds with [`reserve`].
    pub fn place(transfer: Transfer, states: &AccountStates) -> Result<Hold, HoldError> {
        if transfer.legs().len() != 2 {
            return Err(HoldError::NotTwoLegs {
                count: transfer.legs().len(),
            });
        }
        let mut working = states.clone();
        let mut reservations = Vec::new();
        for (leg_index, leg) in transfer.legs().iter().enumerate() {
            let state = state_for_leg(
                &working,
                leg_index,
                leg.account_id(),
                leg.amount().currency(),
            )?;
            if leg.side() == state.normal_side() {
                continue;
            }
            let holds_after = state
                .pending_holds()
                .checked_add(&leg.amount())
                .map_err(|_| TransferError::AmountOutOfRange { leg: leg_index })?;
            let after = state.with_pending_holds(holds_after);
            if !state.allow_negative() && after.available_balance().is_negative() {
                return Err(TransferError::InsufficientFunds {
                    leg: leg_index,
                    account_id: leg.account_id(),
                    available: state.available_balance(),
                    requested: leg.amount(),
                }
                .into());
            }
            working.insert(leg.account_id(), after);
            reservations.push(Reservation {
                account_id: leg.account_id(),
                amount: leg.amount(),
            });
        }
        Ok(Hold {
            transfer,
            reservations,
            state: HoldState::Pending,
        })
    }

    /// Rebuilds a hold from its stored record, checking the record is one `place` could have
    /// made: two legs, reservations of the held amount on accounts of the transfer, and a
    /// posted amount no larger than what was held.
    pub fn restore(
        transfer: Transfer,
        reservations: Vec<(AccountId, Money)>,
        state: HoldState,
    ) -> Result<Hold, HoldError> {
        if transfer.legs().len() != 2 {
            return Err(HoldError::NotTwoLegs {
                count: transfer.legs().len(),
            });
        }
        let held = transfer.amount();
        let reservations_fit = reservations.len() <= 2
            && reservations.iter().all(|(account_id, amount)| {
                *amount == held
                    && transfer
                        .legs()
                        .iter()
                        .any(|leg| leg.account_id() == *account_id)
            });
        let state_fits = match state {
            HoldState::Posted { amount } => {
                amount.currency() == held.currency()
                    && amount.is_positive()
                    && amount.amount() <= held.amount()
            }
            HoldState::Pending | HoldState::Voided => true,
        };
        if !reservations_fit || !state_fits {
            return Err(HoldError::InconsistentRecord);
        }
        let reservations = reservations
            .into_iter()
            .map(|(account_id, amount)| Reservation { account_id, amount })
            .collect();
        Ok(Hold {
            transfer,
            reservations,
            state,
        })
    }

    pub fn transfer(&self) -> &Transfer {
        &self.transfer
    }

    pub fn reservations(&self) -> &[Reservation] {
        &self.reservations
    }

    pub fn state(&self) -> HoldState {
        self.state
    }

    /// The amount held.
    pub fn held(&self) -> Money {
        self.transfer.amount()
    }

    fn ensure_pending(&self) -> Result<(), HoldError> {
        match self.state {
            HoldState::Pending => Ok(()),
            HoldState::Posted { .. } => Err(HoldError::AlreadyPosted),
            HoldState::Voided => Err(HoldError::AlreadyVoided),
        }
    }

    /// Posts `amount` (all or part of what is held) under a new idempotency key. Any rest is
    /// released. Refused once the hold is settled, or for more than is held.
    pub fn post(
        &mut self,
        amount: Money,
        idempotency_key: IdempotencyKey,
    ) -> Result<HoldPosting, HoldError> {
        self.ensure_pending()?;
        let held = self.held();
        if amount.currency() != held.currency() {
            return Err(HoldError::CurrencyMismatch {
                hold_currency: held.currency(),
                requested_currency: amount.currency(),
            });
        }
        if !amount.is_positive() {
            return Err(HoldError::PostAmountNotPositive);
        }
        let unposted = held
            .checked_sub(&amount)
            .map_err(|_| HoldError::PostExceedsHold {
                held,
                requested: amount,
            })?;
        if unposted.is_negative() {
            return Err(HoldError::PostExceedsHold {
                held,
                requested: amount,
            });
        }
        let (debit, credit) = self.debit_and_credit_accounts();
        let transfer = Transfer::two_legs(
            idempotency_key,
            self.transfer.kind(),
            self.transfer.reference().clone(),
            debit,
            credit,
            amount,
        );
        self.state = HoldState::Posted { amount };
        Ok(HoldPosting {
            transfer,
            released: self.reservations.clone(),
            unposted,
        })
    }

    /// Voids the hold, releasing everything it reserved. Refused once the hold is settled.
    pub fn void(&mut self) -> Result<Vec<Reservation>, HoldError> {
        self.ensure_pending()?;
        self.state = HoldState::Voided;
        Ok(self.reservations.clone())
    }

    fn debit_and_credit_accounts(&self) -> (AccountId, AccountId) {
        let legs = self.transfer.legs();
        // A balanced transfer of two legs has one debit and one credit of the same amount.
        match legs[0].side() {
            super::account::Side::Debit => (legs[0].account_id(), legs[1].account_id()),
            super::account::Side::Credit => (legs[1].account_id(), legs[0].account_id()),
        }
    }
}

/// Adds reservations to the accounts' pending holds.
pub fn reserve(states: &mut AccountStates, reservations: &[Reservation]) {
    for reservation in reservations {
        let state = states
            .get_mut(&reservation.account_id)
            .expect("reservations are made on accounts present in the states");
        let holds = state
            .pending_holds()
            .checked_add(&reservation.amount)
            .expect("place checked that the holds fit");
        *state = state.with_pending_holds(holds);
    }
}

/// Takes reservations off the accounts' pending holds.
pub fn release(states: &mut AccountStates, reservations: &[Reservation]) {
    for reservation in reservations {
        let state = states
            .get_mut(&reservation.account_id)
            .expect("reservations are released on accounts present in the states");
        let holds = state
            .pending_holds()
            .checked_sub(&reservation.amount)
            .expect("a reservation is in its account's currency");
        assert!(
            !holds.is_negative(),
            "a reservation is released only once, so holds stay ≥ 0"
        );
        *state = state.with_pending_holds(holds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::Side;
    use crate::domain::posting::{apply_postings, plan_postings, AccountState};
    use crate::domain::transfer::tests::{account, draft, leg};
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn sums(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    fn states() -> AccountStates {
        let current = |balance| {
            AccountState::new(
                Currency::Uzs,
                Side::Credit,
                false,
                sums(balance),
                sums(dec!(0)),
            )
            .unwrap()
        };
        AccountStates::from([
            (account(1), current(dec!(1000))),
            (account(2), current(dec!(0))),
        ])
    }

    fn pay(amount: Decimal) -> Transfer {
        Transfer::validate(&draft(vec![
            leg(1, Side::Debit, amount),
            leg(2, Side::Credit, amount),
        ]))
        .unwrap()
    }

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::parse(text).unwrap()
    }

    #[test]
    fn a_hold_reserves_the_debited_account_only() {
        let mut states = states();
        let hold = Hold::place(pay(dec!(600)), &states).unwrap();
        assert_eq!(hold.state(), HoldState::Pending);
        assert_eq!(hold.reservations().len(), 1);
        assert_eq!(hold.reservations()[0].account_id(), account(1));
        reserve(&mut states, hold.reservations());
        assert_eq!(states[&account(1)].available_balance(), sums(dec!(400)));
        assert_eq!(states[&account(1)].posted_balance(), sums(dec!(1000)));
    }

    #[test]
    fn a_hold_cannot_reserve_more_than_is_available() {
        let mut states = states();
        let first = Hold::place(pay(dec!(600)), &states).unwrap();
        reserve(&mut states, first.reservations());
        let refused = Hold::place(pay(dec!(400.01)), &states).unwrap_err();
        assert_eq!(refused.code(), "insufficient_funds");
        assert_eq!(refused.field().as_deref(), Some("legs[0].amount"));
        assert!(Hold::place(pay(dec!(400)), &states).is_ok());
    }

    #[test]
    fn money_held_cannot_be_spent_by_a_posted_transfer() {
        let mut states = states();
        let hold = Hold::place(pay(dec!(600)), &states).unwrap();
        reserve(&mut states, hold.reservations());
        let refused = plan_postings(&pay(dec!(500)), &states).unwrap_err();
        assert_eq!(refused.code(), "insufficient_funds");
    }

    #[test]
    fn posting_in_part_books_the_part_and_releases_the_rest() {
        let mut states = states();
        let mut hold = Hold::place(pay(dec!(600)), &states).unwrap();
        reserve(&mut states, hold.reservations());

        let posting = hold.post(sums(dec!(450)), key("post-1")).unwrap();
        assert_eq!(
            hold.state(),
            HoldState::Posted {
                amount: sums(dec!(450))
            }
        );
        assert_eq!(posting.unposted, sums(dec!(150)));
        assert_eq!(posting.transfer.amount(), sums(dec!(450)));
        assert_eq!(posting.transfer.idempotency_key().as_str(), "post-1");

        release(&mut states, &posting.released);
        let postings = plan_postings(&posting.transfer, &states).unwrap();
        apply_postings(&mut states, &postings);
        assert_eq!(states[&account(1)].posted_balance(), sums(dec!(550)));
        assert_eq!(states[&account(1)].pending_holds(), sums(dec!(0)));
        assert_eq!(states[&account(2)].posted_balance(), sums(dec!(450)));
    }

    #[test]
    fn posting_more_than_is_held_is_refused_and_the_hold_stays_pending() {
        let mut hold = Hold::place(pay(dec!(600)), &states()).unwrap();
        assert_eq!(
            hold.post(sums(dec!(600.01)), key("post-1")),
            Err(HoldError::PostExceedsHold {
                held: sums(dec!(600)),
                requested: sums(dec!(600.01))
            })
        );
        assert_eq!(
            hold.post(sums(dec!(0)), key("post-1")),
            Err(HoldError::PostAmountNotPositive)
        );
        assert_eq!(
            hold.post(Money::new(dec!(1), Currency::Usd).unwrap(), key("post-1"))
                .unwrap_err()
                .code(),
            "currency_mismatch"
        );
        assert_eq!(hold.state(), HoldState::Pending);
        assert!(hold.post(sums(dec!(600)), key("post-1")).is_ok());
    }

    #[test]
    fn a_hold_is_settled_exactly_once() {
        let mut posted = Hold::place(pay(dec!(100)), &states()).unwrap();
        posted.post(sums(dec!(100)), key("post-1")).unwrap();
        assert_eq!(
            posted.post(sums(dec!(100)), key("post-2")),
            Err(HoldError::AlreadyPosted)
        );
        assert_eq!(posted.void(), Err(HoldError::AlreadyPosted));

        let mut voided = Hold::place(pay(dec!(100)), &states()).unwrap();
        assert_eq!(voided.void().unwrap().len(), 1);
        assert_eq!(voided.state(), HoldState::Voided);
        assert_eq!(voided.void(), Err(HoldError::AlreadyVoided));
        assert_eq!(
            voided
                .post(sums(dec!(1)), key("post-3"))
                .unwrap_err()
                .code(),
            "hold_already_voided"
        );
    }

    #[test]
    fn voiding_gives_the_money_back() {
        let mut states = states();
        let mut hold = Hold::place(pay(dec!(1000)), &states).unwrap();
        reserve(&mut states, hold.reservations());
        assert_eq!(states[&account(1)].available_balance(), sums(dec!(0)));
        release(&mut states, &hold.void().unwrap());
        assert_eq!(states[&account(1)].available_balance(), sums(dec!(1000)));
    }

    #[test]
    fn a_hold_needs_exactly_two_legs() {
        let three = Transfer::validate(&draft(vec![
            leg(1, Side::Debit, dec!(10)),
            leg(2, Side::Credit, dec!(5)),
            leg(2, Side::Credit, dec!(5)),
        ]))
        .unwrap();
        assert_eq!(
            Hold::place(three, &states()),
            Err(HoldError::NotTwoLegs { count: 3 })
        );
    }

    #[test]
    fn a_stored_hold_is_restored_only_when_consistent() {
        let restored = Hold::restore(
            pay(dec!(100)),
            vec![(account(1), sums(dec!(100)))],
            HoldState::Posted {
                amount: sums(dec!(40)),
            },
        )
        .unwrap();
        assert_eq!(restored.state().code(), "posted");
        assert_eq!(
            Hold::restore(
                pay(dec!(100)),
                vec![(account(1), sums(dec!(100)))],
                HoldState::Posted {
                    amount: sums(dec!(100.01))
                },
            ),
            Err(HoldError::InconsistentRecord)
        );
        assert_eq!(
            Hold::restore(
                pay(dec!(100)),
                vec![(account(9), sums(dec!(100)))],
                HoldState::Pending
            ),
            Err(HoldError::InconsistentRecord)
        );
    }
}
