//! Currency exchange between a client's own accounts: rates published under four eyes,
//! quotes priced against hand-worked figures, confirmations booked once, a thousand random
//! exchanges that leave the ledger balanced per currency with the FX position equal to their
//! sum, and a race that never overdraws.

mod common;

use std::collections::HashMap;

use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start, Harness};

/// A 422 naming `code`: as its own code, or as its field error's under `validation_failed`
/// (what a malformed field gets).
async fn assert_refused(response: reqwest::Response, code: &str) {
    let body = assert_problem(response, &[422], None).await;
    let field_code = &body["errors"][0]["code"];
    assert!(
        body["code"] == code || (body["code"] == "validation_failed" && field_code == code),
        "expected {code}: {body}"
    );
}

/// A client with a current account in each currency (the sum account opened as after KYC,
/// the others by the client), each funded from the bank's settlement account in its currency.
struct Client {
    client_id: uuid::Uuid,
    token: String,
    accounts: HashMap<&'static str, String>,
}

async fn settlement(harness: &Harness, currency: &str) -> String {
    let response = harness
        .post(
            "/v1/accounts",
            &harness.service_token(),
            Some(&new_id().to_string()),
            &json!({"owner": {"kind": "bank"}, "kind": "bank_settlement", "currency": currency, "allow_negative": true}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["number"].as_str().unwrap().to_owned()
}

async fn fund(harness: &Harness, from: &str, to: &str, currency: &str, amount: &str) {
    let response = harness
        .post(
            "/v1/transfers",
            &harness.service_token(),
            Some(&new_id().to_string()),
            &json!({
                "kind": "deposit", "reference": "test funds", "currency": currency,
                "legs": [
                    {"account": from, "side": "debit", "amount": amount},
                    {"account": to, "side": "credit", "amount": amount},
                ],
            }),
        )
        .await;
    assert_eq!(response.status(), 201, "funding {to}");
}

async fn client_with(harness: &Harness, balances: [(&'static str, &str); 3]) -> Client {
    let client_id = new_id();
    let token = harness.founder_token(client_id);
    let mut accounts = HashMap::new();
    accounts.insert("UZS", harness.open_client_current(client_id).await);
    for currency in ["USD", "EUR"] {
        let response = harness
            .post(
                "/v1/me/accounts",
                &token,
                Some(&new_id().to_string()),
                &json!({"currency": currency}),
            )
            .await;
        assert_eq!(response.status(), 201, "open {currency}");
        let body: Value = response.json().await.unwrap();
        accounts.insert(currency, body["number"].as_str().unwrap().to_owned());
    }
    for (currency, amount) in balances {
        if amount != "0" {
            let source = settlement(harness, currency).await;
            fund(harness, &source, &accounts[currency], currency, amount).await;
        }
    }
    Client {
        client_id,
        token,
        accounts,
    }
}

/// Proposes a rate as one member of finance staff and publishes it as another.
async fn publish(harness: &Harness, pair: &str, buy: &str, sell: &str) -> Value {
    let proposer = harness.staff_token(Role::Finance);
    let publisher = harness.staff_token(Role::Finance);
    let until = harness.calendar.now() + chrono::Duration::days(1);
    let response = harness
        .post(
            "/v1/fx/rates",
            &proposer,
            None,
            &json!({"pair": pair, "buy_rate": buy, "sell_rate": sell, "valid_until": until}),
        )
        .await;
    assert_eq!(response.status(), 201, "propose {pair}");
    let proposed: Value = response.json().await.unwrap();
    let response = harness
        .post(
            &format!("/v1/fx/rates/{}/publish", proposed["id"].as_str().unwrap()),
            &publisher,
            None,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200, "publish {pair}");
    response.json().await.unwrap()
}

async fn publish_standard_rates(harness: &Harness) {
    publish(harness, "USD/UZS", "12600", "12700").await;
    publish(harness, "EUR/UZS", "13700.50", "13850.25").await;
    publish(harness, "EUR/USD", "1.081234", "1.091234").await;
}

async fn quote(
    harness: &Harness,
    client: &Client,
    from: &str,
    to: &str,
    amount: Value,
) -> reqwest::Response {
    let mut body =
        json!({"from_account": client.accounts[from], "to_account": client.accounts[to]});
    for (field, value) in amount.as_object().unwrap() {
        body[field] = value.clone();
    }
    harness
        .post("/v1/me/exchanges/quote", &client.token, None, &body)
        .await
}

async fn confirm(
    harness: &Harness,
    client: &Client,
    quote: &Value,
    key: &str,
) -> reqwest::Response {
    harness
        .post(
            "/v1/me/exchanges/confirm",
            &client.token,
            Some(key),
            &json!({"quote_id": quote["quote_id"], "confirmation_token": quote["confirmation_token"]}),
        )
        .await
}

async fn balance(harness: &Harness, number: &str) -> Decimal {
    harness.account(number).await["posted_balance"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn bank_balance(pool: &PgPool, kind: &str, currency: &str) -> Decimal {
    sqlx::query_scalar::<_, Decimal>(
        "select coalesce(sum(posted_balance), 0) from account
         where owner_client_id is null and kind = $1 and currency = $2",
    )
    .bind(kind)
    .bind(currency)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn rates_are_published_by_a_second_member_of_finance_or_an_admin(pool: PgPool) {
    let harness = start(pool).await;
    let proposer = harness.staff_token(Role::Finance);
    let until = harness.calendar.now() + chrono::Duration::hours(8);
    let propose = |token: String, body: Value| {
        let harness = &harness;
        async move { harness.post("/v1/fx/rates", &token, None, &body).await }
    };
    let valid = json!({"pair": "USD/UZS", "buy_rate": "12600.5", "sell_rate": "12700.25", "valid_until": until});

    for role in [Role::CreditOfficer, Role::Approver, Role::Admin] {
        assert_problem(
            propose(harness.staff_token(role), valid.clone()).await,
            &[403],
            None,
        )
        .await;
    }
    assert_problem(
        propose(harness.founder_token(new_id()), valid.clone()).await,
        &[403],
        None,
    )
    .await;
    let refusals = [
        (json!({"pair": "UZS/USD"}), "unknown_currency_pair"),
        (json!({"pair": "USD-UZS"}), "malformed_currency_pair"),
        (json!({"buy_rate": "12800"}), "sell_rate_below_buy_rate"),
        (json!({"buy_rate": "12600.1234567"}), "rate_too_precise"),
        (json!({"buy_rate": "-1"}), "not_a_rate"),
        (json!({"buy_rate": "0"}), "exchange_rate_out_of_range"),
        (
            json!({"valid_until": harness.calendar.now() - chrono::Duration::minutes(1)}),
            "invalid_rate_window",
        ),
        (
            json!({"valid_until": harness.calendar.now() + chrono::Duration::days(32)}),
            "invalid_rate_window",
        ),
    ];
    for (change, code) in refusals {
        let mut body = valid.clone();
        for (field, value) in change.as_object().unwrap() {
            body[field] = value.clone();
        }
        assert_refused(propose(proposer.clone(), body).await, code).await;
    }

    // No rate is in force yet, so a client cannot exchange.
    let client = client_with(&harness, [("UZS", "0"), ("USD", "100"), ("EUR", "0")]).await;
    assert_problem(
        quote(
            &harness,
            &client,
            "USD",
            "UZS",
            json!({"sell_amount": "10"}),
        )
        .await,
        &[409],
        Some("no_rate_in_force"),
    )
    .await;

    let response = propose(proposer.clone(), valid.clone()).await;
    assert_eq!(response.status(), 201);
    let proposed: Value = response.json().await.unwrap();
    assert_eq!(proposed["state"], "proposed");
    assert_eq!(proposed["buy_rate"], "12600.500000");
    assert_eq!(proposed["mid_rate"], "12650.375000");
    let id = proposed["id"].as_str().unwrap();
    let queue: Value = harness
        .get(
            "/v1/fx/rates?state=proposed",
            &harness.staff_token(Role::Finance),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let current: Value = harness
        .get("/v1/fx/rates/current", &client.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current, json!([]), "a proposed rate is not in force");

    assert_problem(
        harness
            .post(
                &format!("/v1/fx/rates/{id}/publish"),
                &proposer,
                None,
                &json!({}),
            )
            .await,
        &[403],
        Some("four_eyes_violation"),
    )
    .await;
    // Deciding is for a second member of finance or an admin, as for staff transfers.
    for token in [
        harness.staff_token(Role::CreditOfficer),
        harness.staff_token(Role::Approver),
        harness.staff_token(Role::KycOfficer),
        client.token.clone(),
    ] {
        assert_problem(
            harness
                .post(
                    &format!("/v1/fx/rates/{id}/publish"),
                    &token,
                    None,
                    &json!({}),
                )
                .await,
            &[403],
            None,
        )
        .await;
    }
    let second = harness.staff_token(Role::Finance);
    let response = harness
        .post(
            &format!("/v1/fx/rates/{id}/publish"),
            &second,
            None,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let published: Value = response.json().await.unwrap();
    assert_eq!(published["state"], "published");
    assert_problem(
        harness
            .post(
                &format!("/v1/fx/rates/{id}/reject"),
                &second,
                None,
                &json!({"reason": "late"}),
            )
            .await,
        &[409],
        Some("rate_already_decided"),
    )
    .await;
    let current: Value = harness
        .get("/v1/fx/rates/current", &client.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current[0]["id"], published["id"]);

    // A newer rate takes over once published; a rejected one never does.
    let newer = propose(
        proposer.clone(),
        json!({"pair": "USD/UZS", "buy_rate": "12610", "sell_rate": "12710", "valid_until": until}),
    )
    .await;
    let newer: Value = newer.json().await.unwrap();
    let rejected = harness
        .post(
            &format!("/v1/fx/rates/{}/reject", newer["id"].as_str().unwrap()),
            &harness.staff_token(Role::Admin),
            None,
            &json!({"reason": "the spread is too narrow"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    let rejected: Value = rejected.json().await.unwrap();
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["rejection_reason"], "the spread is too narrow");
    let current: Value = harness
        .get("/v1/fx/rates/current", &client.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current[0]["buy_rate"], "12600.500000");

    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where subject_type = 'fx_rate'
         and action in ('fx_rate.proposed', 'fx_rate.published', 'fx_rate.rejected')",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(audited, 4, "two proposals, one publication, one rejection");
}

/// Each pair in each direction, naming either amount, against figures worked by hand:
///
/// - USD/UZS 12 600 / 12 700 (mid 12 650), EUR/UZS 13 700.50 / 13 850.25 (mid 13 775.375),
///   EUR/USD 1.081234 / 1.091234 (mid 1.086234).
#[sqlx::test(migrations = false)]
async fn exchanges_match_hand_worked_figures_for_each_pair_and_direction(pool: PgPool) {
    let harness = start(pool).await;
    publish_standard_rates(&harness).await;
    let client = client_with(
        &harness,
        [("UZS", "10000000"), ("USD", "1000"), ("EUR", "1000")],
    )
    .await;
    // (from, to, the amount named, the other amount expected, the rate applied)
    let cases = [
        // 100 × 12 600 = 1 260 000.
        (
            "USD",
            "UZS",
            json!({"sell_amount": "100"}),
            "1260000.00",
            "12600.000000",
        ),
        // 100 × 12 700 = 1 270 000.
        (
            "UZS",
            "USD",
            json!({"buy_amount": "100"}),
            "1270000.00",
            "12700.000000",
        ),
        // 1 000 000 ÷ 12 700 = 78.7401… → 78.74.
        (
            "UZS",
            "USD",
            json!({"sell_amount": "1000000"}),
            "78.74",
            "12700.000000",
        ),
        // 1 000 000 ÷ 12 600 = 79.3650… → 79.37.
        (
            "USD",
            "UZS",
            json!({"buy_amount": "1000000"}),
            "79.37",
            "12600.000000",
        ),
        // 10.01 × 13 700.50 = 137 142.005: half a tiyin, to the even 137 142.00.
        (
            "EUR",
            "UZS",
            json!({"sell_amount": "10.01"}),
            "137142.00",
            "13700.500000",
        ),
        // 10.03 × 13 700.50 = 137 416.015: half a tiyin, to the even 137 416.02.
        (
            "EUR",
            "UZS",
            json!({"sell_amount": "10.03"}),
            "137416.02",
            "13700.500000",
        ),
        // 100 000 ÷ 13 850.25 = 7.22000… → 7.22.
        (
            "UZS",
            "EUR",
            json!({"sell_amount": "100000"}),
            "7.22",
            "13850.250000",
        ),
        // 2 × 13 850.25 = 27 700.50.
        (
            "UZS",
            "EUR",
            json!({"buy_amount": "2"}),
            "27700.50",
            "13850.250000",
        ),
        // 10.05 × 1.081234 = 10.8664017 → 10.87.
        (
            "EUR",
            "USD",
            json!({"sell_amount": "10.05"}),
            "10.87",
            "1.081234",
        ),
        // 10 × 1.091234 = 10.91234 → 10.91.
        (
            "USD",
            "EUR",
            json!({"buy_amount": "10"}),
            "10.91",
            "1.091234",
        ),
        // 25 ÷ 1.091234 = 22.9098… → 22.91.
        (
            "USD",
            "EUR",
            json!({"sell_amount": "25"}),
            "22.91",
            "1.091234",
        ),
        // 50 ÷ 1.081234 = 46.2434… → 46.24.
        (
            "EUR",
            "USD",
            json!({"buy_amount": "50"}),
            "46.24",
            "1.081234",
        ),
    ];
    for (from, to, named, expected, rate) in cases {
        let before_from = balance(&harness, &client.accounts[from]).await;
        let before_to = balance(&harness, &client.accounts[to]).await;
        let response = quote(&harness, &client, from, to, named.clone()).await;
        assert_eq!(response.status(), 201, "{from}→{to} {named}");
        let quoted: Value = response.json().await.unwrap();
        let (sold, bought) = match named.get("sell_amount") {
            Some(_) => (
                named["sell_amount"]
                    .as_str()
                    .unwrap()
                    .parse::<Decimal>()
                    .unwrap(),
                expected.parse().unwrap(),
            ),
            None => (
                expected.parse().unwrap(),
                named["buy_amount"]
                    .as_str()
                    .unwrap()
                    .parse::<Decimal>()
                    .unwrap(),
            ),
        };
        assert_eq!(
            quoted["sell_amount"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap(),
            sold,
            "{from}→{to} {named}"
        );
        assert_eq!(
            quoted["buy_amount"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap(),
            bought,
            "{from}→{to} {named}"
        );
        assert_eq!(quoted["rate"], rate);
        let response = confirm(&harness, &client, &quoted, &new_id().to_string()).await;
        assert_eq!(response.status(), 201, "{from}→{to} {named}");
        assert_eq!(
            balance(&harness, &client.accounts[from]).await,
            before_from - sold
        );
        assert_eq!(
            balance(&harness, &client.accounts[to]).await,
            before_to + bought
        );
    }

    // The position in a pair's base currency moves by the clients' own amounts (bought
    // positive, sold negative). Euros, the base of EUR/UZS and EUR/USD:
    // +10.01 +10.03 −7.22 −2 +10.05 −10 −22.91 +46.24 = 34.20.
    let usd_position = bank_balance(&harness.pool, "fx_position", "USD").await;
    let eur_position = bank_balance(&harness.pool, "fx_position", "EUR").await;
    assert_eq!(eur_position, dec!(34.20));
    // Dollars, the base of USD/UZS: +100 −100 −78.74 +79.37 = 0.63. As the quote of EUR/USD,
    // the dollar position moves by the euros' value at the mid rate 1.086234, rounded half to
    // even: down when the client sells euros, up when they buy them.
    let at_mid = |euros: Decimal| {
        (euros * dec!(1.086234)).round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
    };
    let expected_usd = dec!(0.63) - at_mid(dec!(10.05)) + at_mid(dec!(10)) + at_mid(dec!(22.91))
        - at_mid(dec!(46.24));
    assert_eq!(usd_position, expected_usd);
    // Every exchange here earned the bank its spread in the quote currency.
    for currency in ["UZS", "USD"] {
        assert!(bank_balance(&harness.pool, "fx_income", currency).await > Decimal::ZERO);
    }
    harness.assert_invariants().await;
}

/// A thousand random exchanges between three currencies, from four clients at once: every
/// currency's debits equal its credits, and each currency's position equals what the
/// exchanges put into it, computed here independently with rust_decimal's own rounding.
#[sqlx::test(migrations = false)]
async fn a_thousand_random_exchanges_keep_the_books_balanced_per_currency(pool: PgPool) {
    let harness = start(pool).await;
    publish_standard_rates(&harness).await;
    let mids: HashMap<(&str, &str), Decimal> = [
        (("USD", "UZS"), dec!(12650)),
        (("EUR", "UZS"), dec!(13775.375)),
        (("EUR", "USD"), dec!(1.086234)),
    ]
    .into_iter()
    .collect();
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(
            client_with(
                &harness,
                [
                    ("UZS", "100000000000"),
                    ("USD", "10000000"),
                    ("EUR", "10000000"),
                ],
            )
            .await,
        );
    }
    let currencies = ["UZS", "USD", "EUR"];
    let workers = clients.iter().enumerate().map(|(index, client)| {
        let harness = &harness;
        let mids = &mids;
        async move {
            let mut rng = StdRng::seed_from_u64(19 + index as u64);
            let mut position: HashMap<&str, Decimal> = HashMap::new();
            for _ in 0..250 {
                let from = currencies[rng.gen_range(0..3)];
                let to = loop {
                    let to = currencies[rng.gen_range(0..3)];
                    if to != from {
                        break to;
                    }
                };
                let currency_named = if rng.gen_bool(0.5) { from } else { to };
                let units = if currency_named == "UZS" {
                    rng.gen_range(1_000..50_000_000)
                } else {
                    rng.gen_range(1..500_000)
                };
                let amount = Decimal::new(units, 2).to_string();
                let named = if currency_named == from {
                    json!({"sell_amount": amount})
                } else {
                    json!({"buy_amount": amount})
                };
                let response = quote(harness, client, from, to, named).await;
                if response.status() == 422 {
                    // Too small to convert: a refusal, and nothing quoted.
                    continue;
                }
                assert_eq!(response.status(), 201);
                let quoted: Value = response.json().await.unwrap();
                let response = confirm(harness, client, &quoted, &new_id().to_string()).await;
                assert_eq!(response.status(), 201);
                let sold: Decimal = quoted["sell_amount"].as_str().unwrap().parse().unwrap();
                let bought: Decimal = quoted["buy_amount"].as_str().unwrap().parse().unwrap();
                let (base, quote_currency, client_sells_base) = match mids.get(&(from, to)) {
                    Some(_) => (from, to, true),
                    None => (to, from, false),
                };
                let mid = mids[&(base, quote_currency)];
                let base_amount = if client_sells_base { sold } else { bought };
                let value = (base_amount * mid)
                    .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
                let sign = if client_sells_base {
                    Decimal::ONE
                } else {
                    -Decimal::ONE
                };
                *position.entry(base).or_default() += sign * base_amount;
                *position.entry(quote_currency).or_default() -= sign * value;
            }
            position
        }
    });
    let mut expected: HashMap<&str, Decimal> = HashMap::new();
    for position in futures::future::join_all(workers).await {
        for (currency, amount) in position {
            *expected.entry(currency).or_default() += amount;
        }
    }
    let exchanges: i64 =
        sqlx::query_scalar("select count(*) from transfer where kind = 'exchange'")
            .fetch_one(&harness.pool)
            .await
            .unwrap();
    assert!(
        exchanges > 900,
        "most random exchanges are large enough to book: {exchanges}"
    );
    for currency in currencies {
        assert_eq!(
            bank_balance(&harness.pool, "fx_position", currency).await,
            expected.get(currency).copied().unwrap_or_default(),
            "the {currency} position is the sum of the exchanges"
        );
        let (debits, credits): (Decimal, Decimal) = sqlx::query_as(
            "select coalesce(sum(e.amount) filter (where e.side = 'debit'), 0),
                    coalesce(sum(e.amount) filter (where e.side = 'credit'), 0)
             from entry e join account a on a.id = e.account_id where a.currency = $1",
        )
        .bind(currency)
        .fetch_one(&harness.pool)
        .await
        .unwrap();
        assert_eq!(debits, credits, "the ledger balances in {currency}");
    }
    // The day's report agrees with the accounts.
    let report: Value = harness
        .get("/v1/fx/position", &harness.staff_token(Role::Finance))
        .await
        .json()
        .await
        .unwrap();
    for line in report["lines"].as_array().unwrap() {
        let currency = line["currency"].as_str().unwrap();
        let closing: Decimal = line["closing"].as_str().unwrap().parse().unwrap();
        assert_eq!(closing, expected[currency], "{currency} in the report");
        assert_eq!(line["opening"], "0.00");
        let bought: Decimal = line["bought"].as_str().unwrap().parse().unwrap();
        let sold: Decimal = line["sold"].as_str().unwrap().parse().unwrap();
        assert_eq!(bought - sold, closing);
    }
    assert_problem(
        harness.get("/v1/fx/position", &clients[0].token).await,
        &[403],
        None,
    )
    .await;
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_quote_is_confirmed_once_by_its_owner_in_time_with_its_token(pool: PgPool) {
    let harness = start(pool).await;
    publish_standard_rates(&harness).await;
    let client = client_with(&harness, [("UZS", "0"), ("USD", "100"), ("EUR", "0")]).await;
    let other = client_with(&harness, [("UZS", "0"), ("USD", "0"), ("EUR", "0")]).await;

    // Exactly one amount; only the client's own open current accounts; two currencies.
    assert_refused(
        quote(&harness, &client, "USD", "UZS", json!({})).await,
        "one_amount_required",
    )
    .await;
    assert_refused(
        quote(
            &harness,
            &client,
            "USD",
            "UZS",
            json!({"sell_amount": "1", "buy_amount": "1"}),
        )
        .await,
        "one_amount_required",
    )
    .await;
    assert_refused(
        quote(
            &harness,
            &client,
            "USD",
            "UZS",
            json!({"sell_amount": "1.001"}),
        )
        .await,
        "too_many_decimals",
    )
    .await;
    assert_refused(
        quote(
            &harness,
            &client,
            "UZS",
            "USD",
            json!({"sell_amount": "0.01"}),
        )
        .await,
        "amount_too_small",
    )
    .await;
    let someone_elses = json!({"from_account": client.accounts["USD"], "to_account": other.accounts["UZS"], "sell_amount": "1"});
    assert_problem(
        harness
            .post(
                "/v1/me/exchanges/quote",
                &client.token,
                None,
                &someone_elses,
            )
            .await,
        &[404],
        Some("unknown_account"),
    )
    .await;
    let same = json!({"from_account": client.accounts["USD"], "to_account": client.accounts["USD"], "sell_amount": "1"});
    assert_refused(
        harness
            .post("/v1/me/exchanges/quote", &client.token, None, &same)
            .await,
        "same_currency",
    )
    .await;

    // More than the account holds is quoted, and refused at confirmation with nothing booked.
    let response = quote(
        &harness,
        &client,
        "USD",
        "UZS",
        json!({"sell_amount": "100.01"}),
    )
    .await;
    let too_much: Value = response.json().await.unwrap();
    assert_problem(
        confirm(&harness, &client, &too_much, &new_id().to_string()).await,
        &[422],
        Some("insufficient_funds"),
    )
    .await;

    let quoted: Value = quote(
        &harness,
        &client,
        "USD",
        "UZS",
        json!({"sell_amount": "40"}),
    )
    .await
    .json()
    .await
    .unwrap();
    // Another client cannot confirm it, nor can a wrong token.
    assert_problem(
        confirm(&harness, &other, &quoted, &new_id().to_string()).await,
        &[404],
        None,
    )
    .await;
    let mut forged = quoted.clone();
    forged["confirmation_token"] = json!("0".repeat(64));
    assert_problem(
        confirm(&harness, &client, &forged, &new_id().to_string()).await,
        &[422],
        Some("confirmation_token_mismatch"),
    )
    .await;

    let key = new_id().to_string();
    let first = confirm(&harness, &client, &quoted, &key).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["buy_amount"], "504000.00");
    let again = confirm(&harness, &client, &quoted, &key).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["transfer_id"], first["transfer_id"]);
    assert_problem(
        confirm(&harness, &client, &quoted, &new_id().to_string()).await,
        &[409],
        Some("quote_already_confirmed"),
    )
    .await;
    assert_eq!(balance(&harness, &client.accounts["USD"]).await, dec!(60));
    assert_eq!(
        balance(&harness, &client.accounts["UZS"]).await,
        dec!(504000)
    );
    // The client is told once, through the outbox, whatever the retries.
    let announced: Vec<(Value,)> = sqlx::query_as(
        "select payload from outbox_event where topic = 'account.money_moved' order by id",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(announced.len(), 1, "{announced:?}");
    assert_eq!(announced[0].0["movement"], "exchange");
    assert_eq!(announced[0].0["transfer_id"], first["transfer_id"]);
    assert_eq!(announced[0].0["client_id"], json!(client.client_id));

    // A quote lives a minute.
    let late: Value = quote(
        &harness,
        &client,
        "USD",
        "UZS",
        json!({"sell_amount": "10"}),
    )
    .await
    .json()
    .await
    .unwrap();
    harness.clock.advance(chrono::Duration::seconds(61));
    assert_problem(
        confirm(&harness, &client, &late, &new_id().to_string()).await,
        &[422],
        Some("quote_expired"),
    )
    .await;
    assert_eq!(balance(&harness, &client.accounts["USD"]).await, dec!(60));

    // Staff, services and founders' other endpoints cannot book an exchange directly.
    let direct = json!({
        "kind": "exchange", "reference": "by hand", "currency": "USD",
        "legs": [
            {"account": client.accounts["USD"], "side": "debit", "amount": "1"},
            {"account": other.accounts["USD"], "side": "credit", "amount": "1"},
        ],
    });
    assert_problem(
        harness
            .post(
                "/v1/transfers",
                &harness.service_token(),
                Some(&new_id().to_string()),
                &direct,
            )
            .await,
        &[422],
        Some("transfer_kind_not_requestable"),
    )
    .await;
    harness.assert_invariants().await;
}

/// Twenty exchanges of 100 dollars at once from an account holding 1 000: ten are booked, ten
/// refused for funds, and the account ends at exactly zero.
#[sqlx::test(migrations = false)]
async fn a_race_of_exchanges_never_overdraws_the_account(pool: PgPool) {
    let harness = start(pool).await;
    publish_standard_rates(&harness).await;
    let client = client_with(&harness, [("UZS", "0"), ("USD", "1000"), ("EUR", "0")]).await;
    let mut quotes = Vec::new();
    for index in 0..20 {
        let to = if index % 2 == 0 { "UZS" } else { "EUR" };
        let response = quote(&harness, &client, "USD", to, json!({"sell_amount": "100"})).await;
        assert_eq!(response.status(), 201);
        quotes.push(response.json::<Value>().await.unwrap());
    }
    let confirmations = quotes.iter().map(|quoted| {
        let harness = &harness;
        let client = &client;
        async move {
            confirm(harness, client, quoted, &new_id().to_string())
                .await
                .status()
                .as_u16()
        }
    });
    let statuses: Vec<u16> = futures::future::join_all(confirmations).await;
    assert_eq!(
        statuses.iter().filter(|status| **status == 201).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|status| **status == 422).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        balance(&harness, &client.accounts["USD"]).await,
        Decimal::ZERO
    );
    harness.assert_invariants().await;
}

/// The demonstration publishes a rate for each pair on its first start, and none again while
/// they are in force, so a demo client can exchange at once.
#[sqlx::test(migrations = false)]
async fn the_demo_seed_publishes_each_pairs_rate_once(pool: PgPool) {
    let harness = start(pool).await;
    imkon_accounts::seed_demo(&harness.pool, &harness.calendar)
        .await
        .unwrap();
    imkon_accounts::seed_demo(&harness.pool, &harness.calendar)
        .await
        .unwrap();
    let current: Value = harness
        .get("/v1/fx/rates/current", &harness.founder_token(new_id()))
        .await
        .json()
        .await
        .unwrap();
    let pairs: Vec<&str> = current
        .as_array()
        .unwrap()
        .iter()
        .map(|rate| rate["pair"].as_str().unwrap())
        .collect();
    assert_eq!(pairs, ["EUR/USD", "EUR/UZS", "USD/UZS"]);
    let stored: i64 = sqlx::query_scalar("select count(*) from fx_rate")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(stored, 3);
    for rate in current.as_array().unwrap() {
        assert_ne!(rate["proposed_by"], rate["decided_by"]);
    }
}
