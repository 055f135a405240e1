//! Administrators' pages. Each administration page adds its module here and its routes below.

pub mod staff;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The administration pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/staff", get(staff::list).post(staff::create))
        .route("/admin/staff/{id}/roles/{change}", post(staff::change_role))
        .route("/admin/staff/{id}/{action}", post(staff::act))
}
