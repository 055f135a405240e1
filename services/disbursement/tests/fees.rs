//! Arrangement fees: carried from the approval into the contract and its document, kept back
//! from the first payout or paid up front at signing, each exactly once, into the bank's fee
//! income; a fee paid up front is given back once when the signed contract is cancelled before
//! any payout.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use imkon_auth::Role;
use imkon_disbursement::ledger::{Ledger, LedgerError, LedgerFuture, OpenAccount, TransferRequest};
use imkon_platform::money::Currency;
use imkon_platform::testing::assert_problem;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_loan, pdf_text, person, Staffed, TestApp};
use uuid::Uuid;

fn amount(text: &str) -> Decimal {
    text.parse().unwrap()
}

async fn read(app: &TestApp, path: &str, who: &imkon_auth::Principal) -> Value {
    let response = app.get(path, Some(who)).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// The bank's fee income in sums, zero before the account is first used.
async fn fee_income(app: &TestApp) -> Decimal {
    sqlx::query_scalar(
        "select coalesce(sum(balance), 0) from test_ledger_account where kind = 'fee_income'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// The ledger's books balance: every transfer's debits equal its credits.
async fn assert_books_balance(app: &TestApp) {
    let unbalanced: i64 = sqlx::query_scalar(
        "select count(*) from (
             select transfer_id from test_ledger_entry group by transfer_id
             having sum(amount) filter (where side = 'debit')
                 <> sum(amount) filter (where side = 'credit')) unbalanced",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(unbalanced, 0);
}

async fn audited(app: &TestApp, id: Uuid) -> Vec<Value> {
    sqlx::query_scalar(
        "select after from audit_record
         where subject_id = $1 and action = 'contract.arrangement_fee_collected'",
    )
    .bind(id.to_string())
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn loan_account_balance(app: &TestApp, contract: &Value) -> Decimal {
    app.ledger
        .balance(contract["loan_account_number"].as_str().unwrap())
        .await
}

/// An officer activates the signed contract at `path` on 1 January 2024, and two officers
/// request and approve its first tranche.
async fn activate_and_approve_first_tranche(app: &TestApp, who: &Staffed, path: &str) {
    let activated = app
        .post(
            &format!("{path}/activate"),
            Some(&who.requester),
            &json!({"disbursement_date": "2024-01-01"}),
        )
        .await;
    assert_eq!(activated.status(), 200);
    for (actor, action) in [(&who.requester, "request"), (&who.approver, "approve")] {
        let step = app
            .post(
                &format!("{path}/tranches/1/{action}"),
                Some(actor),
                &json!({}),
            )
            .await;
        assert_eq!(step.status(), 200);
    }
}

#[sqlx::test(migrations = false)]
async fn a_percent_fee_is_kept_back_from_the_first_payout_once_and_the_loan_owes_the_whole(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let mut payload = approved_loan(who.founder.client_id().unwrap(), "10000000.30");
    payload["arrangement_fee_percent"] = json!("1.5");
    payload["late_charge"] = json!("5000.00");
    let id = app.contract_from(&who.founder, &payload).await;

    // 1.5% of 10 000 000.30 is 150 000.0045: half-even to the tiyin, 150 000.00.
    let path = format!("/v1/contracts/{id}");
    let draft = read(&app, &path, &who.founder).await;
    assert_eq!(
        draft["arrangement_fee"],
        json!({"amount": "150000.00", "collection": "deducted", "transfer_id": null,
               "refund_transfer_id": null})
    );
    let document = app
        .get(&format!("{path}/document.pdf?lang=en"), Some(&who.founder))
        .await
        .bytes()
        .await
        .unwrap();
    let text = pdf_text(&document);
    assert!(
        text.contains("UZS 150,000.00: arrangement fee, kept back from the"),
        "{text}"
    );
    assert!(
        text.contains("One-off charge for each instalment") && text.contains("UZS 5,000.00"),
        "{text}"
    );
    assert_eq!(draft["late_charge"], "5000.00");

    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "0.00")
        .await;
    let signed = app.sign(id, &who.founder).await;
    assert_eq!(
        signed.status(),
        200,
        "a deducted fee takes nothing at signing"
    );
    assert_eq!(fee_income(&app).await, Decimal::ZERO);
    activate_and_approve_first_tranche(&app, &who, &path).await;
    let disburse = format!("{path}/tranches/1/disburse");
    let paid = app
        .post_with_key(&disburse, &who.finance, "pay-once", &json!({}))
        .await;
    assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
    let retried = app
        .post_with_key(&disburse, &who.finance, "pay-once", &json!({}))
        .await;
    assert_eq!(retried.status(), 200);

    assert_eq!(app.ledger.balance(&current).await, amount("9850000.30"));
    assert_eq!(fee_income(&app).await, amount("150000.00"));
    let contract = read(&app, &path, &who.founder).await;
    assert_eq!(
        loan_account_balance(&app, &contract).await,
        amount("10000000.30"),
        "the founder owes the whole payout, fee included"
    );
    let tranche_transfer = contract["tranches"][0]["transfer_id"].clone();
    assert_eq!(contract["arrangement_fee"]["transfer_id"], tranche_transfer);
    let schedule = read(&app, &format!("{path}/schedule"), &who.founder).await;
    assert_eq!(schedule["total_principal"], "10000000.30");
    let records = audited(&app, id).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["amount"], json!("150000.00"));
    assert_eq!(records[0]["collection"], json!("deducted"));
    assert_books_balance(&app).await;
}

#[sqlx::test(migrations = false)]
async fn an_upfront_fee_is_paid_when_signing_and_without_the_money_the_contract_stays_unsigned(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let mut payload = approved_loan(who.founder.client_id().unwrap(), "5000000.00");
    payload["arrangement_fee_fixed"] = json!("250000");
    payload["arrangement_fee_collection"] = json!("upfront");
    let id = app.contract_from(&who.founder, &payload).await;
    let path = format!("/v1/contracts/{id}");

    // No current account, then one too poor: nothing is signed and nothing is taken.
    let refused = app.sign(id, &who.founder).await;
    assert_problem(refused, &[422], Some("no_current_account")).await;
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "249999.99")
        .await;
    let refused = app.sign(id, &who.founder).await;
    assert_problem(refused, &[422], Some("insufficient_funds")).await;
    let draft = read(&app, &path, &who.founder).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["arrangement_fee"]["transfer_id"], Value::Null);
    assert_eq!(app.ledger.balance(&current).await, amount("249999.99"));
    assert_eq!(fee_income(&app).await, Decimal::ZERO);

    app.ledger
        .move_cash(&current, "100.01", true, "top-up")
        .await;
    let signed = app.sign(id, &who.founder).await;
    assert_eq!(signed.status(), 200, "{}", signed.text().await.unwrap());
    let again = app.sign(id, &who.founder).await;
    assert_problem(again, &[409], Some("contract_wrong_state")).await;
    assert_eq!(app.ledger.balance(&current).await, amount("100.00"));
    assert_eq!(fee_income(&app).await, amount("250000.00"));
    let contract = read(&app, &path, &who.founder).await;
    assert_eq!(contract["status"], "signed");
    assert_eq!(contract["arrangement_fee"]["amount"], "250000.00");
    assert_eq!(contract["arrangement_fee"]["collection"], "upfront");
    assert!(contract["arrangement_fee"]["transfer_id"].is_string());
    assert_eq!(app.ledger.transfers_for(&format!("contract:{id}")).await, 1);

    // The payout is then whole: the fee is not taken a second time.
    activate_and_approve_first_tranche(&app, &who, &path).await;
    let paid = app
        .post_with_key(
            &format!("{path}/tranches/1/disburse"),
            &who.finance,
            "pay",
            &json!({}),
        )
        .await;
    assert_eq!(paid.status(), 200);
    assert_eq!(app.ledger.balance(&current).await, amount("5000100.00"));
    assert_eq!(fee_income(&app).await, amount("250000.00"));
    let records = audited(&app, id).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["collection"], json!("upfront"));
    assert_books_balance(&app).await;
}

