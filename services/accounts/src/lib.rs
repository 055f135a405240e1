//! The accounts service: clients' accounts and the bank's double-entry ledger.
//!
//! A library with a thin binary: `app` builds the router (tests serve it on port 0), and
//! `run` starts the service from its configuration, as `imkon serve accounts` and `imkon up` do.
//!
//! - [`domain`]: account numbers, accounts, transfers, postings, holds, client transfers.
//! - [`ledger`]: the batching writer every transfer goes through (the hot-account design).
//! - [`account_ids`]: account numbers resolved to ids, remembered by the process.
//! - [`standing_orders`]: the daily run that pays clients' standing orders.
//! - [`deposits`]: term deposits through their life: opening, daily interest, periods paid,
//!   maturity and early closure.
//! - [`http`]: the API; [`db`]: every SQL statement; [`events`]: the KYC consumer and the
//!   `account.money_moved` announcements.

pub mod account_ids;
pub mod bill_payments;
pub mod billing;
pub mod clearing;
pub mod db;
pub mod deposits;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
pub mod interbank;
pub mod ledger;
pub mod opening;
pub mod outgoing;
pub mod standing_orders;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::Router;
use imkon_auth::{Audience, TokenVerifier};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::client::ServiceClient;
use imkon_platform::config::{HttpLimits, ServiceConfig};
use imkon_platform::service::StartupError;
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::{auth_settings, db as platform_db, outbox, service};
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::account_ids::AccountIds;
use crate::billing::{BillingSystem, SimulatedBilling};
use crate::clearing::{Clearing, SimulatedClearing};
use crate::domain::account_number::BankCode;
use crate::domain::client_transfer::ClientTransferPolicy;
use crate::error::AccountsError;
use crate::ledger::LedgerWriter;

/// The service's name: its database, its configuration table, its token audience.
pub const SERVICE: &str = "accounts";

/// How long one delivery of an event to a subscriber may take.
const EVENT_DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The port it listens on in development.
pub const DEFAULT_PORT: u16 = 8085;

/// How many open current accounts a client may hold per currency unless
/// `current_accounts_per_currency` is configured.
pub const DEFAULT_CURRENT_ACCOUNTS_PER_CURRENCY: u32 = 1;

/// The bank's MFO code used in account numbers unless `bank_code` is configured.
pub const DEFAULT_BANK_CODE: &str = "00873";

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/accounts");

/// The platform's migrations and this service's, in order.
pub fn migrator() -> Migrator {
    platform_db::migrator_with_platform(&MIGRATIONS)
}

/// The default bank code, parsed.
pub fn default_bank_code() -> BankCode {
    BankCode::parse(DEFAULT_BANK_CODE).expect("the default bank code is five digits")
}

/// What every request handler of this service can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub limits: HttpLimits,
    pub verifier: TokenVerifier,
    /// The handle of this process's one ledger writer.
    pub ledger: LedgerWriter,
    /// The bank's MFO code, part of every account number's check digit.
    pub bank: BankCode,
    /// Limits on clients' own transfers.
    pub client_transfer_policy: ClientTransferPolicy,
    /// The bank's calendar: the day a daily limit counts, a statement's days.
    pub calendar: BankCalendar,
    /// Account numbers already resolved to ids.
    pub account_ids: Arc<AccountIds>,
    /// How many open current accounts a client may hold in one currency.
    pub current_accounts_per_currency: u32,
    /// The payees' billing system: the simulated one inside the platform, until a real
    /// adapter is written against the same interface.
    pub billing: Arc<dyn BillingSystem>,
    /// The interbank clearing: the simulated clearing house inside the platform, until a real
    /// adapter is written against the same interface.
    pub clearing: Arc<dyn Clearing>,
}

/// Connections of their own for a simulated outside system (the demo's billing system and
/// clearing house), to the service's database: a real one answers over the network, never
/// from the service's pool, so a request that holds a pooled connection while it asks one
/// must not wait for another from the same pool.
fn simulated_system_pool(pool: &PgPool) -> PgPool {
    PgPoolOptions::new()
        .max_connections(SIMULATED_SYSTEM_CONNECTIONS)
        .connect_lazy_with((*pool.connect_options()).clone())
}

/// How many connections each simulated outside system keeps.
const SIMULATED_SYSTEM_CONNECTIONS: u32 = 2;

impl AppState {
    /// The state with the default bank code, the standard client policy and the bank's
    /// default calendar on the system clock; starts the ledger writer on the current runtime.
    pub fn new(pool: PgPool, limits: HttpLimits, verifier: TokenVerifier) -> AppState {
        AppState::with_calendar(pool, limits, verifier, BankCalendar::default())
    }

