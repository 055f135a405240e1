//! Repayment schedules, exact to the minor unit.
//!
//! The rules, in the order they are applied to each instalment:
//!
//! 1. The period's interest is the outstanding balance (already exact to the minor unit) times
//!    the annual rate times the period's share of the year, rounded half-even to the minor unit.
//!    Under the flat method the balance is the one the schedule starts from, for every period
//!    that still has something to repay (a period that starts at zero carries no interest).
//!    The share is 30/360 for every month under 30/360, `days / 365` under actual/365, and under
//!    actual/actual ISDA the days falling in leap years over 366 plus the others over 365 (kept
//!    as whole units, see [`isda_units`]). The division is done last, so a result that lands
//!    exactly on half a minor unit is seen as such.
//! 2. During grace months the instalment is the interest alone.
//! 3. After grace, the level amount (the equal instalment of an annuity, or the equal slice of
//!    principal) is computed once for the remaining periods and rounded half-even. A flat
//!    annuity's equal instalment is the balance plus the flat interest of those periods,
//!    divided by their count.
//! 4. No instalment repays more than is owed, and the last one repays whatever is left, so the
//!    balance ends at exactly zero and the principal column adds up to the principal.

use chrono::NaiveDate;
use imkon_platform::money::{round_half_even, Currency, Money};
use rust_decimal::Decimal;

use crate::domain::calendar::{actual_days, isda_units};
use crate::domain::terms::{AnnualRate, DayCount, InterestMethod, LoanTerms, RepaymentMethod};

/// One row of a repayment schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installment {
    number: u32,
    due_date: NaiveDate,
    accrual: u32,
    interest_only: bool,
    principal: Money,
    interest: Money,
    total: Money,
    balance: Money,
}

impl Installment {
    /// The instalment's position in the contract's schedule, from 1.
    pub fn number(&self) -> u32 {
        self.number
    }

    pub fn due_date(&self) -> NaiveDate {
        self.due_date
    }

    /// The share of the year this instalment's interest is for, in the day count's units
    /// ([`DayCount::year_units`]): 30 for a whole month under 30/360, calendar days under
    /// actual/365, ISDA units under actual/actual ISDA.
    pub fn accrual(&self) -> u32 {
        self.accrual
    }

    /// Whether this is a grace month, when only interest is due.
    pub fn is_interest_only(&self) -> bool {
        self.interest_only
    }

    pub fn principal(&self) -> Money {
        self.principal
    }

    pub fn interest(&self) -> Money {
        self.interest
    }

    /// Principal plus interest: what the client pays on the due date.
    pub fn total(&self) -> Money {
        self.total
    }

    /// The principal still owed once this instalment is paid.
    pub fn balance(&self) -> Money {
        self.balance
    }
}

/// A complete repayment schedule with its totals. Built by [`build_schedule`] or recomputed by
/// an early repayment; its rows always repay its opening balance exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    basis: ScheduleBasis,
    start_date: NaiveDate,
    opening_balance: Money,
    level_amount: Money,
    installments: Vec<Installment>,
    total_principal: Money,
    total_interest: Money,
    total_payable: Money,
}

impl Schedule {
    pub fn currency(&self) -> Currency {
        self.basis.currency
    }

    pub(crate) fn basis(&self) -> ScheduleBasis {
        self.basis
    }

    pub fn method(&self) -> RepaymentMethod {
        self.basis.method
    }

    pub fn day_count(&self) -> DayCount {
        self.basis.day_count
    }

    pub fn interest_method(&self) -> InterestMethod {
        self.basis.interest_method
    }

    /// Interest on `outstanding` for `accrual` units under this schedule's terms: on
    /// `outstanding` itself under the declining-balance method, on the schedule's opening balance
    /// under the flat method (nothing once the principal is repaid).
    pub(crate) fn interest_on(&self, outstanding: Decimal, accrual: u32) -> Decimal {
        self.basis.interest(
            self.basis
                .interest_base(self.opening_balance.amount(), outstanding),
            accrual,
        )
    }

