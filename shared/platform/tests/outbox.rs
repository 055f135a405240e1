//! The outbox relay and the inbox against a real database, including a relay that dies
//! between publishing an event and recording that it did.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use imkon_platform::outbox::{self, EventEnvelope, Publisher, Relay, RelaySettings};
use sqlx::PgPool;
use tokio::sync::Notify;

/// The consumer side: applies an event once, however often it is delivered.
async fn apply(pool: &PgPool, event: &EventEnvelope) -> Result<(), String> {
    let mut transaction = pool.begin().await.map_err(|e| e.to_string())?;
    if outbox::accept_once(&mut transaction, event)
        .await
        .map_err(|e| e.to_string())?
    {
        sqlx::query("update applied_total set total = total + ($1::jsonb ->> 'amount')::int")
            .bind(&event.payload)
            .execute(&mut *transaction)
            .await
            .map_err(|e| e.to_string())?;
    }
    transaction.commit().await.map_err(|e| e.to_string())
}

/// Delivers to the consumer, counts deliveries, and can be told to hang after delivering,
/// which is how the test freezes a relay between "sent" and "acknowledged".
struct ConsumerPublisher {
    consumer_pool: PgPool,
    deliveries: Arc<AtomicUsize>,
    hang_after_delivery: bool,
    delivered: Arc<Notify>,
}

impl Publisher for ConsumerPublisher {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), String> {
        apply(&self.consumer_pool, event).await?;
        self.deliveries.fetch_add(1, Ordering::SeqCst);
        self.delivered.notify_one();
        if self.hang_after_delivery {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

async fn setup(pool: &PgPool) {
    sqlx::query("create table applied_total (total int not null)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("insert into applied_total values (0)")
        .execute(pool)
        .await
        .unwrap();
}

async fn applied_total(pool: &PgPool) -> i32 {
    sqlx::query_scalar("select total from applied_total")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn an_event_survives_a_relay_killed_before_acknowledging_and_is_applied_once(pool: PgPool) {
    setup(&pool).await;
    let mut transaction = pool.begin().await.unwrap();
    let event_id = outbox::enqueue(
        &mut transaction,
        "test.happened",
        &serde_json::json!({"amount": 7}),
    )
    .await
    .unwrap();
    transaction.commit().await.unwrap();

    let deliveries = Arc::new(AtomicUsize::new(0));
    let delivered = Arc::new(Notify::new());
    let doomed = Relay::new(
        pool.clone(),
        ConsumerPublisher {
            consumer_pool: pool.clone(),
            deliveries: deliveries.clone(),
            hang_after_delivery: true,
            delivered: delivered.clone(),
        },
        RelaySettings::default(),
    );
    let relay_task = tokio::spawn(async move { doomed.deliver_due().await });
    delivered.notified().await;
    // The relay published but has not recorded the delivery: kill it there.
    relay_task.abort();
    assert!(relay_task.await.unwrap_err().is_cancelled());
    assert_eq!(deliveries.load(Ordering::SeqCst), 1);
    let delivered_at: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select delivered_at from outbox_event where id = $1")
            .bind(event_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        delivered_at.is_none(),
        "the killed relay never acknowledged"
    );

    let survivor = Relay::new(
        pool.clone(),
        ConsumerPublisher {
            consumer_pool: pool.clone(),
            deliveries: deliveries.clone(),
            hang_after_delivery: false,
            delivered: Arc::new(Notify::new()),
        },
        RelaySettings::default(),
    );
    // The killed relay's connection may take a moment to be returned and its lock released.
    let mut redelivered = 0;
    for _ in 0..50 {
        redelivered += survivor.deliver_due().await.unwrap();
        if redelivered > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(redelivered, 1, "the event is delivered again");
    assert_eq!(
        deliveries.load(Ordering::SeqCst),
        2,
        "delivered twice in all"
    );
    assert_eq!(applied_total(&pool).await, 7, "but applied once");
    assert_eq!(
        survivor.deliver_due().await.unwrap(),
        0,
        "and then never again"
    );
}

/// Fails a fixed number of times, then succeeds.
struct FlakyPublisher {
    failures_left: AtomicUsize,
    attempts: AtomicUsize,
}

impl Publisher for FlakyPublisher {
    async fn publish(&self, _event: &EventEnvelope) -> Result<(), String> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let left = self.failures_left.load(Ordering::SeqCst);
        if left > 0 {
            self.failures_left.store(left - 1, Ordering::SeqCst);
            return Err("subscriber unavailable".into());
        }
        Ok(())
    }
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn a_failed_delivery_is_retried_after_a_backoff(pool: PgPool) {
    let mut transaction = pool.begin().await.unwrap();
    outbox::enqueue(&mut transaction, "test.happened", &serde_json::json!({}))
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    let settings = RelaySettings {
        first_retry_delay: Duration::from_millis(200),
        ..RelaySettings::default()
    };
    let relay = Relay::new(
        pool.clone(),
        FlakyPublisher {
            failures_left: AtomicUsize::new(1),
            attempts: AtomicUsize::new(0),
        },
        settings,
    );
    let before_first_attempt = Instant::now();
    assert_eq!(relay.deliver_due().await.unwrap(), 0, "first attempt fails");
    assert_eq!(
        relay.deliver_due().await.unwrap(),
        0,
        "not retried before the backoff"
    );
    // Poll until the retry happens (or a generous deadline passes), then check it did not
    // happen before the backoff had elapsed.
    let deadline = before_first_attempt + Duration::from_secs(10);
    let retried = loop {
        let delivered = relay.deliver_due().await.unwrap();
        if delivered > 0 || Instant::now() > deadline {
            break delivered;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(retried, 1, "retried after the backoff");
    assert!(
        before_first_attempt.elapsed() >= Duration::from_millis(200),
        "not before the backoff had elapsed"
    );
    let (attempts, last_error): (i32, Option<String>) =
        sqlx::query_as("select attempts, last_error from outbox_event")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(attempts, 2);
    assert!(last_error.is_none());
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn an_event_rolled_back_with_its_change_is_never_sent(pool: PgPool) {
    let mut transaction = pool.begin().await.unwrap();
    outbox::enqueue(&mut transaction, "test.happened", &serde_json::json!({}))
        .await
        .unwrap();
    transaction.rollback().await.unwrap();
    let relay = Relay::new(
        pool.clone(),
        FlakyPublisher {
            failures_left: AtomicUsize::new(0),
            attempts: AtomicUsize::new(0),
        },
        RelaySettings::default(),
    );
    assert_eq!(relay.deliver_due().await.unwrap(), 0);
}

#[sqlx::test(migrations = "../../migrations/platform")]
async fn the_audit_trail_refuses_updates_and_deletes(pool: PgPool) {
    let mut connection = pool.acquire().await.unwrap();
    imkon_platform::audit::record(
        &mut connection,
        imkon_platform::audit::AuditEntry {
            actor_id: None,
            actor_roles: vec!["admin".into()],
            action: "test.done",
            subject_type: "test",
            subject_id: "1".into(),
            before: None,
            after: Some(serde_json::json!({"x": 1})),
            source_address: Some("127.0.0.1".into()),
        },
    )
    .await
    .unwrap();
    assert!(sqlx::query("update audit_record set action = 'forged'")
        .execute(&pool)
        .await
        .is_err());
    assert!(sqlx::query("delete from audit_record")
        .execute(&pool)
        .await
        .is_err());
    let count: i64 = sqlx::query_scalar("select count(*) from audit_record")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}
