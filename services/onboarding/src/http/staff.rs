//! Staff accounts and their roles, administered by admins only, and the staff directory that
//! any member of staff may read (to choose a colleague, such as a reviewer).
//!
//! Roles are granted here and nowhere else (registration grants `founder` to the person who
//! registers): an identity provider's claims never grant a role, because the bank does not
//! control what an external provider asserts.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use imkon_auth::extract::{Admin, RequireRole, RoleRequirement, Staff};
use imkon_auth::Role;
use imkon_platform::audit;
use imkon_platform::problem::ValidatedJson;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use chrono::{DateTime, Utc};
use imkon_auth::Principal;
use imkon_platform::id::now_utc;
use rand::Rng;
use sqlx::PgConnection;

use crate::accounts::{create_local_account, NewLocalAccount};
use crate::config::ProviderKind;
use crate::db;
use crate::db::accounts::AccountRecord;
use crate::domain::credentials::{NewPassword, Username};
use crate::domain::lockout::{login_gate, LoginGate};
use crate::error::OnboardingError;
use crate::http::{audit_by, parse_roles, source_address};
use crate::password::hash_password;
use crate::AppState;

/// The longest display name, in characters (the database holds the same limit).
pub const DISPLAY_NAME_MAX_CHARS: u64 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/staff",
            post(create_staff_account).get(list_staff_accounts),
        )
        .route("/v1/staff/{id}/roles", post(grant_roles))
        .route("/v1/staff/{id}/roles/revoke", post(revoke_roles))
        .route("/v1/staff/{id}/disable", post(disable_account))
        .route("/v1/staff/{id}/enable", post(enable_account))
        .route("/v1/staff/{id}/unlock", post(unlock_account))
        .route(
            "/v1/staff/{id}/one-time-password",
            post(issue_one_time_password),
        )
        .route(
            "/v1/staff/{id}/external-identities",
            post(link_external_identity),
        )
}

/// A new staff account. The display name's length and that at least one role is given are
/// declared here; a username's and a password's form and which roles are staff roles are the
/// domain's.
#[derive(Deserialize, ToSchema, Validate)]
pub struct NewStaffRequest {
    username: String,
    password: String,
    #[validate(length(min = 1, max = DISPLAY_NAME_MAX_CHARS, code = "invalid_display_name"))]
    #[schema(min_length = 1, max_length = 200)]
    display_name: String,
    /// Staff roles: kyc_officer, credit_officer, approver, finance, admin.
    #[validate(length(min = 1, code = "no_roles"))]
    #[schema(min_items = 1)]
    roles: Vec<String>,
}

/// Roles to grant or revoke, at least one.
#[derive(Deserialize, ToSchema, Validate)]
pub struct GrantRolesRequest {
    #[validate(length(min = 1, code = "no_roles"))]
    #[schema(min_items = 1)]
    roles: Vec<String>,
}

/// A provider's subject to link; its length is declared here, the provider is checked against
/// the configuration.
#[derive(Deserialize, ToSchema, Validate)]
pub struct ExternalIdentityRequest {
    /// A configured staff identity provider (kind oidc), such as staff.
    provider: String,
    /// The provider's stable subject identifier for this person (`sub`).
    #[validate(length(min = 1, max = EXTERNAL_SUBJECT_MAX_CHARS, code = "invalid_subject"))]
    #[schema(min_length = 1, max_length = 255)]
    subject: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExternalIdentityView {
    account_id: Uuid,
    provider: String,
    subject: String,
}

#[derive(Serialize, ToSchema)]
pub struct StaffAccountView {
    id: Uuid,
    username: Option<String>,
    display_name: String,
    roles: Vec<String>,
    /// Disabled accounts cannot sign in until an admin enables them again.
    disabled: bool,
    /// Until when failed sign-ins lock the account, if they do now.
    locked_until: Option<DateTime<Utc>>,
    /// The account signs in with a one-time password it must replace.
    must_change_password: bool,
}

/// A one-time password, shown to the admin once: it is not stored, only its hash.
#[derive(Serialize, ToSchema)]
pub struct OneTimePasswordView {
    account_id: Uuid,
    password: String,
}

/// The staff directory's filter and page.
#[derive(Deserialize, IntoParams)]
pub struct StaffQuery {
    /// Only accounts holding this staff role: kyc_officer, credit_officer, approver, finance or
    /// admin.
    role: Option<String>,
    /// At most the service's page size.
    limit: Option<u32>,
    /// How many accounts to skip: the `next_offset` of the previous page.
    offset: Option<u32>,
}

/// A page of the staff directory.
#[derive(Serialize, ToSchema)]
pub struct StaffPage {
    items: Vec<StaffAccountView>,
    /// The offset of the next page, when there may be one.
    next_offset: Option<u32>,
}

/// Parses a display name, whose length the request declares: trimmed, not blank.
pub fn parse_display_name(text: &str) -> Result<String, OnboardingError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(OnboardingError::InvalidField {
            field: "display_name".to_owned(),
            code: "invalid_display_name",
            message: format!("a display name is 1 to {DISPLAY_NAME_MAX_CHARS} characters"),
        });
    }
    Ok(trimmed.to_owned())
}

