//! Keeping a service's trusted token keys fresh from onboarding's `/.well-known/jwks.json`,
//! so that onboarding's signing key is rotated without restarting any service.
//!
//! The rules, in order:
//!
//! 1. At start the key set is fetched in the background. Until a fetch has succeeded once, every
//!    token is refused and `/health/ready` answers 503, so no traffic is routed to a replica
//!    that cannot authenticate it.
//! 2. A fetched set is kept for the response's `Cache-Control: max-age`, bounded to
//!    [`JwksPolicy::shortest_cache`, `JwksPolicy::longest_cache`] (1 minute, 1 hour): a
//!    publisher cannot make us fetch on every request, nor keep a retired key trusted for a day.
//!    Without a `max-age`, the shortest is used.
//! 3. When it expires it is fetched again. A failed fetch (unreachable, not 200, not a JWKS,
//!    empty, over [`JWKS_MAX_BYTES`]) keeps the last good set, is logged, and is tried again
//!    after [`JwksPolicy::retry_after_failure`] (sooner while nothing was ever loaded).
//! 4. A token naming an unknown `kid` asks for one fetch, at most once per
//!    [`JwksPolicy::unknown_kid_refetch_interval`]: the `kid` comes from an untrusted header,
//!    and random ones must not make every service hammer onboarding. Within the interval such a
//!    token is refused without a fetch. Requests that arrive while a fetch is in flight wait for
//!    it and then try again with its keys.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use imkon_auth::{Audience, KeyRefresher, PublicKeySet, TokenVerifier, TrustedKeys};

use crate::client::ServiceClient;

/// The largest JWKS document accepted. Ours is a few hundred bytes per key.
pub const JWKS_MAX_BYTES: usize = 64 * 1024;

/// How a key source paces its fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksPolicy {
    /// The least time a fetched set is kept, whatever its `max-age` says.
    pub shortest_cache: Duration,
    /// The most time a fetched set is kept, whatever its `max-age` says.
    pub longest_cache: Duration,
    /// The least time between two fetches caused by tokens naming unknown keys.
    pub unknown_kid_refetch_interval: Duration,
    /// How long after a failed fetch the next one is made, once a set was loaded.
    pub retry_after_failure: Duration,
    /// How long one fetch may take.
    pub fetch_timeout: Duration,
}

/// How long after a failed fetch the next is made while no set was ever loaded: short, since
/// the service is not ready until then (in `imkon up` onboarding starts beside it).
const RETRY_BEFORE_FIRST_LOAD: Duration = Duration::from_secs(1);

impl Default for JwksPolicy {
    fn default() -> Self {
        Self {
            shortest_cache: Duration::from_secs(60),
            longest_cache: Duration::from_secs(60 * 60),
            unknown_kid_refetch_interval: Duration::from_secs(30),
            retry_after_failure: Duration::from_secs(10),
            fetch_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a fetch of the key set failed.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("the key set could not be fetched: {0}")]
    Unreachable(String),
    #[error("the key set's publisher answered {0}")]
    Status(u16),
    #[error("the key set is larger than {JWKS_MAX_BYTES} bytes")]
    TooLarge,
    #[error("the key set is not a valid JWKS: {0}")]
    Invalid(String),
    #[error("the key set is empty")]
    Empty,
}

/// How long a set fetched with this `Cache-Control` header is kept (rule 2).
pub fn cache_lifetime(cache_control: Option<&str>, policy: &JwksPolicy) -> Duration {
    let max_age = cache_control.and_then(|header| {
        header.split(',').find_map(|directive| {
            let (name, value) = directive.trim().split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("max-age") {
                return None;
            }
            value.trim().trim_matches('"').parse::<u64>().ok()
        })
    });
    max_age
        .map(Duration::from_secs)
        .unwrap_or(policy.shortest_cache)
        .clamp(policy.shortest_cache, policy.longest_cache)
}

/// The bound on fetches caused by unknown key ids (rule 4): at most one per interval.
#[derive(Debug)]
pub struct RefetchBound {
    interval: Duration,
    last_permitted: Option<Instant>,
}

impl RefetchBound {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_permitted: None,
        }
    }

    /// Whether a fetch may be made at `now`; a permitted one starts the next interval.
    pub fn permit(&mut self, now: Instant) -> bool {
        let permitted = self
            .last_permitted
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if permitted {
            self.last_permitted = Some(now);
        }
        permitted
    }
}

/// A verifier's key set, fetched from a JWKS URL and kept fresh by the rules above.
#[derive(Debug)]
pub struct JwksKeySource {
    url: String,
    http: ServiceClient,
    keys: TrustedKeys,
    policy: JwksPolicy,
    unknown_kid_bound: Mutex<RefetchBound>,
    /// Held for the length of a fetch, so that fetches never overlap and a request that finds
    /// one in flight waits for its keys rather than starting another.
    fetching: tokio::sync::Mutex<()>,
}

impl JwksKeySource {
    /// A source for `url` that has loaded nothing yet; [`JwksKeySource::spawn_refreshing`]
    /// starts it.
    pub fn new(url: &str, policy: JwksPolicy) -> Result<Arc<Self>, JwksError> {
        let http = ServiceClient::new(policy.fetch_timeout)
            .map_err(|error| JwksError::Unreachable(error.to_string()))?;
        Ok(Arc::new(Self {
            url: url.to_owned(),
            http,
            keys: TrustedKeys::not_loaded(),
            policy,
            unknown_kid_bound: Mutex::new(RefetchBound::new(policy.unknown_kid_refetch_interval)),
            fetching: tokio::sync::Mutex::new(()),
        }))
    }

