//! The other services this one asks: onboarding for KYC and company facts, scoring for a score.
//!
//! Each call sits behind a small trait so that tests can run the real scoring engine in-process
//! and give fixed company facts while the peer services are built; the HTTP implementations are
//! what `run_on` wires in.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use chrono::NaiveDate;
use imkon_auth::Audience;
use imkon_platform::client::ServiceClient;
use imkon_platform::service_tokens::ServiceTokens;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A boxed future, so that the traits below can be used as `dyn` objects in the state.
pub type PeerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, PeerError>> + Send + 'a>>;

/// Why a call to another service failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    #[error("{service} is unreachable: {reason}")]
    Unreachable {
        service: &'static str,
        reason: String,
    },
    #[error("{service} does not know {what}")]
    NotFound { service: &'static str, what: String },
    #[error("{service} refused input `{field}`: {message}")]
    InvalidInput {
        service: &'static str,
        field: String,
        message: String,
    },
    #[error("{service} answered {status}: {body}")]
    Unexpected {
        service: &'static str,
        status: u16,
        body: String,
    },
}

/// A founder of a company as onboarding knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyFounder {
    /// Known when the founder is a client of the bank.
    pub client_id: Option<Uuid>,
    /// A person's birth date; none for a founder that is itself a company.
    pub birth_date: Option<NaiveDate>,
    pub share_percent: Decimal,
}

/// A company of a client as onboarding knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub company_id: Uuid,
    pub stir: String,
    pub name: String,
    pub registration_date: NaiveDate,
    pub it_park_resident_until: Option<NaiveDate>,
    /// Whether a KYC officer approved the company's own KYC (KYB): its charter, registration
    /// and any IT Park certificate checked against the documents.
    pub kyc_approved: bool,
    pub founders: Vec<CompanyFounder>,
}

/// A client's profile: `GET {onboarding}/v1/clients/{client_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientProfile {
    pub client_id: Uuid,
    pub birth_date: Option<NaiveDate>,
    pub companies: Vec<Company>,
}

/// `GET {onboarding}/v1/clients/{client_id}` as onboarding answers it: the person's birth date
/// and the companies they own, with IT Park residency as a flag and an end date.
#[derive(Debug, Deserialize)]
struct ClientSummaryAnswer {
    client_id: Uuid,
    birth_date: Option<NaiveDate>,
    companies: Vec<CompanySummaryAnswer>,
}

#[derive(Debug, Deserialize)]
struct CompanySummaryAnswer {
    company_id: Uuid,
    stir: String,
    name: String,
    registration_date: NaiveDate,
    /// Whether the residency is valid today (it may also not have started yet).
    it_park_resident: bool,
    /// The company's KYC status; absent from an onboarding older than company KYC gating,
    /// which counts as not approved.
    #[serde(default)]
    kyc_status: Option<String>,
    it_park_valid_until: Option<NaiveDate>,
    founders: Vec<CompanyFounder>,
}

