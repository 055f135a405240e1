//! A client's standing as a borrower, for the services whose rules depend on it: applications
//! refuses a loan programme to a founder with an overdue loan.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use imkon_auth::extract::ServiceCaller;
use imkon_platform::problem::Problem;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::standing;
use crate::AppState;

/// Whether a client has a loan with something past due on the bank's today.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoanStandingView {
    pub client_id: Uuid,
    pub has_overdue_loan: bool,
    /// The active loans with an instalment past due or a penalty owed.
    pub overdue_contracts: Vec<Uuid>,
}

/// A client's standing as a borrower: another service only, since it reads any client.
#[utoipa::path(get, path = "/v1/clients/{client_id}/loan-standing", tag = "arrears",
    params(("client_id" = Uuid, Path, description = "the client")),
    security(("bearer" = ["service"])),
    responses((status = 200, body = LoanStandingView), (status = 400, description = "Not a UUID"),
        (status = 401), (status = 403, description = "A person, not a service")))]
#[tracing::instrument(skip_all)]
pub async fn loan_standing(
    State(state): State<AppState>,
    _caller: ServiceCaller,
    Path(client_id): Path<Uuid>,
) -> Result<Json<LoanStandingView>, Problem> {
    let overdue = standing::overdue_loans(&state.pool, client_id, state.calendar.today()).await?;
    Ok(Json(LoanStandingView {
        client_id,
        has_overdue_loan: !overdue.is_empty(),
        overdue_contracts: overdue,
    }))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/clients/{client_id}/loan-standing", get(loan_standing))
}
