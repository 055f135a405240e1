//! The append-only audit trail: who did what, when, from where, before and after.
//!
//! An audit record is written in the same transaction as the change it describes, so there is
//! never a change without its record nor a record of a change that rolled back.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::telemetry::current_request_id;

/// One audited action.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<Uuid>,
    pub actor_roles: Vec<String>,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub source_address: Option<String>,
}

/// Appends an entry in the caller's transaction; the request id is taken from the context.
pub async fn record(
    connection: &mut PgConnection,
    entry: AuditEntry<'_>,
) -> Result<Uuid, sqlx::Error> {
    let id = crate::id::new_id();
    sqlx::query(
        "insert into audit_record
            (id, actor_id, actor_roles, action, subject_type, subject_id, before, after, source_address, request_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(entry.actor_id)
    .bind(&entry.actor_roles)
    .bind(entry.action)
    .bind(entry.subject_type)
    .bind(&entry.subject_id)
    .bind(&entry.before)
    .bind(&entry.after)
    .bind(&entry.source_address)
    .bind(current_request_id())
    .execute(connection)
    .await?;
    Ok(id)
}
