//! The disbursement service's public API, as far as the frontend uses it.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use imkon_platform::client::ServiceClient;
use imkon_platform::money::Currency;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clients::api::{send_json, CallError, ServiceApi};
use crate::web::timing::send_timed;

/// How long a schedule preview may take before the page says the service is not answering.
const PREVIEW_TIMEOUT: Duration = Duration::from_secs(10);

/// The body of `POST /v1/schedules/preview`. Amounts and rates travel as strings so no
/// binary float ever touches them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PreviewRequest {
    #[serde(with = "rust_decimal::serde::str")]
    pub principal: Decimal,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub annual_rate_percent: Decimal,
    pub term_months: i64,
    pub method: String,
    pub grace_months: i64,
    pub day_count: String,
    pub interest_method: String,
    pub disbursement_date: NaiveDate,
    pub first_due_date: NaiveDate,
}

/// One row of a previewed schedule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PreviewInstallment {
    pub number: u32,
    pub due_date: NaiveDate,
    #[serde(with = "rust_decimal::serde::str")]
    pub principal: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub interest: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
}

/// A previewed schedule with its totals.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SchedulePreview {
    pub installments: Vec<PreviewInstallment>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total_principal: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub total_interest: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub total_payable: Decimal,
}

/// One field the service refused, as its problem+json names it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ServiceFieldError {
    pub field: String,
    pub code: String,
}

#[derive(Deserialize)]
struct ValidationProblem {
    #[serde(default)]
    errors: Vec<ServiceFieldError>,
}

/// Why no schedule came back.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("the service refused {0:?}")]
    Invalid(Vec<ServiceFieldError>),
    #[error("the disbursement service did not answer usefully: {0}")]
    Unavailable(String),
}

/// A client of the disbursement service.
#[derive(Clone, Debug)]
pub struct DisbursementClient {
    http: ServiceClient,
    base_url: String,
}

