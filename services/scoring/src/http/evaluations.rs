//! Evaluations: score one applicant (stored, replayable), a batch (not stored), or a what-if
//! (not stored); read a stored evaluation back.
//!
//! A batch is not stored: it serves portfolio runs and back-tests, where the caller keeps the
//! rows and only wants the scores; storing up to 10 000 rows per call would make the audit
//! table the bottleneck for no decision. A decision about one applicant uses the single
//! evaluation, which is stored.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_platform::id::{new_id, now_utc};
use imkon_platform::problem::{Problem, ValidatedJson, ValidatedQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::batch_body::{parse_batch_rows, BatchBody, BatchRow, RowProblem};
use super::caller::Scorer;
use super::definition::RecommendationName;
use super::error::ScoringError;
use super::numbers::{parse_inputs, JsonDecimal, JsonInputValue, JsonInputs};
use super::scorecards::stored_scorecard;
use crate::db::evaluations::{self as db, NewEvaluation};
use crate::db::scorecards::version_for_evaluation;
use crate::domain::evaluation::{
    evaluate, score_read_values_cached, what_if, Evaluation, EvaluationError, InputValue, Inputs,
    ProbabilityCache, Scored,
};
use crate::domain::scorecard::Scorecard;
use crate::domain::version::VersionStatus;
use crate::AppState;

/// How many bad rows of a batch are listed before the rest are left out of the answer.
const MAX_REPORTED_ROW_PROBLEMS: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/scorecards/{id}/evaluate", post(evaluate_one))
        .route("/v1/scorecards/{id}/evaluate-batch", post(evaluate_batch))
        .route("/v1/scorecards/{id}/what-if", post(evaluate_what_if))
        .route("/v1/evaluations/{id}", get(get_evaluation))
        .route("/v1/evaluations/{id}/replay", get(replay_evaluation))
}

/// Which version to score with.
#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionQuery {
    /// A version to use instead of the active one, such as a draft being tried before it is
    /// activated. Evaluations of a draft are not stored (a draft may still change, so they
    /// could not be replayed); their `id` is null.
    pub version: Option<u32>,
}

/// How much of each result a batch explains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchExplanation {
    /// Every characteristic's value, bin, points and reason code, as a single evaluation
    /// explains them: about eight times the bytes of the request, most of them names and
    /// labels repeated in every row.
    Full,
    /// No `characteristics`: the score, base points, probability of default, band,
    /// recommendation and knockouts only, under a tenth of the bytes. For portfolio runs and
    /// back-tests that want the scores; the same inputs scored alone (or in a batch with
    /// `explain=full`) give the explanation, with exactly the same figures.
    None,
    /// Each result names the bin each characteristic matched by its index (`bins`, in the
    /// scorecard's order), and the response lists each characteristic's bins once, with their
    /// labels, points and reason codes (`characteristics`): the full explanation, less the
    /// values the caller sent, without repeating names and labels in every row. The default:
    /// it explains every row completely at a tenth of [`BatchExplanation::Full`]'s bytes, so a
    /// batch is answered in about the time its request takes to parse.
    #[default]
    Bins,
}

/// Which version a batch scores with, and how much of each result it explains.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct BatchQuery {
    /// A version to use instead of the active one, such as a draft being tried before it is
    /// activated.
    pub version: Option<u32>,
    /// `bins` (the default) gives each result the index of each characteristic's matched bin,
    /// and the bins once for the whole response; `full` explains every characteristic of every
    /// row as a single evaluation does; `none` leaves the characteristics out.
    #[serde(default)]
    #[param(inline)]
    pub explain: BatchExplanation,
}

/// One evaluation. Its inputs are bounded by the scorecard (an input it does not read is
/// refused by name), so the request declares no limit of its own.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// Input name to value: a JSON number, a category as a string, or null (= missing; an
    /// absent input is missing too).
    #[schema(value_type = Object)]
    pub inputs: JsonInputs,
}

/// The shape of a batch request, for the OpenAPI document and the benchmark; the service reads
/// a batch with [`BatchRows`], which counts the rows while they arrive.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// Up to 10 000 rows, each shaped like `inputs` of a single evaluation.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<JsonInputs>,
}

/// A what-if comparison; its inputs and changes are bounded by the scorecard, as an
/// evaluation's are.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    #[schema(value_type = Object)]
    pub inputs: JsonInputs,
    /// The inputs to change, laid over `inputs`; null makes an input missing.
    #[schema(value_type = Object)]
    pub changes: JsonInputs,
}

/// A knockout rule that fired.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KnockoutResult {
    pub input: String,
    pub reason_code: String,
    pub description: String,
}

