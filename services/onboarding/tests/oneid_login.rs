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

    assert_eq!(login["principal"]["roles"], serde_json::json!(["client"]));
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

/// A password registration stating the first demo citizen's PINFL and birth date, under
/// whatever name and passport the registrant types.
fn registration_with_pinfl_of(
    citizen: &imkon_onboarding::identity_providers::OneIdPerson,
    username: &str,
    (surname, given_name): (&str, &str),
    passport_number: &str,
) -> serde_json::Value {
    serde_json::json!({
        "username": username,
        "password": format!("{username}-demo-pass"),
        "pinfl": citizen.pin,
        "birth_date": citizen.birth_date,
        "latin_name": { "surname": surname, "given_name": given_name },
        "passport": { "number": passport_number, "issue_date": imkon_platform::testing::years_from_today(-5), "expiry_date": imkon_platform::testing::years_from_today(5) },
        "phone": "998935550000",
        "address": { "region": "Toshkent", "district": "Chilonzor", "street_line": "Bunyodkor 9" }
    })
}

async fn register(app: &ExternalLoginApp, body: &serde_json::Value) -> serde_json::Value {
    let registered = app
        .browser
        .post(app.url("/v1/registrations"))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    registered.json().await.unwrap()
}

async fn password_access_token(app: &ExternalLoginApp, username: &str) -> String {
    let login: serde_json::Value = app
        .browser
        .post(app.url("/v1/auth/password"))
        .json(&serde_json::json!({ "username": username, "password": format!("{username}-demo-pass") }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    app.access_token(login["refresh_token"].as_str().expect("a refresh token"))
        .await
}

/// A signed-in founder links OneID: the provider's page, the first citizen allowed, and
/// onboarding's callback. Returns onboarding's answer to the callback.
async fn link_oneid(app: &ExternalLoginApp, access_token: &str) -> reqwest::Response {
    let started = app
        .browser
        .post(app.url("/v1/auth/external/oneid/link"))
        .bearer_auth(access_token)
        .json(&serde_json::json!({ "redirect_uri": FRONTEND_CALLBACK, "state": "link-state" }))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    let started: serde_json::Value = started.json().await.unwrap();
    let authorize_url = url::Url::parse(started["authorization_url"].as_str().unwrap()).unwrap();
    let provider_state = query_param(&authorize_url, "state").expect("onboarding's state");
    let decided = app
        .browser
        .post(app.url("/dev-idp/authorize"))
        .form(&[
            ("citizen", "0"),
            ("decision", "allow"),
            ("state", provider_state.as_str()),
        ])
        .send()
        .await
        .unwrap();
    app.get(location(&decided).as_str()).await
}

async fn profile_of(app: &ExternalLoginApp, login: &serde_json::Value) -> serde_json::Value {
    let token = app
        .access_token(login["refresh_token"].as_str().unwrap())
        .await;
    app.browser
        .get(app.url("/v1/me/profile"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_first_oneid_login_never_lands_in_an_account_someone_registered_with_the_citizens_pinfl(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let citizen = app.dev_identity_provider.as_ref().unwrap().citizens()[0].clone();
    let attacker = register(
        &app,
        &registration_with_pinfl_of(&citizen, "mallory", ("Hacker", "Mallory"), "AC1111111"),
    )
    .await;

    let login = trade(&app, &log_in(&app, "frontend-state").await).await;

    assert_ne!(login["principal"]["id"], attacker["account_id"]);
    assert_ne!(login["principal"]["client_id"], attacker["client_id"]);
    let profile = profile_of(&app, &login).await;
    assert_eq!(profile["latin_name"]["surname"], citizen.sur_name.as_str());
    assert_eq!(profile["passport"]["number"], citizen.pport_no.as_str());
    assert_eq!(app.count("person").await, 2);
    let outcome: String = sqlx::query_scalar(
        "select after->>'outcome' from audit_record where action = 'login.external'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(outcome, "client_created_duplicate_identity");
}

#[sqlx::test(migrations = false)]
async fn a_registration_with_the_citizens_passport_does_not_stop_their_oneid_login(pool: PgPool) {
    let app = spawn(pool).await;
    let citizen = app.dev_identity_provider.as_ref().unwrap().citizens()[0].clone();
    let squatter = register(
        &app,
        &registration_with_pinfl_of(
            &citizen,
            "mallory",
            ("Hacker", "Mallory"),
            &citizen.pport_no,
        ),
    )
    .await;

    let login = trade(&app, &log_in(&app, "frontend-state").await).await;

    assert_ne!(login["principal"]["id"], squatter["account_id"]);
}

#[sqlx::test(migrations = false)]
async fn a_founder_signed_in_with_their_password_links_oneid_and_later_oneid_logins_land_in_their_account(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let citizen = app.dev_identity_provider.as_ref().unwrap().citizens()[0].clone();
    let registered = register(
        &app,
        &registration_with_pinfl_of(
            &citizen,
            "nodira",
            (&citizen.sur_name, &citizen.first_name),
            &citizen.pport_no,
        ),
    )
    .await;
    let token = password_access_token(&app, "nodira").await;

    let linked = link_oneid(&app, &token).await;
    let frontend_return = location(&linked);
    assert_eq!(
        query_param(&frontend_return, "state").as_deref(),
        Some("link-state")
    );
    let link_login = trade(&app, &frontend_return).await;
    assert_eq!(link_login["principal"]["id"], registered["account_id"]);

    let later = trade(&app, &log_in(&app, "later").await).await;

    assert_eq!(later["principal"]["id"], registered["account_id"]);
    assert_eq!(later["principal"]["client_id"], registered["client_id"]);
    assert_eq!(app.count("person").await, 1);
    assert_eq!(app.count("external_identity").await, 1);
}

#[sqlx::test(migrations = false)]
async fn linking_oneid_to_an_account_whose_profile_states_another_pinfl_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let citizen = app.dev_identity_provider.as_ref().unwrap().citizens()[1].clone();
    register(
        &app,
        &registration_with_pinfl_of(&citizen, "timur", ("Abdullayev", "Timur"), "AC2222222"),
    )
    .await;
    let token = password_access_token(&app, "timur").await;

    let linked = link_oneid(&app, &token).await;

    assert_problem(linked, &[403], Some("identity_mismatch")).await;
    assert_eq!(app.count("external_identity").await, 0);
}

#[sqlx::test(migrations = false)]
async fn linking_needs_a_founder_signed_in(pool: PgPool) {
    let app = spawn(pool).await;

    let anonymous = app
        .browser
        .post(app.url("/v1/auth/external/oneid/link"))
        .json(&serde_json::json!({ "redirect_uri": FRONTEND_CALLBACK, "state": "s" }))
        .send()
        .await
        .unwrap();

    assert_problem(anonymous, &[401], None).await;
    assert_eq!(app.count("external_login_attempt").await, 0);
}
