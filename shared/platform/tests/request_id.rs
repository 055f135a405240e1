//! A request's id reaches the services it calls: the id a caller sent (or the one made for
//! it) is the id on every outgoing call made while serving the request.

use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use imkon_platform::client::ServiceClient;
use imkon_platform::testing::{unreachable_pool, TestServer};

/// The downstream service: answers with the request id it received.
async fn echo_request_id(headers: HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("none")
        .to_owned()
}

/// The upstream handler: calls downstream and answers with what downstream saw.
async fn call_downstream(State(downstream_url): State<String>) -> String {
    let client = ServiceClient::new(Duration::from_secs(5)).expect("a client");
    client
        .get(&downstream_url)
        .send()
        .await
        .expect("downstream answers")
        .text()
        .await
        .expect("a text body")
}

#[tokio::test]
async fn the_request_id_is_passed_on_to_outgoing_calls() {
    let downstream = TestServer::start(Router::new().route("/echo", get(echo_request_id))).await;
    let upstream_api = Router::new()
        .route("/v1/call", get(call_downstream))
        .with_state(downstream.url("/echo"));
    let upstream = TestServer::start(imkon_platform::http::service_router(
        "upstream",
        upstream_api,
        utoipa::openapi::OpenApi::default(),
        unreachable_pool(),
        &imkon_platform::config::HttpLimits::default(),
    ))
    .await;

    let response = upstream
        .client
        .get(upstream.url("/v1/call"))
        .header("x-request-id", "trace-me-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-7");
    assert_eq!(response.text().await.unwrap(), "trace-me-7");

    let fresh = upstream
        .client
        .get(upstream.url("/v1/call"))
        .send()
        .await
        .unwrap();
    let assigned = fresh.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(
        fresh.text().await.unwrap(),
        assigned,
        "a generated id travels too"
    );
}
