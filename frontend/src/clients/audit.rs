//! Any service's audit trail (`GET /v1/audit`, `GET /v1/audit.csv`), read by administrators.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::clients::api::{send, send_json, CallError, ServiceApi};

/// One audited action.
#[derive(Clone, Debug, Deserialize)]
pub struct AuditRecord {
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<String>,
    #[serde(default)]
    pub actor_roles: Vec<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A page of the trail, newest first.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuditPage {
    pub items: Vec<AuditRecord>,
    pub next_cursor: Option<String>,
}

/// One service's trail on behalf of an administrator; `query` holds the service's filters.
pub struct AuditTrail<'a> {
    pub api: &'a ServiceApi,
    pub token: &'a str,
}

impl AuditTrail<'_> {
    pub async fn page(&self, query: &[(&str, String)]) -> Result<AuditPage, CallError> {
        send_json(
            self.api
                .authorized(Method::GET, "/v1/audit", self.token)
                .query(query),
        )
        .await
    }

    pub async fn csv(&self, query: &[(&str, String)]) -> Result<reqwest::Response, CallError> {
        send(
            self.api
                .authorized(Method::GET, "/v1/audit.csv", self.token)
                .query(query),
        )
        .await
    }
}
