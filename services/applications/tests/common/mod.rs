//! What the HTTP tests share: the service on a fresh database, fixed company facts in place of
//! onboarding, the real scoring engine in-process in place of the scoring service, and tokens.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Months, NaiveDate, Utc};
use imkon_applications::peers::{
    ClientProfile, Company, CompanyFounder, KycSource, LoanStanding, PeerError, PeerFuture,
    ScoreKnockout, ScoreResult, ScoredCharacteristic, Scorer,
};
use imkon_applications::seed::{GRANT_SCORECARD_ID, LOAN_SCORECARD_ID};
use imkon_applications::{app, migrator, AppState};
use imkon_auth::{Audience, Principal, Role, TokenIssuer};
use imkon_platform::calendar::{BankCalendar, SettableClock};
use imkon_platform::config::HttpLimits;
use imkon_platform::testing::{self, TestServer};
use imkon_scoring::domain::evaluation::{evaluate, InputValue, Inputs};
use imkon_scoring::domain::scorecard::Scorecard;
use imkon_scoring::domain::seeds;
use reqwest::Response;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// Onboarding's answers, fixed by each test: every client's KYC is pending until a
/// `client.kyc_approved` event arrives at `/v1/events`, as in production.
#[derive(Default)]
pub struct FixedDirectory {
    profiles: Mutex<HashMap<Uuid, ClientProfile>>,
    /// The clients disbursement reports with an overdue loan.
    overdue: Mutex<HashSet<Uuid>>,
}

impl FixedDirectory {
    /// Makes disbursement report `client_id` with (or without) an overdue loan.
    pub fn set_overdue(&self, client_id: Uuid, overdue: bool) {
        let mut clients = self.overdue.lock().unwrap();
        if overdue {
            clients.insert(client_id);
        } else {
            clients.remove(&client_id);
        }
    }
}

impl LoanStanding for FixedDirectory {
    fn has_overdue_loan(&self, client_id: Uuid) -> PeerFuture<'_, bool> {
        let overdue = self.overdue.lock().unwrap().contains(&client_id);
        Box::pin(async move { Ok(overdue) })
    }
}

impl KycSource for FixedDirectory {
    fn kyc_status(&self, _client_id: Uuid) -> PeerFuture<'_, String> {
        Box::pin(async { Ok("pending_review".to_owned()) })
    }

    fn client_profile(&self, client_id: Uuid) -> PeerFuture<'_, ClientProfile> {
        let profile = self.profiles.lock().unwrap().get(&client_id).cloned();
        Box::pin(async move {
            profile.ok_or(PeerError::NotFound {
                service: "onboarding",
                what: format!("client {client_id}"),
            })
        })
    }
}

/// The scoring service's engine and seed scorecards, in-process.
pub struct InProcessScorer {
    scorecards: HashMap<Uuid, Scorecard>,
}

impl Default for InProcessScorer {
    fn default() -> Self {
        InProcessScorer {
            scorecards: HashMap::from([
                (GRANT_SCORECARD_ID, seeds::it_startup_grant_scorecard()),
                (LOAN_SCORECARD_ID, seeds::startup_loan_scorecard()),
            ]),
        }
    }
}

