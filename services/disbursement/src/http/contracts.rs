//! Contracts: the founder's list, one contract, signing and activation.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Months, NaiveDate, Utc};
use imkon_auth::extract::{
    AuthenticatedUser, BankClient, CreditOfficer, RequireRole, RoleRequirement, Staff,
};
use imkon_auth::{Principal, Role};
use imkon_platform::language::Language;
use imkon_platform::problem::{Problem, ValidatedJson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::contract_document;
use super::recoveries::WrittenOffView;
use super::schedules::parse_date;
use super::{is_staff, record_audit, refuse_own_contract, AuditSubject};
use crate::db::contracts::{self, ContractRow, TrancheRow};
use crate::db::{contract_security_documents, loan_book, recoveries};
use crate::domain::bank_dates::check_disbursement_date;
use crate::domain::contract::{
    may_confirm_write_off, ContractMove, ContractStatus, ContractTransitionError,
};
use crate::domain::fees::FeeCollection;
use crate::error::DisbursementError;
use crate::loans::{
    arrangement_fee, contract_status as status, contract_terms, fee_to_collect, money,
};
use crate::money_flows::{collect_upfront_fee, refund_upfront_fee, write_off_principal};
use crate::AppState;

/// A tranche: a grant milestone or a loan tranche.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrancheView {
    pub number: i32,
    pub amount: String,
    pub purpose: String,
    /// `planned`, `requested`, `approved`, `disbursed` or `cancelled`.
    pub status: String,
    /// The founder's milestone report or the officer's note sent with the request.
    pub request_note: Option<String>,
    pub requested_by: Option<Uuid>,
    pub requested_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    /// The ledger transfer that paid it out.
    pub transfer_id: Option<Uuid>,
    pub disbursed_at: Option<DateTime<Utc>>,
}

/// A contract with its tranches. Amounts and rates are decimal strings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractView {
    pub id: Uuid,
    pub application_id: Uuid,
    pub programme_id: Uuid,
    /// `grant` or `loan`.
    pub programme_kind: String,
    pub client_id: Uuid,
    pub company_id: Uuid,
    /// `draft`, `signed`, `active`, `closed`, `written_off` or `cancelled`.
    pub status: String,
    pub currency: String,
    pub principal: String,
    /// Loans only.
    pub annual_rate_percent: Option<String>,
    /// `annuity` or `equal_principal`; loans only.
    pub repayment_method: Option<String>,
    pub term_months: i32,
    pub grace_months: i32,
    pub day_count: String,
    /// `declining_balance` or `flat`: what each period's interest is charged on.
    pub interest_method: String,
    pub penalty_rate_percent: String,
    /// The loan's arrangement fee, when its programme charges one.
    pub arrangement_fee: Option<ArrangementFeeView>,
    /// Added to the penalty owed once for each instalment that falls overdue; `"0.00"` for
    /// none.
    pub late_charge: String,
    /// Set at activation.
    pub disbursement_date: Option<NaiveDate>,
    pub first_due_date: Option<NaiveDate>,
    /// Penalty accrued on overdue amounts and not yet paid.
    pub penalty_outstanding: String,
    /// The client's loan account at the ledger, once a loan tranche is paid out.
    pub loan_account_number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub activated_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub tranches: Vec<TrancheView>,
    /// A write-off proposed by one approver, pending until another confirms it (or the record
    /// of both once confirmed); shown on a single contract's view, not in lists.
    pub write_off_proposal: Option<WriteOffProposalView>,
    /// A written-off contract's principal written off and what has come back of it; shown on
    /// a single contract's view, not in lists.
    pub written_off: Option<WrittenOffView>,
    /// The collateral and guarantors securing the loan, as the application recorded them;
    /// shown on a single contract's view, not in lists.
    pub securities: Vec<ContractSecurityView>,
    /// The SHA-256 (lowercase hex) of the contract document the founder signed; null before
    /// signing. The signed document is at `/v1/contracts/{id}/document.pdf`.
    pub document_sha256: Option<String>,
    /// The language of the signed document: `uz-Latn`, `uz-Cyrl`, `ru` or `en`.
    pub document_language: Option<String>,
}

/// Collateral (with its type) or a guarantor (with their name); `value` is the collateral's
/// value or the amount guaranteed, a decimal string in the contract's currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractSecurityView {
    /// `collateral` or `guarantor`.
    pub kind: String,
    /// `real_estate`, `vehicle`, `equipment`, `deposit` or `other`.
    pub collateral_type: Option<String>,
    pub description: String,
    pub value: String,
    pub guarantor_name: Option<String>,
    /// The documents that backed it on the application; the files stay with the applications
    /// service, which decides who opens them.
    pub documents: Vec<ContractSecurityDocumentView>,
}

