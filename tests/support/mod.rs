//! What the end-to-end tests share: the whole platform in-process on databases of its own,
//! people logged in through onboarding with an access token for each service, JSON calls that
//! read as sentences, bounded waits, and the ledger's invariants read from the accounts
//! service's database.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use imkon::{PlatformOptions, RunningPlatform, SERVICES};
use imkon_auth::{Audience, Principal, SigningKey, TokenIssuer};
use imkon_platform::calendar::{Clock, SystemClock};
use imkon_platform::config::Secret;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

pub mod replicas;

/// The services a person gets an access token for at login.
pub const AUDIENCES: [&str; 5] = [
    "onboarding",
    "applications",
    "scoring",
    "disbursement",
    "accounts",
];

/// How long a wait for something another service does in the background may take.
pub const EVENTUAL: Duration = Duration::from_secs(20);

fn server_url() -> Secret<String> {
    Secret::new(
        std::env::var("DATABASE_URL")
            .expect("the test command sets DATABASE_URL to a PostgreSQL server"),
    )
}

/// The platform running for one test, on databases named after a prefix of its own: in this
/// process, or as two processes of every part behind haproxy.
pub struct Platform {
    running: Option<RunningPlatform>,
    pub replicas: Option<replicas::Replicas>,
    prefix: String,
    signing_key: SigningKey,
    pub urls: BTreeMap<String, String>,
    pub http: reqwest::Client,
}

/// Someone logged in: their ids and an access token for each service.
pub struct Person {
    pub username: String,
    pub user_id: Uuid,
    pub client_id: Option<Uuid>,
    tokens: BTreeMap<String, String>,
}

impl Person {
    /// Someone signed in without [`Platform::login`]: the journey benchmark times each call of
    /// a sign-in on its own.
    pub fn signed_in(
        username: &str,
        user_id: Uuid,
        client_id: Option<Uuid>,
        tokens: BTreeMap<String, String>,
    ) -> Person {
        Person {
            username: username.to_owned(),
            user_id,
            client_id,
            tokens,
        }
    }

    /// The access token addressed to `service`.
    pub fn token(&self, service: &str) -> &str {
        self.tokens
            .get(service)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{} has no token for {service}", self.username))
    }

    pub fn client_id(&self) -> Uuid {
        self.client_id
            .unwrap_or_else(|| panic!("{} is not a client", self.username))
    }
}

/// A service's answer: its status and JSON body (null when it had none).
#[derive(Debug)]
pub struct Reply {
    pub what: String,
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The body of a successful answer; fails the test naming the call otherwise.
    pub fn ok(self) -> Value {
        assert!(
            self.status.is_success(),
            "{} answered {}: {}",
            self.what,
            self.status,
            self.body
        );
        self.body
    }

    /// Asserts a refusal with this status and problem code, and returns the problem.
    pub fn refused(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{} answered {}: {}",
            self.what,
            self.status,
            self.body
        );
        assert_eq!(
            self.body["code"], code,
            "{} answered {}",
            self.what, self.body
        );
        self.body
    }
}

impl Platform {
    /// Starts every service with demo data on fresh databases.
    pub async fn start() -> Platform {
        Platform::start_reading(Arc::new(SystemClock)).await
    }

    /// Like [`Platform::start`], every service's calendar reading `clock`.
    pub async fn start_reading(clock: Arc<dyn Clock>) -> Platform {
        Platform::start_configured(clock, Vec::new()).await
    }

