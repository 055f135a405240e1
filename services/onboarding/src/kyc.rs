//! KYC cases between the database and the domain: restoring a case, saving it back,
//! attaching uploads, and the checks run at submission.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db;
use crate::db::clients::PersonRecord;
use crate::db::documents::DocumentRecord;
use crate::db::kyc::{CaseRecord, CaseUpdate, NewHit};
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
    /// passed, failed, cannot_screen or possible_match: the code the pages translate.
    outcome: &'static str,
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
            outcome: "passed",
            detail: passed_detail.to_owned(),
        },
        Err(error) => CheckResult {
            name,
            outcome: "failed",
            detail: error.to_string(),
        },
    }
}

/// A name screened against the watch list, with the birth date that tells namesakes apart.
pub struct ScreenedName {
    pub name: String,
    pub birth_date: Option<NaiveDate>,
}

/// A person's names in each script on file.
fn person_names(person: &PersonRecord) -> Vec<ScreenedName> {
    let mut names = vec![ScreenedName {
        name: [
            Some(person.latin_surname.as_str()),
            Some(person.latin_given_name.as_str()),
            person.latin_patronymic.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" "),
        birth_date: Some(person.birth_date),
    }];
    if let (Some(surname), Some(given_name)) =
        (&person.cyrillic_surname, &person.cyrillic_given_name)
    {
        names.push(ScreenedName {
            name: [
                Some(surname.as_str()),
                Some(given_name.as_str()),
                person.cyrillic_patronymic.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
            birth_date: Some(person.birth_date),
        });
    }
    names
}

/// The names a case screens: the person's in each script, or the company's.
async fn case_names(
    connection: &mut PgConnection,
    record: &CaseRecord,
) -> Result<Vec<ScreenedName>, OnboardingError> {
    match record.company_id {
        None => {
            let person = db::clients::find_person(connection, record.client_id)
                .await?
                .ok_or(OnboardingError::NotFound { what: "profile" })?;
            Ok(person_names(&person))
        }
        Some(company_id) => {
            let company = db::clients::find_company(connection, company_id)
                .await?
                .ok_or(OnboardingError::NotFound { what: "company" })?;
            Ok(vec![ScreenedName {
                name: company.name,
                birth_date: None,
            }])
        }
    }
}

/// The watch list in force, parsed once per import: screening a submission asks the database
/// only which import is the latest, and parses its CSV only when that import is new to this
/// process. Keyed by the import's id, so a newer import (from any replica) is always seen.
static WATCH_LIST_IN_FORCE: Mutex<Option<(Uuid, Arc<WatchList>)>> = Mutex::new(None);

/// Makes `list` the parsed copy of import `id`, as the import itself does.
pub fn remember_watch_list(id: Uuid, list: Arc<WatchList>) {
    if let Ok(mut cached) = WATCH_LIST_IN_FORCE.lock() {
        *cached = Some((id, list));
    }
}

/// The latest imported watch list, or none when no list was ever imported.
pub async fn watch_list_in_force(
    connection: &mut PgConnection,
) -> Result<Option<(Uuid, Arc<WatchList>)>, OnboardingError> {
    let Some(id) = db::kyc::latest_watch_list_id(connection).await? else {
        return Ok(None);
    };
    let cached = WATCH_LIST_IN_FORCE
        .lock()
        .ok()
        .and_then(|cached| cached.clone())
        .filter(|(cached_id, _)| *cached_id == id);
    if let Some(cached) = cached {
        return Ok(Some(cached));
    }
    let text = db::kyc::watch_list_text(connection, id).await?;
    let list = Arc::new(WatchList::parse_csv(&text).map_err(|errors| {
        OnboardingError::Internal(format!(
            "the stored watch list {id} no longer parses: {errors:?}"
        ))
    })?);
    remember_watch_list(id, Arc::clone(&list));
    Ok(Some((id, list)))
}

/// Screens the case's names against `list` and stores the hits; answers how many are new.
pub async fn screen_case(
    connection: &mut PgConnection,
    record: &CaseRecord,
    import_id: Uuid,
    list: &WatchList,
) -> Result<u64, OnboardingError> {
    let mut hits: Vec<NewHit> = Vec::new();
    for screened in case_names(connection, record).await? {
        for hit in list.screen(&screened.name, screened.birth_date, DEFAULT_MATCH_THRESHOLD) {
            // One review per list entry: the same person found under the client's Latin and
            // Cyrillic names is one question for the officer, kept with the better score
            // (the Latin name, screened first, on a tie).
            let same_entry = hits.iter_mut().find(|known| {
                known.entry_list_name == hit.entry.list_name()
                    && known.entry_reference == hit.entry.reference()
            });
            if let Some(known) = same_entry {
                if hit.score > known.score {
                    known.screened_name.clone_from(&screened.name);
                    known.score = hit.score;
                }
                continue;
            }
            hits.push(NewHit {
                screened_name: screened.name.clone(),
                entry_full_name: hit.entry.full_name().to_owned(),
                entry_list_name: hit.entry.list_name().to_owned(),
                entry_reference: hit.entry.reference().to_owned(),
                entry_birth_date: hit.entry.birth_date(),
                score: hit.score,
            });
        }
    }
    Ok(db::kyc::record_hits(connection, record.id, import_id, &hits).await?)
}

/// Runs and stores the automatic checks of a submission: format and checksums, PINFL against
/// birth date, passport validity, duplicates on other profiles, and screening against the
/// watch list in force. They inform the officer; they do not decide, except that a screening
/// hit judged a true match blocks approval. Without a watch list the screening check fails
/// (`cannot_screen`): no list is no assurance, never a pass.
pub async fn run_checks(
    connection: &mut PgConnection,
    record: &CaseRecord,
    today: NaiveDate,
) -> Result<(), OnboardingError> {
    let mut results = Vec::new();
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
        }
    }

    let screening = match watch_list_in_force(connection).await? {
        None => CheckResult {
            name: "screening",
            outcome: "cannot_screen",
            detail: "no watch list has been imported, so the client could not be screened"
                .to_owned(),
        },
        Some((import_id, list)) => {
            screen_case(connection, record, import_id, &list).await?;
            let open = db::kyc::hits(connection, record.id)
                .await?
                .iter()
                .filter(|hit| hit.resolution.as_deref() != Some("false_positive"))
                .count();
            if open == 0 {
                CheckResult {
                    name: "screening",
                    outcome: "passed",
                    detail: "no watch-list match".to_owned(),
                }
            } else {
                CheckResult {
                    name: "screening",
                    outcome: "possible_match",
                    detail: format!("{open} possible watch-list matches"),
                }
            }
        }
    };
    results.push(screening);
    for result in results {
        db::kyc::insert_check(
            connection,
            record.id,
            result.name,
            result.outcome,
            &result.detail,
        )
        .await?;
    }
    Ok(())
}

