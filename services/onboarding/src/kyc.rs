//! KYC cases between the database and the domain: restoring a case, saving it back,
//! attaching uploads, and the checks run at submission.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db;
use crate::db::documents::DocumentRecord;
use crate::db::kyc::{CaseRecord, CaseUpdate};
use crate::domain::company::Stir;
use crate::domain::contact::Phone;
use crate::domain::document::DocumentKind;
use crate::domain::ids::{ClientId, DocumentId, KycCaseId, OfficerId};
use crate::domain::kyc::{
    CaseRejectionReason, DocumentDecision, DocumentRejectionReason, KycCase, KycError, KycStatus,
    KycSubject, ReviewNote, StoredCaseDocument, StoredKycCase,
};
use crate::domain::passport::{IdentityDocument, PassportNumber};
use crate::domain::pinfl::Pinfl;
use crate::domain::screening::{WatchList, DEFAULT_MATCH_THRESHOLD};
use crate::error::OnboardingError;
use imkon_platform::outbox;

fn corrupt(what: &str, value: &str) -> OnboardingError {
    OnboardingError::Internal(format!(
        "stored {what} {value:?} is not one the service writes"
    ))
}

/// The HTTP meaning of a refused KYC operation: "not yours" is 403, "not now" 409, "not
/// complete" 422 naming what is missing.
pub fn kyc_error(error: KycError) -> OnboardingError {
    match &error {
        KycError::NotAllowedInStatus { .. } => {
            OnboardingError::conflict("kyc_wrong_status", error.to_string())
        }
        KycError::NoOfficerAssigned | KycError::NotTheAssignedOfficer => {
            OnboardingError::forbidden("not_assigned_officer", error.to_string())
        }
        KycError::OfficerManagesClient | KycError::OfficerIsTheClient => {
            OnboardingError::forbidden("conflict_of_interest", error.to_string())
        }
        KycError::UnknownDocument { .. } => OnboardingError::NotFound { what: "document" },
        KycError::MissingRequiredDocument { .. } => {
            OnboardingError::invalid(error.field(), "missing_document", &error)
        }
        KycError::RequiredDocumentNotAccepted { .. } => {
            OnboardingError::invalid(error.field(), "document_not_accepted", &error)
        }
        KycError::UndecidedDocument { .. } => {
            OnboardingError::invalid(error.field(), "document_undecided", &error)
        }
        KycError::NoteEmpty | KycError::NoteTooLong => {
            OnboardingError::invalid(error.field(), "invalid_note", &error)
        }
    }
}

/// The code of a document decision, with its reason or note.
pub fn decision_columns(decision: &DocumentDecision) -> (&'static str, Option<&str>, Option<&str>) {
    match decision {
        DocumentDecision::Accepted => ("accepted", None, None),
        DocumentDecision::Rejected(reason) => ("rejected", Some(reason.code()), None),
        DocumentDecision::RevisionRequested(note) => {
            ("revision_requested", None, Some(note.as_str()))
        }
    }
}

async fn subject_of(
    connection: &mut PgConnection,
    company_id: Option<Uuid>,
) -> Result<KycSubject, OnboardingError> {
    match company_id {
        None => Ok(KycSubject::Person),
        Some(company_id) => {
            let company = db::clients::find_company(connection, company_id)
                .await?
                .ok_or_else(|| corrupt("company of a case", &company_id.to_string()))?;
            Ok(KycSubject::Company {
                claims_it_park_residency: company.it_park_certificate_number.is_some(),
            })
        }
    }
}

/// Rebuilds the domain case from its rows.
pub async fn restore_case(
    connection: &mut PgConnection,
    record: &CaseRecord,
) -> Result<KycCase, OnboardingError> {
    let subject = subject_of(connection, record.company_id).await?;
    let mut documents = Vec::new();
    for document in db::kyc::case_documents(connection, record.id).await? {
        let kind = DocumentKind::parse(&document.kind)
            .map_err(|_| corrupt("document kind", &document.kind))?;
        let decision = match (
            document.decision.as_deref(),
            &document.rejection_reason,
            &document.note,
        ) {
            (None, _, _) => None,
            (Some("accepted"), _, _) => Some(DocumentDecision::Accepted),
            (Some("rejected"), Some(reason), _) => Some(DocumentDecision::Rejected(
                DocumentRejectionReason::from_code(reason)
                    .ok_or_else(|| corrupt("rejection reason", reason))?,
            )),
            (Some("revision_requested"), _, Some(note)) => {
                Some(DocumentDecision::RevisionRequested(
                    ReviewNote::parse(note).map_err(|_| corrupt("note", note))?,
                ))
            }
            (Some(other), _, _) => return Err(corrupt("document decision", other)),
        };
        documents.push(StoredCaseDocument {
            id: DocumentId::from_uuid(document.document_id),
            kind,
            decision,
        });
    }
    Ok(KycCase::restore(StoredKycCase {
        id: KycCaseId::from_uuid(record.id),
        client_id: ClientId::from_uuid(record.client_id),
        subject,
        status: KycStatus::from_code(&record.status)
            .ok_or_else(|| corrupt("status", &record.status))?,
        relationship_officer: None,
        assigned_officer: record.assigned_officer_id.map(OfficerId::from_uuid),
        documents,
        rejection_reason: record
            .rejection_reason
            .as_deref()
            .map(|code| {
                CaseRejectionReason::from_code(code)
                    .ok_or_else(|| corrupt("case rejection reason", code))
            })
            .transpose()?,
        revision_note: record
            .revision_note
            .as_deref()
            .map(|note| ReviewNote::parse(note).map_err(|_| corrupt("revision note", note)))
            .transpose()?,
    }))
}

