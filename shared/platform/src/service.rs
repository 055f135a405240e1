//! Starting a service: configuration, database, migrations, listener, and errors an operator
//! can act on.

use sqlx::migrate::Migrator;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::{ConfigError, ServiceConfig};
use crate::db::{self, DatabaseError};

/// Why a service could not start. Each message is one line saying what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("cannot listen on {addr} for {service}: {reason}; set IMKON_{env_service}_LISTEN_ADDR to a free address")]
    Bind {
        service: String,
        env_service: String,
        addr: String,
        reason: String,
    },
    #[error("{service} stopped serving: {reason}")]
    Serve { service: String, reason: String },
    #[error("{0}")]
    Other(String),
}

/// Connects to the database and applies the migrations.
pub async fn connect_and_migrate(
    config: &ServiceConfig,
    migrator: &Migrator,
) -> Result<PgPool, StartupError> {
    let pool = db::connect(&config.database_url, config.database_max_connections).await?;
    db::migrate(&pool, migrator).await?;
    Ok(pool)
}

/// Binds the service's address, refusing with a clear message when it is taken.
pub async fn bind(config: &ServiceConfig) -> Result<TcpListener, StartupError> {
    TcpListener::bind(config.listen_addr)
        .await
        .map_err(|error| StartupError::Bind {
            service: config.service.clone(),
            env_service: config.service.to_ascii_uppercase(),
            addr: config.listen_addr.to_string(),
            reason: error.to_string(),
        })
}

/// Serves the app until shutdown, mapping an I/O failure to a start-up error.
pub async fn serve(
    config: &ServiceConfig,
    listener: TcpListener,
    app: axum::Router,
    shutdown: tokio_util::sync::CancellationToken,
) -> Result<(), StartupError> {
    tracing::info!(service = %config.service, addr = %config.listen_addr, "serving");
    crate::http::serve(listener, app, shutdown)
        .await
        .map_err(|error| StartupError::Serve {
            service: config.service.clone(),
            reason: error.to_string(),
        })
}

/// The whole life of a one-service process: configuration, logging, serving until a signal,
/// and one clear line on stderr (exit code 1) when it cannot start.
pub fn run_standalone<F, Fut>(
    service: &'static str,
    default_port: u16,
    run: F,
) -> std::process::ExitCode
where
    F: FnOnce(ServiceConfig, tokio_util::sync::CancellationToken) -> Fut,
    Fut: std::future::Future<Output = Result<(), StartupError>>,
{
    let config = match crate::config::Settings::load(service)
        .and_then(|settings| ServiceConfig::from_settings(settings, default_port))
    {
        Ok(config) => config,
        Err(error) => {
            eprintln!("imkon {service}: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("imkon {service}: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let traces = match crate::telemetry::init_tracing_exporting(
        config.log_format,
        service,
        otlp_endpoint(&config.settings),
    ) {
        Ok(traces) => traces,
        Err(error) => {
            eprintln!("imkon {service}: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        let shutdown = crate::http::shutdown_on_signal();
        run(config, shutdown).await
    });
    // Sends the spans of the last moments before the process ends.
    drop(traces);
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("imkon {service}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The OpenTelemetry collector's OTLP/HTTP address (`otlp_endpoint`, such as
/// `http://otel-collector:4318`), when traces are to be exported.
pub fn otlp_endpoint(settings: &crate::config::Settings) -> Option<&str> {
    settings
        .raw("otlp_endpoint")
        .map(str::trim)
        .filter(|endpoint| !endpoint.is_empty())
}
