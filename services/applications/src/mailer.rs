//! Email delivery of the `notification` rows through `imkon_platform::mail` (lettre: STARTTLS
//! required unless configured otherwise, AUTH, `Date` and `Message-ID`, RFC 2047 subjects, a
//! text and an HTML part). When `mail_smtp_host` is set, a background sender claims a batch of
//! unsent notifications in a short transaction and commits, then looks up each founder's
//! address and language and talks SMTP with no transaction open, and finally records each
//! outcome on its row. Without the setting nothing is sent and the rows stay as the inbox shows
//! them. Delivery is at least once: a sender that dies mid-batch leaves its claim to lapse.
//!
//! The notification rows are this service's mail outbox rather than the platform's
//! `mail_outbox` table, because the recipient is not known when the row is written: onboarding
//! owns the client's contact details and language, so they are read at send time and no copy
//! is kept here. A notification whose address cannot be found is retried like one the relay
//! refused, with its error recorded.

use std::sync::Arc;
use std::time::Duration;

use imkon_platform::id::now_utc;
use imkon_platform::language::Language;
use imkon_platform::mail::{html_escape, retry_delay, Email, Mailer, BATCH_SIZE};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db;
use crate::db::notifications::PendingNotification;
use crate::domain::notice;
use crate::peers::PeerFuture;

/// How long the sender sleeps when nothing is due.
const IDLE_PAUSE: Duration = Duration::from_secs(5);

/// How long a claim lasts: a notification claimed by a sender that died is tried again after
/// this.
const CLAIM_SECONDS: i64 = 300;

/// Where a founder's email goes and the language it is written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub language: Language,
}

/// Where founders' email addresses and languages come from.
pub trait RecipientDirectory: Send + Sync {
    /// The client's address and language; `None` when they have not given an address.
    fn recipient(&self, client_id: Uuid) -> PeerFuture<'_, Option<Recipient>>;
}

/// The email for `notification` to `recipient`: a state change is written in the founder's
/// language; a row of another kind is sent with the text it was stored with.
pub fn email_for(notification: &PendingNotification, recipient: &Recipient) -> Email {
    let kind = notification.kind.as_deref();
    let state_notice = kind
        .and_then(notice::state_of_kind)
        .zip(notification.application_id)
        .map(|(state, id)| notice::state_notice(recipient.language, id, state));
    let (subject, body) = state_notice
        .or_else(|| kind.and_then(|kind| notice::event_notice(recipient.language, kind)))
        .unwrap_or_else(|| (notification.subject.clone(), notification.body.clone()));
    let html_body = format!("<p>{}</p>", html_escape(&body));
    Email {
        to: recipient.email.clone(),
        subject,
        text_body: format!("{body}\n"),
        html_body,
    }
}

/// Sends one batch of due notifications and says how many the relay accepted. Failures are
/// recorded on their rows and do not stop the batch.
pub async fn send_due(
    pool: &PgPool,
    directory: &dyn RecipientDirectory,
    mailer: &Mailer,
) -> Result<usize, sqlx::Error> {
    let now = now_utc();
    let claimed = db::notifications::claim_due(
        pool,
        now,
        now + chrono::Duration::seconds(CLAIM_SECONDS),
        BATCH_SIZE,
    )
    .await?;
    let mut sent = 0;
    for notification in claimed {
        let outcome = deliver(directory, mailer, &notification).await;
        match outcome {
            Ok(()) => {
                db::notifications::mark_sent(pool, notification.id, now_utc()).await?;
                sent += 1;
            }
            Err(error) => {
                let failed_attempts = notification.attempts.saturating_add(1);
                let next = now_utc() + retry_delay(failed_attempts);
                tracing::warn!(notification_id = %notification.id, %error, "a notification email was not sent");
                db::notifications::mark_failed(pool, notification.id, &error, next).await?;
            }
        }
    }
    Ok(sent)
}

async fn deliver(
    directory: &dyn RecipientDirectory,
    mailer: &Mailer,
    notification: &PendingNotification,
) -> Result<(), String> {
    let recipient = directory
        .recipient(notification.client_id)
        .await
        .map_err(|error| format!("the founder's address is unknown: {error}"))?
        .ok_or_else(|| format!("client {} has no email address", notification.client_id))?;
    mailer
        .send(notification.id, &email_for(notification, &recipient))
        .await
        .map_err(|error| error.to_string())
}

/// Starts the sender: it sends due notifications until `shutdown` is cancelled, pausing when
/// there is nothing to send or the database is unreachable.
pub fn spawn_sender(
    pool: PgPool,
    directory: Arc<dyn RecipientDirectory>,
    mailer: Mailer,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            let pause = match send_due(&pool, directory.as_ref(), &mailer).await {
                Ok(sent) if i64::try_from(sent).is_ok_and(|sent| sent >= BATCH_SIZE) => {
                    Duration::ZERO
                }
                Ok(_) => IDLE_PAUSE,
                Err(error) => {
                    tracing::warn!(%error, "the notification sender cannot read the database");
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