#[sqlx::test(migrations = false)]
async fn a_tranche_plan_whose_tranche_would_not_cover_the_deducted_fee_is_refused(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let mut payload = approved_loan(who.founder.client_id().unwrap(), "1000.00");
    payload["arrangement_fee_fixed"] = json!("100.00");
    let id = app.contract_from(&who.founder, &payload).await;
    let path = format!("/v1/contracts/{id}");
    let plan = |tranches: Value| {
        app.server
            .client
            .put(app.url(&format!("{path}/tranches")))
            .bearer_auth(app.bearer(&who.requester))
            .json(&json!({ "tranches": tranches }))
            .send()
    };
    let refused = plan(json!([
        {"amount": "900.00", "purpose": "equipment"},
        {"amount": "100.00", "purpose": "deposit"}
    ]))
    .await
    .unwrap();
    let problem = assert_problem(refused, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "tranches[1].amount");
    assert_eq!(problem["errors"][0]["code"], "not_above_fee");
    let planned = plan(json!([
        {"amount": "100.01", "purpose": "deposit"},
        {"amount": "899.99", "purpose": "equipment"}
    ]))
    .await
    .unwrap();
    assert_eq!(planned.status(), 200);

    // The first payout then keeps the fee back and pays the one tiyin above it.
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "0.00")
        .await;
    assert_eq!(app.sign(id, &who.founder).await.status(), 200);
    activate_and_approve_first_tranche(&app, &who, &path).await;
    let paid = app
        .post_with_key(
            &format!("{path}/tranches/1/disburse"),
            &who.finance,
            "first",
            &json!({}),
        )
        .await;
    assert_eq!(paid.status(), 200);
    assert_eq!(app.ledger.balance(&current).await, amount("0.01"));
    assert_eq!(fee_income(&app).await, amount("100.00"));
}

