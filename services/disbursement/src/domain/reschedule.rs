//! Rescheduling a loan: a payment holiday or a longer term, and the schedule that replaces
//! the rows due after the day it takes effect.
//!
//! Instalments due on or before that day stay as they were: paid, or still owed in arrears.
//! The principal owed after the last of them is laid out again from that instalment's due date
//! (or the schedule's start) over the remaining due dates and the added months, which continue
//! monthly from the first remaining due date, anchored to it as every schedule's dates are.
//! During a payment holiday the client pays the interest alone, so the debt does not grow;
//! the months after it amortise the principal as the remaining rows did. A longer term spreads
//! the same principal over more instalments. The first remaining period keeps the interest it
//! was accruing since the last due date.

use chrono::NaiveDate;

use crate::domain::calendar::{actual_days, isda_units, monthly_due_dates};
use crate::domain::schedule::{Horizon, Period, Schedule, THIRTY_360_MONTH_DAYS};
use crate::domain::terms::{DayCount, MAX_TERM_MONTHS};

/// The most months one rescheduling adds.
pub const MAX_RESCHEDULE_MONTHS: u32 = 24;

/// What a rescheduling changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rescheduling {
    /// The next `months` instalments are interest only; the rest follow, each `months` later.
    PaymentHoliday { months: u32 },
    /// The principal still owed is repaid over `months` more instalments.
    LongerTerm { months: u32 },
}

impl Rescheduling {
    /// The stored and wire names: `payment_holiday` and `longer_term`.
    pub fn kind(self) -> &'static str {
        match self {
            Rescheduling::PaymentHoliday { .. } => "payment_holiday",
            Rescheduling::LongerTerm { .. } => "longer_term",
        }
    }

    pub fn months(self) -> u32 {
        match self {
            Rescheduling::PaymentHoliday { months } | Rescheduling::LongerTerm { months } => months,
        }
    }

    /// A rescheduling read from its kind and months.
    pub fn parse(kind: &str, months: u32) -> Result<Rescheduling, RescheduleError> {
        if months == 0 || months > MAX_RESCHEDULE_MONTHS {
            return Err(RescheduleError::MonthsOutOfRange {
                max: MAX_RESCHEDULE_MONTHS,
            });
        }
        match kind {
            "payment_holiday" => Ok(Rescheduling::PaymentHoliday { months }),
            "longer_term" => Ok(Rescheduling::LongerTerm { months }),
            other => Err(RescheduleError::UnknownKind(other.to_owned())),
        }
    }
}

/// Why a rescheduling was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RescheduleError {
    #[error("`{0}` is not a rescheduling: expected payment_holiday or longer_term")]
    UnknownKind(String),
    #[error("a rescheduling adds 1 to {max} months")]
    MonthsOutOfRange { max: u32 },
    #[error("nothing falls due after that day: there is nothing to reschedule")]
    NothingToReschedule,
    #[error("the loan would run longer than {max} months")]
    TermTooLong { max: u32 },
}

impl RescheduleError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            RescheduleError::UnknownKind(_) => "kind",
            RescheduleError::MonthsOutOfRange { .. } | RescheduleError::TermTooLong { .. } => {
                "months"
            }
            RescheduleError::NothingToReschedule => "contract",
        }
    }
}

