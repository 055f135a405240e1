//! The real onboarding, applications and scoring services, in-process on loopback ports, over
//! one PostgreSQL database with a schema each (as each has its own database in production),
//! with their demo data.
//!
//! Onboarding issues every token; applications and scoring trust its key. Applications asks
//! onboarding for KYC status and company facts, and scoring for a score with the demo
//! scorecards, over HTTP with service tokens, as in production: no stand-in decides a score.

use std::sync::Arc;
use std::time::Duration;

use imkon_applications::peers::{OnboardingClient, ScoringClient};
use imkon_auth::{
    Audience, KeyId, Principal, PublicKeySet, Role, SigningKey, TokenIssuer, TokenVerifier,
};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::client::ServiceClient;
use imkon_platform::config::HttpLimits;
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::testing::TestServer;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

/// A staff member holding both credit-officer and approver roles, so the four-eyes rule is
/// what stops them confirming their own proposal.
pub const DUAL_ROLE_USERNAME: &str = "dual1";
pub const DUAL_ROLE_PASSWORD: &str = "dual1-demo-pass";

/// The three services, running.
pub struct Services {
    pub onboarding: TestServer,
    pub applications: TestServer,
    pub scoring: TestServer,
    pub onboarding_pool: PgPool,
    pub applications_pool: PgPool,
    pub scoring_pool: PgPool,
    /// Issues tokens the services trust, as onboarding does.
    pub issuer: TokenIssuer,
    keys: PublicKeySet,
}

/// The accounts and disbursement services, running beside [`Services`] and trusting the same
/// key. Disbursement moves money through the real accounts service over HTTP.
pub struct MoneyServices {
    pub accounts: TestServer,
    pub disbursement: TestServer,
    pub accounts_pool: PgPool,
    pub disbursement_pool: PgPool,
    issuer: TokenIssuer,
}

impl MoneyServices {
    /// Both in the test database `connect` names, a schema each, with the bank's demo accounts.
    pub async fn start(
        services: &Services,
        pool_options: PgPoolOptions,
        connect: PgConnectOptions,
    ) -> MoneyServices {
        let accounts_pool = schema_pool(&pool_options, &connect, "accounts").await;
        let disbursement_pool = schema_pool(&pool_options, &connect, "disbursement").await;
        MoneyServices::start_on(services, accounts_pool, disbursement_pool).await
    }

    /// Migrates the two pools, opens the bank's demo accounts, and starts both services.
    pub async fn start_on(
        services: &Services,
        accounts_pool: PgPool,
        disbursement_pool: PgPool,
    ) -> MoneyServices {
        imkon_accounts::migrator()
            .run(&accounts_pool)
            .await
            .expect("accounts migrates");
        imkon_disbursement::migrator()
            .run(&disbursement_pool)
            .await
            .expect("disbursement migrates");
        imkon_accounts::seed_demo(&accounts_pool, &BankCalendar::default())
            .await
            .expect("the bank's accounts open");
        let accounts = TestServer::start(imkon_accounts::app(imkon_accounts::AppState::new(
            accounts_pool.clone(),
            HttpLimits::default(),
            verifier(&services.keys, Audience::Accounts),
        )))
        .await;
        let caller = Principal::service(Uuid::now_v7(), Some("disbursement".to_owned()))
            .expect("a service principal");
        let ledger = imkon_disbursement::ledger::HttpLedger::new(
            ServiceClient::new(Duration::from_secs(10)).expect("an HTTP client"),
            ServiceTokens::local(services.issuer.clone(), caller),
            &accounts.url(""),
        );
        let disbursement =
            TestServer::start(imkon_disbursement::app(imkon_disbursement::AppState {
                pool: disbursement_pool.clone(),
                limits: HttpLimits::default(),
                verifier: verifier(&services.keys, Audience::Disbursement),
                ledger: Arc::new(ledger),
                backdating_window_days:
                    imkon_disbursement::domain::bank_dates::DEFAULT_BACKDATING_WINDOW_DAYS,
                unsigned_cancel_after_days:
                    imkon_disbursement::domain::bank_dates::DEFAULT_UNSIGNED_CANCEL_AFTER_DAYS,
                calendar: BankCalendar::default(),
            }))
            .await;
        MoneyServices {
            accounts,
            disbursement,
            accounts_pool,
            disbursement_pool,
            issuer: services.issuer.clone(),
        }
    }

