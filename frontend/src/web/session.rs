//! Server-side sessions: the browser holds only a random id in `__Host-imkon_session`; what a
//! session knows (later: the person and their tokens) stays on the server.
//!
//! A session ends after [`SessionTimeouts::inactivity`] without a request, and after
//! [`SessionTimeouts::absolute`] whatever the activity, so a stolen id is useful for a bounded
//! time. At login the id is replaced ([`SessionStore::rotate`]) so an id planted before login
//! is worthless after it. The store sits behind a trait: [`postgres::PostgresSessionStore`]
//! keeps sessions in the frontend's database, shared by its replicas and kept across restarts;
//! [`InMemorySessionStore`] serves a single process (the demo and most tests).

pub mod postgres;
pub mod sealing;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::OsRng;
use rand::RngCore;

use crate::web::cookies::{clear_cookie, read_cookie, set_cookie, SameSite, SESSION_COOKIE};

/// Random bytes in a session id.
const SESSION_ID_BYTES: usize = 32;

/// A session id as issued: 32 random bytes, base64url without padding.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    fn generate() -> SessionId {
        let mut bytes = [0u8; SESSION_ID_BYTES];
        OsRng.fill_bytes(&mut bytes);
        SessionId(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Reads the session cookie; a value not of the shape we issue is no session.
    pub fn from_request(headers: &HeaderMap) -> Option<SessionId> {
        let value = read_cookie(headers, SESSION_COOKIE)?;
        let decoded = URL_SAFE_NO_PAD.decode(value).ok()?;
        (decoded.len() == SESSION_ID_BYTES).then(|| SessionId(value.to_owned()))
    }

    /// The `Set-Cookie` value that gives the browser this id. Lax, not Strict, so a link from
    /// an e-mail or the identity provider's redirect back still arrives signed in.
    pub fn cookie(&self) -> HeaderValue {
        set_cookie(SESSION_COOKIE, &self.0, SameSite::Lax, None)
    }

    /// The `Set-Cookie` value that makes the browser forget its session.
    pub fn removal_cookie() -> HeaderValue {
        clear_cookie(SESSION_COOKIE)
    }
}

/// Ids are secrets: they never appear in logs, even through `{:?}`.
impl std::fmt::Debug for SessionId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SessionId(…)")
    }
}

/// How long a session lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimeouts {
    /// The longest gap between two requests.
    pub inactivity: TimeDelta,
    /// The longest a session lives from its creation, however busy.
    pub absolute: TimeDelta,
}

impl SessionTimeouts {
    /// When a session last seen at `last_seen_at` ends: after the inactivity timeout, or at
    /// its absolute deadline if that comes first.
    fn expires_at(
        &self,
        last_seen_at: DateTime<Utc>,
        absolute_expires_at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        (last_seen_at + self.inactivity).min(absolute_expires_at)
    }
}

impl Default for SessionTimeouts {
    /// Fifteen idle minutes and eight hours in all: a working day, and a short window for an
    /// unattended screen, as banks usually choose.
    fn default() -> SessionTimeouts {
        SessionTimeouts {
            inactivity: TimeDelta::minutes(15),
            absolute: TimeDelta::hours(8),
        }
    }
}

/// What a session knows, as named text values (the person's id, their tokens...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionData {
    values: BTreeMap<String, String>,
}

impl SessionData {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }

    /// The values as a JSON object, as a store that writes them somewhere keeps them.
    fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.values)
            .expect("a map of strings to strings always serialises to JSON")
    }

    /// The values back from [`SessionData::to_json`]; `None` for anything else.
    fn from_json(json: &[u8]) -> Option<SessionData> {
        serde_json::from_slice(json)
            .ok()
            .map(|values| SessionData { values })
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session store holds its maximum of {capacity} live sessions")]
    StoreFull { capacity: usize },
    #[error("the session has ended or never existed")]
    NotFound,
    #[error("the session store is unavailable: {0}")]
    Unavailable(String),
}

/// What a store call returns; boxed so the store can live behind `dyn SessionStore`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SessionError>> + Send + 'a>>;

/// Text a store call produces whatever happens, such as metrics.
pub type TextFuture<'a> = Pin<Box<dyn Future<Output = String> + Send + 'a>>;

/// Keeps sessions on the server. Every call takes the current time so expiry is decided in
/// one place and tests need no clock.
pub trait SessionStore: Send + Sync {
    /// Starts a session holding `data`.
    fn create(&self, data: SessionData, now: DateTime<Utc>) -> StoreFuture<'_, SessionId>;

