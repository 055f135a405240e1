//! Password login, lockout, refresh and access tokens, service tokens, staff roles.

mod common;

use common::{
    spawn, spawn_with, TestApp, APPLICATIONS_SECRET, DISBURSEMENT_SECRET, FRONTEND_SECRET,
    SCORING_SECRET, UNLISTED_SECRET,
};
use imkon_auth::{Audience, PublicKeySet, Role, TokenVerifier};
use imkon_onboarding::config::LoginSettings;
use imkon_platform::auth_settings::DEFAULT_TOKEN_ISSUER;
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;

const PASSWORD: &str = "officer-demo-pass";

async fn refresh_token_of(app: &TestApp, username: &str, password: &str) -> String {
    let body = app.full_login(username, password).await;
    body["refresh_token"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrations = false)]
async fn a_staff_member_logs_in_and_gets_an_access_token_for_one_service(pool: PgPool) {
    let app = spawn(pool).await;
    let id = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;

    let body = app.full_login("KYC1", PASSWORD).await;
    assert_eq!(body["principal"]["id"], id.to_string());
    assert_eq!(
        body["principal"]["roles"],
        serde_json::json!(["kyc_officer"])
    );
    assert_eq!(body["refresh_expires_in"], 12 * 3600);
    let refresh_token = body["refresh_token"].as_str().unwrap();

    let response = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("audience", "applications"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let token: serde_json::Value = response.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert!(token["expires_in"].as_u64().unwrap() <= 900);

    let jwks = app
        .get("/.well-known/jwks.json", None)
        .await
        .text()
        .await
        .unwrap();
    let verifier = TokenVerifier::new(
        PublicKeySet::from_jwks_json(&jwks).unwrap(),
        DEFAULT_TOKEN_ISSUER,
        Audience::Applications,
    )
    .unwrap();
    let verified = verifier
        .verify(token["access_token"].as_str().unwrap())
        .expect("the published keys verify the token for its audience");
    assert_eq!(verified.principal().subject(), id);
    assert!(verified.principal().has_role(Role::KycOfficer));
    assert_eq!(app.audit_count("login.password").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let wrong = app.login("kyc1", "not-the-password").await;
    let wrong = assert_problem(wrong, &[401], Some("invalid_credentials")).await;
    let unknown = app.login("nobody", PASSWORD).await;
    let unknown = assert_problem(unknown, &[401], Some("invalid_credentials")).await;
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[sqlx::test(migrations = false)]
async fn five_wrong_passwords_lock_the_account_even_for_the_right_password_until_the_lock_ends(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    app.create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;

    for _ in 0..5 {
        let response = app.login("kyc1", "wrong-password").await;
        assert_problem(response, &[401], Some("invalid_credentials")).await;
    }
    let locked = app.login("kyc1", PASSWORD).await;
    let retry_after: i64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let lock = LoginSettings::default().lockout.lock_duration;
    assert_eq!(retry_after, lock.num_seconds(), "the whole lock is ahead");
    assert_problem(locked, &[429], Some("login_locked")).await;

    app.clock.advance(lock - chrono::Duration::milliseconds(1));
    let still = app.login("kyc1", PASSWORD).await;
    assert_problem(still, &[429], Some("login_locked")).await;
    app.clock.advance(chrono::Duration::milliseconds(1));
    assert_eq!(app.login("kyc1", PASSWORD).await.status(), 202);

    let outcomes: Vec<String> = sqlx::query_scalar(
        "select outcome from login_attempt where username = 'kyc1' order by attempted_at",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        outcomes,
        [
            "failed",
            "failed",
            "failed",
            "failed",
            "failed",
            "refused",
            "refused",
            "succeeded"
        ]
    );
    assert_eq!(app.audit_count("login.password").await, 8);
    let audited_addresses: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where action = 'login.password' and source_address = '127.0.0.1'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited_addresses, 8);
}

#[sqlx::test(migrations = false)]
async fn an_unknown_username_locks_like_a_known_one(pool: PgPool) {
    let app = spawn(pool).await;
    for _ in 0..5 {
        assert_eq!(app.login("ghost", "wrong-password").await.status(), 401);
    }
    assert_problem(
        app.login("ghost", "wrong-password").await,
        &[429],
        Some("login_locked"),
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn an_address_that_tries_too_often_is_refused(pool: PgPool) {
    let mut login = LoginSettings::default();
    login.lockout.attempts_per_address = 3;
    let app = spawn_with(pool, login).await;
    for username in ["first", "second", "third"] {
        assert_eq!(app.login(username, "wrong-password").await.status(), 401);
    }
    assert_problem(
        app.login("fourth", "wrong-password").await,
        &[429],
        Some("login_locked"),
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn the_token_endpoint_refuses_bad_revoked_and_misaddressed_requests(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let refresh_token = refresh_token_of(&app, "kyc1", PASSWORD).await;

    let unknown = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "not-a-token-we-issued"),
            ("audience", "applications"),
        ])
        .await;
    assert_problem(unknown, &[400], Some("invalid_grant")).await;

    let unknown_audience = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("audience", "ledger"),
        ])
        .await;
    assert_problem(unknown_audience, &[400], Some("invalid_target")).await;

    let unsupported = app.token_request(&[("grant_type", "password")]).await;
    assert_problem(unsupported, &[400], Some("unsupported_grant_type")).await;

    let logout = app
        .post_json(
            "/v1/auth/logout",
            None,
            &serde_json::json!({ "refresh_token": refresh_token }),
        )
        .await;
    assert_eq!(logout.status(), 204);
    let revoked = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("audience", "applications"),
        ])
        .await;
    assert_problem(revoked, &[400], Some("invalid_grant")).await;
    assert_eq!(app.audit_count("logout").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_service_with_the_right_secret_gets_a_service_token_and_a_wrong_secret_does_not(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let response = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "applications"),
            ("client_secret", APPLICATIONS_SECRET),
            ("audience", "onboarding"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let verifier = TokenVerifier::new(
        PublicKeySet::new([app.issuer.signing_key().public_key()]).unwrap(),
        DEFAULT_TOKEN_ISSUER,
        Audience::Onboarding,
    )
    .unwrap();
    let verified = verifier
        .verify(body["access_token"].as_str().unwrap())
        .unwrap();
    assert!(verified.principal().is_service());
    assert_eq!(verified.principal().name(), Some("applications"));

    for (client_id, secret) in [
        ("applications", "wrong-secret"),
        ("disbursement", APPLICATIONS_SECRET),
    ] {
        let refused = app
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("audience", "onboarding"),
            ])
            .await;
        assert_problem(refused, &[401], Some("invalid_client")).await;
    }
}

