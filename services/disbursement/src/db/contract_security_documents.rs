//! References to the documents that backed a contract's securities on its application.
//!
//! Runtime-checked queries; the files themselves stay with the applications service.

use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

/// One document reference, with the position of the security it backs and its order among
/// that security's documents.
#[derive(Debug, Clone, FromRow)]
pub struct SecurityDocumentRow {
    pub position: i32,
    pub number: i32,
    pub document_id: Uuid,
    pub kind: String,
    pub content_type: String,
    pub sha256: String,
}

/// Records the document references.
pub async fn insert(
    connection: &mut PgConnection,
    contract_id: Uuid,
    documents: &[SecurityDocumentRow],
) -> Result<(), sqlx::Error> {
    for document in documents {
        sqlx::query(
            "insert into contract_security_document
                 (contract_id, position, number, document_id, kind, content_type, sha256)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(contract_id)
        .bind(document.position)
        .bind(document.number)
        .bind(document.document_id)
        .bind(&document.kind)
        .bind(&document.content_type)
        .bind(&document.sha256)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// The contract's document references, by security and then in order.
pub async fn of_contract<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Vec<SecurityDocumentRow>, sqlx::Error> {
    sqlx::query_as(
        "select position, number, document_id, kind, content_type, sha256
         from contract_security_document where contract_id = $1 order by position, number",
    )
    .bind(contract_id)
    .fetch_all(executor)
    .await
}
