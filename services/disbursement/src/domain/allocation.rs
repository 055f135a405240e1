//! How a repayment is split: penalty first, then interest, then principal.
//!
//! The order is the bank's policy and the usual one: what costs the client most if left unpaid
//! is cleared first. Whatever exceeds everything due is an overpayment, reported so it can be
//! held as an advance against the next instalment; it is never dropped.

use imkon_platform::money::{Currency, Money};

/// What the client owes at the moment of payment, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmountsDue {
    pub penalty: Money,
    pub interest: Money,
    pub principal: Money,
}

/// A payment split by kind. The four parts add up to the payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub penalty: Money,
    pub interest: Money,
    pub principal: Money,
    /// What is left once everything due is paid: an advance, not a loss.
    pub overpayment: Money,
}

/// Why a payment could not be allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("the payment must be positive")]
    PaymentNotPositive,
    #[error("the payment is in {payment} but the amounts due are in {due}")]
    CurrencyMismatch { payment: Currency, due: Currency },
    #[error("the {part} due must not be negative")]
    NegativeAmountDue { part: &'static str },
}

impl AllocationError {
    /// The field at fault: the payment's amount, or the part of the amounts due.
    pub fn field(&self) -> &'static str {
        match self {
            AllocationError::PaymentNotPositive | AllocationError::CurrencyMismatch { .. } => {
                "amount"
            }
            AllocationError::NegativeAmountDue { part } => part,
        }
    }
}

/// Splits `payment` penalty → interest → principal, the remainder being an overpayment.
pub fn allocate_payment(payment: Money, due: &AmountsDue) -> Result<Allocation, AllocationError> {
    let currency = payment.currency();
    let parts = [
        ("penalty", due.penalty),
        ("interest", due.interest),
        ("principal", due.principal),
    ];
    for (part, amount) in parts {
        if amount.currency() != currency {
            return Err(AllocationError::CurrencyMismatch {
                payment: currency,
                due: amount.currency(),
            });
        }
        if amount.is_negative() {
            return Err(AllocationError::NegativeAmountDue { part });
        }
    }
    if !payment.is_positive() {
        return Err(AllocationError::PaymentNotPositive);
    }
    let mut left = payment.amount();
    let mut take = |owed: Money| {
        let paid = owed.amount().min(left);
        left -= paid;
        Money::from_rounded(paid, currency)
    };
    let penalty = take(due.penalty);
    let interest = take(due.interest);
    let principal = take(due.principal);
    Ok(Allocation {
        penalty,
        interest,
        principal,
        overpayment: Money::from_rounded(left, currency),
    })
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

    fn due() -> AmountsDue {
        AmountsDue {
            penalty: uzs(dec!(5.00)),
            interest: uzs(dec!(20.00)),
            principal: uzs(dec!(100.00)),
        }
    }

    #[test]
    fn a_short_payment_clears_the_penalty_then_part_of_the_interest() {
        let allocation = allocate_payment(uzs(dec!(15.00)), &due()).unwrap();
        assert_eq!(allocation.penalty.amount(), dec!(5.00));
        assert_eq!(allocation.interest.amount(), dec!(10.00));
        assert!(allocation.principal.is_zero());
        assert!(allocation.overpayment.is_zero());
    }

    #[test]
    fn a_payment_covering_interest_goes_on_to_the_principal() {
        let allocation = allocate_payment(uzs(dec!(75.50)), &due()).unwrap();
        assert_eq!(allocation.interest.amount(), dec!(20.00));
        assert_eq!(allocation.principal.amount(), dec!(50.50));
    }

    #[test]
    fn an_overpayment_is_reported_not_lost() {
        let allocation = allocate_payment(uzs(dec!(130.00)), &due()).unwrap();
        assert_eq!(allocation.principal.amount(), dec!(100.00));
        assert_eq!(allocation.overpayment.amount(), dec!(5.00));
    }

    #[test]
    fn an_empty_payment_or_a_foreign_currency_is_refused() {
        assert_eq!(
            allocate_payment(uzs(dec!(0)), &due()),
            Err(AllocationError::PaymentNotPositive)
        );
        let dollars = Money::new(dec!(10), Currency::Usd).unwrap();
        let error = allocate_payment(dollars, &due()).unwrap_err();
        assert_eq!(
            error,
            AllocationError::CurrencyMismatch {
                payment: Currency::Usd,
                due: Currency::Uzs
            }
        );
        assert_eq!(error.field(), "amount");
    }

    #[test]
    fn a_negative_amount_due_is_refused_naming_its_part() {
        let wrong = AmountsDue {
            interest: uzs(dec!(-1.00)),
            ..due()
        };
        let error = allocate_payment(uzs(dec!(10.00)), &wrong).unwrap_err();
        assert_eq!(
            error,
            AllocationError::NegativeAmountDue { part: "interest" }
        );
        assert_eq!(error.field(), "interest");
    }

    proptest! {
        #[test]
        fn the_parts_add_up_to_the_payment_in_priority_order(
            payment_minor in 1i64..1_000_000,
            penalty_minor in 0i64..100_000,
            interest_minor in 0i64..100_000,
            principal_minor in 0i64..1_000_000,
        ) {
            let money = |minor| Money::new(Decimal::new(minor, 2), Currency::Uzs).unwrap();
            let due = AmountsDue {
                penalty: money(penalty_minor),
                interest: money(interest_minor),
                principal: money(principal_minor),
            };
            let allocation = allocate_payment(money(payment_minor), &due).unwrap();
            let sum = allocation.penalty.amount() + allocation.interest.amount()
                + allocation.principal.amount() + allocation.overpayment.amount();
            prop_assert_eq!(sum, Decimal::new(payment_minor, 2));
            prop_assert!(allocation.penalty.amount() <= due.penalty.amount());
            prop_assert!(allocation.interest.amount() <= due.interest.amount());
            prop_assert!(allocation.principal.amount() <= due.principal.amount());
            if !allocation.interest.is_zero() {
                prop_assert_eq!(allocation.penalty, due.penalty);
            }
            if !allocation.principal.is_zero() {
                prop_assert_eq!(allocation.interest, due.interest);
            }
            if !allocation.overpayment.is_zero() {
                prop_assert_eq!(allocation.principal, due.principal);
            }
        }
    }
}
