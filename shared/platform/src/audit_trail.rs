//! The read side of the audit trail: `GET /v1/audit` (JSON pages) and `GET /v1/audit.csv`.
//!
//! Every service keeps its own `audit_record` table, so every service mounts these two routes
//! over its own pool; a reader who wants the whole bank's trail asks each service and merges the
//! answers by time. Only administrators read the trail: it names who did what to whom, with the
//! data before and after, which is more than any other role needs to see of another's work.
//! Approvers and officers see the decisions they take part in through their own endpoints; an
//! external auditor is given an admin login for the audit, which is itself audited by the
//! services whose actions it reads (reading the trail changes nothing and is not recorded).
//!
//! Pages are keyset-paged, newest first, on `(occurred_at, id)`: a `cursor` names the last
//! record of the previous page, so a record written while the reader pages never shifts the
//! pages after it, and no page costs more than its own rows.

use axum::extract::{FromRef, Query, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{Admin, RequireRole};
use imkon_auth::TokenVerifier;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgPool, Postgres, QueryBuilder};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::problem::Problem;
use crate::spreadsheet::neutralise_cell;

/// A page when the request names no limit.
const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest JSON page.
const MAX_PAGE_SIZE: u32 = 200;
/// The largest CSV export: a month of a busy service's decisions, small enough to build in
/// memory; a longer period is exported in several files with the `cursor` the header names.
const MAX_EXPORT_ROWS: u32 = 10_000;

/// The response header of a CSV export that names the cursor of the next file.
pub const NEXT_CURSOR_HEADER: &str = "imkon-next-cursor";

/// One audited action, as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct AuditRecordView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The person or service that acted; null for the system itself (a scheduled job).
    pub actor_id: Option<Uuid>,
    pub actor_roles: Vec<String>,
    /// What was done, as `<subject type>.<verb>` (`programme.budget_changed`).
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    /// The subject before the action; null when it did not exist.
    #[schema(value_type = Option<serde_json::Value>)]
    pub before: Option<Value>,
    /// The subject after the action; null when it no longer exists.
    #[schema(value_type = Option<serde_json::Value>)]
    pub after: Option<Value>,
    pub source_address: Option<String>,
    pub request_id: Option<String>,
}

/// A page of the audit trail, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditRecordView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Which records: every filter is optional and they combine with "and".
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Who acted.
    pub actor: Option<Uuid>,
    /// The kind of object acted on (`programme`, `scorecard`, `application`, ...).
    pub subject_type: Option<String>,
    /// The object acted on; usually used with `subject_type`.
    pub subject_id: Option<String>,
    /// Records at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Records strictly before this instant.
    pub to: Option<DateTime<Utc>>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// At most this many records (default 50, at most 200; a CSV export at most 10,000).
    pub limit: Option<u32>,
}

/// Where a page starts: just older than this record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    occurred_at: DateTime<Utc>,
    id: Uuid,
}

impl Cursor {
    /// `<microseconds since the epoch>.<id>`: opaque to clients, safe in a query string.
    fn encode(self) -> String {
        format!("{}.{}", self.occurred_at.timestamp_micros(), self.id)
    }

