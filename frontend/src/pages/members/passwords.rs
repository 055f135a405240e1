//! Passwords, for everyone who has one: a signed-in person changes their own (the old one
//! required; this session stays, every other one ends), a founder who forgot theirs asks for a
//! link by email and sets a new one at the link's page, and a member of staff who signed in
//! with a one-time password an administrator issued chooses their own before the sign-in
//! completes.
//!
//! Onboarding decides every rule (strength, the old password, tickets); these pages check only
//! that the new password was typed the same twice, and show onboarding's refusals in words.
//! The forgotten-password page answers the same whatever the address, as onboarding does, so
//! it cannot tell anyone who is a client.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use crate::clients::api::CallError;
use crate::clients::onboarding::VisitorClaim;
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::login::{
    continue_login, pending_change, CHANGE_NEXT, CHANGE_TICKET, CHANGE_USERNAME,
};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::i18n::Translator;
use crate::web::visitor::VisitorAddress;
use crate::AppState;

/// The signed-in person's change page.
const CHANGE_PAGE: &str = "/account/password";

/// A field of a password form.
struct PasswordField {
    name: &'static str,
    label_key: &'static str,
    input_type: &'static str,
    autocomplete: &'static str,
}

const OLD_PASSWORD: PasswordField = PasswordField {
    name: "old_password",
    label_key: "password-field-old",
    input_type: "password",
    autocomplete: "current-password",
};
const NEW_PASSWORD: PasswordField = PasswordField {
    name: "new_password",
    label_key: "password-field-new",
    input_type: "password",
    autocomplete: "new-password",
};
const NEW_PASSWORD_AGAIN: PasswordField = PasswordField {
    name: "new_password_again",
    label_key: "password-field-again",
    input_type: "password",
    autocomplete: "new-password",
};
const EMAIL: PasswordField = PasswordField {
    name: "email",
    label_key: "field-email",
    input_type: "email",
    autocomplete: "email",
};

/// A value the form carries back unseen (the reset link's token).
struct HiddenField {
    name: &'static str,
    value: String,
}

/// A link under the form.
struct PageLink {
    href: &'static str,
    label_key: &'static str,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    t: Translator,
    layout: Layout,
    title_key: &'static str,
    intro_key: &'static str,
    /// Set once the form has done its work: the page then says so instead of showing it.
    done_key: Option<&'static str>,
    action: &'static str,
    submit_key: &'static str,
    hidden_fields: Vec<HiddenField>,
    fields: Vec<PasswordField>,
    form: FormState,
    link: Option<PageLink>,
}

/// The four pages, each with its words, address and fields.
#[derive(Clone, Copy)]
enum Kind {
    Change,
    Forgot,
    Reset,
    SignInChange,
}

fn page(context: &PageContext, kind: Kind, form: FormState) -> PasswordPage {
    let (title_key, intro_key, action, submit_key, fields, section, link) = match kind {
        Kind::Change => (
            "password-change-title",
            "password-change-intro",
            CHANGE_PAGE,
            "password-change-submit",
            vec![OLD_PASSWORD, NEW_PASSWORD, NEW_PASSWORD_AGAIN],
            Section::Password,
            None,
        ),
        Kind::Forgot => (
            "password-forgot-title",
            "password-forgot-intro",
            "/password/forgot",
            "password-forgot-submit",
            vec![EMAIL],
            Section::SignIn,
            Some(PageLink {
                href: "/login",
                label_key: "password-back-to-sign-in",
            }),
        ),
        Kind::Reset => (
            "password-reset-title",
            "password-reset-intro",
            "/password/reset",
            "password-reset-submit",
            vec![NEW_PASSWORD, NEW_PASSWORD_AGAIN],
            Section::SignIn,
            Some(PageLink {
                href: "/password/forgot",
                label_key: "password-ask-again",
            }),
        ),
        Kind::SignInChange => (
            "password-must-change-title",
            "password-must-change-intro",
            "/login/new-password",
            "password-must-change-submit",
            vec![NEW_PASSWORD, NEW_PASSWORD_AGAIN],
            Section::SignIn,
            None,
        ),
    };
    PasswordPage {
        t: context.translator(),
        layout: context.layout(section),
        title_key,
        intro_key,
        done_key: None,
        action,
        submit_key,
        hidden_fields: Vec::new(),
        fields,
        form,
        link,
    }
}

/// A page that must not be kept by a cache or sent on as a referrer: it carries a secret in
/// its address or its form.
fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    response
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
    #[serde(default)]
    token: String,
}

