//! Demo data for a newcomer's laptop and the end-to-end tests: one staff account per role, two
//! founders fully onboarded (approved KYC, a company each, also approved), one founder whose
//! case waits for review, and one bank client without a start-up (approved KYC, no
//! company). Safe on every start: whatever already exists is left alone.
//!
//! The passwords are documented on purpose and printed by the launcher, and so are the demo
//! staff's second-factor secrets (derived from the username, so anyone can compute their
//! codes, with a phone authenticator or `oathtool --totp -b`); demo data never belongs in a
//! production database.

use chrono::{Months, NaiveDate};
use imkon_auth::Role;
use imkon_platform::calendar::BankCalendar;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::accounts::{create_local_account, NewLocalAccount};
use crate::db;
use crate::db::kyc::CaseRecord;
use crate::domain::company::{
    Company, CompanyName, FounderIdentity, Founders, ItParkResidency, LegalForm, NewCompany,
    Representative, RepresentativeRole, Representatives, Stir,
};
use crate::domain::contact::{Address, Email, Phone};
use crate::domain::credentials::{NewPassword, Username};
use crate::domain::document::{accept_upload, DocumentKind};
use crate::domain::ids::{ClientId, DocumentId, OfficerId};
use crate::domain::kyc::{DocumentDecision, Officer};
use crate::domain::passport::{IdentityDocument, PassportNumber};
use crate::domain::person::{NewPerson, Person};
use crate::domain::person_name::{PersonName, Script};
use crate::domain::pinfl::{Pinfl, Sex};
use crate::domain::totp::{SecondFactorKey, TotpSecret};
use crate::error::OnboardingError;
use crate::kyc::{
    announce, attach_uploaded_document, decision_columns, kyc_error, open_or_lock_case,
    restore_case, run_checks, save_case,
};
use crate::password::hash_password;
use sha2::{Digest, Sha256};

/// The provider name under which the demo founders' OneID identities are linked: the one the
/// frontend signs citizens in with.
const DEMO_ONEID_PROVIDER: &str = "oneid";

/// One demo login, as the launcher prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub username: &'static str,
    pub password: &'static str,
    pub roles: Vec<Role>,
    pub description: &'static str,
    /// The TOTP secret in base32, for the staff who must pass a second factor.
    pub totp_secret: Option<String>,
}

/// Every demo login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogins(pub Vec<DemoLogin>);

struct StaffSpec {
    username: &'static str,
    password: &'static str,
    display_name: &'static str,
    role: Role,
    description: &'static str,
}

const STAFF: [StaffSpec; 6] = [
    StaffSpec {
        username: "kyc1",
        password: "kyc1-demo-pass",
        display_name: "Dilnoza Yusupova",
        role: Role::KycOfficer,
        description: "KYC officer",
    },
    StaffSpec {
        username: "credit1",
        password: "credit1-demo-pass",
        display_name: "Sardor Rahimov",
        role: Role::CreditOfficer,
        description: "credit officer",
    },
    StaffSpec {
        username: "credit2",
        password: "credit2-demo-pass",
        display_name: "Kamola Nazarova",
        role: Role::CreditOfficer,
        description: "second credit officer (four eyes)",
    },
    StaffSpec {
        username: "approver1",
        password: "approver1-demo-pass",
        display_name: "Jasur Tursunov",
        role: Role::Approver,
        description: "credit committee approver",
    },
    StaffSpec {
        username: "finance1",
        password: "finance1-demo-pass",
        display_name: "Malika Ergasheva",
        role: Role::Finance,
        description: "finance",
    },
    StaffSpec {
        username: "admin1",
        password: "admin1-demo-pass",
        display_name: "Bobur Aliev",
        role: Role::Admin,
        description: "administrator",
    },
];

struct CompanySpec {
    stir: &'static str,
    name: &'static str,
}