/// Staff roles only: founders come from registration, services never hold a person's account.
fn parse_staff_roles(names: &[String]) -> Result<Vec<Role>, OnboardingError> {
    let roles = parse_roles("roles", names)?;
    if let Some(index) = roles
        .iter()
        .position(|role| matches!(role, Role::Client | Role::Service))
    {
        return Err(OnboardingError::InvalidField {
            field: format!("roles[{index}]"),
            code: "not_a_staff_role",
            message: "only staff roles are granted here".to_owned(),
        });
    }
    Ok(roles)
}

/// The account as listed, with its lock read from its recent sign-in attempts.
async fn view(
    connection: &mut PgConnection,
    state: &AppState,
    account: &AccountRecord,
) -> Result<StaffAccountView, OnboardingError> {
    let locked_until = match &account.username {
        None => None,
        Some(username) => {
            let attempts = db::login_attempts::recent_for_username(connection, username).await?;
            match login_gate(&state.login.lockout, &attempts, &[], now_utc()) {
                LoginGate::Locked { until, .. } => Some(until),
                LoginGate::Allowed => None,
            }
        }
    };
    Ok(StaffAccountView {
        id: account.id,
        username: account.username.clone(),
        display_name: account.display_name.clone(),
        roles: role_names(account),
        disabled: account.disabled_at.is_some(),
        locked_until,
        must_change_password: account.must_change_password,
    })
}

fn role_names(account: &AccountRecord) -> Vec<String> {
    account
        .roles
        .iter()
        .map(|role| role.as_str().to_owned())
        .collect()
}

/// The account an admin acts on: it exists and is not a client's (a founder's account is
/// administered through their own password and the bank's KYC, never given staff powers).
async fn staff_target(
    connection: &mut PgConnection,
    account_id: Uuid,
) -> Result<AccountRecord, OnboardingError> {
    let account = db::accounts::find_by_id(connection, account_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "account" })?;
    if account.client_id.is_some() || account.roles.contains(&Role::Client) {
        return Err(OnboardingError::conflict(
            "not_a_staff_account",
            "A client's account is not administered as staff and never holds a staff role.",
        ));
    }
    Ok(account)
}

/// Refuses a change that would leave no enabled admin: `account` loses its admin powers
/// (disabled, or the admin role taken away). The caller holds the admin-changes lock, so two
/// such changes are decided one after the other.
async fn keep_an_admin(
    connection: &mut PgConnection,
    account: &AccountRecord,
) -> Result<(), OnboardingError> {
    if account.roles.contains(&Role::Admin)
        && account.disabled_at.is_none()
        && db::accounts::other_enabled_admins(connection, account.id).await? == 0
    {
        return Err(OnboardingError::conflict(
            "last_admin",
            "This is the last enabled admin; enable or appoint another admin first.",
        ));
    }
    Ok(())
}

