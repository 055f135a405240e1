//! Tranches: four eyes on approval, and a disbursement that pays exactly once.

mod support;

use imkon_auth::Role;
use imkon_disbursement::ledger::{Ledger, LedgerError, LedgerFuture, OpenAccount, TransferRequest};
use imkon_platform::money::Currency;
use imkon_platform::testing::assert_problem;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_grant, approved_loan, person, Staffed, TestApp};
use uuid::Uuid;

fn tranche(id: Uuid, number: i32, action: &str) -> String {
    format!("/v1/contracts/{id}/tranches/{number}/{action}")
}

/// An active loan of 1000.00 whose single tranche is requested and approved.
async fn approved_loan_tranche(app: &TestApp, who: &Staffed) -> Uuid {
    let client_id = who.founder.client_id().unwrap();
    let id = app
        .active_contract(
            &who.founder,
            &who.requester,
            &approved_loan(client_id, "1000.00"),
            "2024-01-01",
        )
        .await;
    let requested = app
        .post(&tranche(id, 1, "request"), Some(&who.requester), &json!({}))
        .await;
    assert_eq!(requested.status(), 200);
    let approved = app
        .post(&tranche(id, 1, "approve"), Some(&who.approver), &json!({}))
        .await;
    assert_eq!(approved.status(), 200);
    id
}

fn amount(text: &str) -> Decimal {
    text.parse().unwrap()
}

async fn disbursement_transfers(app: &TestApp, contract_id: Uuid) -> i64 {
    let tranche_id: Uuid =
        sqlx::query_scalar("select id from tranche where contract_id = $1 and number = 1")
            .bind(contract_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    app.ledger
        .transfers_for(&format!("tranche:{tranche_id}"))
        .await
}

#[sqlx::test(migrations = false)]
async fn a_loan_tranche_needs_a_second_officer_and_pays_the_client(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "0")
        .await;
    let id = app
        .active_contract(
            &who.founder,
            &who.requester,
            &approved_loan(who.founder.client_id().unwrap(), "1000.00"),
            "2024-01-01",
        )
        .await;
    let founder_request = app
        .post(&tranche(id, 1, "request"), Some(&who.founder), &json!({}))
        .await;
    assert_problem(founder_request, &[403], Some("forbidden")).await;
    let requested: Value = app
        .post(
            &tranche(id, 1, "request"),
            Some(&who.requester),
            &json!({"note": "equipment"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(requested["status"], "requested");
    let own = app
        .post(&tranche(id, 1, "approve"), Some(&who.requester), &json!({}))
        .await;
    assert_problem(own, &[403], Some("four_eyes_violation")).await;
    let by_finance = app
        .post(&tranche(id, 1, "approve"), Some(&who.finance), &json!({}))
        .await;
    assert_problem(by_finance, &[403], Some("forbidden")).await;
    let early = app
        .post_with_key(
            &tranche(id, 1, "disburse"),
            &who.finance,
            "too-early",
            &json!({}),
        )
        .await;
    assert_problem(early, &[409], Some("tranche_wrong_state")).await;
    let approved: Value = app
        .post(&tranche(id, 1, "approve"), Some(&who.approver), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved_by"], who.approver.subject().to_string());

    let no_key = app
        .post(&tranche(id, 1, "disburse"), Some(&who.finance), &json!({}))
        .await;
    assert_problem(no_key, &[400], Some("idempotency_key_required")).await;
    let by_founder = app
        .post_with_key(&tranche(id, 1, "disburse"), &who.founder, "k1", &json!({}))
        .await;
    assert_problem(by_founder, &[403], Some("forbidden")).await;
    let disbursed = app
        .post_with_key(&tranche(id, 1, "disburse"), &who.finance, "k1", &json!({}))
        .await;
    assert_eq!(disbursed.status(), 200);
    let disbursed: Value = disbursed.json().await.unwrap();
    assert_eq!(disbursed["status"], "disbursed");
    assert!(disbursed["transfer_id"].is_string());
    assert_eq!(app.ledger.balance(&current).await, amount("1000.00"));
    let contract: (Option<String>,) =
        sqlx::query_as("select loan_account_number from contract where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let loan_account = contract.0.expect("the loan account is stored");
    assert_eq!(app.ledger.balance(&loan_account).await, amount("1000.00"));
    let schedule: (i64, Decimal) =
        sqlx::query_as("select count(*), sum(principal) from installment where contract_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        schedule,
        (6, amount("1000.00")),
        "the schedule follows the disbursed amount"
    );

    let again = app
        .post_with_key(&tranche(id, 1, "disburse"), &who.finance, "k2", &json!({}))
        .await;
    assert_problem(again, &[409], Some("tranche_wrong_state")).await;
    let cancel = app
        .post(&tranche(id, 1, "cancel"), Some(&who.approver), &json!({}))
        .await;
    assert_problem(cancel, &[409], Some("tranche_wrong_state")).await;
    assert_eq!(disbursement_transfers(&app, id).await, 1);
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_record where action like 'tranche.%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited, 3, "requested, approved, disbursed");
}

#[sqlx::test(migrations = false)]
async fn the_disbursement_repeated_twenty_times_in_parallel_with_one_key_pays_once(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "0")
        .await;
    let id = approved_loan_tranche(&app, &who).await;
    let path = tranche(id, 1, "disburse");
    let empty = json!({});
    let responses = futures::future::join_all(
        (0..20).map(|_| app.post_with_key(&path, &who.finance, "same-key", &empty)),
    )
    .await;
    let mut bodies = Vec::new();
    let mut replayed = 0;
    for response in responses {
        assert_eq!(response.status(), 200);
        if response.headers().contains_key("idempotent-replayed") {
            replayed += 1;
        }
        bodies.push(response.json::<Value>().await.unwrap());
    }
    assert_eq!(replayed, 19);
    assert!(bodies.iter().all(|body| *body == bodies[0]));
    assert_eq!(disbursement_transfers(&app, id).await, 1);
    assert_eq!(app.ledger.balance(&current).await, amount("1000.00"));
}

#[sqlx::test(migrations = false)]
async fn twenty_parallel_disbursements_with_different_keys_pay_once(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "0")
        .await;
    let id = approved_loan_tranche(&app, &who).await;
    let path = tranche(id, 1, "disburse");
    let keys: Vec<String> = (0..20).map(|n| format!("key-{n}")).collect();
    let empty = json!({});
    let responses = futures::future::join_all(
        keys.iter()
            .map(|key| app.post_with_key(&path, &who.finance, key, &empty)),
    )
    .await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(disbursement_transfers(&app, id).await, 1);
    assert_eq!(app.ledger.balance(&current).await, amount("1000.00"));
}

#[sqlx::test(migrations = false)]
async fn without_a_current_account_nothing_is_paid_and_the_tranche_stays_approved(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let id = approved_loan_tranche(&app, &who).await;
    let response = app
        .post_with_key(&tranche(id, 1, "disburse"), &who.finance, "k", &json!({}))
        .await;
    assert_problem(response, &[422], Some("no_current_account")).await;
    assert_eq!(disbursement_transfers(&app, id).await, 0);
    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&who.finance))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contract["tranches"][0]["status"], "approved");
}

