//! `POST /v1/schedules/preview`: the public loan calculator.

use axum::routing::post;
use axum::{Json, Router};
use chrono::NaiveDate;
use imkon_platform::money::{parse_decimal_literal, Currency, Money};
use imkon_platform::problem::{Problem, ValidatedJson};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::schedule::{build_schedule, Installment, Schedule};
use crate::domain::terms::{DayCount, InterestMethod, LoanTerms, LoanTermsInput, RepaymentMethod};
use crate::error::DisbursementError;
use crate::AppState;

/// Loan terms to lay out as a schedule. Amounts and rates are decimal strings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct SchedulePreviewRequest {
    /// The amount lent, such as `"100.00"`.
    #[validate(length(min = 1, max = 40, code = "not_a_decimal"))]
    #[schema(min_length = 1, max_length = 40)]
    pub principal: String,
    /// `UZS`, `USD` or `EUR`.
    pub currency: String,
    /// The annual rate in percent, at most four decimals, such as `"9.4822"`.
    #[validate(length(min = 1, max = 40, code = "not_a_decimal"))]
    #[schema(min_length = 1, max_length = 40)]
    pub annual_rate_percent: String,
    pub term_months: i64,
    /// `annuity` or `equal_principal`.
    pub method: String,
    /// Months at the start when only interest is due.
    #[serde(default)]
    pub grace_months: i64,
    /// `30/360` (the default), `actual/365` or `actual/actual-isda`.
    #[serde(default = "default_day_count")]
    pub day_count: String,
    /// `declining_balance` (the default) or `flat`.
    #[serde(default = "default_interest_method")]
    pub interest_method: String,
    /// `YYYY-MM-DD`.
    #[validate(length(equal = 10, code = "not_a_date"))]
    #[schema(min_length = 10, max_length = 10)]
    pub disbursement_date: String,
    /// `YYYY-MM-DD`, after the disbursement date and at most two months later.
    #[validate(length(equal = 10, code = "not_a_date"))]
    #[schema(min_length = 10, max_length = 10)]
    pub first_due_date: String,
}

fn default_day_count() -> String {
    DayCount::Thirty360.name().to_owned()
}

fn default_interest_method() -> String {
    InterestMethod::DecliningBalance.name().to_owned()
}

/// One instalment; every amount is a decimal string.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstallmentView {
    pub number: u32,
    pub due_date: NaiveDate,
    pub principal: String,
    pub interest: String,
    pub total: String,
    /// The principal still owed once this instalment is paid.
    pub balance: String,
}

impl InstallmentView {
    pub fn from_installment(row: &Installment) -> InstallmentView {
        InstallmentView {
            number: row.number(),
            due_date: row.due_date(),
            principal: amount_text(row.principal()),
            interest: amount_text(row.interest()),
            total: amount_text(row.total()),
            balance: amount_text(row.balance()),
        }
    }
}

/// A repayment schedule with its totals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScheduleView {
    pub currency: String,
    pub installments: Vec<InstallmentView>,
    pub total_principal: String,
    pub total_interest: String,
    pub total_payable: String,
}

/// A decimal string of an amount, exact to its minor unit (`"16.34"`).
pub fn amount_text(money: Money) -> String {
    money.amount().to_string()
}

impl ScheduleView {
    pub fn from_schedule(schedule: &Schedule) -> ScheduleView {
        ScheduleView {
            currency: schedule.currency().code().to_owned(),
            installments: schedule
                .installments()
                .iter()
                .map(InstallmentView::from_installment)
                .collect(),
            total_principal: amount_text(schedule.total_principal()),
            total_interest: amount_text(schedule.total_interest()),
            total_payable: amount_text(schedule.total_payable()),
        }
    }
}

/// Parses a currency code, naming `field` when it is unknown.
pub fn parse_currency(text: &str, field: &'static str) -> Result<Currency, DisbursementError> {
    text.parse::<Currency>()
        .map_err(|error| DisbursementError::InvalidField {
            field,
            code: "unknown_currency",
            message: error.to_string(),
        })
}

/// Parses a plain decimal literal, naming `field` when it is not one.
pub fn parse_decimal(
    text: &str,
    field: &'static str,
) -> Result<rust_decimal::Decimal, DisbursementError> {
    parse_decimal_literal(text).map_err(|error| DisbursementError::InvalidField {
        field,
        code: "not_a_decimal",
        message: error.to_string(),
    })
}

/// Parses a `YYYY-MM-DD` date, naming `field` when it is not one.
pub fn parse_date(text: &str, field: &'static str) -> Result<NaiveDate, DisbursementError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| DisbursementError::InvalidField {
        field,
        code: "not_a_date",
        message: format!("`{text}` is not a date such as 2024-02-01"),
    })
}

impl SchedulePreviewRequest {
    fn parse(&self) -> Result<LoanTerms, DisbursementError> {
        let input = LoanTermsInput {
            principal: parse_decimal(&self.principal, "principal")?,
            currency: parse_currency(&self.currency, "currency")?,
            annual_rate_percent: parse_decimal(&self.annual_rate_percent, "annual_rate_percent")?,
            term_months: self.term_months,
            method: RepaymentMethod::parse(&self.method)?,
            grace_months: self.grace_months,
            day_count: DayCount::parse(&self.day_count)?,
            interest_method: InterestMethod::parse(&self.interest_method)?,
            disbursement_date: parse_date(&self.disbursement_date, "disbursement_date")?,
            first_due_date: parse_date(&self.first_due_date, "first_due_date")?,
        };
        Ok(LoanTerms::parse(&input)?)
    }
}

/// Lays out the schedule of the given terms without storing anything. No sign-in needed: this
/// is the loan calculator of the public site.
#[utoipa::path(post, path = "/v1/schedules/preview", tag = "schedules",
    request_body = SchedulePreviewRequest,
    security(()),
    responses((status = 200, body = ScheduleView),
        (status = 422, description = "A parameter is invalid; the problem names the field")))]
#[tracing::instrument(skip_all)]
pub async fn preview_schedule(
    ValidatedJson(request): ValidatedJson<SchedulePreviewRequest>,
) -> Result<Json<ScheduleView>, Problem> {
    let terms = request.parse()?;
    Ok(Json(ScheduleView::from_schedule(&build_schedule(&terms))))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/schedules/preview", post(preview_schedule))
}
