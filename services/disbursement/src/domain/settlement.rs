//! The early-settlement quote: what closes a loan on a given date.
//!
//! On the quote's date the client owes, in the order a payment would be allocated:
//!
//! 1. the penalty outstanding today (the quote does not project penalties: a loan in arrears
//!    keeps accruing them until it is paid, which the quote says by being valid only as long
//!    as nothing falls overdue);
//! 2. everything unpaid of the instalments due on or before the date, those already overdue and
//!    those falling due between today and the date alike;
//! 3. the principal the schedule still holds after those instalments, with the interest accrued
//!    on it from the last due date to the quote's date (the broken period).
//!
//! The third part is exactly what an early repayment of all the remaining principal on that
//! date takes ([`repay_early`]), under the loan's day-count convention, so a quote for today on
//! a loan with nothing due equals the payment that settles it today.

use chrono::NaiveDate;
use imkon_platform::money::Money;

use crate::domain::early_repayment::{
    repay_early, EarlyRepayment, EarlyRepaymentError, EarlyRepaymentOption,
};
use crate::domain::schedule::Schedule;

/// What is still unpaid of one instalment, as the books hold it after part payments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpaidInstalment {
    pub due_date: NaiveDate,
    pub interest: Money,
    pub principal: Money,
}

/// The amount that settles a loan on `date`, and its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlementQuote {
    pub date: NaiveDate,
    pub penalty: Money,
    /// Unpaid interest of the instalments due on or before the date.
    pub due_interest: Money,
    /// Unpaid principal of the instalments due on or before the date.
    pub due_principal: Money,
    /// Interest accrued on the remaining principal since the last due date.
    pub accrued_interest: Money,
    /// The principal scheduled after the date, repaid early.
    pub remaining_principal: Money,
    /// Everything above.
    pub total: Money,
}

