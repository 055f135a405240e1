//! The bank's day turns at midnight in Tashkent (19:00 UTC), on the leap day as on any other:
//! a client's daily limit starts afresh then, and a statement's days are Tashkent's days.
//! The service's clock is set to a second before and to the midnight itself.

mod common;

use chrono::{DateTime, Utc};
use imkon_accounts::domain::client_transfer::ClientTransferPolicy;
use imkon_platform::id::new_id;
use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start_with, Harness};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// A service whose clients may send 100.00 sums a day, with its clock at `now`.
async fn limited_to_a_hundred(pool: PgPool, now: &str) -> Harness {
    let limit = Money::new(Decimal::new(10_000, 2), Currency::Uzs).unwrap();
    let harness = start_with(pool, |mut state| {
        state.client_transfer_policy = ClientTransferPolicy::standard().with_daily_limit(limit);
        state
    })
    .await;
    harness.clock.set(at(now));
    harness
}

struct Sender {
    account: String,
    payee: String,
    token: String,
}

async fn funded_sender(harness: &Harness) -> Sender {
    let settlement = harness.open_settlement().await;
    let client = new_id();
    let account = harness.open_client_current(client).await;
    let payee = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &account, "1000.00").await;
    Sender {
        account,
        payee,
        token: harness.founder_token(client),
    }
}

/// Quotes and confirms `amount`; the HTTP status of the step that answered last.
async fn send(harness: &Harness, sender: &Sender, amount: &str, key: &str) -> u16 {
    let quoted = harness
        .post(
            "/v1/me/transfers/quote",
            &sender.token,
            None,
            &json!({"from_account": sender.account, "to_account": sender.payee, "amount": amount}),
        )
        .await;
    if quoted.status() != 201 {
        return quoted.status().as_u16();
    }
    let quote: Value = quoted.json().await.unwrap();
    harness
        .post(
            "/v1/me/transfers/confirm",
            &sender.token,
            Some(key),
            &json!({"quote_id": quote["quote_id"], "confirmation_token": quote["confirmation_token"]}),
        )
        .await
        .status()
        .as_u16()
}

/// The day `/v1/me/limits` counts and what it says was sent in sums that day.
async fn limits(harness: &Harness, sender: &Sender) -> (String, String) {
    let limits: Value = harness
        .get("/v1/me/limits", &sender.token)
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
    (
        limits["day"].as_str().unwrap().to_owned(),
        sums["sent_today"].as_str().unwrap().to_owned(),
    )
}

#[sqlx::test(migrations = false)]
async fn the_daily_limit_starts_afresh_at_tashkent_midnight_on_the_leap_day(pool: PgPool) {
    let harness = limited_to_a_hundred(pool, "2024-02-28T18:59:59Z").await;
    let sender = funded_sender(&harness).await;

    assert_eq!(send(&harness, &sender, "60.00", "a").await, 201);
    assert_eq!(
        send(&harness, &sender, "40.01", "b").await,
        422,
        "23:59:59 in Tashkent: still the 28th, 60.00 already sent"
    );
    assert_eq!(
        limits(&harness, &sender).await,
        ("2024-02-28".to_owned(), "60.00".to_owned())
    );

    harness.clock.set(at("2024-02-28T19:00:00Z"));
    assert_eq!(
        limits(&harness, &sender).await,
        ("2024-02-29".to_owned(), "0.00".to_owned()),
        "midnight in Tashkent: the leap day, nothing sent yet"
    );
    assert_eq!(send(&harness, &sender, "100.00", "c").await, 201);

    harness.clock.set(at("2024-02-29T18:59:59Z"));
    assert_eq!(
        send(&harness, &sender, "0.01", "d").await,
        422,
        "the last second of the leap day counts the leap day's 100.00"
    );
    harness.clock.set(at("2024-02-29T19:00:00Z"));
    assert_eq!(
        limits(&harness, &sender).await,
        ("2024-03-01".to_owned(), "0.00".to_owned())
    );
    assert_eq!(send(&harness, &sender, "100.00", "e").await, 201);
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_statements_days_are_the_banks_days(pool: PgPool) {
    let harness = limited_to_a_hundred(pool, "2024-02-28T18:59:59Z").await;
    let sender = funded_sender(&harness).await;
    assert_eq!(send(&harness, &sender, "10.00", "last-second").await, 201);
    harness.clock.set(at("2024-02-28T19:00:00Z"));
    assert_eq!(send(&harness, &sender, "20.00", "midnight").await, 201);

    let statement = |query: &'static str| {
        let harness = &harness;
        let sender = &sender;
        async move {
            let path = format!("/v1/accounts/{}/statement{query}", sender.account);
            let page: Value = harness
                .get(&path, &sender.token)
                .await
                .json()
                .await
                .unwrap();
            let amounts: Vec<String> = page["entries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|entry| entry["side"] == "debit")
                .map(|entry| entry["amount"].as_str().unwrap().to_owned())
                .collect();
            (
                amounts,
                page["closing_balance"].as_str().unwrap().to_owned(),
            )
        }
    };
    assert_eq!(
        statement("?from=2024-02-28&to=2024-02-28").await,
        (vec!["10.00".to_owned()], "990.00".to_owned()),
        "a transfer at 23:59:59 in Tashkent is the 28th's"
    );
    assert_eq!(
        statement("?from=2024-02-29&to=2024-02-29").await,
        (vec!["20.00".to_owned()], "970.00".to_owned()),
        "a transfer at midnight in Tashkent is the leap day's"
    );
    assert_eq!(
        statement("").await.0,
        vec!["10.00".to_owned(), "20.00".to_owned()],
        "with no period the statement ends on the bank's today, the leap day"
    );
}
