//! Pages of one resource that several audiences open at the same address, each seeing what
//! their roles allow: programmes and applications (founders their own, credit staff the
//! queue) with the documents backing a loan's securities, a document's preview (its owner and the staff who judge it), contracts (founders
//! sign and repay, staff activate, pay out, reschedule and write off; the arrears are staff's), and
//! passwords (everyone changes their own; the forgotten-password pages and the sign-in's
//! new-password step serve those not yet signed in).

pub mod applications;
pub mod contracts;
pub mod documents;
pub mod passwords;
pub mod reschedules;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The shared resources' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/programmes", get(applications::programmes))
        .route("/applications", get(applications::list))
        .route("/applications/{id}", get(applications::show))
        .route(
            "/applications/{id}/securities/{security_id}/documents/{document_id}",
            get(applications::security_document),
        )
        .route("/documents/{id}/preview", get(documents::preview))
        .route("/contracts", get(contracts::list))
        .route("/contracts/{id}", get(contracts::show))
        .route("/contracts/{id}/sign", post(contracts::sign))
        .route("/contracts/{id}/cancel", post(contracts::cancel))
        .route("/contracts/{id}/document.pdf", get(contracts::document))
        .route("/contracts/{id}/repayments", post(contracts::repay))
        .route("/contracts/{id}/recoveries", post(contracts::recover))
        .route("/contracts/{id}/activate", post(contracts::activate))
        .route("/contracts/{id}/write-off", post(contracts::write_off))
        .route(
            "/contracts/{id}/write-off/confirm",
            post(contracts::confirm_write_off),
        )
        .route("/contracts/{id}/reschedule", post(reschedules::propose))
        .route(
            "/contracts/{id}/reschedule/{decision}",
            post(reschedules::decide),
        )
        .route(
            "/contracts/{id}/tranches/{number}/{action}",
            post(contracts::tranche_action),
        )
        .route("/arrears", get(contracts::arrears))
        .route("/arrears/run", post(contracts::run_arrears))
        .route(
            "/account/password",
            get(passwords::change_show).post(passwords::change_submit),
        )
        .route(
            "/password/forgot",
            get(passwords::forgot_show).post(passwords::forgot_submit),
        )
        .route(
            "/password/reset",
            get(passwords::reset_show).post(passwords::reset_submit),
        )
        .route(
            "/login/new-password",
            get(passwords::sign_in_change_show).post(passwords::sign_in_change_submit),
        )
}
