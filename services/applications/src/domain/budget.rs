//! A programme's budget and what is committed of it.

use imkon_platform::money::{Currency, Money};

use super::Refusal;

/// Why a budget or a commitment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error("`{field}` is in {found}, but the budget is in {expected}")]
    CurrencyMismatch {
        field: &'static str,
        expected: Currency,
        found: Currency,
    },
    #[error("`{field}` must be positive")]
    NotPositive { field: &'static str },
    #[error("the committed amount must be between zero and the total budget")]
    CommittedOutOfRange,
    #[error("committing {requested} exceeds the budget: only {available} is left")]
    BudgetExceeded { requested: Money, available: Money },
}

impl Refusal for BudgetError {
    fn code(&self) -> &'static str {
        match self {
            BudgetError::CurrencyMismatch { .. } => "currency_mismatch",
            BudgetError::NotPositive { .. } => "amount_not_positive",
            BudgetError::CommittedOutOfRange => "committed_out_of_range",
            BudgetError::BudgetExceeded { .. } => "budget_exceeded",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            BudgetError::CurrencyMismatch { field, .. } | BudgetError::NotPositive { field } => {
                Some((*field).to_owned())
            }
            BudgetError::CommittedOutOfRange => Some("committed_amount".to_owned()),
            BudgetError::BudgetExceeded { .. } => Some("amount".to_owned()),
        }
    }
}

/// A total budget and the part of it already committed to approved applications. Holding one
/// means `0 ≤ committed ≤ total`, both in the same currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    total: Money,
    committed: Money,
}

impl Budget {
    pub fn new(total: Money, committed: Money) -> Result<Budget, BudgetError> {
        if !total.is_positive() {
            return Err(BudgetError::NotPositive {
                field: "total_budget",
            });
        }
        if committed.currency() != total.currency() {
            return Err(BudgetError::CurrencyMismatch {
                field: "committed_amount",
                expected: total.currency(),
                found: committed.currency(),
            });
        }
        if committed.is_negative() || committed.amount() > total.amount() {
            return Err(BudgetError::CommittedOutOfRange);
        }
        Ok(Budget { total, committed })
    }

    pub fn total(&self) -> Money {
        self.total
    }

    pub fn committed(&self) -> Money {
        self.committed
    }

    pub fn currency(&self) -> Currency {
        self.total.currency()
    }

    /// What is left to commit.
    pub fn available(&self) -> Money {
        self.total
            .checked_sub(&self.committed)
            .expect("total and committed share a currency and 0 ≤ committed ≤ total")
    }

    /// The budget after committing `amount`, refused when committed + amount would exceed the
    /// total. The database repeats this check under a row lock, since two approvals may race.
    pub fn commit(&self, amount: Money) -> Result<Budget, BudgetError> {
        if amount.currency() != self.currency() {
            return Err(BudgetError::CurrencyMismatch {
                field: "amount",
                expected: self.currency(),
                found: amount.currency(),
            });
        }
        if !amount.is_positive() {
            return Err(BudgetError::NotPositive { field: "amount" });
        }
        if amount.amount() > self.available().amount() {
            return Err(BudgetError::BudgetExceeded {
                requested: amount,
                available: self.available(),
            });
        }
        let committed = self
            .committed
            .checked_add(&amount)
            .expect("the sum is at most the total, which is representable");
        Ok(Budget {
            total: self.total,
            committed,
        })
    }

    /// The budget after giving back `amount` an approval had committed (its contract was
    /// cancelled unsigned); refused when more is given back than is committed.
    pub fn release(&self, amount: Money) -> Result<Budget, BudgetError> {
        if amount.currency() != self.currency() {
            return Err(BudgetError::CurrencyMismatch {
                field: "amount",
                expected: self.currency(),
                found: amount.currency(),
            });
        }
        if !amount.is_positive() {
            return Err(BudgetError::NotPositive { field: "amount" });
        }
        let committed = self
            .committed
            .checked_sub(&amount)
            .ok()
            .filter(|committed| !committed.is_negative())
            .ok_or(BudgetError::CommittedOutOfRange)?;
        Ok(Budget {
            total: self.total,
            committed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn uzs(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    #[test]
    fn a_commit_within_the_budget_is_added() {
        let budget = Budget::new(uzs(dec!(1000)), uzs(dec!(400))).unwrap();
        let after = budget.commit(uzs(dec!(600))).unwrap();
        assert_eq!(after.committed(), uzs(dec!(1000)));
        assert!(after.available().is_zero());
    }

    #[test]
    fn a_release_gives_back_what_was_committed_and_never_more() {
        let budget = Budget::new(uzs(dec!(1000)), uzs(dec!(300))).unwrap();
        let released = budget.release(uzs(dec!(300))).unwrap();
        assert_eq!(released.committed(), uzs(dec!(0)));
        assert_eq!(released.available(), uzs(dec!(1000)));
        assert_eq!(
            budget.release(uzs(dec!(300.01))),
            Err(BudgetError::CommittedOutOfRange)
        );
        assert_eq!(
            budget.release(uzs(dec!(0))),
            Err(BudgetError::NotPositive { field: "amount" })
        );
    }

    #[test]
    fn a_commit_beyond_the_budget_is_refused() {
        let budget = Budget::new(uzs(dec!(1000)), uzs(dec!(400))).unwrap();
        let error = budget.commit(uzs(dec!(600.01))).unwrap_err();
        assert_eq!(error.code(), "budget_exceeded");
        assert_eq!(error.field().as_deref(), Some("amount"));
    }

    #[test]
    fn a_commit_in_another_currency_is_refused() {
        let budget = Budget::new(uzs(dec!(1000)), uzs(dec!(0))).unwrap();
        let dollars = Money::new(dec!(1), Currency::Usd).unwrap();
        assert_eq!(
            budget.commit(dollars).unwrap_err().code(),
            "currency_mismatch"
        );
    }

    #[test]
    fn a_zero_commit_is_refused() {
        let budget = Budget::new(uzs(dec!(1000)), uzs(dec!(0))).unwrap();
        assert_eq!(
            budget.commit(uzs(dec!(0))).unwrap_err().code(),
            "amount_not_positive"
        );
    }

    #[test]
    fn a_budget_already_overcommitted_is_refused() {
        let error = Budget::new(uzs(dec!(1000)), uzs(dec!(1000.01))).unwrap_err();
        assert_eq!(error, BudgetError::CommittedOutOfRange);
        assert_eq!(
            Budget::new(uzs(dec!(0)), uzs(dec!(0))).unwrap_err().code(),
            "amount_not_positive"
        );
    }

    proptest! {
        #[test]
        fn commits_never_exceed_the_budget(
            total_minor in 1i64..10_000_000,
            commits_minor in proptest::collection::vec(-1_000i64..3_000_000, 0..40)
        ) {
            let mut budget = Budget::new(uzs(Decimal::new(total_minor, 2)), uzs(dec!(0))).unwrap();
            let mut accepted_minor = 0i64;
            for commit_minor in commits_minor {
                let before = budget;
                match budget.commit(uzs(Decimal::new(commit_minor, 2))) {
                    Ok(after) => {
                        accepted_minor += commit_minor;
                        budget = after;
                    }
                    Err(_) => prop_assert_eq!(budget, before),
                }
                prop_assert!(budget.committed().amount() <= budget.total().amount());
                prop_assert!(!budget.committed().is_negative());
            }
            prop_assert_eq!(budget.committed().minor_units(), i128::from(accepted_minor));
        }
    }
}
