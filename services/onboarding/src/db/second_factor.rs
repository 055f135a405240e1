//! Second factors (sealed TOTP secrets), their recovery codes, and the challenges between a
//! login's first and second factor.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// An account's second factor as stored.
pub struct SecondFactorRecord {
    pub sealed_secret: Vec<u8>,
    pub enrolled: bool,
    pub last_used_step: i64,
}

/// The account's second factor, locked until the transaction ends, so two logins with the
/// same code cannot both pass.
pub async fn find_for_update(
    connection: &mut PgConnection,
    account_id: Uuid,
) -> Result<Option<SecondFactorRecord>, sqlx::Error> {
    let row = sqlx::query(
        "select sealed_secret, enrolled_at is not null as enrolled, last_used_step
         from second_factor where account_id = $1 for update",
    )
    .bind(account_id)
    .fetch_optional(connection)
    .await?;
    row.map(|row| {
        Ok(SecondFactorRecord {
            sealed_secret: row.try_get("sealed_secret")?,
            enrolled: row.try_get("enrolled")?,
            last_used_step: row.try_get("last_used_step")?,
        })
    })
    .transpose()
}

/// Whether the account has an enrolled second factor.
pub async fn is_enrolled(
    connection: &mut PgConnection,
    account_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from second_factor where account_id = $1 and enrolled_at is not null)",
    )
    .bind(account_id)
    .fetch_one(connection)
    .await
}

/// Stores a pending secret for an account that has not enrolled, replacing an earlier
/// pending one. An enrolled factor is never replaced here.
pub async fn save_pending(
    connection: &mut PgConnection,
    account_id: Uuid,
    sealed_secret: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into second_factor (account_id, sealed_secret, enrolled_at, created_at)
         values ($1, $2, null, $3)
         on conflict (account_id) do update
         set sealed_secret = excluded.sealed_secret, created_at = excluded.created_at,
             last_used_step = 0
         where second_factor.enrolled_at is null",
    )
    .bind(account_id)
    .bind(sealed_secret)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

/// Stores an already enrolled secret (the demo staff's), replacing whatever was there.
pub async fn save_enrolled(
    connection: &mut PgConnection,
    account_id: Uuid,
    sealed_secret: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into second_factor (account_id, sealed_secret, enrolled_at, created_at)
         values ($1, $2, $3, $3)
         on conflict (account_id) do update
         set sealed_secret = excluded.sealed_secret, enrolled_at = excluded.enrolled_at,
             created_at = excluded.created_at",
    )
    .bind(account_id)
    .bind(sealed_secret)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

/// Records the step of an accepted code and, on enrolment, that the factor now works.
pub async fn accept_step(
    connection: &mut PgConnection,
    account_id: Uuid,
    step: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update second_factor
         set last_used_step = greatest(last_used_step, $2), enrolled_at = coalesce(enrolled_at, $3)
         where account_id = $1",
    )
    .bind(account_id)
    .bind(step)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

/// Replaces the account's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    connection: &mut PgConnection,
    account_id: Uuid,
    code_hashes: &[[u8; 32]],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from second_factor_recovery_code where account_id = $1")
        .bind(account_id)
        .execute(&mut *connection)
        .await?;
    let ids: Vec<Uuid> = code_hashes
        .iter()
        .map(|_| imkon_platform::id::new_id())
        .collect();
    let hashes: Vec<Vec<u8>> = code_hashes.iter().map(|hash| hash.to_vec()).collect();
    sqlx::query(
        "insert into second_factor_recovery_code (id, account_id, code_sha256, created_at)
         select id, $2, code_sha256, $4 from unnest($1::uuid[], $3::bytea[]) as t (id, code_sha256)",
    )
    .bind(&ids)
    .bind(account_id)
    .bind(&hashes)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

/// Uses an unused recovery code of the account; whether there was one.
pub async fn use_recovery_code(
    connection: &mut PgConnection,
    account_id: Uuid,
    code_hash: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let used = sqlx::query(
        "update second_factor_recovery_code set used_at = $3
         where account_id = $1 and code_sha256 = $2 and used_at is null",
    )
    .bind(account_id)
    .bind(code_hash.as_slice())
    .bind(now)
    .execute(connection)
    .await?;
    Ok(used.rows_affected() == 1)
}

/// A live challenge.
pub struct ChallengeRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub purpose: String,
}

pub async fn insert_challenge(
    connection: &mut PgConnection,
    challenge_hash: &[u8; 32],
    account_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into second_factor_challenge
             (id, challenge_sha256, account_id, purpose, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(imkon_platform::id::new_id())
    .bind(challenge_hash.as_slice())
    .bind(account_id)
    .bind(purpose)
    .bind(now)
    .bind(expires_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// The challenge with this hash if it is unconsumed, unexpired and below the attempt limit,
/// locked until the transaction ends.
pub async fn find_live_challenge(
    connection: &mut PgConnection,
    challenge_hash: &[u8; 32],
    now: DateTime<Utc>,
    max_failed_attempts: i32,
) -> Result<Option<ChallengeRecord>, sqlx::Error> {
    let row = sqlx::query(
        "select id, account_id, purpose from second_factor_challenge
         where challenge_sha256 = $1 and consumed_at is null and expires_at > $2
           and failed_attempts < $3
         for update",
    )
    .bind(challenge_hash.as_slice())
    .bind(now)
    .bind(max_failed_attempts)
    .fetch_optional(connection)
    .await?;
    row.map(|row| {
        Ok(ChallengeRecord {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            purpose: row.try_get("purpose")?,
        })
    })
    .transpose()
}

pub async fn count_failed_attempt(
    connection: &mut PgConnection,
    challenge_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update second_factor_challenge set failed_attempts = failed_attempts + 1 where id = $1",
    )
    .bind(challenge_id)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn consume_challenge(
    connection: &mut PgConnection,
    challenge_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update second_factor_challenge set consumed_at = $2 where id = $1")
        .bind(challenge_id)
        .bind(now)
        .execute(connection)
        .await?;
    Ok(())
}

/// Wrong codes entered for the account since `since`, over all its challenges: a password
/// holder who starts a new login after each few wrong codes still meets the limit.
pub async fn recent_failed_codes(
    connection: &mut PgConnection,
    account_id: Uuid,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce(sum(failed_attempts), 0)::bigint from second_factor_challenge
         where account_id = $1 and created_at > $2",
    )
    .bind(account_id)
    .bind(since)
    .fetch_one(connection)
    .await
}

/// Marks a refresh token as issued after the second factor.
pub async fn mark_refresh_token_passed(
    connection: &mut PgConnection,
    token_sha256: &[u8; 32],
) -> Result<(), sqlx::Error> {
    sqlx::query("update refresh_token set second_factor_passed = true where token_sha256 = $1")
        .bind(token_sha256.as_slice())
        .execute(connection)
        .await?;
    Ok(())
}

/// Whether the refresh token was issued after the second factor.
pub async fn refresh_token_passed(
    connection: &mut PgConnection,
    token_sha256: &[u8; 32],
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce((select second_factor_passed from refresh_token where token_sha256 = $1), false)",
    )
    .bind(token_sha256.as_slice())
    .fetch_one(connection)
    .await
}
