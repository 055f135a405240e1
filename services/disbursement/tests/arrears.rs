//! The arrears job: once per date, catching up missed dates, penalties and ageing buckets.

mod support;

use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_loan, person, Staffed, TestApp};

async fn overdue_events(app: &TestApp) -> Vec<Value> {
    sqlx::query_scalar("select payload from outbox_event where topic = 'loan.overdue' order by id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// A client's standing as applications asks for it, with its service token, on the service's
/// today.
async fn loan_standing(app: &TestApp, client_id: uuid::Uuid) -> Value {
    let response = app
        .server
        .client
        .get(app.url(&format!("/v1/clients/{client_id}/loan-standing")))
        .bearer_auth(app.service_bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Sets the service's clock to noon UTC on `day`.
fn set_today(app: &TestApp, day: &str) {
    app.clock.set(format!("{day}T12:00:00Z").parse().unwrap());
}

async fn penalty_outstanding(app: &TestApp, who: &Staffed, id: uuid::Uuid) -> Value {
    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    contract["penalty_outstanding"].clone()
}

#[sqlx::test(migrations = false)]
async fn the_job_books_each_days_penalty_once_and_catches_up_missed_days(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let admin = person(&[Role::Admin]);
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (id, current) = app.disbursed_loan(&who, &loan, "2024-01-01", "10.00").await;
    app.ledger
        .move_cash(&current, "110.00", false, "spent")
        .await;
    let client_id = who.founder.client_id().unwrap();
    set_today(&app, "2024-01-31");
    assert_eq!(
        loan_standing(&app, client_id).await["has_overdue_loan"],
        false,
        "nothing is due yet"
    );
    set_today(&app, "2024-02-05");

    let first: Value = app
        .post("/v1/arrears/run?as_of=2024-02-05", Some(&admin), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let dates: Vec<&str> = first["assessed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|date| date["as_of"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        [
            "2024-02-01",
            "2024-02-02",
            "2024-02-03",
            "2024-02-04",
            "2024-02-05"
        ],
        "from the first due date, when nothing could be collected"
    );
    assert_eq!(first["assessed"][0]["contracts_overdue"], 0);
    // 17.13 overdue at 36.5% a year is 0.01713 a day, booked as 0.02.
    assert_eq!(penalty_outstanding(&app, &who, id).await, "0.08");
    let again: Value = app
        .post("/v1/arrears/run?as_of=2024-02-05", Some(&admin), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["assessed"], json!([]), "each date once");
    assert_eq!(penalty_outstanding(&app, &who, id).await, "0.08");

    let list: Value = app
        .get("/v1/arrears", Some(&who.requester))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["as_of"], "2024-02-05");
    assert_eq!(list["items"][0]["contract_id"], id.to_string());
    assert_eq!(list["items"][0]["days_past_due"], 4);
    assert_eq!(list["items"][0]["bucket"], "1-30");
    assert_eq!(list["items"][0]["total_overdue"], "17.13");
    assert_eq!(
        list["buckets"][0],
        json!({"bucket": "1-30", "contracts": 1, "total_overdue": {"UZS": "17.13"}})
    );
    assert_eq!(list["buckets"][1]["contracts"], 0);
    assert_eq!(overdue_events(&app).await.len(), 1);
    assert_eq!(
        loan_standing(&app, client_id).await,
        json!({"client_id": client_id, "has_overdue_loan": true, "overdue_contracts": [id]})
    );
    assert_eq!(
        loan_standing(&app, uuid::Uuid::now_v7()).await["has_overdue_loan"],
        false,
        "another client"
    );
    let by_the_founder = app
        .get(
            &format!("/v1/clients/{client_id}/loan-standing"),
            Some(&who.founder),
        )
        .await;
    assert_problem(by_the_founder, &[403], None).await;
    set_today(&app, "2024-03-05");

    // The job collects from clients' accounts: another service's token (here the one
    // applications delivers approvals with) may not start it; an administrator may.
    let service = app
        .server
        .client
        .post(app.url("/v1/arrears/run?as_of=2024-03-05"))
        .bearer_auth(app.service_bearer())
        .send()
        .await
        .unwrap();
    assert_problem(service, &[403], Some("forbidden")).await;
    let caught_up: Value = app
        .post("/v1/arrears/run?as_of=2024-03-05", Some(&admin), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(caught_up["assessed"].as_array().unwrap().len(), 29);
    // Feb 6 to Mar 1 one instalment (25 days × 0.02), Mar 2 to 5 two (4 days × 0.04).
    assert_eq!(penalty_outstanding(&app, &who, id).await, "0.74");
    let list: Value = app
        .get("/v1/arrears?bucket=31-60", Some(&who.finance))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["days_past_due"], 33);
    assert_eq!(list["items"][0]["overdue_installments"], 2);
    assert_eq!(list["items"][0]["total_overdue"], "34.26");
    let events = overdue_events(&app).await;
    assert_eq!(events.len(), 2, "into arrears, then into 31-60: {events:?}");
    assert_eq!(events[1]["bucket"], "31-60");
    assert_eq!(events[1]["as_of"], "2024-03-03");
    let schedule: Value = app
        .get(&format!("/v1/contracts/{id}/schedule"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(schedule["installments"][0]["days_past_due"], 33);

    app.ledger
        .move_cash(&current, "200.00", true, "salary")
        .await;
    let paid: Value = app
        .post_with_key(
            &format!("/v1/contracts/{id}/repayments"),
            &who.founder,
            "all",
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paid["penalty"], "0.74", "the penalty is paid first");
    assert_eq!(
        app.ledger.entries_of_kind("repayment").await.len(),
        4,
        "current account, loan, interest income and penalty income"
    );
    assert_eq!(penalty_outstanding(&app, &who, id).await, "0.00");
    assert_eq!(
        loan_standing(&app, client_id).await["has_overdue_loan"],
        false,
        "repaid"
    );
    let accrued: i64 =
        sqlx::query_scalar("select count(*) from audit_record where action = 'penalty.accrued'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(accrued, 33);
}

#[sqlx::test(migrations = false)]
async fn the_job_collects_each_instalment_on_its_due_date_from_the_current_account(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let admin = person(&[Role::Admin]);
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (id, current) = app.disbursed_loan(&who, &loan, "2024-01-01", "10.00").await;
    let run = "/v1/arrears/run?as_of=2024-02-05";
    assert_eq!(app.post(run, Some(&admin), &json!({})).await.status(), 200);
    let repayments: Value = app
        .get(
            &format!("/v1/contracts/{id}/repayments"),
            Some(&who.founder),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(repayments.as_array().unwrap().len(), 1);
    assert_eq!(repayments[0]["repaid_on"], "2024-02-01");
    assert_eq!(repayments[0]["amount"], "17.13");
    assert_eq!(repayments[0]["interest"], "0.79");
    assert_eq!(app.ledger.balance(&current).await.to_string(), "92.87");
    assert_eq!(penalty_outstanding(&app, &who, id).await, "0.00");
    let list: Value = app
        .get("/v1/arrears", Some(&who.requester))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]), "nothing overdue");

    let through_the_term = "/v1/arrears/run?as_of=2024-07-10";
    assert_eq!(
        app.post(through_the_term, Some(&admin), &json!({}))
            .await
            .status(),
        200
    );
    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        contract["status"], "closed",
        "the sixth instalment repaid the loan"
    );
    let schedule: Value = app
        .get(&format!("/v1/contracts/{id}/schedule"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    assert!(schedule["installments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|row| row["status"] == "paid"));
    let total_payable: rust_decimal::Decimal =
        schedule["total_payable"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        app.ledger.balance(&current).await,
        rust_decimal::Decimal::from(110) - total_payable
    );
    assert_eq!(app.ledger.entries_of_kind("repayment").await.len(), 6 * 3);
}

#[sqlx::test(migrations = false)]
async fn the_arrears_list_is_empty_before_the_first_run(pool: PgPool) {
    let app = support::start(pool).await;
    let officer = person(&[Role::CreditOfficer]);
    let list: Value = app
        .get("/v1/arrears", Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["as_of"], Value::Null);
    assert_eq!(list["buckets"].as_array().unwrap().len(), 4);
    assert_eq!(list["items"], json!([]));
}

#[sqlx::test(migrations = false)]
async fn only_administrators_run_the_job_and_officers_read_the_list(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let officer = person(&[Role::CreditOfficer]);
    let admin = person(&[Role::Admin]);
    let path = "/v1/arrears/run?as_of=2024-01-01";
    assert_problem(
        app.post(path, None, &json!({})).await,
        &[401],
        Some("unauthenticated"),
    )
    .await;
    assert_problem(
        app.post(path, Some(&officer), &json!({})).await,
        &[403],
        Some("forbidden"),
    )
    .await;
    assert_problem(
        app.get("/v1/arrears", Some(&founder)).await,
        &[403],
        Some("forbidden"),
    )
    .await;
    assert_problem(
        app.get("/v1/arrears", None).await,
        &[401],
        Some("unauthenticated"),
    )
    .await;
    let bad_date = app
        .post("/v1/arrears/run?as_of=tomorrow", Some(&admin), &json!({}))
        .await;
    let problem = assert_problem(bad_date, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "as_of");
    let bad_bucket = app.get("/v1/arrears?bucket=0-10", Some(&officer)).await;
    let problem = assert_problem(bad_bucket, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "bucket");
}

#[sqlx::test(migrations = false)]
async fn concurrent_or_interrupted_runs_book_each_loans_day_once(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let admin = person(&[Role::Admin]);
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (id, current) = app.disbursed_loan(&who, &loan, "2024-01-01", "10.00").await;
    app.ledger
        .move_cash(&current, "110.00", false, "spent")
        .await;
    let run = "/v1/arrears/run?as_of=2024-02-10";
    let empty = json!({});
    let runs = futures::future::join_all((0..3).map(|_| app.post(run, Some(&admin), &empty))).await;
    assert!(runs.iter().all(|response| response.status() == 200));
    // Nine days overdue (Feb 2 to 10) at 0.02 a day, however many runners.
    assert_eq!(penalty_outstanding(&app, &who, id).await, "0.18");

    sqlx::query("update arrears_run set completed_at = null where as_of = '2024-02-10'")
        .execute(&app.pool)
        .await
        .unwrap();
    let resumed: Value = app
        .post(run, Some(&admin), &empty)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        resumed["assessed"],
        json!([{"as_of": "2024-02-10", "contracts_overdue": 1}])
    );
    assert_eq!(
        penalty_outstanding(&app, &who, id).await,
        "0.18",
        "the booked day is kept"
    );
}

#[sqlx::test(migrations = false)]
async fn a_partial_payment_goes_to_penalty_then_interest_then_principal_and_the_rest_stays_due(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let admin = person(&[Role::Admin]);
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (id, current) = app.disbursed_loan(&who, &loan, "2024-01-01", "10.00").await;
    app.ledger
        .move_cash(&current, "110.00", false, "spent")
        .await;
    set_today(&app, "2024-02-05");
    let run = app
        .post("/v1/arrears/run?as_of=2024-02-05", Some(&admin), &json!({}))
        .await;
    assert_eq!(run.status(), 200);
    // Due: the first instalment (interest 0.79, principal 16.34) and four days' penalty 0.08.
    assert_eq!(penalty_outstanding(&app, &who, id).await, "0.08");
    app.ledger.move_cash(&current, "5.00", true, "salary").await;
    let path = format!("/v1/contracts/{id}/repayments");

    let too_much = app
        .post_with_key(&path, &who.founder, "too-much", &json!({"amount": "17.22"}))
        .await;
    let problem = assert_problem(too_much, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["code"], "more_than_due", "{problem}");
    let paid: Value = app
        .post_with_key(&path, &who.founder, "part", &json!({"amount": "5.00"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&paid["penalty"], &paid["interest"], &paid["principal"]),
        (&json!("0.08"), &json!("0.79"), &json!("4.13")),
        "5.00 = 0.08 + 0.79 + 4.13"
    );
    let again: Value = app
        .post_with_key(&path, &who.founder, "part", &json!({"amount": "5.00"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"], paid["id"], "the same key pays once");
    assert_eq!(app.ledger.balance(&current).await, Decimal::ZERO);
    let entries = app.ledger.entries_of_kind("repayment").await;
    let side_total = |side: &str| -> Decimal {
        entries
            .iter()
            .filter(|(_, entry_side, _)| entry_side == side)
            .map(|(_, _, amount)| *amount)
            .sum()
    };
    assert_eq!(side_total("debit"), side_total("credit"));
    assert_eq!(side_total("debit").to_string(), "5.00");
    assert_eq!(penalty_outstanding(&app, &who, id).await, "0.00");
    assert_eq!(
        loan_standing(&app, who.founder.client_id().unwrap()).await["has_overdue_loan"],
        true,
        "12.21 of principal is still overdue"
    );

    app.ledger.move_cash(&current, "20.00", true, "more").await;
    let rest: Value = app
        .post_with_key(&path, &who.founder, "rest", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["amount"], "12.21", "{rest}");
    assert_eq!(rest["principal"], "12.21");
    assert_eq!(rest["interest"], "0.00");
    assert_eq!(app.ledger.balance(&current).await.to_string(), "7.79");
}

#[sqlx::test(migrations = false)]
async fn a_late_charge_is_added_once_for_each_instalment_that_falls_overdue_and_paid_as_penalty(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let admin = person(&[Role::Admin]);
    let mut loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    loan["late_charge"] = json!("5.00");
    let (id, current) = app.disbursed_loan(&who, &loan, "2024-01-01", "10.00").await;
    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contract["late_charge"], "5.00");
    app.ledger
        .move_cash(&current, "110.00", false, "spent")
        .await;

    // February's instalment falls overdue on the 2nd: one charge and four days' penalty.
    set_today(&app, "2024-02-05");
    let run = app
        .post("/v1/arrears/run?as_of=2024-02-05", Some(&admin), &json!({}))
        .await;
    assert_eq!(run.status(), 200);
    assert_eq!(penalty_outstanding(&app, &who, id).await, "5.08");
    // March's falls overdue on 2 March: a second charge, never a third for February's.
    set_today(&app, "2024-03-03");
    let run = app
        .post("/v1/arrears/run?as_of=2024-03-03", Some(&admin), &json!({}))
        .await;
    assert_eq!(run.status(), 200);
    let penalty: Decimal = penalty_outstanding(&app, &who, id)
        .await
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let charged: Vec<(i32, Option<chrono::NaiveDate>)> = sqlx::query_as(
        "select number, late_charged_on from installment where contract_id = $1 order by number",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        charged[..3],
        [
            (1, "2024-02-02".parse().ok()),
            (2, "2024-03-02".parse().ok()),
            (3, None)
        ]
    );
    let daily_penalties: Decimal = sqlx::query_scalar(
        "select coalesce(sum(penalty), 0) from arrears_day where contract_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        daily_penalties, penalty,
        "each day's booking includes its charges"
    );
    assert!(
        penalty > Decimal::new(1000, 2),
        "two charges and the daily penalty"
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where subject_id = $1 and action = 'late_charge.applied'",
    )
    .bind(id.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);

    // Paying what is due pays the charges first, into the bank's penalty income.
    app.ledger.move_cash(&current, "100.00", true, "back").await;
    let paid = app
        .post_with_key(
            &format!("/v1/contracts/{id}/repayments"),
            &who.founder,
            "due",
            &json!({}),
        )
        .await;
    assert_eq!(paid.status(), 201, "{}", paid.text().await.unwrap());
    let paid: Value = paid.json().await.unwrap();
    assert_eq!(
        paid["penalty"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap(),
        penalty
    );
    assert_eq!(penalty_outstanding(&app, &who, id).await, "0.00");
}