impl Scorer for InProcessScorer {
    fn evaluate(
        &self,
        scorecard_id: Uuid,
        inputs: BTreeMap<String, Value>,
    ) -> PeerFuture<'_, ScoreResult> {
        let result = (|| {
            let scorecard = self
                .scorecards
                .get(&scorecard_id)
                .ok_or(PeerError::NotFound {
                    service: "scoring",
                    what: format!("scorecard {scorecard_id}"),
                })?;
            let mut converted = Inputs::new();
            for (name, value) in inputs {
                let value = match value {
                    Value::Number(number) => {
                        InputValue::Number(Decimal::from_str_exact(&number.to_string()).unwrap())
                    }
                    Value::String(text) => InputValue::Category(text),
                    other => panic!("the service sent {other} for {name}"),
                };
                converted.insert(name, value);
            }
            let evaluation =
                evaluate(scorecard, &converted).map_err(|error| PeerError::InvalidInput {
                    service: "scoring",
                    field: "inputs".to_owned(),
                    message: error.to_string(),
                })?;
            Ok(ScoreResult {
                evaluation_id: Some(Uuid::now_v7()),
                score: evaluation.total_score,
                probability_of_default: evaluation.probability_of_default.to_string(),
                band: evaluation.band,
                recommendation: evaluation.recommendation.as_str().to_owned(),
                knockouts: evaluation
                    .knockouts
                    .iter()
                    .map(|knockout| ScoreKnockout {
                        reason_code: knockout.reason_code.as_str().to_owned(),
                        description: knockout.description.clone(),
                    })
                    .collect(),
                characteristics: evaluation
                    .characteristics
                    .iter()
                    .map(|scored| ScoredCharacteristic {
                        characteristic: scored.characteristic.as_str().to_owned(),
                        bin: scored.bin_label.clone(),
                        points: scored.points,
                        reason_code: scored.reason_code.as_str().to_owned(),
                    })
                    .collect(),
            })
        })();
        Box::pin(async move { result })
    }
}

pub struct Harness {
    pub server: TestServer,
    pub pool: PgPool,
    pub issuer: TokenIssuer,
    pub directory: Arc<FixedDirectory>,
    pub admin: String,
    pub officer: String,
    pub officer_id: Uuid,
    pub approver: String,
    pub approver_id: Uuid,
    /// The service's clock; the demo programmes were seeded open around its start.
    pub clock: Arc<SettableClock>,
    pub calendar: BankCalendar,
}

/// A founder with their client profile and one company.
pub struct Founder {
    pub client_id: Uuid,
    pub company_id: Uuid,
    pub token: String,
}

/// A scoring service that is down for its first `outages` calls.
pub struct FlakyScorer {
    outages: std::sync::atomic::AtomicUsize,
    engine: InProcessScorer,
}

impl FlakyScorer {
    pub fn down_for(outages: usize) -> FlakyScorer {
        FlakyScorer {
            outages: std::sync::atomic::AtomicUsize::new(outages),
            engine: InProcessScorer::default(),
        }
    }
}

impl Scorer for FlakyScorer {
    fn evaluate(
        &self,
        scorecard_id: Uuid,
        inputs: BTreeMap<String, Value>,
    ) -> PeerFuture<'_, ScoreResult> {
        use std::sync::atomic::Ordering;
        let down = self
            .outages
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if down {
            return Box::pin(async {
                Err(PeerError::Unreachable {
                    service: "scoring",
                    reason: "connection refused".to_owned(),
                })
            });
        }
        self.engine.evaluate(scorecard_id, inputs)
    }
}

impl Harness {
    pub async fn start(pool: PgPool) -> Harness {
        Harness::start_with(pool, Arc::new(InProcessScorer::default())).await
    }

    pub async fn start_with(pool: PgPool, scorer: Arc<dyn Scorer>) -> Harness {
        Harness::start_at(pool, scorer, Utc::now()).await
    }

    /// The service with its clock at `now`, the demo programmes seeded open around it.
    pub async fn start_at(pool: PgPool, scorer: Arc<dyn Scorer>, now: DateTime<Utc>) -> Harness {
        let clock = SettableClock::at(now);
        let calendar = BankCalendar::with_clock(clock.clone());
        migrator().run(&pool).await.unwrap();
        imkon_applications::seed::seed_demo(&pool, &calendar)
            .await
            .unwrap();
        let (issuer, verifier) = testing::test_tokens(Audience::Applications);
        let directory = Arc::new(FixedDirectory::default());
        let server = TestServer::start(app(AppState {
            pool: pool.clone(),
            limits: HttpLimits::default(),
            verifier,
            kyc: directory.clone(),
            scorer,
            loans: directory.clone(),
            calendar: calendar.clone(),
        }))
        .await;
        let officer_id = Uuid::now_v7();
        let approver_id = Uuid::now_v7();
        let mut harness = Harness {
            server,
            pool,
            issuer,
            directory,
            admin: String::new(),
            officer: String::new(),
            officer_id,
            approver: String::new(),
            approver_id,
            clock,
            calendar,
        };
        harness.admin = harness.staff(Uuid::now_v7(), &[Role::Admin]);
        harness.officer = harness.staff(officer_id, &[Role::CreditOfficer]);
        harness.approver = harness.staff(approver_id, &[Role::Approver]);
        harness
    }

