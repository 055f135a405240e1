//! KYC: a founder submits, officers work the queue and decide, services read the status.
//!
//! Only the officer assigned to a case acts on it; an officer never decides a case that is
//! their own (an officer who is also a client); approval needs every required document
//! accepted. Decisions are audited, and approvals and rejections announced through the
//! outbox (`client.kyc_approved`, `client.kyc_rejected`, `company.kyc_approved`,
//! `company.kyc_rejected`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use imkon_auth::extract::{BankClient, KycOfficer, RequireRole};
use imkon_auth::{Principal, Role};
use imkon_platform::audit;
use imkon_platform::id::now_utc;
use imkon_platform::problem::ValidatedJson;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::db;
use crate::db::kyc::{AssigneeFilter, CaseRecord, HitRecord};
use crate::domain::ids::{ClientId, DocumentId, OfficerId};
use crate::domain::kyc::{
    CaseRejectionReason, DocumentDecision, DocumentRejectionReason, KycCase, KycStatus, Officer,
    ReviewNote, REVIEW_NOTE_MAX_CHARS,
};
use crate::domain::screening::WatchList;
use crate::error::OnboardingError;
use crate::http::profile::own_client_id;
use crate::http::{audit_by, may_read_client, source_address, AnyCaller};
use crate::kyc::{
    announce, decision_columns, ensure_screening_clear, kyc_error, open_or_lock_case,
    remember_watch_list, rescreen_approved, restore_case, run_checks, save_case,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/me/kyc", get(read_own_cases))
        .route("/v1/me/kyc/submit", post(submit_case))
        .route("/v1/kyc/cases", get(list_queue))
        .route("/v1/kyc/cases/{id}", get(read_case))
        .route("/v1/kyc/cases/{id}/assign", post(assign_case))
        .route(
            "/v1/kyc/cases/{id}/documents/{document_id}/decision",
            post(decide_document),
        )
        .route("/v1/kyc/cases/{id}/approve", post(approve_case))
        .route("/v1/kyc/cases/{id}/reject", post(reject_case))
        .route(
            "/v1/kyc/cases/{id}/request-revision",
            post(request_revision),
        )
        .route(
            "/v1/kyc/cases/{id}/screening-hits/{hit_id}/resolution",
            post(resolve_hit),
        )
        .route("/v1/kyc/screening-reviews", get(list_open_hits))
        .route("/v1/kyc/watchlist", post(import_watch_list))
        .route("/v1/clients/{id}/kyc", get(read_client_kyc))
}

