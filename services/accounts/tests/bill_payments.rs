//! Paying the state and utilities against a real database and the simulated billing system:
//! an invoice is looked up by its number and paid once per key and once per invoice, with a
//! receipt in the reader's language; a paid or expired invoice, short money or another
//! client's account are refused with nothing moved; and while the billing system does not
//! answer, the money stays held (never lost, never paid twice) until the retry run or the
//! client's retry finds the answer.

mod common;

use std::sync::{Arc, Mutex};

use chrono::Duration;
use imkon_accounts::bill_payments::retry_pending;
use imkon_accounts::billing::{
    BillingError, BillingFuture, BillingSystem, Confirmation, Invoice, Settlement, SimulatedBilling,
};
use imkon_accounts::opening::seed_demo;
use imkon_accounts::{default_bank_code, AppState};
use imkon_platform::id::new_id;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{pdf_text, start_with, Harness};

/// How the billing system behaves in a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// As the simulated system does.
    Answers,
    /// It does not answer a settlement (a timeout, an outage).
    Silent,
    /// It refuses every settlement: the invoice's amount changed since it was looked up.
    RefusesAmount,
}

/// The simulated billing system behind a switch that can silence it or make it refuse: a
/// payee's system as the bank meets it on a bad day. Lookups always reach the simulated
/// system, and so do settlements while it answers.
struct SwitchedBilling {
    inner: SimulatedBilling,
    mode: Arc<Mutex<Mode>>,
}

impl BillingSystem for SwitchedBilling {
    fn lookup<'a>(&'a self, number: &'a str) -> BillingFuture<'a, Invoice> {
        self.inner.lookup(number)
    }

    fn settle<'a>(&'a self, settlement: &'a Settlement) -> BillingFuture<'a, Confirmation> {
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Answers => self.inner.settle(settlement),
            Mode::Silent => Box::pin(async { Err(BillingError::Unavailable("timed out".into())) }),
            Mode::RefusesAmount => Box::pin(async { Err(BillingError::AmountMismatch) }),
        }
    }
}

struct Started {
    harness: Harness,
    state: AppState,
    mode: Arc<Mutex<Mode>>,
}

async fn started(pool: PgPool) -> Started {
    let mode = Arc::new(Mutex::new(Mode::Answers));
    let switch = mode.clone();
    let mut captured = None;
    let harness = start_with(pool.clone(), |mut state| {
        state.billing = Arc::new(SwitchedBilling {
            inner: SimulatedBilling::new(pool, state.calendar.clone()),
            mode: switch,
        });
        captured = Some(state.clone());
        state
    })
    .await;
    seed_demo(&harness.pool, default_bank_code(), harness.calendar.now())
        .await
        .unwrap();
    Started {
        harness,
        state: captured.expect("the state was built"),
        mode,
    }
}

struct Client {
    token: String,
    current: String,
}

async fn client_with(harness: &Harness, money: &str) -> Client {
    let settlement = harness.open_settlement().await;
    let id = new_id();
    let current = harness.open_client_current(id).await;
    harness.fund(&settlement, &current, money).await;
    Client {
        token: harness.founder_token(id),
        current,
    }
}

async fn pay(harness: &Harness, client: &Client, key: &str, invoice: &str) -> reqwest::Response {
    harness
        .post(
            "/v1/me/bill-payments",
            &client.token,
            Some(key),
            &json!({"invoice_number": invoice, "from_account": client.current}),
        )
        .await
}

/// The account's posted balance and what is held on it (posted less available).
async fn balances(harness: &Harness, number: &str) -> (Decimal, Decimal) {
    let account = harness.account(number).await;
    let read = |field: &str| -> Decimal { account[field].as_str().unwrap().parse().unwrap() };
    let posted = read("posted_balance");
    (posted, posted - read("available_balance"))
}

/// A refusal with this status whose code, or one of whose field errors' codes, is `code`.
async fn assert_refused(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    let field_codes: Vec<&str> = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error["code"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        body["code"] == code || field_codes.contains(&code),
        "expected {code}: {body}"
    );
}

