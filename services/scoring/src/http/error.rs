//! The service's one error type and the problem documents it becomes.

use axum::response::{IntoResponse, Response};
use imkon_platform::problem::Problem;
use uuid::Uuid;

use super::definition::DefinitionError;
use super::numbers::UnreadableInput;
use crate::domain::evaluation::EvaluationError;
use crate::domain::scorecardpy::{ExportError, ImportError, RowProblem};
use crate::domain::version::VersionError;

/// Everything a request to the scoring service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    #[error("there is no scorecard {0}")]
    ScorecardNotFound(Uuid),
    #[error("scorecard {scorecard_id} has no version {version}")]
    VersionNotFound { scorecard_id: Uuid, version: u32 },
    #[error("there is no evaluation {0}")]
    EvaluationNotFound(Uuid),
    #[error("scorecard {0} has no active version; name a version to try a draft")]
    NoActiveVersion(Uuid),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    InvalidDefinition(#[from] DefinitionError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Export(#[from] ExportError),
    /// Inputs that cannot be read or scored.
    #[error("{}", list_input_problems(.0))]
    InvalidInputs(Vec<InputProblem>),
    #[error("{field}: {message}")]
    InvalidParameter {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A problem the platform already phrased (idempotency refusals).
    #[error(transparent)]
    Platform(#[from] Problem),
}

/// One input that cannot be read or scored; `field` is its JSON path (`inputs.revenue`,
/// `rows[3].x01`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

fn list_input_problems(problems: &[InputProblem]) -> String {
    problems
        .iter()
        .map(|problem| format!("{}: {}", problem.field, problem.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ScoringError {
    /// An input the JSON reader refused, under `prefix` (`inputs`, `changes`, `rows[3]`).
    pub fn unreadable_input(prefix: &str, error: UnreadableInput) -> ScoringError {
        ScoringError::InvalidInputs(vec![InputProblem {
            field: format!("{prefix}.{}", error.input),
            code: "unreadable_input",
            message: error.to_string(),
        }])
    }

    /// An evaluation the domain refused, naming the input under `prefix`.
    pub fn evaluation(prefix: &str, error: EvaluationError) -> ScoringError {
        let (input, code) = match &error {
            EvaluationError::UnknownInput { input } => (input.as_str(), "unknown_input"),
            EvaluationError::WrongInputType { input, .. } => (input.as_str(), "wrong_input_type"),
            EvaluationError::NoBinCovers { characteristic, .. } => {
                (characteristic.as_str(), "no_bin_covers_value")
            }
            EvaluationError::ScoreOutsideScaling { .. } => ("", "score_outside_scaling"),
        };
        let field = if input.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{input}")
        };
        ScoringError::InvalidInputs(vec![InputProblem {
            field,
            code,
            message: error.to_string(),
        }])
    }
}

fn row_problem_code(problem: &RowProblem) -> &'static str {
    match problem {
        RowProblem::UnreadableRow(_) => "unreadable_row",
        RowProblem::ControlCharacter => "control_character",
        RowProblem::UnknownColumn(_) => "unknown_column",
        RowProblem::DuplicateColumn(_) => "duplicate_column",
        RowProblem::MissingColumn(_) => "missing_column",
        RowProblem::WrongFieldCount { .. } => "wrong_field_count",
        RowProblem::NonNumericPoints(_) => "non_numeric_points",
        RowProblem::InvalidVariable(_) => "invalid_variable",
        RowProblem::BasepointsWithBin(_) => "basepoints_with_bin",
        RowProblem::DuplicateBasepoints { .. } => "duplicate_basepoints",
        RowProblem::EmptyBin { .. } => "empty_bin",
        RowProblem::MalformedInterval { .. } => "malformed_interval",
        RowProblem::SeveralIntervals { .. } => "several_intervals",
        RowProblem::MixedBinKinds { .. } => "mixed_bin_kinds",
        RowProblem::OverlappingInterval { .. } => "overlapping_interval",
        RowProblem::GapInCoverage { .. } => "gap_in_coverage",
        RowProblem::DuplicateCategory { .. } => "duplicate_category",
        RowProblem::DuplicateMissing { .. } => "duplicate_missing",
        RowProblem::InvalidCharacteristic(_) => "invalid_characteristic",
    }
}

fn import_problem(error: &ImportError) -> Problem {
    match error {
        ImportError::Rows(rows) => {
            // Every bad line is listed, as `line N` so a client can point at it; nothing of the
            // card was stored.
            rows.iter().fold(
                Problem::unprocessable("invalid_scorecard_csv", error.to_string()),
                |problem, row| {
                    problem.with_field_error(
                        format!("line {}", row.line),
                        row_problem_code(&row.problem),
                        row.problem.to_string(),
                    )
                },
            )
        }
        ImportError::NoBasepoints => Problem::unprocessable("no_basepoints", error.to_string()),
        ImportError::NoVariables => Problem::unprocessable("no_variables", error.to_string()),
        ImportError::Scorecard(scorecard_error) => Problem::invalid_field(
            "settings",
            super::definition::scorecard_error_code(scorecard_error),
            scorecard_error.to_string(),
        ),
    }
}

impl From<ScoringError> for Problem {
    fn from(error: ScoringError) -> Problem {
        let detail = error.to_string();
        match error {
            ScoringError::ScorecardNotFound(_) => Problem::not_found("scorecard_not_found", detail),
            ScoringError::VersionNotFound { .. } => {
                Problem::not_found("scorecard_version_not_found", detail)
            }
            ScoringError::EvaluationNotFound(_) => {
                Problem::not_found("evaluation_not_found", detail)
            }
            ScoringError::NoActiveVersion(_) => Problem::conflict("no_active_version", detail),
            ScoringError::Version(VersionError::ActiveVersionIsImmutable { .. }) => {
                Problem::conflict("version_is_active", detail)
            }
            ScoringError::Version(VersionError::AlreadyActive { .. }) => {
                Problem::conflict("version_already_active", detail)
            }
            ScoringError::Version(VersionError::VersionNumberZero) => {
                Problem::invalid_field("version", "version_number_zero", detail)
            }
            ScoringError::InvalidDefinition(error) => {
                Problem::invalid_field(error.field, error.code, error.message)
            }
            ScoringError::Import(error) => import_problem(&error),
            ScoringError::Export(ExportError::UnrepresentableCategory {
                characteristic, ..
            }) => Problem::new(
                axum::http::StatusCode::CONFLICT,
                "not_representable_in_scorecardpy",
                "Conflict",
            )
            .with_detail(detail)
            .with_field_error(
                format!("characteristics.{characteristic}"),
                "unrepresentable_category",
                "scorecardpy cannot carry this category",
            ),
            ScoringError::InvalidInputs(problems) => {
                let mut problems = problems.into_iter();
                match problems.next() {
                    Some(first) => problems.fold(
                        Problem::invalid_field(first.field, first.code, first.message),
                        |problem, next| {
                            problem.with_field_error(next.field, next.code, next.message)
                        },
                    ),
                    None => Problem::unprocessable("invalid_inputs", detail),
                }
            }
            ScoringError::InvalidParameter { field, message } => {
                Problem::invalid_field(field, "invalid_parameter", message)
            }
            ScoringError::Database(error) => Problem::from(error),
            ScoringError::Platform(problem) => problem,
        }
    }
}

impl IntoResponse for ScoringError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
