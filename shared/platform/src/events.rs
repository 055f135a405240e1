//! The receiving end of events: `POST /v1/events` on a consuming service.
//!
//! The relay of the producing service posts each event here. The endpoint records the event id
//! in the inbox and lets the service apply it in one transaction, so a repeated delivery (the
//! relay retried after a crash, or a network timeout hid our answer) is acknowledged without
//! being applied again.

use std::future::Future;

use axum::extract::{FromRef, State};
use axum::routing::post;
use axum::{Json, Router};
use imkon_auth::extract::ServiceCaller;
use imkon_auth::policy::topic_publisher;
use imkon_auth::{Scope, TokenVerifier};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use crate::outbox::{self, EventEnvelope};
use crate::problem::{JsonBody, Problem};

/// A service's reaction to the events it subscribes to.
pub trait EventHandler: Clone + Send + Sync + 'static {
    /// The topics this service applies; any other topic is acknowledged and ignored.
    fn topics(&self) -> &'static [&'static str];

    /// Applies one event inside the transaction that also records it in the inbox.
    fn apply<'a>(
        &'a self,
        connection: &'a mut PgConnection,
        event: &'a EventEnvelope,
    ) -> impl Future<Output = Result<(), Problem>> + Send + 'a;
}

/// What became of a delivered event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventReceipt {
    /// `applied`, `duplicate` (applied before) or `ignored` (not a topic of this service).
    pub outcome: &'static str,
}

#[derive(Clone)]
struct Receiver<H> {
    pool: PgPool,
    verifier: TokenVerifier,
    handler: H,
}

impl<H> FromRef<Receiver<H>> for TokenVerifier {
    fn from_ref(receiver: &Receiver<H>) -> TokenVerifier {
        receiver.verifier.clone()
    }
}

/// Refuses an event whose topic the calling service does not publish. Each topic has one
/// publisher in `imkon_auth::policy`, and only its tokens carry `events:publish:<topic>`; without
/// this check any service could forge another's events (a KYC approval, a loan approval).
fn require_publisher(caller: &ServiceCaller, topic: &str) -> Result<(), Problem> {
    let allowed = Scope::publish(topic).is_ok_and(|scope| caller.has_scope(&scope));
    if allowed {
        return Ok(());
    }
    let detail = match topic_publisher(topic) {
        Some(publisher) => format!("only {publisher} may publish `{topic}`"),
        None => "no service may publish this topic".to_owned(),
    };
    Err(Problem::forbidden("forbidden", detail))
}

/// Delivers one event from another service's outbox relay: only the topic's one publisher may.
#[utoipa::path(post, path = "/v1/events", tag = "events",
    security(("bearer" = ["service"])),
    responses((status = 200, body = EventReceipt), (status = 401, description = "No service token"),
        (status = 403, description = "The calling service does not publish this topic"),
        (status = 422, description = "Not an event envelope")))]
async fn receive<H: EventHandler>(
    State(receiver): State<Receiver<H>>,
    caller: ServiceCaller,
    JsonBody(event): JsonBody<EventEnvelope>,
) -> Result<Json<EventReceipt>, Problem> {
    require_publisher(&caller, &event.topic)?;
    let outcome = apply_once(&receiver.pool, &receiver.handler, &event).await?;
    if outcome == Outcome::Applied {
        tracing::info!(event_id = %event.id, topic = %event.topic, from = ?caller.principal().name(), "event applied");
    }
    Ok(Json(EventReceipt {
        outcome: outcome.as_str(),
    }))
}

/// What applying a delivered event came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler applied it, and its id is in the inbox.
    Applied,
    /// Its id was in the inbox already: applied before, nothing done.
    Duplicate,
    /// Not a topic of this service.
    Ignored,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
        }
    }
}

/// Applies `event` with `handler` at most once, whichever transport delivered it: the inbox
/// records its id in the transaction of the effect, so a second delivery, even one running at
/// the same moment in another replica, waits for the first to commit and finds the id there.
pub async fn apply_once<H: EventHandler>(
    pool: &PgPool,
    handler: &H,
    event: &EventEnvelope,
) -> Result<Outcome, Problem> {
    if !handler.topics().contains(&event.topic.as_str()) {
        return Ok(Outcome::Ignored);
    }
    let mut transaction = pool.begin().await?;
    if !outbox::accept_once(&mut transaction, event).await? {
        return Ok(Outcome::Duplicate);
    }
    handler.apply(&mut transaction, event).await?;
    transaction.commit().await?;
    Ok(Outcome::Applied)
}

/// The OpenAPI description of `POST /v1/events`, for services that mount it.
#[derive(utoipa::OpenApi)]
#[openapi(paths(receive), components(schemas(EventReceipt)))]
pub struct EventsApi;

/// The `POST /v1/events` route for a service's handler; only the service token of a topic's
/// publisher may deliver it.
pub fn router<H: EventHandler>(pool: PgPool, verifier: TokenVerifier, handler: H) -> Router {
    Router::new()
        .route("/v1/events", post(receive::<H>))
        .with_state(Receiver {
            pool,
            verifier,
            handler,
        })
}

/// The handler of a service that subscribes to no topic yet: every event is acknowledged and
/// ignored, which is what a relay configured without this service as a subscriber expects.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSubscriptions;

impl EventHandler for NoSubscriptions {
    fn topics(&self) -> &'static [&'static str] {
        &[]
    }

    async fn apply(
        &self,
        _connection: &mut PgConnection,
        event: &EventEnvelope,
    ) -> Result<(), Problem> {
        Err(Problem::unprocessable(
            "unexpected_topic",
            format!("this service does not apply `{}`", event.topic),
        ))
    }
}
