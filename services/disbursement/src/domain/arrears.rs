//! Arrears: which instalments are overdue on a date, for how long, and the penalty for that day.
//!
//! A daily job calls [`assess_arrears`] once per contract per date and books the day's
//! penalty. The function is pure and looks only at the date and what has been paid, so calling
//! it again for the same date gives the same answer; the job keeps it idempotent by recording
//! the date it booked (one accrual per contract per date).
//!
//! Penalty rounding: each overdue instalment's penalty is computed per day as
//! `overdue × annual penalty rate × 1 / 365` and rounded half-even to the minor unit on that
//! day. Rounding per day rather than over a period's total means the report for a date is
//! exactly what gets booked that day, and the sum of the booked days is the penalty charged;
//! [`penalty_for_days`] gives that sum when nothing changed over the days.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use imkon_platform::money::Money;
use rust_decimal::Decimal;

use crate::domain::calendar::actual_days;
use crate::domain::schedule::Schedule;
use crate::domain::terms::AnnualRate;

/// How long an instalment has been overdue, in the buckets the bank's reports use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeingBucket {
    Days1To30,
    Days31To60,
    Days61To90,
    Over90Days,
}

impl AgeingBucket {
    /// The bucket of an instalment `days_past_due` days late; `None` when it is not late.
    pub fn for_days_past_due(days_past_due: u32) -> Option<AgeingBucket> {
        match days_past_due {
            0 => None,
            1..=30 => Some(AgeingBucket::Days1To30),
            31..=60 => Some(AgeingBucket::Days31To60),
            61..=90 => Some(AgeingBucket::Days61To90),
            _ => Some(AgeingBucket::Over90Days),
        }
    }

    /// The report label, such as `31-60`.
    pub fn label(self) -> &'static str {
        match self {
            AgeingBucket::Days1To30 => "1-30",
            AgeingBucket::Days31To60 => "31-60",
            AgeingBucket::Days61To90 => "61-90",
            AgeingBucket::Over90Days => "90+",
        }
    }
}

/// One instalment that is overdue on the assessment date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverdueInstallment {
    pub number: u32,
    pub due_date: NaiveDate,
    /// What is still unpaid of the instalment's total.
    pub overdue_amount: Money,
    /// Days since the due date: the day after it is day 1.
    pub days_past_due: u32,
    pub bucket: AgeingBucket,
    /// The penalty this instalment accrues for the assessment date.
    pub penalty_for_day: Money,
}

/// The arrears of one contract on one date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrearsReport {
    pub as_of: NaiveDate,
    /// The overdue instalments, oldest first; empty when the contract is current.
    pub overdue: Vec<OverdueInstallment>,
    pub total_overdue: Money,
    pub penalty_for_day: Money,
    /// Days past due of the oldest overdue instalment; zero when current.
    pub days_past_due: u32,
    /// The bucket of the oldest overdue instalment; `None` when current.
    pub bucket: Option<AgeingBucket>,
}

/// Why arrears could not be assessed from the payments given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArrearsError {
    #[error("the schedule has no instalment number {number}")]
    UnknownInstallment { number: u32 },
    #[error("the payment towards instalment {number} is in another currency")]
    CurrencyMismatch { number: u32 },
    #[error("the payment towards instalment {number} is negative")]
    NegativePayment { number: u32 },
    #[error("more was paid towards instalment {number} than it asks")]
    PaidMoreThanDue { number: u32 },
}

