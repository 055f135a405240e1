//! Black-box test helpers: start an app on a free loopback port and talk to it over HTTP.

use std::net::SocketAddr;

use axum::Router;
use tokio_util::sync::CancellationToken;

/// A running app on 127.0.0.1 and a client for it. Dropping it stops the server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
}

impl TestServer {
    /// Serves `app` on port 0 (the OS picks a free port).
    pub async fn start(app: Router) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let shutdown = CancellationToken::new();
        tokio::spawn(crate::http::serve(listener, app, shutdown.clone()));
        let client = reqwest::Client::builder()
            .build()
            .expect("build a test client");
        TestServer {
            addr,
            client,
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A pool that can never connect: a closed loopback port, for "database is down" tests.
pub fn unreachable_pool() -> sqlx::PgPool {
    let options = sqlx::postgres::PgConnectOptions::new()
        .host("127.0.0.1")
        .port(1)
        .database("nothing");
    sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(500))
        .connect_lazy_with(options)
}

/// The checks every service must pass: health, readiness, OpenAPI, problem+json on bad bodies,
/// request id echo. `make_app` builds the service's full router over the given pool;
/// `json_post_path` is a route of the service that takes a JSON body, and `bearer_token` one
/// that route accepts, so that the body itself is what gets refused.
pub async fn assert_platform_contract<F>(
    pool: sqlx::PgPool,
    make_app: F,
    json_post_path: &str,
    bearer_token: &str,
    body_limit_bytes: usize,
) where
    F: Fn(sqlx::PgPool) -> Router,
{
    let server = TestServer::start(make_app(pool)).await;

    let live = server
        .client
        .get(server.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200, "live");
    let ready = server
        .client
        .get(server.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "ready with a database");

    let openapi = server
        .client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(openapi.status(), 200);
    let document: serde_json::Value = openapi.json().await.unwrap();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "OpenAPI 3.1 expected, got {}",
        document["openapi"]
    );
    assert!(document["info"]["title"].is_string());
    let paths = document["paths"].as_object().expect("paths object");
    assert!(
        paths.contains_key("/health/ready"),
        "platform paths documented"
    );
    assert!(
        paths.contains_key(json_post_path),
        "{json_post_path} documented"
    );
    assert_openapi_declares_access(&document);

