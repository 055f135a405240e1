//! `imkon up | serve <service> | migrate <service> | dead-letters [replay <sequence>]`.

use std::path::PathBuf;
use std::process::ExitCode;

use imkon::local_postgres::{self, LocalPostgres};
use imkon::{PlatformOptions, SERVICES};
use imkon_platform::broker::JetStream;
use imkon_platform::config::{Secret, ServiceConfig, Settings};
use imkon_platform::outbox;
use imkon_platform::service::{self, StartupError};
use imkon_platform::telemetry::{self, LogFormat};

const USAGE: &str = "usage:
  imkon up                  every service and the frontend in one process, with demo data
                            (its own PostgreSQL in .imkon/ unless DATABASE_URL names a server)
  imkon serve <service>     one service: onboarding, applications, scoring, disbursement, accounts,
                            or frontend (which reads the services' addresses from <service>_url)
  imkon migrate <service>   apply a service's migrations to its database and exit
  imkon dead-letters [<service>]
                            list the events parked in NATS JetStream's dead-letter stream
                            (every service's, or one's), from the broker at nats_url
  imkon dead-letters replay <sequence>
                            send a parked event back to the service that parked it";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = arguments.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["up"] => report("up", run_async(up())),
        ["serve", "frontend"] => serve_frontend(),
        ["serve", name] => match SERVICES.iter().find(|(service, _)| service == name) {
            Some(&(service, port)) => {
                service::run_standalone(service, port, move |config, shutdown| async move {
                    let listener = service::bind(&config).await?;
                    imkon::run_service(config, listener, shutdown).await
                })
            }
            None => usage_error(&format!("unknown service `{name}`")),
        },
        ["migrate", name] => match SERVICES.iter().find(|(service, _)| service == name) {
            Some(&(service, port)) => report("migrate", run_async(migrate(service, port))),
            None => usage_error(&format!("unknown service `{name}`")),
        },
        ["dead-letters"] => report("dead-letters", run_async(list_dead_letters(None))),
        ["dead-letters", "replay", sequence] => match sequence.parse() {
            Ok(sequence) => report("dead-letters", run_async(replay_dead_letter(sequence))),
            Err(_) => usage_error(&format!("`{sequence}` is not a sequence number")),
        },
        ["dead-letters", name] => match SERVICES.iter().find(|(service, _)| service == name) {
            Some(&(service, _)) => {
                report("dead-letters", run_async(list_dead_letters(Some(service))))
            }
            None => usage_error(&format!("unknown service `{name}`")),
        },
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => usage_error("expected a command"),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("imkon: {message}\n{USAGE}");
    ExitCode::from(2)
}

fn run_async<F: std::future::Future<Output = Result<(), StartupError>>>(
    work: F,
) -> Result<(), StartupError> {
    tokio::runtime::Runtime::new()
        .map_err(|error| StartupError::Other(format!("cannot start the async runtime: {error}")))?
        .block_on(work)
}

