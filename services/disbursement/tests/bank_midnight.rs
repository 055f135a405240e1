//! Due dates and arrears turn at the bank's midnight (19:00 UTC), on the leap day as on any
//! other: an instalment due on 29 February 2024 is not due at 23:59:59 in Tashkent on the
//! 28th, is due at midnight, and is a day overdue at the next midnight. The service's clock
//! is set to each of those instants.

mod support;

use chrono::{DateTime, Utc};
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_loan, person, Staffed, TestApp};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

async fn schedule(app: &TestApp, who: &Staffed, id: uuid::Uuid) -> Value {
    app.get(&format!("/v1/contracts/{id}/schedule"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap()
}

/// Runs the daily job through the bank's today; the dates it assessed.
async fn run_job(app: &TestApp) -> Vec<String> {
    let admin = person(&[Role::Admin]);
    let run: Value = app
        .post("/v1/arrears/run", Some(&admin), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    run["assessed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|date| date["as_of"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn an_instalment_due_on_the_leap_day_falls_due_and_overdue_at_tashkent_midnights(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    app.clock.set(at("2024-02-28T18:59:59Z"));
    let who = Staffed::new();
    let admin = person(&[Role::Admin]);
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (id, current) = app.disbursed_loan(&who, &loan, "2024-01-29", "0.00").await;
    app.ledger
        .move_cash(&current, "100.00", false, "spent")
        .await;

    let before = schedule(&app, &who, id).await;
    assert_eq!(before["installments"][0]["due_date"], "2024-02-29");
    assert_eq!(
        before["due_today"], "0.00",
        "23:59:59 in Tashkent on the 28th"
    );
    assert_eq!(
        run_job(&app).await,
        Vec::<String>::new(),
        "nothing to assess before the first due date"
    );
    let early = app
        .post("/v1/arrears/run?as_of=2024-02-29", Some(&admin), &json!({}))
        .await;
    let refusal = assert_problem(early, &[422], Some("validation_failed")).await;
    assert_eq!(refusal["errors"][0]["code"], "after_today");

    app.clock.set(at("2024-02-28T19:00:00Z"));
    let due = schedule(&app, &who, id).await;
    assert_ne!(
        due["due_today"], "0.00",
        "midnight in Tashkent: the leap day"
    );
    assert_eq!(run_job(&app).await, ["2024-02-29"]);

    app.clock.set(at("2024-02-29T18:59:59Z"));
    assert_eq!(
        run_job(&app).await,
        Vec::<String>::new(),
        "still the leap day"
    );
    app.clock.set(at("2024-02-29T19:00:00Z"));
    assert_eq!(run_job(&app).await, ["2024-03-01"]);
    let list: Value = app
        .get("/v1/arrears", Some(&who.requester))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["as_of"], "2024-03-01");
    assert_eq!(list["items"][0]["days_past_due"], 1);
}
