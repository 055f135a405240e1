//! Errors as RFC 9457 problem details (`application/problem+json`).
//!
//! Every error a service returns has a stable machine-readable `code` that clients may branch
//! on, a human `title`, and for request errors a `detail` that says what is wrong. A 5xx says
//! nothing about internals: the cause is logged with the request id, and the client gets the
//! request id to quote to support.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where problem types are documented; a problem's `type` is this prefix and its code.
pub const PROBLEM_TYPE_BASE: &str = "https://imkon.uz/problems/";

/// One invalid field of a request, named by its JSON path (`founders[2].share_percent`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// A problem details response.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    code: String,
    title: String,
    detail: Option<String>,
    errors: Vec<FieldError>,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    type_uri: String,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    code: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, code: impl Into<String>, title: impl Into<String>) -> Problem {
        Problem {
            status,
            code: code.into(),
            title: title.into(),
            detail: None,
            errors: Vec::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_field_error(
        mut self,
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        self.errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
        self
    }

    /// A 422 for a request that is well-formed but names invalid values.
    pub fn invalid_field(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        let field = field.into();
        let message = message.into();
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Invalid request",
        )
        .with_detail(format!("{field}: {message}"))
        .with_field_error(field, code, message)
    }

    pub fn bad_request(code: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, code, "Bad request").with_detail(detail)
    }

    pub fn not_found(code: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, code, "Not found").with_detail(detail)
    }

    pub fn conflict(code: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, code, "Conflict").with_detail(detail)
    }

    pub fn forbidden(code: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, code, "Forbidden").with_detail(detail)
    }

    pub fn unprocessable(code: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "Unprocessable request",
        )
        .with_detail(detail)
    }

    /// The opaque 500: the caller learns only that it failed and the request id.
    pub fn internal() -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error").with_detail(
            "The request could not be completed. It has been logged; quote the request id to support.",
        )
    }

    /// Logs the cause of an unexpected failure and returns the opaque 500.
    pub fn internal_from(cause: &dyn std::error::Error) -> Problem {
        tracing::error!(error = %cause, "unexpected failure");
        Problem::internal()
    }

    /// The generic problem for a status that some layer produced without a body of ours
    /// (an unknown route, a wrong method, a timeout, a body over the limit).
    pub fn for_status(status: StatusCode) -> Problem {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "No resource at this address."),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "This method is not allowed on this resource.")
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "The request body is larger than this endpoint accepts.")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "The request body has a media type this endpoint does not accept.")
            }
            StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
                ("timeout", "The request took too long and was abandoned; it is safe to retry with the same Idempotency-Key.")
            }
            status if status.is_server_error() => return Problem::internal(),
            _ => ("request_failed", "The request could not be processed."),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        Problem::new(status, code, title).with_detail(detail)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemBody {
            type_uri: format!("{PROBLEM_TYPE_BASE}{}", self.code),
            title: &self.title,
            status: self.status.as_u16(),
            detail: self.detail.as_deref(),
            code: &self.code,
            errors: &self.errors,
            request_id: crate::telemetry::current_request_id(),
        };
        let bytes = match serde_json::to_vec(&body) {
            Ok(bytes) => bytes,
            Err(_) => br#"{"type":"https://imkon.uz/problems/internal","title":"Internal error","status":500,"code":"internal"}"#.to_vec(),
        };
        let mut response = (self.status, bytes).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

impl From<sqlx::Error> for Problem {
    fn from(error: sqlx::Error) -> Problem {
        Problem::internal_from(&error)
    }
}

/// A JSON body extractor whose rejections speak problem+json: a malformed body is a 400, a
/// body of the wrong shape a 422 naming what serde found wrong, a missing content type a 415,
/// a body over the limit a 413, and a string holding a control character a 422 naming it by
/// its JSON pointer (see [`crate::text`]), so no service stores text PostgreSQL refuses.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(request.headers()) {
            return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .with_detail("Send the body as JSON with `Content-Type: application/json`."));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| body_rejection_problem(&rejection))?;
        if let Some(problem) = crate::text::json_body_problem(&bytes) {
            return Err(problem);
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(json_rejection_problem(&rejection)),
        }
    }
}

/// A JSON body read as [`JsonBody`] does, then checked against the structural limits its type
/// declares with `validator` (lengths, ranges, counts): one 422 `validation_failed` names every
/// field at fault by its JSON path (`founders[2].name`), with the code the limit declares. The
/// domain's parsing newtypes still check the rules; this checks only the shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidatedJson<T>(pub T);

impl<T, S> FromRequest<S> for ValidatedJson<T>
where
    T: DeserializeOwned + validator::Validate,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBody(value) = JsonBody::<T>::from_request(request, state).await?;
        value
            .validate()
            .map_err(|errors| validation_problem(&errors))?;
        Ok(ValidatedJson(value))
    }
}

/// A query string read as axum's `Query` does, then checked against the structural limits its
/// type declares with `validator` (a page's size, a search text's length), answering as
/// [`ValidatedJson`] does: a parameter that does not parse is a 400 problem, a limit not met a
/// 422 `validation_failed` naming each parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidatedQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ValidatedQuery<T>
where
    T: DeserializeOwned + validator::Validate,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| Problem::bad_request("malformed_query", rejection.body_text()))?;
        value
            .validate()
            .map_err(|errors| validation_problem(&errors))?;
        Ok(ValidatedQuery(value))
    }
}