fn report(command: &str, outcome: Result<(), StartupError>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("imkon {command}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The frontend on its own. Tracing starts before the async runtime, as for a service: the
/// trace exporter runs on a thread of its own.
fn serve_frontend() -> ExitCode {
    let prepared = Settings::load(imkon_frontend::SERVICE).and_then(|settings| {
        let format = settings.get_or("log_format", LogFormat::Pretty)?;
        Ok((settings, format))
    });
    let (settings, format) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return report("serve frontend", Err(error.into())),
    };
    let endpoint = service::otlp_endpoint(&settings).map(str::to_owned);
    let traces = match telemetry::init_tracing_exporting(
        format,
        imkon_frontend::SERVICE,
        endpoint.as_deref(),
    ) {
        Ok(traces) => traces,
        Err(error) => return report("serve frontend", Err(StartupError::Other(error))),
    };
    let outcome = run_async(async {
        imkon::serve_frontend(settings, imkon_platform::http::shutdown_on_signal()).await
    });
    drop(traces);
    report("serve frontend", outcome)
}

/// The broker the operator's settings name (`nats_url`, as the services read it).
async fn broker() -> Result<JetStream, StartupError> {
    let settings = Settings::load("dead_letters")?;
    Ok(outbox::broker_from_settings(&settings, "imkon-dead-letters").await?)
}

/// How many parked events one listing shows.
const DEAD_LETTER_LISTING: usize = 1000;

async fn list_dead_letters(service: Option<&str>) -> Result<(), StartupError> {
    let letters = broker()
        .await?
        .dead_letters(service, DEAD_LETTER_LISTING)
        .await
        .map_err(|error| StartupError::Other(error.to_string()))?;
    if letters.is_empty() {
        println!("No parked events.");
    }
    for letter in letters {
        let event = letter
            .event_id
            .map_or_else(|| "(no event id)".to_owned(), |id| id.to_string());
        println!(
            "{:>8}  {}  {:<13} {:<28} {}  after {} attempts: {}",
            letter.sequence,
            letter.parked_at.format("%Y-%m-%d %H:%M:%S"),
            letter.service,
            letter.topic,
            event,
            letter.attempts,
            letter.error
        );
    }
    Ok(())
}

async fn replay_dead_letter(sequence: u64) -> Result<(), StartupError> {
    let letter = broker()
        .await?
        .replay(sequence)
        .await
        .map_err(|error| StartupError::Other(error.to_string()))?;
    let operator = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    println!(
        "Sent {} event {:?} back to {} (dead letter {sequence}, replayed by {operator}).",
        letter.topic, letter.event_id, letter.service
    );
    Ok(())
}

async fn migrate(service_name: &'static str, port: u16) -> Result<(), StartupError> {
    telemetry::init_tracing(LogFormat::Pretty);
    let config = ServiceConfig::from_settings(Settings::load(service_name)?, port)?;
    let migrator = match service_name {
        imkon_onboarding::SERVICE => imkon_onboarding::migrator(),
        imkon_applications::SERVICE => imkon_applications::migrator(),
        imkon_scoring::SERVICE => imkon_scoring::migrator(),
        imkon_disbursement::SERVICE => imkon_disbursement::migrator(),
        _ => imkon_accounts::migrator(),
    };
    service::connect_and_migrate(&config, &migrator).await?;
    println!("{service_name}: migrations applied");
    Ok(())
}

async fn up() -> Result<(), StartupError> {
    telemetry::init_tracing(LogFormat::Pretty);
    let project_dir = std::env::var("IMKON_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("."));
    let local = match std::env::var("DATABASE_URL") {
        Ok(_) => None,
        Err(_) => {
            let port = match std::env::var("IMKON_PG_PORT") {
                Ok(text) => text.parse().map_err(|_| {
                    StartupError::Other(format!("IMKON_PG_PORT `{text}` is not a port number"))
                })?,
                Err(_) => local_postgres::DEFAULT_PORT,
            };
            let data_dir = project_dir.join(".imkon").join("pgdata");
            Some(LocalPostgres::start(&data_dir, port).map_err(StartupError::Other)?)
        }
    };
    let server_url = match (&local, std::env::var("DATABASE_URL")) {
        (Some(cluster), _) => cluster.server_url(),
        (None, Ok(url)) => Secret::new(url),
        (None, Err(_)) => {
            unreachable!("a local cluster is started whenever DATABASE_URL is absent")
        }
    };
    // A run that must not touch the usual `imkon_<service>` databases (the fuzzer's) names
    // its own prefix.
    let prefix = std::env::var("IMKON_DATABASE_PREFIX").unwrap_or_else(|_| "imkon".to_owned());
    if prefix.is_empty()
        || !prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(StartupError::Other(format!(
            "IMKON_DATABASE_PREFIX `{prefix}` must be lowercase letters, digits and underscores"
        )));
    }
    let mut options = PlatformOptions::new(server_url, &prefix, false);
    options.demo_data = true;
    let outcome = async {
        let platform = imkon::start(&options).await?;
        println!("\nImkon is up. Services:");
        for (name, url) in &platform.urls {
            if name == imkon_frontend::SERVICE {
                println!("  {name:<13} {url}   (open this one in a browser)");
            } else {
                println!("  {name:<13} {url}   (API document: {url}/openapi.json)");
            }
        }
        println!("\nDemo logins (password login at onboarding's POST /v1/auth/password):");
        for login in imkon_onboarding::demo_logins().0 {
            let roles: Vec<&str> = login.roles.iter().map(|role| role.as_str()).collect();
            println!(
                "  {:<10} {:<22} {:<16} {}",
                login.username,
                login.password,
                roles.join(","),
                login.description
            );
            if let Some(secret) = &login.totp_secret {
                println!("  {:<10} second factor (TOTP) secret: {secret}", "");
            }
        }
        println!(
            "\nStaff enter a six-digit code after the password: add the secret to an \
             authenticator app, or run `oathtool --totp -b <secret>`."
        );
        println!("\nPress Ctrl-C to stop everything.");
        let stop = imkon_platform::http::shutdown_on_signal();
        platform.run_until(stop).await
    }
    .await;
    if let Some(cluster) = local {
        if let Err(error) = cluster.stop() {
            eprintln!("imkon up: {error}");
        }
    }
    outcome
}
