//! Notifications to founders, recorded for the demo (and for an email sender to pick up).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NotificationRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub application_id: Option<Uuid>,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    executor: impl PgExecutor<'_>,
    row: &NotificationRow,
) -> Result<(), sqlx::Error> {
    insert_with_kind(executor, row, None).await
}

/// Inserts a notification that says what it tells about (`kind`, such as `state:approved`), so
/// the email sender can write it in the founder's language.
pub async fn insert_with_kind(
    executor: impl PgExecutor<'_>,
    row: &NotificationRow,
    kind: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into notification (id, client_id, application_id, subject, body, created_at, sent_at, kind)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        row.id,
        row.client_id,
        row.application_id,
        row.subject,
        row.body,
        row.created_at,
        row.sent_at,
        kind,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// A client's notifications, newest first, at most `limit`.
pub async fn for_client(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    sqlx::query_as!(
        NotificationRow,
        "select id, client_id, application_id, subject, body, created_at, sent_at
         from notification where client_id = $1 order by created_at desc, id desc limit $2",
        client_id,
        limit,
    )
    .fetch_all(executor)
    .await
}

/// A notification waiting for email delivery.
#[derive(Debug, Clone)]
pub struct PendingNotification {
    pub id: Uuid,
    pub client_id: Uuid,
    pub application_id: Option<Uuid>,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    pub kind: Option<String>,
}

/// Claims up to `limit` unsent notifications whose next attempt is due, oldest first: each is
/// not due again before `claim_until`, so another sender skips it while this one talks SMTP
/// with no transaction open, and a sender that dies mid-batch leaves it to be sent later.
pub async fn claim_due(
    executor: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    claim_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PendingNotification>, sqlx::Error> {
    sqlx::query_as!(
        PendingNotification,
        "update notification set next_attempt_at = $2
         where id in (select id from notification
                      where sent_at is null and (next_attempt_at is null or next_attempt_at <= $1)
                      order by created_at, id limit $3
                      for update skip locked)
         returning id, client_id, application_id, subject, body, attempts, kind",
        now,
        claim_until,
        limit,
    )
    .fetch_all(executor)
    .await
}

pub async fn mark_sent(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    sent_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update notification set sent_at = $2, attempts = attempts + 1, last_error = null,
         next_attempt_at = null where id = $1",
        id,
        sent_at,
    )
    .execute(executor)
    .await?;
    Ok(())
}

pub async fn mark_failed(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update notification set attempts = attempts + 1, last_error = $2, next_attempt_at = $3
         where id = $1",
        id,
        error,
        next_attempt_at,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// A notification as the founder's inbox shows it, with its read state.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub id: Uuid,
    pub application_id: Option<Uuid>,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// One page of a client's inbox, newest first.
pub async fn inbox_page(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<Vec<InboxRow>, sqlx::Error> {
    sqlx::query_as!(
        InboxRow,
        "select id, application_id, subject, body, created_at, read_at
         from notification where client_id = $1
         order by created_at desc, id desc limit $2 offset $3",
        client_id,
        limit,
        offset,
    )
    .fetch_all(executor)
    .await
}

/// How many of a client's notifications are unread.
pub async fn unread_count(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
) -> Result<i64, sqlx::Error> {
    // `count(*)` is never null, but Postgres describes every aggregate as nullable.
    sqlx::query_scalar!(
        r#"select count(*) as "count!" from notification where client_id = $1 and read_at is null"#,
        client_id,
    )
    .fetch_one(executor)
    .await
}

/// Marks the client's own notification read (keeping the first reading's time) and returns
/// it; `None` when the client has no notification of that id, so another client's is never
/// touched nor revealed.
pub async fn open_own(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<InboxRow>, sqlx::Error> {
    sqlx::query_as!(
        InboxRow,
        "update notification set read_at = coalesce(read_at, $3)
         where id = $1 and client_id = $2
         returning id, application_id, subject, body, created_at, read_at",
        id,
        client_id,
        now,
    )
    .fetch_optional(executor)
    .await
}
