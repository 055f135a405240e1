//! Rotating the token signing key with nothing restarted: onboarding serves its JWKS on a
//! loopback port, and a small service verifies tokens with the shared verifier configured by
//! `token_jwks_url`, exactly as every Imkon service reads it.

use std::time::Duration;

use axum::routing::get;
use axum::Router;
use imkon_auth::extract::AuthenticatedUser;
use imkon_auth::{Audience, KeyId, Principal, Role, SigningKey, TokenIssuer, TokenVerifier};
use imkon_onboarding::{app, migrator, token_keys, AppState};
use imkon_platform::auth_settings::{self, DEFAULT_TOKEN_ISSUER};
use imkon_platform::config::{HttpLimits, Settings};
use imkon_platform::testing::{test_tokens, TestServer};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const TEN_MINUTES: Duration = Duration::from_secs(600);

struct Onboarding {
    server: TestServer,
    state: AppState,
    _shutdown: tokio_util::sync::DropGuard,
}

/// Onboarding as `run_on` starts it: its configured key stored and its keys kept fresh.
async fn start_onboarding(pool: PgPool) -> Onboarding {
    migrator().run(&pool).await.expect("migrations apply");
    let (issuer, verifier) = test_tokens(Audience::Onboarding);
    let state = AppState::new(pool, HttpLimits::default(), issuer, verifier);
    let shutdown = CancellationToken::new();
    token_keys::start(&state, shutdown.clone())
        .await
        .expect("the keys start");
    Onboarding {
        server: TestServer::start(app(state.clone())).await,
        state,
        _shutdown: shutdown.drop_guard(),
    }
}

/// A service named `service` whose verifier is configured by settings alone.
fn verifier_from_settings(service: &str, jwks_url: &str) -> TokenVerifier {
    let prefix = format!("IMKON_{}_", service.to_ascii_uppercase());
    let settings = Settings::from_sources(
        service,
        None,
        &[
            (format!("{prefix}TOKEN_JWKS_URL"), jwks_url.to_owned()),
            (
                format!("{prefix}TOKEN_JWKS_UNKNOWN_KID_REFETCH_SECONDS"),
                "1".to_owned(),
            ),
        ],
    );
    auth_settings::token_verifier(&settings, Audience::Accounts).expect("a valid verifier")
}

async fn whoami(user: AuthenticatedUser) -> String {
    user.subject().to_string()
}

fn founder() -> Principal {
    Principal::user(Uuid::now_v7(), [Role::Client], Some(Uuid::now_v7()), None)
        .expect("a valid founder")
}

fn token(issuer: &TokenIssuer, principal: &Principal, audience: Audience) -> String {
    issuer
        .issue(principal, audience, TEN_MINUTES)
        .expect("ten minutes is allowed")
        .into_string()
}

fn issuer_with(key: &SigningKey) -> TokenIssuer {
    TokenIssuer::new(key.clone(), DEFAULT_TOKEN_ISSUER).expect("a valid issuer")
}

async fn status_with(server: &TestServer, path: &str, token: &str) -> u16 {
    server
        .client
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("the service answers")
        .status()
        .as_u16()
}

