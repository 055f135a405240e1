//! A loan's arrangement fee: what its programme charges for granting it, as a fixed amount or a
//! share of the principal, and how the bank collects it.
//!
//! Rounding: a share is `principal × percent / 100`, rounded half-even to the minor unit once,
//! when the contract is made. The contract keeps that amount, so the fee the founder reads in
//! the document they sign is the fee collected.

use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;

/// How the bank collects an arrangement fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeeCollection {
    /// Kept back from the loan's first payout: the founder receives the payout less the fee and
    /// owes the whole payout.
    Deducted,
    /// Paid by the founder from their current account when they sign the contract.
    Upfront,
}

impl FeeCollection {
    /// The stored and wire names: `deducted` and `upfront`.
    pub fn name(self) -> &'static str {
        match self {
            FeeCollection::Deducted => "deducted",
            FeeCollection::Upfront => "upfront",
        }
    }

    pub fn parse(name: &str) -> Result<FeeCollection, FeeError> {
        match name {
            "deducted" => Ok(FeeCollection::Deducted),
            "upfront" => Ok(FeeCollection::Upfront),
            other => Err(FeeError::UnknownCollection(other.to_owned())),
        }
    }
}

/// What a programme charges: a fixed amount in the loan's currency or a percent of the
/// principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeCharge {
    Fixed(Decimal),
    Percent(Decimal),
}

/// Why a fee was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    #[error("a fixed fee must be a positive amount in the loan's currency")]
    InvalidFixedAmount,
    #[error("a fee's percent must be above 0 and below 100")]
    PercentOutOfRange,
    #[error("the fee {fee} must be below the principal {principal}")]
    NotBelowPrincipal { fee: Money, principal: Money },
    #[error("`{0}` is not a way to collect a fee: expected deducted or upfront")]
    UnknownCollection(String),
    #[error("the payout {payout} is not above the arrangement fee {fee} that is deducted from it")]
    PayoutNotAboveFee { payout: Money, fee: Money },
}

/// A loan's arrangement fee, checked against its principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrangementFee {
    amount: Money,
    collection: FeeCollection,
}

impl ArrangementFee {
    /// The fee a charge comes to on `principal`, below the principal, since a loan that pays
    /// out nothing is no loan. A share that rounds to nothing charges no fee (`None`), which is
    /// how the contract records it.
    pub fn on(
        principal: Money,
        charge: FeeCharge,
        collection: FeeCollection,
    ) -> Result<Option<ArrangementFee>, FeeError> {
        let currency: Currency = principal.currency();
        let amount = match charge {
            FeeCharge::Fixed(amount) => {
                let amount =
                    Money::new(amount, currency).map_err(|_| FeeError::InvalidFixedAmount)?;
                if !amount.is_positive() {
                    return Err(FeeError::InvalidFixedAmount);
                }
                amount
            }
            FeeCharge::Percent(percent) => {
                if percent <= Decimal::ZERO || percent >= Decimal::ONE_HUNDRED {
                    return Err(FeeError::PercentOutOfRange);
                }
                Money::from_rounded(
                    principal.amount() * percent / Decimal::ONE_HUNDRED,
                    currency,
                )
            }
        };
        if amount.amount() >= principal.amount() {
            return Err(FeeError::NotBelowPrincipal {
                fee: amount,
                principal,
            });
        }
        Ok(amount
            .is_positive()
            .then_some(ArrangementFee { amount, collection }))
    }

    /// A fee as a contract stores it, already checked when the contract was made.
    pub fn stored(amount: Money, collection: FeeCollection) -> ArrangementFee {
        ArrangementFee { amount, collection }
    }

    pub fn amount(&self) -> Money {
        self.amount
    }

    pub fn collection(&self) -> FeeCollection {
        self.collection
    }

