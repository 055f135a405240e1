//! A founder's age is counted on the bank's day (Tashkent's), on the last day of February of
//! a leap year as on any other: a founder born on 1 March 1993 is 30, young enough for the
//! youth loan, at 23:59:59 in Tashkent on 29 February 2024 (18:59:59 UTC), and 31 a second
//! later, at Tashkent's midnight, while the UTC date is still the 29th.

mod common;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use imkon_applications::seed::YOUTH_LOAN_ID;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{loan_answers, Harness, InProcessScorer};

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