/// The schedule that replaces every row of `schedule` due after `effective_on`, its numbering
/// continuing the old one's.
pub fn reschedule(
    schedule: &Schedule,
    effective_on: NaiveDate,
    change: Rescheduling,
) -> Result<Schedule, RescheduleError> {
    let rows = schedule.installments();
    let settled_count = rows
        .iter()
        .take_while(|row| row.due_date() <= effective_on)
        .count();
    let (settled, remaining) = rows.split_at(settled_count);
    let (period_start, outstanding) = match settled.last() {
        Some(row) => (row.due_date(), row.balance()),
        None => (schedule.start_date(), schedule.opening_balance()),
    };
    let Some(first) = remaining.first() else {
        return Err(RescheduleError::NothingToReschedule);
    };
    if outstanding.is_zero() {
        return Err(RescheduleError::NothingToReschedule);
    }
    let added = change.months();
    let remaining_count = u32::try_from(remaining.len()).expect("a schedule has at most 360 rows");
    let count = remaining_count + added;
    let total_months = u32::try_from(settled_count).expect("at most 360 rows") + count;
    if total_months > MAX_TERM_MONTHS {
        return Err(RescheduleError::TermTooLong {
            max: MAX_TERM_MONTHS,
        });
    }
    let due_dates =
        monthly_due_dates(first.due_date(), count).ok_or(RescheduleError::TermTooLong {
            max: MAX_TERM_MONTHS,
        })?;
    // Rows still in the programme's grace stay interest only; a holiday puts its months first.
    let still_in_grace = remaining
        .iter()
        .filter(|row| row.is_interest_only())
        .count();
    let interest_only_count = match change {
        Rescheduling::PaymentHoliday { months } => {
            still_in_grace + usize::try_from(months).expect("months fit in usize")
        }
        Rescheduling::LongerTerm { .. } => still_in_grace,
    };
    let mut previous = period_start;
    let periods: Vec<Period> = due_dates
        .iter()
        .enumerate()
        .map(|(index, &due_date)| {
            let accrual = if index == 0 {
                first.accrual()
            } else {
                match schedule.day_count() {
                    DayCount::Thirty360 => THIRTY_360_MONTH_DAYS,
                    DayCount::Actual365 => actual_days(previous, due_date),
                    DayCount::ActualActualIsda => isda_units(previous, due_date),
                }
            };
            previous = due_date;
            Period {
                due_date,
                accrual,
                interest_only: index < interest_only_count,
            }
        })
        .collect();
    let basis = schedule.basis();
    let level_amount = basis.level_amount(outstanding.amount(), &periods);
    Ok(Schedule::roll(
        basis,
        period_start,
        outstanding.amount(),
        level_amount,
        &periods,
        first.number(),
        Horizon::FullTerm,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::build_schedule;
    use crate::domain::terms::{InterestMethod, LoanTerms, LoanTermsInput, RepaymentMethod};
    use imkon_platform::money::{Currency, Money};
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn uzs(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    /// 1 200 000 over 12 months at 12% a year, 30/360, disbursed 1 January 2024.
    fn twelve_months(method: RepaymentMethod) -> Schedule {
        build_schedule(
            &LoanTerms::parse(&LoanTermsInput {
                principal: dec!(1200000),
                currency: Currency::Uzs,
                annual_rate_percent: dec!(12),
                term_months: 12,
                method,
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
    fn a_payment_holiday_pays_interest_alone_then_the_same_principal_slices_months_later() {
        let before = twelve_months(RepaymentMethod::EqualPrincipal);
        // Three instalments paid (February to April); the holiday starts with May's.
        let after = reschedule(
            &before,
            date(2024, 4, 15),
            Rescheduling::PaymentHoliday { months: 2 },
        )
        .unwrap();
        let rows = after.installments();
        assert_eq!(rows.len(), 9 + 2);
        assert_eq!(rows[0].number(), 4);
        assert_eq!(rows[0].due_date(), date(2024, 5, 1));
        assert_eq!(after.opening_balance(), uzs(dec!(900000)));
        assert_eq!(after.start_date(), date(2024, 4, 1));
        // Two months of 1% interest on 900 000 and nothing else.
        for row in &rows[..2] {
            assert_eq!(row.principal(), uzs(dec!(0)));
            assert_eq!(row.interest(), uzs(dec!(9000)));
        }
        // Then the nine slices of 100 000 the old rows had, from July 2024 to March 2025.
        assert_eq!(rows[2].due_date(), date(2024, 7, 1));
        assert_eq!(rows[2].principal(), uzs(dec!(100000)));
        assert_eq!(rows[2].interest(), uzs(dec!(9000)));
        assert_eq!(rows[10].due_date(), date(2025, 3, 1));
        assert_eq!(rows[10].balance(), uzs(dec!(0)));
        assert_eq!(after.total_principal(), uzs(dec!(900000)));
        // The holiday costs two months' interest on the whole balance: 18 000 more.
        let old_interest: Decimal = before.installments()[3..]
            .iter()
            .map(|row| row.interest().amount())
            .sum();
        assert_eq!(after.total_interest().amount() - old_interest, dec!(18000));
    }

    #[test]
    fn a_longer_term_spreads_the_principal_still_owed_over_more_annuity_instalments() {
        let before = twelve_months(RepaymentMethod::Annuity);
        let after = reschedule(
            &before,
            date(2024, 7, 1),
            Rescheduling::LongerTerm { months: 6 },
        )
        .unwrap();
        let rows = after.installments();
        // Six rows due by 1 July stay; the six left become twelve.
        assert_eq!(rows.len(), 12);
        assert_eq!(rows[0].number(), 7);
        assert_eq!(rows[0].due_date(), date(2024, 8, 1));
        assert_eq!(rows[11].due_date(), date(2025, 7, 1));
        let outstanding = before.installments()[5].balance();
        assert_eq!(after.opening_balance(), outstanding);
        assert_eq!(after.total_principal(), outstanding);
        // The level instalment is the 12-month annuity at 1% a month on what is owed:
        // B × 0.01 / (1 − 1.01⁻¹²), half-even to the tiyin.
        let balance = outstanding.amount();
        let factor = (1..=12).fold(Decimal::ONE, |product, _| product * dec!(1.01));
        let expected = (balance * dec!(0.01) * factor / (factor - Decimal::ONE)).round_dp(2);
        assert!(
            (after.level_amount().amount() - expected).abs() <= dec!(0.01),
            "{} against {expected}",
            after.level_amount()
        );
        assert!(after.level_amount().amount() < before.level_amount().amount());
    }

    #[test]
    fn nothing_is_rescheduled_after_the_last_due_date_nor_past_the_longest_term() {
        let before = twelve_months(RepaymentMethod::Annuity);
        assert_eq!(
            reschedule(
                &before,
                date(2025, 1, 1),
                Rescheduling::LongerTerm { months: 3 }
            ),
            Err(RescheduleError::NothingToReschedule)
        );
        assert_eq!(
            Rescheduling::parse("longer_term", 0),
            Err(RescheduleError::MonthsOutOfRange {
                max: MAX_RESCHEDULE_MONTHS
            })
        );
        assert_eq!(
            Rescheduling::parse("longer_term", 25),
            Err(RescheduleError::MonthsOutOfRange {
                max: MAX_RESCHEDULE_MONTHS
            })
        );
        assert!(matches!(
            Rescheduling::parse("skip", 2),
            Err(RescheduleError::UnknownKind(_))
        ));
        assert_eq!(
            Rescheduling::parse("payment_holiday", 3),
            Ok(Rescheduling::PaymentHoliday { months: 3 })
        );
    }
}