/// How one characteristic scored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CharacteristicResult {
    pub characteristic: String,
    pub value: JsonInputValue,
    /// The label of the bin that matched.
    pub bin: String,
    pub points: JsonDecimal,
    pub reason_code: String,
}

/// The result of scoring one set of inputs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvaluationOutcome {
    /// Base points plus every characteristic's points.
    pub score: JsonDecimal,
    pub base_points: JsonDecimal,
    pub probability_of_default: JsonDecimal,
    pub band: String,
    /// The band's recommendation, or `decline` when a knockout fired.
    pub recommendation: RecommendationName,
    pub knockouts: Vec<KnockoutResult>,
    pub characteristics: Vec<CharacteristicResult>,
}

impl From<&Evaluation> for EvaluationOutcome {
    fn from(evaluation: &Evaluation) -> EvaluationOutcome {
        EvaluationOutcome {
            score: evaluation.total_score.into(),
            base_points: evaluation.base_points.into(),
            probability_of_default: evaluation.probability_of_default.into(),
            band: evaluation.band.clone(),
            recommendation: evaluation.recommendation.into(),
            knockouts: evaluation
                .knockouts
                .iter()
                .map(|knockout| KnockoutResult {
                    input: knockout.input.as_str().to_owned(),
                    reason_code: knockout.reason_code.as_str().to_owned(),
                    description: knockout.description.clone(),
                })
                .collect(),
            characteristics: evaluation
                .characteristics
                .iter()
                .map(|score| CharacteristicResult {
                    characteristic: score.characteristic.as_str().to_owned(),
                    value: JsonInputValue(score.value.clone()),
                    bin: score.bin_label.clone(),
                    points: score.points.into(),
                    reason_code: score.reason_code.as_str().to_owned(),
                })
                .collect(),
        }
    }
}

/// One evaluation as returned and stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationResponse {
    /// The stored evaluation's id (give it to `GET /v1/evaluations/{id}`); null for a trial of
    /// a draft, which is not stored.
    pub id: Option<Uuid>,
    pub scorecard_id: Uuid,
    pub version: u32,
    /// `active` or `draft`: the status of the version when it scored.
    pub version_status: String,
    pub evaluated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub outcome: EvaluationOutcome,
    /// The inputs exactly as received.
    #[schema(value_type = Object)]
    pub inputs: JsonInputs,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    pub scorecard_id: Uuid,
    pub version: u32,
    pub version_status: String,
    /// With `explain=bins` only: every characteristic, in the scorecard's order, with its
    /// bins, which each result's `bins` index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub characteristics: Option<Vec<CharacteristicBins>>,
    /// One result per row, in the order of the rows.
    pub results: Vec<BatchOutcome>,
}

/// A characteristic's bins, in the scorecard's order, for `explain=bins`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CharacteristicBins {
    pub characteristic: String,
    pub bins: Vec<BinResult>,
}

/// A bin as a result explains it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BinResult {
    pub bin: String,
    pub points: JsonDecimal,
    pub reason_code: String,
}

/// The result of one row of a batch: a single evaluation's result, with `bins` under
/// `explain=bins` (the default), its `characteristics` under `explain=full`, and neither under
/// `explain=none`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchOutcome {
    /// Base points plus every characteristic's points.
    pub score: JsonDecimal,
    pub base_points: JsonDecimal,
    pub probability_of_default: JsonDecimal,
    pub band: String,
    /// The band's recommendation, or `decline` when a knockout fired.
    pub recommendation: RecommendationName,
    pub knockouts: Vec<KnockoutResult>,
    /// Every characteristic, in the scorecard's order; with `explain=full` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub characteristics: Option<Vec<CharacteristicResult>>,
    /// With `explain=bins` only: per characteristic, in the scorecard's order, the index of
    /// the bin it matched among the response's `characteristics[i].bins`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bins: Option<Vec<usize>>,
}

/// How one characteristic's points differ between the two sets of inputs.
#[derive(Debug, Serialize, ToSchema)]
pub struct CharacteristicDifferenceResult {
    pub characteristic: String,
    pub baseline_bin: String,
    pub changed_bin: String,
    pub points_difference: JsonDecimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WhatIfResponse {
    pub scorecard_id: Uuid,
    pub version: u32,
    pub version_status: String,
    pub baseline: EvaluationOutcome,
    pub changed: EvaluationOutcome,
    pub score_difference: JsonDecimal,
    /// Every characteristic, in the scorecard's order.
    pub differences: Vec<CharacteristicDifferenceResult>,
}

/// A stored evaluation scored again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayResponse {
    pub evaluation_id: Uuid,
    pub scorecard_id: Uuid,
    pub version: u32,
    /// Whether scoring the stored inputs with the stored version gives the stored result
    /// exactly, every characteristic's bin, points and reason code included.
    pub matches: bool,
    #[serde(flatten)]
    pub replayed: EvaluationOutcome,
}