/// A document that backed a security: which one it was and the SHA-256 of its bytes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractSecurityDocumentView {
    /// The document's id in the applications service.
    pub document_id: Uuid,
    /// `valuation_report`, `title_deed`, `signed_guarantee` or `other`.
    pub kind: String,
    pub content_type: String,
    pub sha256: String,
}

impl ContractSecurityView {
    /// The security at `position` on the contract, with those of `documents` that back it.
    pub fn from_row(
        contract: &ContractRow,
        position: i32,
        row: &contracts::SecurityRow,
        documents: &[contract_security_documents::SecurityDocumentRow],
    ) -> ContractSecurityView {
        ContractSecurityView {
            kind: row.kind.clone(),
            collateral_type: row.collateral_type.clone(),
            description: row.description.clone(),
            value: money(contract, row.value).amount().to_string(),
            guarantor_name: row.guarantor_name.clone(),
            documents: documents
                .iter()
                .filter(|document| document.position == position)
                .map(|document| ContractSecurityDocumentView {
                    document_id: document.document_id,
                    kind: document.kind.clone(),
                    content_type: document.content_type.clone(),
                    sha256: document.sha256.clone(),
                })
                .collect(),
        }
    }
}

/// A loan's arrangement fee and whether the bank has collected it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArrangementFeeView {
    /// A decimal string in the contract's currency.
    pub amount: String,
    /// `deducted` (kept back from the first payout) or `upfront` (paid from the founder's
    /// current account when signing).
    pub collection: String,
    /// The ledger transfer that collected it; null until collected.
    pub transfer_id: Option<Uuid>,
    /// The ledger transfer that gave an up-front fee back in full when the signed contract was
    /// cancelled before any payout; null otherwise.
    pub refund_transfer_id: Option<Uuid>,
}

/// A proposed write-off: who proposed it and why, and who confirmed it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WriteOffProposalView {
    pub reason: String,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub confirmed_by: Option<Uuid>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl From<contracts::WriteOffProposalRow> for WriteOffProposalView {
    fn from(row: contracts::WriteOffProposalRow) -> WriteOffProposalView {
        WriteOffProposalView {
            reason: row.reason,
            proposed_by: row.proposed_by,
            proposed_at: row.proposed_at,
            confirmed_by: row.confirmed_by,
            confirmed_at: row.confirmed_at,
        }
    }
}

/// One page of contracts; `next_cursor` fetches the next page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractPage {
    pub items: Vec<ContractView>,
    pub next_cursor: Option<Uuid>,
}

impl TrancheView {
    pub fn from_row(contract: &ContractRow, row: &TrancheRow) -> TrancheView {
        TrancheView {
            number: row.number,
            amount: money(contract, row.amount).amount().to_string(),
            purpose: row.purpose.clone(),
            status: row.status.clone(),
            request_note: row.request_note.clone(),
            requested_by: row.requested_by,
            requested_at: row.requested_at,
            approved_by: row.approved_by,
            approved_at: row.approved_at,
            transfer_id: row.transfer_id,
            disbursed_at: row.disbursed_at,
        }
    }
}

impl ContractView {
    pub fn from_rows(contract: &ContractRow, tranches: &[TrancheRow]) -> ContractView {
        ContractView {
            id: contract.id,
            application_id: contract.application_id,
            programme_id: contract.programme_id,
            programme_kind: contract.programme_kind.clone(),
            client_id: contract.client_id,
            company_id: contract.company_id,
            status: contract.status.clone(),
            currency: contract.currency.clone(),
            principal: money(contract, contract.principal).amount().to_string(),
            annual_rate_percent: contract
                .annual_rate_percent
                .map(|rate| rate.normalize().to_string()),
            repayment_method: contract.repayment_method.clone(),
            term_months: contract.term_months,
            grace_months: contract.grace_months,
            day_count: contract.day_count.clone(),
            interest_method: contract.interest_method.clone(),
            penalty_rate_percent: contract.penalty_rate_percent.normalize().to_string(),
            late_charge: money(contract, contract.late_charge).amount().to_string(),
            arrangement_fee: arrangement_fee(contract).map(|fee| ArrangementFeeView {
                amount: fee.amount().amount().to_string(),
                collection: fee.collection().name().to_owned(),
                transfer_id: contract.arrangement_fee_transfer_id,
                refund_transfer_id: None,
            }),
            disbursement_date: contract.disbursement_date,
            first_due_date: contract.first_due_date,
            penalty_outstanding: money(contract, contract.penalty_outstanding)
                .amount()
                .to_string(),
            loan_account_number: contract.loan_account_number.clone(),
            created_at: contract.created_at,
            signed_at: contract.signed_at,
            activated_at: contract.activated_at,
            closed_at: contract.closed_at,
            tranches: tranches
                .iter()
                .map(|row| TrancheView::from_row(contract, row))
                .collect(),
            write_off_proposal: None,
            written_off: None,
            securities: Vec::new(),
            document_sha256: None,
            document_language: None,
        }
    }
}

