//! The service's HTTP API, one module per resource. Only this module knows JSON.

pub mod applications;
pub mod decisions;
pub mod exports;
pub mod inbox;
pub mod programme_dto;
pub mod programmes;
pub mod reviews;
pub mod securities;
pub mod security_documents;

use axum::Router;
use utoipa::OpenApi;

use crate::AppState;

/// The API routes of the service, without the platform's.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(programmes::router())
        .merge(applications::router())
        .merge(decisions::router())
        .merge(reviews::router())
        .merge(exports::router())
        .merge(inbox::router())
        .merge(securities::router())
        .merge(security_documents::router())
}

/// The OpenAPI document of the routes above.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = programmes::ProgrammesApi::openapi();
    document.merge(applications::ApplicationsApi::openapi());
    document.merge(decisions::DecisionsApi::openapi());
    document.merge(reviews::ReviewsApi::openapi());
    document.merge(exports::ExportsApi::openapi());
    document.merge(inbox::InboxApi::openapi());
    document.merge(securities::SecuritiesApi::openapi());
    document.merge(security_documents::SecurityDocumentsApi::openapi());
    document
}