/// The version an evaluation scores with.
struct ScoringVersion {
    scorecard_id: Uuid,
    version: u32,
    status: VersionStatus,
    scorecard: Arc<Scorecard>,
}

async fn scoring_version(
    state: &AppState,
    scorecard_id: Uuid,
    version: Option<u32>,
) -> Result<ScoringVersion, ScoringError> {
    let not_found = |version| ScoringError::VersionNotFound {
        scorecard_id,
        version,
    };
    let requested = version
        .map(|version| i32::try_from(version).map_err(|_| not_found(version)))
        .transpose()?;
    let (_, row) = version_for_evaluation(&state.pool, scorecard_id, requested)
        .await?
        .ok_or(ScoringError::ScorecardNotFound(scorecard_id))?;
    let row = match (row, version) {
        (Some(row), _) => row,
        (None, Some(version)) => return Err(not_found(version)),
        (None, None) => return Err(ScoringError::NoActiveVersion(scorecard_id)),
    };
    let version =
        u32::try_from(row.version).expect("the table's check keeps version numbers at 1 or above");
    Ok(ScoringVersion {
        scorecard_id,
        version,
        status: row.status(),
        scorecard: Arc::new(stored_scorecard(&row)?),
    })
}

fn read_inputs(prefix: &str, json: &JsonInputs) -> Result<Inputs, ScoringError> {
    parse_inputs(json).map_err(|error| ScoringError::unreadable_input(prefix, error))
}

fn json_response(status: StatusCode, body: impl IntoResponse) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Scores one set of inputs with the active version (or the version named) and stores the
/// evaluation with its inputs and version, so it can be explained and replayed later.
#[utoipa::path(post, path = "/v1/scorecards/{id}/evaluate", tag = "scoring",
    params(("id" = Uuid, Path), VersionQuery),
    request_body = EvaluateRequest,
    security(("bearer" = ["credit_officer", "admin", "service"])),
    responses(
        (status = 201, body = EvaluationResponse, description = "Scored with an active version and stored"),
        (status = 200, body = EvaluationResponse, description = "A trial of a draft version, not stored"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer, admin or service"),
        (status = 404, description = "No such scorecard or version"),
        (status = 409, description = "The scorecard has no active version and none was named"),
        (status = 422, description = "An input is unknown or of the wrong type; the problem names it"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id))]
async fn evaluate_one(
    State(state): State<AppState>,
    caller: Scorer,
    Path(id): Path<Uuid>,
    Query(query): Query<VersionQuery>,
    ValidatedJson(request): ValidatedJson<EvaluateRequest>,
) -> Result<Response, ScoringError> {
    let inputs = read_inputs("inputs", &request.inputs)?;
    let version = scoring_version(&state, id, query.version).await?;
    let evaluation = evaluate(&version.scorecard, &inputs)
        .map_err(|error| ScoringError::evaluation("inputs", error))?;
    let stored = version.status == VersionStatus::Active;
    let response = EvaluationResponse {
        id: stored.then(new_id),
        scorecard_id: version.scorecard_id,
        version: version.version,
        version_status: version.status.as_str().to_owned(),
        evaluated_at: now_utc(),
        outcome: EvaluationOutcome::from(&evaluation),
        inputs: request.inputs,
    };
    let body = serde_json::to_string(&response)
        .map_err(|error| ScoringError::Platform(Problem::internal_from(&error)))?;
    let Some(evaluation_id) = response.id else {
        return Ok(json_response(StatusCode::OK, body));
    };
    let inputs_json = serde_json::to_string(&response.inputs)
        .map_err(|error| ScoringError::Platform(Problem::internal_from(&error)))?;
    db::insert(
        &state.pool,
        &NewEvaluation {
            id: evaluation_id,
            scorecard_id: version.scorecard_id,
            version: i32::try_from(version.version)
                .expect("the version was read from its integer column"),
            inputs_json: &inputs_json,
            result_json: &body,
            score: evaluation.total_score,
            probability_of_default: evaluation.probability_of_default,
            band: &evaluation.band,
            recommendation: evaluation.recommendation.as_str(),
            evaluated_by: caller.principal().subject(),
        },
    )
    .await?;
    Ok(json_response(StatusCode::CREATED, body))
}

