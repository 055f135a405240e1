//! A KYC case as the founder's status page and the KYC officers' pages both show it.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::pages::shared::documents::document_kind_key;
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::PageError;
use crate::web::format::format_day_of;
use crate::web::i18n::Translator;
use crate::AppState;

/// The statuses of a case, for labels and the queue's filter.
pub const STATUSES: [&str; 5] = [
    "new",
    "pending_review",
    "approved",
    "rejected",
    "revision_requested",
];

#[derive(Clone, Debug, Deserialize)]
pub struct CaseDocument {
    pub document_id: String,
    pub kind: String,
    pub decision: Option<String>,
    pub rejection_reason: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    /// passed, failed, cannot_screen or possible_match; absent on checks run before codes.
    #[serde(default)]
    pub outcome: Option<String>,
    pub detail: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ScreeningHit {
    pub hit_id: String,
    pub screened_name: String,
    pub entry_full_name: String,
    pub entry_birth_date: Option<chrono::NaiveDate>,
    pub list_name: String,
    pub reference: String,
    pub score: i16,
    pub resolution: Option<String>,
    pub resolution_reason: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    pub case_id: String,
    pub client_id: String,
    pub company_id: Option<String>,
    pub status: String,
    pub assigned_officer_id: Option<String>,
    pub rejection_reason: Option<String>,
    pub revision_note: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub documents: Vec<CaseDocument>,
    #[serde(default)]
    pub checks: Option<Vec<Check>>,
    #[serde(default)]
    pub screening_hits: Option<Vec<ScreeningHit>>,
}

pub fn status_key(status: &str) -> String {
    format!("kyc-status-{}", status.replace('_', "-"))
}

pub fn reason_key(reason: &str) -> String {
    format!("kyc-reason-{}", reason.replace('_', "-"))
}

/// A document of a case as a page shows it.
pub struct DocumentRow {
    pub id: String,
    pub kind_key: &'static str,
    pub decision_key: Option<String>,
    pub remark: String,
    /// How the page previews it: `image`, `pdf`, or empty for the download link alone. Only a
    /// page that knows the document's type (from the client's file) fills it.
    pub preview: &'static str,
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
pub fn case_row(
    case: &Case,
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
    for_officer: bool,
) -> CaseRow {
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
            .map(|at| format_day_of(at, calendar, translator.locale()))
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
                preview: "",
            })
            .collect(),
        can_submit: matches!(case.status.as_str(), "new" | "revision_requested"),
        assigned: case.assigned_officer_id.is_some(),
    }
}

pub async fn token(
    state: &AppState,
    signed_in: &mut SignedIn,
    next: &str,
) -> Result<String, PageError> {
    signed_in
        .access_token(state, "onboarding")
        .await
        .map_err(|error| PageError::from_call(error, next))
}
