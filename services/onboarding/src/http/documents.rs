//! Document upload and download.
//!
//! An upload is `multipart/form-data` with a `kind` field, a `file` field and, for a
//! company's papers, a `company_id` field. What the file is gets decided from its bytes (the
//! file name and declared type are ignored), so an executable named `.pdf` is refused. The
//! upload route alone accepts bodies of about 10.5 MB; the 10 MiB document limit and the
//! per-client quota are then checked on the bytes.
//!
//! Downloads are only ever served as attachments with `nosniff`, so a browser never renders
//! an uploaded file inline in the service's origin.
//!
//! Besides the owner, the staff who judge a client read their papers: KYC officers for the
//! client's identity, credit officers and approvers for an application's review and decision.
//! Every such download is audited with who and from where.

use std::net::SocketAddr;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{BankClient, RequireRole, RoleRequirement};
use imkon_auth::{Principal, Role};
use imkon_platform::audit;
use imkon_platform::id::new_id;
use imkon_platform::problem::Problem;
use imkon_platform::text::{control_character_problem, refused_character};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db;
use crate::db::documents::DocumentRecord;
use crate::domain::document::{
    accept_upload, DocumentContentType, DocumentError, DocumentKind, DOCUMENT_MAX_BYTES,
};
use crate::error::OnboardingError;
use crate::http::profile::own_client_id;
use crate::http::{audit_by, source_address};
use crate::AppState;

/// The body limit of the upload route: a 10 MiB document plus room for the multipart framing
/// and the small fields.
pub const UPLOAD_BODY_LIMIT_BYTES: usize = DOCUMENT_MAX_BYTES as usize + 512 * 1024;

/// The longest file name kept, in characters.
const FILE_NAME_MAX_CHARS: usize = 255;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/me/documents",
            post(upload_document)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT_BYTES))
                .get(list_own_documents),
        )
        .route("/v1/documents/{id}", get(download_document))
        .route("/v1/clients/{id}/documents", get(list_client_documents))
}

/// The staff roles that read clients' documents (see the module's opening comment).
const DOCUMENT_READERS: [Role; 3] = [Role::KycOfficer, Role::CreditOfficer, Role::Approver];

/// Who may ask for a client's documents at all: their founder, or the staff who read them.
/// Finance and admin never read a client's papers, so they are refused outright (403); a
/// founder asking for another client's papers still gets 404, so ids cannot be probed.
#[derive(Debug)]
pub enum DocumentRequester {}

impl RoleRequirement for DocumentRequester {
    const ALLOWED: &'static [Role] = &[
        Role::Client,
        Role::KycOfficer,
        Role::CreditOfficer,
        Role::Approver,
    ];
}

fn reads_documents(user: &Principal) -> bool {
    DOCUMENT_READERS.iter().any(|role| user.has_role(*role))
}

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    document_id: Uuid,
    company_id: Option<Uuid>,
    kind: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    original_file_name: Option<String>,
    uploaded_at: DateTime<Utc>,
}

/// The form of an upload, as `utoipa` documents it.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "never built: it exists so the OpenAPI document describes the upload form"
)]
pub struct DocumentUploadForm {
    /// passport_scan, company_charter, registration_certificate, it_park_certificate,
    /// financial_statements or other.
    kind: String,
    /// The file; PDF, JPEG or PNG by content, at most 10 MiB.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
    /// One of the caller's companies, when the document is about it.
    company_id: Option<Uuid>,
}

pub fn document_view(record: &DocumentRecord) -> DocumentView {
    DocumentView {
        document_id: record.id,
        company_id: record.company_id,
        kind: record.kind.clone(),
        content_type: record.content_type.clone(),
        size_bytes: record.size_bytes,
        sha256: record.sha256.clone(),
        original_file_name: record.original_file_name.clone(),
        uploaded_at: record.uploaded_at,
    }
}

fn document_error(error: DocumentError) -> OnboardingError {
    let code = match &error {
        DocumentError::UnknownKind { .. } => "unknown_kind",
        DocumentError::Empty => "empty_file",
        DocumentError::RefusedContent(_) => "refused_content",
        DocumentError::UnrecognisedContent => "unrecognised_content",
        DocumentError::TooLarge { .. } => "too_large",
        DocumentError::ClientQuotaExceeded { .. } => "quota_exceeded",
    };
    OnboardingError::invalid(error.field(), code, &error)
}