/// Scores up to 10 000 rows in one call and returns the results in the order of the rows.
/// Nothing is stored. A row that cannot be scored fails the whole batch with a 422 naming
/// `rows[i].input` for each bad row (the first hundred). By default (`explain=bins`) each result
/// names its matched bins by index, and the response lists the bins once; `explain=full` gives
/// each result its `characteristics` as a single evaluation does (eight times the bytes), and
/// `explain=none` leaves them out. The figures are the same in every form.
#[utoipa::path(post, path = "/v1/scorecards/{id}/evaluate-batch", tag = "scoring",
    params(("id" = Uuid, Path), BatchQuery),
    request_body = BatchRequest,
    security(("bearer" = ["credit_officer", "admin", "service"])),
    responses(
        (status = 200, body = BatchResponse),
        (status = 400, description = "`explain` is not `full`, `none` or `bins`, or the body is not JSON"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer, admin or service"),
        (status = 404, description = "No such scorecard or version"),
        (status = 409, description = "The scorecard has no active version and none was named"),
        (status = 413, description = "The body is over 32 MiB"),
        (status = 422, description = "Too many rows (refused as soon as the row after the limit arrives), or rows that cannot be scored"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id, body_bytes = body.len()))]
async fn evaluate_batch(
    State(state): State<AppState>,
    _caller: Scorer,
    Path(id): Path<Uuid>,
    ValidatedQuery(query): ValidatedQuery<BatchQuery>,
    BatchBody(body): BatchBody,
) -> Result<Response, ScoringError> {
    let version = scoring_version(&state, id, query.version).await?;
    let header = BatchHeader {
        scorecard_id: version.scorecard_id,
        version: version.version,
        version_status: version.status.as_str(),
    };
    // Reading, scoring and writing thousands of rows is CPU work: it runs off the request
    // threads.
    let body = tokio::task::spawn_blocking(move || {
        let rows = parse_batch_rows(&version.scorecard, &body)?;
        write_batch(&version.scorecard, &header, rows, query.explain)
    })
    .await
    .map_err(|error| ScoringError::Platform(Problem::internal_from(&error)))??;
    Ok(json_response(StatusCode::OK, body))
}

/// What a batch response says before its results.
#[derive(Debug, Clone, Copy)]
pub struct BatchHeader {
    pub scorecard_id: Uuid,
    pub version: u32,
    pub version_status: &'static str,
}