#[derive(Serialize, ToSchema)]
pub struct CaseDocumentView {
    document_id: Uuid,
    kind: String,
    /// accepted, rejected, revision_requested, or null while undecided.
    decision: Option<String>,
    rejection_reason: Option<String>,
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckView {
    name: String,
    passed: bool,
    /// passed, failed, cannot_screen (no watch list) or possible_match; null on checks run
    /// before outcomes were recorded.
    outcome: Option<String>,
    /// English detail for the record; pages show the outcome in the reader's language.
    detail: String,
    ran_at: DateTime<Utc>,
}

/// A possible watch-list match: the list entry beside the client's screened name, and the
/// officer's judgement once made.
#[derive(Serialize, ToSchema)]
pub struct ScreeningHitView {
    hit_id: Uuid,
    case_id: Uuid,
    screened_name: String,
    entry_full_name: String,
    entry_birth_date: Option<NaiveDate>,
    list_name: String,
    reference: String,
    score: i16,
    found_at: DateTime<Utc>,
    /// false_positive or true_match; null while the hit awaits review.
    resolution: Option<String>,
    resolution_reason: Option<String>,
    resolved_by: Option<Uuid>,
    resolved_at: Option<DateTime<Utc>>,
}

impl From<HitRecord> for ScreeningHitView {
    fn from(hit: HitRecord) -> Self {
        ScreeningHitView {
            hit_id: hit.id,
            case_id: hit.case_id,
            screened_name: hit.screened_name,
            entry_full_name: hit.entry_full_name,
            entry_birth_date: hit.entry_birth_date,
            list_name: hit.entry_list_name,
            reference: hit.entry_reference,
            score: hit.score,
            found_at: hit.found_at,
            resolution: hit.resolution,
            resolution_reason: hit.resolution_reason,
            resolved_by: hit.resolved_by,
            resolved_at: hit.resolved_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CaseView {
    case_id: Uuid,
    client_id: Uuid,
    company_id: Option<Uuid>,
    status: String,
    assigned_officer_id: Option<Uuid>,
    rejection_reason: Option<String>,
    revision_note: Option<String>,
    submitted_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    documents: Vec<CaseDocumentView>,
    /// The automatic checks of the latest submission; officers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<Vec<CheckView>>,
    /// Possible watch-list matches; officers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    screening_hits: Option<Vec<ScreeningHitView>>,
}

async fn case_view(
    connection: &mut PgConnection,
    record: &CaseRecord,
    for_officer: bool,
) -> Result<CaseView, OnboardingError> {
    let documents = db::kyc::case_documents(connection, record.id)
        .await?
        .into_iter()
        .map(|document| CaseDocumentView {
            document_id: document.document_id,
            kind: document.kind,
            decision: document.decision,
            rejection_reason: document.rejection_reason,
            note: document.note,
        })
        .collect();
    let (checks, screening_hits) = if for_officer {
        let checks = db::kyc::latest_checks(connection, record.id)
            .await?
            .into_iter()
            .map(|check| CheckView {
                name: check.check_name,
                passed: check.passed,
                outcome: check.outcome,
                detail: check.detail,
                ran_at: check.ran_at,
            })
            .collect();
        let hits = db::kyc::hits(connection, record.id)
            .await?
            .into_iter()
            .map(ScreeningHitView::from)
            .collect();
        (Some(checks), Some(hits))
    } else {
        (None, None)
    };
    Ok(CaseView {
        case_id: record.id,
        client_id: record.client_id,
        company_id: record.company_id,
        status: record.status.clone(),
        assigned_officer_id: record.assigned_officer_id,
        rejection_reason: record.rejection_reason.clone(),
        revision_note: record.revision_note.clone(),
        submitted_at: record.submitted_at,
        decided_at: record.decided_at,
        documents,
        checks,
        screening_hits,
    })
}

fn case_state(case: &KycCase) -> serde_json::Value {
    serde_json::json!({
        "status": case.status().code(),
        "assigned_officer_id": case.assigned_officer().map(|officer| officer.as_uuid()),
        "rejection_reason": case.rejection_reason().map(CaseRejectionReason::code),
        "revision_note": case.revision_note().map(ReviewNote::as_str),
        "documents": case.documents().iter().map(|document| serde_json::json!({
            "document_id": document.id().as_uuid(),
            "decision": document.decision().map(|decision| decision_columns(decision).0),
        })).collect::<Vec<_>>(),
    })
}

fn officer_of(principal: &Principal) -> Officer {
    Officer {
        id: OfficerId::from_uuid(principal.subject()),
        own_client_id: principal.client_id().map(ClientId::from_uuid),
    }
}

/// A submission; which company is the caller's is checked against the register.
#[derive(Deserialize, ToSchema, Default, Validate)]
pub struct SubmitRequest {
    /// One of the caller's companies; absent for the caller's own case.
    company_id: Option<Uuid>,
}

/// Submits the caller's case (or one of their companies') for review, first or again after a
/// revision request. Runs and stores the automatic checks.
#[utoipa::path(post, path = "/v1/me/kyc/submit", tag = "kyc", request_body = SubmitRequest,
    security(("bearer" = ["client"])),
    responses((status = 200, body = CaseView),
              (status = 409, description = "kyc_wrong_status"),
              (status = 422, description = "A required document is missing, named as documents[kind]")))]
#[tracing::instrument(skip_all, fields(founder = %founder.subject()))]
async fn submit_case(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    founder: RequireRole<BankClient>,
    ValidatedJson(request): ValidatedJson<SubmitRequest>,
) -> Result<Json<CaseView>, OnboardingError> {
    let client_id = own_client_id(&founder)?;
    let mut transaction = state.pool.begin().await?;
    if let Some(company_id) = request.company_id {
        let owned = db::clients::find_company(&mut transaction, company_id)
            .await?
            .is_some_and(|company| company.owner_client_id == client_id);
        if !owned {
            return Err(OnboardingError::NotFound { what: "company" });
        }
    }
    let record = open_or_lock_case(&mut transaction, client_id, request.company_id).await?;
    let mut case = restore_case(&mut transaction, &record).await?;
    let before = case_state(&case);
    case.submit().map_err(kyc_error)?;
    let now = state.calendar.now();
    save_case(&mut transaction, &case, Some(now), None).await?;
    run_checks(&mut transaction, &record, state.calendar.day_of(now)).await?;
    let mut entry = audit_by(&founder, "kyc.submit", "kyc_case", record.id.to_string());
    entry.before = Some(before);
    entry.after = Some(case_state(&case));
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    let saved = db::kyc::lock_case(&mut transaction, record.id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "case" })?;
    let view = case_view(&mut transaction, &saved, false).await?;
    transaction.commit().await?;
    Ok(Json(view))
}

/// The caller's cases: their own and their companies'.
#[utoipa::path(get, path = "/v1/me/kyc", tag = "kyc", security(("bearer" = ["client"])), responses((status = 200, body = Vec<CaseView>)))]
#[tracing::instrument(skip_all, fields(founder = %founder.subject()))]
async fn read_own_cases(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<CaseView>>, OnboardingError> {
    let client_id = own_client_id(&founder)?;
    let mut connection = state.pool.acquire().await?;
    let mut views = Vec::new();
    for record in db::kyc::cases_of_client(&mut connection, client_id).await? {
        views.push(case_view(&mut connection, &record, false).await?);
    }
    Ok(Json(views))
}

#[derive(Deserialize, IntoParams)]
pub struct QueueQuery {
    /// new, pending_review, approved, rejected or revision_requested.
    status: Option<String>,
    /// `me`, `none` (unassigned) or an officer's id.
    assignee: Option<String>,
    /// At most the service's page size.
    limit: Option<u32>,
}

/// The officers' queue, oldest submission first.
#[utoipa::path(get, path = "/v1/kyc/cases", tag = "kyc", params(QueueQuery),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 200, body = Vec<CaseView>), (status = 403), (status = 422)))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject()))]
async fn list_queue(
    State(state): State<AppState>,
    officer: RequireRole<KycOfficer>,
    Query(query): Query<QueueQuery>,
) -> Result<Json<Vec<CaseView>>, OnboardingError> {
    let status = match query.status.as_deref() {
        None => None,
        Some(code) => Some(
            KycStatus::from_code(code)
                .ok_or_else(|| OnboardingError::InvalidField {
                    field: "status".to_owned(),
                    code: "unknown_status",
                    message: "new, pending_review, approved, rejected or revision_requested"
                        .to_owned(),
                })?
                .code(),
        ),
    };
    let assignee = match query.assignee.as_deref() {
        None => AssigneeFilter::Any,
        Some("me") => AssigneeFilter::Officer(officer.subject()),
        Some("none") => AssigneeFilter::Unassigned,
        Some(text) => {
            AssigneeFilter::Officer(text.parse().map_err(|_| OnboardingError::InvalidField {
                field: "assignee".to_owned(),
                code: "invalid_assignee",
                message: "me, none or an officer's id".to_owned(),
            })?)
        }
    };
    let limit = query
        .limit
        .unwrap_or(state.limits.max_page_size)
        .clamp(1, state.limits.max_page_size);
    let mut connection = state.pool.acquire().await?;
    let records = db::kyc::queue(&mut connection, status, assignee, i64::from(limit)).await?;
    let mut views = Vec::with_capacity(records.len());
    for record in &records {
        views.push(case_view(&mut connection, record, true).await?);
    }
    Ok(Json(views))
}

/// One case with its documents, checks and screening hits.
#[utoipa::path(get, path = "/v1/kyc/cases/{id}", tag = "kyc",
    params(("id" = Uuid, Path, description = "The case")),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 200, body = CaseView), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject(), case = %case_id))]
