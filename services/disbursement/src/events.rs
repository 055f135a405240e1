//! The events this service consumes: `application.approved` makes a draft contract, and
//! raises `contract.ready_to_sign` in the same transaction so the founder is told to sign it.
//!
//! The platform's receiver records each event id in the inbox in the transaction that applies
//! it, so a redelivered event is dropped; the contract's unique application id also makes a
//! second event about the same application (the producer enqueued it twice) a no-op.

use chrono::{DateTime, Months, Utc};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::money::{Currency, Money};
use imkon_platform::outbox::{self, EventEnvelope};
use imkon_platform::problem::Problem;
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::contract_security_documents::{self, SecurityDocumentRow};
use crate::db::contracts::{self, NewContract};
use crate::domain::fees::{ArrangementFee, FeeCharge, FeeCollection};
use crate::domain::terms::{
    AnnualRate, DayCount, InterestMethod, LoanTerms, LoanTermsInput, RepaymentMethod,
};
use crate::domain::tranche::{plan_tranches, ProgrammeKind};
use crate::error::DisbursementError;
use crate::http::schedules::{parse_currency, parse_decimal};

pub const APPLICATION_APPROVED: &str = "application.approved";

/// The topic raised when a contract awaits the founder's signature.
pub const CONTRACT_READY_TO_SIGN: &str = "contract.ready_to_sign";

/// The topic raised when a contract nobody signed is cancelled: applications releases the
/// programme budget its approval committed.
pub const CONTRACT_CANCELLED: &str = "contract.cancelled";

/// The annual penalty rate, in percent, when the approval does not name one.
pub const DEFAULT_PENALTY_RATE_PERCENT: Decimal = Decimal::from_parts(1, 0, 0, false, 1);

/// The payload of `application.approved`, as the applications service sends it.
#[derive(Debug, Deserialize)]
struct ApplicationApproved {
    application_id: Uuid,
    programme_id: Uuid,
    programme_kind: String,
    client_id: Uuid,
    company_id: Uuid,
    currency: String,
    amount: String,
    term_months: i64,
    annual_rate_percent: Option<String>,
    repayment_method: Option<String>,
    /// Absent or null means no grace.
    #[serde(default)]
    grace_months: Option<i64>,
    penalty_rate_percent: Option<String>,
    /// The programme's day-count convention (`30/360`, `actual/365` or `actual/actual-isda`). Approvals sent before
    /// programmes chose one carry none: their contracts keep 30/360, as they always had.
    #[serde(default)]
    day_count: Option<String>,
    /// The programme's interest method (`declining_balance` or `flat`); approvals sent before
    /// programmes chose one carry none, and their contracts keep the declining balance.
    #[serde(default)]
    interest_method: Option<String>,
    /// The programme's arrangement fee, a fixed amount in the loan's currency or a percent of
    /// the principal (at most one of the two); neither means no fee.
    #[serde(default)]
    arrangement_fee_fixed: Option<String>,
    #[serde(default)]
    arrangement_fee_percent: Option<String>,
    /// `deducted` (the default when there is a fee) or `upfront`.
    #[serde(default)]
    arrangement_fee_collection: Option<String>,
    /// The programme's late-payment charge per instalment that falls overdue; none when absent.
    #[serde(default)]
    late_charge: Option<String>,
    /// The collateral and guarantors the application recorded; none when absent.
    #[serde(default)]
    securities: Vec<SecurityPayload>,
    approved_at: DateTime<Utc>,
}

/// Collateral or a guarantor as the approval carries it.
#[derive(Debug, Deserialize)]
struct SecurityPayload {
    kind: String,
    #[serde(default)]
    collateral_type: Option<String>,
    description: String,
    value: String,
    #[serde(default)]
    guarantor_name: Option<String>,
    /// The documents that backed it on the application; none from an approval sent before
    /// securities had documents.
    #[serde(default)]
    documents: Vec<SecurityDocumentPayload>,
}

/// A document backing a security, as the approval names it: the file stays with the
/// applications service.
#[derive(Debug, Deserialize)]
struct SecurityDocumentPayload {
    document_id: Uuid,
    kind: String,
    content_type: String,
    sha256: String,
}

#[derive(Clone, Debug)]
pub struct DisbursementEvents {
    /// Dates the approval's provisional schedule from the bank's day of the approval.
    pub calendar: BankCalendar,
}

