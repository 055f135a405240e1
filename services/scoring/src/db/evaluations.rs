//! Stored evaluations: append-only.

use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

/// What is stored of one evaluation.
#[derive(Debug, Clone)]
pub struct NewEvaluation<'a> {
    pub id: Uuid,
    pub scorecard_id: Uuid,
    pub version: i32,
    pub inputs_json: &'a str,
    pub result_json: &'a str,
    pub score: Decimal,
    pub probability_of_default: Decimal,
    pub band: &'a str,
    pub recommendation: &'a str,
    pub evaluated_by: Uuid,
}

#[tracing::instrument(skip_all, fields(evaluation_id = %evaluation.id))]
pub async fn insert(pool: &PgPool, evaluation: &NewEvaluation<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into evaluation
            (id, scorecard_id, version, inputs, result, score, probability_of_default, band,
             recommendation, evaluated_by)
         values ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10)",
    )
    .bind(evaluation.id)
    .bind(evaluation.scorecard_id)
    .bind(evaluation.version)
    .bind(evaluation.inputs_json)
    .bind(evaluation.result_json)
    .bind(evaluation.score)
    .bind(evaluation.probability_of_default)
    .bind(evaluation.band)
    .bind(evaluation.recommendation)
    .bind(evaluation.evaluated_by)
    .execute(pool)
    .await?;
    Ok(())
}

/// The stored result of an evaluation, as JSON text.
#[tracing::instrument(skip_all, fields(evaluation_id = %id))]
pub async fn find_result(pool: &PgPool, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select result::text from evaluation where id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// What a replay needs: the scorecard, the version, the inputs (JSON text) and the stored
/// result (JSON text).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEvaluation {
    pub scorecard_id: Uuid,
    pub version: i32,
    pub inputs: String,
    pub result: String,
}

#[tracing::instrument(skip_all, fields(evaluation_id = %id))]
pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<StoredEvaluation>, sqlx::Error> {
    sqlx::query_as(
        "select scorecard_id, version, inputs::text as inputs, result::text as result
         from evaluation where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Whether a stored evaluation's result, without what identifies the evaluation itself, equals
/// `outcome_json` exactly: jsonb compares its numbers as `numeric`, so no float rounding can
/// hide a difference.
#[tracing::instrument(skip_all, fields(evaluation_id = %id))]
pub async fn result_matches(
    pool: &PgPool,
    id: Uuid,
    outcome_json: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select (result - array['id', 'scorecard_id', 'version', 'version_status', 'evaluated_at', 'inputs'])
                = $2::jsonb
         from evaluation where id = $1",
    )
    .bind(id)
    .bind(outcome_json)
    .fetch_one(pool)
    .await
}
