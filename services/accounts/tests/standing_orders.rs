//! Payment templates and standing orders: a template is checked when it is saved; the daily
//! run pays a standing order on its day once, however often and by however many runners it is
//! run, skips it (never overdrawing) when the money is short or the daily limit would be
//! passed, and tells the client either way; a cancelled order is paid no more.

mod common;

use chrono::{Datelike, Days, Months, NaiveDate};
use imkon_accounts::domain::client_transfer::ClientTransferPolicy;
use imkon_accounts::standing_orders::{run_for_date, run_through, RunReport};
use imkon_accounts::AppState;
use imkon_platform::id::new_id;
use imkon_platform::money::{Currency, Money};
use imkon_platform::testing::assert_problem;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start_with, Harness};

/// The service with its state, so that a test can run the daily job itself.
async fn started(pool: PgPool, policy: ClientTransferPolicy) -> (Harness, AppState) {
    let mut captured = None;
    let harness = start_with(pool, |mut state| {
        state.client_transfer_policy = policy;
        captured = Some(state.clone());
        state
    })
    .await;
    (harness, captured.expect("the state was built"))
}

/// The first date on or after `from` that falls on the 5th of a month.
fn next_fifth(from: NaiveDate) -> NaiveDate {
    let fifth = from.with_day(5).unwrap();
    if fifth >= from {
        fifth
    } else {
        fifth.checked_add_months(Months::new(1)).unwrap()
    }
}