/// Whether `principal` may see `contract`: its founder, or any of the bank's staff.
pub fn may_see(principal: &Principal, contract: &ContractRow) -> bool {
    is_staff(principal) || principal.client_id() == Some(contract.client_id)
}

/// The contract if `principal` may see it; another founder's contract is "not found", so ids
/// cannot be probed.
pub async fn visible_contract(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<ContractRow, DisbursementError> {
    match contracts::find(&state.pool, id).await? {
        Some(contract) if may_see(principal, &contract) => Ok(contract),
        _ => Err(DisbursementError::ContractNotFound),
    }
}

async fn view(state: &AppState, contract: &ContractRow) -> Result<ContractView, Problem> {
    let tranches = contracts::tranches(&state.pool, contract.id).await?;
    let mut connection = state.pool.acquire().await?;
    let proposal = contracts::write_off_proposal(&mut connection, contract.id).await?;
    let mut view = ContractView::from_rows(contract, &tranches);
    view.write_off_proposal = proposal.map(WriteOffProposalView::from);
    view.written_off = recoveries::standing(&mut *connection, contract.id)
        .await?
        .map(|standing| WrittenOffView::new(contract, &standing));
    if let Some(fee) = view.arrangement_fee.as_mut() {
        fee.refund_transfer_id =
            contracts::arrangement_fee_refund_transfer(&mut *connection, contract.id).await?;
    }
    let security_documents =
        contract_security_documents::of_contract(&mut *connection, contract.id).await?;
    // The securities come in position order, numbered from 1.
    view.securities = (1..)
        .zip(
            contracts::securities(&mut *connection, contract.id)
                .await?
                .iter(),
        )
        .map(|(position, row)| {
            ContractSecurityView::from_row(contract, position, row, &security_documents)
        })
        .collect();
    if let Some((language, sha256)) =
        contracts::signed_document_hash(&state.pool, contract.id).await?
    {
        view.document_language = Some(language);
        view.document_sha256 = Some(sha256);
    }
    Ok(view)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// At most this many items (capped by the service's page size limit).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
    /// Staff list only: contracts in this status.
    pub status: Option<String>,
}

fn page_size(state: &AppState, query: &PageQuery) -> i64 {
    i64::from(
        query
            .limit
            .unwrap_or(50)
            .clamp(1, state.limits.max_page_size),
    )
}

async fn page(
    state: &AppState,
    rows: Vec<ContractRow>,
    limit: i64,
) -> Result<ContractPage, Problem> {
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|row| row.id))
        .flatten();
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(view(state, row).await?);
    }
    Ok(ContractPage { items, next_cursor })
}

/// The signed-in founder's contracts, newest first.
#[utoipa::path(get, path = "/v1/me/contracts", tag = "contracts", params(PageQuery),
    security(("bearer" = ["client"])),
    responses((status = 200, body = ContractPage), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all)]
