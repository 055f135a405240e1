//! Term deposits over HTTP against a real database: admins set up products (bad terms refused
//! by field); a client opens a deposit once per key from their own current account; the daily
//! job accrues each day once (however many runners), pays or capitalises monthly interest and
//! pays the deposit back at maturity; closing early pays the early-withdrawal rate. After every
//! step the ledger balances and the bank's interest payable holds exactly what is unpaid.

mod common;

use chrono::{Days, Months, NaiveDate};
use imkon_accounts::deposits::{run_through, RunReport};
use imkon_accounts::AppState;
use imkon_auth::Role;
use imkon_platform::id::new_id;
use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start_with, Harness};

async fn started(pool: PgPool) -> (Harness, AppState) {
    imkon_platform::telemetry::init_tracing(imkon_platform::telemetry::LogFormat::Pretty);
    let mut captured = None;
    let harness = start_with(pool, |state| {
        captured = Some(state.clone());
        state
    })
    .await;
    (harness, captured.expect("the state was built"))
}

/// Simple interest as the bank's rule states it, computed here on its own: base × rate % ×
/// days / 365, half-even to the tiyin.
fn interest(base: Decimal, rate: Decimal, days: i64) -> Decimal {
    (base * rate * Decimal::from(days) / dec!(36500))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
}

fn decimal(value: &Value) -> Decimal {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a string"))
        .parse()
        .unwrap()
}

async fn balance(harness: &Harness, number: &str) -> Decimal {
    decimal(&harness.account(number).await["posted_balance"])
}

/// The balance of the bank's only account of `kind`, zero before it is opened.
async fn bank_balance(harness: &Harness, kind: &str) -> Decimal {
    sqlx::query_scalar::<_, Decimal>(
        "select coalesce(sum(posted_balance), 0) from account
         where kind = $1 and owner_client_id is null",
    )
    .bind(kind)
    .fetch_one(&harness.pool)
    .await
    .unwrap()
}

async fn product(harness: &Harness, body: Value) -> Value {
    let admin = harness.staff_token(Role::Admin);
    let response = harness
        .post("/v1/deposit-products", &admin, None, &body)
        .await;
    assert_eq!(response.status(), 201, "product {body}");
    response.json().await.unwrap()
}

