//! Logging in through a standard OpenID Connect provider: the npm package `oidc-provider`,
//! started by the test on 127.0.0.1 from `tests/oidc-provider/` (run `npm ci` there first).
//! Needs `node`: without it the tests fail, saying so, rather than pass having proved nothing.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::external::{
    location, query_param, BoundOnboarding, ExternalLoginApp, FRONTEND_CALLBACK,
};
use imkon_auth::Role;
use imkon_onboarding::accounts::{create_local_account, NewLocalAccount};
use imkon_onboarding::config::{ProviderKind, ProviderSettings};
use imkon_onboarding::domain::credentials::Username;
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;

const CLIENT_ID: &str = "imkon-onboarding";
const CLIENT_SECRET: &str = "oidc-test-client-secret";

/// The running Node provider; dropping it kills the process.
struct OidcProvider {
    issuer: String,
    _process: Child,
}

fn node_installed() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

async fn start_provider(redirect_uri: &str) -> OidcProvider {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider");
    assert!(
        directory.join("node_modules/oidc-provider").is_dir(),
        "oidc-provider is not installed: run `npm ci --prefix {}`",
        directory.display()
    );
    let mut process = Command::new("node")
        .arg("provider.mjs")
        .current_dir(&directory)
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env("REDIRECT_URI", redirect_uri)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let stdout = process.stdout.take().expect("a piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first_line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the provider is ready within 30 s")
        .expect("the provider's stdout is readable")
        .expect("the provider prints its issuer before anything else");
    // The provider logs to stdout later too; keep reading, or it dies writing to a closed pipe.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("oidc-provider: {line}");
        }
    });
    let ready: serde_json::Value =
        serde_json::from_str(&first_line).expect("the provider announces its issuer");
    OidcProvider {
        issuer: ready["issuer"].as_str().expect("an issuer").to_owned(),
        _process: process,
    }
}

fn staff_provider(issuer: &str) -> ProviderSettings {
    let endpoint = |path: &str| url::Url::parse(&format!("{issuer}{path}")).expect("a URL");
    ProviderSettings {
        kind: ProviderKind::Oidc,
        authorization_url: endpoint("/auth"),
        token_url: endpoint("/token"),
        userinfo_url: Some(endpoint("/me")),
        issuer: Some(url::Url::parse(issuer).expect("a URL")),
        jwks_url: Some(endpoint("/jwks")),
        client_id: CLIENT_ID.to_owned(),
        client_secret: CLIENT_SECRET.to_owned(),
        scopes: vec![
            "openid".to_owned(),
            "profile".to_owned(),
            "email".to_owned(),
        ],
    }
}

/// Onboarding with the Node provider configured as `staff`.
async fn spawn(pool: PgPool) -> (ExternalLoginApp, OidcProvider) {
    assert!(
        node_installed(),
        "`node` is not installed, so the OpenID Connect provider cannot run: install Node.js \
         and run `npm ci` in services/onboarding/tests/oidc-provider"
    );
    let bound = BoundOnboarding::bind().await;
    let provider = start_provider(&bound.callback_url("staff")).await;
    let providers = BTreeMap::from([("staff".to_owned(), staff_provider(&provider.issuer))]);
    (bound.serve(pool, providers, false).await, provider)
}

fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form") + "action=\"".len();
    let end = start + html[start..].find('"').expect("a closed attribute");
    html[start..end]
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// What the person does at the provider's sign-in page.
#[derive(Clone, Copy, PartialEq)]
enum AtProvider {
    SignIn(&'static str),
    Abort,
}

/// Logs in at the provider as `login`, driving its development interactions (sign-in, then
/// consent) with the interaction cookies, and returns the response of onboarding's callback.
async fn log_in_at_provider(app: &ExternalLoginApp, login: &'static str) -> reqwest::Response {
    visit_provider(app, AtProvider::SignIn(login)).await
}

async fn visit_provider(app: &ExternalLoginApp, action: AtProvider) -> reqwest::Response {
    let started = app
        .start("staff", FRONTEND_CALLBACK, "frontend-state")
        .await;
    let authorize_url = location(&started);
    assert_eq!(
        query_param(&authorize_url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let mut response = app.get(authorize_url.as_str()).await;
    for _ in 0..12 {
        if response.status().is_redirection() {
            let next = location(&response);
            let is_callback = next
                .as_str()
                .starts_with(&app.url("/v1/auth/external/staff/callback"));
            response = app.get(next.as_str()).await;
            if is_callback {
                return response;
            }
            continue;
        }
        let page_url = response.url().clone();
        let status = response.status();
        let html = response.text().await.unwrap();
        assert_eq!(status, 200, "{html}");
        let submit_url = page_url.join(&form_action(&html)).expect("a form URL");
        let form: Vec<(&str, &str)> = match action {
            AtProvider::Abort => {
                response = app.get(&format!("{page_url}/abort")).await;
                continue;
            }
            AtProvider::SignIn(_) if html.contains("name=\"prompt\" value=\"consent\"") => {
                vec![("prompt", "consent")]
            }
            AtProvider::SignIn(login) => {
                vec![("prompt", "login"), ("login", login), ("password", "any")]
            }
        };
        response = app
            .browser
            .post(submit_url)
            .form(&form)
            .send()
            .await
            .unwrap();
    }
    panic!("the provider never sent the browser back to onboarding");
}

async fn create_staff(app: &ExternalLoginApp, username: &str, roles: &[Role]) -> Uuid {
    let username = Username::parse(username).unwrap();
    let mut connection = app.pool.acquire().await.unwrap();
    create_local_account(
        &mut connection,
        &NewLocalAccount {
            username: &username,
            password_hash:
                "$argon2id$v=19$m=19456,t=2,p=1$bm90LXVzZWQ$bm90LXVzZWQtaW4tdGhpcy10ZXN0",
            display_name: username.as_str(),
            roles,
            client_id: None,
            granted_by: None,
        },
    )
    .await
    .unwrap()
    .id
}

#[sqlx::test(migrations = false)]
async fn a_staff_subject_no_admin_linked_is_refused(pool: PgPool) {
    let (app, _provider) = spawn(pool).await;

    let callback = log_in_at_provider(&app, "staff-bob").await;

    assert_problem(callback, &[403], Some("not_provisioned")).await;
    assert_eq!(app.count("authorization_code").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_linked_staff_subject_logs_in_with_the_roles_of_our_database_only(pool: PgPool) {
    let (app, _provider) = spawn(pool).await;
    let officer_id = create_staff(&app, "alice", &[Role::CreditOfficer]).await;
    let admin_id = create_staff(&app, "root", &[Role::Admin]).await;
    let admin_token = imkon_platform::testing::token(
        &app.issuer,
        &imkon_auth::Principal::user(admin_id, [Role::Admin], None, None).unwrap(),
        imkon_auth::Audience::Onboarding,
    );
    let link = serde_json::json!({ "provider": "staff", "subject": "staff-alice" });
    let path = format!("/v1/staff/{officer_id}/external-identities");

    let without_admin = app
        .browser
        .post(app.url(&path))
        .json(&link)
        .send()
        .await
        .unwrap();
    assert_problem(without_admin, &[401], None).await;
    let linked = app
        .browser
        .post(app.url(&path))
        .bearer_auth(&admin_token)
        .json(&link)
        .send()
        .await
        .unwrap();
    assert_eq!(linked.status(), 201);

    let callback = log_in_at_provider(&app, "staff-alice").await;
    let frontend_return = location(&callback);
    assert!(frontend_return.as_str().starts_with(FRONTEND_CALLBACK));
    assert_eq!(
        query_param(&frontend_return, "state").as_deref(),
        Some("frontend-state")
    );
    let challenge = app
        .trade_code(&query_param(&frontend_return, "code").unwrap())
        .await;
    assert_eq!(
        challenge.status(),
        202,
        "the provider stands for the first factor only"
    );
    let challenge: serde_json::Value = challenge.json().await.unwrap();
    assert_eq!(challenge["step"], "enrol");
    let secret = imkon_onboarding::domain::totp::TotpSecret::from_base32(
        challenge["enrolment"]["secret"].as_str().unwrap(),
    )
    .unwrap();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let login = app
        .browser
        .post(app.url("/v1/auth/second-factor"))
        .json(&serde_json::json!({
            "challenge": challenge["challenge"], "code": secret.code_at(now)
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let body: serde_json::Value = login.json().await.unwrap();

    assert_eq!(body["principal"]["id"], officer_id.to_string());
    assert_eq!(
        body["principal"]["roles"],
        serde_json::json!(["credit_officer"])
    );
    assert_eq!(body["principal"]["client_id"], serde_json::Value::Null);
}

#[sqlx::test(migrations = false)]
async fn a_replayed_staff_callback_is_refused(pool: PgPool) {
    let (app, _provider) = spawn(pool).await;
    let callback = log_in_at_provider(&app, "staff-bob").await;
    let callback_url = callback.url().clone();

    let replay = app.get(callback_url.as_str()).await;

    assert_problem(replay, &[400], Some("invalid_state")).await;
}

#[sqlx::test(migrations = false)]
async fn an_aborted_staff_login_returns_access_denied_to_the_frontend(pool: PgPool) {
    let (app, _provider) = spawn(pool).await;

    let callback = visit_provider(&app, AtProvider::Abort).await;

    let back = location(&callback);
    assert!(back.as_str().starts_with(FRONTEND_CALLBACK));
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some("frontend-state")
    );
    assert_eq!(app.count("authorization_code").await, 0);
}
