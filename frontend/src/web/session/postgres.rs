//! Sessions in the frontend's own PostgreSQL database (`migrations/frontend`), so that every
//! frontend replica serves every visitor and a restart or a deployment signs no one out.
//!
//! The rules, in order:
//!
//! 1. A row is found by the SHA-256 of the session id, never the id itself: the table alone
//!    does not let its reader act as anyone.
//! 2. What the session knows is sealed ([`SessionEncryptionKey`]) for that id hash before it
//!    is written, and opened after it is read: the refresh token is never in the database in
//!    clear. Data that does not open (the key was changed) is treated as no session, so the
//!    visitor signs in again.
//! 3. Expiry is decided by the database in the same statement that reads or writes a row
//!    (`expires_at >= now`), so two replicas never disagree about a session's life, and each
//!    read moves `expires_at` forward by the inactivity timeout, never past the absolute one.
//! 4. Rotation at login deletes the old row and inserts the new one in one transaction: the
//!    old id never works again, and a failure leaves the old session as it was.
//! 5. Expired rows are deleted by [`PostgresSessionStore::sweep_expired`] in batches of a bounded
//!    size, oldest first, skipping rows another replica is sweeping at the same moment.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::sealing::SessionEncryptionKey;
use super::{
    SessionData, SessionError, SessionId, SessionStore, SessionTimeouts, StoreFuture, TextFuture,
};

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/frontend");

/// The frontend database's migrations: its own only, since the frontend keeps none of the
/// services' shared tables (idempotency records, outbox).
pub fn migrator() -> &'static Migrator {
    &MIGRATOR
}

/// How long readiness and a metrics scrape wait for the database.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Sessions in PostgreSQL, their data sealed under the configured key.
#[derive(Clone)]
pub struct PostgresSessionStore {
    pool: PgPool,
    key: SessionEncryptionKey,
    timeouts: SessionTimeouts,
}

/// The SHA-256 of an id, as the table's key.
fn id_hash(id: &SessionId) -> Vec<u8> {
    Sha256::digest(id.0.as_bytes()).to_vec()
}

fn unavailable(error: sqlx::Error) -> SessionError {
    SessionError::Unavailable(error.to_string())
}

impl PostgresSessionStore {
    /// The most expired sessions one sweep statement deletes: enough to keep up with a busy
    /// day in a few statements, few enough that no statement holds locks for long.
    pub const SWEEP_BATCH: i64 = 1_000;

    /// The most batches one sweep runs before it waits for the next round, so a backlog (after
    /// an outage of the sweep) is worked off over several rounds rather than in one long burst.
    const SWEEP_BATCHES_PER_ROUND: u32 = 100;

    /// How often [`PostgresSessionStore::sweep_until`] sweeps.
    pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

    /// A store over `pool`, whose database [`migrator`] has migrated.
    pub fn new(
        pool: PgPool,
        key: SessionEncryptionKey,
        timeouts: SessionTimeouts,
    ) -> PostgresSessionStore {
        PostgresSessionStore {
            pool,
            key,
            timeouts,
        }
    }

    /// The pool the store uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Opens a session's sealed data; data another key sealed (the key was changed) is no
    /// session at all, and is logged so an operator sees why visitors were signed out.
    fn open(&self, hash: &[u8], sealed: &[u8]) -> Option<SessionData> {
        match self.key.open(hash, sealed) {
            Ok(json) => SessionData::from_json(&json),
            Err(error) => {
                tracing::warn!(%error, "a stored session was refused");
                None
            }
        }
    }

    #[tracing::instrument(skip_all)]
    async fn create_now(
        &self,
        data: SessionData,
        now: DateTime<Utc>,
    ) -> Result<SessionId, SessionError> {
        let id = SessionId::generate();
        let hash = id_hash(&id);
        let sealed = self.key.seal(&hash, &data.to_json());
        let absolute_expires_at = now + self.timeouts.absolute;
        let expires_at = self.timeouts.expires_at(now, absolute_expires_at);
        sqlx::query!(
            "insert into frontend_session
                 (id_hash, sealed_data, created_at, last_seen_at, absolute_expires_at, expires_at)
             values ($1, $2, $3, $3, $4, $5)",
            hash,
            sealed,
            now,
            absolute_expires_at,
            expires_at,
        )
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(id)
    }

