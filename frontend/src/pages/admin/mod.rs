//! Administrators' pages. Each administration page adds its module here, its route below and
//! its line in the menu table (`pages/shared/menu.rs`), which also puts it on the
//! administration home.

pub mod home;

use axum::routing::get;
use axum::Router;

use crate::AppState;

/// The administration pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/admin", get(home::show))
}
