//! The platform as a bank runs it, on this machine: two `imkon serve` processes of every
//! service and of the frontend, on one PostgreSQL and a NATS JetStream server of the test's
//! own, with Debian's haproxy in front of each pair. Services call each other, and the test
//! calls them, through haproxy, so a replica killed with SIGKILL is stepped around as a load
//! balancer does in production. Every process exports its traces to an OpenTelemetry
//! collector of the test's own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use imkon_auth::{PublicKeySet, SigningKey};
use imkon_platform::config::Secret;
use imkon_platform::testing::{NatsServer, TestServer};

/// The parts that run twice: the five services and the frontend.
pub const PARTS: [&str; 6] = [
    "onboarding",
    "applications",
    "scoring",
    "disbursement",
    "accounts",
    "frontend",
];

/// How long a replica may take to become ready.
const READY_WITHIN: Duration = Duration::from_secs(60);

struct Replica {
    port: u16,
    environment: Vec<(String, String)>,
    process: Option<Child>,
}

/// Two processes of every part, haproxy, NATS and a trace collector; dropping it kills them all.
pub struct Replicas {
    replicas: BTreeMap<(&'static str, usize), Replica>,
    haproxy: Child,
    _nats: NatsServer,
    collector: TestServer,
    traces: Received,
    logs: PathBuf,
}

/// The bodies the collector was sent, as OTLP protobuf.
type Received = Arc<Mutex<Vec<Bytes>>>;

async fn collect(State(received): State<Received>, body: Bytes) -> &'static str {
    received.lock().unwrap().push(body);
    ""
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

fn random_secret() -> String {
    imkon_platform::id::new_id().simple().to_string()
}

impl Replicas {
    /// Starts everything and returns it with the address haproxy gives each part. The first
    /// replica of every part starts (and migrates, and loads the demo data) before the second.
    pub async fn start(
        server_url: &Secret<String>,
        prefix: &str,
        signing_key: &SigningKey,
    ) -> (Replicas, BTreeMap<String, String>) {
        let nats = NatsServer::start().await;
        let traces = Received::default();
        let collector = TestServer::start(
            Router::new()
                .route("/v1/traces", post(collect))
                .with_state(traces.clone()),
        )
        .await;
        let logs = std::env::temp_dir().join(format!("imkon-replicas-{prefix}"));
        std::fs::create_dir_all(&logs).unwrap();
        let balanced: BTreeMap<&str, u16> = PARTS.iter().map(|part| (*part, free_port())).collect();
        let urls: BTreeMap<String, String> = balanced
            .iter()
            .map(|(part, port)| (part.to_string(), format!("http://127.0.0.1:{port}")))
            .collect();

        let mut secrets: BTreeMap<String, String> = PARTS
            .iter()
            .map(|part| (part.to_string(), random_secret()))
            .collect();
        let client_secrets = serde_json::to_string(&secrets).unwrap();
        let public_keys = PublicKeySet::new([signing_key.public_key()])
            .unwrap()
            .to_jwks_json();
        let second_factor_key =
            imkon_onboarding::domain::totp::SecondFactorKey::generate().to_base64();
        let sealing_key =
            imkon_onboarding::domain::token_keys::KeySealingKey::generate().to_base64();
        let session_key =
            imkon_frontend::web::session::sealing::SessionEncryptionKey::generate().to_base64();

        let mut environments = BTreeMap::new();
        for part in PARTS {
            let database = format!("{prefix}_{part}");
            imkon_platform::db::ensure_database(server_url, &database)
                .await
                .unwrap();
            let database_url = imkon_platform::db::database_url(server_url, &database).unwrap();
            let mut environment = vec![
                (
                    "IMKON_DATABASE_URL".to_owned(),
                    database_url.expose().clone(),
                ),
                ("RUST_LOG".to_owned(), "info".to_owned()),
                ("IMKON_OTLP_ENDPOINT".to_owned(), collector.url("")),
                // A killed process loses what it had not sent; send often.
                ("OTEL_BSP_SCHEDULE_DELAY".to_owned(), "200".to_owned()),
            ];
            for (peer, url) in &urls {
                if peer != "frontend" {
                    environment.push((format!("IMKON_{}_URL", peer.to_uppercase()), url.clone()));
                }
            }
            let secret = secrets.remove(part).unwrap();
            if part == "frontend" {
                environment.extend([
                    ("IMKON_CLIENT_SECRET".to_owned(), secret),
                    ("IMKON_PUBLIC_URL".to_owned(), urls["frontend"].clone()),
                    (
                        "IMKON_SESSION_ENCRYPTION_KEY".to_owned(),
                        session_key.clone(),
                    ),
                ]);
            } else {
                environment.extend([
                    ("IMKON_SERVICE_CLIENT_SECRET".to_owned(), secret),
                    ("IMKON_DEMO_DATA".to_owned(), "true".to_owned()),
                    ("IMKON_EVENT_TRANSPORT".to_owned(), "nats".to_owned()),
                    ("IMKON_NATS_URL".to_owned(), nats.url()),
                ]);
            }
            match part {
                "onboarding" => environment.extend([
                    (
                        "IMKON_TOKEN_KEY_ID".to_owned(),
                        signing_key.kid().as_str().to_owned(),
                    ),
                    (
                        "IMKON_TOKEN_SIGNING_KEY".to_owned(),
                        signing_key.to_seed_base64(),
                    ),
                    (
                        "IMKON_SERVICE_CLIENT_SECRETS".to_owned(),
                        client_secrets.clone(),
                    ),
                    (
                        "IMKON_SECOND_FACTOR_KEY".to_owned(),
                        second_factor_key.clone(),
                    ),
                    (
                        "IMKON_TOKEN_KEY_SEALING_KEY".to_owned(),
                        sealing_key.clone(),
                    ),
                    ("IMKON_PUBLIC_URL".to_owned(), urls["onboarding"].clone()),
                    (
                        "IMKON_EXTERNAL_LOGIN_REDIRECT_URIS".to_owned(),
                        serde_json::json!([format!("{}/auth/callback", urls["frontend"])])
                            .to_string(),
                    ),
                ]),
                "frontend" => {}
                _ => environment.push(("IMKON_TOKEN_PUBLIC_KEYS".to_owned(), public_keys.clone())),
            }
            if part == "disbursement" {
                // As the in-process platform of the other tests: loans booked months ago.
                environment.push(("IMKON_BACKDATING_WINDOW_DAYS".to_owned(), "400".to_owned()));
            }
            environments.insert(part, environment);
        }

        let mut replicas = BTreeMap::new();
        for part in PARTS {
            for number in [0, 1] {
                replicas.insert(
                    (part, number),
                    Replica {
                        port: free_port(),
                        environment: environments[part].clone(),
                        process: None,
                    },
                );
            }
        }
        let haproxy = start_haproxy(&logs, &balanced, &replicas);
        let mut running = Replicas {
            replicas,
            haproxy,
            _nats: nats,
            collector,
            traces,
            logs,
        };
        for number in [0, 1] {
            for part in PARTS {
                running.start_replica(part, number);
            }
            for part in PARTS {
                running.wait_until_ready(part, number).await;
            }
        }
        running.wait_until_balanced(&urls).await;
        (running, urls)
    }