/// The arrears on `as_of`, given how much of each instalment's total has been paid (by
/// instalment number; a missing number means nothing was paid).
///
/// An instalment is overdue from the day after its due date while part of its total is unpaid.
/// The penalty runs on that unpaid total, principal and interest alike.
pub fn assess_arrears(
    schedule: &Schedule,
    paid_by_installment: &BTreeMap<u32, Money>,
    as_of: NaiveDate,
    penalty_rate: AnnualRate,
) -> Result<ArrearsReport, ArrearsError> {
    let currency = schedule.currency();
    for (&number, paid) in paid_by_installment {
        let Some(row) = schedule
            .installments()
            .iter()
            .find(|row| row.number() == number)
        else {
            return Err(ArrearsError::UnknownInstallment { number });
        };
        if paid.currency() != currency {
            return Err(ArrearsError::CurrencyMismatch { number });
        }
        if paid.is_negative() {
            return Err(ArrearsError::NegativePayment { number });
        }
        if paid.amount() > row.total().amount() {
            return Err(ArrearsError::PaidMoreThanDue { number });
        }
    }
    let overdue: Vec<OverdueInstallment> = schedule
        .installments()
        .iter()
        .filter_map(|row| {
            let paid = paid_by_installment
                .get(&row.number())
                .map_or(Decimal::ZERO, Money::amount);
            let unpaid = row.total().amount() - paid;
            let days_past_due = actual_days(row.due_date(), as_of);
            let bucket = AgeingBucket::for_days_past_due(days_past_due)?;
            if unpaid.is_zero() {
                return None;
            }
            let overdue_amount = Money::from_rounded(unpaid, currency);
            Some(OverdueInstallment {
                number: row.number(),
                due_date: row.due_date(),
                overdue_amount,
                days_past_due,
                bucket,
                penalty_for_day: daily_penalty(overdue_amount, penalty_rate),
            })
        })
        .collect();
    let sum = |amount: fn(&OverdueInstallment) -> Money| {
        Money::from_rounded(
            overdue.iter().map(|item| amount(item).amount()).sum(),
            currency,
        )
    };
    let total_overdue = sum(|item| item.overdue_amount);
    let penalty_for_day = sum(|item| item.penalty_for_day);
    let oldest = overdue.first();
    Ok(ArrearsReport {
        as_of,
        days_past_due: oldest.map_or(0, |item| item.days_past_due),
        bucket: oldest.map(|item| item.bucket),
        overdue,
        total_overdue,
        penalty_for_day,
    })
}

/// One day's penalty on `overdue` at the annual `penalty_rate` (actual/365), rounded half-even.
pub fn daily_penalty(overdue: Money, penalty_rate: AnnualRate) -> Money {
    let exact = overdue.amount() * penalty_rate.percent() / Decimal::from(100 * 365);
    Money::from_rounded(exact, overdue.currency())
}

