//! Logs, request ids and traces.
//!
//! Every request carries an id: the caller's `x-request-id` if it sent a sane one, otherwise a
//! fresh UUID v7. The id is on the request's tracing span (so every log line of the request
//! names it), echoed on the response, and set on every outgoing call made while serving the
//! request, so one id follows a request across services.

use std::str::FromStr;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// The header that carries the request id between services and back to the caller.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id accepted from a caller; longer ones are replaced, not truncated.
const REQUEST_ID_MAX_LENGTH: usize = 128;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line, for production log shippers.
    Json,
    /// Readable lines, for a developer's terminal.
    Pretty,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "json" => Ok(LogFormat::Json),
            "pretty" => Ok(LogFormat::Pretty),
            other => Err(format!(
                "unknown log format `{other}`; expected `json` or `pretty`"
            )),
        }
    }
}

/// Installs the global tracing subscriber once; later calls (a second service in the same
/// process, a test) keep the first one. The filter comes from `RUST_LOG`, `info` by default.
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let installed = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // A second initialisation in the same process is expected (several services, tests), and
    // the first subscriber stays in charge.
    drop(installed);
}

/// The id of the request being served by the current task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs a future with a request id in scope, for work started outside a request (the outbox
/// relay uses the event id) that still calls other services.
pub async fn with_request_id<F: std::future::Future>(request_id: String, work: F) -> F::Output {
    REQUEST_ID.scope(request_id, work).await
}

fn is_acceptable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= REQUEST_ID_MAX_LENGTH
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Middleware: takes or makes the request id, opens the request's span, and echoes the id.
pub async fn request_id_layer(service: &'static str, mut request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .filter(|value| is_acceptable_request_id(value))
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| crate::id::new_id().to_string());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        request.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let span = tracing::info_span!(
        "request",
        service,
        request_id = %request_id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let is_probe = request.uri().path().starts_with("/health/");
    let started = std::time::Instant::now();
    let mut response = REQUEST_ID
        .scope(
            request_id.clone(),
            next.run(request).instrument(span.clone()),
        )
        .await;
    let status = response.status().as_u16();
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    // Health probes arrive every few seconds from load balancers; logging each would drown
    // the requests people care about.
    span.in_scope(|| {
        if is_probe {
            tracing::debug!(status, elapsed_ms, "served");
        } else {
            tracing::info!(status, elapsed_ms, "served");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
