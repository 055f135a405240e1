//! Recoveries: the client pays towards a loan after it was written off.
//!
//! A write-off moves the outstanding principal to the bank's loan-loss account but does not
//! release the client from the debt. Each payment towards it leaves the client's current account
//! for that loss account, so the loss shrinks by what came back, up to the principal written off.
//! Interest and penalties unpaid at the write-off were never booked as income, so nothing is
//! recovered towards them here.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use imkon_auth::extract::{AuthenticatedUser, BankClient, RequireRole};
use imkon_platform::idempotency::{self, Claim, IdempotencyKey, SavedResponse};
use imkon_platform::money::Money;
use imkon_platform::problem::{Problem, ValidatedJson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::contracts::visible_contract;
use super::schedules::parse_decimal;
use super::{record_audit, AuditSubject};
use crate::db::contracts::{self, ContractRow};
use crate::db::recoveries::{self, NewRecovery, RecoveryRow, WrittenOffStanding};
use crate::domain::contract::ContractStatus;
use crate::error::DisbursementError;
use crate::loans::{contract_status, currency, money};
use crate::money_flows::collect_recovery;
use crate::AppState;

/// A payment towards a written-off loan: `amount`, at most what is still owed of the principal
/// written off (422 `exceeds_outstanding` above it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RecoveryRequest {
    #[validate(length(min = 1, max = 40, code = "not_a_decimal"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: String,
}

/// One payment towards a written-off loan; amounts are decimal strings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecoveryView {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub recovered_on: NaiveDate,
    pub amount: String,
    pub transfer_id: Uuid,
    pub created_at: DateTime<Utc>,
}

impl RecoveryView {
    fn from_row(contract: &ContractRow, row: &RecoveryRow) -> RecoveryView {
        RecoveryView {
            id: row.id,
            contract_id: row.contract_id,
            recovered_on: row.recovered_on,
            amount: money(contract, row.amount).amount().to_string(),
            transfer_id: row.transfer_id,
            created_at: row.created_at,
        }
    }
}

/// A written-off loan's principal written off, what has come back of it and each payment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecoveriesView {
    pub contract_id: Uuid,
    pub currency: String,
    pub principal_written_off: String,
    pub recovered: String,
    pub still_owed: String,
    pub items: Vec<RecoveryView>,
}

/// The written-off figures of a contract, as text in its currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WrittenOffView {
    pub principal_written_off: String,
    pub recovered: String,
    pub still_owed: String,
}

impl WrittenOffView {
    pub fn new(contract: &ContractRow, standing: &WrittenOffStanding) -> WrittenOffView {
        let text = |amount: Decimal| money(contract, amount).amount().to_string();
        WrittenOffView {
            principal_written_off: text(standing.principal_written_off),
            recovered: text(standing.recovered),
            still_owed: text(standing.still_owed()),
        }
    }
}

fn written_off(contract: &ContractRow) -> Result<(), DisbursementError> {
    match contract_status(contract) {
        ContractStatus::WrittenOff => Ok(()),
        other => Err(DisbursementError::ContractNotWrittenOff {
            status: other.name(),
        }),
    }
}

