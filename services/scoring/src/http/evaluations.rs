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
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::batch_body::BatchRows;
use super::caller::Scorer;
use super::definition::RecommendationName;
use super::error::ScoringError;
use super::numbers::{parse_inputs, JsonDecimal, JsonInputValue, JsonInputs};
use super::scorecards::stored_scorecard;
use crate::db::evaluations::{self as db, NewEvaluation};
use crate::db::scorecards::version_for_evaluation;
use crate::domain::evaluation::{
    evaluate, evaluate_cached, what_if, Evaluation, InputValue, Inputs, ProbabilityCache,
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
    /// One result per row, in the order of the rows.
    pub results: Vec<EvaluationOutcome>,
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
/// `rows[i].input` for each bad row (the first hundred).
#[utoipa::path(post, path = "/v1/scorecards/{id}/evaluate-batch", tag = "scoring",
    params(("id" = Uuid, Path), VersionQuery),
    request_body = BatchRequest,
    security(("bearer" = ["credit_officer", "admin", "service"])),
    responses(
        (status = 200, body = BatchResponse),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer, admin or service"),
        (status = 404, description = "No such scorecard or version"),
        (status = 409, description = "The scorecard has no active version and none was named"),
        (status = 413, description = "The body is over 32 MiB"),
        (status = 422, description = "Too many rows (refused as soon as the row after the limit arrives), or rows that cannot be scored"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id, rows = rows.len()))]
async fn evaluate_batch(
    State(state): State<AppState>,
    _caller: Scorer,
    Path(id): Path<Uuid>,
    Query(query): Query<VersionQuery>,
    BatchRows(rows): BatchRows,
) -> Result<Response, ScoringError> {
    let version = scoring_version(&state, id, query.version).await?;
    let scorecard = Arc::clone(&version.scorecard);
    let header = BatchHeader {
        scorecard_id: version.scorecard_id,
        version: version.version,
        version_status: version.status.as_str(),
    };
    // Scoring thousands of rows and writing their results is CPU work: it runs off the
    // request threads.
    let body = tokio::task::spawn_blocking(move || {
        score_rows(&scorecard, &rows).map(|results| write_batch_response(&header, &results))
    })
    .await
    .map_err(|error| ScoringError::Platform(Problem::internal_from(&error)))??;
    Ok(json_response(StatusCode::OK, body))
}

/// Scores every row, or reports the bad ones. The probabilities of default are computed once
/// per distinct score of the batch.
pub fn score_rows(
    scorecard: &Scorecard,
    rows: &[JsonInputs],
) -> Result<Vec<Evaluation>, ScoringError> {
    let mut results = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    let mut probabilities = ProbabilityCache::default();
    for (index, row) in rows.iter().enumerate() {
        let prefix = format!("rows[{index}]");
        let scored = read_inputs(&prefix, row).and_then(|inputs| {
            evaluate_cached(scorecard, &inputs, &mut probabilities)
                .map_err(|error| ScoringError::evaluation(&prefix, error))
        });
        match scored {
            Ok(evaluation) => results.push(evaluation),
            Err(ScoringError::InvalidInputs(mut row_problems)) => {
                if problems.len() < MAX_REPORTED_ROW_PROBLEMS {
                    problems.append(&mut row_problems);
                }
            }
            Err(other) => return Err(other),
        }
    }
    if problems.is_empty() {
        Ok(results)
    } else {
        Err(ScoringError::InvalidInputs(problems))
    }
}

/// What a batch response says before its results.
#[derive(Debug, Clone, Copy)]
pub struct BatchHeader {
    pub scorecard_id: Uuid,
    pub version: u32,
    pub version_status: &'static str,
}

