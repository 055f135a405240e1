//! Every way a client can take money out of their current account, all at once on one account:
//! currency exchanges, term deposit openings, transfers to another client, payments to other
//! banks and bill payments race for a balance that pays only some of them, and the account is
//! never overdrawn.

mod common;

use chrono::{DateTime, Days, Duration, Utc};
use futures::future::{join_all, BoxFuture, FutureExt};
use imkon_accounts::bill_payments::retry_pending;
use imkon_accounts::db::billing::{insert_invoice, NewInvoice};
use imkon_accounts::domain::account_number::{AccountNumber, BalanceAccountCode, BankCode};
use imkon_accounts::interbank::run_cycle;
use imkon_accounts::opening::seed_demo;
use imkon_accounts::{default_bank_code, AppState};
use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::money::Currency;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start_with, Harness};

/// What each request of the race takes from the account: 100 dollars at the demo's selling
/// rate of 12 690 sums, and the same sum for every other kind, so that exactly as many
/// requests fit in the balance whichever order they are booked in.
const EACH: Decimal = dec!(1269000.00);

/// How many requests the account can pay.
const AFFORDABLE: usize = 10;

/// What is left once the affordable requests are paid: less than one more request, so that it
/// shows any request taken in part.
const LEFT_OVER: Decimal = dec!(123456.78);

/// How many requests of each kind join the race.
const PER_KIND: usize = 4;

/// A quiet morning, ten past ten UTC: twenty minutes before the clearing's next cut-off, so
/// that the minute the test lets pass forms no batch.
fn ten_past_ten() -> DateTime<Utc> {
    "2027-03-10T10:10:00Z".parse().unwrap()
}

/// The kinds of request that take money from a current account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Exchange,
    Deposit,
    Transfer,
    OtherBank,
    Bill,
}

const KINDS: [Kind; 5] = [
    Kind::Exchange,
    Kind::Deposit,
    Kind::Transfer,
    Kind::OtherBank,
    Kind::Bill,
];

/// A request's answer: its kind, status and body.
type Answer = (Kind, u16, Value);

/// The paying client: a current account in sums holding the race's money, and an empty one in
/// dollars for the exchanges.
struct Client {
    token: String,
    sums: String,
    dollars: String,
}

fn decimal(value: &Value) -> Decimal {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not an amount"))
        .parse()
        .unwrap()
}

/// The account's posted balance and what is free of holds.
async fn balances(harness: &Harness, number: &str) -> (Decimal, Decimal) {
    let account = harness.account(number).await;
    (
        decimal(&account["posted_balance"]),
        decimal(&account["available_balance"]),
    )
}

/// A company's account in sums at bank 00440.
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

async fn client_with(harness: &Harness, settlement: &str, money: Decimal) -> Client {
    let id = new_id();
    let token = harness.founder_token(id);
    let sums = harness.open_client_current(id).await;
    harness.fund(settlement, &sums, &money.to_string()).await;
    let response = harness
        .post(
            "/v1/me/accounts",
            &token,
            Some(&new_id().to_string()),
            &json!({"currency": "USD"}),
        )
        .await;
    assert_eq!(response.status(), 201, "open a dollar account");
    let opened: Value = response.json().await.unwrap();
    Client {
        token,
        sums,
        dollars: opened["number"].as_str().unwrap().to_owned(),
    }
}

/// Invoices of exactly [`EACH`] in the demo's simulated billing system, payable for a year:
/// the demo's own invoices are of other sums.
async fn invoices(harness: &Harness) -> Vec<String> {
    let expires_on = harness.calendar.today() + Days::new(365);
    let mut connection = harness.pool.acquire().await.unwrap();
    let mut numbers = Vec::new();
    for index in 1..=PER_KIND {
        let number = format!("RACE-{index:04}");
        insert_invoice(
            &mut connection,
            &NewInvoice {
                number: &number,
                payee_code: "electricity",
                description: "Elektr energiyasi",
                amount: EACH,
                expires_on,
            },
        )
        .await
        .unwrap();
        numbers.push(number);
    }
    numbers
}

/// A deposit product an admin sets up, which takes [`EACH`].
async fn deposit_product(harness: &Harness) -> Value {
    let response = harness
        .post(
            "/v1/deposit-products",
            &harness.staff_token(Role::Admin),
            None,
            &json!({
                "name": "12 months, monthly",
                "currency": "UZS",
                "term_months": 12,
                "annual_rate": "20",
                "early_withdrawal_rate": "5",
                "min_amount": "1000000",
                "interest_payout": "monthly",
                "capitalised": false,
            }),
        )
        .await;
    assert_eq!(response.status(), 201, "set up a deposit product");
    response.json().await.unwrap()
}