async fn read_case(
    State(state): State<AppState>,
    officer: RequireRole<KycOfficer>,
    Path(case_id): Path<Uuid>,
) -> Result<Json<CaseView>, OnboardingError> {
    let mut transaction = state.pool.begin().await?;
    let record = db::kyc::lock_case(&mut transaction, case_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "case" })?;
    let view = case_view(&mut transaction, &record, true).await?;
    transaction.commit().await?;
    Ok(Json(view))
}

/// What an officer does to a case.
enum OfficerAction {
    Assign(Officer),
    DecideDocument(DocumentId, DocumentDecision),
    Approve,
    Reject(CaseRejectionReason),
    RequestRevision(ReviewNote),
}

impl OfficerAction {
    fn audit_action(&self) -> &'static str {
        match self {
            OfficerAction::Assign(_) => "kyc.assign",
            OfficerAction::DecideDocument(..) => "kyc.decide_document",
            OfficerAction::Approve => "kyc.approve",
            OfficerAction::Reject(_) => "kyc.reject",
            OfficerAction::RequestRevision(_) => "kyc.request_revision",
        }
    }
}

/// Locks the case, applies the action through the domain, saves, announces and audits.
async fn act_on_case(
    state: &AppState,
    principal: &Principal,
    case_id: Uuid,
    peer: SocketAddr,
    action: OfficerAction,
) -> Result<Json<CaseView>, OnboardingError> {
    let mut transaction = state.pool.begin().await?;
    let record = db::kyc::lock_case(&mut transaction, case_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "case" })?;
    let mut case = restore_case(&mut transaction, &record).await?;
    let before = case_state(&case);
    let acting = officer_of(principal);
    let now = now_utc();
    let decided_at = match &action {
        OfficerAction::Assign(assignee) => {
            case.assign(assignee).map_err(kyc_error)?;
            None
        }
        OfficerAction::DecideDocument(document_id, decision) => {
            case.decide_document(&acting, *document_id, decision.clone())
                .map_err(kyc_error)?;
            let (code, reason, note) = decision_columns(decision);
            db::kyc::save_document_decision(
                &mut transaction,
                case_id,
                document_id.as_uuid(),
                code,
                reason,
                note,
                principal.subject(),
            )
            .await?;
            None
        }
        OfficerAction::Approve => {
            case.approve(&acting).map_err(kyc_error)?;
            ensure_screening_clear(&mut transaction, case_id).await?;
            Some(now)
        }
        OfficerAction::Reject(reason) => {
            case.reject(&acting, *reason).map_err(kyc_error)?;
            Some(now)
        }
        OfficerAction::RequestRevision(note) => {
            case.request_revision(&acting, note.clone())
                .map_err(kyc_error)?;
            Some(now)
        }
    };
    save_case(&mut transaction, &case, None, decided_at).await?;
    announce(&mut transaction, &record, &case, now).await?;
    let mut entry = audit_by(
        principal,
        action.audit_action(),
        "kyc_case",
        case_id.to_string(),
    );
    entry.before = Some(before);
    entry.after = Some(case_state(&case));
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    let saved = db::kyc::lock_case(&mut transaction, case_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "case" })?;
    let view = case_view(&mut transaction, &saved, true).await?;
    transaction.commit().await?;
    Ok(Json(view))
}