struct ClientSpec {
    username: &'static str,
    password: &'static str,
    surname: &'static str,
    given_name: &'static str,
    patronymic: &'static str,
    /// Surname, given name and patronymic in Cyrillic, so that staff can be shown a name in
    /// both scripts and find a client by either. founder3 has none: the demo watch list's
    /// Cyrillic entry nearly matches their Latin name once transliterated.
    cyrillic: Option<(&'static str, &'static str, &'static str)>,
    birth_date: (i32, u32, u32),
    sex: Sex,
    pinfl_serial: u32,
    passport_number: &'static str,
    phone: &'static str,
    company: Option<CompanySpec>,
    /// Approved by the KYC officer; otherwise left pending review.
    approved: bool,
    description: &'static str,
}

const CLIENTS: [ClientSpec; 4] = [
    ClientSpec {
        username: "founder1",
        password: "founder1-demo-pass",
        surname: "Karimov",
        given_name: "Aziz",
        patronymic: "Botirovich",
        cyrillic: Some(("Каримов", "Азиз", "Ботирович")),
        birth_date: (1990, 5, 15),
        sex: Sex::Male,
        pinfl_serial: 101,
        passport_number: "AA0000101",
        phone: "998901000101",
        company: Some(CompanySpec {
            stir: "301000101",
            name: "Aziz Soft",
        }),
        approved: true,
        description: "founder, KYC approved, company Aziz Soft (IT Park resident)",
    },
    ClientSpec {
        username: "founder2",
        password: "founder2-demo-pass",
        surname: "Rashidova",
        given_name: "Nodira",
        patronymic: "Alisherovna",
        cyrillic: Some(("Рашидова", "Нодира", "Алишеровна")),
        birth_date: (1993, 11, 2),
        sex: Sex::Female,
        pinfl_serial: 102,
        passport_number: "AA0000102",
        phone: "998901000102",
        company: Some(CompanySpec {
            stir: "301000102",
            name: "Nodira Data",
        }),
        approved: true,
        description: "founder, KYC approved, company Nodira Data (IT Park resident)",
    },
    ClientSpec {
        username: "founder3",
        password: "founder3-demo-pass",
        surname: "Qodirov",
        given_name: "Timur",
        patronymic: "Sanjarovich",
        cyrillic: None,
        birth_date: (1998, 2, 20),
        sex: Sex::Male,
        pinfl_serial: 103,
        passport_number: "AA0000103",
        phone: "998901000103",
        company: None,
        approved: false,
        description: "founder, KYC case pending review",
    },
    ClientSpec {
        username: "client1",
        password: "client1-demo-pass",
        surname: "Yusupova",
        given_name: "Malika",
        patronymic: "Farhodovna",
        cyrillic: Some(("Юсупова", "Малика", "Фарҳодовна")),
        birth_date: (1985, 7, 9),
        sex: Sex::Female,
        pinfl_serial: 104,
        passport_number: "AA0000104",
        phone: "998901000104",
        company: None,
        approved: true,
        description: "bank client without a start-up, KYC approved",
    },
];

fn date(year: i32, month: u32, day: u32) -> Result<NaiveDate, OnboardingError> {
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| OnboardingError::Internal(format!("demo date {year}-{month}-{day}")))
}

fn demo_error(what: &str, error: &dyn std::fmt::Display) -> OnboardingError {
    OnboardingError::Internal(format!("demo {what} is invalid: {error}"))
}

/// A tiny PDF standing in for a scanned document.
fn demo_pdf(title: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% Imkon demo document: {title}\n%%EOF\n").into_bytes()
}

/// The demo logins, as documented; `seed_demo` creates exactly these.
pub fn demo_logins() -> DemoLogins {
    let staff = STAFF.iter().map(|staff| DemoLogin {
        username: staff.username,
        password: staff.password,
        roles: vec![staff.role],
        description: staff.description,
        totp_secret: Some(demo_totp_secret(staff.username).to_base32()),
    });
    let clients = CLIENTS.iter().map(|client| DemoLogin {
        username: client.username,
        password: client.password,
        roles: vec![Role::Client],
        description: client.description,
        totp_secret: None,
    });
    DemoLogins(staff.chain(clients).collect())
}

/// The demo second-factor secret of `username`: documented, never random, so the launcher
/// can print it and tests can compute its codes.
pub fn demo_totp_secret(username: &str) -> TotpSecret {
    let digest = Sha256::digest(format!("imkon-demo-second-factor:{username}").as_bytes());
    TotpSecret::from_bytes(&digest[..20])
}

/// The current TOTP code of a demo login (tests; the demo's own codes come from a phone).
pub fn demo_totp_code(username: &str) -> String {
    let now = u64::try_from(imkon_platform::id::now_utc().timestamp()).unwrap_or_default();
    demo_totp_secret(username).code_at(now)
}

/// Creates everything that does not exist yet and returns the logins. The demo staff's
/// second factors are sealed again with `second_factor_key` on every start: `imkon up` may
/// run with a new key over an existing database.
pub async fn seed_demo(
    pool: &PgPool,
    second_factor_key: &SecondFactorKey,
    calendar: &BankCalendar,
) -> Result<DemoLogins, OnboardingError> {
    let mut officer_id = None;
    for staff in &STAFF {
        let id = seed_staff(pool, staff).await?;
        let sealed = second_factor_key
            .seal(id, &demo_totp_secret(staff.username))
            .map_err(|error| OnboardingError::Internal(error.to_string()))?;
        let mut connection = pool.acquire().await?;
        db::second_factor::save_enrolled(&mut connection, id, &sealed, calendar.now()).await?;
        if staff.role == Role::KycOfficer {
            officer_id = Some(id);
        }
    }
    let officer_id = officer_id
        .ok_or_else(|| OnboardingError::Internal("the demo staff has no KYC officer".into()))?;
    seed_watch_list(pool, officer_id).await?;
    for client in &CLIENTS {
        seed_client(pool, client, officer_id, calendar).await?;
    }
    Ok(demo_logins())
}