impl ClientSummaryAnswer {
    /// The profile screening reads.
    fn into_profile(self) -> ClientProfile {
        ClientProfile {
            client_id: self.client_id,
            birth_date: self.birth_date,
            companies: self
                .companies
                .into_iter()
                .map(|company| Company {
                    company_id: company.company_id,
                    stir: company.stir,
                    name: company.name,
                    registration_date: company.registration_date,
                    it_park_resident_until: company
                        .it_park_valid_until
                        .filter(|_| company.it_park_resident),
                    kyc_approved: company.kyc_status.as_deref() == Some("approved"),
                    founders: company.founders,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct KycAnswer {
    status: String,
}

/// Where KYC status and eligibility facts come from.
pub trait KycSource: Send + Sync {
    /// The client's KYC status as onboarding states it, such as `approved` or
    /// `pending_review`. Asked only when no `client.kyc_*` event has been received yet.
    fn kyc_status(&self, client_id: Uuid) -> PeerFuture<'_, String>;

    /// The client's profile with their companies and the companies' founders.
    fn client_profile(&self, client_id: Uuid) -> PeerFuture<'_, ClientProfile>;
}

/// A knockout rule that fired in an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreKnockout {
    pub reason_code: String,
    pub description: String,
}

/// How one characteristic was scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoredCharacteristic {
    pub characteristic: String,
    pub bin: String,
    #[schema(value_type = String)]
    pub points: Decimal,
    pub reason_code: String,
}

/// The scoring service's answer: `POST {scoring}/v1/scorecards/{id}/evaluate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreResult {
    pub evaluation_id: Option<Uuid>,
    pub score: Decimal,
    pub probability_of_default: String,
    pub band: String,
    pub recommendation: String,
    pub knockouts: Vec<ScoreKnockout>,
    pub characteristics: Vec<ScoredCharacteristic>,
}

/// The scoring service's evaluation as it answers it: the stored evaluation's `id`, and the
/// score and probability of default as JSON numbers (read from their text, never through a
/// binary float).
#[derive(Debug, Deserialize)]
struct EvaluationAnswer {
    id: Option<Uuid>,
    score: Decimal,
    probability_of_default: Decimal,
    band: String,
    recommendation: String,
    knockouts: Vec<ScoreKnockout>,
    characteristics: Vec<ScoredCharacteristic>,
}

impl EvaluationAnswer {
    fn into_score(self) -> ScoreResult {
        ScoreResult {
            evaluation_id: self.id,
            score: self.score,
            probability_of_default: self.probability_of_default.to_string(),
            band: self.band,
            recommendation: self.recommendation,
            knockouts: self.knockouts,
            characteristics: self.characteristics,
        }
    }
}

/// Scores an application's inputs on a scorecard.
pub trait Scorer: Send + Sync {
    /// `inputs` by scorecard input name: numbers as JSON numbers, categories as strings.
    fn evaluate(
        &self,
        scorecard_id: Uuid,
        inputs: BTreeMap<String, serde_json::Value>,
    ) -> PeerFuture<'_, ScoreResult>;
}

/// Onboarding over HTTP, with a service token.
#[derive(Clone, Debug)]
pub struct OnboardingClient {
    client: ServiceClient,
    base_url: String,
    tokens: ServiceTokens,
}

impl OnboardingClient {
    pub fn new(client: ServiceClient, base_url: &str, tokens: ServiceTokens) -> OnboardingClient {
        OnboardingClient {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            tokens,
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: String,
        what: String,
    ) -> Result<T, PeerError> {
        get_from(self, "onboarding", Audience::Onboarding, path, what).await
    }
}

/// `GET {base_url}{path}` of `service` with a service token for `audience`: a 404 is
/// [`PeerError::NotFound`] naming `what`, any other failure is reported with the status.
async fn get_from<T: serde::de::DeserializeOwned>(
    peer: &OnboardingClient,
    service: &'static str,
    audience: Audience,
    path: String,
    what: String,
) -> Result<T, PeerError> {
    let unreachable = |reason: String| PeerError::Unreachable { service, reason };
    let token = peer
        .tokens
        .token_for(audience)
        .await
        .map_err(|error| unreachable(error.to_string()))?;
    let response = peer
        .client
        .get(&format!("{}{path}", peer.base_url))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|error| unreachable(error.to_string()))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(PeerError::NotFound { service, what });
    }
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(PeerError::Unexpected {
            service,
            status: status.as_u16(),
            body,
        });
    }
    response
        .json()
        .await
        .map_err(|error| unreachable(error.to_string()))
}

/// Disbursement's answer on a client's standing as a borrower.
pub trait LoanStanding: Send + Sync {
    /// Whether `client_id` has a loan with something past due on the bank's today.
    fn has_overdue_loan(&self, client_id: Uuid) -> PeerFuture<'_, bool>;
}

/// `GET {disbursement}/v1/clients/{client_id}/loan-standing`.
#[derive(Debug, Deserialize)]
struct LoanStandingAnswer {
    has_overdue_loan: bool,
}

/// Disbursement over HTTP, with this service's token. It shares the onboarding client's
/// plumbing (HTTP client, token cache), pointed at disbursement's address.
pub struct DisbursementClient(OnboardingClient);

impl DisbursementClient {
    pub fn new(client: ServiceClient, base_url: &str, tokens: ServiceTokens) -> DisbursementClient {
        DisbursementClient(OnboardingClient::new(client, base_url, tokens))
    }
}

impl LoanStanding for DisbursementClient {
    fn has_overdue_loan(&self, client_id: Uuid) -> PeerFuture<'_, bool> {
        Box::pin(async move {
            let answer: LoanStandingAnswer = get_from(
                &self.0,
                "disbursement",
                Audience::Disbursement,
                format!("/v1/clients/{client_id}/loan-standing"),
                format!("client {client_id}"),
            )
            .await?;
            Ok(answer.has_overdue_loan)
        })
    }
}

