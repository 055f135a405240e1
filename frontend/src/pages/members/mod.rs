//! Pages of one resource that several audiences open at the same address, each seeing what
//! their roles allow: programmes and applications (founders their own, credit staff the
//! queue), a document's preview (its owner and the staff who judge it), and contracts (founders sign and repay, staff activate, pay out and write off; the
//! arrears are staff's).

pub mod applications;
pub mod contracts;
pub mod documents;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The shared resources' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/programmes", get(applications::programmes))
        .route("/applications", get(applications::list))
        .route("/applications/{id}", get(applications::show))
        .route("/documents/{id}/preview", get(documents::preview))
        .route("/contracts", get(contracts::list))
        .route("/contracts/{id}", get(contracts::show))
        .route("/contracts/{id}/sign", post(contracts::sign))
        .route("/contracts/{id}/document.pdf", get(contracts::document))
        .route("/contracts/{id}/repayments", post(contracts::repay))
        .route("/contracts/{id}/activate", post(contracts::activate))
        .route("/contracts/{id}/write-off", post(contracts::write_off))
        .route(
            "/contracts/{id}/write-off/confirm",
            post(contracts::confirm_write_off),
        )
        .route(
            "/contracts/{id}/tranches/{number}/{action}",
            post(contracts::tranche_action),
        )
        .route("/arrears", get(contracts::arrears))
        .route("/arrears/run", post(contracts::run_arrears))
}
