//! The events that tell a founder about their loan: a contract to sign, a tranche paid out and
//! an instalment falling due soon, each written to the outbox once with the change it tells of.

mod support;

use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_grant, approved_loan, person, Staffed, TestApp};
use uuid::Uuid;

/// The payloads of the outbox's events on `topic`, oldest first.
async fn events(app: &TestApp, topic: &str) -> Vec<Value> {
    sqlx::query_scalar("select payload from outbox_event where topic = $1 order by id")
        .bind(topic)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// Sets the service's clock to noon UTC on `day`.
fn set_today(app: &TestApp, day: &str) {
    app.clock.set(format!("{day}T12:00:00Z").parse().unwrap());
}

/// Runs the daily job through `as_of` as an administrator.
async fn run_job(app: &TestApp, as_of: &str) {
    let admin = person(&[Role::Admin]);
    let response = app
        .post(
            &format!("/v1/arrears/run?as_of={as_of}"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

#[sqlx::test(migrations = false)]
async fn an_approval_raises_contract_ready_to_sign_once(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let approval = approved_grant(founder.client_id().unwrap(), "1000.00");
    let event_id = Uuid::now_v7();
    for _ in 0..2 {
        let delivered = app
            .deliver(event_id, "application.approved", &approval)
            .await;
        assert_eq!(delivered.status(), 200);
    }
    let same_application_again = app
        .deliver(Uuid::now_v7(), "application.approved", &approval)
        .await;
    assert_eq!(same_application_again.status(), 200);
    let contract_id = app.contract_from(&founder, &approval).await;

    assert_eq!(
        events(&app, "contract.ready_to_sign").await,
        vec![json!({
            "contract_id": contract_id,
            "application_id": approval["application_id"],
            "client_id": approval["client_id"],
            "company_id": approval["company_id"],
        })],
        "one contract, one notice, however often the approval arrives"
    );
}

#[sqlx::test(migrations = false)]
async fn an_invalid_approval_raises_nothing(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let mut approval = approved_loan(founder.client_id().unwrap(), "1000.00");
    approval["amount"] = json!("a thousand");

    let delivered = app
        .deliver(Uuid::now_v7(), "application.approved", &approval)
        .await;

    assert_problem(delivered, &[422], None).await;
    assert!(events(&app, "contract.ready_to_sign").await.is_empty());
}

#[sqlx::test(migrations = false)]
async fn a_payout_raises_tranche_paid_once_with_its_amount(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (contract_id, _) = app.disbursed_loan(&who, &loan, "2024-01-01", "0.00").await;
    let path = format!("/v1/contracts/{contract_id}/tranches/1/disburse");

    let replayed = app
        .post_with_key(&path, &who.finance, "disburse", &json!({}))
        .await;
    assert_eq!(
        replayed.status(),
        200,
        "the same key answers the first payout again"
    );
    let again = app
        .post_with_key(&path, &who.finance, "another", &json!({}))
        .await;
    assert_problem(again, &[409], None).await;
    let by_the_founder = app
        .post_with_key(&path, &who.founder, "founder", &json!({}))
        .await;
    assert_problem(by_the_founder, &[403], None).await;

    assert_eq!(
        events(&app, "tranche.paid").await,
        vec![json!({
            "contract_id": contract_id,
            "application_id": loan["application_id"],
            "client_id": loan["client_id"],
            "company_id": loan["company_id"],
            "tranche_number": 1,
            "amount": "100.00",
            "currency": "UZS",
        })]
    );
}

#[sqlx::test(migrations = false)]
async fn a_refused_payout_raises_nothing(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let contract_id = app
        .active_contract(&who.founder, &who.requester, &loan, "2024-01-01")
        .await;
    let path = format!("/v1/contracts/{contract_id}/tranches/1/disburse");

    let unapproved = app
        .post_with_key(&path, &who.finance, "disburse", &json!({}))
        .await;

    assert_problem(unapproved, &[409], None).await;
    assert!(events(&app, "tranche.paid").await.is_empty());
}

/// The due date and the total of instalment `number` of the contract.
async fn installment(app: &TestApp, contract_id: Uuid, number: i32) -> (String, String) {
    sqlx::query_as(
        "select due_date::text, total::text from installment
         where contract_id = $1 and number = $2",
    )
    .bind(contract_id)
    .bind(number)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_daily_job_reminds_of_an_instalment_three_days_ahead_once(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (contract_id, _) = app.disbursed_loan(&who, &loan, "2024-01-01", "0.00").await;
    let (due_date, total) = installment(&app, contract_id, 1).await;
    assert_eq!(
        due_date, "2024-02-01",
        "the first instalment falls due on a Thursday"
    );

    set_today(&app, "2024-01-29");
    run_job(&app, "2024-01-28").await;
    assert!(
        events(&app, "loan.instalment_due").await.is_empty(),
        "a Sunday's date: four days ahead, the next run can still remind"
    );
    let founder_runs = app
        .post(
            "/v1/arrears/run?as_of=2024-01-29",
            Some(&who.founder),
            &json!({}),
        )
        .await;
    assert_problem(founder_runs, &[403], None).await;
    assert!(events(&app, "loan.instalment_due").await.is_empty());

    run_job(&app, "2024-01-29").await;
    run_job(&app, "2024-01-29").await;
    set_today(&app, "2024-01-31");
    run_job(&app, "2024-01-31").await;

    assert_eq!(
        events(&app, "loan.instalment_due").await,
        vec![json!({
            "contract_id": contract_id,
            "application_id": loan["application_id"],
            "client_id": loan["client_id"],
            "company_id": loan["company_id"],
            "installment_number": 1,
            "due_date": "2024-02-01",
            "currency": "UZS",
            "amount_due": total,
        })],
        "Monday reminds of Thursday's instalment; Monday's rerun and Wednesday's run do not again"
    );
}

#[sqlx::test(migrations = false)]
async fn two_runners_at_once_remind_of_an_instalment_once(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    app.disbursed_loan(&who, &loan, "2024-01-01", "0.00").await;
    set_today(&app, "2024-01-29");

    tokio::join!(run_job(&app, "2024-01-29"), run_job(&app, "2024-01-29"));

    let reminders = events(&app, "loan.instalment_due").await;
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    let recorded: i64 = sqlx::query_scalar("select count(*) from installment_reminder")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(recorded, 1);
}

#[sqlx::test(migrations = false)]
async fn a_friday_run_reminds_of_what_falls_due_up_to_wednesday(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (contract_id, _) = app.disbursed_loan(&who, &loan, "2024-01-01", "0.00").await;
    let (due_date, _) = installment(&app, contract_id, 4).await;
    assert_eq!(
        due_date, "2024-05-01",
        "the fourth instalment falls due on a Wednesday"
    );

    // Thursday the 25th reminds of what falls due by Sunday; Friday the 26th, whose next run
    // is Monday the 29th, of what falls due by Wednesday, which no later run could remind of
    // three days ahead. The catch-up from February reminds of nothing already due.
    set_today(&app, "2024-04-25");
    run_job(&app, "2024-04-25").await;
    assert!(events(&app, "loan.instalment_due").await.is_empty());
    set_today(&app, "2024-04-26");
    run_job(&app, "2024-04-26").await;

    let reminders = events(&app, "loan.instalment_due").await;
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(reminders[0]["installment_number"], 4);
    assert_eq!(reminders[0]["due_date"], "2024-05-01");
}
