//! What secures a loan application: collateral or guarantors, recorded by the founder while
//! the application is a draft, read by the founder and by the officers who review it, and
//! carried by the approval into the contract. Each security lists the documents that back it
//! (see [`super::security_documents`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{AuthenticatedUser, BankClient, RequireRole};
use imkon_platform::id::{new_id, now_utc};
use imkon_platform::money::Money;
use imkon_platform::problem::ValidatedJson;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::applications::{founder_client_id, visible_application, Viewer};
use super::programmes;
use super::security_documents::SecurityDocumentView;
use crate::db;
use crate::db::securities::SecurityRow;
use crate::db::security_documents::SecurityDocumentRow;
use crate::domain::programme::ProgrammeKind;
use crate::domain::state::State as ApplicationState;
use crate::error::ApiError;
use crate::workflow;
use crate::AppState;

/// The most securities one application records.
pub const MAX_SECURITIES: usize = 20;

/// The kinds of collateral a founder may offer.
pub const COLLATERAL_TYPES: [&str; 5] = ["real_estate", "vehicle", "equipment", "deposit", "other"];

/// A security to record: `collateral` (with `collateral_type`) or `guarantor` (with
/// `guarantor_name`); `value` is the collateral's value or the amount guaranteed, in the
/// programme's currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewSecurity {
    pub kind: String,
    /// `real_estate`, `vehicle`, `equipment`, `deposit` or `other`; collateral only.
    #[serde(default)]
    pub collateral_type: Option<String>,
    /// What it is: an address, a vehicle, a guarantor's relation to the company. Not blank.
    #[validate(length(min = 1, max = 500, code = "invalid_description"))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// A decimal string such as `"250000000.00"`.
    #[validate(length(min = 1, max = 40, code = "invalid_amount"))]
    #[schema(min_length = 1, max_length = 40)]
    pub value: String,
    /// A guarantor's full name; guarantors only.
    #[serde(default)]
    #[validate(length(min = 1, max = 200, code = "invalid_name"))]
    #[schema(min_length = 1, max_length = 200)]
    pub guarantor_name: Option<String>,
}

/// A recorded security; `value` is a decimal string in `currency`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecurityView {
    pub id: Uuid,
    pub kind: String,
    pub collateral_type: Option<String>,
    pub description: String,
    pub value: String,
    pub currency: String,
    pub guarantor_name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The documents backing it, in the order they were attached.
    pub documents: Vec<SecurityDocumentView>,
}

impl SecurityView {
    /// The security with those of `documents` that back it.
    fn with_documents(row: &SecurityRow, documents: &[SecurityDocumentRow]) -> SecurityView {
        SecurityView {
            id: row.id,
            kind: row.kind.clone(),
            collateral_type: row.collateral_type.clone(),
            description: row.description.clone(),
            value: format!("{:.2}", row.value),
            currency: row.currency.clone(),
            guarantor_name: row.guarantor_name.clone(),
            created_at: row.created_at,
            documents: documents
                .iter()
                .filter(|document| document.security_id == row.id)
                .map(SecurityDocumentView::from)
                .collect(),
        }
    }
}

/// The securities as the approval event carries them to disbursement, each with references to
/// the documents that back it (the files stay here; the contract records which ones they were).
pub fn approval_payload(rows: &[SecurityRow], documents: &[SecurityDocumentRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|row| {
                let backing: Vec<Value> = documents
                    .iter()
                    .filter(|document| document.security_id == row.id)
                    .map(|document| {
                        json!({
                            "document_id": document.id,
                            "kind": document.kind,
                            "content_type": document.content_type,
                            "sha256": document.sha256,
                        })
                    })
                    .collect();
                json!({
                    "kind": row.kind,
                    "collateral_type": row.collateral_type,
                    "description": row.description,
                    "value": format!("{:.2}", row.value),
                    "guarantor_name": row.guarantor_name,
                    "documents": backing,
                })
            })
            .collect(),
    )
}

/// The founder's own draft loan application, locked until the transaction ends.
pub(super) async fn locked_draft(
    transaction: &mut sqlx::PgConnection,
    client_id: Uuid,
    application_id: Uuid,
) -> Result<db::applications::ApplicationRow, ApiError> {
    let row = db::applications::lock(transaction, application_id)
        .await?
        .filter(|row| row.client_id == client_id)
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    if workflow::state_of(&row)? != ApplicationState::Draft {
        return Err(ApiError::conflict(
            "not_a_draft",
            "securities and their documents are recorded only while the application is a draft",
        ));
    }
    Ok(row)
}

