//! Passwords over HTTP: changing one's own, the emailed reset link (sent through a real SMTP
//! server on loopback), and the refusals: a wrong old password, a used or expired link, and
//! the same answer whether or not an address is a founder's.

mod common;

use common::smtp::{SmtpSink, TestCertificate};
use common::{spawn, TestApp};
use imkon_auth::Role;
use imkon_platform::mail::{self, MailSettings, Mailer, SmtpTls};
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;

const PASSWORD: &str = "officer-demo-pass";
const FOUNDER_PASSWORD: &str = "founder1-demo-pass";
const NEW_PASSWORD: &str = "a-brand-new-pass";

async fn change(app: &TestApp, token: &str, body: serde_json::Value) -> reqwest::Response {
    app.post_json("/v1/me/password", Some(token), &body).await
}

async fn ask_reset(app: &TestApp, email: &str, language: &str) -> reqwest::Response {
    app.post_json(
        "/v1/password-resets",
        None,
        &serde_json::json!({ "email": email, "language": language }),
    )
    .await
}

async fn complete(app: &TestApp, ticket: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/v1/password-resets/complete",
        None,
        &serde_json::json!({ "ticket": ticket, "new_password": password }),
    )
    .await
}

fn mailer(port: u16, tls: SmtpTls, extra_root_pem: Option<Vec<u8>>) -> Mailer {
    Mailer::new(&MailSettings {
        host: "127.0.0.1".to_owned(),
        port,
        tls,
        credentials: None,
        extra_root_pem,
        from: "Imkon <no-reply@imkon.example>".parse().unwrap(),
    })
    .expect("a mailer")
}

/// The ticket in a reset link of the decoded text part.
fn ticket_in(text: &str) -> String {
    let start = text.find("?token=").expect("a reset link") + "?token=".len();
    text[start..]
        .chars()
        .take_while(|character| character.is_ascii_alphanumeric() || "-_".contains(*character))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_person_changes_their_password_and_their_other_sessions_end(pool: PgPool) {
    let app = spawn(pool).await;
    let officer = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let here = app.full_login("kyc1", PASSWORD).await;
    let elsewhere = app.full_login("kyc1", PASSWORD).await;
    let token = app.token_for(officer, &[Role::KycOfficer], None);

    let wrong = change(
        &app,
        &token,
        serde_json::json!({ "old_password": "not-the-password", "new_password": NEW_PASSWORD }),
    )
    .await;
    let problem = assert_problem(wrong, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "old_password", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "wrong_password", "{problem}");
    assert_eq!(app.login("kyc1", NEW_PASSWORD).await.status(), 401);

    let changed = change(
        &app,
        &token,
        serde_json::json!({
            "old_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "keep_refresh_token": here["refresh_token"],
        }),
    )
    .await;
    assert_eq!(changed.status(), 204);
    let refresh = |refresh_token: serde_json::Value| {
        let app = &app;
        async move {
            app.token_request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str().unwrap()),
                ("audience", "onboarding"),
            ])
            .await
            .status()
        }
    };
    assert_eq!(
        refresh(here["refresh_token"].clone()).await,
        200,
        "this session stays"
    );
    assert_eq!(
        refresh(elsewhere["refresh_token"].clone()).await,
        400,
        "others end"
    );
    assert_eq!(app.login("kyc1", PASSWORD).await.status(), 401);
    app.full_login("kyc1", NEW_PASSWORD).await;
    let audited: serde_json::Value = sqlx::query_scalar(
        "select after from audit_record where action = 'password.change'
         and after->>'outcome' = 'changed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited["sessions_ended"], 1);
}

