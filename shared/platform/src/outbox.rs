//! The transactional outbox, its relay, and the consumer's inbox.
//!
//! A service announces a change by writing an event into `outbox_event` in the transaction
//! that makes the change, so an event exists if and only if the change committed. The relay
//! takes due events with `FOR UPDATE SKIP LOCKED` (relays in several replicas share the table
//! without handing out the same event twice at once), publishes each, and marks it delivered in
//! the same transaction that locked it. If the relay dies between publishing and that commit,
//! the lock is released with the rolled-back transaction and the event is published again:
//! delivery is at least once. Consumers therefore record every event id they apply in
//! `inbox_event`, in the transaction of the effect, and ignore an id they have seen.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use imkon_auth::Audience;

use crate::broker::{self, JetStream};
use crate::client::ServiceClient;
use crate::config::{ConfigError, Settings};
use crate::events::EventHandler;
use crate::service_tokens::ServiceTokens;

/// An event as it travels between services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub id: Uuid,
    pub topic: String,
    pub occurred_at: DateTime<Utc>,
    pub payload: Value,
}

/// Writes an event in the caller's transaction and returns its id.
pub async fn enqueue(
    connection: &mut PgConnection,
    topic: &str,
    payload: &Value,
) -> Result<Uuid, sqlx::Error> {
    let id = crate::id::new_id();
    sqlx::query!(
        "insert into outbox_event (id, topic, payload) values ($1, $2, $3)",
        id,
        topic,
        payload
    )
    .execute(connection)
    .await?;
    Ok(id)
}

/// Delivers one event somewhere; an error means "try again later".
pub trait Publisher: Send + Sync {
    fn publish(&self, event: &EventEnvelope) -> impl Future<Output = Result<(), String>> + Send;
}

/// One service that receives a topic: its events endpoint and the audience of its tokens.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub events_url: String,
    pub audience: Audience,
}

/// Publishes by POSTing the envelope, with a service token, to every subscriber of its topic.
#[derive(Debug, Clone)]
pub struct HttpPublisher {
    client: ServiceClient,
    tokens: ServiceTokens,
    subscribers: BTreeMap<String, Vec<Subscriber>>,
}

impl HttpPublisher {
    pub fn new(
        client: ServiceClient,
        tokens: ServiceTokens,
        subscribers: BTreeMap<String, Vec<Subscriber>>,
    ) -> HttpPublisher {
        HttpPublisher {
            client,
            tokens,
            subscribers,
        }
    }

    /// Reads `event_subscribers`, a JSON object from topic to the names of the services that
    /// receive it (`{"client.kyc_approved": ["accounts", "applications"]}`), and each such
    /// service's `<name>_url`. No setting means no subscribers.
    pub fn from_settings(
        settings: &Settings,
        client: ServiceClient,
        tokens: ServiceTokens,
    ) -> Result<HttpPublisher, ConfigError> {
        let mut subscribers = BTreeMap::new();
        if let Some(json) = settings.raw("event_subscribers") {
            let by_topic: BTreeMap<String, Vec<String>> = serde_json::from_str(json)
                .map_err(|error| settings.invalid("event_subscribers", error.to_string()))?;
            for (topic, names) in by_topic {
                let mut list = Vec::new();
                for name in names {
                    let audience: Audience = name.parse().map_err(|_| {
                        settings.invalid("event_subscribers", format!("unknown service `{name}`"))
                    })?;
                    let url: String = settings.require(&format!("{name}_url"))?;
                    list.push(Subscriber {
                        events_url: format!("{}/v1/events", url.trim_end_matches('/')),
                        audience,
                    });
                }
                subscribers.insert(topic, list);
            }
        }
        Ok(HttpPublisher::new(client, tokens, subscribers))
    }
}

