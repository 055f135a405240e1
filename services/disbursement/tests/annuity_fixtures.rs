//! Every 30/360 annuity schedule, on the declining balance and flat, matches row by row a
//! reference computed outside this crate by `fixtures-tools/make_schedule_fixtures.py` with
//! numpy-financial and Python's decimal half-even rounding. The fixtures are committed, so
//! this test needs no Python.

use std::str::FromStr;

use chrono::NaiveDate;
use imkon_disbursement::domain::schedule::build_schedule;
use imkon_disbursement::domain::terms::{
    DayCount, InterestMethod, LoanTerms, LoanTermsInput, RepaymentMethod,
};
use imkon_platform::money::Currency;
use rust_decimal::Decimal;
use serde_json::Value;

const DECLINING: &str = include_str!("fixtures/annuity_30_360.json");
const FLAT: &str = include_str!("fixtures/flat_30_360.json");

fn decimal(value: &Value) -> Decimal {
    Decimal::from_str_exact(value.as_str().expect("fixture amounts are strings")).unwrap()
}

/// Compares every case of `fixture` with the schedule built under `interest_method`, and
/// answers how many rows were compared.
fn compare(fixture: &str, interest_method: InterestMethod) -> usize {
    let fixture: Value = serde_json::from_str(fixture).unwrap();
    assert_eq!(fixture["day_count"], "30/360");
    assert_eq!(fixture["method"], "annuity");
    assert_eq!(
        fixture["interest_method"]
            .as_str()
            .unwrap_or("declining_balance"),
        interest_method.name()
    );
    let cases = fixture["cases"].as_array().unwrap();
    assert!(
        cases.len() >= 30,
        "the fixture covers a spread of at least 30 loans"
    );
    let mut rows_compared = 0;
    for case in cases {
        let term_months = case["term_months"].as_i64().unwrap();
        let terms = LoanTerms::parse(&LoanTermsInput {
            principal: decimal(&case["principal"]),
            currency: Currency::from_str("UZS").unwrap(),
            annual_rate_percent: decimal(&case["annual_rate_percent"]),
            term_months,
            method: RepaymentMethod::Annuity,
            grace_months: 0,
            day_count: DayCount::Thirty360,
            interest_method,
            disbursement_date: NaiveDate::from_ymd_opt(2024, 1, 31).unwrap(),
            first_due_date: NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
        })
        .unwrap();
        let schedule = build_schedule(&terms);
        let label = format!(
            "{} at {}% over {} months, {}",
            case["principal"],
            case["annual_rate_percent"],
            term_months,
            interest_method.name()
        );
        assert_eq!(
            schedule.level_amount().amount(),
            decimal(&case["installment"]),
            "instalment of {label}"
        );
        let expected_rows = case["rows"].as_array().unwrap();
        assert_eq!(
            schedule.installments().len(),
            expected_rows.len(),
            "row count of {label}"
        );
        for (row, expected) in schedule.installments().iter().zip(expected_rows) {
            let number = expected["number"].as_u64().unwrap();
            assert_eq!(u64::from(row.number()), number, "numbering of {label}");
            let actual = [row.principal(), row.interest(), row.total(), row.balance()];
            for (column, money) in ["principal", "interest", "total", "balance"]
                .iter()
                .zip(actual)
            {
                assert_eq!(
                    money.amount(),
                    decimal(&expected[*column]),
                    "{column} of instalment {number} of {label}"
                );
            }
            rows_compared += 1;
        }
    }
    rows_compared
}

#[test]
fn every_reference_annuity_instalment_matches_to_the_tiyin() {
    let rows_compared = compare(DECLINING, InterestMethod::DecliningBalance);
    assert!(
        rows_compared > 1000,
        "the long terms contribute hundreds of rows each"
    );
}

#[test]
fn every_reference_flat_instalment_matches_to_the_tiyin() {
    let rows_compared = compare(FLAT, InterestMethod::Flat);
    assert!(
        rows_compared > 1000,
        "the long terms contribute hundreds of rows each"
    );
}