    /// A token of the service that calls `audience` in the platform: disbursement moves money
    /// at accounts, applications delivers approvals to disbursement. Each service's token
    /// carries only the scopes the platform's policy grants it there.
    fn service_token(&self, audience: Audience) -> String {
        let name = match audience {
            Audience::Accounts => "disbursement",
            _ => "applications",
        };
        let caller =
            Principal::service(Uuid::now_v7(), Some(name.to_owned())).expect("a service principal");
        self.issuer
            .issue(&caller, audience, Duration::from_secs(600))
            .expect("a token")
            .as_str()
            .to_owned()
    }

    /// Opens an account of `kind` for `owner` at the accounts service; answers its number.
    async fn open_account(&self, owner: Value, kind: &str, allow_negative: bool) -> String {
        let opened = reqwest::Client::new()
            .post(self.accounts.url("/v1/accounts"))
            .bearer_auth(self.service_token(Audience::Accounts))
            .header("idempotency-key", Uuid::now_v7().to_string())
            .json(&serde_json::json!({
                "owner": owner, "kind": kind, "currency": "UZS",
                "allow_negative": allow_negative,
            }))
            .send()
            .await
            .expect("accounts answers");
        assert!(opened.status().is_success(), "the {kind} account opens");
        let opened: Value = opened.json().await.expect("an account");
        opened["number"]
            .as_str()
            .expect("an opened account has a number")
            .to_owned()
    }

    /// Tells accounts, as onboarding does, that a new company of `founder`'s passed KYC, and
    /// answers the number of the current account the bank opened for it.
    pub async fn approved_company_account(&self, founder: Uuid) -> String {
        let company_id = Uuid::now_v7();
        let onboarding = Principal::service(Uuid::now_v7(), Some("onboarding".to_owned()))
            .expect("a service principal");
        let token = self
            .issuer
            .issue(&onboarding, Audience::Accounts, Duration::from_secs(600))
            .expect("a token");
        let delivered = reqwest::Client::new()
            .post(self.accounts.url("/v1/events"))
            .bearer_auth(token.as_str())
            .json(&serde_json::json!({
                "id": Uuid::now_v7(),
                "topic": "company.kyc_approved",
                "occurred_at": "2026-11-26T10:00:00Z",
                "payload": {
                    "company_id": company_id,
                    "client_id": founder,
                    "stir": "301000101",
                    "approved_at": "2026-11-26T10:00:00Z",
                },
            }))
            .send()
            .await
            .expect("accounts answers");
        assert_eq!(delivered.status(), 200, "the approval is applied");
        let listed: Vec<Value> = reqwest::Client::new()
            .get(self.accounts.url(&format!(
                "/v1/accounts?company_id={company_id}&kind=company_current"
            )))
            .bearer_auth(self.service_token(Audience::Accounts))
            .send()
            .await
            .expect("accounts answers")
            .json()
            .await
            .expect("a listing");
        listed[0]["number"]
            .as_str()
            .expect("the company's account has a number")
            .to_owned()
    }

    /// Opens a current account for `client_id` and pays `amount` into it from the bank's
    /// settlement account (nothing, for a zero amount, which the ledger would refuse); returns
    /// its number.
    pub async fn funded_account(&self, client_id: Uuid, amount: &str) -> String {
        let current = self
            .open_account(
                serde_json::json!({"kind": "client", "client_id": client_id}),
                "client_current",
                false,
            )
            .await;
        if !amount
            .parse::<Decimal>()
            .expect("a decimal amount")
            .is_zero()
        {
            self.pay_in(&current, amount).await;
        }
        current
    }

