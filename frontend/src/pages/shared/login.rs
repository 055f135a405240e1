//! The steps of signing in that the sign-in pages share: a passed first factor leads to a
//! session (and the person's landing page), to the second-factor step, or (after a one-time
//! password an administrator issued) to the step that chooses a new password; the state of
//! either step waits in a session of its own.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::clients::onboarding::{Login, LoginStep, PasswordChange, Person, SecondFactorChallenge};
use crate::pages::shared::holdings::{self, Holdings};
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

/// Session keys of a sign-in waiting for its new password: onboarding's single-use ticket,
/// the username (to sign in with the new password once it is set) and where to go after.
pub const CHANGE_TICKET: &str = "password_change.ticket";
pub const CHANGE_USERNAME: &str = "password_change.username";
pub const CHANGE_NEXT: &str = "password_change.next";

/// Where a passed first factor leads: the session, or the second step.
pub async fn continue_login(
    state: &AppState,
    headers: &HeaderMap,
    step: LoginStep,
    next: &str,
) -> Response {
    continue_password_login(state, headers, step, None, next).await
}

/// Like [`continue_login`], for a sign-in with a username: after a one-time password, the new
/// password the visitor chooses signs them in under that username.
pub async fn continue_password_login(
    state: &AppState,
    headers: &HeaderMap,
    step: LoginStep,
    username: Option<&str>,
    next: &str,
) -> Response {
    match step {
        LoginStep::Done(login) => start_session(state, headers, &login, next).await,
        LoginStep::SecondFactor(challenge) => {
            start_second_factor(state, headers, challenge, next).await
        }
        LoginStep::ChangePassword(change) => {
            start_password_change(state, headers, change, username, next).await
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
    let mut data = SessionData::default();
    data.insert(CHALLENGE, challenge.challenge);
    data.insert(STEP, challenge.step);
    if let Some(enrolment) = challenge.enrolment {
        data.insert(SECRET, enrolment.secret);
        data.insert(OTPAUTH_URI, enrolment.otpauth_uri);
    }
    data.insert(NEXT, same_site_path(next));
    start_pending_step(state, headers, data, "/login/second-factor").await
}

/// Keeps the password-change ticket in a session under a fresh id and sends the visitor to
/// the page that chooses the new password.
async fn start_password_change(
    state: &AppState,
    headers: &HeaderMap,
    change: PasswordChange,
    username: Option<&str>,
    next: &str,
) -> Response {
    let mut data = SessionData::default();
    data.insert(CHANGE_TICKET, change.ticket);
    if let Some(username) = username {
        data.insert(CHANGE_USERNAME, username);
    }
    data.insert(CHANGE_NEXT, same_site_path(next));
    start_pending_step(state, headers, data, "/login/new-password").await
}

/// Puts a step's state into the visitor's session, moved to a fresh id (or a new session),
/// and sends the visitor to the step's page.
async fn start_pending_step(
    state: &AppState,
    headers: &HeaderMap,
    data: SessionData,
    page: &str,
) -> Response {
    let now = imkon_platform::id::now_utc();
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
    let mut response = see_other(page);
    response
        .headers_mut()
        .append(header::SET_COOKIE, id.cookie());
    response
}

/// The session of a sign-in waiting for its second factor.
pub async fn pending(state: &AppState, headers: &HeaderMap) -> Option<(SessionId, SessionData)> {
    let id = SessionId::from_request(headers)?;
    let data = state
        .sessions
        .load(&id, imkon_platform::id::now_utc())
        .await
        .ok()??;
    data.get(CHALLENGE)?;
    Some((id, data))
}

/// The session of a sign-in waiting for its new password.
pub async fn pending_change(
    state: &AppState,
    headers: &HeaderMap,
) -> Option<(SessionId, SessionData)> {
    let id = SessionId::from_request(headers)?;
    let data = state
        .sessions
        .load(&id, imkon_platform::id::now_utc())
        .await
        .ok()??;
    data.get(CHANGE_TICKET)?;
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
    let now = imkon_platform::id::now_utc();
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
    // A client lands where their holdings say (their applications, else their accounts), so
    // they are surveyed now rather than on the first page.
    if login.principal.is_client() {
        holdings::survey_at_sign_in(state, &mut data).await;
    }
    let holdings = Holdings::load(&data);
    let id = match rotated {
        Some(id) => match state.sessions.save(&id, data.clone(), now).await {
            Ok(()) => Ok(id),
            Err(_) => state.sessions.create(data.clone(), now).await,
        },
        None => state.sessions.create(data.clone(), now).await,
    };
    let id = match id {
        Ok(id) => id,
        Err(error) => {
            tracing::error!(%error, "could not start a session");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    // The session is tagged as the person's, so that their password change ends it.
    if let Err(error) = state.sessions.set_owner(&id, &login.principal.id).await {
        tracing::error!(%error, "could not record whose session this is");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut response = see_other(landing_page(next, &login.principal, holdings));
    response
        .headers_mut()
        .append(header::SET_COOKIE, id.cookie());
    response
}

/// Where a sign-in lands: `next` if it is a page of this site, else the person's own home
/// page ([`home_page`]).
pub fn landing_page<'a>(next: &'a str, person: &Person, holdings: Holdings) -> &'a str {
    match same_site_path(next) {
        "/" => home_page(person, holdings),
        local => local,
    }
}

/// The page a sign-in lands on when it was not sent from another: the place where this
/// person's work starts, one they are allowed to see. A client who applied for funding lands on
/// their applications and any other client on their accounts; credit officers on the queue,
/// approvers on the proposals awaiting their confirmation, KYC officers on their queue, finance
/// on the tranches waiting to be paid, and administrators on the administration home.
pub fn home_page(person: &Person, holdings: Holdings) -> &'static str {
    if person.is_client() {
        if holdings.applications {
            "/applications"
        } else {
            "/accounts"
        }
    } else if person.has_role("credit_officer") {
        "/applications"
    } else if person.has_role("approver") {
        "/approvals"
    } else if person.has_role("kyc_officer") {
        "/kyc/cases"
    } else if person.has_role("finance") {
        "/payouts"
    } else if person.has_role("admin") {
        "/admin"
    } else {
        "/"
    }
}
