//! The Imkon launcher: every service in one process (a newcomer's laptop, the end-to-end
//! tests) or one service per process (production). Same code, same HTTP boundaries.

pub mod local_postgres;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use imkon_auth::{KeyId, PublicKeySet, SigningKey};
use imkon_platform::calendar::{Clock, SystemClock};
use imkon_platform::config::{Secret, ServiceConfig, Settings};
use imkon_platform::db;
use imkon_platform::service::{self, StartupError};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The services, in start order, with their development ports.
pub const SERVICES: [(&str, u16); 5] = [
    (imkon_onboarding::SERVICE, imkon_onboarding::DEFAULT_PORT),
    (
        imkon_applications::SERVICE,
        imkon_applications::DEFAULT_PORT,
    ),
    (imkon_scoring::SERVICE, imkon_scoring::DEFAULT_PORT),
    (
        imkon_disbursement::SERVICE,
        imkon_disbursement::DEFAULT_PORT,
    ),
    (imkon_accounts::SERVICE, imkon_accounts::DEFAULT_PORT),
];

/// How long `start` waits for every service to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

type ServiceFuture = Pin<Box<dyn Future<Output = Result<(), StartupError>> + Send>>;

/// Runs one service by name on a bound listener.
pub fn run_service(
    config: ServiceConfig,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> ServiceFuture {
    match config.service.as_str() {
        imkon_onboarding::SERVICE => Box::pin(imkon_onboarding::run_on(config, listener, shutdown)),
        imkon_applications::SERVICE => {
            Box::pin(imkon_applications::run_on(config, listener, shutdown))
        }
        imkon_scoring::SERVICE => Box::pin(imkon_scoring::run_on(config, listener, shutdown)),
        imkon_disbursement::SERVICE => {
            Box::pin(imkon_disbursement::run_on(config, listener, shutdown))
        }
        imkon_accounts::SERVICE => Box::pin(imkon_accounts::run_on(config, listener, shutdown)),
        other => {
            let message = format!("unknown service `{other}`");
            Box::pin(async move { Err(StartupError::Other(message)) })
        }
    }
}

/// Binds the frontend's listener; `imkon up` and `imkon serve frontend` both start it here.
pub async fn bind_frontend(addr: std::net::SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| StartupError::Bind {
            service: imkon_frontend::SERVICE.to_owned(),
            env_service: "FRONTEND".to_owned(),
            addr: addr.to_string(),
            reason: error.to_string(),
        })
}

/// The frontend on its own, as a container runs it: the services' addresses from the
/// `<service>_url` settings, everything else as [`imkon_frontend::FrontendSettings`] reads it.
pub async fn serve_frontend(
    settings: Settings,
    shutdown: CancellationToken,
) -> Result<(), StartupError> {
    let addr = settings.get_or(
        "listen_addr",
        std::net::SocketAddr::from(([127, 0, 0, 1], imkon_frontend::DEFAULT_PORT)),
    )?;
    let services = imkon_frontend::ServiceUrls {
        onboarding: settings.require("onboarding_url")?,
        applications: settings.require("applications_url")?,
        scoring: settings.require("scoring_url")?,
        disbursement: settings.require("disbursement_url")?,
        accounts: settings.require("accounts_url")?,
    };
    let listener = bind_frontend(addr).await?;
    let listen_url = format!("http://{addr}");
    let config = imkon_frontend::FrontendSettings::from_settings(services, &settings, &listen_url)?;
    imkon_frontend::run_with(listener, config, shutdown).await
}

/// How to lay the platform out.
#[derive(Debug)]
pub struct PlatformOptions {
    /// A PostgreSQL server; each service gets its own database on it.
    pub database_server_url: Secret<String>,
    /// Databases are named `<prefix>_<service>`.
    pub database_prefix: String,
    /// Listen on free ports chosen by the OS instead of the configured ones (tests).
    pub ephemeral_ports: bool,
    /// The key onboarding signs access tokens with; every service trusts its public half.
    pub signing_key: SigningKey,
    /// Load each service's demo data at start.
    pub demo_data: bool,
    /// Settings the caller fixes over the file and the environment, as (service, field,
    /// value): the end-to-end tests widen a window this way.
    pub settings: Vec<(&'static str, &'static str, String)>,
    /// The clock every service's calendar reads: the system clock, or a test's settable one.
    pub clock: Arc<dyn Clock>,
}