pub async fn list_my_contracts(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Query(query): Query<PageQuery>,
) -> Result<Json<ContractPage>, Problem> {
    let Some(client_id) = founder.client_id() else {
        return Ok(Json(ContractPage {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let limit = page_size(&state, &query);
    let rows = contracts::list_for_client(&state.pool, client_id, query.cursor, limit).await?;
    Ok(Json(page(&state, rows, limit).await?))
}

/// Every contract, for the bank's staff, newest first, optionally in one status.
#[utoipa::path(get, path = "/v1/contracts", tag = "contracts", params(PageQuery),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = ContractPage), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all)]
pub async fn list_contracts(
    State(state): State<AppState>,
    _staff: RequireRole<Staff>,
    Query(query): Query<PageQuery>,
) -> Result<Json<ContractPage>, Problem> {
    if let Some(name) = &query.status {
        ContractStatus::parse(name).ok_or(DisbursementError::InvalidField {
            field: "status",
            code: "unknown_value",
            message: "expected draft, signed, active, closed, written_off or cancelled".to_owned(),
        })?;
    }
    let limit = page_size(&state, &query);
    let rows = contracts::list(&state.pool, query.status.as_deref(), query.cursor, limit).await?;
    Ok(Json(page(&state, rows, limit).await?))
}

/// One contract: its founder or the bank's staff; anyone else gets a 404.
#[utoipa::path(get, path = "/v1/contracts/{id}", tag = "contracts",
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = ContractView), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn get_contract(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(id): Path<Uuid>,
) -> Result<Json<ContractView>, Problem> {
    let contract = visible_contract(&state, &user, id).await?;
    Ok(Json(view(&state, &contract).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DocumentQuery {
    /// The draft's language: `uz-Latn`, `uz-Cyrl`, `ru` or `en`; when left out, the first of
    /// them in `Accept-Language`, else `uz-Latn`. A signed contract's document is always the
    /// one signed, in the language it was signed in.
    pub lang: Option<String>,
}

/// The `lang` parameter of a document request, else `Accept-Language`, else uz-Latn.
fn document_language(
    query: &DocumentQuery,
    headers: &HeaderMap,
) -> Result<Language, DisbursementError> {
    match &query.lang {
        Some(tag) => parse_language(tag, "lang"),
        None => Ok(headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(Language::from_accept_language)
            .unwrap_or_default()),
    }
}

fn parse_language(tag: &str, field: &'static str) -> Result<Language, DisbursementError> {
    Language::from_tag(tag).ok_or(DisbursementError::InvalidField {
        field,
        code: "unknown_language",
        message: "one of uz-Latn, uz-Cyrl, ru, en".to_owned(),
    })
}

/// Generates the draft document off the runtime's threads (font subsetting is CPU work).
async fn draft_document(
    state: &AppState,
    contract: ContractRow,
    language: Language,
) -> Result<Vec<u8>, Problem> {
    let tranches = contracts::tranches(&state.pool, contract.id).await?;
    let securities = contracts::securities(&state.pool, contract.id).await?;
    let approved = state.calendar.day_of(contract.approved_at);
    tokio::task::spawn_blocking(move || {
        contract_document::render(&contract, &tranches, &securities, approved, language)
    })
    .await
    .map_err(|error| Problem::internal_from(&error))?
}

/// The contract as a PDF: before signing, the draft in the reader's language (what the founder
/// reads before signing); after, the very document signed. The `x-document-sha256` header
/// carries its SHA-256, which the sign request must repeat.
#[utoipa::path(get, path = "/v1/contracts/{id}/document.pdf", tag = "contracts",
    params(("id" = Uuid, Path, description = "The contract's id"), DocumentQuery),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>,
            headers(("x-document-sha256" = String, description = "SHA-256 of the body, lowercase hex"))),
        (status = 401), (status = 404), (status = 422, description = "Unknown `lang`")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn contract_document_pdf(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(id): Path<Uuid>,
    Query(query): Query<DocumentQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let language = document_language(&query, &headers)?;
    let contract = visible_contract(&state, &user, id).await?;
    let (document, sha256) = match contracts::signed_document(&state.pool, id).await? {
        Some(signed) => (signed.content, signed.sha256),
        None => {
            let document = draft_document(&state, contract, language).await?;
            let sha256 = contract_document::sha256_hex(&document);
            (document, sha256)
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"contract-{id}.pdf\""),
            ),
            (HeaderName::from_static("x-document-sha256"), sha256),
        ],
        document,
    )
        .into_response())
}

/// What the founder signs: the document they were shown, by its hash and language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// The SHA-256 (lowercase hex) of the contract document the founder read, as
    /// `/v1/contracts/{id}/document.pdf` gave it.
    #[validate(length(equal = 64, code = "invalid_hash"))]
    #[schema(min_length = 64, max_length = 64)]
    pub document_sha256: String,
    /// The language of that document: `uz-Latn`, `uz-Cyrl`, `ru` or `en`.
    pub language: String,
}

/// The founder accepts the contract document they read. The service generates the document
/// again and refuses the signature (409 `document_mismatch`) unless its SHA-256 is the one the
/// founder saw; the signed document is kept with its hash. A loan whose arrangement fee is paid
/// up front collects it from the founder's current account in the same step: without the
/// money there, the contract stays unsigned (422 `insufficient_funds`). The fee's transfer is
/// keyed by the contract, so a signature retried after a failure pays it once.
#[utoipa::path(post, path = "/v1/contracts/{id}/sign", tag = "contracts",
    request_body = SignRequest,
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["client"])),
    responses((status = 200, body = ContractView), (status = 401), (status = 403),
        (status = 404),
        (status = 409, description = "The contract is not a draft, or `document_mismatch`: the document is not the one shown"),
        (status = 422, description = "A malformed hash or an unknown language, `insufficient_funds` for an up-front fee, or `no_current_account`"),
        (status = 502, description = "The ledger did not answer; signing again is safe")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn sign_contract(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    founder: RequireRole<BankClient>,
    Path(id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<SignRequest>,
) -> Result<Json<ContractView>, Problem> {
    let language = parse_language(&request.language, "language")?;
    let seen = request.document_sha256.to_ascii_lowercase();
    if !seen.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(DisbursementError::InvalidField {
            field: "document_sha256",
            code: "invalid_hash",
            message: "64 hexadecimal digits".to_owned(),
        }
        .into());
    }
    let mut transaction = state.pool.begin().await?;
    let contract = contracts::find_for_update(&mut transaction, id)
        .await?
        .filter(|contract| founder.client_id() == Some(contract.client_id))
        .ok_or(DisbursementError::ContractNotFound)?;
    status(&contract).sign().map_err(DisbursementError::from)?;
    let previous_status = contract.status.clone();
    let upfront_fee = fee_to_collect(&contract, FeeCollection::Upfront);
    let fee_payer = contract.clone();
    let document = draft_document(&state, contract, language).await?;
    let sha256 = contract_document::sha256_hex(&document);
    if sha256 != seen {
        return Err(DisbursementError::DocumentMismatch.into());
    }
    if let Some(fee) = upfront_fee {
        let transfer_id =
            collect_upfront_fee(state.ledger.as_ref(), &fee_payer, fee.amount()).await?;
        contracts::set_arrangement_fee_transfer(&mut transaction, id, transfer_id).await?;
        record_audit(
            &mut transaction,
            &founder,
            address,
            "contract.arrangement_fee_collected",
            AuditSubject::Contract(id),
            None,
            Some(serde_json::json!({
                "amount": fee.amount().amount(),
                "collection": fee.collection().name(),
                "transfer_id": transfer_id,
            })),
        )
        .await?;
    }
    contracts::mark_signed(&mut transaction, id, founder.subject()).await?;
    contracts::insert_signed_document(
        &mut transaction,
        id,
        language.tag(),
        &sha256,
        &document,
        founder.subject(),
    )
    .await?;
    record_audit(
        &mut transaction,
        &founder,
        address,
        "contract.signed",
        AuditSubject::Contract(id),
        Some(serde_json::json!({"status": previous_status})),
        Some(serde_json::json!({
            "status": "signed",
            "document_sha256": sha256,
            "document_language": language.tag(),
        })),
    )
    .await?;
    transaction.commit().await?;
    let contract = visible_contract(&state, &founder, id).await?;
    Ok(Json(view(&state, &contract).await?))
}

/// What an officer may set when activating; both optional (send `{}`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    /// `YYYY-MM-DD`; today (UTC) when absent. May be earlier than today when a contract signed
    /// on paper is booked late, never later.
    #[serde(default)]
    #[validate(length(equal = 10, code = "not_a_date"))]
    #[schema(min_length = 10, max_length = 10)]
    pub disbursement_date: Option<String>,
    /// `YYYY-MM-DD`; one month after the disbursement date when absent.
    #[serde(default)]
    #[validate(length(equal = 10, code = "not_a_date"))]
    #[schema(min_length = 10, max_length = 10)]
    pub first_due_date: Option<String>,
}