async fn client_credentials(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    audience: &str,
) -> reqwest::Response {
    app.token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("audience", audience),
    ])
    .await
}

#[sqlx::test(migrations = false)]
async fn scorings_credentials_cannot_buy_an_accounts_token(pool: PgPool) {
    let app = spawn(pool).await;
    for (client_id, secret) in [
        ("scoring", SCORING_SECRET),
        ("applications", APPLICATIONS_SECRET),
    ] {
        let refused = client_credentials(&app, client_id, secret, "accounts").await;
        assert_problem(refused, &[400], Some("invalid_scope")).await;
    }
    let unlisted = client_credentials(&app, "reporting", UNLISTED_SECRET, "onboarding").await;
    assert_problem(unlisted, &[400], Some("unauthorized_client")).await;
}

#[sqlx::test(migrations = false)]
async fn a_service_token_carries_only_the_scopes_its_service_is_granted(pool: PgPool) {
    let app = spawn(pool).await;
    let verifier = |audience| {
        TokenVerifier::new(
            PublicKeySet::new([app.issuer.signing_key().public_key()]).unwrap(),
            DEFAULT_TOKEN_ISSUER,
            audience,
        )
        .unwrap()
    };
    let cases = [
        (
            "disbursement",
            DISBURSEMENT_SECRET,
            Audience::Accounts,
            "accounts:read accounts:open accounts:transfer events:publish:loan.overdue \
             events:publish:contract.ready_to_sign events:publish:tranche.paid \
             events:publish:loan.instalment_due events:publish:contract.cancelled",
        ),
        (
            "applications",
            APPLICATIONS_SECRET,
            Audience::Disbursement,
            "events:publish:application.approved",
        ),
    ];
    for (client_id, secret, audience, scope) in cases {
        let response = client_credentials(&app, client_id, secret, audience.as_str()).await;
        assert_eq!(response.status(), 200, "{client_id} for {audience:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["scope"], scope);
        let verified = verifier(audience)
            .verify(body["access_token"].as_str().unwrap())
            .unwrap();
        let mut expected: Vec<&str> = scope.split(' ').collect();
        expected.sort_unstable();
        let held: Vec<&str> = verified
            .principal()
            .scopes()
            .map(|held| held.as_str())
            .collect();
        assert_eq!(held, expected);
    }
}

#[sqlx::test(migrations = false)]
async fn only_an_admin_grants_roles_and_the_grant_is_audited_and_reaches_the_next_token(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let admin = app.create_account("admin1", PASSWORD, &[Role::Admin]).await;
    let officer = app
        .create_account("credit1", PASSWORD, &[Role::CreditOfficer])
        .await;
    let refresh_token = refresh_token_of(&app, "credit1", PASSWORD).await;
    let path = format!("/v1/staff/{officer}/roles");
    let body = serde_json::json!({ "roles": ["approver"] });

    let not_admin = app.token_for(officer, &[Role::CreditOfficer], None);
    assert_problem(
        app.post_json(&path, Some(&not_admin), &body).await,
        &[403],
        None,
    )
    .await;
    assert_problem(app.post_json(&path, None, &body).await, &[401], None).await;

    let admin_token = app.token_for(admin, &[Role::Admin], None);
    let founder_role = serde_json::json!({ "roles": ["client"] });
    let refused = app
        .post_json(&path, Some(&admin_token), &founder_role)
        .await;
    let refused = assert_problem(refused, &[422], Some("validation_failed")).await;
    assert_eq!(refused["errors"][0]["field"], "roles[0]");

    let granted = app.post_json(&path, Some(&admin_token), &body).await;
    assert_eq!(granted.status(), 200);
    let granted: serde_json::Value = granted.json().await.unwrap();
    assert_eq!(
        granted["roles"],
        serde_json::json!(["credit_officer", "approver"])
    );
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_record where action = 'staff.grant_roles'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(before["roles"], serde_json::json!(["credit_officer"]));
    assert_eq!(
        after["roles"],
        serde_json::json!(["credit_officer", "approver"])
    );

    let token = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("audience", "applications"),
        ])
        .await;
    let token: serde_json::Value = token.json().await.unwrap();
    let verifier = TokenVerifier::new(
        PublicKeySet::new([app.issuer.signing_key().public_key()]).unwrap(),
        DEFAULT_TOKEN_ISSUER,
        Audience::Applications,
    )
    .unwrap();
    let verified = verifier
        .verify(token["access_token"].as_str().unwrap())
        .unwrap();
    assert!(verified.principal().has_role(Role::Approver));
}

