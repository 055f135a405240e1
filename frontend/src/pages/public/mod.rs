//! Pages anyone may open, signed in or not: the start page, the calculator, signing in (with
//! the second factor and OneID) and out, the language switch and the static files.

pub mod calculator;
pub mod home;
pub mod second_factor;
pub mod signin;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The public pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route(
            "/calculator",
            get(calculator::show).post(calculator::calculate),
        )
        .route("/lang/{code}", post(home::choose_language))
        .route("/login", get(signin::show).post(signin::login))
        .route(
            "/login/second-factor",
            get(second_factor::show).post(second_factor::submit),
        )
        .route("/login/recovery-codes", get(second_factor::recovery_codes))
        .route("/logout", post(signin::logout))
        .route("/auth/oneid", get(signin::start_external))
        .route("/auth/callback", get(signin::external_callback))
        .route("/auth/oneid/link", post(signin::link_external))
        .route("/static/app.css", get(home::stylesheet))
        .route("/static/progress.js", get(home::progress_script))
}
