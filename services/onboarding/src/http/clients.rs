//! What other services and staff may read about any client: the profile summary that
//! eligibility rules need.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db;
use crate::db::clients::FounderRecord;
use crate::domain::kyc::KycStatus;
use crate::domain::pinfl::Pinfl;
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
    /// The company's own KYC (KYB): `new` before its documents are submitted, then as the
    /// person's (`pending_review`, `approved`, ...). Funding for the company needs `approved`.
    kyc_status: String,
    /// Whether the company is an IT Park resident today: its residency dates cover today and a
    /// KYC officer accepted its IT Park certificate by approving the company's KYC. The dates
    /// the founder typed are not enough on their own.
    it_park_resident: bool,
    it_park_valid_until: Option<NaiveDate>,
    /// Who owns the company, for eligibility rules about founders (a youth programme's age
    /// limit). A founder's PINFL is not passed on: the birth date it encodes is what the rules
    /// need.
    founders: Vec<FounderSummary>,
}

#[derive(Serialize, ToSchema)]
pub struct FounderSummary {
    /// The founder's client id, when they are a client of the bank.
    client_id: Option<Uuid>,
    /// A person's birth date (from their profile, or from the PINFL they are known by); none
    /// for a founder that is itself a company.
    birth_date: Option<NaiveDate>,
    #[schema(value_type = String, example = "60.00")]
    share_percent: Decimal,
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
    /// The language notifications to the person are written in (uz-Latn, uz-Cyrl, ru, en);
    /// none when they have not chosen one.
    language: Option<String>,
    companies: Vec<CompanySummary>,
}

/// A person client's summary: birth date and their companies with registration date, IT
/// Park residency and founders. For services (with a service token) and staff; a founder may read only
/// their own (another client's id answers 404).
#[utoipa::path(get, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = Uuid, Path, description = "The person's client id")),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin", "service"])),
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
    let cases = db::kyc::cases_of_client(&mut connection, client_id).await?;
    // The cases come oldest first; a subject's latest case is the one in force.
    let status_of = |company_id: Option<Uuid>| {
        cases
            .iter()
            .rev()
            .find(|case| case.company_id == company_id)
            .map_or_else(
                || KycStatus::New.code().to_owned(),
                |case| case.status.clone(),
            )
    };
    let kyc_status = status_of(None);
    let today = state.calendar.today();
    let mut companies = Vec::new();
    for company in db::clients::companies_of_owner(&mut connection, client_id).await? {
        let founders = founder_summaries(&mut connection, &company.founders).await?;
        let company_kyc_status = status_of(Some(company.id));
        let certificate_accepted = company_kyc_status == KycStatus::Approved.code();
        companies.push(CompanySummary {
            company_id: company.id,
            it_park_resident: certificate_accepted
                && matches!(
                    (company.it_park_valid_from, company.it_park_valid_until),
                    (Some(from), Some(until)) if from <= today && today <= until
                ),
            kyc_status: company_kyc_status,
            it_park_valid_until: company.it_park_valid_until,
            stir: company.stir,
            name: company.name,
            legal_form: company.legal_form,
            registration_date: company.registration_date,
            founders,
        });
    }
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
        language: person.language,
        companies,
    }))
}

/// The founders as eligibility rules read them: a client founder's birth date from their
/// profile (a company that founded another has none), a PINFL founder's from the PINFL.
async fn founder_summaries(
    connection: &mut PgConnection,
    founders: &[FounderRecord],
) -> Result<Vec<FounderSummary>, OnboardingError> {
    let client_ids: Vec<Uuid> = founders
        .iter()
        .filter_map(|founder| founder.founder_client_id)
        .collect();
    let birth_dates = db::clients::birth_dates(connection, &client_ids).await?;
    Ok(founders
        .iter()
        .map(|founder| FounderSummary {
            client_id: founder.founder_client_id,
            birth_date: match (&founder.founder_client_id, &founder.founder_pinfl) {
                (Some(client_id), _) => birth_dates.get(client_id).copied(),
                (None, Some(pinfl)) => Pinfl::parse(pinfl).ok().map(|pinfl| pinfl.birth_date()),
                (None, None) => None,
            },
            share_percent: founder.share_percent,
        })
        .collect())
}
