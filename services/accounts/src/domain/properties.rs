//! Property tests of the ledger's invariants over random accounts and random transfers.

use imkon_platform::money::{Currency, Money};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::account::{signed_effect, AccountId, Side};
use super::batch::plan_batch;
use super::hold::{release, reserve, Hold};
use super::posting::{apply_postings, plan_postings, AccountState, AccountStates, Posting};
use super::transfer::{
    IdempotencyKey, LegDraft, Transfer, TransferDraft, TransferKind, TransferReference,
};

fn sums(minor: i64) -> Money {
    Money::new(Decimal::new(minor, 2), Currency::Uzs).expect("two decimals fit the sum")
}

fn account_id(index: usize) -> AccountId {
    AccountId::from_uuid(Uuid::from_u128(index as u128 + 1))
}

/// Between two and six accounts of random normal side and overdraft permission. Accounts that
/// forbid going below zero start with holds no larger than their balance, as the ledger keeps
/// them.
fn accounts() -> impl Strategy<Value = AccountStates> {
    prop::collection::vec(
        (
            any::<bool>(),
            any::<bool>(),
            0i64..1_000_000,
            0u8..=100,
            -500_000i64..0,
        ),
        2..=6,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(
                |(index, (debit_normal, allow_negative, balance, held_percent, overdrawn))| {
                    let normal_side = if debit_normal {
                        Side::Debit
                    } else {
                        Side::Credit
                    };
                    // An account allowed to go negative may start there.
                    let balance = if allow_negative && held_percent % 3 == 0 {
                        overdrawn
                    } else {
                        balance
                    };
                    let holds = balance.max(0) * i64::from(held_percent) / 100;
                    let state = AccountState::new(
                        Currency::Uzs,
                        normal_side,
                        allow_negative,
                        sums(balance),
                        sums(holds),
                    )
                    .expect("the state is built in one currency with non-negative holds");
                    (account_id(index), state)
                },
            )
            .collect()
    })
}

/// A balanced transfer made of one to three (debit, credit, amount) pairs over `account_count`
/// accounts; the same account may appear several times.
fn transfer(account_count: usize, number: usize) -> impl Strategy<Value = Transfer> {
    prop::collection::vec((0..account_count, 0..account_count, 1i64..400_000), 1..=3).prop_map(
        move |pairs| {
            let legs = pairs
                .into_iter()
                .flat_map(|(from, to, minor)| {
                    let amount = Decimal::new(minor, 2);
                    [
                        LegDraft {
                            account_id: account_id(from),
                            side: Side::Debit,
                            amount,
                            currency: Currency::Uzs,
                        },
                        LegDraft {
                            account_id: account_id(to),
                            side: Side::Credit,
                            amount,
                            currency: Currency::Uzs,
                        },
                    ]
                })
                .collect();
            Transfer::validate(&TransferDraft {
                idempotency_key: format!("key-{number}"),
                kind: TransferKind::Adjustment,
                reference: format!("transfer {number}"),
                legs,
            })
            .expect("pairs of equal debit and credit legs make a valid transfer")
        },
    )
}

/// Accounts and up to twenty transfers among them, each with its own idempotency key.
fn ledger() -> impl Strategy<Value = (AccountStates, Vec<Transfer>)> {
    accounts().prop_flat_map(|states| {
        let count = states.len();
        let transfers: Vec<_> = (0..20).map(|number| transfer(count, number)).collect();
        (Just(states), transfers, 1usize..=20).prop_map(|(states, mut transfers, keep)| {
            transfers.truncate(keep);
            (states, transfers)
        })
    })
}

/// Books the transfers one at a time, as a write path without batching would.
fn one_at_a_time(
    states: &AccountStates,
    transfers: &[Transfer],
) -> (Vec<Option<Vec<Posting>>>, AccountStates) {
    let mut states = states.clone();
    let results = transfers
        .iter()
        .map(|transfer| {
            let postings = plan_postings(transfer, &states).ok()?;
            apply_postings(&mut states, &postings);
            Some(postings)
        })
        .collect();
    (results, states)
}

fn total(amounts: impl Iterator<Item = Money>) -> Money {
    amounts.fold(sums(0), |sum, amount| {
        sum.checked_add(&amount).expect("test sums fit")
    })
}

