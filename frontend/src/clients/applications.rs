//! The applications service's public API, as far as the frontend uses it, and onboarding's
//! list of the founder's companies that an application is made for.
//!
//! Amounts travel as decimal strings and are read into `Decimal`, never a float.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Method;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clients::api::{send, send_json, CallError, ServiceApi};
use crate::web::i18n::Locale;

/// A text in the four languages of the UI.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LocalizedText {
    #[serde(rename = "uz-Latn", alias = "uz_latn", default)]
    pub uz_latn: String,
    #[serde(rename = "uz-Cyrl", alias = "uz_cyrl", default)]
    pub uz_cyrl: String,
    #[serde(default)]
    pub ru: String,
    #[serde(default)]
    pub en: String,
}

impl LocalizedText {
    /// The text in `locale`, or in Uzbek (Latin) where a translation is missing.
    pub fn get(&self, locale: Locale) -> &str {
        let text = match locale {
            Locale::UzLatn => &self.uz_latn,
            Locale::UzCyrl => &self.uz_cyrl,
            Locale::Ru => &self.ru,
            Locale::En => &self.en,
        };
        if text.is_empty() {
            &self.uz_latn
        } else {
            text
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct ChoiceOption {
    pub value: String,
    pub label: LocalizedText,
}

/// A question of a programme's application form.
#[derive(Clone, Debug, Deserialize)]
pub struct Question {
    pub key: String,
    pub label: LocalizedText,
    /// text, number, money, date, choice or file.
    pub kind: String,
    pub required: bool,
    #[serde(default)]
    pub options: Option<Vec<ChoiceOption>>,
}

/// A funding programme.
#[derive(Clone, Debug, Deserialize)]
pub struct Programme {
    pub id: String,
    /// grant or loan.
    pub kind: String,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub min_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub max_amount: Decimal,
    pub min_term_months: u32,
    pub max_term_months: u32,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    #[serde(with = "rust_decimal::serde::str")]
    pub available_amount: Decimal,
    #[serde(default)]
    pub co_funding_cap_percent: Option<String>,
    /// Loans: an arrangement fee of a fixed amount or a percent of the loan, and `deducted` or
    /// `upfront` when either is set.
    #[serde(default)]
    pub arrangement_fee_fixed: Option<String>,
    #[serde(default)]
    pub arrangement_fee_percent: Option<String>,
    #[serde(default)]
    pub arrangement_fee_collection: Option<String>,
    /// Loans: a charge added for each instalment paid late.
    #[serde(default)]
    pub late_charge_fixed: Option<String>,
    pub questions: Vec<Question>,
    /// The reviewers' scoring criteria.
    #[serde(default)]
    pub rubric: Vec<Criterion>,
}

/// Collateral (with its type) or a guarantor (with their name) recorded on an application;
/// `value` is a decimal string in `currency`.
#[derive(Clone, Debug, Deserialize)]
pub struct Security {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub collateral_type: Option<String>,
    pub description: String,
    pub value: String,
    pub currency: String,
    #[serde(default)]
    pub guarantor_name: Option<String>,
    /// The documents backing it (a valuation report, a title deed, a signed guarantee).
    #[serde(default)]
    pub documents: Vec<SecurityDocument>,
}

/// A document backing a security, without its content.
#[derive(Clone, Debug, Deserialize)]
pub struct SecurityDocument {
    pub id: String,
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    #[serde(default)]
    pub original_file_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
}

/// A criterion reviewers score from 0 to 5.
#[derive(Clone, Debug, Deserialize)]
pub struct Criterion {
    pub key: String,
    pub label: LocalizedText,
}

/// A reviewer's assignment to an application.
#[derive(Clone, Debug, Deserialize)]
pub struct Assignment {
    pub application_id: String,
    /// pending, no_conflict or conflict.
    pub declaration: String,
    pub assigned_at: DateTime<Utc>,
}

impl Programme {
    /// Open for applications on `today`.
    pub fn is_open(&self, today: NaiveDate) -> bool {
        self.opens_on <= today && today <= self.closes_on
    }

    /// The form's question whose answer is stored under `key`.
    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|question| question.key == key)
    }
}

/// How one characteristic of the scorecard scored.
#[derive(Clone, Debug, Deserialize)]
pub struct ScoredCharacteristic {
    pub characteristic: String,
    pub bin: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub points: Decimal,
    pub reason_code: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Score {
    pub score: String,
    pub band: String,
    pub recommendation: String,
    pub characteristics: Vec<ScoredCharacteristic>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Decision {
    pub outcome: String,
    pub amount: Option<String>,
    pub term_months: Option<i32>,
    pub annual_rate_percent: Option<String>,
    #[serde(default)]
    pub reasons: Vec<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// An application as the service shows it to the caller.
#[derive(Clone, Debug, Deserialize)]
pub struct Application {
    pub id: String,
    pub programme_id: String,
    /// The applicant's client id at onboarding.
    pub client_id: String,
    pub company_id: String,
    pub state: String,
    pub requested_amount: Option<String>,
    pub term_months: Option<i32>,
    pub project_cost: Option<String>,
    #[serde(default)]
    pub answers: Value,
    pub submitted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub score: Option<Score>,
    pub decision: Option<Decision>,
}

impl Application {
    /// The answer to `key` as text, as the form shows it.
    pub fn answer(&self, key: &str) -> String {
        match self.answers.get(key) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => String::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct ApplicationPage {
    pub items: Vec<Application>,
    pub next_offset: Option<u32>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor_role: Option<String>,
    #[serde(default)]
    pub details: Value,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Review {
    pub reviewer_id: String,
    pub recommendation: String,
    pub comment: String,
    pub weighted_total: String,
}

/// A company of the founder's, from onboarding.
#[derive(Clone, Debug, Deserialize)]
pub struct Company {
    pub company_id: String,
    pub name: String,
    pub stir: String,
}

/// A draft's fields as the form sends them; `None` leaves a field out.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DraftFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programme_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_months: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_cost: Option<String>,
    /// An answer of `null` removes it from the draft.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, Value>,
}

/// A proposed decision, as the credit officer's form sends it.
#[derive(Clone, Debug, Serialize)]
pub struct Proposal {
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_months: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annual_rate_percent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_months: Option<u32>,
    pub reasons: Vec<String>,
}

/// The filters of the officers' queue.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct QueueFilter {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub programme_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub band: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub assignee: String,
    /// One client's applications (the client page); never taken from a page's query string.
    #[serde(skip_deserializing, skip_serializing_if = "String::is_empty")]
    pub client_id: String,
}

/// A notification in the founder's inbox.
#[derive(Clone, Debug, Deserialize)]
pub struct InboxNotification {
    pub id: String,
    /// None for news about the founder rather than an application (a KYC decision).
    pub application_id: Option<String>,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of the founder's inbox, newest first.
#[derive(Clone, Debug, Deserialize)]
pub struct InboxPage {
    pub items: Vec<InboxNotification>,
    pub next_offset: Option<u32>,
    pub unread: i64,
}

#[derive(Deserialize)]
struct UnreadCount {
    unread: i64,
}

/// The applications service, called with the signed-in person's token.
pub struct ApplicationsCalls<'a> {
    pub api: &'a ServiceApi,
    pub token: &'a str,
}

impl ApplicationsCalls<'_> {
    fn call(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.api.authorized(method, path, self.token)
    }

    pub async fn programmes(&self) -> Result<Vec<Programme>, CallError> {
        send_json(self.call(Method::GET, "/v1/programmes")).await
    }

    pub async fn programme(&self, id: &str) -> Result<Programme, CallError> {
        send_json(self.call(
            Method::GET,
            &format!("/v1/programmes/{}", path_segment(id)?),
        ))
        .await
    }

    /// A page of the founder's own notifications, from `offset`.
    pub async fn inbox(&self, offset: u32, limit: u32) -> Result<InboxPage, CallError> {
        send_json(
            self.call(Method::GET, "/v1/inbox")
                .query(&[("offset", offset), ("limit", limit)]),
        )
        .await
    }

    /// How many of the founder's notifications are unread.
    pub async fn unread_notifications(&self) -> Result<i64, CallError> {
        send_json::<UnreadCount>(self.call(Method::GET, "/v1/inbox/unread"))
            .await
            .map(|answer| answer.unread)
    }

    /// Opens one of the founder's notifications, which marks it read.
    pub async fn open_notification(&self, id: &str) -> Result<InboxNotification, CallError> {
        send_json(self.call(
            Method::POST,
            &format!("/v1/inbox/{}/open", path_segment(id)?),
        ))
        .await
    }

    pub async fn list(&self, filter: &QueueFilter) -> Result<ApplicationPage, CallError> {
        send_json(self.call(Method::GET, "/v1/applications").query(filter)).await
    }

    pub async fn get(&self, id: &str) -> Result<Application, CallError> {
        send_json(self.call(
            Method::GET,
            &format!("/v1/applications/{}", path_segment(id)?),
        ))
        .await
    }

    /// The collateral and guarantors recorded on a loan application.
    pub async fn securities(&self, id: &str) -> Result<Vec<Security>, CallError> {
        send_json(self.call(
            Method::GET,
            &format!("/v1/applications/{}/securities", path_segment(id)?),
        ))
        .await
    }

    pub async fn add_security(&self, id: &str, body: &Value) -> Result<Security, CallError> {
        send_json(
            self.call(
                Method::POST,
                &format!("/v1/applications/{}/securities", path_segment(id)?),
            )
            .json(body),
        )
        .await
    }

    pub async fn remove_security(&self, id: &str, security_id: &str) -> Result<(), CallError> {
        send(self.call(
            Method::DELETE,
            &format!(
                "/v1/applications/{}/securities/{}",
                path_segment(id)?,
                path_segment(security_id)?
            ),
        ))
        .await
        .map(|_| ())
    }

    /// Attaches a document to a security: `body` is a `multipart/form-data` body with the
    /// `boundary` given, carrying the `kind` and `file` fields the service reads.
    pub async fn attach_security_document(
        &self,
        id: &str,
        security_id: &str,
        boundary: &str,
        body: Vec<u8>,
    ) -> Result<(), CallError> {
        send(
            self.call(
                Method::POST,
                &format!(
                    "/v1/applications/{}/securities/{}/documents",
                    path_segment(id)?,
                    path_segment(security_id)?
                ),
            )
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body),
        )
        .await
        .map(|_| ())
    }

    /// A document backing a security, its content still to be read; the service decides who
    /// may open it (the founder, and the officers who review the application).
    pub async fn security_document(
        &self,
        id: &str,
        security_id: &str,
        document_id: &str,
    ) -> Result<reqwest::Response, CallError> {
        send(self.call(
            Method::GET,
            &format!(
                "/v1/applications/{}/securities/{}/documents/{}",
                path_segment(id)?,
                path_segment(security_id)?,
                path_segment(document_id)?
            ),
        ))
        .await
    }

    pub async fn timeline(&self, id: &str) -> Result<Vec<TimelineEntry>, CallError> {
        send_json(self.call(
            Method::GET,
            &format!("/v1/applications/{}/timeline", path_segment(id)?),
        ))
        .await
    }

    pub async fn reviews(&self, id: &str) -> Result<Vec<Review>, CallError> {
        send_json(self.call(
            Method::GET,
            &format!("/v1/applications/{}/reviews", path_segment(id)?),
        ))
        .await
    }

    pub async fn assignments(&self) -> Result<Vec<Assignment>, CallError> {
        send_json(self.call(Method::GET, "/v1/review-assignments")).await
    }

    /// The application under review, once the reviewer declared no conflict.
    pub async fn assigned_application(&self, id: &str) -> Result<Application, CallError> {
        send_json(self.call(
            Method::GET,
            &format!("/v1/review-assignments/{}", path_segment(id)?),
        ))
        .await
    }

    /// `POST /v1/review-assignments/{id}/{action}` with a JSON body.
    pub async fn review_action(
        &self,
        id: &str,
        action: &str,
        body: &impl Serialize,
    ) -> Result<(), CallError> {
        crate::clients::api::send(
            self.call(
                Method::POST,
                &format!("/v1/review-assignments/{}/{action}", path_segment(id)?),
            )
            .json(body),
        )
        .await
        .map(|_| ())
    }

    pub async fn create_draft(&self, fields: &DraftFields) -> Result<Application, CallError> {
        send_json(self.call(Method::POST, "/v1/applications").json(fields)).await
    }

    pub async fn update_draft(
        &self,
        id: &str,
        fields: &DraftFields,
    ) -> Result<Application, CallError> {
        send_json(
            self.call(
                Method::PATCH,
                &format!("/v1/applications/{}", path_segment(id)?),
            )
            .json(fields),
        )
        .await
    }

    /// `POST /v1/applications/{id}/{action}` with a JSON body.
    pub async fn act(
        &self,
        id: &str,
        action: &str,
        body: &impl Serialize,
    ) -> Result<Application, CallError> {
        send_json(
            self.call(
                Method::POST,
                &format!("/v1/applications/{}/{action}", path_segment(id)?),
            )
            .json(body),
        )
        .await
    }

    /// Assigns `reviewer_id` (a member of staff) to review the application.
    pub async fn assign_reviewer(&self, id: &str, reviewer_id: &str) -> Result<(), CallError> {
        crate::clients::api::send(
            self.call(
                Method::POST,
                &format!("/v1/applications/{}/reviewers", path_segment(id)?),
            )
            .json(&serde_json::json!({ "reviewer_id": reviewer_id })),
        )
        .await
        .map(|_| ())
    }

    /// Confirms the proposed decision; `idempotency_key` makes a double click harmless.
    pub async fn confirm(&self, id: &str, idempotency_key: &str) -> Result<Application, CallError> {
        send_json(
            self.call(
                Method::POST,
                &format!(
                    "/v1/applications/{}/decision/confirmation",
                    path_segment(id)?
                ),
            )
            .header("Idempotency-Key", idempotency_key),
        )
        .await
    }
}

/// A member of the bank's staff, as onboarding's directory lists them.
#[derive(Clone, Debug, Deserialize)]
pub struct StaffMember {
    pub id: String,
    pub display_name: String,
    pub username: Option<String>,
}

#[derive(Deserialize)]
struct StaffPage {
    items: Vec<StaffMember>,
}

/// The staff holding `role`: `GET {onboarding}/v1/staff?role=…`. One page of the service's
/// largest size is read; a bank has far fewer officers of one role than that.
pub async fn staff_with_role(
    api: &ServiceApi,
    token: &str,
    role: &str,
) -> Result<Vec<StaffMember>, CallError> {
    let page: StaffPage = send_json(
        api.authorized(Method::GET, "/v1/staff", token)
            .query(&[("role", role), ("limit", "200")]),
    )
    .await?;
    Ok(page.items)
}

/// The founder's companies: `GET {onboarding}/v1/me/companies`.
pub async fn own_companies(api: &ServiceApi, token: &str) -> Result<Vec<Company>, CallError> {
    send_json(api.authorized(Method::GET, "/v1/me/companies", token)).await
}

/// An id from a URL, put into a service's path only if it is a UUID; anything else cannot
/// name an application, so it is not found.
pub fn path_segment(id: &str) -> Result<&str, CallError> {
    let is_uuid = id.len() == 36
        && id
            .chars()
            .enumerate()
            .all(|(index, character)| match index {
                8 | 13 | 18 | 23 => character == '-',
                _ => character.is_ascii_hexdigit(),
            });
    if is_uuid {
        Ok(id)
    } else {
        Err(CallError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uuids_reach_a_service_path() {
        assert!(path_segment("01935f1e-6a00-7c3d-9e1a-6b2f3c4d5e01").is_ok());
        for hostile in ["../admin", "1", "01935f1e-6a00-7c3d-9e1a-6b2f3c4d5e0/", ""] {
            assert_eq!(path_segment(hostile), Err(CallError::NotFound), "{hostile}");
        }
    }

    #[test]
    fn a_missing_translation_falls_back_to_uzbek_latin() {
        let text = LocalizedText {
            uz_latn: "Grant".to_owned(),
            en: "Grant programme".to_owned(),
            ..LocalizedText::default()
        };
        assert_eq!(text.get(Locale::En), "Grant programme");
        assert_eq!(text.get(Locale::Ru), "Grant");
    }

    #[test]
    fn a_draft_sends_only_what_the_step_filled() {
        let fields = DraftFields {
            requested_amount: Some("50000000.00".to_owned()),
            ..DraftFields::default()
        };
        assert_eq!(
            serde_json::to_value(&fields).unwrap(),
            serde_json::json!({ "requested_amount": "50000000.00" })
        );
    }
}