/// Writes the case's state back; `submitted_at` and `decided_at` stamp the moments when the
/// operation was a submission or a decision.
pub async fn save_case(
    connection: &mut PgConnection,
    case: &KycCase,
    submitted_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
) -> Result<(), OnboardingError> {
    db::kyc::update_case(
        connection,
        case.id().as_uuid(),
        &CaseUpdate {
            status: case.status().code(),
            assigned_officer_id: case.assigned_officer().map(|officer| officer.as_uuid()),
            rejection_reason: case.rejection_reason().map(CaseRejectionReason::code),
            revision_note: case.revision_note().map(ReviewNote::as_str),
            submitted_at,
            decided_at,
        },
    )
    .await?;
    Ok(())
}

/// The subject's case, locked, opened first if it does not exist yet.
pub async fn open_or_lock_case(
    connection: &mut PgConnection,
    client_id: Uuid,
    company_id: Option<Uuid>,
) -> Result<CaseRecord, OnboardingError> {
    if let Some(record) = db::kyc::lock_subject_case(connection, client_id, company_id).await? {
        return Ok(record);
    }
    Ok(db::kyc::insert_case(
        connection,
        imkon_platform::id::new_id(),
        client_id,
        company_id,
    )
    .await?)
}

/// Puts a new upload under its subject's case, while the case is the client's to complete.
pub async fn attach_uploaded_document(
    connection: &mut PgConnection,
    document: &DocumentRecord,
) -> Result<(), OnboardingError> {
    let record = open_or_lock_case(connection, document.client_id, document.company_id).await?;
    let mut case = restore_case(connection, &record).await?;
    let kind = DocumentKind::parse(&document.kind)
        .map_err(|_| corrupt("document kind", &document.kind))?;
    case.attach_document(DocumentId::from_uuid(document.id), kind)
        .map_err(kyc_error)?;
    db::kyc::attach_document(connection, record.id, document.id).await?;
    Ok(())
}

/// One check's result.
struct CheckResult {
    name: &'static str,
    passed: bool,
    detail: String,
}

fn check<E: std::fmt::Display>(
    name: &'static str,
    result: Result<(), E>,
    passed_detail: &str,
) -> CheckResult {
    match result {
        Ok(()) => CheckResult {
            name,
            passed: true,
            detail: passed_detail.to_owned(),
        },
        Err(error) => CheckResult {
            name,
            passed: false,
            detail: error.to_string(),
        },
    }
}

