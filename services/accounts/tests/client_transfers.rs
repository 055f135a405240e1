//! A signed-in client sends money by account number: a quote, a confirmation with its token,
//! a daily limit, and every refusal.

mod common;

use imkon_accounts::domain::client_transfer::ClientTransferPolicy;
use imkon_platform::id::new_id;
use imkon_platform::money::{Currency, Money};
use imkon_platform::testing::assert_problem;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start, start_with, Harness};

struct Clients {
    mine: String,
    theirs: String,
    token: String,
}

/// Two clients with a current account each; mine holds `balance`.
async fn two_clients(harness: &Harness, balance: &str) -> Clients {
    let settlement = harness.open_settlement().await;
    let me = new_id();
    let mine = harness.open_client_current(me).await;
    let theirs = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &mine, balance).await;
    Clients {
        mine,
        theirs,
        token: harness.founder_token(me),
    }
}

async fn quote(harness: &Harness, clients: &Clients, amount: &str) -> reqwest::Response {
    harness
        .post(
            "/v1/me/transfers/quote",
            &clients.token,
            None,
            &json!({"from_account": clients.mine, "to_account": clients.theirs, "amount": amount}),
        )
        .await
}

async fn confirm(
    harness: &Harness,
    clients: &Clients,
    quote: &Value,
    key: &str,
) -> reqwest::Response {
    harness
        .post(
            "/v1/me/transfers/confirm",
            &clients.token,
            Some(key),
            &json!({"quote_id": quote["quote_id"], "confirmation_token": quote["confirmation_token"]}),
        )
        .await
}

