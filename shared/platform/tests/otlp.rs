//! Traces over OTLP/HTTP to a collector of the test's own: a request's span arrives with its
//! request id, continues the caller's trace, and hands the trace on to the next service. One
//! test in this file: the tracing subscriber is global to the process.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use imkon_platform::client::ServiceClient;
use imkon_platform::config::HttpLimits;
use imkon_platform::telemetry::{init_tracing_exporting, LogFormat};
use imkon_platform::testing::{unreachable_pool, TestServer};

const CALLER_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";
const REQUEST_ID: &str = "otlp-check-7d1f";

type Received = Arc<Mutex<Vec<Bytes>>>;

async fn collect(State(received): State<Received>, body: Bytes) -> &'static str {
    received.lock().unwrap().push(body);
    ""
}

/// A service route that calls the next service and answers the `traceparent` it was sent.
async fn call_onwards(State(next): State<String>) -> String {
    let client = ServiceClient::new(Duration::from_secs(5)).unwrap();
    client
        .get(&next)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn echo_traceparent(headers: HeaderMap) -> String {
    headers
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_span_reaches_the_collector_with_its_request_id_in_the_callers_trace() {
    let received = Received::default();
    let collector = TestServer::start(
        Router::new()
            .route("/v1/traces", post(collect))
            .with_state(received.clone()),
    )
    .await;
    let traces = init_tracing_exporting(LogFormat::Pretty, "otlp-test", Some(&collector.url("")))
        .unwrap()
        .expect("an endpoint was given");

    let next = TestServer::start(Router::new().route("/echo", get(echo_traceparent))).await;
    let api = Router::new()
        .route("/v1/onwards", get(call_onwards))
        .with_state(next.url("/echo"));
    let service = TestServer::start(imkon_platform::http::service_router(
        "probe",
        api,
        utoipa::openapi::OpenApiBuilder::new().build(),
        unreachable_pool(),
        &HttpLimits::default(),
    ))
    .await;

    let handed_on = service
        .client
        .get(service.url("/v1/onwards"))
        .header("x-request-id", REQUEST_ID)
        .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let parts: Vec<&str> = handed_on.split('-').collect();
    assert_eq!(parts.len(), 4, "a traceparent went on: {handed_on:?}");
    assert_eq!(parts[1], CALLER_TRACE, "the caller's trace continues");
    assert_ne!(parts[2], CALLER_SPAN, "under the request's own span");

    traces.flush();
    let trace_id = hex::decode(CALLER_TRACE).unwrap();
    let started = Instant::now();
    loop {
        let arrived = received.lock().unwrap().iter().any(|body| {
            contains(body, REQUEST_ID.as_bytes())
                && contains(body, b"imkon-otlp-test")
                && contains(body, &trace_id)
        });
        if arrived {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no span with the request id, the service name and the caller's trace arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        traces.flush();
    }
}