impl DisbursementClient {
    pub fn new(base_url: &str) -> Result<DisbursementClient, reqwest::Error> {
        Ok(DisbursementClient {
            http: ServiceClient::new(PREVIEW_TIMEOUT)?,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Asks the service to compute a schedule without storing anything.
    #[tracing::instrument(skip_all, fields(term_months = request.term_months))]
    pub async fn preview_schedule(
        &self,
        request: &PreviewRequest,
    ) -> Result<SchedulePreview, PreviewError> {
        let url = format!("{}/v1/schedules/preview", self.base_url);
        let response = send_timed(self.http.post(&url).json(request))
            .await
            .map_err(|error| PreviewError::Unavailable(error.to_string()))?;
        match response.status() {
            StatusCode::OK => response
                .json::<SchedulePreview>()
                .await
                .map_err(|error| PreviewError::Unavailable(error.to_string())),
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
                let problem = response
                    .json::<ValidationProblem>()
                    .await
                    .map_err(|error| PreviewError::Unavailable(error.to_string()))?;
                Err(PreviewError::Invalid(problem.errors))
            }
            other => Err(PreviewError::Unavailable(format!("status {other}"))),
        }
    }
}

/// The arrears buckets, youngest first, as the disbursement service names them.
pub const ARREARS_BUCKETS: [&str; 5] = ["1-30", "31-60", "61-90", "91-180", "180+"];

/// A tranche as the service answers it.
#[derive(Clone, Debug, Deserialize)]
pub struct Tranche {
    pub number: i32,
    pub amount: String,
    pub purpose: String,
    pub status: String,
    /// Who requested the tranche; the approver must be someone else.
    #[serde(default)]
    pub requested_by: Option<String>,
    /// The founder's milestone report or the officer's note sent with the request.
    #[serde(default)]
    pub request_note: Option<String>,
    pub disbursed_at: Option<DateTime<Utc>>,
}

/// Collateral (with its type) or a guarantor (with their name) securing a contract.
#[derive(Debug, Clone, Deserialize)]
pub struct ContractSecurity {
    pub kind: String,
    pub collateral_type: Option<String>,
    pub description: String,
    pub value: String,
    pub guarantor_name: Option<String>,
    /// The documents that backed it on the application; the files stay with applications.
    #[serde(default)]
    pub documents: Vec<ContractSecurityDocument>,
}

/// A document that backed a security: its kind and the SHA-256 of the bytes the bank relied on.
#[derive(Debug, Clone, Deserialize)]
pub struct ContractSecurityDocument {
    pub kind: String,
    pub sha256: String,
}

/// A loan's arrangement fee and whether the bank has collected it.
#[derive(Debug, Clone, Deserialize)]
pub struct ArrangementFee {
    pub amount: String,
    /// `deducted` or `upfront`.
    pub collection: String,
    /// The ledger transfer that collected it; none until collected.
    pub transfer_id: Option<String>,
    /// The ledger transfer that gave an up-front fee back when the signed contract was
    /// cancelled before any payout; none otherwise.
    #[serde(default)]
    pub refund_transfer_id: Option<String>,
}

/// A contract as the service answers it.
#[derive(Clone, Debug, Deserialize)]
pub struct Contract {
    pub id: String,
    /// The borrowing founder's client id at onboarding.
    #[serde(default)]
    pub client_id: String,
    pub programme_kind: String,
    pub status: String,
    pub currency: String,
    pub principal: String,
    pub annual_rate_percent: Option<String>,
    /// `declining_balance` or `flat`; contracts from before the choice existed are declining.
    #[serde(default)]
    pub interest_method: Option<String>,
    /// The loan's arrangement fee, when its programme charges one.
    #[serde(default)]
    pub arrangement_fee: Option<ArrangementFee>,
    /// Added to the penalty for each instalment that falls overdue; `"0.00"` for none.
    #[serde(default)]
    pub late_charge: Option<String>,
    /// The collateral and guarantors the application recorded.
    #[serde(default)]
    pub securities: Vec<ContractSecurity>,
    pub term_months: i32,
    pub disbursement_date: Option<NaiveDate>,
    pub first_due_date: Option<NaiveDate>,
    pub penalty_outstanding: String,
    pub loan_account_number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub tranches: Vec<Tranche>,
    /// A write-off one approver proposed; another confirms it.
    #[serde(default)]
    pub write_off_proposal: Option<WriteOffProposal>,
    /// A written-off loan's principal written off and what has come back of it.
    #[serde(default)]
    pub written_off: Option<WrittenOff>,
    /// The SHA-256 of the contract document the founder signed; none before signing.
    #[serde(default)]
    pub document_sha256: Option<String>,
    /// The language of the signed document.
    #[serde(default)]
    pub document_language: Option<String>,
}

/// A proposed write-off, as the service answers it.
#[derive(Clone, Debug, Deserialize)]
pub struct WriteOffProposal {
    pub reason: String,
    pub proposed_by: String,
    pub confirmed_by: Option<String>,
}

/// A written-off loan's figures, as the service answers them: decimal strings.
#[derive(Clone, Debug, Deserialize)]
pub struct WrittenOff {
    pub principal_written_off: String,
    pub recovered: String,
    pub still_owed: String,
}

/// One page of contracts.
#[derive(Clone, Debug, Deserialize)]
pub struct ContractPage {
    pub items: Vec<Contract>,
    pub next_cursor: Option<String>,
}

/// An overdue contract as the service answers it.
#[derive(Clone, Debug, Deserialize)]
pub struct ArrearsItem {
    pub contract_id: String,
    #[serde(default)]
    pub client_id: String,
    pub currency: String,
    pub total_overdue: String,
    pub penalty_outstanding: String,
    pub days_past_due: i32,
    pub bucket: String,
    pub overdue_installments: i32,
}

/// One ageing bucket's totals.
#[derive(Clone, Debug, Deserialize)]
pub struct Bucket {
    pub bucket: String,
    pub contracts: i64,
    pub total_overdue: std::collections::BTreeMap<String, String>,
}

/// The arrears list, with the totals of each ageing bucket.
#[derive(Clone, Debug, Deserialize)]
pub struct Arrears {
    pub as_of: Option<NaiveDate>,
    pub buckets: Vec<Bucket>,
    pub items: Vec<ArrearsItem>,
    pub next_cursor: Option<String>,
}

/// The ageing buckets of the latest arrears run, as the portfolio's chart needs them.
pub async fn arrears_buckets(
    contracts: &ServiceApi,
    token: &str,
) -> Result<Vec<Bucket>, CallError> {
    let arrears: Arrears = send_json(
        contracts
            .authorized(Method::GET, "/v1/arrears", token)
            .query(&[("limit", "1")]),
    )
    .await?;
    Ok(arrears.buckets)
}
/// The most pages of contracts read to gather all of them: 5,000 contracts.
const CONTRACT_PAGES: usize = 50;

/// Contracts asked for per page, the service's largest page.
const CONTRACT_PAGE_SIZE: &str = "100";

/// Every contract, paged through.
pub async fn all_contracts(
    contracts_api: &ServiceApi,
    token: &str,
) -> Result<Vec<Contract>, CallError> {
    let mut contracts = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..CONTRACT_PAGES {
        let mut request = contracts_api
            .authorized(Method::GET, "/v1/contracts", token)
            .query(&[("limit", CONTRACT_PAGE_SIZE)]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let page: ContractPage = send_json(request).await?;
        contracts.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(contracts)
}

/// A set of loans in one currency, summed, as the loan book sends it; amounts are decimal
/// strings and the percentages have two decimals.
#[derive(Clone, Debug, Deserialize)]
pub struct BookTotals {
    pub currency: String,
    pub active_contracts: i64,
    pub outstanding_principal: String,
    pub interest_due: String,
    pub penalty_outstanding: String,
    pub par30_principal: String,
    pub par30_percent: String,
    pub par90_principal: String,
    pub par90_percent: String,
    pub written_off_contracts: i64,
    pub written_off_principal: String,
    /// Paid back on the written-off loans since their write-off.
    pub recovered: String,
    /// Arrangement fees collected on these loans.
    pub arrangement_fees_collected: String,
    /// Late-payment charges levied on these loans: part of the penalties, never added to them.
    pub late_charges_applied: String,
}

/// One programme's loans in one currency.
#[derive(Clone, Debug, Deserialize)]
pub struct ProgrammeBook {
    pub programme_id: String,
    pub totals: BookTotals,
}

/// The money paid out and repaid on loans in one month and currency.
#[derive(Clone, Debug, Deserialize)]
pub struct MonthFlow {
    pub month: String,
    pub currency: String,
    pub disbursed: String,
    pub repaid_principal: String,
    pub repaid_interest: String,
    pub repaid_penalty: String,
}

/// The loan book on the bank's today.
#[derive(Clone, Debug, Deserialize)]
pub struct LoanBook {
    pub as_of: NaiveDate,
    pub currencies: Vec<BookTotals>,
    pub programmes: Vec<ProgrammeBook>,
    pub months: Vec<MonthFlow>,
}

/// A contract's reschedulings, oldest first, and the schedules they replaced.
#[derive(Debug, Clone, Deserialize)]
pub struct Reschedules {
    pub reschedules: Vec<Reschedule>,
    pub versions: Vec<ScheduleVersion>,
}

/// A rescheduling: `payment_holiday` or `longer_term`, `proposed`, `confirmed` or `rejected`.
#[derive(Debug, Clone, Deserialize)]
pub struct Reschedule {
    pub id: String,
    pub kind: String,
    pub months: u32,
    pub reason: String,
    pub status: String,
    pub proposed_by: String,
    pub effective_on: Option<NaiveDate>,
    /// A proposal's rows as they would be if confirmed today.
    #[serde(default)]
    pub proposed_installments: Option<Vec<ScheduleFigures>>,
}

/// The rows a confirmed rescheduling replaced.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleVersion {
    pub version: i32,
    pub reschedule_id: String,
    pub installments: Vec<ScheduleFigures>,
}

/// One row of a proposed or replaced schedule.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleFigures {
    pub number: i64,
    pub due_date: NaiveDate,
    pub principal: String,
    pub interest: String,
    pub total: String,
    pub balance: String,
}
