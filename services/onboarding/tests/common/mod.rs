//! What every black-box test of the onboarding service starts from.
#![allow(dead_code)]

pub mod external;
pub mod smtp;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use imkon_auth::{Audience, Principal, Role, TokenIssuer};
use imkon_onboarding::accounts::{create_local_account, NewLocalAccount};
use imkon_onboarding::config::{LoginSettings, ServiceClientSecrets};
use imkon_onboarding::domain::credentials::{NewPassword, Username};
use imkon_onboarding::domain::totp::{SecondFactorKey, TotpSecret};
use imkon_onboarding::password::hash_password;
use imkon_onboarding::{app, migrator, AppState};
use imkon_platform::calendar::{BankCalendar, SettableClock};
use imkon_platform::config::HttpLimits;
use imkon_platform::testing::{test_tokens, TestServer};
use sqlx::PgPool;
use uuid::Uuid;

/// The client secret the tests configure for the applications service.
pub const APPLICATIONS_SECRET: &str = "applications-test-secret";
/// The client secret the tests configure for the frontend.
pub const FRONTEND_SECRET: &str = "frontend-test-secret";
pub const SCORING_SECRET: &str = "scoring-test-secret";
pub const DISBURSEMENT_SECRET: &str = "disbursement-test-secret";
/// The secret of a client configured in `service_client_secrets` but absent from the
/// platform's service policy, as a mistaken or malicious setting would add one.
pub const UNLISTED_SECRET: &str = "unlisted-test-secret";

pub struct TestApp {
    pub server: TestServer,
    pub pool: PgPool,
    pub issuer: TokenIssuer,
    /// The key the service seals TOTP secrets with.
    pub second_factor_key: SecondFactorKey,
    /// The TOTP secrets of the accounts the tests enrolled, by username.
    secrets: Mutex<HashMap<String, TotpSecret>>,
    /// The service's clock: it starts at the real instant and moves only when a test moves it.
    pub clock: Arc<SettableClock>,
    pub calendar: BankCalendar,
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, LoginSettings::default()).await
}

pub async fn spawn_with(pool: PgPool, login: LoginSettings) -> TestApp {
    spawn_with_limits(pool, login, HttpLimits::default()).await
}

