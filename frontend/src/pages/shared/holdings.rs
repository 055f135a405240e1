//! What a client holds at the bank: open accounts, and applications for funding. Every
//! registered person is a bank client, and applying for funding is one thing a client may do,
//! so the menu and the page a sign-in lands on follow what the client has rather than a kind
//! of person: the money pages appear with the first open account, the funding pages with the
//! first application.
//!
//! The holdings are kept in the session and surveyed again when they are older than a minute,
//! so a client's menu costs the accounts and applications services two calls a minute at most.
//! A page that changes them (opening an account, starting an application) forgets them, so
//! the next page surveys afresh. A service that does not answer hides nothing: its half of the
//! holdings counts as held.

use chrono::{DateTime, Utc};

use crate::clients::accounts::own_accounts;
use crate::clients::api::CallError;
use crate::clients::applications::{ApplicationsCalls, QueueFilter};
use crate::clients::onboarding::REFRESH_TOKEN;
use crate::pages::shared::signed_in::SignedIn;
use crate::web::session::SessionData;
use crate::AppState;

/// The session key of the holdings: the names of what is held, comma-separated.
const HOLDINGS: &str = "holdings";
/// The session key of when the holdings were surveyed, in seconds since the epoch.
const SURVEYED_AT: &str = "holdings.surveyed_at";
/// How long surveyed holdings are trusted before the next page surveys them again.
const FRESH_FOR_SECONDS: i64 = 60;

const ACCOUNTS: &str = "accounts";
const APPLICATIONS: &str = "applications";

/// What a client holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holdings {
    /// At least one open account, so the pages that move money have something to move.
    pub accounts: bool,
    /// At least one application for funding, so the funding pages have something to show.
    pub applications: bool,
}

impl Default for Holdings {
    /// Holdings not yet surveyed count as everything held: a menu must not lose an entry
    /// because a service was slow to answer.
    fn default() -> Holdings {
        Holdings {
            accounts: true,
            applications: true,
        }
    }
}

impl Holdings {
    /// The holdings kept in a session, or everything held when none are kept.
    pub fn load(data: &SessionData) -> Holdings {
        match data.get(HOLDINGS) {
            Some(names) => {
                let held = |name: &str| names.split(',').any(|held| held == name);
                Holdings {
                    accounts: held(ACCOUNTS),
                    applications: held(APPLICATIONS),
                }
            }
            None => Holdings::default(),
        }
    }

    fn names(self) -> String {
        [(self.accounts, ACCOUNTS), (self.applications, APPLICATIONS)]
            .into_iter()
            .filter_map(|(held, name)| held.then_some(name))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Whether the holdings kept in `data` were surveyed less than a minute before `now`.
fn is_fresh(data: &SessionData, now: DateTime<Utc>) -> bool {
    data.get(SURVEYED_AT)
        .and_then(|at| at.parse::<i64>().ok())
        .is_some_and(|at| now.timestamp() - at < FRESH_FOR_SECONDS)
}

/// The signed-in client's holdings, surveyed again when the session's are stale. Staff hold
/// nothing and are never surveyed.
pub async fn current(state: &AppState, signed_in: &mut SignedIn) -> Holdings {
    if !signed_in.person.is_client() {
        return Holdings::default();
    }
    let now = imkon_platform::id::now_utc();
    if is_fresh(signed_in.session(), now) {
        return Holdings::load(signed_in.session());
    }
    let holdings = survey(state, signed_in).await;
    let kept = signed_in
        .keep_all(
            state,
            &[
                (HOLDINGS, Some(holdings.names())),
                (SURVEYED_AT, Some(now.timestamp().to_string())),
            ],
        )
        .await;
    if let Err(error) = kept {
        tracing::warn!(%error, "could not keep the client's holdings in the session");
    }
    holdings
}

/// Forgets the kept holdings after a page changed them, so the next page surveys afresh.
pub async fn forget(state: &AppState, signed_in: &mut SignedIn) {
    if let Err(error) = signed_in.keep(state, SURVEYED_AT, None).await {
        tracing::warn!(%error, "could not forget the client's holdings");
    }
}

/// Asks the accounts and applications services what the client holds, with access tokens
/// the session caches.
async fn survey(state: &AppState, signed_in: &mut SignedIn) -> Holdings {
    let accounts = signed_in.access_token(state, "accounts").await;
    let applications = signed_in.access_token(state, "applications").await;
    survey_with(state, accounts, applications).await
}

/// Surveys a client who is signing in, into the session `data` about to be created. The access
/// tokens it takes are not kept: a sign-in's session holds none until a page asks for one.
pub async fn survey_at_sign_in(state: &AppState, data: &mut SessionData) {
    let Some(refresh_token) = data.get(REFRESH_TOKEN).map(str::to_owned) else {
        return;
    };
    let token = |audience: &'static str| {
        let refresh_token = refresh_token.clone();
        async move {
            state
                .identity
                .access_token(&refresh_token, audience)
                .await
                .map(|answer| answer.access_token)
        }
    };
    let holdings = survey_with(state, token("accounts").await, token("applications").await).await;
    let now = imkon_platform::id::now_utc();
    data.insert(HOLDINGS, holdings.names());
    data.insert(SURVEYED_AT, now.timestamp().to_string());
}

async fn survey_with(
    state: &AppState,
    accounts_token: Result<String, CallError>,
    applications_token: Result<String, CallError>,
) -> Holdings {
    let accounts = match accounts_token {
        Ok(token) => own_accounts(&state.accounts, &token)
            .await
            .map(|accounts| accounts.iter().any(|account| account.is_open())),
        Err(error) => Err(error),
    };
    let applications = match applications_token {
        Ok(token) => ApplicationsCalls {
            api: &state.applications,
            token: &token,
        }
        .list(&QueueFilter::default())
        .await
        .map(|page| !page.items.is_empty()),
        Err(error) => Err(error),
    };
    let held = |answer: Result<bool, CallError>, what: &str| match answer {
        Ok(held) => held,
        Err(error) => {
            tracing::info!(%error, what, "a client's holdings could not be surveyed");
            true
        }
    };
    Holdings {
        accounts: held(accounts, ACCOUNTS),
        applications: held(applications, APPLICATIONS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_round_trip_through_the_session_and_count_as_held_until_surveyed() {
        let mut data = SessionData::default();
        assert_eq!(Holdings::load(&data), Holdings::default());
        for holdings in [
            Holdings {
                accounts: false,
                applications: false,
            },
            Holdings {
                accounts: true,
                applications: false,
            },
            Holdings {
                accounts: false,
                applications: true,
            },
        ] {
            data.insert(HOLDINGS, holdings.names());
            assert_eq!(Holdings::load(&data), holdings);
        }
    }

    #[test]
    fn surveyed_holdings_are_trusted_for_a_minute() {
        let at = |seconds: i64| DateTime::from_timestamp(seconds, 0).unwrap();
        let mut data = SessionData::default();
        assert!(!is_fresh(&data, at(1_000)));
        data.insert(SURVEYED_AT, "1000".to_owned());
        assert!(is_fresh(&data, at(1_059)));
        assert!(!is_fresh(&data, at(1_060)));
    }
}