    #[tracing::instrument(skip_all)]
    async fn load_now(
        &self,
        id: &SessionId,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionData>, SessionError> {
        let hash = id_hash(id);
        let sealed = sqlx::query_scalar!(
            "update frontend_session
             set last_seen_at = $2, expires_at = least($3, absolute_expires_at)
             where id_hash = $1 and expires_at >= $2
             returning sealed_data",
            hash,
            now,
            now + self.timeouts.inactivity,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(sealed.and_then(|sealed| self.open(&hash, &sealed)))
    }

    #[tracing::instrument(skip_all)]
    async fn save_now(
        &self,
        id: &SessionId,
        data: SessionData,
        now: DateTime<Utc>,
    ) -> Result<(), SessionError> {
        let hash = id_hash(id);
        let sealed = self.key.seal(&hash, &data.to_json());
        let saved = sqlx::query!(
            "update frontend_session
             set sealed_data = $2, last_seen_at = $3, expires_at = least($4, absolute_expires_at)
             where id_hash = $1 and expires_at >= $3",
            hash,
            sealed,
            now,
            now + self.timeouts.inactivity,
        )
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        if saved.rows_affected() == 0 {
            return Err(SessionError::NotFound);
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_now(
        &self,
        id: &SessionId,
        now: DateTime<Utc>,
    ) -> Result<SessionId, SessionError> {
        let old_hash = id_hash(id);
        let mut transaction = self.pool.begin().await.map_err(unavailable)?;
        // Deleting first takes the row's lock: two logins racing on one old id cannot both
        // carry it over, the second finds nothing.
        let old = sqlx::query!(
            "delete from frontend_session where id_hash = $1
             returning sealed_data, created_at, absolute_expires_at, expires_at",
            old_hash,
        )
        .fetch_optional(&mut *transaction)
        .await
        .map_err(unavailable)?;
        let Some(old) = old.filter(|old| old.expires_at >= now) else {
            // An expired row found here is gone now, which the sweep would have done anyway.
            transaction.commit().await.map_err(unavailable)?;
            return Err(SessionError::NotFound);
        };
        let Some(data) = self.open(&old_hash, &old.sealed_data) else {
            transaction.commit().await.map_err(unavailable)?;
            return Err(SessionError::NotFound);
        };
        let new_id = SessionId::generate();
        let new_hash = id_hash(&new_id);
        let sealed = self.key.seal(&new_hash, &data.to_json());
        sqlx::query!(
            "insert into frontend_session
                 (id_hash, sealed_data, created_at, last_seen_at, absolute_expires_at, expires_at)
             values ($1, $2, $3, $4, $5, $6)",
            new_hash,
            sealed,
            old.created_at,
            now,
            old.absolute_expires_at,
            self.timeouts.expires_at(now, old.absolute_expires_at),
        )
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
        transaction.commit().await.map_err(unavailable)?;
        Ok(new_id)
    }

    #[tracing::instrument(skip_all)]
    async fn destroy_now(&self, id: &SessionId) -> Result<(), SessionError> {
        sqlx::query!(
            "delete from frontend_session where id_hash = $1",
            id_hash(id)
        )
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// Deletes sessions expired at `now`, at most [`PostgresSessionStore::SWEEP_BATCH`] per
    /// statement and [`PostgresSessionStore::SWEEP_BATCHES_PER_ROUND`] statements; returns
    /// how many it deleted.
    #[tracing::instrument(skip(self))]
    pub async fn sweep_expired(&self, now: DateTime<Utc>) -> Result<u64, SessionError> {
        let mut swept = 0;
        for _ in 0..Self::SWEEP_BATCHES_PER_ROUND {
            let deleted = sqlx::query!(
                "delete from frontend_session
                 where id_hash in (
                     select id_hash from frontend_session
                     where expires_at < $1
                     order by expires_at
                     limit $2
                     for update skip locked
                 )",
                now,
                Self::SWEEP_BATCH,
            )
            .execute(&self.pool)
            .await
            .map_err(unavailable)?
            .rows_affected();
            swept += deleted;
            if deleted < Self::SWEEP_BATCH.unsigned_abs() {
                break;
            }
        }
        Ok(swept)
    }

    /// Sweeps every [`PostgresSessionStore::SWEEP_INTERVAL`] until `shutdown` is cancelled. A
    /// failed round is logged and the next one tries again: expired rows are refused whether
    /// or not they have been swept, so a late sweep costs only space.
    pub async fn sweep_until(self, shutdown: CancellationToken) {
        let mut interval = tokio::time::interval(Self::SWEEP_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = interval.tick() => {}
            }
            match self.sweep_expired(imkon_platform::id::now_utc()).await {
                Ok(0) => {}
                Ok(swept) => tracing::info!(swept, "expired sessions swept"),
                Err(error) => tracing::warn!(%error, "the session sweep failed"),
            }
        }
    }
}

impl SessionStore for PostgresSessionStore {
    fn create(&self, data: SessionData, now: DateTime<Utc>) -> StoreFuture<'_, SessionId> {
        Box::pin(self.create_now(data, now))
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Option<SessionData>> {
        Box::pin(self.load_now(id, now))
    }

    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        data: SessionData,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.save_now(id, data, now))
    }

    fn rotate<'a>(&'a self, id: &'a SessionId, now: DateTime<Utc>) -> StoreFuture<'a, SessionId> {
        Box::pin(self.rotate_now(id, now))
    }

    fn destroy<'a>(&'a self, id: &'a SessionId) -> StoreFuture<'a, ()> {
        Box::pin(self.destroy_now(id))
    }

    fn set_owner<'a>(&'a self, id: &'a SessionId, person: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let tagged = sqlx::query(
                "insert into frontend_session_owner (id_hash, owner_tag)
                 select id_hash, $2 from frontend_session where id_hash = $1
                 on conflict (id_hash) do update set owner_tag = excluded.owner_tag",
            )
            .bind(id_hash(id))
            .bind(self.key.owner_tag(person))
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
            if tagged.rows_affected() == 0 {
                return Err(SessionError::NotFound);
            }
            Ok(())
        })
    }

    fn end_others<'a>(&'a self, person: &'a str, keep: &'a SessionId) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let ended = sqlx::query(
                "delete from frontend_session
                 where id_hash in (select id_hash from frontend_session_owner where owner_tag = $1)
                   and id_hash <> $2",
            )
            .bind(self.key.owner_tag(person))
            .bind(id_hash(keep))
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
            Ok(ended.rows_affected())
        })
    }

    fn check_ready(&self) -> StoreFuture<'_, ()> {
        Box::pin(async {
            let probe = sqlx::query("select 1").execute(&self.pool);
            match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(error)) => Err(unavailable(error)),
                Err(_) => Err(SessionError::Unavailable(
                    "the session database did not answer in time".to_owned(),
                )),
            }
        })
    }

    fn render_metrics(&self) -> TextFuture<'_> {
        Box::pin(async {
            let mut text = String::new();
            let open = self.pool.size();
            // The pool counts idle connections in a usize; it never holds more than its
            // maximum, a u32.
            let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
            let gauges = [
                (
                    "db_pool_connections_max",
                    "The most connections the pool may open.",
                    self.pool.options().get_max_connections(),
                ),
                (
                    "db_pool_connections_open",
                    "Connections the pool holds now.",
                    open,
                ),
                (
                    "db_pool_connections_in_use",
                    "Connections lent out to requests or jobs now.",
                    open.saturating_sub(idle),
                ),
            ];
            for (name, help, value) in gauges {
                text.push_str(&format!(
                    "# HELP {name} {help}\n# TYPE {name} gauge\n\
                     {name}{{service=\"{service}\"}} {value}\n",
                    service = crate::SERVICE,
                ));
            }
            let live = sqlx::query_scalar!(
                r#"select count(*) as "count!" from frontend_session where expires_at >= $1"#,
                imkon_platform::id::now_utc(),
            )
            .fetch_one(&self.pool);
            // Bounded like readiness, so a scrape never waits long on a sick database; the
            // request counters are still worth having without this gauge.
            match tokio::time::timeout(PROBE_TIMEOUT, live).await {
                Ok(Ok(count)) => text.push_str(&format!(
                    "# HELP frontend_sessions_live Sessions not yet expired.\n\
                     # TYPE frontend_sessions_live gauge\n\
                     frontend_sessions_live{{service=\"{service}\"}} {count}\n",
                    service = crate::SERVICE,
                )),
                Ok(Err(error)) => tracing::warn!(%error, "metrics: cannot count the sessions"),
                Err(_) => tracing::warn!("metrics: the session count did not answer in time"),
            }
            text
        })
    }
}
