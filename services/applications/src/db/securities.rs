//! Collateral and guarantors recorded on an application.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// One security as stored.
#[derive(Debug, Clone)]
pub struct SecurityRow {
    pub id: Uuid,
    pub application_id: Uuid,
    pub kind: String,
    pub collateral_type: Option<String>,
    pub description: String,
    pub value: Decimal,
    pub currency: String,
    pub guarantor_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(connection: &mut PgConnection, row: &SecurityRow) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into application_security (id, application_id, kind, collateral_type,
             description, value, currency, guarantor_name, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        row.id,
        row.application_id,
        row.kind,
        row.collateral_type,
        row.description,
        row.value,
        row.currency,
        row.guarantor_name,
        row.created_at
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The application's securities in the order they were recorded.
pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    application_id: Uuid,
) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_as!(
        SecurityRow,
        "select id, application_id, kind, collateral_type, description, value, currency,
             guarantor_name, created_at
         from application_security where application_id = $1 order by created_at, id",
        application_id
    )
    .fetch_all(executor)
    .await
}

/// Removes one; true when it existed on that application.
pub async fn delete(
    connection: &mut PgConnection,
    application_id: Uuid,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query!(
        "delete from application_security where application_id = $1 and id = $2",
        application_id,
        id
    )
    .execute(connection)
    .await?;
    Ok(deleted.rows_affected() == 1)
}
