//! Notification emails: a state change over HTTP, the sender hands the notification to a real
//! SMTP server on loopback (aiosmtpd, with STARTTLS and a throwaway certificate) in the
//! founder's language, and the row records what happened.

mod common;
// The SMTP server harness is onboarding's: one copy serves both services' mail tests.
#[allow(dead_code)]
#[path = "../../onboarding/tests/common/smtp.rs"]
mod smtp;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use common::{grant_answers, Founder, Harness};
use imkon_applications::mailer::{self, Recipient, RecipientDirectory};
use imkon_applications::peers::PeerFuture;
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;
use imkon_platform::language::Language;
use imkon_platform::mail::{MailSettings, Mailer, SmtpTls};
use serde_json::json;
use smtp::{SmtpSink, TestCertificate};
use sqlx::PgPool;
use uuid::Uuid;

/// Founders' addresses and languages, as onboarding would give them.
#[derive(Default)]
struct Addresses(HashMap<Uuid, Recipient>);

impl Addresses {
    fn one(client_id: Uuid, email: &str, language: Language) -> Addresses {
        Addresses(HashMap::from([(
            client_id,
            Recipient {
                email: email.to_owned(),
                language,
            },
        )]))
    }
}

impl RecipientDirectory for Addresses {
    fn recipient(&self, client_id: Uuid) -> PeerFuture<'_, Option<Recipient>> {
        let recipient = self.0.get(&client_id).cloned();
        Box::pin(async move { Ok(recipient) })
    }
}

fn mailer(port: u16, tls: SmtpTls, extra_root_pem: Option<Vec<u8>>) -> Mailer {
    Mailer::new(&MailSettings {
        host: "127.0.0.1".to_owned(),
        port,
        tls,
        credentials: None,
        extra_root_pem,
        from: "Imkon <applications@bank.example.uz>".parse().unwrap(),
    })
    .expect("a mailer")
}

/// A throwaway certificate for 127.0.0.1 and its PEM, which the mailer trusts.
async fn certificate() -> (TestCertificate, Vec<u8>) {
    let directory = std::env::temp_dir().join(format!("imkon-smtp-{}", Uuid::now_v7()));
    let certificate = TestCertificate::create(&directory).await;
    let pem = std::fs::read(&certificate.cert).unwrap();
    (certificate, pem)
}