#[sqlx::test(migrations = false)]
async fn a_client_sends_money_to_another_client_after_confirming_a_quote(pool: PgPool) {
    let harness = start(pool).await;
    let clients = two_clients(&harness, "500.00").await;
    let response = quote(&harness, &clients, "120.00").await;
    assert_eq!(response.status(), 201);
    let quoted: Value = response.json().await.unwrap();
    assert_eq!(quoted["amount"], "120.00");
    assert_eq!(quoted["fee"], "0.00");
    assert_eq!(quoted["total_debit"], "120.00");
    assert_eq!(quoted["daily_limit"], "50000000.00");
    assert_eq!(quoted["remaining_daily_limit"], "50000000.00");
    assert_eq!(quoted["confirmation_token"].as_str().unwrap().len(), 64);
    assert_eq!(
        harness.account(&clients.mine).await["posted_balance"],
        "500.00",
        "a quote moves nothing"
    );

    let confirmed = confirm(&harness, &clients, &quoted, "send-1").await;
    assert_eq!(confirmed.status(), 201);
    let transfer: Value = confirmed.json().await.unwrap();
    assert_eq!(transfer["kind"], "client_transfer");
    assert_eq!(transfer["status"], "posted");
    assert_eq!(
        harness.account(&clients.mine).await["posted_balance"],
        "380.00"
    );
    assert_eq!(
        harness.account(&clients.theirs).await["posted_balance"],
        "120.00"
    );

    let repeat = confirm(&harness, &clients, &quoted, "send-1").await;
    assert_eq!(repeat.status(), 201);
    assert_eq!(repeat.headers()["idempotent-replayed"], "true");
    let repeated: Value = repeat.json().await.unwrap();
    assert_eq!(repeated["id"], transfer["id"]);
    let again = confirm(&harness, &clients, &quoted, "send-2").await;
    assert_problem(again, &[409], Some("quote_already_confirmed")).await;
    assert_eq!(
        harness.account(&clients.mine).await["posted_balance"],
        "380.00"
    );

    let statement: Value = harness
        .get(
            &format!("/v1/accounts/{}/statement", clients.mine),
            &clients.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(statement["closing_balance"], "380.00");

    // The sender and the recipient are each told once, through the outbox.
    let announced: Vec<(Value,)> = sqlx::query_as(
        "select payload from outbox_event where topic = 'account.money_moved' order by id",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    let movements: Vec<(&str, &Value)> = announced
        .iter()
        .map(|(payload,)| {
            (
                payload["movement"].as_str().unwrap(),
                &payload["transfer_id"],
            )
        })
        .collect();
    assert_eq!(
        movements,
        [
            ("transfer_sent", &transfer["id"]),
            ("transfer_received", &transfer["id"])
        ]
    );
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn the_daily_limit_counts_what_was_sent_today(pool: PgPool) {
    let limit = Money::new(Decimal::new(10_000, 2), Currency::Uzs).unwrap();
    let harness = start_with(pool, |mut state| {
        state.client_transfer_policy = ClientTransferPolicy::standard().with_daily_limit(limit);
        state
    })
    .await;
    let clients = two_clients(&harness, "500.00").await;
    let first: Value = quote(&harness, &clients, "60.00")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["remaining_daily_limit"], "100.00");
    // A second quote before the first is confirmed still fits; at confirmation the day's
    // total is counted again.
    let second: Value = quote(&harness, &clients, "50.00")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(confirm(&harness, &clients, &first, "a").await.status(), 201);
    let over = confirm(&harness, &clients, &second, "b").await;
    let body = assert_problem(over, &[422], Some("daily_limit_exceeded")).await;
    assert_eq!(body["errors"][0]["field"], "amount");
    let over_quote = quote(&harness, &clients, "40.01").await;
    assert_problem(over_quote, &[422], Some("daily_limit_exceeded")).await;

    let limits: Value = harness
        .get("/v1/me/limits", &clients.token)
        .await
        .json()
        .await
        .unwrap();
    let sums = limits["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|limit| limit["currency"] == "UZS")
        .unwrap()
        .clone();
    assert_eq!(sums["daily_limit"], "100.00");
    assert_eq!(sums["sent_today"], "60.00");
    assert_eq!(sums["remaining"], "40.00");
    let exact = quote(&harness, &clients, "40.00").await;
    assert_eq!(exact.status(), 201);
}

#[sqlx::test(migrations = false)]
async fn a_wrong_malformed_or_expired_confirmation_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let clients = two_clients(&harness, "500.00").await;
    let mut quoted: Value = quote(&harness, &clients, "10.00")
        .await
        .json()
        .await
        .unwrap();
    let genuine = quoted["confirmation_token"].clone();
    quoted["confirmation_token"] = json!("0".repeat(64));
    let wrong = confirm(&harness, &clients, &quoted, "w").await;
    assert_problem(wrong, &[422], Some("confirmation_token_mismatch")).await;
    quoted["confirmation_token"] = json!("not a token");
    let malformed = confirm(&harness, &clients, &quoted, "m").await;
    assert_problem(malformed, &[422], Some("confirmation_token_malformed")).await;

    sqlx::query("update client_transfer_quote set expires_at = now() - interval '1 second'")
        .execute(&harness.pool)
        .await
        .unwrap();
    quoted["confirmation_token"] = genuine;
    let expired = confirm(&harness, &clients, &quoted, "e").await;
    assert_problem(expired, &[422], Some("quote_expired")).await;

    let someone_else = harness
        .post(
            "/v1/me/transfers/confirm",
            &harness.founder_token(new_id()),
            Some("x"),
            &json!({"quote_id": quoted["quote_id"], "confirmation_token": quoted["confirmation_token"]}),
        )
        .await;
    assert_problem(someone_else, &[404], Some("not_found")).await;
    assert_eq!(
        harness.account(&clients.mine).await["posted_balance"],
        "500.00"
    );
}

#[sqlx::test(migrations = false)]
async fn sending_more_than_the_balance_is_refused_at_confirmation(pool: PgPool) {
    let harness = start(pool).await;
    let clients = two_clients(&harness, "50.00").await;
    let quoted: Value = quote(&harness, &clients, "50.01")
        .await
        .json()
        .await
        .unwrap();
    let response = confirm(&harness, &clients, &quoted, "k").await;
    assert_problem(response, &[422], Some("insufficient_funds")).await;
    assert_eq!(
        harness.account(&clients.mine).await["posted_balance"],
        "50.00"
    );
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_client_cannot_send_from_another_clients_account_or_across_currencies(pool: PgPool) {
    let harness = start(pool).await;
    let clients = two_clients(&harness, "50.00").await;
    let from_theirs = harness
        .post(
            "/v1/me/transfers/quote",
            &clients.token,
            None,
            &json!({"from_account": clients.theirs, "to_account": clients.mine, "amount": "1.00"}),
        )
        .await;
    assert_problem(from_theirs, &[404], Some("not_found")).await;

    let dollars = harness
        .post(
            "/v1/accounts",
            &harness.service_token(),
            Some("usd"),
            &json!({"owner": {"kind": "client", "client_id": new_id()}, "kind": "client_current", "currency": "USD"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let across = harness
        .post(
            "/v1/me/transfers/quote",
            &clients.token,
            None,
            &json!({"from_account": clients.mine, "to_account": dollars["number"], "amount": "1.00"}),
        )
        .await;
    let body = assert_problem(across, &[422], Some("currency_mismatch")).await;
    assert_eq!(body["errors"][0]["field"], "to_account");

    let to_self = harness
        .post(
            "/v1/me/transfers/quote",
            &clients.token,
            None,
            &json!({"from_account": clients.mine, "to_account": clients.mine, "amount": "1.00"}),
        )
        .await;
    assert_problem(to_self, &[422], Some("same_account")).await;
    let precise = quote(&harness, &clients, "1.001").await;
    assert_problem(precise, &[422], Some("too_many_decimals")).await;
    let staff = harness
        .post(
            "/v1/me/transfers/quote",
            &harness.service_token(),
            None,
            &json!({"from_account": clients.mine, "to_account": clients.theirs, "amount": "1.00"}),
        )
        .await;
    assert_problem(staff, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn open_quotes_are_bounded_per_client_and_expired_ones_are_forgotten(pool: PgPool) {
    let harness = start(pool).await;
    let clients = two_clients(&harness, "1000.00").await;
    for _ in 0..imkon_accounts::http::me::MAX_OPEN_QUOTES_PER_CLIENT {
        assert_eq!(quote(&harness, &clients, "1.00").await.status(), 201);
    }

    let one_more = quote(&harness, &clients, "1.00").await;

    assert_problem(one_more, &[429], Some("too_many_open_quotes")).await;
    sqlx::query("update client_transfer_quote set expires_at = now() - interval '1 minute'")
        .execute(&harness.pool)
        .await
        .unwrap();
    assert_eq!(quote(&harness, &clients, "1.00").await.status(), 201);
    let stored: i64 = sqlx::query_scalar("select count(*) from client_transfer_quote")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1, "expired quotes are deleted, not kept");
}