    /// The bank's today by the service's clock.
    pub fn today(&self) -> NaiveDate {
        self.calendar.today()
    }

    pub fn months_ago(&self, months: u32) -> NaiveDate {
        self.today()
            .checked_sub_months(Months::new(months))
            .unwrap()
    }

    pub fn staff(&self, id: Uuid, roles: &[Role]) -> String {
        let principal = Principal::user(id, roles.iter().copied(), None, None).unwrap();
        testing::token(&self.issuer, &principal, Audience::Applications)
    }

    /// A member of staff who is also a client of the bank: their token names `client_id`.
    pub fn staff_who_is_client(&self, roles: &[Role], client_id: Uuid) -> String {
        let principal =
            Principal::user(Uuid::now_v7(), roles.iter().copied(), Some(client_id), None).unwrap();
        testing::token(&self.issuer, &principal, Audience::Applications)
    }

    pub fn service_token(&self) -> String {
        testing::token(
            &self.issuer,
            &testing::service_principal("onboarding"),
            Audience::Applications,
        )
    }

    /// A founder whose company was registered `company_age_months` ago, is an IT Park
    /// resident, and whose founders were born on `founder_birth_date`; KYC approved if asked.
    pub async fn founder_with(
        &self,
        company_age_months: u32,
        founder_birth_date: NaiveDate,
        kyc_approved: bool,
    ) -> Founder {
        let client_id = Uuid::now_v7();
        let company_id = Uuid::now_v7();
        let profile = ClientProfile {
            client_id,
            birth_date: Some(founder_birth_date),
            companies: vec![Company {
                company_id,
                stir: "301234567".to_owned(),
                name: "Demo LLC".to_owned(),
                registration_date: self.months_ago(company_age_months),
                it_park_resident_until: Some(
                    self.today().checked_add_months(Months::new(24)).unwrap(),
                ),
                kyc_approved: true,
                founders: vec![CompanyFounder {
                    client_id: Some(client_id),
                    birth_date: Some(founder_birth_date),
                    share_percent: Decimal::ONE_HUNDRED,
                }],
            }],
        };
        self.directory
            .profiles
            .lock()
            .unwrap()
            .insert(client_id, profile);
        if kyc_approved {
            self.approve_kyc(client_id).await;
        }
        let principal =
            Principal::user(Uuid::now_v7(), [Role::Client], Some(client_id), None).unwrap();
        Founder {
            client_id,
            company_id,
            token: testing::token(&self.issuer, &principal, Audience::Applications),
        }
    }

    /// Makes onboarding answer that `founder`'s company's KYC (KYB) is approved or not.
    pub fn set_company_kyc_approved(&self, founder: &Founder, approved: bool) {
        let mut profiles = self.directory.profiles.lock().unwrap();
        let profile = profiles
            .get_mut(&founder.client_id)
            .expect("the founder's profile");
        for company in &mut profile.companies {
            company.kyc_approved = approved;
        }
    }

    /// A founder born 25 years ago, of a company a year old, KYC approved.
    pub async fn founder(&self) -> Founder {
        self.founder_with(12, self.months_ago(12 * 25), true).await
    }

