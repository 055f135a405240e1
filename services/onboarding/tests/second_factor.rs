//! The second factor: staff who decide or move money get no refresh token for a password
//! alone; they enrol an authenticator, then enter its codes (each once) or a recovery code.

mod common;

use common::{spawn, spawn_with, TestApp};
use imkon_auth::Role;
use imkon_onboarding::config::LoginSettings;
use imkon_onboarding::domain::totp::TotpSecret;
use imkon_platform::testing::assert_problem;
use serde_json::Value;
use sqlx::PgPool;

const PASSWORD: &str = "officer-demo-pass";

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

/// The first factor's answer: must be a 202 challenge without a refresh token.
async fn challenge_of(app: &TestApp, username: &str) -> Value {
    let response = app.login(username, PASSWORD).await;
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    body
}

/// Enrols `username` through the API and returns its secret and recovery codes.
async fn enrol(app: &TestApp, username: &str) -> (TotpSecret, Vec<String>) {
    let challenge = challenge_of(app, username).await;
    let secret =
        TotpSecret::from_base32(challenge["enrolment"]["secret"].as_str().unwrap()).unwrap();
    let response = app
        .second_factor(
            challenge["challenge"].as_str().unwrap(),
            &secret.code_at(now()),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

#[sqlx::test(migrations = false)]
async fn a_staff_password_alone_gets_no_refresh_token_but_an_enrolment(pool: PgPool) {
    let app = spawn(pool).await;
    for (username, role) in [
        ("kyc1", Role::KycOfficer),
        ("credit1", Role::CreditOfficer),
        ("approver1", Role::Approver),
        ("finance1", Role::Finance),
        ("admin1", Role::Admin),
    ] {
        app.create_account(username, PASSWORD, &[role]).await;
        let challenge = challenge_of(&app, username).await;
        assert_eq!(challenge["step"], "enrol", "{username}");
        let enrolment = &challenge["enrolment"];
        let secret = enrolment["secret"].as_str().unwrap();
        let uri = enrolment["otpauth_uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/Imkon:"), "{uri}");
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    }
    assert_eq!(app.count("refresh_token").await, 0);
    let refused = app.second_factor("made-up-challenge", "123456").await;
    assert_problem(refused, &[401], Some("invalid_challenge")).await;
}

#[sqlx::test(migrations = false)]
async fn enrolment_from_a_fresh_staff_account_ends_in_a_login_and_ten_recovery_codes(pool: PgPool) {
    let app = spawn(pool).await;
    let id = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let challenge = challenge_of(&app, "kyc1").await;
    let secret =
        TotpSecret::from_base32(challenge["enrolment"]["secret"].as_str().unwrap()).unwrap();
    let wrong = app
        .second_factor(challenge["challenge"].as_str().unwrap(), "000000")
        .await;
    assert_problem(wrong, &[401], Some("invalid_code")).await;
    let response = app
        .second_factor(
            challenge["challenge"].as_str().unwrap(),
            &secret.code_at(now()),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["principal"]["id"], id.to_string());
    assert!(body["refresh_token"].is_string());
    assert_eq!(body["recovery_codes"].as_array().unwrap().len(), 10);

    // Enrolled: the next login asks for a code, offers no new secret and no recovery codes.
    let challenge = challenge_of(&app, "kyc1").await;
    assert_eq!(challenge["step"], "verify");
    assert!(challenge.get("enrolment").is_none());
    let code = app.next_code("kyc1", &secret).await;
    let response = app
        .second_factor(challenge["challenge"].as_str().unwrap(), &code)
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("recovery_codes").is_none());

    let stored: i64 = sqlx::query_scalar(
        "select count(*) from second_factor_recovery_code where account_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 10);
    assert_eq!(app.audit_count("login.second_factor").await, 3);
}

#[sqlx::test(migrations = false)]
async fn a_wrong_code_is_refused_and_counts_towards_the_lockout(pool: PgPool) {
    let mut login = LoginSettings::default();
    login.lockout.lock_duration = chrono::Duration::seconds(60);
    let app = spawn_with(pool, login).await;
    app.create_account("credit1", PASSWORD, &[Role::CreditOfficer])
        .await;
    let (secret, _) = enrol(&app, "credit1").await;

    // Five wrong codes, over fresh challenges as an attacker with the password would try.
    for attempt in 0..5 {
        let challenge = challenge_of(&app, "credit1").await;
        let wrong = app
            .second_factor(challenge["challenge"].as_str().unwrap(), "999999")
            .await;
        assert_problem(wrong, &[401], Some("invalid_code"))
            .await
            .to_string();
        let failed: i64 = sqlx::query_scalar(
            "select count(*) from login_attempt where username = 'credit1' and outcome = 'failed'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(failed, attempt + 1, "each wrong code is a failed login");
    }

    // Now even the right code is refused until the lock ends.
    let challenge = app.login("credit1", PASSWORD).await;
    let code = app.next_code("credit1", &secret).await;
    if challenge.status() == 202 {
        let challenge: Value = challenge.json().await.unwrap();
        let locked = app
            .second_factor(challenge["challenge"].as_str().unwrap(), &code)
            .await;
        assert_problem(locked, &[429], Some("login_locked")).await;
    } else {
        assert_problem(challenge, &[429], Some("login_locked")).await;
    }
    assert_eq!(app.count("refresh_token").await, 1, "only the enrolment's");
}

#[sqlx::test(migrations = false)]
async fn one_challenge_dies_after_five_wrong_codes(pool: PgPool) {
    let mut login = LoginSettings::default();
    login.lockout.consecutive_failures_to_lock = 50;
    let app = spawn_with(pool, login).await;
    app.create_account("approver1", PASSWORD, &[Role::Approver])
        .await;
    let (secret, _) = enrol(&app, "approver1").await;
    let challenge = challenge_of(&app, "approver1").await;
    let challenge = challenge["challenge"].as_str().unwrap();
    for _ in 0..5 {
        let wrong = app.second_factor(challenge, "111111").await;
        assert_problem(wrong, &[401], Some("invalid_code")).await;
    }
    let code = app.next_code("approver1", &secret).await;
    let dead = app.second_factor(challenge, &code).await;
    assert_problem(dead, &[401], Some("invalid_challenge")).await;
}

#[sqlx::test(migrations = false)]
async fn a_right_code_works_once_per_time_step_and_a_replay_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_account("finance1", PASSWORD, &[Role::Finance])
        .await;
    let (secret, _) = enrol(&app, "finance1").await;

    let code = app.next_code("finance1", &secret).await;
    let first = challenge_of(&app, "finance1").await;
    let response = app
        .second_factor(first["challenge"].as_str().unwrap(), &code)
        .await;
    assert_eq!(response.status(), 200);

    // The same code, seen over a shoulder, on a new challenge: refused.
    let second = challenge_of(&app, "finance1").await;
    let replay = app
        .second_factor(second["challenge"].as_str().unwrap(), &code)
        .await;
    assert_problem(replay, &[401], Some("invalid_code")).await;
    // A used challenge does not work again either.
    let again = app
        .second_factor(first["challenge"].as_str().unwrap(), &code)
        .await;
    assert_problem(again, &[401], Some("invalid_challenge")).await;
}

#[sqlx::test(migrations = false)]
async fn a_recovery_code_works_once(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_account("admin1", PASSWORD, &[Role::Admin]).await;
    let (_, recovery_codes) = enrol(&app, "admin1").await;
    assert_eq!(recovery_codes.len(), 10);

    let challenge = challenge_of(&app, "admin1").await;
    let typed = recovery_codes[3].to_lowercase().replace('-', " ");
    let response = app
        .second_factor(challenge["challenge"].as_str().unwrap(), &typed)
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["refresh_token"].is_string());

    let challenge = challenge_of(&app, "admin1").await;
    let reused = app
        .second_factor(challenge["challenge"].as_str().unwrap(), &recovery_codes[3])
        .await;
    assert_problem(reused, &[401], Some("invalid_code")).await;
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("select code_sha256 from second_factor_recovery_code")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for code in &recovery_codes {
        assert!(
            stored.iter().all(|hash| hash != code.as_bytes()),
            "codes are stored hashed"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn a_founders_login_is_unchanged(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder9", 4242).await;
    let response = app.login("founder9", "founder9-demo-pass").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["refresh_token"].is_string());
    assert_eq!(body["principal"]["id"], founder.account_id.to_string());
    assert_eq!(app.count("second_factor_challenge").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_secret_in_the_database_is_sealed_not_plain(pool: PgPool) {
    let app = spawn(pool).await;
    let id = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let (secret, _) = enrol(&app, "kyc1").await;
    let sealed: Vec<u8> =
        sqlx::query_scalar("select sealed_secret from second_factor where account_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let base32 = secret.to_base32();
    let plain = TotpSecret::from_base32(&base32).unwrap();
    assert_ne!(sealed, base32.as_bytes());
    assert!(!String::from_utf8_lossy(&sealed).contains(&base32));
    assert_eq!(app.second_factor_key.open(id, &sealed).unwrap(), plain);
}

#[sqlx::test(migrations = false)]
async fn the_demo_staff_are_enrolled_with_their_printed_secrets(pool: PgPool) {
    let app = spawn(pool).await;
    let logins = imkon_onboarding::seed_demo(&app.pool, &app.second_factor_key, &app.calendar)
        .await
        .unwrap();
    let credit1 = logins
        .0
        .iter()
        .find(|login| login.username == "credit1")
        .unwrap();
    let secret = TotpSecret::from_base32(credit1.totp_secret.as_deref().unwrap()).unwrap();
    let response = app.login("credit1", credit1.password).await;
    assert_eq!(response.status(), 202);
    let challenge: Value = response.json().await.unwrap();
    assert_eq!(challenge["step"], "verify");
    let code = app.next_code("credit1", &secret).await;
    let response = app
        .second_factor(challenge["challenge"].as_str().unwrap(), &code)
        .await;
    assert_eq!(response.status(), 200);
}

/// A founder's refresh token passed no second factor, so it must never come to carry a staff
/// role: granting one to a client's account is refused (issue 13), and the token stays a
/// founder's.
#[sqlx::test(migrations = false)]
async fn a_founder_is_never_granted_a_staff_role_so_their_refresh_token_stays_a_founders(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder8", 4343).await;
    let login: Value = app
        .login("founder8", "founder8-demo-pass")
        .await
        .json()
        .await
        .unwrap();
    let refresh_token = login["refresh_token"].as_str().unwrap();
    let trade = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("audience", "accounts"),
    ];
    assert_eq!(app.token_request(&trade).await.status(), 200);

    let admin = app.create_account("admin1", PASSWORD, &[Role::Admin]).await;
    let admin_token = app.token_for(admin, &[Role::Admin], None);
    let granted = app
        .post_json(
            &format!("/v1/staff/{}/roles", founder.account_id),
            Some(&admin_token),
            &serde_json::json!({ "roles": ["finance"] }),
        )
        .await;
    assert_problem(granted, &[409], Some("not_a_staff_account")).await;

    let traded: Value = app.token_request(&trade).await.json().await.unwrap();
    use base64::Engine as _;
    let payload = traded["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["roles"], serde_json::json!(["client"]), "{claims}");
}
