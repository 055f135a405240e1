//! Term deposits: the terms a product offers, the interest a deposit earns, and what closing it
//! early pays.
//!
//! # Periods
//!
//! A deposit's term is cut into interest periods. With interest paid monthly, each period is a
//! month from the opening day (the 31st of January is followed by the last day of February,
//! as a calendar month is added), the last one ending on the maturity date. With interest paid
//! at maturity, the whole term is one period.
//!
//! # Interest, and how it is rounded
//!
//! Interest is simple within a period and counted actual/365 fixed: a period's interest up to
//! a day is its base × the annual rate × the days since the period started ÷ 365, rounded
//! half-even to the currency's minor unit. A period earns interest on every day from its first
//! day up to the day before its last (the day the money is paid back earns nothing).
//!
//! The daily job accrues one day at a time, and a day's accrual is the period's interest up to
//! the next day less its interest up to that day, both rounded. So the days of a period add up
//! to exactly the period's rounded interest: no rounding is lost or counted twice, whatever the
//! number of days, and a catch-up run after an outage books the same amounts as daily runs.
//!
//! A period's base is the principal, or, for a capitalised deposit, the principal with the
//! interest of every earlier period added (monthly compounding). Capitalisation needs monthly
//! periods: with interest at maturity there is no earlier period to add.
//!
//! # Early closure
//!
//! A deposit closed before maturity earns the early-withdrawal rate instead, simple on the
//! principal for the days it was held, rounded like any period's interest. What was already
//! credited (paid to the current account or capitalised) counts towards it; when more was
//! credited than the early rate allows, the difference is taken back from what is returned.

use chrono::{Months, NaiveDate};
use imkon_platform::money::{round_half_even, Currency, Money, MoneyError};
use rust_decimal::Decimal;

/// The shortest and longest term a product may offer, in months.
pub const TERM_MONTHS: std::ops::RangeInclusive<u32> = 1..=60;

/// The most decimals an annual rate may have (21.75% has two).
pub const RATE_DECIMALS: u32 = 2;

/// When a deposit's interest is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterestPayout {
    /// At the end of every monthly period.
    Monthly,
    /// Once, at maturity, with the principal.
    Maturity,
}

impl InterestPayout {
    pub fn code(self) -> &'static str {
        match self {
            InterestPayout::Monthly => "monthly",
            InterestPayout::Maturity => "maturity",
        }
    }

    pub fn parse(code: &str) -> Option<InterestPayout> {
        match code {
            "monthly" => Some(InterestPayout::Monthly),
            "maturity" => Some(InterestPayout::Maturity),
            _ => None,
        }
    }
}

/// Why a product's terms were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DepositTermsError {
    #[error("the term must be between 1 and 60 months")]
    TermOutOfRange,
    #[error("the annual rate must be above 0 and below 100, with at most two decimals")]
    RateOutOfRange,
    #[error("the early-withdrawal rate must be at least 0 and at most the annual rate, with at most two decimals")]
    EarlyRateOutOfRange,
    #[error("interest can be capitalised only when it is paid monthly")]
    CapitalisationNeedsMonthlyInterest,
    #[error("the minimum amount must be above zero, in the product's currency")]
    MinimumNotPositive,
}

impl DepositTermsError {
    pub fn code(&self) -> &'static str {
        match self {
            DepositTermsError::TermOutOfRange => "term_out_of_range",
            DepositTermsError::RateOutOfRange => "rate_out_of_range",
            DepositTermsError::EarlyRateOutOfRange => "early_rate_out_of_range",
            DepositTermsError::CapitalisationNeedsMonthlyInterest => {
                "capitalisation_needs_monthly_interest"
            }
            DepositTermsError::MinimumNotPositive => "min_amount_not_positive",
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            DepositTermsError::TermOutOfRange => "term_months",
            DepositTermsError::RateOutOfRange => "annual_rate",
            DepositTermsError::EarlyRateOutOfRange => "early_withdrawal_rate",
            DepositTermsError::CapitalisationNeedsMonthlyInterest => "capitalised",
            DepositTermsError::MinimumNotPositive => "min_amount",
        }
    }
}

/// What a deposit product offers, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepositTerms {
    term_months: u32,
    annual_rate: Decimal,
    early_withdrawal_rate: Decimal,
    interest_payout: InterestPayout,
    capitalised: bool,
    min_amount: Money,
}

