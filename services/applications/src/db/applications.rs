//! Applications: drafts, state changes, scores, and the officers' queue.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

/// An application as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: Uuid,
    pub programme_id: Uuid,
    pub client_id: Uuid,
    pub company_id: Uuid,
    pub state: String,
    pub requested_amount: Option<Decimal>,
    pub term_months: Option<i32>,
    pub project_cost: Option<Decimal>,
    pub answers: Value,
    pub applicant_person_ids: Vec<Uuid>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub score: Option<Decimal>,
    pub score_band: Option<String>,
    pub score_recommendation: Option<String>,
    pub score_probability_of_default: Option<String>,
    pub score_evaluation_id: Option<Uuid>,
    pub score_explanation: Option<Value>,
    pub scored_at: Option<DateTime<Utc>>,
    pub screening_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of [`ApplicationRow`], for the officers' queue, whose SQL is built at run time;
/// the checked queries spell them out again because the macros take only literal SQL.
const COLUMNS: &str = "application.id, programme_id, client_id, company_id, state,
    requested_amount, term_months, project_cost, answers, applicant_person_ids, submitted_at,
    score, score_band, score_recommendation, score_probability_of_default, score_evaluation_id,
    score_explanation, scored_at, screening_error, created_at, updated_at";

/// What a founder has filled in so far.
#[derive(Debug, Clone)]
pub struct DraftFields {
    pub requested_amount: Option<Decimal>,
    pub term_months: Option<i32>,
    pub project_cost: Option<Decimal>,
    pub answers: Value,
}

pub async fn insert_draft(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    programme_id: Uuid,
    client_id: Uuid,
    company_id: Uuid,
    fields: &DraftFields,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into application (id, programme_id, client_id, company_id, requested_amount,
            term_months, project_cost, answers, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        id,
        programme_id,
        client_id,
        company_id,
        fields.requested_amount,
        fields.term_months,
        fields.project_cost,
        fields.answers,
        now,
    )
    .execute(executor)
    .await?;
    Ok(())
}

pub async fn update_draft(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    fields: &DraftFields,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update application set requested_amount = $2, term_months = $3, project_cost = $4,
            answers = $5, updated_at = $6
         where id = $1 and state = 'draft'",
        id,
        fields.requested_amount,
        fields.term_months,
        fields.project_cost,
        fields.answers,
        now,
    )
    .execute(executor)
    .await?;
    Ok(())
}

pub async fn find(
    executor: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    sqlx::query_as!(
        ApplicationRow,
        "select application.id, programme_id, client_id, company_id, state,
            requested_amount, term_months, project_cost, answers, applicant_person_ids,
            submitted_at, score, score_band, score_recommendation, score_probability_of_default,
            score_evaluation_id, score_explanation, scored_at, screening_error, created_at,
            updated_at
         from application where id = $1",
        id,
    )
    .fetch_optional(executor)
    .await
}

/// Reads the application and locks it until the transaction ends, so that two requests
/// cannot move it from the same state at once.
pub async fn lock(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    sqlx::query_as!(
        ApplicationRow,
        "select application.id, programme_id, client_id, company_id, state,
            requested_amount, term_months, project_cost, answers, applicant_person_ids,
            submitted_at, score, score_band, score_recommendation, score_probability_of_default,
            score_evaluation_id, score_explanation, scored_at, screening_error, created_at,
            updated_at
         from application where id = $1 for update",
        id,
    )
    .fetch_optional(connection)
    .await
}