    /// Like [`Platform::start_reading`], with `settings` (service, field, value) fixed over
    /// the defaults: the journey benchmark lifts the sign-in limit per address this way.
    pub async fn start_configured(
        clock: Arc<dyn Clock>,
        settings: Vec<(&'static str, &'static str, String)>,
    ) -> Platform {
        let prefix = format!("imkon_e2e_{}", Uuid::now_v7().simple());
        let mut options = PlatformOptions::new(server_url(), &prefix, true);
        options.demo_data = true;
        options.clock = clock;
        options.settings.extend(settings);
        // The loans here were booked months ago, so their instalments are already due.
        options
            .settings
            .push(("disbursement", "backdating_window_days", "400".to_owned()));
        let running = imkon::start(&options).await.expect("the platform starts");
        Platform {
            urls: running.urls.clone(),
            running: Some(running),
            replicas: None,
            prefix,
            signing_key: options.signing_key.clone(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client builds"),
        }
    }

    /// Two processes of every service and of the frontend behind haproxy, events through
    /// NATS JetStream, demo data loaded (see [`replicas::Replicas`]).
    pub async fn start_replicated() -> Platform {
        let prefix = format!("imkon_e2e_{}", Uuid::now_v7().simple());
        let signing_key = PlatformOptions::new(server_url(), &prefix, true).signing_key;
        let (replicas, urls) =
            replicas::Replicas::start(&server_url(), &prefix, &signing_key).await;
        Platform {
            urls,
            running: None,
            replicas: Some(replicas),
            prefix,
            signing_key,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client builds"),
        }
    }

    /// Stops every service and drops the test's databases.
    pub async fn stop(self) {
        if let Some(running) = self.running {
            running.stop().await;
        }
        drop(self.replicas);
        let pool = PgPool::connect(server_url().expose()).await.unwrap();
        for service in replicas::PARTS {
            sqlx::query(&format!(
                "drop database if exists {}_{service} with (force)",
                self.prefix
            ))
            .execute(&pool)
            .await
            .unwrap();
        }
    }

    pub fn url(&self, service: &str, path: &str) -> String {
        let base = self
            .urls
            .get(service)
            .unwrap_or_else(|| panic!("no service named {service}"));
        format!("{base}{path}")
    }

    /// A pool on one service's own database, for what only the database can show.
    pub async fn database(&self, service: &str) -> PgPool {
        let url =
            imkon_platform::db::database_url(&server_url(), &format!("{}_{service}", self.prefix))
                .expect("a database URL");
        PgPool::connect(url.expose())
            .await
            .expect("the service's database accepts connections")
    }

    /// Logs in with the demo password and trades the refresh token for an access token to
    /// each service, as the frontend does.
    pub async fn login(&self, username: &str) -> Person {
        let first = self
            .call(
                Method::POST,
                None,
                "onboarding",
                "/v1/auth/password",
                Some(&json!({ "username": username, "password": format!("{username}-demo-pass") })),
                None,
            )
            .await;
        // Staff pass the second factor with the code of their demo authenticator.
        let login = if first.status == StatusCode::ACCEPTED {
            let challenge = first.body["challenge"].as_str().unwrap().to_owned();
            let database = self.database("onboarding").await;
            let code = imkon_onboarding::testing::demo_unused_code(&database, username).await;
            database.close().await;
            self.call(
                Method::POST,
                None,
                "onboarding",
                "/v1/auth/second-factor",
                Some(&json!({ "challenge": challenge, "code": code })),
                None,
            )
            .await
            .ok()
        } else {
            first.ok()
        };
        let refresh_token = login["refresh_token"].as_str().unwrap().to_owned();
        let mut tokens = BTreeMap::new();
        for audience in AUDIENCES {
            let response = self
                .http
                .post(self.url("onboarding", "/v1/oauth/token"))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token.as_str()),
                    ("audience", audience),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert!(status.is_success(), "token for {audience}: {status} {body}");
            tokens.insert(
                audience.to_owned(),
                body["access_token"].as_str().unwrap().to_owned(),
            );
        }
        Person {
            username: username.to_owned(),
            user_id: login["principal"]["id"].as_str().unwrap().parse().unwrap(),
            client_id: login["principal"]["client_id"]
                .as_str()
                .map(|id| id.parse().unwrap()),
            tokens,
        }
    }

    /// A token as the platform's own `service` would hold, signed with the platform's key.
    pub fn service_token(&self, service: &str, audience: Audience) -> String {
        let issuer = TokenIssuer::new(
            self.signing_key.clone(),
            imkon_platform::auth_settings::DEFAULT_TOKEN_ISSUER,
        )
        .unwrap();
        let principal =
            Principal::service(Uuid::now_v7(), Some(service.to_owned())).expect("a service");
        issuer
            .issue(&principal, audience, Duration::from_secs(300))
            .unwrap()
            .into_string()
    }

