//! Client profiles: people and companies.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::company::{Company, FounderIdentity, RepresentativeRole};
use crate::domain::person::Person;

/// A person's profile as stored.
#[derive(Debug, Clone, FromRow)]
pub struct PersonRecord {
    pub client_id: Uuid,
    pub pinfl: String,
    pub birth_date: NaiveDate,
    pub latin_surname: String,
    pub latin_given_name: String,
    pub latin_patronymic: Option<String>,
    pub cyrillic_surname: Option<String>,
    pub cyrillic_given_name: Option<String>,
    pub cyrillic_patronymic: Option<String>,
    pub passport_number: String,
    pub passport_issue_date: NaiveDate,
    pub passport_expiry_date: NaiveDate,
    pub phone: String,
    pub email: Option<String>,
    pub address_region: String,
    pub address_district: String,
    pub address_street_line: String,
    /// The preferred language tag (uz-Latn, uz-Cyrl, ru, en), if the person chose one.
    pub language: Option<String>,
}

/// A company's profile as stored, founders and representatives included.
#[derive(Debug, Clone)]
pub struct CompanyRecord {
    pub id: Uuid,
    pub owner_client_id: Uuid,
    pub stir: String,
    pub name: String,
    pub legal_form: String,
    pub registration_date: NaiveDate,
    pub it_park_certificate_number: Option<String>,
    pub it_park_valid_from: Option<NaiveDate>,
    pub it_park_valid_until: Option<NaiveDate>,
    pub founders: Vec<FounderRecord>,
    pub representatives: Vec<RepresentativeRecord>,
}

#[derive(Debug, Clone, FromRow)]
pub struct FounderRecord {
    pub founder_client_id: Option<Uuid>,
    pub founder_pinfl: Option<String>,
    pub share_percent: Decimal,
}

#[derive(Debug, Clone, FromRow)]
pub struct RepresentativeRecord {
    pub client_id: Uuid,
    pub role: String,
}

#[derive(FromRow)]
struct CompanyRow {
    id: Uuid,
    owner_client_id: Uuid,
    stir: String,
    name: String,
    legal_form: String,
    registration_date: NaiveDate,
    it_park_certificate_number: Option<String>,
    it_park_valid_from: Option<NaiveDate>,
    it_park_valid_until: Option<NaiveDate>,
}

/// The stable code of a representative's role.
pub fn representative_role_code(role: RepresentativeRole) -> &'static str {
    match role {
        RepresentativeRole::Director => "director",
        RepresentativeRole::ChiefAccountant => "chief_accountant",
        RepresentativeRole::Attorney => "attorney",
    }
}

async fn insert_client(
    connection: &mut PgConnection,
    client_id: Uuid,
    kind: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into client (id, kind) values ($1, $2)")
        .bind(client_id)
        .bind(kind)
        .execute(connection)
        .await?;
    Ok(())
}

/// Inserts a person client. A PINFL or passport already on file is not refused: a profile
/// only claims them, and the KYC duplicates check shows staff every profile sharing one.
pub async fn insert_person(
    connection: &mut PgConnection,
    client_id: Uuid,
    person: &Person,
) -> Result<(), sqlx::Error> {
    insert_client(connection, client_id, "person").await?;
    sqlx::query(
        "insert into person (client_id, pinfl, birth_date, latin_surname, latin_given_name,
            latin_patronymic, cyrillic_surname, cyrillic_given_name, cyrillic_patronymic,
            passport_number, passport_issue_date, passport_expiry_date, phone, email,
            address_region, address_district, address_street_line)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(client_id)
    .bind(person.pinfl().as_str())
    .bind(person.birth_date())
    .bind(person.latin_name().surname())
    .bind(person.latin_name().given_name())
    .bind(person.latin_name().patronymic())
    .bind(person.cyrillic_name().map(|name| name.surname()))
    .bind(person.cyrillic_name().map(|name| name.given_name()))
    .bind(person.cyrillic_name().and_then(|name| name.patronymic()))
    .bind(person.passport().number().as_str())
    .bind(person.passport().issue_date())
    .bind(person.passport().expiry_date())
    .bind(person.phone().as_str())
    .bind(person.email().map(|email| email.as_str()))
    .bind(person.address().region())
    .bind(person.address().district())
    .bind(person.address().street_line())
    .execute(connection)
    .await?;
    Ok(())
}

