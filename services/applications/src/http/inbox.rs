//! The founder's inbox: their notifications a page at a time, newest first, with how many are
//! unread, and opening one, which marks it read. Founders only, and only their own: another
//! client's notification answers 404, as if it did not exist.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{BankClient, RequireRole};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::applications::founder_client_id;
use crate::db;
use crate::db::notifications::InboxRow;
use crate::error::ApiError;
use crate::AppState;

/// The page size when the caller names none.
const DEFAULT_PAGE_SIZE: u32 = 20;

/// A notification in the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxNotification {
    pub id: Uuid,
    /// The application it tells about; null for news about the founder (a KYC decision).
    pub application_id: Option<Uuid>,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// When the founder first opened it; null while unread.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<InboxRow> for InboxNotification {
    fn from(row: InboxRow) -> InboxNotification {
        InboxNotification {
            id: row.id,
            application_id: row.application_id,
            subject: row.subject,
            body: row.body,
            created_at: row.created_at,
            read_at: row.read_at,
        }
    }
}

/// Which page of the inbox.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InboxQuery {
    /// At most this many (capped by the service's page size limit); 20 when absent.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A page of the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<InboxNotification>,
    /// The offset of the next page, when there is one.
    pub next_offset: Option<u32>,
    /// How many of all the founder's notifications are unread.
    pub unread: i64,
}

/// The unread count alone, for the menu of every page.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

/// A page of the founder's own notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/v1/inbox", tag = "applications", params(InboxQuery),
    security(("bearer" = ["client"])),
    responses((status = 200, body = InboxPage), (status = 403, description = "Not a founder")))]
#[tracing::instrument(skip_all)]
async fn inbox(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Query(query): Query<InboxQuery>,
) -> Result<Json<InboxPage>, ApiError> {
    let client_id = founder_client_id(&founder)?;
    let limit = query
        .limit
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, state.limits.max_page_size);
    let offset = query.offset.unwrap_or(0);
    // One more than the page, to know whether another page follows.
    let mut rows = db::notifications::inbox_page(
        &state.pool,
        client_id,
        i64::from(limit) + 1,
        i64::from(offset),
    )
    .await?;
    let next_offset = (rows.len() > limit as usize).then(|| offset.saturating_add(limit));
    rows.truncate(limit as usize);
    let unread = db::notifications::unread_count(&state.pool, client_id).await?;
    Ok(Json(InboxPage {
        items: rows.into_iter().map(InboxNotification::from).collect(),
        next_offset,
        unread,
    }))
}

/// How many of the founder's notifications are unread.
#[utoipa::path(get, path = "/v1/inbox/unread", tag = "applications",
    security(("bearer" = ["client"])),
    responses((status = 200, body = UnreadCount), (status = 403, description = "Not a founder")))]
#[tracing::instrument(skip_all)]
async fn unread(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<UnreadCount>, ApiError> {
    let client_id = founder_client_id(&founder)?;
    let unread = db::notifications::unread_count(&state.pool, client_id).await?;
    Ok(Json(UnreadCount { unread }))
}

/// Opens one of the founder's own notifications: it is marked read (the first time only)
/// and returned. Another founder's notification answers 404.
#[utoipa::path(post, path = "/v1/inbox/{notification_id}/open", tag = "applications",
    params(("notification_id" = Uuid, Path)),
    security(("bearer" = ["client"])),
    responses((status = 200, body = InboxNotification),
              (status = 403, description = "Not a founder"),
              (status = 404, description = "No such notification of this founder")))]
#[tracing::instrument(skip_all, fields(%notification_id))]
async fn open(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(notification_id): Path<Uuid>,
) -> Result<Json<InboxNotification>, ApiError> {
    let client_id = founder_client_id(&founder)?;
    let row = db::notifications::open_own(
        &state.pool,
        client_id,
        notification_id,
        state.calendar.now(),
    )
    .await?
    .ok_or(ApiError::NotFound {
        what: "notification",
    })?;
    Ok(Json(row.into()))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(inbox, unread, open))]
pub struct InboxApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/inbox", get(inbox))
        .route("/v1/inbox/unread", get(unread))
        .route("/v1/inbox/{notification_id}/open", post(open))
}