/// A credit officer activates a signed contract, fixing its dates.
#[utoipa::path(post, path = "/v1/contracts/{id}/activate", tag = "contracts",
    request_body = ActivateRequest,
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["credit_officer"])),
    responses((status = 200, body = ContractView), (status = 401), (status = 403),
        (status = 404), (status = 409, description = "The contract is not signed"),
        (status = 422, description = "A date is invalid; the problem names it")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn activate_contract(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    officer: RequireRole<CreditOfficer>,
    Path(id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<ActivateRequest>,
) -> Result<Json<ContractView>, Problem> {
    let today = state.calendar.today();
    let disbursement_date = match &request.disbursement_date {
        Some(text) => parse_date(text, "disbursement_date")?,
        None => today,
    };
    check_disbursement_date(disbursement_date, today, state.backdating_window_days).map_err(
        |refusal| DisbursementError::InvalidField {
            field: "disbursement_date",
            code: refusal.code(),
            message: refusal.to_string(),
        },
    )?;
    let first_due_date = match &request.first_due_date {
        Some(text) => parse_date(text, "first_due_date")?,
        None => disbursement_date.checked_add_months(Months::new(1)).ok_or(
            DisbursementError::InvalidField {
                field: "disbursement_date",
                code: "out_of_range",
                message: "the date is out of the calendar's range".to_owned(),
            },
        )?,
    };
    let mut transaction = state.pool.begin().await?;
    let contract = contracts::find_for_update(&mut transaction, id)
        .await?
        .ok_or(DisbursementError::ContractNotFound)?;
    refuse_own_contract(&officer, contract.client_id)?;
    status(&contract)
        .activate()
        .map_err(DisbursementError::from)?;
    contract_terms(
        &contract,
        contract.principal,
        disbursement_date,
        first_due_date,
    )?;
    contracts::mark_active(
        &mut transaction,
        id,
        officer.subject(),
        disbursement_date,
        first_due_date,
    )
    .await?;
    record_audit(
        &mut transaction,
        &officer,
        address,
        "contract.activated",
        AuditSubject::Contract(id),
        Some(serde_json::json!({"status": contract.status})),
        Some(serde_json::json!({
            "status": "active",
            "disbursement_date": disbursement_date,
            "first_due_date": first_due_date,
        })),
    )
    .await?;
    transaction.commit().await?;
    let contract = visible_contract(&state, &officer, id).await?;
    Ok(Json(view(&state, &contract).await?))
}

/// A reason trimmed, refused when blank (422 `invalid_reason`); its length, up to `max_chars`,
/// is checked with the rest of the request.
pub(super) fn required_reason(reason: &str, max_chars: u64) -> Result<&str, DisbursementError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DisbursementError::InvalidField {
            field: "reason",
            code: "invalid_reason",
            message: format!("1 to {max_chars} characters"),
        });
    }
    Ok(reason)
}

