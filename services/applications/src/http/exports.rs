//! CSV exports for officers: a programme's applications and its reviews.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use imkon_auth::extract::RequireRole;
use imkon_platform::problem::Problem;
use imkon_platform::spreadsheet::neutralise_cell;
use uuid::Uuid;

use super::applications::Officer;
use super::reviews::mean_weighted_total;
use crate::db;
use crate::error::ApiError;
use crate::AppState;

fn csv_response(file_name: &str, rows: Vec<Vec<String>>) -> Result<Response, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| neutralise_cell(cell).into_owned()))
            .map_err(|error| ApiError::Problem(Problem::internal_from(&error)))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| ApiError::Problem(Problem::internal_from(error.error())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn ensure_programme(state: &AppState, programme_id: Uuid) -> Result<(), ApiError> {
    db::programmes::find(&state.pool, programme_id)
        .await?
        .map(|_| ())
        .ok_or(ApiError::NotFound { what: "programme" })
}

/// The programme's submitted applications with their scores and mean review score.
#[utoipa::path(get, path = "/v1/programmes/{programme_id}/applications.csv", tag = "exports",
    params(("programme_id" = Uuid, Path)),
    security(("bearer" = ["credit_officer", "approver"])),
    responses((status = 200, content_type = "text/csv", description = "One row per application"),
        (status = 403, description = "Not an officer"), (status = 404, description = "No such programme")))]
#[tracing::instrument(skip_all, fields(%programme_id))]
async fn applications_csv(
    State(state): State<AppState>,
    _officer: RequireRole<Officer>,
    Path(programme_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    ensure_programme(&state, programme_id).await?;
    let applications = db::applications::for_programme(&state.pool, programme_id).await?;
    let mut rows = vec![[
        "application_id",
        "state",
        "client_id",
        "company_id",
        "requested_amount",
        "term_months",
        "submitted_at",
        "score",
        "band",
        "recommendation",
        "mean_review_score",
    ]
    .map(str::to_owned)
    .to_vec()];
    for application in applications {
        let reviews = db::reviews::reviews_of_application(&state.pool, application.id).await?;
        let optional = |value: Option<String>| value.unwrap_or_default();
        rows.push(vec![
            application.id.to_string(),
            application.state,
            application.client_id.to_string(),
            application.company_id.to_string(),
            optional(
                application
                    .requested_amount
                    .map(|amount| amount.to_string()),
            ),
            optional(application.term_months.map(|months| months.to_string())),
            optional(application.submitted_at.map(|at| at.to_rfc3339())),
            optional(application.score.map(|score| score.to_string())),
            optional(application.score_band),
            optional(application.score_recommendation),
            optional(mean_weighted_total(&reviews).map(|mean| mean.to_string())),
        ]);
    }
    csv_response(&format!("applications-{programme_id}.csv"), rows)
}

/// Every review of the programme's applications.
#[utoipa::path(get, path = "/v1/programmes/{programme_id}/reviews.csv", tag = "exports",
    params(("programme_id" = Uuid, Path)),
    security(("bearer" = ["credit_officer", "approver"])),
    responses((status = 200, content_type = "text/csv", description = "One row per review"),
        (status = 403, description = "Not an officer"), (status = 404, description = "No such programme")))]
#[tracing::instrument(skip_all, fields(%programme_id))]
async fn reviews_csv(
    State(state): State<AppState>,
    _officer: RequireRole<Officer>,
    Path(programme_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    ensure_programme(&state, programme_id).await?;
    let reviews = db::reviews::reviews_of_programme(&state.pool, programme_id).await?;
    let mut rows = vec![[
        "application_id",
        "reviewer_id",
        "recommendation",
        "weighted_total",
        "scores",
        "comment",
        "submitted_at",
    ]
    .map(str::to_owned)
    .to_vec()];
    for review in reviews {
        rows.push(vec![
            review.application_id.to_string(),
            review.reviewer_id.to_string(),
            review.recommendation,
            review.weighted_total.to_string(),
            review.scores.to_string(),
            review.comment,
            review.submitted_at.to_rfc3339(),
        ]);
    }
    csv_response(&format!("reviews-{programme_id}.csv"), rows)
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(applications_csv, reviews_csv))]
pub struct ExportsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/programmes/{programme_id}/applications.csv",
            get(applications_csv),
        )
        .route(
            "/v1/programmes/{programme_id}/reviews.csv",
            get(reviews_csv),
        )
}