/// The name `validator` gives an error of a whole struct (a `schema` function's), which is
/// named by the struct's own path instead: `founders[2]` when exactly one of two fields must
/// be given.
const STRUCT_ERROR_FIELD: &str = "__all__";

/// The 422 for failed structural limits, every field named by its JSON path.
pub fn validation_problem(errors: &validator::ValidationErrors) -> Problem {
    let mut fields = Vec::new();
    collect_field_errors("", errors, &mut fields);
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    let detail = fields
        .iter()
        .map(|error| format!("{}: {}", error.field, error.message))
        .collect::<Vec<_>>()
        .join("; ");
    let mut problem = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "Invalid request",
    )
    .with_detail(detail);
    problem.errors = fields;
    problem
}

fn collect_field_errors(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    for (name, kind) in errors.errors() {
        let path = if name == STRUCT_ERROR_FIELD {
            prefix.to_string()
        } else if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match kind {
            validator::ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|error| {
                    FieldError {
                        field: path.clone(),
                        code: error.code.to_string(),
                        message: error
                            .message
                            .as_ref()
                            .map_or_else(|| limit_message(error), ToString::to_string),
                    }
                }));
            }
            validator::ValidationErrorsKind::Struct(inner) => {
                collect_field_errors(&path, inner, out);
            }
            validator::ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_field_errors(&format!("{path}[{index}]"), inner, out);
                }
            }
        }
    }
}

/// A message from the limit's parameters when the DTO gives none, such as `min 1, max 5000`.
fn limit_message(error: &validator::ValidationError) -> String {
    let mut limits: Vec<String> = error
        .params
        .iter()
        .filter(|(name, _)| name.as_ref() != "value")
        .map(|(name, value)| format!("{name} {value}"))
        .collect();
    limits.sort();
    if limits.is_empty() {
        format!("fails the `{}` limit", error.code)
    } else {
        format!("must respect {}", limits.join(", "))
    }
}

/// `application/json` or any `application/*+json`, as axum's own `Json` accepts.
pub fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence
        .strip_prefix("application/")
        .is_some_and(|subtype| subtype == "json" || subtype.ends_with("+json"))
}

fn body_rejection_problem(rejection: &BytesRejection) -> Problem {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE)
    } else {
        Problem::bad_request("unreadable_body", rejection.body_text())
    }
}

fn json_rejection_problem(rejection: &JsonRejection) -> Problem {
    match rejection {
        JsonRejection::JsonDataError(error) => {
            Problem::unprocessable("invalid_body", error.body_text())
        }
        JsonRejection::JsonSyntaxError(error) => {
            Problem::bad_request("malformed_json", error.body_text())
        }
        other => Problem::bad_request("unreadable_body", other.body_text()),
    }
}

impl<T: Serialize> IntoResponse for JsonBody<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use validator::Validate;

    #[derive(Validate)]
    #[validate(schema(function = "one_identity"))]
    struct Founder {
        #[validate(length(max = 3, code = "name_too_long"))]
        name: String,
        client_id: Option<u32>,
        pinfl: Option<String>,
    }

    fn one_identity(founder: &Founder) -> Result<(), validator::ValidationError> {
        if founder.client_id.is_some() == founder.pinfl.is_some() {
            return Err(validator::ValidationError::new("founder_identity"));
        }
        Ok(())
    }

    #[derive(Validate)]
    struct Company {
        #[validate(range(min = 1, max = 10))]
        seats: u32,
        #[validate(nested)]
        founders: Vec<Founder>,
    }

    #[test]
    fn every_failed_limit_is_named_by_its_json_path_with_its_code() {
        let company = Company {
            seats: 0,
            founders: vec![
                Founder {
                    name: "Ali".to_owned(),
                    client_id: Some(1),
                    pinfl: None,
                },
                Founder {
                    name: "Aziza".to_owned(),
                    client_id: Some(2),
                    pinfl: None,
                },
            ],
        };
        let problem = validation_problem(&company.validate().unwrap_err());
        assert_eq!(problem.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem.code, "validation_failed");
        let named: Vec<(&str, &str)> = problem
            .errors()
            .iter()
            .map(|error| (error.field.as_str(), error.code.as_str()))
            .collect();
        assert_eq!(
            named,
            [("founders[1].name", "name_too_long"), ("seats", "range")]
        );
        assert!(problem.errors()[1].message.contains("min 1"), "{problem:?}");
    }

    #[test]
    fn a_whole_structs_error_is_named_by_the_structs_own_path() {
        let company = Company {
            seats: 1,
            founders: vec![Founder {
                name: "Ali".to_owned(),
                client_id: Some(1),
                pinfl: Some("31505900010012".to_owned()),
            }],
        };
        let problem = validation_problem(&company.validate().unwrap_err());
        let named: Vec<(&str, &str)> = problem
            .errors()
            .iter()
            .map(|error| (error.field.as_str(), error.code.as_str()))
            .collect();
        assert_eq!(named, [("founders[0]", "founder_identity")]);
    }
}
