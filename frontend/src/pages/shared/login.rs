//! The steps of signing in that the sign-in pages share: a passed first factor leads either
//! to a session (and the person's landing page) or to the second-factor step, whose state
//! waits in a session of its own.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::clients::onboarding::{Login, LoginStep, Person, SecondFactorChallenge};
use crate::pages::shared::signed_in::see_other;
use crate::web::security::same_site_path;
use crate::web::session::{SessionData, SessionId};
use crate::AppState;

/// Session keys of a sign-in waiting for its second factor.
pub const CHALLENGE: &str = "second_factor.challenge";
pub const STEP: &str = "second_factor.step";
pub const SECRET: &str = "second_factor.secret";
pub const OTPAUTH_URI: &str = "second_factor.otpauth_uri";
pub const NEXT: &str = "second_factor.next";
pub const RECOVERY_CODES: &str = "second_factor.recovery_codes";

/// Where a passed first factor leads: the session, or the second step.
pub async fn continue_login(
    state: &AppState,
    headers: &HeaderMap,
    step: LoginStep,
    next: &str,
) -> Response {
    match step {
        LoginStep::Done(login) => start_session(state, headers, &login, next).await,
        LoginStep::SecondFactor(challenge) => {
            start_second_factor(state, headers, challenge, next).await
        }
    }
}

/// Keeps the challenge in a session under a fresh id and sends the visitor to the code page.
async fn start_second_factor(
    state: &AppState,
    headers: &HeaderMap,
    challenge: SecondFactorChallenge,
    next: &str,
) -> Response {
    let now = Utc::now();
    let mut data = SessionData::default();
    data.insert(CHALLENGE, challenge.challenge);
    data.insert(STEP, challenge.step);
    if let Some(enrolment) = challenge.enrolment {
        data.insert(SECRET, enrolment.secret);
        data.insert(OTPAUTH_URI, enrolment.otpauth_uri);
    }
    data.insert(NEXT, same_site_path(next));
    let rotated = match SessionId::from_request(headers) {
        Some(id) => state.sessions.rotate(&id, now).await.ok(),
        None => None,
    };
    let id = match rotated {
        Some(id) => match state.sessions.save(&id, data.clone(), now).await {
            Ok(()) => Ok(id),
            Err(_) => state.sessions.create(data, now).await,
        },
        None => state.sessions.create(data, now).await,
    };
    let Ok(id) = id else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let mut response = see_other("/login/second-factor");
    response
        .headers_mut()
        .append(header::SET_COOKIE, id.cookie());
    response
}

/// The session of a sign-in waiting for its second factor.
pub async fn pending(state: &AppState, headers: &HeaderMap) -> Option<(SessionId, SessionData)> {
    let id = SessionId::from_request(headers)?;
    let data = state.sessions.load(&id, Utc::now()).await.ok()??;
    data.get(CHALLENGE)?;
    Some((id, data))
}

/// Puts the sign-in into a session under a fresh id and sends the visitor on to `next`.
pub async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    login: &Login,
    next: &str,
) -> Response {
    start_session_with(state, headers, login, next, Vec::new()).await
}

/// Like [`start_session`], with more entries in the new session (the recovery codes that a
/// page shows once).
pub async fn start_session_with(
    state: &AppState,
    headers: &HeaderMap,
    login: &Login,
    next: &str,
    extra: Vec<(&'static str, String)>,
) -> Response {
    let now = Utc::now();
    // A session the visitor already had moves to a fresh id.
    let rotated = match SessionId::from_request(headers) {
        Some(id) => state.sessions.rotate(&id, now).await.ok(),
        None => None,
    };
    let mut data = SessionData::default();
    login.store(&mut data);
    for (name, value) in extra {
        data.insert(name, value);
    }
    let id = match rotated {
        Some(id) => match state.sessions.save(&id, data.clone(), now).await {
            Ok(()) => Ok(id),
            Err(_) => state.sessions.create(data, now).await,
        },
        None => state.sessions.create(data, now).await,
    };
    let id = match id {
        Ok(id) => id,
        Err(error) => {
            tracing::error!(%error, "could not start a session");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let mut response = see_other(landing_page(next, &login.principal));
    response
        .headers_mut()
        .append(header::SET_COOKIE, id.cookie());
    response
}

/// Where a sign-in lands: `next` if it is a page of this site, else the person's own home
/// page ([`Person::home_page`]).
pub fn landing_page<'a>(next: &'a str, person: &Person) -> &'a str {
    match same_site_path(next) {
        "/" => person.home_page(),
        local => local,
    }
}