    /// Delivers `client.kyc_approved` to the service's own events endpoint, as onboarding's
    /// relay does.
    pub async fn approve_kyc(&self, client_id: Uuid) {
        let response = self
            .post(
                "/v1/events",
                &self.service_token(),
                &json!({
                    "id": Uuid::now_v7(),
                    "topic": "client.kyc_approved",
                    "occurred_at": Utc::now(),
                    "payload": { "client_id": client_id, "approved_at": Utc::now() },
                }),
            )
            .await;
        assert_eq!(response.status(), 200);
        let receipt: Value = response.json().await.unwrap();
        assert_eq!(receipt["outcome"], "applied");
    }

    /// Posts with a fresh `Idempotency-Key`, which the endpoints that move money require.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.server
            .client
            .post(self.server.url(path))
            .bearer_auth(token)
            .header("idempotency-key", Uuid::now_v7().to_string())
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.server
            .client
            .patch(self.server.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Response {
        self.server
            .client
            .put(self.server.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.server
            .client
            .get(self.server.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn ok(&self, response: Response) -> Value {
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "status {status}: {body}");
        body
    }

    pub async fn post_ok(&self, path: &str, token: &str, body: &Value) -> Value {
        let response = self.post(path, token, body).await;
        self.ok(response).await
    }

    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        self.ok(response).await
    }

    /// Creates a programme from `definition` and returns its id.
    pub async fn create_programme(&self, definition: &Value) -> Uuid {
        let body = self
            .post_ok("/v1/programmes", &self.admin, definition)
            .await;
        body["id"].as_str().unwrap().parse().unwrap()
    }

    /// A draft with the given fields; panics unless it is created.
    pub async fn draft(&self, founder: &Founder, programme_id: Uuid, fields: Value) -> Uuid {
        let mut body = json!({ "programme_id": programme_id, "company_id": founder.company_id });
        for (key, value) in fields.as_object().unwrap() {
            body[key] = value.clone();
        }
        let created = self
            .post_ok("/v1/applications", &founder.token, &body)
            .await;
        created["id"].as_str().unwrap().parse().unwrap()
    }

    pub async fn submit(&self, founder: &Founder, application_id: Uuid) -> Value {
        self.post_ok(
            &format!("/v1/applications/{application_id}/submit"),
            &founder.token,
            &json!({}),
        )
        .await
    }

    pub async fn propose_approval(&self, application_id: Uuid, terms: Value) -> Value {
        let mut body = json!({ "outcome": "approve" });
        for (key, value) in terms.as_object().unwrap() {
            body[key] = value.clone();
        }
        self.post_ok(
            &format!("/v1/applications/{application_id}/decision/proposal"),
            &self.officer,
            &body,
        )
        .await
    }

    pub async fn confirm(&self, application_id: Uuid, token: &str) -> Response {
        self.post(
            &format!("/v1/applications/{application_id}/decision/confirmation"),
            token,
            &json!({}),
        )
        .await
    }
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

/// Answers to the loan form with ample collateral and no overdue history.
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

/// A demo programme's definition as the service returns it, with changes, for a new one.
pub async fn programme_like(harness: &Harness, id: Uuid, changes: Value) -> Value {
    let mut definition = harness
        .get_ok(&format!("/v1/programmes/{id}"), &harness.admin)
        .await;
    let object = definition.as_object_mut().unwrap();
    for field in [
        "id",
        "committed_amount",
        "available_amount",
        "created_at",
        "updated_at",
        "closed_at",
        "has_submitted_applications",
    ] {
        object.remove(field);
    }
    for (key, value) in changes.as_object().unwrap() {
        object.insert(key.clone(), value.clone());
    }
    definition
}

pub async fn assert_problem_field(
    response: Response,
    status: u16,
    field: &str,
    code: &str,
) -> Value {
    let body = testing::assert_problem(response, &[status], None).await;
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no field errors: {body}"));
    assert!(
        errors
            .iter()
            .any(|error| error["field"] == field && error["code"] == code),
        "expected {field} / {code} in {body}"
    );
    body
}
