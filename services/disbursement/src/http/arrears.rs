//! Arrears: the officers' list with ageing buckets, and running the daily job on demand.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use imkon_auth::extract::{Admin, RequireRole, RoleRequirement};
use imkon_auth::Role;
use imkon_platform::problem::Problem;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::schedules::parse_date;
use crate::arrears_job::run_through;
use crate::db::arrears;
use crate::domain::arrears::AgeingBucket;
use crate::domain::bank_dates::check_run_date;
use crate::error::DisbursementError;
use crate::AppState;

/// Who sees the arrears list: the officers who follow loans up.
pub enum ArrearsViewer {}

impl RoleRequirement for ArrearsViewer {
    const ALLOWED: &'static [Role] = &[
        Role::CreditOfficer,
        Role::Finance,
        Role::Approver,
        Role::Admin,
    ];
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RunQuery {
    /// `YYYY-MM-DD`, not after the bank's today (Tashkent); today when absent. Every date after
    /// the last one assessed, through
    /// this one, is assessed.
    pub as_of: Option<String>,
}

/// One assessed date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessedDateView {
    pub as_of: NaiveDate,
    pub contracts_overdue: i32,
}

/// What a run assessed; empty when every date was assessed before.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArrearsRunView {
    pub assessed: Vec<AssessedDateView>,
}

/// Runs the daily job (collection of what is due, then arrears, then the reminders of
/// instalments due soon) through a date: an
/// administrator only. The job collects from clients' accounts, and the only service that
/// moves money is disbursement itself, which runs the job in-process; another service's token
/// (applications delivers approvals here) must not start it. Idempotent per date.
#[utoipa::path(post, path = "/v1/arrears/run", tag = "arrears", params(RunQuery),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = ArrearsRunView), (status = 401), (status = 403),
        (status = 422, description = "`as_of` is not a date (not_a_date) or is after the bank's today (after_today)")))]
#[tracing::instrument(skip_all)]
pub async fn run_arrears(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Query(query): Query<RunQuery>,
) -> Response {
    match run(&state, &query).await {
        Ok(view) => Json(view).into_response(),
        Err(problem) => problem.into_response(),
    }
}

async fn run(state: &AppState, query: &RunQuery) -> Result<ArrearsRunView, Problem> {
    let today = state.calendar.today();
    let as_of = match &query.as_of {
        Some(text) => parse_date(text, "as_of")?,
        None => today,
    };
    check_run_date(as_of, today).map_err(|refusal| DisbursementError::InvalidField {
        field: "as_of",
        code: refusal.code(),
        message: refusal.to_string(),
    })?;
    let assessed = run_through(&state.pool, state.ledger.as_ref(), &state.calendar, as_of).await?;
    Ok(ArrearsRunView {
        assessed: assessed
            .into_iter()
            .map(|date| AssessedDateView {
                as_of: date.as_of,
                contracts_overdue: date.contracts_overdue,
            })
            .collect(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ArrearsQuery {
    /// Only this bucket: `1-30`, `31-60`, `61-90` or `90+`.
    pub bucket: Option<String>,
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// A loan in arrears on the latest assessed date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArrearsItemView {
    pub contract_id: Uuid,
    pub client_id: Uuid,
    pub company_id: Uuid,
    pub currency: String,
    pub total_overdue: String,
    pub penalty_outstanding: String,
    pub days_past_due: i32,
    pub bucket: String,
    pub overdue_installments: i32,
}

/// One ageing bucket: how many loans, and their overdue amounts by currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BucketView {
    pub bucket: String,
    pub contracts: i64,
    pub total_overdue: BTreeMap<String, String>,
}

/// The arrears list on the latest assessed date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArrearsView {
    /// The latest date the job assessed; null before its first run.
    pub as_of: Option<NaiveDate>,
    /// Always the four buckets, youngest first.
    pub buckets: Vec<BucketView>,
    pub items: Vec<ArrearsItemView>,
    pub next_cursor: Option<Uuid>,
}

const BUCKETS: [AgeingBucket; 4] = [
    AgeingBucket::Days1To30,
    AgeingBucket::Days31To60,
    AgeingBucket::Days61To90,
    AgeingBucket::Over90Days,
];

/// Loans in arrears with ageing buckets, as of the latest assessed date.
#[utoipa::path(get, path = "/v1/arrears", tag = "arrears", params(ArrearsQuery),
    security(("bearer" = ["credit_officer", "finance", "approver", "admin"])),
    responses((status = 200, body = ArrearsView), (status = 401), (status = 403),
        (status = 422, description = "An unknown bucket")))]
#[tracing::instrument(skip_all)]
pub async fn list_arrears(
    State(state): State<AppState>,
    _viewer: RequireRole<ArrearsViewer>,
    Query(query): Query<ArrearsQuery>,
) -> Result<Json<ArrearsView>, Problem> {
    let bucket = match &query.bucket {
        Some(label) => Some(
            BUCKETS
                .iter()
                .find(|bucket| bucket.label() == label)
                .ok_or(DisbursementError::InvalidField {
                    field: "bucket",
                    code: "unknown_value",
                    message: "expected 1-30, 31-60, 61-90 or 90+".to_owned(),
                })?
                .label(),
        ),
        None => None,
    };
    let limit = i64::from(
        query
            .limit
            .unwrap_or(50)
            .clamp(1, state.limits.max_page_size),
    );
    let Some(as_of) = arrears::last_run(&state.pool).await? else {
        return Ok(Json(ArrearsView {
            as_of: None,
            buckets: bucket_views(&[]),
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let totals = arrears::bucket_totals(&state.pool, as_of).await?;
    let rows = arrears::list_overdue(&state.pool, as_of, bucket, query.cursor, limit).await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|row| row.contract_id))
        .flatten();
    let amount = |value: Decimal| value.round_dp(2).to_string();
    Ok(Json(ArrearsView {
        as_of: Some(as_of),
        buckets: bucket_views(&totals),
        items: rows
            .into_iter()
            .map(|row| ArrearsItemView {
                contract_id: row.contract_id,
                client_id: row.client_id,
                company_id: row.company_id,
                currency: row.currency,
                total_overdue: amount(row.total_overdue),
                penalty_outstanding: amount(row.penalty_outstanding),
                days_past_due: row.days_past_due,
                bucket: row.bucket,
                overdue_installments: row.overdue_installments,
            })
            .collect(),
        next_cursor,
    }))
}

fn bucket_views(totals: &[arrears::BucketTotalRow]) -> Vec<BucketView> {
    BUCKETS
        .iter()
        .map(|bucket| {
            let rows: Vec<_> = totals
                .iter()
                .filter(|row| row.bucket == bucket.label())
                .collect();
            BucketView {
                bucket: bucket.label().to_owned(),
                contracts: rows.iter().map(|row| row.contracts).sum(),
                total_overdue: rows
                    .iter()
                    .map(|row| {
                        (
                            row.currency.clone(),
                            row.total_overdue.round_dp(2).to_string(),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/arrears", get(list_arrears))
        .route("/v1/arrears/run", post(run_arrears))
}