#[sqlx::test(migrations = false)]
async fn an_admin_creates_a_staff_account_that_can_log_in(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.create_account("admin1", PASSWORD, &[Role::Admin]).await;
    let admin_token = app.token_for(admin, &[Role::Admin], None);
    let request = serde_json::json!({
        "username": "finance1", "password": "finance-demo-pass",
        "display_name": "Malika Finance", "roles": ["finance"]
    });
    let created = app
        .post_json("/v1/staff", Some(&admin_token), &request)
        .await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        app.full_login("finance1", "finance-demo-pass").await["principal"]["roles"],
        serde_json::json!(["finance"])
    );
    let again = app
        .post_json("/v1/staff", Some(&admin_token), &request)
        .await;
    assert_problem(again, &[409], Some("username_taken")).await;
    let short = serde_json::json!({
        "username": "finance2", "password": "short",
        "display_name": "F", "roles": ["finance"]
    });
    let short = assert_problem(
        app.post_json("/v1/staff", Some(&admin_token), &short).await,
        &[422],
        None,
    )
    .await;
    assert_eq!(short["errors"][0]["field"], "password");
}

#[sqlx::test(migrations = false)]
async fn a_refresh_token_stops_working_at_its_absolute_expiry(pool: PgPool) {
    let app = spawn(pool).await;
    // A founder: their password alone earns the refresh token, stamped by the service's clock.
    app.register_founder("founder1", 1).await;
    let refresh_token = refresh_token_of(&app, "founder1", "founder1-demo-pass").await;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
        ("audience", "onboarding"),
    ];
    assert_eq!(app.token_request(&form).await.status(), 200);
    let lifetime = LoginSettings::default().refresh_token_lifetime;
    app.clock.advance(lifetime - chrono::Duration::seconds(1));
    assert_eq!(
        app.token_request(&form).await.status(),
        200,
        "a second before its expiry"
    );
    app.clock.advance(chrono::Duration::seconds(1));
    assert_problem(
        app.token_request(&form).await,
        &[400],
        Some("invalid_grant"),
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn a_founders_access_token_carries_their_client_id(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let refresh_token = refresh_token_of(&app, "founder1", "founder1-demo-pass").await;
    let response = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("audience", "applications"),
        ])
        .await;
    let body: serde_json::Value = response.json().await.unwrap();
    let verifier = TokenVerifier::new(
        PublicKeySet::new([app.issuer.signing_key().public_key()]).unwrap(),
        DEFAULT_TOKEN_ISSUER,
        Audience::Applications,
    )
    .unwrap();
    let verified = verifier
        .verify(body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(verified.principal().client_id(), Some(founder.client_id));
    assert_eq!(
        verified.principal().roles().collect::<Vec<_>>(),
        [Role::Client]
    );
    let onboarding_verifier = TokenVerifier::new(
        PublicKeySet::new([app.issuer.signing_key().public_key()]).unwrap(),
        DEFAULT_TOKEN_ISSUER,
        Audience::Onboarding,
    )
    .unwrap();
    assert!(onboarding_verifier
        .verify(body["access_token"].as_str().unwrap())
        .is_err());
}