#[sqlx::test(migrations = false)]
async fn an_approval_with_an_unusable_fee_makes_no_contract(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let client_id = who.founder.client_id().unwrap();
    for (fields, field) in [
        (
            json!({"arrangement_fee_fixed": "10", "arrangement_fee_percent": "1"}),
            "arrangement_fee_percent",
        ),
        (
            json!({"arrangement_fee_fixed": "1000.00"}),
            "arrangement_fee",
        ),
        (json!({"arrangement_fee_fixed": "-1"}), "arrangement_fee"),
        (json!({"arrangement_fee_percent": "100"}), "arrangement_fee"),
        (
            json!({"arrangement_fee_percent": "2", "arrangement_fee_collection": "later"}),
            "arrangement_fee_collection",
        ),
    ] {
        let mut payload = approved_loan(client_id, "1000.00");
        for (name, value) in fields.as_object().unwrap() {
            payload[name] = value.clone();
        }
        let delivered = app
            .deliver(Uuid::now_v7(), "application.approved", &payload)
            .await;
        let problem = assert_problem(delivered, &[422], None).await;
        assert_eq!(problem["errors"][0]["field"], field, "{fields}");
    }
    let page = read(&app, "/v1/me/contracts", &who.founder).await;
    assert_eq!(page["items"], json!([]));
}

