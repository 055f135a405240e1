//! Properties every schedule keeps, over loans drawn at random within the validated limits.

use chrono::{Days, NaiveDate};
use imkon_disbursement::domain::early_repayment::{
    repay_early, EarlyRepayment, EarlyRepaymentOption,
};
use imkon_disbursement::domain::schedule::{build_schedule, Schedule};
use imkon_disbursement::domain::terms::{
    DayCount, InterestMethod, LoanTerms, LoanTermsInput, RepaymentMethod,
};
use imkon_platform::money::{Currency, Money};
use proptest::prelude::*;
use rust_decimal::Decimal;

struct Limits {
    max_rate_ten_thousandths: i64,
    max_term_months: i64,
    max_first_period_days: u64,
}

/// Anything the terms accept: up to 100%, 360 months and a two-month first period.
const ANY_TERMS: Limits = Limits {
    max_rate_ten_thousandths: 1_000_000,
    max_term_months: 360,
    max_first_period_days: 59,
};

/// Terms where even an actual/365 annuity never charges more interest in a period than its
/// instalment (see `build_schedule`): up to 30%, five years, a first period of five weeks.
const ORDINARY_TERMS: Limits = Limits {
    max_rate_ten_thousandths: 300_000,
    max_term_months: 60,
    max_first_period_days: 35,
};

fn loan_terms(
    limits: &'static Limits,
    methods: Vec<RepaymentMethod>,
    day_counts: Vec<DayCount>,
) -> impl Strategy<Value = LoanTerms> {
    (
        // Small principals get their own share: there, rounding the level amount matters most.
        prop_oneof![1i64..=10_000, 1i64..=100_000_000_000_000],
        0..=limits.max_rate_ten_thousandths,
        1..=limits.max_term_months,
        0u32..100,
        proptest::sample::select(methods),
        proptest::sample::select(day_counts),
        proptest::sample::select(vec![InterestMethod::DecliningBalance, InterestMethod::Flat]),
        0u64..3_000,
        1..=limits.max_first_period_days,
    )
        .prop_map(
            |(
                principal_minor,
                rate,
                term_months,
                grace_percent,
                method,
                day_count,
                interest_method,
                start,
                first,
            )| {
                let disbursement_date =
                    NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Days::new(start);
                LoanTerms::parse(&LoanTermsInput {
                    principal: Decimal::new(principal_minor, 2),
                    currency: Currency::Uzs,
                    annual_rate_percent: Decimal::new(rate, 4),
                    term_months,
                    method,
                    grace_months: term_months * i64::from(grace_percent) / 100,
                    day_count,
                    interest_method,
                    disbursement_date,
                    first_due_date: disbursement_date + Days::new(first),
                })
                .expect("the strategy stays inside the validated limits")
            },
        )
}

fn all_methods() -> Vec<RepaymentMethod> {
    vec![RepaymentMethod::Annuity, RepaymentMethod::EqualPrincipal]
}

fn all_day_counts() -> Vec<DayCount> {
    vec![
        DayCount::Thirty360,
        DayCount::Actual365,
        DayCount::ActualActualIsda,
    ]
}

fn assert_rows_add_up(schedule: &Schedule) -> Result<(), TestCaseError> {
    let mut balance = schedule.opening_balance().amount();
    for row in schedule.installments() {
        for money in [row.principal(), row.interest(), row.total(), row.balance()] {
            prop_assert!(money.amount().scale() == 2, "{money} has two decimals");
            prop_assert_eq!(money.currency(), schedule.currency());
        }
        prop_assert_eq!(
            row.total().amount(),
            row.principal().amount() + row.interest().amount()
        );
        prop_assert!(!row.interest().is_negative());
        balance -= row.principal().amount();
        prop_assert_eq!(
            row.balance().amount(),
            balance,
            "each balance follows from the last"
        );
    }
    let principal_sum: Decimal = schedule
        .installments()
        .iter()
        .map(|row| row.principal().amount())
        .sum();
    prop_assert_eq!(principal_sum, schedule.opening_balance().amount());
    prop_assert_eq!(schedule.total_principal().amount(), principal_sum);
    prop_assert_eq!(
        schedule.total_payable().amount(),
        schedule.total_principal().amount() + schedule.total_interest().amount()
    );
    if let Some(last) = schedule.installments().last() {
        prop_assert!(
            last.balance().is_zero(),
            "the last instalment leaves nothing owed"
        );
    }
    Ok(())
}

