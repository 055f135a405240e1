//! A stand-in for the disbursement service's `POST /v1/schedules/preview`, answering from the
//! service's own domain (`LoanTerms::parse`, `build_schedule`), so the frontend is tested
//! against real schedules and real refusals while the service's HTTP layer is being built.
//! Its wire format is the one the service promises: amounts as strings, and a problem+json 422
//! naming each refused field with a stable code.

use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::NaiveDate;
use imkon_disbursement::domain::schedule::build_schedule;
use imkon_disbursement::domain::terms::{
    DayCount, LoanTerms, LoanTermsInput, RateError, RepaymentMethod, TermsError,
};
use imkon_platform::money::{parse_decimal_literal, Currency};
use imkon_platform::problem::Problem;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct PreviewBody {
    principal: String,
    currency: String,
    annual_rate_percent: String,
    term_months: i64,
    method: String,
    grace_months: i64,
    day_count: String,
    disbursement_date: NaiveDate,
    first_due_date: NaiveDate,
}

/// The router with the one preview route.
pub fn router() -> Router {
    Router::new().route("/v1/schedules/preview", post(preview))
}

async fn preview(Json(body): Json<PreviewBody>) -> Response {
    match parse(&body) {
        Ok(terms) => Json(schedule_json(&terms)).into_response(),
        Err((field, code, message)) => Problem::invalid_field(field, code, message).into_response(),
    }
}

type Refusal = (&'static str, &'static str, String);

fn parse(body: &PreviewBody) -> Result<LoanTerms, Refusal> {
    let principal = parse_decimal_literal(&body.principal)
        .map_err(|error| ("principal", "not_a_number", error.to_string()))?;
    let currency: Currency =
        body.currency
            .parse()
            .map_err(|error: imkon_platform::money::MoneyError| {
                ("currency", "unknown_currency", error.to_string())
            })?;
    let annual_rate_percent = parse_decimal_literal(&body.annual_rate_percent)
        .map_err(|error| ("annual_rate_percent", "not_a_number", error.to_string()))?;
    let method = RepaymentMethod::parse(&body.method).map_err(refusal)?;
    let day_count = DayCount::parse(&body.day_count).map_err(refusal)?;
    LoanTerms::parse(&LoanTermsInput {
        principal,
        currency,
        annual_rate_percent,
        term_months: body.term_months,
        method,
        grace_months: body.grace_months,
        day_count,
        disbursement_date: body.disbursement_date,
        first_due_date: body.first_due_date,
    })
    .map_err(refusal)
}

fn refusal(error: TermsError) -> Refusal {
    let code = match &error {
        TermsError::PrincipalNotPositive => "principal_not_positive",
        TermsError::PrincipalTooManyDecimals => "principal_too_many_decimals",
        TermsError::PrincipalTooLarge => "principal_too_large",
        TermsError::AnnualRate(RateError::Negative) => "rate_negative",
        TermsError::AnnualRate(RateError::AboveHundredPercent) => "rate_above_hundred_percent",
        TermsError::AnnualRate(RateError::TooManyDecimals { .. }) => "rate_too_many_decimals",
        TermsError::TermNotPositive => "term_not_positive",
        TermsError::TermTooLong { .. } => "term_too_long",
        TermsError::GraceNegative => "grace_negative",
        TermsError::GraceNotShorterThanTerm { .. } => "grace_not_shorter_than_term",
        TermsError::FirstDueDateNotAfterDisbursement => "first_due_date_not_after_disbursement",
        TermsError::FirstDueDateTooLate { .. } => "first_due_date_too_late",
        TermsError::DueDatesOutOfRange => "due_dates_out_of_range",
        TermsError::UnknownRepaymentMethod(_) => "unknown_repayment_method",
        TermsError::UnknownDayCount(_) => "unknown_day_count",
    };
    (error.field(), code, error.to_string())
}

fn schedule_json(terms: &LoanTerms) -> Value {
    let schedule = build_schedule(terms);
    let installments: Vec<Value> = schedule
        .installments()
        .iter()
        .map(|installment| {
            json!({
                "number": installment.number(),
                "due_date": installment.due_date().to_string(),
                "principal": installment.principal().amount().to_string(),
                "interest": installment.interest().amount().to_string(),
                "total": installment.total().amount().to_string(),
                "balance": installment.balance().amount().to_string(),
            })
        })
        .collect();
    json!({
        "installments": installments,
        "total_principal": schedule.total_principal().amount().to_string(),
        "total_interest": schedule.total_interest().amount().to_string(),
        "total_payable": schedule.total_payable().amount().to_string(),
    })
}
