//! What every response carries and every state-changing request must prove.
//!
//! - [`security_headers`]: a Content-Security-Policy with no `unsafe-inline`, `nosniff`, a
//!   same-origin referrer, no framing, `no-store` unless a route chose its own caching, and HSTS
//!   when the site is served over TLS.
//! - [`csrf_protection`]: the double-submit token. Every visitor gets a random token in the
//!   `__Host-imkon_csrf` cookie and every form carries the same token in a hidden field; a POST
//!   whose field does not match the cookie is refused. A cross-site page cannot read the cookie,
//!   and the `__Host-` prefix stops a sibling subdomain from planting one. Safe methods never
//!   change state, so they are not checked.
//! - [`same_site_path`]: the only redirect targets taken from a request are local paths, so the
//!   site cannot be used to bounce visitors elsewhere.

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::StreamExt;
use imkon_platform::text::refused_character;
use rand::rngs::OsRng;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::web::cookies::{read_cookie, set_cookie, SameSite, CSRF_COOKIE};

/// The policy: only our own origin, no inline script or style, no framing, forms post only
/// to us, and no `<base>` that could redirect relative URLs.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; \
     base-uri 'none'; object-src 'none'";

/// The policy of a document shown in the embedded viewer of one of our pages: it loads nothing
/// and runs nothing, and only our own pages may frame it. `object-src 'self'` lets the
/// browser's own PDF viewer show it (Chromium treats a PDF as a plugin document and checks it
/// against the document's own policy).
pub const FRAMED_DOCUMENT_POLICY: &str = "default-src 'none'; img-src 'self'; \
     object-src 'self'; frame-ancestors 'self'; \
     form-action 'none'; base-uri 'none'";

/// Put in a response's extensions by a route whose answer our own pages frame (a document's
/// preview): it gets [`FRAMED_DOCUMENT_POLICY`] and `SAMEORIGIN` framing instead of the strict
/// policy. Only that route sets it, so every other answer keeps `frame-ancestors 'none'`.
#[derive(Clone, Copy, Debug)]
pub struct FramedBySelf;

/// One year, the HSTS preload lists' minimum.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The name of the hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// The header a script may send the token in instead of the form field.
const CSRF_HEADER: &str = "x-csrf-token";

/// The largest form body read while looking for the token; our forms are a few hundred bytes.
pub const FORM_BODY_MAX_BYTES: usize = 64 * 1024;

/// How much of an upload is read to find its token: the first part (the token) is a boundary,
/// one header line and 43 characters.
pub const MULTIPART_HEAD_MAX_BYTES: usize = 4 * 1024;

/// Random bytes in a token; 256 bits cannot be guessed.
const TOKEN_BYTES: usize = 32;

/// How the site is served, which decides the headers that depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderPolicy {
    /// Whether the site is reached over HTTPS, so browsers may be told to insist on it.
    pub strict_transport_security: bool,
}

/// Adds the security headers to every response.
pub async fn security_headers(
    State(policy): State<HeaderPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let framed_by_self = response.extensions().get::<FramedBySelf>().is_some();
    let (policy_value, framing) = if framed_by_self {
        (FRAMED_DOCUMENT_POLICY, "SAMEORIGIN")
    } else {
        (CONTENT_SECURITY_POLICY, "DENY")
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy_value),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static(framing));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    // Pages may carry personal data; only routes that know they do not (the stylesheet)
    // set their own caching.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if policy.strict_transport_security {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// The visitor's CSRF token, put in the request's extensions by [`csrf_protection`] for the