/// Records an admin's change of `account_id` with the state before and after.
async fn audit_change(
    connection: &mut PgConnection,
    admin: &Principal,
    peer: SocketAddr,
    action: &'static str,
    account_id: Uuid,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Result<(), OnboardingError> {
    let mut entry = audit_by(admin, action, "login_account", account_id.to_string());
    entry.before = Some(before);
    entry.after = Some(after);
    entry.source_address = Some(source_address(peer));
    audit::record(connection, entry).await?;
    Ok(())
}

fn state_of(account: &AccountRecord) -> serde_json::Value {
    serde_json::json!({
        "roles": account.roles,
        "disabled": account.disabled_at.is_some(),
        "must_change_password": account.must_change_password,
    })
}

/// The staff directory: staff accounts (those holding a staff role) by display name, optionally
/// only those holding one role. Any member of staff may read it, to choose a colleague; founders
/// and services may not, so the bank's staff list is not public. Disabled accounts are listed
/// too (marked), so that an admin can enable them again.
#[utoipa::path(get, path = "/v1/staff", tag = "staff", params(StaffQuery),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = StaffPage), (status = 401), (status = 403),
              (status = 422, description = "unknown_role or not_a_staff_role")))]
#[tracing::instrument(skip_all, fields(caller = %caller.subject()))]
async fn list_staff_accounts(
    State(state): State<AppState>,
    caller: RequireRole<Staff>,
    Query(query): Query<StaffQuery>,
) -> Result<Json<StaffPage>, OnboardingError> {
    let role = match &query.role {
        None => None,
        Some(name) => Some(parse_staff_role_filter(name)?),
    };
    let limit = query
        .limit
        .unwrap_or(state.limits.max_page_size)
        .clamp(1, state.limits.max_page_size);
    let offset = query.offset.unwrap_or(0);
    let mut connection = state.pool.acquire().await?;
    let accounts = db::accounts::staff_directory(
        &mut connection,
        Staff::ALLOWED,
        role,
        i64::from(limit),
        i64::from(offset),
    )
    .await?;
    let next_offset = (accounts.len() == limit as usize).then(|| offset.saturating_add(limit));
    let mut items = Vec::with_capacity(accounts.len());
    for account in &accounts {
        items.push(view(&mut connection, &state, account).await?);
    }
    Ok(Json(StaffPage { items, next_offset }))
}

/// The role a directory is filtered by: a staff role, since no founder is listed.
fn parse_staff_role_filter(name: &str) -> Result<Role, OnboardingError> {
    let role = name
        .parse::<Role>()
        .map_err(|error| OnboardingError::invalid("role".to_owned(), "unknown_role", &error))?;
    if !Staff::ALLOWED.contains(&role) {
        return Err(OnboardingError::InvalidField {
            field: "role".to_owned(),
            code: "not_a_staff_role",
            message: "the directory lists staff roles only".to_owned(),
        });
    }
    Ok(role)
}

/// Creates a staff account with a local password and its roles.
#[utoipa::path(post, path = "/v1/staff", tag = "staff", request_body = NewStaffRequest,
    security(("bearer" = ["admin"])),
    responses((status = 201, body = StaffAccountView), (status = 403), (status = 409, description = "username_taken"), (status = 422)))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject()))]
async fn create_staff_account(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    ValidatedJson(request): ValidatedJson<NewStaffRequest>,
) -> Result<(StatusCode, Json<StaffAccountView>), OnboardingError> {
    let username = Username::parse(&request.username)
        .map_err(|error| OnboardingError::invalid(error.field(), "invalid_username", &error))?;
    let password = NewPassword::parse(&request.password)
        .map_err(|error| OnboardingError::invalid(error.field(), "invalid_password", &error))?;
    let display_name = parse_display_name(&request.display_name)?;
    let roles = parse_staff_roles(&request.roles)?;
    let password_hash = hash_password(&password).await?;

    let mut transaction = state.pool.begin().await?;
    let account = create_local_account(
        &mut transaction,
        &NewLocalAccount {
            username: &username,
            password_hash: &password_hash,
            display_name: &display_name,
            roles: &roles,
            client_id: None,
            granted_by: Some(admin.subject()),
        },
    )
    .await?;
    let account_id = account.id;
    let mut entry = audit_by(
        &admin,
        "staff.create",
        "login_account",
        account_id.to_string(),
    );
    entry.after = Some(serde_json::json!({
        "username": username.as_str(),
        "display_name": display_name,
        "roles": account.roles,
    }));
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    let created = view(&mut transaction, &state, &account).await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Grants staff roles to an account; roles it already holds are kept. An admin never changes
/// their own roles: one person granting themselves the approver role would undo every four-eyes
/// rule the roles exist for, so a second admin must do it.
#[utoipa::path(post, path = "/v1/staff/{id}/roles", tag = "staff", request_body = GrantRolesRequest,
    params(("id" = Uuid, Path, description = "The account")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = StaffAccountView),
              (status = 403, description = "own_roles: an admin may not change their own roles"),
              (status = 404), (status = 409, description = "not_a_staff_account"), (status = 422)))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject(), account = %account_id))]
