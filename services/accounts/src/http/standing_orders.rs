//! A client's payment templates (a transfer saved to send again) and standing orders (a
//! template paid on one day of every month by the daily run, see
//! [`crate::standing_orders`]).
//!
//! A template is checked as a transfer would be when it is saved: the source is one of the
//! client's own open current accounts, the destination an open current account in the same
//! currency, the amount a positive amount of that currency. Whether the money is there is
//! decided on each due date, by the ledger writer.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use imkon_auth::extract::{BankClient, RequireRole};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::new_id;
use imkon_platform::money::Currency;
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{amount_text, client_of, invalid, parse_account_number, parse_amount};
use super::{ACCOUNT_NUMBER_CHARS, MAX_AMOUNT_CHARS};
use crate::db;
use crate::db::standing_orders::{StandingOrderRow, TemplateRow};
use crate::error::AccountsError;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/me/payment-templates",
            post(create_template).get(list_templates),
        )
        .route(
            "/v1/me/standing-orders",
            post(create_standing_order).get(list_standing_orders),
        )
        .route(
            "/v1/me/standing-orders/{id}/cancel",
            post(cancel_standing_order),
        )
}

/// How many templates, and how many standing orders, one client may keep: each is a stored row,
/// so an unbounded number would let one client fill the tables.
pub const MAX_PER_CLIENT: usize = 50;

/// The longest template name.
const MAX_TEMPLATE_NAME_CHARS: u64 = 100;

