//! Documents backing a security, kept with their content.
//!
//! Runtime-checked queries: the listing never reads the content, only `content` does.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

/// One document as listed: everything but its bytes.
#[derive(Debug, Clone, FromRow)]
pub struct SecurityDocumentRow {
    pub id: Uuid,
    pub security_id: Uuid,
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub original_file_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
}

pub async fn insert(
    connection: &mut PgConnection,
    row: &SecurityDocumentRow,
    content: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into security_document (id, security_id, kind, content_type, size_bytes, sha256,
             original_file_name, content, uploaded_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(row.id)
    .bind(row.security_id)
    .bind(&row.kind)
    .bind(&row.content_type)
    .bind(row.size_bytes)
    .bind(&row.sha256)
    .bind(&row.original_file_name)
    .bind(content)
    .bind(row.uploaded_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// The documents of every security of an application, in the order they were attached.
pub async fn of_application<'e>(
    executor: impl PgExecutor<'e>,
    application_id: Uuid,
) -> Result<Vec<SecurityDocumentRow>, sqlx::Error> {
    sqlx::query_as(
        "select document.id, document.security_id, document.kind, document.content_type,
             document.size_bytes, document.sha256, document.original_file_name,
             document.uploaded_at
         from security_document document
         join application_security security on security.id = document.security_id
         where security.application_id = $1
         order by document.uploaded_at, document.id",
    )
    .bind(application_id)
    .fetch_all(executor)
    .await
}

/// How many documents the security carries.
pub async fn count_of_security(
    connection: &mut PgConnection,
    security_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from security_document where security_id = $1")
        .bind(security_id)
        .fetch_one(connection)
        .await
}

/// One document with its bytes, when it belongs to that security of that application.
pub async fn content<'e>(
    executor: impl PgExecutor<'e>,
    application_id: Uuid,
    security_id: Uuid,
    document_id: Uuid,
) -> Result<Option<(SecurityDocumentRow, Vec<u8>)>, sqlx::Error> {
    #[derive(FromRow)]
    struct WithContent {
        #[sqlx(flatten)]
        row: SecurityDocumentRow,
        content: Vec<u8>,
    }
    let found: Option<WithContent> = sqlx::query_as(
        "select document.id, document.security_id, document.kind, document.content_type,
             document.size_bytes, document.sha256, document.original_file_name,
             document.uploaded_at, document.content
         from security_document document
         join application_security security on security.id = document.security_id
         where security.application_id = $1 and document.security_id = $2 and document.id = $3",
    )
    .bind(application_id)
    .bind(security_id)
    .bind(document_id)
    .fetch_optional(executor)
    .await?;
    Ok(found.map(|found| (found.row, found.content)))
}