/// Who may write a loan off: the credit committee.
pub enum WriteOffDecider {}

impl RoleRequirement for WriteOffDecider {
    const ALLOWED: &'static [Role] = &[Role::Approver];
}

/// Why a loan is written off, for the record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WriteOffRequest {
    /// Not blank once trimmed (a rule the handler checks).
    #[validate(length(max = MAX_REASON_CHARS, code = "invalid_reason"))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// The longest write-off reason accepted, in characters.
pub const MAX_REASON_CHARS: u64 = 2_000;

/// An approver proposes writing off an active contract the bank no longer expects to recover;
/// the contract stays active until another approver confirms (four eyes).
#[utoipa::path(post, path = "/v1/contracts/{id}/write-off", tag = "contracts",
    request_body = WriteOffRequest,
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["approver"])),
    responses((status = 202, body = ContractView, description = "Proposed; another approver confirms"),
        (status = 401),
        (status = 403, description = "Not an approver, or `own_contract`"),
        (status = 404),
        (status = 409, description = "The contract is not active, or `write_off_pending`"),
        (status = 422, description = "No reason given")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn write_off_contract(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    approver: RequireRole<WriteOffDecider>,
    Path(id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<WriteOffRequest>,
) -> Result<(StatusCode, Json<ContractView>), Problem> {
    let reason = required_reason(&request.reason, MAX_REASON_CHARS)?;
    let mut transaction = state.pool.begin().await?;
    let contract = contracts::find_for_update(&mut transaction, id)
        .await?
        .ok_or(DisbursementError::ContractNotFound)?;
    refuse_own_contract(&approver, contract.client_id)?;
    status(&contract)
        .write_off()
        .map_err(DisbursementError::from)?;
    if contracts::write_off_proposal(&mut transaction, id)
        .await?
        .is_some()
    {
        return Err(DisbursementError::WriteOffPending.into());
    }
    contracts::propose_write_off(&mut transaction, id, reason, approver.subject()).await?;
    record_audit(
        &mut transaction,
        &approver,
        address,
        "contract.write_off_proposed",
        AuditSubject::Contract(id),
        Some(serde_json::json!({"status": contract.status})),
        Some(serde_json::json!({"reason": reason})),
    )
    .await?;
    transaction.commit().await?;
    let contract = visible_contract(&state, &approver, id).await?;
    Ok((StatusCode::ACCEPTED, Json(view(&state, &contract).await?)))
}

/// A second approver confirms a proposed write-off; the contract is then written off. The
/// approver who proposed it never confirms it (four eyes, also a check in the database).
#[utoipa::path(post, path = "/v1/contracts/{id}/write-off/confirm", tag = "contracts",
    params(("id" = Uuid, Path, description = "The contract")),
    security(("bearer" = ["approver"])),
    responses((status = 200, body = ContractView), (status = 401),
        (status = 403, description = "Not an approver, `own_contract`, or `four_eyes_violation`: the proposer cannot confirm"),
        (status = 404),
        (status = 409, description = "The contract is not active, or `no_write_off_proposal`")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn confirm_write_off(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    approver: RequireRole<WriteOffDecider>,
    Path(id): Path<Uuid>,
) -> Result<Json<ContractView>, Problem> {
    let mut transaction = state.pool.begin().await?;
    let contract = contracts::find_for_update(&mut transaction, id)
        .await?
        .ok_or(DisbursementError::ContractNotFound)?;
    refuse_own_contract(&approver, contract.client_id)?;
    let proposal = contracts::write_off_proposal(&mut transaction, id)
        .await?
        .filter(|proposal| proposal.confirmed_by.is_none())
        .ok_or(DisbursementError::NoWriteOffProposal)?;
    if !may_confirm_write_off(proposal.proposed_by, approver.subject()) {
        return Err(DisbursementError::WriteOffConfirmedByProposer.into());
    }
    status(&contract)
        .write_off()
        .map_err(DisbursementError::from)?;
    // The loan's principal leaves the client's loan account for the bank's losses while the
    // contract's row is locked; if the ledger fails nothing is marked, and the next
    // confirmation repeats the transfer under the same key.
    let outstanding = loan_book::outstanding_principal(&mut *transaction, id).await?;
    let write_off_transfer = if contract.programme_kind == "loan" && outstanding > Decimal::ZERO {
        Some(
            write_off_principal(
                state.ledger.as_ref(),
                &contract,
                money(&contract, outstanding),
            )
            .await?,
        )
    } else {
        None
    };
    let principal_written_off = if write_off_transfer.is_some() {
        outstanding
    } else {
        Decimal::ZERO
    };
    contracts::mark_written_off(&mut transaction, id, principal_written_off).await?;
    contracts::confirm_write_off(&mut transaction, id, approver.subject()).await?;
    record_audit(
        &mut transaction,
        &approver,
        address,
        "contract.written_off",
        AuditSubject::Contract(id),
        Some(serde_json::json!({
            "status": contract.status,
            "penalty_outstanding": contract.penalty_outstanding,
            "proposed_by": proposal.proposed_by,
        })),
        Some(serde_json::json!({
            "status": "written_off",
            "reason": proposal.reason,
            "principal_written_off": outstanding,
            "transfer_id": write_off_transfer,
        })),
    )
    .await?;
    transaction.commit().await?;
    let contract = visible_contract(&state, &approver, id).await?;
    Ok(Json(view(&state, &contract).await?))
}

/// Who may cancel a contract under which no money went out: its founder, or credit staff after
/// the wait.
pub enum ContractCanceller {}

impl RoleRequirement for ContractCanceller {
    const ALLOWED: &'static [Role] = &[Role::Client, Role::CreditOfficer, Role::Approver];
}

/// Why a contract is cancelled before any payout, for the record and the founder.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Not blank once trimmed (a rule the handler checks).
    #[validate(length(max = MAX_CANCEL_REASON_CHARS, code = "invalid_reason"))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// The longest cancellation reason accepted, in characters (the database's limit too).
pub const MAX_CANCEL_REASON_CHARS: u64 = 1_000;

/// Cancels a contract under which no money went out, a draft or a signed contract never
/// activated nor paid out: its founder may at any time, a credit officer or an approver once it
/// has waited `contract_unsigned_cancel_after_days` since its approval. `contract.cancelled`,
/// raised in the same transaction, has the applications service release the programme budget
/// the approval committed.
///
/// An arrangement fee paid up front at signing is refunded in full, while the contract's row is
/// locked and before anything is marked: the refund's transfer is keyed by the contract, so
/// when the ledger fails (or its answer is lost, or this service dies before committing) the
/// contract stays signed and a retried cancellation finds the same transfer, refunding once.
/// The refund, the cancellation, its event and both audit records are then committed together.
#[utoipa::path(post, path = "/v1/contracts/{id}/cancel", tag = "contracts",
    request_body = CancelRequest,
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["client", "credit_officer", "approver"])),
    responses((status = 200, body = ContractView), (status = 401),
        (status = 403, description = "Not the contract's founder nor a credit officer or approver, `own_contract`, or `cancel_too_early`: staff wait the configured days"),
        (status = 404),
        (status = 409, description = "`contract_wrong_state`: money went out under the contract (it is active or past it, or a tranche was paid out), or it is already cancelled"),
        (status = 422, description = "No reason given"),
        (status = 502, description = "The ledger did not answer the fee's refund; cancelling again is safe")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn cancel_contract(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    user: RequireRole<ContractCanceller>,
    Path(id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<CancelRequest>,
) -> Result<Json<ContractView>, Problem> {
    let reason = required_reason(&request.reason, MAX_CANCEL_REASON_CHARS)?;
    let staff = user.has_role(Role::CreditOfficer) || user.has_role(Role::Approver);
    let mut transaction = state.pool.begin().await?;
    let contract = contracts::find_for_update(&mut transaction, id)
        .await?
        .filter(|contract| staff || user.client_id() == Some(contract.client_id))
        .ok_or(DisbursementError::ContractNotFound)?;
    let now = state.calendar.now();
    let own = user.client_id() == Some(contract.client_id);
    if !own {
        refuse_own_contract(&user, contract.client_id)?;
        let waited = now - contract.approved_at;
        if waited < chrono::Duration::days(i64::from(state.unsigned_cancel_after_days)) {
            return Err(Problem::forbidden(
                "cancel_too_early",
                format!(
                    "staff may cancel a contract not yet paid out {} days after its approval; the founder may at any time",
                    state.unsigned_cancel_after_days
                ),
            ));
        }
    }
    status(&contract)
        .cancel()
        .map_err(DisbursementError::from)?;
    // A signed contract is paid out only once activated, so this holds already; it is checked
    // here too because cancelling after a payout would leave the money out and free its budget.
    let tranches = contracts::tranches(&mut *transaction, id).await?;
    if tranches.iter().any(|tranche| tranche.status == "disbursed") {
        return Err(DisbursementError::from(ContractTransitionError {
            attempted: ContractMove::Cancel,
            from: status(&contract),
        })
        .into());
    }
    let refund = match arrangement_fee(&contract) {
        Some(fee)
            if fee.collection() == FeeCollection::Upfront
                && contract.arrangement_fee_transfer_id.is_some() =>
        {
            let transfer_id =
                refund_upfront_fee(state.ledger.as_ref(), &contract, fee.amount()).await?;
            Some((fee, transfer_id))
        }
        _ => None,
    };
    contracts::mark_cancelled(&mut transaction, id, user.subject(), reason, now).await?;
    if let Some((fee, transfer_id)) = &refund {
        contracts::set_arrangement_fee_refund_transfer(&mut transaction, id, *transfer_id).await?;
        record_audit(
            &mut transaction,
            &user,
            address,
            "contract.arrangement_fee_refunded",
            AuditSubject::Contract(id),
            Some(serde_json::json!({
                "collection": fee.collection().name(),
                "transfer_id": contract.arrangement_fee_transfer_id,
            })),
            Some(serde_json::json!({
                "amount": fee.amount().amount(),
                "refund_transfer_id": transfer_id,
            })),
        )
        .await?;
    }
    imkon_platform::outbox::enqueue(
        &mut transaction,
        crate::events::CONTRACT_CANCELLED,
        &serde_json::json!({
            "contract_id": contract.id,
            "application_id": contract.application_id,
            "programme_id": contract.programme_id,
            "client_id": contract.client_id,
            "currency": contract.currency,
            "amount": contract.principal.to_string(),
            "cancelled_at": now,
        }),
    )
    .await?;
    record_audit(
        &mut transaction,
        &user,
        address,
        "contract.cancelled",
        AuditSubject::Contract(id),
        Some(serde_json::json!({"status": contract.status})),
        Some(serde_json::json!({"status": "cancelled", "reason": reason})),
    )
    .await?;
    transaction.commit().await?;
    let contract = visible_contract(&state, &user, id).await?;
    Ok(Json(view(&state, &contract).await?))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/me/contracts", get(list_my_contracts))
        .route("/v1/contracts", get(list_contracts))
        .route("/v1/contracts/{id}", get(get_contract))
        .route("/v1/contracts/{id}/sign", post(sign_contract))
        .route(
            "/v1/contracts/{id}/document.pdf",
            get(contract_document_pdf),
        )
        .route("/v1/contracts/{id}/activate", post(activate_contract))
        .route("/v1/contracts/{id}/write-off", post(write_off_contract))
        .route("/v1/contracts/{id}/cancel", post(cancel_contract))
        .route(
            "/v1/contracts/{id}/write-off/confirm",
            post(confirm_write_off),
        )
}
