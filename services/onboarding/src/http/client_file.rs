//! The client's file for the bank's staff: everything onboarding knows of a person client,
//! and the search that finds them.
//!
//! Who reads it: KYC officers (in full), credit officers and approvers (who decide on the
//! client's applications) and finance (who pays them), these three with the PINFL masked
//! except its last four digits. Administrators are refused: they manage staff and settings,
//! not clients, and a bank grants personal data on need. Founders are refused too; they read
//! their own profile at `/v1/me`. Each opening of a file is audited (`client.open_file`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use imkon_auth::extract::{RequireRole, RoleRequirement};
use imkon_auth::Role;
use imkon_platform::audit;
use imkon_platform::problem::{ValidatedJson, ValidatedQuery};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use unicode_normalization::UnicodeNormalization;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::db;
use crate::db::clients::{ClientSearch, PersonRecord};
use crate::domain::kyc::KycStatus;
use crate::error::OnboardingError;
use crate::http::{audit_by, source_address};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/staff/clients", get(search_clients))
        .route("/v1/staff/clients/{id}", get(read_client_file))
        .route("/v1/staff/clients/names", post(client_names))
}

/// The staff who read client files: see the module's documentation.
#[derive(Debug)]
pub enum ClientFileReader {}

impl RoleRequirement for ClientFileReader {
    const ALLOWED: &'static [Role] = &[
        Role::KycOfficer,
        Role::CreditOfficer,
        Role::Approver,
        Role::Finance,
    ];
}

/// How many of a PINFL's digits every reader sees: the last four, enough to tell two
/// clients apart on the telephone without disclosing the identifier.
const PINFL_VISIBLE_DIGITS: usize = 4;