fn is_rate(rate: Decimal) -> bool {
    rate.normalize().scale() <= RATE_DECIMALS
}

impl DepositTerms {
    /// Checks the terms and names the first field that is wrong.
    pub fn new(
        term_months: u32,
        annual_rate: Decimal,
        early_withdrawal_rate: Decimal,
        interest_payout: InterestPayout,
        capitalised: bool,
        min_amount: Money,
    ) -> Result<DepositTerms, DepositTermsError> {
        if !TERM_MONTHS.contains(&term_months) {
            return Err(DepositTermsError::TermOutOfRange);
        }
        if annual_rate <= Decimal::ZERO
            || annual_rate >= Decimal::ONE_HUNDRED
            || !is_rate(annual_rate)
        {
            return Err(DepositTermsError::RateOutOfRange);
        }
        if early_withdrawal_rate.is_sign_negative()
            || early_withdrawal_rate > annual_rate
            || !is_rate(early_withdrawal_rate)
        {
            return Err(DepositTermsError::EarlyRateOutOfRange);
        }
        if capitalised && interest_payout != InterestPayout::Monthly {
            return Err(DepositTermsError::CapitalisationNeedsMonthlyInterest);
        }
        if !min_amount.is_positive() {
            return Err(DepositTermsError::MinimumNotPositive);
        }
        Ok(DepositTerms {
            term_months,
            annual_rate,
            early_withdrawal_rate,
            interest_payout,
            capitalised,
            min_amount,
        })
    }

    pub fn term_months(&self) -> u32 {
        self.term_months
    }

    pub fn annual_rate(&self) -> Decimal {
        self.annual_rate
    }

    pub fn early_withdrawal_rate(&self) -> Decimal {
        self.early_withdrawal_rate
    }

    pub fn interest_payout(&self) -> InterestPayout {
        self.interest_payout
    }

    pub fn capitalised(&self) -> bool {
        self.capitalised
    }

    pub fn min_amount(&self) -> Money {
        self.min_amount
    }

    pub fn currency(&self) -> Currency {
        self.min_amount.currency()
    }

    /// The day a deposit opened on `opened_on` matures.
    pub fn matures_on(&self, opened_on: NaiveDate) -> NaiveDate {
        add_months(opened_on, self.term_months)
    }

    /// The interest periods of a deposit opened on `opened_on`, in order: each runs from its
    /// first day up to (not including) the next one's first day, the last to maturity.
    pub fn periods(&self, opened_on: NaiveDate) -> Vec<Period> {
        match self.interest_payout {
            InterestPayout::Maturity => vec![Period {
                starts_on: opened_on,
                ends_on: self.matures_on(opened_on),
            }],
            InterestPayout::Monthly => (0..self.term_months)
                .map(|month| Period {
                    starts_on: add_months(opened_on, month),
                    ends_on: add_months(opened_on, month + 1),
                })
                .collect(),
        }
    }

    /// The interest each period is expected to earn on `principal`, with the base it earns on
    /// (growing by each period's interest when capitalised).
    pub fn schedule(&self, principal: Money, opened_on: NaiveDate) -> Vec<ScheduledInterest> {
        let mut base = principal;
        self.periods(opened_on)
            .into_iter()
            .map(|period| {
                let interest = period.interest_to(base, self.annual_rate, period.ends_on);
                let row = ScheduledInterest {
                    period,
                    base,
                    interest,
                };
                if self.capitalised {
                    base = Money::from_rounded(base.amount() + interest.amount(), base.currency());
                }
                row
            })
            .collect()
    }
}

/// Adds calendar months; a date past the end of the target month falls on its last day.
fn add_months(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_add_months(Months::new(months))
        .expect("a deposit's dates are far from the end of the calendar")
}

/// One interest period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub starts_on: NaiveDate,
    /// The first day after the period: its interest is paid (or capitalised) on this day.
    pub ends_on: NaiveDate,
}

impl Period {
    /// The period's interest on `base` for the days from its start up to (not including) `day`,
    /// rounded half-even; nothing before the period starts, and never more than its whole days.
    pub fn interest_to(&self, base: Money, annual_rate: Decimal, day: NaiveDate) -> Money {
        let until = day.clamp(self.starts_on, self.ends_on);
        let days = (until - self.starts_on).num_days();
        simple_interest(base, annual_rate, days)
    }