#[sqlx::test(migrations = false)]
async fn a_burst_of_parallel_guesses_gets_no_more_than_five_tries(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let url = app.url("/v1/auth/password");
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let client = app.server.client.clone();
        let url = url.clone();
        guesses.spawn(async move {
            let body = serde_json::json!({ "username": "kyc1", "password": "wrong-password" });
            let response = client.post(url).json(&body).send().await.unwrap();
            response.status().as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = guesses.join_next().await {
        statuses.push(status.unwrap());
    }
    let wrong = statuses.iter().filter(|status| **status == 401).count();
    let locked = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!((wrong, locked), (5, 5), "{statuses:?}");
}

/// A password login that names the visitor's address, with or without credentials.
async fn login_naming_address(
    app: &TestApp,
    username: &str,
    password: &str,
    address: &str,
    credentials: Credentials<'_>,
) -> reqwest::Response {
    let mut request = app
        .server
        .client
        .post(app.url("/v1/auth/password"))
        .header("x-imkon-client-address", address)
        .json(&serde_json::json!({ "username": username, "password": password }));
    request = match credentials {
        Credentials::None => request,
        Credentials::Basic(client_id, secret) => request.basic_auth(client_id, Some(secret)),
        Credentials::Bearer(token) => request.bearer_auth(token),
    };
    request.send().await.unwrap()
}

enum Credentials<'a> {
    None,
    Basic(&'a str, &'a str),
    Bearer(&'a str),
}

fn three_attempts_per_address() -> LoginSettings {
    let mut login = LoginSettings::default();
    login.lockout.attempts_per_address = 3;
    login
}

#[sqlx::test(migrations = false)]
async fn the_frontend_with_its_credentials_names_each_visitors_address_for_the_throttle(
    pool: PgPool,
) {
    let app = spawn_with(pool, three_attempts_per_address()).await;
    app.create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let frontend = || Credentials::Basic("frontend", FRONTEND_SECRET);
    for username in ["first", "second", "third"] {
        let response =
            login_naming_address(&app, username, "wrong-password", "203.0.113.7", frontend()).await;
        assert_eq!(response.status(), 401);
    }
    assert_problem(
        login_naming_address(&app, "fourth", "wrong-password", "203.0.113.7", frontend()).await,
        &[429],
        Some("login_locked"),
    )
    .await;
    // Another visitor behind the same frontend is not throttled with the first: the password is
    // accepted, and the KYC officer goes on to the second factor.
    let response = login_naming_address(&app, "kyc1", PASSWORD, "203.0.113.8", frontend()).await;
    assert_eq!(response.status(), 202);
    let recorded: i64 = sqlx::query_scalar(
        "select count(*) from login_attempt where source_address in ('203.0.113.7', '203.0.113.8')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(recorded, 5);
}

#[sqlx::test(migrations = false)]
async fn ipv6_visitors_are_throttled_by_their_slash_64_so_fresh_addresses_do_not_help(
    pool: PgPool,
) {
    let app = spawn_with(pool, three_attempts_per_address()).await;
    let frontend = || Credentials::Basic("frontend", FRONTEND_SECRET);
    for (username, address) in [
        ("first", "2001:db8:1:2::1"),
        ("second", "2001:db8:1:2::2"),
        ("third", "2001:db8:1:2:ffff::9"),
    ] {
        let response =
            login_naming_address(&app, username, "wrong-password", address, frontend()).await;
        assert_eq!(response.status(), 401);
    }
    assert_problem(
        login_naming_address(
            &app,
            "fourth",
            "wrong-password",
            "2001:db8:1:2::4",
            frontend(),
        )
        .await,
        &[429],
        Some("login_locked"),
    )
    .await;
    // The neighbouring /64 is another customer.
    let response = login_naming_address(
        &app,
        "fourth",
        "wrong-password",
        "2001:db8:1:3::1",
        frontend(),
    )
    .await;
    assert_eq!(response.status(), 401);
    // The audit keeps each full address.
    let audited: i64 = sqlx::query_scalar(
        "select count(distinct source_address) from audit_record where action = 'login.password'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 5);
}

#[sqlx::test(migrations = false)]
async fn a_client_address_header_from_anyone_but_the_frontend_is_not_believed(pool: PgPool) {
    let app = spawn_with(pool, three_attempts_per_address()).await;
    let founder_token = app.token_for(uuid::Uuid::now_v7(), &[Role::Client], None);
    let service_token = app.service_token();
    // Each try claims a fresh address, as a guesser dodging the throttle would; every one
    // still counts against the connection's own address.
    let attempts = [
        ("first", "198.51.100.1", Credentials::None),
        (
            "second",
            "198.51.100.2",
            Credentials::Bearer(&founder_token),
        ),
        (
            "third",
            "198.51.100.3",
            Credentials::Basic("frontend", "not-the-frontend-secret"),
        ),
    ];
    for (username, address, credentials) in attempts {
        let response =
            login_naming_address(&app, username, "wrong-password", address, credentials).await;
        assert_eq!(response.status(), 401, "{username}");
    }
    for credentials in [
        Credentials::Basic("applications", APPLICATIONS_SECRET),
        Credentials::Bearer(&service_token),
    ] {
        assert_problem(
            login_naming_address(
                &app,
                "fourth",
                "wrong-password",
                "198.51.100.4",
                credentials,
            )
            .await,
            &[429],
            Some("login_locked"),
        )
        .await;
    }
    let claimed: i64 = sqlx::query_scalar(
        "select count(*) from login_attempt where source_address like '198.51.100.%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(claimed, 0);
}
