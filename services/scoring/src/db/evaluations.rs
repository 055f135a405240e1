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

pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<StoredEvaluation>, sqlx::Error> {
    sqlx::query_as(
        "select scorecard_id, version, inputs::text as inputs, result::text as result
         from evaluation where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}
