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
//!   `audience` a service name; the frontend's client may not use `client_credentials`, so it
//!   only ever acts for a signed-in person, and a service gets tokens only for the audiences
//!   `imkon_auth::policy` lists for it, with that policy's scopes, else 400 `invalid_scope`),
//!   `GET /.well-known/jwks.json`. Staff who decide or
//!   move money (and anyone enrolled) get a 202 second-factor challenge from the password
//!   login and from the authorization-code grant instead of the token: `step` `enrol` (with
//!   the new secret, its `otpauth://` URI and a QR code as SVG) or `verify`; then
//!   `POST /v1/auth/second-factor` (JSON `{challenge, code}`, a TOTP or recovery code; 401
//!   `invalid_code` or `invalid_challenge`, 429 `login_locked`) answers as the login would,
//!   with ten recovery codes once at enrolment.
//! - External login: `GET /v1/auth/external/{provider}/start?redirect_uri=&state=` (302 to
//!   the provider; the redirect URI must be a configured one, else 400),
//!   `GET /v1/auth/external/{provider}/callback` (302 back to the frontend with a one-time
//!   code; 400 `invalid_state`, 403 `not_provisioned` for an unlinked staff subject), and
//!   `POST /v1/oauth/token` `grant_type=authorization_code` (the frontend's client id and
//!   secret; answers as a password login does; 400 `invalid_grant` for a used or expired
//!   code). OneID logins find the client by PINFL and create the profile on the first.
//! - Development only (`dev_identity_provider=true`): a OneID-compatible provider with demo
//!   citizens under `/dev-idp/` (authorize page, token and identify).
//! - Staff (admin): `POST /v1/staff`, `POST /v1/staff/{id}/roles`,
//!   `POST /v1/staff/{id}/roles/revoke`, `POST /v1/staff/{id}/disable` (ends its sessions;
//!   409 `last_admin`), `…/enable`, `…/unlock`, `…/one-time-password` (the next sign-in answers
//!   202 `step` `change_password`), `POST /v1/staff/{id}/external-identities` (links a staff
//!   provider subject). Refusals: 403 `own_roles`/`own_account`, 422 `not_a_staff_account`;
//!   a disabled account's sign-in and refresh answer 403 `account_disabled`.
//! - Passwords: `POST /v1/me/password` (anyone signed in; old one required, 422
//!   `wrong_password` on `old_password`; other sessions end), `POST /v1/password-resets` (public; 202 whether or
//!   not the address is a founder's; emails a 30-minute single-use link through the mail
//!   outbox), `POST /v1/password-resets/complete` (`{ticket, new_password}`; 400
//!   `invalid_ticket`).
//! - Profile (founder): `POST /v1/registrations` (public), `GET|PUT /v1/me/profile`,
//!   `GET|POST /v1/me/companies`, `GET|POST /v1/me/documents` (multipart upload),
//!   `GET /v1/documents/{id}` and `GET /v1/clients/{id}/documents` (the owner, or a KYC
//!   officer, credit officer or approver), `GET /v1/me/kyc`,
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
//! Token signing keys (admin): `GET|POST /v1/token-signing-keys` (list; generate and publish
//! one, `{kid}`; 409 `kid_taken` or `key_sealing_not_configured`),
//! `POST /v1/token-signing-keys/{kid}/activate` (it signs from now on; 409 `key_unusable`),
//! `…/retire` (no longer published; 409 `key_signing` for the signer). See [`token_keys`].
//!
//! Settings beyond the platform's: `token_key_id`, `token_signing_key` (required; the
//! configured signing key, stored as the first key), `token_key_sealing_key` (optional: 32
//! bytes in base64 sealing the generated keys),
//! `service_client_secrets` (JSON object of service name to secret; absent: no client
//! credentials), `login_failures_to_lock`, `login_lock_duration_seconds`,
//! `login_attempts_per_address`, `login_address_window_seconds`,
//! `refresh_token_lifetime_seconds`, `password_reset_url` (the frontend's reset page), the
//! mail relay (`mail_smtp_host`, `mail_smtp_port`, `mail_smtp_tls`, `mail_smtp_username`,
//! `mail_smtp_password`, `mail_smtp_ca_file`, `mail_from`; see `imkon_platform::mail`),
//! `second_factor_key` (required: 32 bytes in base64 that
//! seal the TOTP secrets); for external login `public_url` (onboarding's URL as
//! browsers reach it), `external_login_redirect_uris` (JSON array), `external_providers`
//! (JSON object of name to `{"kind": "oidc"|"oneid", …}`, see `config::ExternalLoginSettings`;
//! an `oidc` provider names its `issuer` and `jwks_url`, against which id_tokens are verified)
//! and `dev_identity_provider` (false unless set; never in production). The frontend's
//! client id `frontend` and its secret belong in `service_client_secrets`.
//!
//! Build note: argon2id with the OWASP parameters is slow in unoptimised builds (seconds per
//! hash), which makes the tests slow. The workspace should set
//! `[profile.dev.package.argon2] opt-level = 3` (and the same for `blake2`) in the root
//! `Cargo.toml`.