    /// What a payout puts into the founder's current account when this fee is kept back from
    /// it: the payout less the fee, which must leave something.
    pub fn payout_net_of_fee(&self, payout: Money) -> Result<Money, FeeError> {
        if payout.amount() <= self.amount.amount() {
            return Err(FeeError::PayoutNotAboveFee {
                payout,
                fee: self.amount,
            });
        }
        Ok(payout
            .checked_sub(&self.amount)
            .expect("a payout and its contract's fee are in one currency"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn uzs(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    #[test]
    fn a_percent_fee_is_rounded_half_even_to_the_tiyin_once() {
        // 1.5% of 1 000 000.30 is 15 000.0045: rounds down to 15 000.00.
        let fee = ArrangementFee::on(
            uzs(dec!(1000000.30)),
            FeeCharge::Percent(dec!(1.5)),
            FeeCollection::Deducted,
        )
        .unwrap()
        .unwrap();
        assert_eq!(fee.amount(), uzs(dec!(15000.00)));
        // 2.5% of 100.50 is 2.5125: rounds to 2.51.
        let fee = ArrangementFee::on(
            uzs(dec!(100.50)),
            FeeCharge::Percent(dec!(2.5)),
            FeeCollection::Upfront,
        )
        .unwrap()
        .unwrap();
        assert_eq!(fee.amount(), uzs(dec!(2.51)));
        assert_eq!(fee.collection(), FeeCollection::Upfront);
        // 1% of 2.50 is 0.025: the midpoint rounds to the even 0.02, not 0.03.
        let fee = ArrangementFee::on(
            uzs(dec!(2.50)),
            FeeCharge::Percent(dec!(1)),
            FeeCollection::Deducted,
        )
        .unwrap()
        .unwrap();
        assert_eq!(fee.amount(), uzs(dec!(0.02)));
        // 0.5% of 1.00 is 0.005: the midpoint rounds to the even 0.00, and no fee is charged.
        assert_eq!(
            ArrangementFee::on(
                uzs(dec!(1.00)),
                FeeCharge::Percent(dec!(0.5)),
                FeeCollection::Deducted
            ),
            Ok(None)
        );
    }

    #[test]
    fn a_fixed_fee_must_be_an_exact_positive_amount_below_the_principal() {
        let principal = uzs(dec!(5000000.00));
        let fee = ArrangementFee::on(
            principal,
            FeeCharge::Fixed(dec!(250000)),
            FeeCollection::Deducted,
        )
        .unwrap()
        .unwrap();
        assert_eq!(fee.amount(), uzs(dec!(250000.00)));
        for bad in [dec!(0), dec!(-1), dec!(0.001)] {
            assert_eq!(
                ArrangementFee::on(principal, FeeCharge::Fixed(bad), FeeCollection::Deducted),
                Err(FeeError::InvalidFixedAmount),
                "{bad}"
            );
        }
        assert!(matches!(
            ArrangementFee::on(
                principal,
                FeeCharge::Fixed(dec!(5000000)),
                FeeCollection::Deducted
            ),
            Err(FeeError::NotBelowPrincipal { .. })
        ));
    }

    #[test]
    fn a_percent_must_lie_strictly_between_zero_and_a_hundred() {
        let principal = uzs(dec!(1000.00));
        for bad in [dec!(0), dec!(-2), dec!(100), dec!(150)] {
            assert_eq!(
                ArrangementFee::on(principal, FeeCharge::Percent(bad), FeeCollection::Upfront),
                Err(FeeError::PercentOutOfRange),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_deducted_fee_leaves_the_payout_less_the_fee_and_never_nothing() {
        let fee = ArrangementFee::stored(uzs(dec!(150.00)), FeeCollection::Deducted);
        assert_eq!(
            fee.payout_net_of_fee(uzs(dec!(1000.00))).unwrap(),
            uzs(dec!(850.00))
        );
        assert!(matches!(
            fee.payout_net_of_fee(uzs(dec!(150.00))),
            Err(FeeError::PayoutNotAboveFee { .. })
        ));
    }

    #[test]
    fn collections_read_back_from_their_names() {
        for collection in [FeeCollection::Deducted, FeeCollection::Upfront] {
            assert_eq!(FeeCollection::parse(collection.name()), Ok(collection));
        }
        assert!(FeeCollection::parse("later").is_err());
    }
}