    /// Pays `amount` into the account `number` from the bank's settlement account, as money
    /// arriving from outside the bank.
    pub async fn pay_in(&self, number: &str, amount: &str) {
        let settlement = self
            .open_account(serde_json::json!({"kind": "bank"}), "bank_settlement", true)
            .await;
        let funded = reqwest::Client::new()
            .post(self.accounts.url("/v1/transfers"))
            .bearer_auth(self.service_token(Audience::Accounts))
            .header("idempotency-key", Uuid::now_v7().to_string())
            .json(&serde_json::json!({
                "kind": "adjustment",
                "reference": "opening deposit",
                "currency": "UZS",
                "legs": [
                    {"account": settlement, "side": "debit", "amount": amount},
                    {"account": number, "side": "credit", "amount": amount},
                ],
            }))
            .send()
            .await
            .expect("accounts answers");
        assert_eq!(funded.status(), 201, "the deposit is booked");
    }

    /// Delivers `application.approved` for a loan of `amount` to `client_id`, as applications
    /// would, and returns the id of the draft contract it made.
    pub async fn approved_loan(&self, client_id: Uuid, amount: &str) -> String {
        self.approved(client_id, "loan", amount, serde_json::json!({}))
            .await
    }

    /// Like [`MoneyServices::approved_loan`], with the programme's terms in `terms` added to
    /// the approval (an arrangement fee, say).
    pub async fn approved_loan_with(&self, client_id: Uuid, amount: &str, terms: Value) -> String {
        self.approved(client_id, "loan", amount, terms).await
    }

    /// Like [`MoneyServices::approved_loan`], for a grant (paid in two tranches, each requested
    /// by the founder with a milestone report).
    pub async fn approved_grant(&self, client_id: Uuid, amount: &str) -> String {
        self.approved(client_id, "grant", amount, serde_json::json!({}))
            .await
    }

    async fn approved(
        &self,
        client_id: Uuid,
        programme_kind: &str,
        amount: &str,
        terms: Value,
    ) -> String {
        let application_id = Uuid::now_v7();
        let mut payload = serde_json::json!({
            "application_id": application_id,
            "programme_id": Uuid::now_v7(),
            "programme_kind": programme_kind,
            "client_id": client_id,
            "company_id": Uuid::now_v7(),
            "currency": "UZS",
            "amount": amount,
            "term_months": 6,
            "annual_rate_percent": "14",
            "repayment_method": "annuity",
            "grace_months": 0,
            "penalty_rate_percent": "36.5",
            "approved_at": "2026-01-01T09:00:00Z"
        });
        for (name, value) in terms.as_object().expect("terms are an object") {
            payload[name] = value.clone();
        }
        let delivered = reqwest::Client::new()
            .post(self.disbursement.url("/v1/events"))
            .bearer_auth(self.service_token(Audience::Disbursement))
            .json(&serde_json::json!({
                "id": Uuid::now_v7(),
                "topic": "application.approved",
                "occurred_at": "2026-01-01T00:00:00Z",
                "payload": payload,
            }))
            .send()
            .await
            .expect("disbursement answers");
        assert_eq!(delivered.status(), 200, "the approval is taken");
        sqlx::query_scalar::<_, Uuid>("select id from contract where application_id = $1")
            .bind(application_id)
            .fetch_one(&self.disbursement_pool)
            .await
            .expect("the approval made a contract")
            .to_string()
    }
}

impl MoneyServices {
    fn user_token(&self, roles: &[Role], client_id: Option<Uuid>) -> String {
        let person = Principal::user(Uuid::now_v7(), roles.iter().copied(), client_id, None)
            .expect("a user principal");
        self.issuer
            .issue(&person, Audience::Disbursement, Duration::from_secs(600))
            .expect("a token")
            .as_str()
            .to_owned()
    }

