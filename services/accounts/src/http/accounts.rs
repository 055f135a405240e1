//! Accounts: open one, read one, list a client's.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{Founder, RequireRole};
use imkon_platform::idempotency::{self, Claim, IdempotencyKey, SavedResponse};
use imkon_platform::money::Currency;
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::caller::{AccountOpener, Allowed, Caller, StaffOrService};
use super::{amount_text, invalid, parse_account_number, MAX_ACCOUNT_NAME_CHARS};
use crate::db;
use crate::db::accounts::AccountRow;
use crate::domain::account::{AccountKind, AccountOwner, ClientId};
use crate::error::AccountsError;
use crate::opening::{open_account, AccountOpening};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/accounts", post(create_account).get(list_accounts))
        .route("/v1/accounts/{number}", get(get_account))
        .route("/v1/me/accounts", get(my_accounts))
}

/// Whose account it is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OwnerDto {
    Client { client_id: Uuid },
    Bank,
}

/// An account to open. The name's length is bounded here; that it is not blank once trimmed is
/// checked by `trimmed_name`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    pub owner: OwnerDto,
    /// client_current, loan, grant_fund, interest_income, penalty_income, bank_cash,
    /// bank_settlement or loan_loss
    pub kind: String,
    /// UZS, USD or EUR.
    pub currency: String,
    #[serde(default)]
    pub allow_negative: bool,
    #[serde(default)]
    #[validate(length(min = 1, max = MAX_ACCOUNT_NAME_CHARS, code = "name_length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

/// The account's name as stored: trimmed, and refused when nothing is left.
fn trimmed_name(name: Option<&str>) -> Result<Option<&str>, AccountsError> {
    match name.map(str::trim) {
        Some("") => Err(invalid(
            "name",
            "name_length",
            "a name has 1 to 200 characters",
        )),
        other => Ok(other),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountDto {
    pub id: Uuid,
    /// The 20-digit account number.
    pub number: String,
    pub kind: String,
    pub owner: OwnerDto,
    pub currency: String,
    pub allow_negative: bool,
    pub name: Option<String>,
    /// The sum of the account's entries, in the account's normal-side sign.
    pub posted_balance: String,
    /// The posted balance less what pending holds reserve.
    pub available_balance: String,
    pub created_at: DateTime<Utc>,
}

impl From<&AccountRow> for AccountDto {
    fn from(row: &AccountRow) -> AccountDto {
        AccountDto {
            id: row.id,
            number: row.number.clone(),
            kind: row.kind.clone(),
            owner: match row.owner_client_id {
                Some(client_id) => OwnerDto::Client { client_id },
                None => OwnerDto::Bank,
            },
            currency: row.currency.clone(),
            allow_negative: row.allow_negative,
            name: row.name.clone(),
            posted_balance: amount_text(row.posted_balance),
            available_balance: amount_text(row.posted_balance - row.pending_holds),
            created_at: row.created_at,
        }
    }
}

/// Opens an account. A repeat with the same Idempotency-Key returns the same account.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = CreateAccountRequest,
    params(("Idempotency-Key" = String, Header, description = "makes a retry safe")),
    security(("bearer" = ["admin", "service"])),
    responses((status = 201, body = AccountDto), (status = 401), (status = 403),
              (status = 422, description = "invalid kind, owner, currency or name")))]
