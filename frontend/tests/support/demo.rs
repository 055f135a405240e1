//! The demo platform behind the frontend: the real onboarding, applications, scoring, accounts
//! and disbursement services on five fresh databases, with their demo data and the money a founder
//! needs for the money pages, and the event relays a deployment runs. The demo server and the
//! page benchmark start it; `DemoDatabases::drop_all` removes what it created.

use std::collections::BTreeMap;
use std::error::Error;
use std::str::FromStr;
use std::time::Duration;

use imkon_auth::{Audience, Principal};
use imkon_platform::client::ServiceClient;
use imkon_platform::outbox::{HttpPublisher, Relay, RelaySettings, Subscriber};
use imkon_platform::service_tokens::ServiceTokens;
use rand::RngCore;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::services::{client_id_of, MoneyServices, Services};

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
            vec![accounts.clone(), applications.clone()],
        ),
        ("client.kyc_rejected".to_owned(), vec![applications.clone()]),
        (
            "company.kyc_approved".to_owned(),
            vec![accounts, applications],
        ),
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
pub struct DemoDatabases {
    admin: PgConnectOptions,
    names: [String; 5],
}

impl DemoDatabases {
    pub async fn create(url: &str) -> Result<DemoDatabases, Box<dyn Error>> {
        let admin = PgConnectOptions::from_str(url)?;
        let mut suffix = [0u8; 6];
        rand::rngs::OsRng.fill_bytes(&mut suffix);
        let suffix: String = suffix.iter().map(|byte| format!("{byte:02x}")).collect();
        let names = [
            format!("frontend_demo_{suffix}_onboarding"),
            format!("frontend_demo_{suffix}_applications"),
            format!("frontend_demo_{suffix}_accounts"),
            format!("frontend_demo_{suffix}_disbursement"),
            format!("frontend_demo_{suffix}_scoring"),
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
    pub async fn start_services(
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
        let scoring = connect(&self.names[4]).await?;
        // Starting panics on a failed migration or seed; in a task the panic becomes an error
        // here, so the databases are still dropped.
        let started = tokio::spawn(async move {
            let services = Services::start_on(onboarding, applications, scoring).await;
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

    pub async fn drop_all(self) -> Result<(), Box<dyn Error>> {
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
