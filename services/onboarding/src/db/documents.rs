//! Uploaded documents: metadata and content.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::document::AcceptedUpload;

/// A document's metadata, without its bytes.
#[derive(Debug, Clone, FromRow)]
pub struct DocumentRecord {
    pub id: Uuid,
    pub client_id: Uuid,
    pub company_id: Option<Uuid>,
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub original_file_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
}

const METADATA: &str = "id, client_id, company_id, kind, content_type, size_bytes, sha256, original_file_name, uploaded_at";

/// Locks the client's row, so that concurrent uploads see each other's bytes in the quota.
pub async fn lock_client(
    connection: &mut PgConnection,
    client_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("select id from client where id = $1 for update")
        .bind(client_id)
        .fetch_optional(connection)
        .await?;
    Ok(())
}

/// How many bytes the client has stored across all their documents.
pub async fn stored_bytes(
    connection: &mut PgConnection,
    client_id: Uuid,
) -> Result<u64, sqlx::Error> {
    let total: i64 = sqlx::query_scalar(
        "select coalesce(sum(size_bytes), 0)::bigint from document where client_id = $1",
    )
    .bind(client_id)
    .fetch_one(connection)
    .await?;
    Ok(total.unsigned_abs())
}

pub async fn insert(
    connection: &mut PgConnection,
    document_id: Uuid,
    client_id: Uuid,
    company_id: Option<Uuid>,
    upload: &AcceptedUpload,
    original_file_name: Option<&str>,
    content: &[u8],
) -> Result<DocumentRecord, sqlx::Error> {
    sqlx::query_as(&format!(
        "insert into document (id, client_id, company_id, kind, content_type, size_bytes, sha256, original_file_name, content)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning {METADATA}"
    ))
    .bind(document_id)
    .bind(client_id)
    .bind(company_id)
    .bind(upload.kind.code())
    .bind(upload.content_type.mime_type())
    .bind(i64::try_from(upload.size_bytes).expect("a document of at most 10 MiB fits in i64"))
    .bind(&upload.sha256_hex)
    .bind(original_file_name)
    .bind(content)
    .fetch_one(connection)
    .await
}

pub async fn find(
    connection: &mut PgConnection,
    document_id: Uuid,
) -> Result<Option<DocumentRecord>, sqlx::Error> {
    sqlx::query_as(&format!("select {METADATA} from document where id = $1"))
        .bind(document_id)
        .fetch_optional(connection)
        .await
}

pub async fn content(
    connection: &mut PgConnection,
    document_id: Uuid,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("select content from document where id = $1")
        .bind(document_id)
        .fetch_optional(connection)
        .await
}

pub async fn of_client(
    connection: &mut PgConnection,
    client_id: Uuid,
) -> Result<Vec<DocumentRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {METADATA} from document where client_id = $1 order by uploaded_at, id"
    ))
    .bind(client_id)
    .fetch_all(connection)
    .await
}