/// Writes the JSON of a [`BatchResponse`] straight from the evaluations, byte for byte what
/// serde would write for it. Serde would first copy every evaluation into an
/// [`EvaluationOutcome`] and pass each of its decimals through a string and a `RawValue`
/// check (a batch has hundreds of thousands of them); this writes each decimal's text once.
pub fn write_batch_response(header: &BatchHeader, results: &[Evaluation]) -> Vec<u8> {
    // About 1.5 KB per result for a 20-characteristic scorecard.
    let mut out = Vec::with_capacity(256 + results.len() * 1_600);
    out.extend_from_slice(b"{\"scorecard_id\":");
    write_json(&mut out, &header.scorecard_id);
    out.extend_from_slice(b",\"version\":");
    write_json(&mut out, &header.version);
    out.extend_from_slice(b",\"version_status\":");
    write_json(&mut out, header.version_status);
    out.extend_from_slice(b",\"results\":[");
    for (index, evaluation) in results.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_outcome(&mut out, evaluation);
    }
    out.extend_from_slice(b"]}");
    out
}

/// One result, as [`EvaluationOutcome`] serialises.
fn write_outcome(out: &mut Vec<u8>, evaluation: &Evaluation) {
    out.extend_from_slice(b"{\"score\":");
    write_decimal(out, evaluation.total_score);
    out.extend_from_slice(b",\"base_points\":");
    write_decimal(out, evaluation.base_points);
    out.extend_from_slice(b",\"probability_of_default\":");
    write_decimal(out, evaluation.probability_of_default);
    out.extend_from_slice(b",\"band\":");
    write_json(out, evaluation.band.as_str());
    out.extend_from_slice(b",\"recommendation\":");
    write_json(out, &RecommendationName::from(evaluation.recommendation));
    out.extend_from_slice(b",\"knockouts\":[");
    for (index, knockout) in evaluation.knockouts.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"input\":");
        write_json(out, knockout.input.as_str());
        out.extend_from_slice(b",\"reason_code\":");
        write_json(out, knockout.reason_code.as_str());
        out.extend_from_slice(b",\"description\":");
        write_json(out, knockout.description.as_str());
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"characteristics\":[");
    for (index, score) in evaluation.characteristics.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"characteristic\":");
        write_json(out, score.characteristic.as_str());
        out.extend_from_slice(b",\"value\":");
        match &score.value {
            InputValue::Number(number) => write_decimal(out, *number),
            InputValue::Category(category) => write_json(out, category.as_str()),
            InputValue::Absent => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"bin\":");
        write_json(out, score.bin_label.as_str());
        out.extend_from_slice(b",\"points\":");
        write_decimal(out, score.points);
        out.extend_from_slice(b",\"reason_code\":");
        write_json(out, score.reason_code.as_str());
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
}

/// A value as serde_json writes it (strings escaped as JSON requires).
fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(out, value).expect("strings, numbers and ids always serialise to JSON");
}

/// A decimal as [`JsonDecimal`] writes it: its normalised text, which never has an exponent.
fn write_decimal(out: &mut Vec<u8>, number: rust_decimal::Decimal) {
    use std::io::Write as _;
    write!(out, "{}", number.normalize()).expect("writing to memory cannot fail");
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

    /// The hand-written batch response is byte for byte what serde writes for the same results,
    /// for rows with numbers, missing values and every knockout and band the rows reach.
    #[test]
    fn the_written_batch_response_is_what_serde_writes() {
        let scorecard = synthetic_scorecard();
        let names = synthetic_input_names();
        let rows: Vec<JsonInputs> = (0..400i64)
            .map(|row| {
                names
                    .iter()
                    .enumerate()
                    .map(|(column, name)| {
                        let hundredths = (row * 7_919 + column as i64 * 104_729) % 12_000 - 1_000;
                        let text = if (row + column as i64) % 17 == 0 {
                            "null".to_owned()
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
            .collect();
        let results = score_rows(&scorecard, &rows).expect("every row scores");
        let header = BatchHeader {
            scorecard_id: Uuid::now_v7(),
            version: 3,
            version_status: "active",
        };
        let by_serde = serde_json::to_vec(&BatchResponse {
            scorecard_id: header.scorecard_id,
            version: header.version,
            version_status: header.version_status.to_owned(),
            results: results.iter().map(EvaluationOutcome::from).collect(),
        })
        .expect("a response serialises");
        assert_eq!(
            String::from_utf8(write_batch_response(&header, &results)).expect("UTF-8"),
            String::from_utf8(by_serde).expect("UTF-8")
        );
    }
}