/// The demo watch list. Its first entry, in Cyrillic, nearly matches founder3's Latin name
/// (Qodirov Timur Sanjarovich: one letter of the surname differs once transliterated), so
/// founder3's case waits in the KYC queue with a hit an officer can judge. The others match no
/// demo client, and founder1's and founder2's approvals stand.
const DEMO_WATCH_LIST: &str = "\
full_name,birth_date,list_name,reference
Кодиров Тимур Санжарович,,Demo national list,DEMO-UZ-0001
Петров Сергей Иванович,1965-01-30,Demo sanctions list,DEMO-SAN-0002
Xolmatov Sardor Ergashevich,,Demo Interpol notices,DEMO-IN-0003
";

/// Imports the demo watch list before the founders are screened, unless a list exists.
async fn seed_watch_list(pool: &PgPool, officer_id: Uuid) -> Result<(), OnboardingError> {
    let list = crate::domain::screening::WatchList::parse_csv(DEMO_WATCH_LIST)
        .map_err(|errors| demo_error("watch list", &format!("{errors:?}")))?;
    let mut transaction = pool.begin().await?;
    lock_seeding(&mut transaction).await?;
    if db::kyc::latest_watch_list_id(&mut transaction)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let entry_count =
        i32::try_from(list.entries().len()).map_err(|error| demo_error("watch list", &error))?;
    let id = db::kyc::insert_watch_list(&mut transaction, officer_id, DEMO_WATCH_LIST, entry_count)
        .await?;
    imkon_platform::audit::record(
        &mut transaction,
        imkon_platform::audit::AuditEntry {
            actor_id: None,
            actor_roles: Vec::new(),
            action: "demo.seed",
            subject_type: "watch_list",
            subject_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "entry_count": entry_count })),
            source_address: None,
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Serialises seeding across processes started at once (`imkon up` starts replicas together).
async fn lock_seeding(connection: &mut PgConnection) -> Result<(), OnboardingError> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('imkon.onboarding.seed_demo'))")
        .execute(connection)
        .await?;
    Ok(())
}