/// Scores every row and writes the JSON of a [`BatchResponse`] as it goes, byte for byte what
/// serde writes for it (a test checks), or reports the bad rows (the first hundred).
///
/// Serde would need every row's explanation copied into an [`Evaluation`] and then into an
/// [`EvaluationOutcome`], and each decimal passed through a string and a `RawValue` check: a
/// batch has hundreds of thousands of them. Here each row is written as soon as it is scored,
/// straight from its inputs and from the scorecard; what is the same in every row (a
/// characteristic's name, a bin's label, points and reason code, a knockout) is written once
/// per batch by [`ScorecardText`] and copied from there. The probabilities of default are
/// computed once per distinct score of the batch.
pub fn write_batch(
    scorecard: &Scorecard,
    header: &BatchHeader,
    rows: Vec<BatchRow>,
    explanation: BatchExplanation,
) -> Result<Vec<u8>, ScoringError> {
    let text = ScorecardText::new(scorecard);
    let bytes_per_row = match explanation {
        BatchExplanation::Full => text.full_row_bytes,
        BatchExplanation::None => 160,
        BatchExplanation::Bins => 160 + 3 * scorecard.characteristics().len(),
    };
    let mut out = Vec::with_capacity(256 + rows.len() * bytes_per_row);
    out.extend_from_slice(b"{\"scorecard_id\":");
    write_json(&mut out, &header.scorecard_id);
    out.extend_from_slice(b",\"version\":");
    write_json(&mut out, &header.version);
    out.extend_from_slice(b",\"version_status\":");
    write_json(&mut out, header.version_status);
    if explanation == BatchExplanation::Bins {
        write_bins_legend(&mut out, scorecard);
    }
    out.extend_from_slice(b",\"results\":[");

    let mut problems = Vec::new();
    let mut probabilities = ProbabilityCache::default();
    let mut bins = Vec::with_capacity(scorecard.characteristics().len());
    for (index, row) in rows.into_iter().enumerate() {
        let row_name = || format!("rows[{index}]");
        let scored = match row.problem {
            Some(RowProblem::Unreadable(error)) => {
                Err(ScoringError::unreadable_input(&row_name(), error))
            }
            Some(RowProblem::Unknown(input)) => Err(ScoringError::evaluation(
                &row_name(),
                EvaluationError::UnknownInput { input },
            )),
            None => score_read_values_cached(scorecard, &row.values, &mut probabilities, &mut bins)
                .map(|scored| (row.values, scored))
                .map_err(|error| ScoringError::evaluation(&row_name(), error)),
        };
        match scored {
            Ok((values, scored)) if problems.is_empty() => {
                if index > 0 {
                    out.push(b',');
                }
                write_result(
                    &mut out,
                    scorecard,
                    &text,
                    &values,
                    &scored,
                    &bins,
                    explanation,
                );
            }
            // A row before this one was bad, so the batch is refused: only problems count now.
            Ok(_) => {}
            Err(ScoringError::InvalidInputs(mut row_problems)) => {
                if problems.len() < MAX_REPORTED_ROW_PROBLEMS {
                    problems.append(&mut row_problems);
                }
            }
            Err(other) => return Err(other),
        }
    }
    if !problems.is_empty() {
        return Err(ScoringError::InvalidInputs(problems));
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// The JSON text of the parts of a result that depend on the scorecard alone, written once per
/// batch.
struct ScorecardText {
    base_points: Vec<u8>,
    /// Per characteristic, in the scorecard's order: `{"characteristic":"…","value":`.
    characteristic_openings: Vec<Vec<u8>>,
    /// Per characteristic, per bin: `,"bin":"…","points":…,"reason_code":"…"}`.
    bin_closings: Vec<Vec<Vec<u8>>>,
    /// Per knockout rule, in the scorecard's order: the object a fired one is written as.
    knockouts: Vec<Vec<u8>>,
    /// About how many bytes a fully explained row takes, to size the response once.
    full_row_bytes: usize,
}

impl ScorecardText {
    fn new(scorecard: &Scorecard) -> ScorecardText {
        let mut base_points = Vec::new();
        write_decimal(&mut base_points, scorecard.base_points());
        let characteristic_openings: Vec<Vec<u8>> = scorecard
            .characteristics()
            .iter()
            .map(|characteristic| {
                let mut opening = b"{\"characteristic\":".to_vec();
                write_json(&mut opening, characteristic.name().as_str());
                opening.extend_from_slice(b",\"value\":");
                opening
            })
            .collect();
        let bin_closings: Vec<Vec<Vec<u8>>> = scorecard
            .characteristics()
            .iter()
            .map(|characteristic| {
                characteristic
                    .bins()
                    .iter()
                    .map(|bin| {
                        let mut closing = b",\"bin\":".to_vec();
                        write_json(&mut closing, bin.label());
                        closing.extend_from_slice(b",\"points\":");
                        write_decimal(&mut closing, bin.points());
                        closing.extend_from_slice(b",\"reason_code\":");
                        write_json(&mut closing, bin.reason_code().as_str());
                        closing.push(b'}');
                        closing
                    })
                    .collect()
            })
            .collect();
        let knockouts = scorecard
            .knockouts()
            .iter()
            .map(|rule| {
                let mut object = b"{\"input\":".to_vec();
                write_json(&mut object, rule.input().as_str());
                object.extend_from_slice(b",\"reason_code\":");
                write_json(&mut object, rule.reason_code().as_str());
                object.extend_from_slice(b",\"description\":");
                write_json(&mut object, rule.description());
                object.push(b'}');
                object
            })
            .collect();
        let longest_closings: usize = bin_closings
            .iter()
            .map(|closings| closings.iter().map(Vec::len).max().unwrap_or(0))
            .sum();
        let openings: usize = characteristic_openings.iter().map(Vec::len).sum();
        // The values: a dozen characters each, and 200 for the figures around them.
        let full_row_bytes = 200 + openings + longest_closings + 12 * characteristic_openings.len();
        ScorecardText {
            base_points,
            characteristic_openings,
            bin_closings,
            knockouts,
            full_row_bytes,
        }
    }
}

/// One result, as [`BatchOutcome`] serialises.
fn write_result(
    out: &mut Vec<u8>,
    scorecard: &Scorecard,
    text: &ScorecardText,
    values: &[InputValue],
    scored: &Scored,
    bins: &[usize],
    explanation: BatchExplanation,
) {
    out.extend_from_slice(b"{\"score\":");
    write_decimal(out, scored.total_score);
    out.extend_from_slice(b",\"base_points\":");
    out.extend_from_slice(&text.base_points);
    out.extend_from_slice(b",\"probability_of_default\":");
    write_decimal(out, scored.probability_of_default);
    out.extend_from_slice(b",\"band\":");
    write_json(out, scored.band.name());
    out.extend_from_slice(b",\"recommendation\":");
    write_json(out, &RecommendationName::from(scored.recommendation));
    out.extend_from_slice(b",\"knockouts\":[");
    for (index, rule) in scored.knockouts.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&text.knockouts[*rule]);
    }
    out.push(b']');
    if explanation == BatchExplanation::Bins {
        out.extend_from_slice(b",\"bins\":[");
        for (index, &bin) in bins.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_json(out, &bin);
        }
        out.push(b']');
    }
    if explanation == BatchExplanation::Full {
        out.extend_from_slice(b",\"characteristics\":[");
        let characteristics = scorecard
            .characteristic_reads()
            .iter()
            .zip(&text.characteristic_openings)
            .zip(&text.bin_closings)
            .zip(bins);
        for (index, (((&read, opening), closings), &bin)) in characteristics.enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(opening);
            match &values[read] {
                InputValue::Number(number) => write_decimal(out, *number),
                InputValue::Category(category) => write_json(out, category.as_str()),
                InputValue::Absent => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(&closings[bin]);
        }
        out.push(b']');
    }
    out.push(b'}');
}