async fn grant_roles(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    Path(account_id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<GrantRolesRequest>,
) -> Result<Json<StaffAccountView>, OnboardingError> {
    if account_id == admin.subject() {
        return Err(OnboardingError::forbidden(
            "own_roles",
            "an admin may not change their own roles; another admin must",
        ));
    }
    let roles = parse_staff_roles(&request.roles)?;
    let mut transaction = state.pool.begin().await?;
    let before = staff_target(&mut transaction, account_id).await?;
    db::accounts::grant_roles(&mut transaction, account_id, &roles, Some(admin.subject())).await?;
    let after = db::accounts::find_by_id(&mut transaction, account_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "account" })?;
    let mut entry = audit_by(
        &admin,
        "staff.grant_roles",
        "login_account",
        account_id.to_string(),
    );
    entry.before = Some(serde_json::json!({ "roles": before.roles }));
    entry.after = Some(serde_json::json!({ "roles": after.roles }));
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    let granted = view(&mut transaction, &state, &after).await?;
    transaction.commit().await?;
    Ok(Json(granted))
}

/// Takes staff roles away from an account; roles it does not hold are ignored. An admin never
/// changes their own roles, and the admin role is never taken from the last enabled admin.
#[utoipa::path(post, path = "/v1/staff/{id}/roles/revoke", tag = "staff", request_body = GrantRolesRequest,
    params(("id" = Uuid, Path, description = "The account")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = StaffAccountView),
              (status = 403, description = "own_roles"), (status = 404),
              (status = 409, description = "last_admin or not_a_staff_account"),
              (status = 422, description = "unknown_role or not_a_staff_role")))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject(), account = %account_id))]
async fn revoke_roles(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    Path(account_id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<GrantRolesRequest>,
) -> Result<Json<StaffAccountView>, OnboardingError> {
    if account_id == admin.subject() {
        return Err(OnboardingError::forbidden(
            "own_roles",
            "an admin may not change their own roles; another admin must",
        ));
    }
    let roles = parse_staff_roles(&request.roles)?;
    let mut transaction = state.pool.begin().await?;
    db::accounts::lock_admin_changes(&mut transaction).await?;
    let before = staff_target(&mut transaction, account_id).await?;
    if roles.contains(&Role::Admin) {
        keep_an_admin(&mut transaction, &before).await?;
    }
    db::accounts::revoke_roles(&mut transaction, account_id, &roles).await?;
    let after = staff_target(&mut transaction, account_id).await?;
    audit_change(
        &mut transaction,
        &admin,
        peer,
        "staff.revoke_roles",
        account_id,
        serde_json::json!({ "roles": before.roles }),
        serde_json::json!({ "roles": after.roles }),
    )
    .await?;
    let revoked = view(&mut transaction, &state, &after).await?;
    transaction.commit().await?;
    Ok(Json(revoked))
}

/// Disables an account: it can no longer sign in or refresh, and its refresh tokens are
/// revoked at once, so its sessions end when their access tokens expire. The last enabled
/// admin is never disabled (decided under a lock, so two admins disabling each other at once
/// cannot both succeed), and an admin does not disable themselves.
#[utoipa::path(post, path = "/v1/staff/{id}/disable", tag = "staff",
    params(("id" = Uuid, Path, description = "The account")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = StaffAccountView),
              (status = 403, description = "own_account"), (status = 404),
              (status = 409, description = "last_admin or not_a_staff_account")))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject(), account = %account_id))]