/// Replaces a person's profile. The PINFL is the person's identity and is not changed here.
pub async fn update_person(
    connection: &mut PgConnection,
    client_id: Uuid,
    person: &Person,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update person set latin_surname = $2, latin_given_name = $3, latin_patronymic = $4,
            cyrillic_surname = $5, cyrillic_given_name = $6, cyrillic_patronymic = $7,
            passport_number = $8, passport_issue_date = $9, passport_expiry_date = $10,
            phone = $11, email = $12, address_region = $13, address_district = $14,
            address_street_line = $15, updated_at = now()
         where client_id = $1",
    )
    .bind(client_id)
    .bind(person.latin_name().surname())
    .bind(person.latin_name().given_name())
    .bind(person.latin_name().patronymic())
    .bind(person.cyrillic_name().map(|name| name.surname()))
    .bind(person.cyrillic_name().map(|name| name.given_name()))
    .bind(person.cyrillic_name().and_then(|name| name.patronymic()))
    .bind(person.passport().number().as_str())
    .bind(person.passport().issue_date())
    .bind(person.passport().expiry_date())
    .bind(person.phone().as_str())
    .bind(person.email().map(|email| email.as_str()))
    .bind(person.address().region())
    .bind(person.address().district())
    .bind(person.address().street_line())
    .execute(connection)
    .await?;
    Ok(())
}

/// Records the person's preferred language (an already checked tag).
pub async fn set_language(
    connection: &mut PgConnection,
    client_id: Uuid,
    language: imkon_platform::language::Language,
) -> Result<(), sqlx::Error> {
    sqlx::query("update person set language = $2 where client_id = $1")
        .bind(client_id)
        .bind(language.tag())
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn find_person(
    connection: &mut PgConnection,
    client_id: Uuid,
) -> Result<Option<PersonRecord>, sqlx::Error> {
    sqlx::query_as("select * from person where client_id = $1")
        .bind(client_id)
        .fetch_optional(connection)
        .await
}

/// The birth dates of those of `client_ids` who are person clients, in one query.
pub async fn birth_dates(
    connection: &mut PgConnection,
    client_ids: &[Uuid],
) -> Result<HashMap<Uuid, NaiveDate>, sqlx::Error> {
    let rows: Vec<(Uuid, NaiveDate)> =
        sqlx::query_as("select client_id, birth_date from person where client_id = any($1)")
            .bind(client_ids)
            .fetch_all(connection)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Which of `client_ids` are not person clients on file.
pub async fn missing_people(
    connection: &mut PgConnection,
    client_ids: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select wanted from unnest($1::uuid[]) as wanted
         where not exists (select 1 from person where client_id = wanted)",
    )
    .bind(client_ids)
    .fetch_all(connection)
    .await
}

/// Which of `client_ids` are not clients on file at all.
pub async fn missing_clients(
    connection: &mut PgConnection,
    client_ids: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select wanted from unnest($1::uuid[]) as wanted
         where not exists (select 1 from client where id = wanted)",
    )
    .bind(client_ids)
    .fetch_all(connection)
    .await
}