impl Publisher for HttpPublisher {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), String> {
        let Some(subscribers) = self.subscribers.get(&event.topic) else {
            return Ok(());
        };
        for subscriber in subscribers {
            let url = &subscriber.events_url;
            let token = self
                .tokens
                .token_for(subscriber.audience)
                .await
                .map_err(|error| format!("{url}: {error}"))?;
            let response = self
                .client
                .post(url)
                .bearer_auth(token)
                .json(event)
                .send()
                .await
                .map_err(|error| format!("{url}: {error}"))?;
            if !response.status().is_success() {
                return Err(format!("{url}: answered {}", response.status()));
            }
        }
        Ok(())
    }
}

/// How the relay paces itself.
#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    pub batch_size: i64,
    pub poll_interval: Duration,
    pub first_retry_delay: Duration,
    pub max_retry_delay: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        RelaySettings {
            batch_size: 50,
            poll_interval: Duration::from_millis(200),
            first_retry_delay: Duration::from_millis(500),
            max_retry_delay: Duration::from_secs(300),
        }
    }
}

impl RelaySettings {
    /// Exponential backoff: the first delay doubled per failed attempt, capped.
    pub fn retry_delay(&self, attempts: i32) -> Duration {
        let exponent = attempts.clamp(0, 20) as u32;
        self.first_retry_delay
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_retry_delay)
    }
}

/// Moves events from the outbox to their subscribers.
pub struct Relay<P> {
    pool: PgPool,
    publisher: P,
    settings: RelaySettings,
}

impl<P: Publisher> Relay<P> {
    pub fn new(pool: PgPool, publisher: P, settings: RelaySettings) -> Relay<P> {
        Relay {
            pool,
            publisher,
            settings,
        }
    }

    /// Delivers one batch of due events; returns how many were delivered.
    pub async fn deliver_due(&self) -> Result<usize, sqlx::Error> {
        let mut transaction = self.pool.begin().await?;
        let due: Vec<(Uuid, String, DateTime<Utc>, Value, i32)> = sqlx::query_as(
            "select id, topic, created_at, payload, attempts from outbox_event
             where delivered_at is null and next_attempt_at <= now()
             order by id
             limit $1
             for update skip locked",
        )
        .bind(self.settings.batch_size)
        .fetch_all(&mut *transaction)
        .await?;
        let mut delivered = 0;
        for (id, topic, occurred_at, payload, attempts) in due {
            let event = EventEnvelope {
                id,
                topic,
                occurred_at,
                payload,
            };
            let span = tracing::info_span!("publish_event", event_id = %id, topic = %event.topic);
            let outcome =
                crate::telemetry::with_request_id(id.to_string(), self.publisher.publish(&event))
                    .instrument(span)
                    .await;
            match outcome {
                Ok(()) => {
                    sqlx::query("update outbox_event set delivered_at = now(), attempts = attempts + 1, last_error = null where id = $1")
                        .bind(id)
                        .execute(&mut *transaction)
                        .await?;
                    delivered += 1;
                }
                Err(error) => {
                    let delay = self.settings.retry_delay(attempts);
                    tracing::warn!(event_id = %id, topic = %event.topic, attempts = attempts + 1, %error, "event delivery failed; will retry");
                    sqlx::query(
                        "update outbox_event
                         set attempts = attempts + 1, last_error = $2,
                             next_attempt_at = now() + make_interval(secs => $3)
                         where id = $1",
                    )
                    .bind(id)
                    .bind(error)
                    .bind(delay.as_secs_f64())
                    .execute(&mut *transaction)
                    .await?;
                }
            }
        }
        transaction.commit().await?;
        Ok(delivered)
    }