async fn admin_post(onboarding: &Onboarding, path: &str, token: &str, body: Value) -> (u16, Value) {
    let response = onboarding
        .server
        .client
        .post(onboarding.server.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("onboarding answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn wait_until_loaded(verifier: &TokenVerifier) {
    for _ in 0..100 {
        if verifier.trusted_keys().is_loaded() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the key set was never loaded");
}

#[sqlx::test(migrations = false)]
async fn a_key_is_rotated_and_the_old_one_retired_with_no_process_restarted(pool: PgPool) {
    let onboarding = start_onboarding(pool).await;
    let verifier =
        verifier_from_settings("accounts", &onboarding.server.url("/.well-known/jwks.json"));
    let service = TestServer::start(
        Router::new()
            .route("/whoami", get(whoami))
            .with_state(verifier.clone()),
    )
    .await;
    wait_until_loaded(&verifier).await;
    let issuer = onboarding.state.issuer.clone();
    let key_a = issuer.signing_key();
    let admin = Principal::user(
        Uuid::now_v7(),
        [Role::Admin],
        None,
        Some("Admin".to_owned()),
    )
    .expect("a valid admin");
    let admin_token = token(&issuer, &admin, Audience::Onboarding);

    // Key A signs, and the service accepts its token.
    let by_a = token(&issuer, &founder(), Audience::Accounts);
    assert_eq!(status_with(&service, "/whoami", &by_a).await, 200);

    // Key B is published and made the signer.
    let (status, keys) = admin_post(
        &onboarding,
        "/v1/token-signing-keys",
        &admin_token,
        json!({"kid": "key-b"}),
    )
    .await;
    assert_eq!(status, 201, "{keys}");
    assert_eq!(keys[1]["kid"], "key-b");
    assert_eq!(keys[1]["state"], "published");
    let (status, keys) = admin_post(
        &onboarding,
        "/v1/token-signing-keys/key-b/activate",
        &admin_token,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{keys}");
    assert_eq!(keys[0]["state"], "published");
    assert_eq!(keys[1]["state"], "signing");
    assert_eq!(issuer.signing_key().kid().as_str(), "key-b");

    // Tokens by A and by B are both accepted; B's kid was unknown to the service, which
    // fetched the set once on its first token.
    let by_b = token(&issuer, &founder(), Audience::Accounts);
    assert_eq!(status_with(&service, "/whoami", &by_b).await, 200);
    assert_eq!(status_with(&service, "/whoami", &by_a).await, 200);
    let by_a_again = token(&issuer_with(&key_a), &founder(), Audience::Accounts);
    assert_eq!(status_with(&service, "/whoami", &by_a_again).await, 200);

    // The signer cannot be retired; A can.
    let (status, refusal) = admin_post(
        &onboarding,
        "/v1/token-signing-keys/key-b/retire",
        &admin_token,
        json!({}),
    )
    .await;
    assert_eq!(
        (status, refusal["code"].clone()),
        (409, json!("key_signing"))
    );
    let admin_token = token(&issuer, &admin, Audience::Onboarding);
    let (status, keys) = admin_post(
        &onboarding,
        &format!("/v1/token-signing-keys/{}/retire", key_a.kid()),
        &admin_token,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{keys}");
    assert_eq!(keys[0]["state"], "retired");
    let jwks: Value = onboarding
        .server
        .client
        .get(onboarding.server.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("onboarding answers")
        .json()
        .await
        .expect("a JWKS");
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(jwks["keys"][0]["kid"], "key-b");

    // The service refreshes by the unknown-kid path once the refetch interval has passed: a
    // token naming a key nobody published makes it fetch the set without A.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let stranger = SigningKey::generate(KeyId::parse("nobody").expect("a valid kid"));
    let by_stranger = token(&issuer_with(&stranger), &founder(), Audience::Accounts);
    assert_eq!(status_with(&service, "/whoami", &by_stranger).await, 401);
    assert_eq!(
        status_with(&service, "/whoami", &by_a).await,
        401,
        "A's token, seen before"
    );
    assert_eq!(status_with(&service, "/whoami", &by_a_again).await, 401);
    assert_eq!(status_with(&service, "/whoami", &by_b).await, 200);
    let by_b_again = token(&issuer, &founder(), Audience::Accounts);
    assert_eq!(status_with(&service, "/whoami", &by_b_again).await, 200);
}

#[sqlx::test(migrations = false)]
async fn only_an_admin_manages_the_signing_keys_and_a_bad_kid_is_named(pool: PgPool) {
    let onboarding = start_onboarding(pool).await;
    let issuer = onboarding.state.issuer.clone();
    let founder_token = token(&issuer, &founder(), Audience::Onboarding);
    let (status, _) = admin_post(
        &onboarding,
        "/v1/token-signing-keys",
        &founder_token,
        json!({"kid": "key-b"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = admin_post(
        &onboarding,
        "/v1/token-signing-keys",
        "",
        json!({"kid": "k"}),
    )
    .await;
    assert_eq!(status, 401);
    let admin = Principal::user(
        Uuid::now_v7(),
        [Role::Admin],
        None,
        Some("Admin".to_owned()),
    )
    .expect("a valid admin");
    let admin_token = token(&issuer, &admin, Audience::Onboarding);
    let (status, refusal) = admin_post(
        &onboarding,
        "/v1/token-signing-keys",
        &admin_token,
        json!({"kid": "not/a kid"}),
    )
    .await;
    assert_eq!(status, 422, "{refusal}");
    let taken = issuer.signing_key().kid().to_string();
    let (status, refusal) = admin_post(
        &onboarding,
        "/v1/token-signing-keys",
        &admin_token,
        json!({"kid": taken}),
    )
    .await;
    assert_eq!((status, refusal["code"].clone()), (409, json!("kid_taken")));
    let (status, _) = admin_post(
        &onboarding,
        "/v1/token-signing-keys/missing/activate",
        &admin_token,
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_service_whose_key_set_never_loaded_is_not_ready_and_refuses_tokens() {
    // Nothing listens on port 9 of the loopback (discard); the fetch fails every time.
    let verifier = verifier_from_settings("scoring", "http://127.0.0.1:9/.well-known/jwks.json");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy(&std::env::var("DATABASE_URL").expect("DATABASE_URL is set"))
        .expect("a lazy pool");
    let api = Router::new()
        .route("/whoami", get(whoami))
        .with_state(verifier.clone());
    let service = TestServer::start(imkon_platform::http::service_router(
        "scoring",
        api,
        utoipa::openapi::OpenApi::default(),
        pool,
        &HttpLimits::default(),
    ))
    .await;
    let ready = service
        .client
        .get(service.url("/health/ready"))
        .send()
        .await
        .expect("the service answers");
    assert_eq!(ready.status().as_u16(), 503);
    let (issuer, _) = test_tokens(Audience::Accounts);
    let some_token = token(&issuer, &founder(), Audience::Accounts);
    assert_eq!(status_with(&service, "/whoami", &some_token).await, 401);
    assert!(!verifier.trusted_keys().is_loaded());
}
