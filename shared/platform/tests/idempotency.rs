//! The idempotency helper over HTTP against a real database: a retried request acts once.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use imkon_platform::idempotency::{self, Claim, IdempotencyKey, SavedResponse};
use imkon_platform::testing::{assert_problem, TestServer};
use imkon_platform::{JsonBody, Problem};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

#[derive(Deserialize, Serialize)]
struct Deposit {
    amount: String,
}

#[derive(Serialize)]
struct DepositMade {
    effect_id: uuid::Uuid,
    amount: String,
}

/// A handler shaped like every money-moving handler: claim, act, save, commit.
async fn deposit(
    State(pool): State<Arc<PgPool>>,
    key: IdempotencyKey,
    JsonBody(request): JsonBody<Deposit>,
) -> Result<Response, Problem> {
    let body = serde_json::to_vec(&request).map_err(|e| Problem::internal_from(&e))?;
    let fingerprint = idempotency::fingerprint("POST", "/deposits", &body);
    let mut transaction = pool.begin().await?;
    if let Claim::Replay(response) =
        idempotency::claim(&mut transaction, "test", &key, &fingerprint).await?
    {
        return Ok(response);
    }
    let effect_id = imkon_platform::id::new_id();
    sqlx::query("insert into test_effect (id, amount) values ($1, $2)")
        .bind(effect_id)
        .bind(&request.amount)
        .execute(&mut *transaction)
        .await?;
    // Widen the window in which a concurrent duplicate can arrive.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let saved = SavedResponse::json(
        StatusCode::CREATED,
        &DepositMade {
            effect_id,
            amount: request.amount,
        },
    )?;
    idempotency::save(&mut transaction, "test", &key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

async fn start(pool: PgPool) -> TestServer {
    sqlx::query("create table test_effect (id uuid primary key, amount text not null)")
        .execute(&pool)
        .await
        .unwrap();
    TestServer::start(
        Router::new()
            .route("/deposits", post(deposit))
            .with_state(Arc::new(pool)),
    )
    .await
}

async fn effects(server: &TestServer, pool: &PgPool) -> i64 {
    let _ = server;
    sqlx::query_scalar("select count(*) from test_effect")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn the_same_key_twice_acts_once_and_replays_the_first_response(pool: PgPool) {
    let server = start(pool.clone()).await;
    let send = || {
        server
            .client
            .post(server.url("/deposits"))
            .header("idempotency-key", "deposit-1")
            .json(&serde_json::json!({"amount": "10.00"}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body: serde_json::Value = first.json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second_body: serde_json::Value = second.json().await.unwrap();
    assert_eq!(first_body, second_body);
    assert_eq!(effects(&server, &pool).await, 1);
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn the_same_key_with_a_different_body_is_refused(pool: PgPool) {
    let server = start(pool.clone()).await;
    let send = |amount: &'static str| {
        server
            .client
            .post(server.url("/deposits"))
            .header("idempotency-key", "deposit-2")
            .json(&serde_json::json!({"amount": amount}))
            .send()
    };
    assert_eq!(send("10.00").await.unwrap().status(), 201);
    assert_problem(
        send("99.00").await.unwrap(),
        &[422],
        Some("idempotency_key_reused"),
    )
    .await;
    assert_eq!(effects(&server, &pool).await, 1);
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn a_missing_key_is_refused_before_anything_happens(pool: PgPool) {
    let server = start(pool.clone()).await;
    let response = server
        .client
        .post(server.url("/deposits"))
        .json(&serde_json::json!({"amount": "10.00"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, &[400], Some("idempotency_key_required")).await;
    assert_eq!(effects(&server, &pool).await, 0);
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn fifty_concurrent_requests_with_one_key_act_once(pool: PgPool) {
    let server = Arc::new(start(pool.clone()).await);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let response = server
                .client
                .post(server.url("/deposits"))
                .header("idempotency-key", "deposit-concurrent")
                .json(&serde_json::json!({"amount": "5.00"}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, body)
        }));
    }
    let mut bodies = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 201, "{body}");
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "every caller sees the one effect"
    );
    assert_eq!(effects(&server, &pool).await, 1);
}