#[sqlx::test(migrations = false)]
async fn a_grant_milestone_is_released_when_an_officer_accepts_the_founders_report(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let stranger = person(&[Role::Client]);
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "0")
        .await;
    let id = app
        .active_contract(
            &who.founder,
            &who.requester,
            &approved_grant(who.founder.client_id().unwrap(), "1000.01"),
            "2024-01-01",
        )
        .await;
    let foreign = app
        .post(
            &tranche(id, 1, "request"),
            Some(&stranger),
            &json!({"note": "mine"}),
        )
        .await;
    assert_problem(foreign, &[404], Some("contract_not_found")).await;
    for number in [1, 2] {
        let report = json!({"note": format!("milestone {number} reached: prototype shipped")});
        let requested: Value = app
            .post(&tranche(id, number, "request"), Some(&who.founder), &report)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(requested["request_note"], report["note"]);
        let accepted = app
            .post(
                &tranche(id, number, "approve"),
                Some(&who.approver),
                &json!({}),
            )
            .await;
        assert_eq!(accepted.status(), 200);
        let paid = app
            .post_with_key(
                &tranche(id, number, "disburse"),
                &who.finance,
                &format!("milestone-{number}"),
                &json!({}),
            )
            .await;
        assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
    }
    assert_eq!(app.ledger.balance(&current).await, amount("1000.01"));
    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&who.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        contract["status"], "closed",
        "a grant paid out in full is complete"
    );
    let schedule: i64 = sqlx::query_scalar("select count(*) from installment")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(schedule, 0, "a grant is not repaid");
}

#[sqlx::test(migrations = false)]
async fn tranches_move_only_on_an_active_contract(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let id = app
        .contract_from(
            &who.founder,
            &approved_loan(who.founder.client_id().unwrap(), "10.00"),
        )
        .await;
    let draft = app
        .post(&tranche(id, 1, "request"), Some(&who.requester), &json!({}))
        .await;
    assert_problem(draft, &[409], Some("contract_not_active")).await;
    let missing = app
        .post(&tranche(id, 9, "request"), Some(&who.requester), &json!({}))
        .await;
    assert_problem(missing, &[404], Some("tranche_not_found")).await;
    let unknown = app
        .post(
            &tranche(Uuid::now_v7(), 1, "approve"),
            Some(&who.approver),
            &json!({}),
        )
        .await;
    assert_problem(unknown, &[404], Some("contract_not_found")).await;
    let cancelled: Value = app
        .post(&tranche(id, 1, "cancel"), Some(&who.approver), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");
}

/// A ledger that posts the first transfer it is asked for and then loses the answer, as when
/// the network drops the reply or this service dies before it commits.
struct LosesFirstAnswer {
    inner: std::sync::Arc<support::TestLedger>,
    lost: std::sync::atomic::AtomicBool,
}

impl Ledger for LosesFirstAnswer {
    fn open_account(&self, request: OpenAccount) -> LedgerFuture<'_, String> {
        self.inner.open_account(request)
    }

    fn client_current_account(
        &self,
        client_id: Uuid,
        currency: Currency,
    ) -> LedgerFuture<'_, Option<String>> {
        self.inner.client_current_account(client_id, currency)
    }

    fn company_current_account(
        &self,
        company_id: Uuid,
        currency: Currency,
    ) -> LedgerFuture<'_, Option<String>> {
        self.inner.company_current_account(company_id, currency)
    }

    fn post_transfer(&self, request: TransferRequest) -> LedgerFuture<'_, Uuid> {
        Box::pin(async move {
            let posted = self.inner.post_transfer(request).await;
            if !self.lost.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return Err(LedgerError::Unavailable("the answer was lost".to_owned()));
            }
            posted
        })
    }

    fn account_balance(&self, number: String) -> LedgerFuture<'_, rust_decimal::Decimal> {
        self.inner.account_balance(number)
    }
}

