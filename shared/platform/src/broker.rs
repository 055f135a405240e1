//! NATS JetStream as the event transport: the relay publishes into a stream, every consuming
//! service pulls from it through one durable consumer that its replicas share, and an event
//! that keeps failing is parked in a dead-letter stream for staff to replay.
//!
//! # Streams and subjects
//!
//! - `IMKON_EVENTS` holds `imkon.events.<topic>` (what the relays publish) and
//!   `imkon.replay.<service>.<topic>` (a parked event sent back to the one service that failed
//!   it). The relay publishes each event with its id as `Nats-Msg-Id`, so a publish repeated
//!   after a relay crash, within [`DUPLICATE_WINDOW`], is stored once. Events are kept for
//!   [`EVENT_RETENTION`] whether or not every consumer took them, so a service deployed later, or
//!   one that was down for days, still finds them.
//! - `IMKON_DEAD_LETTERS` holds `imkon.dead.<service>.<topic>`: the event as it was delivered,
//!   with headers saying why it was parked and after how many attempts. It keeps its messages
//!   until staff replay them.
//!
//! # Delivery
//!
//! Each consuming service has one durable pull consumer named after it, with explicit
//! acknowledgements. Its replicas pull from the same consumer, so each event goes to one of
//! them at a time. A consumer has no subject filter (NATS 2.9, which Debian ships, allows one
//! filter per consumer, and a service needs its topics and its replays): a service acknowledges
//! the topics it does not apply, as `POST /v1/events` answers `ignored`.
//!
//! The consumer applies an event through [`crate::events::apply_once`] (the inbox makes a
//! redelivery a no-op) and acknowledges it after the commit. An event that fails is
//! negatively acknowledged with a delay that doubles per attempt; after
//! [`ConsumerSettings::max_attempts`] attempts it is published to the dead-letter stream and
//! then terminated in the event stream, so one poison event never holds back the others. If the
//! dead-letter publish fails, the event is not terminated: it comes back and is parked later.
//!
//! # Who may publish what
//!
//! Over HTTP a consumer checks that the caller's service token carries the topic's publish
//! scope. Over NATS the broker's own authorisation does that job: each service's NATS user may
//! publish only `imkon.events.<its topics>` (see `deploy/kubernetes/base/nats.yaml`). The
//! consumer still refuses an envelope whose topic is not its subject's, so a publisher allowed
//! one subject cannot slip another topic inside it.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::header::HeaderMap;
use async_nats::jetstream::consumer::pull;
use async_nats::jetstream::consumer::AckPolicy;

use async_nats::jetstream::message::{AckKind, Message, PublishMessage as Publish, StreamMessage};
use async_nats::jetstream::stream::{self, RawMessageErrorKind};
use async_nats::jetstream::{self, Context};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::events::{apply_once, EventHandler, Outcome};
use crate::metrics;
use crate::outbox::{EventEnvelope, Publisher};

/// The stream every service publishes its events into.
pub const EVENTS_STREAM: &str = "IMKON_EVENTS";

/// The stream where events that kept failing wait for staff.
pub const DEAD_LETTER_STREAM: &str = "IMKON_DEAD_LETTERS";

/// How long the broker remembers a message id to store a repeated publish once. The relay
/// repeats a publish only when it died (or lost its database) between the broker's
/// acknowledgement and its own commit, and then retries within seconds; the inbox catches
/// whatever repeats later than this.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// How long events stay in the event stream.
pub const EVENT_RETENTION: Duration = Duration::from_secs(14 * 24 * 60 * 60);

const EVENT_SUBJECT_PREFIX: &str = "imkon.events.";
const REPLAY_SUBJECT_PREFIX: &str = "imkon.replay.";
const DEAD_LETTER_SUBJECT_PREFIX: &str = "imkon.dead.";

/// Why the event was parked, in the dead letter's headers.
const ERROR_HEADER: &str = "Imkon-Error";
/// How many times the event had been delivered when it was parked.
const ATTEMPTS_HEADER: &str = "Imkon-Attempts";

/// Something the broker did not do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BrokerError(String);

impl BrokerError {
    fn from(context: &str, error: impl std::fmt::Display) -> BrokerError {
        BrokerError(format!("{context}: {error}"))
    }
}

/// A connection to NATS JetStream; cheap to clone, shared by a service's relay and consumer.
#[derive(Clone)]
pub struct JetStream {
    context: Context,
    stream_replicas: usize,
}