/// templates' hidden field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    fn generate() -> CsrfToken {
        let mut bytes = [0u8; TOKEN_BYTES];
        OsRng.fill_bytes(&mut bytes);
        CsrfToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only a value of the shape we issue, so a planted oddity is replaced.
    fn from_cookie(value: &str) -> Option<CsrfToken> {
        let decoded = URL_SAFE_NO_PAD.decode(value).ok()?;
        (decoded.len() == TOKEN_BYTES).then(|| CsrfToken(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn matches(&self, presented: &str) -> bool {
        constant_time_equal(self.0.as_bytes(), presented.as_bytes())
    }
}

/// Compares without stopping at the first difference, so timing does not reveal a prefix.
/// `subtle` keeps the compiler from turning the comparison back into an early exit; only the
/// length, which every token of ours shares, may show.
fn constant_time_equal(left: &[u8], right: &[u8]) -> bool {
    left.ct_eq(right).into()
}

/// The pages the CSRF check answers with when it refuses a request. The pages layer renders
/// them and hands them down when it builds the router, so this layer never imports a page.
#[derive(Clone, Copy)]
pub struct RefusalPages {
    /// The friendly page for an error status.
    pub error: fn(StatusCode, &Parts, &CsrfToken) -> Response,
    /// The 422 page for a form or a query whose fields hold a control character.
    pub control_character: fn(&Parts, &CsrfToken) -> Response,
}

/// Issues the token and refuses unsafe requests that do not present it.
///
/// Nothing of a request's body is read before it is known to be worth reading: a request
/// without the cookie or from another site is refused at once; a form body is read up to
/// [`FORM_BODY_MAX_BYTES`]; of an upload only the head is read ([`MULTIPART_HEAD_MAX_BYTES`]),
/// whose first part must be the token, and the file after it streams on to the upload page
/// unread. A query, or a proven form, whose fields hold a control character is refused with a
/// 422 page, so the text never reaches a service.
pub async fn csrf_protection(
    State(pages): State<RefusalPages>,
    request: Request,
    next: Next,
) -> Response {
    let existing = read_cookie(request.headers(), CSRF_COOKIE).and_then(CsrfToken::from_cookie);
    let is_new = existing.is_none();
    let token = existing.unwrap_or_else(CsrfToken::generate);
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(token.clone());

    // A query is a form too (searches, filters): its text would reach a service.
    if parts
        .uri
        .query()
        .is_some_and(|query| form_holds_control_character(query.as_bytes()))
    {
        return (pages.control_character)(&parts, &token);
    }
    let request = if is_safe(&parts.method) {
        Request::from_parts(parts, body)
    } else {
        let refuse = |parts: &Parts| {
            tracing::info!(method = %parts.method, path = parts.uri.path(), "refused a request without a valid CSRF token");
            let mut response = (pages.error)(StatusCode::FORBIDDEN, parts, &token);
            if is_new {
                attach_token_cookie(&mut response, &token);
            }
            response
        };
        let cross_site = parts
            .headers
            .get("sec-fetch-site")
            .is_some_and(|value| value == "cross-site");
        if cross_site || is_new {
            return refuse(&parts);
        }
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let header_token = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let (presented, body) = if content_type.starts_with("multipart/form-data") {
            let Ok((head, rest)) = read_head(body, MULTIPART_HEAD_MAX_BYTES).await else {
                return (pages.error)(StatusCode::BAD_REQUEST, &parts, &token);
            };
            let presented = match header_token {
                Some(presented) => Some(presented),
                None => first_part_token(&content_type, &head).await,
            };
            let whole =
                futures::stream::once(async move { Ok::<_, axum::Error>(head) }).chain(rest);
            (presented, Body::from_stream(whole))
        } else {
            let Ok(bytes) = axum::body::to_bytes(body, FORM_BODY_MAX_BYTES).await else {
                return (pages.error)(StatusCode::PAYLOAD_TOO_LARGE, &parts, &token);
            };
            let presented = header_token.or_else(|| {
                form_urlencoded::parse(&bytes)
                    .find(|(name, _)| name == CSRF_FIELD)
                    .map(|(_, value)| value.into_owned())
            });
            if presented
                .as_deref()
                .is_some_and(|presented| token.matches(presented))
                && form_holds_control_character(&bytes)
            {
                return (pages.control_character)(&parts, &token);
            }
            (presented, Body::from(bytes))
        };
        if !presented.is_some_and(|presented| token.matches(&presented)) {
            return refuse(&parts);
        }
        Request::from_parts(parts, body)
    };

    let mut response = next.run(request).await;
    // Only pages carry forms. The stylesheet may be cached by a shared proxy, and a cached
    // Set-Cookie would hand one token to many visitors; health checks have no use for one.
    if is_new && is_page(&response) {
        attach_token_cookie(&mut response, &token);
    }
    response
}

/// Whether a form field's name or value holds a character no service stores (a NUL, or any
/// control character but tab and line breaks; see `imkon_platform::text`).
fn form_holds_control_character(form: &[u8]) -> bool {
    form_urlencoded::parse(form).any(|(name, value)| {
        refused_character(&name).is_some() || refused_character(&value).is_some()
    })
}

/// Reads the body until at least `limit` bytes (or the end) have arrived, and hands back
/// those bytes and the stream of the rest, unread.
async fn read_head(body: Body, limit: usize) -> Result<(Bytes, BodyDataStream), axum::Error> {
    let mut rest = body.into_data_stream();
    let mut head = Vec::new();
    while head.len() < limit {
        match rest.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => break,
        }
    }
    Ok((Bytes::from(head), rest))
}

/// The token of a multipart form, which must be its first part (our forms put it there).
///
/// Only the first [`MULTIPART_HEAD_MAX_BYTES`] are parsed: a first part that is not the
/// token, or does not end within them, proves nothing, and the file after it is never read
/// here.
async fn first_part_token(content_type: &str, head: &Bytes) -> Option<String> {
    use axum::extract::FromRequest;
    let head = head.slice(..head.len().min(MULTIPART_HEAD_MAX_BYTES));
    let request = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(head))
        .ok()?;
    let mut multipart = axum::extract::Multipart::from_request(request, &())
        .await
        .ok()?;
    let field = multipart.next_field().await.ok()??;
    if field.name() != Some(CSRF_FIELD) {
        return None;
    }
    field.text().await.ok()
}

