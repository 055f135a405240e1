//! The scoring service: explainable, versioned scorecards and their evaluations.
//!
//! A library with a thin binary: `app` builds the router (tests serve it on port 0), and
//! `run` starts the service from its configuration, as `imkon serve scoring` and `imkon up` do.

pub mod db;
pub mod domain;
pub mod http;
pub mod seed;

pub use seed::{seed_demo, SeedError, GRANT_SCORECARD_ID, LOAN_SCORECARD_ID};

use axum::extract::FromRef;
use axum::Router;
use imkon_auth::{Audience, TokenVerifier};
use imkon_platform::config::{HttpLimits, ServiceConfig};
use imkon_platform::service::StartupError;
use imkon_platform::{auth_settings, events, service};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

/// The service's name: its database, its configuration table, its token audience.
pub const SERVICE: &str = "scoring";

/// The port it listens on in development.
pub const DEFAULT_PORT: u16 = 8083;

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/scoring");

/// The platform's migrations and this service's, in order.
pub fn migrator() -> Migrator {
    imkon_platform::db::migrator_with_platform(&MIGRATIONS)
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
#[openapi(
    tags((name = "scoring", description = "explainable, versioned scorecards and their evaluations")),
    paths(
        http::scorecards::create_scorecard,
        http::scorecards::import_scorecard,
        http::scorecards::list_scorecards,
        http::scorecards::get_scorecard,
        http::scorecards::create_version,
        http::scorecards::import_version,
        http::scorecards::revise_version,
        http::scorecards::export_version,
        http::scorecards::propose_activation,
        http::scorecards::activate_version,
        http::evaluations::evaluate_one,
        http::evaluations::evaluate_batch,
        http::evaluations::evaluate_what_if,
        http::evaluations::get_evaluation,
        http::evaluations::replay_evaluation,
    )
)]
struct ApiDoc;

/// The service's complete router, platform endpoints and layers included.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(http::scorecards::router())
        .merge(http::evaluations::router())
        .with_state(state.clone())
        .merge(events::router(
            state.pool.clone(),
            state.verifier.clone(),
            events::NoSubscriptions,
        ))
        .merge(imkon_platform::audit_trail::router(
            state.pool.clone(),
            state.verifier.clone(),
        ));
    let mut document = ApiDoc::openapi();
    document.merge(events::EventsApi::openapi());
    document.merge(imkon_platform::audit_trail::AuditTrailApi::openapi());
    imkon_platform::http::service_router(SERVICE, api, document, state.pool, &state.limits)
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
    let verifier = auth_settings::token_verifier(&config.settings, Audience::Scoring)?;
    let pool = service::connect_and_migrate(&config, &migrator()).await?;
    if config.demo_data {
        seed::seed_demo(&pool).await.map_err(|error| {
            StartupError::Other(format!("loading the demo scorecards failed: {error}"))
        })?;
    }
    let state = AppState {
        pool,
        limits: config.limits,
        verifier,
    };
    service::serve(&config, listener, app(state), shutdown).await
}
