//! Companies a founder registers: STIR, legal form, IT Park residency, founders and shares,
//! and who may act for the company.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use imkon_auth::extract::{BankClient, RequireRole};
use imkon_platform::audit;
use imkon_platform::id::new_id;
use imkon_platform::problem::ValidatedJson;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::db;
use crate::db::clients::CompanyRecord;
use crate::domain::company::{
    Company, CompanyName, FounderIdentity, Founders, ItParkResidency, LegalForm, NewCompany,
    Representative, RepresentativeRole, Representatives, Stir, CERTIFICATE_NUMBER_MAX_CHARS,
    COMPANY_NAME_MAX_CHARS,
};
use crate::domain::ids::ClientId;
use crate::domain::pinfl::Pinfl;
use crate::error::{is_unique_violation, OnboardingError};
use crate::http::profile::{own_client_id, parse_date};
use crate::http::{audit_by, source_address};
use crate::AppState;

/// The most founders or representatives one request may list.
pub const COMPANY_PEOPLE_MAX: u64 = 100;

/// The domain's length limits, in the `u64` that `validator` counts in.
const NAME_MAX_CHARS: u64 = COMPANY_NAME_MAX_CHARS as u64;
const CERTIFICATE_MAX_CHARS: u64 = CERTIFICATE_NUMBER_MAX_CHARS as u64;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/me/companies",
        get(list_own_companies).post(register_company),
    )
}

/// An IT Park residency. The certificate number's length is declared here for the edge and the
/// OpenAPI schema; its characters are the domain's rule (`ItParkResidency::new`).
#[derive(Deserialize, Serialize, ToSchema, Clone, Validate)]
pub struct ItParkResidencyDto {
    #[validate(length(min = 1, max = CERTIFICATE_MAX_CHARS, code = "invalid_company"))]
    #[schema(min_length = 1, max_length = 32)]
    certificate_number: String,
    /// YYYY-MM-DD.
    valid_from: String,
    /// YYYY-MM-DD.
    valid_until: String,
}

/// A founder and their share. That exactly one of `client_id` and `pinfl` is given is a shape,
/// checked here; that the PINFL is a real one and the shares add up are the domain's rules.
#[derive(Deserialize, Serialize, ToSchema, Clone, Validate)]
#[validate(schema(function = "one_founder_identity"))]
pub struct FounderDto {
    /// An onboarded client (person or company); give this or `pinfl`.
    client_id: Option<Uuid>,
    /// A person known only by PINFL; give this or `client_id`.
    pinfl: Option<String>,
    /// Percent with at most two decimals, as a string: "60.00".
    share_percent: String,
}

fn one_founder_identity(founder: &FounderDto) -> Result<(), ValidationError> {
    if founder.client_id.is_some() == founder.pinfl.is_some() {
        return Err(ValidationError::new("founder_identity")
            .with_message("give exactly one of client_id and pinfl".into()));
    }
    Ok(())
}

#[derive(Deserialize, Serialize, ToSchema, Clone)]
pub struct RepresentativeDto {
    client_id: Uuid,
    /// director, chief_accountant or attorney.
    role: String,
}

