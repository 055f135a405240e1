//! Reviews: a credit officer assigns reviewers (never the applicant's own people); each
//! reviewer declares whether they have a conflict of interest before seeing the application,
//! then scores it on the programme's rubric with a recommendation and a comment.
//!
//! Reviewers are bank staff of any role; the reviewer endpoints answer only for applications
//! assigned to the caller, and 404 for any other, so a reviewer sees only their own.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{CreditOfficer, RequireRole, Staff};
use imkon_platform::id::now_utc;
use imkon_platform::problem::ValidatedJson;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::applications::{
    application_view, refuse_own_application, visible_application, ApplicationView, Officer, Viewer,
};
use super::programmes;
use crate::db;
use crate::db::reviews::{AssignmentRow, ReviewRow};
use crate::domain::actor::{Actor, ActorRole};
use crate::domain::review::{
    Declaration, Recommendation, Review, ReviewError, ReviewerAssignment, MAX_COMMENT_LENGTH_CHARS,
    MAX_CRITERIA,
};
use crate::domain::state::State as ApplicationState;
use crate::domain::timeline::TimelineEntryKind;
use crate::domain::Refusal;
use crate::error::ApiError;
use crate::workflow;
use crate::AppState;

/// The domain's limits on a review's scores and comment, as the `u64` the validator's length
/// limits take.
const MAX_SCORES: u64 = MAX_CRITERIA as u64;
const MAX_COMMENT_CHARS: u64 = MAX_COMMENT_LENGTH_CHARS as u64;

/// Whom to assign. It has no structural limit beyond its type; it derives `Validate` so that
/// every request body goes through `ValidatedJson` alike.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct AssignInput {
    pub reviewer_id: Uuid,
}

/// A reviewer's assignment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub application_id: Uuid,
    pub reviewer_id: Uuid,
    pub assigned_at: DateTime<Utc>,
    /// `pending`, `no_conflict` or `conflict`.
    pub declaration: String,
    pub declared_at: Option<DateTime<Utc>>,
}

/// The reviewer's declaration; like [`AssignInput`], it has no limit beyond its type.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct DeclarationInput {
    pub has_conflict: bool,
}

/// A review. Its structural limits are declared here for `ValidatedJson` and the OpenAPI
/// schema: more scores than a rubric may have criteria name a criterion that does not exist,
/// and the comment's length is bounded. Which criteria, each score's range and a comment that
/// is not blank are the domain's rules.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct ReviewInput {
    /// Score 0 to 5 by rubric criterion key.
    #[validate(length(max = MAX_SCORES, code = "unknown_criterion"))]
    #[schema(schema_with = scores_schema)]
    pub scores: BTreeMap<String, i64>,
    /// `yes`, `maybe` or `no`.
    pub recommendation: String,
    #[validate(length(max = MAX_COMMENT_CHARS, code = "comment_too_long"))]
    #[schema(max_length = 10000)]
    pub comment: String,
}

/// The scores' schema: whole numbers by criterion key, at most [`MAX_CRITERIA`] of them, built by
/// hand because utoipa's field attributes cannot bound the properties of an object.
fn scores_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
    use utoipa::openapi::ObjectBuilder;
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        ))
        .max_properties(Some(MAX_CRITERIA))
        .build()
}

/// A stored review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub application_id: Uuid,
    pub reviewer_id: Uuid,
    #[schema(value_type = Object)]
    pub scores: Value,
    pub recommendation: String,
    pub comment: String,
    /// The weighted mean of the scores, 0 to 5.
    pub weighted_total: String,
    pub submitted_at: DateTime<Utc>,
}

fn assignment_view(row: &AssignmentRow) -> AssignmentView {
    AssignmentView {
        application_id: row.application_id,
        reviewer_id: row.reviewer_id,
        assigned_at: row.assigned_at,
        declaration: row.declaration.clone(),
        declared_at: row.declared_at,
    }
}