    /// The session's data, counting this as activity; `None` if it ended or never existed.
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Option<SessionData>>;

    /// Replaces the session's data.
    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        data: SessionData,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, ()>;

    /// Moves the session to a fresh id and forgets the old one; its data and its absolute
    /// deadline carry over. Called at login.
    fn rotate<'a>(&'a self, id: &'a SessionId, now: DateTime<Utc>) -> StoreFuture<'a, SessionId>;

    /// Ends the session (logout); ending one that is already gone is not an error.
    fn destroy<'a>(&'a self, id: &'a SessionId) -> StoreFuture<'a, ()>;

    /// Records that `person` (their user id) is signed in in the session. Called when a
    /// sign-in completes.
    fn set_owner<'a>(&'a self, id: &'a SessionId, person: &'a str) -> StoreFuture<'a, ()>;

    /// Ends every session of `person` but `keep`, and answers how many it ended. A password
    /// change calls it, so that a session somebody else holds stops working at once, not when
    /// its cached access token expires.
    fn end_others<'a>(&'a self, person: &'a str, keep: &'a SessionId) -> StoreFuture<'a, u64>;

    /// Ends every session of `person`, and answers how many it ended. A password set with an
    /// emailed link calls it: no session of theirs asked for it, and whoever holds one may be
    /// the reason it was reset.
    fn end_all<'a>(&'a self, person: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            // A fresh id belongs to no session, so every session of the person is "other".
            let none = SessionId::generate();
            self.end_others(person, &none).await
        })
    }

    /// Whether the store can serve requests now: readiness asks, so a load balancer stops
    /// sending visitors to a replica whose session database does not answer. A store in
    /// memory is always ready.
    fn check_ready(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Prometheus text about the store (its connections, its live sessions), appended to the
    /// frontend's `/metrics`; nothing for a store in memory.
    fn render_metrics(&self) -> TextFuture<'_> {
        Box::pin(async { String::new() })
    }
}

struct StoredSession {
    data: SessionData,
    owner: Option<String>,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

impl StoredSession {
    fn is_live(&self, now: DateTime<Utc>, timeouts: SessionTimeouts) -> bool {
        now - self.last_seen_at <= timeouts.inactivity && now - self.created_at <= timeouts.absolute
    }
}

/// Sessions in this process's memory, bounded in number.
pub struct InMemorySessionStore {
    timeouts: SessionTimeouts,
    capacity: usize,
    sessions: Mutex<HashMap<SessionId, StoredSession>>,
}

impl InMemorySessionStore {
    /// The default bound: far more concurrent visitors than one frontend process serves, and
    /// still a few hundred megabytes at most.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    pub fn new(timeouts: SessionTimeouts, capacity: usize) -> InMemorySessionStore {
        InMemorySessionStore {
            timeouts,
            capacity,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn with_sessions<T>(
        &self,
        work: impl FnOnce(&mut HashMap<SessionId, StoredSession>) -> T,
    ) -> T {
        // A panic while holding the lock leaves the map itself consistent (every change is a
        // single insert or remove), so a poisoned lock is still safe to use.
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        work(&mut sessions)
    }

    fn create_now(&self, data: SessionData, now: DateTime<Utc>) -> Result<SessionId, SessionError> {
        let timeouts = self.timeouts;
        let capacity = self.capacity;
        self.with_sessions(|sessions| {
            if sessions.len() >= capacity {
                sessions.retain(|_, session| session.is_live(now, timeouts));
            }
            if sessions.len() >= capacity {
                return Err(SessionError::StoreFull { capacity });
            }
            let id = SessionId::generate();
            sessions.insert(
                id.clone(),
                StoredSession {
                    data,
                    owner: None,
                    created_at: now,
                    last_seen_at: now,
                },
            );
            Ok(id)
        })
    }

    /// Runs `work` on a live session after counting the call as activity; an ended session is
    /// removed and reported as not found.
    fn touch<T>(
        &self,
        id: &SessionId,
        now: DateTime<Utc>,
        work: impl FnOnce(&mut StoredSession) -> T,
    ) -> Option<T> {
        let timeouts = self.timeouts;
        self.with_sessions(|sessions| {
            let session = sessions.get_mut(id)?;
            if !session.is_live(now, timeouts) {
                sessions.remove(id);
                return None;
            }
            session.last_seen_at = now;
            Some(work(session))
        })
    }
}

impl SessionStore for InMemorySessionStore {
    fn create(&self, data: SessionData, now: DateTime<Utc>) -> StoreFuture<'_, SessionId> {
        let result = self.create_now(data, now);
        Box::pin(async move { result })
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Option<SessionData>> {
        let result = self.touch(id, now, |session| session.data.clone());
        Box::pin(async move { Ok(result) })
    }

    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        data: SessionData,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        let result = self
            .touch(id, now, |session| session.data = data)
            .ok_or(SessionError::NotFound);
        Box::pin(async move { result })
    }