/// A company to register. The counts of founders and representatives and the name's length
/// are declared here, once, for the edge and the OpenAPI schema; the meaning of each field
/// (a STIR's digits, a legal form, shares adding up to 100) is the domain's.
#[derive(Deserialize, ToSchema, Validate)]
pub struct CompanyRequest {
    /// Nine digits.
    stir: String,
    #[validate(length(min = 1, max = NAME_MAX_CHARS, code = "invalid_company"))]
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// llc, jsc, private_enterprise, family_enterprise or sole_proprietor.
    legal_form: String,
    /// YYYY-MM-DD.
    registration_date: String,
    #[validate(nested)]
    it_park_residency: Option<ItParkResidencyDto>,
    #[validate(length(max = COMPANY_PEOPLE_MAX, code = "too_many"), nested)]
    #[schema(max_items = 100)]
    founders: Vec<FounderDto>,
    /// Who may act for the company; when absent, the founder registering it, as director.
    #[validate(length(max = COMPANY_PEOPLE_MAX, code = "too_many"))]
    #[schema(max_items = 100)]
    representatives: Option<Vec<RepresentativeDto>>,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyView {
    company_id: Uuid,
    stir: String,
    name: String,
    legal_form: String,
    registration_date: NaiveDate,
    it_park_residency: Option<ItParkResidencyDto>,
    founders: Vec<FounderDto>,
    representatives: Vec<RepresentativeDto>,
}

pub fn company_view(record: &CompanyRecord) -> CompanyView {
    let it_park_residency = match (
        &record.it_park_certificate_number,
        record.it_park_valid_from,
        record.it_park_valid_until,
    ) {
        (Some(certificate_number), Some(valid_from), Some(valid_until)) => {
            Some(ItParkResidencyDto {
                certificate_number: certificate_number.clone(),
                valid_from: valid_from.to_string(),
                valid_until: valid_until.to_string(),
            })
        }
        _ => None,
    };
    CompanyView {
        company_id: record.id,
        stir: record.stir.clone(),
        name: record.name.clone(),
        legal_form: record.legal_form.clone(),
        registration_date: record.registration_date,
        it_park_residency,
        founders: record
            .founders
            .iter()
            .map(|founder| FounderDto {
                client_id: founder.founder_client_id,
                pinfl: founder.founder_pinfl.clone(),
                share_percent: founder.share_percent.round_dp(2).to_string(),
            })
            .collect(),
        representatives: record
            .representatives
            .iter()
            .map(|representative| RepresentativeDto {
                client_id: representative.client_id,
                role: representative.role.clone(),
            })
            .collect(),
    }
}

fn invalid(field: String, code: &'static str, message: &str) -> OnboardingError {
    OnboardingError::InvalidField {
        field,
        code,
        message: message.to_owned(),
    }
}

fn company_error(error: crate::domain::company::CompanyError) -> OnboardingError {
    OnboardingError::invalid(error.field(), "invalid_company", &error)
}

fn parse_founder(
    index: usize,
    founder: &FounderDto,
) -> Result<(FounderIdentity, Decimal), OnboardingError> {
    // `one_founder_identity` let exactly one of the two through.
    let identity = match (&founder.client_id, &founder.pinfl) {
        (Some(client_id), _) => FounderIdentity::Client(ClientId::from_uuid(*client_id)),
        (None, pinfl) => FounderIdentity::Person(
            Pinfl::parse(pinfl.as_deref().unwrap_or_default()).map_err(|error| {
                OnboardingError::invalid(
                    format!("founders[{index}].pinfl"),
                    "invalid_pinfl",
                    &error,
                )
            })?,
        ),
    };
    let share_percent: Decimal = founder.share_percent.trim().parse().map_err(|_| {
        invalid(
            format!("founders[{index}].share_percent"),
            "invalid_decimal",
            "a share is a decimal number of percent, such as \"60.00\"",
        )
    })?;
    Ok((identity, share_percent))
}

fn parse_representative_role(
    index: usize,
    code: &str,
) -> Result<RepresentativeRole, OnboardingError> {
    match code {
        "director" => Ok(RepresentativeRole::Director),
        "chief_accountant" => Ok(RepresentativeRole::ChiefAccountant),
        "attorney" => Ok(RepresentativeRole::Attorney),
        _ => Err(invalid(
            format!("representatives[{index}].role"),
            "unknown_role",
            "director, chief_accountant or attorney",
        )),
    }
}

/// Parses a company into the domain's `Company`; `owner` is the registering founder.
fn parse_company(
    request: &CompanyRequest,
    owner: ClientId,
    today: NaiveDate,
) -> Result<Company, OnboardingError> {
    let stir = Stir::parse(&request.stir).map_err(company_error)?;
    let name = CompanyName::parse(&request.name).map_err(company_error)?;
    let legal_form = LegalForm::parse(&request.legal_form).map_err(company_error)?;
    let registration_date = parse_date("registration_date", &request.registration_date)?;
    let it_park_residency = request
        .it_park_residency
        .as_ref()
        .map(|residency| -> Result<ItParkResidency, OnboardingError> {
            ItParkResidency::new(
                &residency.certificate_number,
                parse_date("it_park_residency.valid_from", &residency.valid_from)?,
                parse_date("it_park_residency.valid_until", &residency.valid_until)?,
            )
            .map_err(company_error)
        })
        .transpose()?;
    let founders = request
        .founders
        .iter()
        .enumerate()
        .map(|(index, founder)| parse_founder(index, founder))
        .collect::<Result<Vec<_>, _>>()?;
    let founders = Founders::new(founders).map_err(company_error)?;
    let representatives = match &request.representatives {
        None => vec![Representative {
            client_id: owner,
            role: RepresentativeRole::Director,
        }],
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(index, representative)| {
                Ok(Representative {
                    client_id: ClientId::from_uuid(representative.client_id),
                    role: parse_representative_role(index, &representative.role)?,
                })
            })
            .collect::<Result<Vec<_>, OnboardingError>>()?,
    };
    let representatives = Representatives::new(representatives).map_err(company_error)?;
    Company::new(
        NewCompany {
            stir,
            name,
            legal_form,
            registration_date,
            it_park_residency,
            founders,
            representatives,
        },
        today,
    )
    .map_err(company_error)
}

