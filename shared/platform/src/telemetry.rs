//! Logs, request ids and traces.
//!
//! Every request carries an id: the caller's `x-request-id` if it sent a sane one, otherwise a
//! fresh UUID v7. The id is on the request's tracing span (so every log line of the request
//! names it), echoed on the response, and set on every outgoing call made while serving the
//! request, so one id follows a request across services.
//!
//! With `otlp_endpoint` set, the spans are also exported as OpenTelemetry traces over OTLP/HTTP
//! (protobuf, to `<otlp_endpoint>/v1/traces`), and the W3C `traceparent` header travels with
//! every call between services, so one trace shows a request's path through them. The request
//! id (and, for work done for an event, the event id, which is then the request id) is an
//! attribute of each span.

use std::collections::HashMap;
use std::str::FromStr;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
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
    install_subscriber(format, None);
}

/// The traces being exported; dropping it sends what is still buffered and stops the export.
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl TraceExport {
    /// Sends every finished span now instead of at the next batch.
    pub fn flush(&self) {
        if let Err(error) = self.provider.force_flush() {
            tracing::warn!(%error, "could not send the buffered traces");
        }
    }
}

impl Drop for TraceExport {
    fn drop(&mut self) {
        let _ = self.provider.shutdown();
    }
}

/// Like [`init_tracing`], and when `otlp_endpoint` is given, exports `service`'s spans to the
/// OpenTelemetry collector there and propagates trace context on calls between services. Keep
/// the returned export alive while the service runs.
pub fn init_tracing_exporting(
    format: LogFormat,
    service: &str,
    otlp_endpoint: Option<&str>,
) -> Result<Option<TraceExport>, String> {
    let Some(endpoint) = otlp_endpoint else {
        init_tracing(format);
        return Ok(None);
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()
        .map_err(|error| format!("the OTLP exporter for {endpoint}: {error}"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(format!("imkon-{service}"))
                .build(),
        )
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    install_subscriber(format, Some(provider.tracer("imkon")));
    Ok(Some(TraceExport { provider }))
}

fn install_subscriber(format: LogFormat, tracer: Option<opentelemetry_sdk::trace::Tracer>) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let spans = tracer.map(|tracer| tracing_opentelemetry::layer().with_tracer(tracer));
    let registry = tracing_subscriber::registry().with(filter).with(spans);
    let installed = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_target(false),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .compact()
                    .with_target(false),
            )
            .try_init(),
    };
    // A second initialisation in the same process is expected (several services, tests), and
    // the first subscriber stays in charge.
    drop(installed);
}

/// Adds the current span's trace context (`traceparent`) to an outgoing call's headers; without
/// trace export configured, the propagator adds nothing.
pub fn inject_trace_context(headers: &mut axum::http::HeaderMap) {
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(headers));
    });
}

/// The current span's trace context as header fields (`traceparent`, `tracestate`), for a
/// message that crosses to another service by other means than an HTTP call: an event through
/// the broker. Empty without trace export.
pub fn trace_context_fields() -> HashMap<String, String> {
    let mut fields = HashMap::new();
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut fields);
    });
    fields
}

/// Makes `span` continue the trace that `fields` (from [`trace_context_fields`]) name.
pub fn continue_trace(span: &tracing::Span, fields: &HashMap<String, String>) {
    let parent =
        opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(fields));
    let _ = span.set_parent(parent);
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
    // A caller's trace continues here; a malformed `traceparent` is ignored.
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    let _ = span.set_parent(parent);
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
