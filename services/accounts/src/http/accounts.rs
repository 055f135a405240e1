//! Accounts: open one, read one, list a client's.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{BankClient, RequireRole};
use imkon_platform::idempotency::{self, Claim, IdempotencyKey, SavedResponse};
use imkon_platform::money::Currency;
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::caller::{AccountOpener, Allowed, Caller, StaffOrService};
use super::{amount_text, client_of, invalid, parse_account_number, MAX_ACCOUNT_NAME_CHARS};
use crate::db;
use crate::db::accounts::AccountRow;
use crate::domain::account::{AccountKind, AccountOwner, ClientId, CompanyId};
use crate::error::AccountsError;
use crate::opening::{open_account, AccountOpening};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/accounts", post(create_account).get(list_accounts))
        .route("/v1/accounts/{number}", get(get_account))
        .route("/v1/me/accounts", get(my_accounts).post(open_my_account))
        .route("/v1/me/accounts/{number}", patch(rename_my_account))
        .route("/v1/me/accounts/{number}/close", post(close_my_account))
}

/// Whose account it is: a person (`{"kind": "client", "client_id"}`), a company
/// (`{"kind": "company", "company_id"}`: its current account, which the founder who had the
/// company approved operates and sees among their own) or the bank (`{"kind": "bank"}`). A
/// company's account is never opened through `POST /v1/accounts`: the bank opens it when the
/// company's KYC is approved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OwnerDto {
    Client { client_id: Uuid },
    Company { company_id: Uuid },
    Bank,
}

/// An account to open. The name's length is bounded here; that it is not blank once trimmed is
/// checked by `trimmed_name`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    pub owner: OwnerDto,
    /// client_current, loan, grant_fund, interest_income, penalty_income, bank_cash,
    /// bank_settlement, loan_loss, fx_position, fx_income or fee_income (a company_current
    /// account opens only on the company's KYC approval)
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
    /// Whose money it is. A founder's `GET /v1/me/accounts` lists their own accounts and then
    /// the current accounts of the companies they operate, whose owner is the company.
    pub owner: OwnerDto,
    pub currency: String,
    pub allow_negative: bool,
    pub name: Option<String>,
    /// The sum of the account's entries, in the account's normal-side sign.
    pub posted_balance: String,
    /// The posted balance less what pending holds reserve.
    pub available_balance: String,
    pub created_at: DateTime<Utc>,
    /// When its owner closed it; a closed account is empty and takes no new entries.
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<&AccountRow> for AccountDto {
    fn from(row: &AccountRow) -> AccountDto {
        AccountDto {
            id: row.id,
            number: row.number.clone(),
            kind: row.kind.clone(),
            owner: match (row.owner_client_id, row.owner_company_id) {
                (Some(client_id), _) => OwnerDto::Client { client_id },
                (None, Some(company_id)) => OwnerDto::Company { company_id },
                (None, None) => OwnerDto::Bank,
            },
            currency: row.currency.clone(),
            allow_negative: row.allow_negative,
            name: row.name.clone(),
            posted_balance: amount_text(row.posted_balance),
            available_balance: amount_text(row.posted_balance - row.pending_holds),
            created_at: row.created_at,
            closed_at: row.closed_at,
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
        // A company's account needs the company approved and its operator recorded, which only
        // the approval event brings; opening one by hand would skip both.
        OwnerDto::Company { .. } => return Err(invalid(
            "owner",
            "company_account_opens_on_approval",
            "a company's current account is opened by the bank when the company's KYC is approved",
        )),
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
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin", "service"])),
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

/// Finds an account the caller may see by its number; another client's is "not found". A
/// company's account is its operating founder's to see.
pub async fn visible_account(
    state: &AppState,
    caller: &Caller,
    field: &str,
    number: &str,
) -> Result<AccountRow, AccountsError> {
    let number = parse_account_number(state, field, number)?;
    let account = db::accounts::find_by_number(&state.pool, &number.to_string())
        .await?
        .ok_or(AccountsError::NotFound("account"))?;
    let operator = match (account.owner_client_id, account.owner_company_id) {
        (None, Some(company_id)) if !caller.sees_every_account() => {
            db::accounts::company_founder(&state.pool, company_id).await?
        }
        (owner, _) => owner,
    };
    if caller.may_see(operator) {
        Ok(account)
    } else {
        Err(AccountsError::NotFound("account"))
    }
}

/// Whose accounts to list: a person's (`client_id`) or a company's (`company_id`), exactly one.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListAccountsQuery {
    pub client_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub kind: Option<String>,
}

/// A client's or a company's accounts, optionally of one kind: staff and services. A person's
/// list holds what they own, not their companies' accounts; disbursement asks for a company's
/// current account with `company_id` and `kind=company_current`.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", params(ListAccountsQuery),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance", "admin", "service"])),
    responses((status = 200, body = [AccountDto]), (status = 401), (status = 403),
              (status = 422, description = "one_owner_needed: neither or both of client_id and company_id")))]
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
    let accounts = match (query.client_id, query.company_id) {
        (Some(client_id), None) => {
            db::accounts::list_for_client(&state.pool, client_id, kind).await?
        }
        (None, Some(company_id)) => {
            db::accounts::list_for_company(&state.pool, company_id, kind).await?
        }
        _ => {
            return Err(invalid(
                "client_id",
                "one_owner_needed",
                "name either client_id or company_id",
            ))
        }
    };
    Ok(Json(accounts.iter().map(AccountDto::from).collect()))
}

