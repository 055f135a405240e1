//! A partial (or full) early repayment, and the schedule that replaces the remaining rows.
//!
//! On the repayment date the client pays the interest accrued since the last due date (the
//! broken period) plus the extra principal. Instalments due on or before that date are taken
//! as settled as scheduled: arrears are cleared through [`crate::domain::allocation`] first.
//! The rest of the schedule is then recomputed from the lower balance, either keeping the
//! remaining due dates (a lower instalment) or keeping the instalment (fewer due dates). The
//! first recomputed period carries interest only from the repayment date to its due date.

use chrono::NaiveDate;
use imkon_platform::money::Money;

use crate::domain::calendar::{actual_days, isda_units, thirty_360_days};
use crate::domain::schedule::{Horizon, Period, Schedule};
use crate::domain::terms::DayCount;

/// What the client chooses to do with a lower balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EarlyRepaymentOption {
    /// The same remaining due dates with a lower instalment.
    KeepTerm,
    /// The same instalment (or slice of principal) over fewer due dates.
    KeepInstallment,
}

/// A client's request to repay principal ahead of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EarlyRepayment {
    pub date: NaiveDate,
    pub extra_principal: Money,
    pub option: EarlyRepaymentOption,
}

/// Why an early repayment was refused. [`EarlyRepaymentError::field`] names the request field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EarlyRepaymentError {
    #[error("the extra principal must be positive")]
    ExtraPrincipalNotPositive,
    #[error("the extra principal is in a different currency from the loan")]
    CurrencyMismatch,
    #[error("the extra principal exceeds the {outstanding} still owed")]
    ExceedsOutstandingPrincipal { outstanding: Money },
    #[error("the repayment date is before the schedule starts on {start_date}")]
    DateBeforeScheduleStart { start_date: NaiveDate },
    #[error("nothing is outstanding after the instalments due by that date")]
    NothingOutstanding,
}

impl EarlyRepaymentError {
    pub fn field(&self) -> &'static str {
        match self {
            EarlyRepaymentError::ExtraPrincipalNotPositive
            | EarlyRepaymentError::CurrencyMismatch
            | EarlyRepaymentError::ExceedsOutstandingPrincipal { .. } => "extra_principal",
            EarlyRepaymentError::DateBeforeScheduleStart { .. }
            | EarlyRepaymentError::NothingOutstanding => "date",
        }
    }
}

/// The money due on the repayment date and the schedule that follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarlyRepaymentOutcome {
    /// The principal owed on the date before the extra principal is applied.
    pub outstanding_before: Money,
    /// Interest accrued from the last due date (or the schedule's start) to the date.
    pub accrued_interest: Money,
    pub extra_principal: Money,
    /// What the client pays on the date: the accrued interest plus the extra principal.
    pub amount_due: Money,
    /// The rows that replace every row due after the date; empty when the loan is repaid.
    /// Its start date is the repayment date and its numbering continues the old schedule's.
    pub schedule: Schedule,
}