    /// Like [`AppState::new`], on `calendar` (the ledger stamps transfers by its clock).
    pub fn with_calendar(
        pool: PgPool,
        limits: HttpLimits,
        verifier: TokenVerifier,
        calendar: BankCalendar,
    ) -> AppState {
        AppState {
            ledger: LedgerWriter::start(&pool, calendar.clock()),
            billing: Arc::new(SimulatedBilling::new(
                simulated_system_pool(&pool),
                calendar.clone(),
            )),
            clearing: Arc::new(SimulatedClearing::new(
                simulated_system_pool(&pool),
                calendar.clone(),
            )),
            pool,
            limits,
            verifier,
            bank: default_bank_code(),
            client_transfer_policy: ClientTransferPolicy::standard(),
            calendar,
            account_ids: Arc::default(),
            current_accounts_per_currency: DEFAULT_CURRENT_ACCOUNTS_PER_CURRENCY,
        }
    }
}

impl FromRef<AppState> for TokenVerifier {
    fn from_ref(state: &AppState) -> TokenVerifier {
        state.verifier.clone()
    }
}

/// The service's complete router, platform endpoints and layers included.
pub fn app(state: AppState) -> Router {
    let consumer = events::KycApprovedConsumer { bank: state.bank };
    let api = http::router(state.clone())
        .merge(imkon_platform::events::router(
            state.pool.clone(),
            state.verifier.clone(),
            consumer,
        ))
        .merge(imkon_platform::audit_trail::router(
            state.pool.clone(),
            state.verifier.clone(),
        ));
    let mut document = http::ApiDoc::openapi();
    document.merge(imkon_platform::events::EventsApi::openapi());
    document.merge(imkon_platform::audit_trail::AuditTrailApi::openapi());
    imkon_platform::http::service_router(SERVICE, api, document, state.pool, &state.limits)
}

/// Opens the bank's own demonstration accounts (settlement, interest income, penalty income in
/// sums) under the default bank code, and publishes the demonstration's exchange rates from the
/// calendar's now. Idempotent: safe to call on every start.
pub async fn seed_demo(pool: &PgPool, calendar: &BankCalendar) -> Result<(), AccountsError> {
    opening::seed_demo(pool, default_bank_code(), calendar.now()).await
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
    let verifier = auth_settings::token_verifier(&config.settings, Audience::Accounts)?;
    let bank_code: String = config
        .settings
        .get_or("bank_code", DEFAULT_BANK_CODE.to_owned())?;
    let bank = BankCode::parse(&bank_code)
        .map_err(|error| config.settings.invalid("bank_code", error.to_string()))?;
    let pool = service::connect_and_migrate(&config, &migrator()).await?;
    // The relay delivers this service's events (a client's money moved) to their subscribers.
    let client = ServiceClient::new(EVENT_DELIVERY_TIMEOUT)
        .map_err(|error| StartupError::Other(format!("cannot build the HTTP client: {error}")))?;
    let tokens = ServiceTokens::from_settings(&config.settings, client)?;
    let transport = outbox::EventTransport::from_settings(&config.settings).await?;
    outbox::spawn_relay(
        pool.clone(),
        &config.settings,
        tokens,
        &transport,
        shutdown.clone(),
    )?;
    transport.spawn_consumer(
        pool.clone(),
        SERVICE,
        events::KycApprovedConsumer { bank },
        shutdown.clone(),
    );
    if config.demo_data {
        opening::seed_demo(&pool, bank, config.calendar.now())
            .await
            .map_err(|error| {
                StartupError::Other(format!("opening the bank's demo accounts failed: {error}"))
            })?;
    }
    let current_accounts_per_currency: u32 = config.settings.get_or(
        "current_accounts_per_currency",
        DEFAULT_CURRENT_ACCOUNTS_PER_CURRENCY,
    )?;
    if current_accounts_per_currency == 0 {
        return Err(config
            .settings
            .invalid(
                "current_accounts_per_currency",
                "at least one account per currency",
            )
            .into());
    }
    let mut state = AppState::with_calendar(pool, config.limits, verifier, config.calendar.clone());
    state.bank = bank;
    state.current_accounts_per_currency = current_accounts_per_currency;
    standing_orders::spawn_daily(state.clone(), shutdown.clone());
    deposits::spawn_daily(state.clone(), shutdown.clone());
    bill_payments::spawn_retries(state.clone(), shutdown.clone());
    interbank::spawn_clearing(state.clone(), shutdown.clone());
    service::serve(&config, listener, app(state), shutdown).await
}