/// The signed-in founder's accounts: their own, then the current accounts of the companies
/// they operate (`owner.kind` is `company` on those).
#[utoipa::path(get, path = "/v1/me/accounts", tag = "accounts",
    security(("bearer" = ["client"])),
    responses((status = 200, body = [AccountDto]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn my_accounts(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<AccountDto>>, AccountsError> {
    let Some(client_id) = founder.client_id() else {
        return Ok(Json(Vec::new()));
    };
    let accounts = db::accounts::list_operated_by(&state.pool, client_id).await?;
    Ok(Json(accounts.iter().map(AccountDto::from).collect()))
}

/// A current account the client opens for themselves.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct OpenMyAccountRequest {
    /// UZS, USD or EUR.
    pub currency: String,
    #[serde(default)]
    #[validate(length(min = 1, max = MAX_ACCOUNT_NAME_CHARS, code = "name_length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// A company the client founded, to open the account for it rather than for the client.
    #[serde(default)]
    pub company_id: Option<Uuid>,
}

/// Opens a current account in a currency for the signed-in client, who must have passed KYC
/// (the bank opened their first current account then), or for a company they founded whose
/// KYC was approved (the bank opened its first account then). The bank allows
/// `current_accounts_per_currency` open accounts per currency and holder (one unless
/// configured).
#[utoipa::path(post, path = "/v1/me/accounts", tag = "accounts", request_body = OpenMyAccountRequest,
    params(("Idempotency-Key" = String, Header, description = "makes a retry safe")),
    security(("bearer" = ["client"])),
    responses((status = 201, body = AccountDto), (status = 401),
              (status = 403, description = "kyc_required"),
              (status = 404, description = "company_id names no company the client founded and the bank approved"),
              (status = 409, description = "current_account_limit"),
              (status = 422, description = "unknown_currency, name_length")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject()))]
