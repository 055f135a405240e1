//! Calls to the services' JSON APIs on behalf of a signed-in person, and what their answers
//! mean for a page.
//!
//! Every service answers errors as problem details with a stable `code` and, for a 422, the
//! refused fields. Pages branch on [`CallError`] only: a 404 becomes the friendly not-found
//! page, a 403 the wrong-role page, a 422 messages beside the fields, and anything the visitor
//! cannot act on (a 5xx, a timeout, an answer we cannot read) a "try again shortly" notice.

use std::time::Duration;

use imkon_platform::client::ServiceClient;
use rand::RngCore;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::web::timing::send_timed;

/// How long a service may take before the page says it is not answering.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// One refused field of a request, as the service's problem details name it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FieldRefusal {
    pub field: String,
    pub code: String,
}

#[derive(Deserialize)]
struct ProblemBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    errors: Vec<FieldRefusal>,
}

/// Why a call did not give the page what it asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The thing does not exist, or the caller may not know that it does.
    #[error("not found")]
    NotFound,
    /// The token was refused: the sign-in has ended.
    #[error("the access token was refused")]
    Unauthorized,
    /// The caller's role may not do this, or a rule about who acts forbids it.
    #[error("forbidden: {code}")]
    Forbidden { code: String },
    /// The request was refused as it stands: fields to correct, or a state that does not allow
    /// it (`code` says which).
    #[error("refused ({status}): {code}")]
    Refused {
        status: StatusCode,
        code: String,
        fields: Vec<FieldRefusal>,
    },
    /// No usable answer.
    #[error("the service is unavailable: {0}")]
    Unavailable(String),
}

