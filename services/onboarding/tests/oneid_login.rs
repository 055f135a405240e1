//! Logging in through OneID, against the development identity provider, which speaks OneID's
//! dialect (`one_code`, `one_authorization_code`, `one_access_token_identify`).

mod common;

use std::collections::BTreeMap;

use common::external::{
    location, query_param, BoundOnboarding, ExternalLoginApp, FRONTEND_CALLBACK,
};
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;

async fn spawn(pool: PgPool) -> ExternalLoginApp {
    BoundOnboarding::bind()
        .await
        .serve(pool, BTreeMap::new(), true)
        .await
}

/// The browser's trip to the provider: start, the provider's page, and the person's decision.
/// Returns the provider's redirect to onboarding's callback.
async fn visit_provider(app: &ExternalLoginApp, frontend_state: &str, decision: &str) -> url::Url {
    let started = app.start("oneid", FRONTEND_CALLBACK, frontend_state).await;
    let authorize_url = location(&started);
    assert_eq!(
        query_param(&authorize_url, "response_type").as_deref(),
        Some("one_code")
    );
    let page = app.get(authorize_url.as_str()).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("For development only"));
    let provider_state = query_param(&authorize_url, "state").expect("onboarding's state");
    let decided = app
        .browser
        .post(app.url("/dev-idp/authorize"))
        .form(&[
            ("citizen", "0"),
            ("decision", decision),
            ("state", provider_state.as_str()),
        ])
        .send()
        .await
        .unwrap();
    location(&decided)
}

/// A whole login up to the frontend's callback; returns where onboarding sent the browser.
async fn log_in(app: &ExternalLoginApp, frontend_state: &str) -> url::Url {
    let callback = visit_provider(app, frontend_state, "allow").await;
    let back = app.get(callback.as_str()).await;
    location(&back)
}

async fn trade(app: &ExternalLoginApp, frontend_return: &url::Url) -> serde_json::Value {
    let code = query_param(frontend_return, "code").expect("onboarding's code");
    let response = app.trade_code(&code).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_first_oneid_login_creates_the_founders_profile_from_oneid_fields(pool: PgPool) {
    let app = spawn(pool).await;
    let citizen = app.dev_identity_provider.as_ref().unwrap().citizens()[0].clone();

    let frontend_return = log_in(&app, "frontend-state-1").await;
    assert!(frontend_return.as_str().starts_with(FRONTEND_CALLBACK));
    assert_eq!(
        query_param(&frontend_return, "state").as_deref(),
        Some("frontend-state-1")
    );
    let login = trade(&app, &frontend_return).await;

    assert_eq!(login["principal"]["roles"], serde_json::json!(["founder"]));
    let client_id = login["principal"]["client_id"]
        .as_str()
        .expect("a client id")
        .to_owned();
    let token = app
        .access_token(login["refresh_token"].as_str().unwrap())
        .await;
    let profile: serde_json::Value = app
        .browser
        .get(app.url("/v1/me/profile"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["client_id"], client_id.as_str());
    assert_eq!(profile["pinfl"], citizen.pin.as_str());
    assert_eq!(profile["birth_date"], citizen.birth_date.as_str());
    assert_eq!(profile["latin_name"]["surname"], citizen.sur_name.as_str());
    assert_eq!(
        profile["latin_name"]["given_name"],
        citizen.first_name.as_str()
    );
    assert_eq!(profile["passport"]["number"], citizen.pport_no.as_str());
    assert_eq!(profile["phone"], citizen.mob_phone_no.as_deref().unwrap());
    assert_eq!(profile["address"]["district"], "Yunusobod tumani");
}

#[sqlx::test(migrations = false)]
async fn a_second_oneid_login_finds_the_same_client_by_pinfl(pool: PgPool) {
    let app = spawn(pool).await;
    let first = trade(&app, &log_in(&app, "first").await).await;
    let second = trade(&app, &log_in(&app, "second").await).await;

    assert_eq!(first["principal"]["id"], second["principal"]["id"]);
    assert_eq!(
        first["principal"]["client_id"],
        second["principal"]["client_id"]
    );
    assert_eq!(app.count("person").await, 1);
    assert_eq!(app.count("login_account").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_callback_with_a_wrong_state_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let callback = visit_provider(&app, "frontend-state", "allow").await;
    let mut forged = callback.clone();
    let code = query_param(&callback, "code").unwrap();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "not-the-state-onboarding-sent");

    let response = app.get(forged.as_str()).await;

    assert_problem(response, &[400], Some("invalid_state")).await;
    assert_eq!(app.count("login_account").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_replayed_callback_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let callback = visit_provider(&app, "frontend-state", "allow").await;
    let first = app.get(callback.as_str()).await;
    assert_eq!(first.status(), 302);

    let replay = app.get(callback.as_str()).await;

    assert_problem(replay, &[400], Some("invalid_state")).await;
}

#[sqlx::test(migrations = false)]
async fn a_replayed_frontend_code_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let frontend_return = log_in(&app, "frontend-state").await;
    let code = query_param(&frontend_return, "code").unwrap();
    assert_eq!(app.trade_code(&code).await.status(), 200);

    let replay = app.trade_code(&code).await;

    assert_problem(replay, &[400], Some("invalid_grant")).await;
}

#[sqlx::test(migrations = false)]
async fn a_code_is_traded_only_by_the_frontend_with_its_secret_and_redirect_uri(pool: PgPool) {
    let app = spawn(pool).await;
    let frontend_return = log_in(&app, "frontend-state").await;
    let code = query_param(&frontend_return, "code").unwrap();
    let attempt = |secret: &'static str, redirect_uri: &'static str| {
        app.browser.post(app.url("/v1/oauth/token")).form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri),
            ("client_id", "frontend"),
            ("client_secret", secret),
        ])
    };

    let wrong_secret = attempt("guessed", FRONTEND_CALLBACK).send().await.unwrap();
    assert_problem(wrong_secret, &[401], Some("invalid_client")).await;
    let other_redirect = attempt(
        common::external::FRONTEND_SECRET,
        "http://127.0.0.1:9/other",
    )
    .send()
    .await
    .unwrap();
    assert_problem(other_redirect, &[400], Some("invalid_grant")).await;
}