/// The application's securities; its founder or the officers who review it.
#[utoipa::path(get, path = "/v1/applications/{application_id}/securities", tag = "applications",
    params(("application_id" = Uuid, Path)),
    security(("bearer" = ["client", "credit_officer", "approver"])),
    responses((status = 200, body = [SecurityView]), (status = 404, description = "No such application, or another founder's")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn list_securities(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(application_id): Path<Uuid>,
) -> Result<Json<Vec<SecurityView>>, ApiError> {
    let viewer = Viewer::of(&user)?;
    visible_application(&state, viewer, application_id).await?;
    let rows = db::securities::list(&state.pool, application_id).await?;
    let documents = db::security_documents::of_application(&state.pool, application_id).await?;
    Ok(Json(
        rows.iter()
            .map(|row| SecurityView::with_documents(row, &documents))
            .collect(),
    ))
}

/// The founder records collateral or a guarantor on their draft loan application.
#[utoipa::path(post, path = "/v1/applications/{application_id}/securities", tag = "applications",
    request_body = NewSecurity, params(("application_id" = Uuid, Path)),
    security(("bearer" = ["client"])),
    responses((status = 201, body = SecurityView), (status = 404, description = "Not the founder's"),
        (status = 409, description = "`not_a_draft`, `not_a_loan`, or `too_many_securities`"),
        (status = 422, description = "A field is invalid; the problem names it")))]
#[tracing::instrument(skip_all, fields(%application_id))]
async fn add_security(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path(application_id): Path<Uuid>,
    ValidatedJson(input): ValidatedJson<NewSecurity>,
) -> Result<(StatusCode, Json<SecurityView>), ApiError> {
    let client_id = founder_client_id(&founder)?;
    let description = input.description.trim();
    if description.is_empty() {
        return Err(ApiError::field(
            "description",
            "invalid_description",
            "say what secures the loan",
        ));
    }
    let (collateral_type, guarantor_name) = match input.kind.as_str() {
        "collateral" => {
            if input.guarantor_name.is_some() {
                return Err(ApiError::field(
                    "guarantor_name",
                    "not_applicable",
                    "collateral has no guarantor",
                ));
            }
            let collateral_type = input
                .collateral_type
                .as_deref()
                .filter(|kind| COLLATERAL_TYPES.contains(kind))
                .ok_or_else(|| {
                    ApiError::field(
                        "collateral_type",
                        "invalid_collateral_type",
                        "real_estate, vehicle, equipment, deposit or other",
                    )
                })?;
            (Some(collateral_type.to_owned()), None)
        }
        "guarantor" => {
            if input.collateral_type.is_some() {
                return Err(ApiError::field(
                    "collateral_type",
                    "not_applicable",
                    "a guarantor has no collateral type",
                ));
            }
            let name = input
                .guarantor_name
                .as_deref()
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .ok_or_else(|| {
                    ApiError::field("guarantor_name", "required", "name the guarantor")
                })?;
            (None, Some(name.to_owned()))
        }
        _ => {
            return Err(ApiError::field(
                "kind",
                "invalid_security_kind",
                "collateral or guarantor",
            ))
        }
    };
    let mut transaction = state.pool.begin().await?;
    let row = locked_draft(&mut transaction, client_id, application_id).await?;
    let programme = programmes::load(&mut *transaction, row.programme_id)
        .await?
        .ok_or(ApiError::NotFound { what: "programme" })?;
    let rules = &programme.parsed.programme;
    if rules.kind() != ProgrammeKind::Loan {
        return Err(ApiError::conflict(
            "not_a_loan",
            "collateral and guarantors secure loans; a grant needs none",
        ));
    }
    let value = Money::parse(&input.value, rules.currency())
        .ok()
        .filter(Money::is_positive)
        .ok_or_else(|| {
            ApiError::field(
                "value",
                "invalid_amount",
                format!("a positive amount in {}", rules.currency().code()),
            )
        })?;
    if db::securities::list(&mut *transaction, application_id)
        .await?
        .len()
        >= MAX_SECURITIES
    {
        return Err(ApiError::conflict(
            "too_many_securities",
            format!("an application records at most {MAX_SECURITIES} securities"),
        ));
    }
    let security = SecurityRow {
        id: new_id(),
        application_id,
        kind: input.kind.clone(),
        collateral_type,
        description: description.to_owned(),
        value: value.amount(),
        currency: rules.currency().code().to_owned(),
        guarantor_name,
        created_at: now_utc(),
    };
    db::securities::insert(&mut transaction, &security).await?;
    transaction.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(SecurityView::with_documents(&security, &[])),
    ))
}

/// The founder removes a security from their draft.
#[utoipa::path(delete, path = "/v1/applications/{application_id}/securities/{security_id}", tag = "applications",
    params(("application_id" = Uuid, Path), ("security_id" = Uuid, Path)),
    security(("bearer" = ["client"])),
    responses((status = 204), (status = 404, description = "Not the founder's, or no such security"),
        (status = 409, description = "`not_a_draft`")))]
#[tracing::instrument(skip_all, fields(%application_id, %security_id))]
async fn remove_security(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
    Path((application_id, security_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let client_id = founder_client_id(&founder)?;
    let mut transaction = state.pool.begin().await?;
    locked_draft(&mut transaction, client_id, application_id).await?;
    if !db::securities::delete(&mut transaction, application_id, security_id).await? {
        return Err(ApiError::NotFound { what: "security" });
    }
    transaction.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(OpenApi)]
#[openapi(
    paths(list_securities, add_security, remove_security),
    components(schemas(NewSecurity, SecurityView))
)]
pub struct SecuritiesApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/applications/{application_id}/securities",
            get(list_securities).post(add_security),
        )
        .route(
            "/v1/applications/{application_id}/securities/{security_id}",
            delete(remove_security),
        )
}
