//! A founder's registration and their person profile.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use imkon_auth::extract::{BankClient, RequireRole};
use imkon_auth::Role;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::new_id;
use imkon_platform::language::Language;
use imkon_platform::problem::ValidatedJson;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationErrors};

use crate::accounts::{create_local_account, NewLocalAccount};
use crate::db;
use crate::db::clients::PersonRecord;
use crate::domain::contact::{
    Address, Email, Phone, ADDRESS_AREA_MAX_CHARS, ADDRESS_STREET_LINE_MAX_CHARS, EMAIL_MAX_CHARS,
};
use crate::domain::credentials::{NewPassword, Username};
use crate::domain::passport::{IdentityDocument, PassportNumber};
use crate::domain::person::{NewPerson, Person};
use crate::domain::person_name::{PersonName, Script, NAME_PART_MAX_CHARS};
use crate::domain::pinfl::Pinfl;
use crate::error::OnboardingError;
use crate::http::{audit_by, source_address};
use crate::password::hash_password;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/registrations", post(register_founder))
        .route(
            "/v1/me/profile",
            get(read_own_profile).put(update_own_profile),
        )
}

/// The domain's length limits, in the `u64` that `validator` counts in. The DTOs declare them
/// for the edge and the OpenAPI schema; the newtypes keep them as their own invariant, counted
/// once spaces are collapsed, together with the rules (a name's script, an address's form).
const NAME_PART_MAX: u64 = NAME_PART_MAX_CHARS as u64;
const EMAIL_MAX: u64 = EMAIL_MAX_CHARS as u64;
const AREA_MAX: u64 = ADDRESS_AREA_MAX_CHARS as u64;
const STREET_LINE_MAX: u64 = ADDRESS_STREET_LINE_MAX_CHARS as u64;

#[derive(Deserialize, Serialize, ToSchema, Clone, Validate)]
pub struct NameDto {
    #[validate(length(max = NAME_PART_MAX, code = "invalid_name"))]
    #[schema(max_length = 60)]
    surname: String,
    #[validate(length(max = NAME_PART_MAX, code = "invalid_name"))]
    #[schema(max_length = 60)]
    given_name: String,
    #[validate(length(max = NAME_PART_MAX, code = "invalid_name"))]
    #[schema(max_length = 60)]
    patronymic: Option<String>,
}

#[derive(Deserialize, Serialize, ToSchema, Clone)]
pub struct PassportDto {
    /// Two Latin letters and seven digits, such as AA1234567.
    number: String,
    /// YYYY-MM-DD.
    issue_date: String,
    /// YYYY-MM-DD; an expired passport is refused.
    expiry_date: String,
}

#[derive(Deserialize, Serialize, ToSchema, Clone, Validate)]
pub struct AddressDto {
    #[validate(length(max = AREA_MAX, code = "invalid_address"))]
    #[schema(max_length = 100)]
    region: String,
    #[validate(length(max = AREA_MAX, code = "invalid_address"))]
    #[schema(max_length = 100)]
    district: String,
    #[validate(length(max = STREET_LINE_MAX, code = "invalid_address"))]
    #[schema(max_length = 200)]
    street_line: String,
}