/// Moves the application from `from` to `to`; the trigger refuses an edge the transition table
/// does not list.
pub async fn set_state(
    connection: &mut PgConnection,
    id: Uuid,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        "update application set state = $3, updated_at = $4 where id = $1 and state = $2",
        id,
        from,
        to,
        now,
    )
    .execute(connection)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub async fn mark_submitted(
    connection: &mut PgConnection,
    id: Uuid,
    applicant_person_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update application set submitted_at = $2, applicant_person_ids = $3 where id = $1",
        id,
        now,
        applicant_person_ids,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// A score from the scoring service, as stored with the application.
#[derive(Debug, Clone)]
pub struct ScoreRecord {
    pub score: Decimal,
    pub band: String,
    pub recommendation: String,
    pub probability_of_default: String,
    pub evaluation_id: Option<Uuid>,
    pub explanation: Value,
}

pub async fn record_score(
    connection: &mut PgConnection,
    id: Uuid,
    record: &ScoreRecord,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update application set score = $2, score_band = $3, score_recommendation = $4,
            score_probability_of_default = $5, score_evaluation_id = $6, score_explanation = $7,
            scored_at = $8, screening_error = null
         where id = $1",
        id,
        record.score,
        record.band,
        record.recommendation,
        record.probability_of_default,
        record.evaluation_id,
        record.explanation,
        now,
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn record_screening_error(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update application set screening_error = $2 where id = $1",
        id,
        error,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// A founder's applications, newest first.
pub async fn for_client(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    sqlx::query_as!(
        ApplicationRow,
        "select application.id, programme_id, client_id, company_id, state,
            requested_amount, term_months, project_cost, answers, applicant_person_ids,
            submitted_at, score, score_band, score_recommendation, score_probability_of_default,
            score_evaluation_id, score_explanation, scored_at, screening_error, created_at,
            updated_at
         from application where client_id = $1
         order by created_at desc, id desc limit $2 offset $3",
        client_id,
        limit,
        offset,
    )
    .fetch_all(executor)
    .await
}

/// How the officers' queue is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    OldestFirst,
    NewestFirst,
    HighestScoreFirst,
    LowestScoreFirst,
    LargestAmountFirst,
}

impl QueueOrder {
    fn sql(self) -> &'static str {
        match self {
            QueueOrder::OldestFirst => " order by application.created_at asc, application.id asc",
            QueueOrder::NewestFirst => " order by application.created_at desc, application.id desc",
            QueueOrder::HighestScoreFirst => {
                " order by score desc nulls last, application.created_at asc, application.id asc"
            }
            QueueOrder::LowestScoreFirst => {
                " order by score asc nulls last, application.created_at asc, application.id asc"
            }
            QueueOrder::LargestAmountFirst => {
                " order by requested_amount desc nulls last, application.created_at asc, application.id asc"
            }
        }
    }
}

/// The filters of the officers' queue; each is off when `None`.
#[derive(Debug, Clone)]
pub struct QueueFilter {
    pub state: Option<String>,
    pub programme_id: Option<Uuid>,
    pub reviewer_id: Option<Uuid>,
    pub band: Option<String>,
    pub client_id: Option<Uuid>,
    pub order: QueueOrder,
    pub limit: i64,
    pub offset: i64,
}

pub async fn queue(
    executor: impl PgExecutor<'_>,
    filter: &QueueFilter,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    let mut query: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("select {COLUMNS} from application where true"));
    if let Some(state) = &filter.state {
        query.push(" and state = ").push_bind(state);
    }
    if let Some(programme_id) = filter.programme_id {
        query.push(" and programme_id = ").push_bind(programme_id);
    }
    if let Some(reviewer_id) = filter.reviewer_id {
        query
            .push(" and exists (select 1 from reviewer_assignment where reviewer_assignment.application_id = application.id and reviewer_id = ")
            .push_bind(reviewer_id)
            .push(")");
    }
    if let Some(band) = &filter.band {
        query.push(" and score_band = ").push_bind(band);
    }
    if let Some(client_id) = filter.client_id {
        query.push(" and client_id = ").push_bind(client_id);
    }
    query.push(filter.order.sql());
    query.push(" limit ").push_bind(filter.limit);
    query.push(" offset ").push_bind(filter.offset);
    query.build_query_as().fetch_all(executor).await
}

/// Every application to a programme except drafts, oldest first, for the CSV export.
pub async fn for_programme(
    executor: impl PgExecutor<'_>,
    programme_id: Uuid,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    sqlx::query_as!(
        ApplicationRow,
        "select application.id, programme_id, client_id, company_id, state,
            requested_amount, term_months, project_cost, answers, applicant_person_ids,
            submitted_at, score, score_band, score_recommendation, score_probability_of_default,
            score_evaluation_id, score_explanation, scored_at, screening_error, created_at,
            updated_at
         from application where programme_id = $1 and state <> 'draft'
         order by created_at, id",
        programme_id,
    )
    .fetch_all(executor)
    .await
}