/// Whether a response is an HTML page (rather than the stylesheet, JSON or plain text).
pub fn is_page(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}

fn attach_token_cookie(response: &mut Response, token: &CsrfToken) {
    // Strict: the token is needed only on our own pages, never on a request from elsewhere.
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(CSRF_COOKIE, token.as_str(), SameSite::Strict, None),
    );
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The longest path we redirect back to.
const RETURN_PATH_MAX_LENGTH: usize = 2048;

/// `candidate` if it is a path on this site, otherwise `/`. A leading `//` or `/\` would be
/// read by browsers as another host, and control characters could split headers.
pub fn same_site_path(candidate: &str) -> &str {
    let is_local = candidate.starts_with('/')
        && !candidate.starts_with("//")
        && !candidate.contains('\\')
        && !candidate.chars().any(char::is_control)
        && candidate.len() <= RETURN_PATH_MAX_LENGTH;
    if is_local {
        candidate
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_forbids_inline_code_and_framing() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-eval"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
        assert!(CONTENT_SECURITY_POLICY.contains("form-action 'self'"));
    }

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert_eq!(same_site_path("/calculator?x=1"), "/calculator?x=1");
        assert_eq!(same_site_path("/"), "/");
        for hostile in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "/ok\r\nSet-Cookie: x=1",
            "evil.example",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(
                same_site_path(hostile),
                "/",
                "{hostile:?} must not be followed"
            );
        }
        assert_eq!(same_site_path(&format!("/{}", "a".repeat(3000))), "/");
    }

    #[test]
    fn tokens_are_random_and_only_our_shape_is_accepted_from_a_cookie() {
        let first = CsrfToken::generate();
        let second = CsrfToken::generate();
        assert_ne!(first, second);
        assert_eq!(CsrfToken::from_cookie(first.as_str()), Some(first.clone()));
        assert_eq!(CsrfToken::from_cookie("short"), None);
        assert_eq!(CsrfToken::from_cookie(&"!".repeat(43)), None);
        assert!(first.matches(first.as_str()));
        assert!(!first.matches(second.as_str()));
        assert!(!first.matches(""));
    }
}
