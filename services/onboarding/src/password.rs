//! Password hashing: argon2id with the OWASP parameters (19 MiB of memory, two passes, one
//! lane), stored as PHC strings so the parameters travel with each hash and can be raised
//! later without invalidating old ones.
//!
//! Hashing is deliberately slow, so it runs on the blocking thread pool and never stalls the
//! async workers. In debug builds it is slower still: the workspace should build the argon2
//! crate optimised in the dev profile (`[profile.dev.package.argon2] opt-level = 3`).
//!
//! Each hash takes 19 MiB and a core for tens of milliseconds, and anonymous callers can ask
//! for one (registration, password login). Unbounded, a burst of them would take every core
//! and as much memory as the burst is large, so every hash and verification runs under a
//! [`HashingLimit`]: at most one per core at once, a bounded queue behind them, and a bounded
//! wait in it. A request that finds the queue full, or waits too long, is refused as busy
//! (503 with `Retry-After`) instead of piling up.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::credentials::NewPassword;

/// Memory cost in KiB (19 MiB), OWASP's first recommended argon2id configuration.
pub const MEMORY_COST_KIB: u32 = 19_456;
/// Passes over the memory.
pub const TIME_COST_PASSES: u32 = 2;
/// Lanes.
pub const PARALLELISM_LANES: u32 = 1;

/// Why a password could not be hashed or a stored hash read.
#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    #[error("argon2: {0}")]
    Hashing(String),
    #[error("the hashing task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Too many hashes are running and waiting; the caller should try again shortly.
    #[error("password hashing is busy; try again in {retry_after_seconds} s")]
    Busy { retry_after_seconds: u64 },
}

/// How many password hashes run at once, how many may wait behind them, and for how long.
#[derive(Debug)]
pub struct HashingLimit {
    /// One permit per hash allowed to run.
    running: Arc<Semaphore>,
    /// One permit per hash allowed to run or wait: the queue's bound.
    admitted: Arc<Semaphore>,
    max_wait: Duration,
}

impl HashingLimit {
    /// Callers a core may have waiting behind its running hash: at tens of milliseconds a
    /// hash, they are served within about a second.
    pub const QUEUED_PER_CORE: usize = 16;
    /// The longest a hash waits for its turn before the caller is told to come back.
    pub const MAX_WAIT: Duration = Duration::from_secs(2);

    /// At most `concurrent` hashes at once and `queued` more waiting, each at most `max_wait`.
    pub fn new(concurrent: usize, queued: usize, max_wait: Duration) -> HashingLimit {
        let concurrent = concurrent.max(1);
        HashingLimit {
            running: Arc::new(Semaphore::new(concurrent)),
            admitted: Arc::new(Semaphore::new(concurrent + queued)),
            max_wait,
        }
    }

    /// One hash per core this process may use, as the operating system reports them.
    pub fn for_this_machine() -> HashingLimit {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        HashingLimit::new(cores, cores * Self::QUEUED_PER_CORE, Self::MAX_WAIT)
    }

    /// The process's limit: every hash in the process shares the machine's cores.
    pub fn shared() -> &'static HashingLimit {
        static SHARED: OnceLock<HashingLimit> = OnceLock::new();
        SHARED.get_or_init(HashingLimit::for_this_machine)
    }

    fn busy(&self) -> PasswordHashError {
        PasswordHashError::Busy {
            retry_after_seconds: self.max_wait.as_secs().max(1),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free. Both permits move into the
    /// blocking task, so a caller that gives up (a dropped request) still holds its place
    /// until the hash it started has finished: the bound is on work, not on waiting callers.
    pub async fn run<T, F>(&self, work: F) -> Result<T, PasswordHashError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let admission = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| self.busy())?;
        let permit = tokio::time::timeout(self.max_wait, Arc::clone(&self.running).acquire_owned())
            .await
            .map_err(|_| self.busy())?
            .map_err(|_| self.busy())?;
        let result = tokio::task::spawn_blocking(move || {
            let outcome = work();
            drop(permit);
            drop(admission);
            outcome
        })
        .await?;
        Ok(result)
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_COST_KIB, TIME_COST_PASSES, PARALLELISM_LANES, None)
        .expect("the OWASP argon2id parameters are within argon2's limits");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a new password with a fresh random salt.
