//! The web frontend: server-rendered pages over the services' public HTTP APIs.
//!
//! It holds no database of its own. It is the OAuth2 client of the platform and keeps tokens
//! on the server; the browser only ever holds a session cookie.
//!
//! Pages are askama templates (`templates/`) in four languages (`locales/`), styled by one
//! stylesheet (`static/app.css`) and never by inline styles or scripts, so the
//! Content-Security-Policy can forbid both. Every response passes, from the outside in:
//! request ids, the server timing, security headers, the CSRF check, and the friendly error
//! pages.
//!
//! # Pages
//!
//! - Anyone: `/`, `/calculator`, `/login`, `/register`, `/auth/oneid` (starts sign-in with
//!   OneID through onboarding; the one-time state waits in a ten-minute cookie, not in a
//!   session, so anonymous visitors store nothing on the server), `/auth/callback`,
//!   `/login/second-factor` (the code after the password for staff, or enrolment from a QR
//!   code at their first sign-in).
//! - Just signed in after enrolling: `/login/recovery-codes` (shown once).
//! - Signed in (otherwise sent to `/login?next=…`): `POST /logout`, `/programmes`.
//! - Founders: `/programmes/{id}/apply` and `/applications/{id}/edit?step=basics|answers|review`
//!   (a draft saved at every step), `/applications` (their own), `/applications/{id}` (with its
//!   timeline and the answer to an information request), `/profile`, `/companies`,
//!   `/documents` (multipart upload), `/kyc` (status, revision requests, submission, and
//!   `POST /auth/oneid/link` to link OneID to the password account signed in).
//! - Credit officers and approvers: `/applications` (the queue, filtered by state, programme,
//!   band and assignee), `/applications/{id}` (score with each characteristic, reviews,
//!   information request, proposal, four-eyes confirmation), `/reviews` and `/reviews/{id}`
//!   (the conflict-of-interest declaration, then the rubric).
//! - Finance (and other portfolio staff): `/payouts`, the tranches approved and waiting to be
//!   paid. Administrators: `/admin`, a link to every menu page they may open.
//! - KYC officers: `/kyc/cases` (their own cases first, then the unassigned), `/kyc/cases/{id}`
//!   (the client's profile beside each document, the checks in words, watch-list hits judged
//!   false positive or true match, per-document decisions, approval, rejection, revision
//!   request); `/documents/{id}/download` streams a document as an
//!   attachment to its owner or a KYC officer, as onboarding allows.
//!
//! A service's 404 is the friendly not-found page, a 403 the wrong-role page, and a 422 puts
//! each refused field's message beside the field, in the visitor's language.
//!
//! # Settings
//!
//! [`FrontendSettings::from_settings`] reads the `[frontend]` settings: `public_url` (where
//! visitors reach the site; OneID sends them back to `{public_url}/auth/callback`),
//! `client_secret` (the frontend's OAuth2 client secret at onboarding, client id `frontend`;
//! without it sign-in with OneID is not offered, and onboarding cannot tell visitors apart when
//! it throttles sign-in attempts), `trusted_proxies` (the addresses or CIDR blocks of the
//! proxies in front of the frontend, comma-separated, whose `X-Forwarded-For` names the
//! visitor; none by default), `served_over_tls` and `request_timeout_seconds` (30 by default).
//! With `database_url` (and `session_encryption_key`, 32 bytes in base64, which seals what a
//! session knows) sessions live in that PostgreSQL database, shared by every replica and kept
//! across restarts, and `/health/ready` answers only while it does; without it they live in
//! the process's memory. `database_max_connections` (10 by default) bounds the pool.

pub mod clients;
pub mod pages;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::Json;
use axum::routing::get;
use axum::{middleware, Router};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::config::{ConfigError, Secret, Settings};
use imkon_platform::metrics::Metrics;
use imkon_platform::service::StartupError;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use crate::clients::api::ServiceApi;
use crate::clients::disbursement::DisbursementClient;
use crate::clients::onboarding::IdentityClient;
use crate::web::security::HeaderPolicy;
use crate::web::session::postgres::PostgresSessionStore;
use crate::web::session::sealing::SessionEncryptionKey;
use crate::web::session::{InMemorySessionStore, SessionStore, SessionTimeouts};
use crate::web::visitor::TrustedProxies;