fn multipart_problem(status: StatusCode, detail: String) -> Problem {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(status, "payload_too_large", "Payload too large")
            .with_detail(format!("A document is at most {DOCUMENT_MAX_BYTES} bytes."))
    } else {
        Problem::bad_request("invalid_multipart", detail)
    }
}

/// What an upload request carried.
struct UploadParts {
    kind: Option<String>,
    company_id: Option<String>,
    file_name: Option<String>,
    content: Option<Vec<u8>>,
}

async fn read_upload(mut multipart: Multipart) -> Result<UploadParts, Problem> {
    let mut parts = UploadParts {
        kind: None,
        company_id: None,
        file_name: None,
        content: None,
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| multipart_problem(error.status(), error.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                // The file name is stored as text, so a control character in it is refused
                // like one in any JSON string (PostgreSQL cannot store a NUL).
                if field
                    .file_name()
                    .is_some_and(|name| refused_character(name).is_some())
                {
                    return Err(control_character_problem("file"));
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
            "kind" | "company_id" => {
                let text = field
                    .text()
                    .await
                    .map_err(|error| multipart_problem(error.status(), error.body_text()))?;
                if name == "kind" {
                    parts.kind = Some(text);
                } else {
                    parts.company_id = Some(text);
                }
            }
            _ => {}
        }
    }
    Ok(parts)
}

fn missing(field: &str) -> OnboardingError {
    OnboardingError::InvalidField {
        field: field.to_owned(),
        code: "required",
        message: format!("the {field} field is required"),
    }
}

/// Uploads a document for the calling founder (or one of their companies).
#[utoipa::path(post, path = "/v1/me/documents", tag = "documents",
    request_body(content = DocumentUploadForm, content_type = "multipart/form-data"),
    security(("bearer" = ["client"])),
    responses((status = 201, body = DocumentView),
              (status = 409, description = "kyc_wrong_status: the case is under review or decided"),
              (status = 413, description = "payload_too_large"),
              (status = 422, description = "kind unknown, file not a PDF/JPEG/PNG by content, or over the quota")))]
#[tracing::instrument(skip_all, fields(founder = %founder.subject()))]
async fn upload_document(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    founder: RequireRole<BankClient>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<DocumentView>), Response> {
    use axum::response::IntoResponse;
    let client_id = own_client_id(&founder).map_err(IntoResponse::into_response)?;
    let multipart = multipart.map_err(|rejection| {
        multipart_problem(rejection.status(), rejection.body_text()).into_response()
    })?;
    let parts = read_upload(multipart)
        .await
        .map_err(IntoResponse::into_response)?;
    store_upload(&state, &founder, client_id, parts, peer)
        .await
        .map_err(IntoResponse::into_response)
}

async fn store_upload(
    state: &AppState,
    founder: &imkon_auth::Principal,
    client_id: Uuid,
    parts: UploadParts,
    peer: SocketAddr,
) -> Result<(StatusCode, Json<DocumentView>), OnboardingError> {
    let kind_code = parts.kind.ok_or_else(|| missing("kind"))?;
    let kind = DocumentKind::parse(kind_code.trim()).map_err(document_error)?;
    let content = parts.content.ok_or_else(|| missing("file"))?;
    let company_id = parts
        .company_id
        .filter(|text| !text.trim().is_empty())
        .map(|text| {
            text.trim()
                .parse::<Uuid>()
                .map_err(|_| OnboardingError::InvalidField {
                    field: "company_id".to_owned(),
                    code: "invalid_id",
                    message: "not a UUID".to_owned(),
                })
        })
        .transpose()?;

    let mut transaction = state.pool.begin().await?;
    if let Some(company_id) = company_id {
        let owned = db::clients::find_company(&mut transaction, company_id)
            .await?
            .is_some_and(|company| company.owner_client_id == client_id);
        if !owned {
            return Err(OnboardingError::InvalidField {
                field: "company_id".to_owned(),
                code: "unknown_company",
                message: "not one of your companies".to_owned(),
            });
        }
    }
    db::documents::lock_client(&mut transaction, client_id).await?;
    let stored_bytes = db::documents::stored_bytes(&mut transaction, client_id).await?;
    let upload = accept_upload(kind, &content, stored_bytes).map_err(document_error)?;
    let document_id = new_id();
    let record = db::documents::insert(
        &mut transaction,
        document_id,
        client_id,
        company_id,
        &upload,
        parts.file_name.as_deref(),
        &content,
    )
    .await?;
    crate::kyc::attach_uploaded_document(&mut transaction, &record).await?;
    let view = document_view(&record);
    let mut entry = audit_by(
        founder,
        "document.upload",
        "document",
        document_id.to_string(),
    );
    entry.after = Some(
        serde_json::to_value(&view)
            .map_err(|error| OnboardingError::Internal(error.to_string()))?,
    );
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A client's documents, without their content: for the client themselves and the staff who
/// read documents; anyone else gets 404, as for a client that does not exist.
#[utoipa::path(get, path = "/v1/clients/{id}/documents", tag = "documents",
    params(("id" = Uuid, Path, description = "The person's client id")),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver"])),
    responses((status = 200, body = Vec<DocumentView>), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(user = %user.subject(), client = %client_id))]
