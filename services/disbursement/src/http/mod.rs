//! The HTTP API: one module per resource, each with its DTOs, handlers and router.

pub mod error;
pub mod schedules;

use axum::Router;
use utoipa::OpenApi;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(schedules::preview_schedule),
    components(schemas(
        schedules::SchedulePreviewRequest,
        schedules::ScheduleView,
        schedules::InstallmentView
    )),
    tags(
        (name = "schedules", description = "repayment schedules and the public loan calculator")
    )
)]
pub struct ApiDoc;

/// Every route of the service's own API.
pub fn router() -> Router<AppState> {
    Router::new().merge(schedules::router())
}