pub const SERVICE: &str = "frontend";
pub const DEFAULT_PORT: u16 = 8080;

/// The setting holding the key that seals stored sessions (32 bytes, base64).
pub const SESSION_KEY_SETTING: &str = "session_encryption_key";

/// Where the frontend finds the services it talks to.
#[derive(Clone, Debug)]
pub struct ServiceUrls {
    pub onboarding: String,
    pub applications: String,
    pub scoring: String,
    pub disbursement: String,
    pub accounts: String,
}

/// The database the frontend keeps its sessions in, so that its replicas share them and a
/// restart signs no one out.
#[derive(Clone, Debug)]
pub struct SessionDatabase {
    pub url: Secret<String>,
    pub max_connections: u32,
    /// Seals each session's values (the refresh token among them) before they are written.
    pub encryption_key: SessionEncryptionKey,
}

impl SessionDatabase {
    /// The pool's size when `database_max_connections` is not set: a page takes one
    /// connection for a few milliseconds, so ten serve hundreds of page views a second.
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

    /// Connects to the database, applies the frontend's migrations, and returns the store.
    pub async fn open(&self) -> Result<PostgresSessionStore, StartupError> {
        let pool = imkon_platform::db::connect(&self.url, self.max_connections).await?;
        imkon_platform::db::migrate(&pool, web::session::postgres::migrator()).await?;
        Ok(PostgresSessionStore::new(
            pool,
            self.encryption_key.clone(),
            SessionTimeouts::default(),
        ))
    }
}

/// Everything the frontend is configured with.
#[derive(Clone, Debug)]
pub struct FrontendSettings {
    pub services: ServiceUrls,
    /// Whether visitors reach the site over HTTPS (directly or through a TLS-terminating
    /// proxy), so browsers may be told to use nothing else (HSTS).
    pub served_over_tls: bool,
    /// The address visitors reach the frontend at, without a trailing slash: the external
    /// sign-in sends them back to `{public_url}/auth/callback`.
    pub public_url: String,
    /// The frontend's OAuth2 client secret at onboarding, for the authorization-code grant of
    /// an external sign-in; without one, external sign-in is not offered.
    pub client_secret: Option<Secret<String>>,
    /// The longest a page may take before the visitor is told to try again: a page makes a
    /// few service calls one after another, each bounded on its own, and this bounds them all.
    pub request_timeout: Duration,
    /// The proxies the frontend is deployed behind, whose `X-Forwarded-For` names the visitor.
    pub trusted_proxies: TrustedProxies,
    /// The bank's calendar (`bank_utc_offset`, `bank_holidays`, `bank_end_of_day_cutoff`):
    /// which programmes are open today, and the bank's day of every instant a page shows.
    pub calendar: BankCalendar,
    /// Where sessions are kept (`database_url`); `None` keeps them in the process's memory.
    pub session_database: Option<SessionDatabase>,
}

impl FrontendSettings {
    /// Settings from the frontend's configuration: `public_url` (default `listen_url`, the
    /// address the listener was bound to), `client_secret` (optional; without it external
    /// sign-in is not offered), `trusted_proxies` (default none), `served_over_tls`
    /// (default false), and `database_url` with `session_encryption_key` and
    /// `database_max_connections` (default none: sessions in memory).
    pub fn from_settings(
        services: ServiceUrls,
        settings: &Settings,
        listen_url: &str,
    ) -> Result<FrontendSettings, ConfigError> {
        let public_url: String = settings.get_or("public_url", listen_url.to_owned())?;
        let client_secret = settings
            .raw("client_secret")
            .filter(|secret| !secret.trim().is_empty())
            .map(|secret| Secret::new(secret.to_owned()));
        let trusted_proxies = TrustedProxies::parse(settings.raw("trusted_proxies").unwrap_or(""))
            .map_err(|reason| settings.invalid("trusted_proxies", reason))?;
        Ok(FrontendSettings {
            services,
            served_over_tls: settings.get_or("served_over_tls", false)?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            client_secret,
            request_timeout: Duration::from_secs(settings.get_or(
                "request_timeout_seconds",
                FrontendSettings::DEFAULT_REQUEST_TIMEOUT.as_secs(),
            )?),
            trusted_proxies,
            calendar: BankCalendar::from_settings(settings)?,
            session_database: FrontendSettings::session_database(settings)?,
        })
    }