/// Like [`spawn_with`], with the service's HTTP limits (page size, body size) as given.
pub async fn spawn_with_limits(pool: PgPool, login: LoginSettings, limits: HttpLimits) -> TestApp {
    migrator()
        .run(&pool)
        .await
        .expect("migrations apply to a fresh database");
    let (issuer, verifier) = test_tokens(Audience::Onboarding);
    let mut state = AppState::new(pool.clone(), limits, issuer.clone(), verifier);
    state.login = login;
    state.service_clients = ServiceClientSecrets::from_json(&format!(
        r#"{{"applications": "{APPLICATIONS_SECRET}", "frontend": "{FRONTEND_SECRET}",
                "scoring": "{SCORING_SECRET}", "disbursement": "{DISBURSEMENT_SECRET}",
                "reporting": "{UNLISTED_SECRET}"}}"#
    ))
    .expect("valid secrets");
    let second_factor_key = state.second_factor_key.clone();
    // Whole seconds, as the database keeps microseconds: an instant stored and read back is
    // the instant the clock said.
    let clock = SettableClock::at(chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0));
    let calendar = BankCalendar::with_clock(clock.clone());
    state.calendar = calendar.clone();
    TestApp {
        server: TestServer::start(app(state)).await,
        pool,
        issuer,
        second_factor_key,
        secrets: Mutex::new(HashMap::new()),
        clock,
        calendar,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Creates a local account with these roles straight in the database.
    pub async fn create_account(&self, username: &str, password: &str, roles: &[Role]) -> Uuid {
        let username = Username::parse(username).expect("a valid username");
        let password = NewPassword::parse(password).expect("a valid password");
        let hash = hash_password(&password).await.expect("hashing works");
        let mut connection = self.pool.acquire().await.expect("a connection");
        create_local_account(
            &mut connection,
            &NewLocalAccount {
                username: &username,
                password_hash: &hash,
                display_name: username.as_str(),
                roles,
                client_id: None,
                granted_by: None,
            },
        )
        .await
        .expect("the account is created")
        .id
    }

    /// A bearer token for a person with these roles, addressed to onboarding.
    pub fn token_for(&self, subject: Uuid, roles: &[Role], client_id: Option<Uuid>) -> String {
        let principal = Principal::user(subject, roles.iter().copied(), client_id, None)
            .expect("a valid principal");
        self.issuer
            .issue(&principal, Audience::Onboarding, Duration::from_secs(600))
            .expect("a token")
            .into_string()
    }

    /// A service token addressed to onboarding.
    pub fn service_token(&self) -> String {
        let principal =
            Principal::service(Uuid::now_v7(), Some("applications".to_owned())).expect("service");
        self.issuer
            .issue(&principal, Audience::Onboarding, Duration::from_secs(600))
            .expect("a token")
            .into_string()
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut request = self.server.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the request is sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.server.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the request is sent")
    }

    /// Logs in and returns the login response.
    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/v1/auth/password",
            None,
            &serde_json::json!({ "username": username, "password": password }),
        )
        .await
    }

    /// Completes a login with a second-factor code.
    pub async fn second_factor(&self, challenge: &str, code: &str) -> reqwest::Response {
        self.post_json(
            "/v1/auth/second-factor",
            None,
            &serde_json::json!({ "challenge": challenge, "code": code }),
        )
        .await
    }

    /// A code of `secret` that the server has not accepted yet for `username`, as the
    /// account's authenticator would show it; waits for the next step when none is left.
    pub async fn next_code(&self, username: &str, secret: &TotpSecret) -> String {
        imkon_onboarding::testing::unused_code(&self.pool, username, secret).await
    }

    /// The secret a test enrolled for `username` (or the demo's).
    pub fn secret_of(&self, username: &str) -> TotpSecret {
        let username = username.to_ascii_lowercase();
        self.secrets
            .lock()
            .expect("the secrets lock")
            .get(&username)
            .cloned()
            .unwrap_or_else(|| imkon_onboarding::demo_totp_secret(&username))
    }

    /// Logs in all the way: the password, then the second factor when asked for one
    /// (enrolling with the offered secret if the account has none). Returns the 200 body.
    pub async fn full_login(&self, username: &str, password: &str) -> serde_json::Value {
        let response = self.login(username, password).await;
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("a JSON body");
        match status.as_u16() {
            200 => body,
            202 => {
                if let Some(secret) = body["enrolment"]["secret"].as_str() {
                    let secret = TotpSecret::from_base32(secret).expect("a base32 secret");
                    self.secrets
                        .lock()
                        .expect("the secrets lock")
                        .insert(username.to_ascii_lowercase(), secret);
                }
                let secret = self.secret_of(username);
                let code = self.next_code(username, &secret).await;
                let challenge = body["challenge"].as_str().expect("a challenge");
                let response = self.second_factor(challenge, &code).await;
                let status = response.status();
                let body: serde_json::Value = response.json().await.expect("a JSON body");
                assert_eq!(status, 200, "the second factor of {username}: {body}");
                body
            }
            _ => panic!("the login of {username} answered {status}: {body}"),
        }
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.server
            .client
            .post(self.url("/v1/oauth/token"))
            .form(form)
            .send()
            .await
            .expect("the request is sent")
    }

    /// How many audit records of `action` exist.
    pub async fn audit_count(&self, action: &str) -> i64 {
        sqlx::query_scalar("select count(*) from audit_record where action = $1")
            .bind(action)
            .fetch_one(&self.pool)
            .await
            .expect("audit count")
    }
}

