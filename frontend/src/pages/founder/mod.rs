//! Founders' pages: registration and their profile, companies and documents, their KYC
//! status, applying to a programme, their accounts, transfers, exchanges, payments to other
//! banks, payment templates and standing orders, term deposits, paying the state and
//! utilities, and their notifications.
//!
//! Registration is here although a visitor opens it before signing in: it creates a founder's
//! profile with the same fields as the profile page.

pub mod apply;
pub mod bills;
pub mod deposits;
pub mod exchange;
pub mod inbox;
pub mod kyc;
pub mod money;
pub mod other_banks;
pub mod payments;
pub mod profile;
pub mod securities;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The founders' pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/register",
            get(profile::registration_form).post(profile::register),
        )
        .route(
            "/profile",
            get(profile::profile).post(profile::save_profile),
        )
        .route(
            "/companies",
            get(profile::companies).post(profile::add_company),
        )
        .route(
            "/documents",
            get(profile::documents)
                .post(profile::upload_document)
                .layer(DefaultBodyLimit::max(profile::UPLOAD_MAX_BYTES)),
        )
        .route("/documents/{id}/download", get(profile::download_document))
        .route("/kyc", get(kyc::status))
        .route("/kyc/submit", post(kyc::submit))
        .route(
            "/programmes/{id}/apply",
            get(apply::start_form).post(apply::start),
        )
        .route(
            "/applications/{id}/edit",
            get(apply::edit_form).post(apply::edit),
        )
        .route("/applications/{id}/withdraw", post(apply::withdraw))
        .route("/applications/{id}/securities", post(securities::add))
        .route(
            "/applications/{id}/securities/{security_id}/remove",
            post(securities::remove),
        )
        .route(
            "/applications/{id}/securities/{security_id}/documents",
            post(securities::attach_document)
                .layer(DefaultBodyLimit::max(profile::UPLOAD_MAX_BYTES)),
        )
        .route("/applications/{id}/info-response", post(apply::answer_info))
        .route("/inbox", get(inbox::list))
        .route("/inbox/{id}", get(inbox::open))
        .route("/accounts", get(money::accounts))
        .route("/accounts/open", post(money::open_account))
        .route("/accounts/{number}/close", post(money::close_account))
        .route("/accounts/{number}/name", post(money::rename_account))
        .route("/accounts/{number}", get(money::statement))
        .route(
            "/accounts/{number}/statement.csv",
            get(money::statement_csv),
        )
        .route(
            "/accounts/{number}/statement.pdf",
            get(money::statement_pdf),
        )
        .route(
            "/transfers/new",
            get(money::transfer_form).post(money::quote),
        )
        .route(
            "/transfers/{quote_id}",
            get(money::confirmation).post(money::confirm),
        )
        .route("/transfers/{quote_id}/done", get(money::result))
        .route("/exchange", get(exchange::form).post(exchange::quote))
        .route(
            "/exchange/{quote_id}",
            get(exchange::confirmation).post(exchange::confirm),
        )
        .route("/exchange/{quote_id}/done", get(exchange::result))
        .route(
            "/other-banks",
            get(other_banks::list).post(other_banks::pay),
        )
        .route("/other-banks/{id}", get(other_banks::show))
        .route("/payments", get(payments::show))
        .route("/payments/templates", post(payments::save_template))
        .route("/payments/standing-orders", post(payments::create_order))
        .route(
            "/payments/standing-orders/{id}/cancel",
            post(payments::cancel_order),
        )
        .route("/deposits", get(deposits::list).post(deposits::open))
        .route("/deposits/{id}", get(deposits::show))
        .route("/deposits/{id}/close", post(deposits::close))
        .route("/bills", get(bills::show))
        .route("/bills/pay", post(bills::pay))
        .route("/bills/payments/{id}", get(bills::payment))
        .route("/bills/payments/{id}/receipt.pdf", get(bills::receipt))
}
