//! Who is signed in: the extractor private pages take, which keeps the person and their
//! tokens in the server-side session and trades the refresh token for short-lived access
//! tokens addressed to one service each, cached in the session until shortly before they
//! expire. The browser never sees a token.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::clients::api::CallError;
use crate::clients::onboarding::{Person, TokenAnswer, REFRESH_TOKEN};
use crate::pages::shared::PageError;
use crate::web::security::same_site_path;
use crate::web::session::{SessionData, SessionId};
use crate::AppState;

/// An access token is renewed this long before it expires, so a call never carries one that
/// runs out on the way.
const TOKEN_RENEWAL_MARGIN_SECONDS: i64 = 30;

/// A signed-in visitor: the extractor every private page takes. Without a sign-in the visitor
/// is sent to the login page, with the page they wanted as a same-site `next`.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session_id: SessionId,
    pub person: Person,
    data: SessionData,
}

impl SignedIn {
    /// An access token for `audience`, from the session's cache or freshly issued.
    pub async fn access_token(
        &mut self,
        state: &AppState,
        audience: &str,
    ) -> Result<String, CallError> {
        let now = imkon_platform::id::now_utc();
        if let Some(token) = cached_token(&self.data, audience, now) {
            return Ok(token);
        }
        let refresh_token = self
            .data
            .get(REFRESH_TOKEN)
            .ok_or(CallError::Unauthorized)?
            .to_owned();
        let answer = match state.identity.access_token(&refresh_token, audience).await {
            Ok(answer) => answer,
            // A refused refresh token means the sign-in ended (expiry, logout elsewhere).
            Err(CallError::Refused { .. } | CallError::Forbidden { .. }) => {
                return Err(CallError::Unauthorized)
            }
            Err(error) => return Err(error),
        };
        cache_token(&mut self.data, audience, &answer, now);
        if let Err(error) = state
            .sessions
            .save(&self.session_id, self.data.clone(), now)
            .await
        {
            tracing::warn!(%error, "could not cache an access token in the session");
        }
        Ok(answer.access_token)
    }

    /// The refresh token, for logout.
    pub fn refresh_token(&self) -> Option<&str> {
        self.data.get(REFRESH_TOKEN)
    }

    /// A value a page kept in this sign-in's session, such as a transfer awaiting confirmation.
    pub fn session_value(&self, name: &str) -> Option<&str> {
        self.data.get(name)
    }

    /// What the session holds, for the modules that keep their own entries in it.
    pub fn session(&self) -> &SessionData {
        &self.data
    }

    /// Keeps `value` under `name` (or forgets `name`, given `None`) in the session, which is
    /// on the server: the browser never holds it.
    pub async fn keep(
        &mut self,
        state: &AppState,
        name: &str,
        value: Option<String>,
    ) -> Result<(), CallError> {
        self.keep_all(state, &[(name, value)]).await
    }

    /// Keeps (or forgets) several entries in the session with one write.
    pub async fn keep_all(
        &mut self,
        state: &AppState,
        entries: &[(&str, Option<String>)],
    ) -> Result<(), CallError> {
        for (name, value) in entries {
            match value {
                Some(value) => self.data.insert(*name, value.clone()),
                None => {
                    self.data.remove(name);
                }
            }
        }
        state
            .sessions
            .save(
                &self.session_id,
                self.data.clone(),
                imkon_platform::id::now_utc(),
            )
            .await
            .map_err(|error| CallError::Unavailable(format!("the session store failed: {error}")))
    }
}

fn token_key(audience: &str) -> String {
    format!("token.{audience}")
}

fn token_expiry_key(audience: &str) -> String {
    format!("token.{audience}.expires_at")
}

fn cached_token(data: &SessionData, audience: &str, now: DateTime<Utc>) -> Option<String> {
    let expires_at: i64 = data.get(&token_expiry_key(audience))?.parse().ok()?;
    (expires_at - TOKEN_RENEWAL_MARGIN_SECONDS > now.timestamp())
        .then(|| data.get(&token_key(audience)).map(str::to_owned))
        .flatten()
}

