//! What other services and staff may read about any client: the profile summary that
//! eligibility rules need.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use imkon_platform::id::now_utc;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db;
use crate::domain::kyc::KycStatus;
use crate::error::OnboardingError;
use crate::http::{may_read_client, AnyCaller};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/clients/{id}", get(read_client_summary))
}

#[derive(Serialize, ToSchema)]
pub struct CompanySummary {
    company_id: Uuid,
    stir: String,
    name: String,
    legal_form: String,
    registration_date: NaiveDate,
    /// Whether the company is an IT Park resident today.
    it_park_resident: bool,
    it_park_valid_until: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientSummary {
    client_id: Uuid,
    full_name: String,
    birth_date: NaiveDate,
    /// The person's own KYC status (`new` until submitted); details at `/v1/clients/{id}/kyc`.
    kyc_status: String,
    /// Where notifications to the person are sent, if they gave an address.
    email: Option<String>,
    companies: Vec<CompanySummary>,
}

/// A person client's summary: birth date and their companies with registration date and IT
/// Park residency. For services (with a service token) and staff; a founder may read only
/// their own (another client's id answers 404).
#[utoipa::path(get, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = Uuid, Path, description = "The person's client id")),
    responses((status = 200, body = ClientSummary), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(client = %client_id))]
async fn read_client_summary(
    State(state): State<AppState>,
    AnyCaller(caller): AnyCaller,
    Path(client_id): Path<Uuid>,
) -> Result<Json<ClientSummary>, OnboardingError> {
    if !may_read_client(&caller, client_id) {
        return Err(OnboardingError::NotFound { what: "client" });
    }
    let mut connection = state.pool.acquire().await?;
    let person = db::clients::find_person(&mut connection, client_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "client" })?;
    let kyc_status = db::kyc::cases_of_client(&mut connection, client_id)
        .await?
        .into_iter()
        .find(|case| case.company_id.is_none())
        .map_or_else(|| KycStatus::New.code().to_owned(), |case| case.status);
    let today = now_utc().date_naive();
    let companies = db::clients::companies_of_owner(&mut connection, client_id)
        .await?
        .into_iter()
        .map(|company| CompanySummary {
            company_id: company.id,
            it_park_resident: matches!(
                (company.it_park_valid_from, company.it_park_valid_until),
                (Some(from), Some(until)) if from <= today && today <= until
            ),
            it_park_valid_until: company.it_park_valid_until,
            stir: company.stir,
            name: company.name,
            legal_form: company.legal_form,
            registration_date: company.registration_date,
        })
        .collect();
    let full_name = [
        Some(person.latin_surname.as_str()),
        Some(person.latin_given_name.as_str()),
        person.latin_patronymic.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    Ok(Json(ClientSummary {
        client_id,
        full_name,
        birth_date: person.birth_date,
        kyc_status,
        email: person.email,
        companies,
    }))
}
