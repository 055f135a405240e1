//! Hostile id_tokens: a stand-in OpenID Connect provider that answers the code exchange with
//! an id_token of the test's making, signed by a test key whose public half it publishes at
//! its JWKS. Onboarding must believe only a token signed by a published key, from the
//! configured issuer, for its client, unexpired, recently issued, with this login's nonce.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use common::external::{
    location, query_param, BoundOnboarding, ExternalLoginApp, FRONTEND_CALLBACK,
};
use imkon_onboarding::config::{ProviderKind, ProviderSettings};
use imkon_platform::testing::assert_problem;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, EmptyAdditionalClaims, IssuerUrl, JsonWebKeyId, Nonce, PrivateSigningKey,
    StandardClaims, SubjectIdentifier,
};
use sqlx::PgPool;
use tokio::net::TcpListener;

const CLIENT_ID: &str = "imkon-onboarding";
const SIGNING_KEY: &str = include_str!("fixtures/oidc-test-signing-key.pem");
const OTHER_KEY: &str = include_str!("fixtures/oidc-test-other-key.pem");

fn key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("test-key".to_owned())))
        .expect("a test RSA key")
}

/// What the stand-in answers at its token endpoint: the id_token the test made.
type NextIdToken = Arc<Mutex<String>>;

/// The stand-in provider, listening; returns its issuer URL.
async fn start_provider(next_id_token: NextIdToken) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let published = CoreJsonWebKeySet::new(vec![key(SIGNING_KEY).as_verification_key()]);
    let router = Router::new()
        .route(
            "/jwks",
            get(move || async move { Json(serde_json::to_value(&published).unwrap()) }),
        )
        .route(
            "/token",
            post(|State(next): State<NextIdToken>| async move {
                let id_token = next.lock().unwrap().clone();
                Json(serde_json::json!({
                    "access_token": "access-token",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": id_token,
                }))
            }),
        )
        .route(
            "/me",
            get(|| async { Json(serde_json::json!({ "sub": "staff-alice", "name": "Alice" })) }),
        )
        .with_state(next_id_token);
    tokio::spawn(async move { axum::serve(listener, router).await });
    issuer
}

struct Login {
    app: ExternalLoginApp,
    issuer: String,
    next_id_token: NextIdToken,
    nonce: String,
    state: String,
}

/// Onboarding with the stand-in as `staff`, and a login started: its nonce and state.
async fn start_login(pool: PgPool) -> Login {
    let next_id_token = NextIdToken::default();
    let issuer = start_provider(next_id_token.clone()).await;
    let endpoint = |path: &str| url::Url::parse(&format!("{issuer}{path}")).unwrap();
    let provider = ProviderSettings {
        kind: ProviderKind::Oidc,
        authorization_url: endpoint("/auth"),
        token_url: endpoint("/token"),
        userinfo_url: Some(endpoint("/me")),
        issuer: Some(url::Url::parse(&issuer).unwrap()),
        jwks_url: Some(endpoint("/jwks")),
        client_id: CLIENT_ID.to_owned(),
        client_secret: "stand-in-secret".to_owned(),
        scopes: vec!["openid".to_owned()],
    };
    let app = BoundOnboarding::bind()
        .await
        .serve(
            pool,
            BTreeMap::from([("staff".to_owned(), provider)]),
            false,
        )
        .await;
    let authorize_url = location(
        &app.start("staff", FRONTEND_CALLBACK, "frontend-state")
            .await,
    );
    Login {
        nonce: query_param(&authorize_url, "nonce").expect("a nonce"),
        state: query_param(&authorize_url, "state").expect("a state"),
        app,
        issuer,
        next_id_token,
    }
}

/// The claims of a good id_token for this login; each test spoils one.
fn good_claims(login: &Login) -> CoreIdTokenClaims {
    let now = Utc::now();
    CoreIdTokenClaims::new(
        IssuerUrl::new(login.issuer.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.to_owned())],
        now + Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new("staff-alice".to_owned())),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(login.nonce.clone())))
}

/// The provider answers with `claims` signed by `pem`; returns onboarding's callback answer.
async fn finish_with(login: &Login, claims: CoreIdTokenClaims, pem: &str) -> reqwest::Response {
    let id_token = CoreIdToken::new(
        claims,
        &key(pem),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap();
    *login.next_id_token.lock().unwrap() = id_token.to_string();
    let mut callback = url::Url::parse(&login.app.url("/v1/auth/external/staff/callback")).unwrap();
    callback
        .query_pairs_mut()
        .append_pair("code", "a-code")
        .append_pair("state", &login.state);
    login.app.get(callback.as_str()).await
}

async fn assert_refused(response: reqwest::Response) {
    assert_problem(response, &[502], Some("identity_provider_failed")).await;
}

#[sqlx::test(migrations = false)]
async fn a_well_signed_id_token_for_this_login_is_believed(pool: PgPool) {
    let login = start_login(pool).await;
    let claims = good_claims(&login);

    let response = finish_with(&login, claims, SIGNING_KEY).await;

    // Verified, so the subject is looked up: no admin linked it to a staff account.
    assert_problem(response, &[403], Some("not_provisioned")).await;
}

#[sqlx::test(migrations = false)]
async fn an_id_token_signed_by_a_key_the_provider_does_not_publish_is_refused(pool: PgPool) {
    let login = start_login(pool).await;
    let claims = good_claims(&login);

    assert_refused(finish_with(&login, claims, OTHER_KEY).await).await;
}

#[sqlx::test(migrations = false)]
async fn an_id_token_for_another_audience_is_refused(pool: PgPool) {
    let login = start_login(pool).await;
    let claims = good_claims(&login).set_audiences(vec![Audience::new("someone-else".to_owned())]);

    assert_refused(finish_with(&login, claims, SIGNING_KEY).await).await;
}

#[sqlx::test(migrations = false)]
async fn an_id_token_for_several_audiences_without_our_authorized_party_is_refused(pool: PgPool) {
    let login = start_login(pool).await;
    let claims = good_claims(&login).set_audiences(vec![
        Audience::new(CLIENT_ID.to_owned()),
        Audience::new("someone-else".to_owned()),
    ]);

    assert_refused(finish_with(&login, claims, SIGNING_KEY).await).await;
}

#[sqlx::test(migrations = false)]
async fn an_id_token_with_another_logins_nonce_is_refused(pool: PgPool) {
    let login = start_login(pool).await;
    let claims = good_claims(&login).set_nonce(Some(Nonce::new("another-login".to_owned())));

    assert_refused(finish_with(&login, claims, SIGNING_KEY).await).await;
}

#[sqlx::test(migrations = false)]
async fn an_expired_id_token_is_refused(pool: PgPool) {
    let login = start_login(pool).await;
    let claims = good_claims(&login).set_expiration(Utc::now() - Duration::seconds(5));

    assert_refused(finish_with(&login, claims, SIGNING_KEY).await).await;
}

#[sqlx::test(migrations = false)]
async fn an_id_token_issued_long_ago_is_refused(pool: PgPool) {
    let login = start_login(pool).await;
    let claims = good_claims(&login).set_issue_time(Utc::now() - Duration::hours(2));

    assert_refused(finish_with(&login, claims, SIGNING_KEY).await).await;
}

#[sqlx::test(migrations = false)]
async fn an_id_token_from_another_issuer_is_refused(pool: PgPool) {
    let login = start_login(pool).await;
    let claims = good_claims(&login)
        .set_issuer(IssuerUrl::new("https://idp.attacker.example".to_owned()).unwrap());

    assert_refused(finish_with(&login, claims, SIGNING_KEY).await).await;
}