/// The `characteristics` of an `explain=bins` response, as [`CharacteristicBins`] serialise.
fn write_bins_legend(out: &mut Vec<u8>, scorecard: &Scorecard) {
    out.extend_from_slice(b",\"characteristics\":[");
    for (index, characteristic) in scorecard.characteristics().iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"characteristic\":");
        write_json(out, characteristic.name().as_str());
        out.extend_from_slice(b",\"bins\":[");
        for (index, bin) in characteristic.bins().iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"bin\":");
            write_json(out, bin.label());
            out.extend_from_slice(b",\"points\":");
            write_decimal(out, bin.points());
            out.extend_from_slice(b",\"reason_code\":");
            write_json(out, bin.reason_code().as_str());
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b']');
}

/// A value as serde_json writes it (strings escaped as JSON requires).
fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(out, value).expect("strings, numbers and ids always serialise to JSON");
}

/// A decimal as [`JsonDecimal`] writes it: its normalised text, which never has an exponent.
/// The digits are written straight into `out` rather than through `Display` and a formatter,
/// which a batch would do hundreds of thousands of times; a property test checks the text is
/// `Display`'s.
fn write_decimal(out: &mut Vec<u8>, number: rust_decimal::Decimal) {
    let number = number.normalize();
    let scale = number.scale() as usize;
    let mantissa = number.mantissa();
    // A decimal's mantissa has at most 29 digits.
    let mut digits = [0u8; 40];
    let mut start = digits.len();
    let mut rest = mantissa.unsigned_abs();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = &digits[start..];
    if mantissa < 0 {
        out.push(b'-');
    }
    if scale == 0 {
        out.extend_from_slice(digits);
    } else if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(whole);
        out.push(b'.');
        out.extend_from_slice(fraction);
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + scale - digits.len(), b'0');
        out.extend_from_slice(digits);
    }
}

/// Scores the inputs and the inputs with `changes` laid over them, and shows the difference
/// per characteristic. Nothing is stored.
#[utoipa::path(post, path = "/v1/scorecards/{id}/what-if", tag = "scoring",
    params(("id" = Uuid, Path), VersionQuery),
    request_body = WhatIfRequest,
    security(("bearer" = ["credit_officer", "admin", "service"])),
    responses(
        (status = 200, body = WhatIfResponse),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer, admin or service"),
        (status = 404, description = "No such scorecard or version"),
        (status = 409, description = "The scorecard has no active version and none was named"),
        (status = 422, description = "An input is unknown or of the wrong type; the problem names it"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id))]
async fn evaluate_what_if(
    State(state): State<AppState>,
    _caller: Scorer,
    Path(id): Path<Uuid>,
    Query(query): Query<VersionQuery>,
    ValidatedJson(request): ValidatedJson<WhatIfRequest>,
) -> Result<Json<WhatIfResponse>, ScoringError> {
    let baseline_inputs = read_inputs("inputs", &request.inputs)?;
    let mut changed_inputs = baseline_inputs.clone();
    changed_inputs.extend(read_inputs("changes", &request.changes)?);
    let version = scoring_version(&state, id, query.version).await?;
    // Each side is scored on its own first so that a refusal names the field it came from.
    evaluate(&version.scorecard, &baseline_inputs)
        .map_err(|error| ScoringError::evaluation("inputs", error))?;
    evaluate(&version.scorecard, &changed_inputs)
        .map_err(|error| ScoringError::evaluation("changes", error))?;
    let comparison = what_if(&version.scorecard, &baseline_inputs, &changed_inputs)
        .map_err(|error| ScoringError::evaluation("changes", error))?;
    Ok(Json(WhatIfResponse {
        scorecard_id: version.scorecard_id,
        version: version.version,
        version_status: version.status.as_str().to_owned(),
        baseline: EvaluationOutcome::from(&comparison.baseline),
        changed: EvaluationOutcome::from(&comparison.changed),
        score_difference: comparison.score_difference.into(),
        differences: comparison
            .differences
            .iter()
            .map(|difference| CharacteristicDifferenceResult {
                characteristic: difference.characteristic.as_str().to_owned(),
                baseline_bin: difference.baseline_bin_label.clone(),
                changed_bin: difference.changed_bin_label.clone(),
                points_difference: difference.points_difference.into(),
            })
            .collect(),
    }))
}

