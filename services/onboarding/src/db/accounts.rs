//! Login accounts and their roles.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use imkon_auth::Role;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// A login account as stored, with its roles.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub id: Uuid,
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub display_name: String,
    pub client_id: Option<Uuid>,
    pub roles: Vec<Role>,
    /// When an admin disabled the account; it may not sign in while set.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Signing in asks for a new password instead of giving tokens.
    pub must_change_password: bool,
}

/// What a new account starts with.
#[derive(Debug, Clone)]
pub struct NewAccountRecord<'a> {
    pub id: Uuid,
    pub username: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub display_name: &'a str,
    pub client_id: Option<Uuid>,
}

const SELECT_ACCOUNT: &str =
    "select a.id, a.username, a.password_hash, a.display_name, a.client_id, a.disabled_at,
        a.must_change_password,
        coalesce(array_agg(r.role order by r.role) filter (where r.role is not null), '{}') as roles
     from login_account a left join account_role r on r.account_id = a.id";

fn account_from_row(row: &sqlx::postgres::PgRow) -> Result<AccountRecord, sqlx::Error> {
    let role_names: Vec<String> = row.try_get("roles")?;
    let mut roles = role_names
        .iter()
        .map(|name| Role::from_str(name).map_err(|error| sqlx::Error::Decode(Box::new(error))))
        .collect::<Result<Vec<Role>, sqlx::Error>>()?;
    // The platform's fixed role order, as tokens carry them.
    roles.sort();
    Ok(AccountRecord {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        display_name: row.try_get("display_name")?,
        client_id: row.try_get("client_id")?,
        roles,
        disabled_at: row.try_get("disabled_at")?,
        must_change_password: row.try_get("must_change_password")?,
    })
}

pub async fn find_by_username(
    connection: &mut PgConnection,
    username: &str,
) -> Result<Option<AccountRecord>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "{SELECT_ACCOUNT} where a.username = $1 group by a.id"
    ))
    .bind(username)
    .fetch_optional(connection)
    .await?;
    row.as_ref().map(account_from_row).transpose()
}

pub async fn find_by_id(
    connection: &mut PgConnection,
    account_id: Uuid,
) -> Result<Option<AccountRecord>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT_ACCOUNT} where a.id = $1 group by a.id"))
        .bind(account_id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(account_from_row).transpose()
}

/// Inserts an account; a taken username is the unique violation `login_account_username_key`.
pub async fn insert(
    connection: &mut PgConnection,
    account: &NewAccountRecord<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into login_account (id, username, password_hash, display_name, client_id)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(account.id)
    .bind(account.username)
    .bind(account.password_hash)
    .bind(account.display_name)
    .bind(account.client_id)
    .execute(connection)
    .await?;
    Ok(())
}

/// Grants roles the account does not hold yet; roles it holds are left as they were.
pub async fn grant_roles(
    connection: &mut PgConnection,
    account_id: Uuid,
    roles: &[Role],
    granted_by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
    sqlx::query(
        "insert into account_role (account_id, role, granted_by)
         select $1, role, $3 from unnest($2::text[]) as role
         on conflict (account_id, role) do nothing",
    )
    .bind(account_id)
    .bind(&names)
    .bind(granted_by)
    .execute(connection)
    .await?;
    Ok(())
}

/// Links the account to its client profile.
pub async fn set_client_id(
    connection: &mut PgConnection,
    account_id: Uuid,
    client_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("update login_account set client_id = $2 where id = $1")
        .bind(account_id)
        .bind(client_id)
        .execute(connection)
        .await?;
    Ok(())
}

/// Accounts holding at least one of `staff_roles` (and `role`, when given), by display name and
/// then id so that pages do not overlap.
pub async fn staff_directory(
    connection: &mut PgConnection,
    staff_roles: &[Role],
    role: Option<Role>,
    limit: i64,
    offset: i64,
) -> Result<Vec<AccountRecord>, sqlx::Error> {
    let staff_names: Vec<&str> = staff_roles.iter().map(|role| role.as_str()).collect();
    let rows = sqlx::query(&format!(
        "{SELECT_ACCOUNT}
         group by a.id
         having bool_or(r.role = any($1::text[]))
            and ($2::text is null or bool_or(r.role = $2))
         order by a.display_name, a.id
         limit $3 offset $4"
    ))
    .bind(&staff_names)
    .bind(role.map(|role| role.as_str()))
    .bind(limit)
    .bind(offset)
    .fetch_all(connection)
    .await?;
    rows.iter().map(account_from_row).collect()
}

/// Takes away roles the account holds; roles it does not hold are ignored.
pub async fn revoke_roles(
    connection: &mut PgConnection,
    account_id: Uuid,
    roles: &[Role],
) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
    sqlx::query("delete from account_role where account_id = $1 and role = any($2::text[])")
        .bind(account_id)
        .bind(&names)
        .execute(connection)
        .await?;
    Ok(())
}

/// Serialises every change that could leave the bank without an enabled admin (disabling an
/// account, taking the admin role away) until the transaction ends, so that two admins
/// disabling each other at the same moment cannot both succeed.
pub async fn lock_admin_changes(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('onboarding-admin-changes', 0))")
        .execute(connection)
        .await?;
    Ok(())
}

/// How many enabled accounts other than `except` hold the admin role.
pub async fn other_enabled_admins(
    connection: &mut PgConnection,
    except: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from login_account a join account_role r on r.account_id = a.id
         where r.role = 'admin' and a.disabled_at is null and a.id <> $1",
    )
    .bind(except)
    .fetch_one(connection)
    .await
}

/// Disables the account (`Some`) or enables it again (`None`).
pub async fn set_disabled(
    connection: &mut PgConnection,
    account_id: Uuid,
    disabled_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update login_account set disabled_at = $2 where id = $1")
        .bind(account_id)
        .bind(disabled_at)
        .execute(connection)
        .await?;
    Ok(())
}

/// Records an admin's unlock: login attempts before `now` no longer count towards the lock.
pub async fn set_unlocked(
    connection: &mut PgConnection,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update login_account set unlocked_at = $2 where id = $1")
        .bind(account_id)
        .bind(now)
        .execute(connection)
        .await?;
    Ok(())
}

/// Replaces the account's password hash; `must_change` asks for a new password at the next
/// sign-in (a one-time password an admin issued).
pub async fn set_password(
    connection: &mut PgConnection,
    account_id: Uuid,
    password_hash: &str,
    must_change: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update login_account set password_hash = $2, must_change_password = $3 where id = $1",
    )
    .bind(account_id)
    .bind(password_hash)
    .bind(must_change)
    .execute(connection)
    .await?;
    Ok(())
}

/// The enabled founder accounts with a local password whose profile gives `email` (compared
/// without regard to case), at most a few: an address is not unique between profiles.
pub async fn founders_by_email(
    connection: &mut PgConnection,
    email: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select a.id from login_account a join person p on p.client_id = a.client_id
         where lower(p.email) = lower($1) and a.disabled_at is null and a.password_hash is not null
         order by a.id limit 5",
    )
    .bind(email)
    .fetch_all(connection)
    .await
}

/// The email address on the account's client profile, if it has one.
pub async fn email_of(
    connection: &mut PgConnection,
    account_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    let email: Option<Option<String>> = sqlx::query_scalar(
        "select p.email from login_account a join person p on p.client_id = a.client_id
         where a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(connection)
    .await?;
    Ok(email.flatten())
}