    /// The keys this source keeps fresh; a verifier made by [`JwksKeySource::verifier`]
    /// trusts them.
    pub fn trusted_keys(&self) -> &TrustedKeys {
        &self.keys
    }

    /// A verifier for `audience` that trusts this source's keys and asks it for a fetch on an
    /// unknown key.
    pub fn verifier(
        self: &Arc<Self>,
        issuer: &str,
        audience: Audience,
    ) -> Result<TokenVerifier, imkon_auth::ConfigError> {
        Ok(
            TokenVerifier::trusting(self.keys.clone(), issuer, audience)?
                .with_refresher(self.clone()),
        )
    }

    /// Starts the background task that fetches now and again at each expiry (rules 1 to 3).
    /// It ends by itself once the source is dropped (no verifier holds it any more). Must be
    /// called inside a Tokio runtime.
    pub fn spawn_refreshing(self: &Arc<Self>) {
        let source: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(source) = source.upgrade() else {
                    return;
                };
                let wait = match source.refresh().await {
                    Ok(lifetime) => lifetime,
                    Err(_) if !source.keys.is_loaded() => RETRY_BEFORE_FIRST_LOAD,
                    Err(_) => source.policy.retry_after_failure,
                };
                drop(source);
                tokio::time::sleep(wait).await;
            }
        });
    }

    /// Fetches the set and trusts it; returns how long it may be kept. On failure the last
    /// good set stays trusted and the failure is logged.
    #[tracing::instrument(skip(self), fields(url = %self.url))]
    pub async fn refresh(&self) -> Result<Duration, JwksError> {
        let _fetching = self.fetching.lock().await;
        self.fetch_and_install().await
    }

    async fn fetch_and_install(&self) -> Result<Duration, JwksError> {
        match self.fetch().await {
            Ok((set, lifetime)) => {
                let key_count = set.len();
                if self.keys.replace(set) {
                    tracing::info!(key_count, "trusting a new token key set");
                }
                Ok(lifetime)
            }
            Err(error) => {
                tracing::warn!(%error, loaded = self.keys.is_loaded(),
                    "the token key set could not be refreshed; the last good one stays trusted");
                Err(error)
            }
        }
    }

    async fn fetch(&self) -> Result<(PublicKeySet, Duration), JwksError> {
        let response = self
            .http
            .get(&self.url)
            .send()
            .await
            .map_err(|error| JwksError::Unreachable(error.to_string()))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(JwksError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > JWKS_MAX_BYTES as u64)
        {
            return Err(JwksError::TooLarge);
        }
        let lifetime = cache_lifetime(
            response
                .headers()
                .get(reqwest::header::CACHE_CONTROL)
                .and_then(|value| value.to_str().ok()),
            &self.policy,
        );
        let body = response
            .bytes()
            .await
            .map_err(|error| JwksError::Unreachable(error.to_string()))?;
        if body.len() > JWKS_MAX_BYTES {
            return Err(JwksError::TooLarge);
        }
        let text =
            std::str::from_utf8(&body).map_err(|error| JwksError::Invalid(error.to_string()))?;
        let set = PublicKeySet::from_jwks_json(text)
            .map_err(|error| JwksError::Invalid(error.to_string()))?;
        if set.is_empty() {
            return Err(JwksError::Empty);
        }
        Ok((set, lifetime))
    }
}

impl KeyRefresher for JwksKeySource {
    fn refresh_for_unknown_key(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let _fetching = self.fetching.lock().await;
            let permitted = self
                .unknown_kid_bound
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .permit(Instant::now());
            if permitted {
                // A failure is logged inside; the token is then refused as before.
                let _ = self.fetch_and_install().await;
            } else {
                tracing::debug!("an unknown key id within the refetch interval: no fetch");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_kid_fetch_is_permitted_once_per_interval() {
        let start = Instant::now();
        let mut bound = RefetchBound::new(Duration::from_secs(30));
        assert!(bound.permit(start), "the first one is permitted");
        for seconds in [0, 1, 10, 29] {
            assert!(
                !bound.permit(start + Duration::from_secs(seconds)),
                "{seconds} s after a fetch, no other"
            );
        }
        assert!(bound.permit(start + Duration::from_secs(30)));
        assert!(!bound.permit(start + Duration::from_secs(31)));
        assert!(bound.permit(start + Duration::from_secs(75)));
    }

    #[test]
    fn a_thousand_random_kids_in_a_minute_cause_at_most_two_fetches() {
        let start = Instant::now();
        let mut bound = RefetchBound::new(Duration::from_secs(30));
        let fetches = (0..1000_u64)
            .filter(|request| bound.permit(start + Duration::from_millis(request * 59)))
            .count();
        assert_eq!(fetches, 2);
    }

    #[test]
    fn the_cache_lifetime_follows_max_age_within_the_bounds() {
        let policy = JwksPolicy::default();
        let seconds = |header: Option<&str>| cache_lifetime(header, &policy).as_secs();
        assert_eq!(seconds(Some("public, max-age=300")), 300);
        assert_eq!(seconds(Some("max-age=\"600\", must-revalidate")), 600);
        assert_eq!(seconds(Some("max-age=0")), 60, "never below a minute");
        assert_eq!(seconds(Some("no-store")), 60);
        assert_eq!(seconds(Some("max-age=86400")), 3600, "never above an hour");
        assert_eq!(seconds(Some("max-age=soon")), 60);
        assert_eq!(seconds(None), 60);
    }
}
