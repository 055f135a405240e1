//! The clearing, for finance: the latest batches of payments to other banks (one per half-hour
//! cut-off, with how many payments, their total and whether the clearing has settled them), and
//! a form that hands in a file of payments from other banks as the clearing delivered it.
//!
//! The accounts service credits a file record by record, each once by its clearing reference,
//! so a file handed in twice credits nothing more: the report then counts its records as
//! already received. The report is the answer to the form itself, not a page after a redirect,
//! because it belongs to that one delivery and its list of rejected records does not fit an
//! address. A file the service refuses whole is shown beside its content with the line the
//! service names.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;

use crate::clients::api::{send_explained, send_json, CallError, ExplainedRefusal, FieldRefusal};
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::signed_in::{require_any_role, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_moment_of};
use crate::web::i18n::Translator;
use crate::AppState;

const PAGE: &str = "/clearing";

/// The accounts service's rule: finance reads the batches and hands in the files.
const CLEARING_STAFF: [&str; 1] = ["finance"];

const FIELDS: [&str; 2] = ["file_name", "content"];

/// The code of a file refused whole, whose explanation names the line.
const INVALID_FILE: &str = "invalid_clearing_file";

/// A batch as the accounts service answers it.
#[derive(Debug, Deserialize)]
struct Batch {
    cut_off_at: DateTime<Utc>,
    payments: i32,
    total: String,
    state: String,
    sent_at: Option<DateTime<Utc>>,
    settled_at: Option<DateTime<Utc>>,
}

/// A batch as the table shows it.
pub struct BatchRow {
    pub cut_off_at: String,
    pub payments: i32,
    pub total: String,
    pub state_key: String,
    /// When it went to the clearing and when the clearing settled it; empty until then.
    pub sent_at: String,
    pub settled_at: String,
}

/// The catalogue key of a batch's state.
fn batch_state_key(state: &str) -> String {
    format!("clearing-batch-{state}")
}

/// What handing in a file did, as the accounts service answers it.
#[derive(Debug, Deserialize)]
struct Report {
    credited: u64,
    already_received: u64,
    rejected: Vec<Rejected>,
}

#[derive(Debug, Deserialize)]
struct Rejected {
    reference: String,
    reason: String,
}

/// A rejected record as the report lists it.
pub struct RejectedRow {
    pub reference: String,
    pub reason: String,
}

/// The report of the file just handed in.
pub struct ReportView {
    pub credited: u64,
    pub already_received: u64,
    pub rejected: Vec<RejectedRow>,
}

/// Why a record could not be credited, in the reader's language; a reason the catalogues do
/// not name yet is shown as the service wrote it.
fn rejection_text(reason: &str, translator: &Translator) -> String {
    translator.t_or(
        &format!("clearing-rejected-{}", reason.replace('_', "-")),
        reason,
    )
}

/// Where a refused file breaks the format: the line, and what is wrong with it in the accounts
/// service's words (`line 3: the amount is like 1250.00, above zero`).
pub struct FileFault {
    pub line: String,
    pub detail: String,
}

fn file_fault(explanation: &str) -> FileFault {
    match explanation
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((line, detail)) => FileFault {
            line: line.to_owned(),
            detail: detail.to_owned(),
        },
        None => FileFault {
            line: String::new(),
            detail: explanation.to_owned(),
        },
    }
}

#[derive(Template)]
#[template(path = "clearing.html")]
struct ClearingPage {
    t: Translator,
    layout: Layout,
    batches: Vec<BatchRow>,
    form: FormState,
    report: Option<ReportView>,
    /// Where the refused file breaks the format, beside its content.
    fault: Option<FileFault>,
}

async fn page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    report: Option<ReportView>,
    fault: Option<FileFault>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let batches: Vec<Batch> = send_json(state.accounts.authorized(
        Method::GET,
        "/v1/clearing/batches",
        token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, PAGE))?;
    let translator = context.translator();
    let moment = |at: Option<DateTime<Utc>>| {
        at.map(|at| format_moment_of(at, &state.calendar, translator.locale()))
            .unwrap_or_default()
    };
    let batches = batches
        .iter()
        .map(|batch| BatchRow {
            cut_off_at: moment(Some(batch.cut_off_at)),
            payments: batch.payments,
            total: amount_text(&batch.total, "UZS", &translator),
            state_key: batch_state_key(&batch.state),
            sent_at: moment(batch.sent_at),
            settled_at: moment(batch.settled_at),
        })
        .collect();
    Ok(render(
        status,
        &ClearingPage {
            batches,
            form,
            report,
            fault,
            t: translator,
            layout: context.layout(Section::Clearing),
        },
    ))
}

