//! A founder's age and a programme's window are counted on the bank's day (Tashkent's), on the
//! last day of February of a leap year as on any other: a founder born on 1 March 1993 is 30,
//! young enough for the youth loan, at 23:59:59 in Tashkent on 29 February 2024 (18:59:59
//! UTC), and 31 a second later, at Tashkent's midnight, while the UTC date is still the 29th;
//! a programme that closes on the leap day takes applications until that midnight.

mod common;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use imkon_applications::seed::YOUTH_LOAN_ID;
use reqwest::Response;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{
    assert_problem_field, grant_answers, loan_answers, programme_like, Harness, InProcessScorer,
};
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;

/// The youth-loan application of a founder born on 1 March 1993, submitted at `now`.
async fn youth_loan_submitted_at(pool: PgPool, now: &str) -> Value {
    let now: DateTime<Utc> = now.parse().unwrap();
    let harness = Harness::start_at(pool, Arc::new(InProcessScorer::default()), now).await;
    let born = NaiveDate::from_ymd_opt(1993, 3, 1).unwrap();
    let founder = harness.founder_with(12, born, true).await;
    let id = harness
        .draft(
            &founder,
            YOUTH_LOAN_ID,
            json!({ "requested_amount": "300000000.00", "term_months": 36, "answers": loan_answers() }),
        )
        .await;
    harness.submit(&founder, id).await
}

#[sqlx::test(migrations = false)]
async fn a_founder_is_thirty_until_tashkent_midnight_on_the_leap_day(pool: PgPool) {
    let submitted = youth_loan_submitted_at(pool, "2024-02-29T18:59:59Z").await;
    assert_eq!(submitted["state"], "in_review", "{submitted}");
    assert_ne!(submitted["score"], Value::Null, "eligible, so scored");
}

#[sqlx::test(migrations = false)]
async fn a_founder_turns_thirty_one_at_tashkent_midnight_while_utc_is_still_the_leap_day(
    pool: PgPool,
) {
    let submitted = youth_loan_submitted_at(pool, "2024-02-29T19:00:00Z").await;
    assert_eq!(submitted["state"], "decision", "{submitted}");
    assert_eq!(
        submitted["score"],
        Value::Null,
        "knocked out before scoring"
    );
    assert_eq!(submitted["submitted_at"], "2024-02-29T19:00:00Z");
}

/// An application to a grant that closes on the leap day, submitted at `now`.
async fn submitted_to_a_programme_closing_on_the_leap_day(pool: PgPool, now: &str) -> Response {
    let now: DateTime<Utc> = now.parse().unwrap();
    let harness = Harness::start_at(pool, Arc::new(InProcessScorer::default()), now).await;
    let definition = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "opens_on": "2024-01-01", "closes_on": "2024-02-29" }),
    )
    .await;
    let programme = harness.create_programme(&definition).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            programme,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    harness
        .post(
            &format!("/v1/applications/{id}/submit"),
            &founder.token,
            &json!({}),
        )
        .await
}

#[sqlx::test(migrations = false)]
async fn a_programme_closing_on_the_leap_day_takes_applications_until_tashkent_midnight(
    pool: PgPool,
) {
    let response =
        submitted_to_a_programme_closing_on_the_leap_day(pool, "2024-02-29T18:59:59Z").await;
    assert_eq!(response.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn a_programme_closing_on_the_leap_day_is_closed_at_tashkent_midnight(pool: PgPool) {
    let response =
        submitted_to_a_programme_closing_on_the_leap_day(pool, "2024-02-29T19:00:00Z").await;
    assert_problem_field(response, 422, "programme.closes_on", "programme_closed").await;
}

/// The test harness's own seeding (demo programmes, a founder born 25 years ago with a
/// company a year old) is dated from its clock too: in 2035 a founder still gets through
/// screening to a score.
#[sqlx::test(migrations = false)]
async fn the_harness_seeds_open_programmes_and_an_eligible_founder_in_2035(pool: PgPool) {
    let now: DateTime<Utc> = "2035-06-01T12:00:00Z".parse().unwrap();
    let harness = Harness::start_at(pool, Arc::new(InProcessScorer::default()), now).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            imkon_applications::seed::SMALL_BUSINESS_START_LOAN_ID,
            json!({ "requested_amount": "200000000.00", "term_months": 24, "answers": loan_answers() }),
        )
        .await;
    let submitted = harness.submit(&founder, id).await;
    assert_eq!(submitted["state"], "in_review", "{submitted}");
    assert_ne!(submitted["score"], Value::Null);
}