impl imkon_platform::events::EventHandler for DisbursementEvents {
    fn topics(&self) -> &'static [&'static str] {
        &[APPLICATION_APPROVED]
    }

    async fn apply(
        &self,
        connection: &mut PgConnection,
        event: &EventEnvelope,
    ) -> Result<(), Problem> {
        let approved: ApplicationApproved = serde_json::from_value(event.payload.clone())
            .map_err(|error| Problem::unprocessable("invalid_payload", error.to_string()))?;
        let contract = parse_approval(&approved, &self.calendar)?;
        let securities = parse_securities(&approved.securities)?;
        let security_documents = parse_security_documents(&approved.securities)?;
        if !contracts::insert_draft(connection, &contract).await? {
            tracing::info!(application_id = %approved.application_id, "a contract exists for this application already");
            return Ok(());
        }
        contracts::insert_securities(connection, contract.id, &securities).await?;
        contract_security_documents::insert(connection, contract.id, &security_documents).await?;
        let kind = ProgrammeKind::parse(contract.programme_kind)
            .expect("the kind was parsed from the payload a moment ago");
        let currency = parse_currency(contract.currency, "currency")?;
        let principal = Money::new(contract.principal, currency)
            .expect("the principal was parsed as money in this currency");
        for (index, amount) in plan_tranches(kind, principal).iter().enumerate() {
            let number = i32::try_from(index + 1).expect("a plan has one or two tranches");
            let purpose = match kind {
                ProgrammeKind::Loan => "loan".to_owned(),
                ProgrammeKind::Grant => format!("milestone {number}"),
            };
            contracts::insert_planned_tranche(
                connection,
                contract.id,
                number,
                amount.amount(),
                &purpose,
            )
            .await?;
        }
        outbox::enqueue(
            connection,
            CONTRACT_READY_TO_SIGN,
            &serde_json::json!({
                "contract_id": contract.id,
                "application_id": contract.application_id,
                "client_id": contract.client_id,
                "company_id": contract.company_id,
            }),
        )
        .await?;
        audit::record(
            connection,
            AuditEntry {
                actor_id: None,
                actor_roles: vec!["service".to_owned()],
                action: "contract.drafted",
                subject_type: "contract",
                subject_id: contract.id.to_string(),
                before: None,
                after: Some(event.payload.clone()),
                source_address: None,
            },
        )
        .await?;
        Ok(())
    }
}

/// Checks the approval's terms as a contract will need them. The dates are provisional (the
/// approval day and a month later): the real ones are set at activation.
fn parse_approval(
    approved: &ApplicationApproved,
    calendar: &BankCalendar,
) -> Result<NewContract, DisbursementError> {
    let kind = ProgrammeKind::parse(&approved.programme_kind).ok_or_else(|| {
        DisbursementError::InvalidField {
            field: "programme_kind",
            code: "unknown_value",
            message: "expected grant or loan".to_owned(),
        }
    })?;
    let currency = parse_currency(&approved.currency, "currency")?;
    let principal = parse_decimal(&approved.amount, "amount")?;
    let penalty_rate = match &approved.penalty_rate_percent {
        Some(text) => parse_decimal(text, "penalty_rate_percent")?,
        None => DEFAULT_PENALTY_RATE_PERCENT,
    };
    let penalty_rate = AnnualRate::from_percent(penalty_rate)
        .map_err(|error| DisbursementError::InvalidField {
            field: "penalty_rate_percent",
            code: "invalid_rate",
            message: error.to_string(),
        })?
        .percent();
    let (annual_rate, method) =
        match kind {
            ProgrammeKind::Loan => {
                let rate_text = approved.annual_rate_percent.as_deref().ok_or(
                    DisbursementError::InvalidField {
                        field: "annual_rate_percent",
                        code: "required",
                        message: "a loan needs an annual rate".to_owned(),
                    },
                )?;
                let method_text = approved.repayment_method.as_deref().ok_or(
                    DisbursementError::InvalidField {
                        field: "repayment_method",
                        code: "required",
                        message: "a loan needs a repayment method".to_owned(),
                    },
                )?;
                (
                    parse_decimal(rate_text, "annual_rate_percent")?,
                    RepaymentMethod::parse(method_text)?,
                )
            }
            ProgrammeKind::Grant => (Decimal::ZERO, RepaymentMethod::Annuity),
        };
    let provisional_start = calendar.day_of(approved.approved_at);
    let terms = LoanTerms::parse(&LoanTermsInput {
        principal,
        currency,
        annual_rate_percent: annual_rate,
        term_months: approved.term_months,
        method,
        grace_months: approved.grace_months.unwrap_or(0),
        day_count: match approved.day_count.as_deref() {
            Some(text) => DayCount::parse(text)?,
            None => DayCount::Thirty360,
        },
        interest_method: match approved.interest_method.as_deref() {
            Some(text) => InterestMethod::parse(text)?,
            None => InterestMethod::DecliningBalance,
        },
        disbursement_date: provisional_start,
        first_due_date: provisional_start
            .checked_add_months(Months::new(1))
            .unwrap_or(provisional_start),
    })?;
    let is_loan = kind == ProgrammeKind::Loan;
    let fee = if is_loan {
        arrangement_fee(approved, terms.principal())?
    } else {
        None
    };
    Ok(NewContract {
        id: imkon_platform::id::new_id(),
        application_id: approved.application_id,
        programme_id: approved.programme_id,
        programme_kind: kind.name(),
        client_id: approved.client_id,
        company_id: approved.company_id,
        currency: currency.code(),
        principal: terms.principal().amount(),
        annual_rate_percent: is_loan.then(|| terms.annual_rate().percent()),
        repayment_method: is_loan.then(|| terms.method().name()),
        term_months: i32::try_from(terms.term_months()).expect("the term is at most 360 months"),
        grace_months: i32::try_from(terms.grace_months())
            .expect("grace is shorter than a term of at most 360 months"),
        day_count: terms.day_count().name(),
        interest_method: terms.interest_method().name(),
        penalty_rate_percent: penalty_rate,
        arrangement_fee: fee.map_or(Decimal::ZERO, |fee| fee.amount().amount()),
        arrangement_fee_collection: fee.map(|fee| fee.collection().name()),
        late_charge: late_charge(approved, currency, is_loan)?,
        approved_at: approved.approved_at,
    })
}