/// Runs and stores the automatic checks of a submission: format and checksums, PINFL against
/// birth date, passport validity, duplicates on other profiles, and screening against the
/// watch list in force. They inform the officer; they do not decide.
pub async fn run_checks(
    connection: &mut PgConnection,
    record: &CaseRecord,
    today: NaiveDate,
) -> Result<(), OnboardingError> {
    let mut results = Vec::new();
    let mut names_to_screen: Vec<(String, Option<NaiveDate>)> = Vec::new();
    match record.company_id {
        None => {
            let person = db::clients::find_person(connection, record.client_id)
                .await?
                .ok_or(OnboardingError::NotFound { what: "profile" })?;
            let format = Pinfl::parse(&person.pinfl)
                .map(|_| ())
                .map_err(|error| error.to_string())
                .and_then(|()| {
                    PassportNumber::parse(&person.passport_number)
                        .map(|_| ())
                        .map_err(|error| error.to_string())
                })
                .and_then(|()| {
                    Phone::parse(&person.phone)
                        .map(|_| ())
                        .map_err(|error| error.to_string())
                });
            results.push(check(
                "format",
                format,
                "PINFL, passport number and phone are well-formed",
            ));
            let birth_date = Pinfl::parse(&person.pinfl)
                .map_err(|error| error.to_string())
                .and_then(|pinfl| {
                    pinfl
                        .check_birth_date(person.birth_date)
                        .map_err(|error| error.to_string())
                });
            results.push(check(
                "pinfl_birth_date",
                birth_date,
                "the PINFL encodes the stated birth date",
            ));
            let passport = PassportNumber::parse(&person.passport_number)
                .map_err(|error| error.to_string())
                .and_then(|number| {
                    IdentityDocument::new(
                        number,
                        person.passport_issue_date,
                        person.passport_expiry_date,
                        today,
                    )
                    .map(|_| ())
                    .map_err(|error| error.to_string())
                });
            results.push(check(
                "passport_validity",
                passport,
                "the passport is valid today",
            ));
            let sharing = db::kyc::people_sharing_identity(
                connection,
                record.client_id,
                &person.pinfl,
                &person.passport_number,
            )
            .await?;
            results.push(check(
                "duplicates",
                if sharing == 0 {
                    Ok(())
                } else {
                    Err(format!(
                        "{sharing} other profiles share this PINFL or passport"
                    ))
                },
                "no other profile has this PINFL or passport",
            ));
            let latin = [
                Some(person.latin_surname.as_str()),
                Some(person.latin_given_name.as_str()),
                person.latin_patronymic.as_deref(),
            ];
            names_to_screen.push((
                latin.into_iter().flatten().collect::<Vec<_>>().join(" "),
                Some(person.birth_date),
            ));
            if let (Some(surname), Some(given_name)) =
                (&person.cyrillic_surname, &person.cyrillic_given_name)
            {
                let cyrillic = [
                    Some(surname.as_str()),
                    Some(given_name.as_str()),
                    person.cyrillic_patronymic.as_deref(),
                ];
                names_to_screen.push((
                    cyrillic.into_iter().flatten().collect::<Vec<_>>().join(" "),
                    Some(person.birth_date),
                ));
            }
        }
        Some(company_id) => {
            let company = db::clients::find_company(connection, company_id)
                .await?
                .ok_or(OnboardingError::NotFound { what: "company" })?;
            results.push(check(
                "format",
                Stir::parse(&company.stir).map(|_| ()),
                "the STIR is well-formed",
            ));
            let sharing =
                db::kyc::companies_sharing_stir(connection, company_id, &company.stir).await?;
            results.push(check(
                "duplicates",
                if sharing == 0 {
                    Ok(())
                } else {
                    Err(format!("{sharing} other companies share this STIR"))
                },
                "no other company has this STIR",
            ));
            names_to_screen.push((company.name.clone(), None));
        }
    }

    let watch_list = db::kyc::latest_watch_list(connection).await?;
    match watch_list {
        None => {
            results.push(check::<String>(
                "screening",
                Ok(()),
                "no watch list has been imported",
            ));
        }
        Some((import_id, csv_text)) => {
            let list = WatchList::parse_csv(&csv_text).map_err(|error| {
                OnboardingError::Internal(format!(
                    "the stored watch list no longer parses: {error}"
                ))
            })?;
            let mut hits = Vec::new();
            for (name, birth_date) in &names_to_screen {
                for hit in list.screen(name, *birth_date, DEFAULT_MATCH_THRESHOLD) {
                    hits.push((
                        name.clone(),
                        hit.entry.full_name().to_owned(),
                        hit.entry.list_name().to_owned(),
                        hit.entry.reference().to_owned(),
                        hit.score,
                    ));
                }
            }
            db::kyc::replace_hits(connection, record.id, import_id, &hits).await?;
            results.push(check(
                "screening",
                if hits.is_empty() {
                    Ok(())
                } else {
                    Err(format!("{} possible watch-list matches", hits.len()))
                },
                "no watch-list match",
            ));
        }
    }
    for result in results {
        db::kyc::insert_check(
            connection,
            record.id,
            result.name,
            result.passed,
            &result.detail,
        )
        .await?;
    }
    Ok(())
}

/// Writes the event of an approval or rejection to the outbox, in the decision's transaction.
pub async fn announce(
    connection: &mut PgConnection,
    record: &CaseRecord,
    case: &KycCase,
    now: DateTime<Utc>,
) -> Result<(), OnboardingError> {
    let event = match (case.status(), record.company_id) {
        (KycStatus::Approved, None) => Some((
            "client.kyc_approved",
            serde_json::json!({ "client_id": record.client_id, "approved_at": now }),
        )),
        (KycStatus::Rejected, None) => Some((
            "client.kyc_rejected",
            serde_json::json!({
                "client_id": record.client_id,
                "reason": case.rejection_reason().map(CaseRejectionReason::code),
                "rejected_at": now,
            }),
        )),
        (KycStatus::Approved, Some(company_id)) => {
            let company = db::clients::find_company(connection, company_id)
                .await?
                .ok_or(OnboardingError::NotFound { what: "company" })?;
            Some((
                "company.kyc_approved",
                serde_json::json!({
                    "company_id": company_id,
                    "client_id": record.client_id,
                    "stir": company.stir,
                    "approved_at": now,
                }),
            ))
        }
        (KycStatus::Rejected, Some(company_id)) => Some((
            "company.kyc_rejected",
            serde_json::json!({
                "company_id": company_id,
                "client_id": record.client_id,
                "reason": case.rejection_reason().map(CaseRejectionReason::code),
                "rejected_at": now,
            }),
        )),
        _ => None,
    };
    if let Some((topic, payload)) = event {
        outbox::enqueue(connection, topic, &payload).await?;
    }
    Ok(())
}