/// The events asking applications to release a cancelled contract's budget.
async fn cancelled_events(app: &TestApp, id: Uuid) -> i64 {
    sqlx::query_scalar(
        "select count(*) from outbox_event
         where topic = 'contract.cancelled' and payload ->> 'contract_id' = $1",
    )
    .bind(id.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn refunds_audited(app: &TestApp, id: Uuid) -> Vec<Value> {
    sqlx::query_scalar(
        "select after from audit_record
         where subject_id = $1 and action = 'contract.arrangement_fee_refunded'",
    )
    .bind(id.to_string())
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// A loan of 5 000 000 with a fee of 250 000 paid up front, approved `approved_at`, signed by
/// its founder from a current account that held 300 000. Returns the contract and the account.
async fn signed_with_upfront_fee(
    app: &TestApp,
    who: &Staffed,
    approved_at: Value,
) -> (Uuid, String) {
    let mut payload = approved_loan(who.founder.client_id().unwrap(), "5000000.00");
    payload["arrangement_fee_fixed"] = json!("250000");
    payload["arrangement_fee_collection"] = json!("upfront");
    payload["approved_at"] = approved_at;
    let id = app.contract_from(&who.founder, &payload).await;
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "300000.00")
        .await;
    let signed = app.sign(id, &who.founder).await;
    assert_eq!(signed.status(), 200, "{}", signed.text().await.unwrap());
    assert_eq!(app.ledger.balance(&current).await, amount("50000.00"));
    assert_eq!(fee_income(app).await, amount("250000.00"));
    (id, current)
}

#[sqlx::test(migrations = false)]
async fn a_signed_contract_cancelled_before_any_payout_gives_the_upfront_fee_back_once(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let (id, current) = signed_with_upfront_fee(&app, &who, json!(yesterday)).await;
    let path = format!("/v1/contracts/{id}/cancel");
    let reason = json!({"reason": "The equipment supplier went out of business."});

    // Another founder cannot see it; staff wait the configured days after the approval.
    let stranger = person(&[Role::Client]);
    let theirs = app.post(&path, Some(&stranger), &reason).await;
    assert_problem(theirs, &[404], Some("contract_not_found")).await;
    let early = app.post(&path, Some(&who.requester), &reason).await;
    assert_problem(early, &[403], Some("cancel_too_early")).await;
    assert_eq!(app.ledger.balance(&current).await, amount("50000.00"));
    assert_eq!(cancelled_events(&app, id).await, 0);

    let cancelled = app.post(&path, Some(&who.founder), &reason).await;
    assert_eq!(
        cancelled.status(),
        200,
        "{}",
        cancelled.text().await.unwrap()
    );
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    let refund = cancelled["arrangement_fee"]["refund_transfer_id"].clone();
    assert!(refund.is_string(), "{cancelled}");
    assert_ne!(refund, cancelled["arrangement_fee"]["transfer_id"]);
    assert_eq!(app.ledger.balance(&current).await, amount("300000.00"));
    assert_eq!(fee_income(&app).await, Decimal::ZERO);

    // A retried cancellation finds the contract cancelled and moves nothing again.
    let again = app.post(&path, Some(&who.founder), &reason).await;
    assert_problem(again, &[409], Some("contract_wrong_state")).await;
    assert_eq!(app.ledger.balance(&current).await, amount("300000.00"));
    assert_eq!(
        app.ledger.transfers_for(&format!("contract:{id}")).await,
        2,
        "the fee and its refund"
    );
    let contract = read(&app, &format!("/v1/contracts/{id}"), &who.founder).await;
    assert_eq!(contract["arrangement_fee"]["refund_transfer_id"], refund);
    let records = refunds_audited(&app, id).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["amount"], json!("250000.00"));
    assert_eq!(records[0]["refund_transfer_id"], refund);
    assert_eq!(
        cancelled_events(&app, id).await,
        1,
        "the budget is released once"
    );
    assert_books_balance(&app).await;
}

#[sqlx::test(migrations = false)]
async fn a_contract_cancelled_before_signing_or_without_an_upfront_fee_refunds_nothing(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let mut payload = approved_loan(who.founder.client_id().unwrap(), "1000.00");
    payload["arrangement_fee_fixed"] = json!("100.00");
    let id = app.contract_from(&who.founder, &payload).await;
    let current = app
        .ledger
        .open_current_account(who.founder.client_id().unwrap(), "0.00")
        .await;
    assert_eq!(app.sign(id, &who.founder).await.status(), 200);
    let cancelled = app
        .post(
            &format!("/v1/contracts/{id}/cancel"),
            Some(&who.founder),
            &json!({"reason": "No longer needed."}),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(
        cancelled["arrangement_fee"],
        json!({"amount": "100.00", "collection": "deducted", "transfer_id": null,
               "refund_transfer_id": null}),
        "a fee kept back from a payout that never came was never taken"
    );
    assert_eq!(app.ledger.balance(&current).await, Decimal::ZERO);
    assert_eq!(fee_income(&app).await, Decimal::ZERO);
    assert!(refunds_audited(&app, id).await.is_empty());
    assert_eq!(cancelled_events(&app, id).await, 1);
}

#[sqlx::test(migrations = false)]
async fn once_money_went_out_a_signed_contract_cannot_be_cancelled_and_the_fee_stays(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let (id, current) = signed_with_upfront_fee(&app, &who, json!("2024-01-01T09:00:00Z")).await;
    let path = format!("/v1/contracts/{id}");
    let cancel = format!("{path}/cancel");
    let reason = json!({"reason": "Too late for this."});
    activate_and_approve_first_tranche(&app, &who, &path).await;
    let activated = app.post(&cancel, Some(&who.founder), &reason).await;
    assert_problem(activated, &[409], Some("contract_wrong_state")).await;
    let paid = app
        .post_with_key(
            &format!("{path}/tranches/1/disburse"),
            &who.finance,
            "pay",
            &json!({}),
        )
        .await;
    assert_eq!(paid.status(), 200);
    for canceller in [&who.founder, &who.requester] {
        let refused = app.post(&cancel, Some(canceller), &reason).await;
        assert_problem(refused, &[409], Some("contract_wrong_state")).await;
    }
    assert_eq!(app.ledger.balance(&current).await, amount("5050000.00"));
    assert_eq!(fee_income(&app).await, amount("250000.00"));
    assert!(refunds_audited(&app, id).await.is_empty());
    assert_eq!(cancelled_events(&app, id).await, 0);
}

/// A ledger that posts the first refund it is asked for and then loses the answer, as when the
/// network drops the reply or this service dies before it commits.
struct LosesFirstRefundAnswer {
    inner: Arc<support::TestLedger>,
    lost: AtomicBool,
}

impl Ledger for LosesFirstRefundAnswer {
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
            let refund = request.idempotency_key.ends_with(":arrangement-fee-refund");
            let posted = self.inner.post_transfer(request).await;
            if refund && !self.lost.swap(true, Ordering::SeqCst) {
                return Err(LedgerError::Unavailable("the answer was lost".to_owned()));
            }
            posted
        })
    }

    fn account_balance(&self, number: String) -> LedgerFuture<'_, Decimal> {
        self.inner.account_balance(number)
    }
}