#[sqlx::test(migrations = false)]
async fn the_frontends_secret_never_buys_a_service_token(pool: PgPool) {
    let app = spawn(pool).await;
    let attempt = |secret: &'static str| {
        app.browser.post(app.url("/v1/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "frontend"),
            ("client_secret", secret),
            ("audience", "accounts"),
        ])
    };

    let with_its_secret = attempt(common::external::FRONTEND_SECRET)
        .send()
        .await
        .unwrap();
    assert_problem(with_its_secret, &[400], Some("unauthorized_client")).await;
    let guessed = attempt("guessed").send().await.unwrap();
    assert_problem(guessed, &[401], Some("invalid_client")).await;
}

#[sqlx::test(migrations = false)]
async fn a_denied_consent_returns_access_denied_and_creates_no_account(pool: PgPool) {
    let app = spawn(pool).await;
    let callback = visit_provider(&app, "frontend-state", "deny").await;
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("access_denied")
    );

    let back = location(&app.get(callback.as_str()).await);

    assert!(back.as_str().starts_with(FRONTEND_CALLBACK));
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some("frontend-state")
    );
    assert_eq!(query_param(&back, "code"), None);
    assert_eq!(app.count("login_account").await, 0);
    assert_eq!(app.count("person").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_redirect_uri_not_registered_is_refused_without_a_redirect(pool: PgPool) {
    let app = spawn(pool).await;

    let response = app
        .start("oneid", "https://attacker.example/auth/callback", "state")
        .await;

    assert!(response.headers().get(reqwest::header::LOCATION).is_none());
    assert_problem(response, &[400], Some("invalid_redirect_uri")).await;
    assert_eq!(app.count("external_login_attempt").await, 0);
}

#[sqlx::test(migrations = false)]
async fn an_unknown_provider_is_not_found(pool: PgPool) {
    let app = spawn(pool).await;

    let response = app.start("facebook", FRONTEND_CALLBACK, "state").await;

    assert_problem(response, &[404], Some("not_found")).await;
}

#[sqlx::test(migrations = false)]
async fn without_the_setting_there_is_no_development_provider(pool: PgPool) {
    let app = BoundOnboarding::bind()
        .await
        .serve(pool, BTreeMap::new(), false)
        .await;

    assert_eq!(app.get(&app.url("/dev-idp/authorize")).await.status(), 404);
    let start = app.start("oneid", FRONTEND_CALLBACK, "state").await;
    assert_problem(start, &[404], Some("not_found")).await;
}

#[sqlx::test(migrations = false)]
async fn a_client_who_registered_with_a_password_is_found_by_pinfl_at_the_first_oneid_login(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let citizen = app.dev_identity_provider.as_ref().unwrap().citizens()[0].clone();
    let registration = serde_json::json!({
        "username": "nodira",
        "password": "nodira-demo-pass",
        "pinfl": citizen.pin,
        "birth_date": citizen.birth_date,
        "latin_name": { "surname": citizen.sur_name, "given_name": citizen.first_name },
        "passport": { "number": citizen.pport_no, "issue_date": "2021-06-01", "expiry_date": "2031-05-31" },
        "phone": citizen.mob_phone_no,
        "address": { "region": "Toshkent", "district": "Yunusobod", "street_line": "Amir Temur 108" }
    });
    let registered = app
        .browser
        .post(app.url("/v1/registrations"))
        .json(&registration)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let registered: serde_json::Value = registered.json().await.unwrap();

    let login = trade(&app, &log_in(&app, "frontend-state").await).await;

    assert_eq!(login["principal"]["id"], registered["account_id"]);
    assert_eq!(login["principal"]["client_id"], registered["client_id"]);
    assert_eq!(app.count("person").await, 1);
    assert_eq!(app.count("external_identity").await, 1);
}
