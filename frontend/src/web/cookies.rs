//! Reading and writing the few cookies the frontend uses.
//!
//! Every cookie is `Secure` and `HttpOnly` (no script of ours ever reads one) and `Path=/`.
//! Chromium treats `http://localhost` and `http://127.0.0.1` as secure, so this works in tests
//! and on a developer's machine too.

use axum::http::{header, HeaderMap, HeaderValue};

/// The session cookie. The `__Host-` prefix makes the browser refuse it unless it is `Secure`,
/// has `Path=/` and no `Domain`, so no sibling subdomain can plant or overwrite it.
pub const SESSION_COOKIE: &str = "__Host-imkon_session";

/// The double-submit CSRF cookie, prefixed for the same reason as the session cookie: a
/// double-submit token is only as good as the guarantee that an attacker cannot set the cookie.
pub const CSRF_COOKIE: &str = "__Host-imkon_csrf";

/// The one-time `state` of an external sign-in in progress, kept by the browser rather than
/// in a server-side session so that anonymous visitors store nothing on the server. Prefixed
/// so that no sibling subdomain can plant a state of its choosing.
pub const EXTERNAL_STATE_COOKIE: &str = "__Host-imkon_external_state";

/// The chosen language.
pub const LANGUAGE_COOKIE: &str = "__Host-imkon_lang";

/// The longest cookie value we read; anything longer is not one of ours.
const COOKIE_VALUE_MAX_LENGTH: usize = 256;

/// How the browser should scope a cookie to cross-site requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    /// Sent on top-level navigations from other sites: a link into the site keeps the session.
    Lax,
    /// Never sent from another site.
    Strict,
}

/// The value of cookie `name` in the request, if present and of sane length.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty() && value.len() <= COOKIE_VALUE_MAX_LENGTH)
}

/// A `Set-Cookie` value. `max_age_seconds` of `None` makes a cookie that ends with the browser
/// session. Values must be cookie-safe tokens (we only ever set base64url and language tags).
pub fn set_cookie(
    name: &str,
    value: &str,
    same_site: SameSite,
    max_age_seconds: Option<u64>,
) -> HeaderValue {
    debug_assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "cookie values are tokens"
    );
    let same_site = match same_site {
        SameSite::Lax => "Lax",
        SameSite::Strict => "Strict",
    };
    let max_age = max_age_seconds
        .map(|seconds| format!("; Max-Age={seconds}"))
        .unwrap_or_default();
    let line = format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite={same_site}{max_age}");
    HeaderValue::from_str(&line).expect("a cookie line built from tokens is a valid header value")
}

/// A `Set-Cookie` value that makes the browser forget cookie `name`.
pub fn clear_cookie(name: &str) -> HeaderValue {
    set_cookie(name, "gone", SameSite::Lax, Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_with_cookie(line: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(line).unwrap());
        headers
    }

    #[test]
    fn a_cookie_is_found_among_others() {
        let headers = headers_with_cookie("a=1; __Host-imkon_lang=ru; b=2");
        assert_eq!(read_cookie(&headers, LANGUAGE_COOKIE), Some("ru"));
        assert_eq!(read_cookie(&headers, "b"), Some("2"));
        assert_eq!(read_cookie(&headers, "c"), None);
    }

    #[test]
    fn an_overlong_or_empty_cookie_is_ignored() {
        let long = format!("x={}", "a".repeat(300));
        assert_eq!(read_cookie(&headers_with_cookie(&long), "x"), None);
        assert_eq!(read_cookie(&headers_with_cookie("x="), "x"), None);
    }

    #[test]
    fn cookies_are_secure_http_only_and_scoped_to_the_whole_site() {
        let line = set_cookie(SESSION_COOKIE, "abc_123", SameSite::Lax, None);
        assert_eq!(
            line.to_str().unwrap(),
            "__Host-imkon_session=abc_123; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
        let cleared = clear_cookie(SESSION_COOKIE);
        assert!(cleared.to_str().unwrap().ends_with("Max-Age=0"));
    }
}