impl JetStream {
    /// Connects to the NATS server at `url` (`nats://host:port`, or `nats://user:password@…`
    /// for a broker that asks who connects). The client keeps reconnecting on its own when the
    /// server goes away, and connects later if the server is not up yet, so a service starts,
    /// and keeps its outbox, while the broker is down. Streams it creates are kept on
    /// `stream_replicas` servers of the cluster.
    pub async fn connect(
        url: &str,
        name: &str,
        stream_replicas: usize,
    ) -> Result<JetStream, BrokerError> {
        let mut address = reqwest::Url::parse(url)
            .map_err(|error| BrokerError(format!("`nats_url` is not an address: {error}")))?;
        let mut options = async_nats::ConnectOptions::new()
            .name(name)
            .retry_on_initial_connect();
        // The client takes no credentials from the address itself; they are handed over
        // apart, and kept out of every message that names the address.
        if !address.username().is_empty() {
            options = options.user_and_password(
                address.username().to_owned(),
                address.password().unwrap_or_default().to_owned(),
            );
            let _ = address.set_username("");
            let _ = address.set_password(None);
        }
        let client = options
            .connect(address.as_str())
            .await
            .map_err(|error| BrokerError::from(address.as_str(), error))?;
        Ok(JetStream {
            context: jetstream::new(client),
            stream_replicas,
        })
    }

    /// Creates the event and dead-letter streams if they do not exist yet.
    pub async fn ensure_streams(&self) -> Result<(), BrokerError> {
        self.context
            .get_or_create_stream(stream::Config {
                name: EVENTS_STREAM.to_owned(),
                subjects: vec![
                    format!("{EVENT_SUBJECT_PREFIX}>"),
                    format!("{REPLAY_SUBJECT_PREFIX}>"),
                ],
                max_age: EVENT_RETENTION,
                duplicate_window: DUPLICATE_WINDOW,
                num_replicas: self.stream_replicas,
                ..Default::default()
            })
            .await
            .map_err(|error| BrokerError::from(EVENTS_STREAM, error))?;
        self.context
            .get_or_create_stream(stream::Config {
                name: DEAD_LETTER_STREAM.to_owned(),
                subjects: vec![format!("{DEAD_LETTER_SUBJECT_PREFIX}>")],
                duplicate_window: DUPLICATE_WINDOW,
                num_replicas: self.stream_replicas,
                ..Default::default()
            })
            .await
            .map_err(|error| BrokerError::from(DEAD_LETTER_STREAM, error))?;
        Ok(())
    }

    /// Publishes `payload` and waits until the broker has stored it.
    async fn publish_stored(
        &self,
        subject: String,
        message: Publish,
        payload: Vec<u8>,
    ) -> Result<(), BrokerError> {
        let stored = self
            .context
            .send_publish(subject.clone(), message.payload(payload.into()))
            .await
            .map_err(|error| BrokerError::from(&subject, error))?;
        stored
            .await
            .map_err(|error| BrokerError::from(&subject, error))?;
        Ok(())
    }

