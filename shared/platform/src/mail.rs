//! Outgoing email: a transactional mail outbox and a sender that speaks SMTP through `lettre`.
//!
//! A service writes a message into its `mail_outbox` table with [`enqueue`] in the transaction
//! of the change the message tells about, so a message exists if and only if the change
//! committed. The sender ([`send_due`], looped by [`spawn_sender`]) claims a batch in a short
//! transaction (moving each message's `due_at` forward, so a sender that dies mid-batch leaves
//! its claim to be taken again later), commits, talks SMTP with no transaction open, and then
//! records each outcome. Delivery is therefore at least once.
//!
//! The connection requires STARTTLS unless the setting `mail_smtp_tls` says `none` (a relay on
//! loopback), authenticates when `mail_smtp_username` is set, and every message carries `Date`
//! and `Message-ID`, an RFC 2047 encoded subject when it is not ASCII, and both a plain-text
//! and an HTML part.
//!
//! The service's migrations create the table:
//! `mail_outbox (id uuid, recipient, subject, text_body, html_body, created_at, due_at,
//! attempts, sent_at, last_error)`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::{PgConnection, PgPool, Row};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::{ConfigError, Settings};

/// How many messages one pass claims at most.
pub const BATCH_SIZE: i64 = 20;

/// How long a claim lasts: a message claimed by a sender that died is sent again after this.
const CLAIM_SECONDS: i64 = 300;

/// The first retry waits this long; each later one twice as long, up to an hour.
const FIRST_RETRY_DELAY_SECONDS: i64 = 30;
const MAX_RETRY_DELAY_SECONDS: i64 = 3600;

/// How long the sender sleeps when nothing is due.
const IDLE_PAUSE: Duration = Duration::from_secs(5);

/// One message to send: both parts are written by the caller in the recipient's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

/// Escapes text for an HTML part.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes `email` into the outbox in the caller's transaction and returns its id.
pub async fn enqueue(connection: &mut PgConnection, email: &Email) -> Result<Uuid, sqlx::Error> {
    let id = crate::id::new_id();
    sqlx::query(
        "insert into mail_outbox (id, recipient, subject, text_body, html_body)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(&email.to)
    .bind(&email.subject)
    .bind(&email.text_body)
    .bind(&email.html_body)
    .execute(connection)
    .await?;
    Ok(id)
}

/// Whether the SMTP conversation must be encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// STARTTLS, and the message is not sent if the relay does not offer it.
    Required,
    /// Plain text: only for a relay on the same host or a test server.
    None,
}

/// Where and how mail leaves, from the settings `mail_smtp_host`, `mail_smtp_port` (587),
/// `mail_smtp_tls` (`required` or `none`; `required` unless set), `mail_smtp_username` and
/// `mail_smtp_password` (AUTH when the username is set), `mail_smtp_ca_file` (a PEM
/// certificate trusted besides the public roots: a bank-internal CA) and `mail_from`.
#[derive(Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, String)>,
    pub extra_root_pem: Option<Vec<u8>>,
    pub from: Mailbox,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field(
                "username",
                &self.credentials.as_ref().map(|(username, _)| username),
            )
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl MailSettings {
    /// `None` when `mail_smtp_host` is absent: messages then wait in the outbox.
    pub fn from_settings(settings: &Settings) -> Result<Option<MailSettings>, ConfigError> {
        let Some(host) = settings
            .raw("mail_smtp_host")
            .map(str::trim)
            .filter(|host| !host.is_empty())
        else {
            return Ok(None);
        };
        let port: u16 = settings.get_or("mail_smtp_port", 587)?;
        let tls = match settings.raw("mail_smtp_tls").map(str::trim) {
            None | Some("required") => SmtpTls::Required,
            Some("none") => SmtpTls::None,
            Some(_) => return Err(settings.invalid("mail_smtp_tls", "required or none")),
        };
        let credentials = match settings.raw("mail_smtp_username").map(str::trim) {
            Some(username) if !username.is_empty() => Some((
                username.to_owned(),
                settings
                    .require_secret("mail_smtp_password")?
                    .expose()
                    .clone(),
            )),
            _ => None,
        };
        let extra_root_pem = match settings.raw("mail_smtp_ca_file") {
            Some(path) if !path.trim().is_empty() => Some(
                std::fs::read(path.trim())
                    .map_err(|error| settings.invalid("mail_smtp_ca_file", error.to_string()))?,
            ),
            _ => None,
        };
        let from: String = settings.require("mail_from")?;
        let from = from
            .trim()
            .parse::<Mailbox>()
            .map_err(|error| settings.invalid("mail_from", error.to_string()))?;
        Ok(Some(MailSettings {
            host: host.to_owned(),
            port,
            tls,
            credentials,
            extra_root_pem,
            from,
        }))
    }
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the message cannot be built: {0}")]
    Message(String),
    #[error("the relay cannot be configured: {0}")]
    Transport(String),
    #[error("the relay refused or failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// An SMTP connection to the configured relay, reused across messages.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Mailer, MailError> {
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Required => {
                let mut parameters = TlsParameters::builder(settings.host.clone());
                if let Some(pem) = &settings.extra_root_pem {
                    let certificate = Certificate::from_pem(pem)
                        .map_err(|error| MailError::Transport(error.to_string()))?;
                    parameters = parameters.add_root_certificate(certificate);
                }
                Tls::Required(
                    parameters
                        .build_rustls()
                        .map_err(|error| MailError::Transport(error.to_string()))?,
                )
            }
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(tls)
                .timeout(Some(Duration::from_secs(30)));
        if let Some((username, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(username.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from: settings.from.clone(),
        })
    }

    /// Builds the RFC 5322 message: `Date`, a `Message-ID` in the sender's domain, the subject
    /// encoded when it is not ASCII, and a text and an HTML alternative.
    pub fn message(&self, id: Uuid, email: &Email) -> Result<Message, MailError> {
        let to = email
            .to
            .parse::<Mailbox>()
            .map_err(|error| MailError::Message(error.to_string()))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .date_now()
            .message_id(Some(format!("<{id}@{}>", self.from.email.domain())))
            .multipart(MultiPart::alternative_plain_html(
                email.text_body.clone(),
                email.html_body.clone(),
            ))
            .map_err(|error| MailError::Message(error.to_string()))
    }

    pub async fn send(&self, id: Uuid, email: &Email) -> Result<(), MailError> {
        let message = self.message(id, email)?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// How long to wait before the attempt after `attempts` failed ones.
pub fn retry_delay(attempts: i32) -> chrono::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    let seconds = FIRST_RETRY_DELAY_SECONDS.saturating_mul(1_i64 << doublings);
    chrono::Duration::seconds(seconds.min(MAX_RETRY_DELAY_SECONDS))
}

/// Claims due messages: each claimed one is due again only after the claim lapses, so another
/// sender skips it meanwhile.
async fn claim_due(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, i32, Email)>, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let rows = sqlx::query(
        "update mail_outbox set due_at = $2, attempts = attempts + 1
         where id in (select id from mail_outbox
                      where sent_at is null and due_at <= $1
                      order by due_at limit $3 for update skip locked)
         returning id, attempts, recipient, subject, text_body, html_body",
    )
    .bind(now)
    .bind(now + chrono::Duration::seconds(CLAIM_SECONDS))
    .bind(BATCH_SIZE)
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("attempts")?,
                Email {
                    to: row.try_get("recipient")?,
                    subject: row.try_get("subject")?,
                    text_body: row.try_get("text_body")?,
                    html_body: row.try_get("html_body")?,
                },
            ))
        })
        .collect()
}

