//! What the pages about a client's companies and documents share: the founder's own pages
//! list them, and the KYC officers' and credit staff's pages show them beside a case or an
//! application.

use reqwest::Method;
use serde::Deserialize;

use crate::clients::api::{send, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::PageError;
use crate::web::format::format_day_of;
use crate::web::i18n::Translator;
use crate::AppState;

/// The kinds of document a client may upload, with the catalogue key naming each.
pub const DOCUMENT_KINDS: [(&str, &str); 6] = [
    ("passport_scan", "document-kind-passport-scan"),
    ("company_charter", "document-kind-company-charter"),
    (
        "registration_certificate",
        "document-kind-registration-certificate",
    ),
    ("it_park_certificate", "document-kind-it-park-certificate"),
    ("financial_statements", "document-kind-financial-statements"),
    ("other", "document-kind-other"),
];

/// The catalogue key naming a document kind.
pub fn document_kind_key(kind: &str) -> &'static str {
    DOCUMENT_KINDS
        .iter()
        .find(|(value, _)| *value == kind)
        .map(|(_, key)| *key)
        .unwrap_or("document-kind-other")
}

/// A line of a list shown above a form.
pub struct Item {
    pub title: String,
    pub detail: String,
    pub link: Option<String>,
    /// A document shown on the page: `image` or `pdf` (see [`Preview::code`]) and the address
    /// of its preview; empty for anything else.
    pub preview: (&'static str, String),
}

#[derive(Deserialize)]
pub struct CompanyListed {
    pub company_id: String,
    pub name: String,
    pub stir: String,
    pub registration_date: chrono::NaiveDate,
}

/// The founder's companies, as onboarding lists them.
pub async fn own_companies(
    state: &AppState,
    token: &str,
    next: &str,
) -> Result<Vec<CompanyListed>, PageError> {
    send_json(
        state
            .onboarding
            .authorized(Method::GET, "/v1/me/companies", token),
    )
    .await
    .map_err(|error| PageError::from_call(error, next))
}

/// A document as onboarding lists it.
#[derive(Deserialize)]
pub struct DocumentListed {
    pub document_id: String,
    pub kind: String,
    pub original_file_name: Option<String>,
    pub size_bytes: i64,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
    #[serde(default)]
    pub content_type: String,
}

/// Documents as the pages list them: the kind, the file's name, size and date, the preview and
/// the download link (onboarding decides who may follow them).
pub fn document_items(
    documents: &[DocumentListed],
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
) -> Vec<Item> {
    documents
        .iter()
        .map(|document| Item {
            title: translator.t(document_kind_key(&document.kind)),
            detail: format!(
                "{} · {} KB · {}",
                document.original_file_name.as_deref().unwrap_or_default(),
                (document.size_bytes + 1023) / 1024,
                format_day_of(document.uploaded_at, calendar, translator.locale(),)
            ),
            link: Some(format!("/documents/{}/download", document.document_id)),
            preview: (
                Preview::of(&document.content_type).code(),
                format!("/documents/{}/preview", document.document_id),
            ),
        })
        .collect()
}

/// A client's documents, for the staff who judge them (the application page).
pub async fn client_documents(
    state: &AppState,
    token: &str,
    client_id: &str,
    translator: &Translator,
) -> Result<Vec<Item>, CallError> {
    let client_id = path_segment(client_id)?;
    let documents: Vec<DocumentListed> = send_json(state.onboarding.authorized(
        Method::GET,
        &format!("/v1/clients/{client_id}/documents"),
        token,
    ))
    .await?;
    Ok(document_items(&documents, translator, &state.calendar))
}

/// The media types a document may have; anything else is passed on as opaque bytes.
const DOCUMENT_MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// How a page previews a document of `content_type`: inline as a picture, in an embedded
/// viewer as a PDF, or not at all (only the download link).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preview {
    Image,
    Pdf,
    None,
}

impl Preview {
    pub fn of(content_type: &str) -> Preview {
        match content_type {
            "image/jpeg" | "image/png" => Preview::Image,
            "application/pdf" => Preview::Pdf,
            _ => Preview::None,
        }
    }

    /// The name a template tests: `image`, `pdf`, or empty.
    pub fn code(self) -> &'static str {
        match self {
            Preview::Image => "image",
            Preview::Pdf => "pdf",
            Preview::None => "",
        }
    }
}

/// A document's content from onboarding, read as the signed-in person, with its media type
/// narrowed to the ones uploads may have. Onboarding decides who may read it: the owner, or
/// staff who judge documents; everyone else gets its refusal, which `next` turns into a page.
pub async fn fetch_document(
    state: &AppState,
    signed_in: &mut SignedIn,
    id: &str,
    next: &str,
) -> Result<(reqwest::Response, &'static str), PageError> {
    let id = path_segment(id).map_err(|error| PageError::from_call(error, next))?;
    let token = signed_in
        .access_token(state, "onboarding")
        .await
        .map_err(|error| PageError::from_call(error, next))?;
    let upstream = send(state.onboarding.authorized(
        Method::GET,
        &format!("/v1/documents/{id}"),
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, next))?;
    let content_type = upstream
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            DOCUMENT_MEDIA_TYPES
                .into_iter()
                .find(|allowed| value.starts_with(allowed))
        })
        .unwrap_or("application/octet-stream");
    Ok((upstream, content_type))
}