fn review_view(row: ReviewRow) -> ReviewView {
    ReviewView {
        application_id: row.application_id,
        reviewer_id: row.reviewer_id,
        scores: row.scores,
        recommendation: row.recommendation,
        comment: row.comment,
        weighted_total: row.weighted_total.to_string(),
        submitted_at: row.submitted_at,
    }
}

fn domain_assignment(row: &AssignmentRow) -> ReviewerAssignment {
    let declaration = match (row.declaration.as_str(), row.declared_at) {
        ("no_conflict", Some(declared_at)) => Declaration::NoConflict { declared_at },
        ("conflict", Some(declared_at)) => Declaration::Conflict { declared_at },
        _ => Declaration::Pending,
    };
    ReviewerAssignment::from_stored(row.reviewer_id, declaration)
}

fn review_refused(error: &ReviewError) -> ApiError {
    match error {
        ReviewError::DeclarationMissing | ReviewError::ReviewerRecused => {
            ApiError::forbidden(error.code(), error.to_string())
        }
        ReviewError::AlreadyDeclared => {
            ApiError::conflict("conflict_already_declared", error.to_string())
        }
        _ => ApiError::refused(error, "review"),
    }
}

/// A reviewer acts on the timeline in the reviewing role of the domain.
fn reviewer_actor(reviewer_id: Uuid) -> Actor {
    Actor::new(reviewer_id, ActorRole::CreditOfficer)
}

async fn assignment_of(
    state: &AppState,
    application_id: Uuid,
    reviewer_id: Uuid,
) -> Result<AssignmentRow, ApiError> {
    db::reviews::find_assignment(&state.pool, application_id, reviewer_id)
        .await?
        .ok_or(ApiError::NotFound { what: "assignment" })
}

/// Assigns a reviewer to an application in review.
#[utoipa::path(post, path = "/v1/applications/{application_id}/reviewers", tag = "reviews",
    request_body = AssignInput, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["credit_officer"])),
    responses((status = 201, body = AssignmentView), (status = 409, description = "Not in review, or assigned already"),
        (status = 422, description = "The reviewer is one of the applicant's own people")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn assign_reviewer(
    State(state): State<AppState>,
    officer: RequireRole<CreditOfficer>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<AssignInput>,
) -> Result<(StatusCode, Json<AssignmentView>), ApiError> {
    let actor = Actor::new(officer.subject(), ActorRole::CreditOfficer);
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    let row = db::applications::lock(&mut transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    let current = workflow::state_of(&row)?;
    if !matches!(
        current,
        ApplicationState::InReview | ApplicationState::InfoRequested
    ) {
        return Err(ApiError::conflict(
            "not_in_review",
            format!(
                "reviewers are assigned in review, not while {}",
                current.as_str()
            ),
        ));
    }
    refuse_own_application(officer.principal(), &row)?;
    let linked: BTreeSet<Uuid> = row.applicant_person_ids.iter().copied().collect();
    let assignment = ReviewerAssignment::assign(input.reviewer_id, &linked)
        .map_err(|error| ApiError::refused(&error, "reviewer_id"))?;
    let stored = AssignmentRow {
        application_id,
        reviewer_id: assignment.reviewer_id(),
        assigned_by: officer.subject(),
        assigned_at: now,
        declaration: "pending".to_owned(),
        declared_at: None,
    };
    if !db::reviews::assign(&mut *transaction, &stored).await? {
        return Err(ApiError::conflict(
            "already_assigned",
            "the reviewer is assigned already",
        ));
    }
    workflow::record(
        &mut transaction,
        &row,
        &actor,
        TimelineEntryKind::ReviewerAssigned {
            reviewer_id: input.reviewer_id,
        },
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(assignment_view(&stored))))
}

/// The caller's review assignments.
#[utoipa::path(get, path = "/v1/review-assignments", tag = "reviews",
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = [AssignmentView]), (status = 403, description = "Not staff")))]
#[tracing::instrument(skip_all)]
async fn my_assignments(
    State(state): State<AppState>,
    reviewer: RequireRole<Staff>,
) -> Result<Json<Vec<AssignmentView>>, ApiError> {
    let rows = db::reviews::assignments_of(&state.pool, reviewer.subject()).await?;
    Ok(Json(rows.iter().map(assignment_view).collect()))
}