    /// Runs until cancelled, delivering due events and sleeping when there are none.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let pause = match self.deliver_due().await {
                Ok(delivered) if delivered as i64 >= self.settings.batch_size => Duration::ZERO,
                Ok(_) => self.settings.poll_interval,
                Err(error) => {
                    tracing::warn!(%error, "outbox relay could not read the outbox");
                    self.settings.poll_interval.saturating_mul(5)
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// How a service's events travel: pushed over HTTP by its relay (the default, and what
/// `imkon up` uses), or through NATS JetStream (`event_transport = "nats"`, `nats_url`).
#[derive(Clone)]
pub enum EventTransport {
    Http,
    Nats(Box<JetStream>),
}

/// The NATS server a service connects to when no `nats_url` is given.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

impl EventTransport {
    /// Reads `event_transport` (`http` or `nats`) and, for NATS, `nats_url` and
    /// `nats_stream_replicas`.
    pub async fn from_settings(settings: &Settings) -> Result<EventTransport, ConfigError> {
        let transport: String = settings.get_or("event_transport", "http".to_owned())?;
        match transport.as_str() {
            "http" => Ok(EventTransport::Http),
            "nats" => {
                let name = format!("imkon-{}", settings.service());
                let jetstream = broker_from_settings(settings, &name).await?;
                Ok(EventTransport::Nats(Box::new(jetstream)))
            }
            other => Err(settings.invalid(
                "event_transport",
                format!("expected `http` or `nats`, not `{other}`"),
            )),
        }
    }

    /// Starts `service`'s consumer when events come through the broker; over HTTP they arrive
    /// at `POST /v1/events` instead, and there is nothing to start.
    pub fn spawn_consumer<H: EventHandler>(
        &self,
        pool: PgPool,
        service: &'static str,
        handler: H,
        shutdown: CancellationToken,
    ) {
        if let EventTransport::Nats(jetstream) = self {
            broker::spawn_consumer((**jetstream).clone(), pool, service, handler, shutdown);
        }
    }
}

/// The broker at `nats_url`, creating streams on `nats_stream_replicas` servers (1 to 5; 3 in
/// a production cluster, so that losing one server loses no event).
pub async fn broker_from_settings(
    settings: &Settings,
    client_name: &str,
) -> Result<JetStream, ConfigError> {
    let url: String = settings.get_or("nats_url", DEFAULT_NATS_URL.to_owned())?;
    let replicas: usize = settings.get_or("nats_stream_replicas", 1)?;
    if !(1..=5).contains(&replicas) {
        return Err(settings.invalid("nats_stream_replicas", "expected 1 to 5"));
    }
    JetStream::connect(&url, client_name, replicas)
        .await
        .map_err(|error| settings.invalid("nats_url", error.to_string()))
}

/// The publisher a relay uses, as the transport says.
pub enum EventPublisher {
    Http(HttpPublisher),
    Nats(JetStream),
}

impl Publisher for EventPublisher {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), String> {
        match self {
            EventPublisher::Http(publisher) => publisher.publish(event).await,
            EventPublisher::Nats(publisher) => publisher.publish(event).await,
        }
    }
}

/// Starts the relay of a service in the background until `shutdown` is cancelled: over HTTP to
/// the subscribers named in its settings, or into the broker.
pub fn spawn_relay(
    pool: PgPool,
    settings: &Settings,
    tokens: ServiceTokens,
    transport: &EventTransport,
    shutdown: CancellationToken,
) -> Result<(), ConfigError> {
    let publisher = match transport {
        EventTransport::Http => {
            let client = ServiceClient::new(Duration::from_secs(10))
                .map_err(|error| settings.invalid("event_subscribers", error.to_string()))?;
            EventPublisher::Http(HttpPublisher::from_settings(settings, client, tokens)?)
        }
        EventTransport::Nats(jetstream) => EventPublisher::Nats((**jetstream).clone()),
    };
    tokio::spawn(Relay::new(pool, publisher, RelaySettings::default()).run(shutdown));
    Ok(())
}

/// Records that this service is applying `event`; false means it was applied before and the
/// caller must do nothing. Call it in the transaction of the effect.
pub async fn accept_once(
    connection: &mut PgConnection,
    event: &EventEnvelope,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into inbox_event (event_id, topic) values ($1, $2) on conflict (event_id) do nothing",
    )
    .bind(event.id)
    .bind(&event.topic)
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_and_stop_at_the_cap() {
        let settings = RelaySettings::default();
        assert_eq!(settings.retry_delay(0), Duration::from_millis(500));
        assert_eq!(settings.retry_delay(1), Duration::from_secs(1));
        assert_eq!(settings.retry_delay(3), Duration::from_secs(4));
        assert_eq!(settings.retry_delay(30), Duration::from_secs(300));
    }
}