#[sqlx::test(migrations = false)]
async fn a_cancellation_whose_refund_answer_was_lost_is_retried_and_refunds_once(pool: PgPool) {
    let app = support::start_with_ledger(pool, |inner| {
        Arc::new(LosesFirstRefundAnswer {
            inner,
            lost: AtomicBool::new(false),
        })
    })
    .await;
    let who = Staffed::new();
    // Approved long ago: credit staff may cancel it, not only its founder.
    let (id, current) = signed_with_upfront_fee(&app, &who, json!("2024-01-01T09:00:00Z")).await;
    let path = format!("/v1/contracts/{id}/cancel");
    let reason = json!({"reason": "Not taken up within the month."});

    let lost = app.post(&path, Some(&who.requester), &reason).await;
    assert_problem(lost, &[502], Some("ledger_unavailable")).await;
    assert_eq!(
        app.ledger.balance(&current).await,
        amount("300000.00"),
        "the money moved"
    );
    let contract = read(&app, &format!("/v1/contracts/{id}"), &who.founder).await;
    assert_eq!(contract["status"], "signed", "nothing was marked");
    assert_eq!(cancelled_events(&app, id).await, 0);

    let retried = app.post(&path, Some(&who.requester), &reason).await;
    assert_eq!(retried.status(), 200, "{}", retried.text().await.unwrap());
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["status"], "cancelled");
    assert_eq!(
        app.ledger.balance(&current).await,
        amount("300000.00"),
        "and only once"
    );
    assert_eq!(fee_income(&app).await, Decimal::ZERO);
    assert_eq!(app.ledger.transfers_for(&format!("contract:{id}")).await, 2);
    assert_eq!(refunds_audited(&app, id).await.len(), 1);
    assert_eq!(cancelled_events(&app, id).await, 1);
    assert_books_balance(&app).await;
}