async fn token(state: &AppState, signed_in: &mut SignedIn) -> Result<String, PageError> {
    signed_in
        .access_token(state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))
}

/// The latest batches and the form that hands in an incoming file.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_any_role(&signed_in, &CLEARING_STAFF)?;
    let token = token(&state, &mut signed_in).await?;
    page(
        &state,
        &context,
        &token,
        FormState::default(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct FileForm {
    #[serde(default)]
    file_name: String,
    #[serde(default)]
    content: String,
}

/// Hands in a file from the clearing and shows what it credited and rejected, or why the file
/// was refused.
pub async fn hand_in(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<FileForm>,
) -> Result<Response, PageError> {
    require_any_role(&signed_in, &CLEARING_STAFF)?;
    let token = token(&state, &mut signed_in).await?;
    let translator = context.translator();
    let file_name = submitted.file_name.trim();
    let mut form = FormState::from_pairs(vec![
        ("file_name".to_owned(), file_name.to_owned()),
        ("content".to_owned(), submitted.content.clone()),
    ]);
    if file_name.is_empty() {
        form.refuse(&translator, "file_name", "required");
    }
    if submitted.content.trim().is_empty() {
        form.refuse(&translator, "content", "required");
    }
    if form.has_errors() {
        return page(
            &state,
            &context,
            &token,
            form,
            None,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let answer = send_explained(
        state
            .accounts
            .authorized(Method::POST, "/v1/clearing/incoming-files", &token)
            .json(&serde_json::json!({
                "file_name": file_name,
                "content": submitted.content,
            })),
    )
    .await;
    let response = match answer {
        Ok(response) => response,
        Err((
            CallError::Refused {
                status,
                code,
                fields,
            },
            explained,
        )) => {
            let fault = refuse_file(&mut form, &translator, &code, &fields, &explained);
            return page(&state, &context, &token, form, None, fault, status).await;
        }
        Err((error, _)) => return Err(PageError::from_call(error, PAGE)),
    };
    let report: Report = response.json().await.map_err(|error| {
        PageError::from_call(
            CallError::Unavailable(format!("unreadable answer: {error}")),
            PAGE,
        )
    })?;
    let report = ReportView {
        credited: report.credited,
        already_received: report.already_received,
        rejected: report
            .rejected
            .iter()
            .map(|rejected| RejectedRow {
                reference: rejected.reference.clone(),
                reason: rejection_text(&rejected.reason, &translator),
            })
            .collect(),
    };
    // The file is handed in: the form starts empty for the next one.
    page(
        &state,
        &context,
        &token,
        FormState::default(),
        Some(report),
        None,
        StatusCode::OK,
    )
    .await
}

/// Puts a refusal beside the fields it names; answers where a file refused whole breaks the
/// format.
fn refuse_file(
    form: &mut FormState,
    translator: &Translator,
    code: &str,
    fields: &[FieldRefusal],
    explained: &[ExplainedRefusal],
) -> Option<FileFault> {
    form.refuse_all(translator, fields, &FIELDS);
    if !form.has_errors() {
        form.notice = Some(problem_message(translator, code));
    }
    explained
        .iter()
        .find(|refusal| refusal.field == "content" && refusal.code == INVALID_FILE)
        .map(|refusal| file_fault(&refusal.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{catalogues, Locale};

    #[test]
    fn the_line_of_a_refused_file_is_read_from_the_services_explanation() {
        let fault = file_fault("line 3: the amount is like 1250.00, above zero");
        assert_eq!(fault.line, "3");
        assert_eq!(fault.detail, "the amount is like 1250.00, above zero");
        let unshaped = file_fault("the file is odd");
        assert_eq!(unshaped.line, "");
        assert_eq!(unshaped.detail, "the file is odd");
    }

    #[test]
    fn every_state_of_a_batch_and_every_rejection_is_named_in_every_language() {
        for locale in Locale::ALL {
            let ids = catalogues().message_ids(locale);
            for state in ["formed", "sent", "settled"] {
                assert!(ids.contains(&batch_state_key(state)), "{state}");
            }
            let translator = Translator::new(locale);
            for reason in [
                "invalid_account_number",
                "unknown_account",
                "not_a_current_account",
                "account_closed",
                "currency_mismatch",
            ] {
                assert_ne!(rejection_text(reason, &translator), reason, "{reason}");
            }
            for code in [INVALID_FILE, "file_name_length", "file_too_long"] {
                let key = format!("error-{}", code.replace('_', "-"));
                assert!(ids.contains(&key), "{key}");
            }
        }
    }
}
