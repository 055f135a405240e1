//! Sign-in with OneID, against a stand-in for onboarding's side of the contract: the start
//! redirect, and `POST /v1/oauth/token` with the authorization-code grant, which answers as a
//! password login does only for the right code, redirect URI, client id and secret.

use std::collections::HashMap;

use axum::http::StatusCode as AxumStatus;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Form, Json, Router};
use imkon_frontend::{app_with, FrontendSettings, ServiceUrls};
use imkon_platform::config::Secret;
use imkon_platform::testing::TestServer;
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{redirect, Response, StatusCode};
use serde_json::json;

const FRONTEND_URL: &str = "https://imkon.example";
const SECRET: &str = "frontend-test-secret";
const GOOD_CODE: &str = "code-from-oneid";

/// Onboarding's token endpoint for the authorization-code grant, as the contract states it.
fn onboarding_stand_in() -> Router {
    Router::new().route(
        "/v1/oauth/token",
        post(|Form(form): Form<HashMap<String, String>>| async move {
            let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
            let expected = field("grant_type") == "authorization_code"
                && field("code") == GOOD_CODE
                && field("redirect_uri") == format!("{FRONTEND_URL}/auth/callback")
                && field("client_id") == "frontend"
                && field("client_secret") == SECRET;
            if !expected {
                return (
                    AxumStatus::BAD_REQUEST,
                    Json(json!({"code": "invalid_grant", "status": 400})),
                )
                    .into_response();
            }
            Json(json!({
                "refresh_token": "refresh-from-oneid",
                "refresh_expires_in": 3600,
                "principal": {
                    "id": "0193a000-0000-7000-8000-000000000001",
                    "roles": ["client"],
                    "client_id": "0193a000-0000-7000-8000-000000000002",
                    "name": "Aziz Karimov"
                }
            }))
            .into_response()
        }),
    )
}

struct Site {
    frontend: TestServer,
    onboarding: TestServer,
}

impl Site {
    async fn start(secret: Option<&str>) -> Site {
        let onboarding = TestServer::start(onboarding_stand_in()).await;
        let unused = "http://127.0.0.1:1".to_owned();
        let mut settings = FrontendSettings::new(ServiceUrls {
            onboarding: onboarding.url(""),
            applications: unused.clone(),
            scoring: unused.clone(),
            disbursement: unused.clone(),
            accounts: unused,
        });
        settings.public_url = format!("{FRONTEND_URL}/");
        settings.client_secret = secret.map(|secret| Secret::new(secret.to_owned()));
        Site {
            frontend: TestServer::start(app_with(settings)).await,
            onboarding,
        }
    }

    fn url(&self, path: &str) -> String {
        self.frontend.url(path)
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie_named(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|line| line.to_str().ok())
        .find(|line| line.starts_with(&format!("{name}=")) && !line.contains("Max-Age=0"))
        .map(|line| line.split(';').next().unwrap().to_owned())
}

fn session_cookie(response: &Response) -> Option<String> {
    cookie_named(response, "__Host-imkon_session")
}

fn clears_the_state_cookie(response: &Response) -> bool {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|line| line.to_str().ok())
        .any(|line| line.starts_with("__Host-imkon_external_state=") && line.contains("Max-Age=0"))
}

fn location(response: &Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// Starts the external sign-in and returns the state cookie and the `state` sent out.
async fn start(site: &Site) -> (String, String) {
    let response = client().get(site.url("/auth/oneid")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        session_cookie(&response),
        None,
        "an anonymous start stores no session"
    );
    let cookie = cookie_named(&response, "__Host-imkon_external_state")
        .expect("the browser keeps the state");
    assert!(response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .any(|line| line.to_str().unwrap().contains("Max-Age=600")));
    let target = location(&response);
    let expected_start = site.onboarding.url(
        "/v1/auth/external/oneid/start?redirect_uri=https%3A%2F%2Fimkon.example%2Fauth%2Fcallback&state=",
    );
    assert!(target.starts_with(&expected_start), "{target}");
    let state = target[expected_start.len()..].to_owned();
    assert!(state.len() >= 43, "the state is long and random");
    (cookie, state)
}

async fn callback(site: &Site, cookie: &str, query: &str) -> Response {
    client()
        .get(site.url(&format!("/auth/callback?{query}")))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_callback_with_the_issued_state_signs_in_under_a_fresh_session_id() {
    let site = Site::start(Some(SECRET)).await;
    let (cookie, state) = start(&site).await;
    let response = callback(&site, &cookie, &format!("code={GOOD_CODE}&state={state}")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/applications");
    assert!(
        session_cookie(&response).is_some(),
        "a session after sign-in"
    );
    assert!(clears_the_state_cookie(&response));
}

#[tokio::test]
async fn a_foreign_state_is_refused_and_the_browser_forgets_its_state() {
    let site = Site::start(Some(SECRET)).await;
    let (cookie, state) = start(&site).await;
    let forged = callback(&site, &cookie, &format!("code={GOOD_CODE}&state=forged")).await;
    assert_eq!(location(&forged), "/login?refused=1");
    assert!(session_cookie(&forged).is_none());
    assert!(clears_the_state_cookie(&forged));
    // Another browser's state, with this browser's cookie (a login CSRF): refused.
    let (_, other_state) = start(&site).await;
    let planted = callback(
        &site,
        &cookie,
        &format!("code={GOOD_CODE}&state={other_state}"),
    )
    .await;
    assert_eq!(location(&planted), "/login?refused=1");

    let no_session = client()
        .get(site.url(&format!("/auth/callback?code={GOOD_CODE}&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&no_session), "/login?refused=1");
}

#[tokio::test]
async fn a_refused_code_or_a_cancelled_sign_in_shows_a_friendly_message() {
    let site = Site::start(Some(SECRET)).await;
    let (cookie, state) = start(&site).await;
    let refused = callback(&site, &cookie, &format!("code=stolen&state={state}")).await;
    assert_eq!(location(&refused), "/login?refused=1");

    let (cookie, state) = start(&site).await;
    let cancelled = callback(
        &site,
        &cookie,
        &format!("error=access_denied&state={state}"),
    )
    .await;
    assert_eq!(location(&cancelled), "/login?refused=1");

    let page = client()
        .get(site.url("/login?refused=1"))
        .header("cookie", "__Host-imkon_lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign-in with OneID was cancelled or did not succeed."));
    assert!(
        page.contains("href=\"/auth/oneid\""),
        "the button is offered again"
    );
}

#[tokio::test]
async fn without_a_client_secret_external_sign_in_is_not_offered() {
    let site = Site::start(None).await;
    let response = client().get(site.url("/auth/oneid")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let page = client()
        .get(site.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/auth/oneid"));
}
