//! The disbursement service: contracts, repayment schedules, tranches, repayments and arrears.
//!
//! A library with a thin binary: `app` builds the router (tests serve it on port 0), and
//! `run` starts the service from its configuration, as `imkon serve disbursement` and `imkon up` do.

pub mod domain;

use axum::extract::FromRef;
use axum::Router;
use imkon_auth::{Audience, TokenVerifier};
use imkon_platform::config::{HttpLimits, ServiceConfig};
use imkon_platform::service::StartupError;
use imkon_platform::{auth_settings, db, events, http, service};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

/// The service's name: its database, its configuration table, its token audience.
pub const SERVICE: &str = "disbursement";

/// The port it listens on in development.
pub const DEFAULT_PORT: u16 = 8084;

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/disbursement");

/// The platform's migrations and this service's, in order.
pub fn migrator() -> Migrator {
    db::migrator_with_platform(&MIGRATIONS)
}

/// What every request handler of this service can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub limits: HttpLimits,
    pub verifier: TokenVerifier,
}

impl FromRef<AppState> for TokenVerifier {
    fn from_ref(state: &AppState) -> TokenVerifier {
        state.verifier.clone()
    }
}

#[derive(OpenApi)]
#[openapi(tags((name = "disbursement", description = "contracts, repayment schedules, tranches, repayments and arrears")))]
struct ApiDoc;

/// The service's complete router, platform endpoints and layers included.
pub fn app(state: AppState) -> Router {
    let api = events::router(
        state.pool.clone(),
        state.verifier.clone(),
        events::NoSubscriptions,
    );
    let mut document = ApiDoc::openapi();
    document.merge(events::EventsApi::openapi());
    http::service_router(SERVICE, api, document, state.pool, &state.limits)
}

/// Starts the service and serves until `shutdown` is cancelled.
pub async fn run(config: ServiceConfig, shutdown: CancellationToken) -> Result<(), StartupError> {
    let listener = service::bind(&config).await?;
    run_on(config, listener, shutdown).await
}

/// Like `run`, on a listener the caller bound (the launcher binds every port first, so that a
/// taken port is reported before anything starts).
pub async fn run_on(
    config: ServiceConfig,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), StartupError> {
    let verifier = auth_settings::token_verifier(&config.settings, Audience::Disbursement)?;
    let pool = service::connect_and_migrate(&config, &migrator()).await?;
    let state = AppState {
        pool,
        limits: config.limits,
        verifier,
    };
    service::serve(&config, listener, app(state), shutdown).await
}