    fn rotate<'a>(&'a self, id: &'a SessionId, now: DateTime<Utc>) -> StoreFuture<'a, SessionId> {
        let timeouts = self.timeouts;
        let result = self.with_sessions(|sessions| {
            let session = sessions.remove(id).ok_or(SessionError::NotFound)?;
            if !session.is_live(now, timeouts) {
                return Err(SessionError::NotFound);
            }
            let new_id = SessionId::generate();
            // As in the database, the owner goes with the old id: a sign-in tags the new one.
            sessions.insert(
                new_id.clone(),
                StoredSession {
                    last_seen_at: now,
                    owner: None,
                    ..session
                },
            );
            Ok(new_id)
        });
        Box::pin(async move { result })
    }

    fn destroy<'a>(&'a self, id: &'a SessionId) -> StoreFuture<'a, ()> {
        self.with_sessions(|sessions| sessions.remove(id));
        Box::pin(async { Ok(()) })
    }

    fn set_owner<'a>(&'a self, id: &'a SessionId, person: &'a str) -> StoreFuture<'a, ()> {
        let result = self.with_sessions(|sessions| match sessions.get_mut(id) {
            Some(session) => {
                session.owner = Some(person.to_owned());
                Ok(())
            }
            None => Err(SessionError::NotFound),
        });
        Box::pin(async move { result })
    }

    fn end_others<'a>(&'a self, person: &'a str, keep: &'a SessionId) -> StoreFuture<'a, u64> {
        let ended = self.with_sessions(|sessions| {
            let before = sessions.len();
            sessions.retain(|id, session| id == keep || session.owner.as_deref() != Some(person));
            (before - sessions.len()) as u64
        });
        Box::pin(async move { Ok(ended) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn store() -> InMemorySessionStore {
        InMemorySessionStore::new(SessionTimeouts::default(), 10)
    }

    fn data_with_person() -> SessionData {
        let mut data = SessionData::default();
        data.insert("person_id", "p-1");
        data
    }

    #[tokio::test]
    async fn a_created_session_is_loaded_with_its_data() {
        let store = store();
        let id = store.create(data_with_person(), start()).await.unwrap();
        let data = store.load(&id, start()).await.unwrap().unwrap();
        assert_eq!(data.get("person_id"), Some("p-1"));
    }

    #[tokio::test]
    async fn activity_keeps_a_session_alive_and_idleness_ends_it() {
        let store = store();
        let id = store.create(data_with_person(), start()).await.unwrap();
        let ten_minutes_later = start() + TimeDelta::minutes(10);
        assert!(store.load(&id, ten_minutes_later).await.unwrap().is_some());
        let twenty_minutes_later = start() + TimeDelta::minutes(20);
        assert!(
            store
                .load(&id, twenty_minutes_later)
                .await
                .unwrap()
                .is_some(),
            "ten idle minutes since the last request is within the fifteen allowed"
        );
        let idle_too_long = twenty_minutes_later + TimeDelta::minutes(16);
        assert!(store.load(&id, idle_too_long).await.unwrap().is_none());
        assert!(
            store
                .load(&id, twenty_minutes_later)
                .await
                .unwrap()
                .is_none(),
            "an ended session is gone for good"
        );
    }

    #[tokio::test]
    async fn a_busy_session_still_ends_at_the_absolute_deadline() {
        let store = store();
        let id = store.create(data_with_person(), start()).await.unwrap();
        let mut now = start();
        while now - start() <= TimeDelta::hours(8) {
            now += TimeDelta::minutes(10);
            let live = store.load(&id, now).await.unwrap().is_some();
            assert_eq!(live, now - start() <= TimeDelta::hours(8), "at {now}");
        }
        assert!(
            now - start() > TimeDelta::hours(8),
            "the loop went past the deadline"
        );
    }

    #[tokio::test]
    async fn rotation_moves_the_data_to_a_new_id_and_retires_the_old_one() {
        let store = store();
        let old = store.create(data_with_person(), start()).await.unwrap();
        let new = store.rotate(&old, start()).await.unwrap();
        assert_ne!(old, new);
        assert!(store.load(&old, start()).await.unwrap().is_none());
        let data = store.load(&new, start()).await.unwrap().unwrap();
        assert_eq!(data.get("person_id"), Some("p-1"));
        assert_eq!(
            store.rotate(&old, start()).await,
            Err(SessionError::NotFound)
        );
    }

    #[tokio::test]
    async fn rotation_keeps_the_absolute_deadline() {
        let store = store();
        let old = store.create(SessionData::default(), start()).await.unwrap();
        let mut now = start();
        let mut id = old;
        for _ in 0..60 {
            now += TimeDelta::minutes(10);
            match store.rotate(&id, now).await {
                Ok(new) => id = new,
                Err(error) => {
                    assert_eq!(error, SessionError::NotFound);
                    assert!(now - start() > TimeDelta::hours(8));
                    return;
                }
            }
        }
        panic!("rotating every ten minutes must not keep a session alive for ten hours");
    }

    #[tokio::test]
    async fn saving_replaces_the_data_and_destroying_ends_the_session() {
        let store = store();
        let id = store.create(SessionData::default(), start()).await.unwrap();
        store.save(&id, data_with_person(), start()).await.unwrap();
        assert_eq!(
            store.load(&id, start()).await.unwrap(),
            Some(data_with_person())
        );
        store.destroy(&id).await.unwrap();
        assert!(store.load(&id, start()).await.unwrap().is_none());
        assert_eq!(
            store.save(&id, SessionData::default(), start()).await,
            Err(SessionError::NotFound)
        );
        store.destroy(&id).await.unwrap();
    }

    #[tokio::test]
    async fn a_full_store_makes_room_from_ended_sessions_and_otherwise_refuses() {
        let store = InMemorySessionStore::new(SessionTimeouts::default(), 2);
        store.create(SessionData::default(), start()).await.unwrap();
        store.create(SessionData::default(), start()).await.unwrap();
        assert_eq!(
            store.create(SessionData::default(), start()).await,
            Err(SessionError::StoreFull { capacity: 2 })
        );
        let much_later = start() + TimeDelta::hours(9);
        assert!(store
            .create(SessionData::default(), much_later)
            .await
            .is_ok());
    }

    #[test]
    fn the_session_cookie_is_read_back_and_foreign_values_are_ignored() {
        let id = SessionId::generate();
        let set = id.cookie();
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        assert_eq!(SessionId::from_request(&headers), Some(id));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-imkon_session=planted"),
        );
        assert_eq!(SessionId::from_request(&headers), None);
        assert!(set.to_str().unwrap().contains("HttpOnly; SameSite=Lax"));
    }

    #[tokio::test]
    async fn ending_a_persons_other_sessions_keeps_theirs_here_and_everyone_elses() {
        let store = store();
        let here = store.create(data_with_person(), start()).await.unwrap();
        let elsewhere = store.create(data_with_person(), start()).await.unwrap();
        let someone_else = store.create(data_with_person(), start()).await.unwrap();
        let anonymous = store.create(SessionData::default(), start()).await.unwrap();
        store.set_owner(&here, "p-1").await.unwrap();
        store.set_owner(&elsewhere, "p-1").await.unwrap();
        store.set_owner(&someone_else, "p-2").await.unwrap();
        assert_eq!(store.end_others("p-1", &here).await, Ok(1));
        assert!(store.load(&elsewhere, start()).await.unwrap().is_none());
        for kept in [&here, &someone_else, &anonymous] {
            assert!(store.load(kept, start()).await.unwrap().is_some());
        }
        let rotated = store.rotate(&here, start()).await.unwrap();
        assert_eq!(
            store.end_others("p-1", &someone_else).await,
            Ok(0),
            "a rotated session is tagged again by its sign-in, not by its old id"
        );
        assert!(store.load(&rotated, start()).await.unwrap().is_some());
        assert_eq!(
            store.set_owner(&here, "p-1").await,
            Err(SessionError::NotFound)
        );
    }

    #[test]
    fn session_ids_never_appear_in_debug_output() {
        let id = SessionId::generate();
        assert!(!format!("{id:?}").contains(&id.0));
    }
}