pub async fn hash_password(password: &NewPassword) -> Result<String, PasswordHashError> {
    let password = password.expose().to_owned();
    HashingLimit::shared()
        .run(move || {
            let salt = SaltString::generate(&mut OsRng);
            hasher()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|error| PasswordHashError::Hashing(error.to_string()))
        })
        .await?
}

/// A hash of a password nobody knows, verified against when the username is unknown so that
/// an unknown user costs the same time as a wrong password and timing does not reveal which
/// usernames exist.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(b"decoy password that matches no account", &salt)
            .map(|hash| hash.to_string())
            .expect("hashing a constant with fixed valid parameters succeeds")
    })
}

/// Whether `password` matches `stored_hash`; with no stored hash, a decoy is checked and the
/// answer is no.
pub async fn verify_password(
    password: &str,
    stored_hash: Option<String>,
) -> Result<bool, PasswordHashError> {
    let password = password.to_owned();
    HashingLimit::shared()
        .run(move || {
            let (hash_text, is_decoy) = match &stored_hash {
                Some(hash) => (hash.as_str(), false),
                None => (decoy_hash(), true),
            };
            let parsed = PasswordHash::new(hash_text)
                .map_err(|error| PasswordHashError::Hashing(error.to_string()))?;
            let matches = hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(matches && !is_decoy)
        })
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    /// Work that takes `duration` and counts how many of its kind run at the same time.
    fn counted_work(
        running: &Arc<AtomicUsize>,
        peak: &Arc<AtomicUsize>,
        duration: Duration,
    ) -> impl FnOnce() + Send + 'static {
        let running = Arc::clone(running);
        let peak = Arc::clone(peak);
        move || {
            let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now_running, Ordering::SeqCst);
            std::thread::sleep(duration);
            running.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_the_limit_has_permits() {
        let limit = Arc::new(HashingLimit::new(2, 64, Duration::from_secs(30)));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let limit = Arc::clone(&limit);
                let work = counted_work(&running, &peak, Duration::from_millis(40));
                tokio::spawn(async move { limit.run(work).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hash_that_would_wait_too_long_is_refused_as_busy() {
        let limit = Arc::new(HashingLimit::new(1, 8, Duration::from_millis(100)));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let slow = counted_work(&running, &peak, Duration::from_millis(1_500));
        let holder = {
            let limit = Arc::clone(&limit);
            tokio::spawn(async move { limit.run(slow).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let refused = limit.run(|| ()).await;
        assert!(
            matches!(
                refused,
                Err(PasswordHashError::Busy {
                    retry_after_seconds: 1
                })
            ),
            "{refused:?}"
        );
        assert!(started.elapsed() < Duration::from_millis(1_000));
        holder.await.unwrap().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_beyond_the_queue_are_refused_at_once_without_waiting() {
        let limit = Arc::new(HashingLimit::new(1, 1, Duration::from_secs(30)));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let holders: Vec<_> = (0..2)
            .map(|_| {
                let limit = Arc::clone(&limit);
                let work = counted_work(&running, &peak, Duration::from_millis(500));
                tokio::spawn(async move { limit.run(work).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        assert!(matches!(
            limit.run(|| ()).await,
            Err(PasswordHashError::Busy { .. })
        ));
        assert!(started.elapsed() < Duration::from_millis(100));
        for holder in holders {
            holder.await.unwrap().unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_gives_up_keeps_its_permit_until_its_hash_ends() {
        let limit = Arc::new(HashingLimit::new(1, 8, Duration::from_millis(100)));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let slow = counted_work(&running, &peak, Duration::from_millis(600));
        let abandoned = {
            let limit = Arc::clone(&limit);
            tokio::spawn(async move { limit.run(slow).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        abandoned.abort();
        assert!(matches!(
            limit.run(|| ()).await,
            Err(PasswordHashError::Busy { .. })
        ));
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert!(limit.run(|| ()).await.is_ok());
    }

    #[tokio::test]
    async fn a_hash_is_argon2id_with_the_owasp_parameters_and_verifies_only_its_password() {
        let password = NewPassword::parse("a long enough password").unwrap();
        let hash = hash_password(&password).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password("a long enough password", Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("another password!!", Some(hash))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(
            !verify_password("decoy password that matches no account", None)
                .await
                .unwrap()
        );
    }
}
