//! The watch list's import, for KYC officers (onboarding's rule): a CSV with `full_name`,
//! `list_name`, `reference` and optionally `birth_date` replaces the list in force, and every
//! approved client is screened again. A file with a bad line is refused whole (nothing is
//! stored) and the page lists every bad line with its number and what is wrong, in the
//! reader's language; an accepted file's result (entries imported, clients screened again, new
//! hits opened for review) is shown after the redirect.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use reqwest::Method;
use serde::Deserialize;

use crate::clients::api::{send_json, CallError, FieldRefusal};
use crate::pages::shared::forms::FormState;
use crate::pages::shared::signed_in::{require_any_role, see_other, SignedIn};
use crate::pages::shared::upload::{read_csv_upload, CsvUpload};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::i18n::{catalogues, Translator};
use crate::AppState;

const PAGE: &str = "/kyc/watch-list";
const IMPORTERS: [&str; 1] = ["kyc_officer"];

/// A refused line as the page lists it.
pub struct BadLine {
    pub line: String,
    pub reason: String,
}

/// What an accepted import did, read back from the redirect's query.
#[derive(Deserialize)]
pub struct ImportResult {
    entries: Option<u32>,
    rescreened: Option<u32>,
    new_hits: Option<u64>,
}

#[derive(Template)]
#[template(path = "watch_list.html")]
struct WatchListPage {
    t: Translator,
    layout: Layout,
    /// The result of the import just made, in words.
    imported: Option<String>,
    bad_lines: Vec<BadLine>,
    form: FormState,
}

#[derive(Deserialize)]
struct Imported {
    entry_count: u32,
    rescreened_cases: u32,
    new_hits: u64,
}

fn page(
    context: &PageContext,
    status: StatusCode,
    imported: Option<String>,
    bad_lines: Vec<BadLine>,
    form: FormState,
) -> Response {
    render(
        status,
        &WatchListPage {
            imported,
            bad_lines,
            form,
            t: context.translator(),
            layout: context.layout(Section::WatchList),
        },
    )
}

/// The import form, and the result of the import just made.
pub async fn show(
    context: PageContext,
    signed_in: SignedIn,
    Query(result): Query<ImportResult>,
) -> Result<Response, PageError> {
    require_any_role(&signed_in, &IMPORTERS)?;
    let translator = context.translator();
    let imported = match (result.entries, result.rescreened, result.new_hits) {
        (Some(entries), Some(rescreened), Some(new_hits)) => Some(translator.t_with(
            "watch-list-imported",
            &[
                ("entries", &entries.to_string()),
                ("rescreened", &rescreened.to_string()),
                ("hits", &new_hits.to_string()),
            ],
        )),
        _ => None,
    };
    Ok(page(
        &context,
        StatusCode::OK,
        imported,
        Vec::new(),
        FormState::default(),
    ))
}

/// The line number and the reason of a refusal of `lines[n].column`, in the reader's
/// language; a field of another shape is reported as a reason about the whole file.
fn bad_line(refusal: &FieldRefusal, translator: &Translator) -> BadLine {
    let (line, column) = refusal
        .field
        .strip_prefix("lines[")
        .and_then(|rest| rest.split_once("]."))
        .unwrap_or(("", refusal.field.as_str()));
    let key = format!("watch-list-problem-{}", refusal.code.replace('_', "-"));
    BadLine {
        line: line.to_owned(),
        reason: if catalogues()
            .message_ids(translator.locale())
            .contains(key.as_str())
        {
            translator.t_with(&key, &[("column", column)])
        } else {
            translator.t("watch-list-problem-other")
        },
    }
}

/// Imports the chosen file; a refusal lists every bad line.
pub async fn import(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    require_any_role(&signed_in, &IMPORTERS)?;
    let translator = context.translator();
    let (upload, mut form) = read_csv_upload(&mut multipart).await;
    let csv = match upload {
        CsvUpload::Text(csv) => csv,
        CsvUpload::TooLarge => return Ok(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
        CsvUpload::Missing => {
            form.refuse(&translator, "file", "required");
            return Ok(page(
                &context,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Vec::new(),
                form,
            ));
        }
        CsvUpload::NotText => {
            form.refuse(&translator, "file", "not_csv_text");
            return Ok(page(
                &context,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Vec::new(),
                form,
            ));
        }
    };
    let token = signed_in
        .access_token(&state, "onboarding")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let result: Result<Imported, CallError> = send_json(
        state
            .onboarding
            .authorized(Method::POST, "/v1/kyc/watchlist", &token)
            .header(header::CONTENT_TYPE, "text/csv")
            .body(csv),
    )
    .await;
    match result {
        Ok(imported) => Ok(see_other(&format!(
            "{PAGE}?entries={}&rescreened={}&new_hits={}",
            imported.entry_count, imported.rescreened_cases, imported.new_hits
        ))),
        Err(CallError::Refused { status, fields, .. }) if !fields.is_empty() => {
            let bad_lines = fields
                .iter()
                .map(|refusal| bad_line(refusal, &translator))
                .collect();
            form.notice = Some(translator.t("watch-list-refused"));
            Ok(page(&context, status, None, bad_lines, form))
        }
        Err(error) => Err(PageError::from_call(error, PAGE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Locale;

    #[test]
    fn every_line_problem_has_words_in_every_language_naming_its_line_and_column() {
        for locale in [Locale::En, Locale::Ru, Locale::UzLatn, Locale::UzCyrl] {
            let translator = Translator::new(locale);
            for code in [
                "missing_column",
                "malformed_line",
                "empty_value",
                "unmatchable_name",
                "invalid_birth_date",
            ] {
                let refusal = FieldRefusal {
                    field: "lines[4].full_name".to_owned(),
                    code: code.to_owned(),
                };
                let line = bad_line(&refusal, &translator);
                assert_eq!(line.line, "4");
                assert_ne!(
                    line.reason,
                    translator.t("watch-list-problem-other"),
                    "{locale:?} {code}"
                );
            }
        }
    }
}