#[sqlx::test(migrations = false)]
async fn a_disbursement_whose_answer_was_lost_is_retried_without_paying_twice(pool: PgPool) {
    let app = support::start_with_ledger(pool, |inner| {
        std::sync::Arc::new(LosesFirstAnswer {
            inner,
            lost: std::sync::atomic::AtomicBool::new(false),
        })
    })
    .await;
    let who = Staffed::new();
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "0")
        .await;
    let id = approved_loan_tranche(&app, &who).await;
    let path = tranche(id, 1, "disburse");
    let lost = app
        .post_with_key(&path, &who.finance, "attempt", &json!({}))
        .await;
    assert_problem(lost, &[502], Some("ledger_unavailable")).await;
    assert_eq!(
        app.ledger.balance(&current).await,
        amount("1000.00"),
        "the money moved"
    );
    let retried = app
        .post_with_key(&path, &who.finance, "attempt", &json!({}))
        .await;
    assert_eq!(retried.status(), 200);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["status"], "disbursed");
    assert_eq!(disbursement_transfers(&app, id).await, 1);
    assert_eq!(
        app.ledger.balance(&current).await,
        amount("1000.00"),
        "and only once"
    );
}

async fn scheduled_principal(app: &TestApp, id: Uuid) -> (i64, Decimal) {
    sqlx::query_as(
        "select count(*), coalesce(sum(principal), 0) from installment where contract_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_loan_in_two_tranches_is_scheduled_on_what_was_actually_paid_out(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "0")
        .await;
    let id = app
        .contract_from(
            &who.founder,
            &approved_loan(who.founder.client_id().unwrap(), "1000.00"),
        )
        .await;
    let plan_path = format!("/v1/contracts/{id}/tranches");
    let put = |who: &imkon_auth::Principal, body: Value| {
        app.server
            .client
            .put(app.url(&plan_path))
            .bearer_auth(app.bearer(who))
            .json(&body)
            .send()
    };
    let plan = json!({"tranches": [
        {"amount": "600.00", "purpose": "equipment"},
        {"amount": "400.00", "purpose": "working capital"}]});
    assert_problem(
        put(&who.founder, plan.clone()).await.unwrap(),
        &[403],
        Some("forbidden"),
    )
    .await;
    let short = json!({"tranches": [{"amount": "600.00", "purpose": "equipment"}]});
    let problem = assert_problem(put(&who.requester, short).await.unwrap(), &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "tranches");
    assert_eq!(problem["errors"][0]["code"], "sum_is_not_principal");
    let bad = json!({"tranches": [
        {"amount": "600.00", "purpose": "equipment"}, {"amount": "4e2", "purpose": "rest"}]});
    let problem = assert_problem(put(&who.requester, bad).await.unwrap(), &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "tranches[1].amount");
    let planned: Value = put(&who.requester, plan.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let amounts: Vec<&str> = planned["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tranche| tranche["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["600.00", "400.00"]);

    let sign = app.sign(id, &who.founder).await;
    assert_eq!(sign.status(), 200);
    let activate = app
        .post(
            &format!("/v1/contracts/{id}/activate"),
            Some(&who.requester),
            &json!({"disbursement_date": "2024-01-01"}),
        )
        .await;
    assert_eq!(activate.status(), 200);
    let fixed = put(&who.requester, plan).await.unwrap();
    assert_problem(fixed, &[409], Some("tranches_fixed")).await;

    for number in [1, 2] {
        for (actor, action) in [(&who.requester, "request"), (&who.approver, "approve")] {
            let moved = app
                .post(&tranche(id, number, action), Some(actor), &json!({}))
                .await;
            assert_eq!(moved.status(), 200);
        }
        let paid = app
            .post_with_key(
                &tranche(id, number, "disburse"),
                &who.finance,
                &format!("t{number}"),
                &json!({}),
            )
            .await;
        assert_eq!(paid.status(), 200);
        let expected = if number == 1 { "600.00" } else { "1000.00" };
        assert_eq!(scheduled_principal(&app, id).await, (6, amount(expected)));
    }
    assert_eq!(app.ledger.balance(&current).await, amount("1000.00"));
}
