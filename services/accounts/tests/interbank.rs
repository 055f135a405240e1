//! Payments to and from other banks against a real database and the simulated clearing house:
//! a payment is accepted with its money held, goes into the batch of the next half-hour
//! cut-off, and is settled (the hold posted) or returned (the hold voided) when the clearing
//! settles the batch; bad bank codes and account numbers are refused; an incoming file credits
//! each payment once and rejects what it cannot credit; two runners send each payment once.

mod common;

use chrono::{DateTime, Duration, Utc};
use imkon_accounts::domain::account_number::{AccountNumber, BalanceAccountCode, BankCode};
use imkon_accounts::domain::client_transfer::ClientTransferPolicy;
use imkon_accounts::interbank::{run_cycle, CycleReport};
use imkon_accounts::opening::{demo_closed_account_at_other_bank, seed_demo};
use imkon_accounts::{default_bank_code, AppState};
use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start_with, Harness};

/// A quiet morning: ten past ten, UTC, twenty minutes before a cut-off.
fn ten_past_ten() -> DateTime<Utc> {
    "2027-03-10T10:10:00Z".parse().unwrap()
}

async fn started(pool: PgPool) -> (Harness, AppState) {
    started_with(pool, ClientTransferPolicy::standard()).await
}

async fn started_with(pool: PgPool, policy: ClientTransferPolicy) -> (Harness, AppState) {
    let mut captured = None;
    let harness = start_with(pool, |mut state| {
        state.client_transfer_policy = policy;
        captured = Some(state.clone());
        state
    })
    .await;
    harness.clock.set(ten_past_ten());
    seed_demo(&harness.pool, default_bank_code(), harness.calendar.now())
        .await
        .unwrap();
    (harness, captured.expect("the state was built"))
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

/// An account of a company at bank 00440.
fn other_bank_account(owner: u32) -> String {
    AccountNumber::issue(
        BankCode::parse("00440").unwrap(),
        BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
        Currency::Uzs,
        owner,
        1,
    )
    .unwrap()
    .to_string()
}

fn payment(client: &Client, to_bank: &str, to_account: &str, amount: &str) -> Value {
    json!({
        "from_account": client.current,
        "to_bank": to_bank,
        "to_account": to_account,
        "recipient_name": "OOO Silk Road Software",
        "purpose": "Invoice 42 for software development",
        "amount": amount,
    })
}

async fn send(harness: &Harness, client: &Client, key: &str, body: &Value) -> reqwest::Response {
    harness
        .post("/v1/me/interbank-payments", &client.token, Some(key), body)
        .await
}

/// The posted balance and what is held on it.
async fn balances(harness: &Harness, number: &str) -> (Decimal, Decimal) {
    let account = harness.account(number).await;
    let read = |field: &str| -> Decimal { account[field].as_str().unwrap().parse().unwrap() };
    let posted = read("posted_balance");
    (posted, posted - read("available_balance"))
}

async fn state_of(harness: &Harness, client: &Client, id: &str) -> Value {
    let response = harness
        .get(&format!("/v1/me/interbank-payments/{id}"), &client.token)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
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
async fn a_payment_is_held_sent_at_the_next_cut_off_and_settled_with_the_batch(pool: PgPool) {
    let (harness, state) = started(pool).await;
    let client = client_with(&harness, "1000000.00").await;
    let body = payment(
        &client,
        "00440",
        &other_bank_account(12_345_678),
        "250000.00",
    );
    let key = new_id().to_string();
    let accepted = send(&harness, &client, &key, &body).await;
    assert_eq!(accepted.status(), 201);
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(accepted["state"], "accepted");
    let id = accepted["id"].as_str().unwrap().to_owned();
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(1000000.00), dec!(250000.00)),
        "held, not taken"
    );
    let again = send(&harness, &client, &key, &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(1000000.00), dec!(250000.00))
    );

    // Accepted after the 10:00 cut-off, it waits for 10:30.
    assert_eq!(run_cycle(&state).await.unwrap(), CycleReport::default());
    assert_eq!(state_of(&harness, &client, &id).await["state"], "accepted");

    harness.clock.set(ten_past_ten() + Duration::minutes(21));
    let report = run_cycle(&state).await.unwrap();
    assert_eq!(report.batched, 1);
    assert_eq!(
        report.settled, 0,
        "the clearing settles a few minutes later"
    );
    assert_eq!(state_of(&harness, &client, &id).await["state"], "sent");

    harness.clock.set(ten_past_ten() + Duration::minutes(27));
    let report = run_cycle(&state).await.unwrap();
    assert_eq!(report.settled, 1);
    let settled = state_of(&harness, &client, &id).await;
    assert_eq!(settled["state"], "settled");
    assert!(settled["reason"].is_null());
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(750000.00), dec!(0))
    );
    assert_eq!(run_cycle(&state).await.unwrap(), CycleReport::default());

    let finance = harness.staff_token(Role::Finance);
    let batches: Vec<Value> = harness
        .get("/v1/clearing/batches", &finance)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["state"], "settled");
    assert_eq!(batches[0]["total"], "250000.00");
    assert_eq!(batches[0]["cut_off_at"], "2027-03-10T10:30:00Z");
    assert_eq!(
        harness
            .get("/v1/clearing/batches", &client.token)
            .await
            .status(),
        403
    );
    let told: i64 = sqlx::query_scalar(
        "select count(*) from outbox_event
         where topic = 'account.money_moved' and payload->>'movement' = 'interbank_payment'",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_payment_to_a_closed_account_is_returned_and_its_money_freed(pool: PgPool) {
    let (harness, state) = started(pool).await;
    let client = client_with(&harness, "300000.00").await;
    let (bank, closed) = demo_closed_account_at_other_bank();
    assert_eq!(
        (bank.to_string(), closed.to_string()),
        ("00440".to_owned(), "20208000555500001001".to_owned()),
        "the README names this account"
    );
    let body = payment(&client, &bank.to_string(), &closed.to_string(), "100000.00");
    let accepted: Value = send(&harness, &client, &new_id().to_string(), &body)
        .await
        .json()
        .await
        .unwrap();
    let id = accepted["id"].as_str().unwrap().to_owned();
    harness.clock.set(ten_past_ten() + Duration::minutes(21));
    run_cycle(&state).await.unwrap();
    harness.clock.set(ten_past_ten() + Duration::minutes(40));
    let report = run_cycle(&state).await.unwrap();
    assert_eq!(report.returned, 1);
    let returned = state_of(&harness, &client, &id).await;
    assert_eq!(returned["state"], "returned");
    assert_eq!(returned["reason"], "account_closed");
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(300000.00), dec!(0)),
        "nothing left the account"
    );
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn two_runners_at_a_cut_off_send_each_payment_once(pool: PgPool) {
    let (harness, state) = started(pool).await;
    let client = client_with(&harness, "1000000.00").await;
    for owner in 1..=5 {
        let body = payment(&client, "00440", &other_bank_account(owner), "10000.00");
        assert_eq!(
            send(&harness, &client, &new_id().to_string(), &body)
                .await
                .status(),
            201
        );
    }
    harness.clock.set(ten_past_ten() + Duration::minutes(21));
    let (one, two) = tokio::join!(run_cycle(&state), run_cycle(&state));
    assert_eq!(one.unwrap().batched + two.unwrap().batched, 5);
    harness.clock.set(ten_past_ten() + Duration::minutes(30));
    let (one, two) = tokio::join!(run_cycle(&state), run_cycle(&state));
    assert_eq!(one.unwrap().settled + two.unwrap().settled, 5);
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(950000.00), dec!(0))
    );
    let batches: i64 = sqlx::query_scalar("select count(*) from clearing_batch")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(batches, 1);
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn bad_bank_codes_account_numbers_and_short_money_are_refused(pool: PgPool) {
    let (harness, _) = started(pool).await;
    let client = client_with(&harness, "100000.00").await;
    let stranger = client_with(&harness, "100000.00").await;
    let good = other_bank_account(12_345_678);
    let mut wrong_check = good.clone().into_bytes();
    wrong_check[19] = if wrong_check[19] == b'9' {
        b'8'
    } else {
        wrong_check[19] + 1
    };
    let wrong_check = String::from_utf8(wrong_check).unwrap();
    let dollars = AccountNumber::issue(
        BankCode::parse("00440").unwrap(),
        BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
        Currency::Usd,
        12_345_678,
        1,
    )
    .unwrap()
    .to_string();
    let cases = [
        (
            payment(&client, "0087A", &good, "1.00"),
            422,
            "invalid_bank_code",
        ),
        (
            payment(&client, &default_bank_code().to_string(), &good, "1.00"),
            422,
            "same_bank",
        ),
        (
            payment(&client, "00440", &wrong_check, "1.00"),
            422,
            "invalid_account_number",
        ),
        (
            payment(&client, "00441", &good, "1.00"),
            422,
            "invalid_account_number",
        ),
        (
            payment(&client, "00440", &dollars, "1.00"),
            422,
            "currency_not_cleared",
        ),
        (
            payment(&client, "00440", &good, "100000.01"),
            422,
            "insufficient_funds",
        ),
        (payment(&client, "00440", &good, "0"), 422, "not_positive"),
        (
            payment(&client, "00440", &good, "1.001"),
            422,
            "too_many_decimals",
        ),
        (
            payment(&stranger, "00440", &good, "1.00"),
            404,
            "unknown_account",
        ),
    ];
    for (body, status, code) in cases {
        assert_refused(
            send(&harness, &client, &new_id().to_string(), &body).await,
            status,
            code,
        )
        .await;
    }
    let key = new_id().to_string();
    assert_eq!(
        send(
            &harness,
            &client,
            &key,
            &payment(&client, "00440", &good, "1.00")
        )
        .await
        .status(),
        201
    );
    assert_refused(
        send(
            &harness,
            &client,
            &key,
            &payment(&client, "00440", &good, "2.00"),
        )
        .await,
        422,
        "idempotency_key_reused",
    )
    .await;
    let staff = harness.staff_token(Role::Finance);
    assert_eq!(
        harness
            .post(
                "/v1/me/interbank-payments",
                &staff,
                Some(&new_id().to_string()),
                &payment(&client, "00440", &good, "1.00"),
            )
            .await
            .status(),
        403
    );
    let theirs: Vec<Value> = harness
        .get("/v1/me/interbank-payments", &stranger.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(100000.00), dec!(1.00))
    );
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn an_incoming_file_credits_each_payment_once_and_rejects_what_it_cannot(pool: PgPool) {
    let (harness, _) = started(pool).await;
    let client = client_with(&harness, "0.01").await;
    let unknown = AccountNumber::issue(
        default_bank_code(),
        BalanceAccountCode::CURRENT_ACCOUNT_OF_INDIVIDUAL,
        Currency::Uzs,
        99_999_999,
        7,
    )
    .unwrap()
    .to_string();
    let payer = other_bank_account(4_242);
    let file = format!(
        "IMKON-CLEARING 1 INCOMING 2027-03-10\n\
         CLR-0001|00873|{payer}|OOO Customer|{current}|500000.00|Payment for services\n\
         CLR-0002|00873|{payer}|OOO Customer|{unknown}|1000.00|Wrong account\n\
         CLR-0003|00873|{payer}|OOO Customer|{bad}|2000.00|Mistyped account\n\
         TOTAL 3|503000.00\n",
        current = client.current,
        bad = other_bank_account(1),
    );
    let finance = harness.staff_token(Role::Finance);
    let upload = |content: String| {
        let harness = &harness;
        let finance = finance.clone();
        async move {
            harness
                .post(
                    "/v1/clearing/incoming-files",
                    &finance,
                    None,
                    &json!({"file_name": "incoming-2027-03-10-1.txt", "content": content}),
                )
                .await
        }
    };
    let first = upload(file.clone()).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["credited"], 1);
    let reasons: Vec<&str> = first["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rejected| rejected["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["unknown_account", "invalid_account_number"]);
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(500000.01), dec!(0))
    );

    let second: Value = upload(file).await.json().await.unwrap();
    assert_eq!(second["credited"], 0);
    assert_eq!(second["already_received"], 3);
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(500000.01), dec!(0)),
        "a file delivered twice credits once"
    );

    let broken = upload("IMKON-CLEARING 1 INCOMING 2027-03-10\nTOTAL 1|5.00\n".to_owned()).await;
    assert_refused(broken, 422, "invalid_clearing_file").await;
    assert_eq!(
        harness
            .post(
                "/v1/clearing/incoming-files",
                &client.token,
                None,
                &json!({"file_name": "x", "content": "y"}),
            )
            .await
            .status(),
        403
    );
    let told: i64 = sqlx::query_scalar(
        "select count(*) from outbox_event
         where topic = 'account.money_moved' and payload->>'movement' = 'interbank_payment'",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn payments_to_other_banks_count_towards_the_daily_limit_with_transfers_inside(pool: PgPool) {
    let limit = Money::new(dec!(300000.00), Currency::Uzs).unwrap();
    let (harness, _) = started_with(
        pool,
        ClientTransferPolicy::standard().with_daily_limit(limit),
    )
    .await;
    let client = client_with(&harness, "1000000.00").await;
    let neighbour = client_with(&harness, "0.01").await;
    let good = other_bank_account(12_345_678);
    assert_eq!(
        send(
            &harness,
            &client,
            &new_id().to_string(),
            &payment(&client, "00440", &good, "200000.00")
        )
        .await
        .status(),
        201
    );
    assert_refused(
        send(
            &harness,
            &client,
            &new_id().to_string(),
            &payment(&client, "00440", &good, "100000.01"),
        )
        .await,
        422,
        "daily_limit_exceeded",
    )
    .await;
    let inside = harness
        .post(
            "/v1/me/transfers/quote",
            &client.token,
            None,
            &json!({"from_account": client.current, "to_account": neighbour.current, "amount": "100000.01"}),
        )
        .await;
    assert_refused(inside, 422, "daily_limit_exceeded").await;
    assert_eq!(
        send(
            &harness,
            &client,
            &new_id().to_string(),
            &payment(&client, "00440", &good, "100000.00")
        )
        .await
        .status(),
        201,
        "up to the limit exactly"
    );
    assert_eq!(
        balances(&harness, &client.current).await,
        (dec!(1000000.00), dec!(300000.00))
    );
}