/// Drafts an application and withdraws it over HTTP, and gives its id.
async fn withdrawn_application(harness: &Harness, founder: &Founder) -> Uuid {
    let id = harness
        .draft(
            founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    harness
        .post_ok(
            &format!("/v1/applications/{id}/withdraw"),
            &founder.token,
            &json!({}),
        )
        .await;
    id
}

#[derive(Debug, sqlx::FromRow)]
struct Delivery {
    sent_at: Option<DateTime<Utc>>,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: Option<DateTime<Utc>>,
}

async fn withdrawal_delivery(pool: &PgPool, application_id: Uuid) -> Delivery {
    sqlx::query_as(
        "select sent_at, attempts, last_error, next_attempt_at from notification
         where application_id = $1 and subject like '%withdrawn'",
    )
    .bind(application_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Makes every notification unsent and due again, as if it had never been mailed.
async fn make_due_again(pool: &PgPool) {
    sqlx::query("update notification set sent_at = null, next_attempt_at = null")
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_state_change_reaches_the_founder_over_starttls_in_their_language(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let (certificate, pem) = certificate().await;
    let sink = SmtpSink::start(Some(&certificate)).await;
    let mailer = mailer(sink.port, SmtpTls::Required, Some(pem));
    let id = withdrawn_application(&harness, &founder).await;

    let cases = [
        (
            Language::Ru,
            "Imkon: Заявка",
            "Ваша заявка отозвана.",
            "Проверка вашей личности одобрена",
        ),
        (
            Language::UzCyrl,
            "Imkon: Ариза",
            "Аризангиз қайтариб олинди.",
            "Шахсингизни текшириш маъқулланди",
        ),
        (
            Language::UzLatn,
            "Imkon: Ariza",
            "Arizangiz qaytarib olindi.",
            "Shaxsingizni tekshirish maʼqullandi",
        ),
    ];
    for (index, (language, subject, body, kyc_body)) in cases.into_iter().enumerate() {
        make_due_again(&pool).await;
        let addresses = Addresses::one(founder.client_id, "founder@startup.example.uz", language);
        let sent = mailer::send_due(&pool, &addresses, &mailer).await.unwrap();
        // The founder's KYC approval and the withdrawal: a draft is not a state change.
        assert_eq!(sent, 2, "{language:?}");
        let delivery = withdrawal_delivery(&pool, id).await;
        assert!(delivery.sent_at.is_some(), "{delivery:?}");
        assert_eq!(delivery.last_error, None);

        let expected_subject = format!("{subject} {id}");
        assert!(
            sink.subjects().contains(&expected_subject),
            "{expected_subject} among {:?}",
            sink.subjects()
        );
        let messages = sink.messages();
        assert_eq!(messages.len(), 2 * (index + 1));
        assert!(
            messages.iter().any(|(_, text)| text.starts_with(kyc_body)),
            "no {language:?} KYC email among {messages:?}"
        );
        let (raw, text) = messages
            .iter()
            .find(|(_, text)| text.contains(body))
            .unwrap_or_else(|| panic!("no {language:?} withdrawal email among {messages:?}"));
        assert_eq!(text.trim(), body);
        // A Cyrillic subject travels RFC 2047 encoded (the Latin one needs no encoding): the raw
        // headers hold only ASCII, and the message has a date, an id and both parts.
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(headers.is_ascii(), "{headers}");
        let subject_line = headers
            .lines()
            .find(|line| line.starts_with("Subject: "))
            .unwrap();
        assert_eq!(
            subject_line.contains("=?utf-8?b?"),
            !expected_subject.is_ascii(),
            "{headers}"
        );
        assert!(headers.contains("Date: ") && headers.contains("Message-ID: <"));
        assert!(
            headers.contains("To: founder@startup.example.uz"),
            "{headers}"
        );
        assert!(raw.contains("text/html"), "{raw}");
    }
    // The stored notification, which the inbox shows, keeps its English text.
    let (subject, body): (String, String) = sqlx::query_as(
        "select subject, body from notification where application_id = $1 and kind = 'state:withdrawn'",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(subject, format!("Application {id}: withdrawn"));
    assert_eq!(body, "Your application is withdrawn.");
}

#[sqlx::test(migrations = false)]
async fn news_of_a_loan_reaches_the_founder_in_russian_and_uzbek(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let (certificate, pem) = certificate().await;
    let sink = SmtpSink::start(Some(&certificate)).await;
    let mailer = mailer(sink.port, SmtpTls::Required, Some(pem));
    let disbursement = imkon_platform::testing::token(
        &harness.issuer,
        &imkon_platform::testing::service_principal("disbursement"),
        imkon_auth::Audience::Applications,
    );
    // A draft makes no notification of its own, so the founder's mail is the KYC approval's
    // and the loan's.
    let application_id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    let loan = json!({
        "contract_id": Uuid::now_v7(), "application_id": application_id,
        "client_id": founder.client_id, "company_id": Uuid::now_v7(),
        "tranche_number": 1, "amount": "50000000.00", "currency": "UZS",
        "installment_number": 1, "due_date": "2024-02-01", "amount_due": "8611.06",
    });
    for topic in [
        "contract.ready_to_sign",
        "tranche.paid",
        "loan.instalment_due",
    ] {
        let event = json!({
            "id": Uuid::now_v7(), "topic": topic, "occurred_at": Utc::now(), "payload": loan,
        });
        harness.post_ok("/v1/events", &disbursement, &event).await;
    }

    let cases = [
        (
            Language::Ru,
            [
                "Imkon: договор готов к подписанию",
                "Imkon: транш выплачен",
                "Imkon: скоро платёж по кредиту",
            ],
        ),
        (
            Language::UzLatn,
            [
                "Imkon: shartnoma imzolashga tayyor",
                "Imkon: transh toʻlandi",
                "Imkon: kredit toʻlovi muddati yaqinlashmoqda",
            ],
        ),
        (
            Language::UzCyrl,
            [
                "Imkon: шартнома имзолашга тайёр",
                "Imkon: транш тўланди",
                "Imkon: кредит тўлови муддати яқинлашмоқда",
            ],
        ),
    ];
    for (index, (language, subjects)) in cases.into_iter().enumerate() {
        make_due_again(&pool).await;
        let addresses = Addresses::one(founder.client_id, "founder@startup.example.uz", language);
        let sent = mailer::send_due(&pool, &addresses, &mailer).await.unwrap();
        // The three loan notices and the founder's KYC approval.
        assert_eq!(sent, 4, "{language:?}");
        let received = sink.subjects();
        assert_eq!(received.len(), 4 * (index + 1), "{received:?}");
        for subject in subjects {
            let copies = received.iter().filter(|got| *got == subject).count();
            assert_eq!(copies, 1, "{subject} among {received:?}");
        }
    }
}

#[sqlx::test(migrations = false)]
async fn a_relay_without_starttls_gets_nothing_and_the_error_is_recorded(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let (_certificate, pem) = certificate().await;
    let plain = SmtpSink::start(None).await;
    let mailer = mailer(plain.port, SmtpTls::Required, Some(pem));
    let addresses = Addresses::one(
        founder.client_id,
        "founder@startup.example.uz",
        Language::Ru,
    );

    let id = withdrawn_application(&harness, &founder).await;
    let sent = mailer::send_due(&pool, &addresses, &mailer).await.unwrap();

    assert_eq!(sent, 0);
    assert!(plain.messages().is_empty());
    let delivery = withdrawal_delivery(&pool, id).await;
    assert_eq!(delivery.sent_at, None);
    assert_eq!(delivery.attempts, 1);
    assert!(delivery.last_error.is_some(), "{delivery:?}");
    assert!(delivery.next_attempt_at.unwrap() > Utc::now());

    // Not due again until the backoff has passed: a second pass tries nothing.
    mailer::send_due(&pool, &addresses, &mailer).await.unwrap();
    assert_eq!(withdrawal_delivery(&pool, id).await.attempts, 1);
}

#[sqlx::test(migrations = false)]
async fn a_founder_without_an_address_keeps_the_notification_unsent(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let sink = SmtpSink::start(None).await;

    let id = withdrawn_application(&harness, &founder).await;
    mailer::send_due(
        &pool,
        &Addresses::default(),
        &mailer(sink.port, SmtpTls::None, None),
    )
    .await
    .unwrap();

    let delivery = withdrawal_delivery(&pool, id).await;
    assert_eq!(delivery.sent_at, None);
    let error = delivery.last_error.unwrap();
    assert!(error.contains("no email address"), "{error}");
    assert!(sink.messages().is_empty());
}
