//! What the black-box tests share: the app on a fresh database, tokens for each kind of
//! caller, and small request helpers.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::time::Duration;

use imkon_auth::{Audience, Principal, Role, TokenIssuer};
use imkon_platform::config::HttpLimits;
use imkon_platform::testing::{test_tokens, TestServer};
use imkon_scoring::domain::scorecard::Scorecard;
use imkon_scoring::http::definition::ScorecardDefinition;
use imkon_scoring::{app, migrator, AppState};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

pub struct Harness {
    pub server: TestServer,
    pub pool: PgPool,
    issuer: TokenIssuer,
}

impl Harness {
    pub async fn start(pool: PgPool) -> Harness {
        migrator().run(&pool).await.expect("migrations apply");
        let (issuer, verifier) = test_tokens(Audience::Scoring);
        let server = TestServer::start(app(AppState {
            pool: pool.clone(),
            limits: HttpLimits::default(),
            verifier,
        }))
        .await;
        Harness {
            server,
            pool,
            issuer,
        }
    }

    fn issue(&self, principal: &Principal) -> String {
        self.issuer
            .issue(principal, Audience::Scoring, Duration::from_secs(600))
            .unwrap()
            .as_str()
            .to_owned()
    }

    pub fn person(&self, role: Role) -> String {
        self.issue(&Principal::user(Uuid::now_v7(), [role], None, None).unwrap())
    }

    pub fn officer(&self) -> String {
        self.person(Role::CreditOfficer)
    }

    pub fn founder(&self) -> String {
        self.issue(
            &Principal::user(Uuid::now_v7(), [Role::Client], Some(Uuid::now_v7()), None).unwrap(),
        )
    }

    pub fn service(&self) -> String {
        self.issue(&Principal::service(Uuid::now_v7(), Some("applications".to_owned())).unwrap())
    }

    /// A POST with a JSON body (sent as text, so numbers go exactly as written) and a fresh
    /// idempotency key.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &str) -> reqwest::Response {
        self.post_with_key(path, token, body, &Uuid::now_v7().to_string())
            .await
    }

    pub async fn post_with_key(
        &self,
        path: &str,
        token: Option<&str>,
        body: &str,
        key: &str,
    ) -> reqwest::Response {
        let mut request = self
            .server
            .client
            .post(self.server.url(path))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn put(&self, path: &str, token: &str, body: &str) -> reqwest::Response {
        self.server
            .client
            .put(self.server.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.server.client.get(self.server.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    /// Creates a scorecard as a credit officer and returns its id.
    pub async fn create(&self, scorecard: &Scorecard) -> Uuid {
        let response = self
            .post(
                "/v1/scorecards",
                Some(&self.officer()),
                &definition_json(scorecard),
            )
            .await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Proposes activating a version, as `token`.
    pub async fn propose(&self, id: Uuid, version: u32, token: &str) -> reqwest::Response {
        self.post(
            &format!("/v1/scorecards/{id}/versions/{version}/proposal"),
            Some(token),
            "",
        )
        .await
    }

    /// Activates a version with four eyes: one new officer proposes it, another confirms it.
    pub async fn activate(&self, id: Uuid, version: u32) -> reqwest::Response {
        let proposal = self.propose(id, version, &self.officer()).await;
        assert_eq!(proposal.status(), 200, "the proposal is recorded");
        self.post(
            &format!("/v1/scorecards/{id}/activate?version={version}"),
            Some(&self.officer()),
            "",
        )
        .await
    }

    /// Creates and activates a scorecard and returns its id.
    pub async fn create_active(&self, scorecard: &Scorecard) -> Uuid {
        let id = self.create(scorecard).await;
        assert_eq!(self.activate(id, 1).await.status(), 200);
        id
    }

    pub async fn audit_actions(&self, scorecard_id: Uuid) -> Vec<String> {
        sqlx::query_scalar(
            "select action from audit_record where subject_type = 'scorecard' and subject_id = $1
             order by occurred_at, id",
        )
        .bind(scorecard_id.to_string())
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }
}

/// A scorecard's JSON definition.
pub fn definition_json(scorecard: &Scorecard) -> String {
    serde_json::to_string(&ScorecardDefinition::from_scorecard(scorecard)).unwrap()
}

/// A scorecard's JSON definition as a value to edit.
pub fn definition_value(scorecard: &Scorecard) -> Value {
    serde_json::from_str(&definition_json(scorecard)).unwrap()
}