impl KycSource for OnboardingClient {
    fn kyc_status(&self, client_id: Uuid) -> PeerFuture<'_, String> {
        Box::pin(async move {
            let answer: KycAnswer = self
                .get(
                    format!("/v1/clients/{client_id}/kyc"),
                    format!("client {client_id}"),
                )
                .await?;
            Ok(answer.status)
        })
    }

    fn client_profile(&self, client_id: Uuid) -> PeerFuture<'_, ClientProfile> {
        Box::pin(async move {
            let answer: ClientSummaryAnswer = self
                .get(
                    format!("/v1/clients/{client_id}"),
                    format!("client {client_id}"),
                )
                .await?;
            Ok(answer.into_profile())
        })
    }
}

/// The contact part of onboarding's client summary. The language is the one the founder chose
/// at registration or on their profile; a founder without one is written to in Uzbek (Latin
/// script), the platform's default.
#[derive(Debug, Deserialize)]
struct ClientContactAnswer {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

impl crate::mailer::RecipientDirectory for OnboardingClient {
    fn recipient(&self, client_id: Uuid) -> PeerFuture<'_, Option<crate::mailer::Recipient>> {
        Box::pin(async move {
            let answer: ClientContactAnswer = self
                .get(
                    format!("/v1/clients/{client_id}"),
                    format!("client {client_id}"),
                )
                .await?;
            let language = answer
                .language
                .as_deref()
                .and_then(imkon_platform::language::Language::from_tag)
                .unwrap_or_default();
            Ok(answer
                .email
                .filter(|email| !email.trim().is_empty())
                .map(|email| crate::mailer::Recipient { email, language }))
        })
    }
}

/// Scoring over HTTP, with a service token.
#[derive(Clone, Debug)]
pub struct ScoringClient {
    client: ServiceClient,
    base_url: String,
    tokens: ServiceTokens,
}

impl ScoringClient {
    pub fn new(client: ServiceClient, base_url: &str, tokens: ServiceTokens) -> ScoringClient {
        ScoringClient {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            tokens,
        }
    }
}

/// The part of a problem+json answer that names the field at fault.
#[derive(Debug, Deserialize)]
struct ProblemAnswer {
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<ProblemFieldAnswer>,
}

#[derive(Debug, Deserialize)]
struct ProblemFieldAnswer {
    field: String,
    message: String,
}

impl Scorer for ScoringClient {
    fn evaluate(
        &self,
        scorecard_id: Uuid,
        inputs: BTreeMap<String, serde_json::Value>,
    ) -> PeerFuture<'_, ScoreResult> {
        Box::pin(async move {
            let unreachable = |reason: String| PeerError::Unreachable {
                service: "scoring",
                reason,
            };
            let token = self
                .tokens
                .token_for(Audience::Scoring)
                .await
                .map_err(|error| unreachable(error.to_string()))?;
            let response = self
                .client
                .post(&format!(
                    "{}/v1/scorecards/{scorecard_id}/evaluate",
                    self.base_url
                ))
                .bearer_auth(token)
                .json(&serde_json::json!({ "inputs": inputs }))
                .send()
                .await
                .map_err(|error| unreachable(error.to_string()))?;
            let status = response.status();
            if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
                let problem: ProblemAnswer = response
                    .json()
                    .await
                    .map_err(|error| unreachable(error.to_string()))?;
                let (field, message) = match problem.errors.into_iter().next() {
                    Some(error) => (error.field, error.message),
                    None => ("inputs".to_owned(), problem.detail.unwrap_or_default()),
                };
                return Err(PeerError::InvalidInput {
                    service: "scoring",
                    field,
                    message,
                });
            }
            if status == reqwest::StatusCode::NOT_FOUND {
                return Err(PeerError::NotFound {
                    service: "scoring",
                    what: format!("scorecard {scorecard_id}"),
                });
            }
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                return Err(PeerError::Unexpected {
                    service: "scoring",
                    status: status.as_u16(),
                    body,
                });
            }
            let answer: EvaluationAnswer = response
                .json()
                .await
                .map_err(|error| unreachable(error.to_string()))?;
            Ok(answer.into_score())
        })
    }
}
