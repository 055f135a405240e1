//! Notifications to founders, recorded for the demo (and for an email sender to pick up).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub application_id: Uuid,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    executor: impl PgExecutor<'_>,
    row: &NotificationRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notification (id, client_id, application_id, subject, body, created_at, sent_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id)
    .bind(row.client_id)
    .bind(row.application_id)
    .bind(&row.subject)
    .bind(&row.body)
    .bind(row.created_at)
    .bind(row.sent_at)
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
    sqlx::query_as(
        "select id, client_id, application_id, subject, body, created_at, sent_at
         from notification where client_id = $1 order by created_at desc, id desc limit $2",
    )
    .bind(client_id)
    .bind(limit)
    .fetch_all(executor)
    .await
}
