//! Administrators' pages. Each administration page adds its module here, its route below and
//! its line in the menu table (`pages/shared/menu.rs`), which also puts it on the
//! administration home.

pub mod audit;
pub mod deposit_products;
pub mod home;
pub mod programmes;
pub mod staff;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The administration pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home::show))
        .route("/admin/programmes", get(programmes::programmes))
        .route(
            "/admin/programmes/new",
            get(programmes::new_programme_form).post(programmes::create_programme),
        )
        .route("/admin/programmes/{id}", post(programmes::edit))
        .route(
            "/admin/programmes/{id}/budget",
            post(programmes::change_budget),
        )
        .route("/admin/programmes/{id}/close", post(programmes::close))
        .route("/admin/programmes/{id}/open", post(programmes::open))
        .route(
            "/admin/deposit-products",
            get(deposit_products::list).post(deposit_products::create),
        )
        .route(
            "/admin/deposit-products/{id}/withdraw",
            post(deposit_products::withdraw),
        )
        .route("/admin/audit", get(audit::audit))
        .route("/admin/audit.csv", get(audit::audit_csv))
        .route("/admin/staff", get(staff::list).post(staff::create))
        .route("/admin/staff/{id}/roles/{change}", post(staff::change_role))
        .route("/admin/staff/{id}/{action}", post(staff::act))
}
