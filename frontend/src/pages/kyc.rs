//! KYC: the founder's status with what an officer asked to revise and the submit button, and
//! the KYC officers' queue and case page with per-document decisions.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::{send, send_json, CallError};
use crate::applications::path_segment;
use crate::auth::{see_other, SignedIn};
use crate::format::format_date;
use crate::i18n::Translator;
use crate::pages::forms::{problem_message, FormState};
use crate::pages::profile::document_kind_key;
use crate::pages::{render, Layout, PageContext, PageError, Section};
use crate::AppState;

/// The statuses of a case, for labels and the queue's filter.
const STATUSES: [&str; 5] = [
    "new",
    "pending_review",
    "approved",
    "rejected",
    "revision_requested",
];

const DOCUMENT_REJECTION_REASONS: [&str; 6] = [
    "illegible",
    "expired",
    "does_not_match_profile",
    "wrong_document_kind",
    "incomplete",
    "suspected_forgery",
];

const CASE_REJECTION_REASONS: [&str; 4] = [
    "documents_rejected",
    "screening_list_match",
    "duplicate_identity",
    "false_information",
];

#[derive(Clone, Debug, Deserialize)]
struct CaseDocument {
    document_id: String,
    kind: String,
    decision: Option<String>,
    rejection_reason: Option<String>,
    note: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
struct Check {
    name: String,
    passed: bool,
    detail: String,
}

#[derive(Clone, Debug, Deserialize)]
struct ScreeningHit {
    screened_name: String,
    entry_full_name: String,
    list_name: String,
    score: i16,
}

#[derive(Clone, Debug, Deserialize)]
struct Case {
    case_id: String,
    client_id: String,
    company_id: Option<String>,
    status: String,
    assigned_officer_id: Option<String>,
    rejection_reason: Option<String>,
    revision_note: Option<String>,
    submitted_at: Option<DateTime<Utc>>,
    documents: Vec<CaseDocument>,
    #[serde(default)]
    checks: Option<Vec<Check>>,
    #[serde(default)]
    screening_hits: Option<Vec<ScreeningHit>>,
}

fn status_key(status: &str) -> String {
    format!("kyc-status-{}", status.replace('_', "-"))
}

fn reason_key(reason: &str) -> String {
    format!("kyc-reason-{}", reason.replace('_', "-"))
}

/// A document of a case as a page shows it.
pub struct DocumentRow {
    pub id: String,
    pub kind_key: &'static str,
    pub decision_key: Option<String>,
    pub remark: String,
}

/// A case as a page shows it.
pub struct CaseRow {
    pub id: String,
    pub subject_key: &'static str,
    /// The company's name on the founder's page; empty otherwise.
    pub name: String,
    pub company_id: String,
    pub status_key: String,
    pub submitted: String,
    pub revision_note: String,
    pub rejection_key: Option<String>,
    pub documents: Vec<DocumentRow>,
    pub can_submit: bool,
    pub assigned: bool,
}

/// A case as a page shows it; `for_officer` names the subject as the client's rather than the
/// reader's own.
fn case_row(case: &Case, translator: &Translator, for_officer: bool) -> CaseRow {
    CaseRow {
        id: case.case_id.clone(),
        subject_key: match (case.company_id.is_some(), for_officer) {
            (true, _) => "kyc-subject-company",
            (false, true) => "kyc-subject-client",
            (false, false) => "kyc-subject-person",
        },
        name: String::new(),
        company_id: case.company_id.clone().unwrap_or_default(),
        status_key: status_key(&case.status),
        submitted: case
            .submitted_at
            .map(|at| format_date(at.date_naive(), translator.locale()))
            .unwrap_or_default(),
        revision_note: case.revision_note.clone().unwrap_or_default(),
        rejection_key: case.rejection_reason.as_deref().map(reason_key),
        documents: case
            .documents
            .iter()
            .map(|document| DocumentRow {
                id: document.document_id.clone(),
                kind_key: document_kind_key(&document.kind),
                decision_key: document
                    .decision
                    .as_deref()
                    .map(|decision| format!("kyc-decision-{}", decision.replace('_', "-"))),
                remark: document
                    .rejection_reason
                    .as_deref()
                    .map(|reason| translator.t(&reason_key(reason)))
                    .or_else(|| document.note.clone())
                    .unwrap_or_default(),
            })
            .collect(),
        can_submit: matches!(case.status.as_str(), "new" | "revision_requested"),
        assigned: case.assigned_officer_id.is_some(),
    }
}

async fn token(
    state: &AppState,
    signed_in: &mut SignedIn,
    next: &str,
) -> Result<String, PageError> {
    signed_in
        .access_token(state, "onboarding")
        .await
        .map_err(|error| PageError::from_call(error, next))
}

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
    let companies = crate::pages::profile::own_companies(state, token, "/kyc").await?;
    let translator = context.translator();
    let mut rows: Vec<CaseRow> = cases
        .iter()
        .map(|case| case_row(case, &translator, false))
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
    if !signed_in.person.is_founder() {
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
    if !signed_in.person.is_founder() {
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

fn require_kyc_officer(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.person.has_role("kyc_officer") {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

/// A choice of a filter or drop-down, labelled from the catalogue.
pub struct KeyedChoice {
    pub value: &'static str,
    pub label_key: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "kyc_queue.html")]
struct QueuePage {
    t: Translator,
    layout: Layout,
    cases: Vec<CaseRow>,
    statuses: Vec<KeyedChoice>,
    mine: bool,
}

#[derive(Deserialize, Serialize, Default)]
pub struct QueueFilter {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    assignee: String,
}

/// The KYC officers' queue.
pub async fn queue(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Query(filter): Query<QueueFilter>,
) -> Result<Response, PageError> {
    require_kyc_officer(&signed_in)?;
    let next = "/kyc/cases";
    let token = token(&state, &mut signed_in, next).await?;
    let cases: Vec<Case> = send_json(
        state
            .onboarding
            .authorized(Method::GET, "/v1/kyc/cases", &token)
            .query(&filter),
    )
    .await
    .map_err(|error| PageError::from_call(error, next))?;
    let translator = context.translator();
    Ok(render(
        StatusCode::OK,
        &QueuePage {
            cases: cases
                .iter()
                .map(|case| case_row(case, &translator, true))
                .collect(),
            statuses: STATUSES
                .iter()
                .map(|status| KeyedChoice {
                    value: status,
                    label_key: status_key(status),
                    selected: filter.status == *status,
                })
                .collect(),
            mine: filter.assignee == "me",
            t: translator,
            layout: context.layout(Section::Kyc),
        },
    ))
}

/// An automatic check or a watch-list match, as the case page lists them.
pub struct Finding {
    pub title: String,
    pub detail: String,
    pub passed: bool,
}

#[derive(Template)]
#[template(path = "kyc_case.html")]
struct CasePage {
    t: Translator,
    layout: Layout,
    case: CaseRow,
    client_id: String,
    findings: Vec<Finding>,
    document_reasons: Vec<KeyedChoice>,
    case_reasons: Vec<KeyedChoice>,
    can_decide: bool,
    form: FormState,
}

fn keyed(values: &[&'static str]) -> Vec<KeyedChoice> {
    values
        .iter()
        .map(|value| KeyedChoice {
            value,
            label_key: reason_key(value),
            selected: false,
        })
        .collect()
}

async fn case_page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let next = format!("/kyc/cases/{id}");
    let segment = path_segment(id).map_err(|error| PageError::from_call(error, &next))?;
    let token = token(state, signed_in, &next).await?;
    let case: Case = send_json(state.onboarding.authorized(
        Method::GET,
        &format!("/v1/kyc/cases/{segment}"),
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    let mut findings: Vec<Finding> = case
        .checks
        .iter()
        .flatten()
        .map(|check| Finding {
            title: check.name.clone(),
            detail: check.detail.clone(),
            passed: check.passed,
        })
        .collect();
    findings.extend(case.screening_hits.iter().flatten().map(|hit| Finding {
        title: translator.t_with(
            "kyc-screening-hit",
            &[
                ("name", hit.screened_name.as_str()),
                ("entry", hit.entry_full_name.as_str()),
                ("list", hit.list_name.as_str()),
                ("score", &hit.score.to_string()),
            ],
        ),
        detail: String::new(),
        passed: false,
    }));
    let can_decide = case.status == "pending_review"
        && case.assigned_officer_id.as_deref() == Some(signed_in.person.id.as_str());
    Ok(render(
        status,
        &CasePage {
            case: case_row(&case, &translator, true),
            client_id: case.client_id.clone(),
            findings,
            document_reasons: keyed(&DOCUMENT_REJECTION_REASONS),
            case_reasons: keyed(&CASE_REJECTION_REASONS),
            can_decide,
            form,
            t: translator,
            layout: context.layout(Section::Kyc),
        },
    ))
}

/// A case with its documents, checks and the officer's decisions.
pub async fn case(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_kyc_officer(&signed_in)?;
    case_page(
        &state,
        &context,
        &mut signed_in,
        &id,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// Runs an officer's action on a case and shows the case again, with the refusal if any.
async fn act(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    action: &str,
    body: serde_json::Value,
    form: FormState,
) -> Result<Response, PageError> {
    require_kyc_officer(signed_in)?;
    let next = format!("/kyc/cases/{id}");
    let segment = path_segment(id).map_err(|error| PageError::from_call(error, &next))?;
    let token = token(state, signed_in, &next).await?;
    let result = send(
        state
            .onboarding
            .authorized(
                Method::POST,
                &format!("/v1/kyc/cases/{segment}/{action}"),
                &token,
            )
            .json(&body),
    )
    .await;
    let translator = context.translator();
    let mut form = form;
    let status = match result {
        Ok(_) => return Ok(see_other(&next)),
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            } else {
                form.refuse_all(&translator, &fields, &["reason", "note", "decision"]);
            }
            status
        }
        Err(CallError::Forbidden { code }) if !code.is_empty() => {
            form.notice = Some(problem_message(&translator, &code));
            StatusCode::FORBIDDEN
        }
        Err(error) => return Err(PageError::from_call(error, &next)),
    };
    case_page(state, context, signed_in, id, form, status).await
}

/// Takes the case.
pub async fn assign(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    act(
        &state,
        &context,
        &mut signed_in,
        &id,
        "assign",
        json!({}),
        FormState::default(),
    )
    .await
}

/// Accepts, rejects or asks to revise one document.
pub async fn decide_document(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, document_id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormState::from_pairs(pairs);
    let document = path_segment(&document_id)
        .map_err(|error| PageError::from_call(error, "/kyc/cases"))?
        .to_owned();
    let optional = |name: &str| {
        let value = form.value(name).trim();
        (!value.is_empty()).then(|| value.to_owned())
    };
    let body = json!({
        "decision": form.value("decision"),
        "reason": optional("reason"),
        "note": optional("note"),
    });
    act(
        &state,
        &context,
        &mut signed_in,
        &id,
        &format!("documents/{document}/decision"),
        body,
        form,
    )
    .await
}

/// Approves the case.
pub async fn approve(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    act(
        &state,
        &context,
        &mut signed_in,
        &id,
        "approve",
        json!({}),
        FormState::default(),
    )
    .await
}

/// Rejects the case for good, with a reason.
pub async fn reject(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormState::from_pairs(pairs);
    let body = json!({ "reason": form.value("reason") });
    act(&state, &context, &mut signed_in, &id, "reject", body, form).await
}

/// Sends the case back to the founder with what to fix.
pub async fn request_revision(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormState::from_pairs(pairs);
    let body = json!({ "note": form.value("note") });
    act(
        &state,
        &context,
        &mut signed_in,
        &id,
        "request-revision",
        body,
        form,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{catalogues, Locale};

    #[test]
    fn every_status_reason_and_decision_has_words_in_every_language() {
        let mut keys: Vec<String> = STATUSES.iter().map(|status| status_key(status)).collect();
        keys.extend(
            DOCUMENT_REJECTION_REASONS
                .iter()
                .chain(&CASE_REJECTION_REASONS)
                .map(|reason| reason_key(reason)),
        );
        keys.extend(
            ["accepted", "rejected", "revision-requested"]
                .iter()
                .map(|decision| format!("kyc-decision-{decision}")),
        );
        for locale in Locale::ALL {
            for key in &keys {
                assert!(
                    catalogues().message_ids(locale).contains(key),
                    "{} lacks {key}",
                    locale.code()
                );
            }
        }
    }
}
