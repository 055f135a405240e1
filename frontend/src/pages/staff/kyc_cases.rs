//! The KYC officers' queue and case page, with per-document decisions.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::clients::api::{send, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::clients::onboarding::{client_file, ClientFile};
use crate::pages::shared::client_names::{in_reader_script, ClientLabel, ClientNamer};
use crate::pages::shared::documents::Preview;
use crate::pages::shared::forms::{problem_message, FormState, KeyedChoice};
use crate::pages::shared::kyc_case::{
    case_row, reason_key, status_key, token, Case, CaseRow, STATUSES,
};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::format_date;
use crate::web::i18n::Translator;
use crate::AppState;

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

fn require_kyc_officer(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.person.has_role("kyc_officer") {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

#[derive(Template)]
#[template(path = "kyc_queue.html")]
struct QueuePage {
    t: Translator,
    layout: Layout,
    cases: Vec<QueueRow>,
    statuses: Vec<KeyedChoice>,
    mine: bool,
}

/// A case in the queue, with the client it concerns by name.
struct QueueRow {
    case: CaseRow,
    client: ClientLabel,
}

#[derive(Deserialize, Serialize, Default)]
pub struct QueueFilter {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    assignee: String,
}

/// The queue as an officer works it: their own cases first, then the unassigned ones, then
/// their colleagues', each group in the service's order.
fn officers_order(mut cases: Vec<Case>, officer_id: &str) -> Vec<Case> {
    cases.sort_by_key(|case| match case.assigned_officer_id.as_deref() {
        Some(assigned) if assigned == officer_id => 0,
        None => 1,
        Some(_) => 2,
    });
    cases
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
    let cases = officers_order(cases, &signed_in.person.id);
    let translator = context.translator();
    let names = ClientNamer::lookup(
        &state,
        &mut signed_in,
        cases.iter().map(|case| case.client_id.as_str()),
        &translator,
    )
    .await;
    Ok(render(
        StatusCode::OK,
        &QueuePage {
            cases: cases
                .iter()
                .map(|case| QueueRow {
                    case: case_row(case, &translator, &state.calendar, true),
                    client: names.label(&case.client_id),
                })
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

/// An automatic check, in the reader's words.
pub struct Finding {
    pub title: String,
    pub outcome: String,
    pub passed: bool,
}

/// A watch-list hit beside the client, with the officer's judgement once made.
pub struct HitRow {
    pub id: String,
    pub screened_name: String,
    pub entry_full_name: String,
    pub entry_birth_date: String,
    pub list_name: String,
    pub reference: String,
    pub score: String,
    /// The judgement in words; empty while the hit awaits review.
    pub resolution: String,
    pub reason: String,
}

/// The client's profile as the case page sets it beside each document: the name in the
/// reader's script first, the other script beside it.
pub struct ProfileFacts {
    pub name: String,
    pub other_name: String,
    pub birth_date: String,
    pub pinfl: String,
    pub passport_number: String,
    pub passport_validity: String,
    pub passport_valid: bool,
}

fn profile_facts(file: &ClientFile, translator: &Translator) -> ProfileFacts {
    let locale = translator.locale();
    let (name, other_name) = in_reader_script(
        &file.latin_name.full_name,
        file.cyrillic_name
            .as_ref()
            .map(|name| name.full_name.as_str()),
        locale,
    );
    ProfileFacts {
        name,
        other_name,
        birth_date: format_date(file.birth_date, locale),
        pinfl: file.pinfl.clone(),
        passport_number: file.passport.number.clone(),
        passport_validity: format!(
            "{} – {}",
            format_date(file.passport.issue_date, locale),
            format_date(file.passport.expiry_date, locale)
        ),
        passport_valid: file.passport.valid_today,
    }
}

#[derive(Template)]
#[template(path = "kyc_case.html")]
struct CasePage {
    t: Translator,
    layout: Layout,
    case: CaseRow,
    client_id: String,
    /// None when onboarding did not answer: the page says so rather than show nothing.
    profile: Option<ProfileFacts>,
    findings: Vec<Finding>,
    hits: Vec<HitRow>,
    document_reasons: Vec<KeyedChoice>,
    case_reasons: Vec<KeyedChoice>,
    can_decide: bool,
    can_resolve: bool,
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
    let file = client_file(&state.onboarding, &token, &case.client_id)
        .await
        .ok();
    let profile = file.as_ref().map(|file| profile_facts(file, &translator));
    let mut case_view = case_row(&case, &translator, &state.calendar, true);
    for document in &mut case_view.documents {
        let content_type = file
            .iter()
            .flat_map(|file| &file.documents)
            .find(|listed| listed.document_id == document.id)
            .map(|listed| listed.content_type.as_str())
            .unwrap_or_default();
        document.preview = Preview::of(content_type).code();
    }
    let findings: Vec<Finding> = case
        .checks
        .iter()
        .flatten()
        .map(|check| {
            let outcome =
                check
                    .outcome
                    .as_deref()
                    .unwrap_or(if check.passed { "passed" } else { "failed" });
            Finding {
                title: translator.t(&format!("kyc-check-{}", check.name.replace('_', "-"))),
                outcome: translator.t(&format!("kyc-outcome-{}", outcome.replace('_', "-"))),
                passed: check.passed,
            }
        })
        .collect();
    let hits = case
        .screening_hits
        .iter()
        .flatten()
        .map(|hit| HitRow {
            id: hit.hit_id.clone(),
            screened_name: hit.screened_name.clone(),
            entry_full_name: hit.entry_full_name.clone(),
            entry_birth_date: hit
                .entry_birth_date
                .map(|date| format_date(date, translator.locale()))
                .unwrap_or_default(),
            list_name: hit.list_name.clone(),
            reference: hit.reference.clone(),
            score: hit.score.to_string(),
            resolution: hit
                .resolution
                .as_deref()
                .map(|code| translator.t(&format!("kyc-resolution-{}", code.replace('_', "-"))))
                .unwrap_or_default(),
            reason: hit.resolution_reason.clone().unwrap_or_default(),
        })
        .collect();
    let assigned_to_reader =
        case.assigned_officer_id.as_deref() == Some(signed_in.person.id.as_str());
    let can_decide = case.status == "pending_review" && assigned_to_reader;
    Ok(render(
        status,
        &CasePage {
            case: case_view,
            client_id: case.client_id.clone(),
            profile,
            findings,
            hits,
            can_resolve: assigned_to_reader,
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
                form.refuse_all(
                    &translator,
                    &fields,
                    &["reason", "note", "decision", "resolution"],
                );
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

/// Judges a screening hit a false positive or a true match, with the reason.
pub async fn resolve_hit(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, hit_id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormState::from_pairs(pairs);
    let hit = path_segment(&hit_id)
        .map_err(|error| PageError::from_call(error, "/kyc/cases"))?
        .to_owned();
    let body = json!({
        "resolution": form.value("resolution"),
        "reason": form.value("resolution_reason"),
    });
    act(
        &state,
        &context,
        &mut signed_in,
        &id,
        &format!("screening-hits/{hit}/resolution"),
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
    use crate::web::i18n::{catalogues, Locale};

    fn case(id: &str, assigned: Option<&str>) -> Case {
        serde_json::from_value(serde_json::json!({
            "case_id": id, "client_id": "c", "company_id": null, "status": "pending_review",
            "assigned_officer_id": assigned, "rejection_reason": null, "revision_note": null,
            "submitted_at": null, "documents": []
        }))
        .unwrap()
    }

    #[test]
    fn an_officer_sees_their_cases_first_then_the_unassigned_then_their_colleagues() {
        let cases = vec![
            case("a", Some("colleague")),
            case("b", None),
            case("c", Some("me")),
            case("d", None),
            case("e", Some("me")),
        ];
        let order: Vec<String> = officers_order(cases, "me")
            .into_iter()
            .map(|case| case.case_id)
            .collect();
        assert_eq!(order, ["c", "e", "b", "d", "a"]);
    }

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
            [
                "format",
                "pinfl-birth-date",
                "passport-validity",
                "duplicates",
                "screening",
            ]
            .iter()
            .map(|check| format!("kyc-check-{check}")),
        );
        keys.extend(
            ["passed", "failed", "cannot-screen", "possible-match"]
                .iter()
                .map(|outcome| format!("kyc-outcome-{outcome}")),
        );
        keys.extend(
            ["false-positive", "true-match"]
                .iter()
                .map(|resolution| format!("kyc-resolution-{resolution}")),
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
