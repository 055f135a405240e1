//! What every service serves besides its own API, and the layers every request passes.
//!
//! `/health/live` answers while the process runs; `/health/ready` only while the database
//! answers and every readiness condition registered for the service holds (such as "the token
//! keys were loaded", see [`require_for_readiness`]), so a load balancer stops sending traffic
//! to a replica that cannot serve it.
//! `/metrics` is Prometheus text and `/openapi.json` the OpenAPI 3.1 document generated from
//! the code. Every response that is an error but not yet a problem document (an unknown route,
//! a body over the limit, a timeout, a panic) is turned into one, so clients see one error
//! format.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;

use crate::config::HttpLimits;
use crate::metrics::Metrics;
use crate::problem::{Problem, PROBLEM_JSON};

/// How long readiness waits for the database before calling the replica not ready.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
struct PlatformState {
    pool: PgPool,
    metrics: Metrics,
    openapi_json: Arc<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthStatus {
    /// `live` or `ready`.
    status: &'static str,
}

/// Always 200 while the process serves requests.
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, body = HealthStatus)))]
async fn live() -> Json<HealthStatus> {
    Json(HealthStatus { status: "live" })
}

/// A condition a service needs besides its database before it is ready.
type ReadinessCondition = Arc<dyn Fn() -> bool + Send + Sync>;

/// The readiness conditions, by service name and condition name. They live beside the router
/// rather than in it because what they watch (a verifier's key set) is made from the settings
/// before the router, by code that does not build the router; they are keyed by service
/// because `imkon up` runs every service in one process.
fn readiness_conditions() -> &'static Mutex<BTreeMap<(String, &'static str), ReadinessCondition>> {
    static CONDITIONS: OnceLock<Mutex<BTreeMap<(String, &'static str), ReadinessCondition>>> =
        OnceLock::new();
    CONDITIONS.get_or_init(Mutex::default)
}

/// Makes `service`'s `/health/ready` answer 503 while `condition` is false. A later call with
/// the same names replaces the earlier condition (a service started again in one process).
pub fn require_for_readiness(
    service: &str,
    name: &'static str,
    condition: impl Fn() -> bool + Send + Sync + 'static,
) {
    readiness_conditions()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert((service.to_owned(), name), Arc::new(condition));
}

/// The name of the first readiness condition of `service` that does not hold.
fn unmet_readiness_condition(service: &str) -> Option<&'static str> {
    readiness_conditions()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .find(|((owner, _), condition)| owner == service && !condition())
        .map(|((_, name), _)| *name)
}

/// 200 when the database answers within two seconds and the service's readiness conditions
/// hold, 503 otherwise.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses((status = 200, body = HealthStatus), (status = 503, description = "The database does not answer, or a readiness condition (such as loaded token keys) does not hold")))]
async fn ready(State(state): State<PlatformState>) -> Response {
    if let Some(condition) = unmet_readiness_condition(state.metrics.service()) {
        tracing::warn!(condition, "not ready: a readiness condition does not hold");
        return Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
            .with_detail(format!("The service is not ready: {condition}."))
            .into_response();
    }
    let probe = sqlx::query("select 1").execute(&state.pool);
    match tokio::time::timeout(READINESS_TIMEOUT, probe).await {
        Ok(Ok(_)) => Json(HealthStatus { status: "ready" }).into_response(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the database does not answer");
            not_ready()
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer in time");
            not_ready()
        }
    }
}

fn not_ready() -> Response {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
        .with_detail("The service cannot reach its database.")
        .into_response()
}

/// Prometheus text exposition of the request counters, the database pool and the outbox.
#[utoipa::path(get, path = "/metrics", tag = "health", responses((status = 200, content_type = "text/plain", body = String)))]
async fn metrics_text(State(state): State<PlatformState>) -> Response {
    let mut text = state.metrics.render();
    text.push_str(&crate::metrics::render_database(state.metrics.service(), &state.pool).await);
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn openapi(State(state): State<PlatformState>) -> Response {
    let mut response = state.openapi_json.as_str().to_owned().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[derive(OpenApi)]
#[openapi(
    paths(live, ready, metrics_text),
    components(schemas(HealthStatus)),
    modifiers(&BearerScheme)
)]
struct PlatformApi;

/// The name under which every operation's `security` names the access token.
pub const BEARER_SCHEME: &str = "bearer";

/// Declares the access token every service accepts (an EdDSA-signed JWT from onboarding), so
/// that each operation's `security(("bearer" = [roles]))` refers to a defined scheme; the
/// scopes of a requirement are the role names that may call the operation.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        document
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                BEARER_SCHEME,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some(
                            "An access token from onboarding's `POST /v1/oauth/token`, \
                             addressed to this service; the requirement's scopes are the roles \
                             that may call the operation (`service` for another Imkon service).",
                        ))
                        .build(),
                ),
            );
    }
}

/// Turns a bare error response from a layer or the router into a problem document.
async fn problem_fallback(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        let mut replacement = Problem::for_status(status).into_response();
        if let Some(challenge) = response.headers().get(header::WWW_AUTHENTICATE) {
            replacement
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge.clone());
        }
        return replacement;
    }
    response
}

/// Wraps a service's API router with the platform endpoints and layers.
pub fn service_router(
    service: &'static str,
    api: Router,
    api_doc: utoipa::openapi::OpenApi,
    pool: PgPool,
    limits: &HttpLimits,
) -> Router {
    let mut document = api_doc;
    document.merge(PlatformApi::openapi());
    document.info.title = format!("Imkon {service} service");
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let openapi_json = serde_json::to_string(&document)
        .expect("an OpenAPI document built from types always serialises");
    let metrics = Metrics::new(service);
    let body_limit_bytes = limits.body_limit_bytes;
    let state = PlatformState {
        pool,
        metrics: metrics.clone(),
        openapi_json: Arc::new(openapi_json),
    };
    let platform_routes = Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(openapi))
        .with_state(state);
    api.merge(platform_routes)
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limits.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::internal().into_response()
        }))
        .layer(middleware::from_fn(problem_fallback))
        .layer(middleware::from_fn(move |request, next| {
            crate::text::refuse_control_characters(body_limit_bytes, request, next)
        }))
        .layer(middleware::from_fn_with_state(
            metrics,
            crate::metrics::count_requests,
        ))
        .layer(middleware::from_fn(move |request, next| {
            crate::telemetry::request_id_layer(service, request, next)
        }))
}

/// Serves until `shutdown` is cancelled, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await
}

/// A token cancelled on Ctrl-C or SIGTERM.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let interrupt = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut terminate = match tokio::signal::unix::signal(
                tokio::signal::unix::SignalKind::terminate(),
            ) {
                Ok(signal) => signal,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the process");
                    let _ = interrupt.await;
                    cancel.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = interrupt => {}
                _ = terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = interrupt.await;
        }
        tracing::info!("shutdown requested; finishing requests in flight");
        cancel.cancel();
    });
    token
}