/// A person's profile as the founder writes it. The lengths of its free text are declared
/// here; the form of each identifier (PINFL, passport, phone) is a domain newtype's rule.
#[derive(Deserialize, ToSchema, Validate)]
pub struct PersonProfileRequest {
    /// 14 digits with a check digit; encodes the birth date.
    pinfl: String,
    /// YYYY-MM-DD; must agree with the PINFL.
    birth_date: String,
    #[validate(nested)]
    latin_name: NameDto,
    #[validate(nested)]
    cyrillic_name: Option<NameDto>,
    passport: PassportDto,
    /// 998 and nine digits, separators allowed.
    phone: String,
    #[validate(length(max = EMAIL_MAX, code = "invalid_email"))]
    #[schema(max_length = 254)]
    email: Option<String>,
    #[validate(nested)]
    address: AddressDto,
    /// The language notifications are written in: uz-Latn, uz-Cyrl, ru or en. The frontend
    /// sends the language of its page; when absent, a registration keeps none and a profile
    /// change keeps the one on file.
    language: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RegistrationRequest {
    username: String,
    password: String,
    #[serde(flatten)]
    profile: PersonProfileRequest,
}

/// The registration's limits are its profile's. Written by hand because the profile is
/// flattened into the body: a derived `nested` would name its fields `profile.address.region`
/// where the body says `address.region`.
impl Validate for RegistrationRequest {
    fn validate(&self) -> Result<(), ValidationErrors> {
        self.profile.validate()
    }
}

/// A person's profile as stored, in canonical form.
#[derive(Serialize, ToSchema)]
pub struct PersonProfileView {
    client_id: Uuid,
    pinfl: String,
    birth_date: NaiveDate,
    latin_name: NameDto,
    cyrillic_name: Option<NameDto>,
    passport: PassportDto,
    phone: String,
    email: Option<String>,
    address: AddressDto,
    /// The preferred language tag, if the person chose one.
    language: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationResponse {
    account_id: Uuid,
    client_id: Uuid,
    profile: PersonProfileView,
}

pub fn person_view(record: &PersonRecord) -> PersonProfileView {
    PersonProfileView {
        client_id: record.client_id,
        pinfl: record.pinfl.clone(),
        birth_date: record.birth_date,
        latin_name: NameDto {
            surname: record.latin_surname.clone(),
            given_name: record.latin_given_name.clone(),
            patronymic: record.latin_patronymic.clone(),
        },
        cyrillic_name: match (&record.cyrillic_surname, &record.cyrillic_given_name) {
            (Some(surname), Some(given_name)) => Some(NameDto {
                surname: surname.clone(),
                given_name: given_name.clone(),
                patronymic: record.cyrillic_patronymic.clone(),
            }),
            _ => None,
        },
        passport: PassportDto {
            number: record.passport_number.clone(),
            issue_date: record.passport_issue_date.to_string(),
            expiry_date: record.passport_expiry_date.to_string(),
        },
        phone: record.phone.clone(),
        email: record.email.clone(),
        address: AddressDto {
            region: record.address_region.clone(),
            district: record.address_district.clone(),
            street_line: record.address_street_line.clone(),
        },
        language: record.language.clone(),
    }
}

/// The language the request asks for, if any; a tag other than the platform's four is refused.
fn parse_language(request: &PersonProfileRequest) -> Result<Option<Language>, OnboardingError> {
    request
        .language
        .as_deref()
        .map(|tag| {
            Language::from_tag(tag).ok_or_else(|| OnboardingError::InvalidField {
                field: "language".to_owned(),
                code: "invalid_language",
                message: "the language is one of uz-Latn, uz-Cyrl, ru and en".to_owned(),
            })
        })
        .transpose()
}

/// Parses a `YYYY-MM-DD` date, naming the field when it is not one.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, OnboardingError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| OnboardingError::InvalidField {
        field: field.to_owned(),
        code: "invalid_date",
        message: "a date is written YYYY-MM-DD".to_owned(),
    })
}

fn parse_name(script: Script, name: &NameDto) -> Result<PersonName, OnboardingError> {
    PersonName::parse(
        script,
        &name.surname,
        &name.given_name,
        name.patronymic.as_deref(),
    )
    .map_err(|error| OnboardingError::invalid(error.field(), "invalid_name", &error))
}

/// Parses a whole profile into the domain's `Person`; the first invalid field is named.
pub fn parse_person(
    request: &PersonProfileRequest,
    today: NaiveDate,
) -> Result<Person, OnboardingError> {
    let pinfl = Pinfl::parse(&request.pinfl)
        .map_err(|error| OnboardingError::invalid(error.field(), "invalid_pinfl", &error))?;
    let birth_date = parse_date("birth_date", &request.birth_date)?;
    let latin_name = parse_name(Script::Latin, &request.latin_name)?;
    let cyrillic_name = request
        .cyrillic_name
        .as_ref()
        .map(|name| parse_name(Script::Cyrillic, name))
        .transpose()?;
    let passport_number = PassportNumber::parse(&request.passport.number)
        .map_err(|error| OnboardingError::invalid(error.field(), "invalid_passport", &error))?;
    let passport = IdentityDocument::new(
        passport_number,
        parse_date("passport.issue_date", &request.passport.issue_date)?,
        parse_date("passport.expiry_date", &request.passport.expiry_date)?,
        today,
    )
    .map_err(|error| OnboardingError::invalid(error.field(), "invalid_passport", &error))?;
    let phone = Phone::parse(&request.phone)
        .map_err(|error| OnboardingError::invalid(error.field(), "invalid_phone", &error))?;
    let email = request
        .email
        .as_deref()
        .filter(|text| !text.trim().is_empty())
        .map(Email::parse)
        .transpose()
        .map_err(|error| OnboardingError::invalid(error.field(), "invalid_email", &error))?;
    let address = Address::parse(
        &request.address.region,
        &request.address.district,
        &request.address.street_line,
    )
    .map_err(|error| OnboardingError::invalid(error.field(), "invalid_address", &error))?;
    Person::new(NewPerson {
        pinfl,
        birth_date,
        latin_name,
        cyrillic_name,
        passport,
        phone,
        email,
        address,
    })
    .map_err(|error| OnboardingError::invalid(error.field(), "inconsistent_profile", &error))
}

/// A founder registers: their login account (with the founder role) and their person profile
/// are created together, or neither is.
///
/// The PINFL and passport typed here are claims, not a proven identity, and the answer is the
/// same whether or not another profile already states them: telling an anonymous caller that
/// a PINFL is taken would tell them who banks here. A profile sharing either with another is
/// accepted and shown to staff by the KYC duplicates check, and it never receives a OneID
/// login unless its owner links OneID while signed in.
#[utoipa::path(post, path = "/v1/registrations", tag = "profile", request_body = RegistrationRequest,
    security(()),
    responses((status = 201, body = RegistrationResponse),
              (status = 409, description = "username_taken"),
              (status = 422, description = "An invalid field, named")))]
