//! The bank's staff's pages: the approver's proposals awaiting confirmation, the client search and client page, the KYC queue and cases, the watch list's import, the scorecards, the decisions on an application and
//! the programme exports, reviews, the portfolio dashboard, the loan book, the tranches waiting to be paid, the clearing's batches and incoming files, the cash deposits
//! at the counter and the exchange rates with the day's FX position.

pub mod approvals;
pub mod cash_deposits;
pub mod clearing;
pub mod clients;
pub mod decisions;
pub mod fx;
pub mod kyc_cases;
pub mod loan_book;
pub mod payouts;
pub mod portfolio;
pub mod reviews;
pub mod scorecards;
pub mod watch_list;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::pages::shared::upload::CSV_UPLOAD_MAX_BYTES;
use crate::AppState;

/// The staff pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/approvals", get(approvals::list))
        .route("/loan-book", get(loan_book::show))
        .route("/loan-book.csv", get(loan_book::csv))
        .route("/clients", get(clients::search))
        .route("/clients/{id}", get(clients::show))
        .route("/kyc/cases", get(kyc_cases::queue))
        .route(
            "/kyc/watch-list",
            get(watch_list::show)
                .post(watch_list::import)
                .layer(DefaultBodyLimit::max(CSV_UPLOAD_MAX_BYTES)),
        )
        .route("/kyc/cases/{id}", get(kyc_cases::case))
        .route("/kyc/cases/{id}/assign", post(kyc_cases::assign))
        .route(
            "/kyc/cases/{id}/documents/{document_id}/decision",
            post(kyc_cases::decide_document),
        )
        .route(
            "/kyc/cases/{id}/screening-hits/{hit_id}/resolution",
            post(kyc_cases::resolve_hit),
        )
        .route("/kyc/cases/{id}/approve", post(kyc_cases::approve))
        .route("/kyc/cases/{id}/reject", post(kyc_cases::reject))
        .route(
            "/kyc/cases/{id}/request-revision",
            post(kyc_cases::request_revision),
        )
        .route(
            "/programmes/{id}/applications.csv",
            get(decisions::applications_csv),
        )
        .route("/programmes/{id}/reviews.csv", get(decisions::reviews_csv))
        .route("/applications/{id}/proposal", post(decisions::propose))
        .route("/applications/{id}/confirmation", post(decisions::confirm))
        .route(
            "/applications/{id}/info-request",
            post(decisions::request_info),
        )
        .route(
            "/applications/{id}/screening",
            post(decisions::retry_screening),
        )
        .route(
            "/applications/{id}/review-myself",
            post(decisions::review_myself),
        )
        .route(
            "/applications/{id}/reviewers",
            post(decisions::assign_reviewer),
        )
        .route(
            "/applications/{id}/decision/send-back",
            post(decisions::send_back),
        )
        .route("/reviews", get(reviews::list))
        .route("/reviews/{id}", get(reviews::show))
        .route("/reviews/{id}/declaration", post(reviews::declare))
        .route("/reviews/{id}/review", post(reviews::submit))
        .route("/scorecards", get(scorecards::list))
        .route("/scorecards/{id}", get(scorecards::show))
        .route(
            "/scorecards/{id}/versions",
            post(scorecards::import_version).layer(DefaultBodyLimit::max(CSV_UPLOAD_MAX_BYTES)),
        )
        .route(
            "/scorecards/{id}/versions/{version}/proposal",
            post(scorecards::propose),
        )
        .route(
            "/scorecards/{id}/versions/{version}/confirmation",
            post(scorecards::confirm),
        )
        .route("/portfolio", get(portfolio::dashboard))
        .route("/payouts", get(payouts::list))
        .route("/clearing", get(clearing::show).post(clearing::hand_in))
        .route(
            "/cash-deposits",
            get(cash_deposits::show).post(cash_deposits::record),
        )
        .route(
            "/cash-deposits/{id}/{decision}",
            post(cash_deposits::decide),
        )
        .route("/fx", get(fx::show))
        .route("/fx/rates", post(fx::propose))
        .route("/fx/rates/{id}/{decision}", post(fx::decide))
}
