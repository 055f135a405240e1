//! What the black-box tests share: the app on a free port over a fresh database, tokens for
//! each kind of caller, and a ledger that keeps the rules this service relies on.
//!
//! The ledger here is a stand-in for the accounts service, over its own tables in the test
//! database and its own connection pool (as the real one has its own database). It keeps the
//! rules the disbursement service depends on: an idempotency key never posts twice, debits
//! equal credits, and an account that may not go negative never does. The HTTP path to the real
//! accounts service is covered by the end-to-end tests, not here.

#![allow(dead_code)]

use std::sync::Arc;

use imkon_auth::{Audience, Principal, Role, TokenIssuer};
use imkon_disbursement::ledger::{
    AccountKind, AccountOwner, Ledger, LedgerError, LedgerFuture, Leg, OpenAccount, Side,
    TransferRequest,
};
use imkon_disbursement::{app, migrator, AppState};
use imkon_platform::calendar::{BankCalendar, SettableClock};
use imkon_platform::config::HttpLimits;
use imkon_platform::money::{Currency, Money};
use imkon_platform::testing::{test_tokens, token, TestServer};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use uuid::Uuid;

pub struct TestApp {
    pub server: TestServer,
    pub issuer: TokenIssuer,
    pub pool: PgPool,
    pub ledger: Arc<TestLedger>,
    /// The service's clock: it starts at the real instant and moves only when a test moves it.
    pub clock: Arc<SettableClock>,
}

pub async fn start(pool: PgPool) -> TestApp {
    start_with_ledger(pool, |ledger| ledger).await
}

/// Like [`start`], with contracts activated at most `days` before the bank's today.
pub async fn start_with_activation_window(pool: PgPool, days: u32) -> TestApp {
    start_with(pool, |ledger| ledger, days).await
}

/// Like [`start`], with the service talking to the ledger through `wrap` (a ledger that loses
/// answers, for instance); the tests still inspect the ledger underneath.
pub async fn start_with_ledger(
    pool: PgPool,
    wrap: impl FnOnce(Arc<TestLedger>) -> Arc<dyn Ledger>,
) -> TestApp {
    // The tests' contracts are activated in 2024, so the backdating window reaches that far.
    start_with(pool, wrap, 36_500).await
}

async fn start_with(
    pool: PgPool,
    wrap: impl FnOnce(Arc<TestLedger>) -> Arc<dyn Ledger>,
    backdating_window_days: u32,
) -> TestApp {
    migrator().run(&pool).await.unwrap();
    let ledger = Arc::new(TestLedger::create(&pool).await);
    let (issuer, verifier) = test_tokens(Audience::Disbursement);
    let clock = SettableClock::at(chrono::Utc::now());
    let server = TestServer::start(app(AppState {
        pool: pool.clone(),
        limits: HttpLimits::default(),
        verifier,
        ledger: wrap(ledger.clone()),
        backdating_window_days,
        unsigned_cancel_after_days:
            imkon_disbursement::domain::bank_dates::DEFAULT_UNSIGNED_CANCEL_AFTER_DAYS,
        calendar: BankCalendar::with_clock(clock.clone()),
    }))
    .await;
    TestApp {
        server,
        issuer,
        pool,
        ledger,
        clock,
    }
}

/// A person signed in with `roles`; a founder gets a client id of their own.
pub fn person(roles: &[Role]) -> Principal {
    let client_id = roles.contains(&Role::Client).then(Uuid::now_v7);
    Principal::user(Uuid::now_v7(), roles.iter().copied(), client_id, None).unwrap()
}

impl TestApp {
    /// The bank's today by the service's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        BankCalendar::with_clock(self.clock.clone()).today()
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    pub fn bearer(&self, principal: &Principal) -> String {
        token(&self.issuer, principal, Audience::Disbursement)
    }

    pub fn service_bearer(&self) -> String {
        let caller = imkon_platform::testing::service_principal("applications");
        token(&self.issuer, &caller, Audience::Disbursement)
    }

    pub async fn post(
        &self,
        path: &str,
        who: Option<&Principal>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self.server.client.post(self.url(path)).json(body);
        if let Some(principal) = who {
            request = request.bearer_auth(self.bearer(principal));
        }
        request.send().await.unwrap()
    }

    pub async fn post_with_key(
        &self,
        path: &str,
        who: &Principal,
        key: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.server
            .client
            .post(self.url(path))
            .bearer_auth(self.bearer(who))
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, who: Option<&Principal>) -> reqwest::Response {
        let mut request = self.server.client.get(self.url(path));
        if let Some(principal) = who {
            request = request.bearer_auth(self.bearer(principal));
        }
        request.send().await.unwrap()
    }