/// An assignment; whether the officer is a KYC officer is checked against the register.
#[derive(Deserialize, ToSchema, Default, Validate)]
pub struct AssignRequest {
    /// The officer to assign; the caller when absent.
    officer_id: Option<Uuid>,
}

/// Assigns (or reassigns) a case to a KYC officer, the caller by default.
#[utoipa::path(post, path = "/v1/kyc/cases/{id}/assign", tag = "kyc", request_body = AssignRequest,
    params(("id" = Uuid, Path, description = "The case")),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 200, body = CaseView), (status = 403, description = "conflict_of_interest"),
              (status = 409, description = "kyc_wrong_status"), (status = 422, description = "officer_id is not a KYC officer")))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject(), case = %case_id))]
async fn assign_case(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    officer: RequireRole<KycOfficer>,
    Path(case_id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<AssignRequest>,
) -> Result<Json<CaseView>, OnboardingError> {
    let assignee = match request.officer_id {
        None => officer_of(&officer),
        Some(officer_id) => {
            let mut connection = state.pool.acquire().await?;
            let account = db::accounts::find_by_id(&mut connection, officer_id)
                .await?
                .filter(|account| account.roles.contains(&Role::KycOfficer))
                .ok_or_else(|| OnboardingError::InvalidField {
                    field: "officer_id".to_owned(),
                    code: "not_a_kyc_officer",
                    message: "no KYC officer has this id".to_owned(),
                })?;
            Officer {
                id: OfficerId::from_uuid(account.id),
                own_client_id: account.client_id.map(ClientId::from_uuid),
            }
        }
    };
    act_on_case(
        &state,
        &officer,
        case_id,
        peer,
        OfficerAction::Assign(assignee),
    )
    .await
}

/// A decision on a document. The note's length is declared here; which decisions and reasons
/// exist, and that a revision request has a note that is not blank, are the domain's
/// (`ReviewNote::parse`).
#[derive(Deserialize, ToSchema, Validate)]
pub struct DocumentDecisionRequest {
    /// accepted, rejected or revision_requested.
    decision: String,
    /// With `rejected`: illegible, expired, does_not_match_profile, wrong_document_kind,
    /// incomplete or suspected_forgery.
    reason: Option<String>,
    /// With `revision_requested`: what to fix.
    #[validate(length(max = NOTE_MAX_CHARS, code = "invalid_note"))]
    #[schema(max_length = 2000)]
    note: Option<String>,
}

/// The domain's longest review note, in the `u64` that `validator` counts in.
const NOTE_MAX_CHARS: u64 = REVIEW_NOTE_MAX_CHARS as u64;

fn parse_document_decision(
    request: &DocumentDecisionRequest,
) -> Result<DocumentDecision, OnboardingError> {
    match request.decision.as_str() {
        "accepted" => Ok(DocumentDecision::Accepted),
        "rejected" => {
            let code = request.reason.as_deref().unwrap_or_default();
            DocumentRejectionReason::from_code(code)
                .map(DocumentDecision::Rejected)
                .ok_or_else(|| OnboardingError::InvalidField {
                    field: "reason".to_owned(),
                    code: "unknown_reason",
                    message: "a rejection needs one of the listed reasons".to_owned(),
                })
        }
        "revision_requested" => {
            let note = ReviewNote::parse(request.note.as_deref().unwrap_or_default())
                .map_err(kyc_error)?;
            Ok(DocumentDecision::RevisionRequested(note))
        }
        _ => Err(OnboardingError::InvalidField {
            field: "decision".to_owned(),
            code: "unknown_decision",
            message: "accepted, rejected or revision_requested".to_owned(),
        }),
    }
}

/// The assigned officer decides on one document of the case.
#[utoipa::path(post, path = "/v1/kyc/cases/{id}/documents/{document_id}/decision", tag = "kyc",
    request_body = DocumentDecisionRequest,
    params(("id" = Uuid, Path, description = "The case"), ("document_id" = Uuid, Path, description = "A document of the case")),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 200, body = CaseView), (status = 403, description = "not_assigned_officer"), (status = 404), (status = 409)))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject(), case = %case_id))]