    /// One JSON call; `token` is sent as a bearer token, `idempotency_key` as its header.
    pub async fn call(
        &self,
        method: Method,
        token: Option<&str>,
        service: &str,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Reply {
        let what = format!("{method} {service}{path}");
        let mut request = self.http.request(method, self.url(service, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("{what}: {error}"));
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { what, status, body }
    }

    /// `GET` as `person`, with their token for `service`.
    pub async fn get(&self, person: &Person, service: &str, path: &str) -> Reply {
        self.call(
            Method::GET,
            Some(person.token(service)),
            service,
            path,
            None,
            None,
        )
        .await
    }

    /// The founder signs contract `id` as the site does: the contract document's SHA-256 (from
    /// the download's `x-document-sha256` header) and its language go with the signature.
    pub async fn sign_contract(&self, founder: &Person, id: &str) -> Reply {
        let language = "uz-Latn";
        let path = format!("/v1/contracts/{id}/document.pdf?lang={language}");
        let document = self
            .http
            .get(self.url("disbursement", &path))
            .bearer_auth(founder.token("disbursement"))
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"));
        assert_eq!(document.status(), StatusCode::OK, "GET {path}");
        let sha256 = document.headers()["x-document-sha256"]
            .to_str()
            .unwrap()
            .to_owned();
        self.post(
            founder,
            "disbursement",
            &format!("/v1/contracts/{id}/sign"),
            &serde_json::json!({"document_sha256": sha256, "language": language}),
        )
        .await
    }

    /// `POST` as `person` with a fresh `Idempotency-Key` (harmless where none is asked).
    pub async fn post(&self, person: &Person, service: &str, path: &str, body: &Value) -> Reply {
        let key = Uuid::now_v7().to_string();
        self.post_with_key(person, service, path, body, &key).await
    }

    pub async fn post_with_key(
        &self,
        person: &Person,
        service: &str,
        path: &str,
        body: &Value,
        key: &str,
    ) -> Reply {
        self.call(
            Method::POST,
            Some(person.token(service)),
            service,
            path,
            Some(body),
            Some(key),
        )
        .await
    }

    /// Checks the ledger's invariants in the accounts service's database: every posted
    /// transfer's debits equal its credits in each currency, every account's balance is the sum of its entries
    /// (in its normal-side sign), and no account that may not go negative is below zero.
    /// Answers how many transfers are posted, so a test can tell that money moved.
    pub async fn assert_ledger_holds(&self, after: &str) -> i64 {
        let pool = self.database("accounts").await;
        // Per currency: an exchange's legs are in two currencies, each balanced on its own.
        let unbalanced: Vec<(Uuid, String)> = sqlx::query_as(
            "select t.id, coalesce(sum(case when e.side = 'debit' then e.amount else -e.amount end), 0)::text
             from transfer t left join entry e on e.transfer_id = t.id
             left join account a on a.id = e.account_id
             where t.status = 'posted'
             group by t.id, a.currency
             having coalesce(sum(case when e.side = 'debit' then e.amount else -e.amount end), 0) <> 0
                 or count(e.id) < 2",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(
            unbalanced.is_empty(),
            "after {after}: transfers whose debits and credits differ (id, debits - credits): {unbalanced:?}"
        );
        let drifted: Vec<(String, String, String)> = sqlx::query_as(
            "select a.number, a.posted_balance::text,
                    coalesce(sum(case when e.side = a.normal_side then e.amount else -e.amount end), 0)::text
             from account a left join entry e on e.account_id = a.id
             group by a.id
             having a.posted_balance
                 <> coalesce(sum(case when e.side = a.normal_side then e.amount else -e.amount end), 0)",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(
            drifted.is_empty(),
            "after {after}: balances that are not the sum of their entries (number, balance, sum): {drifted:?}"
        );
        let overdrawn: Vec<(String, String)> = sqlx::query_as(
            "select number, posted_balance::text from account
             where not allow_negative and (posted_balance < 0 or posted_balance - pending_holds < 0)",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(
            overdrawn.is_empty(),
            "after {after}: accounts below zero that may not be: {overdrawn:?}"
        );
        let posted = sqlx::query_scalar("select count(*) from transfer where status = 'posted'")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        posted
    }
}

impl Platform {
    /// Waits until every service's outbox has delivered every event, and fails naming any
    /// event a subscriber refused.
    pub async fn assert_every_event_delivered(&self) {
        for (service, _) in SERVICES {
            let pool = self.database(service).await;
            eventually(
                &format!("delivery of every event in {service}'s outbox"),
                || async {
                    let pending: Vec<(String, i32, Option<String>)> = sqlx::query_as(
                        "select topic, attempts, last_error from outbox_event
                     where delivered_at is null or last_error is not null",
                    )
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                    assert!(
                    pending.iter().all(|(_, _, error)| error.is_none()),
                    "{service}'s subscribers refused events (topic, attempts, error): {pending:?}"
                );
                    pending.is_empty().then_some(())
                },
            )
            .await;
            pool.close().await;
        }
    }
}

/// Polls `probe` until it finds something or `EVENTUAL` passes; the failure says what did not
/// arrive.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + EVENTUAL;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not arrive within {EVENTUAL:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Answers to the small-business start loan's form that score well on the loan scorecard.
pub fn loan_answers() -> Value {
    json!({
        "business_plan": "A bakery with delivery",
        "debt_service_coverage_ratio": 1.6,
        "debt_to_ebitda_ratio": 1.5,
        "revenue_trend": "growing",
        "years_in_business": 2,
        "collateral_coverage_percent": 160,
        "worst_days_overdue": 0,
        "owners_equity_share_percent": 30,
    })
}

/// Answers to the grant form that score in band B on the grant scorecard.
pub fn grant_answers() -> Value {
    json!({
        "project_summary": "A payments app for bazaars",
        "team_experience_years": 4,
        "technical_founder": "yes",
        "product_stage": "mvp",
        "monthly_active_users": 2500,
        "target_market": "central_asia",
        "it_park_resident": "yes",
        "jobs_to_be_created": 12,
    })
}
