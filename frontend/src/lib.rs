//! The web frontend: server-rendered pages over the services' public HTTP APIs.
//!
//! It holds no database of its own. It is the OAuth2 client of the platform and keeps tokens
//! on the server; the browser only ever holds a session cookie.
//!
//! Pages are askama templates (`templates/`) in four languages (`locales/`), styled by one
//! stylesheet (`static/app.css`) and never by inline styles or scripts, so the
//! Content-Security-Policy can forbid both. Every response passes, from the outside in:
//! request ids, security headers, the CSRF check, and the friendly error pages.

pub mod chart;
pub mod cookies;
pub mod disbursement;
pub mod format;
pub mod i18n;
pub mod pages;
pub mod security;
pub mod session;

use std::net::SocketAddr;

use axum::response::Json;
use axum::routing::{get, post};
use axum::{middleware, Router};
use imkon_platform::service::StartupError;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::disbursement::DisbursementClient;
use crate::security::HeaderPolicy;

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

/// Everything the frontend is configured with.
#[derive(Clone, Debug)]
pub struct FrontendSettings {
    pub services: ServiceUrls,
    /// Whether visitors reach the site over HTTPS (directly or through a TLS-terminating
    /// proxy), so browsers may be told to use nothing else (HSTS).
    pub served_over_tls: bool,
}

impl FrontendSettings {
    /// Settings for plain HTTP, as on a developer's machine.
    pub fn new(services: ServiceUrls) -> FrontendSettings {
        FrontendSettings {
            services,
            served_over_tls: false,
        }
    }
}

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    pub disbursement: DisbursementClient,
}

#[derive(Serialize)]
struct HealthStatus {
    status: &'static str,
}

/// The frontend's router over plain HTTP.
pub fn app(services: ServiceUrls) -> Router {
    app_with(FrontendSettings::new(services))
}

/// The frontend's router.
pub fn app_with(settings: FrontendSettings) -> Router {
    let state = AppState {
        disbursement: DisbursementClient::new(&settings.services.disbursement)
            .expect("an HTTP client builds unless the TLS backend is missing at start-up"),
    };
    let header_policy = HeaderPolicy {
        strict_transport_security: settings.served_over_tls,
    };
    Router::new()
        .route("/", get(pages::home))
        .route(
            "/calculator",
            get(pages::calculator::show).post(pages::calculator::calculate),
        )
        .route("/lang/{code}", post(pages::choose_language))
        .route("/static/app.css", get(pages::stylesheet))
        .route(
            "/health/live",
            get(|| async { Json(HealthStatus { status: "live" }) }),
        )
        .route(
            "/health/ready",
            get(|| async { Json(HealthStatus { status: "ready" }) }),
        )
        .fallback(pages::not_found)
        .with_state(state)
        .layer(middleware::from_fn(pages::friendly_errors))
        .layer(middleware::from_fn(security::csrf_protection))
        .layer(middleware::from_fn_with_state(
            header_policy,
            security::security_headers,
        ))
        .layer(middleware::from_fn(|request, next| {
            imkon_platform::telemetry::request_id_layer(SERVICE, request, next)
        }))
}

/// Serves the frontend over plain HTTP on `listener` until `shutdown` is cancelled.
pub async fn run_on(
    listener: TcpListener,
    services: ServiceUrls,
    shutdown: CancellationToken,
) -> Result<(), StartupError> {
    run_with(listener, FrontendSettings::new(services), shutdown).await
}

/// Serves the frontend on `listener` until `shutdown` is cancelled.
pub async fn run_with(
    listener: TcpListener,
    settings: FrontendSettings,
    shutdown: CancellationToken,
) -> Result<(), StartupError> {
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(service = SERVICE, %addr, "serving");
    axum::serve(
        listener,
        app_with(settings).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await
    .map_err(|error| StartupError::Serve {
        service: SERVICE.to_owned(),
        reason: error.to_string(),
    })
}