/// The approval's securities as the contract keeps them; the applications service checked
/// them, so one that does not read is a broken event, refused whole.
fn parse_securities(
    securities: &[SecurityPayload],
) -> Result<Vec<contracts::SecurityRow>, DisbursementError> {
    securities
        .iter()
        .map(|security| {
            let value = parse_decimal(&security.value, "securities.value")?;
            let valid = matches!(security.kind.as_str(), "collateral" | "guarantor")
                && value > Decimal::ZERO
                && !security.description.trim().is_empty();
            if !valid {
                return Err(DisbursementError::InvalidField {
                    field: "securities",
                    code: "invalid_security",
                    message: "a security is collateral or a guarantor with a description and a positive value".to_owned(),
                });
            }
            Ok(contracts::SecurityRow {
                kind: security.kind.clone(),
                collateral_type: security.collateral_type.clone(),
                description: security.description.clone(),
                value,
                guarantor_name: security.guarantor_name.clone(),
            })
        })
        .collect()
}

/// The kinds of document that back a security, as the applications service names them.
const SECURITY_DOCUMENT_KINDS: [&str; 4] = [
    "valuation_report",
    "title_deed",
    "signed_guarantee",
    "other",
];

/// The media types a security's document may have.
const SECURITY_DOCUMENT_MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// The documents of the approval's securities as the contract keeps them, each with the
/// position of its security (numbered from 1, as `insert_securities` numbers them); one that
/// does not read is a broken event, refused whole.
fn parse_security_documents(
    securities: &[SecurityPayload],
) -> Result<Vec<SecurityDocumentRow>, DisbursementError> {
    let mut rows = Vec::new();
    for (position, security) in (1..).zip(securities) {
        for (number, document) in (1..).zip(&security.documents) {
            let valid = SECURITY_DOCUMENT_KINDS.contains(&document.kind.as_str())
                && SECURITY_DOCUMENT_MEDIA_TYPES.contains(&document.content_type.as_str())
                && document.sha256.len() == 64
                && document
                    .sha256
                    .bytes()
                    .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
            if !valid {
                return Err(DisbursementError::InvalidField {
                    field: "securities",
                    code: "invalid_security_document",
                    message: "a security's document has a known kind, a PDF, JPEG or PNG type and a SHA-256 in lowercase hex".to_owned(),
                });
            }
            rows.push(SecurityDocumentRow {
                position,
                number,
                document_id: document.document_id,
                kind: document.kind.clone(),
                content_type: document.content_type.clone(),
                sha256: document.sha256.clone(),
            });
        }
    }
    Ok(rows)
}

/// The late-payment charge of a loan's programme, zero for none (and for a grant).
fn late_charge(
    approved: &ApplicationApproved,
    currency: Currency,
    is_loan: bool,
) -> Result<Decimal, DisbursementError> {
    let Some(text) = approved.late_charge.as_deref().filter(|_| is_loan) else {
        return Ok(Decimal::ZERO);
    };
    let charge = Money::new(parse_decimal(text, "late_charge")?, currency)
        .ok()
        .filter(|charge| !charge.is_negative())
        .ok_or_else(|| DisbursementError::InvalidField {
            field: "late_charge",
            code: "invalid_amount",
            message: "a late charge is a non-negative amount in the loan's currency".to_owned(),
        })?;
    Ok(charge.amount())
}

/// The arrangement fee the approval's programme charges on this principal, if any.
fn arrangement_fee(
    approved: &ApplicationApproved,
    principal: Money,
) -> Result<Option<ArrangementFee>, DisbursementError> {
    let invalid = |field: &'static str, message: String| DisbursementError::InvalidField {
        field,
        code: "invalid_arrangement_fee",
        message,
    };
    let charge = match (
        &approved.arrangement_fee_fixed,
        &approved.arrangement_fee_percent,
    ) {
        (None, None) => return Ok(None),
        (Some(fixed), None) => FeeCharge::Fixed(parse_decimal(fixed, "arrangement_fee_fixed")?),
        (None, Some(percent)) => {
            FeeCharge::Percent(parse_decimal(percent, "arrangement_fee_percent")?)
        }
        (Some(_), Some(_)) => {
            return Err(invalid(
                "arrangement_fee_percent",
                "a fee is a fixed amount or a percent, not both".to_owned(),
            ))
        }
    };
    let collection = match approved.arrangement_fee_collection.as_deref() {
        None => FeeCollection::Deducted,
        Some(name) => FeeCollection::parse(name)
            .map_err(|error| invalid("arrangement_fee_collection", error.to_string()))?,
    };
    ArrangementFee::on(principal, charge, collection)
        .map_err(|error| invalid("arrangement_fee", error.to_string()))
}