    /// What day `day` of the period earns: the interest up to the next day less the interest
    /// up to `day`. Zero outside the period.
    pub fn accrual_on(&self, base: Money, annual_rate: Decimal, day: NaiveDate) -> Money {
        let next = day
            .succ_opt()
            .expect("a deposit's dates are far from the end of the calendar");
        let to_next = self.interest_to(base, annual_rate, next);
        let to_day = self.interest_to(base, annual_rate, day);
        Money::from_rounded(to_next.amount() - to_day.amount(), base.currency())
    }
}

/// `base` × `annual_rate` percent × `days` ÷ 365, rounded half-even to the minor unit.
pub fn simple_interest(base: Money, annual_rate: Decimal, days: i64) -> Money {
    let exact = base.amount() * annual_rate * Decimal::from(days) / Decimal::from(36_500);
    Money::from_rounded(
        round_half_even(exact, base.currency().minor_unit_digits()),
        base.currency(),
    )
}

/// One row of a deposit's expected interest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduledInterest {
    pub period: Period,
    pub base: Money,
    pub interest: Money,
}

/// What closing a deposit early settles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EarlyClosure {
    /// The interest at the early-withdrawal rate for the days held.
    pub earned: Money,
    /// The interest already paid or capitalised.
    pub credited: Money,
    /// What the client receives: the deposit's balance plus `earned` less `credited`.
    pub returned: Money,
}