fn cache_token(data: &mut SessionData, audience: &str, answer: &TokenAnswer, now: DateTime<Utc>) {
    data.insert(token_key(audience), answer.access_token.clone());
    data.insert(
        token_expiry_key(audience),
        (now.timestamp() + answer.expires_in).to_string(),
    );
}

/// Where an anonymous visitor is sent: the login page, coming back to `next` afterwards.
pub fn login_redirect(next: &str) -> Response {
    let next = same_site_path(next);
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    see_other(&format!("/login?{query}"))
}

/// A 303 to a local path.
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let location = HeaderValue::from_str(same_site_path(location))
        .unwrap_or_else(|_| HeaderValue::from_static("/"));
    response.headers_mut().insert(header::LOCATION, location);
    response
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // After a form post the visitor comes back to the site's start rather than to a
        // URL that only accepts posts.
        let next = if parts.method == Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|path| path.as_str())
                .unwrap_or("/")
        } else {
            "/"
        };
        let Some(session_id) = SessionId::from_request(&parts.headers) else {
            return Err(login_redirect(next));
        };
        let data = match state
            .sessions
            .load(&session_id, imkon_platform::id::now_utc())
            .await
        {
            Ok(Some(data)) => data,
            Ok(None) => return Err(login_redirect(next)),
            Err(error) => {
                tracing::error!(%error, "the session store failed");
                return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
            }
        };
        match Person::load(&data) {
            Some(person) => Ok(SignedIn {
                session_id,
                person,
                data,
            }),
            None => Err(login_redirect(next)),
        }
    }
}

/// The person signed in, if any, for pages anyone may see (the navigation changes).
pub async fn person_of(headers: &axum::http::HeaderMap, state: &AppState) -> Option<Person> {
    let session_id = SessionId::from_request(headers)?;
    let data = state
        .sessions
        .load(&session_id, imkon_platform::id::now_utc())
        .await
        .ok()
        .flatten()?;
    Person::load(&data)
}

/// Only administrators pass: the administration pages' guard.
pub fn require_admin(signed_in: &SignedIn) -> Result<(), PageError> {
    require_any_role(signed_in, &["admin"])
}

/// The wrong-role page unless the signed-in person is a bank client: the money pages' guard.
pub fn require_client(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.person.is_client() {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

/// The signed-in person's token for the accounts service; a lapsed sign-in sends them to sign
/// in again and back to `next`.
pub async fn accounts_token(
    state: &AppState,
    signed_in: &mut SignedIn,
    next: &str,
) -> Result<String, PageError> {
    signed_in
        .access_token(state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, next))
}

/// The wrong-role page unless the signed-in person holds one of `roles`.
pub fn require_any_role(signed_in: &SignedIn, roles: &[&str]) -> Result<(), PageError> {
    if roles.iter().any(|role| signed_in.person.has_role(role)) {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn a_token_is_used_until_shortly_before_it_expires() {
        let mut data = SessionData::default();
        let answer = TokenAnswer {
            access_token: "abc".to_owned(),
            expires_in: 300,
        };
        cache_token(&mut data, "applications", &answer, at(1_000));
        assert_eq!(
            cached_token(&data, "applications", at(1_200)),
            Some("abc".to_owned())
        );
        assert_eq!(cached_token(&data, "applications", at(1_271)), None);
        assert_eq!(cached_token(&data, "onboarding", at(1_000)), None);
    }

    #[test]
    fn the_login_redirect_keeps_only_a_local_next() {
        let location = |response: Response| {
            response.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            location(login_redirect("/applications/1?x=1")),
            "/login?next=%2Fapplications%2F1%3Fx%3D1"
        );
        assert_eq!(
            location(login_redirect("//evil.example")),
            "/login?next=%2F"
        );
    }
}