    /// The body the founder's sign request sends: the SHA-256 of the contract document in
    /// `language`, as the document download gave it.
    pub async fn sign_body(&self, id: Uuid, who: &Principal, language: &str) -> Value {
        let document = self
            .get(
                &format!("/v1/contracts/{id}/document.pdf?lang={language}"),
                Some(who),
            )
            .await;
        assert_eq!(document.status(), 200, "the contract document");
        let sha256 = document.headers()["x-document-sha256"]
            .to_str()
            .unwrap()
            .to_owned();
        json!({"document_sha256": sha256, "language": language})
    }

    /// The founder signs the contract document they were shown (in uz-Latn).
    pub async fn sign(&self, id: Uuid, founder: &Principal) -> reqwest::Response {
        let body = self.sign_body(id, founder, "uz-Latn").await;
        self.post(&format!("/v1/contracts/{id}/sign"), Some(founder), &body)
            .await
    }

    /// Delivers an event as the applications service's relay would.
    pub async fn deliver(&self, event_id: Uuid, topic: &str, payload: &Value) -> reqwest::Response {
        self.server
            .client
            .post(self.url("/v1/events"))
            .bearer_auth(self.service_bearer())
            .json(&json!({
                "id": event_id,
                "topic": topic,
                "occurred_at": "2024-01-01T00:00:00Z",
                "payload": payload,
            }))
            .send()
            .await
            .unwrap()
    }
}

/// The ledger stand-in. Balances are kept in each account's normal-side sign, as the accounts
/// service keeps them: a loan or the bank's settlement account grows with debits, a client's
/// current account, a grant fund and the income accounts with credits.
pub struct TestLedger {
    pool: PgPool,
}

const LEDGER_SCHEMA: &str = "
create table if not exists test_ledger_account (
    number text primary key,
    idempotency_key text not null unique,
    owner_client_id uuid,
    -- A company's current account names its company instead of a client.
    owner_company_id uuid,
    kind text not null,
    currency text not null,
    allow_negative boolean not null,
    normal_side text not null check (normal_side in ('debit', 'credit')),
    balance numeric not null default 0,
    check (allow_negative or balance >= 0)
);
create sequence if not exists test_ledger_account_number;
create table if not exists test_ledger_transfer (
    id uuid primary key,
    idempotency_key text not null unique,
    kind text not null,
    reference text not null
);
create table if not exists test_ledger_entry (
    transfer_id uuid not null references test_ledger_transfer (id),
    account text not null references test_ledger_account (number),
    side text not null,
    amount numeric not null check (amount > 0)
);";

/// The transfer kinds the accounts service knows.
const TRANSFER_KINDS: [&str; 9] = [
    "disbursement",
    "repayment",
    "client_transfer",
    "reversal",
    "adjustment",
    "deposit",
    "withdrawal",
    "write_off",
    "fee",
];

impl TestLedger {
    pub async fn create(pool: &PgPool) -> TestLedger {
        let own_pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with((*pool.connect_options()).clone())
            .await
            .unwrap();
        sqlx::raw_sql(LEDGER_SCHEMA)
            .execute(&own_pool)
            .await
            .unwrap();
        TestLedger { pool: own_pool }
    }

    /// Opens a client's current account holding `balance` (paid in from the bank).
    pub async fn open_current_account(&self, client_id: Uuid, balance: &str) -> String {
        let number = self
            .open_account(OpenAccount {
                idempotency_key: format!("test:current:{client_id}"),
                owner: AccountOwner::Client(client_id),
                kind: AccountKind::ClientCurrent,
                currency: Currency::Uzs,
                allow_negative: false,
                name: "current".to_owned(),
            })
            .await
            .unwrap();
        let amount = Money::parse(balance, Currency::Uzs).unwrap();
        if amount.is_positive() {
            let bank = self.bank_settlement().await;
            self.post_transfer(TransferRequest {
                idempotency_key: format!("test:cash-in:{client_id}"),
                kind: "deposit",
                reference: "test".to_owned(),
                currency: Currency::Uzs,
                legs: vec![
                    Leg {
                        account: bank,
                        side: Side::Debit,
                        amount,
                    },
                    Leg {
                        account: number.clone(),
                        side: Side::Credit,
                        amount,
                    },
                ],
            })
            .await
            .unwrap();
        }
        number
    }