/// Sends one batch of due messages and says how many the relay accepted. Each outcome is
/// recorded on its row; a failure waits longer each time before the next try.
pub async fn send_due(pool: &PgPool, mailer: &Mailer) -> Result<usize, sqlx::Error> {
    let claimed = claim_due(pool, crate::id::now_utc()).await?;
    let mut sent = 0;
    for (id, attempts, email) in claimed {
        let outcome = mailer.send(id, &email).await;
        let now = crate::id::now_utc();
        match outcome {
            Ok(()) => {
                sqlx::query("update mail_outbox set sent_at = $2, last_error = null where id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(pool)
                    .await?;
                sent += 1;
            }
            Err(error) => {
                tracing::warn!(mail_id = %id, %error, "an email was not sent");
                sqlx::query("update mail_outbox set due_at = $2, last_error = $3 where id = $1")
                    .bind(id)
                    .bind(now + retry_delay(attempts))
                    .bind(error.to_string())
                    .execute(pool)
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// Starts the sender: it sends due messages until `shutdown` is cancelled, pausing when there
/// is nothing to send or the database is unreachable.
pub fn spawn_sender(pool: PgPool, mailer: Mailer, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            let pause = match send_due(&pool, &mailer).await {
                Ok(sent) if i64::try_from(sent).is_ok_and(|sent| sent >= BATCH_SIZE) => {
                    Duration::ZERO
                }
                Ok(_) => IDLE_PAUSE,
                Err(error) => {
                    tracing::warn!(%error, "the mail sender cannot read the database");
                    IDLE_PAUSE
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer() -> Mailer {
        Mailer::new(&MailSettings {
            host: "127.0.0.1".to_owned(),
            port: 25,
            tls: SmtpTls::None,
            credentials: None,
            extra_root_pem: None,
            from: "Imkon <no-reply@imkon.example>".parse().unwrap(),
        })
        .unwrap()
    }

    #[test]
    fn a_message_has_date_message_id_an_encoded_subject_and_two_parts() {
        let email = Email {
            to: "founder@example.uz".to_owned(),
            subject: "Пароль: новая ссылка".to_owned(),
            text_body: "text part".to_owned(),
            html_body: "<p>html part</p>".to_owned(),
        };
        let id = Uuid::nil();
        let formatted =
            String::from_utf8(mailer().message(id, &email).unwrap().formatted()).unwrap();
        assert!(formatted.contains("\r\nDate: "), "{formatted}");
        assert!(
            formatted.contains(&format!("Message-ID: <{id}@imkon.example>")),
            "{formatted}"
        );
        assert!(formatted.contains("Subject: =?utf-8?b?"), "{formatted}");
        assert!(!formatted.contains("Пароль"), "the subject is encoded");
        assert!(formatted.contains("multipart/alternative"), "{formatted}");
        assert!(formatted.contains("text/plain") && formatted.contains("text/html"));
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(retry_delay(1), chrono::Duration::seconds(30));
        assert_eq!(retry_delay(3), chrono::Duration::seconds(120));
        assert_eq!(retry_delay(i32::MAX), chrono::Duration::seconds(3600));
    }
}