/// Inserts a company client owned by `owner_client_id`. A STIR already on file is the unique
/// violation `company_stir_key`.
pub async fn insert_company(
    connection: &mut PgConnection,
    company_id: Uuid,
    owner_client_id: Uuid,
    company: &Company,
) -> Result<(), sqlx::Error> {
    insert_client(connection, company_id, "company").await?;
    let residency = company.it_park_residency();
    sqlx::query(
        "insert into company (id, owner_client_id, stir, name, legal_form, registration_date,
            it_park_certificate_number, it_park_valid_from, it_park_valid_until)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(company_id)
    .bind(owner_client_id)
    .bind(company.stir().as_str())
    .bind(company.name().as_str())
    .bind(company.legal_form().code())
    .bind(company.registration_date())
    .bind(residency.map(|residency| residency.certificate_number()))
    .bind(residency.map(|residency| residency.valid_from()))
    .bind(residency.map(|residency| residency.valid_until()))
    .execute(&mut *connection)
    .await?;
    for (position, founder) in company.founders().as_slice().iter().enumerate() {
        let (client_id, pinfl) = match founder.identity() {
            FounderIdentity::Client(client_id) => (Some(client_id.as_uuid()), None),
            FounderIdentity::Person(pinfl) => (None, Some(pinfl.as_str())),
        };
        sqlx::query(
            "insert into company_founder (company_id, position, founder_client_id, founder_pinfl, share_percent)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(company_id)
        .bind(i16::try_from(position).expect("the HTTP layer caps the founders of a company at 100, so a position fits in i16"))
        .bind(client_id)
        .bind(pinfl)
        .bind(founder.share_percent())
        .execute(&mut *connection)
        .await?;
    }
    for representative in company.representatives().as_slice() {
        sqlx::query(
            "insert into company_representative (company_id, client_id, role) values ($1, $2, $3)",
        )
        .bind(company_id)
        .bind(representative.client_id.as_uuid())
        .bind(representative_role_code(representative.role))
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

async fn complete_company(
    connection: &mut PgConnection,
    row: CompanyRow,
) -> Result<CompanyRecord, sqlx::Error> {
    let founders: Vec<FounderRecord> = sqlx::query_as(
        "select founder_client_id, founder_pinfl, share_percent from company_founder
         where company_id = $1 order by position",
    )
    .bind(row.id)
    .fetch_all(&mut *connection)
    .await?;
    let representatives: Vec<RepresentativeRecord> = sqlx::query_as(
        "select client_id, role from company_representative where company_id = $1 order by role, client_id",
    )
    .bind(row.id)
    .fetch_all(&mut *connection)
    .await?;
    Ok(CompanyRecord {
        id: row.id,
        owner_client_id: row.owner_client_id,
        stir: row.stir,
        name: row.name,
        legal_form: row.legal_form,
        registration_date: row.registration_date,
        it_park_certificate_number: row.it_park_certificate_number,
        it_park_valid_from: row.it_park_valid_from,
        it_park_valid_until: row.it_park_valid_until,
        founders,
        representatives,
    })
}

pub async fn find_company(
    connection: &mut PgConnection,
    company_id: Uuid,
) -> Result<Option<CompanyRecord>, sqlx::Error> {
    let row: Option<CompanyRow> = sqlx::query_as("select * from company where id = $1")
        .bind(company_id)
        .fetch_optional(&mut *connection)
        .await?;
    match row {
        Some(row) => Ok(Some(complete_company(connection, row).await?)),
        None => Ok(None),
    }
}

/// The companies a person registered, oldest first.
pub async fn companies_of_owner(
    connection: &mut PgConnection,
    owner_client_id: Uuid,
) -> Result<Vec<CompanyRecord>, sqlx::Error> {
    let rows: Vec<CompanyRow> =
        sqlx::query_as("select * from company where owner_client_id = $1 order by created_at, id")
            .bind(owner_client_id)
            .fetch_all(&mut *connection)
            .await?;
    let mut companies = Vec::with_capacity(rows.len());
    for row in rows {
        companies.push(complete_company(connection, row).await?);
    }
    Ok(companies)
}

/// The Latin full names of those of `client_ids` who are person clients, in one query.
pub async fn latin_full_names(
    connection: &mut PgConnection,
    client_ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, sqlx::Error> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "select client_id, concat_ws(' ', latin_surname, latin_given_name, latin_patronymic)
         from person where client_id = any($1)",
    )
    .bind(client_ids)
    .fetch_all(connection)
    .await?;
    Ok(rows.into_iter().collect())
}

/// A person client's full name in both scripts.
#[derive(Debug, Clone, FromRow)]
pub struct FullNameRow {
    pub client_id: Uuid,
    pub latin_full_name: String,
    pub cyrillic_full_name: Option<String>,
}

/// The full names, in both scripts, of those of `client_ids` who are person clients, in one
/// query.
pub async fn full_names(
    connection: &mut PgConnection,
    client_ids: &[Uuid],
) -> Result<Vec<FullNameRow>, sqlx::Error> {
    sqlx::query_as(
        "select client_id,
            concat_ws(' ', latin_surname, latin_given_name, latin_patronymic) as latin_full_name,
            case when cyrillic_surname is null then null
                 else concat_ws(' ', cyrillic_surname, cyrillic_given_name, cyrillic_patronymic)
            end as cyrillic_full_name
         from person where client_id = any($1)
         order by client_id",
    )
    .bind(client_ids)
    .fetch_all(connection)
    .await
}

/// A staff search for clients, prepared from the text typed (already composed to NFC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSearch {
    /// One `LIKE` pattern per word, lowercased and escaped: every word must occur in one of
    /// the client's names or company names.
    word_patterns: Vec<String>,
    /// The text's digits when it is nothing but digits and separators (a PINFL, STIR or
    /// phone number); empty otherwise.
    digits: String,
    /// The text as a canonical passport number (capitals, no spaces).
    passport: String,
}

/// Phone numbers match on a part only from this many digits, so that a short number does
/// not list every client whose phone happens to contain it.
const MIN_PHONE_DIGITS: usize = 7;

impl ClientSearch {
    pub fn from_text(text: &str) -> ClientSearch {
        let word_patterns = text
            .to_lowercase()
            .split_whitespace()
            .map(|word| {
                let escaped = word
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            })
            .collect();
        let is_number = text
            .chars()
            .all(|character| character.is_ascii_digit() || " +-()".contains(character));
        let digits = if is_number {
            text.chars().filter(char::is_ascii_digit).collect()
        } else {
            String::new()
        };
        let passport = text
            .chars()
            .filter(|character| !character.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        ClientSearch {
            word_patterns,
            digits,
            passport,
        }
    }
}

/// A client found by a search.
#[derive(Debug, Clone, FromRow)]
pub struct ClientSearchRow {
    pub client_id: Uuid,
    pub latin_full_name: String,
    pub cyrillic_full_name: Option<String>,
    pub birth_date: NaiveDate,
    pub pinfl: String,
    pub kyc_status: String,
    pub company_names: Vec<String>,
}

/// Which people a search matches. Names are compared composed (NFC) and lowercased with the
/// ICU root collation, which knows Cyrillic and Uzbek letters (the database's own locale may
/// be `C`, whose `lower` leaves them as they are).
const SEARCH_CONDITION: &str = r#"
    (cardinality($1::text[]) > 0 and (select bool_and(
        lower(normalize(concat_ws(' ', p.latin_surname, p.latin_given_name, p.latin_patronymic), nfc) collate "und-x-icu") like pattern escape '\'
        or lower(normalize(concat_ws(' ', p.cyrillic_surname, p.cyrillic_given_name, p.cyrillic_patronymic), nfc) collate "und-x-icu") like pattern escape '\'
        or exists (select 1 from company c where c.owner_client_id = p.client_id
                   and lower(normalize(c.name, nfc) collate "und-x-icu") like pattern escape '\'))
        from unnest($1::text[]) as pattern))
    or ($2 <> '' and (p.pinfl = $2
        or (length($2) >= $4 and p.phone like '%' || $2 || '%')
        or exists (select 1 from company c where c.owner_client_id = p.client_id and c.stir = $2)))
    or p.passport_number = $3"#;

/// One page of the clients `search` matches, by Latin name, and how many match in all.
pub async fn search(
    connection: &mut PgConnection,
    search: &ClientSearch,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<ClientSearchRow>), sqlx::Error> {
    let min_phone_digits = i32::try_from(MIN_PHONE_DIGITS).unwrap_or(i32::MAX);
    let total: i64 = sqlx::query_scalar(&format!(
        "select count(*) from person p where {SEARCH_CONDITION}"
    ))
    .bind(&search.word_patterns)
    .bind(&search.digits)
    .bind(&search.passport)
    .bind(min_phone_digits)
    .fetch_one(&mut *connection)
    .await?;
    let rows = sqlx::query_as(&format!(
        "select p.client_id,
            concat_ws(' ', p.latin_surname, p.latin_given_name, p.latin_patronymic) as latin_full_name,
            case when p.cyrillic_surname is null then null
                 else concat_ws(' ', p.cyrillic_surname, p.cyrillic_given_name, p.cyrillic_patronymic)
            end as cyrillic_full_name,
            p.birth_date, p.pinfl,
            coalesce((select k.status from kyc_case k
                      where k.client_id = p.client_id and k.company_id is null), 'new') as kyc_status,
            array(select c.name from company c where c.owner_client_id = p.client_id
                  order by c.created_at, c.id) as company_names
         from person p where {SEARCH_CONDITION}
         order by p.latin_surname, p.latin_given_name, p.client_id
         limit $5 offset $6"
    ))
    .bind(&search.word_patterns)
    .bind(&search.digits)
    .bind(&search.passport)
    .bind(min_phone_digits)
    .bind(limit)
    .bind(offset)
    .fetch_all(connection)
    .await?;
    Ok((total, rows))
}