/// Applies an early repayment to `schedule` and recomputes what remains.
pub fn repay_early(
    schedule: &Schedule,
    request: &EarlyRepayment,
) -> Result<EarlyRepaymentOutcome, EarlyRepaymentError> {
    let currency = schedule.currency();
    if request.extra_principal.currency() != currency {
        return Err(EarlyRepaymentError::CurrencyMismatch);
    }
    if !request.extra_principal.is_positive() {
        return Err(EarlyRepaymentError::ExtraPrincipalNotPositive);
    }
    if request.date < schedule.start_date() {
        return Err(EarlyRepaymentError::DateBeforeScheduleStart {
            start_date: schedule.start_date(),
        });
    }
    let rows = schedule.installments();
    let settled_count = rows
        .iter()
        .take_while(|row| row.due_date() <= request.date)
        .count();
    let (settled, remaining) = rows.split_at(settled_count);
    let (period_start, outstanding) = match settled.last() {
        Some(row) => (row.due_date(), row.balance()),
        None => (schedule.start_date(), schedule.opening_balance()),
    };
    let Some(current) = remaining.first() else {
        return Err(EarlyRepaymentError::NothingOutstanding);
    };
    if outstanding.is_zero() {
        return Err(EarlyRepaymentError::NothingOutstanding);
    }
    if request.extra_principal.amount() > outstanding.amount() {
        return Err(EarlyRepaymentError::ExceedsOutstandingPrincipal { outstanding });
    }

    // Under 30/360 the current period carries a fixed share of the year whatever its calendar
    // length, so the accrued part is capped at it and the rest moves to the new first period.
    let accrued_units = match schedule.day_count() {
        DayCount::Thirty360 => thirty_360_days(period_start, request.date).min(current.accrual()),
        DayCount::Actual365 => actual_days(period_start, request.date),
        DayCount::ActualActualIsda => isda_units(period_start, request.date),
    };
    let basis = schedule.basis();
    let accrued_interest = Money::from_rounded(
        schedule.interest_on(outstanding.amount(), accrued_units),
        currency,
    );
    let new_balance = outstanding.amount() - request.extra_principal.amount();

    let periods: Vec<Period> = remaining
        .iter()
        .enumerate()
        .map(|(index, row)| Period {
            due_date: row.due_date(),
            accrual: if index == 0 {
                row.accrual() - accrued_units
            } else {
                row.accrual()
            },
            interest_only: row.is_interest_only(),
        })
        .collect();
    let (level_amount, horizon) = match request.option {
        EarlyRepaymentOption::KeepTerm => {
            (basis.level_amount(new_balance, &periods), Horizon::FullTerm)
        }
        EarlyRepaymentOption::KeepInstallment => {
            (schedule.level_amount().amount(), Horizon::UntilRepaid)
        }
    };
    // A loan repaid in full has no rows left, whatever the option.
    let horizon = if new_balance.is_zero() {
        Horizon::UntilRepaid
    } else {
        horizon
    };
    let recomputed = Schedule::roll(
        basis,
        request.date,
        new_balance,
        level_amount,
        &periods,
        current.number(),
        horizon,
    );
    let amount_due = Money::from_rounded(
        accrued_interest.amount() + request.extra_principal.amount(),
        currency,
    );
    Ok(EarlyRepaymentOutcome {
        outstanding_before: outstanding,
        accrued_interest,
        extra_principal: request.extra_principal,
        amount_due,
        schedule: recomputed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::build_schedule;
    use crate::domain::terms::{InterestMethod, LoanTerms, LoanTermsInput, RepaymentMethod};
    use imkon_platform::money::Currency;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn uzs(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    /// A schedule without grace, disbursed on 1 January 2024 and first due a month later.
    fn schedule_charged(
        interest_method: InterestMethod,
        principal: Decimal,
        rate_percent: Decimal,
        term_months: i64,
        method: RepaymentMethod,
        day_count: DayCount,
    ) -> Schedule {
        build_schedule(
            &LoanTerms::parse(&LoanTermsInput {
                principal,
                currency: Currency::Uzs,
                annual_rate_percent: rate_percent,
                term_months,
                method,
                grace_months: 0,
                day_count,
                interest_method,
                disbursement_date: date(2024, 1, 1),
                first_due_date: date(2024, 2, 1),
            })
            .unwrap(),
        )
    }

    /// A schedule charged on the declining balance.
    fn schedule(
        principal: Decimal,
        rate_percent: Decimal,
        term_months: i64,
        method: RepaymentMethod,
        day_count: DayCount,
    ) -> Schedule {
        schedule_charged(
            InterestMethod::DecliningBalance,
            principal,
            rate_percent,
            term_months,
            method,
            day_count,
        )
    }

    /// 1000.00 at 1% a month in four slices of 250.00, due 1 Feb, 1 Mar, 1 Apr and 1 May.
    fn equal_principal_schedule() -> Schedule {
        schedule(
            dec!(1000.00),
            dec!(12),
            4,
            RepaymentMethod::EqualPrincipal,
            DayCount::Thirty360,
        )
    }

    fn rows(schedule: &Schedule) -> Vec<(u32, Decimal, Decimal, Decimal, Decimal)> {
        schedule
            .installments()
            .iter()
            .map(|row| {
                (
                    row.number(),
                    row.principal().amount(),
                    row.interest().amount(),
                    row.total().amount(),
                    row.balance().amount(),
                )
            })
            .collect()
    }

    #[test]
    fn keeping_the_term_lowers_the_remaining_slices_worked_by_hand() {
        // On 16 March rows 1 and 2 are paid and 500.00 is owed. Fifteen 30/360 days have run
        // since 1 March: accrued 500.00 × 12% × 15 / 360 = 2.50. Paying 300.00 leaves 200.00
        // over the two remaining due dates, slices of 100.00:
        //   3 (1 Apr, the 15 days left): 200.00 × 12% × 15 / 360 = 1.00; total 101.00
        //   4 (1 May, a whole month):    100.00 × 1% = 1.00;             total 101.00
        let outcome = repay_early(
            &equal_principal_schedule(),
            &EarlyRepayment {
                date: date(2024, 3, 16),
                extra_principal: uzs(dec!(300.00)),
                option: EarlyRepaymentOption::KeepTerm,
            },
        )
        .unwrap();
        assert_eq!(outcome.outstanding_before.amount(), dec!(500.00));
        assert_eq!(outcome.accrued_interest.amount(), dec!(2.50));
        assert_eq!(outcome.amount_due.amount(), dec!(302.50));
        assert_eq!(outcome.schedule.start_date(), date(2024, 3, 16));
        assert_eq!(
            rows(&outcome.schedule),
            vec![
                (3, dec!(100.00), dec!(1.00), dec!(101.00), dec!(100.00)),
                (4, dec!(100.00), dec!(1.00), dec!(101.00), dec!(0.00)),
            ]
        );
        assert_eq!(outcome.schedule.level_amount().amount(), dec!(100.00));
    }

    #[test]
    fn a_flat_loan_repaid_early_charges_the_new_schedule_flat_on_what_is_left() {
        // 1 000.00 at 12% flat in four slices: 10.00 of interest every month. On 16 March,
        // fifteen days into the third period, the accrued interest is flat on the whole
        // 1 000.00: 1000 × 12% × 15 / 360 = 5.00. Paying 300.00 of the 500.00 owed starts a new
        // schedule from 200.00, charged flat on that: 200 × 12% × 15 / 360 = 1.00 on 1 April
        // and 200 × 1% = 2.00 on 1 May, though only 100.00 is owed by then.
        let flat = schedule_charged(
            InterestMethod::Flat,
            dec!(1000.00),
            dec!(12),
            4,
            RepaymentMethod::EqualPrincipal,
            DayCount::Thirty360,
        );
        assert!(flat
            .installments()
            .iter()
            .all(|row| row.interest().amount() == dec!(10.00)));
        let outcome = repay_early(
            &flat,
            &EarlyRepayment {
                date: date(2024, 3, 16),
                extra_principal: uzs(dec!(300.00)),
                option: EarlyRepaymentOption::KeepTerm,
            },
        )
        .unwrap();
        assert_eq!(outcome.outstanding_before.amount(), dec!(500.00));
        assert_eq!(outcome.accrued_interest.amount(), dec!(5.00));
        assert_eq!(outcome.amount_due.amount(), dec!(305.00));
        assert_eq!(
            rows(&outcome.schedule),
            vec![
                (3, dec!(100.00), dec!(1.00), dec!(101.00), dec!(100.00)),
                (4, dec!(100.00), dec!(2.00), dec!(102.00), dec!(0.00)),
            ]
        );
    }

    #[test]
    fn keeping_the_installment_shortens_the_term_worked_by_hand() {
        // The same 300.00 on 16 March with the slice kept at 250.00: the 200.00 left is repaid
        // on 1 April with 200.00 × 12% × 15 / 360 = 1.00 of interest, and 1 May drops off.
        let outcome = repay_early(
            &equal_principal_schedule(),
            &EarlyRepayment {
                date: date(2024, 3, 16),
                extra_principal: uzs(dec!(300.00)),
                option: EarlyRepaymentOption::KeepInstallment,
            },
        )
        .unwrap();
        assert_eq!(
            rows(&outcome.schedule),
            vec![(3, dec!(200.00), dec!(1.00), dec!(201.00), dec!(0.00))]
        );
    }

    #[test]
    fn an_annuity_keeps_its_due_dates_with_a_lower_instalment_or_its_instalment_with_fewer() {
        let original = schedule(
            dec!(100.00),
            dec!(9.4822),
            6,
            RepaymentMethod::Annuity,
            DayCount::Thirty360,
        );
        let request = |option| EarlyRepayment {
            date: date(2024, 3, 1),
            extra_principal: uzs(dec!(30.00)),
            option,
        };
        let keep_term = repay_early(&original, &request(EarlyRepaymentOption::KeepTerm)).unwrap();
        assert!(
            keep_term.accrued_interest.is_zero(),
            "the date is a due date, nothing accrued"
        );
        assert_eq!(keep_term.schedule.installments().len(), 4);
        assert!(keep_term.schedule.level_amount().amount() < dec!(17.13));
        assert_eq!(keep_term.schedule.installments()[0].number(), 3);

        let keep_installment =
            repay_early(&original, &request(EarlyRepaymentOption::KeepInstallment)).unwrap();
        assert_eq!(
            keep_installment.schedule.level_amount().amount(),
            dec!(17.13)
        );
        assert!(keep_installment.schedule.installments().len() < 4);
        for outcome in [&keep_term, &keep_installment] {
            assert_eq!(
                outcome.schedule.total_principal().amount(),
                outcome.outstanding_before.amount() - dec!(30.00)
            );
            assert!(outcome
                .schedule
                .installments()
                .last()
                .unwrap()
                .balance()
                .is_zero());
        }
    }

    #[test]
    fn actual_day_counts_accrue_the_calendar_days_of_the_broken_period() {
        // The 36.5% actual/365 schedule owes 677.24 after 1 February; ten days later the
        // accrued interest is 677.24 × 36.5% × 10 / 365 = 6.7724 → 6.77, and the next row
        // carries the 19 days left of February: 577.24 × 0.365 × 19 / 365 = 10.96756 → 10.97.
        // Every day of the schedule lies in 2024, a leap year, so at 36.6% a day under
        // actual/actual ISDA costs 0.366 / 366 = 1/1000 of the balance too: the same figures,
        // with the 19 days counted in ISDA units (365 per day of a leap year).
        let cases = [
            (DayCount::Actual365, dec!(36.5), 19),
            (DayCount::ActualActualIsda, dec!(36.6), 19 * 365),
        ];
        for (day_count, rate, remaining_accrual) in cases {
            let original = schedule(dec!(1000.00), rate, 3, RepaymentMethod::Annuity, day_count);
            let outcome = repay_early(
                &original,
                &EarlyRepayment {
                    date: date(2024, 2, 11),
                    extra_principal: uzs(dec!(100.00)),
                    option: EarlyRepaymentOption::KeepTerm,
                },
            )
            .unwrap();
            assert_eq!(
                outcome.accrued_interest.amount(),
                dec!(6.77),
                "{day_count:?}"
            );
            let first = &outcome.schedule.installments()[0];
            assert_eq!(first.accrual(), remaining_accrual, "{day_count:?}");
            assert_eq!(first.interest().amount(), dec!(10.97), "{day_count:?}");
        }
    }

    #[test]
    fn repaying_everything_leaves_no_rows_and_charges_the_accrued_interest() {
        let outcome = repay_early(
            &equal_principal_schedule(),
            &EarlyRepayment {
                date: date(2024, 3, 16),
                extra_principal: uzs(dec!(500.00)),
                option: EarlyRepaymentOption::KeepTerm,
            },
        )
        .unwrap();
        assert!(outcome.schedule.installments().is_empty());
        assert!(outcome.schedule.total_payable().is_zero());
        assert_eq!(outcome.amount_due.amount(), dec!(502.50));
    }

    #[test]
    fn more_than_is_owed_is_refused_naming_the_extra_principal() {
        let error = repay_early(
            &equal_principal_schedule(),
            &EarlyRepayment {
                date: date(2024, 3, 16),
                extra_principal: uzs(dec!(500.01)),
                option: EarlyRepaymentOption::KeepTerm,
            },
        )
        .unwrap_err();
        assert_eq!(
            error,
            EarlyRepaymentError::ExceedsOutstandingPrincipal {
                outstanding: uzs(dec!(500.00))
            }
        );
        assert_eq!(error.field(), "extra_principal");
    }

    #[test]
    fn dates_outside_the_schedule_and_empty_amounts_are_refused() {
        let original = equal_principal_schedule();
        let refuse = |date, extra: Money| {
            repay_early(
                &original,
                &EarlyRepayment {
                    date,
                    extra_principal: extra,
                    option: EarlyRepaymentOption::KeepTerm,
                },
            )
            .unwrap_err()
        };
        assert_eq!(
            refuse(date(2023, 12, 31), uzs(dec!(10.00))),
            EarlyRepaymentError::DateBeforeScheduleStart {
                start_date: date(2024, 1, 1)
            }
        );
        assert_eq!(
            refuse(date(2024, 5, 1), uzs(dec!(10.00))),
            EarlyRepaymentError::NothingOutstanding
        );
        assert_eq!(
            refuse(date(2024, 3, 16), uzs(dec!(0))),
            EarlyRepaymentError::ExtraPrincipalNotPositive
        );
        assert_eq!(
            refuse(
                date(2024, 3, 16),
                Money::new(dec!(10), Currency::Usd).unwrap()
            ),
            EarlyRepaymentError::CurrencyMismatch
        );
    }
}