fn terms(months: u32, payout: &str, capitalised: bool) -> Value {
    json!({
        "name": format!("{months} months, {payout}"),
        "currency": "UZS",
        "term_months": months,
        "annual_rate": "20",
        "early_withdrawal_rate": "5",
        "min_amount": "100000",
        "interest_payout": payout,
        "capitalised": capitalised,
    })
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

async fn open(harness: &Harness, client: &Client, product: &Value, amount: &str) -> Value {
    let response = harness
        .post(
            "/v1/me/deposits",
            &client.token,
            Some(&new_id().to_string()),
            &json!({"product_id": product["id"], "from_account": client.current, "amount": amount}),
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "open a deposit: {body}");
    body
}

async fn detail(harness: &Harness, client: &Client, deposit: &Value) -> Value {
    let response = harness
        .get(
            &format!("/v1/me/deposits/{}", deposit["id"].as_str().unwrap()),
            &client.token,
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn accrual_days(harness: &Harness) -> i64 {
    sqlx::query_scalar::<_, i64>("select count(*) from deposit_accrual")
        .fetch_one(&harness.pool)
        .await
        .unwrap()
}

/// The ledger balances, and interest payable holds exactly the accruals of open periods.
async fn assert_books(harness: &Harness) {
    harness.assert_invariants().await;
    let unpaid: Decimal = sqlx::query_scalar(
        "select coalesce(sum(period_accrued), 0) from term_deposit where state = 'open'",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(
        bank_balance(harness, "deposit_interest_payable").await,
        unpaid
    );
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

fn date(value: &Value) -> NaiveDate {
    value.as_str().unwrap().parse().unwrap()
}

#[sqlx::test(migrations = false)]
async fn an_admin_sets_up_products_and_bad_terms_are_refused_naming_the_field(pool: PgPool) {
    let (harness, _) = started(pool).await;
    let admin = harness.staff_token(Role::Admin);
    let client = harness.founder_token(new_id());

    let refused = harness
        .post(
            "/v1/deposit-products",
            &client,
            None,
            &terms(12, "maturity", false),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let finance = harness.staff_token(Role::Finance);
    let refused = harness
        .post(
            "/v1/deposit-products",
            &finance,
            None,
            &terms(12, "maturity", false),
        )
        .await;
    assert_eq!(refused.status(), 403);

    let cases = [
        ("term_months", json!(0), "term_out_of_range"),
        ("term_months", json!(61), "term_out_of_range"),
        ("annual_rate", json!("100"), "rate_out_of_range"),
        ("annual_rate", json!("0"), "rate_out_of_range"),
        ("annual_rate", json!("18.125"), "rate_out_of_range"),
        ("annual_rate", json!("twenty"), "not_a_rate"),
        (
            "early_withdrawal_rate",
            json!("20.01"),
            "early_rate_out_of_range",
        ),
        (
            "early_withdrawal_rate",
            json!("-1"),
            "early_rate_out_of_range",
        ),
        ("min_amount", json!("0"), "min_amount_not_positive"),
        ("min_amount", json!("10.001"), "too_many_decimals"),
        ("currency", json!("GBP"), "unknown_currency"),
        (
            "interest_payout",
            json!("weekly"),
            "invalid_interest_payout",
        ),
    ];
    for (field, value, code) in cases {
        let mut body = terms(12, "monthly", false);
        body[field] = value;
        let response = harness
            .post("/v1/deposit-products", &admin, None, &body)
            .await;
        assert_refused(response, 422, code).await;
    }
    let mut capitalised_at_maturity = terms(12, "maturity", true);
    capitalised_at_maturity["capitalised"] = json!(true);
    let response = harness
        .post(
            "/v1/deposit-products",
            &admin,
            None,
            &capitalised_at_maturity,
        )
        .await;
    assert_refused(response, 422, "capitalisation_needs_monthly_interest").await;

    let offered = product(&harness, terms(12, "monthly", true)).await;
    assert_eq!(offered["annual_rate"], "20.00");
    assert_eq!(offered["min_amount"], "100000.00");
    let listed: Vec<Value> = harness
        .get("/v1/deposit-products", &client)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    let withdrawn = harness
        .post(
            &format!(
                "/v1/deposit-products/{}/withdraw",
                offered["id"].as_str().unwrap()
            ),
            &admin,
            None,
            &json!({}),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    let listed: Vec<Value> = harness
        .get("/v1/deposit-products", &client)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed.is_empty(), "a withdrawn product is not offered");
    let listed: Vec<Value> = harness
        .get("/v1/deposit-products", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["state"], "withdrawn");
    let again = harness
        .post(
            &format!(
                "/v1/deposit-products/{}/withdraw",
                offered["id"].as_str().unwrap()
            ),
            &admin,
            None,
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 404);

    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where action like 'deposit_product.%'",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}

#[sqlx::test(migrations = false)]
async fn a_deposit_opens_once_per_key_and_only_from_the_clients_own_money(pool: PgPool) {
    let (harness, _) = started(pool).await;
    let offered = product(&harness, terms(3, "maturity", false)).await;
    let client = client_with(&harness, "2000000.00").await;
    let stranger = client_with(&harness, "2000000.00").await;

    let body =
        json!({"product_id": offered["id"], "from_account": client.current, "amount": "1000000"});
    let key = new_id().to_string();
    let first = harness
        .post("/v1/me/deposits", &client.token, Some(&key), &body)
        .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["state"], "open");
    assert_eq!(first["principal"], "1000000.00");
    assert_eq!(first["balance"], "1000000.00");
    assert!(first["account_number"]
        .as_str()
        .unwrap()
        .starts_with("20606"));
    assert_eq!(balance(&harness, &client.current).await, dec!(1000000.00));
    assert_eq!(
        balance(&harness, first["account_number"].as_str().unwrap()).await,
        dec!(1000000.00)
    );

    let retry = harness
        .post("/v1/me/deposits", &client.token, Some(&key), &body)
        .await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(balance(&harness, &client.current).await, dec!(1000000.00));

    let mut other = body.clone();
    other["amount"] = json!("200000");
    let reused = harness
        .post("/v1/me/deposits", &client.token, Some(&key), &other)
        .await;
    assert_refused(reused, 422, "idempotency_key_reused").await;

    let attempts = [
        (json!("1000000.01"), "insufficient_funds"),
        (json!("99999.99"), "below_minimum"),
        (json!("0"), "not_positive"),
        (json!("1.001"), "too_many_decimals"),
        (json!("lots"), "not_an_amount"),
    ];
    for (amount, code) in attempts {
        let mut body = body.clone();
        body["amount"] = amount;
        let response = harness
            .post(
                "/v1/me/deposits",
                &client.token,
                Some(&new_id().to_string()),
                &body,
            )
            .await;
        assert_refused(response, 422, code).await;
    }
    let no_key = harness
        .post("/v1/me/deposits", &client.token, None, &body)
        .await;
    assert_eq!(no_key.status(), 400);

    let from_theirs =
        json!({"product_id": offered["id"], "from_account": stranger.current, "amount": "100000"});
    let response = harness
        .post(
            "/v1/me/deposits",
            &client.token,
            Some(&new_id().to_string()),
            &from_theirs,
        )
        .await;
    assert_eq!(
        response.status(),
        404,
        "another client's account is not found"
    );
    let from_deposit = json!({"product_id": offered["id"], "from_account": first["account_number"], "amount": "100000"});
    let response = harness
        .post(
            "/v1/me/deposits",
            &client.token,
            Some(&new_id().to_string()),
            &from_deposit,
        )
        .await;
    assert_eq!(response.status(), 404, "a deposit is not a current account");

    let theirs = harness
        .get(
            &format!("/v1/me/deposits/{}", first["id"].as_str().unwrap()),
            &stranger.token,
        )
        .await;
    assert_eq!(theirs.status(), 404);
    let closed_by_stranger = harness
        .post(
            &format!("/v1/me/deposits/{}/close", first["id"].as_str().unwrap()),
            &stranger.token,
            Some(&new_id().to_string()),
            &json!({}),
        )
        .await;
    assert_eq!(closed_by_stranger.status(), 404);
    let staff = harness.staff_token(Role::Finance);
    assert_eq!(harness.get("/v1/me/deposits", &staff).await.status(), 403);

    let mine: Vec<Value> = harness
        .get("/v1/me/deposits", &client.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1, "refused openings are not listed");
    let transfers_out = harness
        .post(
            "/v1/me/transfers/quote",
            &client.token,
            None,
            &json!({"from_account": first["account_number"], "to_account": stranger.current, "amount": "1.00"}),
        )
        .await;
    assert!(
        transfers_out.status().is_client_error(),
        "a deposit's money cannot be sent away"
    );
    assert_books(&harness).await;
}

#[sqlx::test(migrations = false)]
async fn a_deposit_accrues_each_day_once_and_returns_with_its_interest_at_maturity(pool: PgPool) {
    let (harness, state) = started(pool).await;
    let offered = product(&harness, terms(3, "maturity", false)).await;
    let client = client_with(&harness, "1500000.00").await;
    let deposit = open(&harness, &client, &offered, "1000000").await;
    let opened = date(&deposit["opened_on"]);
    let matures = date(&deposit["matures_on"]);
    assert_eq!(matures, opened.checked_add_months(Months::new(3)).unwrap());

    // Ten days over: ten accruals, by two runners at once, each day once.
    let tenth = opened.checked_add_days(Days::new(10)).unwrap();
    let (one, two) = tokio::join!(run_through(&state, tenth), run_through(&state, tenth));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.accrued_days + two.accrued_days, 10);
    assert_eq!(accrual_days(&harness).await, 10);
    assert_eq!(
        run_through(&state, tenth).await.unwrap(),
        RunReport::default()
    );
    let ten_days = interest(dec!(1000000), dec!(20), 10);
    assert_eq!(ten_days, dec!(5479.45));
    let seen = detail(&harness, &client, &deposit).await;
    assert_eq!(decimal(&seen["interest_accrued"]), ten_days);
    assert_eq!(date(&seen["accrued_through"]), tenth.pred_opt().unwrap());
    assert_eq!(seen["schedule"].as_array().unwrap().len(), 1);
    assert_eq!(seen["schedule"][0]["status"], "accruing");
    assert_eq!(bank_balance(&harness, "interest_expense").await, ten_days);
    assert_books(&harness).await;

    // The day before maturity everything but the last day is accrued, nothing returned.
    let eve = matures.pred_opt().unwrap();
    run_through(&state, eve).await.unwrap();
    assert_eq!(balance(&harness, &client.current).await, dec!(500000.00));

    let report = run_through(&state, matures).await.unwrap();
    assert_eq!(report.matured, 1);
    let days = (matures - opened).num_days();
    let earned = interest(dec!(1000000), dec!(20), days);
    assert_eq!(
        balance(&harness, &client.current).await,
        dec!(1500000.00) + earned
    );
    let seen = detail(&harness, &client, &deposit).await;
    assert_eq!(seen["state"], "matured");
    assert_eq!(decimal(&seen["interest_paid"]), earned);
    assert_eq!(seen["schedule"][0]["status"], "paid");
    assert!(seen["early_closure"].is_null());
    let deposit_account = harness
        .account(deposit["account_number"].as_str().unwrap())
        .await;
    assert_eq!(deposit_account["posted_balance"], "0.00");
    assert!(!deposit_account["closed_at"].is_null());
    assert_eq!(bank_balance(&harness, "interest_expense").await, earned);
    assert_eq!(
        bank_balance(&harness, "deposit_interest_payable").await,
        Decimal::ZERO
    );
    let accrued: Decimal = sqlx::query_scalar("select sum(amount) from deposit_accrual")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(
        accrued, earned,
        "the days add up to the period's rounded interest"
    );
    assert_eq!(
        run_through(&state, matures.checked_add_days(Days::new(5)).unwrap())
            .await
            .unwrap(),
        RunReport::default()
    );
    let movements: i64 = sqlx::query_scalar(
        "select count(*) from outbox_event
         where topic = 'account.money_moved' and payload->>'movement' = 'term_deposit'",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(movements, 2, "told when it opened and when it matured");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where action in ('deposit.opened', 'deposit.matured')",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
    assert_books(&harness).await;
}

#[sqlx::test(migrations = false)]
async fn monthly_interest_is_paid_out_or_added_to_the_deposit(pool: PgPool) {
    let (harness, state) = started(pool).await;
    let paid_out = product(&harness, terms(2, "monthly", false)).await;
    let compounding = product(&harness, terms(2, "monthly", true)).await;
    let client = client_with(&harness, "2000000.00").await;
    let simple = open(&harness, &client, &paid_out, "1000000").await;
    let compound = open(&harness, &client, &compounding, "1000000").await;
    let opened = date(&simple["opened_on"]);
    let first_end = opened.checked_add_months(Months::new(1)).unwrap();
    let first_days = (first_end - opened).num_days();
    let first = interest(dec!(1000000), dec!(20), first_days);

    let report = run_through(&state, first_end).await.unwrap();
    assert_eq!(report.periods_paid, 2);
    assert_eq!(balance(&harness, &client.current).await, first);
    assert_eq!(
        balance(&harness, compound["account_number"].as_str().unwrap()).await,
        dec!(1000000) + first
    );
    let seen = detail(&harness, &client, &compound).await;
    assert_eq!(seen["schedule"][0]["status"], "capitalised");
    assert_eq!(seen["schedule"][1]["status"], "accruing");
    assert_eq!(decimal(&seen["schedule"][1]["base"]), dec!(1000000) + first);
    assert_eq!(decimal(&seen["balance"]), dec!(1000000) + first);
    assert_books(&harness).await;

    let matures = date(&simple["matures_on"]);
    run_through(&state, matures).await.unwrap();
    let second_days = (matures - first_end).num_days();
    let simple_second = interest(dec!(1000000), dec!(20), second_days);
    let compound_second = interest(dec!(1000000) + first, dec!(20), second_days);
    assert_eq!(
        balance(&harness, &client.current).await,
        dec!(2000000) + first + simple_second + first + compound_second
    );
    let seen = detail(&harness, &client, &compound).await;
    assert_eq!(seen["state"], "matured");
    assert_eq!(decimal(&seen["interest_accrued"]), first + compound_second);
    assert_books(&harness).await;
}

#[sqlx::test(migrations = false)]
async fn closing_early_pays_the_early_rate_and_takes_back_interest_paid_above_it(pool: PgPool) {
    let (harness, state) = started(pool).await;
    let offered = product(&harness, terms(6, "monthly", false)).await;
    let client = client_with(&harness, "1000000.00").await;
    let deposit = open(&harness, &client, &offered, "1000000").await;
    let id = deposit["id"].as_str().unwrap();
    let opened = date(&deposit["opened_on"]);
    let day_40 = opened.checked_add_days(Days::new(40)).unwrap();
    run_through(&state, day_40).await.unwrap();
    let first_end = opened.checked_add_months(Months::new(1)).unwrap();
    let paid = interest(dec!(1000000), dec!(20), (first_end - opened).num_days());
    assert_eq!(balance(&harness, &client.current).await, paid);

    harness
        .clock
        .set(harness.calendar.start_of(day_40) + chrono::Duration::hours(12));
    let seen = detail(&harness, &client, &deposit).await;
    let quote = &seen["early_closure"];
    let earned = interest(dec!(1000000), dec!(5), 40);
    assert_eq!(decimal(&quote["interest"]), earned);
    assert_eq!(decimal(&quote["credited"]), paid);
    assert_eq!(decimal(&quote["returned"]), dec!(1000000) + earned - paid);

    let no_key = harness
        .post(
            &format!("/v1/me/deposits/{id}/close"),
            &client.token,
            None,
            &json!({}),
        )
        .await;
    assert_eq!(no_key.status(), 400);
    let key = new_id().to_string();
    let closed = harness
        .post(
            &format!("/v1/me/deposits/{id}/close"),
            &client.token,
            Some(&key),
            &json!({}),
        )
        .await;
    assert_eq!(closed.status(), 200);
    let closed: Value = closed.json().await.unwrap();
    assert_eq!(closed["state"], "closed_early");
    assert_eq!(decimal(&closed["early_interest"]), earned);
    assert_eq!(
        balance(&harness, &client.current).await,
        dec!(1000000) + earned
    );
    assert_eq!(bank_balance(&harness, "interest_expense").await, earned);
    assert_books(&harness).await;

    let again = harness
        .post(
            &format!("/v1/me/deposits/{id}/close"),
            &client.token,
            Some(&key),
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        balance(&harness, &client.current).await,
        dec!(1000000) + earned
    );
    let report = run_through(&state, day_40.checked_add_days(Days::new(30)).unwrap())
        .await
        .unwrap();
    assert_eq!(
        report,
        RunReport::default(),
        "a closed deposit earns nothing more"
    );

    // A deposit that reached its maturity date is paid back by the bank, not closed early.
    let short = product(&harness, terms(1, "maturity", false)).await;
    let other = client_with(&harness, "100000.00").await;
    let due = open(&harness, &other, &short, "100000").await;
    harness
        .clock
        .set(harness.calendar.start_of(date(&due["matures_on"])) + chrono::Duration::hours(1));
    let response = harness
        .post(
            &format!("/v1/me/deposits/{}/close", due["id"].as_str().unwrap()),
            &other.token,
            Some(&new_id().to_string()),
            &json!({}),
        )
        .await;
    assert_refused(response, 409, "deposit_matures_today").await;
    assert_books(&harness).await;
}