/// A stored evaluation, exactly as it was returned when it was made.
#[utoipa::path(get, path = "/v1/evaluations/{id}", tag = "scoring",
    params(("id" = Uuid, Path)),
    security(("bearer" = ["credit_officer", "admin", "service"])),
    responses(
        (status = 200, body = EvaluationResponse),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer, admin or service"),
        (status = 404, description = "No such evaluation"),
    ))]
#[tracing::instrument(skip_all, fields(evaluation_id = %id))]
async fn get_evaluation(
    State(state): State<AppState>,
    _caller: Scorer,
    Path(id): Path<Uuid>,
) -> Result<Response, ScoringError> {
    let result = db::find_result(&state.pool, id)
        .await?
        .ok_or(ScoringError::EvaluationNotFound(id))?;
    Ok(json_response(StatusCode::OK, result))
}

/// Scores a stored evaluation's inputs again with the version it was made with, and says
/// whether the result is the stored one: how a decision is explained and checked years later.
/// Nothing is stored.
#[utoipa::path(get, path = "/v1/evaluations/{id}/replay", tag = "scoring",
    params(("id" = Uuid, Path)),
    security(("bearer" = ["credit_officer", "admin", "service"])),
    responses(
        (status = 200, body = ReplayResponse),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer, admin or service"),
        (status = 404, description = "No such evaluation"),
    ))]