    fn decode(text: &str) -> Option<Cursor> {
        let (micros, id) = text.split_once('.')?;
        Some(Cursor {
            occurred_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }
}

#[derive(Clone)]
struct TrailState {
    pool: PgPool,
    verifier: TokenVerifier,
}

impl FromRef<TrailState> for TokenVerifier {
    fn from_ref(state: &TrailState) -> TokenVerifier {
        state.verifier.clone()
    }
}

/// The checked query: its cursor decoded and its limit within `1..=max`.
fn checked(query: &AuditQuery, max: u32, default: u32) -> Result<(Option<Cursor>, u32), Problem> {
    let cursor = query
        .cursor
        .as_deref()
        .map(|text| {
            Cursor::decode(text).ok_or_else(|| {
                Problem::invalid_field(
                    "cursor",
                    "invalid_cursor",
                    "pass the next_cursor of a previous page",
                )
            })
        })
        .transpose()?;
    let limit = query.limit.unwrap_or(default);
    if limit == 0 || limit > max {
        return Err(Problem::invalid_field(
            "limit",
            "out_of_range",
            format!("the limit must be between 1 and {max}"),
        ));
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if to <= from {
            return Err(Problem::invalid_field(
                "to",
                "before_from",
                "`to` must be after `from`",
            ));
        }
    }
    Ok((cursor, limit))
}

/// The records the query selects, newest first, and the cursor of the page after them.
async fn select(
    pool: &PgPool,
    query: &AuditQuery,
    cursor: Option<Cursor>,
    limit: u32,
) -> Result<AuditPage, Problem> {
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(
        "select id, occurred_at, actor_id, actor_roles, action, subject_type, subject_id,
            before, after, source_address, request_id
         from audit_record where true",
    );
    if let Some(actor) = query.actor {
        sql.push(" and actor_id = ").push_bind(actor);
    }
    if let Some(subject_type) = &query.subject_type {
        sql.push(" and subject_type = ")
            .push_bind(subject_type.clone());
    }
    if let Some(subject_id) = &query.subject_id {
        sql.push(" and subject_id = ").push_bind(subject_id.clone());
    }
    if let Some(from) = query.from {
        sql.push(" and occurred_at >= ").push_bind(from);
    }
    if let Some(to) = query.to {
        sql.push(" and occurred_at < ").push_bind(to);
    }
    if let Some(cursor) = cursor {
        sql.push(" and (occurred_at, id) < (")
            .push_bind(cursor.occurred_at)
            .push(", ")
            .push_bind(cursor.id)
            .push(")");
    }
    // One row more than the page shows says whether another page follows.
    sql.push(" order by occurred_at desc, id desc limit ")
        .push_bind(i64::from(limit) + 1);
    let mut items: Vec<AuditRecordView> = sql.build_query_as().fetch_all(pool).await?;
    let page_size = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if items.len() > page_size {
        items.truncate(page_size);
        items.last().map(|last| {
            Cursor {
                occurred_at: last.occurred_at,
                id: last.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(AuditPage { items, next_cursor })
}

/// The audit trail of this service, newest first, keyset-paged. Administrators only.
#[utoipa::path(get, path = "/v1/audit", tag = "audit",
    params(AuditQuery),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, body = AuditPage),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "A bad cursor, a limit out of range, or `to` not after `from`"),
    ))]
#[tracing::instrument(skip_all)]
async fn read_trail(
    State(state): State<TrailState>,
    _admin: RequireRole<Admin>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, Problem> {
    let (cursor, limit) = checked(&query, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)?;
    Ok(Json(select(&state.pool, &query, cursor, limit).await?))
}

/// One CSV field: neutralised against spreadsheet formulas, then quoted when it must be.
fn csv_field(text: &str) -> String {
    let cell = neutralise_cell(text);
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.into_owned()
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|field| csv_field(field))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The records as CSV (RFC 4180), with a header line.
pub fn to_csv(records: &[AuditRecordView]) -> String {
    let header = [
        "id",
        "occurred_at",
        "actor_id",
        "actor_roles",
        "action",
        "subject_type",
        "subject_id",
        "before",
        "after",
        "source_address",
        "request_id",
    ]
    .map(str::to_owned);
    let json = |value: &Option<Value>| value.as_ref().map(Value::to_string).unwrap_or_default();
    let mut text = csv_line(&header);
    for record in records {
        text.push_str(&csv_line(&[
            record.id.to_string(),
            record.occurred_at.to_rfc3339(),
            record.actor_id.map(|id| id.to_string()).unwrap_or_default(),
            record.actor_roles.join(" "),
            record.action.clone(),
            record.subject_type.clone(),
            record.subject_id.clone(),
            json(&record.before),
            json(&record.after),
            record.source_address.clone().unwrap_or_default(),
            record.request_id.clone().unwrap_or_default(),
        ]));
    }
    text
}

/// The same records as CSV for a spreadsheet, up to 10,000 a file; when more remain, the
/// `Imkon-Next-Cursor` header names the cursor of the next file. Administrators only.
#[utoipa::path(get, path = "/v1/audit.csv", tag = "audit",
    params(AuditQuery),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, content_type = "text/csv", body = String,
            headers(("imkon-next-cursor" = String, description = "Present when more records remain"))),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "A bad cursor, a limit out of range, or `to` not after `from`"),
    ))]
#[tracing::instrument(skip_all)]
async fn export_trail(
    State(state): State<TrailState>,
    _admin: RequireRole<Admin>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, Problem> {
    let (cursor, limit) = checked(&query, MAX_EXPORT_ROWS, MAX_EXPORT_ROWS)?;
    let page = select(&state.pool, &query, cursor, limit).await?;
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        to_csv(&page.items),
    )
        .into_response();
    if let Some(next) = page.next_cursor {
        let value = HeaderValue::from_str(&next).map_err(|error| Problem::internal_from(&error))?;
        response
            .headers_mut()
            .insert(HeaderName::from_static(NEXT_CURSOR_HEADER), value);
    }
    Ok(response)
}

/// The OpenAPI description of the audit routes, for every service that mounts them.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(read_trail, export_trail),
    components(schemas(AuditPage, AuditRecordView)),
    tags((name = "audit", description = "the service's audit trail, for administrators"))
)]
pub struct AuditTrailApi;

/// `GET /v1/audit` and `GET /v1/audit.csv` over a service's own audit table.
pub fn router(pool: PgPool, verifier: TokenVerifier) -> Router {
    Router::new()
        .route("/v1/audit", get(read_trail))
        .route("/v1/audit.csv", get(export_trail))
        .with_state(TrailState { pool, verifier })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_itself() {
        let cursor = Cursor {
            occurred_at: DateTime::from_timestamp_micros(1_780_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    }

    #[test]
    fn a_cursor_that_was_not_issued_is_refused() {
        for text in [
            "",
            "123",
            "abc.def",
            "1.not-a-uuid",
            &format!("x.{}", Uuid::nil()),
        ] {
            assert_eq!(Cursor::decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_limit_is_bounded() {
        let query = |limit| AuditQuery {
            limit: Some(limit),
            ..AuditQuery::default()
        };
        assert!(checked(&query(0), MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE).is_err());
        assert!(checked(&query(MAX_PAGE_SIZE + 1), MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE).is_err());
        assert_eq!(
            checked(&query(MAX_PAGE_SIZE), MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)
                .unwrap()
                .1,
            MAX_PAGE_SIZE
        );
    }

    #[test]
    fn exported_cells_cannot_start_a_formula_and_are_quoted() {
        let record = AuditRecordView {
            id: Uuid::nil(),
            occurred_at: DateTime::from_timestamp_micros(0).unwrap(),
            actor_id: None,
            actor_roles: vec!["admin".to_owned()],
            action: "=HYPERLINK(\"http://evil.example\")".to_owned(),
            subject_type: "programme".to_owned(),
            subject_id: "a,b".to_owned(),
            before: None,
            after: Some(serde_json::json!({"total_budget": "100.00"})),
            source_address: None,
            request_id: None,
        };
        let csv = to_csv(&[record]);
        let line = csv.lines().nth(1).unwrap();
        assert!(
            line.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
            "{line}"
        );
        assert!(line.contains("\"a,b\""), "{line}");
        assert!(
            line.contains("\"{\"\"total_budget\"\":\"\"100.00\"\"}\""),
            "{line}"
        );
    }
}