    /// Opens a company's current account holding `balance`, as accounts does when the company's
    /// KYC is approved (this service never opens one itself).
    pub async fn open_company_account(&self, company_id: Uuid, balance: &str) -> String {
        let number: String = sqlx::query_scalar(
            "insert into test_ledger_account
                 (number, idempotency_key, owner_company_id, kind, currency, allow_negative, normal_side)
             values (lpad(nextval('test_ledger_account_number')::text, 20, '0'), $1, $2,
                     'company_current', 'UZS', false, 'credit')
             returning number",
        )
        .bind(format!("test:company:{company_id}"))
        .bind(company_id)
        .fetch_one(&self.pool)
        .await
        .unwrap();
        let amount = Money::parse(balance, Currency::Uzs).unwrap();
        if amount.is_positive() {
            self.move_cash(
                &number,
                balance,
                true,
                &format!("test:cash-in:{company_id}"),
            )
            .await;
        }
        number
    }

    /// Moves `amount` between the account and the bank's settlement account: into it when
    /// `into` is true (a cash deposit), out of it otherwise (a withdrawal).
    pub async fn move_cash(&self, number: &str, amount: &str, into: bool, key: &str) {
        let bank = self.bank_settlement().await;
        let amount = Money::parse(amount, Currency::Uzs).unwrap();
        let (debit, credit, kind) = if into {
            (bank, number.to_owned(), "deposit")
        } else {
            (number.to_owned(), bank, "withdrawal")
        };
        self.post_transfer(TransferRequest {
            idempotency_key: key.to_owned(),
            kind,
            reference: "test".to_owned(),
            currency: Currency::Uzs,
            legs: vec![
                Leg {
                    account: debit,
                    side: Side::Debit,
                    amount,
                },
                Leg {
                    account: credit,
                    side: Side::Credit,
                    amount,
                },
            ],
        })
        .await
        .unwrap();
    }

    async fn bank_settlement(&self) -> String {
        self.open_account(OpenAccount {
            idempotency_key: "test:bank-settlement".to_owned(),
            owner: AccountOwner::Bank,
            kind: AccountKind::BankSettlement,
            currency: Currency::Uzs,
            allow_negative: true,
            name: "settlement".to_owned(),
        })
        .await
        .unwrap()
    }

