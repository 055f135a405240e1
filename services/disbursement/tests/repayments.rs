//! Repayments: what is due in one transfer split penalty → interest → principal, and early
//! repayment with a recomputed schedule.

mod support;

use chrono::Days;
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_grant, approved_loan, person, Staffed};

fn amount(value: &Value) -> Decimal {
    value.as_str().unwrap().parse().unwrap()
}

fn days_ago(app: &support::TestApp, days: u64) -> String {
    (app.today() - Days::new(days)).to_string()
}

#[sqlx::test(migrations = false)]
async fn paying_what_is_due_moves_interest_and_principal_in_one_transfer_and_closes_the_loan(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (id, current) = app.disbursed_loan(&who, &loan, "2024-01-01", "50.00").await;
    let preview: Value = app
        .post(
            "/v1/schedules/preview",
            None,
            &json!({"principal": "100.00", "currency": "UZS", "annual_rate_percent": "9.4822",
                "term_months": 6, "method": "annuity", "disbursement_date": "2024-01-01",
                "first_due_date": "2024-02-01"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let schedule: Value = app
        .get(&format!("/v1/contracts/{id}/schedule"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(schedule["installments"][0]["total"], "17.13");
    assert_eq!(schedule["installments"][0]["status"], "overdue");
    assert_eq!(schedule["total_payable"], preview["total_payable"]);
    assert_eq!(schedule["due_today"], preview["total_payable"]);

    let path = format!("/v1/contracts/{id}/repayments");
    let paid = app
        .post_with_key(&path, &who.founder, "pay-1", &json!({}))
        .await;
    assert_eq!(paid.status(), 201);
    let paid: Value = paid.json().await.unwrap();
    assert_eq!(paid["kind"], "scheduled");
    assert_eq!(paid["principal"], "100.00");
    assert_eq!(paid["penalty"], "0.00");
    assert_eq!(paid["interest"], preview["total_interest"]);
    assert_eq!(paid["amount"], preview["total_payable"]);
    assert_eq!(
        app.ledger.balance(&current).await,
        Decimal::from(150) - amount(&preview["total_payable"])
    );
    let legs = app.ledger.entries_of_kind("repayment").await;
    assert_eq!(
        legs.len(),
        3,
        "debit current, credit loan and interest income: {legs:?}"
    );
    let loan_account: String =
        sqlx::query_scalar("select loan_account_number from contract where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(app.ledger.balance(&loan_account).await, Decimal::ZERO);

    let replay = app
        .post_with_key(&path, &who.founder, "pay-1", &json!({}))
        .await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap(), paid);
    assert_eq!(app.ledger.entries_of_kind("repayment").await.len(), 3);

    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contract["status"], "closed");
    let after = app
        .post_with_key(&path, &who.founder, "pay-2", &json!({}))
        .await;
    assert_problem(after, &[409], Some("contract_not_active")).await;
    let listed: Value = app
        .get(&path, Some(&who.requester))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[sqlx::test(migrations = false)]
async fn a_repayment_without_the_money_is_refused_and_nothing_is_recorded(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (id, _) = app.disbursed_loan(&who, &loan, "2024-01-01", "0").await;
    let path = format!("/v1/contracts/{id}/repayments");
    let refused = app
        .post_with_key(&path, &who.founder, "k", &json!({}))
        .await;
    assert_problem(refused, &[422], Some("insufficient_funds")).await;
    let listed: Value = app
        .get(&path, Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
}

#[sqlx::test(migrations = false)]
async fn nothing_is_due_before_the_first_due_date(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let today = app.today().to_string();
    let (id, _) = app.disbursed_loan(&who, &loan, &today, "10.00").await;
    let path = format!("/v1/contracts/{id}/repayments");
    let refused = app
        .post_with_key(&path, &who.founder, "k", &json!({}))
        .await;
    assert_problem(refused, &[409], Some("nothing_due")).await;
}

#[sqlx::test(migrations = false)]
async fn only_the_founder_repays_and_only_a_loan(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let stranger = person(&[Role::Client]);
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (id, _) = app.disbursed_loan(&who, &loan, "2024-01-01", "10.00").await;
    let path = format!("/v1/contracts/{id}/repayments");
    let foreign = app.post_with_key(&path, &stranger, "k", &json!({})).await;
    assert_problem(foreign, &[404], Some("contract_not_found")).await;
    let officer = app
        .post_with_key(&path, &who.requester, "k", &json!({}))
        .await;
    assert_problem(officer, &[403], Some("forbidden")).await;
    let schedule = app
        .get(&format!("/v1/contracts/{id}/schedule"), Some(&stranger))
        .await;
    assert_problem(schedule, &[404], Some("contract_not_found")).await;
    let grant = app
        .contract_from(
            &who.founder,
            &approved_grant(who.founder.client_id().unwrap(), "5.00"),
        )
        .await;
    let grant_schedule = app
        .get(
            &format!("/v1/contracts/{grant}/schedule"),
            Some(&who.founder),
        )
        .await;
    assert_problem(grant_schedule, &[409], Some("grant_has_no_schedule")).await;
}

/// A loan disbursed 40 days ago whose first instalment, due about ten days ago, is paid.
async fn loan_in_its_second_month(app: &support::TestApp, who: &Staffed) -> uuid::Uuid {
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (id, _) = app
        .disbursed_loan(who, &loan, &days_ago(app, 40), "200.00")
        .await;
    let path = format!("/v1/contracts/{id}/repayments");
    let early = app
        .post_with_key(
            &path,
            &who.founder,
            "early-first",
            &json!({"amount": "10.00", "option": "keep_term"}),
        )
        .await;
    assert_problem(early, &[409], Some("installments_due_first")).await;
    let due = app
        .post_with_key(&path, &who.founder, "due-1", &json!({}))
        .await;
    assert_eq!(due.status(), 201);
    id
}

async fn schedule_rows(app: &support::TestApp, who: &Staffed, id: uuid::Uuid) -> Vec<Value> {
    let schedule: Value = app
        .get(&format!("/v1/contracts/{id}/schedule"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    schedule["installments"].as_array().unwrap().clone()
}

#[sqlx::test(migrations = false)]
async fn an_early_repayment_keeping_the_instalment_shortens_the_term(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let id = loan_in_its_second_month(&app, &who).await;
    let before = schedule_rows(&app, &who, id).await;
    assert_eq!(before.len(), 6);
    let path = format!("/v1/contracts/{id}/repayments");
    let early = app
        .post_with_key(
            &path,
            &who.founder,
            "early",
            &json!({"amount": "40.00", "option": "keep_installment"}),
        )
        .await;
    assert_eq!(early.status(), 201);
    let early: Value = early.json().await.unwrap();
    assert_eq!(early["kind"], "early");
    assert_eq!(early["principal"], "40.00");
    assert!(
        amount(&early["interest"]) > Decimal::ZERO,
        "interest accrued since the due date"
    );
    assert_eq!(
        amount(&early["amount"]),
        amount(&early["interest"]) + Decimal::from(40)
    );
    let after = schedule_rows(&app, &who, id).await;
    assert!(after.len() < 6, "fewer instalments: {after:?}");
    assert_eq!(
        after[1]["total"], before[1]["total"],
        "the instalment is kept"
    );
    let principal: Decimal = after.iter().map(|row| amount(&row["principal"])).sum();
    assert_eq!(principal + Decimal::from(40), Decimal::from(100));
    assert_eq!(after.last().unwrap()["balance"], "0.00");
}

#[sqlx::test(migrations = false)]
async fn an_early_repayment_keeping_the_term_lowers_the_instalment(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let id = loan_in_its_second_month(&app, &who).await;
    let before = schedule_rows(&app, &who, id).await;
    let path = format!("/v1/contracts/{id}/repayments");
    let early = app
        .post_with_key(
            &path,
            &who.founder,
            "early",
            &json!({"amount": "40.00", "option": "keep_term"}),
        )
        .await;
    assert_eq!(early.status(), 201);
    let after = schedule_rows(&app, &who, id).await;
    assert_eq!(after.len(), 6, "the same due dates");
    assert_eq!(after[5]["due_date"], before[5]["due_date"]);
    assert!(amount(&after[2]["total"]) < amount(&before[2]["total"]));
    let principal: Decimal = after.iter().map(|row| amount(&row["principal"])).sum();
    assert_eq!(principal + Decimal::from(40), Decimal::from(100));
}

#[sqlx::test(migrations = false)]
async fn early_repayment_requests_are_checked_naming_the_field(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let id = loan_in_its_second_month(&app, &who).await;
    let path = format!("/v1/contracts/{id}/repayments");
    let cases = [
        (
            json!({"amount": "1000.00", "option": "keep_term"}),
            "amount",
        ),
        (json!({"amount": "0", "option": "keep_term"}), "amount"),
        (json!({"amount": "1.001", "option": "keep_term"}), "amount"),
        (json!({"amount": "10.00"}), "option"),
        (json!({"option": "keep_term"}), "amount"),
    ];
    for (index, (body, field)) in cases.into_iter().enumerate() {
        let response = app
            .post_with_key(&path, &who.founder, &format!("bad-{index}"), &body)
            .await;
        let problem = assert_problem(response, &[422], Some("validation_failed")).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }
}

async fn quote(
    app: &support::TestApp,
    who: &imkon_auth::Principal,
    id: uuid::Uuid,
    date: &str,
) -> reqwest::Response {
    app.get(
        &format!("/v1/contracts/{id}/settlement-quote?date={date}"),
        Some(who),
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn a_settlement_quote_for_today_is_what_repaying_everything_today_takes(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let id = loan_in_its_second_month(&app, &who).await;
    let rows = schedule_rows(&app, &who, id).await;
    let today = app.today().to_string();

    let now: Value = quote(&app, &who.founder, id, &today)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["date"], today);
    assert_eq!(now["due_interest"], "0.00");
    assert_eq!(now["due_principal"], "0.00");
    assert_eq!(now["remaining_principal"], rows[0]["balance"]);
    assert!(amount(&now["accrued_interest"]) > Decimal::ZERO);
    assert_eq!(
        amount(&now["total"]),
        amount(&now["accrued_interest"]) + amount(&now["remaining_principal"])
    );
    let staff: Value = quote(&app, &who.requester, id, &today)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staff, now, "staff see the founder's quote");

    // On the next due date that instalment is owed whole and nothing accrues past it.
    let next_due = rows[1]["due_date"].as_str().unwrap();
    let then: Value = quote(&app, &who.founder, id, next_due)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(then["due_interest"], rows[1]["interest"]);
    assert_eq!(then["due_principal"], rows[1]["principal"]);
    assert_eq!(then["accrued_interest"], "0.00");
    assert_eq!(then["remaining_principal"], rows[1]["balance"]);

    let settled = app
        .post_with_key(
            &format!("/v1/contracts/{id}/repayments"),
            &who.founder,
            "settle",
            &json!({"amount": now["remaining_principal"], "option": "keep_term"}),
        )
        .await;
    assert_eq!(settled.status(), 201);
    let settled: Value = settled.json().await.unwrap();
    assert_eq!(settled["amount"], now["total"]);
    assert_eq!(settled["interest"], now["accrued_interest"]);
    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contract["status"], "closed");
    let closed = quote(&app, &who.founder, id, &today).await;
    assert_problem(closed, &[409], Some("contract_not_active")).await;
}

#[sqlx::test(migrations = false)]
async fn a_settlement_quote_is_refused_for_a_past_date_a_stranger_and_a_grant(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let id = loan_in_its_second_month(&app, &who).await;
    let yesterday = days_ago(&app, 1);
    let past = quote(&app, &who.founder, id, &yesterday).await;
    let problem = assert_problem(past, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "date", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "before_today", "{problem}");
    let garbled = quote(&app, &who.founder, id, "2024-02-30").await;
    let problem = assert_problem(garbled, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["code"], "not_a_date", "{problem}");
    let stranger = quote(&app, &person(&[Role::Client]), id, &app.today().to_string()).await;
    assert_problem(stranger, &[404], Some("contract_not_found")).await;
    let anonymous = app
        .get(&format!("/v1/contracts/{id}/settlement-quote"), None)
        .await;
    assert_eq!(anonymous.status(), 401);
    let grant = app
        .contract_from(
            &who.founder,
            &approved_grant(who.founder.client_id().unwrap(), "5.00"),
        )
        .await;
    let grant_quote = quote(&app, &who.founder, grant, &app.today().to_string()).await;
    assert_problem(grant_quote, &[409], Some("grant_has_no_schedule")).await;
}