    fn start_replica(&mut self, part: &'static str, number: usize) {
        let log = self.logs.join(format!("{part}-{number}.log"));
        let replica = self.replicas.get_mut(&(part, number)).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let process = Command::new(env!("CARGO_BIN_EXE_imkon"))
            .args(["serve", part])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(replica.environment.iter().cloned())
            .env("IMKON_LISTEN_ADDR", format!("127.0.0.1:{}", replica.port))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("imkon serve starts");
        replica.process = Some(process);
    }

    async fn wait_until_ready(&self, part: &str, number: usize) {
        let port = self.replicas[&(part, number)].port;
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = client
                .get(format!("http://127.0.0.1:{port}/health/ready"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if ready {
                return;
            }
            assert!(
                started.elapsed() < READY_WITHIN,
                "{part} replica {number} did not become ready; see {}",
                self.logs.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until haproxy has marked every replica up, so a kill that follows is the only
    /// thing it has to step around.
    async fn wait_until_balanced(&self, urls: &BTreeMap<String, String>) {
        let client = reqwest::Client::new();
        for url in urls.values() {
            let started = Instant::now();
            loop {
                let ready = client
                    .get(format!("{url}/health/ready"))
                    .send()
                    .await
                    .is_ok_and(|response| response.status().is_success());
                if ready {
                    break;
                }
                assert!(
                    started.elapsed() < READY_WITHIN,
                    "haproxy at {url} never answered"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    /// Waits until the collector has received spans from every part's processes.
    pub async fn assert_every_part_exported_traces(&self) {
        let started = Instant::now();
        for part in PARTS {
            let name = format!("imkon-{part}");
            loop {
                let arrived = self.traces.lock().unwrap().iter().any(|body| {
                    body.windows(name.len())
                        .any(|window| window == name.as_bytes())
                });
                if arrived {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "no spans from {part} reached the collector at {}",
                    self.collector.url("")
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Kills replica `number` of every part at once, with SIGKILL: no graceful shutdown.
    pub fn kill_every(&mut self, number: usize) {
        for part in PARTS {
            let replica = self.replicas.get_mut(&(part, number)).unwrap();
            if let Some(mut process) = replica.process.take() {
                process.kill().unwrap();
                process.wait().unwrap();
            }
        }
    }

    /// Starts replica `number` of every part again and waits until each is ready and haproxy
    /// has seen it.
    pub async fn restart_every(&mut self, number: usize) {
        for part in PARTS {
            self.start_replica(part, number);
        }
        for part in PARTS {
            self.wait_until_ready(part, number).await;
        }
        // haproxy checks every 300 ms and needs two good checks.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        self.kill_every(0);
        self.kill_every(1);
        let _ = self.haproxy.kill();
        let _ = self.haproxy.wait();
        // The processes' logs stay for a failed test to be read.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.logs);
        }
    }
}

/// One `listen` section per part, round-robin over its two replicas. A request whose
/// connection a dead replica refuses is sent to the other (`retry-on conn-failure` with
/// `redispatch`); only connection failures are retried, as a request that reached a server may
/// have had its effect.
fn start_haproxy(
    logs: &std::path::Path,
    balanced: &BTreeMap<&str, u16>,
    replicas: &BTreeMap<(&'static str, usize), Replica>,
) -> Child {
    let mut config = String::from(
        "global\n    maxconn 2000\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 60s\n    \
         timeout server 60s\n    timeout check 2s\n    retries 3\n    option redispatch 1\n    \
         retry-on conn-failure\n    http-reuse never\n",
    );
    for (part, port) in balanced {
        config.push_str(&format!(
            "listen {part}\n    bind 127.0.0.1:{port}\n    balance roundrobin\n    \
             option httpchk GET /health/ready\n    \
             default-server check inter 300ms fall 2 rise 2\n"
        ));
        for number in [0, 1] {
            let server_port = replicas[&(*part, number)].port;
            config.push_str(&format!(
                "    server {part}-{number} 127.0.0.1:{server_port}\n"
            ));
        }
    }
    let path = logs.join("haproxy.cfg");
    std::fs::write(&path, config).unwrap();
    let log = std::fs::File::create(logs.join("haproxy.log")).unwrap();
    let binary = if std::path::Path::new("/usr/sbin/haproxy").exists() {
        "/usr/sbin/haproxy"
    } else {
        "haproxy"
    };
    Command::new(binary)
        .arg("-f")
        .arg(&path)
        .arg("-db")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("haproxy starts (Debian's package haproxy; scripts/test installs it)")
}