/// The penalty booked over `days` days on an unchanged `overdue` amount: the rounded daily
/// penalty times the days, which is what the daily job's bookings add up to.
pub fn penalty_for_days(overdue: Money, penalty_rate: AnnualRate, days: u32) -> Money {
    let daily = daily_penalty(overdue, penalty_rate);
    Money::from_rounded(daily.amount() * Decimal::from(days), overdue.currency())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::build_schedule;
    use crate::domain::terms::{
        DayCount, InterestMethod, LoanTerms, LoanTermsInput, RepaymentMethod,
    };
    use imkon_platform::money::Currency;
    use rust_decimal_macros::dec;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn uzs(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    fn rate(percent: Decimal) -> AnnualRate {
        AnnualRate::from_percent(percent).unwrap()
    }

    /// 1000.00 at 1% a month in four slices: totals 260.00 (1 Feb), 257.50 (1 Mar),
    /// 255.00 (1 Apr), 252.50 (1 May).
    fn schedule() -> Schedule {
        build_schedule(
            &LoanTerms::parse(&LoanTermsInput {
                principal: dec!(1000.00),
                currency: Currency::Uzs,
                annual_rate_percent: dec!(12),
                term_months: 4,
                method: RepaymentMethod::EqualPrincipal,
                grace_months: 0,
                day_count: DayCount::Thirty360,
                interest_method: InterestMethod::DecliningBalance,
                disbursement_date: date(2024, 1, 1),
                first_due_date: date(2024, 2, 1),
            })
            .unwrap(),
        )
    }

    #[test]
    fn nothing_is_overdue_on_the_due_date_itself() {
        let report = assess_arrears(
            &schedule(),
            &BTreeMap::new(),
            date(2024, 2, 1),
            rate(dec!(36.5)),
        )
        .unwrap();
        assert!(report.overdue.is_empty());
        assert_eq!(report.bucket, None);
        assert!(report.penalty_for_day.is_zero());
    }

    #[test]
    fn the_day_after_the_due_date_is_day_one_with_a_penalty_worked_by_hand() {
        // 260.00 unpaid at 36.5% a year: 260.00 × 0.365 / 365 = 0.26 a day.
        let report = assess_arrears(
            &schedule(),
            &BTreeMap::new(),
            date(2024, 2, 2),
            rate(dec!(36.5)),
        )
        .unwrap();
        assert_eq!(report.overdue.len(), 1);
        assert_eq!(report.overdue[0].days_past_due, 1);
        assert_eq!(report.bucket, Some(AgeingBucket::Days1To30));
        assert_eq!(report.penalty_for_day.amount(), dec!(0.26));
    }

    #[test]
    fn partly_paid_instalments_accrue_on_what_is_unpaid_and_the_oldest_sets_the_bucket() {
        // On 15 April: 1 Feb is 74 days late with 60.00 unpaid, 1 Mar 45 days late with
        // 257.50 unpaid, 1 Apr 14 days late and fully paid. At 20% a year:
        //   60.00 × 0.20 / 365 = 0.032876… → 0.03;  257.50 × 0.20 / 365 = 0.141095… → 0.14
        let paid = BTreeMap::from([(1, uzs(dec!(200.00))), (3, uzs(dec!(255.00)))]);
        let report = assess_arrears(&schedule(), &paid, date(2024, 4, 15), rate(dec!(20))).unwrap();
        let summary: Vec<(u32, Decimal, u32, AgeingBucket, Decimal)> = report
            .overdue
            .iter()
            .map(|item| {
                (
                    item.number,
                    item.overdue_amount.amount(),
                    item.days_past_due,
                    item.bucket,
                    item.penalty_for_day.amount(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, dec!(60.00), 74, AgeingBucket::Days61To90, dec!(0.03)),
                (2, dec!(257.50), 45, AgeingBucket::Days31To60, dec!(0.14)),
            ]
        );
        assert_eq!(report.total_overdue.amount(), dec!(317.50));
        assert_eq!(report.penalty_for_day.amount(), dec!(0.17));
        assert_eq!(report.days_past_due, 74);
        assert_eq!(report.bucket, Some(AgeingBucket::Days61To90));
    }

    #[test]
    fn assessing_the_same_date_twice_gives_the_same_report() {
        let paid = BTreeMap::from([(1, uzs(dec!(10.00)))]);
        let first = assess_arrears(&schedule(), &paid, date(2024, 6, 1), rate(dec!(12))).unwrap();
        let again = assess_arrears(&schedule(), &paid, date(2024, 6, 1), rate(dec!(12))).unwrap();
        assert_eq!(first, again);
        assert_eq!(first.bucket, Some(AgeingBucket::Over90Days));
    }

    #[test]
    fn bucket_boundaries_follow_the_report() {
        let cases = [
            (0, None),
            (1, Some(AgeingBucket::Days1To30)),
            (30, Some(AgeingBucket::Days1To30)),
            (31, Some(AgeingBucket::Days31To60)),
            (60, Some(AgeingBucket::Days31To60)),
            (61, Some(AgeingBucket::Days61To90)),
            (90, Some(AgeingBucket::Days61To90)),
            (91, Some(AgeingBucket::Over90Days)),
        ];
        for (days, bucket) in cases {
            assert_eq!(AgeingBucket::for_days_past_due(days), bucket, "{days} days");
        }
        assert_eq!(AgeingBucket::Over90Days.label(), "90+");
    }

    #[test]
    fn the_daily_penalty_rounds_half_even_and_sums_per_day() {
        // 36.50 at 5% a year: 36.50 × 0.05 / 365 = 0.005 exactly → 0.00 half-even, so thirty
        // days book nothing; 109.50 at 5%: 0.015 → 0.02 a day, 0.60 over thirty days.
        assert!(daily_penalty(uzs(dec!(36.50)), rate(dec!(5))).is_zero());
        assert_eq!(
            daily_penalty(uzs(dec!(109.50)), rate(dec!(5))).amount(),
            dec!(0.02)
        );
        assert_eq!(
            penalty_for_days(uzs(dec!(109.50)), rate(dec!(5)), 30).amount(),
            dec!(0.60)
        );
    }

    #[test]
    fn inconsistent_payments_are_refused() {
        let check = |paid: BTreeMap<u32, Money>| {
            assess_arrears(&schedule(), &paid, date(2024, 6, 1), rate(dec!(12))).unwrap_err()
        };
        assert_eq!(
            check(BTreeMap::from([(9, uzs(dec!(1.00)))])),
            ArrearsError::UnknownInstallment { number: 9 }
        );
        assert_eq!(
            check(BTreeMap::from([(1, uzs(dec!(260.01)))])),
            ArrearsError::PaidMoreThanDue { number: 1 }
        );
        assert_eq!(
            check(BTreeMap::from([(1, uzs(dec!(-1.00)))])),
            ArrearsError::NegativePayment { number: 1 }
        );
        assert_eq!(
            check(BTreeMap::from([(
                1,
                Money::new(dec!(1), Currency::Usd).unwrap()
            )])),
            ArrearsError::CurrencyMismatch { number: 1 }
        );
    }
}