/// Settles an early closure on `closed_on` of a deposit opened on `opened_on` with
/// `principal`, holding `balance` (principal and capitalised interest) after `credited` was
/// paid or capitalised.
pub fn early_closure(
    principal: Money,
    balance: Money,
    credited: Money,
    early_withdrawal_rate: Decimal,
    opened_on: NaiveDate,
    closed_on: NaiveDate,
) -> Result<EarlyClosure, MoneyError> {
    let days = (closed_on - opened_on).num_days().max(0);
    let earned = simple_interest(principal, early_withdrawal_rate, days);
    let returned = balance.checked_add(&earned)?.checked_sub(&credited)?;
    Ok(EarlyClosure {
        earned,
        credited,
        returned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn uzs(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn terms(payout: InterestPayout, capitalised: bool) -> DepositTerms {
        DepositTerms::new(12, dec!(20), dec!(5), payout, capitalised, uzs(dec!(1000))).unwrap()
    }

    #[test]
    fn a_product_is_refused_naming_the_field_that_is_wrong() {
        let min = uzs(dec!(1000));
        let monthly = InterestPayout::Monthly;
        let refused = |term, rate, early, payout, capitalised, min| {
            DepositTerms::new(term, rate, early, payout, capitalised, min)
                .unwrap_err()
                .field()
        };
        assert_eq!(
            refused(0, dec!(20), dec!(1), monthly, false, min),
            "term_months"
        );
        assert_eq!(
            refused(61, dec!(20), dec!(1), monthly, false, min),
            "term_months"
        );
        assert_eq!(
            refused(12, dec!(0), dec!(0), monthly, false, min),
            "annual_rate"
        );
        assert_eq!(
            refused(12, dec!(100), dec!(1), monthly, false, min),
            "annual_rate"
        );
        assert_eq!(
            refused(12, dec!(20.125), dec!(1), monthly, false, min),
            "annual_rate"
        );
        assert_eq!(
            refused(12, dec!(20), dec!(20.01), monthly, false, min),
            "early_withdrawal_rate"
        );
        assert_eq!(
            refused(12, dec!(20), dec!(-1), monthly, false, min),
            "early_withdrawal_rate"
        );
        assert_eq!(
            refused(12, dec!(20), dec!(1), InterestPayout::Maturity, true, min),
            "capitalised"
        );
        assert_eq!(
            refused(12, dec!(20), dec!(1), monthly, false, uzs(dec!(0))),
            "min_amount"
        );
        assert!(DepositTerms::new(60, dec!(99.99), dec!(0), monthly, true, min).is_ok());
    }

    #[test]
    fn monthly_periods_follow_the_calendar_from_the_opening_day_to_maturity() {
        let terms = DepositTerms::new(
            3,
            dec!(20),
            dec!(5),
            InterestPayout::Monthly,
            false,
            uzs(dec!(1)),
        )
        .unwrap();
        let periods = terms.periods(day("2027-01-31"));
        let ends: Vec<NaiveDate> = periods.iter().map(|period| period.ends_on).collect();
        assert_eq!(
            ends,
            vec![day("2027-02-28"), day("2027-03-31"), day("2027-04-30")]
        );
        assert_eq!(periods[1].starts_on, day("2027-02-28"));
        assert_eq!(terms.matures_on(day("2027-01-31")), day("2027-04-30"));
    }

    #[test]
    fn the_days_of_a_period_add_up_to_its_rounded_interest() {
        // 1 000 000.00 at 20% for 365 days is 200 000.00; each day is 547.945205..., so daily
        // rounding alone would book 547.95 × 365 = 200 001.75.
        let terms = terms(InterestPayout::Maturity, false);
        let opened = day("2027-03-01");
        let period = terms.periods(opened)[0];
        let principal = uzs(dec!(1000000));
        let mut sum = Decimal::ZERO;
        let mut current = opened;
        while current < period.ends_on {
            sum += period
                .accrual_on(principal, terms.annual_rate(), current)
                .amount();
            current = current.succ_opt().unwrap();
        }
        let days = (period.ends_on - opened).num_days();
        assert_eq!(days, 366, "2028 is a leap year");
        assert_eq!(sum, dec!(200547.95));
        assert_eq!(
            period.interest_to(principal, terms.annual_rate(), period.ends_on),
            uzs(sum)
        );
        assert_eq!(
            period.accrual_on(principal, terms.annual_rate(), period.ends_on),
            uzs(dec!(0))
        );
    }

    #[test]
    fn a_capitalised_deposit_earns_on_the_interest_of_earlier_months() {
        let principal = uzs(dec!(1000000));
        let simple = terms(InterestPayout::Monthly, false).schedule(principal, day("2027-01-01"));
        let compounded =
            terms(InterestPayout::Monthly, true).schedule(principal, day("2027-01-01"));
        // January: 1 000 000 × 20% × 31 / 365 = 16 986.30 either way.
        assert_eq!(simple[0].interest, uzs(dec!(16986.30)));
        assert_eq!(compounded[0].interest, uzs(dec!(16986.30)));
        // February earns on 1 016 986.30: × 20% × 28 / 365 = 15 603.08.
        assert_eq!(compounded[1].base, uzs(dec!(1016986.30)));
        assert_eq!(compounded[1].interest, uzs(dec!(15603.08)));
        assert_eq!(simple[1].interest, uzs(dec!(15342.47)));
        let total = |rows: &[ScheduledInterest]| -> Decimal {
            rows.iter().map(|row| row.interest.amount()).sum()
        };
        // Each month rounds on its own: twelve roundings land one tiyin above the year's
        // 200 000.00.
        assert_eq!(total(&simple), dec!(200000.01));
        assert!(total(&compounded) > total(&simple));
    }

    #[test]
    fn early_closure_pays_the_early_rate_and_takes_back_what_was_paid_above_it() {
        let principal = uzs(dec!(1000000));
        // 100 days at 5%: 13 698.63.
        let nothing_paid = early_closure(
            principal,
            principal,
            uzs(dec!(0)),
            dec!(5),
            day("2027-01-01"),
            day("2027-04-11"),
        )
        .unwrap();
        assert_eq!(nothing_paid.earned, uzs(dec!(13698.63)));
        assert_eq!(nothing_paid.returned, uzs(dec!(1013698.63)));
        // Three months paid out at 20% already (49 315.07): 35 616.44 comes back off the
        // principal.
        let paid = early_closure(
            principal,
            principal,
            uzs(dec!(49315.07)),
            dec!(5),
            day("2027-01-01"),
            day("2027-04-11"),
        )
        .unwrap();
        assert_eq!(paid.returned, uzs(dec!(964383.56)));
        // Closed on the day it opened: nothing earned.
        let same_day = early_closure(
            principal,
            principal,
            uzs(dec!(0)),
            dec!(5),
            day("2027-01-01"),
            day("2027-01-01"),
        )
        .unwrap();
        assert_eq!(same_day.returned, principal);
    }
}