/// The quote for `date`, from the loan's current schedule, its unpaid instalments and the
/// penalty outstanding. The caller keeps `date` on or after the bank's today.
pub fn settlement_quote(
    schedule: &Schedule,
    unpaid: &[UnpaidInstalment],
    penalty: Money,
    date: NaiveDate,
) -> Result<SettlementQuote, EarlyRepaymentError> {
    let currency = schedule.currency();
    if date < schedule.start_date() {
        return Err(EarlyRepaymentError::DateBeforeScheduleStart {
            start_date: schedule.start_date(),
        });
    }
    let sum = |part: fn(&UnpaidInstalment) -> Money| {
        Money::from_rounded(
            unpaid
                .iter()
                .filter(|row| row.due_date <= date)
                .map(|row| part(row).amount())
                .sum(),
            currency,
        )
    };
    let due_interest = sum(|row| row.interest);
    let due_principal = sum(|row| row.principal);
    let remaining_principal = schedule
        .installments()
        .iter()
        .take_while(|row| row.due_date() <= date)
        .last()
        .map_or(schedule.opening_balance(), |row| row.balance());
    let accrued_interest = if remaining_principal.is_zero() {
        Money::zero(currency)
    } else {
        repay_early(
            schedule,
            &EarlyRepayment {
                date,
                extra_principal: remaining_principal,
                option: EarlyRepaymentOption::KeepTerm,
            },
        )?
        .accrued_interest
    };
    let total = Money::from_rounded(
        penalty.amount()
            + due_interest.amount()
            + due_principal.amount()
            + accrued_interest.amount()
            + remaining_principal.amount(),
        currency,
    );
    Ok(SettlementQuote {
        date,
        penalty,
        due_interest,
        due_principal,
        accrued_interest,
        remaining_principal,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::build_schedule;
    use crate::domain::terms::{
        DayCount, InterestMethod, LoanTerms, LoanTermsInput, RepaymentMethod,
    };
    use imkon_platform::money::Currency;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn uzs(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    /// 1000.00 at 12% a year (1% a month under 30/360) in four slices of 250.00, due 1 Feb,
    /// 1 Mar, 1 Apr and 1 May 2024; interest 10.00, 7.50, 5.00 and 2.50.
    fn equal_principal(day_count: DayCount) -> Schedule {
        build_schedule(
            &LoanTerms::parse(&LoanTermsInput {
                principal: dec!(1000.00),
                currency: Currency::Uzs,
                annual_rate_percent: dec!(12),
                term_months: 4,
                method: RepaymentMethod::EqualPrincipal,
                grace_months: 0,
                day_count,
                interest_method: InterestMethod::DecliningBalance,
                disbursement_date: date(2024, 1, 1),
                first_due_date: date(2024, 2, 1),
            })
            .unwrap(),
        )
    }

    /// Every row of `schedule` unpaid.
    fn all_unpaid(schedule: &Schedule) -> Vec<UnpaidInstalment> {
        schedule
            .installments()
            .iter()
            .map(|row| UnpaidInstalment {
                due_date: row.due_date(),
                interest: row.interest(),
                principal: row.principal(),
            })
            .collect()
    }

    #[test]
    fn a_quote_before_any_due_date_is_the_principal_and_its_interest_so_far() {
        // 1000.00 × 12% × 15 / 360 = 5.00 for 1 to 16 January.
        let schedule = equal_principal(DayCount::Thirty360);
        let quote = settlement_quote(
            &schedule,
            &all_unpaid(&schedule),
            uzs(dec!(0)),
            date(2024, 1, 16),
        )
        .unwrap();
        assert_eq!(quote.due_interest, uzs(dec!(0)));
        assert_eq!(quote.due_principal, uzs(dec!(0)));
        assert_eq!(quote.accrued_interest, uzs(dec!(5.00)));
        assert_eq!(quote.remaining_principal, uzs(dec!(1000.00)));
        assert_eq!(quote.total, uzs(dec!(1005.00)));
    }

    #[test]
    fn instalments_due_by_the_date_are_owed_whole_and_the_rest_is_repaid_early() {
        // The first two rows are paid; the third, due 1 April, is half paid in principal and
        // unpaid in interest. On 16 April: the penalty 3.21, the third row's 5.00 interest and
        // 125.00 principal, and 250.00 left after it, with 250.00 × 1% × 15 / 30 = 1.25 accrued.
        let schedule = equal_principal(DayCount::Thirty360);
        let mut unpaid = all_unpaid(&schedule)[2..].to_vec();
        unpaid[0].principal = uzs(dec!(125.00));
        let quote =
            settlement_quote(&schedule, &unpaid, uzs(dec!(3.21)), date(2024, 4, 16)).unwrap();
        assert_eq!(quote.penalty, uzs(dec!(3.21)));
        assert_eq!(quote.due_interest, uzs(dec!(5.00)));
        assert_eq!(quote.due_principal, uzs(dec!(125.00)));
        assert_eq!(quote.accrued_interest, uzs(dec!(1.25)));
        assert_eq!(quote.remaining_principal, uzs(dec!(250.00)));
        assert_eq!(quote.total, uzs(dec!(384.46)));
    }

    #[test]
    fn a_quote_on_a_due_date_owes_that_instalment_and_no_broken_period() {
        let schedule = equal_principal(DayCount::Thirty360);
        let quote = settlement_quote(
            &schedule,
            &all_unpaid(&schedule),
            uzs(dec!(0)),
            date(2024, 3, 1),
        )
        .unwrap();
        assert_eq!(quote.due_interest, uzs(dec!(17.50)));
        assert_eq!(quote.due_principal, uzs(dec!(500.00)));
        assert_eq!(quote.accrued_interest, uzs(dec!(0)));
        assert_eq!(quote.total, uzs(dec!(1017.50)));
    }

    #[test]
    fn a_quote_after_maturity_is_what_is_unpaid_and_nothing_accrues() {
        let schedule = equal_principal(DayCount::Thirty360);
        let unpaid = all_unpaid(&schedule)[3..].to_vec();
        let quote =
            settlement_quote(&schedule, &unpaid, uzs(dec!(1.00)), date(2024, 9, 1)).unwrap();
        assert_eq!(quote.remaining_principal, uzs(dec!(0)));
        assert_eq!(quote.accrued_interest, uzs(dec!(0)));
        assert_eq!(quote.total, uzs(dec!(253.50)));
    }

    #[test]
    fn actual_365_counts_the_calendar_days_of_the_broken_period() {
        // From 1 March to 31 March 2024 is 30 days: 500.00 × 12% × 30 / 365 = 4.93150… → 4.93,
        // where 30/360 would count 30 days of a 360-day year, 5.00.
        let schedule = equal_principal(DayCount::Actual365);
        let unpaid = all_unpaid(&schedule)[2..].to_vec();
        let quote = settlement_quote(&schedule, &unpaid, uzs(dec!(0)), date(2024, 3, 31)).unwrap();
        assert_eq!(quote.remaining_principal, uzs(dec!(500.00)));
        assert_eq!(quote.accrued_interest, uzs(dec!(4.93)));
        assert_eq!(quote.total, uzs(dec!(504.93)));
    }

    #[test]
    fn a_date_before_the_loan_started_is_refused() {
        let schedule = equal_principal(DayCount::Thirty360);
        assert_eq!(
            settlement_quote(&schedule, &[], uzs(dec!(0)), date(2023, 12, 31)),
            Err(EarlyRepaymentError::DateBeforeScheduleStart {
                start_date: date(2024, 1, 1)
            })
        );
    }
}
