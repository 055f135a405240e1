//! The founder records collateral and guarantors on a draft loan application, attaches the
//! documents that back each, and removes them while it is a draft; the applications service
//! keeps the rules and judges each file by its content.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde_json::json;

use crate::clients::api::idempotency_key;
use crate::pages::shared::application_view::{
    after_action, applications_token, calls, corrections_page,
};
use crate::pages::shared::forms::FormState;
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::upload::{multipart_body, read_document_upload};
use crate::pages::shared::{PageContext, PageError};
use crate::web::format::parse_typed_decimal;
use crate::AppState;

/// The security form's fields, named as the service names them.
const SECURITY_FIELDS: [&str; 5] = [
    "kind",
    "collateral_type",
    "description",
    "value",
    "guarantor_name",
];

/// The attachment form's field a refusal is shown beside. Its `kind` is not listed: the
/// security form's own `kind` would show the refusal, so one of the document's kind (only a
/// tampered form sends an unknown one) goes above the forms instead.
const DOCUMENT_FIELDS: [&str; 1] = ["file"];

/// Records one security; a refusal is shown beside its field.
pub async fn add(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let mut form = FormState::from_pairs(pairs);
    let translator = context.translator();
    let guarantor = form.value("kind") == "guarantor";
    let value = match parse_typed_decimal(form.value("value"), translator.locale()) {
        Ok(value) => value.to_string(),
        Err(_) => {
            form.refuse(&translator, "value", "not_a_number");
            String::new()
        }
    };
    if form.value("description").trim().is_empty() {
        form.refuse(&translator, "description", "required");
    }
    if guarantor && form.value("guarantor_name").trim().is_empty() {
        form.refuse(&translator, "guarantor_name", "required");
    }
    let body = if guarantor {
        json!({
            "kind": "guarantor",
            "guarantor_name": form.value("guarantor_name").trim(),
            "description": form.value("description").trim(),
            "value": value,
        })
    } else {
        json!({
            "kind": "collateral",
            "collateral_type": form.value("collateral_type"),
            "description": form.value("description").trim(),
            "value": value,
        })
    };
    if form.has_errors() {
        return corrections_page(&state, &context, &mut signed_in, &id, form).await;
    }
    let result = calls(&state, &token).add_security(&id, &body).await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &SECURITY_FIELDS,
    )
    .await
}

/// Removes one security from the founder's draft.
pub async fn remove(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, security_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let result = calls(&state, &token)
        .remove_security(&id, &security_id)
        .await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        FormState::default(),
        result,
        &[],
    )
    .await
}

/// Attaches a document to one security: the browser's multipart form is read here and passed
/// on to the applications service. A refusal of the file (its content, its size) is shown
/// beside that security's file field, one of the whole request (the number of documents, a
/// submitted application) above the page's forms.
pub async fn attach_document(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, security_id)): Path<(String, String)>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let translator = context.translator();
    let Ok((upload, mut form)) = read_document_upload(&mut multipart).await else {
        return Ok(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    };
    // Every security has an attachment form; this names the one a refusal is shown beside.
    form.set("security_id", security_id.clone());
    let Some(upload) = upload else {
        form.refuse(&translator, "file", "empty_file");
        return corrections_page(&state, &context, &mut signed_in, &id, form).await;
    };
    let boundary = format!("imkon-{}", idempotency_key());
    let body = multipart_body(
        &boundary,
        &[("kind", form.value("kind"))],
        &upload.file_name,
        &upload.content_type,
        &upload.bytes,
    );
    let result = calls(&state, &token)
        .attach_security_document(&id, &security_id, &boundary, body)
        .await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &DOCUMENT_FIELDS,
    )
    .await
}