/// Checks what the page itself can: every field typed, the new password the same twice.
fn check_new_password(
    translator: &Translator,
    submitted: &NewPasswordForm,
    with_old: bool,
) -> FormState {
    let mut form = FormState::default();
    if with_old && submitted.old_password.is_empty() {
        form.refuse(translator, "old_password", "required");
    }
    if submitted.new_password.is_empty() {
        form.refuse(translator, "new_password", "required");
    }
    if submitted.new_password_again.is_empty() {
        form.refuse(translator, "new_password_again", "required");
    } else if submitted.new_password != submitted.new_password_again {
        form.refuse(translator, "new_password_again", "password_mismatch");
    }
    form
}

/// Puts onboarding's refusal of a new password onto the form; what is not about the form ends
/// the page.
fn refuse(
    form: &mut FormState,
    translator: &Translator,
    error: CallError,
    shown: &[&str],
    next: &str,
) -> Result<StatusCode, PageError> {
    match error {
        CallError::Refused {
            status,
            code,
            fields,
        } => {
            if fields.is_empty() {
                form.notice = Some(problem_message(translator, &code));
            } else {
                form.refuse_all(translator, &fields, shown);
            }
            Ok(status)
        }
        error => Err(PageError::from_call(error, next)),
    }
}

#[derive(Deserialize, Default)]
pub struct ChangeQuery {
    #[serde(default)]
    changed: String,
}

/// The signed-in person's change form (or, after a change, its confirmation).
pub async fn change_show(
    context: PageContext,
    _signed_in: SignedIn,
    Query(query): Query<ChangeQuery>,
) -> Response {
    let mut shown = page(&context, Kind::Change, FormState::default());
    if !query.changed.is_empty() {
        shown.done_key = Some("password-change-done");
    }
    render(StatusCode::OK, &shown)
}

/// Changes the signed-in person's password, keeping this session's refresh token valid and
/// ending the person's other sessions (onboarding revokes their refresh tokens; ending the
/// sessions stops the access tokens they hold as well).
pub async fn change_submit(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<NewPasswordForm>,
) -> Result<Response, PageError> {
    let translator = context.translator();
    let mut form = check_new_password(&translator, &submitted, true);
    if form.has_errors() {
        let shown = page(&context, Kind::Change, form);
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &shown));
    }
    let token = signed_in
        .access_token(&state, "onboarding")
        .await
        .map_err(|error| PageError::from_call(error, CHANGE_PAGE))?;
    let keep = signed_in.refresh_token().map(str::to_owned);
    let answer = state
        .identity
        .change_own_password(
            &token,
            &submitted.old_password,
            &submitted.new_password,
            keep.as_deref(),
        )
        .await;
    let status = match answer {
        Ok(()) => {
            match state
                .sessions
                .end_others(&signed_in.person.id, &signed_in.session_id)
                .await
            {
                Ok(ended) => tracing::info!(ended, "a password change ended the other sessions"),
                Err(error) => {
                    tracing::error!(%error, "a password change could not end the other sessions")
                }
            }
            return Ok(see_other(&format!("{CHANGE_PAGE}?changed=1")));
        }
        Err(error) => refuse(
            &mut form,
            &translator,
            error,
            &["old_password", "new_password"],
            CHANGE_PAGE,
        )?,
    };
    Ok(render(status, &page(&context, Kind::Change, form)))
}

/// The form that asks for a reset link.
pub async fn forgot_show(context: PageContext) -> Response {
    render(
        StatusCode::OK,
        &page(&context, Kind::Forgot, FormState::default()),
    )
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Asks onboarding to email a link, then says the same whatever the address was: only a
/// malformed address or an unavailable service changes the answer.
pub async fn forgot_submit(
    State(state): State<AppState>,
    context: PageContext,
    Form(submitted): Form<ForgotForm>,
) -> Response {
    let translator = context.translator();
    let email = submitted.email.trim();
    let mut form = FormState::from_pairs(vec![("email".to_owned(), email.to_owned())]);
    if email.is_empty() {
        form.refuse(&translator, "email", "required");
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&context, Kind::Forgot, form),
        );
    }
    let status = match state
        .identity
        .request_password_reset(email, context.locale)
        .await
    {
        Ok(()) => {
            let mut shown = page(&context, Kind::Forgot, FormState::default());
            shown.done_key = Some("password-forgot-sent");
            return render(StatusCode::OK, &shown);
        }
        Err(error) => match refuse(
            &mut form,
            &translator,
            error,
            &["email"],
            "/password/forgot",
        ) {
            Ok(status) => status,
            Err(_) => {
                form.notice = Some(translator.t("service-unavailable-general"));
                StatusCode::SERVICE_UNAVAILABLE
            }
        },
    };
    render(status, &page(&context, Kind::Forgot, form))
}