pub mod accounts;
pub mod config;
pub mod db;
pub mod dev_identity_provider;
pub mod domain;
pub mod error;
pub mod http;
pub mod identity_providers;
pub mod kyc;
pub mod password;
pub mod seed;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token_keys;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::Router;
use imkon_auth::{Audience, Principal, TokenIssuer, TokenVerifier};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::config::{HttpLimits, ServiceConfig};
use imkon_platform::service::StartupError;
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::{auth_settings, events, mail, outbox, service};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::{
    ExternalLoginSettings, LoginSettings, ProviderKind, ProviderSettings, ServiceClientSecrets,
};
use crate::dev_identity_provider::DevIdentityProvider;
use crate::domain::token_keys::KeySealingKey;
use crate::domain::totp::SecondFactorKey;
pub use crate::seed::{
    demo_logins, demo_totp_code, demo_totp_secret, seed_demo, DemoLogin, DemoLogins,
};
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
    /// Signs the platform's access tokens, with the signing key `token_keys` chose.
    pub issuer: TokenIssuer,
    /// The private halves of the signing keys (see [`token_keys`]).
    pub token_keys: Arc<token_keys::TokenKeys>,
    pub login: LoginSettings,
    /// The services allowed the client-credentials grant (and the frontend's secret).
    pub service_clients: ServiceClientSecrets,
    pub external: Arc<ExternalLogin>,
    /// Seals the staff's TOTP secrets in the database.
    pub second_factor_key: SecondFactorKey,
    /// The bank's calendar: ages, passports' validity and KYC checks are on its today.
    pub calendar: BankCalendar,
}

/// External login: the providers, the HTTP client that calls them, and the development
/// identity provider when it is enabled.
pub struct ExternalLogin {
    pub settings: ExternalLoginSettings,
    pub http: reqwest::Client,
    pub dev_identity_provider: Option<Arc<DevIdentityProvider>>,
}

/// The client id onboarding has at the development identity provider.
pub const DEV_IDENTITY_PROVIDER_CLIENT_ID: &str = "imkon-onboarding";

impl ExternalLogin {
    /// External login as configured. With `dev_identity_provider` set, the development
    /// provider is created (with a fresh client secret) and, unless a real `oneid` provider
    /// is configured, serves as `oneid`.
    pub fn new(mut settings: ExternalLoginSettings) -> Result<ExternalLogin, String> {
        let http_client = identity_providers::provider_http_client()
            .map_err(|error| format!("the identity providers' HTTP client: {error}"))?;
        let dev_identity_provider = match (&settings.public_url, settings.dev_identity_provider) {
            (Some(public_url), true) => {
                tracing::warn!(
                    "DEVELOPMENT ONLY: the development identity provider is enabled at /dev-idp/; \
                     anyone can log in as its demo citizens. Never enable it in production."
                );
                let base = public_url.as_str().trim_end_matches('/').to_owned();
                let client_secret = http::external_login::random_secret();
                let callback_url = format!("{base}/v1/auth/external/oneid/callback");
                if !settings.providers.contains_key("oneid") {
                    let endpoint = |path: &str| {
                        url::Url::parse(&format!("{base}{path}"))
                            .map_err(|error| format!("public_url: {error}"))
                    };
                    settings.providers.insert(
                        "oneid".to_owned(),
                        ProviderSettings {
                            kind: ProviderKind::OneId,
                            authorization_url: endpoint("/dev-idp/authorize")?,
                            token_url: endpoint("/dev-idp/token")?,
                            userinfo_url: None,
                            issuer: None,
                            jwks_url: None,
                            client_id: DEV_IDENTITY_PROVIDER_CLIENT_ID.to_owned(),
                            client_secret: client_secret.clone(),
                            scopes: vec!["dev".to_owned()],
                        },
                    );
                }
                Some(Arc::new(DevIdentityProvider::new(
                    DEV_IDENTITY_PROVIDER_CLIENT_ID,
                    &client_secret,
                    &callback_url,
                )))
            }
            _ => None,
        };
        Ok(ExternalLogin {
            settings,
            http: http_client,
            dev_identity_provider,
        })
    }
}