    /// Takes the draft loan `contract` of `client_id` through signing, activation today, a
    /// tranche request by one officer, its approval by another and the payout by finance, as
    /// each of them would through the API.
    pub async fn pay_out(&self, client_id: Uuid, contract: &str) {
        let client = reqwest::Client::new();
        let founder = self.user_token(&[Role::Client], Some(client_id));
        let requester = self.user_token(&[Role::CreditOfficer], None);
        let approver = self.user_token(&[Role::Approver], None);
        let finance = self.user_token(&[Role::Finance], None);
        let steps = [
            (founder, format!("/v1/contracts/{contract}/sign")),
            (
                requester.clone(),
                format!("/v1/contracts/{contract}/activate"),
            ),
            (
                requester,
                format!("/v1/contracts/{contract}/tranches/1/request"),
            ),
            (
                approver,
                format!("/v1/contracts/{contract}/tranches/1/approve"),
            ),
            (
                finance,
                format!("/v1/contracts/{contract}/tranches/1/disburse"),
            ),
        ];
        for (token, path) in steps {
            // Signing names the contract document the founder was shown, by its hash.
            let body = if path.ends_with("/sign") {
                let document = client
                    .get(self.disbursement.url(&format!(
                        "/v1/contracts/{contract}/document.pdf?lang=uz-Latn"
                    )))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("disbursement answers");
                serde_json::json!({
                    "document_sha256": document.headers()["x-document-sha256"].to_str().unwrap(),
                    "language": "uz-Latn",
                })
            } else {
                serde_json::json!({})
            };
            let answer = client
                .post(self.disbursement.url(&path))
                .bearer_auth(token)
                .header("idempotency-key", Uuid::now_v7().to_string())
                .json(&body)
                .send()
                .await
                .expect("disbursement answers");
            assert!(answer.status().is_success(), "{path}: {}", answer.status());
        }
    }
}

/// The client id of a demo login.
pub async fn client_id_of(services: &Services, username: &str) -> Uuid {
    sqlx::query_scalar("select client_id from login_account where username = $1")
        .bind(username)
        .fetch_one(&services.onboarding_pool)
        .await
        .expect("the demo founder exists")
}

fn signing() -> (TokenIssuer, PublicKeySet) {
    let key = SigningKey::generate(KeyId::parse("frontend-test-key").expect("a valid key id"));
    let keys = PublicKeySet::new([key.public_key()]).expect("one key");
    let issuer = TokenIssuer::new(key, imkon_platform::auth_settings::DEFAULT_TOKEN_ISSUER)
        .expect("an issuer");
    (issuer, keys)
}

fn verifier(keys: &PublicKeySet, audience: Audience) -> TokenVerifier {
    TokenVerifier::new(
        keys.clone(),
        imkon_platform::auth_settings::DEFAULT_TOKEN_ISSUER,
        audience,
    )
    .expect("a verifier")
}

/// A pool whose tables live in `schema` of the database `connect` names.
pub async fn schema_pool(
    pool_options: &PgPoolOptions,
    connect: &PgConnectOptions,
    schema: &str,
) -> PgPool {
    let admin = pool_options
        .clone()
        .connect_with(connect.clone())
        .await
        .expect("the test database accepts connections");
    sqlx::query(&format!("create schema if not exists {schema}"))
        .execute(&admin)
        .await
        .expect("the schema is created");
    admin.close().await;
    pool_options
        .clone()
        .connect_with(connect.clone().options([("search_path", schema)]))
        .await
        .expect("the schema's pool connects")
}

impl Services {
    /// The three services in one test database, a schema each.
    pub async fn start(pool_options: PgPoolOptions, connect: PgConnectOptions) -> Services {
        let onboarding_pool = schema_pool(&pool_options, &connect, "onboarding").await;
        let applications_pool = schema_pool(&pool_options, &connect, "applications").await;
        let scoring_pool = schema_pool(&pool_options, &connect, "scoring").await;
        Services::start_on(onboarding_pool, applications_pool, scoring_pool).await
    }