/// Screens every approved client (and company) again against a newly imported list; each new
/// hit is an open review on its case. Answers the number of cases screened and of new hits.
pub async fn rescreen_approved(
    connection: &mut PgConnection,
    import_id: Uuid,
    list: &WatchList,
) -> Result<(usize, u64), OnboardingError> {
    let approved = db::kyc::cases_with_status(connection, KycStatus::Approved.code()).await?;
    let mut new_hits = 0;
    for record in &approved {
        new_hits += screen_case(connection, record, import_id, list).await?;
    }
    Ok((approved.len(), new_hits))
}

/// Whether the case may be approved as far as screening goes: no hit judged a true match
/// (409 `screening_true_match`) and none left unjudged (409 `screening_review_open`).
pub async fn ensure_screening_clear(
    connection: &mut PgConnection,
    case_id: Uuid,
) -> Result<(), OnboardingError> {
    let hits = db::kyc::hits(connection, case_id).await?;
    if hits
        .iter()
        .any(|hit| hit.resolution.as_deref() == Some("true_match"))
    {
        return Err(OnboardingError::conflict(
            "screening_true_match",
            "a watch-list hit on this case was judged a true match; it cannot be approved",
        ));
    }
    if hits.iter().any(|hit| hit.resolution.is_none()) {
        return Err(OnboardingError::conflict(
            "screening_review_open",
            "a watch-list hit on this case awaits an officer's judgement",
        ));
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
