//! The frontend with a schedule preview answered by the disbursement domain and, when
//! `DATABASE_URL` is set, the real onboarding and applications services with their demo data:
//! the server the browser tests drive, and a quick look at the pages for a developer.
//!
//! `cargo run -p imkon-frontend --example frontend-demo` prints
//! `frontend listening on http://127.0.0.1:PORT` once it accepts connections, and serves until
//! interrupted (SIGINT or SIGTERM). `FRONTEND_DEMO_PORT` picks the port (a free one by default).
//!
//! With `DATABASE_URL` (a server where the user may create databases), the demo creates four
//! fresh databases, `frontend_demo_<random>_onboarding`, `…_applications`, `…_accounts` and
//! `…_disbursement`, migrates and seeds them, and drops them when it stops. founder1 then has
//! a current account with money in it, a loan paid out into it and a loan awaiting signature;
//! the real disbursement service answers the schedule preview too. Onboarding's and
//! applications' events are relayed as in a deployment, so a founder who registers through the
//! pages gets an account once KYC approves them, and an approved loan becomes a contract to
//! sign. The demo logins are those of
//! `imkon_onboarding::demo_logins()` (founder1 / founder1-demo-pass and so on) and `dual1` /
//! `dual1-demo-pass`, a credit officer who is also an approver.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::error::Error;
use std::io::Write;
use std::str::FromStr;
use std::time::Duration;

use imkon_auth::{Audience, Principal};
use imkon_frontend::ServiceUrls;
use imkon_platform::client::ServiceClient;
use imkon_platform::outbox::{HttpPublisher, Relay, RelaySettings, Subscriber};
use imkon_platform::service_tokens::ServiceTokens;
use rand::RngCore;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use support::services::{client_id_of, MoneyServices, Services};

/// Starts the outbox relays of onboarding and applications with the deployment's event routing
/// (as `imkon::start` wires it), so that a KYC approval opens the founder's current account and
/// an approved application becomes a contract, until `shutdown` is cancelled. The demo data
/// writes nothing to the outboxes, so only what is done through the pages is relayed.
fn spawn_relays(
    services: &Services,
    money: &MoneyServices,
    shutdown: &CancellationToken,
) -> Result<(), Box<dyn Error>> {
    let subscriber = |url: String, audience: Audience| Subscriber {
        events_url: format!("{url}/v1/events"),
        audience,
    };
    let accounts = subscriber(money.accounts.url(""), Audience::Accounts);
    let applications = subscriber(services.applications.url(""), Audience::Applications);
    let disbursement = subscriber(money.disbursement.url(""), Audience::Disbursement);
    let onboarding_routes = BTreeMap::from([
        (
            "client.kyc_approved".to_owned(),
            vec![accounts, applications.clone()],
        ),
        ("client.kyc_rejected".to_owned(), vec![applications.clone()]),
        ("company.kyc_approved".to_owned(), vec![applications]),
    ]);
    let applications_routes =
        BTreeMap::from([("application.approved".to_owned(), vec![disbursement])]);
    for (name, pool, routes) in [
        (
            "onboarding",
            services.onboarding_pool.clone(),
            onboarding_routes,
        ),
        (
            "applications",
            services.applications_pool.clone(),
            applications_routes,
        ),
    ] {
        let caller = Principal::service(Uuid::now_v7(), Some(name.to_owned()))?;
        let publisher = HttpPublisher::new(
            ServiceClient::new(Duration::from_secs(10))?,
            ServiceTokens::local(services.issuer.clone(), caller),
            routes,
        );
        tokio::spawn(Relay::new(pool, publisher, RelaySettings::default()).run(shutdown.clone()));
    }
    Ok(())
}

/// Fresh databases for the demo's services, dropped by [`DemoDatabases::drop_all`].
struct DemoDatabases {
    admin: PgConnectOptions,
    names: [String; 4],
}

