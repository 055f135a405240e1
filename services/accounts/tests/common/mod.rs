//! Shared set-up for the accounts service's black-box tests: a server on a fresh database,
//! tokens for every kind of caller, helpers that open and fund accounts, and the ledger's
//! invariants checked straight against the database.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use imkon_accounts::{app, migrator, AppState};
use imkon_auth::{Audience, Principal, Role, TokenIssuer};
use imkon_platform::calendar::{BankCalendar, SettableClock};
use imkon_platform::config::HttpLimits;
use imkon_platform::id::new_id;
use imkon_platform::testing::{test_tokens, TestServer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Response;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

pub struct Harness {
    pub server: TestServer,
    pub issuer: TokenIssuer,
    pub pool: PgPool,
    /// The service's clock: it starts at the real instant and moves only when a test moves it.
    pub clock: Arc<SettableClock>,
    /// The bank's calendar on that clock.
    pub calendar: BankCalendar,
}

pub async fn start(pool: PgPool) -> Harness {
    start_with(pool, |state| state).await
}

pub async fn start_with(pool: PgPool, adjust: impl FnOnce(AppState) -> AppState) -> Harness {
    migrator()
        .run(&pool)
        .await
        .expect("migrations apply to a fresh database");
    let (issuer, verifier) = test_tokens(Audience::Accounts);
    let clock = SettableClock::at(chrono::Utc::now());
    let calendar = BankCalendar::with_clock(clock.clone());
    let state = adjust(AppState::with_calendar(
        pool.clone(),
        HttpLimits::default(),
        verifier,
        calendar.clone(),
    ));
    let server = TestServer::start(app(state)).await;
    Harness {
        server,
        issuer,
        pool,
        clock,
        calendar,
    }
}

impl Harness {
    pub fn token_for(&self, principal: &Principal) -> String {
        self.issuer
            .issue(principal, Audience::Accounts, Duration::from_secs(600))
            .expect("issue a test token")
            .as_str()
            .to_owned()
    }

    /// A token of the disbursement service, the one service that may open accounts and move
    /// money here.
    pub fn service_token(&self) -> String {
        self.service_token_of("disbursement")
    }

    /// A token of the service `name`, with the scopes the platform's policy grants it here.
    pub fn service_token_of(&self, name: &str) -> String {
        self.token_for(&Principal::service(new_id(), Some(name.to_owned())).unwrap())
    }

    pub fn staff_token(&self, role: Role) -> String {
        self.token_for(&Principal::user(new_id(), [role], None, None).unwrap())
    }

    pub fn founder_token(&self, client_id: Uuid) -> String {
        self.token_for(&Principal::user(new_id(), [Role::Client], Some(client_id), None).unwrap())
    }

    pub async fn post(&self, path: &str, token: &str, key: Option<&str>, body: &Value) -> Response {
        let mut request = self
            .server
            .client
            .post(self.server.url(path))
            .bearer_auth(token)
            .json(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.server
            .client
            .get(self.server.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("the server answers")
    }

    /// Opens an account with a service token and returns its JSON.
    pub async fn open(&self, owner: Value, kind: &str, allow_negative: bool) -> Value {
        let response = self
            .post(
                "/v1/accounts",
                &self.service_token(),
                Some(&new_id().to_string()),
                &json!({"owner": owner, "kind": kind, "currency": "UZS", "allow_negative": allow_negative}),
            )
            .await;
        assert_eq!(response.status(), 201, "open {kind}");
        response.json().await.unwrap()
    }

    pub async fn open_client_current(&self, client_id: Uuid) -> String {
        let account = self
            .open(
                json!({"kind": "client", "client_id": client_id}),
                "client_current",
                false,
            )
            .await;
        account["number"].as_str().unwrap().to_owned()
    }

    /// The bank's settlement account, which may go below zero: the source of test money.
    pub async fn open_settlement(&self) -> String {
        let account = self
            .open(json!({"kind": "bank"}), "bank_settlement", true)
            .await;
        account["number"].as_str().unwrap().to_owned()
    }

    /// Sends `amount` from `from` to `to` under `key` with a service token.
    pub async fn transfer(&self, key: &str, from: &str, to: &str, amount: &str) -> Response {
        self.post(
            "/v1/transfers",
            &self.service_token(),
            Some(key),
            &two_legs(from, to, amount),
        )
        .await
    }

    pub async fn fund(&self, settlement: &str, to: &str, amount: &str) {
        let response = self
            .transfer(&new_id().to_string(), settlement, to, amount)
            .await;
        assert_eq!(response.status(), 201, "funding transfer");
    }

    pub async fn account(&self, number: &str) -> Value {
        let response = self
            .get(&format!("/v1/accounts/{number}"), &self.service_token())
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn assert_invariants(&self) {
        assert_ledger_invariants(&self.pool).await;
    }
}

/// A deposit-like transfer: debit `from` (a debit-normal settlement grows, a client's current
/// account shrinks), credit `to`.
pub fn two_legs(from: &str, to: &str, amount: &str) -> Value {
    json!({
        "kind": "adjustment",
        "reference": "test",
        "currency": "UZS",
        "legs": [
            {"account": from, "side": "debit", "amount": amount},
            {"account": to, "side": "credit", "amount": amount},
        ],
    })
}

/// The ledger's invariants, checked in SQL against what is stored.
pub async fn assert_ledger_invariants(pool: &PgPool) {
    // Per currency: an exchange's legs are in two currencies, each balanced on its own.
    let unbalanced: Vec<(Uuid, Decimal, Decimal)> = sqlx::query_as(
        "select e.transfer_id,
                sum(e.amount) filter (where e.side = 'debit'),
                sum(e.amount) filter (where e.side = 'credit')
         from entry e join account a on a.id = e.account_id
         group by e.transfer_id, a.currency
         having coalesce(sum(e.amount) filter (where e.side = 'debit'), 0)
             <> coalesce(sum(e.amount) filter (where e.side = 'credit'), 0)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        unbalanced.is_empty(),
        "every transfer balances: {unbalanced:?}"
    );

    let mixed: Vec<(Uuid, String)> = sqlx::query_as(
        "select t.id, t.kind from transfer t
         join entry e on e.transfer_id = t.id join account a on a.id = e.account_id
         group by t.id, t.kind
         having count(distinct a.currency) <> case when t.kind = 'exchange' then 2 else 1 end",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        mixed.is_empty(),
        "an exchange books two currencies, every other transfer one: {mixed:?}"
    );

    let drifted: Vec<(String, Decimal, Decimal)> = sqlx::query_as(
        "select a.number, a.posted_balance,
                coalesce(sum(case when e.side = a.normal_side then e.amount else -e.amount end), 0)
         from account a left join entry e on e.account_id = a.id
         group by a.id
         having a.posted_balance <> coalesce(sum(case when e.side = a.normal_side then e.amount else -e.amount end), 0)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        drifted.is_empty(),
        "each balance is the sum of its entries: {drifted:?}"
    );

    let chain_broken: Vec<(String,)> = sqlx::query_as(
        "select a.number from account a
         join lateral (select balance_after from entry where account_id = a.id order by id desc limit 1) last on true
         where last.balance_after <> a.posted_balance",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        chain_broken.is_empty(),
        "the last entry records the balance: {chain_broken:?}"
    );

    let holds_drifted: Vec<(String,)> = sqlx::query_as(
        "select a.number from account a
         where a.pending_holds <> coalesce((
             select sum(h.amount) from hold h
             where h.state = 'pending'
               and ((h.debit_account_id = a.id and a.normal_side = 'credit')
                 or (h.credit_account_id = a.id and a.normal_side = 'debit'))), 0)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        holds_drifted.is_empty(),
        "pending holds are the sum of pending reservations: {holds_drifted:?}"
    );

    let overdrawn: Vec<(String, Decimal)> = sqlx::query_as(
        "select number, posted_balance - pending_holds from account
         where not allow_negative and posted_balance - pending_holds < 0",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        overdrawn.is_empty(),
        "no forbidden account is below zero: {overdrawn:?}"
    );

    let below_zero_lines: Vec<(String,)> = sqlx::query_as(
        "select a.number from entry e join account a on a.id = e.account_id
         where not a.allow_negative and e.balance_after < 0",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        below_zero_lines.is_empty(),
        "no statement line of a forbidden account is below zero"
    );

    let repeated_keys: i64 = sqlx::query_scalar(
        "select count(*) from (select 1 from transfer group by idempotency_scope, idempotency_key having count(*) > 1) repeated",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(repeated_keys, 0, "no key moves money twice");

    let too_precise: i64 =
        sqlx::query_scalar("select count(*) from entry where amount <= 0 or scale(amount) > 2")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(
        too_precise, 0,
        "amounts are positive with at most two decimals"
    );
}

/// How many requests of a load repeat an earlier one, in percent.
pub const REPEAT_PERCENT: u32 = 10;

/// One request of the load: a key and what it moves.
#[derive(Clone, Debug)]
pub struct PlannedTransfer {
    pub key: String,
    pub from: usize,
    pub to: usize,
    pub amount_minor: i64,
}

/// The load: new keys with random accounts and amounts, and one in ten a repeat of an earlier
/// request (same key, same content).
pub fn plan_load(seed: u64, transfers: usize, accounts: usize) -> Vec<PlannedTransfer> {
    let mut random = StdRng::seed_from_u64(seed);
    let mut plan: Vec<PlannedTransfer> = Vec::with_capacity(transfers);
    while plan.len() < transfers {
        if !plan.is_empty() && random.gen_ratio(REPEAT_PERCENT, 100) {
            let earlier = plan[random.gen_range(0..plan.len())].clone();
            plan.push(earlier);
            continue;
        }
        let from = random.gen_range(0..accounts);
        let mut to = random.gen_range(0..accounts - 1);
        if to >= from {
            to += 1;
        }
        plan.push(PlannedTransfer {
            key: format!("load-{seed}-{}", plan.len()),
            from,
            to,
            amount_minor: random.gen_range(1..=15_000),
        });
    }
    plan
}

pub fn amount_text(minor: i64) -> String {
    Decimal::new(minor, 2).to_string()
}

/// The text of a PDF as `pdftotext` (Debian's poppler-utils) extracts it, and a PNG of its
/// first page in `target/screenshots/` for a person to look at.
pub fn pdf_text(pdf: &[u8], screenshot: &str) -> String {
    let directory = std::env::temp_dir().join(format!("imkon-pdf-{}", new_id()));
    std::fs::create_dir_all(&directory).unwrap();
    let file = directory.join("document.pdf");
    std::fs::write(&file, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian package poppler-utils, which scripts/test installs)");
    assert!(output.status.success(), "pdftotext: {output:?}");
    let screenshots =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(screenshots.join(screenshot))
        .status()
        .expect("pdftoppm runs");
    assert!(rendered.success());
    std::fs::remove_dir_all(&directory).unwrap();
    String::from_utf8(output.stdout).unwrap()
}
