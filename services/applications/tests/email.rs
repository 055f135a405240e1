//! Notification emails: a state change over HTTP, the sender hands the notification to an SMTP
//! relay (a small fake one inside the test), and the row records what happened.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{grant_answers, Founder, Harness};
use imkon_applications::mailer::{self, MailSettings, RecipientDirectory};
use imkon_applications::peers::PeerFuture;
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;
use imkon_applications::smtp::SmtpRelay;
use serde_json::json;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// One message as the fake relay received it.
#[derive(Debug, Clone)]
struct Received {
    recipient: String,
    data: String,
}

/// A fake SMTP relay on 127.0.0.1:0 that accepts the dialogue and records the messages; it
/// answers `rcpt_reply` to RCPT TO.
struct FakeRelay {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeRelay {
    async fn start(rcpt_reply: &'static str) -> FakeRelay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (reader, mut writer) = stream.into_split();
                    let mut lines = BufReader::new(reader).lines();
                    writer.write_all(b"220 fake relay ready\r\n").await.unwrap();
                    let mut recipient = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let reply = if line.starts_with("EHLO") {
                            "250-fake relay\r\n250 8BITMIME\r\n".to_owned()
                        } else if line.starts_with("MAIL FROM:") {
                            "250 sender ok\r\n".to_owned()
                        } else if let Some(address) = line.strip_prefix("RCPT TO:") {
                            recipient = address.trim_matches(['<', '>']).to_owned();
                            format!("{rcpt_reply}\r\n")
                        } else if line == "DATA" {
                            writer.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                data.push_str(&line);
                                data.push('\n');
                            }
                            store.lock().unwrap().push(Received {
                                recipient: recipient.clone(),
                                data,
                            });
                            "250 queued\r\n".to_owned()
                        } else if line == "QUIT" {
                            writer.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        } else {
                            "500 unknown command\r\n".to_owned()
                        };
                        writer.write_all(reply.as_bytes()).await.unwrap();
                    }
                });
            }
        });
        FakeRelay { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn mail_settings(&self) -> MailSettings {
        MailSettings {
            relay: SmtpRelay::parse(&self.url).unwrap(),
            from: "applications@bank.example.uz".to_owned(),
        }
    }
}

/// Founders' addresses, as onboarding would give them.
#[derive(Default)]
struct Addresses(HashMap<Uuid, String>);

impl RecipientDirectory for Addresses {
    fn email_address(&self, client_id: Uuid) -> PeerFuture<'_, Option<String>> {
        let address = self.0.get(&client_id).cloned();
        Box::pin(async move { Ok(address) })
    }
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

#[sqlx::test(migrations = false)]
async fn a_state_change_reaches_the_founder_by_email_and_is_marked_sent(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let relay = FakeRelay::start("250 recipient ok").await;
    let addresses = Addresses(HashMap::from([(
        founder.client_id,
        "founder@startup.example.uz".to_owned(),
    )]));
    let shutdown = CancellationToken::new();
    mailer::spawn_sender(
        pool.clone(),
        Arc::new(addresses),
        relay.mail_settings(),
        shutdown.clone(),
    );

    let id = withdrawn_application(&harness, &founder).await;

    let mut delivery = withdrawal_delivery(&pool, id).await;
    // The sender pauses five seconds when idle, so the email may wait for its next pass.
    for _ in 0..200 {
        if delivery.sent_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        delivery = withdrawal_delivery(&pool, id).await;
    }
    shutdown.cancel();
    assert!(delivery.sent_at.is_some(), "{delivery:?}");
    assert_eq!(delivery.last_error, None);
    let subject = format!("Subject: Application {id}: withdrawn");
    let received = relay.received();
    let withdrawal = received
        .iter()
        .find(|message| message.data.contains(&subject))
        .unwrap_or_else(|| panic!("no withdrawal email among {received:?}"));
    assert_eq!(withdrawal.recipient, "founder@startup.example.uz");
    assert!(
        withdrawal.data.contains("Your application is withdrawn."),
        "{}",
        withdrawal.data
    );
}

#[sqlx::test(migrations = false)]
async fn a_refused_recipient_leaves_the_notification_unsent_with_the_error_recorded(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let relay = FakeRelay::start("550 no such mailbox").await;
    let addresses = Addresses(HashMap::from([(
        founder.client_id,
        "nobody@startup.example.uz".to_owned(),
    )]));

    let id = withdrawn_application(&harness, &founder).await;
    let sent = mailer::send_due(&pool, &addresses, &relay.mail_settings())
        .await
        .unwrap();

    assert_eq!(sent, 0);
    assert!(relay.received().is_empty());
    let delivery = withdrawal_delivery(&pool, id).await;
    assert_eq!(delivery.sent_at, None);
    assert_eq!(delivery.attempts, 1);
    let error = delivery.last_error.unwrap();
    assert!(error.contains("550 no such mailbox"), "{error}");
    assert!(delivery.next_attempt_at.unwrap() > Utc::now());

    // Not due again until the backoff has passed: a second pass sends nothing and tries nothing.
    mailer::send_due(&pool, &addresses, &relay.mail_settings())
        .await
        .unwrap();
    assert_eq!(withdrawal_delivery(&pool, id).await.attempts, 1);
}

#[sqlx::test(migrations = false)]
async fn a_founder_without_an_address_keeps_the_notification_unsent(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let relay = FakeRelay::start("250 recipient ok").await;

    let id = withdrawn_application(&harness, &founder).await;
    mailer::send_due(&pool, &Addresses::default(), &relay.mail_settings())
        .await
        .unwrap();

    let delivery = withdrawal_delivery(&pool, id).await;
    assert_eq!(delivery.sent_at, None);
    let error = delivery.last_error.unwrap();
    assert!(error.contains("no email address"), "{error}");
    assert!(relay.received().is_empty());
}
