//! Events through NATS JetStream, each test on a NATS server of its own: relays in two
//! replicas publish, two replicas of a consumer share the work, the broker is killed under load
//! and started again, and an event that keeps failing is parked and replayed.

use std::time::{Duration, Instant};

use imkon_platform::broker::{Consumer, ConsumerSettings, JetStream};
use imkon_platform::events::EventHandler;
use imkon_platform::outbox::{self, EventEnvelope, Relay, RelaySettings};
use imkon_platform::testing::NatsServer;
use imkon_platform::Problem;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const TOPIC: &str = "client.kyc_approved";
const SERVICE: &str = "accounts";

/// Logs every application of an event (no unique key, so applying one twice would show as two
/// rows) and refuses an event marked `poison` until the cure is recorded.
#[derive(Clone)]
struct LogApplications;

impl EventHandler for LogApplications {
    fn topics(&self) -> &'static [&'static str] {
        &[TOPIC]
    }

    async fn apply(
        &self,
        connection: &mut PgConnection,
        event: &EventEnvelope,
    ) -> Result<(), Problem> {
        let poisoned = event.payload["poison"] == true;
        let cured: bool = sqlx::query_scalar("select exists (select from cure)")
            .fetch_one(&mut *connection)
            .await?;
        if poisoned && !cured {
            return Err(Problem::unprocessable(
                "poisoned",
                "this event cannot be applied yet",
            ));
        }
        sqlx::query("insert into applied (event_id) values ($1)")
            .bind(event.id)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }
}