    /// The events parked for `service` (every service's when `None`), oldest first, at most
    /// `limit` of them.
    pub async fn dead_letters(
        &self,
        service: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, BrokerError> {
        let stream = self.dead_letter_stream().await?;
        let filter = match service {
            Some(service) => format!("{DEAD_LETTER_SUBJECT_PREFIX}{service}.>"),
            None => format!("{DEAD_LETTER_SUBJECT_PREFIX}>"),
        };
        let mut letters = Vec::new();
        let mut next_sequence = 1;
        while letters.len() < limit {
            let message = stream
                .raw_message_builder()
                .sequence(next_sequence)
                .next_by_subject(filter.clone())
                .send()
                .await;
            match message {
                Ok(message) => {
                    next_sequence = message.sequence + 1;
                    letters.push(DeadLetter::read(&message)?);
                }
                Err(error) if matches!(error.kind(), RawMessageErrorKind::NoMessageFound) => break,
                Err(error) => return Err(BrokerError::from(DEAD_LETTER_STREAM, error)),
            }
        }
        Ok(letters)
    }

    /// Sends the parked event `sequence` back to the service that parked it, and removes it
    /// from the dead-letter stream. The replay goes to that service alone (other subscribers
    /// of the topic applied it already); its inbox applies it at most once, so a replay
    /// repeated after a crash between the two steps does no harm.
    pub async fn replay(&self, sequence: u64) -> Result<DeadLetter, BrokerError> {
        let stream = self.dead_letter_stream().await?;
        let message = match stream.get_raw_message(sequence).await {
            Ok(message) => message,
            Err(error) if matches!(error.kind(), RawMessageErrorKind::NoMessageFound) => {
                return Err(BrokerError(format!(
                    "no dead letter has sequence {sequence}"
                )))
            }
            Err(error) => return Err(BrokerError::from(DEAD_LETTER_STREAM, error)),
        };
        let letter = DeadLetter::read(&message)?;
        self.publish_stored(
            format!("{REPLAY_SUBJECT_PREFIX}{}.{}", letter.service, letter.topic),
            Publish::build().message_id(format!("replay.{sequence}")),
            message.payload.to_vec(),
        )
        .await?;
        stream
            .delete_message(sequence)
            .await
            .map_err(|error| BrokerError::from(DEAD_LETTER_STREAM, error))?;
        Ok(letter)
    }

    async fn dead_letter_stream(&self) -> Result<stream::Stream, BrokerError> {
        self.ensure_streams().await?;
        self.context
            .get_stream(DEAD_LETTER_STREAM)
            .await
            .map_err(|error| BrokerError::from(DEAD_LETTER_STREAM, error))
    }

    /// The durable consumer that `service`'s replicas share.
    async fn consumer(
        &self,
        service: &str,
        ack_wait: Duration,
    ) -> Result<jetstream::consumer::Consumer<pull::Config>, BrokerError> {
        self.ensure_streams().await?;
        let stream = self
            .context
            .get_stream(EVENTS_STREAM)
            .await
            .map_err(|error| BrokerError::from(EVENTS_STREAM, error))?;
        stream
            .get_or_create_consumer(
                service,
                pull::Config {
                    durable_name: Some(service.to_owned()),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait,
                    ..Default::default()
                },
            )
            .await
            .map_err(|error| BrokerError::from(service, error))
    }
}

impl Publisher for JetStream {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), String> {
        let payload = serde_json::to_vec(event).map_err(|error| error.to_string())?;
        let mut message = Publish::build().message_id(event.id.to_string());
        // The consumer continues this trace when traces are exported.
        for (name, value) in crate::telemetry::trace_context_fields() {
            message = message.header(name.as_str(), value.as_str());
        }
        let published = self
            .publish_stored(
                format!("{EVENT_SUBJECT_PREFIX}{}", event.topic),
                message,
                payload,
            )
            .await;
        if published.is_err() {
            // A broker whose storage was wiped answers that no stream listens; create the
            // streams so that the relay's next attempt succeeds.
            if let Err(error) = self.ensure_streams().await {
                tracing::warn!(%error, "could not create the event streams");
            }
        }
        published.map_err(|error| error.to_string())
    }
}

/// An event parked in the dead-letter stream.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeadLetter {
    /// Its sequence in the dead-letter stream: what a replay names.
    pub sequence: u64,
    /// The service that could not apply it.
    pub service: String,
    pub topic: String,
    /// The event's id, when its payload was an event envelope.
    pub event_id: Option<Uuid>,
    /// What the last attempt answered.
    pub error: String,
    pub attempts: i64,
    pub parked_at: DateTime<Utc>,
}

impl DeadLetter {
    fn read(message: &StreamMessage) -> Result<DeadLetter, BrokerError> {
        let rest = message
            .subject
            .strip_prefix(DEAD_LETTER_SUBJECT_PREFIX)
            .ok_or_else(|| BrokerError(format!("`{}` is not a dead letter", message.subject)))?;
        let (service, topic) = rest
            .split_once('.')
            .ok_or_else(|| BrokerError(format!("`{}` names no topic", message.subject)))?;
        let header = |name: &str| {
            message
                .headers
                .get(name)
                .map(|value| value.as_str().to_owned())
        };
        let event_id = serde_json::from_slice::<EventEnvelope>(&message.payload)
            .ok()
            .map(|event| event.id);
        let parked_at = DateTime::<Utc>::from_timestamp(
            message.time.unix_timestamp(),
            message.time.nanosecond(),
        )
        .unwrap_or_default();
        Ok(DeadLetter {
            sequence: message.sequence,
            service: service.to_owned(),
            topic: topic.to_owned(),
            event_id,
            error: header(ERROR_HEADER).unwrap_or_default(),
            attempts: header(ATTEMPTS_HEADER)
                .and_then(|attempts| attempts.parse().ok())
                .unwrap_or_default(),
            parked_at,
        })
    }
}