#[tracing::instrument(skip_all, fields(caller = %opener.subject()))]
pub async fn create_account(
    State(state): State<AppState>,
    opener: Allowed<AccountOpener>,
    key: IdempotencyKey,
    ValidatedJson(request): ValidatedJson<CreateAccountRequest>,
) -> Result<Response, AccountsError> {
    let caller = opener.into_caller();
    let kind: AccountKind = request.kind.parse()?;
    let currency: Currency = request
        .currency
        .parse()
        .map_err(|_| invalid("currency", "unknown_currency", "UZS, USD or EUR"))?;
    let owner = match request.owner {
        OwnerDto::Client { client_id } => AccountOwner::Client(ClientId::from_uuid(client_id)),
        OwnerDto::Bank => AccountOwner::Bank,
    };
    let name = trimmed_name(request.name.as_deref())?;

    let body = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/accounts", &body);
    let scope = format!("{}:open_account", caller.subject());
    let mut transaction = state.pool.begin().await?;
    if let Claim::Replay(response) =
        idempotency::claim(&mut transaction, &scope, &key, &fingerprint).await?
    {
        return Ok(response);
    }
    let account = open_account(
        &mut transaction,
        state.bank,
        &AccountOpening {
            kind,
            owner,
            currency,
            allow_negative: request.allow_negative,
            name,
        },
    )
    .await?;
    let dto = AccountDto::from(&account);
    imkon_platform::audit::record(
        &mut transaction,
        imkon_platform::audit::AuditEntry {
            actor_id: Some(caller.subject()),
            actor_roles: caller.role_names(),
            action: "account.opened",
            subject_type: "account",
            subject_id: account.id.to_string(),
            before: None,
            after: serde_json::to_value(&dto).ok(),
            source_address: None,
        },
    )
    .await?;
    let saved = SavedResponse::json(StatusCode::CREATED, &dto)?;
    idempotency::save(&mut transaction, &scope, &key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

/// An account's details and balances: staff, services, or the founder who owns it.
#[utoipa::path(get, path = "/v1/accounts/{number}", tag = "accounts",
    params(("number" = String, Path, description = "20-digit account number")),
    security(("bearer" = ["founder", "kyc_officer", "credit_officer", "approver", "finance", "admin", "service"])),
    responses((status = 200, body = AccountDto), (status = 401),
              (status = 404, description = "no such account, or another client's"),
              (status = 422, description = "not a valid account number")))]
#[tracing::instrument(skip_all, fields(caller = %caller.subject(), number = %number))]
pub async fn get_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> Result<Json<AccountDto>, AccountsError> {
    let account = visible_account(&state, &caller, "number", &number).await?;
    Ok(Json(AccountDto::from(&account)))
}

/// Finds an account the caller may see by its number; another client's is "not found".
pub async fn visible_account(
    state: &AppState,
    caller: &Caller,
    field: &str,
    number: &str,
) -> Result<AccountRow, AccountsError> {
    let number = parse_account_number(state, field, number)?;
    db::accounts::find_by_number(&state.pool, &number.to_string())
        .await?
        .filter(|account| caller.may_see(account.owner_client_id))
        .ok_or(AccountsError::NotFound("account"))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListAccountsQuery {
    pub client_id: Uuid,
    pub kind: Option<String>,
}

/// A client's accounts, optionally of one kind: staff and services.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", params(ListAccountsQuery),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance", "admin", "service"])),
    responses((status = 200, body = [AccountDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %staff.subject()))]
pub async fn list_accounts(
    State(state): State<AppState>,
    staff: Allowed<StaffOrService>,
    Query(query): Query<ListAccountsQuery>,
) -> Result<Json<Vec<AccountDto>>, AccountsError> {
    let kind = match query.kind.as_deref() {
        Some(kind) => Some(kind.parse::<AccountKind>()?.code()),
        None => None,
    };
    let accounts = db::accounts::list_for_client(&state.pool, query.client_id, kind).await?;
    Ok(Json(accounts.iter().map(AccountDto::from).collect()))
}

/// The signed-in founder's own accounts.
#[utoipa::path(get, path = "/v1/me/accounts", tag = "accounts",
    security(("bearer" = ["founder"])),
    responses((status = 200, body = [AccountDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn my_accounts(
    State(state): State<AppState>,
    founder: RequireRole<Founder>,
) -> Result<Json<Vec<AccountDto>>, AccountsError> {
    let Some(client_id) = founder.client_id() else {
        return Ok(Json(Vec::new()));
    };
    let accounts = db::accounts::list_for_client(&state.pool, client_id, None).await?;
    Ok(Json(accounts.iter().map(AccountDto::from).collect()))
}
