//! Exactly-once effects for retried requests.
//!
//! A state-changing request carries an `Idempotency-Key`. The handler claims the key inside the
//! same transaction as its effect: the claim inserts a row keyed by (scope, key), so a
//! concurrent request with the same key blocks on the unique index until the first transaction
//! ends. If the first commits, the second finds its saved response and replays it; if it rolls
//! back, the second proceeds as the first. A saved response is compared by a fingerprint of the
//! request, and the same key with a different request is refused with a 422.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::problem::Problem;

pub const IDEMPOTENCY_KEY_HEADER: HeaderName = HeaderName::from_static("idempotency-key");

/// Set on a response that is the replay of an earlier one.
pub const IDEMPOTENT_REPLAY_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A client-chosen key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<IdempotencyKey, Problem> {
        let valid = (1..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(IdempotencyKey(text.to_owned()))
        } else {
            Err(Problem::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Extracts the required `Idempotency-Key` header; a missing one is a 400.
impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(&IDEMPOTENCY_KEY_HEADER).ok_or_else(|| {
            Problem::bad_request(
                "idempotency_key_required",
                "This operation changes state: send an Idempotency-Key header so that a retry cannot act twice.",
            )
        })?;
        let text = value.to_str().map_err(|_| {
            Problem::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be visible ASCII.",
            )
        })?;
        IdempotencyKey::parse(text)
    }
}

/// The SHA-256 of what makes two requests the same request.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// A response saved under a key.
#[derive(Debug, Clone)]
pub struct SavedResponse {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl SavedResponse {
    /// Saves a JSON response.
    pub fn json<T: serde::Serialize>(
        status: StatusCode,
        value: &T,
    ) -> Result<SavedResponse, Problem> {
        let body = serde_json::to_vec(value).map_err(|error| Problem::internal_from(&error))?;
        Ok(SavedResponse {
            status,
            content_type: "application/json".to_owned(),
            body,
        })
    }

    fn into_response_with_replay_flag(self, replayed: bool) -> Response {
        let mut response = (self.status, self.body).into_response();
        if let Ok(value) = HeaderValue::from_str(&self.content_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        if replayed {
            response
                .headers_mut()
                .insert(IDEMPOTENT_REPLAY_HEADER, HeaderValue::from_static("true"));
        }
        response
    }
}

impl IntoResponse for SavedResponse {
    fn into_response(self) -> Response {
        self.into_response_with_replay_flag(false)
    }
}

/// What claiming a key found.
#[derive(Debug)]
pub enum Claim {
    /// The key is new: do the work, then `save` the response in the same transaction.
    Fresh,
    /// The key was used before by the same request: return this response and do nothing.
    Replay(Response),
}

/// Claims `key` within `scope` (the caller and the operation) in the caller's transaction.
pub async fn claim(
    connection: &mut PgConnection,
    scope: &str,
    key: &IdempotencyKey,
    request_fingerprint: &str,
) -> Result<Claim, Problem> {
    let inserted = sqlx::query(
        "insert into idempotency_record (scope, key, request_fingerprint) values ($1, $2, $3)
         on conflict (scope, key) do nothing",
    )
    .bind(scope)
    .bind(key.as_str())
    .bind(request_fingerprint)
    .execute(&mut *connection)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Fresh);
    }
    let saved: (String, Option<i16>, Option<String>, Option<Vec<u8>>) = sqlx::query_as(
        "select request_fingerprint, response_status, response_content_type, response_body
         from idempotency_record where scope = $1 and key = $2",
    )
    .bind(scope)
    .bind(key.as_str())
    .fetch_one(&mut *connection)
    .await?;
    let (saved_fingerprint, status, content_type, body) = saved;
    if saved_fingerprint != request_fingerprint {
        return Err(Problem::unprocessable(
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request; use a new key for a new request.",
        ));
    }
    let status = status.and_then(|s| StatusCode::from_u16(s as u16).ok());
    match (status, content_type, body) {
        (Some(status), Some(content_type), Some(body)) => Ok(Claim::Replay(
            SavedResponse {
                status,
                content_type,
                body,
            }
            .into_response_with_replay_flag(true),
        )),
        _ => Err(Problem::conflict(
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key has not finished; retry shortly.",
        )),
    }
}

/// Saves the response of a fresh claim; call it in the transaction that made the effect.
pub async fn save(
    connection: &mut PgConnection,
    scope: &str,
    key: &IdempotencyKey,
    response: &SavedResponse,
) -> Result<(), Problem> {
    sqlx::query(
        "update idempotency_record
         set response_status = $3, response_content_type = $4, response_body = $5
         where scope = $1 and key = $2",
    )
    .bind(scope)
    .bind(key.as_str())
    .bind(response.status.as_u16() as i16)
    .bind(&response.content_type)
    .bind(&response.body)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_short_visible_ascii() {
        assert!(IdempotencyKey::parse("transfer-2026-11-26-0001").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("ключ").is_err());
    }

    #[test]
    fn the_fingerprint_depends_on_method_path_and_body() {
        let base = fingerprint("POST", "/v1/transfers", b"{}");
        assert_ne!(base, fingerprint("PUT", "/v1/transfers", b"{}"));
        assert_ne!(base, fingerprint("POST", "/v1/transfer", b"{}"));
        assert_ne!(base, fingerprint("POST", "/v1/transfers", b"{ }"));
        assert_eq!(base, fingerprint("POST", "/v1/transfers", b"{}"));
    }
}