pub async fn open_my_account(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    key: IdempotencyKey,
    ValidatedJson(request): ValidatedJson<OpenMyAccountRequest>,
) -> Result<Response, AccountsError> {
    let client_id = client_of(&founder)?;
    let currency: Currency = request
        .currency
        .parse()
        .map_err(|_| invalid("currency", "unknown_currency", "UZS, USD or EUR"))?;
    let name = trimmed_name(request.name.as_deref())?;
    let body = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/me/accounts", &body);
    let scope = format!("client:{client_id}:open_account");
    let mut transaction = state.pool.begin().await?;
    if let Claim::Replay(response) =
        idempotency::claim(&mut transaction, &scope, &key, &fingerprint).await?
    {
        return Ok(response);
    }
    let (owner, open) = match request.company_id {
        Some(company_id) => {
            open_company_account_check(&mut transaction, client_id, company_id, currency).await?
        }
        None => open_own_account_check(&mut transaction, client_id, currency).await?,
    };
    let allowed = i64::from(state.current_accounts_per_currency);
    if open >= allowed {
        return Err(AccountsError::Problem(
            Problem::conflict(
                "current_account_limit",
                format!("You already have {open} open {currency} account(s); the bank allows {allowed}."),
            )
            .with_field_error("currency", "current_account_limit", "no more accounts in this currency"),
        ));
    }
    let account = open_account(
        &mut transaction,
        state.bank,
        &AccountOpening {
            kind: match owner {
                AccountOwner::Company(_) => AccountKind::CompanyCurrent,
                AccountOwner::Client(_) | AccountOwner::Bank => AccountKind::ClientCurrent,
            },
            owner,
            currency,
            allow_negative: false,
            name,
        },
    )
    .await?;
    let dto = AccountDto::from(&account);
    audit_client_change(
        &mut transaction,
        &founder,
        "account.opened",
        &account,
        None,
        &dto,
    )
    .await?;
    let saved = SavedResponse::json(StatusCode::CREATED, &dto)?;
    idempotency::save(&mut transaction, &scope, &key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

/// Serialises the client's openings of current accounts, checks they passed KYC and counts
/// their open current accounts in `currency`.
async fn open_own_account_check(
    connection: &mut sqlx::PgConnection,
    client_id: Uuid,
    currency: Currency,
) -> Result<(AccountOwner, i64), AccountsError> {
    db::accounts::lock_owner_kind(
        &mut *connection,
        &client_id.to_string(),
        AccountKind::ClientCurrent.code(),
    )
    .await?;
    if !db::accounts::has_current_account(&mut *connection, client_id).await? {
        return Err(AccountsError::Problem(Problem::forbidden(
            "kyc_required",
            "Accounts are opened once your identity check (KYC) is approved.",
        )));
    }
    let open =
        db::accounts::count_open_current(&mut *connection, client_id, currency.code()).await?;
    Ok((AccountOwner::Client(ClientId::from_uuid(client_id)), open))
}

/// Serialises the openings of the company's current accounts, checks the client founded it and
/// the bank approved it (accounts knows only approved companies), and counts its open current
/// accounts in `currency`.
async fn open_company_account_check(
    connection: &mut sqlx::PgConnection,
    client_id: Uuid,
    company_id: Uuid,
    currency: Currency,
) -> Result<(AccountOwner, i64), AccountsError> {
    if db::accounts::company_founder(&mut *connection, company_id).await? != Some(client_id) {
        return Err(AccountsError::NotFound("company"));
    }
    db::accounts::lock_owner_kind(
        &mut *connection,
        &format!("company:{company_id}"),
        AccountKind::CompanyCurrent.code(),
    )
    .await?;
    let open =
        db::accounts::count_open_company_current(&mut *connection, company_id, currency.code())
            .await?;
    Ok((
        AccountOwner::Company(CompanyId::from_uuid(company_id)),
        open,
    ))
}

async fn audit_client_change(
    connection: &mut sqlx::PgConnection,
    founder: &RequireRole<BankClient>,
    action: &'static str,
    account: &AccountRow,
    before: Option<serde_json::Value>,
    after: &AccountDto,
) -> Result<(), AccountsError> {
    imkon_platform::audit::record(
        connection,
        imkon_platform::audit::AuditEntry {
            actor_id: Some(founder.subject()),
            actor_roles: founder
                .roles()
                .map(|role| role.as_str().to_owned())
                .collect(),
            action,
            subject_type: "account",
            subject_id: account.id.to_string(),
            before,
            after: serde_json::to_value(after).ok(),
            source_address: None,
        },
    )
    .await?;
    Ok(())
}

/// The account with this number that the client may use (their own, or a company's they
/// founded), locked; anyone else's is not found.
async fn lock_my_account(
    state: &AppState,
    connection: &mut sqlx::PgConnection,
    client_id: Uuid,
    number: &str,
) -> Result<AccountRow, AccountsError> {
    let number = parse_account_number(state, "number", number)?;
    let account = db::accounts::lock_operated(connection, &number.to_string(), client_id)
        .await?
        .ok_or(AccountsError::NotFound("account"))?;
    if account.closed_at.is_some() {
        return Err(AccountsError::Problem(Problem::conflict(
            "account_closed",
            "This account is closed.",
        )));
    }
    Ok(account)
}

/// A new name for one of the client's accounts; null clears it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RenameAccountRequest {
    #[validate(length(min = 1, max = MAX_ACCOUNT_NAME_CHARS, code = "name_length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

/// Names (or unnames) one of the signed-in client's open accounts.
#[utoipa::path(patch, path = "/v1/me/accounts/{number}", tag = "accounts", request_body = RenameAccountRequest,
    params(("number" = String, Path, description = "20-digit account number")),
    security(("bearer" = ["client"])),
    responses((status = 200, body = AccountDto), (status = 401), (status = 403),
              (status = 404), (status = 409, description = "account_closed"),
              (status = 422, description = "name_length")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), number = %number))]