#[tracing::instrument(skip_all, fields(evaluation_id = %id))]
async fn replay_evaluation(
    State(state): State<AppState>,
    _caller: Scorer,
    Path(id): Path<Uuid>,
) -> Result<Json<ReplayResponse>, ScoringError> {
    let internal =
        |error: &dyn std::error::Error| ScoringError::Platform(Problem::internal_from(error));
    let stored = db::find(&state.pool, id)
        .await?
        .ok_or(ScoringError::EvaluationNotFound(id))?;
    let version = u32::try_from(stored.version)
        .expect("an evaluation names a version, and version numbers start at 1");
    let scoring = scoring_version(&state, stored.scorecard_id, Some(version)).await?;
    let json_inputs: JsonInputs = serde_json::from_str(&stored.inputs).map_err(|e| internal(&e))?;
    let inputs = read_inputs("inputs", &json_inputs)?;
    let evaluation = evaluate(&scoring.scorecard, &inputs)
        .map_err(|error| ScoringError::evaluation("inputs", error))?;
    let replayed = EvaluationOutcome::from(&evaluation);
    let outcome_json = serde_json::to_string(&replayed).map_err(|e| internal(&e))?;
    let matches = db::result_matches(&state.pool, id, &outcome_json).await?;
    Ok(Json(ReplayResponse {
        evaluation_id: id,
        scorecard_id: stored.scorecard_id,
        version,
        matches,
        replayed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seeds::{synthetic_input_names, synthetic_scorecard};

    /// Rows with numbers, missing values, a spread of values wide enough to reach several bands,
    /// and now and then an `x01` below the synthetic scorecard's knockout floor.
    fn synthetic_rows() -> Vec<JsonInputs> {
        let names = synthetic_input_names();
        (0..400i64)
            .map(|row| {
                names
                    .iter()
                    .enumerate()
                    .map(|(column, name)| {
                        let hundredths = (row * 7_919 + column as i64 * 104_729) % 12_000 - 1_000;
                        let text = if (row + column as i64) % 17 == 0 {
                            "null".to_owned()
                        } else if column == 0 && row % 37 == 0 {
                            // Below the knockout's floor on `x01`.
                            "-150.25".to_owned()
                        } else {
                            rust_decimal::Decimal::new(hundredths, 2).to_string()
                        };
                        (
                            name.clone(),
                            serde_json::value::RawValue::from_string(text).expect("valid JSON"),
                        )
                    })
                    .collect()
            })
            .collect()
    }

    /// What serde writes for the rows, each scored alone by [`evaluate`].
    fn batch_by_serde(
        scorecard: &Scorecard,
        header: &BatchHeader,
        rows: &[JsonInputs],
        explanation: BatchExplanation,
    ) -> String {
        let results = rows
            .iter()
            .map(|row| {
                let inputs = parse_inputs(row).expect("every input is a number or null");
                let evaluation = evaluate(scorecard, &inputs).expect("every row scores");
                let outcome = EvaluationOutcome::from(&evaluation);
                // The index of each matched bin, found by its label (labels are distinct
                // within a characteristic).
                let bins = scorecard
                    .characteristics()
                    .iter()
                    .zip(&evaluation.characteristics)
                    .map(|(characteristic, scored)| {
                        characteristic
                            .bins()
                            .iter()
                            .position(|bin| bin.label() == scored.bin_label)
                            .expect("the matched bin is one of the characteristic's")
                    })
                    .collect();
                BatchOutcome {
                    score: outcome.score,
                    base_points: outcome.base_points,
                    probability_of_default: outcome.probability_of_default,
                    band: outcome.band,
                    recommendation: outcome.recommendation,
                    knockouts: outcome.knockouts,
                    characteristics: (explanation == BatchExplanation::Full)
                        .then_some(outcome.characteristics),
                    bins: (explanation == BatchExplanation::Bins).then_some(bins),
                }
            })
            .collect();
        let legend = scorecard
            .characteristics()
            .iter()
            .map(|characteristic| CharacteristicBins {
                characteristic: characteristic.name().as_str().to_owned(),
                bins: characteristic
                    .bins()
                    .iter()
                    .map(|bin| BinResult {
                        bin: bin.label().to_owned(),
                        points: bin.points().into(),
                        reason_code: bin.reason_code().as_str().to_owned(),
                    })
                    .collect(),
            })
            .collect();
        serde_json::to_string(&BatchResponse {
            scorecard_id: header.scorecard_id,
            version: header.version,
            version_status: header.version_status.to_owned(),
            characteristics: (explanation == BatchExplanation::Bins).then_some(legend),
            results,
        })
        .expect("a response serialises")
    }

    /// The hand-written batch response is byte for byte what serde writes for the results of
    /// the same rows scored one by one, in each of the three forms.
    #[test]
    fn the_written_batch_response_is_what_serde_writes() {
        let scorecard = synthetic_scorecard();
        let rows = synthetic_rows();
        let body = format!(
            "{{\"rows\":{}}}",
            serde_json::to_string(&rows).expect("rows serialise")
        );
        let read = parse_batch_rows(&scorecard, body.as_bytes()).expect("a batch");
        let header = BatchHeader {
            scorecard_id: Uuid::now_v7(),
            version: 3,
            version_status: "active",
        };
        for explanation in [
            BatchExplanation::Full,
            BatchExplanation::None,
            BatchExplanation::Bins,
        ] {
            let written = write_batch(&scorecard, &header, read.clone(), explanation)
                .expect("every row scores");
            assert_eq!(
                String::from_utf8(written).expect("UTF-8"),
                batch_by_serde(&scorecard, &header, &rows, explanation),
                "{explanation:?}"
            );
        }
    }

    /// The rows reach more than one band, and some fire a knockout, so the test above
    /// compares every part of a result.
    #[test]
    fn the_synthetic_rows_reach_several_bands_and_knockouts() {
        let scorecard = synthetic_scorecard();
        let evaluations: Vec<Evaluation> = synthetic_rows()
            .iter()
            .map(|row| evaluate(&scorecard, &parse_inputs(row).unwrap()).unwrap())
            .collect();
        let bands: std::collections::BTreeSet<&str> =
            evaluations.iter().map(|e| e.band.as_str()).collect();
        assert!(bands.len() > 1, "{bands:?}");
        assert!(evaluations.iter().any(|e| !e.knockouts.is_empty()));
    }

    proptest::proptest! {
        /// The hand-written decimal text is `Display`'s text of the normalised decimal, for
        /// every sign, scale and size a decimal can have, zeros and trailing zeros included.
        #[test]
        fn a_written_decimal_is_its_normalised_display(
            low in proptest::prelude::any::<u64>(),
            high in 0u32..,
            zeros in 0u8..4,
            negative in proptest::prelude::any::<bool>(),
            scale in 0u32..=28,
        ) {
            let mantissa = match zeros {
                0 => 0,
                1 => i128::from(low % 1000) * 100,
                _ => (i128::from(high) << 64) | i128::from(low),
            };
            let number = rust_decimal::Decimal::from_i128_with_scale(
                if negative { -mantissa } else { mantissa },
                scale,
            );
            let mut written = Vec::new();
            write_decimal(&mut written, number);
            proptest::prop_assert_eq!(
                String::from_utf8(written).unwrap(),
                number.normalize().to_string()
            );
        }
    }
}