    /// The session database, when `database_url` names one; its key is then required, since
    /// sessions written in clear would hand a database reader everyone's refresh token.
    fn session_database(settings: &Settings) -> Result<Option<SessionDatabase>, ConfigError> {
        if settings
            .raw("database_url")
            .is_none_or(|url| url.trim().is_empty())
        {
            return Ok(None);
        }
        let encryption_key = SessionEncryptionKey::from_base64(
            settings.require_secret(SESSION_KEY_SETTING)?.expose(),
        )
        .map_err(|reason| settings.invalid(SESSION_KEY_SETTING, reason))?;
        Ok(Some(SessionDatabase {
            url: settings.require_secret("database_url")?,
            max_connections: settings.get_or(
                "database_max_connections",
                SessionDatabase::DEFAULT_MAX_CONNECTIONS,
            )?,
            encryption_key,
        }))
    }

    /// The address of a developer's machine at the default port.
    pub const DEFAULT_PUBLIC_URL: &'static str = "http://127.0.0.1:8080";

    /// Twice a single service call's bound: room for a page's few calls, short of a visitor's
    /// patience.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

    /// Settings for plain HTTP, as on a developer's machine, without external sign-in.
    pub fn new(services: ServiceUrls) -> FrontendSettings {
        FrontendSettings {
            services,
            served_over_tls: false,
            public_url: FrontendSettings::DEFAULT_PUBLIC_URL.to_owned(),
            client_secret: None,
            request_timeout: FrontendSettings::DEFAULT_REQUEST_TIMEOUT,
            trusted_proxies: TrustedProxies::default(),
            calendar: BankCalendar::default(),
            session_database: None,
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub disbursement: DisbursementClient,
    /// The disbursement service's API on behalf of a signed-in person: contracts, tranches,
    /// repayments and arrears.
    pub contracts: ServiceApi,
    pub accounts: ServiceApi,
    pub identity: IdentityClient,
    pub onboarding: ServiceApi,
    pub applications: ServiceApi,
    /// The scoring service's API, for the staff who manage scorecards.
    pub scoring: ServiceApi,
    pub sessions: Arc<dyn SessionStore>,
    pub public_url: String,
    pub client_secret: Option<Secret<String>>,
    pub trusted_proxies: TrustedProxies,
    pub calendar: BankCalendar,
}

impl FromRef<AppState> for TrustedProxies {
    fn from_ref(state: &AppState) -> TrustedProxies {
        state.trusted_proxies.clone()
    }
}

#[derive(Serialize)]
struct HealthStatus {
    status: &'static str,
}

/// The frontend's router over plain HTTP.
pub fn app(services: ServiceUrls) -> Router {
    app_with(FrontendSettings::new(services))
}

/// The frontend's router with its sessions in memory, whatever `settings.session_database`
/// says: opening a database is [`run_with`]'s part.
pub fn app_with(settings: FrontendSettings) -> Router {
    app_with_sessions(
        settings,
        Arc::new(InMemorySessionStore::new(
            SessionTimeouts::default(),
            InMemorySessionStore::DEFAULT_CAPACITY,
        )),
    )
}

/// The frontend's router over the session store `sessions`.
pub fn app_with_sessions(settings: FrontendSettings, sessions: Arc<dyn SessionStore>) -> Router {
    const CLIENT_BUILDS: &str =
        "an HTTP client builds unless the TLS backend is missing at start-up";
    let onboarding = ServiceApi::new(&settings.services.onboarding).expect(CLIENT_BUILDS);
    let state = AppState {
        disbursement: DisbursementClient::new(&settings.services.disbursement)
            .expect(CLIENT_BUILDS),
        contracts: ServiceApi::new(&settings.services.disbursement).expect(CLIENT_BUILDS),
        accounts: ServiceApi::new(&settings.services.accounts).expect(CLIENT_BUILDS),
        identity: IdentityClient::new(onboarding.clone()),
        onboarding,
        applications: ServiceApi::new(&settings.services.applications).expect(CLIENT_BUILDS),
        scoring: ServiceApi::new(&settings.services.scoring).expect(CLIENT_BUILDS),
        sessions: sessions.clone(),
        public_url: settings.public_url.trim_end_matches('/').to_owned(),
        client_secret: settings.client_secret.clone(),
        trusted_proxies: settings.trusted_proxies.clone(),
        calendar: settings.calendar.clone(),
    };
    let header_policy = HeaderPolicy {
        strict_transport_security: settings.served_over_tls,
    };
    // The same counters the services keep, so one dashboard reads every process: request
    // count and time per route template (never the raw path) and status.
    let metrics = Metrics::new(SERVICE);
    let scraped = metrics.clone();
    let probed = sessions.clone();
    pages::routes()
        .route(
            "/health/live",
            get(|| async { Json(HealthStatus { status: "live" }) }),
        )
        .route(
            "/health/ready",
            get(move || async move { readiness(probed.as_ref()).await }),
        )
        .route(
            "/metrics",
            get(move || {
                let mut text = scraped.render();
                async move {
                    text.push_str(&sessions.render_metrics().await);
                    (
                        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                        text,
                    )
                }
            }),
        )
        .fallback(pages::shared::not_found)
        .with_state(state)
        // Both answer with a bare status that the friendly error pages, outside them, turn
        // into a page: a page too slow to finish, and a handler that panicked.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            settings.request_timeout,
        ))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn(pages::shared::friendly_errors))
        .layer(middleware::from_fn_with_state(
            pages::REFUSAL_PAGES,
            web::security::csrf_protection,
        ))
        .layer(middleware::from_fn_with_state(
            header_policy,
            web::security::security_headers,
        ))
        .layer(middleware::from_fn(web::timing::server_timing))
        .layer(middleware::from_fn_with_state(
            metrics,
            imkon_platform::metrics::count_requests,
        ))
        .layer(middleware::from_fn(|request, next| {
            imkon_platform::telemetry::request_id_layer(SERVICE, request, next)
        }))
}

