//! What credit staff and approvers do to an application: the proposed decision, its
//! four-eyes confirmation or sending back, information requests, reviewer assignment, and the
//! programme exports.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;

use crate::clients::api::idempotency_key;
use crate::clients::api::CallError;
use crate::clients::applications::{path_segment, Proposal};
use crate::pages::shared::application_view::{
    after_action, application_page, applications_token, calls, corrections_page, refuse_form,
};
use crate::pages::shared::download::attachment;
use crate::pages::shared::forms::FormState;
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{PageContext, PageError};
use crate::web::format::{parse_typed_decimal, TypedNumberError};
use crate::AppState;

/// The credit officer's proposed decision.
pub async fn propose(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(pairs);
    let locale = translator.locale();
    let decimal =
        |name: &str, form: &mut FormState| match parse_typed_decimal(form.value(name), locale) {
            Ok(value) => Some(value.to_string()),
            Err(TypedNumberError::Empty) => None,
            Err(TypedNumberError::NotANumber) => {
                form.refuse(&translator, name, "not_a_number");
                None
            }
        };
    let amount = decimal("amount", &mut form);
    let annual_rate_percent = decimal("annual_rate_percent", &mut form);
    let whole = |name: &str, form: &mut FormState| {
        let text = form.value(name).trim().to_owned();
        if text.is_empty() {
            return None;
        }
        text.parse::<u32>()
            .map_err(|_| form.refuse(&translator, name, "not_a_whole_number"))
            .ok()
    };
    let term_months = whole("term_months", &mut form);
    let grace_months = whole("grace_months", &mut form);
    let reasons: Vec<String> = form
        .value("reasons")
        .lines()
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .map(str::to_owned)
        .collect();
    let proposal = Proposal {
        outcome: form.value("outcome").to_owned(),
        amount,
        term_months,
        annual_rate_percent,
        grace_months,
        reasons,
    };
    if form.has_errors() {
        return corrections_page(&state, &context, &mut signed_in, &id, form).await;
    }
    let result = calls(&state, &token)
        .act(&id, "decision/proposal", &proposal)
        .await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &[
            "outcome",
            "amount",
            "term_months",
            "annual_rate_percent",
            "grace_months",
            "reasons",
        ],
    )
    .await
}

/// The approver's confirmation of the proposed decision.
pub async fn confirm(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let form = FormState::from_pairs(pairs);
    let key = match form.value("confirmation_key") {
        "" => idempotency_key(),
        key => key.to_owned(),
    };
    let result = calls(&state, &token).confirm(&id, &key).await;
    after_action(&state, &context, &mut signed_in, &id, form, result, &[]).await
}

/// The credit officer's restart of screening that a scoring outage left unfinished.
pub async fn retry_screening(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let form = FormState::from_pairs(pairs);
    let result = calls(&state, &token)
        .act(&id, "screening", &serde_json::json!({}))
        .await;
    after_action(&state, &context, &mut signed_in, &id, form, result, &[]).await
}

/// The credit officer's request for information from the founder.
pub async fn request_info(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let form = FormState::from_pairs(pairs);
    let body = serde_json::json!({ "message": form.value("message") });
    let result = calls(&state, &token).act(&id, "info-requests", &body).await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &["message"],
    )
    .await
}

/// The credit officer takes the application for review themselves.
pub async fn review_myself(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let result = calls(&state, &token)
        .assign_reviewer(&id, &signed_in.person.id)
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/reviews/{id}"))),
        Err(error) => {
            let mut form = FormState::default();
            refuse_form(&mut form, &context.translator(), error, &[], &next)?;
            application_page(
                &state,
                &context,
                &mut signed_in,
                &id,
                form,
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

/// A credit officer assigns another member of staff to review the application.
pub async fn assign_reviewer(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let mut form = FormState::from_pairs(pairs);
    let reviewer_id = form.value("reviewer_id").trim().to_owned();
    let code = if reviewer_id.is_empty() {
        Some("required")
    } else if path_segment(&reviewer_id).is_err() {
        Some("invalid_choice")
    } else {
        None
    };
    if let Some(code) = code {
        form.refuse(&context.translator(), "reviewer_id", code);
        return corrections_page(&state, &context, &mut signed_in, &id, form).await;
    }
    let result = calls(&state, &token)
        .assign_reviewer(&id, &reviewer_id)
        .await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &["reviewer_id"],
    )
    .await
}

/// An approver sends the proposed decision back to review, saying why.
pub async fn send_back(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(pairs);
    if form.value("reason").trim().is_empty() {
        form.refuse(&translator, "reason", "required");
        return corrections_page(&state, &context, &mut signed_in, &id, form).await;
    }
    let body = serde_json::json!({ "reason": form.value("reason") });
    let result = calls(&state, &token)
        .act(&id, "decision/send-back", &body)
        .await;
    // The four-eyes rule reads differently here than for a confirmation: the proposer may
    // neither confirm nor send back their own proposal.
    let result = match result {
        Err(CallError::Forbidden { code }) if code == "four_eyes_violation" => {
            form.notice = Some(translator.t("problem-send-back-four-eyes"));
            return application_page(
                &state,
                &context,
                &mut signed_in,
                &id,
                form,
                StatusCode::FORBIDDEN,
            )
            .await;
        }
        other => other,
    };
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &["reason"],
    )
    .await
}

/// A programme's applications, with their scores and mean review score, as CSV.
pub async fn applications_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    programme_export(state, signed_in, &id, "applications").await
}

/// Every review of a programme's applications, as CSV.
pub async fn reviews_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    programme_export(state, signed_in, &id, "reviews").await
}

/// Streams the applications service's `{export}.csv` of a programme as an attachment, with the
/// signed-in person's token: the service decides who may have it (officers), and anyone else
/// gets the wrong-role page.
async fn programme_export(
    state: AppState,
    mut signed_in: SignedIn,
    id: &str,
    export: &'static str,
) -> Result<Response, PageError> {
    let next = "/programmes";
    let id = path_segment(id).map_err(|error| PageError::from_call(error, next))?;
    let token = applications_token(&state, &mut signed_in, next).await?;
    let upstream = crate::clients::api::send(state.applications.authorized(
        reqwest::Method::GET,
        &format!("/v1/programmes/{id}/{export}.csv"),
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, next))?;
    // The id is a UUID (checked above), so the name needs no escaping.
    Ok(attachment(
        upstream,
        "text/csv; charset=utf-8",
        &format!("{export}-{id}.csv"),
    ))
}