#[sqlx::test(migrations = false)]
async fn an_invoice_is_looked_up_paid_once_and_its_receipt_is_in_the_readers_language(
    pool: PgPool,
) {
    let Started { harness, .. } = started(pool).await;
    let client = client_with(&harness, "1000000.00").await;
    let stranger = client_with(&harness, "1000000.00").await;

    let payees: Vec<Value> = harness
        .get("/v1/billing/payees", &client.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(payees.len(), 5);
    assert!(payees.iter().any(|payee| payee["category"] == "fine"));
    assert_eq!(
        harness
            .get("/v1/billing/payees", &harness.service_token())
            .await
            .status(),
        403
    );

    let found = harness
        .get("/v1/billing/invoices/elec-5501-1126", &client.token)
        .await;
    assert_eq!(found.status(), 200);
    let found: Value = found.json().await.unwrap();
    assert_eq!(found["number"], "ELEC-5501-1126");
    assert_eq!(found["payee"]["code"], "electricity");
    assert_eq!(found["amount"], "186400.00");
    assert_eq!(found["status"], "payable");
    assert_refused(
        harness
            .get("/v1/billing/invoices/NOPE-0000-0000", &client.token)
            .await,
        404,
        "invoice_not_found",
    )
    .await;
    assert_refused(
        harness
            .get("/v1/billing/invoices/%3Cscript%3E", &client.token)
            .await,
        422,
        "invalid_invoice_number",
    )
    .await;

    let key = new_id().to_string();
    let paid = pay(&harness, &client, &key, "ELEC-5501-1126").await;
    assert_eq!(paid.status(), 201);
    let paid: Value = paid.json().await.unwrap();
    assert_eq!(paid["state"], "paid");
    let confirmation = paid["confirmation_number"].as_str().unwrap().to_owned();
    assert!(confirmation.starts_with("SB-"), "{confirmation}");
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(813600.00), dec!(0))
    );

    let again = pay(&harness, &client, &key, "ELEC-5501-1126").await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], paid["id"]);
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(813600.00), dec!(0))
    );
    assert_refused(
        pay(&harness, &client, &key, "DUTY-2026-000101").await,
        422,
        "idempotency_key_reused",
    )
    .await;
    assert_refused(
        pay(&harness, &client, &new_id().to_string(), "ELEC-5501-1126").await,
        409,
        "invoice_already_paid",
    )
    .await;
    let looked_again: Value = harness
        .get("/v1/billing/invoices/ELEC-5501-1126", &client.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(looked_again["status"], "paid");

    let id = paid["id"].as_str().unwrap();
    let receipt = harness
        .get(
            &format!("/v1/me/bill-payments/{id}/receipt.pdf?lang=ru"),
            &client.token,
        )
        .await;
    assert_eq!(receipt.status(), 200);
    assert_eq!(receipt.headers()["content-type"], "application/pdf");
    let text = pdf_text(&receipt.bytes().await.unwrap(), "bill-receipt-ru");
    for expected in [
        "Квитанция об оплате",
        "Hududiy elektr tarmoqlari AJ",
        "Коммунальные услуги",
        "ELEC-5501-1126",
        confirmation.as_str(),
        client.current.as_str(),
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    assert!(
        text.contains("186\u{a0}400,00") || text.contains("186 400,00"),
        "{text}"
    );
    let english = harness
        .get(
            &format!("/v1/me/bill-payments/{id}/receipt.pdf?lang=en"),
            &client.token,
        )
        .await;
    let text = pdf_text(&english.bytes().await.unwrap(), "bill-receipt-en");
    assert!(text.contains("Payment receipt"), "{text}");
    assert_refused(
        harness
            .get(
                &format!("/v1/me/bill-payments/{id}/receipt.pdf?lang=fr"),
                &client.token,
            )
            .await,
        422,
        "unknown_language",
    )
    .await;
    for path in [
        format!("/v1/me/bill-payments/{id}"),
        format!("/v1/me/bill-payments/{id}/receipt.pdf"),
    ] {
        assert_eq!(harness.get(&path, &stranger.token).await.status(), 404);
    }
    let listed: Vec<Value> = harness
        .get("/v1/me/bill-payments", &client.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let theirs: Vec<Value> = harness
        .get("/v1/me/bill-payments", &stranger.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());

    let statement: Value = harness
        .get(
            &format!("/v1/accounts/{}/statement", client.current),
            &client.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        statement.to_string().contains("bill_payment"),
        "the statement shows the payment: {statement}"
    );
    let told: i64 = sqlx::query_scalar(
        "select count(*) from outbox_event
         where topic = 'account.money_moved' and payload->>'movement' = 'bill_payment'",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);
    let audited: Vec<String> = sqlx::query_scalar(
        "select action from audit_record where subject_type = 'bill_payment' order by id",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(audited, ["bill_payment.requested", "bill_payment.paid"]);
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn paid_expired_unaffordable_or_foreign_payments_are_refused_and_nothing_moves(pool: PgPool) {
    let Started { harness, .. } = started(pool).await;
    let client = client_with(&harness, "100000.00").await;
    let stranger = client_with(&harness, "2000000.00").await;

    assert_refused(
        pay(&harness, &client, &new_id().to_string(), "GAS-3307-1126").await,
        409,
        "invoice_already_paid",
    )
    .await;
    assert_refused(
        pay(&harness, &client, &new_id().to_string(), "ELEC-5501-0926").await,
        409,
        "invoice_expired",
    )
    .await;
    assert_refused(
        pay(&harness, &client, &new_id().to_string(), "TAX-2026-1203").await,
        422,
        "insufficient_funds",
    )
    .await;
    let from_theirs = harness
        .post(
            "/v1/me/bill-payments",
            &client.token,
            Some(&new_id().to_string()),
            &json!({"invoice_number": "FINE-77-4410023", "from_account": stranger.current}),
        )
        .await;
    assert_refused(from_theirs, 404, "unknown_account").await;
    let no_key = harness
        .post(
            "/v1/me/bill-payments",
            &client.token,
            None,
            &json!({"invoice_number": "FINE-77-4410023", "from_account": client.current}),
        )
        .await;
    assert_eq!(no_key.status(), 400);
    let staff = harness.staff_token(imkon_auth::Role::Finance);
    assert_eq!(
        harness
            .post(
                "/v1/me/bill-payments",
                &staff,
                Some(&new_id().to_string()),
                &json!({"invoice_number": "FINE-77-4410023", "from_account": client.current}),
            )
            .await
            .status(),
        403
    );

    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(100000.00), dec!(0))
    );
    assert_eq!(
        balances(&harness, &stranger.current).await,
        (dec!(2000000.00), dec!(0))
    );
    let written: i64 = sqlx::query_scalar("select count(*) from bill_payment")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(
        written, 0,
        "a refusal before any money moved writes nothing down"
    );
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn two_clients_paying_one_invoice_at_once_pay_it_once(pool: PgPool) {
    let Started { harness, .. } = started(pool).await;
    let first = client_with(&harness, "500000.00").await;
    let second = client_with(&harness, "500000.00").await;
    let (first_key, second_key) = (new_id().to_string(), new_id().to_string());
    let (one, two) = tokio::join!(
        pay(&harness, &first, &first_key, "FINE-77-4410023"),
        pay(&harness, &second, &second_key, "FINE-77-4410023"),
    );
    let mut statuses = [one.status().as_u16(), two.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let spent = (dec!(500000.00) - balances(&harness, &first.current).await.0)
        + (dec!(500000.00) - balances(&harness, &second.current).await.0);
    assert_eq!(spent, dec!(412000.00), "one of them paid, once");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn while_the_billing_system_is_silent_the_money_stays_held_until_it_answers(pool: PgPool) {
    let Started {
        harness,
        state,
        mode,
    } = started(pool).await;
    let client = client_with(&harness, "1000000.00").await;

    *mode.lock().unwrap() = Mode::Silent;
    let key = new_id().to_string();
    let held = pay(&harness, &client, &key, "DUTY-2026-000101").await;
    assert_eq!(held.status(), 202);
    let held: Value = held.json().await.unwrap();
    assert_eq!(held["state"], "pending");
    assert!(held["confirmation_number"].is_null());
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(1000000.00), dec!(340000.00)),
        "held, not taken"
    );
    let receipt = harness
        .get(
            &format!(
                "/v1/me/bill-payments/{}/receipt.pdf",
                held["id"].as_str().unwrap()
            ),
            &client.token,
        )
        .await;
    assert_refused(receipt, 409, "receipt_not_ready").await;

    // The retry run waits until a payment is no longer fresh, then asks again: still silent.
    harness
        .clock
        .set(harness.calendar.now() + Duration::minutes(2));
    assert_eq!(retry_pending(&state).await.unwrap(), 0);
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(1000000.00), dec!(340000.00))
    );

    *mode.lock().unwrap() = Mode::Answers;
    assert_eq!(retry_pending(&state).await.unwrap(), 1);
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(660000.00), dec!(0))
    );
    let replayed = pay(&harness, &client, &key, "DUTY-2026-000101").await;
    assert_eq!(replayed.status(), 201);
    let replayed: Value = replayed.json().await.unwrap();
    assert_eq!(replayed["state"], "paid");
    assert_eq!(retry_pending(&state).await.unwrap(), 0);
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(660000.00), dec!(0)),
        "paid once"
    );

    // A billing system that refuses at settlement: the hold is voided, nothing is taken.
    *mode.lock().unwrap() = Mode::RefusesAmount;
    let refused = pay(&harness, &client, &new_id().to_string(), "FINE-77-4410023").await;
    assert_refused(refused, 409, "invoice_amount_mismatch").await;
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(660000.00), dec!(0))
    );
    let states: Vec<String> =
        sqlx::query_scalar("select state from bill_payment order by created_at")
            .fetch_all(&harness.pool)
            .await
            .unwrap();
    assert_eq!(states, ["paid", "refused"]);
    *mode.lock().unwrap() = Mode::Answers;
    let paid_after_all = pay(&harness, &client, &new_id().to_string(), "FINE-77-4410023").await;
    assert_eq!(
        paid_after_all.status(),
        201,
        "a refused payment does not block the invoice"
    );
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(248000.00), dec!(0))
    );
    harness.assert_invariants().await;
}
