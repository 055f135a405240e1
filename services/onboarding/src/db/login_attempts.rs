//! Password login attempts, as the lockout policy reads them.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::domain::lockout::{AttemptOutcome, LoginAttempt};

/// How many of a username's latest attempts the policy sees. A lock needs only the last run
/// of failures, which is far shorter; the bound keeps a hammered account cheap to check.
pub const ACCOUNT_HISTORY_LIMIT: i64 = 200;

fn outcome_code(outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Succeeded => "succeeded",
        AttemptOutcome::Failed => "failed",
        AttemptOutcome::Refused => "refused",
    }
}

fn attempt_from_row(row: &sqlx::postgres::PgRow) -> Result<LoginAttempt, sqlx::Error> {
    let outcome: String = row.try_get("outcome")?;
    let outcome = match outcome.as_str() {
        "succeeded" => AttemptOutcome::Succeeded,
        "failed" => AttemptOutcome::Failed,
        "refused" => AttemptOutcome::Refused,
        other => {
            return Err(sqlx::Error::Decode(
                format!("unknown login attempt outcome {other:?}").into(),
            ))
        }
    };
    Ok(LoginAttempt {
        at: row.try_get("attempted_at")?,
        outcome,
    })
}

/// Serialises login attempts on one username and from one address until the transaction
/// ends. The address is locked first, then the username, always in that order, so two
/// attempts never wait on each other crosswise.
pub async fn lock_login(
    connection: &mut PgConnection,
    username: &str,
    source_address: &str,
) -> Result<(), sqlx::Error> {
    for key in [
        format!("login-address:{source_address}"),
        format!("login-username:{username}"),
    ] {
        sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// Records one attempt and returns its id.
pub async fn record(
    connection: &mut PgConnection,
    account_id: Option<Uuid>,
    username: &str,
    source_address: &str,
    attempted_at: DateTime<Utc>,
    outcome: AttemptOutcome,
) -> Result<Uuid, sqlx::Error> {
    let id = imkon_platform::id::new_id();
    sqlx::query(
        "insert into login_attempt (id, account_id, username, source_address, attempted_at, outcome)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(account_id)
    .bind(username)
    .bind(source_address)
    .bind(attempted_at)
    .bind(outcome_code(outcome))
    .execute(connection)
    .await?;
    Ok(id)
}

/// Corrects an attempt recorded as failed before its password was checked, once it matched.
pub async fn mark_succeeded(
    connection: &mut PgConnection,
    attempt_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update login_attempt set outcome = 'succeeded' where id = $1 and outcome = 'failed'",
    )
    .bind(attempt_id)
    .execute(connection)
    .await?;
    Ok(())
}

/// Marks an attempt recorded as failed before its password was checked as refused, when the
/// password could not be checked at all: it then neither counts towards the account's lock
/// nor resets it, and still counts against its address.
pub async fn mark_not_checked(
    connection: &mut PgConnection,
    attempt_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update login_attempt set outcome = 'refused' where id = $1 and outcome = 'failed'",
    )
    .bind(attempt_id)
    .execute(connection)
    .await?;
    Ok(())
}

/// The latest attempts on a username, whether or not an account has it: unknown names lock
/// exactly like known ones, so the lock reveals nothing about which names exist. Attempts
/// before an admin last unlocked the account do not count.
pub async fn recent_for_username(
    connection: &mut PgConnection,
    username: &str,
) -> Result<Vec<LoginAttempt>, sqlx::Error> {
    let rows = sqlx::query(
        "select attempted_at, outcome from login_attempt
         where username = $1
           and attempted_at > coalesce(
               (select unlocked_at from login_account where username = $1), '-infinity')
         order by attempted_at desc limit $2",
    )
    .bind(username)
    .bind(ACCOUNT_HISTORY_LIMIT)
    .fetch_all(connection)
    .await?;
    rows.iter().map(attempt_from_row).collect()
}

/// The attempts from an address since `since`.
pub async fn recent_for_address(
    connection: &mut PgConnection,
    source_address: &str,
    since: DateTime<Utc>,
) -> Result<Vec<LoginAttempt>, sqlx::Error> {
    let rows = sqlx::query(
        "select attempted_at, outcome from login_attempt
         where source_address = $1 and attempted_at > $2",
    )
    .bind(source_address)
    .bind(since)
    .fetch_all(connection)
    .await?;
    rows.iter().map(attempt_from_row).collect()
}