#[sqlx::test(migrations = false)]
async fn a_new_password_must_follow_the_rules_and_strangers_change_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let short = change(
        &app,
        &founder.token,
        serde_json::json!({ "old_password": FOUNDER_PASSWORD, "new_password": "short" }),
    )
    .await;
    let problem = assert_problem(short, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "new_password", "{problem}");
    assert_eq!(
        problem["errors"][0]["code"], "invalid_password",
        "{problem}"
    );
    let unsigned = app
        .post_json(
            "/v1/me/password",
            None,
            &serde_json::json!({ "old_password": FOUNDER_PASSWORD, "new_password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(unsigned.status(), 401);
    app.full_login("founder1", FOUNDER_PASSWORD).await;
}

#[sqlx::test(migrations = false)]
async fn the_answer_is_the_same_whether_or_not_the_address_is_a_founders(pool: PgPool) {
    let app = spawn(pool).await;
    app.register_founder("founder1", 1).await;
    let known = ask_reset(&app, "AZIZ@example.uz", "ru").await;
    let unknown = ask_reset(&app, "nobody@example.uz", "ru").await;
    assert_eq!(known.status(), 202);
    assert_eq!(unknown.status(), 202);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    let (recipient, subject): (String, String) =
        sqlx::query_as("select recipient, subject from mail_outbox")
            .fetch_one(&app.pool)
            .await
            .expect("one email, for the known address only");
    assert_eq!(recipient, "aziz@example.uz");
    assert_eq!(subject, "Imkon: установка нового пароля");
    assert_eq!(app.count("password_ticket").await, 1);
    assert_eq!(
        app.count("password_ticket where token_sha256 is not null")
            .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn reset_emails_are_limited_per_account(pool: PgPool) {
    let app = spawn(pool).await;
    app.register_founder("founder1", 1).await;
    for _ in 0..5 {
        assert_eq!(ask_reset(&app, "aziz@example.uz", "en").await.status(), 202);
    }
    assert_eq!(app.count("mail_outbox").await, 3);
    assert_eq!(app.audit_count("password.reset_requested").await, 5);
}

#[sqlx::test(migrations = false)]
async fn the_reset_email_arrives_over_smtp_and_its_link_works_once(pool: PgPool) {
    let app = spawn(pool).await;
    app.register_founder("founder1", 1).await;
    let sink = SmtpSink::start(None).await;
    assert_eq!(
        ask_reset(&app, "aziz@example.uz", "uz-Cyrl").await.status(),
        202
    );
    let sent = mail::send_due(&app.pool, &mailer(sink.port, SmtpTls::None, None))
        .await
        .unwrap();
    assert_eq!(sent, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let (raw, text) = &messages[0];
    assert!(
        raw.contains("\nDate: ") && raw.contains("\nMessage-ID: <"),
        "{raw}"
    );
    let subject = raw
        .split("\r\n")
        .skip_while(|line| !line.starts_with("Subject: "))
        .take_while(|line| line.starts_with("Subject: ") || line.starts_with(' '))
        .collect::<String>();
    assert!(
        subject.starts_with("Subject: Imkon: =?utf-8?b?") && subject.is_ascii(),
        "an encoded subject: {raw}"
    );
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(text.contains("дақиқа"), "in Uzbek Cyrillic: {text}");
    assert_eq!(app.count("mail_outbox where sent_at is not null").await, 1);

    let ticket = ticket_in(text);
    let set = complete(&app, &ticket, NEW_PASSWORD).await;
    assert_eq!(set.status(), 200);
    let set: serde_json::Value = set.json().await.unwrap();
    assert!(
        set["account_id"].is_string(),
        "whose password was set: {set}"
    );
    assert_eq!(app.login("founder1", FOUNDER_PASSWORD).await.status(), 401);
    app.full_login("founder1", NEW_PASSWORD).await;
    let again = complete(&app, &ticket, "yet-another-password").await;
    assert_problem(again, &[400], Some("invalid_ticket")).await;
}

#[sqlx::test(migrations = false)]
async fn an_expired_or_unknown_reset_link_sets_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    app.register_founder("founder1", 1).await;
    let sink = SmtpSink::start(None).await;
    ask_reset(&app, "aziz@example.uz", "en").await;
    mail::send_due(&app.pool, &mailer(sink.port, SmtpTls::None, None))
        .await
        .unwrap();
    let ticket = ticket_in(&sink.messages()[0].1);
    sqlx::query(
        "update password_ticket set created_at = now() - interval '31 minutes',
         expires_at = now() - interval '1 minute'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert_problem(
        complete(&app, &ticket, NEW_PASSWORD).await,
        &[400],
        Some("invalid_ticket"),
    )
    .await;
    assert_problem(
        complete(&app, "no-such-ticket", NEW_PASSWORD).await,
        &[400],
        Some("invalid_ticket"),
    )
    .await;
    app.full_login("founder1", FOUNDER_PASSWORD).await;
}

#[sqlx::test(migrations = false)]
async fn mail_goes_over_starttls_and_is_not_sent_in_clear_when_tls_is_required(pool: PgPool) {
    let app = spawn(pool).await;
    app.register_founder("founder1", 1).await;
    let directory = std::env::temp_dir().join(format!("imkon-smtp-{}", uuid::Uuid::now_v7()));
    let certificate = TestCertificate::create(&directory).await;
    let pem = std::fs::read(&certificate.cert).unwrap();

    // A relay without STARTTLS: required TLS refuses to send, and the failure is recorded.
    let plain = SmtpSink::start(None).await;
    ask_reset(&app, "aziz@example.uz", "ru").await;
    let sent = mail::send_due(
        &app.pool,
        &mailer(plain.port, SmtpTls::Required, Some(pem.clone())),
    )
    .await
    .unwrap();
    assert_eq!(sent, 0);
    assert!(plain.messages().is_empty());
    assert_eq!(
        app.count("mail_outbox where last_error is not null and sent_at is null")
            .await,
        1
    );

    let secure = SmtpSink::start(Some(&certificate)).await;
    sqlx::query("update mail_outbox set due_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    let sent = mail::send_due(
        &app.pool,
        &mailer(secure.port, SmtpTls::Required, Some(pem)),
    )
    .await
    .unwrap();
    assert_eq!(sent, 1);
    let messages = secure.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].1.contains("?token="), "{}", messages[0].1);
    assert!(messages[0].1.contains("минут"), "in Russian");
}