    /// Migrates the three pools, seeds the demo data, and starts the services.
    pub async fn start_on(
        onboarding_pool: PgPool,
        applications_pool: PgPool,
        scoring_pool: PgPool,
    ) -> Services {
        imkon_onboarding::migrator()
            .run(&onboarding_pool)
            .await
            .expect("onboarding migrates");
        imkon_applications::migrator()
            .run(&applications_pool)
            .await
            .expect("applications migrates");
        imkon_scoring::migrator()
            .run(&scoring_pool)
            .await
            .expect("scoring migrates");
        imkon_scoring::seed_demo(&scoring_pool)
            .await
            .expect("scoring's demo scorecards load");
        let second_factor_key = imkon_onboarding::domain::totp::SecondFactorKey::generate();
        let calendar = BankCalendar::default();
        imkon_onboarding::seed_demo(&onboarding_pool, &second_factor_key, &calendar)
            .await
            .expect("onboarding's demo data loads");
        imkon_applications::seed::seed_demo(&applications_pool, &calendar)
            .await
            .expect("applications' demo data loads");
        create_dual_role_officer(&onboarding_pool, &second_factor_key).await;

        let (issuer, keys) = signing();
        let mut onboarding_state = imkon_onboarding::AppState::new(
            onboarding_pool.clone(),
            HttpLimits::default(),
            issuer.clone(),
            verifier(&keys, Audience::Onboarding),
        );
        onboarding_state.second_factor_key = second_factor_key;
        let onboarding = TestServer::start(imkon_onboarding::app(onboarding_state)).await;
        let service = Principal::service(Uuid::now_v7(), Some("applications".to_owned()))
            .expect("a service principal");
        let kyc = OnboardingClient::new(
            ServiceClient::new(Duration::from_secs(10)).expect("an HTTP client"),
            &onboarding.url(""),
            ServiceTokens::local(issuer.clone(), service.clone()),
        );
        let scoring = TestServer::start(imkon_scoring::app(imkon_scoring::AppState {
            pool: scoring_pool.clone(),
            limits: HttpLimits::default(),
            verifier: verifier(&keys, Audience::Scoring),
        }))
        .await;
        let scorer = ScoringClient::new(
            ServiceClient::new(Duration::from_secs(10)).expect("an HTTP client"),
            &scoring.url(""),
            ServiceTokens::local(issuer.clone(), service),
        );
        let applications =
            TestServer::start(imkon_applications::app(imkon_applications::AppState {
                pool: applications_pool.clone(),
                limits: HttpLimits::default(),
                verifier: verifier(&keys, Audience::Applications),
                kyc: Arc::new(kyc),
                scorer: Arc::new(scorer),
                loans: Arc::new(NoLoans),
                calendar,
            }))
            .await;
        Services {
            onboarding,
            applications,
            scoring,
            onboarding_pool,
            applications_pool,
            scoring_pool,
            issuer,
            keys,
        }
    }
}

/// Disbursement's loan standing in these tests, which start no disbursement: no client has a
/// loan, so none has an overdue one.
struct NoLoans;

impl imkon_applications::peers::LoanStanding for NoLoans {
    fn has_overdue_loan(
        &self,
        _client_id: Uuid,
    ) -> imkon_applications::peers::PeerFuture<'_, bool> {
        Box::pin(async { Ok(false) })
    }
}

/// The dual-role officer, enrolled in the second factor with the demo secret of its
/// username, as the demo staff are.
async fn create_dual_role_officer(
    pool: &PgPool,
    second_factor_key: &imkon_onboarding::domain::totp::SecondFactorKey,
) {
    use imkon_onboarding::accounts::{create_local_account, NewLocalAccount};
    use imkon_onboarding::domain::credentials::{NewPassword, Username};
    let username = Username::parse(DUAL_ROLE_USERNAME).expect("a valid username");
    let password = NewPassword::parse(DUAL_ROLE_PASSWORD).expect("a valid password");
    let hash = imkon_onboarding::password::hash_password(&password)
        .await
        .expect("hashing works");
    let mut connection = pool.acquire().await.expect("a connection");
    let account = create_local_account(
        &mut connection,
        &NewLocalAccount {
            username: &username,
            password_hash: &hash,
            display_name: "Dual Role Officer",
            roles: &[Role::CreditOfficer, Role::Approver],
            client_id: None,
            granted_by: None,
        },
    )
    .await
    .expect("the account is created");
    let sealed = second_factor_key
        .seal(
            account.id,
            &imkon_onboarding::demo_totp_secret(DUAL_ROLE_USERNAME),
        )
        .expect("the secret seals");
    imkon_onboarding::db::second_factor::save_enrolled(
        &mut connection,
        account.id,
        &sealed,
        chrono::Utc::now(),
    )
    .await
    .expect("the second factor is stored");
}