impl PlatformOptions {
    /// Options with a fresh signing key: tokens of an earlier run are not trusted.
    pub fn new(
        database_server_url: Secret<String>,
        database_prefix: &str,
        ephemeral_ports: bool,
    ) -> PlatformOptions {
        let key_id = KeyId::parse("imkon-local").expect("a literal key id is valid");
        PlatformOptions {
            database_server_url,
            database_prefix: database_prefix.to_owned(),
            ephemeral_ports,
            signing_key: SigningKey::generate(key_id),
            demo_data: false,
            settings: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }
}

/// The platform, running.
pub struct RunningPlatform {
    /// Base URL of each service and of the frontend, by name.
    pub urls: BTreeMap<String, String>,
    shutdown: CancellationToken,
    tasks: JoinSet<(String, Result<(), StartupError>)>,
}

/// Creates the databases, binds every port, starts every service and waits until all are ready.
pub async fn start(options: &PlatformOptions) -> Result<RunningPlatform, StartupError> {
    let shutdown = CancellationToken::new();
    let public_keys = PublicKeySet::new([options.signing_key.public_key()])
        .map_err(|error| StartupError::Other(format!("signing key: {error}")))?
        .to_jwks_json();
    let mut bound = Vec::new();
    let mut urls = BTreeMap::new();
    for (name, default_port) in SERVICES {
        let mut settings = Settings::load(name)?;
        let database = format!("{}_{name}", options.database_prefix);
        db::ensure_database(&options.database_server_url, &database).await?;
        let url = db::database_url(&options.database_server_url, &database)?;
        settings.set(
            "database_url",
            url.expose().clone(),
            "the launcher".to_owned(),
        );
        settings.set(
            "demo_data",
            options.demo_data.to_string(),
            "the launcher".to_owned(),
        );
        // A service the operator pointed at onboarding's JWKS fetches its keys instead.
        if settings.raw("token_jwks_url").is_none() {
            settings.set(
                "token_public_keys",
                public_keys.clone(),
                "the launcher".to_owned(),
            );
        }
        if name == imkon_onboarding::SERVICE {
            let key = &options.signing_key;
            settings.set(
                "token_key_id",
                key.kid().as_str().to_owned(),
                "the launcher".to_owned(),
            );
            settings.set(
                "token_signing_key",
                key.to_seed_base64(),
                "the launcher".to_owned(),
            );
        }
        for (service, field, value) in &options.settings {
            if *service == name {
                settings.set(field, value.clone(), "the launcher's caller".to_owned());
            }
        }
        if options.ephemeral_ports {
            settings.set(
                "listen_addr",
                "127.0.0.1:0".to_owned(),
                "the launcher".to_owned(),
            );
        }
        let mut config = ServiceConfig::from_settings(settings, default_port)?;
        config.calendar = config.calendar.reading(options.clock.clone());
        let listener = service::bind(&config).await?;
        let addr = listener
            .local_addr()
            .map_err(|error| StartupError::Other(error.to_string()))?;
        urls.insert(name.to_owned(), format!("http://{addr}"));
        bound.push((config, listener));
    }
    let mut frontend_settings = Settings::load(imkon_frontend::SERVICE)?;
    let frontend_addr = if options.ephemeral_ports {
        "127.0.0.1:0"
            .parse()
            .map_err(|_| StartupError::Other("bad loopback address".into()))?
    } else {
        frontend_settings.get_or(
            "listen_addr",
            std::net::SocketAddr::from(([127, 0, 0, 1], imkon_frontend::DEFAULT_PORT)),
        )?
    };
    let frontend_listener = bind_frontend(frontend_addr).await?;
    let frontend_url = frontend_listener
        .local_addr()
        .map(|addr| format!("http://{addr}"))
        .map_err(|error| StartupError::Other(error.to_string()))?;

    let service_urls = imkon_frontend::ServiceUrls {
        onboarding: urls[imkon_onboarding::SERVICE].clone(),
        applications: urls[imkon_applications::SERVICE].clone(),
        scoring: urls[imkon_scoring::SERVICE].clone(),
        disbursement: urls[imkon_disbursement::SERVICE].clone(),
        accounts: urls[imkon_accounts::SERVICE].clone(),
    };
    let frontend_secret = wire_services(&mut bound, &urls, &frontend_url, options.demo_data);
    let mut tasks = JoinSet::new();
    for (config, listener) in bound {
        let name = config.service.clone();
        let future = run_service(config, listener, shutdown.clone());
        tasks.spawn(async move { (name, future.await) });
    }
    frontend_settings.set("client_secret", frontend_secret, "the launcher".to_owned());
    // The frontend keeps its sessions in a database of its own, as in production, so the
    // launcher's platform is the one the tests and a newcomer see.
    let frontend_database = format!("{}_{}", options.database_prefix, imkon_frontend::SERVICE);
    db::ensure_database(&options.database_server_url, &frontend_database).await?;
    frontend_settings.set(
        "database_url",
        db::database_url(&options.database_server_url, &frontend_database)?
            .expose()
            .clone(),
        "the launcher".to_owned(),
    );
    // A key the caller did not give is random, like the second factor's: sessions then
    // outlive a restart of the frontend inside this run, not a restart of the launcher.
    if frontend_settings
        .raw(imkon_frontend::SESSION_KEY_SETTING)
        .is_none_or(|key| key.trim().is_empty())
    {
        frontend_settings.set(
            imkon_frontend::SESSION_KEY_SETTING,
            imkon_frontend::web::session::sealing::SessionEncryptionKey::generate().to_base64(),
            "the launcher".to_owned(),
        );
    }
    let mut frontend_config = imkon_frontend::FrontendSettings::from_settings(
        service_urls,
        &frontend_settings,
        &frontend_url,
    )?;
    frontend_config.calendar = frontend_config.calendar.reading(options.clock.clone());
    let frontend_shutdown = shutdown.clone();
    tasks.spawn(async move {
        let outcome =
            imkon_frontend::run_with(frontend_listener, frontend_config, frontend_shutdown).await;
        (imkon_frontend::SERVICE.to_owned(), outcome)
    });
    urls.insert(imkon_frontend::SERVICE.to_owned(), frontend_url);

    let mut platform = RunningPlatform {
        urls,
        shutdown,
        tasks,
    };
    platform.wait_until_ready().await?;
    Ok(platform)
}

/// Which services receive which topics: the deployment's event routing. Each topic's publisher
/// (`imkon_auth::policy::TOPIC_PUBLISHERS`) must be allowed tokens for every subscriber, or
/// onboarding refuses the relay its token; a unit test below keeps the two in step. (The
/// Kubernetes manifests send events through NATS instead, where no routing is configured.)
pub const EVENT_SUBSCRIBERS: &str = r#"{
    "client.kyc_approved": ["accounts", "applications"],
    "client.kyc_rejected": ["applications"],
    "company.kyc_approved": ["accounts", "applications"],
    "application.approved": ["disbursement"],
    "loan.overdue": ["applications"],
    "contract.ready_to_sign": ["applications"],
    "tranche.paid": ["applications"],
    "loan.instalment_due": ["applications"],
    "contract.cancelled": ["applications"],
    "account.money_moved": ["applications"]
}"#;