async fn decide_document(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    officer: RequireRole<KycOfficer>,
    Path((case_id, document_id)): Path<(Uuid, Uuid)>,
    ValidatedJson(request): ValidatedJson<DocumentDecisionRequest>,
) -> Result<Json<CaseView>, OnboardingError> {
    let decision = parse_document_decision(&request)?;
    let action = OfficerAction::DecideDocument(DocumentId::from_uuid(document_id), decision);
    act_on_case(&state, &officer, case_id, peer, action).await
}

/// The assigned officer approves the case; every required document must be accepted.
#[utoipa::path(post, path = "/v1/kyc/cases/{id}/approve", tag = "kyc",
    params(("id" = Uuid, Path, description = "The case")),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 200, body = CaseView), (status = 403),
              (status = 409, description = "kyc_wrong_status, screening_true_match (a hit judged a true match) or screening_review_open (a hit not yet judged)"),
              (status = 422, description = "A required document is not accepted, named as documents[kind]")))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject(), case = %case_id))]
async fn approve_case(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    officer: RequireRole<KycOfficer>,
    Path(case_id): Path<Uuid>,
) -> Result<Json<CaseView>, OnboardingError> {
    act_on_case(&state, &officer, case_id, peer, OfficerAction::Approve).await
}

/// A rejection; the reason is one of the domain's, so nothing here is a shape.
#[derive(Deserialize, ToSchema, Validate)]
pub struct RejectRequest {
    /// documents_rejected, screening_list_match, duplicate_identity or false_information.
    reason: String,
}