async fn balance(harness: &Harness, number: &str) -> Decimal {
    harness.account(number).await["posted_balance"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn movements(harness: &Harness) -> Vec<String> {
    let rows: Vec<(Value,)> = sqlx::query_as(
        "select payload from outbox_event where topic = 'account.money_moved' order by id",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(payload,)| payload["movement"].as_str().unwrap().to_owned())
        .collect()
}

struct Clients {
    token: String,
    mine: String,
    theirs: String,
    their_token: String,
}

async fn two_clients(harness: &Harness, balance: &str) -> Clients {
    let settlement = harness.open_settlement().await;
    let me = new_id();
    let them = new_id();
    let mine = harness.open_client_current(me).await;
    let theirs = harness.open_client_current(them).await;
    harness.fund(&settlement, &mine, balance).await;
    Clients {
        token: harness.founder_token(me),
        mine,
        theirs,
        their_token: harness.founder_token(them),
    }
}

async fn template(harness: &Harness, clients: &Clients, amount: &str) -> Value {
    let response = harness
        .post(
            "/v1/me/payment-templates",
            &clients.token,
            None,
            &json!({"name": "Rent", "from_account": clients.mine, "to_account": clients.theirs, "amount": amount}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn standing_order(
    harness: &Harness,
    token: &str,
    template: &Value,
    day: i16,
) -> reqwest::Response {
    harness
        .post(
            "/v1/me/standing-orders",
            token,
            None,
            &json!({"template_id": template["id"], "day_of_month": day}),
        )
        .await
}

#[sqlx::test(migrations = false)]
async fn a_standing_order_is_paid_on_its_day_once_and_skipped_when_the_money_is_short(
    pool: PgPool,
) {
    let (harness, state) = started(pool, ClientTransferPolicy::standard()).await;
    let clients = two_clients(&harness, "300.00").await;

    // A template is checked as a transfer would be.
    let save = |body: Value, token: String| {
        let harness = &harness;
        async move {
            harness
                .post("/v1/me/payment-templates", &token, None, &body)
                .await
        }
    };
    let body = |from: &str, to: &str, amount: &str| json!({"name": "Rent", "from_account": from, "to_account": to, "amount": amount});
    assert_problem(
        save(
            body(&clients.theirs, &clients.mine, "1"),
            clients.token.clone(),
        )
        .await,
        &[404],
        Some("unknown_account"),
    )
    .await;
    let same = assert_problem(
        save(
            body(&clients.mine, &clients.mine, "1"),
            clients.token.clone(),
        )
        .await,
        &[422],
        None,
    )
    .await;
    assert_eq!(same["errors"][0]["code"], "same_account");
    assert_problem(
        save(
            body(&clients.mine, &clients.theirs, "1.001"),
            clients.token.clone(),
        )
        .await,
        &[422],
        Some("too_many_decimals"),
    )
    .await;
    let dollars: Value = harness
        .post(
            "/v1/me/accounts",
            &clients.their_token,
            Some(&new_id().to_string()),
            &json!({"currency": "USD"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let mismatch = assert_problem(
        save(
            body(&clients.mine, dollars["number"].as_str().unwrap(), "1"),
            clients.token.clone(),
        )
        .await,
        &[422],
        None,
    )
    .await;
    assert_eq!(mismatch["errors"][0]["code"], "currency_mismatch");

    let rent = template(&harness, &clients, "100.00").await;
    assert_eq!(rent["currency"], "UZS");
    let listed: Value = harness
        .get("/v1/me/payment-templates", &clients.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let others: Value = harness
        .get("/v1/me/payment-templates", &clients.their_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(others, json!([]), "another client sees none of them");

    // A standing order: on a day 1 to 28, from today, of one's own template only.
    for day in [0, 29] {
        let refused = assert_problem(
            standing_order(&harness, &clients.token, &rent, day).await,
            &[422],
            None,
        )
        .await;
        assert_eq!(refused["errors"][0]["code"], "day_of_month_out_of_range");
    }
    assert_problem(
        standing_order(&harness, &clients.their_token, &rent, 5).await,
        &[404],
        None,
    )
    .await;
    let yesterday = harness.calendar.today().pred_opt().unwrap();
    let refused = assert_problem(
        harness
            .post(
                "/v1/me/standing-orders",
                &clients.token,
                None,
                &json!({"template_id": rent["id"], "day_of_month": 5, "starts_on": yesterday}),
            )
            .await,
        &[422],
        None,
    )
    .await;
    assert_eq!(refused["errors"][0]["code"], "starts_in_the_past");
    let order: Value = standing_order(&harness, &clients.token, &rent, 5)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["state"], "active");

    // Paid on the 5th, once, however often the run goes; nothing on other days.
    let first = next_fifth(harness.calendar.today());
    let paid = run_for_date(&state, first).await.unwrap();
    assert_eq!(
        paid,
        RunReport {
            booked: 1,
            skipped: 0
        }
    );
    assert_eq!(
        run_for_date(&state, first).await.unwrap(),
        RunReport::default()
    );
    assert_eq!(
        run_through(&state, first.checked_add_days(Days::new(3)).unwrap())
            .await
            .unwrap(),
        RunReport::default(),
        "the catch-up finds the 5th decided"
    );
    assert_eq!(balance(&harness, &clients.mine).await, Decimal::new(200, 0));
    assert_eq!(
        balance(&harness, &clients.theirs).await,
        Decimal::new(100, 0)
    );

    // Two more months empty the account; the fourth is skipped, and nothing is overdrawn.
    for months in 1..=3 {
        let day = first.checked_add_months(Months::new(months)).unwrap();
        run_for_date(&state, day).await.unwrap();
    }
    assert_eq!(balance(&harness, &clients.mine).await, Decimal::ZERO);
    assert_eq!(
        balance(&harness, &clients.theirs).await,
        Decimal::new(300, 0)
    );
    let orders: Value = harness
        .get("/v1/me/standing-orders", &clients.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(orders[0]["last_outcome"], "skipped", "{orders}");
    assert_eq!(orders[0]["last_reason"], "insufficient_funds");
    assert_eq!(
        movements(&harness).await,
        [
            "transfer_sent",
            "transfer_received",
            "transfer_sent",
            "transfer_received",
            "transfer_sent",
            "transfer_received",
            "standing_order_skipped"
        ],
        "the client is told of each payment and of the skip, the recipient of each payment"
    );

    // Cancelled, it is paid no more; only its owner cancels it.
    let path = format!(
        "/v1/me/standing-orders/{}/cancel",
        order["id"].as_str().unwrap()
    );
    assert_problem(
        harness
            .post(&path, &clients.their_token, None, &json!({}))
            .await,
        &[404],
        None,
    )
    .await;
    let cancelled: Value = harness
        .post(&path, &clients.token, None, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["state"], "cancelled");
    assert_problem(
        harness.post(&path, &clients.token, None, &json!({})).await,
        &[404],
        None,
    )
    .await;
    settle_and_run(
        &harness,
        &state,
        &clients,
        first.checked_add_months(Months::new(4)).unwrap(),
    )
    .await;
    assert_eq!(
        balance(&harness, &clients.mine).await,
        Decimal::new(500, 0),
        "not paid"
    );
    harness.assert_invariants().await;
}

/// Puts 500 back on the source account and runs the job for `day`.
async fn settle_and_run(harness: &Harness, state: &AppState, clients: &Clients, day: NaiveDate) {
    let settlement = harness.open_settlement().await;
    harness.fund(&settlement, &clients.mine, "500.00").await;
    assert_eq!(
        run_for_date(state, day).await.unwrap(),
        RunReport::default()
    );
}

#[sqlx::test(migrations = false)]
async fn two_runners_at_once_pay_a_standing_order_once(pool: PgPool) {
    let (harness, state) = started(pool, ClientTransferPolicy::standard()).await;
    let clients = two_clients(&harness, "1000.00").await;
    let rent = template(&harness, &clients, "100.00").await;
    for _ in 0..5 {
        let created = standing_order(&harness, &clients.token, &rent, 5).await;
        assert_eq!(created.status(), 201);
    }
    let day = next_fifth(harness.calendar.today());
    let (one, other) = tokio::join!(run_for_date(&state, day), run_for_date(&state, day));
    let (one, other) = (one.unwrap(), other.unwrap());
    assert_eq!(one.booked + other.booked, 5, "{one:?} {other:?}");
    assert_eq!(balance(&harness, &clients.mine).await, Decimal::new(500, 0));
    let sent = movements(&harness)
        .await
        .into_iter()
        .filter(|movement| movement == "transfer_sent")
        .count();
    assert_eq!(sent, 5, "each payment told once");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_payment_past_the_daily_limit_is_skipped(pool: PgPool) {
    let limit = Money::new(Decimal::new(150, 0), Currency::Uzs).unwrap();
    let (harness, state) = started(
        pool,
        ClientTransferPolicy::standard().with_daily_limit(limit),
    )
    .await;
    let clients = two_clients(&harness, "1000.00").await;
    let rent = template(&harness, &clients, "100.00").await;
    for _ in 0..2 {
        standing_order(&harness, &clients.token, &rent, 5).await;
    }
    let report = run_for_date(&state, next_fifth(harness.calendar.today()))
        .await
        .unwrap();
    assert_eq!(
        report,
        RunReport {
            booked: 1,
            skipped: 1
        }
    );
    assert_eq!(balance(&harness, &clients.mine).await, Decimal::new(900, 0));
    let orders: Value = harness
        .get("/v1/me/standing-orders", &clients.token)
        .await
        .json()
        .await
        .unwrap();
    let reasons: Vec<&Value> = orders
        .as_array()
        .unwrap()
        .iter()
        .map(|order| &order["last_reason"])
        .collect();
    assert!(
        reasons.contains(&&json!("daily_limit_exceeded")),
        "{orders}"
    );
}