/// A quote of the client's for 100 dollars, which costs [`EACH`].
async fn exchange_quote(harness: &Harness, client: &Client) -> Value {
    let response = harness
        .post(
            "/v1/me/exchanges/quote",
            &client.token,
            None,
            &json!({"from_account": client.sums, "to_account": client.dollars, "buy_amount": "100"}),
        )
        .await;
    assert_eq!(response.status(), 201, "quote an exchange");
    let quoted: Value = response.json().await.unwrap();
    assert_eq!(decimal(&quoted["sell_amount"]), EACH, "{quoted}");
    quoted
}

/// A quote of the client's for a transfer of [`EACH`] to `to`.
async fn transfer_quote(harness: &Harness, client: &Client, to: &str) -> Value {
    let response = harness
        .post(
            "/v1/me/transfers/quote",
            &client.token,
            None,
            &json!({"from_account": client.sums, "to_account": to, "amount": EACH.to_string()}),
        )
        .await;
    assert_eq!(response.status(), 201, "quote a transfer");
    let quoted: Value = response.json().await.unwrap();
    assert_eq!(decimal(&quoted["total_debit"]), EACH, "{quoted}");
    quoted
}

/// Sends one request with a fresh Idempotency-Key and answers its kind, status and body.
fn request<'a>(
    harness: &'a Harness,
    client: &'a Client,
    kind: Kind,
    path: &'static str,
    body: Value,
) -> BoxFuture<'a, Answer> {
    async move {
        let response = harness
            .post(path, &client.token, Some(&new_id().to_string()), &body)
            .await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (kind, status, body)
    }
    .boxed()
}

