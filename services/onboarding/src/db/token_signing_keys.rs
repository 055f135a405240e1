//! Token signing keys (see `domain::token_keys` for the rules they follow).

use chrono::{DateTime, Utc};
use imkon_auth::{KeyId, PublicKey, SigningKey};
use sqlx::PgConnection;

use crate::domain::token_keys::StoredKey;

type KeyRow = (
    String,
    String,
    Option<Vec<u8>>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn stored_key(row: KeyRow) -> Result<StoredKey, sqlx::Error> {
    let (kid, x, sealed_seed, created_at, activated_at, retired_at) = row;
    let public_key = KeyId::parse(&kid)
        .and_then(|kid| PublicKey::from_x_base64url(kid, &x))
        .map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
    Ok(StoredKey {
        public_key,
        sealed_seed,
        created_at,
        activated_at,
        retired_at,
    })
}

/// Every key, oldest first.
pub async fn all(connection: &mut PgConnection) -> Result<Vec<StoredKey>, sqlx::Error> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "select kid, public_key, sealed_seed, created_at, activated_at, retired_at
         from token_signing_key order by created_at, kid",
    )
    .fetch_all(connection)
    .await?;
    rows.into_iter().map(stored_key).collect()
}

/// Makes the configured key a stored key: inserted and activated when its kid is new, or
/// replaced and activated when the configuration now names another key under a configured
/// kid (the launcher makes a fresh key per run). Returns the public key stored under the kid,
/// which differs from the configured one only when a generated key holds that kid.
pub async fn ensure_configured(
    connection: &mut PgConnection,
    key: &SigningKey,
) -> Result<String, sqlx::Error> {
    sqlx::query(
        "insert into token_signing_key (kid, public_key, sealed_seed, activated_at)
         values ($1, $2, null, now())
         on conflict (kid) do update
             set public_key = excluded.public_key, created_at = now(), activated_at = now(),
                 retired_at = null
             where token_signing_key.sealed_seed is null
               and token_signing_key.public_key <> excluded.public_key",
    )
    .bind(key.kid().as_str())
    .bind(key.public_key().to_x_base64url())
    .execute(&mut *connection)
    .await?;
    sqlx::query_scalar("select public_key from token_signing_key where kid = $1")
        .bind(key.kid().as_str())
        .fetch_one(connection)
        .await
}

/// Stores a generated key, published but not yet signing; false when its kid is taken.
pub async fn insert_generated(
    connection: &mut PgConnection,
    key: &SigningKey,
    sealed_seed: &[u8],
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into token_signing_key (kid, public_key, sealed_seed)
         values ($1, $2, $3) on conflict (kid) do nothing",
    )
    .bind(key.kid().as_str())
    .bind(key.public_key().to_x_base64url())
    .bind(sealed_seed)
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Marks a key not retired as activated now; false when there is none by that kid.
pub async fn activate(connection: &mut PgConnection, kid: &KeyId) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "update token_signing_key set activated_at = now()
         where kid = $1 and retired_at is null",
    )
    .bind(kid.as_str())
    .execute(connection)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Retires a key not yet retired; false when there is none by that kid.
pub async fn retire(connection: &mut PgConnection, kid: &KeyId) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "update token_signing_key set retired_at = now() where kid = $1 and retired_at is null",
    )
    .bind(kid.as_str())
    .execute(connection)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Serialises changes to the keys, so two administrators cannot retire the last two signers
/// at once.
pub async fn lock(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("lock table token_signing_key in share row exclusive mode")
        .execute(connection)
        .await?;
    Ok(())
}