async fn audit_change(
    connection: &mut PgConnection,
    founder: &RequireRole<BankClient>,
    action: &'static str,
    subject_type: &'static str,
    subject_id: Uuid,
    after: serde_json::Value,
) -> Result<(), AccountsError> {
    audit::record(
        connection,
        AuditEntry {
            actor_id: Some(founder.subject()),
            actor_roles: founder
                .roles()
                .map(|role| role.as_str().to_owned())
                .collect(),
            action,
            subject_type,
            subject_id: subject_id.to_string(),
            before: None,
            after: Some(after),
            source_address: None,
        },
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TemplateRequest {
    #[validate(length(min = 1, max = MAX_TEMPLATE_NAME_CHARS, code = "name_length"))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// One of the client's own open current accounts.
    #[validate(length(equal = ACCOUNT_NUMBER_CHARS, code = "account_number_wrong_length"))]
    #[schema(min_length = 20, max_length = 20)]
    pub from_account: String,
    /// An open current account in the same currency, the client's or another's.
    #[validate(length(equal = ACCOUNT_NUMBER_CHARS, code = "account_number_wrong_length"))]
    #[schema(min_length = 20, max_length = 20)]
    pub to_account: String,
    #[validate(length(min = 1, max = MAX_AMOUNT_CHARS, code = "not_an_amount"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateDto {
    pub id: Uuid,
    pub name: String,
    pub from_account: String,
    pub to_account: String,
    pub currency: String,
    pub amount: String,
    pub created_at: DateTime<Utc>,
}

impl From<&TemplateRow> for TemplateDto {
    fn from(row: &TemplateRow) -> TemplateDto {
        TemplateDto {
            id: row.id,
            name: row.name.clone(),
            from_account: row.from_account.clone(),
            to_account: row.to_account.clone(),
            currency: row.currency.clone(),
            amount: amount_text(row.amount),
            created_at: row.created_at,
        }
    }
}

/// Saves a transfer to send again.
#[utoipa::path(post, path = "/v1/me/payment-templates", tag = "accounts", request_body = TemplateRequest,
    security(("bearer" = ["client"])),
    responses((status = 201, body = TemplateDto), (status = 401), (status = 403),
              (status = 404, description = "unknown_account: the source is not the client's or the destination does not exist"),
              (status = 409, description = "account_closed, too_many_templates"),
              (status = 422, description = "currency_mismatch, same_account, name_length, too_many_decimals")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn create_template(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    ValidatedJson(request): ValidatedJson<TemplateRequest>,
) -> Result<(StatusCode, Json<TemplateDto>), AccountsError> {
    let client_id = client_of(&founder)?;
    let name = request.name.trim();
    if name.is_empty() {
        return Err(invalid("name", "name_length", "a name is not blank"));
    }
    let from_number = parse_account_number(&state, "from_account", &request.from_account)?;
    let to_number = parse_account_number(&state, "to_account", &request.to_account)?;
    let unknown = |field: &str| AccountsError::UnknownAccount {
        field: field.to_owned(),
    };
    let from = db::accounts::find_operated(&state.pool, &from_number.to_string(), client_id)
        .await?
        .filter(db::accounts::is_current)
        .ok_or_else(|| unknown("from_account"))?;
    let to = db::accounts::find_by_number(&state.pool, &to_number.to_string())
        .await?
        .filter(db::accounts::is_current)
        .ok_or_else(|| unknown("to_account"))?;
    for (field, row) in [("from_account", &from), ("to_account", &to)] {
        if row.closed_at.is_some() {
            return Err(AccountsError::Problem(
                Problem::conflict("account_closed", format!("{field}: this account is closed"))
                    .with_field_error(field, "account_closed", "this account is closed"),
            ));
        }
    }
    if from.id == to.id {
        return Err(invalid(
            "to_account",
            "same_account",
            "the destination is the source account",
        ));
    }
    if from.currency != to.currency {
        return Err(invalid(
            "to_account",
            "currency_mismatch",
            "the destination is in another currency than the source",
        ));
    }
    let currency: Currency = from
        .currency
        .parse()
        .map_err(|error| AccountsError::Inconsistent(format!("account {}: {error}", from.id)))?;
    let amount = parse_amount("amount", &request.amount, currency)?;
    if !amount.is_positive() {
        return Err(invalid(
            "amount",
            "not_positive",
            "the amount is above zero",
        ));
    }
    let id = new_id();
    let mut transaction = state.pool.begin().await?;
    db::quotes::lock_client(&mut transaction, client_id).await?;
    if db::standing_orders::templates_of(&mut *transaction, client_id, None)
        .await?
        .len()
        >= MAX_PER_CLIENT
    {
        return Err(AccountsError::Problem(Problem::conflict(
            "too_many_templates",
            format!("A client keeps at most {MAX_PER_CLIENT} payment templates."),
        )));
    }
    db::standing_orders::insert_template(
        &mut transaction,
        id,
        client_id,
        name,
        from.id,
        to.id,
        amount.amount(),
    )
    .await?;
    let row = db::standing_orders::templates_of(&mut *transaction, client_id, Some(id))
        .await?
        .pop()
        .ok_or_else(|| AccountsError::Inconsistent("a template vanished".to_owned()))?;
    let dto = TemplateDto::from(&row);
    let after = serde_json::to_value(&dto).map_err(|error| Problem::internal_from(&error))?;
    audit_change(
        &mut transaction,
        &founder,
        "payment_template.created",
        "payment_template",
        id,
        after,
    )
    .await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// The signed-in client's templates.
#[utoipa::path(get, path = "/v1/me/payment-templates", tag = "accounts",
    security(("bearer" = ["client"])),
    responses((status = 200, body = [TemplateDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn list_templates(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<TemplateDto>>, AccountsError> {
    let client_id = client_of(&founder)?;
    let rows = db::standing_orders::templates_of(&state.pool, client_id, None).await?;
    Ok(Json(rows.iter().map(TemplateDto::from).collect()))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct StandingOrderRequest {
    /// One of the client's templates.
    pub template_id: Uuid,
    /// The day of every month it is paid, 1 to 28.
    #[validate(range(min = 1, max = 28, code = "day_of_month_out_of_range"))]
    #[schema(minimum = 1, maximum = 28)]
    pub day_of_month: i16,
    /// The first day it may be paid; today if left out.
    pub starts_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StandingOrderDto {
    pub id: Uuid,
    pub template_id: Uuid,
    pub day_of_month: i16,
    pub starts_on: NaiveDate,
    /// active or cancelled.
    pub state: String,
    pub created_at: DateTime<Utc>,
    /// The last due date the daily run decided, and how: booked, or skipped with the reason
    /// (insufficient_funds, account_closed, daily_limit_exceeded).
    pub last_due_on: Option<NaiveDate>,
    pub last_outcome: Option<String>,
    pub last_reason: Option<String>,
}

impl From<&StandingOrderRow> for StandingOrderDto {
    fn from(row: &StandingOrderRow) -> StandingOrderDto {
        StandingOrderDto {
            id: row.id,
            template_id: row.template_id,
            day_of_month: row.day_of_month,
            starts_on: row.starts_on,
            state: row.state.clone(),
            created_at: row.created_at,
            last_due_on: row.last_due_on,
            last_outcome: row.last_outcome.clone(),
            last_reason: row.last_reason.clone(),
        }
    }
}

/// Pays one of the client's templates on a day of every month, from `starts_on`.
#[utoipa::path(post, path = "/v1/me/standing-orders", tag = "accounts", request_body = StandingOrderRequest,
    security(("bearer" = ["client"])),
    responses((status = 201, body = StandingOrderDto), (status = 401), (status = 403),
              (status = 404, description = "no such template of the client"),
              (status = 409, description = "too_many_standing_orders"),
              (status = 422, description = "day_of_month_out_of_range, starts_in_the_past")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn create_standing_order(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    ValidatedJson(request): ValidatedJson<StandingOrderRequest>,
) -> Result<(StatusCode, Json<StandingOrderDto>), AccountsError> {
    let client_id = client_of(&founder)?;
    let today = state.calendar.today();
    let starts_on = request.starts_on.unwrap_or(today);
    if starts_on < today {
        return Err(invalid(
            "starts_on",
            "starts_in_the_past",
            "a standing order starts today or later",
        ));
    }
    let id = new_id();
    let mut transaction = state.pool.begin().await?;
    db::quotes::lock_client(&mut transaction, client_id).await?;
    if db::standing_orders::templates_of(&mut *transaction, client_id, Some(request.template_id))
        .await?
        .is_empty()
    {
        return Err(AccountsError::NotFound("payment template"));
    }
    if db::standing_orders::standing_orders_of(&mut *transaction, client_id, None)
        .await?
        .len()
        >= MAX_PER_CLIENT
    {
        return Err(AccountsError::Problem(Problem::conflict(
            "too_many_standing_orders",
            format!("A client keeps at most {MAX_PER_CLIENT} standing orders."),
        )));
    }
    db::standing_orders::insert_standing_order(
        &mut transaction,
        id,
        client_id,
        request.template_id,
        request.day_of_month,
        starts_on,
    )
    .await?;
    let row = db::standing_orders::standing_orders_of(&mut *transaction, client_id, Some(id))
        .await?
        .pop()
        .ok_or_else(|| AccountsError::Inconsistent("a standing order vanished".to_owned()))?;
    let dto = StandingOrderDto::from(&row);
    audit_change(
        &mut transaction,
        &founder,
        "standing_order.created",
        "standing_order",
        id,
        json!({"template_id": request.template_id, "day_of_month": request.day_of_month, "starts_on": starts_on}),
    )
    .await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// The signed-in client's standing orders, each with its last decided payment.
#[utoipa::path(get, path = "/v1/me/standing-orders", tag = "accounts",
    security(("bearer" = ["client"])),
    responses((status = 200, body = [StandingOrderDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn list_standing_orders(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<StandingOrderDto>>, AccountsError> {
    let client_id = client_of(&founder)?;
    let rows = db::standing_orders::standing_orders_of(&state.pool, client_id, None).await?;
    Ok(Json(rows.iter().map(StandingOrderDto::from).collect()))
}

/// Cancels one of the client's active standing orders: no payment is made after it.
#[utoipa::path(post, path = "/v1/me/standing-orders/{id}/cancel", tag = "accounts",
    params(("id" = Uuid, Path, description = "the standing order")),
    security(("bearer" = ["client"])),
    responses((status = 200, body = StandingOrderDto), (status = 401), (status = 403),
              (status = 404, description = "no active standing order of the client with this id")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), order = %id))]
pub async fn cancel_standing_order(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(id): Path<Uuid>,
) -> Result<Json<StandingOrderDto>, AccountsError> {
    let client_id = client_of(&founder)?;
    let mut transaction = state.pool.begin().await?;
    if !db::standing_orders::cancel(&mut transaction, id, client_id, state.calendar.now()).await? {
        return Err(AccountsError::NotFound("standing order"));
    }
    let row = db::standing_orders::standing_orders_of(&mut *transaction, client_id, Some(id))
        .await?
        .pop()
        .ok_or_else(|| AccountsError::Inconsistent("a standing order vanished".to_owned()))?;
    let dto = StandingOrderDto::from(&row);
    audit_change(
        &mut transaction,
        &founder,
        "standing_order.cancelled",
        "standing_order",
        id,
        json!({"state": "cancelled"}),
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(dto))
}
