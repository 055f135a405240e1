//! The disbursement service: contracts, repayment schedules, tranches, repayments and arrears.
//!
//! A library with a thin binary: `app` builds the router (tests serve it on port 0), and
//! `run` starts the service from its configuration, as `imkon serve disbursement` and `imkon up` do.

pub mod arrears_job;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
pub mod ledger;
pub mod loans;
pub mod money_flows;
pub mod repaying;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use axum::Router;
use imkon_auth::{Audience, TokenVerifier};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::client::ServiceClient;
use imkon_platform::config::{HttpLimits, ServiceConfig};
use imkon_platform::service::StartupError;
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::{auth_settings, service};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

/// The service's name: its database, its configuration table, its token audience.
pub const SERVICE: &str = "disbursement";

/// The port it listens on in development.
pub const DEFAULT_PORT: u16 = 8084;

/// How long a call to the ledger may take before it counts as failed (and is retried later
/// with the same idempotency key).
const LEDGER_CALL_TIMEOUT: Duration = Duration::from_secs(10);

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/disbursement");

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
    /// The ledger that moves the money: the accounts service in production.
    pub ledger: Arc<dyn ledger::Ledger>,
    /// How many days before the bank's today a contract may be activated
    /// (`backdating_window_days`, 30 by default).
    pub backdating_window_days: u32,
    /// How many days after its approval staff may cancel a contract nobody signed
    /// (`contract_unsigned_cancel_after_days`, 30 by default); the founder may at any time.
    pub unsigned_cancel_after_days: u32,
    /// The bank's calendar: every date this service reasons about is its.
    pub calendar: BankCalendar,
}

impl FromRef<AppState> for TokenVerifier {
    fn from_ref(state: &AppState) -> TokenVerifier {
        state.verifier.clone()
    }
}

/// The service's complete router, platform endpoints and layers included.
pub fn app(state: AppState) -> Router {
    let events = imkon_platform::events::router(
        state.pool.clone(),
        state.verifier.clone(),
        crate::events::DisbursementEvents {
            calendar: state.calendar.clone(),
        },
    );
    let audit = imkon_platform::audit_trail::router(state.pool.clone(), state.verifier.clone());
    let pool = state.pool.clone();
    let limits = state.limits;
    let api = http::router().with_state(state).merge(events).merge(audit);
    let mut document = http::ApiDoc::openapi();
    document.merge(imkon_platform::events::EventsApi::openapi());
    document.merge(imkon_platform::audit_trail::AuditTrailApi::openapi());
    imkon_platform::http::service_router(SERVICE, api, document, pool, &limits)
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
    let client = ServiceClient::new(LEDGER_CALL_TIMEOUT).map_err(|error| {
        config
            .settings
            .invalid("accounts_url", format!("no HTTP client: {error}"))
    })?;
    let tokens = ServiceTokens::from_settings(&config.settings, client.clone())?;
    let accounts_url: String = config.settings.require("accounts_url")?;
    let ledger = ledger::HttpLedger::new(client, tokens.clone(), &accounts_url);
    let transport = imkon_platform::outbox::EventTransport::from_settings(&config.settings).await?;
    imkon_platform::outbox::spawn_relay(
        pool.clone(),
        &config.settings,
        tokens,
        &transport,
        shutdown.clone(),
    )?;
    transport.spawn_consumer(
        pool.clone(),
        SERVICE,
        crate::events::DisbursementEvents {
            calendar: config.calendar.clone(),
        },
        shutdown.clone(),
    );
    let ledger: Arc<dyn ledger::Ledger> = Arc::new(ledger);
    let backdating_window_days = config.settings.get_or(
        "backdating_window_days",
        domain::bank_dates::DEFAULT_BACKDATING_WINDOW_DAYS,
    )?;
    let unsigned_cancel_after_days = config.settings.get_or(
        "contract_unsigned_cancel_after_days",
        domain::bank_dates::DEFAULT_UNSIGNED_CANCEL_AFTER_DAYS,
    )?;
    arrears_job::spawn_daily(
        pool.clone(),
        ledger.clone(),
        config.calendar.clone(),
        shutdown.clone(),
    );
    let state = AppState {
        pool,
        limits: config.limits,
        verifier,
        ledger,
        backdating_window_days,
        unsigned_cancel_after_days,
        calendar: config.calendar.clone(),
    };
    service::serve(&config, listener, app(state), shutdown).await
}