pub async fn rename_my_account(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(number): Path<String>,
    ValidatedJson(request): ValidatedJson<RenameAccountRequest>,
) -> Result<Json<AccountDto>, AccountsError> {
    let client_id = client_of(&founder)?;
    let name = trimmed_name(request.name.as_deref())?;
    let mut transaction = state.pool.begin().await?;
    let account = lock_my_account(&state, &mut transaction, client_id, &number).await?;
    let renamed = db::accounts::rename(&mut transaction, account.id, name).await?;
    let dto = AccountDto::from(&renamed);
    audit_client_change(
        &mut transaction,
        &founder,
        "account.renamed",
        &renamed,
        Some(serde_json::json!({"name": account.name})),
        &dto,
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(dto))
}

/// Closes one of the signed-in client's current accounts. Only an empty account (nothing
/// posted, nothing held) closes; it keeps its number and statements and takes no new entries.
#[utoipa::path(post, path = "/v1/me/accounts/{number}/close", tag = "accounts",
    params(("number" = String, Path, description = "20-digit account number")),
    security(("bearer" = ["client"])),
    responses((status = 200, body = AccountDto), (status = 401), (status = 403), (status = 404),
              (status = 409, description = "account_closed, account_not_empty, last_company_account"),
              (status = 422, description = "not_a_current_account")))]
#[tracing::instrument(skip_all, fields(caller = %founder.subject(), number = %number))]
pub async fn close_my_account(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(number): Path<String>,
) -> Result<Json<AccountDto>, AccountsError> {
    let client_id = client_of(&founder)?;
    let mut transaction = state.pool.begin().await?;
    let account = lock_my_account(&state, &mut transaction, client_id, &number).await?;
    if !db::accounts::is_current(&account) {
        return Err(invalid(
            "number",
            "not_a_current_account",
            "only a current account can be closed by its owner",
        ));
    }
    // A company's grants and loans are paid in sums into the current account the bank opened
    // when the company's KYC was approved: its last one in sums stays open (closing a legal
    // entity's settlement account is done at a branch, with the company's own papers).
    let sums = Currency::Uzs.code();
    if let (Some(company_id), true) = (account.owner_company_id, account.currency == sums) {
        if db::accounts::count_open_company_current(&mut *transaction, company_id, sums).await? <= 1
        {
            return Err(AccountsError::Problem(Problem::conflict(
                "last_company_account",
                "This is the company's only account in sums; it is closed at a branch.",
            )));
        }
    }
    if !account.posted_balance.is_zero() || !account.pending_holds.is_zero() {
        return Err(AccountsError::Problem(Problem::conflict(
            "account_not_empty",
            "Only an empty account can be closed: move its money out first, and wait for pending payments.",
        )));
    }
    let closed = db::accounts::close(&mut transaction, account.id, state.calendar.now()).await?;
    let dto = AccountDto::from(&closed);
    audit_client_change(
        &mut transaction,
        &founder,
        "account.closed",
        &closed,
        None,
        &dto,
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(dto))
}