impl CallError {
    /// The problem code of a refusal, if the service gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Forbidden { code } | CallError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// One service's API at its base URL.
#[derive(Clone, Debug)]
pub struct ServiceApi {
    client: ServiceClient,
    base_url: String,
}

impl ServiceApi {
    pub fn new(base_url: &str) -> Result<ServiceApi, reqwest::Error> {
        Ok(ServiceApi {
            client: ServiceClient::new(CALL_TIMEOUT)?,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request to `path`, without a token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, &self.url(path))
    }

    /// A request to `path` carrying `access_token`.
    pub fn authorized(&self, method: Method, path: &str, access_token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(access_token)
    }
}

/// Sends the request and reads a JSON answer.
pub async fn send_json<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, CallError> {
    let response = send(request).await?;
    response
        .json()
        .await
        .map_err(|error| CallError::Unavailable(format!("unreadable answer: {error}")))
}

/// Sends the request; any status other than 2xx becomes a [`CallError`].
pub async fn send(request: RequestBuilder) -> Result<reqwest::Response, CallError> {
    send_classified(request, classify).await
}

/// Like [`send`], except that any answer naming refused fields is a refusal of those fields,
/// whatever its status. A service may answer 404 for a number the visitor typed (an invoice no
/// billing system issued) or 503 for a system behind it that is not answering (the payee's),
/// and the page then says so beside the field rather than showing the not-found or the
/// unavailable page.
pub async fn send_naming_fields(request: RequestBuilder) -> Result<reqwest::Response, CallError> {
    send_classified(request, classify_naming_fields).await
}

async fn send_classified(
    request: RequestBuilder,
    classify: fn(StatusCode, Option<ProblemBody>) -> CallError,
) -> Result<reqwest::Response, CallError> {
    let response = send_timed(request)
        .await
        .map_err(|error| CallError::Unavailable(error.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let problem = response.json::<ProblemBody>().await.ok();
    Err(classify(status, problem))
}

/// One refused field with the service's own explanation of it, in its words.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ExplainedRefusal {
    pub field: String,
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Deserialize)]
struct ExplainedProblem {
    #[serde(default)]
    errors: Vec<ExplainedRefusal>,
}

/// Like [`send`], but a refusal also answers the service's explanation of each refused field,
/// for a page that needs a detail only the explanation carries (the line of a file a service
/// refused).
pub async fn send_explained(
    request: RequestBuilder,
) -> Result<reqwest::Response, (CallError, Vec<ExplainedRefusal>)> {
    let response = send_timed(request)
        .await
        .map_err(|error| (CallError::Unavailable(error.to_string()), Vec::new()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.bytes().await.unwrap_or_default();
    let explained = serde_json::from_slice::<ExplainedProblem>(&body)
        .map(|problem| problem.errors)
        .unwrap_or_default();
    Err((
        classify(status, serde_json::from_slice(&body).ok()),
        explained,
    ))
}

fn classify(status: StatusCode, problem: Option<ProblemBody>) -> CallError {
    let (code, fields) = problem
        .map(|problem| (problem.code, problem.errors))
        .unwrap_or_default();
    match status {
        StatusCode::NOT_FOUND => CallError::NotFound,
        StatusCode::UNAUTHORIZED => CallError::Unauthorized,
        StatusCode::FORBIDDEN => CallError::Forbidden { code },
        status if status.is_client_error() => CallError::Refused {
            status,
            code,
            fields,
        },
        status => CallError::Unavailable(format!("answered {status} {code}")),
    }
}

fn classify_naming_fields(status: StatusCode, problem: Option<ProblemBody>) -> CallError {
    match problem {
        Some(problem) if !problem.errors.is_empty() => CallError::Refused {
            status,
            code: problem.code,
            fields: problem.errors,
        },
        problem => classify(status, problem),
    }
}

/// A fresh idempotency key: 128 random bits, in hex, which makes a repeated
/// request (a double click, a retry) harmless.
pub fn idempotency_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The idempotency key a form carried, made when its page was shown, so that sending the same
/// form twice acts once; a form without a well-formed one (a hand-made request) gets a fresh
/// key.
pub fn form_idempotency_key(submitted: &str) -> String {
    if submitted.len() == 32 && submitted.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        submitted.to_owned()
    } else {
        idempotency_key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(code: &str, fields: &[(&str, &str)]) -> Option<ProblemBody> {
        Some(ProblemBody {
            code: code.to_owned(),
            errors: fields
                .iter()
                .map(|(field, code)| FieldRefusal {
                    field: (*field).to_owned(),
                    code: (*code).to_owned(),
                })
                .collect(),
        })
    }

    #[test]
    fn a_forms_key_is_kept_when_well_formed_and_replaced_otherwise() {
        let key = "0123456789abcdef0123456789ABCDEF";
        assert_eq!(form_idempotency_key(key), key);
        for bad in [
            "",
            "0123",
            "0123456789abcdef0123456789abcdeg",
            "x".repeat(32).as_str(),
        ] {
            let fresh = form_idempotency_key(bad);
            assert_ne!(fresh, bad);
            assert_eq!(
                form_idempotency_key(&fresh),
                fresh,
                "a fresh key is well formed"
            );
        }
    }

    #[test]
    fn statuses_become_what_a_page_can_act_on() {
        assert_eq!(
            classify(StatusCode::NOT_FOUND, problem("not_found", &[])),
            CallError::NotFound
        );
        assert_eq!(
            classify(StatusCode::FORBIDDEN, problem("four_eyes_violation", &[])),
            CallError::Forbidden {
                code: "four_eyes_violation".to_owned()
            }
        );
        let refused = classify(
            StatusCode::UNPROCESSABLE_ENTITY,
            problem("validation_failed", &[("requested_amount", "too_large")]),
        );
        assert_eq!(refused.code(), Some("validation_failed"));
        assert!(matches!(refused, CallError::Refused { fields, .. } if fields.len() == 1));
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, None),
            CallError::Unavailable(_)
        ));
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, None),
            CallError::Unauthorized
        );
    }

    #[test]
    fn an_answer_naming_fields_can_be_read_as_their_refusal_whatever_its_status() {
        let not_found = problem(
            "invoice_not_found",
            &[("invoice_number", "invoice_not_found")],
        );
        assert!(matches!(
            classify_naming_fields(StatusCode::NOT_FOUND, not_found),
            CallError::Refused { status: StatusCode::NOT_FOUND, fields, .. } if fields.len() == 1
        ));
        assert!(matches!(
            classify_naming_fields(
                StatusCode::SERVICE_UNAVAILABLE,
                problem("billing_unavailable", &[("invoice_number", "billing_unavailable")])
            ),
            CallError::Refused { code, .. } if code == "billing_unavailable"
        ));
        assert_eq!(
            classify_naming_fields(StatusCode::NOT_FOUND, problem("not_found", &[])),
            CallError::NotFound
        );
        assert!(matches!(
            classify_naming_fields(StatusCode::SERVICE_UNAVAILABLE, None),
            CallError::Unavailable(_)
        ));
    }
}