proptest! {
    #[test]
    fn every_booked_transfer_has_debits_equal_to_credits((states, transfers) in ledger()) {
        let (results, _) = one_at_a_time(&states, &transfers);
        for postings in results.into_iter().flatten() {
            let debits = total(postings.iter().filter(|p| p.side() == Side::Debit).map(|p| p.amount()));
            let credits = total(postings.iter().filter(|p| p.side() == Side::Credit).map(|p| p.amount()));
            prop_assert_eq!(debits, credits);
        }
    }

    #[test]
    fn each_final_balance_is_the_initial_plus_its_entries((states, transfers) in ledger()) {
        let (results, final_states) = one_at_a_time(&states, &transfers);
        let postings: Vec<Posting> = results.into_iter().flatten().flatten().collect();
        for (id, initial) in &states {
            let effects = postings
                .iter()
                .filter(|posting| posting.account_id() == *id)
                .map(|posting| signed_effect(initial.normal_side(), posting.side(), posting.amount()));
            let expected = initial.posted_balance().checked_add(&total(effects)).unwrap();
            prop_assert_eq!(final_states[id].posted_balance(), expected);
        }
        // Each entry records the balance its account had after it, chained entry to entry.
        for posting in &postings {
            let effect = signed_effect(states[&posting.account_id()].normal_side(), posting.side(), posting.amount());
            prop_assert_eq!(posting.balance_before().checked_add(&effect).unwrap(), posting.balance_after());
        }
    }

    #[test]
    fn no_account_that_forbids_it_goes_below_zero_counting_holds((states, transfers) in ledger()) {
        let (results, final_states) = one_at_a_time(&states, &transfers);
        for posting in results.into_iter().flatten().flatten() {
            let state = states[&posting.account_id()];
            if !state.allow_negative() {
                let available = posting.balance_after().checked_sub(&state.pending_holds()).unwrap();
                prop_assert!(!available.is_negative(), "an entry left {} available", available);
            }
        }
        for state in final_states.values().filter(|state| !state.allow_negative()) {
            prop_assert!(!state.available_balance().is_negative());
        }
    }

    #[test]
    fn a_batch_equals_the_same_transfers_one_at_a_time((states, transfers) in ledger()) {
        let (one_by_one, sequential_states) = one_at_a_time(&states, &transfers);
        let batch = plan_batch(&transfers, &states);
        let batched: Vec<Option<Vec<Posting>>> = batch.results.into_iter().map(Result::ok).collect();
        prop_assert_eq!(batched, one_by_one);
        prop_assert_eq!(batch.final_states, sequential_states);
        let mut sorted = batch.touched_accounts.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(batch.touched_accounts, sorted);
    }

    #[test]
    fn a_reversal_restores_every_balance((states, transfers) in ledger()) {
        let mut states = states;
        for state in states.values_mut() {
            *state = AccountState::new(
                state.currency(),
                state.normal_side(),
                true,
                state.posted_balance(),
                state.pending_holds(),
            ).unwrap();
        }
        for transfer in &transfers {
            let before = states.clone();
            let postings = plan_postings(transfer, &states).unwrap();
            apply_postings(&mut states, &postings);
            let reversal = Transfer::reversal_of(
                transfer,
                IdempotencyKey::parse("reversal").unwrap(),
                TransferReference::parse("reversal").unwrap(),
            );
            let mirror = plan_postings(&reversal, &states).unwrap();
            apply_postings(&mut states, &mirror);
            prop_assert_eq!(&states, &before);
        }
    }

    #[test]
    fn holds_never_let_an_account_that_forbids_it_go_below_zero(
        (states, transfers) in ledger(),
        post_percents in prop::collection::vec(0u8..=100, 20),
    ) {
        let initial_holds: Vec<Money> = states.values().map(AccountState::pending_holds).collect();
        let mut states = states;
        let mut holds = Vec::new();
        for transfer in transfers.into_iter().filter(|transfer| transfer.legs().len() == 2) {
            if let Ok(hold) = Hold::place(transfer, &states) {
                reserve(&mut states, hold.reservations());
                holds.push(hold);
            }
            for state in states.values().filter(|state| !state.allow_negative()) {
                prop_assert!(!state.available_balance().is_negative());
            }
        }
        for (number, (mut hold, percent)) in holds.into_iter().zip(post_percents).enumerate() {
            let minor = hold.held().minor_units() * i128::from(percent) / 100;
            if minor == 0 {
                release(&mut states, &hold.void().unwrap());
            } else {
                let amount = Money::new(Decimal::from_i128_with_scale(minor, 2), Currency::Uzs).unwrap();
                let key = IdempotencyKey::parse(&format!("post-{number}")).unwrap();
                let posting = hold.post(amount, key).unwrap();
                release(&mut states, &posting.released);
                let postings = plan_postings(&posting.transfer, &states)
                    .expect("money reserved by a hold is there to post");
                apply_postings(&mut states, &postings);
            }
            for state in states.values().filter(|state| !state.allow_negative()) {
                prop_assert!(!state.available_balance().is_negative());
            }
        }
        let final_holds: Vec<Money> = states.values().map(AccountState::pending_holds).collect();
        prop_assert_eq!(final_holds, initial_holds, "every hold placed here was settled");
    }
}
