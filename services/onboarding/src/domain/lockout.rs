//! When a login attempt may even be tried: account lockout and per-address rate limiting.
//!
//! A pure function of the recent attempts and the current time, so the service only has to
//! store attempts and ask before checking a password. While an account is locked the right
//! password is refused too: otherwise the lock would not slow down a guesser at all.

use std::net::{IpAddr, Ipv6Addr};

use chrono::{DateTime, Duration, Utc};

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Succeeded,
    /// The password (or second factor) was wrong.
    Failed,
    /// Refused by this policy before the password was checked. Such attempts neither extend
    /// an account lock nor count as failures, so a guesser cannot keep a victim locked out
    /// forever just by hammering; they do count against their address's rate limit.
    Refused,
}

/// One login attempt, as the service recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAttempt {
    pub at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
}

/// The limits. `Default` gives the bank's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures in a row on one account that lock it.
    pub consecutive_failures_to_lock: u32,
    /// How long a locked account stays locked.
    pub lock_duration: Duration,
    /// Attempts from one address allowed within `address_window`.
    pub attempts_per_address: u32,
    pub address_window: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> LockoutPolicy {
        LockoutPolicy {
            consecutive_failures_to_lock: 5,
            lock_duration: Duration::minutes(15),
            attempts_per_address: 20,
            address_window: Duration::minutes(10),
        }
    }
}

/// Why attempts are refused for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockCause {
    TooManyFailuresOnAccount,
    TooManyAttemptsFromAddress,
}

/// Whether a login attempt may go ahead now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    Allowed,
    Locked {
        until: DateTime<Utc>,
        cause: LockCause,
    },
}

/// Decides whether an attempt on an account, from an address, may check a password `now`.
///
/// `account_attempts` are the account's recent attempts and `address_attempts` those from the
/// address, in any order; the caller passes at least the last lock duration's and window's
/// worth. When both limits apply, the later end is reported, since that is when trying again
/// can succeed.
pub fn login_gate(
    policy: &LockoutPolicy,
    account_attempts: &[LoginAttempt],
    address_attempts: &[LoginAttempt],
    now: DateTime<Utc>,
) -> LoginGate {
    let account_lock = account_locked_until(policy, account_attempts)
        .filter(|until| *until > now)
        .map(|until| (until, LockCause::TooManyFailuresOnAccount));
    let address_lock = address_limited_until(policy, address_attempts, now)
        .map(|until| (until, LockCause::TooManyAttemptsFromAddress));
    match account_lock
        .into_iter()
        .chain(address_lock)
        .max_by_key(|(until, _)| *until)
    {
        Some((until, cause)) => LoginGate::Locked { until, cause },
        None => LoginGate::Allowed,
    }
}

/// The bits of an IPv6 address that name one subscriber: providers give each customer at least
/// a /64, and everything inside it is the customer's to choose.
pub const IPV6_SUBSCRIBER_PREFIX_BITS: u32 = 64;

/// Which address bucket an attempt from `address` counts against for the per-address limit.
///
/// An IPv4 address is its own bucket. An IPv6 address counts with its whole /64: one customer
/// holds at least that many addresses and could otherwise give every guess a fresh one, which
/// would make the per-address limit no limit at all.
pub fn address_bucket(address: IpAddr) -> String {
    match address.to_canonical() {
        IpAddr::V4(address) => address.to_string(),
        IpAddr::V6(address) => {
            let mask = u128::MAX << (128 - IPV6_SUBSCRIBER_PREFIX_BITS);
            let network = Ipv6Addr::from(u128::from(address) & mask);
            format!("{network}/{IPV6_SUBSCRIBER_PREFIX_BITS}")
        }
    }
}

