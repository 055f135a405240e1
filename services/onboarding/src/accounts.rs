//! Creating local login accounts: shared by the staff API, registration and the demo seed.

use imkon_auth::Role;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db;
use crate::db::accounts::{AccountRecord, NewAccountRecord};
use crate::domain::credentials::Username;
use crate::error::{is_unique_violation, OnboardingError};

/// A local account about to be created; the password is already hashed, so that the slow
/// hash runs before the transaction opens.
#[derive(Debug, Clone)]
pub struct NewLocalAccount<'a> {
    pub username: &'a Username,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub roles: &'a [Role],
    pub client_id: Option<Uuid>,
    /// The admin granting the roles; none for registration and seeding.
    pub granted_by: Option<Uuid>,
}

/// Inserts the account and its roles in the caller's transaction. A taken username is a 409
/// `username_taken`.
pub async fn create_local_account(
    connection: &mut PgConnection,
    account: &NewLocalAccount<'_>,
) -> Result<AccountRecord, OnboardingError> {
    let account_id = imkon_platform::id::new_id();
    db::accounts::insert(
        connection,
        &NewAccountRecord {
            id: account_id,
            username: Some(account.username.as_str()),
            password_hash: Some(account.password_hash),
            display_name: account.display_name,
            client_id: account.client_id,
        },
    )
    .await
    .map_err(|error| {
        if is_unique_violation(&error, "login_account_username_key") {
            OnboardingError::conflict("username_taken", "This username is taken.")
        } else {
            error.into()
        }
    })?;
    db::accounts::grant_roles(connection, account_id, account.roles, account.granted_by).await?;
    db::accounts::find_by_id(connection, account_id)
        .await?
        .ok_or_else(|| OnboardingError::Internal("the account just inserted is missing".into()))
}
