//! The founder records collateral and guarantors on a draft loan application, and removes
//! them while it is a draft; the applications service keeps the rules.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use serde_json::json;

use crate::pages::shared::application_view::{
    after_action, applications_token, calls, corrections_page,
};
use crate::pages::shared::forms::FormState;
use crate::pages::shared::signed_in::SignedIn;
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