/// When the account's latest lock ends, if it was ever locked. Replays the attempts in time
/// order: a success resets the run of failures, the failure that completes a run starts a
/// lock, and attempts during a lock are ignored.
fn account_locked_until(
    policy: &LockoutPolicy,
    attempts: &[LoginAttempt],
) -> Option<DateTime<Utc>> {
    let mut attempts = attempts.to_vec();
    attempts.sort_by_key(|attempt| attempt.at);
    let mut consecutive_failures = 0u32;
    let mut locked_until: Option<DateTime<Utc>> = None;
    for attempt in attempts {
        if locked_until.is_some_and(|until| attempt.at < until) {
            continue;
        }
        match attempt.outcome {
            AttemptOutcome::Succeeded => consecutive_failures = 0,
            AttemptOutcome::Refused => {}
            AttemptOutcome::Failed => {
                consecutive_failures += 1;
                if consecutive_failures >= policy.consecutive_failures_to_lock {
                    locked_until = Some(attempt.at + policy.lock_duration);
                    consecutive_failures = 0;
                }
            }
        }
    }
    locked_until
}

/// When the address may try again, if it has used up its attempts in the window ending now:
/// the moment enough of its oldest attempts in the window have aged out of it.
fn address_limited_until(
    policy: &LockoutPolicy,
    attempts: &[LoginAttempt],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let window_start = now - policy.address_window;
    let mut recent: Vec<DateTime<Utc>> = attempts
        .iter()
        .map(|attempt| attempt.at)
        .filter(|at| *at > window_start && *at <= now)
        .collect();
    let limit = policy.attempts_per_address as usize;
    if recent.len() < limit {
        return None;
    }
    recent.sort();
    // With n attempts in the window, n - limit + 1 must leave it before one more is allowed;
    // the last of those leaves one window after it was made.
    let must_age_out = recent.len() - limit + 1;
    Some(recent[must_age_out - 1] + policy.address_window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
    }

    fn attempt(seconds: i64, outcome: AttemptOutcome) -> LoginAttempt {
        LoginAttempt {
            at: start() + Duration::seconds(seconds),
            outcome,
        }
    }

    fn failures(count: i64) -> Vec<LoginAttempt> {
        (0..count)
            .map(|index| attempt(index * 10, AttemptOutcome::Failed))
            .collect()
    }

    fn gate(account: &[LoginAttempt], now_seconds: i64) -> LoginGate {
        login_gate(
            &LockoutPolicy::default(),
            account,
            &[],
            start() + Duration::seconds(now_seconds),
        )
    }

    #[test]
    fn four_failures_in_a_row_still_allow_a_try() {
        assert_eq!(gate(&failures(4), 60), LoginGate::Allowed);
    }

    #[test]
    fn five_failures_in_a_row_lock_the_account_for_fifteen_minutes() {
        let locked_until = start() + Duration::seconds(40) + Duration::minutes(15);
        assert_eq!(
            gate(&failures(5), 60),
            LoginGate::Locked {
                until: locked_until,
                cause: LockCause::TooManyFailuresOnAccount
            }
        );
        assert_eq!(gate(&failures(5), 40 + 15 * 60), LoginGate::Allowed);
    }

    #[test]
    fn a_success_resets_the_run_of_failures() {
        let mut history = failures(4);
        history.push(attempt(45, AttemptOutcome::Succeeded));
        history.extend((5..9).map(|index| attempt(index * 10, AttemptOutcome::Failed)));
        assert_eq!(gate(&history, 100), LoginGate::Allowed);
    }

    #[test]
    fn the_right_password_during_a_lock_neither_unlocks_nor_counts() {
        // A success recorded during the lock (say, by a buggy caller) changes nothing.
        let mut history = failures(5);
        history.push(attempt(100, AttemptOutcome::Succeeded));
        assert!(matches!(gate(&history, 120), LoginGate::Locked { .. }));
    }

    #[test]
    fn attempts_during_a_lock_do_not_extend_it() {
        let mut history = failures(5);
        history.extend((0..20).map(|index| attempt(60 + index, AttemptOutcome::Refused)));
        history.extend((0..3).map(|index| attempt(90 + index, AttemptOutcome::Failed)));
        assert_eq!(
            gate(&history, 100),
            LoginGate::Locked {
                until: start() + Duration::seconds(40) + Duration::minutes(15),
                cause: LockCause::TooManyFailuresOnAccount
            }
        );
    }

    #[test]
    fn after_a_lock_ends_five_new_failures_are_needed_to_lock_again() {
        let mut history = failures(5);
        let after = 40 + 15 * 60;
        history.extend((0..4).map(|index| attempt(after + index, AttemptOutcome::Failed)));
        assert_eq!(gate(&history, after + 10), LoginGate::Allowed);
        history.push(attempt(after + 5, AttemptOutcome::Failed));
        assert!(matches!(
            gate(&history, after + 10),
            LoginGate::Locked { .. }
        ));
    }

    #[test]
    fn history_order_does_not_matter() {
        let mut history = failures(5);
        history.reverse();
        assert!(matches!(gate(&history, 60), LoginGate::Locked { .. }));
    }

    #[test]
    fn an_address_is_limited_to_twenty_attempts_in_ten_minutes() {
        let policy = LockoutPolicy::default();
        // Twenty attempts, one every 15 seconds, on many different accounts.
        let from_address: Vec<LoginAttempt> = (0..20)
            .map(|index| attempt(index * 15, AttemptOutcome::Succeeded))
            .collect();
        let now = start() + Duration::seconds(300);
        assert_eq!(
            login_gate(&policy, &[], &from_address[..19], now),
            LoginGate::Allowed
        );
        assert_eq!(
            login_gate(&policy, &[], &from_address, now),
            LoginGate::Locked {
                until: start() + Duration::minutes(10),
                cause: LockCause::TooManyAttemptsFromAddress
            }
        );
        // Once the first attempt is ten minutes old it no longer counts.
        assert_eq!(
            login_gate(&policy, &[], &from_address, start() + Duration::minutes(10)),
            LoginGate::Allowed
        );
    }

    #[test]
    fn when_both_limits_apply_the_later_end_is_reported() {
        let policy = LockoutPolicy::default();
        let from_address: Vec<LoginAttempt> = (0..20)
            .map(|index| attempt(index, AttemptOutcome::Failed))
            .collect();
        let now = start() + Duration::seconds(50);
        assert_eq!(
            login_gate(&policy, &failures(5), &from_address, now),
            LoginGate::Locked {
                until: start() + Duration::seconds(40) + Duration::minutes(15),
                cause: LockCause::TooManyFailuresOnAccount
            }
        );
    }

    #[test]
    fn an_ipv4_address_is_its_own_bucket_and_an_ipv6_address_counts_with_its_slash_64() {
        let bucket = |text: &str| address_bucket(text.parse().unwrap());
        assert_eq!(bucket("203.0.113.7"), "203.0.113.7");
        assert_eq!(bucket("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(
            bucket("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(bucket("2001:db8:1:2::1"), bucket("2001:db8:1:2:ffff::9"));
        assert_ne!(bucket("2001:db8:1:2::1"), bucket("2001:db8:1:3::1"));
        assert_eq!(bucket("::1"), "::/64");
    }

    proptest! {
        #[test]
        fn a_lock_never_ends_in_the_past_and_the_address_limit_is_exact(
            offsets in proptest::collection::vec(0i64..1_200, 0..40),
            now_offset in 0i64..1_500,
        ) {
            let policy = LockoutPolicy::default();
            let history: Vec<LoginAttempt> = offsets
                .iter()
                .map(|offset| attempt(*offset, AttemptOutcome::Failed))
                .collect();
            let now = start() + Duration::seconds(now_offset);
            let in_window = offsets
                .iter()
                .filter(|offset| **offset > now_offset - 600 && **offset <= now_offset)
                .count();
            match login_gate(&policy, &[], &history, now) {
                LoginGate::Allowed => prop_assert!(in_window < 20),
                LoginGate::Locked { until, .. } => {
                    prop_assert!(in_window >= 20);
                    prop_assert!(until > now);
                    // At `until` the address is allowed again, unless it kept trying.
                    let later_attempts = offsets.iter().any(|offset| start() + Duration::seconds(*offset) > now);
                    if !later_attempts {
                        prop_assert_eq!(login_gate(&policy, &[], &history, until), LoginGate::Allowed);
                    }
                }
            }
        }
    }
}