/// 200 while the session store answers, 503 otherwise: a replica that cannot read sessions
/// can serve no signed-in visitor, so the load balancer should send them elsewhere.
async fn readiness(sessions: &dyn SessionStore) -> axum::response::Response {
    use axum::response::IntoResponse;
    match sessions.check_ready().await {
        Ok(()) => Json(HealthStatus { status: "ready" }).into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready: the session store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(HealthStatus {
                    status: "not_ready",
                }),
            )
                .into_response()
        }
    }
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
    if settings.client_secret.is_none() {
        tracing::warn!(
            "no client_secret: onboarding cannot tell visitors apart, so every sign-in counts \
             against the frontend's own address and one visitor's guesses throttle everyone"
        );
    }
    let sessions: Arc<dyn SessionStore> = match &settings.session_database {
        Some(database) => {
            let store = database.open().await?;
            tracing::info!("sessions are kept in the session database");
            tokio::spawn(store.clone().sweep_until(shutdown.clone()));
            Arc::new(store)
        }
        None => {
            tracing::warn!(
                "no database_url: sessions are kept in memory, so a restart signs everyone out \
                 and replicas do not share them"
            );
            Arc::new(InMemorySessionStore::new(
                SessionTimeouts::default(),
                InMemorySessionStore::DEFAULT_CAPACITY,
            ))
        }
    };
    axum::serve(
        listener,
        app_with_sessions(settings, sessions).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await
    .map_err(|error| StartupError::Serve {
        service: SERVICE.to_owned(),
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> ServiceUrls {
        let url = "http://127.0.0.1:1".to_owned();
        ServiceUrls {
            onboarding: url.clone(),
            applications: url.clone(),
            scoring: url.clone(),
            disbursement: url.clone(),
            accounts: url,
        }
    }

    #[test]
    fn settings_default_to_the_listeners_address_and_no_external_sign_in() {
        let settings = Settings::from_sources("frontend", None, &[]);
        let frontend =
            FrontendSettings::from_settings(services(), &settings, "http://127.0.0.1:8080")
                .unwrap();
        assert_eq!(frontend.public_url, "http://127.0.0.1:8080");
        assert!(frontend.client_secret.is_none());
        assert!(!frontend.served_over_tls);
        assert_eq!(frontend.trusted_proxies, TrustedProxies::default());
    }

    #[test]
    fn trusted_proxies_are_read_from_the_environment_and_a_bad_one_stops_start_up() {
        let environment = [(
            "IMKON_FRONTEND_TRUSTED_PROXIES".to_owned(),
            "10.0.0.0/8, 192.0.2.1".to_owned(),
        )];
        let settings = Settings::from_sources("frontend", None, &environment);
        let frontend =
            FrontendSettings::from_settings(services(), &settings, "http://127.0.0.1:8080")
                .unwrap();
        assert_eq!(
            frontend.trusted_proxies,
            TrustedProxies::parse("10.0.0.0/8,192.0.2.1").unwrap()
        );
        let environment = [(
            "IMKON_FRONTEND_TRUSTED_PROXIES".to_owned(),
            "the load balancer".to_owned(),
        )];
        let settings = Settings::from_sources("frontend", None, &environment);
        let refused =
            FrontendSettings::from_settings(services(), &settings, "http://127.0.0.1:8080")
                .unwrap_err();
        assert!(refused.to_string().contains("trusted_proxies"), "{refused}");
    }

    #[test]
    fn a_session_database_needs_a_valid_key_and_none_keeps_sessions_in_memory() {
        let from = |pairs: &[(&str, &str)]| {
            let environment: Vec<(String, String)> = pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect();
            let settings = Settings::from_sources("frontend", None, &environment);
            FrontendSettings::from_settings(services(), &settings, "http://127.0.0.1:8080")
        };
        assert!(from(&[]).unwrap().session_database.is_none());
        let url = (
            "IMKON_FRONTEND_DATABASE_URL",
            "postgres://u:hunter2@db/frontend",
        );
        let missing = from(&[url]).unwrap_err();
        assert!(
            missing.to_string().contains("session_encryption_key"),
            "{missing}"
        );
        let short = from(&[url, ("IMKON_FRONTEND_SESSION_ENCRYPTION_KEY", "c2hvcnQ=")]);
        assert!(short.unwrap_err().to_string().contains("5 bytes, not 32"));
        let key = SessionEncryptionKey::generate().to_base64();
        let frontend = from(&[url, ("IMKON_FRONTEND_SESSION_ENCRYPTION_KEY", &key)]).unwrap();
        let database = frontend.session_database.as_ref().unwrap();
        assert_eq!(database.url.expose(), "postgres://u:hunter2@db/frontend");
        assert_eq!(
            database.max_connections,
            SessionDatabase::DEFAULT_MAX_CONNECTIONS
        );
        let printed = format!("{frontend:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains(&key),
            "{printed}"
        );
    }

    #[test]
    fn the_public_url_and_the_secret_come_from_the_environment_and_the_secret_is_never_printed() {
        let environment = [
            (
                "IMKON_FRONTEND_PUBLIC_URL".to_owned(),
                "https://imkon.example/".to_owned(),
            ),
            (
                "IMKON_FRONTEND_CLIENT_SECRET".to_owned(),
                "hunter2-hunter2".to_owned(),
            ),
        ];
        let settings = Settings::from_sources("frontend", None, &environment);
        let frontend =
            FrontendSettings::from_settings(services(), &settings, "http://127.0.0.1:8080")
                .unwrap();
        assert_eq!(frontend.public_url, "https://imkon.example");
        assert_eq!(
            frontend
                .client_secret
                .as_ref()
                .map(|secret| secret.expose().as_str()),
            Some("hunter2-hunter2")
        );
        assert!(!format!("{frontend:?}").contains("hunter2"));
    }
}
