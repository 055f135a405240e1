//! The service's one error type and how each case answers over HTTP.
//!
//! Codes are stable: clients branch on them. A 4xx says what is wrong with the request; a 500
//! says nothing about internals (the cause is logged with the request id).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use imkon_platform::problem::Problem;

use crate::password::PasswordHashError;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    /// A request field is invalid; 422 naming it.
    #[error("{field}: {message}")]
    InvalidField {
        field: String,
        code: &'static str,
        message: String,
    },
    /// Several fields are invalid at once (every bad line of an imported file); 422 naming
    /// each with its own code, so a page can say what is wrong with each in its reader's
    /// language.
    #[error("{} invalid fields", errors.len())]
    InvalidFields {
        /// Each field, the code of what is wrong with it, and a message for a developer.
        errors: Vec<(String, &'static str, String)>,
    },
    /// Wrong username or password; the same answer whichever it was.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many attempts; try again after the given number of seconds.
    #[error("login locked for {retry_after_seconds} s")]
    LoginLocked { retry_after_seconds: i64 },
    /// An OAuth2 token request was refused (RFC 6749 section 5.2 error codes).
    #[error("token request refused: {code}: {detail}")]
    TokenRequest {
        status: StatusCode,
        code: &'static str,
        detail: String,
    },
    /// A malformed or unusable request that is no single field's fault; 400 with the code.
    #[error("{code}: {detail}")]
    BadRequest { code: &'static str, detail: String },
    /// An external identity provider failed or refused; its answer is logged, not shown.
    #[error(transparent)]
    IdentityProvider(#[from] crate::identity_providers::ProviderError),
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("{code}: {detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("{code}: {detail}")]
    Forbidden { code: &'static str, detail: String },
    /// A credential other than the password was refused (a second-factor code or challenge);
    /// 401 with the code.
    #[error("{code}: {detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    PasswordHash(#[from] PasswordHashError),
    #[error("{0}")]
    Internal(String),
}

impl OnboardingError {
    /// A 422 for a domain error that names its field.
    pub fn invalid(field: String, code: &'static str, error: &dyn std::fmt::Display) -> Self {
        OnboardingError::InvalidField {
            field,
            code,
            message: error.to_string(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        OnboardingError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        OnboardingError::Unauthorized {
            code,
            detail: detail.into(),
        }
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        OnboardingError::Forbidden {
            code,
            detail: detail.into(),
        }
    }
}

impl IntoResponse for OnboardingError {
    fn into_response(self) -> Response {
        match self {
            OnboardingError::InvalidField {
                field,
                code,
                message,
            } => Problem::invalid_field(field, code, message).into_response(),
            OnboardingError::InvalidFields { errors } => {
                let detail = format!("{} invalid fields", errors.len());
                errors
                    .into_iter()
                    .fold(
                        Problem::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "validation_failed",
                            "Invalid request",
                        )
                        .with_detail(detail),
                        |problem, (field, code, message)| {
                            problem.with_field_error(field, code, message)
                        },
                    )
                    .into_response()
            }
            OnboardingError::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Invalid credentials",
            )
            .with_detail("The username or password is wrong.")
            .into_response(),
            OnboardingError::LoginLocked {
                retry_after_seconds,
            } => {
                let seconds = retry_after_seconds.max(1);
                let mut response = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "login_locked",
                    "Login locked",
                )
                .with_detail(format!(
                    "Too many login attempts; try again in {seconds} seconds."
                ))
                .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                response
            }
            OnboardingError::TokenRequest {
                status,
                code,
                detail,
            } => Problem::new(status, code, "Token request refused")
                .with_detail(detail)
                .into_response(),
            OnboardingError::BadRequest { code, detail } => {
                Problem::bad_request(code, detail).into_response()
            }
            OnboardingError::IdentityProvider(error) => {
                tracing::warn!(%error, "the identity provider failed");
                Problem::new(
                    StatusCode::BAD_GATEWAY,
                    "identity_provider_failed",
                    "Identity provider failed",
                )
                .with_detail("The identity provider did not confirm the login; try again.")
                .into_response()
            }
            OnboardingError::NotFound { what } => {
                Problem::not_found("not_found", format!("No such {what}.")).into_response()
            }
            OnboardingError::Conflict { code, detail } => {
                Problem::conflict(code, detail).into_response()
            }
            OnboardingError::Forbidden { code, detail } => {
                Problem::forbidden(code, detail).into_response()
            }
            OnboardingError::Unauthorized { code, detail } => {
                Problem::new(StatusCode::UNAUTHORIZED, code, "Sign-in refused")
                    .with_detail(detail)
                    .into_response()
            }
            OnboardingError::Database(error) => Problem::from(error).into_response(),
            OnboardingError::PasswordHash(PasswordHashError::Busy {
                retry_after_seconds,
            }) => {
                let mut response = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "Too busy",
                )
                .with_detail(format!(
                    "Too many passwords are being checked; try again in {retry_after_seconds} seconds."
                ))
                .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
                response
            }
            OnboardingError::PasswordHash(error) => Problem::internal_from(&error).into_response(),
            OnboardingError::Internal(message) => {
                tracing::error!(%message, "unexpected failure");
                Problem::internal().into_response()
            }
        }
    }
}

/// Whether a database error is the violation of the named unique constraint.
pub fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    match error {
        sqlx::Error::Database(database_error) => {
            database_error.is_unique_violation() && database_error.constraint() == Some(constraint)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_password_hashing_answers_503_problem_json_with_retry_after() {
        let response = OnboardingError::PasswordHash(PasswordHashError::Busy {
            retry_after_seconds: 2,
        })
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }
}
