//! Text a client may send: no control characters, refused once at the boundary.
//!
//! PostgreSQL refuses U+0000 in `text` (and a query with one fails as a 500), and the other
//! control characters have no business in a name, an address or a note: they hide text from a
//! reader, move a terminal's cursor in a log, or split a CSV line. The rules, in order:
//!
//! 1. Tab, line feed and carriage return are allowed everywhere, so a note may hold lines.
//! 2. Every other C0 control (U+0000..U+001F), DEL (U+007F) and every C1 control
//!    (U+0080..U+009F) is refused, in a JSON string (a value or an object's key), in a query
//!    parameter, in a form field and in the path.
//! 3. The refusal is a 422 `validation_failed` naming where the character is: a JSON pointer
//!    (`/founders/1/name`) for a JSON body, the parameter's name for a query or a form, `path`
//!    for the path.
//!
//! The JSON check is in [`crate::problem::JsonBody`]; the path, query and form check is the
//! [`refuse_control_characters`] layer every service router has. A service reading a
//! body some other way (a multipart upload, a CSV import) checks its text with
//! [`refused_character`].

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;

/// The field error code of a refused character.
pub const CONTROL_CHARACTER_CODE: &str = "control_character";

/// What the refusal says; the field is named beside it.
pub const CONTROL_CHARACTER_MESSAGE: &str =
    "must not contain control characters (only tab and line breaks are allowed)";

/// Whether `character` is refused in text a client sends.
pub fn is_refused_character(character: char) -> bool {
    matches!(character, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// The first refused character of `text`, if any.
pub fn refused_character(text: &str) -> Option<char> {
    text.chars()
        .find(|character| is_refused_character(*character))
}

/// The 422 naming `field` as holding a control character.
pub fn control_character_problem(field: impl Into<String>) -> Problem {
    Problem::invalid_field(field, CONTROL_CHARACTER_CODE, CONTROL_CHARACTER_MESSAGE)
}

/// Whether the text of a well-formed JSON document holds a refused character in any string.
///
/// It reads the bytes once without building anything: a refused character is either escaped
/// (`\u0000`; a raw C0 control is not valid JSON in the first place) or written raw (DEL,
/// or a C1 control as the UTF-8 pair `C2 80`..`C2 9F`). An escaped backslash is skipped as a
/// pair, so the text `\\u0000` (a backslash and the letters `u0000`) is not mistaken for one.
pub fn json_holds_refused_character(json: &[u8]) -> bool {
    let mut index = 0;
    while index < json.len() {
        match json[index] {
            b'\\' if json.get(index + 1) == Some(&b'u') => {
                let escaped = json
                    .get(index + 2..index + 6)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32);
                if escaped.is_some_and(is_refused_character) {
                    return true;
                }
                index += 6;
            }
            b'\\' => index += 2,
            0x7f => return true,
            0xc2 if json
                .get(index + 1)
                .is_some_and(|next| (0x80..=0x9f).contains(next)) =>
            {
                return true
            }
            byte if byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r') => return true,
            _ => index += 1,
        }
    }
    false
}

/// The JSON pointer (RFC 6901) of the first string, or object key, holding a refused character.
pub fn refused_character_pointer(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => refused_character(text).map(|_| String::new()),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            refused_character_pointer(item).map(|rest| format!("/{index}{rest}"))
        }),
        serde_json::Value::Object(members) => members.iter().find_map(|(key, member)| {
            let escaped_key = key.replace('~', "~0").replace('/', "~1");
            if refused_character(key).is_some() {
                return Some(format!("/{escaped_key}"));
            }
            refused_character_pointer(member).map(|rest| format!("/{escaped_key}{rest}"))
        }),
        _ => None,
    }
}

/// The problem for a JSON body holding a refused character, or `None` when it holds none.
pub fn json_body_problem(json: &[u8]) -> Option<Problem> {
    if !json_holds_refused_character(json) {
        return None;
    }
    // Only a body that holds one is parsed a second time, to name where it is. A body that is
    // not JSON at all is left to the deserialiser, whose 400 says so.
    let value = serde_json::from_slice::<serde_json::Value>(json).ok()?;
    let pointer = refused_character_pointer(&value).unwrap_or_default();
    Some(control_character_problem(pointer))
}

/// Decodes `%XX` escapes; anything else, a malformed escape included, is kept as it is.
fn percent_decoded(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    decoded
}

