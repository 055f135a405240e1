//! The HTTP API: one module per resource, each with its DTOs, handlers and router.

pub mod arrears;
pub mod contract_document;
pub mod contracts;
pub mod loan_book;
pub mod recoveries;
pub mod repayments;
pub mod reschedules;
pub mod schedules;
pub mod standing;
pub mod tranches;

use std::net::SocketAddr;

use axum::Router;
use imkon_auth::extract::{RoleRequirement, Staff};
use imkon_auth::Principal;
use imkon_platform::audit::{self, AuditEntry};
use serde_json::Value;
use sqlx::PgConnection;
use utoipa::OpenApi;
use uuid::Uuid;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(
        schedules::preview_schedule,
        contracts::list_my_contracts,
        contracts::list_contracts,
        contracts::get_contract,
        contracts::contract_document_pdf,
        contracts::sign_contract,
        contracts::activate_contract,
        contracts::write_off_contract,
        contracts::cancel_contract,
        contracts::confirm_write_off,
        reschedules::propose_reschedule,
        reschedules::confirm_reschedule,
        reschedules::reject_reschedule,
        reschedules::list_reschedules,
        tranches::plan_tranches,
        tranches::request_tranche,
        tranches::approve_tranche,
        tranches::cancel_tranche,
        tranches::disburse_tranche,
        repayments::get_schedule,
        repayments::get_settlement_quote,
        repayments::list_repayments,
        repayments::repay,
        recoveries::recover,
        recoveries::list_recoveries,
        arrears::run_arrears,
        arrears::list_arrears,
        standing::loan_standing,
        loan_book::loan_book_totals,
        loan_book::loan_book_contracts,
        loan_book::loan_book_csv,
        loan_book::loan_book_reconciliation,
    ),
    components(schemas(
        schedules::SchedulePreviewRequest,
        schedules::ScheduleView,
        schedules::InstallmentView,
        contracts::ContractView,
        contracts::WriteOffProposalView,
        contracts::ArrangementFeeView,
        contracts::ContractSecurityView,
        contracts::ContractSecurityDocumentView,
        contracts::ContractPage,
        contracts::TrancheView,
        contracts::SignRequest,
        contracts::ActivateRequest,
        contracts::WriteOffRequest,
        contracts::CancelRequest,
        reschedules::RescheduleRequest,
        reschedules::RescheduleView,
        reschedules::VersionInstallmentView,
        reschedules::ScheduleVersionView,
        reschedules::ReschedulesView,
        tranches::TrancheRequestBody,
        tranches::TranchePlanBody,
        tranches::PlannedTrancheBody,
        repayments::RepaymentRequest,
        repayments::EarlyOption,
        repayments::RepaymentView,
        repayments::ContractScheduleView,
        repayments::SettlementQuoteView,
        repayments::ContractInstallmentView,
        recoveries::RecoveryRequest,
        recoveries::RecoveryView,
        recoveries::RecoveriesView,
        recoveries::WrittenOffView,
        arrears::ArrearsRunView,
        arrears::AssessedDateView,
        arrears::ArrearsView,
        arrears::ArrearsItemView,
        arrears::BucketView,
        standing::LoanStandingView,
        loan_book::LoanBookView,
        loan_book::BookTotalsView,
        loan_book::ProgrammeBookView,
        loan_book::MonthFlowView,
        loan_book::BookContractView,
        loan_book::BookContractPage,
        loan_book::ReconciliationItemView,
        loan_book::ReconciliationPage,
    )),
    tags(
        (name = "schedules", description = "repayment schedules and the public loan calculator"),
        (name = "contracts", description = "contracts from approval to closure"),
        (name = "tranches", description = "grant milestones and loan tranches, approved by four eyes, paid out once"),
        (name = "repayments", description = "schedules as they stand, repayments, early repayment and recoveries after a write-off"),
        (name = "arrears", description = "overdue loans, penalties and ageing buckets"),
        (name = "loan book", description = "what the bank is owed on its loans, the portfolio at risk, and the reconciliation with the ledger"),
    )
)]
pub struct ApiDoc;

/// Every route of the service's own API.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(schedules::router())
        .merge(contracts::router())
        .merge(tranches::router())
        .merge(repayments::router())
        .merge(recoveries::router())
        .merge(reschedules::router())
        .merge(arrears::router())
        .merge(standing::router())
        .merge(loan_book::router())
}

/// Staff who are also the contract's client (the same client id in their token) act on
/// nothing of their own: no approval, payout, cancellation, activation or write-off.
pub fn refuse_own_contract(
    principal: &Principal,
    contract_client_id: Uuid,
) -> Result<(), crate::error::DisbursementError> {
    if principal.client_id() == Some(contract_client_id) {
        return Err(crate::error::DisbursementError::OwnContract);
    }
    Ok(())
}

/// Whether the principal is one of the bank's staff.
pub fn is_staff(principal: &Principal) -> bool {
    Staff::ALLOWED.iter().any(|role| principal.has_role(*role))
}

/// What an audit record is about.
pub enum AuditSubject {
    Contract(Uuid),
    Tranche(Uuid),
    Repayment(Uuid),
}

/// Appends an audit record of a person's decision or money movement, in their transaction.
pub async fn record_audit(
    connection: &mut PgConnection,
    principal: &Principal,
    address: SocketAddr,
    action: &str,
    subject: AuditSubject,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), sqlx::Error> {
    let (subject_type, subject_id) = match subject {
        AuditSubject::Contract(id) => ("contract", id),
        AuditSubject::Tranche(id) => ("tranche", id),
        AuditSubject::Repayment(id) => ("repayment", id),
    };
    audit::record(
        connection,
        AuditEntry {
            actor_id: Some(principal.subject()),
            actor_roles: principal
                .roles()
                .map(|role| role.as_str().to_owned())
                .collect(),
            action,
            subject_type,
            subject_id: subject_id.to_string(),
            before,
            after,
            source_address: Some(address.ip().to_string()),
        },
    )
    .await?;
    Ok(())
}