/// The assigned officer rejects the case for good.
#[utoipa::path(post, path = "/v1/kyc/cases/{id}/reject", tag = "kyc", request_body = RejectRequest,
    params(("id" = Uuid, Path, description = "The case")),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 200, body = CaseView), (status = 403), (status = 409), (status = 422)))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject(), case = %case_id))]
async fn reject_case(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    officer: RequireRole<KycOfficer>,
    Path(case_id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<RejectRequest>,
) -> Result<Json<CaseView>, OnboardingError> {
    let reason = CaseRejectionReason::from_code(&request.reason).ok_or_else(|| {
        OnboardingError::InvalidField {
            field: "reason".to_owned(),
            code: "unknown_reason",
            message:
                "documents_rejected, screening_list_match, duplicate_identity or false_information"
                    .to_owned(),
        }
    })?;
    act_on_case(
        &state,
        &officer,
        case_id,
        peer,
        OfficerAction::Reject(reason),
    )
    .await
}

/// A revision request. The note's length is declared here; that it is not blank once trimmed
/// is the domain's rule.
#[derive(Deserialize, ToSchema, Validate)]
pub struct RevisionRequest {
    /// What the client must fix.
    #[validate(length(min = 1, max = NOTE_MAX_CHARS, code = "invalid_note"))]
    #[schema(min_length = 1, max_length = 2000)]
    note: String,
}

/// The assigned officer sends the case back to the client with a note.
#[utoipa::path(post, path = "/v1/kyc/cases/{id}/request-revision", tag = "kyc", request_body = RevisionRequest,
    params(("id" = Uuid, Path, description = "The case")),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 200, body = CaseView), (status = 403), (status = 409), (status = 422)))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject(), case = %case_id))]
async fn request_revision(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    officer: RequireRole<KycOfficer>,
    Path(case_id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<RevisionRequest>,
) -> Result<Json<CaseView>, OnboardingError> {
    let note = ReviewNote::parse(&request.note).map_err(kyc_error)?;
    act_on_case(
        &state,
        &officer,
        case_id,
        peer,
        OfficerAction::RequestRevision(note),
    )
    .await
}

/// A judgement of a screening hit. The reason's length is declared here; that it is not blank
/// once trimmed is the domain's rule.
#[derive(Deserialize, ToSchema, Validate)]
pub struct HitResolutionRequest {
    /// false_positive or true_match.
    resolution: String,
    /// Why: what tells the client and the listed person apart, or what confirms the match.
    #[validate(length(min = 1, max = NOTE_MAX_CHARS, code = "invalid_reason"))]
    #[schema(min_length = 1, max_length = 2000)]
    reason: String,
}

/// The assigned officer judges a screening hit: a false positive clears it, a true match
/// blocks the case's approval. A judgement is final and audited with before and after.
#[utoipa::path(post, path = "/v1/kyc/cases/{id}/screening-hits/{hit_id}/resolution", tag = "kyc",
    request_body = HitResolutionRequest,
    params(("id" = Uuid, Path, description = "The case"), ("hit_id" = Uuid, Path, description = "A hit on the case")),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 200, body = ScreeningHitView),
              (status = 403, description = "not_assigned_officer or conflict_of_interest"),
              (status = 404), (status = 409, description = "hit_already_resolved"),
              (status = 422, description = "resolution or reason invalid")))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject(), case = %case_id))]
