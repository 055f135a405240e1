//! The start page, the language switch and the static files.

use askama::Template;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::pages::shared::{render, Layout, PageContext, Section};
use crate::web::cookies::{set_cookie, SameSite, LANGUAGE_COOKIE};
use crate::web::i18n::{Locale, Translator};
use crate::web::security::same_site_path;

/// How long the language choice is remembered: a year, renewed on every change.
const LANGUAGE_COOKIE_MAX_AGE_SECONDS: u64 = 365 * 24 * 60 * 60;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: Translator,
    layout: Layout,
}

pub async fn home(context: PageContext) -> Response {
    render(
        StatusCode::OK,
        &HomePage {
            t: context.translator(),
            layout: context.layout(Section::Home),
        },
    )
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    return_to: String,
}

/// Remembers the chosen language and goes back to the page the visitor was on.
pub async fn choose_language(Path(code): Path<String>, Form(form): Form<LanguageForm>) -> Response {
    let Some(locale) = Locale::from_code(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let target = same_site_path(&form.return_to);
    let location = HeaderValue::from_str(target).unwrap_or_else(|_| HeaderValue::from_static("/"));
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            LANGUAGE_COOKIE,
            locale.code(),
            SameSite::Lax,
            Some(LANGUAGE_COOKIE_MAX_AGE_SECONDS),
        ),
    );
    response
}

/// The stylesheet, compiled in. It holds no personal data, so it may be cached briefly.
pub async fn stylesheet() -> Response {
    static_asset(
        "text/css; charset=utf-8",
        include_str!("../../../static/app.css"),
    )
}

/// The one script: progress for long actions (see the file's opening comment).
pub async fn progress_script() -> Response {
    static_asset(
        "text/javascript; charset=utf-8",
        include_str!("../../../static/progress.js"),
    )
}

/// A file every visitor gets the same: a shared cache may keep it for a few minutes, short
/// enough that a new release reaches everyone soon.
fn static_asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}