    pub async fn balance(&self, number: &str) -> Decimal {
        sqlx::query_scalar("select balance from test_ledger_account where number = $1")
            .bind(number)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// How many transfers carry this reference.
    pub async fn transfers_for(&self, reference: &str) -> i64 {
        sqlx::query_scalar("select count(*) from test_ledger_transfer where reference = $1")
            .bind(reference)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// The entries of every transfer of `kind`, as (account, side, amount).
    pub async fn entries_of_kind(&self, kind: &str) -> Vec<(String, String, Decimal)> {
        sqlx::query_as(
            "select e.account, e.side, e.amount from test_ledger_entry e
             join test_ledger_transfer t on t.id = e.transfer_id
             where t.kind = $1 order by e.account, e.side",
        )
        .bind(kind)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    async fn open(&self, request: OpenAccount) -> Result<String, LedgerError> {
        let normal_side = match request.kind {
            AccountKind::Loan | AccountKind::BankSettlement | AccountKind::LoanLoss => "debit",
            _ => "credit",
        };
        let owner = match request.owner {
            AccountOwner::Client(client_id) => Some(client_id),
            AccountOwner::Bank => None,
        };
        sqlx::query(
            "insert into test_ledger_account
                 (number, idempotency_key, owner_client_id, kind, currency, allow_negative, normal_side)
             values (lpad(nextval('test_ledger_account_number')::text, 20, '0'), $1, $2, $3, $4, $5, $6)
             on conflict (idempotency_key) do nothing",
        )
        .bind(&request.idempotency_key)
        .bind(owner)
        .bind(request.kind.name())
        .bind(request.currency.code())
        .bind(request.allow_negative)
        .bind(normal_side)
        .execute(&self.pool)
        .await
        .map_err(|error| LedgerError::Unavailable(error.to_string()))?;
        sqlx::query_scalar("select number from test_ledger_account where idempotency_key = $1")
            .bind(&request.idempotency_key)
            .fetch_one(&self.pool)
            .await
            .map_err(|error| LedgerError::Unavailable(error.to_string()))
    }

    async fn post(&self, request: TransferRequest) -> Result<Uuid, LedgerError> {
        let refused = |code: &str| LedgerError::Refused {
            status: 422,
            code: code.to_owned(),
            detail: code.to_owned(),
        };
        let database = |error: sqlx::Error| LedgerError::Unavailable(error.to_string());
        let debits: Decimal = request
            .legs
            .iter()
            .filter(|leg| leg.side == Side::Debit)
            .map(|leg| leg.amount.amount())
            .sum();
        let credits: Decimal = request
            .legs
            .iter()
            .filter(|leg| leg.side == Side::Credit)
            .map(|leg| leg.amount.amount())
            .sum();
        if !TRANSFER_KINDS.contains(&request.kind) {
            return Err(refused("unknown_transfer_kind"));
        }
        if debits != credits || debits.is_zero() {
            return Err(refused("unbalanced_transfer"));
        }
        let mut transaction = self.pool.begin().await.map_err(database)?;
        let id = Uuid::now_v7();
        let inserted = sqlx::query(
            "insert into test_ledger_transfer (id, idempotency_key, kind, reference)
             values ($1, $2, $3, $4) on conflict (idempotency_key) do nothing",
        )
        .bind(id)
        .bind(&request.idempotency_key)
        .bind(request.kind)
        .bind(&request.reference)
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        if inserted.rows_affected() == 0 {
            return sqlx::query_scalar(
                "select id from test_ledger_transfer where idempotency_key = $1",
            )
            .bind(&request.idempotency_key)
            .fetch_one(&mut *transaction)
            .await
            .map_err(database);
        }
        let mut legs = request.legs.clone();
        legs.sort_by(|left, right| left.account.cmp(&right.account));
        for leg in &legs {
            let account: Option<(String, String, bool, Decimal)> = sqlx::query_as(
                "select normal_side, currency, allow_negative, balance from test_ledger_account
                 where number = $1 for update",
            )
            .bind(&leg.account)
            .fetch_optional(&mut *transaction)
            .await
            .map_err(database)?;
            let Some((normal_side, currency, allow_negative, balance)) = account else {
                return Err(LedgerError::Refused {
                    status: 404,
                    code: "unknown_account".to_owned(),
                    detail: leg.account.clone(),
                });
            };
            if currency != request.currency.code() {
                return Err(refused("currency_mismatch"));
            }
            let change = if normal_side == leg.side.name() {
                leg.amount.amount()
            } else {
                -leg.amount.amount()
            };
            if !allow_negative && balance + change < Decimal::ZERO {
                return Err(refused("insufficient_funds"));
            }
            sqlx::query("update test_ledger_account set balance = balance + $2 where number = $1")
                .bind(&leg.account)
                .bind(change)
                .execute(&mut *transaction)
                .await
                .map_err(database)?;
            sqlx::query(
                "insert into test_ledger_entry (transfer_id, account, side, amount) values ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(&leg.account)
            .bind(leg.side.name())
            .bind(leg.amount.amount())
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        }
        transaction.commit().await.map_err(database)?;
        Ok(id)
    }
}

impl Ledger for TestLedger {
    fn open_account(&self, request: OpenAccount) -> LedgerFuture<'_, String> {
        Box::pin(self.open(request))
    }

    fn client_current_account(
        &self,
        client_id: Uuid,
        currency: Currency,
    ) -> LedgerFuture<'_, Option<String>> {
        Box::pin(async move {
            sqlx::query_scalar(
                "select number from test_ledger_account
                 where owner_client_id = $1 and kind = 'client_current' and currency = $2",
            )
            .bind(client_id)
            .bind(currency.code())
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| LedgerError::Unavailable(error.to_string()))
        })
    }

    fn company_current_account(
        &self,
        company_id: Uuid,
        currency: Currency,
    ) -> LedgerFuture<'_, Option<String>> {
        Box::pin(async move {
            sqlx::query_scalar(
                "select number from test_ledger_account
                 where owner_company_id = $1 and kind = 'company_current' and currency = $2",
            )
            .bind(company_id)
            .bind(currency.code())
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| LedgerError::Unavailable(error.to_string()))
        })
    }

    fn post_transfer(&self, request: TransferRequest) -> LedgerFuture<'_, Uuid> {
        Box::pin(self.post(request))
    }

    fn account_balance(&self, number: String) -> LedgerFuture<'_, Decimal> {
        Box::pin(async move { Ok(self.balance(&number).await) })
    }
}