async fn resolve_hit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    officer: RequireRole<KycOfficer>,
    Path((case_id, hit_id)): Path<(Uuid, Uuid)>,
    ValidatedJson(request): ValidatedJson<HitResolutionRequest>,
) -> Result<Json<ScreeningHitView>, OnboardingError> {
    let resolution = match request.resolution.as_str() {
        "false_positive" | "true_match" => request.resolution.as_str(),
        _ => {
            return Err(OnboardingError::InvalidField {
                field: "resolution".to_owned(),
                code: "unknown_resolution",
                message: "false_positive or true_match".to_owned(),
            })
        }
    };
    let reason = ReviewNote::parse(&request.reason)
        .map_err(|error| OnboardingError::invalid("reason".to_owned(), "invalid_reason", &error))?;
    let mut transaction = state.pool.begin().await?;
    let record = db::kyc::lock_case(&mut transaction, case_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "case" })?;
    let hit = db::kyc::lock_hit(&mut transaction, hit_id)
        .await?
        .filter(|hit| hit.case_id == case_id)
        .ok_or(OnboardingError::NotFound {
            what: "screening hit",
        })?;
    let acting = officer_of(&officer);
    if acting.own_client_id == Some(ClientId::from_uuid(record.client_id)) {
        return Err(OnboardingError::forbidden(
            "conflict_of_interest",
            "an officer does not judge screening hits on their own case",
        ));
    }
    if record.assigned_officer_id != Some(officer.subject()) {
        return Err(OnboardingError::forbidden(
            "not_assigned_officer",
            "only the officer assigned to the case judges its screening hits",
        ));
    }
    if hit.resolution.is_some() {
        return Err(OnboardingError::conflict(
            "hit_already_resolved",
            "this screening hit was already judged",
        ));
    }
    db::kyc::resolve_hit(
        &mut transaction,
        hit_id,
        resolution,
        reason.as_str(),
        officer.subject(),
    )
    .await?;
    let mut entry = audit_by(
        &officer,
        "kyc.resolve_screening_hit",
        "screening_hit",
        hit_id.to_string(),
    );
    entry.before = Some(serde_json::json!({ "case_id": case_id, "resolution": null }));
    entry.after = Some(serde_json::json!({
        "case_id": case_id,
        "resolution": resolution,
        "reason": reason.as_str(),
        "entry_list_name": hit.entry_list_name,
        "entry_reference": hit.entry_reference,
    }));
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    let saved =
        db::kyc::lock_hit(&mut transaction, hit_id)
            .await?
            .ok_or(OnboardingError::NotFound {
                what: "screening hit",
            })?;
    transaction.commit().await?;
    Ok(Json(ScreeningHitView::from(saved)))
}

#[derive(Deserialize, IntoParams)]
pub struct OpenHitsQuery {
    /// At most the service's page size.
    limit: Option<u32>,
}

/// Screening hits no officer has judged yet, oldest first: those found at submission and
/// those a new watch list found on clients already approved.
#[utoipa::path(get, path = "/v1/kyc/screening-reviews", tag = "kyc", params(OpenHitsQuery),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 200, body = Vec<ScreeningHitView>), (status = 403)))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject()))]
async fn list_open_hits(
    State(state): State<AppState>,
    officer: RequireRole<KycOfficer>,
    Query(query): Query<OpenHitsQuery>,
) -> Result<Json<Vec<ScreeningHitView>>, OnboardingError> {
    let limit = query
        .limit
        .unwrap_or(state.limits.max_page_size)
        .clamp(1, state.limits.max_page_size);
    let mut connection = state.pool.acquire().await?;
    let hits = db::kyc::open_hits(&mut connection, i64::from(limit)).await?;
    Ok(Json(hits.into_iter().map(ScreeningHitView::from).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct WatchListImportView {
    watch_list_id: Uuid,
    entry_count: usize,
    /// Approved cases screened again against the new list.
    rescreened_cases: usize,
    /// Hits the new list found that no earlier screening had: each an open review.
    new_hits: u64,
}

/// Imports a watch list (CSV with `full_name`, `list_name`, `reference` and optionally
/// `birth_date`), which replaces the one in force, and screens every approved client again,
/// opening a review for each new hit. A bad line refuses the whole file and every bad line is
/// reported (`lines[n].column`, with a code saying what is wrong: `missing_column`,
/// `malformed_line`, `empty_value`, `unmatchable_name` or `invalid_birth_date`); nothing is
/// stored then.
#[utoipa::path(post, path = "/v1/kyc/watchlist", tag = "kyc",
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = ["kyc_officer"])),
    responses((status = 201, body = WatchListImportView), (status = 403), (status = 422, description = "Every bad line, with its column")))]
