//! The second factor through the pages: staff get no session for a password alone, a new
//! member of staff enrols from a QR code drawn on the server, and the recovery codes are shown
//! once.

mod support;

use imkon_auth::Role;
use imkon_frontend::{app_with, FrontendSettings, ServiceUrls};
use imkon_onboarding::accounts::{create_local_account, NewLocalAccount};
use imkon_onboarding::domain::credentials::{NewPassword, Username};
use imkon_onboarding::domain::totp::TotpSecret;
use imkon_platform::testing::TestServer;
use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use support::browser::{location, Browser};
use support::services::Services;

async fn start(pool_options: PgPoolOptions, connect: PgConnectOptions) -> (TestServer, Services) {
    let services = Services::start(pool_options, connect).await;
    let settings = FrontendSettings::new(ServiceUrls {
        onboarding: services.onboarding.url(""),
        applications: services.applications.url(""),
        scoring: "http://127.0.0.1:1".to_owned(),
        disbursement: "http://127.0.0.1:1".to_owned(),
        accounts: "http://127.0.0.1:1".to_owned(),
    });
    (TestServer::start(app_with(settings)).await, services)
}

#[sqlx::test(migrations = false)]
async fn a_staff_password_alone_starts_no_session(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let (frontend, _services) = start(pool_options, connect).await;
    let mut officer = Browser::speaking("en");
    officer.get(&frontend.url("/login")).await;
    let response = officer
        .post(
            &frontend.url("/login"),
            &[("username", "credit1"), ("password", "credit1-demo-pass")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/second-factor");
    let (status, html) = officer.page(&frontend.url("/login/second-factor")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Enter your code"), "{html}");
    assert!(
        !html.contains("totp-secret"),
        "an enrolled officer sees no secret"
    );

    let private = officer.get(&frontend.url("/applications")).await;
    assert_eq!(private.status(), StatusCode::SEE_OTHER);
    assert!(location(&private).starts_with("/login"));

    let wrong = officer
        .post(&frontend.url("/login/second-factor"), &[("code", "000000")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("The code is not right"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn a_new_member_of_staff_enrols_from_a_qr_code_and_sees_the_recovery_codes_once(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let (frontend, services) = start(pool_options, connect).await;
    let username = Username::parse("finance9").unwrap();
    let password = NewPassword::parse("finance9-demo-pass").unwrap();
    let hash = imkon_onboarding::password::hash_password(&password)
        .await
        .unwrap();
    let mut connection = services.onboarding_pool.acquire().await.unwrap();
    create_local_account(
        &mut connection,
        &NewLocalAccount {
            username: &username,
            password_hash: &hash,
            display_name: "Finance Nine",
            roles: &[Role::Finance],
            client_id: None,
            granted_by: None,
        },
    )
    .await
    .unwrap();
    drop(connection);

    let mut officer = Browser::speaking("en");
    officer.get(&frontend.url("/login")).await;
    let response = officer
        .post(
            &frontend.url("/login"),
            &[("username", "finance9"), ("password", "finance9-demo-pass")],
        )
        .await;
    assert_eq!(location(&response), "/login/second-factor");
    let (status, html) = officer.page(&frontend.url("/login/second-factor")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Set up your second factor"), "{html}");
    assert!(html.contains("<svg"), "the QR code is drawn in the page");
    assert!(!html.contains("<script>"), "no inline script");
    assert!(!html.contains("style="), "no inline style");
    let secret = html
        .split_once("<code id=\"totp-secret\">")
        .and_then(|(_, rest)| rest.split_once("</code>"))
        .map(|(secret, _)| secret.to_owned())
        .expect("the secret is shown as text too");
    let secret = TotpSecret::from_base32(&secret).expect("a base32 secret");

    let code =
        imkon_onboarding::testing::unused_code(&services.onboarding_pool, "finance9", &secret)
            .await;
    let response = officer
        .post(&frontend.url("/login/second-factor"), &[("code", &code)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/recovery-codes");
    let (status, html) = officer.page(&frontend.url("/login/recovery-codes")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<li><code>").count(), 10, "{html}");

    let again = officer.get(&frontend.url("/login/recovery-codes")).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER, "shown only once");
    let (status, _) = officer.page(&frontend.url("/portfolio")).await;
    assert_ne!(status, StatusCode::SEE_OTHER, "signed in");
}