    pub fn annual_rate(&self) -> AnnualRate {
        self.basis.annual_rate
    }

    /// The date interest starts to run for the first row: the disbursement date, or the date
    /// of the early repayment that produced this schedule.
    pub fn start_date(&self) -> NaiveDate {
        self.start_date
    }

    /// The principal owed on the start date, which the rows repay.
    pub fn opening_balance(&self) -> Money {
        self.opening_balance
    }

    /// The amount held level after grace: the equal instalment of an annuity, or the equal
    /// slice of principal under equal principal. The last row may differ by the residual.
    pub fn level_amount(&self) -> Money {
        self.level_amount
    }

    pub fn installments(&self) -> &[Installment] {
        &self.installments
    }

    pub fn total_principal(&self) -> Money {
        self.total_principal
    }

    pub fn total_interest(&self) -> Money {
        self.total_interest
    }

    pub fn total_payable(&self) -> Money {
        self.total_payable
    }
}

/// Builds the contract's schedule: grace months of interest alone, then the repayment method
/// over the remaining months.
///
/// Under actual/365 an annuity's equal instalment is the one that repays the principal exactly
/// given each period's own rate, not the one an average rate would give. A caveat follows from
/// that: with a long term, a high rate and a first period longer than the average month, a
/// period's interest can exceed the equal instalment; that row then has a negative principal
/// part (the unpaid interest is added to the balance), which is what the annuity equation
/// requires. It never happens under 30/360 or with equal principal.
pub fn build_schedule(terms: &LoanTerms) -> Schedule {
    let basis = ScheduleBasis {
        currency: terms.currency(),
        method: terms.method(),
        day_count: terms.day_count(),
        interest_method: terms.interest_method(),
        annual_rate: terms.annual_rate(),
    };
    let grace_months = usize::try_from(terms.grace_months())
        .expect("grace months are below the term limit of 360 and fit in usize");
    let mut period_start = terms.disbursement_date();
    let periods: Vec<Period> = terms
        .due_dates()
        .iter()
        .enumerate()
        .map(|(index, &due_date)| {
            let accrual = match basis.day_count {
                DayCount::Thirty360 => THIRTY_360_MONTH_DAYS,
                DayCount::Actual365 => actual_days(period_start, due_date),
                DayCount::ActualActualIsda => isda_units(period_start, due_date),
            };
            period_start = due_date;
            Period {
                due_date,
                accrual,
                interest_only: index < grace_months,
            }
        })
        .collect();
    let principal = terms.principal().amount();
    let level_amount = basis.level_amount(principal, &periods);
    Schedule::roll(
        basis,
        terms.disbursement_date(),
        principal,
        level_amount,
        &periods,
        1,
        Horizon::FullTerm,
    )
}

/// A whole month's days under 30/360.
pub(crate) const THIRTY_360_MONTH_DAYS: u32 = 30;

/// What a schedule's arithmetic depends on besides its balance and dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ScheduleBasis {
    pub(crate) currency: Currency,
    pub(crate) method: RepaymentMethod,
    pub(crate) day_count: DayCount,
    pub(crate) interest_method: InterestMethod,
    pub(crate) annual_rate: AnnualRate,
}

/// How far a schedule's rows run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Horizon {
    /// A row for every period, even after the balance is repaid.
    FullTerm,
    /// No rows after the one that repays the balance.
    UntilRepaid,
}

/// One period still to be scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Period {
    pub(crate) due_date: NaiveDate,
    pub(crate) accrual: u32,
    pub(crate) interest_only: bool,
}

impl ScheduleBasis {
    fn minor_unit_digits(&self) -> u32 {
        self.currency.minor_unit_digits()
    }

    /// The period's rate as a fraction: `percent × accrual / (100 × units in a year)`.
    fn period_rate(&self, accrual: u32) -> Decimal {
        self.annual_rate.percent() * Decimal::from(accrual)
            / Decimal::from(100 * self.day_count.year_units())
    }

