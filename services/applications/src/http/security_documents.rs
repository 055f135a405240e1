//! Documents backing a security: the founder attaches them to a security of their own draft
//! loan application, and the founder and the officers who review the application open them.
//!
//! An attachment is `multipart/form-data` with a `kind` field and a `file` field. What the file
//! is gets decided from its bytes (see [`crate::domain::security_document`]), so an executable
//! named `.pdf` is refused. The attachment route alone accepts bodies of about 10.5 MB; the
//! 10 MiB document limit is then checked on the bytes.
//!
//! The files are kept here rather than in onboarding's document store: onboarding's documents
//! belong to a client's KYC case and can be added only while that case is open, while a loan
//! applicant's case is already approved; and who may open these follows who may see the
//! application, which only this service knows.
//!
//! A document is only ever served as an attachment with `nosniff` and a sandboxing content
//! security policy, so a browser never renders an uploaded file inline in the service's origin.
//! Every attachment and every officer's opening is audited.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{AuthenticatedUser, BankClient, RequireRole};
use imkon_auth::Principal;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::{new_id, now_utc};
use imkon_platform::problem::Problem;
use imkon_platform::text::{control_character_problem, refused_character};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::applications::{founder_client_id, visible_application, Viewer};
use super::securities::locked_draft;
use crate::db;
use crate::db::security_documents::SecurityDocumentRow;
use crate::domain::security_document::{
    accept_document, DocumentContentType, SecurityDocumentKind, MAX_DOCUMENTS_PER_SECURITY,
    SECURITY_DOCUMENT_MAX_BYTES,
};
use crate::error::ApiError;
use crate::AppState;

/// The body limit of the attachment route: a 10 MiB document plus room for the multipart
/// framing and the small fields.
pub const ATTACHMENT_BODY_LIMIT_BYTES: usize = SECURITY_DOCUMENT_MAX_BYTES as usize + 512 * 1024;

/// The longest file name kept, in characters.
const FILE_NAME_MAX_CHARS: usize = 255;

/// A document backing a security, without its content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecurityDocumentView {
    pub id: Uuid,
    /// `valuation_report`, `title_deed`, `signed_guarantee` or `other`.
    pub kind: String,
    /// `application/pdf`, `image/jpeg` or `image/png`, decided from the bytes.
    pub content_type: String,
    pub size_bytes: i64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// The file name as uploaded, for reference only.
    pub original_file_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
}

impl From<&SecurityDocumentRow> for SecurityDocumentView {
    fn from(row: &SecurityDocumentRow) -> SecurityDocumentView {
        SecurityDocumentView {
            id: row.id,
            kind: row.kind.clone(),
            content_type: row.content_type.clone(),
            size_bytes: row.size_bytes,
            sha256: row.sha256.clone(),
            original_file_name: row.original_file_name.clone(),
            uploaded_at: row.uploaded_at,
        }
    }
}

/// The form of an attachment, as `utoipa` documents it.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "never built: it exists so the OpenAPI document describes the attachment form"
)]
pub struct SecurityDocumentForm {
    /// valuation_report, title_deed, signed_guarantee or other.
    kind: String,
    /// The file; PDF, JPEG or PNG by content, at most 10 MiB.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// What an attachment request carried.
struct AttachmentParts {
    kind: Option<String>,
    file_name: Option<String>,
    content: Option<Vec<u8>>,
}

fn multipart_problem(status: StatusCode, detail: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::Problem(
            Problem::new(status, "payload_too_large", "Payload too large").with_detail(format!(
                "A document is at most {SECURITY_DOCUMENT_MAX_BYTES} bytes."
            )),
        )
    } else {
        ApiError::Problem(Problem::bad_request("invalid_multipart", detail))
    }
}

async fn read_attachment(mut multipart: Multipart) -> Result<AttachmentParts, ApiError> {
    let mut parts = AttachmentParts {
        kind: None,
        file_name: None,
        content: None,
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| multipart_problem(error.status(), error.body_text()))?
    {
        match field.name().unwrap_or_default() {
            "file" => {
                // The file name is stored as text, so a control character in it is refused
                // like one in any JSON string (PostgreSQL cannot store a NUL).
                if field
                    .file_name()
                    .is_some_and(|name| refused_character(name).is_some())
                {
                    return Err(ApiError::Problem(control_character_problem("file")));
                }
                parts.file_name = field
                    .file_name()
                    .map(|name| name.chars().take(FILE_NAME_MAX_CHARS).collect());
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|error| multipart_problem(error.status(), error.body_text()))?;
                parts.content = Some(bytes.to_vec());
            }
            "kind" => {
                let text = field
                    .text()
                    .await
                    .map_err(|error| multipart_problem(error.status(), error.body_text()))?;
                parts.kind = Some(text);
            }
            _ => {}
        }
    }
    Ok(parts)
}

fn audit_entry<'a>(
    user: &Principal,
    action: &'a str,
    document_id: Uuid,
    after: Option<serde_json::Value>,
) -> AuditEntry<'a> {
    AuditEntry {
        actor_id: Some(user.subject()),
        actor_roles: user.roles().map(|role| role.as_str().to_owned()).collect(),
        action,
        subject_type: "security_document",
        subject_id: document_id.to_string(),
        before: None,
        after,
        source_address: None,
    }
}