/// The payload of `application.approved` for a loan of `amount` to `client_id`.
pub fn approved_loan(client_id: Uuid, amount: &str) -> Value {
    json!({
        "application_id": Uuid::now_v7(),
        "programme_id": Uuid::now_v7(),
        "programme_kind": "loan",
        "client_id": client_id,
        "company_id": Uuid::now_v7(),
        "currency": "UZS",
        "amount": amount,
        "term_months": 6,
        "annual_rate_percent": "9.4822",
        "repayment_method": "annuity",
        "grace_months": 0,
        "penalty_rate_percent": "36.5",
        "approved_at": "2024-01-01T09:00:00Z"
    })
}

/// The payload of `application.approved` for a grant of `amount` to `client_id`.
pub fn approved_grant(client_id: Uuid, amount: &str) -> Value {
    json!({
        "application_id": Uuid::now_v7(),
        "programme_id": Uuid::now_v7(),
        "programme_kind": "grant",
        "client_id": client_id,
        "company_id": Uuid::now_v7(),
        "currency": "UZS",
        "amount": amount,
        "term_months": 12,
        "annual_rate_percent": null,
        "repayment_method": null,
        "grace_months": null,
        "approved_at": "2024-01-01T09:00:00Z"
    })
}

impl TestApp {
    /// Delivers an approval and returns the id of the contract it made.
    pub async fn contract_from(&self, founder: &Principal, payload: &Value) -> Uuid {
        let delivered = self
            .deliver(Uuid::now_v7(), "application.approved", payload)
            .await;
        assert_eq!(delivered.status(), 200);
        let page: Value = self
            .get("/v1/me/contracts", Some(founder))
            .await
            .json()
            .await
            .unwrap();
        let application_id = payload["application_id"].as_str().unwrap();
        let contract = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["application_id"] == application_id)
            .expect("the approval made a contract");
        contract["id"].as_str().unwrap().parse().unwrap()
    }

    /// A contract signed by its founder and activated by `officer` on `disbursement_date`.
    pub async fn active_contract(
        &self,
        founder: &Principal,
        officer: &Principal,
        payload: &Value,
        disbursement_date: &str,
    ) -> Uuid {
        let id = self.contract_from(founder, payload).await;
        let signed = self.sign(id, founder).await;
        assert_eq!(signed.status(), 200);
        let activated = self
            .post(
                &format!("/v1/contracts/{id}/activate"),
                Some(officer),
                &json!({"disbursement_date": disbursement_date}),
            )
            .await;
        assert_eq!(
            activated.status(),
            200,
            "{}",
            activated.text().await.unwrap()
        );
        id
    }
}

/// The people a loan goes through: its founder, two credit officers and finance.
pub struct Staffed {
    pub founder: Principal,
    pub requester: Principal,
    pub approver: Principal,
    pub finance: Principal,
}

impl Staffed {
    pub fn new() -> Staffed {
        Staffed {
            founder: person(&[Role::Client]),
            requester: person(&[Role::CreditOfficer]),
            approver: person(&[Role::CreditOfficer]),
            finance: person(&[Role::Finance]),
        }
    }
}

impl TestApp {
    /// A loan made from `payload`, activated on `disbursement_date` and paid out in full into
    /// the founder's current account, which held `balance` before. Returns the contract id and
    /// the current account's number.
    pub async fn disbursed_loan(
        &self,
        who: &Staffed,
        payload: &Value,
        disbursement_date: &str,
        balance: &str,
    ) -> (Uuid, String) {
        let current = self
            .ledger
            .open_current_account(who.founder.client_id().unwrap(), balance)
            .await;
        let id = self
            .active_contract(&who.founder, &who.requester, payload, disbursement_date)
            .await;
        for (actor, action) in [(&who.requester, "request"), (&who.approver, "approve")] {
            let path = format!("/v1/contracts/{id}/tranches/1/{action}");
            assert_eq!(
                self.post(&path, Some(actor), &json!({})).await.status(),
                200
            );
        }
        let path = format!("/v1/contracts/{id}/tranches/1/disburse");
        let paid = self
            .post_with_key(&path, &who.finance, "disburse", &json!({}))
            .await;
        assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
        (id, current)
    }
}

/// The text of a PDF as `pdftotext` (Debian's poppler-utils) extracts it.
pub fn pdf_text(pdf: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("imkon-contract-{}.pdf", Uuid::now_v7()));
    std::fs::write(&file, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian package poppler-utils, which scripts/test installs)");
    std::fs::remove_file(&file).unwrap();
    assert!(output.status.success(), "pdftotext: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}
