//! Events from one service's outbox to another's `POST /v1/events`, over real HTTP with
//! service tokens, applied once however often delivered.

use std::collections::BTreeMap;
use std::time::Duration;

use imkon_auth::{Audience, Principal};
use imkon_platform::client::ServiceClient;
use imkon_platform::events::{self, EventHandler};
use imkon_platform::outbox::{
    self, EventEnvelope, HttpPublisher, Relay, RelaySettings, Subscriber,
};
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::testing::{assert_problem, service_principal, test_tokens, token, TestServer};
use imkon_platform::Problem;
use sqlx::{PgConnection, PgPool};

/// A topic onboarding publishes (see `imkon_auth::policy::TOPIC_PUBLISHERS`), so onboarding's
/// service token may deliver it and no other service's may.
const TOPIC: &str = "client.kyc_approved";

#[derive(Clone)]
struct CountDeposits;

impl EventHandler for CountDeposits {
    fn topics(&self) -> &'static [&'static str] {
        &[TOPIC]
    }

    async fn apply(
        &self,
        connection: &mut PgConnection,
        event: &EventEnvelope,
    ) -> Result<(), Problem> {
        sqlx::query("update deposited_total set total = total + ($1::jsonb ->> 'amount')::int")
            .bind(&event.payload)
            .execute(connection)
            .await?;
        Ok(())
    }
}

async fn total(pool: &PgPool) -> i32 {
    sqlx::query_scalar("select total from deposited_total")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn receiver(pool: &PgPool) -> (TestServer, imkon_auth::TokenIssuer) {
    sqlx::query("create table deposited_total (total int not null)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("insert into deposited_total values (0)")
        .execute(pool)
        .await
        .unwrap();
    let (issuer, verifier) = test_tokens(Audience::Accounts);
    (
        TestServer::start(events::router(pool.clone(), verifier, CountDeposits)).await,
        issuer,
    )
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn the_relay_delivers_over_http_and_a_repeat_is_acknowledged_without_effect(pool: PgPool) {
    let (server, issuer) = receiver(&pool).await;
    let mut transaction = pool.begin().await.unwrap();
    let id = outbox::enqueue(&mut transaction, TOPIC, &serde_json::json!({"amount": 5}))
        .await
        .unwrap();
    transaction.commit().await.unwrap();

    let tokens = ServiceTokens::local(issuer.clone(), service_principal("onboarding"));
    let subscribers = BTreeMap::from([(
        TOPIC.to_owned(),
        vec![Subscriber {
            events_url: server.url("/v1/events"),
            audience: Audience::Accounts,
        }],
    )]);
    let publisher = HttpPublisher::new(
        ServiceClient::new(Duration::from_secs(5)).unwrap(),
        tokens,
        subscribers,
    );
    let relay = Relay::new(pool.clone(), publisher, RelaySettings::default());
    assert_eq!(relay.deliver_due().await.unwrap(), 1);
    assert_eq!(total(&pool).await, 5);

    let envelope: (String, chrono::DateTime<chrono::Utc>, serde_json::Value) =
        sqlx::query_as("select topic, created_at, payload from outbox_event where id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    let repeat = EventEnvelope {
        id,
        topic: envelope.0,
        occurred_at: envelope.1,
        payload: envelope.2,
    };
    let token = token(
        &issuer,
        &service_principal("onboarding"),
        Audience::Accounts,
    );
    let response = server
        .client
        .post(server.url("/v1/events"))
        .bearer_auth(token)
        .json(&repeat)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let receipt: serde_json::Value = response.json().await.unwrap();
    assert_eq!(receipt["outcome"], "duplicate");
    assert_eq!(total(&pool).await, 5, "applied once");
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn only_a_service_token_for_this_service_may_deliver_events(pool: PgPool) {
    let (server, issuer) = receiver(&pool).await;
    let event = EventEnvelope {
        id: imkon_platform::id::new_id(),
        topic: TOPIC.into(),
        occurred_at: chrono::Utc::now(),
        payload: serde_json::json!({"amount": 1}),
    };
    let send = |token: Option<String>| {
        let mut request = server.client.post(server.url("/v1/events")).json(&event);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_problem(send(None).await.unwrap(), &[401], Some("unauthenticated")).await;
    let founder = Principal::user(
        imkon_platform::id::new_id(),
        [imkon_auth::Role::Client],
        None,
        None,
    )
    .unwrap();
    assert_problem(
        send(Some(token(&issuer, &founder, Audience::Accounts)))
            .await
            .unwrap(),
        &[403],
        None,
    )
    .await;
    let other_audience = token(&issuer, &service_principal("onboarding"), Audience::Scoring);
    assert_problem(
        send(Some(other_audience)).await.unwrap(),
        &[401],
        Some("invalid_token"),
    )
    .await;
    assert_eq!(total(&pool).await, 0, "nothing applied");
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn a_service_cannot_deliver_a_topic_it_does_not_publish(pool: PgPool) {
    let (server, issuer) = receiver(&pool).await;
    let send = |service: &str, topic: &str| {
        let event = EventEnvelope {
            id: imkon_platform::id::new_id(),
            topic: topic.into(),
            occurred_at: chrono::Utc::now(),
            payload: serde_json::json!({"amount": 1}),
        };
        server
            .client
            .post(server.url("/v1/events"))
            .bearer_auth(token(
                &issuer,
                &service_principal(service),
                Audience::Accounts,
            ))
            .json(&event)
            .send()
    };
    for service in ["disbursement", "scoring", "applications"] {
        assert_problem(
            send(service, TOPIC).await.unwrap(),
            &[403],
            Some("forbidden"),
        )
        .await;
    }
    assert_problem(
        send("onboarding", "client.deposited").await.unwrap(),
        &[403],
        Some("forbidden"),
    )
    .await;
    assert_eq!(total(&pool).await, 0, "nothing applied");

    let owner = send("onboarding", TOPIC).await.unwrap();
    assert_eq!(owner.status(), 200, "the topic's publisher still delivers");
    assert_eq!(total(&pool).await, 1);
}