impl AppState {
    /// A state with the default login policy, no service clients and a fresh second-factor
    /// key.
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
            token_keys: Arc::new(token_keys::TokenKeys {
                configured: issuer.signing_key(),
                sealing: Some(KeySealingKey::generate()),
            }),
            issuer,
            login: LoginSettings::default(),
            service_clients: ServiceClientSecrets::default(),
            external: Arc::new(ExternalLogin {
                settings: ExternalLoginSettings::default(),
                http: reqwest::Client::new(),
                dev_identity_provider: None,
            }),
            second_factor_key: SecondFactorKey::generate(),
            calendar: BankCalendar::default(),
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
        http::second_factor::complete_login,
        http::staff::create_staff_account,
        http::staff::list_staff_accounts,
        http::staff::grant_roles,
        http::staff::revoke_roles,
        http::staff::disable_account,
        http::staff::enable_account,
        http::staff::unlock_account,
        http::staff::issue_one_time_password,
        http::passwords::change_own_password,
        http::passwords::request_reset,
        http::passwords::complete_with_ticket,
        http::staff::link_external_identity,
        http::token_signing_keys::list_keys,
        http::token_signing_keys::generate_key,
        http::token_signing_keys::activate_key,
        http::token_signing_keys::retire_key,
        http::external_login::start_login,
        http::external_login::finish_login,
        http::external_login::start_linking,
        http::profile::register_founder,
        http::profile::read_own_profile,
        http::profile::update_own_profile,
        http::companies::register_company,
        http::companies::list_own_companies,
        http::clients::read_client_summary,
        http::client_file::read_client_file,
        http::client_file::search_clients,
        http::client_file::client_names,
        http::documents::upload_document,
        http::documents::list_own_documents,
        http::documents::list_client_documents,
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
        http::kyc::resolve_hit,
        http::kyc::list_open_hits,
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
        .merge(http::second_factor::router())
        .merge(http::staff::router())
        .merge(http::token_signing_keys::router())
        .merge(http::passwords::router())
        .merge(http::profile::router())
        .merge(http::companies::router())
        .merge(http::clients::router())
        .merge(http::client_file::router())
        .merge(http::documents::router())
        .merge(http::kyc::router())
        .merge(http::external_login::router())
        .with_state(state.clone());
    let api = events::router(
        state.pool.clone(),
        state.verifier.clone(),
        events::NoSubscriptions,
    )
    .merge(imkon_platform::audit_trail::router(
        state.pool.clone(),
        state.verifier.clone(),
    ))
    .merge(own_routes);
    let api = match &state.external.dev_identity_provider {
        Some(provider) => api.merge(dev_identity_provider::router(provider.clone())),
        None => api,
    };
    let mut document = ApiDoc::openapi();
    document.merge(events::EventsApi::openapi());
    document.merge(imkon_platform::audit_trail::AuditTrailApi::openapi());
    imkon_platform::http::service_router(SERVICE, api, document, state.pool, &state.limits)
}

/// Reads `second_factor_key`: 32 bytes in base64 that seal the TOTP secrets. Required: with
/// another key every enrolled member of staff would have to enrol again.
fn second_factor_key(
    settings: &imkon_platform::config::Settings,
) -> Result<SecondFactorKey, StartupError> {
    let text = settings.require_secret(SECOND_FACTOR_KEY_SETTING)?;
    Ok(SecondFactorKey::from_base64(text.expose())
        .map_err(|reason| settings.invalid(SECOND_FACTOR_KEY_SETTING, reason))?)
}

