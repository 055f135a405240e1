//! Reviewer assignments, conflict-of-interest declarations and reviews.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct AssignmentRow {
    pub application_id: Uuid,
    pub reviewer_id: Uuid,
    pub assigned_by: Uuid,
    pub assigned_at: DateTime<Utc>,
    /// `pending`, `no_conflict` or `conflict`.
    pub declaration: String,
    pub declared_at: Option<DateTime<Utc>>,
}

/// Assigns a reviewer; false when they are assigned already.
pub async fn assign(
    executor: impl PgExecutor<'_>,
    row: &AssignmentRow,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "insert into reviewer_assignment (application_id, reviewer_id, assigned_by, assigned_at)
         values ($1, $2, $3, $4) on conflict do nothing",
        row.application_id,
        row.reviewer_id,
        row.assigned_by,
        row.assigned_at,
    )
    .execute(executor)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn find_assignment(
    executor: impl PgExecutor<'_>,
    application_id: Uuid,
    reviewer_id: Uuid,
) -> Result<Option<AssignmentRow>, sqlx::Error> {
    sqlx::query_as!(
        AssignmentRow,
        "select application_id, reviewer_id, assigned_by, assigned_at, declaration, declared_at
         from reviewer_assignment where application_id = $1 and reviewer_id = $2",
        application_id,
        reviewer_id,
    )
    .fetch_optional(executor)
    .await
}

/// A reviewer's assignments, newest first.
pub async fn assignments_of(
    executor: impl PgExecutor<'_>,
    reviewer_id: Uuid,
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    sqlx::query_as!(
        AssignmentRow,
        "select application_id, reviewer_id, assigned_by, assigned_at, declaration, declared_at
         from reviewer_assignment where reviewer_id = $1
         order by assigned_at desc, application_id",
        reviewer_id,
    )
    .fetch_all(executor)
    .await
}

pub async fn declare(
    executor: impl PgExecutor<'_>,
    application_id: Uuid,
    reviewer_id: Uuid,
    declaration: &str,
    declared_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update reviewer_assignment set declaration = $3, declared_at = $4
         where application_id = $1 and reviewer_id = $2 and declaration = 'pending'",
        application_id,
        reviewer_id,
        declaration,
        declared_at,
    )
    .execute(executor)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub application_id: Uuid,
    pub reviewer_id: Uuid,
    /// Score by criterion key.
    pub scores: Value,
    pub recommendation: String,
    pub comment: String,
    pub weighted_total: Decimal,
    pub submitted_at: DateTime<Utc>,
}

/// Stores a review; false when the reviewer has reviewed this application already.
pub async fn insert_review(
    executor: impl PgExecutor<'_>,
    row: &ReviewRow,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "insert into review (application_id, reviewer_id, scores, recommendation, comment, weighted_total, submitted_at)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing",
        row.application_id,
        row.reviewer_id,
        row.scores,
        row.recommendation,
        row.comment,
        row.weighted_total,
        row.submitted_at,
    )
    .execute(executor)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn reviews_of_application(
    executor: impl PgExecutor<'_>,
    application_id: Uuid,
) -> Result<Vec<ReviewRow>, sqlx::Error> {
    sqlx::query_as!(
        ReviewRow,
        "select application_id, reviewer_id, scores, recommendation, comment, weighted_total, submitted_at
         from review where application_id = $1 order by submitted_at, reviewer_id",
        application_id,
    )
    .fetch_all(executor)
    .await
}

/// Every review of a programme's applications, for the CSV export.
pub async fn reviews_of_programme(
    executor: impl PgExecutor<'_>,
    programme_id: Uuid,
) -> Result<Vec<ReviewRow>, sqlx::Error> {
    sqlx::query_as!(
        ReviewRow,
        "select review.application_id, review.reviewer_id, review.scores, review.recommendation,
            review.comment, review.weighted_total, review.submitted_at
         from review join application on application.id = review.application_id
         where application.programme_id = $1
         order by review.application_id, review.submitted_at, review.reviewer_id",
        programme_id,
    )
    .fetch_all(executor)
    .await
}
