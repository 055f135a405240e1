//! Batch planning for the hot-account write path.
//!
//! Postgres' commit rate bounds the ledger, and a hot account (a programme's grant fund) makes
//! every transfer wait on one row lock. So the write path gathers the requests that arrived in
//! a short window, locks every account they touch in ascending id order (one order for every
//! transaction, so no two can deadlock), plans them here one by one, and commits once. Each
//! request succeeds or fails on its own: a refused transfer changes no state, so the ones after
//! it see exactly what they would have seen had it never arrived.

use std::collections::{BTreeSet, HashMap};

use super::account::AccountId;
use super::posting::{apply_postings, plan_postings, AccountStates, Posting, TransferError};
use super::transfer::{IdempotencyKey, Transfer};

/// Every account the transfers touch, ascending and without repeats: the order to lock them in.
pub fn touched_accounts(transfers: &[Transfer]) -> Vec<AccountId> {
    transfers
        .iter()
        .flat_map(|transfer| transfer.legs().iter().map(|leg| leg.account_id()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The outcome of a batch: one result per request, in arrival order, and the states after all
/// of the successful ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchPlan {
    pub results: Vec<Result<Vec<Posting>, TransferError>>,
    pub touched_accounts: Vec<AccountId>,
    pub final_states: AccountStates,
}

/// Plans `transfers` in arrival order from `starting_states`. A request whose idempotency key
/// an earlier request of the same batch used is refused with
/// [`TransferError::RepeatedInBatch`], so that the caller answers it with the first one's
/// result and the key never moves money twice.
pub fn plan_batch(transfers: &[Transfer], starting_states: &AccountStates) -> BatchPlan {
    let mut states = starting_states.clone();
    let mut first_use: HashMap<&IdempotencyKey, usize> = HashMap::new();
    let results = transfers
        .iter()
        .enumerate()
        .map(|(position, transfer)| {
            if let Some(&first_position) = first_use.get(transfer.idempotency_key()) {
                return Err(TransferError::RepeatedInBatch { first_position });
            }
            first_use.insert(transfer.idempotency_key(), position);
            let postings = plan_postings(transfer, &states)?;
            apply_postings(&mut states, &postings);
            Ok(postings)
        })
        .collect();
    BatchPlan {
        results,
        touched_accounts: touched_accounts(transfers),
        final_states: states,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::Side;
    use crate::domain::posting::AccountState;
    use crate::domain::transfer::tests::{account, leg};
    use crate::domain::transfer::{TransferDraft, TransferKind};
    use imkon_platform::money::{Currency, Money};
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn sums(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    fn pay(key: &str, from: u128, to: u128, amount: Decimal) -> Transfer {
        Transfer::validate(&TransferDraft {
            idempotency_key: key.into(),
            kind: TransferKind::Disbursement,
            reference: "tranche".into(),
            legs: vec![
                leg(from, Side::Debit, amount),
                leg(to, Side::Credit, amount),
            ],
        })
        .unwrap()
    }

    /// Account 1 is a grant fund holding 1 000; accounts 2-4 are founders' current accounts.
    fn states() -> AccountStates {
        let credit_normal = |balance| {
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
            (account(1), credit_normal(dec!(1000))),
            (account(2), credit_normal(dec!(0))),
            (account(3), credit_normal(dec!(0))),
            (account(4), credit_normal(dec!(0))),
        ])
    }

    #[test]
    fn touched_accounts_are_sorted_and_unique() {
        let transfers = [
            pay("a", 3, 1, dec!(1)),
            pay("b", 1, 2, dec!(1)),
            pay("c", 4, 3, dec!(1)),
        ];
        assert_eq!(
            touched_accounts(&transfers),
            vec![account(1), account(2), account(3), account(4)]
        );
    }

    #[test]
    fn a_refused_transfer_does_not_disturb_the_others() {
        let transfers = [
            pay("a", 1, 2, dec!(600)),
            pay("b", 1, 3, dec!(500)),
            pay("c", 1, 4, dec!(400)),
        ];
        let plan = plan_batch(&transfers, &states());
        assert!(plan.results[0].is_ok());
        assert_eq!(
            plan.results[1].as_ref().unwrap_err().code(),
            "insufficient_funds"
        );
        let third = plan.results[2].as_ref().unwrap();
        assert_eq!(third[0].balance_before(), sums(dec!(400)));
        assert_eq!(third[0].balance_after(), sums(dec!(0)));
        assert_eq!(
            plan.final_states[&account(1)].posted_balance(),
            sums(dec!(0))
        );
        assert_eq!(
            plan.final_states[&account(3)].posted_balance(),
            sums(dec!(0))
        );
        assert_eq!(
            plan.final_states[&account(4)].posted_balance(),
            sums(dec!(400))
        );
    }

    #[test]
    fn a_repeated_key_in_one_batch_moves_money_once() {
        let transfers = [pay("same", 1, 2, dec!(100)), pay("same", 1, 2, dec!(100))];
        let plan = plan_batch(&transfers, &states());
        assert!(plan.results[0].is_ok());
        assert_eq!(
            plan.results[1],
            Err(TransferError::RepeatedInBatch { first_position: 0 })
        );
        assert_eq!(
            plan.final_states[&account(2)].posted_balance(),
            sums(dec!(100))
        );
    }
}
