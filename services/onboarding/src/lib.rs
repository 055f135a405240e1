//! The onboarding service: the one client profile: people, companies, identities and KYC.
//!
//! A library with a thin binary: `app` builds the router (tests serve it on port 0), and
//! `run` starts the service from its configuration, as `imkon serve onboarding` and `imkon up` do.
//!
//! Onboarding owns identities and issues the platform's tokens: password logins give refresh
//! tokens, `POST /v1/oauth/token` trades them (or a service's client credentials) for access
//! tokens addressed to one service, and `/.well-known/jwks.json` publishes the public keys.
//!
//! # Endpoints
//!
//! - Identity: `POST /v1/auth/password` (JSON `{username, password}` → refresh token and
//!   principal; 401 `invalid_credentials`; 429 `login_locked` with `Retry-After` after five
//!   failures in a row or too many attempts from one address), `POST /v1/auth/logout`,
//!   `POST /v1/oauth/token` (form-encoded; `refresh_token` or `client_credentials` grants,
//!   `audience` a service name), `GET /.well-known/jwks.json`.
//! - Staff (admin): `POST /v1/staff`, `POST /v1/staff/{id}/roles`.
//! - Profile (founder): `POST /v1/registrations` (public), `GET|PUT /v1/me/profile`,
//!   `GET|POST /v1/me/companies`, `GET|POST /v1/me/documents` (multipart upload),
//!   `GET /v1/documents/{id}` (owner or KYC officer), `GET /v1/me/kyc`,
//!   `POST /v1/me/kyc/submit`.
//! - KYC (kyc_officer): `GET /v1/kyc/cases?status=&assignee=`, `GET /v1/kyc/cases/{id}`,
//!   `POST /v1/kyc/cases/{id}/assign`, `…/documents/{document_id}/decision`, `…/approve`,
//!   `…/reject`, `…/request-revision`, `POST /v1/kyc/watchlist` (CSV body).
//! - For services and staff (a founder: their own only): `GET /v1/clients/{id}`,
//!   `GET /v1/clients/{id}/kyc`.
//!
//! Events (outbox): `client.kyc_approved` `{client_id, approved_at}`, `client.kyc_rejected`
//! `{client_id, reason, rejected_at}`, `company.kyc_approved` `{company_id, client_id, stir,
//! approved_at}`, `company.kyc_rejected` `{company_id, client_id, reason, rejected_at}`.
//!
//! Settings beyond the platform's: `token_key_id`, `token_signing_key` (required),
//! `service_client_secrets` (JSON object of service name to secret; absent: no client
//! credentials), `login_failures_to_lock`, `login_lock_duration_seconds`,
//! `login_attempts_per_address`, `login_address_window_seconds`,
//! `refresh_token_lifetime_seconds`.
//!
//! Build note: argon2id with the OWASP parameters is slow in unoptimised builds (seconds per
//! hash), which makes the tests slow. The workspace should set
//! `[profile.dev.package.argon2] opt-level = 3` (and the same for `blake2`) in the root
//! `Cargo.toml`.

pub mod accounts;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod kyc;
pub mod password;
pub mod seed;

use axum::extract::FromRef;
use axum::Router;
use imkon_auth::{Audience, Principal, TokenIssuer, TokenVerifier};
use imkon_platform::config::{HttpLimits, ServiceConfig};
use imkon_platform::service::StartupError;
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::{auth_settings, events, outbox, service};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::{LoginSettings, ServiceClientSecrets};
pub use crate::seed::{demo_logins, seed_demo, DemoLogin, DemoLogins};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

/// The service's name: its database, its configuration table, its token audience.
pub const SERVICE: &str = "onboarding";

/// The port it listens on in development.
pub const DEFAULT_PORT: u16 = 8081;

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/onboarding");

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
    /// Signs the platform's access tokens.
    pub issuer: TokenIssuer,
    pub login: LoginSettings,
    /// The services allowed the client-credentials grant.
    pub service_clients: ServiceClientSecrets,
}

impl AppState {
    /// A state with the default login policy and no service clients.
    pub fn new(
        pool: PgPool,
        limits: HttpLimits,
        issuer: TokenIssuer,
        verifier: TokenVerifier,
    ) -> AppState {
        AppState {
            pool,
            limits,
            verifier,
            issuer,
            login: LoginSettings::default(),
            service_clients: ServiceClientSecrets::default(),
        }
    }
}

impl FromRef<AppState> for TokenVerifier {
    fn from_ref(state: &AppState) -> TokenVerifier {
        state.verifier.clone()
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        http::auth::login_with_password,
        http::auth::logout,
        http::auth::issue_token,
        http::auth::public_keys,
        http::staff::create_staff_account,
        http::staff::grant_roles,
        http::profile::register_founder,
        http::profile::read_own_profile,
        http::profile::update_own_profile,
        http::companies::register_company,
        http::companies::list_own_companies,
        http::clients::read_client_summary,
        http::documents::upload_document,
        http::documents::list_own_documents,
        http::documents::download_document,
        http::kyc::submit_case,
        http::kyc::read_own_cases,
        http::kyc::list_queue,
        http::kyc::read_case,
        http::kyc::assign_case,
        http::kyc::decide_document,
        http::kyc::approve_case,
        http::kyc::reject_case,
        http::kyc::request_revision,
        http::kyc::import_watch_list,
        http::kyc::read_client_kyc,
    ),
    tags((name = "onboarding", description = "the one client profile: people, companies, identities and KYC"))
)]
struct ApiDoc;

/// The service's complete router, platform endpoints and layers included.
pub fn app(state: AppState) -> Router {
    let own_routes = Router::new()
        .merge(http::auth::router())
        .merge(http::staff::router())
        .merge(http::profile::router())
        .merge(http::companies::router())
        .merge(http::clients::router())
        .merge(http::documents::router())
        .merge(http::kyc::router())
        .with_state(state.clone());
    let api = events::router(
        state.pool.clone(),
        state.verifier.clone(),
        events::NoSubscriptions,
    )
    .merge(own_routes);
    let mut document = ApiDoc::openapi();
    document.merge(events::EventsApi::openapi());
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
    let verifier = auth_settings::token_verifier(&config.settings, Audience::Onboarding)?;
    let issuer = auth_settings::token_issuer(&config.settings)?;
    let login = LoginSettings::from_settings(&config.settings)?;
    let service_clients = ServiceClientSecrets::from_settings(&config.settings)?;
    let pool = service::connect_and_migrate(&config, &migrator()).await?;
    if config.demo_data {
        seed_demo(&pool).await.map_err(|error| {
            StartupError::Other(format!("loading the demo clients failed: {error}"))
        })?;
    }
    // Onboarding signs its own service tokens: it is the issuer every service trusts.
    let own_principal = Principal::service(imkon_platform::id::new_id(), Some(SERVICE.to_owned()))
        .map_err(|error| StartupError::Other(format!("onboarding's service principal: {error}")))?;
    let tokens = ServiceTokens::local(issuer.clone(), own_principal);
    outbox::spawn_relay(pool.clone(), &config.settings, tokens, shutdown.clone())?;
    let state = AppState {
        pool,
        limits: config.limits,
        verifier,
        issuer,
        login,
        service_clients,
    };
    service::serve(&config, listener, app(state), shutdown).await
}
