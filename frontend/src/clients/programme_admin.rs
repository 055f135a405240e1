//! The applications service's programme administration: every programme with its state, and
//! the administrator's changes (a new programme, budget, closing and opening, the definition
//! while nothing is submitted).

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Method;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::clients::api::{send, send_json, CallError, ServiceApi};
use crate::clients::applications::{path_segment, LocalizedText};

/// A programme's eligibility rules, as the service stores them.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Eligibility {
    #[serde(default)]
    pub min_company_age_months: Option<u32>,
    #[serde(default)]
    pub max_company_age_months: Option<u32>,
    #[serde(default)]
    pub it_park_residency_required: bool,
    #[serde(default)]
    pub kyc_approval_required: bool,
    #[serde(default)]
    pub max_founder_age_years: Option<u32>,
    #[serde(default)]
    pub no_overdue_loan_required: bool,
}

/// A programme as the administrator sees it.
#[derive(Clone, Debug, Deserialize)]
pub struct AdminProgramme {
    pub id: String,
    pub kind: String,
    pub name: LocalizedText,
    pub currency: String,
    pub total_budget: String,
    pub committed_amount: String,
    pub available_amount: String,
    pub min_amount: String,
    pub max_amount: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    #[serde(default)]
    pub eligibility: Eligibility,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub has_submitted_applications: bool,
}

/// The fields of a programme's answer that are its state, not its definition.
const STATE_FIELDS: [&str; 7] = [
    "id",
    "committed_amount",
    "available_amount",
    "created_at",
    "updated_at",
    "closed_at",
    "has_submitted_applications",
];

/// What an administrator changes of a programme's definition from the page.
pub struct DefinitionChange {
    /// The name by language code (`uz-Latn`, `uz-Cyrl`, `ru`, `en`).
    pub name: Vec<(&'static str, String)>,
    pub opens_on: String,
    pub closes_on: String,
}

/// Programme administration on behalf of an administrator.
pub struct ProgrammeAdmin<'a> {
    pub api: &'a ServiceApi,
    pub token: &'a str,
}

impl ProgrammeAdmin<'_> {
    fn call(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.api.authorized(method, path, self.token)
    }

    pub async fn programmes(&self) -> Result<Vec<AdminProgramme>, CallError> {
        send_json(self.call(Method::GET, "/v1/programmes")).await
    }

    /// Defines a new programme from the service's JSON shape; the service checks every field
    /// and names the first one at fault.
    pub async fn create(&self, definition: &Value) -> Result<(), CallError> {
        send(self.call(Method::POST, "/v1/programmes").json(definition))
            .await
            .map(drop)
    }

    pub async fn change_budget(&self, id: &str, total: Decimal) -> Result<(), CallError> {
        let path = format!("/v1/programmes/{}/budget", path_segment(id)?);
        send(
            self.call(Method::PUT, &path)
                .json(&json!({ "total_budget": total.to_string() })),
        )
        .await
        .map(drop)
    }

    /// Closes (`close`) or opens (`open`) a programme.
    pub async fn set_open(&self, id: &str, open: bool) -> Result<(), CallError> {
        let action = if open { "open" } else { "close" };
        let path = format!("/v1/programmes/{}/{action}", path_segment(id)?);
        send(self.call(Method::POST, &path).json(&json!({})))
            .await
            .map(drop)
    }

    /// Changes the name and dates: the rest of the definition goes back as the service gave
    /// it, which the service accepts only while no application has been submitted.
    pub async fn edit(&self, id: &str, change: &DefinitionChange) -> Result<(), CallError> {
        let path = format!("/v1/programmes/{}", path_segment(id)?);
        let mut definition: Value = send_json(self.call(Method::GET, &path)).await?;
        if let Some(object) = definition.as_object_mut() {
            for field in STATE_FIELDS {
                object.remove(field);
            }
        }
        for (code, text) in &change.name {
            definition["name"][*code] = json!(text);
        }
        definition["opens_on"] = json!(change.opens_on);
        definition["closes_on"] = json!(change.closes_on);
        send(self.call(Method::PUT, &path).json(&definition))
            .await
            .map(drop)
    }
}
