//! A contract's money goes to its company's own current account once accounts opened one (on
//! the company's KYC approval), and comes back from the same account; until then it goes to the
//! founder's current account, as it did before companies had accounts.

mod support;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_grant, approved_loan, Staffed, TestApp};
use uuid::Uuid;

fn amount(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn company_of(payload: &Value) -> Uuid {
    payload["company_id"].as_str().unwrap().parse().unwrap()
}

/// Requests, approves and pays out tranche `number` of an active contract; for a grant the
/// founder reports the milestone, for a loan a credit officer requests it.
async fn pay_tranche(app: &TestApp, who: &Staffed, id: Uuid, number: i32, grant: bool) {
    let path = |action: &str| format!("/v1/contracts/{id}/tranches/{number}/{action}");
    let requester = if grant { &who.founder } else { &who.requester };
    let requested = app
        .post(
            &path("request"),
            Some(requester),
            &json!({"note": "milestone reached"}),
        )
        .await;
    assert_eq!(requested.status(), 200);
    let approved = app
        .post(&path("approve"), Some(&who.approver), &json!({}))
        .await;
    assert_eq!(approved.status(), 200);
    let paid = app
        .post_with_key(
            &path("disburse"),
            &who.finance,
            &format!("pay-{number}"),
            &json!({}),
        )
        .await;
    assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
}

#[sqlx::test(migrations = false)]
async fn a_grant_to_a_company_with_its_own_account_is_paid_into_that_account(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let founder = who.founder.client_id().unwrap();
    let personal = app.ledger.open_current_account(founder, "0").await;
    let grant = approved_grant(founder, "1000.01");
    let company_account = app
        .ledger
        .open_company_account(company_of(&grant), "0")
        .await;
    let id = app
        .active_contract(&who.founder, &who.requester, &grant, "2024-01-01")
        .await;
    pay_tranche(&app, &who, id, 1, true).await;

    let paid_in = app.ledger.balance(&company_account).await;
    assert!(paid_in > Decimal::ZERO, "the first milestone's money");
    assert_eq!(app.ledger.balance(&personal).await, Decimal::ZERO);
    pay_tranche(&app, &who, id, 2, true).await;
    assert_eq!(
        app.ledger.balance(&company_account).await,
        amount("1000.01")
    );
    assert_eq!(
        app.ledger.balance(&personal).await,
        Decimal::ZERO,
        "the founder's own money is untouched"
    );
}

#[sqlx::test(migrations = false)]
async fn a_grant_to_a_company_without_an_account_is_paid_to_the_founder_as_before(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let founder = who.founder.client_id().unwrap();
    let personal = app.ledger.open_current_account(founder, "0").await;
    let other_company = app.ledger.open_company_account(Uuid::now_v7(), "0").await;
    let grant = approved_grant(founder, "1000.01");
    let id = app
        .active_contract(&who.founder, &who.requester, &grant, "2024-01-01")
        .await;
    pay_tranche(&app, &who, id, 1, true).await;
    pay_tranche(&app, &who, id, 2, true).await;
    assert_eq!(app.ledger.balance(&personal).await, amount("1000.01"));
    assert_eq!(
        app.ledger.balance(&other_company).await,
        Decimal::ZERO,
        "another company's account is not this contract's"
    );
}

#[sqlx::test(migrations = false)]
async fn a_companys_loan_takes_its_fee_and_repayments_from_the_account_it_was_paid_into(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let founder = who.founder.client_id().unwrap();
    let personal = app.ledger.open_current_account(founder, "1000.00").await;
    let mut loan = approved_loan(founder, "100.00");
    loan["arrangement_fee_fixed"] = json!("5");
    loan["arrangement_fee_collection"] = json!("upfront");
    let company_account = app
        .ledger
        .open_company_account(company_of(&loan), "50.00")
        .await;

    let id = app
        .active_contract(&who.founder, &who.requester, &loan, "2024-01-01")
        .await;
    assert_eq!(
        app.ledger.balance(&company_account).await,
        amount("45.00"),
        "the fee paid at signing"
    );
    pay_tranche(&app, &who, id, 1, false).await;
    assert_eq!(app.ledger.balance(&company_account).await, amount("145.00"));

    let repaid = app
        .post_with_key(
            &format!("/v1/contracts/{id}/repayments"),
            &who.founder,
            "repay",
            &json!({}),
        )
        .await;
    assert_eq!(repaid.status(), 201, "{}", repaid.text().await.unwrap());
    let repaid: Value = repaid.json().await.unwrap();
    assert_eq!(repaid["principal"], "100.00");
    assert_eq!(
        app.ledger.balance(&company_account).await,
        amount("45.00") - amount(repaid["interest"].as_str().unwrap()),
        "the loan and its interest come back from the company's account"
    );
    assert_eq!(
        app.ledger.balance(&personal).await,
        amount("1000.00"),
        "the founder's own money is untouched"
    );
}