/// A PINFL for a man born on `birth_date`, with the given serial.
pub fn pinfl_for(birth_date: chrono::NaiveDate, serial: u32) -> String {
    imkon_onboarding::domain::pinfl::Pinfl::compose(
        birth_date,
        imkon_onboarding::domain::pinfl::Sex::Male,
        serial,
    )
    .expect("a valid PINFL")
    .as_str()
    .to_owned()
}

pub fn date(text: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// A valid registration: a man born 1990-05-15, passport `AB` and the serial's seven digits,
/// issued five years ago and valid for five more.
pub fn registration(username: &str, serial: u32) -> serde_json::Value {
    serde_json::json!({
        "username": username,
        "password": format!("{username}-demo-pass"),
        "pinfl": pinfl_for(date("1990-05-15"), serial),
        "birth_date": "1990-05-15",
        "latin_name": { "surname": "Karimov", "given_name": "Aziz", "patronymic": "Botirovich" },
        "cyrillic_name": { "surname": "Каримов", "given_name": "Азиз", "patronymic": "Ботирович" },
        "passport": { "number": format!("ab {serial:07}"), "issue_date": imkon_platform::testing::years_from_today(-5), "expiry_date": imkon_platform::testing::years_from_today(5) },
        "phone": "+998 (90) 123-45-67",
        "email": "aziz@example.uz",
        "address": { "region": "Toshkent", "district": "Yunusobod", "street_line": "Amir Temur 1" }
    })
}

/// A registered founder: their account, client id and an access token for onboarding.
pub struct RegisteredFounder {
    pub account_id: Uuid,
    pub client_id: Uuid,
    pub token: String,
}

impl TestApp {
    pub async fn register_founder(&self, username: &str, serial: u32) -> RegisteredFounder {
        self.register_founder_with(&registration(username, serial))
            .await
    }

    /// Registers the founder `body` describes (a [`registration`] with changes).
    pub async fn register_founder_with(&self, body: &serde_json::Value) -> RegisteredFounder {
        let response = self.post_json("/v1/registrations", None, body).await;
        let status = response.status();
        let text = response.text().await.expect("a body");
        assert_eq!(status, 201, "{text}");
        let body: serde_json::Value = serde_json::from_str(&text).expect("json");
        let account_id: Uuid = body["account_id"].as_str().unwrap().parse().unwrap();
        let client_id: Uuid = body["client_id"].as_str().unwrap().parse().unwrap();
        RegisteredFounder {
            account_id,
            client_id,
            token: self.token_for(account_id, &[Role::Client], Some(client_id)),
        }
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }
}

/// A company of 60% for `owner` and 40% for a person known by PINFL.
pub fn company(owner: Uuid, stir: &str) -> serde_json::Value {
    serde_json::json!({
        "stir": stir,
        "name": "Imkon Labs",
        "legal_form": "llc",
        "registration_date": "2022-03-01",
        "it_park_residency": { "certificate_number": "ITP-2022/145", "valid_from": "2022-04-01", "valid_until": "2099-12-31" },
        "founders": [
            { "client_id": owner, "share_percent": "60.00" },
            { "pinfl": pinfl_for(date("1988-02-03"), 77), "share_percent": "40" }
        ]
    })
}

/// The start of a PDF, enough for content sniffing.
pub fn pdf_bytes(text: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {text}\n%%EOF\n").into_bytes()
}

impl TestApp {
    /// Uploads a document as `multipart/form-data`, built by hand.
    pub async fn upload(
        &self,
        token: &str,
        kind: &str,
        file_name: &str,
        content: &[u8],
        company_id: Option<Uuid>,
    ) -> reqwest::Response {
        let boundary = "imkon-test-boundary-7d1f";
        let mut body = Vec::new();
        let mut text_field = |name: &str, value: &str| {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        };
        text_field("kind", kind);
        if let Some(company_id) = company_id {
            text_field("company_id", &company_id.to_string());
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\ncontent-type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.server
            .client
            .post(self.url("/v1/me/documents"))
            .bearer_auth(token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .expect("the upload is sent")
    }
}