/// The founder pays towards their written-off loan from their current account.
///
/// The ledger transfer's idempotency key is derived from the contract, the caller's
/// Idempotency-Key and the request, so a retry after a crash between the ledger and this
/// service's commit finds the transfer already made instead of paying twice.
#[utoipa::path(post, path = "/v1/contracts/{id}/recoveries", tag = "repayments",
    request_body = RecoveryRequest,
    params(("id" = Uuid, Path, description = "The contract's id"),
        ("Idempotency-Key" = String, Header, description = "Required; a retry with the same key returns the first answer")),
    security(("bearer" = ["client"])),
    responses((status = 201, body = RecoveryView), (status = 400), (status = 401), (status = 403),
        (status = 404),
        (status = 409, description = "`contract_not_written_off`"),
        (status = 422, description = "An invalid amount (`not_a_decimal`, `too_many_decimals`, `not_positive`, `exceeds_outstanding`), insufficient funds or no current account")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn recover(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    founder: RequireRole<BankClient>,
    key: IdempotencyKey,
    Path(id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<RecoveryRequest>,
) -> Result<Response, Problem> {
    let path = format!("/v1/contracts/{id}/recoveries");
    let body = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", &path, &body);
    let scope = format!("{}:recover", founder.subject());
    let mut transaction = state.pool.begin().await?;
    if let Claim::Replay(response) =
        idempotency::claim(&mut transaction, &scope, &key, &fingerprint).await?
    {
        return Ok(response);
    }
    let contract = contracts::find_for_update(&mut transaction, id)
        .await?
        .filter(|contract| founder.client_id() == Some(contract.client_id))
        .ok_or(DisbursementError::ContractNotFound)?;
    written_off(&contract)?;
    let amount = Money::new(
        parse_decimal(&request.amount, "amount")?,
        currency(&contract),
    )
    .map_err(|error| DisbursementError::InvalidField {
        field: "amount",
        code: "too_many_decimals",
        message: error.to_string(),
    })?;
    if !amount.is_positive() {
        return Err(DisbursementError::InvalidField {
            field: "amount",
            code: "not_positive",
            message: "a payment is more than zero".to_owned(),
        }
        .into());
    }
    let standing = recoveries::standing(&mut *transaction, id)
        .await?
        .expect("the database keeps the principal of every written-off contract");
    if amount.amount() > standing.still_owed() {
        return Err(DisbursementError::InvalidField {
            field: "amount",
            code: "exceeds_outstanding",
            message: format!(
                "at most {} is still owed",
                money(&contract, standing.still_owed()).amount()
            ),
        }
        .into());
    }
    let ledger_key = format!(
        "recovery:{}",
        idempotency::fingerprint(&id.to_string(), key.as_str(), fingerprint.as_bytes())
    );
    let transfer_id =
        collect_recovery(state.ledger.as_ref(), &contract, ledger_key, amount).await?;
    let row = NewRecovery {
        id: imkon_platform::id::new_id(),
        contract_id: id,
        recovered_on: state.calendar.today(),
        amount: amount.amount(),
        transfer_id,
        recorded_by: founder.subject(),
    };
    recoveries::insert(&mut transaction, &row).await?;
    let recovered = standing.recovered + amount.amount();
    record_audit(
        &mut transaction,
        &founder,
        address,
        "contract.recovery_received",
        AuditSubject::Contract(id),
        Some(json!({"recovered": standing.recovered})),
        Some(json!({
            "recovery_id": row.id,
            "amount": amount.amount(),
            "recovered": recovered,
            "principal_written_off": standing.principal_written_off,
            "transfer_id": transfer_id,
        })),
    )
    .await?;
    let stored = recoveries::list(&mut *transaction, id)
        .await?
        .into_iter()
        .find(|stored| stored.id == row.id)
        .expect("the recovery was inserted in this transaction");
    let saved = SavedResponse::json(
        StatusCode::CREATED,
        &RecoveryView::from_row(&contract, &stored),
    )?;
    idempotency::save(&mut transaction, &scope, &key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

/// A written-off contract's recoveries, for its founder and the bank's staff.
#[utoipa::path(get, path = "/v1/contracts/{id}/recoveries", tag = "repayments",
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = RecoveriesView), (status = 401), (status = 404),
        (status = 409, description = "`contract_not_written_off`")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn list_recoveries(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(id): Path<Uuid>,
) -> Result<Json<RecoveriesView>, Problem> {
    let contract = visible_contract(&state, &user, id).await?;
    written_off(&contract)?;
    let standing = recoveries::standing(&state.pool, id)
        .await?
        .expect("the database keeps the principal of every written-off contract");
    let figures = WrittenOffView::new(&contract, &standing);
    let items = recoveries::list(&state.pool, id)
        .await?
        .iter()
        .map(|row| RecoveryView::from_row(&contract, row))
        .collect();
    Ok(Json(RecoveriesView {
        contract_id: id,
        currency: contract.currency.clone(),
        principal_written_off: figures.principal_written_off,
        recovered: figures.recovered,
        still_owed: figures.still_owed,
        items,
    }))
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/contracts/{id}/recoveries",
        post(recover).get(list_recoveries),
    )
}