#[tracing::instrument(skip_all)]
async fn register_founder(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ValidatedJson(request): ValidatedJson<RegistrationRequest>,
) -> Result<(StatusCode, Json<RegistrationResponse>), OnboardingError> {
    let username = Username::parse(&request.username)
        .map_err(|error| OnboardingError::invalid(error.field(), "invalid_username", &error))?;
    let password = NewPassword::parse(&request.password)
        .map_err(|error| OnboardingError::invalid(error.field(), "invalid_password", &error))?;
    let person = parse_person(&request.profile, state.calendar.today())?;
    let language = parse_language(&request.profile)?;
    let password_hash = hash_password(&password).await?;

    let client_id = new_id();
    let mut transaction = state.pool.begin().await?;
    db::clients::insert_person(&mut transaction, client_id, &person).await?;
    if let Some(language) = language {
        db::clients::set_language(&mut transaction, client_id, language).await?;
    }
    let account = create_local_account(
        &mut transaction,
        &NewLocalAccount {
            username: &username,
            password_hash: &password_hash,
            display_name: &person.latin_name().full_name(),
            roles: &[Role::Client],
            client_id: Some(client_id),
            granted_by: None,
        },
    )
    .await?;
    let record = db::clients::find_person(&mut transaction, client_id)
        .await?
        .ok_or_else(|| OnboardingError::Internal("the person just inserted is missing".into()))?;
    let view = person_view(&record);
    audit::record(
        &mut transaction,
        AuditEntry {
            actor_id: Some(account.id),
            actor_roles: vec![Role::Client.as_str().to_owned()],
            action: "client.register",
            subject_type: "client",
            subject_id: client_id.to_string(),
            before: None,
            after: Some(
                serde_json::to_value(&view)
                    .map_err(|error| OnboardingError::Internal(error.to_string()))?,
            ),
            source_address: Some(source_address(peer)),
        },
    )
    .await?;
    transaction.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(RegistrationResponse {
            account_id: account.id,
            client_id,
            profile: view,
        }),
    ))
}

/// The caller's own client id, or 404 when they have no profile.
pub fn own_client_id(founder: &imkon_auth::Principal) -> Result<Uuid, OnboardingError> {
    founder
        .client_id()
        .ok_or(OnboardingError::NotFound { what: "profile" })
}

/// The founder's own profile.
#[utoipa::path(get, path = "/v1/me/profile", tag = "profile",
    security(("bearer" = ["client"])),
    responses((status = 200, body = PersonProfileView), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(founder = %founder.subject()))]
async fn read_own_profile(
    State(state): State<AppState>,
    founder: RequireRole<BankClient>,
) -> Result<Json<PersonProfileView>, OnboardingError> {
    let client_id = own_client_id(&founder)?;
    let mut connection = state.pool.acquire().await?;
    let record = db::clients::find_person(&mut connection, client_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "profile" })?;
    Ok(Json(person_view(&record)))
}

/// Replaces the founder's profile. The PINFL is their identity and cannot change.
#[utoipa::path(put, path = "/v1/me/profile", tag = "profile", request_body = PersonProfileRequest,
    security(("bearer" = ["client"])),
    responses((status = 200, body = PersonProfileView), (status = 422)))]
#[tracing::instrument(skip_all, fields(founder = %founder.subject()))]
async fn update_own_profile(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    founder: RequireRole<BankClient>,
    ValidatedJson(request): ValidatedJson<PersonProfileRequest>,
) -> Result<Json<PersonProfileView>, OnboardingError> {
    let client_id = own_client_id(&founder)?;
    let person = parse_person(&request, state.calendar.today())?;
    let language = parse_language(&request)?;
    let mut transaction = state.pool.begin().await?;
    let before = db::clients::find_person(&mut transaction, client_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "profile" })?;
    if before.pinfl != person.pinfl().as_str() {
        return Err(OnboardingError::InvalidField {
            field: "pinfl".to_owned(),
            code: "immutable",
            message: "the PINFL identifies the person and cannot change".to_owned(),
        });
    }
    db::clients::update_person(&mut transaction, client_id, &person).await?;
    if let Some(language) = language {
        db::clients::set_language(&mut transaction, client_id, language).await?;
    }
    let after = db::clients::find_person(&mut transaction, client_id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "profile" })?;
    let view = person_view(&after);
    let to_json = |value: &PersonProfileView| {
        serde_json::to_value(value).map_err(|error| OnboardingError::Internal(error.to_string()))
    };
    let mut entry = audit_by(
        &founder,
        "client.update_profile",
        "client",
        client_id.to_string(),
    );
    entry.before = Some(to_json(&person_view(&before))?);
    entry.after = Some(to_json(&view)?);
    entry.source_address = Some(source_address(peer));
    audit::record(&mut transaction, entry).await?;
    transaction.commit().await?;
    Ok(Json(view))
}