    /// What a period's interest is charged on when it starts with `outstanding` owed of a
    /// schedule that opened at `opening_balance`: see [`InterestMethod`].
    pub(crate) fn interest_base(&self, opening_balance: Decimal, outstanding: Decimal) -> Decimal {
        match self.interest_method {
            InterestMethod::DecliningBalance => outstanding,
            InterestMethod::Flat if outstanding.is_zero() => Decimal::ZERO,
            InterestMethod::Flat => opening_balance,
        }
    }

    /// Interest on `balance` for `accrual`, rounded half-even to the minor unit. The
    /// multiplication comes before the only division, so exact halves stay exact.
    pub(crate) fn interest(&self, balance: Decimal, accrual: u32) -> Decimal {
        let exact = balance * self.annual_rate.percent() * Decimal::from(accrual)
            / Decimal::from(100 * self.day_count.year_units());
        round_half_even(exact, self.minor_unit_digits())
    }

    /// The level amount that repays `balance` over the periods that are not interest-only.
    ///
    /// For an annuity it solves `balance = A × Σₖ Πⱼ≤ₖ 1 / (1 + rⱼ)`, the balance being the
    /// present value of the equal instalments discounted at each period's own rate; with a
    /// single rate this is the textbook `balance × r / (1 − (1 + r)⁻ⁿ)`.
    pub(crate) fn level_amount(&self, balance: Decimal, periods: &[Period]) -> Decimal {
        let amortizing: Vec<&Period> = periods.iter().filter(|p| !p.interest_only).collect();
        assert!(
            !amortizing.is_empty(),
            "grace is shorter than the term, so a period amortizes"
        );
        let count = Decimal::from(amortizing.len());
        let exact = match self.method {
            RepaymentMethod::EqualPrincipal => balance / count,
            RepaymentMethod::Annuity if self.annual_rate.is_zero() => balance / count,
            RepaymentMethod::Annuity if self.interest_method == InterestMethod::Flat => {
                let interest: Decimal = amortizing
                    .iter()
                    .map(|period| self.interest(balance, period.accrual))
                    .sum();
                (balance + interest) / count
            }
            RepaymentMethod::Annuity => {
                let mut discount = Decimal::ONE;
                let mut discount_sum = Decimal::ZERO;
                for period in amortizing {
                    discount /= Decimal::ONE + self.period_rate(period.accrual);
                    discount_sum += discount;
                }
                balance / discount_sum
            }
        };
        round_half_even(exact, self.minor_unit_digits())
    }
}

impl Schedule {
    /// Lays out the rows for `periods` from `opening_balance`, numbering from `first_number`.
    ///
    /// The balance can reach zero before the last period only when the level amount is larger
    /// than the method needs: after an early repayment that keeps the instalment (the term then
    /// shortens, [`Horizon::UntilRepaid`]), or for a principal so small that rounding the level
    /// amount up repays it early; the contract's term still has that many months, so those
    /// rows stay, at zero ([`Horizon::FullTerm`]).
    pub(crate) fn roll(
        basis: ScheduleBasis,
        start_date: NaiveDate,
        opening_balance: Decimal,
        level_amount: Decimal,
        periods: &[Period],
        first_number: u32,
        horizon: Horizon,
    ) -> Schedule {
        let currency = basis.currency;
        let mut installments = Vec::with_capacity(periods.len());
        let mut balance = opening_balance;
        for (index, (number, period)) in (first_number..).zip(periods).enumerate() {
            if balance.is_zero() && horizon == Horizon::UntilRepaid {
                break;
            }
            let interest = basis.interest(
                basis.interest_base(opening_balance, balance),
                period.accrual,
            );
            let is_last = index + 1 == periods.len();
            let principal = if is_last {
                balance
            } else if period.interest_only {
                Decimal::ZERO
            } else {
                let scheduled = match basis.method {
                    RepaymentMethod::Annuity => level_amount - interest,
                    RepaymentMethod::EqualPrincipal => level_amount,
                };
                scheduled.min(balance)
            };
            balance -= principal;
            installments.push(Installment {
                number,
                due_date: period.due_date,
                accrual: period.accrual,
                interest_only: period.interest_only && !is_last,
                principal: exact_money(principal, currency),
                interest: exact_money(interest, currency),
                total: exact_money(principal + interest, currency),
                balance: exact_money(balance, currency),
            });
        }
        let sum = |amount: fn(&Installment) -> Money| {
            exact_money(
                installments.iter().map(|row| amount(row).amount()).sum(),
                currency,
            )
        };
        let total_principal = sum(Installment::principal);
        let total_interest = sum(Installment::interest);
        let total_payable = sum(Installment::total);
        assert_eq!(
            total_principal.amount(),
            opening_balance,
            "the last row absorbs the residual, so the principal column repays the balance"
        );
        Schedule {
            basis,
            start_date,
            opening_balance: exact_money(opening_balance, currency),
            level_amount: exact_money(level_amount, currency),
            installments,
            total_principal,
            total_interest,
            total_payable,
        }
    }
}

