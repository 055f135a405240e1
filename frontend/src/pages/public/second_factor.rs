//! The second step of a staff sign-in: the six-digit code of an authenticator app (or a
//! recovery code); at the first sign-in, setting the app up from a QR code drawn here as SVG;
//! then the recovery codes, shown once.
//!
//! Between the steps the visitor holds an anonymous session under a fresh id whose data keeps
//! onboarding's one-time challenge; the browser never sees it.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::clients::onboarding::SecondFactorRefusal;
use crate::pages::shared::forms::FormState;
use crate::pages::shared::holdings::Holdings;
use crate::pages::shared::login::{
    landing_page, pending, start_session, start_session_with, CHALLENGE, NEXT, OTPAUTH_URI,
    RECOVERY_CODES, SECRET, STEP,
};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, Section};
use crate::web::i18n::Translator;
use crate::web::session::SessionData;
use crate::AppState;

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    t: Translator,
    layout: Layout,
    form: FormState,
    enrolling: bool,
    secret: String,
    /// The QR code of the `otpauth://` URI, drawn here from the URI alone.
    qr_svg: String,
}

/// The QR code as an `<svg>` element to put in the page (the XML prolog dropped).
fn qr_svg(uri: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => String::new(),
    }
}

fn page(context: &PageContext, data: &SessionData, form: FormState) -> SecondFactorPage {
    let enrolling = data.get(STEP) == Some("enrol");
    SecondFactorPage {
        t: context.translator(),
        layout: context.layout(Section::SignIn),
        form,
        enrolling,
        secret: data.get(SECRET).unwrap_or_default().to_owned(),
        qr_svg: data.get(OTPAUTH_URI).map(qr_svg).unwrap_or_default(),
    }
}

/// The code form (with the QR code and the secret at enrolment).
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    headers: HeaderMap,
) -> Response {
    match pending(&state, &headers).await {
        Some((_, data)) => render(StatusCode::OK, &page(&context, &data, FormState::default())),
        None => see_other("/login"),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// Sends the code to onboarding; on success the session starts as after a password.
pub async fn submit(
    State(state): State<AppState>,
    context: PageContext,
    headers: HeaderMap,
    Form(submitted): Form<CodeForm>,
) -> Response {
    let Some((id, data)) = pending(&state, &headers).await else {
        return see_other("/login?expired=1");
    };
    let translator = context.translator();
    let mut form = FormState::default();
    let code = submitted.code.trim();
    if code.is_empty() {
        form.refuse(&translator, "code", "required");
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&context, &data, form),
        );
    }
    let challenge = data.get(CHALLENGE).unwrap_or_default();
    let status = match state.identity.complete_second_factor(challenge, code).await {
        Ok(done) => {
            let next = data.get(NEXT).unwrap_or("/").to_owned();
            if done.recovery_codes.is_empty() {
                return start_session(&state, &headers, &done.login, &next).await;
            }
            let extra = vec![
                (RECOVERY_CODES, done.recovery_codes.join(" ")),
                (NEXT, next),
            ];
            return start_session_with(
                &state,
                &headers,
                &done.login,
                "/login/recovery-codes",
                extra,
            )
            .await;
        }
        Err(SecondFactorRefusal::WrongCode) => {
            form.notice = Some(translator.t("second-factor-wrong-code"));
            StatusCode::UNAUTHORIZED
        }
        Err(SecondFactorRefusal::Expired) => {
            if let Err(error) = state.sessions.destroy(&id).await {
                tracing::warn!(%error, "could not end a pending sign-in");
            }
            return see_other("/login?expired=1");
        }
        Err(SecondFactorRefusal::Locked {
            retry_after_seconds,
        }) => {
            let minutes = retry_after_seconds.div_ceil(60).max(1).to_string();
            form.notice = Some(translator.t_with("login-locked", &[("minutes", &minutes)]));
            StatusCode::TOO_MANY_REQUESTS
        }
        Err(SecondFactorRefusal::Unavailable) => {
            form.notice = Some(translator.t("service-unavailable-general"));
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    render(status, &page(&context, &data, form))
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    t: Translator,
    layout: Layout,
    codes: Vec<String>,
    next: String,
}

/// The recovery codes of a fresh enrolment, once: they leave the session as they are shown.
pub async fn recovery_codes(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
) -> Response {
    let now = imkon_platform::id::now_utc();
    let Ok(Some(mut data)) = state.sessions.load(&signed_in.session_id, now).await else {
        return see_other("/login");
    };
    let codes = data.remove(RECOVERY_CODES);
    let next = landing_page(
        data.remove(NEXT).as_deref().unwrap_or("/"),
        &signed_in.person,
        Holdings::load(&data),
    )
    .to_owned();
    let Some(codes) = codes else {
        return see_other(&next);
    };
    if state
        .sessions
        .save(&signed_in.session_id, data, now)
        .await
        .is_err()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut response = render(
        StatusCode::OK,
        &RecoveryCodesPage {
            t: context.translator(),
            layout: context.layout(Section::SignIn),
            codes: codes.split(' ').map(str::to_owned).collect(),
            next,
        },
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
