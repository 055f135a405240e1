//! A document shown on a page rather than saved: the picture of a passport scan in an `<img>`,
//! a PDF in the browser's own viewer inside an `<iframe>`, both from this route on our origin
//! (never a third-party viewer). The founder's documents page and the KYC case page embed it;
//! onboarding decides who may read the document (its owner, or the staff who judge documents)
//! and everyone else gets its refusal.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;

use crate::pages::shared::documents::fetch_document;
use crate::pages::shared::download::attachment;
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::PageError;
use crate::web::security::FramedBySelf;
use crate::AppState;

/// The document inline, for our own pages to frame. A type we could not name is still sent as
/// an attachment, so nothing unknown is ever rendered on our origin.
pub async fn preview(
    State(state): State<AppState>,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (upstream, content_type) =
        fetch_document(&state, &mut signed_in, &id, "/documents").await?;
    // The file name is ours (the id, checked to be a UUID), never the uploader's.
    let mut response = attachment(upstream, content_type, &format!("document-{id}"));
    if content_type != "application/octet-stream" {
        response.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("inline"),
        );
        response.extensions_mut().insert(FramedBySelf);
    }
    Ok(response)
}
