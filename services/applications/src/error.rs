//! The service's one error type and how it becomes problem+json.

use std::fmt::Display;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use imkon_platform::problem::Problem;

use crate::domain::Refusal;
use crate::peers::PeerError;

/// One field at fault in a refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRefusal {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldRefusal {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> FieldRefusal {
        FieldRefusal {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }

    /// A domain refusal; `fallback_field` names it when the domain names no single field.
    pub fn from_refusal<E: Refusal + Display>(error: &E, fallback_field: &str) -> FieldRefusal {
        FieldRefusal::new(
            error.field().unwrap_or_else(|| fallback_field.to_owned()),
            error.code(),
            error.to_string(),
        )
    }
}

/// Why a request of this service failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: the request names invalid values; `code` says what kind of refusal it is.
    #[error("{code}")]
    Invalid {
        code: &'static str,
        refusals: Vec<FieldRefusal>,
    },
    /// 404: absent, or another owner's, which looks the same so that ids cannot be probed.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// 409: the object is not in a state that allows the request.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 403: the caller may not do this to this object.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// 502: a peer service failed.
    #[error(transparent)]
    Peer(#[from] PeerError),
    #[error(transparent)]
    Database(sqlx::Error),
    /// A problem made by the platform (idempotency, extractors).
    #[error("{0:?}")]
    Problem(Problem),
}

/// The constraint whose violation means a state change the transition table does not allow.
const TRANSITION_CONSTRAINT: &str = "application_transition_allowed";
const BUDGET_CONSTRAINT: &str = "programme_committed_within_budget";

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        if let Some(database_error) = error.as_database_error() {
            match database_error.constraint() {
                Some(TRANSITION_CONSTRAINT) => {
                    return ApiError::Conflict {
                        code: "transition_not_allowed",
                        detail: database_error.message().to_owned(),
                    }
                }
                Some(BUDGET_CONSTRAINT) => {
                    return ApiError::Conflict {
                        code: "budget_exceeded",
                        detail: "the approval would commit more than the programme's budget"
                            .to_owned(),
                    }
                }
                _ => {}
            }
        }
        ApiError::Database(error)
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> ApiError {
        ApiError::Problem(problem)
    }
}

impl ApiError {
    /// A 422 for one field.
    pub fn field(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError::Invalid {
            code: "validation_failed",
            refusals: vec![FieldRefusal::new(field, code, message)],
        }
    }

    /// A 422 for one domain refusal.
    pub fn refused<E: Refusal + Display>(error: &E, fallback_field: &str) -> ApiError {
        ApiError::Invalid {
            code: "validation_failed",
            refusals: vec![FieldRefusal::from_refusal(error, fallback_field)],
        }
    }

    /// A 422 for several domain refusals at once.
    pub fn refused_all<E: Refusal + Display>(
        code: &'static str,
        errors: &[E],
        fallback_field: &str,
    ) -> ApiError {
        ApiError::Invalid {
            code,
            refusals: errors
                .iter()
                .map(|error| FieldRefusal::from_refusal(error, fallback_field))
                .collect(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::Forbidden {
            code,
            detail: detail.into(),
        }
    }
}

impl From<ApiError> for Problem {
    fn from(error: ApiError) -> Problem {
        match error {
            ApiError::Invalid { code, refusals } => {
                let detail = refusals
                    .iter()
                    .map(|refusal| format!("{}: {}", refusal.field, refusal.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                refusals.into_iter().fold(
                    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, "Invalid request")
                        .with_detail(detail),
                    |problem, refusal| {
                        problem.with_field_error(refusal.field, refusal.code, refusal.message)
                    },
                )
            }
            ApiError::NotFound { what } => {
                Problem::not_found("not_found", format!("no such {what}"))
            }
            ApiError::Conflict { code, detail } => Problem::conflict(code, detail),
            ApiError::Forbidden { code, detail } => Problem::forbidden(code, detail),
            ApiError::Peer(error) => {
                tracing::warn!(%error, "a peer service failed");
                Problem::new(
                    StatusCode::BAD_GATEWAY,
                    "peer_unavailable",
                    "A service this one depends on failed",
                )
                .with_detail(error.to_string())
            }
            ApiError::Database(error) => Problem::from(error),
            ApiError::Problem(problem) => problem,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