async fn list_client_documents(
    State(state): State<AppState>,
    user: RequireRole<DocumentRequester>,
    Path(client_id): Path<Uuid>,
) -> Result<Json<Vec<DocumentView>>, OnboardingError> {
    if user.client_id() != Some(client_id) && !reads_documents(&user) {
        return Err(OnboardingError::NotFound { what: "client" });
    }
    let mut connection = state.pool.acquire().await?;
    let documents = db::documents::of_client(&mut connection, client_id).await?;
    Ok(Json(documents.iter().map(document_view).collect()))
}

/// The calling founder's documents, without their content.
#[utoipa::path(get, path = "/v1/me/documents", tag = "documents",
    security(("bearer" = ["client"])),
    responses((status = 200, body = Vec<DocumentView>)))]
#[tracing::instrument(skip_all, fields(founder = %founder.subject()))]
async fn list_own_documents(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<DocumentView>>, OnboardingError> {
    let client_id = own_client_id(&founder)?;
    let mut connection = state.pool.acquire().await?;
    let documents = db::documents::of_client(&mut connection, client_id).await?;
    Ok(Json(documents.iter().map(document_view).collect()))
}

/// The extension a download is named with; a type nothing stores any more reads as `bin`.
fn file_extension(content_type: &str) -> &'static str {
    DocumentContentType::from_mime_type(content_type).map_or("bin", DocumentContentType::extension)
}

/// Downloads a document: its owner, or a KYC officer, credit officer or approver. Finance and
/// admin get 403, another founder 404. Always an attachment, with `nosniff`.
#[utoipa::path(get, path = "/v1/documents/{id}", tag = "documents",
    params(("id" = Uuid, Path, description = "The document")),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver"])),
    responses((status = 200, description = "The file, as an attachment"), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(user = %user.subject(), document = %document_id))]
async fn download_document(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    user: RequireRole<DocumentRequester>,
    Path(document_id): Path<Uuid>,
) -> Result<Response, OnboardingError> {
    let mut transaction = state.pool.begin().await?;
    let record = db::documents::find(&mut transaction, document_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "document" })?;
    let is_owner = user.client_id() == Some(record.client_id);
    if !is_owner && !reads_documents(&user) {
        return Err(OnboardingError::NotFound { what: "document" });
    }
    let content = db::documents::content(&mut transaction, document_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "document" })?;
    if !is_owner {
        // An officer's look at a client's papers is itself worth a record.
        let mut entry = audit_by(
            &user,
            "document.download",
            "document",
            document_id.to_string(),
        );
        entry.source_address = Some(source_address(peer));
        audit::record(&mut transaction, entry).await?;
    }
    transaction.commit().await?;

    let disposition = format!(
        "attachment; filename=\"{document_id}.{}\"",
        file_extension(&record.content_type)
    );
    imkon_platform::documents::download_response(content, &record.content_type, &disposition)
        .map_err(|error| OnboardingError::Internal(error.to_string()))
}