/// The founder attaches a document to a security of their draft loan application.
#[utoipa::path(post, path = "/v1/applications/{application_id}/securities/{security_id}/documents",
    tag = "applications",
    request_body(content = SecurityDocumentForm, content_type = "multipart/form-data"),
    params(("application_id" = Uuid, Path), ("security_id" = Uuid, Path)),
    security(("bearer" = ["client"])),
    responses((status = 201, body = SecurityDocumentView),
        (status = 404, description = "Not the founder's application, or no such security on it"),
        (status = 409, description = "`not_a_draft` or `too_many_documents`"),
        (status = 413, description = "`payload_too_large`"),
        (status = 422, description = "`kind` unknown, or the file empty, over 10 MiB or not a PDF/JPEG/PNG by content")))]
#[tracing::instrument(skip_all, fields(%application_id, %security_id))]
async fn attach_document(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path((application_id, security_id)): Path<(Uuid, Uuid)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<SecurityDocumentView>), ApiError> {
    let client_id = founder_client_id(&founder)?;
    let multipart = multipart
        .map_err(|rejection| multipart_problem(rejection.status(), rejection.body_text()))?;
    let parts = read_attachment(multipart).await?;
    let kind = parts
        .kind
        .as_deref()
        .ok_or_else(|| ApiError::field("kind", "required", "the kind field is required"))
        .and_then(|code| {
            SecurityDocumentKind::parse(code.trim())
                .map_err(|error| ApiError::refused(&error, "kind"))
        })?;
    let content = parts
        .content
        .ok_or_else(|| ApiError::field("file", "required", "the file field is required"))?;
    let accepted = accept_document(&content).map_err(|error| ApiError::refused(&error, "file"))?;

    let mut transaction = state.pool.begin().await?;
    locked_draft(&mut transaction, client_id, application_id).await?;
    let on_application = db::securities::list(&mut *transaction, application_id)
        .await?
        .iter()
        .any(|security| security.id == security_id);
    if !on_application {
        return Err(ApiError::NotFound { what: "security" });
    }
    // The application's row is locked, so two attachments at once cannot both pass the count.
    let attached = db::security_documents::count_of_security(&mut transaction, security_id).await?;
    if attached >= MAX_DOCUMENTS_PER_SECURITY as i64 {
        return Err(ApiError::conflict(
            "too_many_documents",
            format!("a security carries at most {MAX_DOCUMENTS_PER_SECURITY} documents"),
        ));
    }
    let row = SecurityDocumentRow {
        id: new_id(),
        security_id,
        kind: kind.code().to_owned(),
        content_type: accepted.content_type.mime_type().to_owned(),
        size_bytes: i64::try_from(accepted.size_bytes)
            .expect("a document of at most 10 MiB fits an i64"),
        sha256: accepted.sha256_hex,
        original_file_name: parts.file_name,
        uploaded_at: now_utc(),
    };
    db::security_documents::insert(&mut transaction, &row, &content).await?;
    let view = SecurityDocumentView::from(&row);
    let after = serde_json::to_value(&view)
        .map_err(|error| ApiError::Problem(Problem::internal_from(&error)))?;
    audit::record(
        &mut transaction,
        audit_entry(&founder, "security_document.attach", row.id, Some(after)),
    )
    .await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Opens a document: the application's founder, or a credit officer or approver. Another
/// founder gets 404, any other role 403. Always an attachment, with `nosniff`.
#[utoipa::path(get, path = "/v1/applications/{application_id}/securities/{security_id}/documents/{document_id}",
    tag = "applications",
    params(("application_id" = Uuid, Path), ("security_id" = Uuid, Path), ("document_id" = Uuid, Path)),
    security(("bearer" = ["client", "credit_officer", "approver"])),
    responses((status = 200, description = "The file, as an attachment"), (status = 401), (status = 403),
        (status = 404, description = "No such document on that security, or another founder's")))]
#[tracing::instrument(skip_all, fields(%application_id, %security_id, %document_id))]
async fn open_document(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path((application_id, security_id, document_id)): Path<(Uuid, Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let viewer = Viewer::of(&user)?;
    visible_application(&state, viewer, application_id).await?;
    let mut transaction = state.pool.begin().await?;
    let (row, content) = db::security_documents::content(
        &mut *transaction,
        application_id,
        security_id,
        document_id,
    )
    .await?
    .ok_or(ApiError::NotFound { what: "document" })?;
    if matches!(viewer, Viewer::Officer) {
        // An officer's look at a founder's papers is itself worth a record.
        audit::record(
            &mut transaction,
            audit_entry(&user, "security_document.open", document_id, None),
        )
        .await?;
    }
    transaction.commit().await?;

    let extension = DocumentContentType::from_mime_type(&row.content_type)
        .map(DocumentContentType::extension)
        .unwrap_or("bin");
    // The name is the document's id, never the uploader's, so nothing odd reaches the header.
    let disposition = format!("attachment; filename=\"{document_id}.{extension}\"");
    imkon_platform::documents::download_response(content, &row.content_type, &disposition)
        .map_err(|error| ApiError::Problem(Problem::internal_from(&error)))
}

#[derive(OpenApi)]
#[openapi(
    paths(attach_document, open_document),
    components(schemas(SecurityDocumentForm, SecurityDocumentView))
)]
pub struct SecurityDocumentsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/applications/{application_id}/securities/{security_id}/documents",
            post(attach_document).layer(DefaultBodyLimit::max(ATTACHMENT_BODY_LIMIT_BYTES)),
        )
        .route(
            "/v1/applications/{application_id}/securities/{security_id}/documents/{document_id}",
            get(open_document),
        )
}