/// Declares whether the reviewer has a conflict of interest; required before they see the
/// application, and made once.
#[utoipa::path(post, path = "/v1/review-assignments/{application_id}/declaration", tag = "reviews",
    request_body = DeclarationInput, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = AssignmentView), (status = 404, description = "Not assigned to the caller"),
        (status = 409, description = "Declared already")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn declare(
    State(state): State<AppState>,
    reviewer: RequireRole<Staff>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<DeclarationInput>,
) -> Result<Json<AssignmentView>, ApiError> {
    let stored = assignment_of(&state, application_id, reviewer.subject()).await?;
    let now = now_utc();
    let declared = domain_assignment(&stored)
        .declare(input.has_conflict, now)
        .map_err(|error| review_refused(&error))?;
    let name = match declared.declaration() {
        Declaration::Conflict { .. } => "conflict",
        Declaration::NoConflict { .. } | Declaration::Pending => "no_conflict",
    };
    let mut transaction = state.pool.begin().await?;
    let row = db::applications::lock(&mut transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    db::reviews::declare(
        &mut *transaction,
        application_id,
        reviewer.subject(),
        name,
        now,
    )
    .await?;
    workflow::record(
        &mut transaction,
        &row,
        &reviewer_actor(reviewer.subject()),
        TimelineEntryKind::ConflictDeclared {
            reviewer_id: reviewer.subject(),
            has_conflict: input.has_conflict,
        },
        now,
    )
    .await?;
    transaction.commit().await?;
    let stored = assignment_of(&state, application_id, reviewer.subject()).await?;
    Ok(Json(assignment_view(&stored)))
}

/// The application, for its assigned reviewer once they have declared no conflict.
#[utoipa::path(get, path = "/v1/review-assignments/{application_id}", tag = "reviews",
    params(("application_id" = Uuid, Path)),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = ApplicationView), (status = 403, description = "No declaration yet, or recused"),
        (status = 404, description = "Not assigned to the caller")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn assigned_application(
    State(state): State<AppState>,
    reviewer: RequireRole<Staff>,
    Path(application_id): Path<Uuid>,
) -> Result<Json<ApplicationView>, ApiError> {
    let stored = assignment_of(&state, application_id, reviewer.subject()).await?;
    domain_assignment(&stored)
        .ensure_may_view()
        .map_err(|error| review_refused(&error))?;
    let row = visible_application(&state, Viewer::Officer, application_id).await?;
    Ok(Json(application_view(&row, Viewer::Officer)))
}

fn recommendation(text: &str) -> Result<Recommendation, ApiError> {
    match text {
        "yes" => Ok(Recommendation::Yes),
        "maybe" => Ok(Recommendation::Maybe),
        "no" => Ok(Recommendation::No),
        _ => Err(ApiError::field(
            "recommendation",
            "invalid_recommendation",
            "must be yes, maybe or no",
        )),
    }
}

