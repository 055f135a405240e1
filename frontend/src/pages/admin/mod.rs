//! Administrators' pages. Each administration page adds its module here and its routes below.

use axum::Router;

use crate::AppState;

/// The administration pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