async fn seed_staff(pool: &PgPool, staff: &StaffSpec) -> Result<Uuid, OnboardingError> {
    let username =
        Username::parse(staff.username).map_err(|error| demo_error("username", &error))?;
    let mut connection = pool.acquire().await?;
    if let Some(account) =
        db::accounts::find_by_username(&mut connection, username.as_str()).await?
    {
        return Ok(account.id);
    }
    drop(connection);
    let password =
        NewPassword::parse(staff.password).map_err(|error| demo_error("password", &error))?;
    let password_hash = hash_password(&password).await?;
    let mut transaction = pool.begin().await?;
    lock_seeding(&mut transaction).await?;
    if let Some(account) =
        db::accounts::find_by_username(&mut transaction, username.as_str()).await?
    {
        return Ok(account.id);
    }
    let account = create_local_account(
        &mut transaction,
        &NewLocalAccount {
            username: &username,
            password_hash: &password_hash,
            display_name: staff.display_name,
            roles: &[staff.role],
            client_id: None,
            granted_by: None,
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(account.id)
}

/// How long before the seeding day the demo passports were issued, and how long after it
/// they expire: a demo started in any year holds valid passports.
const DEMO_PASSPORT_ISSUED_MONTHS_AGO: Months = Months::new(5 * 12);
const DEMO_PASSPORT_VALID_MONTHS_AHEAD: Months = Months::new(5 * 12);

/// How long before the seeding day the demo companies were registered and became IT Park
/// residents (for a year and a month), and how long their residency lasts from then on.
const DEMO_COMPANY_REGISTERED_MONTHS_AGO: Months = Months::new(13);
const DEMO_RESIDENCY_STARTED_MONTHS_AGO: Months = Months::new(12);
const DEMO_RESIDENCY_MONTHS_AHEAD: Months = Months::new(5 * 12);

fn months_before(today: NaiveDate, months: Months) -> Result<NaiveDate, OnboardingError> {
    today
        .checked_sub_months(months)
        .ok_or_else(|| OnboardingError::Internal(format!("{months:?} before {today}")))
}

fn months_after(today: NaiveDate, months: Months) -> Result<NaiveDate, OnboardingError> {
    today
        .checked_add_months(months)
        .ok_or_else(|| OnboardingError::Internal(format!("{months:?} after {today}")))
}

/// A demo client's person record on `today`. Birth dates stay fixed: the PINFL encodes
/// them, the development OneID provider's founder1 must match the stored profile across
/// restarts, and no rule a demo client meets today stops holding as they grow older.
fn demo_person(client: &ClientSpec, today: NaiveDate) -> Result<Person, OnboardingError> {
    let (year, month, day) = client.birth_date;
    let birth_date = date(year, month, day)?;
    let pinfl = Pinfl::compose(birth_date, client.sex, client.pinfl_serial)
        .map_err(|error| demo_error("PINFL", &error))?;
    let passport = IdentityDocument::new(
        PassportNumber::parse(client.passport_number)
            .map_err(|error| demo_error("passport", &error))?,
        months_before(today, DEMO_PASSPORT_ISSUED_MONTHS_AGO)?,
        months_after(today, DEMO_PASSPORT_VALID_MONTHS_AHEAD)?,
        today,
    )
    .map_err(|error| demo_error("passport", &error))?;
    Person::new(NewPerson {
        pinfl,
        birth_date,
        latin_name: PersonName::parse(
            Script::Latin,
            client.surname,
            client.given_name,
            Some(client.patronymic),
        )
        .map_err(|error| demo_error("name", &error))?,
        cyrillic_name: client
            .cyrillic
            .map(|(surname, given_name, patronymic)| {
                PersonName::parse(Script::Cyrillic, surname, given_name, Some(patronymic))
            })
            .transpose()
            .map_err(|error| demo_error("Cyrillic name", &error))?,
        passport,
        phone: Phone::parse(client.phone).map_err(|error| demo_error("phone", &error))?,
        email: Some(
            Email::parse(&format!("{}@demo.imkon.uz", client.username))
                .map_err(|error| demo_error("email", &error))?,
        ),
        address: Address::parse("Toshkent shahri", "Mirzo Ulug'bek", "Buyuk Ipak Yo'li 1")
            .map_err(|error| demo_error("address", &error))?,
    })
    .map_err(|error| demo_error("person", &error))
}

fn demo_company(
    spec: &CompanySpec,
    owner: ClientId,
    today: NaiveDate,
) -> Result<Company, OnboardingError> {
    let company_error = |error| demo_error("company", &error);
    Company::new(
        NewCompany {
            stir: Stir::parse(spec.stir).map_err(company_error)?,
            name: CompanyName::parse(spec.name).map_err(company_error)?,
            legal_form: LegalForm::LimitedLiabilityCompany,
            registration_date: months_before(today, DEMO_COMPANY_REGISTERED_MONTHS_AGO)?,
            it_park_residency: Some(
                ItParkResidency::new(
                    &format!("ITP-{}", spec.stir),
                    months_before(today, DEMO_RESIDENCY_STARTED_MONTHS_AGO)?,
                    months_after(today, DEMO_RESIDENCY_MONTHS_AHEAD)?,
                )
                .map_err(company_error)?,
            ),
            founders: Founders::new([(FounderIdentity::Client(owner), Decimal::ONE_HUNDRED)])
                .map_err(company_error)?,
            representatives: Representatives::new([Representative {
                client_id: owner,
                role: RepresentativeRole::Director,
            }])
            .map_err(company_error)?,
        },
        today,
    )
    .map_err(company_error)
}

async fn seed_client(
    pool: &PgPool,
    client: &ClientSpec,
    officer_id: Uuid,
    calendar: &BankCalendar,
) -> Result<(), OnboardingError> {
    let username =
        Username::parse(client.username).map_err(|error| demo_error("username", &error))?;
    let mut connection = pool.acquire().await?;
    if db::accounts::find_by_username(&mut connection, username.as_str())
        .await?
        .is_some()
    {
        return Ok(());
    }
    drop(connection);
    let person = demo_person(client, calendar.today())?;
    let password =
        NewPassword::parse(client.password).map_err(|error| demo_error("password", &error))?;
    let password_hash = hash_password(&password).await?;

    let mut transaction = pool.begin().await?;
    lock_seeding(&mut transaction).await?;
    if db::accounts::find_by_username(&mut transaction, username.as_str())
        .await?
        .is_some()
    {
        return Ok(());
    }
    let client_id = imkon_platform::id::new_id();
    db::clients::insert_person(&mut transaction, client_id, &person).await?;
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
    // The bank itself vouches for its demo founders, so their OneID logins (the development
    // OneID lists founder1) land in the seeded accounts, as a founder who linked OneID would.
    db::external_login::link_identity(
        &mut transaction,
        DEMO_ONEID_PROVIDER,
        person.pinfl().as_str(),
        account.id,
    )
    .await?;
    let officer = Officer {
        id: OfficerId::from_uuid(officer_id),
        own_client_id: None,
    };
    let person_case = submit_with_documents(
        &mut transaction,
        client_id,
        None,
        &[DocumentKind::PassportScan],
        calendar,
    )
    .await?;
    if client.approved {
        approve(&mut transaction, &person_case, &officer, calendar).await?;
    }
    if let Some(spec) = &client.company {
        let company_id = imkon_platform::id::new_id();
        let company = demo_company(spec, ClientId::from_uuid(client_id), calendar.today())?;
        db::clients::insert_company(&mut transaction, company_id, client_id, &company).await?;
        let kinds = [
            DocumentKind::CompanyCharter,
            DocumentKind::RegistrationCertificate,
            DocumentKind::ItParkCertificate,
        ];
        let company_case = submit_with_documents(
            &mut transaction,
            client_id,
            Some(company_id),
            &kinds,
            calendar,
        )
        .await?;
        if client.approved {
            approve(&mut transaction, &company_case, &officer, calendar).await?;
        }
    }
    imkon_platform::audit::record(
        &mut transaction,
        imkon_platform::audit::AuditEntry {
            actor_id: None,
            actor_roles: Vec::new(),
            action: "demo.seed",
            subject_type: "client",
            subject_id: client_id.to_string(),
            before: None,
            after: Some(
                serde_json::json!({ "username": client.username, "approved": client.approved }),
            ),
            source_address: None,
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Stores a demo document of each kind under the subject's case and submits it.
async fn submit_with_documents(
    connection: &mut PgConnection,
    client_id: Uuid,
    company_id: Option<Uuid>,
    kinds: &[DocumentKind],
    calendar: &BankCalendar,
) -> Result<CaseRecord, OnboardingError> {
    for kind in kinds {
        let content = demo_pdf(kind.code());
        let stored_bytes = db::documents::stored_bytes(connection, client_id).await?;
        let upload = accept_upload(*kind, &content, stored_bytes)
            .map_err(|error| demo_error("document", &error))?;
        let file_name = format!("{}.pdf", kind.code());
        let record = db::documents::insert(
            connection,
            imkon_platform::id::new_id(),
            client_id,
            company_id,
            &upload,
            Some(&file_name),
            &content,
        )
        .await?;
        attach_uploaded_document(connection, &record).await?;
    }
    let record = open_or_lock_case(connection, client_id, company_id).await?;
    let mut case = restore_case(connection, &record).await?;
    case.submit().map_err(kyc_error)?;
    let now = calendar.now();
    save_case(connection, &case, Some(now), None).await?;
    run_checks(connection, &record, calendar.day_of(now)).await?;
    Ok(record)
}

/// The officer takes the case, accepts every document and approves it, announcing it.
async fn approve(
    connection: &mut PgConnection,
    record: &CaseRecord,
    officer: &Officer,
    calendar: &BankCalendar,
) -> Result<(), OnboardingError> {
    let record = db::kyc::lock_case(connection, record.id)
        .await?
        .ok_or(OnboardingError::NotFound { what: "case" })?;
    let mut case = restore_case(connection, &record).await?;
    case.assign(officer).map_err(kyc_error)?;
    let document_ids: Vec<DocumentId> = case
        .documents()
        .iter()
        .map(|document| document.id())
        .collect();
    for document_id in document_ids {
        case.decide_document(officer, document_id, DocumentDecision::Accepted)
            .map_err(kyc_error)?;
        let (code, reason, note) = decision_columns(&DocumentDecision::Accepted);
        db::kyc::save_document_decision(
            connection,
            record.id,
            document_id.as_uuid(),
            code,
            reason,
            note,
            officer.id.as_uuid(),
        )
        .await?;
    }
    case.approve(officer).map_err(kyc_error)?;
    let now = calendar.now();
    save_case(connection, &case, None, Some(now)).await?;
    announce(connection, &record, &case, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The browser tests (`frontend/browser-tests/totp.mjs`) derive the same secrets.
    #[test]
    fn a_demo_second_factor_secret_is_derived_from_the_username_as_documented() {
        assert_eq!(
            demo_totp_secret("credit1").to_base32(),
            "3F7KMMUM5YALCA4MN5IMEHQUV5E33LKQ"
        );
    }
}