/// One client's current account in sums holds ten times what each request takes, and a little
/// more. Twenty requests, four of each kind that takes money from it (an exchange into
/// dollars, a term deposit's opening, a transfer to another client, a payment to another bank,
/// a bill payment), are sent all at once, their kinds interleaved. Every request takes the
/// same sum, so whatever order the bank books them in, exactly ten fit: ten are accepted and
/// ten refused with 422 `insufficient_funds`, and none fails with a server error.
///
/// Afterwards the money the accepted requests took is exactly where they said it went: the
/// exchanges' dollars are on the dollar account, the transfers on the recipient's, the
/// deposits open, the payments to other banks held (a held payment counts against the
/// available balance though it is still posted) and the bills paid; what the client lists
/// agrees with what they were told. The account's available balance is what was left over,
/// its posted balance that plus what is held, and no statement line of any account that may
/// not go negative is below zero, so the account was never overdrawn, not even for a moment;
/// every transfer's debits equal its credits.
///
/// A refusal is final: when more money arrives later and the background runs that finish what
/// a request left undone (holding a payment to another bank, asking a billing system again)
/// pass by, they find nothing of the race to do and take nothing more from the account.
///
/// The client's daily limit (50 million sums for transfers and payments to other banks
/// together) is far above what the race can send, so no refusal here is the limit's.
#[sqlx::test(migrations = false)]
async fn a_race_of_exchanges_deposits_transfers_and_payments_never_overdraws_the_account(
    pool: PgPool,
) {
    let mut captured = None;
    let harness = start_with(pool, |state| {
        captured = Some(state.clone());
        state
    })
    .await;
    let state: AppState = captured.expect("the state was built");
    harness.clock.set(ten_past_ten());
    // The bank's own accounts, the demo's exchange rates and the billing system's payees.
    seed_demo(&harness.pool, default_bank_code(), harness.calendar.now())
        .await
        .unwrap();
    let settlement = harness.open_settlement().await;
    let funding = EACH * Decimal::from(AFFORDABLE) + LEFT_OVER;
    let client = client_with(&harness, &settlement, funding).await;
    let recipient = harness.open_client_current(new_id()).await;
    let product = deposit_product(&harness).await;
    let invoices = invoices(&harness).await;
    // Quotes move nothing: they are taken before the race, and only their confirmations race.
    let mut exchange_quotes = Vec::new();
    let mut transfer_quotes = Vec::new();
    for _ in 0..PER_KIND {
        exchange_quotes.push(exchange_quote(&harness, &client).await);
        transfer_quotes.push(transfer_quote(&harness, &client, &recipient).await);
    }

    let mut requests = Vec::new();
    for index in 0..PER_KIND {
        let confirm = |quote: &Value| json!({"quote_id": quote["quote_id"], "confirmation_token": quote["confirmation_token"]});
        requests.push(request(
            &harness,
            &client,
            Kind::Exchange,
            "/v1/me/exchanges/confirm",
            confirm(&exchange_quotes[index]),
        ));
        requests.push(request(
            &harness,
            &client,
            Kind::Deposit,
            "/v1/me/deposits",
            json!({"product_id": product["id"], "from_account": client.sums, "amount": EACH.to_string()}),
        ));
        requests.push(request(
            &harness,
            &client,
            Kind::Transfer,
            "/v1/me/transfers/confirm",
            confirm(&transfer_quotes[index]),
        ));
        requests.push(request(
            &harness,
            &client,
            Kind::OtherBank,
            "/v1/me/interbank-payments",
            json!({
                "from_account": client.sums,
                "to_bank": "00440",
                "to_account": other_bank_account(1_000 + index as u32),
                "recipient_name": "OOO Silk Road Software",
                "purpose": "Invoice 42 for software development",
                "amount": EACH.to_string(),
            }),
        ));
        requests.push(request(
            &harness,
            &client,
            Kind::Bill,
            "/v1/me/bill-payments",
            json!({"invoice_number": invoices[index], "from_account": client.sums}),
        ));
    }
    let answers: Vec<Answer> = join_all(requests).await;

    let unexpected: Vec<&Answer> = answers
        .iter()
        .filter(|(_, status, body)| {
            *status != 201 && !(*status == 422 && body["code"] == "insufficient_funds")
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "every answer is 201 or 422 insufficient_funds: {unexpected:?}"
    );
    let accepted = |kind: Kind| {
        answers
            .iter()
            .filter(|(of, status, _)| *of == kind && *status == 201)
            .count()
    };
    let booked: usize = KINDS.into_iter().map(accepted).sum();
    assert_eq!(booked, AFFORDABLE, "{answers:?}");

    let (posted, available) = balances(&harness, &client.sums).await;
    let held = EACH * Decimal::from(accepted(Kind::OtherBank));
    assert_eq!(available, LEFT_OVER, "all that is left is free");
    assert_eq!(
        posted,
        LEFT_OVER + held,
        "only the held payments are still posted"
    );

    let dollars = balances(&harness, &client.dollars).await.0;
    assert_eq!(dollars, dec!(100) * Decimal::from(accepted(Kind::Exchange)));
    let received = balances(&harness, &recipient).await.0;
    assert_eq!(received, EACH * Decimal::from(accepted(Kind::Transfer)));
    let count_in = |list: &Value, state: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|item| item["state"] == state)
            .count()
    };
    let list = |path: &'static str| {
        let harness = &harness;
        let token = client.token.clone();
        async move {
            let response = harness.get(path, &token).await;
            assert_eq!(response.status(), 200, "{path}");
            response.json::<Value>().await.unwrap()
        }
    };
    let deposits = list("/v1/me/deposits").await;
    assert_eq!(
        count_in(&deposits, "open"),
        accepted(Kind::Deposit),
        "{deposits}"
    );
    // A payment the client was refused is refused in their list too, not left waiting for a
    // background run to pay it.
    let other_banks = list("/v1/me/interbank-payments").await;
    assert_eq!(
        count_in(&other_banks, "accepted"),
        accepted(Kind::OtherBank),
        "{other_banks}"
    );
    let bills = list("/v1/me/bill-payments").await;
    assert_eq!(count_in(&bills, "paid"), accepted(Kind::Bill), "{bills}");
    assert_eq!(count_in(&bills, "pending"), 0, "{bills}");

    // More money arrives, and a minute later the background runs pass by: each finishes only
    // what a request left undone half a minute ago or more, so the race's requests are theirs.
    let income = EACH * Decimal::from(AFFORDABLE);
    harness
        .fund(&settlement, &client.sums, &income.to_string())
        .await;
    harness.clock.advance(Duration::minutes(1));
    let clearing = run_cycle(&state).await.expect("the clearing run");
    assert_eq!(clearing.held, 0, "no refused payment is held later");
    let retried = retry_pending(&state)
        .await
        .expect("the bill payments' retry run");
    assert_eq!(retried, 0, "no refused bill is paid later");
    assert_eq!(
        balances(&harness, &client.sums).await,
        (LEFT_OVER + held + income, LEFT_OVER + income),
        "the background runs took nothing more"
    );
    harness.assert_invariants().await;
}