/// How a service's consumer paces itself.
#[derive(Debug, Clone, Copy)]
pub struct ConsumerSettings {
    /// After this many failed deliveries an event is parked.
    pub max_attempts: i64,
    /// The delay before the second delivery; it doubles per attempt up to `max_retry_delay`.
    pub first_retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// How many events one pull asks for.
    pub batch_size: usize,
    /// How long the broker waits for an acknowledgement before it delivers the event again
    /// (to this replica or another): longer than applying any event takes.
    pub ack_wait: Duration,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        ConsumerSettings {
            max_attempts: 5,
            first_retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(5 * 60),
            batch_size: 50,
            ack_wait: Duration::from_secs(30),
        }
    }
}

impl ConsumerSettings {
    /// The delay after the `delivered`-th failed delivery.
    pub fn retry_delay(&self, delivered: i64) -> Duration {
        let exponent = (delivered - 1).clamp(0, 20) as u32;
        self.first_retry_delay
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_retry_delay)
    }
}

/// What a delivered message is to a given service.
#[derive(Debug, PartialEq, Eq)]
enum Addressed<'a> {
    /// An event of `topic`, for every subscriber of it.
    Topic(&'a str),
    /// A parked event of `topic` sent back to this service alone.
    Replay(&'a str),
    /// Another service's replay.
    Elsewhere,
}

fn addressed<'a>(subject: &'a str, service: &str) -> Addressed<'a> {
    if let Some(topic) = subject.strip_prefix(EVENT_SUBJECT_PREFIX) {
        return Addressed::Topic(topic);
    }
    let replay = subject
        .strip_prefix(REPLAY_SUBJECT_PREFIX)
        .and_then(|rest| rest.split_once('.'));
    match replay {
        Some((target, topic)) if target == service => Addressed::Replay(topic),
        _ => Addressed::Elsewhere,
    }
}

/// One service's consumer: pulls events, applies them once, retries and parks.
pub struct Consumer<H> {
    jetstream: JetStream,
    pool: PgPool,
    service: &'static str,
    handler: H,
    settings: ConsumerSettings,
}

impl<H: EventHandler> Consumer<H> {
    pub fn new(
        jetstream: JetStream,
        pool: PgPool,
        service: &'static str,
        handler: H,
        settings: ConsumerSettings,
    ) -> Consumer<H> {
        Consumer {
            jetstream,
            pool,
            service,
            handler,
            settings,
        }
    }

