//! The login page, logout, and sign-in with OneID through onboarding.
//!
//! A successful sign-in moves the visitor to a fresh session id, so an id planted before login
//! is worthless after it, and then to `next` if that is a path on this site.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use reqwest::Method;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::clients::api::{send_json, CallError};
use crate::clients::onboarding::{LoginRefusal, VisitorClaim};
use crate::pages::shared::forms::{field_message, FormState};
use crate::pages::shared::login::{continue_login, continue_password_login};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, Section};
use crate::web::cookies::{clear_cookie, read_cookie, set_cookie, SameSite, EXTERNAL_STATE_COOKIE};
use crate::web::i18n::Translator;
use crate::web::security::same_site_path;
use crate::web::session::SessionId;
use crate::web::visitor::VisitorAddress;
use crate::AppState;

/// Random bytes in an external sign-in's `state`.
const STATE_BYTES: usize = 32;

/// How long the browser keeps an external sign-in's state: onboarding's own attempt lives
/// ten minutes too.
const EXTERNAL_STATE_LIFETIME_SECONDS: u64 = 600;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Translator,
    layout: Layout,
    form: FormState,
    next: String,
    external_sign_in: bool,
    /// The visitor has just set a new password: the page says so above the form.
    password_set: bool,
}

impl LoginPage {
    fn new(context: &PageContext, state: &AppState, form: FormState, next: &str) -> LoginPage {
        LoginPage {
            t: context.translator(),
            layout: context.layout(Section::SignIn),
            form,
            next: same_site_path(next).to_owned(),
            external_sign_in: state.client_secret.is_some(),
            password_set: false,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
    /// Set when an external sign-in came back refused.
    #[serde(default)]
    refused: String,
    /// Set when a second-factor step ran out and the visitor must sign in again.
    #[serde(default)]
    expired: String,
    /// Set when the visitor has just set a new password and signs in with it.
    #[serde(default)]
    reset: String,
}

/// The login form.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    Query(query): Query<NextQuery>,
) -> Response {
    let mut form = FormState::default();
    if !query.refused.is_empty() {
        form.notice = Some(context.translator().t("login-external-refused"));
    }
    if !query.expired.is_empty() {
        form.notice = Some(context.translator().t("second-factor-expired"));
    }
    let mut page = LoginPage::new(&context, &state, form, &query.next);
    page.password_set = !query.reset.is_empty();
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Checks the password with onboarding and starts the session.
pub async fn login(
    State(state): State<AppState>,
    context: PageContext,
    visitor: VisitorAddress,
    headers: HeaderMap,
    Form(submitted): Form<LoginForm>,
) -> Response {
    let translator = context.translator();
    // The password is never sent back to the page.
    let mut form = FormState::from_pairs(vec![("username".to_owned(), submitted.username.clone())]);
    if submitted.username.trim().is_empty() {
        form.refuse(&translator, "username", "required");
    }
    if submitted.password.is_empty() {
        form.refuse(&translator, "password", "required");
    }
    if form.has_errors() {
        let page = LoginPage::new(&context, &state, form, &submitted.next);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let refusal = match state
        .identity
        .login_with_password(
            submitted.username.trim(),
            &submitted.password,
            VisitorClaim::of(state.client_secret.as_ref(), visitor),
        )
        .await
    {
        Ok(step) => {
            return continue_password_login(
                &state,
                &headers,
                step,
                Some(submitted.username.trim()),
                &submitted.next,
            )
            .await
        }
        Err(refusal) => refusal,
    };
    let status = match refusal {
        LoginRefusal::InvalidCredentials => {
            form.notice = Some(translator.t("login-invalid-credentials"));
            StatusCode::UNAUTHORIZED
        }
        LoginRefusal::Locked {
            retry_after_seconds,
        } => {
            let minutes = retry_after_seconds.div_ceil(60).max(1).to_string();
            form.notice = Some(translator.t_with("login-locked", &[("minutes", &minutes)]));
            StatusCode::TOO_MANY_REQUESTS
        }
        LoginRefusal::Invalid(fields) => {
            for field in &fields {
                form.refuse(&translator, &field.field, &field.code);
            }
            if fields.is_empty() {
                form.notice = Some(field_message(&translator, "invalid"));
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        LoginRefusal::Unavailable => {
            form.notice = Some(translator.t("service-unavailable-general"));
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    render(
        status,
        &LoginPage::new(&context, &state, form, &submitted.next),
    )
}

/// Ends the sign-in at onboarding and here.
pub async fn logout(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    if let Some(refresh_token) = signed_in.refresh_token() {
        if let Err(error) = state.identity.logout(refresh_token).await {
            // The session ends here regardless; the refresh token still expires on its own.
            tracing::warn!(%error, "onboarding did not confirm the logout");
        }
    }
    if let Err(error) = state.sessions.destroy(&signed_in.session_id).await {
        tracing::warn!(%error, "could not end a session");
    }
    let mut response = see_other("/");
    response
        .headers_mut()
        .append(header::SET_COOKIE, SessionId::removal_cookie());
    response
}

fn generate_state() -> String {
    let mut bytes = [0u8; STATE_BYTES];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn callback_url(state: &AppState) -> String {
    format!("{}/auth/callback", state.public_url)
}

/// Starts a sign-in with OneID: the visitor goes to onboarding, which sends them on to OneID
/// and back to the callback, with a one-time `state` that the browser keeps in a short-lived
/// cookie for the callback to compare. Nothing is stored on the server for an anonymous
/// visitor, so any number of these requests cannot fill the session store.
pub async fn start_external(State(state): State<AppState>) -> Response {
    if state.client_secret.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let one_time_state = generate_state();
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("redirect_uri", &callback_url(&state))
        .append_pair("state", &one_time_state)
        .finish();
    let location = state
        .onboarding
        .url(&format!("/v1/auth/external/oneid/start?{query}"));
    to_provider(&location, &one_time_state)
}

/// A 303 to where an external sign-in continues, giving the browser its one-time state.
fn to_provider(location: &str, one_time_state: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    match header::HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
        }
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    // Lax, so that the browser sends it on the provider's redirect back to the callback.
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            EXTERNAL_STATE_COOKIE,
            one_time_state,
            SameSite::Lax,
            Some(EXTERNAL_STATE_LIFETIME_SECONDS),
        ),
    );
    response
}

/// A founder signed in with their password links their OneID identity: onboarding gives the
/// provider's page, and the callback then signs them in to the same account, provided OneID
/// identifies the person of their profile.
pub async fn link_external(State(state): State<AppState>, mut signed_in: SignedIn) -> Response {
    if state.client_secret.is_none() || !signed_in.person.is_client() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let one_time_state = generate_state();
    #[derive(Deserialize)]
    struct LinkAnswer {
        authorization_url: String,
    }
    let answer = match signed_in.access_token(&state, "onboarding").await {
        Ok(token) => {
            send_json::<LinkAnswer>(
                state
                    .onboarding
                    .request(Method::POST, "/v1/auth/external/oneid/link")
                    .bearer_auth(token)
                    .json(&serde_json::json!({
                        "redirect_uri": callback_url(&state),
                        "state": one_time_state,
                    })),
            )
            .await
        }
        Err(error) => Err(error),
    };
    match answer {
        Ok(answer) => to_provider(&answer.authorization_url, &one_time_state),
        Err(CallError::Unauthorized) => see_other("/login"),
        Err(error) => {
            tracing::warn!(%error, "onboarding did not start linking OneID");
            see_other("/login?refused=1")
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CallbackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: String,
}

/// Where onboarding sends the visitor back: the `state` must be the one this browser was
/// given, and it is used up whatever happens next.
pub async fn external_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let mut response = finish_external(&state, &headers, &query).await;
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_cookie(EXTERNAL_STATE_COOKIE));
    response
}

async fn finish_external(state: &AppState, headers: &HeaderMap, query: &CallbackQuery) -> Response {
    let refused = see_other("/login?refused=1");
    let expected = read_cookie(headers, EXTERNAL_STATE_COOKIE);
    let state_matches = expected.is_some_and(|expected| {
        !query.state.is_empty() && bool::from(expected.as_bytes().ct_eq(query.state.as_bytes()))
    });
    if !query.error.is_empty() || !state_matches || query.code.is_empty() {
        if !state_matches && query.error.is_empty() {
            tracing::info!("an external sign-in came back with a state this browser was not given");
        }
        return refused;
    }
    let Some(secret) = &state.client_secret else {
        return refused;
    };
    match state
        .identity
        .exchange_code(&query.code, &callback_url(state), secret)
        .await
    {
        Ok(step) => continue_login(state, headers, step, "/").await,
        Err(error) => {
            tracing::warn!(%error, "onboarding refused an authorization code");
            refused
        }
    }
}
