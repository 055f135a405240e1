//! Insider limits: dates a member of staff may not choose, and steps no one may take alone.

mod support;

use chrono::Days;
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::json;
use sqlx::PgPool;
use support::{approved_loan, person, Staffed};

#[sqlx::test(migrations = false)]
async fn the_daily_job_refuses_a_date_after_the_banks_today(pool: PgPool) {
    let app = support::start(pool).await;
    let admin = person(&[Role::Admin]);
    let ahead = app.today() + Days::new(40);

    let response = app
        .post(
            &format!("/v1/arrears/run?as_of={ahead}"),
            Some(&admin),
            &json!({}),
        )
        .await;

    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "as_of");
    assert_eq!(problem["errors"][0]["code"], "after_today");
    let runs: i64 = sqlx::query_scalar("select count(*) from arrears_run where as_of > $1")
        .bind(app.today())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(runs, 0, "no date after today was assessed");
}

#[sqlx::test(migrations = false)]
async fn a_contract_cannot_be_activated_further_back_than_the_window(pool: PgPool) {
    let app = support::start_with_activation_window(pool, 30).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let id = app.contract_from(&who.founder, &loan).await;
    let signed = app.sign(id, &who.founder).await;
    assert_eq!(signed.status(), 200);
    let activate = format!("/v1/contracts/{id}/activate");

    let too_early = app.today() - Days::new(31);
    let refused = app
        .post(
            &activate,
            Some(&who.requester),
            &json!({"disbursement_date": too_early.to_string()}),
        )
        .await;
    let problem = assert_problem(refused, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "disbursement_date");
    assert_eq!(problem["errors"][0]["code"], "before_backdating_window");

    let within = app.today() - Days::new(30);
    let activated = app
        .post(
            &activate,
            Some(&who.requester),
            &json!({"disbursement_date": within.to_string()}),
        )
        .await;
    assert_eq!(activated.status(), 200);
}

fn tranche(id: uuid::Uuid, number: i32, action: &str) -> String {
    format!("/v1/contracts/{id}/tranches/{number}/{action}")
}

#[sqlx::test(migrations = false)]
async fn the_officer_who_accepted_a_founders_milestone_cannot_also_pay_it(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let founder_client = who.founder.client_id().unwrap();
    let current = app.ledger.open_current_account(founder_client, "0").await;
    let id = app
        .active_contract(
            &who.founder,
            &who.requester,
            &support::approved_grant(founder_client, "1000.00"),
            "2024-01-01",
        )
        .await;
    let report = json!({"note": "milestone reached"});
    let requested = app
        .post(&tranche(id, 1, "request"), Some(&who.founder), &report)
        .await;
    assert_eq!(requested.status(), 200);
    let accepted = app
        .post(&tranche(id, 1, "approve"), Some(&who.approver), &json!({}))
        .await;
    assert_eq!(accepted.status(), 200);

    let paid_alone = app
        .post_with_key(
            &tranche(id, 1, "disburse"),
            &who.approver,
            "alone",
            &json!({}),
        )
        .await;

    assert_problem(paid_alone, &[403], Some("four_eyes_violation")).await;
    assert_eq!(
        app.ledger.balance(&current).await,
        rust_decimal::Decimal::ZERO,
        "nothing was paid"
    );
    let paid = app
        .post_with_key(
            &tranche(id, 1, "disburse"),
            &who.finance,
            "second",
            &json!({}),
        )
        .await;
    assert_eq!(paid.status(), 200, "a second person pays it");
}

#[sqlx::test(migrations = false)]
async fn staff_who_are_the_contracts_client_cannot_approve_its_tranche_or_write_it_off(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let founder_client = who.founder.client_id().unwrap();
    let loan = approved_loan(founder_client, "100.00");
    let id = app
        .active_contract(&who.founder, &who.requester, &loan, "2024-01-01")
        .await;
    let requested = app
        .post(&tranche(id, 1, "request"), Some(&who.requester), &json!({}))
        .await;
    assert_eq!(requested.status(), 200);
    // A credit officer and approver who is also the founder of the borrowing company.
    let insider = imkon_auth::Principal::user(
        uuid::Uuid::now_v7(),
        [Role::CreditOfficer, Role::Approver],
        Some(founder_client),
        None,
    )
    .unwrap();

    let approved = app
        .post(&tranche(id, 1, "approve"), Some(&insider), &json!({}))
        .await;
    assert_problem(approved, &[403], Some("own_contract")).await;
    let written_off = app
        .post(
            &format!("/v1/contracts/{id}/write-off"),
            Some(&insider),
            &json!({"reason": "mine to forgive"}),
        )
        .await;
    assert_problem(written_off, &[403], Some("own_contract")).await;
}

#[sqlx::test(migrations = false)]
async fn one_approver_cannot_both_propose_and_confirm_a_write_off(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let id = app
        .active_contract(&who.founder, &who.requester, &loan, "2024-01-01")
        .await;
    let committee = person(&[Role::Approver]);
    let path = format!("/v1/contracts/{id}/write-off");
    let proposed = app
        .post(
            &path,
            Some(&committee),
            &json!({"reason": "the company was liquidated"}),
        )
        .await;
    assert_eq!(proposed.status(), 202);

    let alone = app
        .post(&format!("{path}/confirm"), Some(&committee), &json!({}))
        .await;

    assert_problem(alone, &[403], Some("four_eyes_violation")).await;
    let status: String = sqlx::query_scalar("select status from contract where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "active", "nothing is written off by one person");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where action = 'contract.write_off_proposed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}
