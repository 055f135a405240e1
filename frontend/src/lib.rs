//! The web frontend: server-rendered pages over the services' public HTTP APIs.
//!
//! It holds no database of its own. It is the OAuth2 client of the platform and keeps tokens
//! on the server; the browser only ever holds a session cookie.

use std::net::SocketAddr;

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use imkon_platform::service::StartupError;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub const SERVICE: &str = "frontend";
pub const DEFAULT_PORT: u16 = 8080;

/// Where the frontend finds the services it talks to.
#[derive(Clone, Debug)]
pub struct ServiceUrls {
    pub onboarding: String,
    pub applications: String,
    pub scoring: String,
    pub disbursement: String,
    pub accounts: String,
}

#[derive(Serialize)]
struct HealthStatus {
    status: &'static str,
}

/// The frontend's router.
pub fn app(services: ServiceUrls) -> Router {
    Router::new()
        .route("/", get(move || home(services.clone())))
        .route(
            "/health/live",
            get(|| async { Json(HealthStatus { status: "live" }) }),
        )
        .route(
            "/health/ready",
            get(|| async { Json(HealthStatus { status: "ready" }) }),
        )
        .layer(middleware::from_fn(|request, next| {
            imkon_platform::telemetry::request_id_layer(SERVICE, request, next)
        }))
}

async fn home(services: ServiceUrls) -> Response {
    let links = [
        ("onboarding", &services.onboarding),
        ("applications", &services.applications),
        ("scoring", &services.scoring),
        ("disbursement", &services.disbursement),
        ("accounts", &services.accounts),
    ]
    .iter()
    .map(|(name, url)| format!("<li><a href=\"{url}/openapi.json\">{name}</a></li>"))
    .collect::<String>();
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Imkon</title></head>\
         <body><h1>Imkon</h1><p>The services of this platform and their API documents:</p><ul>{links}</ul></body></html>"
    );
    let mut response = Html(page).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
    );
    response
}

/// Serves the frontend on `listener` until `shutdown` is cancelled.
pub async fn run_on(
    listener: TcpListener,
    services: ServiceUrls,
    shutdown: CancellationToken,
) -> Result<(), StartupError> {
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(service = SERVICE, %addr, "serving");
    axum::serve(
        listener,
        app(services).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await
    .map_err(|error| StartupError::Serve {
        service: SERVICE.to_owned(),
        reason: error.to_string(),
    })
}