async fn prepare(pool: &PgPool) {
    sqlx::query("create table applied (event_id uuid not null)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("create table cure (cured_at timestamptz not null default now())")
        .execute(pool)
        .await
        .unwrap();
}

fn quick_relay() -> RelaySettings {
    RelaySettings {
        batch_size: 50,
        poll_interval: Duration::from_millis(20),
        first_retry_delay: Duration::from_millis(100),
        max_retry_delay: Duration::from_millis(500),
    }
}

fn quick_consumer(max_attempts: i64) -> ConsumerSettings {
    ConsumerSettings {
        max_attempts,
        first_retry_delay: Duration::from_millis(50),
        max_retry_delay: Duration::from_millis(200),
        batch_size: 20,
        ack_wait: Duration::from_secs(5),
    }
}

/// Starts a relay and a consumer as one replica of a service would.
async fn replica(
    pool: &PgPool,
    nats: &NatsServer,
    consumer: ConsumerSettings,
    shutdown: &CancellationToken,
) -> JetStream {
    let jetstream = JetStream::connect(&nats.url(), "test-replica", 1)
        .await
        .unwrap();
    tokio::spawn(Relay::new(pool.clone(), jetstream.clone(), quick_relay()).run(shutdown.clone()));
    tokio::spawn(
        Consumer::new(
            jetstream.clone(),
            pool.clone(),
            SERVICE,
            LogApplications,
            consumer,
        )
        .run(shutdown.clone()),
    );
    jetstream
}

async fn enqueue(pool: &PgPool, payload: serde_json::Value) -> Uuid {
    let mut transaction = pool.begin().await.unwrap();
    let id = outbox::enqueue(&mut transaction, TOPIC, &payload)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    id
}

async fn applications(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as("select count(*), count(distinct event_id) from applied")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn applied(pool: &PgPool, id: Uuid) -> bool {
    sqlx::query_scalar("select exists (select from applied where event_id = $1)")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn undelivered(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from outbox_event where delivered_at is null")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Polls `check` until it holds, for at most `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn events_written_while_the_broker_is_killed_arrive_once_each_after_it_restarts(
    pool: PgPool,
) {
    prepare(&pool).await;
    let mut nats = NatsServer::start().await;
    let shutdown = CancellationToken::new();
    for _ in 0..2 {
        replica(&pool, &nats, quick_consumer(5), &shutdown).await;
    }

    const EVENTS: usize = 300;
    let mut waiting_at_restart = 0;
    for number in 0..EVENTS {
        if number == 100 {
            nats.kill();
        }
        if number == 200 {
            waiting_at_restart = undelivered(&pool).await;
            nats.start_again().await;
        }
        enqueue(&pool, serde_json::json!({ "number": number })).await;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }

    eventually(
        Duration::from_secs(60),
        "every event is applied",
        || async { applications(&pool).await.1 == EVENTS as i64 },
    )
    .await;
    // A late duplicate would come from a redelivery after the acknowledgement timeout; give one
    // the time to show.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rows, distinct) = applications(&pool).await;
    assert_eq!(
        (rows, distinct),
        (EVENTS as i64, EVENTS as i64),
        "each event applied exactly once"
    );
    assert_eq!(undelivered(&pool).await, 0, "the outbox is empty");
    assert!(
        waiting_at_restart >= 90,
        "the events written while the broker was down waited in the outbox ({waiting_at_restart})"
    );
    let inbox: i64 = sqlx::query_scalar("select count(*) from inbox_event")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(inbox, EVENTS as i64);
    shutdown.cancel();
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn an_event_that_keeps_failing_is_parked_without_holding_back_the_others_and_replayed_once(
    pool: PgPool,
) {
    prepare(&pool).await;
    let nats = NatsServer::start().await;
    let shutdown = CancellationToken::new();
    let jetstream = replica(&pool, &nats, quick_consumer(3), &shutdown).await;

    let before = enqueue(&pool, serde_json::json!({ "number": 1 })).await;
    let poison = enqueue(&pool, serde_json::json!({ "poison": true })).await;
    let after = enqueue(&pool, serde_json::json!({ "number": 2 })).await;

    eventually(
        Duration::from_secs(20),
        "the poison event is parked",
        || async {
            jetstream
                .dead_letters(Some(SERVICE), 10)
                .await
                .unwrap()
                .len()
                == 1
        },
    )
    .await;
    assert!(applied(&pool, before).await && applied(&pool, after).await);
    assert!(!applied(&pool, poison).await);
    let parked = jetstream.dead_letters(None, 10).await.unwrap();
    let letter = &parked[0];
    assert_eq!(letter.service, SERVICE);
    assert_eq!(letter.topic, TOPIC);
    assert_eq!(letter.event_id, Some(poison));
    assert_eq!(letter.attempts, 3);
    assert!(letter.error.contains("poisoned"), "{}", letter.error);
    let scrape = imkon_platform::metrics::Metrics::new(SERVICE).render();
    assert!(
        scrape.contains("event_consumer_parked_events{service=\"accounts\"}"),
        "{scrape}"
    );
    assert!(
        scrape.contains("event_consumer_pending_events{service=\"accounts\"}"),
        "{scrape}"
    );
    assert!(jetstream
        .dead_letters(Some("applications"), 10)
        .await
        .unwrap()
        .is_empty());

    // The cause is fixed; staff replay the letter, once.
    sqlx::query("insert into cure default values")
        .execute(&pool)
        .await
        .unwrap();
    let replayed = jetstream.replay(letter.sequence).await.unwrap();
    assert_eq!(replayed.event_id, Some(poison));
    eventually(
        Duration::from_secs(20),
        "the replayed event is applied",
        || applied(&pool, poison),
    )
    .await;
    assert!(jetstream.dead_letters(None, 10).await.unwrap().is_empty());
    let again = jetstream.replay(letter.sequence).await.unwrap_err();
    assert!(again.to_string().contains("no dead letter"), "{again}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(applications(&pool).await, (3, 3), "each applied once");
    shutdown.cancel();
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn a_message_that_is_no_event_of_its_subject_is_parked_at_once_and_never_applied(
    pool: PgPool,
) {
    prepare(&pool).await;
    let nats = NatsServer::start().await;
    let shutdown = CancellationToken::new();
    let jetstream = replica(&pool, &nats, quick_consumer(5), &shutdown).await;
    jetstream.ensure_streams().await.unwrap();

    let client = async_nats::connect(nats.url()).await.unwrap();
    let raw = async_nats::jetstream::new(client);
    let subject = format!("imkon.events.{TOPIC}");
    raw.publish(subject.clone(), "not json".into())
        .await
        .unwrap()
        .await
        .unwrap();
    // Garbage on a topic this service does not apply is not this service's to park.
    raw.publish("imkon.events.loan.overdue", "not json either".into())
        .await
        .unwrap()
        .await
        .unwrap();
    // A publisher allowed one subject puts another topic inside it.
    let smuggled = EventEnvelope {
        id: imkon_platform::id::new_id(),
        topic: "loan.disbursed".to_owned(),
        occurred_at: chrono::Utc::now(),
        payload: serde_json::json!({}),
    };
    raw.publish(subject, serde_json::to_vec(&smuggled).unwrap().into())
        .await
        .unwrap()
        .await
        .unwrap();

    eventually(Duration::from_secs(20), "both are parked", || async {
        jetstream.dead_letters(None, 10).await.unwrap().len() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let parked = jetstream.dead_letters(None, 10).await.unwrap();
    assert_eq!(parked.len(), 2, "{parked:?}");
    assert!(parked[0].error.contains("not an event envelope"));
    assert_eq!(parked[0].attempts, 1, "a malformed message is not retried");
    assert!(parked[1].error.contains("is not its subject's"));
    assert_eq!(parked[1].event_id, Some(smuggled.id));
    assert_eq!(applications(&pool).await, (0, 0));
    shutdown.cancel();
}

/// The `authorization` block the Kubernetes manifests give the NATS servers.
fn deployed_authorization() -> String {
    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/kubernetes/base/nats.yaml"
    ))
    .unwrap();
    let (_, block) = manifest
        .split_once("  auth.conf: |\n")
        .expect("the NATS ConfigMap holds auth.conf");
    block
        .lines()
        .take_while(|line| line.starts_with("    ") || line.is_empty())
        .map(|line| format!("{}\n", line.strip_prefix("    ").unwrap_or(line)))
        .collect()
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn the_deployed_broker_users_may_each_do_their_part_and_no_more(pool: PgPool) {
    prepare(&pool).await;
    let users = [
        "onboarding",
        "applications",
        "disbursement",
        "accounts",
        "operator",
    ];
    let passwords: Vec<(String, String)> = users
        .iter()
        .map(|user| {
            (
                format!("NATS_{}_PASSWORD", user.to_uppercase()),
                format!("password-of-{user}"),
            )
        })
        .collect();
    let environment: Vec<(&str, &str)> = passwords
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let nats = NatsServer::start_configured(Some(&deployed_authorization()), &environment).await;
    let port = nats.port;
    let signed_in = |user: &'static str, password: &'static str| async move {
        let url = format!("nats://{user}:{password}@127.0.0.1:{port}");
        JetStream::connect(&url, user, 1).await.unwrap()
    };
    let onboarding = signed_in("onboarding", "password-of-onboarding").await;
    let accounts = signed_in("accounts", "password-of-accounts").await;
    let operator = signed_in("operator", "password-of-operator").await;
    let shutdown = CancellationToken::new();
    tokio::spawn(Relay::new(pool.clone(), onboarding, quick_relay()).run(shutdown.clone()));
    tokio::spawn(
        Consumer::new(
            accounts.clone(),
            pool.clone(),
            SERVICE,
            LogApplications,
            quick_consumer(2),
        )
        .run(shutdown.clone()),
    );

    // Onboarding publishes its topic; accounts consumes it and parks what it cannot apply.
    let good = enqueue(&pool, serde_json::json!({ "number": 1 })).await;
    let poison = enqueue(&pool, serde_json::json!({ "poison": true })).await;
    eventually(
        Duration::from_secs(20),
        "accounts applies the event",
        || applied(&pool, good),
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "the operator sees the parked event",
        || async {
            operator
                .dead_letters(Some(SERVICE), 10)
                .await
                .unwrap()
                .len()
                == 1
        },
    )
    .await;
    // The operator replays it once the cause is fixed.
    sqlx::query("insert into cure default values")
        .execute(&pool)
        .await
        .unwrap();
    let letter = &operator.dead_letters(None, 10).await.unwrap()[0];
    operator.replay(letter.sequence).await.unwrap();
    eventually(Duration::from_secs(20), "the replay is applied", || {
        applied(&pool, poison)
    })
    .await;

    // Accounts may not publish onboarding's topic, nor read the dead letters.
    let forged = EventEnvelope {
        id: imkon_platform::id::new_id(),
        topic: TOPIC.to_owned(),
        occurred_at: chrono::Utc::now(),
        payload: serde_json::json!({ "number": 2 }),
    };
    use imkon_platform::outbox::Publisher;
    assert!(accounts.publish(&forged).await.is_err());
    assert!(accounts.dead_letters(None, 10).await.is_err());
    // Nor may anyone without the password.
    let stranger = signed_in("onboarding", "guessed").await;
    assert!(stranger.publish(&forged).await.is_err());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!applied(&pool, forged.id).await);
    assert_eq!(applications(&pool).await, (2, 2));
    shutdown.cancel();
}