async fn disable_account(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    Path(account_id): Path<Uuid>,
) -> Result<Json<StaffAccountView>, OnboardingError> {
    if account_id == admin.subject() {
        return Err(OnboardingError::forbidden(
            "own_account",
            "an admin may not disable their own account; another admin must",
        ));
    }
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    db::accounts::lock_admin_changes(&mut transaction).await?;
    let before = staff_target(&mut transaction, account_id).await?;
    keep_an_admin(&mut transaction, &before).await?;
    if before.disabled_at.is_none() {
        db::accounts::set_disabled(&mut transaction, account_id, Some(now)).await?;
    }
    let ended =
        db::refresh_tokens::revoke_all_for_account(&mut transaction, account_id, None, now).await?;
    let after = staff_target(&mut transaction, account_id).await?;
    let mut after_state = state_of(&after);
    after_state["sessions_ended"] = serde_json::json!(ended);
    audit_change(
        &mut transaction,
        &admin,
        peer,
        "staff.disable",
        account_id,
        state_of(&before),
        after_state,
    )
    .await?;
    let disabled = view(&mut transaction, &state, &after).await?;
    transaction.commit().await?;
    Ok(Json(disabled))
}

/// Enables a disabled account again; it signs in with its password as before.
#[utoipa::path(post, path = "/v1/staff/{id}/enable", tag = "staff",
    params(("id" = Uuid, Path, description = "The account")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = StaffAccountView), (status = 403), (status = 404),
              (status = 409, description = "not_a_staff_account")))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject(), account = %account_id))]
async fn enable_account(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    Path(account_id): Path<Uuid>,
) -> Result<Json<StaffAccountView>, OnboardingError> {
    let mut transaction = state.pool.begin().await?;
    let before = staff_target(&mut transaction, account_id).await?;
    db::accounts::set_disabled(&mut transaction, account_id, None).await?;
    let after = staff_target(&mut transaction, account_id).await?;
    audit_change(
        &mut transaction,
        &admin,
        peer,
        "staff.enable",
        account_id,
        state_of(&before),
        state_of(&after),
    )
    .await?;
    let enabled = view(&mut transaction, &state, &after).await?;
    transaction.commit().await?;
    Ok(Json(enabled))
}

/// Unlocks an account that failed sign-ins locked: the failures before now no longer count.
#[utoipa::path(post, path = "/v1/staff/{id}/unlock", tag = "staff",
    params(("id" = Uuid, Path, description = "The account")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = StaffAccountView), (status = 403), (status = 404),
              (status = 409, description = "not_a_staff_account")))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject(), account = %account_id))]
async fn unlock_account(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    Path(account_id): Path<Uuid>,
) -> Result<Json<StaffAccountView>, OnboardingError> {
    let mut transaction = state.pool.begin().await?;
    let account = staff_target(&mut transaction, account_id).await?;
    let before = view(&mut transaction, &state, &account).await?;
    db::accounts::set_unlocked(&mut transaction, account_id, now_utc()).await?;
    let after = view(&mut transaction, &state, &account).await?;
    audit_change(
        &mut transaction,
        &admin,
        peer,
        "staff.unlock",
        account_id,
        serde_json::json!({ "locked_until": before.locked_until }),
        serde_json::json!({ "locked_until": after.locked_until }),
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(after))
}

/// Letters of a one-time password: no 0/O or 1/l/I, so it can be read out over the phone.
const ONE_TIME_PASSWORD_ALPHABET: &[u8] =
    b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Letters in a one-time password: about 103 bits from the alphabet above.
const ONE_TIME_PASSWORD_CHARS: usize = 18;

fn one_time_password() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..ONE_TIME_PASSWORD_CHARS)
        .map(|_| {
            let index = rng.gen_range(0..ONE_TIME_PASSWORD_ALPHABET.len());
            char::from(ONE_TIME_PASSWORD_ALPHABET[index])
        })
        .collect()
}