/// Wraps an amount that is already exact to the minor unit: every input is a `Money` and every
/// computed figure was rounded half-even, so the rounding here never changes a value.
fn exact_money(amount: Decimal, currency: Currency) -> Money {
    let money = Money::from_rounded(amount, currency);
    assert_eq!(
        money.amount(),
        amount,
        "schedule figures are exact to the minor unit before wrapping"
    );
    money
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::terms::LoanTermsInput;
    use rust_decimal_macros::dec;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    /// Terms disbursed on 1 January 2024 with the first due date a month later.
    fn terms_charged(
        interest_method: InterestMethod,
        principal: Decimal,
        rate_percent: Decimal,
        term_months: i64,
        grace_months: i64,
        method: RepaymentMethod,
        day_count: DayCount,
    ) -> LoanTerms {
        LoanTerms::parse(&LoanTermsInput {
            principal,
            currency: Currency::Uzs,
            annual_rate_percent: rate_percent,
            term_months,
            method,
            grace_months,
            day_count,
            interest_method,
            disbursement_date: date(2024, 1, 1),
            first_due_date: date(2024, 2, 1),
        })
        .unwrap()
    }

    /// Terms charged on the declining balance.
    fn terms(
        principal: Decimal,
        rate_percent: Decimal,
        term_months: i64,
        grace_months: i64,
        method: RepaymentMethod,
        day_count: DayCount,
    ) -> LoanTerms {
        terms_charged(
            InterestMethod::DecliningBalance,
            principal,
            rate_percent,
            term_months,
            grace_months,
            method,
            day_count,
        )
    }

    /// Each row as (principal, interest, total, balance).
    fn rows(schedule: &Schedule) -> Vec<(Decimal, Decimal, Decimal, Decimal)> {
        schedule
            .installments()
            .iter()
            .map(|row| {
                (
                    row.principal().amount(),
                    row.interest().amount(),
                    row.total().amount(),
                    row.balance().amount(),
                )
            })
            .collect()
    }

    #[test]
    fn the_reference_annuity_matches_the_known_first_instalment() {
        let schedule = build_schedule(&terms(
            dec!(100.00),
            dec!(9.4822),
            6,
            0,
            RepaymentMethod::Annuity,
            DayCount::Thirty360,
        ));
        let first = &schedule.installments()[0];
        assert_eq!(first.number(), 1);
        assert_eq!(first.due_date(), date(2024, 2, 1));
        assert_eq!(
            rows(&schedule)[0],
            (dec!(16.34), dec!(0.79), dec!(17.13), dec!(83.66))
        );
        assert_eq!(schedule.level_amount().amount(), dec!(17.13));
        assert_eq!(schedule.total_principal().amount(), dec!(100.00));
        assert_eq!(
            schedule.installments().last().unwrap().balance().amount(),
            dec!(0.00)
        );
    }

    #[test]
    fn equal_principal_worked_by_hand() {
        // 1000.00 at 12% a year under 30/360 is 1% a month; four slices of 250.00.
        //   1: interest 1000.00 × 1% = 10.00, total 260.00, balance 750.00
        //   2: interest  750.00 × 1% =  7.50, total 257.50, balance 500.00
        //   3: interest  500.00 × 1% =  5.00, total 255.00, balance 250.00
        //   4: interest  250.00 × 1% =  2.50, total 252.50, balance   0.00
        let schedule = build_schedule(&terms(
            dec!(1000.00),
            dec!(12),
            4,
            0,
            RepaymentMethod::EqualPrincipal,
            DayCount::Thirty360,
        ));
        assert_eq!(
            rows(&schedule),
            vec![
                (dec!(250.00), dec!(10.00), dec!(260.00), dec!(750.00)),
                (dec!(250.00), dec!(7.50), dec!(257.50), dec!(500.00)),
                (dec!(250.00), dec!(5.00), dec!(255.00), dec!(250.00)),
                (dec!(250.00), dec!(2.50), dec!(252.50), dec!(0.00)),
            ]
        );
        assert_eq!(schedule.total_interest().amount(), dec!(25.00));
        assert_eq!(schedule.total_payable().amount(), dec!(1025.00));
    }

    #[test]
    fn equal_principal_with_a_residual_worked_by_hand() {
        // 100.00 at 10% over three months: the slice 33.333… rounds to 33.33 and the last row
        // takes the residual 33.34. The monthly rate is 10 / 1200.
        //   1: 100.00 × 10 / 1200 = 0.8333… → 0.83; total 34.16; balance 66.67
        //   2:  66.67 × 10 / 1200 = 0.5555… → 0.56; total 33.89; balance 33.34
        //   3:  33.34 × 10 / 1200 = 0.2778… → 0.28; principal 33.34; total 33.62; balance 0
        let schedule = build_schedule(&terms(
            dec!(100.00),
            dec!(10),
            3,
            0,
            RepaymentMethod::EqualPrincipal,
            DayCount::Thirty360,
        ));
        assert_eq!(
            rows(&schedule),
            vec![
                (dec!(33.33), dec!(0.83), dec!(34.16), dec!(66.67)),
                (dec!(33.33), dec!(0.56), dec!(33.89), dec!(33.34)),
                (dec!(33.34), dec!(0.28), dec!(33.62), dec!(0.00)),
            ]
        );
        assert_eq!(schedule.total_interest().amount(), dec!(1.67));
    }

    #[test]
    fn interest_on_an_exact_half_tiyin_rounds_to_even() {
        // 1.50 at 1% a month in slices of 0.50:
        //   1: 1.50 × 1% = 0.015 → 0.02 (the even neighbour is above)
        //   2: 1.00 × 1% = 0.010 → 0.01
        //   3: 0.50 × 1% = 0.005 → 0.00 (the even neighbour is below; half-up would say 0.01)
        let schedule = build_schedule(&terms(
            dec!(1.50),
            dec!(12),
            3,
            0,
            RepaymentMethod::EqualPrincipal,
            DayCount::Thirty360,
        ));
        let interest: Vec<Decimal> = schedule
            .installments()
            .iter()
            .map(|row| row.interest().amount())
            .collect();
        assert_eq!(interest, vec![dec!(0.02), dec!(0.01), dec!(0.00)]);
    }

    #[test]
    fn grace_months_carry_interest_alone_then_equal_principal_runs_over_the_rest() {
        // 1000.00 at 1% a month, two grace months, then two slices of 500.00:
        //   1, 2: interest 10.00 only; 3: 500.00 + 10.00; 4: 500.00 + 5.00.
        let schedule = build_schedule(&terms(
            dec!(1000.00),
            dec!(12),
            4,
            2,
            RepaymentMethod::EqualPrincipal,
            DayCount::Thirty360,
        ));
        assert_eq!(
            rows(&schedule),
            vec![
                (dec!(0.00), dec!(10.00), dec!(10.00), dec!(1000.00)),
                (dec!(0.00), dec!(10.00), dec!(10.00), dec!(1000.00)),
                (dec!(500.00), dec!(10.00), dec!(510.00), dec!(500.00)),
                (dec!(500.00), dec!(5.00), dec!(505.00), dec!(0.00)),
            ]
        );
        assert!(schedule.installments()[1].is_interest_only());
        assert!(!schedule.installments()[2].is_interest_only());
    }

    #[test]
    fn an_annuity_after_grace_is_computed_over_the_remaining_months() {
        // One grace month, then an annuity over two months at 1%:
        //   A = 1000 × 0.01 / (1 − 1.01⁻²) = 10 / 0.0197039… = 507.5124… → 507.51
        //   2: interest 10.00, principal 497.51, balance 502.49
        //   3: interest 502.49 × 1% = 5.0249 → 5.02, principal 502.49, total 507.51
        let schedule = build_schedule(&terms(
            dec!(1000.00),
            dec!(12),
            3,
            1,
            RepaymentMethod::Annuity,
            DayCount::Thirty360,
        ));
        assert_eq!(
            rows(&schedule),
            vec![
                (dec!(0.00), dec!(10.00), dec!(10.00), dec!(1000.00)),
                (dec!(497.51), dec!(10.00), dec!(507.51), dec!(502.49)),
                (dec!(502.49), dec!(5.02), dec!(507.51), dec!(0.00)),
            ]
        );
    }

    #[test]
    fn an_actual_365_annuity_uses_each_periods_own_rate_and_repays_exactly() {
        // 36.5% a year makes a period's rate days / 1000. Disbursed 1 Jan 2024, due 1 Feb
        // (31 days), 1 Mar (29, a leap February), 1 Apr (31): rates 0.031, 0.029, 0.031.
        //   Σ discount = 1/1.031 + 1/(1.031 × 1.029) + 1/(1.031 × 1.029 × 1.031) = 2.82678…
        //   A = 1000 / 2.82678… = 353.7589… → 353.76
        //   1: interest 1000.00 × 0.031 = 31.00;   principal 322.76; balance 677.24
        //   2: interest  677.24 × 0.029 = 19.63996 → 19.64; principal 334.12; balance 343.12
        //   3: interest  343.12 × 0.031 = 10.63672 → 10.64; principal 343.12; total 353.76
        // The last row needs no residual at all: the per-period solution is exact. An average
        // rate (91 / 3 days) would give a different instalment and a residual.
        let schedule = build_schedule(&terms(
            dec!(1000.00),
            dec!(36.5),
            3,
            0,
            RepaymentMethod::Annuity,
            DayCount::Actual365,
        ));
        assert_eq!(
            rows(&schedule),
            vec![
                (dec!(322.76), dec!(31.00), dec!(353.76), dec!(677.24)),
                (dec!(334.12), dec!(19.64), dec!(353.76), dec!(343.12)),
                (dec!(343.12), dec!(10.64), dec!(353.76), dec!(0.00)),
            ]
        );
        let days: Vec<u32> = schedule
            .installments()
            .iter()
            .map(Installment::accrual)
            .collect();
        assert_eq!(days, vec![31, 29, 31]);
        assert_eq!(schedule.total_principal().amount(), dec!(1000.00));
    }

    #[test]
    fn an_actual_actual_isda_schedule_splits_a_period_at_new_year() {
        // 3 000.00 at 12% in three equal slices, disbursed 15 Dec 2023. The first period holds
        // 17 days of 2023 and 14 of the leap year 2024, the others lie in 2024 alone. Worked
        // with Python's decimal (40 digits, half-even):
        //   1: 3000 × 0.12 × (17/365 + 14/366) = 30.5376… → 30.54
        //   2: 2000 × 0.12 × 31/366           = 20.3278… → 20.33
        //   3: 1000 × 0.12 × 29/366           =  9.5081… →  9.51
        // Actual/365 would charge 30.58 for the first period (31/365).
        let schedule = build_schedule(
            &LoanTerms::parse(&LoanTermsInput {
                principal: dec!(3000.00),
                currency: Currency::Uzs,
                annual_rate_percent: dec!(12),
                term_months: 3,
                method: RepaymentMethod::EqualPrincipal,
                grace_months: 0,
                day_count: DayCount::ActualActualIsda,
                interest_method: InterestMethod::DecliningBalance,
                disbursement_date: date(2023, 12, 15),
                first_due_date: date(2024, 1, 15),
            })
            .unwrap(),
        );
        assert_eq!(
            rows(&schedule),
            vec![
                (dec!(1000.00), dec!(30.54), dec!(1030.54), dec!(2000.00)),
                (dec!(1000.00), dec!(20.33), dec!(1020.33), dec!(1000.00)),
                (dec!(1000.00), dec!(9.51), dec!(1009.51), dec!(0.00)),
            ]
        );
    }

    /// Terms charged flat.
    fn flat_terms(
        principal: Decimal,
        rate_percent: Decimal,
        term_months: i64,
        grace_months: i64,
        method: RepaymentMethod,
        day_count: DayCount,
    ) -> LoanTerms {
        terms_charged(
            InterestMethod::Flat,
            principal,
            rate_percent,
            term_months,
            grace_months,
            method,
            day_count,
        )
    }

    #[test]
    fn a_flat_loan_under_30_360_charges_the_same_interest_every_month_under_either_method() {
        // 1 200.00 at 12% for a year: every month carries 1200 × 0.12 / 12 = 12.00 whatever
        // has been repaid, 144.00 in all (declining balance would charge 78.00). The annuity's
        // equal instalment is (1200 + 12 × 12.00) / 12 = 112.00, the same as equal slices of
        // 100.00 plus 12.00: under a flat 30/360 rate the two methods coincide.
        for method in [RepaymentMethod::Annuity, RepaymentMethod::EqualPrincipal] {
            let schedule = build_schedule(&flat_terms(
                dec!(1200.00),
                dec!(12),
                12,
                0,
                method,
                DayCount::Thirty360,
            ));
            let mut balance = dec!(1200.00);
            for row in schedule.installments() {
                balance -= dec!(100.00);
                assert_eq!(
                    (
                        row.principal().amount(),
                        row.interest().amount(),
                        row.total().amount(),
                        row.balance().amount()
                    ),
                    (dec!(100.00), dec!(12.00), dec!(112.00), balance),
                    "{method:?}"
                );
            }
            assert_eq!(schedule.total_interest().amount(), dec!(144.00));
            assert_eq!(
                schedule.level_amount().amount(),
                match method {
                    RepaymentMethod::Annuity => dec!(112.00),
                    RepaymentMethod::EqualPrincipal => dec!(100.00),
                }
            );
        }
    }

    #[test]
    fn a_flat_loan_charges_grace_months_on_the_whole_principal_and_spreads_it_over_the_rest() {
        // Two months of grace at 12.00 each, then ten instalments of
        // (1200 + 10 × 12.00) / 10 = 132.00, each repaying 120.00 of principal.
        let schedule = build_schedule(&flat_terms(
            dec!(1200.00),
            dec!(12),
            12,
            2,
            RepaymentMethod::Annuity,
            DayCount::Thirty360,
        ));
        let rows = rows(&schedule);
        assert_eq!(
            rows[0],
            (dec!(0.00), dec!(12.00), dec!(12.00), dec!(1200.00))
        );
        assert_eq!(
            rows[1],
            (dec!(0.00), dec!(12.00), dec!(12.00), dec!(1200.00))
        );
        assert_eq!(
            rows[2],
            (dec!(120.00), dec!(12.00), dec!(132.00), dec!(1080.00))
        );
        assert_eq!(
            rows[11],
            (dec!(120.00), dec!(12.00), dec!(132.00), dec!(0.00))
        );
        assert_eq!(schedule.total_interest().amount(), dec!(144.00));
    }

    #[test]
    fn a_flat_actual_365_annuity_charges_each_period_its_days_on_the_whole_principal() {
        // 1 000.00 at 36.5% (a day's rate is 1/1000) over 31, 29 and 31 days: interest 31.00,
        // 29.00 and 31.00 on the whole principal, 91.00 in all. The equal instalment is
        // (1000 + 91) / 3 = 363.666… → 363.67, so the principal parts differ by the days, and
        // the last row takes the residual.
        let schedule = build_schedule(&flat_terms(
            dec!(1000.00),
            dec!(36.5),
            3,
            0,
            RepaymentMethod::Annuity,
            DayCount::Actual365,
        ));
        assert_eq!(
            rows(&schedule),
            vec![
                (dec!(332.67), dec!(31.00), dec!(363.67), dec!(667.33)),
                (dec!(334.67), dec!(29.00), dec!(363.67), dec!(332.66)),
                (dec!(332.66), dec!(31.00), dec!(363.66), dec!(0.00)),
            ]
        );
    }

    #[test]
    fn an_interest_free_annuity_splits_the_principal_evenly() {
        let schedule = build_schedule(&terms(
            dec!(100.00),
            dec!(0),
            3,
            0,
            RepaymentMethod::Annuity,
            DayCount::Thirty360,
        ));
        let principal: Vec<Decimal> = schedule
            .installments()
            .iter()
            .map(|row| row.principal().amount())
            .collect();
        assert_eq!(principal, vec![dec!(33.33), dec!(33.33), dec!(33.34)]);
        assert!(schedule.total_interest().is_zero());
    }

    #[test]
    fn a_tiny_principal_repaid_early_by_rounding_keeps_its_term_with_zero_rows() {
        // 0.15 over ten months: the slice 0.015 rounds half-even to 0.02, so the loan is repaid
        // by the eighth row (7 × 0.02 + 0.01); no row may take the balance below zero, and the
        // ninth and tenth months stay on the schedule with nothing due.
        let schedule = build_schedule(&terms(
            dec!(0.15),
            dec!(0),
            10,
            0,
            RepaymentMethod::EqualPrincipal,
            DayCount::Thirty360,
        ));
        assert_eq!(schedule.installments().len(), 10);
        assert_eq!(schedule.installments()[7].principal().amount(), dec!(0.01));
        assert!(schedule.installments()[7].balance().is_zero());
        assert!(schedule.installments()[8..]
            .iter()
            .all(|row| row.total().is_zero()));
        assert!(schedule
            .installments()
            .iter()
            .all(|row| !row.balance().is_negative()));
        assert_eq!(schedule.total_principal().amount(), dec!(0.15));
    }

    #[test]
    fn a_long_first_period_at_an_extreme_rate_capitalises_unpaid_interest() {
        // 100% a year over 30 years with a first period of 60 days: the first period's interest
        // (about 16.4% of the balance) exceeds the equal instalment (about 8.4%), so the annuity
        // equation needs a negative principal part in that row. The schedule still repays exactly.
        let schedule = build_schedule(
            &LoanTerms::parse(&LoanTermsInput {
                principal: dec!(1000000.00),
                currency: Currency::Uzs,
                annual_rate_percent: dec!(100),
                term_months: 360,
                method: RepaymentMethod::Annuity,
                grace_months: 0,
                day_count: DayCount::Actual365,
                interest_method: InterestMethod::DecliningBalance,
                disbursement_date: date(2024, 1, 1),
                first_due_date: date(2024, 3, 1),
            })
            .unwrap(),
        );
        let first = &schedule.installments()[0];
        assert!(first.principal().is_negative());
        assert!(first.balance().amount() > dec!(1000000.00));
        assert_eq!(schedule.total_principal().amount(), dec!(1000000.00));
        assert!(schedule.installments().last().unwrap().balance().is_zero());
    }
}