impl DemoDatabases {
    async fn create(url: &str) -> Result<DemoDatabases, Box<dyn Error>> {
        let admin = PgConnectOptions::from_str(url)?;
        let mut suffix = [0u8; 6];
        rand::rngs::OsRng.fill_bytes(&mut suffix);
        let suffix: String = suffix.iter().map(|byte| format!("{byte:02x}")).collect();
        let names = [
            format!("frontend_demo_{suffix}_onboarding"),
            format!("frontend_demo_{suffix}_applications"),
            format!("frontend_demo_{suffix}_accounts"),
            format!("frontend_demo_{suffix}_disbursement"),
        ];
        let mut connection = admin.connect().await?;
        for name in &names {
            // The names are made here of letters, digits and underscores only.
            sqlx::query(&format!("create database {name}"))
                .execute(&mut connection)
                .await?;
        }
        connection.close().await?;
        Ok(DemoDatabases { admin, names })
    }

    /// Starts the services with their demo data, then their event relays (stopped by
    /// `shutdown`).
    async fn start_services(
        &self,
        shutdown: &CancellationToken,
    ) -> Result<(Services, MoneyServices), Box<dyn Error>> {
        let connect = |name: &str| {
            PgPoolOptions::new()
                .max_connections(5)
                .connect_with(self.admin.clone().database(name))
        };
        let onboarding = connect(&self.names[0]).await?;
        let applications = connect(&self.names[1]).await?;
        let accounts = connect(&self.names[2]).await?;
        let disbursement = connect(&self.names[3]).await?;
        // Starting panics on a failed migration or seed; in a task the panic becomes an error
        // here, so the databases are still dropped.
        let started = tokio::spawn(async move {
            let services = Services::start_on(onboarding, applications).await;
            let money = MoneyServices::start_on(&services, accounts, disbursement).await;
            let founder = client_id_of(&services, "founder1").await;
            money.funded_account(founder, "12500000.00").await;
            let paid_out = money.approved_loan(founder, "30000000.00").await;
            money.pay_out(founder, &paid_out).await;
            money.approved_loan(founder, "8000000.00").await;
            (services, money)
        })
        .await?;
        spawn_relays(&started.0, &started.1, shutdown)?;
        Ok(started)
    }

    async fn drop_all(self) -> Result<(), Box<dyn Error>> {
        let mut connection = self.admin.connect().await?;
        for name in &self.names {
            sqlx::query(&format!("drop database if exists {name} with (force)"))
                .execute(&mut connection)
                .await?;
        }
        connection.close().await?;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let port: u16 = match std::env::var("FRONTEND_DEMO_PORT") {
        Ok(text) => text.parse()?,
        Err(_) => 0,
    };
    let preview_listener = TcpListener::bind("127.0.0.1:0").await?;
    let preview_url = format!("http://{}", preview_listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let preview_shutdown = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(preview_listener, support::schedule_preview::router())
            .with_graceful_shutdown(preview_shutdown.cancelled_owned())
            .await
    });

    let unused = "http://127.0.0.1:1".to_owned();
    let databases = match std::env::var("DATABASE_URL") {
        Ok(url) => Some(DemoDatabases::create(&url).await?),
        Err(_) => None,
    };
    let started = match &databases {
        Some(databases) => Some(databases.start_services(&shutdown).await),
        None => None,
    };
    let services = match started {
        Some(Ok(services)) => Some(services),
        Some(Err(error)) => {
            if let Some(databases) = databases {
                databases.drop_all().await?;
            }
            return Err(error);
        }
        None => None,
    };
    let service_urls = ServiceUrls {
        onboarding: services
            .as_ref()
            .map_or(unused.clone(), |(services, _)| services.onboarding.url("")),
        applications: services.as_ref().map_or(unused.clone(), |(services, _)| {
            services.applications.url("")
        }),
        scoring: unused.clone(),
        disbursement: services
            .as_ref()
            .map_or(preview_url, |(_, money)| money.disbursement.url("")),
        accounts: services
            .as_ref()
            .map_or(unused, |(_, money)| money.accounts.url("")),
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("frontend listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;

    let interrupt = shutdown.clone();
    tokio::spawn(async move {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(terminate) => terminate,
                Err(_) => return,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        interrupt.cancel();
    });
    let served = imkon_frontend::run_on(listener, service_urls, shutdown).await;
    drop(services);
    if let Some(databases) = databases {
        databases.drop_all().await?;
    }
    served?;
    Ok(())
}