/// Refuses founders and representatives that name clients not on file.
async fn require_known_people(
    connection: &mut sqlx::PgConnection,
    request: &CompanyRequest,
    company: &Company,
) -> Result<(), OnboardingError> {
    let founder_ids: Vec<Uuid> = request
        .founders
        .iter()
        .filter_map(|founder| founder.client_id)
        .collect();
    let missing = db::clients::missing_clients(connection, &founder_ids).await?;
    if let Some(index) = request
        .founders
        .iter()
        .position(|founder| founder.client_id.is_some_and(|id| missing.contains(&id)))
    {
        return Err(invalid(
            format!("founders[{index}].client_id"),
            "unknown_client",
            "no client with this id",
        ));
    }
    let representative_ids: Vec<Uuid> = company
        .representatives()
        .as_slice()
        .iter()
        .map(|representative| representative.client_id.as_uuid())
        .collect();
    let missing = db::clients::missing_people(connection, &representative_ids).await?;
    if let Some(index) = representative_ids
        .iter()
        .position(|id| missing.contains(id))
    {
        return Err(invalid(
            format!("representatives[{index}].client_id"),
            "unknown_client",
            "no person client with this id",
        ));
    }
    Ok(())
}

/// Registers a company for the calling founder.
#[utoipa::path(post, path = "/v1/me/companies", tag = "profile", request_body = CompanyRequest,
    security(("bearer" = ["client"])),
    responses((status = 201, body = CompanyView), (status = 409, description = "stir_taken"),
              (status = 422, description = "An invalid field, named (shares over 100% name `founders`)")))]
#[tracing::instrument(skip_all, fields(founder = %founder.subject()))]
async fn register_company(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    founder: RequireRole<BankClient>,
    ValidatedJson(request): ValidatedJson<CompanyRequest>,
) -> Result<(StatusCode, Json<CompanyView>), OnboardingError> {
    let owner = own_client_id(&founder)?;
    let company = parse_company(&request, ClientId::from_uuid(owner), state.calendar.today())?;
    let company_id = new_id();
    let mut transaction = state.pool.begin().await?;
    require_known_people(&mut transaction, &request, &company).await?;
    db::clients::insert_company(&mut transaction, company_id, owner, &company)
        .await
        .map_err(|error| {
            if is_unique_violation(&error, "company_stir_key") {
                OnboardingError::conflict(
                    "stir_taken",
                    "A company with this STIR is already registered.",
                )
            } else {
                error.into()
            }
        })?;
    let record = db::clients::find_company(&mut transaction, company_id)
        .await?
        .ok_or_else(|| OnboardingError::Internal("the company just inserted is missing".into()))?;
    let view = company_view(&record);
    let mut entry = audit_by(
        &founder,
        "company.register",
        "company",
        company_id.to_string(),
    );
    entry.after = Some(
        serde_json::to_value(&view)
            .map_err(|error| OnboardingError::Internal(error.to_string()))?,
    );
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    transaction.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The companies the calling founder registered.
#[utoipa::path(get, path = "/v1/me/companies", tag = "profile",
    security(("bearer" = ["client"])),
    responses((status = 200, body = Vec<CompanyView>), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(founder = %founder.subject()))]
async fn list_own_companies(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<Vec<CompanyView>>, OnboardingError> {
    let owner = own_client_id(&founder)?;
    let mut connection = state.pool.acquire().await?;
    let companies = db::clients::companies_of_owner(&mut connection, owner).await?;
    Ok(Json(companies.iter().map(company_view).collect()))
}