fn assert_balances_never_rise(schedule: &Schedule) -> Result<(), TestCaseError> {
    let mut previous = schedule.opening_balance().amount();
    for row in schedule.installments() {
        if row.is_interest_only() {
            prop_assert_eq!(
                row.balance().amount(),
                previous,
                "grace leaves the balance as is"
            );
        } else {
            prop_assert!(
                row.balance().amount() <= previous,
                "instalment {} raised the balance",
                row.number()
            );
            prop_assert!(!row.principal().is_negative());
        }
        previous = row.balance().amount();
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_schedule_repays_its_principal_exactly_in_whole_tiyins(
        terms in loan_terms(&ANY_TERMS, all_methods(), all_day_counts())
    ) {
        let schedule = build_schedule(&terms);
        prop_assert_eq!(schedule.opening_balance(), terms.principal());
        prop_assert_eq!(schedule.installments().len(), terms.due_dates().len());
        assert_rows_add_up(&schedule)?;
        let grace = usize::try_from(terms.grace_months()).unwrap();
        for (index, row) in schedule.installments().iter().enumerate() {
            prop_assert_eq!(row.number(), u32::try_from(index + 1).unwrap());
            prop_assert_eq!(row.due_date(), terms.due_dates()[index]);
            prop_assert_eq!(row.is_interest_only(), index < grace);
        }
    }

    #[test]
    fn balances_never_rise_outside_grace_under_30_360_or_equal_principal(
        thirty_360 in loan_terms(&ANY_TERMS, all_methods(), vec![DayCount::Thirty360]),
        equal_principal in loan_terms(&ANY_TERMS, vec![RepaymentMethod::EqualPrincipal], all_day_counts()),
    ) {
        assert_balances_never_rise(&build_schedule(&thirty_360))?;
        assert_balances_never_rise(&build_schedule(&equal_principal))?;
    }

    #[test]
    fn balances_never_rise_for_an_ordinary_actual_365_annuity(
        terms in loan_terms(&ORDINARY_TERMS, vec![RepaymentMethod::Annuity], vec![DayCount::Actual365])
    ) {
        assert_balances_never_rise(&build_schedule(&terms))?;
    }

    #[test]
    fn an_early_repayment_leaves_a_schedule_that_repays_the_rest_exactly(
        terms in loan_terms(&ANY_TERMS, all_methods(), all_day_counts()),
        days_after_start in 0u64..11_000,
        share_percent in 1i64..=100,
        keep_term in any::<bool>(),
    ) {
        let schedule = build_schedule(&terms);
        let date = terms.disbursement_date() + Days::new(days_after_start);
        let owed = schedule
            .installments()
            .iter()
            .take_while(|row| row.due_date() <= date)
            .last()
            .map_or(schedule.opening_balance(), |row| row.balance());
        prop_assume!(date < *terms.due_dates().last().unwrap() && owed.is_positive());
        let extra_minor = (owed.minor_units() * i128::from(share_percent) / 100).max(1);
        let extra = Money::new(Decimal::from_i128_with_scale(extra_minor, 2), Currency::Uzs).unwrap();
        let option = if keep_term { EarlyRepaymentOption::KeepTerm } else { EarlyRepaymentOption::KeepInstallment };
        let outcome = repay_early(&schedule, &EarlyRepayment { date, extra_principal: extra, option }).unwrap();
        prop_assert_eq!(outcome.outstanding_before, owed);
        prop_assert_eq!(outcome.schedule.opening_balance().amount(), owed.amount() - extra.amount());
        prop_assert!(!outcome.accrued_interest.is_negative());
        assert_rows_add_up(&outcome.schedule)?;
        let remaining = schedule.installments().iter().filter(|row| row.due_date() > date).count();
        prop_assert!(outcome.schedule.installments().len() <= remaining);
        if keep_term && !outcome.schedule.opening_balance().is_zero() {
            prop_assert_eq!(outcome.schedule.installments().len(), remaining);
        }
    }
}