    /// Pulls and applies events until `shutdown` is cancelled. An event being applied when
    /// shutdown comes is finished and acknowledged first. While the broker is away it retries
    /// every second; the client reconnects on its own.
    pub async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            if let Err(error) = self.pull_until_broken(&shutdown).await {
                tracing::warn!(service = self.service, %error, "event consumer lost the broker; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }

    async fn pull_until_broken(&self, shutdown: &CancellationToken) -> Result<(), BrokerError> {
        let consumer = self
            .jetstream
            .consumer(self.service, self.settings.ack_wait)
            .await?;
        loop {
            let mut batch = consumer
                .batch()
                .max_messages(self.settings.batch_size)
                .expires(Duration::from_secs(1))
                .messages()
                .await
                .map_err(|error| BrokerError::from(self.service, error))?;
            loop {
                let next = tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    next = batch.next() => next,
                };
                match next {
                    None => break,
                    Some(Ok(message)) => self.handle(message).await,
                    Some(Err(error)) => return Err(BrokerError::from(self.service, error)),
                }
            }
        }
    }

    async fn handle(&self, message: Message) {
        let delivered = message.info().map(|info| info.delivered).unwrap_or(1);
        if let Ok(info) = message.info() {
            metrics::set_gauge(
                metrics::EVENT_CONSUMER_PENDING,
                self.service,
                info.pending as f64,
            );
        }
        let topic = match addressed(message.subject.as_str(), self.service) {
            Addressed::Topic(topic) | Addressed::Replay(topic)
                if self.handler.topics().contains(&topic) =>
            {
                topic.to_owned()
            }
            // Another service's replay, or a topic this service does not apply: whatever the
            // message holds is not this service's to judge.
            _ => {
                acknowledge(&message, AckKind::Ack).await;
                return;
            }
        };
        let event = match serde_json::from_slice::<EventEnvelope>(&message.payload) {
            Ok(event) if event.topic == topic => event,
            Ok(event) => {
                let reason = format!(
                    "the envelope's topic `{}` is not its subject's",
                    event.topic
                );
                return self.park(&message, &topic, &reason, delivered).await;
            }
            Err(error) => {
                let reason = format!("not an event envelope: {error}");
                return self.park(&message, &topic, &reason, delivered).await;
            }
        };
        let span = tracing::info_span!("apply_event", service = self.service, event_id = %event.id, topic = %event.topic);
        let trace_context: HashMap<String, String> = ["traceparent", "tracestate"]
            .into_iter()
            .filter_map(|name| {
                let value = message.headers.as_ref()?.get(name)?;
                Some((name.to_owned(), value.as_str().to_owned()))
            })
            .collect();
        crate::telemetry::continue_trace(&span, &trace_context);
        let applied = crate::telemetry::with_request_id(
            event.id.to_string(),
            apply_once(&self.pool, &self.handler, &event),
        )
        .instrument(span)
        .await;
        match applied {
            Ok(outcome) => {
                if outcome == Outcome::Applied {
                    tracing::info!(service = self.service, event_id = %event.id, topic = %event.topic, "event applied");
                }
                acknowledge(&message, AckKind::Ack).await;
            }
            Err(problem) if delivered >= self.settings.max_attempts => {
                let reason = problem.to_string();
                self.park(&message, &topic, &reason, delivered).await;
            }
            Err(problem) => {
                let delay = self.settings.retry_delay(delivered);
                tracing::warn!(service = self.service, event_id = %event.id, topic = %event.topic, attempts = delivered, code = problem.code(), "event not applied; will retry");
                acknowledge(&message, AckKind::Nak(Some(delay))).await;
            }
        }
    }

    /// Moves the message to the dead-letter stream and ends its deliveries; if the broker did
    /// not store the dead letter, the message is left to come back.
    async fn park(&self, message: &Message, topic: &str, reason: &str, delivered: i64) {
        let mut headers = HeaderMap::new();
        headers.insert(ERROR_HEADER, one_line(reason).as_str());
        headers.insert(ATTEMPTS_HEADER, delivered.to_string().as_str());
        let sequence = message
            .info()
            .map(|info| info.stream_sequence)
            .unwrap_or_default();
        let parked = self
            .jetstream
            .publish_stored(
                format!("{DEAD_LETTER_SUBJECT_PREFIX}{}.{topic}", self.service),
                Publish::build()
                    .headers(headers)
                    .message_id(format!("{}.{sequence}", self.service)),
                message.payload.to_vec(),
            )
            .await;
        match parked {
            Ok(()) => {
                metrics::add_to_gauge(metrics::EVENT_CONSUMER_PARKED, self.service, 1.0);
                tracing::error!(
                    service = self.service,
                    topic,
                    attempts = delivered,
                    reason,
                    "event parked in the dead-letter stream"
                );
                acknowledge(message, AckKind::Term).await;
            }
            Err(error) => {
                tracing::warn!(service = self.service, topic, %error, "could not park an event; it will come back");
                let delay = self.settings.retry_delay(delivered);
                acknowledge(message, AckKind::Nak(Some(delay))).await;
            }
        }
    }
}

/// Sends an acknowledgement; one that is lost only means the event is delivered again, which
/// the inbox absorbs.
async fn acknowledge(message: &Message, kind: AckKind) {
    if let Err(error) = message.ack_with(kind).await {
        tracing::warn!(%error, "could not acknowledge an event");
    }
}

/// A header value holds one line.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// Starts `service`'s consumer in the background until `shutdown` is cancelled.
pub fn spawn_consumer<H: EventHandler>(
    jetstream: JetStream,
    pool: PgPool,
    service: &'static str,
    handler: H,
    shutdown: CancellationToken,
) {
    let consumer = Consumer::new(
        jetstream,
        pool,
        service,
        handler,
        ConsumerSettings::default(),
    );
    tokio::spawn(consumer.run(shutdown));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_takes_every_topic_and_only_its_own_replays() {
        assert_eq!(
            addressed("imkon.events.client.kyc_approved", "accounts"),
            Addressed::Topic("client.kyc_approved")
        );
        assert_eq!(
            addressed("imkon.replay.accounts.client.kyc_approved", "accounts"),
            Addressed::Replay("client.kyc_approved")
        );
        assert_eq!(
            addressed("imkon.replay.applications.client.kyc_approved", "accounts"),
            Addressed::Elsewhere
        );
    }

    #[test]
    fn retry_delays_double_per_delivery_and_stop_at_the_cap() {
        let settings = ConsumerSettings::default();
        assert_eq!(settings.retry_delay(1), Duration::from_secs(1));
        assert_eq!(settings.retry_delay(2), Duration::from_secs(2));
        assert_eq!(settings.retry_delay(4), Duration::from_secs(8));
        assert_eq!(settings.retry_delay(40), Duration::from_secs(300));
    }
}