/// Tells every service where its peers are, gives each a client secret for the token endpoint
/// (and onboarding the list of them, the frontend's included), and the event routing; tells
/// onboarding where the frontend's login callback is. Returns the frontend's client secret.
fn wire_services(
    bound: &mut [(ServiceConfig, TcpListener)],
    urls: &BTreeMap<String, String>,
    frontend_url: &str,
    development: bool,
) -> String {
    let from = || "the launcher".to_owned();
    let mut secrets = BTreeMap::new();
    for (config, _) in bound.iter_mut() {
        let secret = random_secret();
        secrets.insert(config.service.clone(), secret.clone());
        config.settings.set("service_client_secret", secret, from());
        config
            .settings
            .set("event_subscribers", EVENT_SUBSCRIBERS.to_owned(), from());
        for (peer, url) in urls {
            config
                .settings
                .set(&format!("{peer}_url"), url.clone(), from());
        }
    }
    let frontend_secret = random_secret();
    secrets.insert(imkon_frontend::SERVICE.to_owned(), frontend_secret.clone());
    let secrets_json = serde_json::to_string(&secrets).expect("a map of strings serialises");
    let redirect_uris = serde_json::json!([format!("{frontend_url}/auth/callback")]).to_string();
    for (config, _) in bound.iter_mut() {
        if config.service == imkon_onboarding::SERVICE {
            let settings = &mut config.settings;
            settings.set("service_client_secrets", secrets_json.clone(), from());
            settings.set(
                "external_login_redirect_uris",
                redirect_uris.clone(),
                from(),
            );
            if let Some(own_url) = urls.get(imkon_onboarding::SERVICE) {
                settings.set("public_url", own_url.clone(), from());
            }
            // The reset link in onboarding's email opens the frontend's page for it, unless
            // the operator named another address.
            if settings.raw("password_reset_url").is_none() {
                settings.set(
                    "password_reset_url",
                    format!("{frontend_url}/password/reset"),
                    from(),
                );
            }
            // The built-in identity provider lets a newcomer try the OneID path offline; it is
            // for development only and never enabled outside `imkon up`.
            settings.set("dev_identity_provider", development.to_string(), from());
            // A key configured by the operator keeps the staff's enrolled second factors
            // working across restarts; without one, a fresh key per run (the demo staff's
            // factors are sealed again at every start).
            if settings
                .raw(imkon_onboarding::SECOND_FACTOR_KEY_SETTING)
                .is_none()
            {
                settings.set(
                    imkon_onboarding::SECOND_FACTOR_KEY_SETTING,
                    imkon_onboarding::domain::totp::SecondFactorKey::generate().to_base64(),
                    from(),
                );
            }
            // Likewise for the key sealing generated token signing keys: with a fresh one per
            // run, keys generated in an earlier run are published but no longer sign.
            if settings
                .raw(imkon_onboarding::TOKEN_KEY_SEALING_KEY_SETTING)
                .is_none()
            {
                settings.set(
                    imkon_onboarding::TOKEN_KEY_SEALING_KEY_SETTING,
                    imkon_onboarding::domain::token_keys::KeySealingKey::generate().to_base64(),
                    from(),
                );
            }
        }
    }
    frontend_secret
}

