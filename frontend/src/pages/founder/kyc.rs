//! The founder's KYC status, with what an officer asked to revise and the submit button.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::clients::api::{send, send_json, CallError};
use crate::pages::shared::documents::document_kind_key;
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::kyc_case::{case_row, status_key, token, Case, CaseRow};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::i18n::Translator;
use crate::AppState;

#[derive(Template)]
#[template(path = "kyc.html")]
struct FounderKycPage {
    t: Translator,
    layout: Layout,
    cases: Vec<CaseRow>,
    form: FormState,
    /// Whether OneID sign-in is offered, and so linking it to this account.
    external_sign_in: bool,
}

async fn founder_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let cases: Vec<Case> = send_json(
        state
            .onboarding
            .authorized(Method::GET, "/v1/me/kyc", token),
    )
    .await
    .map_err(|error| PageError::from_call(error, "/kyc"))?;
    let companies = crate::pages::shared::documents::own_companies(state, token, "/kyc").await?;
    let translator = context.translator();
    let mut rows: Vec<CaseRow> = cases
        .iter()
        .map(|case| case_row(case, &translator, &state.calendar, false))
        .collect();
    let unsubmitted = |subject: Option<&str>, name: &str| CaseRow {
        id: String::new(),
        subject_key: if subject.is_some() {
            "kyc-subject-company"
        } else {
            "kyc-subject-person"
        },
        name: name.to_owned(),
        company_id: subject.unwrap_or_default().to_owned(),
        status_key: status_key("new"),
        submitted: String::new(),
        revision_note: String::new(),
        rejection_key: None,
        documents: Vec::new(),
        can_submit: true,
        assigned: false,
    };
    // A subject with nothing submitted yet has no case; its check starts here.
    if !rows.iter().any(|row| row.company_id.is_empty()) {
        rows.insert(0, unsubmitted(None, ""));
    }
    for company in &companies {
        match rows
            .iter_mut()
            .find(|row| row.company_id == company.company_id)
        {
            Some(row) => row.name = company.name.clone(),
            None => rows.push(unsubmitted(Some(&company.company_id), &company.name)),
        }
    }
    Ok(render(
        status,
        &FounderKycPage {
            t: translator,
            layout: context.layout(Section::Kyc),
            cases: rows,
            form,
            external_sign_in: state.client_secret.is_some(),
        },
    ))
}

/// The founder's KYC status.
pub async fn status(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    if !signed_in.person.is_client() {
        return Err(PageError::WrongRole);
    }
    let token = token(&state, &mut signed_in, "/kyc").await?;
    founder_page(
        &state,
        &context,
        &token,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct SubmitForm {
    #[serde(default)]
    company_id: String,
}

/// Submits (or resubmits) the founder's case or a company's.
pub async fn submit(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<SubmitForm>,
) -> Result<Response, PageError> {
    if !signed_in.person.is_client() {
        return Err(PageError::WrongRole);
    }
    let token = token(&state, &mut signed_in, "/kyc").await?;
    let body = if submitted.company_id.is_empty() {
        json!({})
    } else {
        json!({ "company_id": submitted.company_id })
    };
    let result = send(
        state
            .onboarding
            .authorized(Method::POST, "/v1/me/kyc/submit", &token)
            .json(&body),
    )
    .await;
    let translator = context.translator();
    let mut form = FormState::default();
    let status = match result {
        Ok(_) => return Ok(see_other("/kyc")),
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            // A missing document is named `documents[kind]`; the page names the kind.
            let missing: Vec<String> = fields
                .iter()
                .filter_map(|field| {
                    field
                        .field
                        .strip_prefix("documents[")
                        .and_then(|rest| rest.strip_suffix(']'))
                })
                .map(|kind| translator.t(document_kind_key(kind)))
                .collect();
            form.notice = Some(if missing.is_empty() {
                problem_message(&translator, &code)
            } else {
                translator.t_with(
                    "kyc-missing-documents",
                    &[("documents", &missing.join(", "))],
                )
            });
            status
        }
        Err(error) => return Err(PageError::from_call(error, "/kyc")),
    };
    founder_page(&state, &context, &token, form, status).await
}