/// Issues a one-time password, shown once in the answer: signing in with it answers with the
/// `change_password` step instead of tokens, and the account's sessions end now. An admin
/// does not issue one to themselves (they change their own password instead).
#[utoipa::path(post, path = "/v1/staff/{id}/one-time-password", tag = "staff",
    params(("id" = Uuid, Path, description = "The account")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = OneTimePasswordView),
              (status = 403, description = "own_account"), (status = 404),
              (status = 409, description = "not_a_staff_account, or no_local_login: the account signs in through a provider")))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject(), account = %account_id))]
async fn issue_one_time_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    Path(account_id): Path<Uuid>,
) -> Result<Json<OneTimePasswordView>, OnboardingError> {
    if account_id == admin.subject() {
        return Err(OnboardingError::forbidden(
            "own_account",
            "an admin changes their own password, not through a one-time one",
        ));
    }
    let password = one_time_password();
    let parsed = NewPassword::parse(&password)
        .map_err(|error| OnboardingError::Internal(error.to_string()))?;
    let password_hash = hash_password(&parsed).await?;
    let now = now_utc();
    let mut transaction = state.pool.begin().await?;
    let before = staff_target(&mut transaction, account_id).await?;
    if before.username.is_none() {
        return Err(OnboardingError::conflict(
            "no_local_login",
            "This account has no username and signs in through an identity provider.",
        ));
    }
    db::accounts::set_password(&mut transaction, account_id, &password_hash, true).await?;
    let ended =
        db::refresh_tokens::revoke_all_for_account(&mut transaction, account_id, None, now).await?;
    let after = staff_target(&mut transaction, account_id).await?;
    let mut after_state = state_of(&after);
    after_state["sessions_ended"] = serde_json::json!(ended);
    audit_change(
        &mut transaction,
        &admin,
        peer,
        "staff.one_time_password",
        account_id,
        state_of(&before),
        after_state,
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(OneTimePasswordView {
        account_id,
        password,
    }))
}

/// The longest provider subject accepted, in characters (the database holds the same limit).
pub const EXTERNAL_SUBJECT_MAX_CHARS: u64 = 255;

/// Links a staff identity provider's subject to a staff account, so that the person can log
/// in there. The account's roles stay the ones granted here: the provider only says who.
#[utoipa::path(post, path = "/v1/staff/{id}/external-identities", tag = "staff",
    request_body = ExternalIdentityRequest,
    params(("id" = Uuid, Path, description = "The staff account")),
    security(("bearer" = ["admin"])),
    responses((status = 201, body = ExternalIdentityView), (status = 403), (status = 404),
              (status = 409, description = "identity_taken: the subject is linked already"),
              (status = 422, description = "unknown_provider, invalid_subject or not_a_staff_account")))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject(), account = %account_id))]
async fn link_external_identity(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    Path(account_id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<ExternalIdentityRequest>,
) -> Result<(StatusCode, Json<ExternalIdentityView>), OnboardingError> {
    let is_staff_provider = state
        .external
        .settings
        .providers
        .get(&request.provider)
        .is_some_and(|provider| provider.kind == ProviderKind::Oidc);
    if !is_staff_provider {
        return Err(OnboardingError::InvalidField {
            field: "provider".to_owned(),
            code: "unknown_provider",
            message: "not a configured staff identity provider".to_owned(),
        });
    }
    let mut transaction = state.pool.begin().await?;
    let account = db::accounts::find_by_id(&mut transaction, account_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "account" })?;
    if account.client_id.is_some() {
        return Err(OnboardingError::InvalidField {
            field: "id".to_owned(),
            code: "not_a_staff_account",
            message: "a client's account cannot log in through a staff provider".to_owned(),
        });
    }
    let linked = db::external_login::link_identity(
        &mut transaction,
        &request.provider,
        &request.subject,
        account_id,
    )
    .await?;
    if !linked {
        return Err(OnboardingError::conflict(
            "identity_taken",
            "This subject is already linked to an account.",
        ));
    }
    let mut entry = audit_by(
        &admin,
        "staff.link_external_identity",
        "login_account",
        account_id.to_string(),
    );
    entry.after = Some(serde_json::json!({
        "provider": request.provider,
        "subject": request.subject,
    }));
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    transaction.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(ExternalIdentityView {
            account_id,
            provider: request.provider,
            subject: request.subject,
        }),
    ))
}