/// 32 random bytes, hex-encoded.
fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl RunningPlatform {
    async fn wait_until_ready(&mut self) -> Result<(), StartupError> {
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        for (name, url) in self.urls.clone() {
            loop {
                if let Some(Ok((failed, Err(error)))) = self.tasks.try_join_next() {
                    self.shutdown.cancel();
                    return Err(StartupError::Other(format!(
                        "{failed} failed to start: {error}"
                    )));
                }
                let ready = client
                    .get(format!("{url}/health/ready"))
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await
                    .is_ok_and(|response| response.status().is_success());
                if ready {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    self.shutdown.cancel();
                    return Err(StartupError::Other(format!(
                        "{name} did not become ready at {url} within {READY_TIMEOUT:?}"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Runs until `stop` is cancelled or a service fails, then stops everything.
    pub async fn run_until(mut self, stop: CancellationToken) -> Result<(), StartupError> {
        let outcome = tokio::select! {
            () = stop.cancelled() => Ok(()),
            Some(joined) = self.tasks.join_next() => match joined {
                Ok((name, Err(error))) => Err(StartupError::Other(format!("{name} stopped: {error}"))),
                Ok((name, Ok(()))) => Err(StartupError::Other(format!("{name} stopped unexpectedly"))),
                Err(error) => Err(StartupError::Other(format!("a service crashed: {error}"))),
            },
        };
        self.stop().await;
        outcome
    }

    /// Stops every service, letting requests in flight finish.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while let Some(joined) = self.tasks.join_next().await {
            if let Ok((name, Err(error))) = joined {
                tracing::warn!(service = %name, %error, "stopped with an error");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use imkon_auth::{policy, Audience};

    #[test]
    fn every_routed_topic_has_a_publisher_whose_credentials_reach_each_subscriber() {
        let routing: BTreeMap<String, Vec<String>> =
            serde_json::from_str(super::EVENT_SUBSCRIBERS).expect("the routing is JSON");
        for (topic, subscribers) in routing {
            let publisher = policy::topic_publisher(&topic)
                .unwrap_or_else(|| panic!("{topic} has no publisher in the policy"));
            let client = policy::service_client(publisher)
                .unwrap_or_else(|| panic!("{publisher} is not a service client"));
            for subscriber in subscribers {
                let audience: Audience = subscriber.parse().expect("a service name");
                assert!(
                    client.may_call(audience),
                    "{publisher} publishes {topic} but may not call {subscriber}"
                );
            }
        }
    }
}