/// The problem for form-encoded pairs (a query, or a form body) where a name or value holds a
/// refused character, naming that pair.
fn pairs_problem(pairs: &[u8]) -> Option<Problem> {
    form_urlencoded::parse(pairs)
        .find(|(name, value)| {
            refused_character(name).is_some() || refused_character(value).is_some()
        })
        .map(|(name, _)| control_character_problem(name.into_owned()))
}

/// The problem for a request whose path or query holds a refused character, once decoded.
pub fn uri_problem(uri: &axum::http::Uri) -> Option<Problem> {
    if refused_character(&String::from_utf8_lossy(&percent_decoded(uri.path()))).is_some() {
        return Some(control_character_problem("path"));
    }
    pairs_problem(uri.query()?.as_bytes())
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Refuses a request whose path, query parameters or form-encoded body hold a refused
/// character, before any handler (or database) sees it.
///
/// A form body is read here (at most `body_limit_bytes`, the service's limit) and handed on
/// as read; JSON bodies are checked by [`crate::problem::JsonBody`], which reads them anyway.
pub async fn refuse_control_characters(
    body_limit_bytes: usize,
    request: Request,
    next: Next,
) -> Response {
    if let Some(problem) = uri_problem(request.uri()) {
        return problem.into_response();
    }
    if !is_form(request.headers()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, body_limit_bytes).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let too_large = error
                .into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let problem = if too_large {
                Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                Problem::bad_request("unreadable_body", "The request body could not be read.")
            };
            return problem.into_response();
        }
    };
    if let Some(problem) = pairs_problem(&bytes) {
        return problem.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tab_and_line_breaks_are_allowed_among_control_characters() {
        for allowed in ['\t', '\n', '\r', ' ', 'a', 'ў', 'Ж', '\u{a0}', '€'] {
            assert!(!is_refused_character(allowed), "{allowed:?}");
        }
        for refused in [
            '\u{0}', '\u{7}', '\u{b}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}',
        ] {
            assert!(is_refused_character(refused), "{refused:?}");
        }
    }

    #[test]
    fn the_byte_scan_agrees_with_the_parsed_strings() {
        let cases = [
            (r#"{"a":"x\u0000y"}"#, true),
            (r#"{"a":"x\u001F"}"#, true),
            (r#"{"a":"x\u007f"}"#, true),
            ("{\"a\":\"x\u{85}\"}", true),
            ("{\"a\":\"x\u{7f}\"}", true),
            (r#"{"a\u0001":1}"#, true),
            (r#"{"a":"x\\u0000"}"#, false),
            (r#"{"a":"x\\\u0000"}"#, true),
            (r#"{"a":"line\nline\r\n\ttab"}"#, false),
            (r#"{"a":"\ud83d\ude00 ўзбек"}"#, false),
            ("{\"a\":\"\u{a0}\u{100}\"}", false),
            ("{\n\t\"a\" : 1\r\n}", false),
        ];
        for (json, refused) in cases {
            assert_eq!(
                json_holds_refused_character(json.as_bytes()),
                refused,
                "{json}"
            );
            let value: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(
                refused_character_pointer(&value).is_some(),
                refused,
                "{json}"
            );
        }
    }

    #[test]
    fn the_pointer_names_the_nested_string_and_escapes_its_keys() {
        let value = serde_json::json!({"ok": "fine", "a/b~c": [{"x": "y"}, {"name": "bad\u{0}"}]});
        assert_eq!(
            refused_character_pointer(&value).as_deref(),
            Some("/a~1b~0c/1/name")
        );
    }

    #[test]
    fn query_parameters_and_the_path_are_checked_once_decoded() {
        let problem = |uri: &str| {
            uri_problem(&uri.parse().unwrap()).map(|problem| problem.errors()[0].field.clone())
        };
        assert_eq!(problem("/v1/x?username=a%00b").as_deref(), Some("username"));
        assert_eq!(problem("/v1/x?a=1&b%1B=2").as_deref(), Some("b\u{1b}"));
        assert_eq!(problem("/v1/x%00y").as_deref(), Some("path"));
        assert_eq!(problem("/v1/x?note=a%0D%0Ab%09c&n=%C2%A0"), None);
        assert_eq!(problem("/v1/x?bad=%zz&pct=100%25"), None);
        assert_eq!(problem("/v1/x?c1=%C2%85").as_deref(), Some("c1"));
    }
}
