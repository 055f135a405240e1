//! The applications service: funding programmes and the applications founders make to them.
//!
//! A library with a thin binary: `app` builds the router (tests serve it on port 0), and
//! `run` starts the service from its configuration, as `imkon serve applications` and `imkon up` do.

pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
pub mod mailer;
pub mod peers;
pub mod screening;
pub mod seed;
pub mod workflow;

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
use imkon_platform::{
    auth_settings, db as platform_db, events as platform_events, outbox, service,
};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::peers::{
    DisbursementClient, KycSource, LoanStanding, OnboardingClient, Scorer, ScoringClient,
};

/// The service's name: its database, its configuration table, its token audience.
pub const SERVICE: &str = "applications";

/// The port it listens on in development.
pub const DEFAULT_PORT: u16 = 8082;

/// How long a call to onboarding or scoring may take.
const PEER_TIMEOUT: Duration = Duration::from_secs(10);

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/applications");

/// The platform's migrations and this service's, in order.
pub fn migrator() -> Migrator {
    platform_db::migrator_with_platform(&MIGRATIONS)
}

/// What every request handler of this service can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub limits: HttpLimits,
    pub verifier: TokenVerifier,
    /// Onboarding's KYC status and company facts.
    pub kyc: Arc<dyn KycSource>,
    /// The scoring service.
    pub scorer: Arc<dyn Scorer>,
    /// Disbursement's answer on whether an applicant has an overdue loan.
    pub loans: Arc<dyn LoanStanding>,
    /// The bank's calendar: a founder's age, a programme's window and a submission's day.
    pub calendar: BankCalendar,
}

impl FromRef<AppState> for TokenVerifier {
    fn from_ref(state: &AppState) -> TokenVerifier {
        state.verifier.clone()
    }
}

#[derive(OpenApi)]
#[openapi(tags(
    (name = "applications", description = "funding programmes and the applications founders make to them"),
    (name = "programmes", description = "grant and loan programmes"),
    (name = "decisions", description = "four-eyes decisions"),
    (name = "reviews", description = "reviewers, declarations and reviews"),
    (name = "exports", description = "CSV exports for officers")))]
struct ApiDoc;

/// The service's complete router, platform endpoints and layers included.
pub fn app(state: AppState) -> Router {
    let api = http::router()
        .with_state(state.clone())
        .merge(platform_events::router(
            state.pool.clone(),
            state.verifier.clone(),
            events::ConsumedEvents,
        ))
        .merge(imkon_platform::audit_trail::router(
            state.pool.clone(),
            state.verifier.clone(),
        ));
    let mut document = ApiDoc::openapi();
    document.merge(http::openapi());
    document.merge(platform_events::EventsApi::openapi());
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
    let verifier = auth_settings::token_verifier(&config.settings, Audience::Applications)?;
    let pool = service::connect_and_migrate(&config, &migrator()).await?;
    if config.demo_data {
        seed::seed_demo(&pool, &config.calendar)
            .await
            .map_err(|error| {
                StartupError::Other(format!("loading the demo programmes failed: {error}"))
            })?;
    }
    let client = ServiceClient::new(PEER_TIMEOUT)
        .map_err(|error| StartupError::Other(format!("cannot build the HTTP client: {error}")))?;
    let tokens = ServiceTokens::from_settings(&config.settings, client.clone())?;
    let onboarding_url: String = config.settings.require("onboarding_url")?;
    let scoring_url: String = config.settings.require("scoring_url")?;
    let disbursement_url: String = config.settings.require("disbursement_url")?;
    let transport = outbox::EventTransport::from_settings(&config.settings).await?;
    outbox::spawn_relay(
        pool.clone(),
        &config.settings,
        tokens.clone(),
        &transport,
        shutdown.clone(),
    )?;
    transport.spawn_consumer(
        pool.clone(),
        SERVICE,
        events::ConsumedEvents,
        shutdown.clone(),
    );
    let onboarding = Arc::new(OnboardingClient::new(
        client.clone(),
        &onboarding_url,
        tokens.clone(),
    ));
    match imkon_platform::mail::MailSettings::from_settings(&config.settings)? {
        Some(settings) => {
            let mailer = imkon_platform::mail::Mailer::new(&settings).map_err(|error| {
                StartupError::Other(format!("cannot set up the mail relay: {error}"))
            })?;
            mailer::spawn_sender(pool.clone(), onboarding.clone(), mailer, shutdown.clone());
        }
        None => tracing::warn!("no mail_smtp_host: notification emails are not sent"),
    }
    let state = AppState {
        pool,
        limits: config.limits,
        verifier,
        kyc: onboarding,
        scorer: Arc::new(ScoringClient::new(
            client.clone(),
            &scoring_url,
            tokens.clone(),
        )),
        loans: Arc::new(DisbursementClient::new(client, &disbursement_url, tokens)),
        calendar: config.calendar.clone(),
    };
    service::serve(&config, listener, app(state), shutdown).await
}