/// The PINFL as `reader` may see it: whole for a KYC officer, otherwise masked but for its
/// last digits.
fn pinfl_for(reader: &imkon_auth::Principal, pinfl: &str) -> String {
    if reader.has_role(Role::KycOfficer) {
        return pinfl.to_owned();
    }
    let hidden = pinfl.chars().count().saturating_sub(PINFL_VISIBLE_DIGITS);
    pinfl
        .chars()
        .enumerate()
        .map(|(index, digit)| if index < hidden { '*' } else { digit })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct NameView {
    surname: String,
    given_name: String,
    patronymic: Option<String>,
    /// Surname, given name and patronymic, as the bank writes a full name.
    full_name: String,
}

fn name_view(surname: &str, given_name: &str, patronymic: Option<&str>) -> NameView {
    let full_name = [Some(surname), Some(given_name), patronymic]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    NameView {
        surname: surname.to_owned(),
        given_name: given_name.to_owned(),
        patronymic: patronymic.map(str::to_owned),
        full_name,
    }
}

fn latin_name(person: &PersonRecord) -> NameView {
    name_view(
        &person.latin_surname,
        &person.latin_given_name,
        person.latin_patronymic.as_deref(),
    )
}

fn cyrillic_name(person: &PersonRecord) -> Option<NameView> {
    match (&person.cyrillic_surname, &person.cyrillic_given_name) {
        (Some(surname), Some(given_name)) => Some(name_view(
            surname,
            given_name,
            person.cyrillic_patronymic.as_deref(),
        )),
        _ => None,
    }
}

#[derive(Serialize, ToSchema)]
pub struct PassportView {
    number: String,
    issue_date: NaiveDate,
    expiry_date: NaiveDate,
    /// Whether the passport is valid today.
    valid_today: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AddressView {
    region: String,
    district: String,
    street_line: String,
}

#[derive(Serialize, ToSchema)]
pub struct FounderView {
    /// The founder's client id when they are a client of the bank.
    client_id: Option<Uuid>,
    /// The founder's name in Latin script, when they are a client of the bank.
    full_name: Option<String>,
    /// A founder known only by PINFL, masked as the client's own.
    pinfl: Option<String>,
    #[schema(value_type = String, example = "60.00")]
    share_percent: Decimal,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyFileView {
    company_id: Uuid,
    stir: String,
    name: String,
    legal_form: String,
    registration_date: NaiveDate,
    it_park_certificate_number: Option<String>,
    it_park_valid_until: Option<NaiveDate>,
    /// The company's own KYC status (`new` until submitted).
    kyc_status: String,
    founders: Vec<FounderView>,
}

#[derive(Serialize, ToSchema)]
pub struct KycCaseSummary {
    case_id: Uuid,
    /// Null for the person's own case.
    company_id: Option<Uuid>,
    status: String,
    assigned_officer_id: Option<Uuid>,
    submitted_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct KycEventView {
    case_id: Uuid,
    /// The audited action: kyc.submit, kyc.assign, kyc.decide_document, kyc.approve, ...
    action: String,
    actor_id: Option<Uuid>,
    occurred_at: DateTime<Utc>,
    /// The case's status after the action, when the action changed the case.
    status_after: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    document_id: Uuid,
    company_id: Option<Uuid>,
    kind: String,
    content_type: String,
    size_bytes: i64,
    original_file_name: Option<String>,
    uploaded_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientFileView {
    client_id: Uuid,
    latin_name: NameView,
    /// Null when the client gave no Cyrillic spelling.
    cyrillic_name: Option<NameView>,
    birth_date: NaiveDate,
    /// Whole for KYC officers; `**********1234` for other readers.
    pinfl: String,
    pinfl_masked: bool,
    passport: PassportView,
    phone: String,
    email: Option<String>,
    address: AddressView,
    /// The person's own KYC status (`new` until submitted).
    kyc_status: String,
    kyc_cases: Vec<KycCaseSummary>,
    /// What happened to the client's cases, oldest first.
    kyc_history: Vec<KycEventView>,
    companies: Vec<CompanyFileView>,
    documents: Vec<DocumentView>,
}

/// A person client's whole file, for staff. Each opening is audited.
#[utoipa::path(get, path = "/v1/staff/clients/{id}", tag = "clients",
    params(("id" = Uuid, Path, description = "The person's client id")),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance"])),
    responses((status = 200, body = ClientFileView), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(reader = %reader.subject(), client = %client_id))]
async fn read_client_file(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    reader: RequireRole<ClientFileReader>,
    Path(client_id): Path<Uuid>,
) -> Result<Json<ClientFileView>, OnboardingError> {
    let mut transaction = state.pool.begin().await?;
    let person = db::clients::find_person(&mut transaction, client_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "client" })?;
    let cases = db::kyc::cases_of_client(&mut transaction, client_id).await?;
    let kyc_status = |company_id: Option<Uuid>| {
        cases
            .iter()
            .find(|case| case.company_id == company_id)
            .map_or_else(
                || KycStatus::New.code().to_owned(),
                |case| case.status.clone(),
            )
    };
    let mut companies = Vec::new();
    for company in db::clients::companies_of_owner(&mut transaction, client_id).await? {
        companies.push(CompanyFileView {
            kyc_status: kyc_status(Some(company.id)),
            founders: founder_views(&mut transaction, &reader, &company.founders).await?,
            company_id: company.id,
            stir: company.stir,
            name: company.name,
            legal_form: company.legal_form,
            registration_date: company.registration_date,
            it_park_certificate_number: company.it_park_certificate_number,
            it_park_valid_until: company.it_park_valid_until,
        });
    }
    let case_ids: Vec<Uuid> = cases.iter().map(|case| case.id).collect();
    let kyc_history = db::kyc::case_history(&mut transaction, &case_ids)
        .await?
        .into_iter()
        .map(|event| KycEventView {
            case_id: event.case_id,
            action: event.action,
            actor_id: event.actor_id,
            occurred_at: event.occurred_at,
            status_after: event.status_after,
        })
        .collect();
    let documents = db::documents::of_client(&mut transaction, client_id)
        .await?
        .into_iter()
        .map(|document| DocumentView {
            document_id: document.id,
            company_id: document.company_id,
            kind: document.kind,
            content_type: document.content_type,
            size_bytes: document.size_bytes,
            original_file_name: document.original_file_name,
            uploaded_at: document.uploaded_at,
        })
        .collect();
    let mut entry = audit_by(&reader, "client.open_file", "client", client_id.to_string());
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    transaction.commit().await?;
    let today = state.calendar.today();
    Ok(Json(ClientFileView {
        client_id,
        latin_name: latin_name(&person),
        cyrillic_name: cyrillic_name(&person),
        birth_date: person.birth_date,
        pinfl: pinfl_for(&reader, &person.pinfl),
        pinfl_masked: !reader.has_role(Role::KycOfficer),
        passport: PassportView {
            valid_today: person.passport_issue_date <= today
                && today <= person.passport_expiry_date,
            number: person.passport_number,
            issue_date: person.passport_issue_date,
            expiry_date: person.passport_expiry_date,
        },
        phone: person.phone,
        email: person.email,
        address: AddressView {
            region: person.address_region,
            district: person.address_district,
            street_line: person.address_street_line,
        },
        kyc_status: kyc_status(None),
        kyc_cases: cases
            .iter()
            .map(|case| KycCaseSummary {
                case_id: case.id,
                company_id: case.company_id,
                status: case.status.clone(),
                assigned_officer_id: case.assigned_officer_id,
                submitted_at: case.submitted_at,
                decided_at: case.decided_at,
            })
            .collect(),
        kyc_history,
        companies,
        documents,
    }))
}

/// A company's founders with the names of those who are clients, PINFLs masked per reader.
async fn founder_views(
    connection: &mut PgConnection,
    reader: &imkon_auth::Principal,
    founders: &[db::clients::FounderRecord],
) -> Result<Vec<FounderView>, OnboardingError> {
    let client_ids: Vec<Uuid> = founders
        .iter()
        .filter_map(|founder| founder.founder_client_id)
        .collect();
    let names = db::clients::latin_full_names(connection, &client_ids).await?;
    Ok(founders
        .iter()
        .map(|founder| FounderView {
            client_id: founder.founder_client_id,
            full_name: founder
                .founder_client_id
                .and_then(|id| names.get(&id).cloned()),
            pinfl: founder
                .founder_pinfl
                .as_deref()
                .map(|pinfl| pinfl_for(reader, pinfl)),
            share_percent: founder.share_percent,
        })
        .collect())
}

/// The shortest search text: one letter would list half the bank.
const MIN_QUERY_CHARS: usize = 2;
const MAX_QUERY_CHARS: usize = 200;

/// A search and its page. The text's length and the page's lower bounds are declared here; the
/// page size's upper bound is the deployment's configured page size, so the handler checks it.
#[derive(Deserialize, IntoParams, Validate)]
pub struct SearchQuery {
    /// A name or part of one (either script, any case), a PINFL, a passport number, a phone
    /// number, a company's name or its STIR.
    #[validate(custom(function = "search_text_length", code = "invalid_query"))]
    #[param(min_length = 2, max_length = 200)]
    q: String,
    /// From 1.
    #[validate(range(min = 1, code = "invalid_page"))]
    #[param(minimum = 1)]
    page: Option<u32>,
    /// At most the service's page size.
    #[validate(range(min = 1, code = "invalid_page_size"))]
    #[param(minimum = 1)]
    page_size: Option<u32>,
}

/// The search text is counted as it is searched for: trimmed and composed to NFC.
fn search_text(raw: &str) -> String {
    raw.trim().nfc().collect()
}

fn search_text_length(raw: &str) -> Result<(), ValidationError> {
    let length = search_text(raw).chars().count();
    if (MIN_QUERY_CHARS..=MAX_QUERY_CHARS).contains(&length) {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_query").with_message(
            format!("between {MIN_QUERY_CHARS} and {MAX_QUERY_CHARS} characters").into(),
        ))
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClientSearchHit {
    client_id: Uuid,
    latin_full_name: String,
    cyrillic_full_name: Option<String>,
    birth_date: NaiveDate,
    /// Masked as on the client's file.
    pinfl: String,
    kyc_status: String,
    company_names: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientSearchPage {
    page: u32,
    page_size: u32,
    /// How many clients match in all.
    total: i64,
    clients: Vec<ClientSearchHit>,
}

/// Finds person clients by name (Latin or Cyrillic, composed to NFC, any case, every word of
/// the query somewhere in the name), PINFL, passport number, phone, or a company's name or
/// STIR. Paged, by Latin name.
#[utoipa::path(get, path = "/v1/staff/clients", tag = "clients", params(SearchQuery),
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance"])),
    responses((status = 200, body = ClientSearchPage), (status = 401), (status = 403),
              (status = 422, description = "q shorter than 2 or longer than 200 characters; page or page_size out of range")))]
#[tracing::instrument(skip_all, fields(reader = %reader.subject()))]
async fn search_clients(
    State(state): State<AppState>,
    reader: RequireRole<ClientFileReader>,
    ValidatedQuery(query): ValidatedQuery<SearchQuery>,
) -> Result<Json<ClientSearchPage>, OnboardingError> {
    let text = search_text(&query.q);
    let page = query.page.unwrap_or(1);
    let page_size = query.page_size.unwrap_or(state.limits.max_page_size);
    if page_size > state.limits.max_page_size {
        return Err(OnboardingError::InvalidField {
            field: "page_size".to_owned(),
            code: "invalid_page_size",
            message: format!("from 1 to {}", state.limits.max_page_size),
        });
    }
    let search = ClientSearch::from_text(&text);
    let mut connection = state.pool.acquire().await?;
    let (total, rows) = db::clients::search(
        &mut connection,
        &search,
        i64::from(page_size),
        i64::from(page.saturating_sub(1)) * i64::from(page_size),
    )
    .await?;
    Ok(Json(ClientSearchPage {
        page,
        page_size,
        total,
        clients: rows
            .into_iter()
            .map(|row| ClientSearchHit {
                pinfl: pinfl_for(&reader, &row.pinfl),
                client_id: row.client_id,
                latin_full_name: row.latin_full_name,
                cyrillic_full_name: row.cyrillic_full_name,
                birth_date: row.birth_date,
                kyc_status: row.kyc_status,
                company_names: row.company_names,
            })
            .collect(),
    }))
}

/// The most clients one names lookup resolves: a staff page shows at most a page of rows, and
/// a bound keeps one request from reading the whole register.
const MAX_NAMED_CLIENTS: usize = 200;

/// The clients to name. Their count is bounded here, duplicates counted once (a page may name
/// one client on many rows), so the limit is a function rather than a plain `maxItems`.
#[derive(Deserialize, ToSchema, Validate)]
pub struct ClientNamesRequest {
    /// The clients to name; at most 200, duplicates counted once.
    #[validate(custom(function = "at_most_named_clients", code = "too_many_client_ids"))]
    client_ids: Vec<Uuid>,
}

fn distinct(ids: &[Uuid]) -> Vec<Uuid> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn at_most_named_clients(ids: &[Uuid]) -> Result<(), ValidationError> {
    if distinct(ids).len() > MAX_NAMED_CLIENTS {
        return Err(ValidationError::new("too_many_client_ids")
            .with_message(format!("at most {MAX_NAMED_CLIENTS} client ids").into()));
    }
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct ClientName {
    client_id: Uuid,
    latin_full_name: String,
    /// Null when the client gave no Cyrillic spelling.
    cyrillic_full_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientNames {
    /// One entry per id that names a person client; ids that name no one are left out.
    names: Vec<ClientName>,
}

/// The full names of many person clients at once, in both scripts, so that a staff page of
/// applications or contracts names every client with one call rather than one per row. Only
/// names are given (no identifiers), so the lookup is not audited as an opening of a file.
#[utoipa::path(post, path = "/v1/staff/clients/names", tag = "clients",
    request_body = ClientNamesRequest,
    security(("bearer" = ["kyc_officer", "credit_officer", "approver", "finance"])),
    responses((status = 200, body = ClientNames), (status = 400), (status = 401), (status = 403),
              (status = 422, description = "more than 200 client ids")))]
#[tracing::instrument(skip_all, fields(reader = %reader.subject()))]
async fn client_names(
    State(state): State<AppState>,
    reader: RequireRole<ClientFileReader>,
    ValidatedJson(request): ValidatedJson<ClientNamesRequest>,
) -> Result<Json<ClientNames>, OnboardingError> {
    let client_ids = distinct(&request.client_ids);
    let mut connection = state.pool.acquire().await?;
    let names = db::clients::full_names(&mut connection, &client_ids)
        .await?
        .into_iter()
        .map(|row| ClientName {
            client_id: row.client_id,
            latin_full_name: row.latin_full_name,
            cyrillic_full_name: row.cyrillic_full_name,
        })
        .collect();
    Ok(Json(ClientNames { names }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(role: Role) -> imkon_auth::Principal {
        imkon_auth::Principal::user(Uuid::now_v7(), [role], None, None).unwrap()
    }

    #[test]
    fn only_a_kyc_officer_sees_the_whole_pinfl() {
        let pinfl = "31505900010012";
        assert_eq!(pinfl_for(&reader(Role::KycOfficer), pinfl), pinfl);
        for role in [Role::CreditOfficer, Role::Approver, Role::Finance] {
            assert_eq!(pinfl_for(&reader(role), pinfl), "**********0012");
        }
    }
}