#[tracing::instrument(skip_all, fields(officer = %officer.subject()))]
async fn import_watch_list(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    officer: RequireRole<KycOfficer>,
    csv_text: String,
) -> Result<(axum::http::StatusCode, Json<WatchListImportView>), OnboardingError> {
    let list =
        WatchList::parse_csv(&csv_text).map_err(|errors| OnboardingError::InvalidFields {
            errors: errors
                .iter()
                .map(|error| {
                    (
                        format!("lines[{}].{}", error.line, error.field()),
                        error.problem.code(),
                        error.to_string(),
                    )
                })
                .collect(),
        })?;
    let entry_count = list.entries().len();
    let mut transaction = state.pool.begin().await?;
    let watch_list_id = db::kyc::insert_watch_list(
        &mut transaction,
        officer.subject(),
        &csv_text,
        i32::try_from(entry_count).map_err(|error| OnboardingError::Internal(error.to_string()))?,
    )
    .await?;
    let (rescreened_cases, new_hits) =
        rescreen_approved(&mut transaction, watch_list_id, &list).await?;
    let mut entry = audit_by(
        &officer,
        "kyc.import_watch_list",
        "watch_list",
        watch_list_id.to_string(),
    );
    entry.after = Some(serde_json::json!({
        "entry_count": entry_count,
        "rescreened_cases": rescreened_cases,
        "new_hits": new_hits,
    }));
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    transaction.commit().await?;
    remember_watch_list(watch_list_id, std::sync::Arc::new(list));
    Ok((
        axum::http::StatusCode::CREATED,
        Json(WatchListImportView {
            watch_list_id,
            entry_count,
            rescreened_cases,
            new_hits,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CompanyKycView {
    company_id: Uuid,
    status: String,
    decided_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientKycView {
    client_id: Uuid,
    /// The person's own case; `new` when nothing was submitted yet.
    status: String,
    approved_at: Option<DateTime<Utc>>,
    companies: Vec<CompanyKycView>,
}

/// A client's KYC status, for services (applications checks it) and staff; a founder may
/// read only their own.
#[utoipa::path(get, path = "/v1/clients/{id}/kyc", tag = "clients",
    params(("id" = Uuid, Path, description = "The person's client id")),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin", "service"])),
    responses((status = 200, body = ClientKycView), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(client = %client_id))]
async fn read_client_kyc(
    State(state): State<AppState>,
    AnyCaller(caller): AnyCaller,
    Path(client_id): Path<Uuid>,
) -> Result<Json<ClientKycView>, OnboardingError> {
    if !may_read_client(&caller, client_id) {
        return Err(OnboardingError::NotFound { what: "client" });
    }
    let mut connection = state.pool.acquire().await?;
    if db::clients::find_person(&mut connection, client_id)
        .await?
        .is_none()
    {
        return Err(OnboardingError::NotFound { what: "client" });
    }
    let cases = db::kyc::cases_of_client(&mut connection, client_id).await?;
    let own = cases.iter().find(|case| case.company_id.is_none());
    let status = own.map_or(KycStatus::New.code().to_owned(), |case| case.status.clone());
    let approved_at = own
        .filter(|case| case.status == KycStatus::Approved.code())
        .and_then(|case| case.decided_at);
    let companies = cases
        .iter()
        .filter_map(|case| {
            case.company_id.map(|company_id| CompanyKycView {
                company_id,
                status: case.status.clone(),
                decided_at: case.decided_at,
            })
        })
        .collect();
    Ok(Json(ClientKycView {
        client_id,
        status,
        approved_at,
        companies,
    }))
}
