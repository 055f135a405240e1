//! Email delivery of the `notification` rows: when `smtp_url` and `smtp_from` are set, a
//! background sender hands each unsent notification to the SMTP relay and marks it sent;
//! without them nothing is sent and the rows stay as the demo shows them.
//!
//! The founder's address is looked up at send time rather than copied onto the notification,
//! because this service never learns it: onboarding owns the client's contact details, so the
//! address is current when the message leaves and no copy of it is kept here. A notification
//! whose address cannot be found is retried like one the relay refused, with its error recorded.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use imkon_platform::config::{ConfigError, Settings};
use imkon_platform::id::now_utc;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db;
use crate::peers::PeerFuture;
use crate::smtp::{self, Email, SmtpRelay};

/// How many notifications one pass sends at most.
const BATCH_SIZE: i64 = 20;

/// How long the sender sleeps when nothing is due.
const IDLE_PAUSE: Duration = Duration::from_secs(5);

/// The first retry waits this long; each later one twice as long as the one before.
const FIRST_RETRY_DELAY_SECONDS: i64 = 30;

/// No retry waits longer than an hour, so a fixed relay or address is noticed the same day.
const MAX_RETRY_DELAY_SECONDS: i64 = 3600;

/// Where founders' email addresses come from.
pub trait RecipientDirectory: Send + Sync {
    /// The client's email address; `None` when they have not given one.
    fn email_address(&self, client_id: Uuid) -> PeerFuture<'_, Option<String>>;
}

/// The relay and the sender address, from the settings `smtp_url` and `smtp_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub relay: SmtpRelay,
    pub from: String,
}

impl MailSettings {
    /// `None` when `smtp_url` is absent: notifications are then only recorded. With `smtp_url`
    /// set, `smtp_from` is required.
    pub fn from_settings(settings: &Settings) -> Result<Option<MailSettings>, ConfigError> {
        let Some(url) = settings
            .raw("smtp_url")
            .filter(|url| !url.trim().is_empty())
        else {
            return Ok(None);
        };
        let relay = SmtpRelay::parse(url.trim())
            .map_err(|error| settings.invalid("smtp_url", error.to_string()))?;
        let from: String = settings.require("smtp_from")?;
        if from.trim().is_empty() || !from.contains('@') {
            return Err(settings.invalid("smtp_from", "an email address such as bank@example.uz"));
        }
        Ok(Some(MailSettings {
            relay,
            from: from.trim().to_owned(),
        }))
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

/// Sends the notifications that are due, one batch, and says how many were handed to the
/// relay. Failures are recorded on their rows and do not stop the batch.
pub async fn send_due(
    pool: &PgPool,
    directory: &dyn RecipientDirectory,
    mail: &MailSettings,
) -> Result<usize, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let due = db::notifications::lock_due(&mut *transaction, now_utc(), BATCH_SIZE).await?;
    let mut sent = 0;
    for notification in due {
        match deliver(directory, mail, &notification).await {
            Ok(()) => {
                db::notifications::mark_sent(&mut *transaction, notification.id, now_utc()).await?;
                sent += 1;
            }
            Err(error) => {
                let failed_attempts = notification.attempts.saturating_add(1);
                let next: DateTime<Utc> = now_utc() + retry_delay(failed_attempts);
                tracing::warn!(notification_id = %notification.id, %error, "a notification email was not sent");
                db::notifications::mark_failed(&mut *transaction, notification.id, &error, next)
                    .await?;
            }
        }
    }
    transaction.commit().await?;
    Ok(sent)
}

async fn deliver(
    directory: &dyn RecipientDirectory,
    mail: &MailSettings,
    notification: &db::notifications::PendingNotification,
) -> Result<(), String> {
    let to = directory
        .email_address(notification.client_id)
        .await
        .map_err(|error| format!("the founder's address is unknown: {error}"))?
        .ok_or_else(|| format!("client {} has no email address", notification.client_id))?;
    let email = Email {
        from: mail.from.clone(),
        to,
        subject: notification.subject.clone(),
        body: notification.body.clone(),
    };
    smtp::send(&mail.relay, &email)
        .await
        .map_err(|error| error.to_string())
}

/// Starts the sender: it sends due notifications until `shutdown` is cancelled, pausing when
/// there is nothing to send or the database is unreachable.
pub fn spawn_sender(
    pool: PgPool,
    directory: Arc<dyn RecipientDirectory>,
    mail: MailSettings,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            let pause = match send_due(&pool, directory.as_ref(), &mail).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(retry_delay(1), chrono::Duration::seconds(30));
        assert_eq!(retry_delay(2), chrono::Duration::seconds(60));
        assert_eq!(retry_delay(4), chrono::Duration::seconds(240));
        assert_eq!(retry_delay(10), chrono::Duration::seconds(3600));
        assert_eq!(retry_delay(i32::MAX), chrono::Duration::seconds(3600));
    }
}