    let metrics = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics
        .text()
        .await
        .unwrap()
        .contains("http_requests_total"));

    let malformed = server
        .client
        .post(server.url(json_post_path))
        .bearer_auth(bearer_token)
        .header("idempotency-key", "platform-contract-malformed")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(malformed, &[400], Some("malformed_json")).await;

    let oversized = server
        .client
        .post(server.url(json_post_path))
        .bearer_auth(bearer_token)
        .header("idempotency-key", "platform-contract-oversized")
        .header("content-type", "application/json")
        .body(vec![b' '; body_limit_bytes + 1])
        .send()
        .await
        .unwrap();
    assert_problem(oversized, &[413], Some("payload_too_large")).await;

    let unknown = server
        .client
        .get(server.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_problem(unknown, &[404], Some("not_found")).await;

    let echoed = server
        .client
        .get(server.url("/health/live"))
        .header("x-request-id", "test-request-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "test-request-42");
    let generated = server
        .client
        .get(server.url("/health/live"))
        .send()
        .await
        .unwrap();
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "a fresh request id is a UUID: {id}"
    );

    let down = TestServer::start(make_app(unreachable_pool())).await;
    let not_ready = down
        .client
        .get(down.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_problem(not_ready, &[503], Some("not_ready")).await;
    let still_live = down
        .client
        .get(down.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        still_live.status(),
        200,
        "live even when the database is down"
    );
}

/// The paths every service serves to anyone, which need no `security` of their own.
const PLATFORM_PATHS: [&str; 4] = ["/health/live", "/health/ready", "/metrics", "/openapi.json"];

/// The role names an operation's bearer requirement may list as scopes.
const ROLE_SCOPES: [&str; 7] = [
    "client",
    "kyc_officer",
    "credit_officer",
    "approver",
    "finance",
    "admin",
    "service",
];

/// Asserts that an OpenAPI document is usable by a generated client or a fuzzer and says who
/// may call what: the bearer scheme is declared, every `{param}` of a path is declared as a
/// required path parameter of each of its operations, and every operation but the platform's
/// own declares its `security` (an empty requirement for an operation open to anyone, the
/// `bearer` scheme with role names as scopes otherwise).
pub fn assert_openapi_declares_access(document: &serde_json::Value) {
    let scheme = &document["components"]["securitySchemes"][crate::http::BEARER_SCHEME];
    assert_eq!(
        scheme["type"], "http",
        "the bearer scheme is declared: {scheme}"
    );
    assert_eq!(
        scheme["scheme"], "bearer",
        "the bearer scheme is declared: {scheme}"
    );
    let paths = document["paths"].as_object().expect("paths object");
    let mut problems = Vec::new();
    for (path, item) in paths {
        let placeholders: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        let operations = item.as_object().expect("a path item is an object");
        for (method, operation) in operations {
            let declared: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|parameter| parameter["in"] == "path" && parameter["required"] == true)
                .filter_map(|parameter| parameter["name"].as_str())
                .collect();
            for placeholder in &placeholders {
                if !declared.contains(placeholder) {
                    problems.push(format!(
                        "{method} {path}: path parameter {{{placeholder}}} is not declared"
                    ));
                }
            }
            if PLATFORM_PATHS.contains(&path.as_str()) {
                continue;
            }
            let Some(requirements) = operation["security"].as_array() else {
                problems.push(format!("{method} {path}: no security declared"));
                continue;
            };
            if requirements.is_empty() {
                problems.push(format!("{method} {path}: an empty security list"));
            }
            for requirement in requirements {
                let requirement = requirement.as_object().expect("a requirement is an object");
                for (scheme, scopes) in requirement {
                    if scheme != crate::http::BEARER_SCHEME {
                        problems.push(format!("{method} {path}: unknown scheme {scheme}"));
                    }
                    for scope in scopes.as_array().into_iter().flatten() {
                        if !scope
                            .as_str()
                            .is_some_and(|role| ROLE_SCOPES.contains(&role))
                        {
                            problems.push(format!("{method} {path}: {scope} is not a role"));
                        }
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the OpenAPI document is incomplete:\n{}",
        problems.join("\n")
    );
}

/// Asserts a problem+json response with one of `statuses` (and the code, if given).
pub async fn assert_problem(
    response: reqwest::Response,
    statuses: &[u16],
    code: Option<&str>,
) -> serde_json::Value {
    let status = response.status().as_u16();
    assert!(
        statuses.contains(&status),
        "status {status}, expected one of {statuses:?}"
    );
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, crate::problem::PROBLEM_JSON);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(
        body["code"].is_string() && body["title"].is_string(),
        "{body}"
    );
    if let Some(code) = code {
        assert_eq!(body["code"], code, "{body}");
    }
    body
}

/// A token for `principal` to call `audience`, valid for ten minutes.
pub fn token(
    issuer: &imkon_auth::TokenIssuer,
    principal: &imkon_auth::Principal,
    audience: imkon_auth::Audience,
) -> String {
    issuer
        .issue(principal, audience, std::time::Duration::from_secs(600))
        .expect("a ten-minute token is within the limit")
        .into_string()
}

/// The principal of another service, for service-to-service tests.
pub fn service_principal(name: &str) -> imkon_auth::Principal {
    imkon_auth::Principal::service(crate::id::new_id(), Some(name.to_owned()))
        .expect("a valid service principal")
}

/// A signing key and the verifier that trusts it, for tests that need tokens.
pub fn test_tokens(
    audience: imkon_auth::Audience,
) -> (imkon_auth::TokenIssuer, imkon_auth::TokenVerifier) {
    let key = imkon_auth::SigningKey::generate(
        imkon_auth::KeyId::parse("test-key").expect("a valid key id"),
    );
    let keys = imkon_auth::PublicKeySet::new([key.public_key()]).expect("one key");
    let issuer = imkon_auth::TokenIssuer::new(key, crate::auth_settings::DEFAULT_TOKEN_ISSUER)
        .expect("issuer");
    let verifier =
        imkon_auth::TokenVerifier::new(keys, crate::auth_settings::DEFAULT_TOKEN_ISSUER, audience)
            .expect("verifier");
    (issuer, verifier)
}

/// The bank's today (by the system clock) moved by `years`, negative for the past: test data
/// that must stay valid in whichever year the tests run, such as a passport issued five years
/// ago that expires in five, or a founder born 25 years ago.
pub fn years_from_today(years: i32) -> chrono::NaiveDate {
    let today = crate::calendar::BankCalendar::default().today();
    let months = chrono::Months::new(years.unsigned_abs() * 12);
    if years >= 0 {
        today.checked_add_months(months)
    } else {
        today.checked_sub_months(months)
    }
    .expect("a few years either side of today is a date")
}

/// A NATS server with JetStream of the test's own, on a free loopback port with its storage
/// in a directory of its own, so that tests run side by side and may stop the broker without
/// touching the machine's. Dropping it kills the server and removes its storage.
pub struct NatsServer {
    pub port: u16,
    store: std::path::PathBuf,
    config: Option<std::path::PathBuf>,
    environment: Vec<(String, String)>,
    process: Option<std::process::Child>,
}

impl NatsServer {
    /// Starts `nats-server` (Debian's package; `scripts/test` installs it) and waits until it
    /// accepts connections.
    pub async fn start() -> NatsServer {
        NatsServer::start_configured(None, &[]).await
    }

    /// Like [`NatsServer::start`], reading the configuration `config` (an `authorization`
    /// block, say) with `environment` set for the variables it names.
    pub async fn start_configured(
        config: Option<&str>,
        environment: &[(&str, &str)],
    ) -> NatsServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let store = std::env::temp_dir().join(format!("imkon-nats-{}", crate::id::new_id()));
        let config = config.map(|text| {
            let path = store.with_extension("conf");
            std::fs::write(&path, text).expect("write the NATS configuration");
            path
        });
        let mut server = NatsServer {
            port,
            store,
            config,
            environment: environment
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            process: None,
        };
        server.start_again().await;
        server
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (SIGKILL), as a crash would; its storage stays.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Starts the server again on the same port and storage, and waits until it answers.
    pub async fn start_again(&mut self) {
        let binary = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())
            .unwrap_or("nats-server");
        let mut command = std::process::Command::new(binary);
        if let Some(config) = &self.config {
            command.arg("-c").arg(config);
        }
        let process = command
            .envs(self.environment.iter().cloned())
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start nats-server (Debian's package nats-server)");
        self.process = Some(process);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("nats-server did not listen on port {}", self.port);
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store);
        if let Some(config) = &self.config {
            let _ = std::fs::remove_file(config);
        }
    }
}
