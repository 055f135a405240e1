//! `POST /v1/schedules/preview`: the public loan calculator.

mod support;

use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;

fn issue_example() -> Value {
    json!({
        "principal": "100.00", "currency": "UZS", "annual_rate_percent": "9.4822",
        "term_months": 6, "method": "annuity", "grace_months": 0, "day_count": "30/360",
        "disbursement_date": "2024-01-01", "first_due_date": "2024-02-01"
    })
}

fn with(change: &[(&str, Value)]) -> Value {
    let mut body = issue_example();
    for (field, value) in change {
        body[*field] = value.clone();
    }
    body
}

#[sqlx::test(migrations = false)]
async fn anyone_can_preview_the_issue_example_without_signing_in(pool: PgPool) {
    let app = support::start(pool).await;
    let response = app
        .post("/v1/schedules/preview", None, &issue_example())
        .await;
    assert_eq!(response.status(), 200);
    let schedule: Value = response.json().await.unwrap();
    let rows = schedule["installments"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(
        rows[0],
        json!({"number": 1, "due_date": "2024-02-01", "principal": "16.34", "interest": "0.79",
               "total": "17.13", "balance": "83.66"})
    );
    assert_eq!(rows[5]["due_date"], "2024-07-01");
    assert_eq!(rows[5]["balance"], "0.00");
    assert_eq!(schedule["total_principal"], "100.00");
    let total_interest: rust_decimal::Decimal = schedule["total_interest"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let total_payable: rust_decimal::Decimal =
        schedule["total_payable"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        total_payable,
        total_interest + rust_decimal::Decimal::ONE_HUNDRED
    );
}

#[sqlx::test(migrations = false)]
async fn an_equal_principal_schedule_with_grace_starts_with_interest_only(pool: PgPool) {
    let app = support::start(pool).await;
    let body = with(&[
        ("method", json!("equal_principal")),
        ("grace_months", json!(2)),
        ("day_count", json!("actual/365")),
    ]);
    let schedule: Value = app
        .post("/v1/schedules/preview", None, &body)
        .await
        .json()
        .await
        .unwrap();
    let rows = schedule["installments"].as_array().unwrap();
    assert_eq!(rows[0]["principal"], "0.00");
    assert_eq!(rows[1]["principal"], "0.00");
    assert_eq!(rows[2]["principal"], "25.00");
    assert_eq!(schedule["total_principal"], "100.00");
}

#[sqlx::test(migrations = false)]
async fn an_actual_actual_isda_preview_splits_the_first_period_at_new_year(pool: PgPool) {
    let app = support::start(pool).await;
    // The domain's hand-worked case: 3 000.00 at 12% in three equal slices from 15 Dec 2023,
    // the first period 17 days of 2023 over 365 plus 14 days of 2024 over 366.
    let body = json!({
        "principal": "3000.00", "currency": "UZS", "annual_rate_percent": "12",
        "term_months": 3, "method": "equal_principal", "grace_months": 0,
        "day_count": "actual/actual-isda",
        "disbursement_date": "2023-12-15", "first_due_date": "2024-01-15"
    });
    let response = app.post("/v1/schedules/preview", None, &body).await;
    assert_eq!(response.status(), 200);
    let schedule: Value = response.json().await.unwrap();
    let interest: Vec<&str> = schedule["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["interest"].as_str().unwrap())
        .collect();
    assert_eq!(interest, ["30.54", "20.33", "9.51"]);
    assert_eq!(schedule["total_interest"], "60.38");
}

#[sqlx::test(migrations = false)]
async fn a_flat_preview_charges_every_month_on_the_whole_principal(pool: PgPool) {
    let app = support::start(pool).await;
    // The domain's case: 1 200.00 at 12% flat for a year in equal slices, 12.00 of interest
    // every month; on the declining balance the same loan costs 12.00 + 11.00 + … + 1.00.
    let mut body = json!({
        "principal": "1200.00", "currency": "UZS", "annual_rate_percent": "12",
        "term_months": 12, "method": "equal_principal", "grace_months": 0,
        "day_count": "30/360", "interest_method": "flat",
        "disbursement_date": "2024-01-01", "first_due_date": "2024-02-01"
    });
    let response = app.post("/v1/schedules/preview", None, &body).await;
    assert_eq!(response.status(), 200);
    let schedule: Value = response.json().await.unwrap();
    let rows = schedule["installments"].as_array().unwrap();
    assert!(rows
        .iter()
        .all(|row| row["interest"] == "12.00" && row["total"] == "112.00"));
    assert_eq!(schedule["total_interest"], "144.00");
    body["interest_method"] = json!("declining_balance");
    let declining: Value = app
        .post("/v1/schedules/preview", None, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(declining["total_interest"], "78.00");
}

#[sqlx::test(migrations = false)]
async fn bad_parameters_are_refused_naming_the_field(pool: PgPool) {
    let app = support::start(pool).await;
    let cases = [
        (with(&[("term_months", json!(0))]), "term_months"),
        (with(&[("term_months", json!(-6))]), "term_months"),
        (
            with(&[("annual_rate_percent", json!("100.01"))]),
            "annual_rate_percent",
        ),
        (with(&[("grace_months", json!(6))]), "grace_months"),
        (
            with(&[("first_due_date", json!("2023-12-15"))]),
            "first_due_date",
        ),
        (with(&[("principal", json!("0.00"))]), "principal"),
        (with(&[("principal", json!("1e3"))]), "principal"),
        (with(&[("currency", json!("GBP"))]), "currency"),
        (with(&[("method", json!("balloon"))]), "method"),
        (with(&[("day_count", json!("30/365"))]), "day_count"),
        (
            with(&[("interest_method", json!("add_on"))]),
            "interest_method",
        ),
        (
            with(&[("disbursement_date", json!("01.01.2024"))]),
            "disbursement_date",
        ),
    ];
    for (body, field) in cases {
        let response = app.post("/v1/schedules/preview", None, &body).await;
        let problem = assert_problem(response, &[422], Some("validation_failed")).await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_missing_field_or_an_unknown_one_is_refused(pool: PgPool) {
    let app = support::start(pool).await;
    let mut missing = issue_example();
    missing.as_object_mut().unwrap().remove("principal");
    let response = app.post("/v1/schedules/preview", None, &missing).await;
    assert_problem(response, &[422], Some("invalid_body")).await;
    let unknown = with(&[("principle", json!("100.00"))]);
    let response = app.post("/v1/schedules/preview", None, &unknown).await;
    assert_problem(response, &[422], Some("invalid_body")).await;
}