#[derive(Deserialize, Default)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

fn reset_page(context: &PageContext, token: &str, form: FormState) -> PasswordPage {
    let mut shown = page(context, Kind::Reset, form);
    shown.hidden_fields.push(HiddenField {
        name: "token",
        value: token.to_owned(),
    });
    shown
}

/// The page a reset link opens: the new password, twice. A link without a token is sent to
/// ask for one.
pub async fn reset_show(context: PageContext, Query(query): Query<ResetQuery>) -> Response {
    if query.token.is_empty() {
        return see_other("/password/forgot");
    }
    private(render(
        StatusCode::OK,
        &reset_page(&context, &query.token, FormState::default()),
    ))
}

/// Sets the new password with the link's ticket and sends the person to sign in with it.
pub async fn reset_submit(
    State(state): State<AppState>,
    context: PageContext,
    Form(submitted): Form<NewPasswordForm>,
) -> Response {
    let translator = context.translator();
    let mut form = check_new_password(&translator, &submitted, false);
    if submitted.token.is_empty() {
        return see_other("/password/forgot");
    }
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        match state
            .identity
            .complete_password_reset(&submitted.token, &submitted.new_password)
            .await
        {
            Ok(person) => {
                match state.sessions.end_all(&person).await {
                    Ok(ended) => {
                        tracing::info!(ended, "a password reset ended the person's sessions")
                    }
                    Err(error) => {
                        tracing::error!(%error, "a password reset could not end the person's sessions")
                    }
                }
                return see_other("/login?reset=1");
            }
            Err(error) => refuse_ticket(&mut form, &translator, error),
        }
    };
    private(render(
        status,
        &reset_page(&context, &submitted.token, form),
    ))
}

/// Puts a refusal of a ticket's new password onto the form: a weak password beside its field,
/// a used or expired ticket as the form's notice.
fn refuse_ticket(form: &mut FormState, translator: &Translator, error: CallError) -> StatusCode {
    match refuse(form, translator, error, &["new_password"], "/login") {
        Ok(status) => status,
        Err(_) => {
            form.notice = Some(translator.t("service-unavailable-general"));
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The step after a one-time password: the visitor chooses their own.
pub async fn sign_in_change_show(
    State(state): State<AppState>,
    context: PageContext,
    headers: HeaderMap,
) -> Response {
    match pending_change(&state, &headers).await {
        Some(_) => private(render(
            StatusCode::OK,
            &page(&context, Kind::SignInChange, FormState::default()),
        )),
        None => see_other("/login"),
    }
}

/// Sets the chosen password with the step's ticket, then signs in with it (which may still
/// ask for the second factor); without the username, or if that sign-in does not go through,
/// the visitor signs in again on the login page.
pub async fn sign_in_change_submit(
    State(state): State<AppState>,
    context: PageContext,
    visitor: VisitorAddress,
    headers: HeaderMap,
    Form(submitted): Form<NewPasswordForm>,
) -> Response {
    let Some((id, data)) = pending_change(&state, &headers).await else {
        return see_other("/login?expired=1");
    };
    let translator = context.translator();
    let mut form = check_new_password(&translator, &submitted, false);
    if form.has_errors() {
        return private(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&context, Kind::SignInChange, form),
        ));
    }
    let ticket = data.get(CHANGE_TICKET).unwrap_or_default();
    match state
        .identity
        .complete_password_reset(ticket, &submitted.new_password)
        .await
    {
        Ok(person) => {
            if let Err(error) = state.sessions.end_others(&person, &id).await {
                tracing::error!(%error, "a new password could not end the person's other sessions");
            }
        }
        Err(error) if error.code() == Some("invalid_ticket") => {
            if let Err(error) = state.sessions.destroy(&id).await {
                tracing::warn!(%error, "could not end a pending sign-in");
            }
            return see_other("/login?expired=1");
        }
        Err(error) => {
            let status = refuse_ticket(&mut form, &translator, error);
            return private(render(status, &page(&context, Kind::SignInChange, form)));
        }
    }
    let next = data.get(CHANGE_NEXT).unwrap_or("/").to_owned();
    let Some(username) = data.get(CHANGE_USERNAME) else {
        return see_other("/login?reset=1");
    };
    match state
        .identity
        .login_with_password(
            username,
            &submitted.new_password,
            VisitorClaim::of(state.client_secret.as_ref(), visitor),
        )
        .await
    {
        Ok(step) => continue_login(&state, &headers, step, &next).await,
        Err(refusal) => {
            tracing::info!(?refusal, "the sign-in after a password change was refused");
            see_other("/login?reset=1")
        }
    }
}