/// Submits the reviewer's rubric scores, recommendation and comment.
#[utoipa::path(post, path = "/v1/review-assignments/{application_id}/review", tag = "reviews",
    request_body = ReviewInput, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 201, body = ReviewView), (status = 403, description = "No declaration yet, or recused"),
        (status = 404, description = "Not assigned to the caller"), (status = 409, description = "Not in review, or reviewed already"),
        (status = 422, description = "A score is missing or out of range")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn submit_review(
    State(state): State<AppState>,
    reviewer: RequireRole<Staff>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<ReviewInput>,
) -> Result<(StatusCode, Json<ReviewView>), ApiError> {
    let stored = assignment_of(&state, application_id, reviewer.subject()).await?;
    let assignment = domain_assignment(&stored);
    assignment
        .ensure_may_view()
        .map_err(|error| review_refused(&error))?;
    let row = visible_application(&state, Viewer::Officer, application_id).await?;
    let programme = programmes::load(&state.pool, row.programme_id)
        .await?
        .ok_or(ApiError::NotFound { what: "programme" })?;
    let recommendation = recommendation(&input.recommendation)?;
    let review = Review::new(
        &assignment,
        programme.parsed.programme.rubric(),
        &input.scores,
        recommendation,
        &input.comment,
    )
    .map_err(|errors| ApiError::refused_all("validation_failed", &errors, "review"))?;
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    let row = db::applications::lock(&mut transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    if workflow::state_of(&row)? != ApplicationState::InReview {
        return Err(ApiError::conflict(
            "not_in_review",
            format!("reviews are submitted in review, not while {}", row.state),
        ));
    }
    let scores: serde_json::Map<String, Value> = review
        .scores()
        .iter()
        .map(|(key, score)| (key.as_str().to_owned(), Value::from(*score)))
        .collect();
    let stored_review = ReviewRow {
        application_id,
        reviewer_id: review.reviewer_id(),
        scores: Value::Object(scores),
        recommendation: review.recommendation().as_str().to_owned(),
        comment: review.comment().to_owned(),
        weighted_total: review.weighted_total(),
        submitted_at: now,
    };
    if !db::reviews::insert_review(&mut *transaction, &stored_review).await? {
        return Err(ApiError::conflict(
            "already_reviewed",
            "the reviewer has reviewed this application",
        ));
    }
    workflow::record(
        &mut transaction,
        &row,
        &reviewer_actor(reviewer.subject()),
        TimelineEntryKind::ReviewSubmitted {
            reviewer_id: reviewer.subject(),
            recommendation,
        },
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(review_view(stored_review))))
}

/// The reviews of an application, for officers.
#[utoipa::path(get, path = "/v1/applications/{application_id}/reviews", tag = "reviews",
    params(("application_id" = Uuid, Path)),
    security(("bearer" = ["credit_officer", "approver"])),
    responses((status = 200, body = [ReviewView]), (status = 403, description = "Not an officer")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn application_reviews(
    State(state): State<AppState>,
    _officer: RequireRole<Officer>,
    Path(application_id): Path<Uuid>,
) -> Result<Json<Vec<ReviewView>>, ApiError> {
    visible_application(&state, Viewer::Officer, application_id).await?;
    let rows = db::reviews::reviews_of_application(&state.pool, application_id).await?;
    Ok(Json(rows.into_iter().map(review_view).collect()))
}

/// The mean of the weighted totals, for a quick read of a queue.
pub fn mean_weighted_total(reviews: &[ReviewRow]) -> Option<Decimal> {
    if reviews.is_empty() {
        return None;
    }
    let sum: Decimal = reviews.iter().map(|review| review.weighted_total).sum();
    Some(imkon_platform::money::round_half_even(
        sum / Decimal::from(reviews.len()),
        2,
    ))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    assign_reviewer,
    my_assignments,
    declare,
    assigned_application,
    submit_review,
    application_reviews
))]
pub struct ReviewsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/applications/{application_id}/reviewers",
            post(assign_reviewer),
        )
        .route(
            "/v1/applications/{application_id}/reviews",
            get(application_reviews),
        )
        .route("/v1/review-assignments", get(my_assignments))
        .route(
            "/v1/review-assignments/{application_id}",
            get(assigned_application),
        )
        .route(
            "/v1/review-assignments/{application_id}/declaration",
            post(declare),
        )
        .route(
            "/v1/review-assignments/{application_id}/review",
            post(submit_review),
        )
}