/// The setting that holds the second-factor key (`IMKON_ONBOARDING_SECOND_FACTOR_KEY`).
pub const SECOND_FACTOR_KEY_SETTING: &str = "second_factor_key";

/// The setting that holds the key sealing generated token signing keys
/// (`IMKON_ONBOARDING_TOKEN_KEY_SEALING_KEY`): 32 bytes in base64. Optional: without it the
/// configured key is the only one, and `POST /v1/token-signing-keys` answers 409.
pub const TOKEN_KEY_SEALING_KEY_SETTING: &str = "token_key_sealing_key";

fn token_key_sealing_key(
    settings: &imkon_platform::config::Settings,
) -> Result<Option<KeySealingKey>, StartupError> {
    if settings.raw(TOKEN_KEY_SEALING_KEY_SETTING).is_none() {
        return Ok(None);
    }
    let text = settings.require_secret(TOKEN_KEY_SEALING_KEY_SETTING)?;
    Ok(Some(KeySealingKey::from_base64(text.expose()).map_err(
        |reason| settings.invalid(TOKEN_KEY_SEALING_KEY_SETTING, reason),
    )?))
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
    // Onboarding trusts exactly the keys it publishes, read from its database below, rather
    // than `token_public_keys` or `token_jwks_url`: it is their source.
    let issuer = auth_settings::token_issuer(&config.settings)?;
    let issuer_name = issuer.issuer().to_owned();
    let verifier = TokenVerifier::trusting(
        imkon_auth::TrustedKeys::not_loaded(),
        &issuer_name,
        Audience::Onboarding,
    )
    .map_err(|error| config.settings.invalid("token_issuer", error.to_string()))?;
    let token_keys = token_keys::TokenKeys {
        configured: issuer.signing_key(),
        sealing: token_key_sealing_key(&config.settings)?,
    };
    let login = LoginSettings::from_settings(&config.settings)?;
    let service_clients = ServiceClientSecrets::from_settings(&config.settings)?;
    let external = ExternalLogin::new(ExternalLoginSettings::from_settings(&config.settings)?)
        .map_err(StartupError::Other)?;
    let second_factor_key = second_factor_key(&config.settings)?;
    let pool = service::connect_and_migrate(&config, &migrator()).await?;
    if config.demo_data {
        seed_demo(&pool, &second_factor_key, &config.calendar)
            .await
            .map_err(|error| {
                StartupError::Other(format!("loading the demo clients failed: {error}"))
            })?;
    }
    // Onboarding signs its own service tokens: it is the issuer every service trusts.
    let own_principal = Principal::service(imkon_platform::id::new_id(), Some(SERVICE.to_owned()))
        .map_err(|error| StartupError::Other(format!("onboarding's service principal: {error}")))?;
    let tokens = ServiceTokens::local(issuer.clone(), own_principal);
    let transport = outbox::EventTransport::from_settings(&config.settings).await?;
    outbox::spawn_relay(
        pool.clone(),
        &config.settings,
        tokens,
        &transport,
        shutdown.clone(),
    )?;
    // Without a relay configured, password reset emails wait in the mail outbox.
    match mail::MailSettings::from_settings(&config.settings)? {
        Some(settings) => {
            let mailer = mail::Mailer::new(&settings)
                .map_err(|error| StartupError::Other(format!("the mail relay: {error}")))?;
            mail::spawn_sender(pool.clone(), mailer, shutdown.clone());
        }
        None => tracing::warn!("no mail_smtp_host: password reset emails are not sent"),
    }
    let state = AppState {
        pool,
        limits: config.limits,
        verifier,
        token_keys: Arc::new(token_keys),
        issuer,
        login,
        service_clients,
        external: Arc::new(external),
        second_factor_key,
        calendar: config.calendar.clone(),
    };
    token_keys::start(&state, shutdown.clone())
        .await
        .map_err(|error| StartupError::Other(format!("the token signing keys: {error}")))?;
    service::serve(&config, listener, app(state), shutdown).await
}
