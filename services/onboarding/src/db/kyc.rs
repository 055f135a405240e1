//! KYC cases, their documents and decisions, checks, screening hits and watch lists.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A case row.
#[derive(Debug, Clone, FromRow)]
pub struct CaseRecord {
    pub id: Uuid,
    pub client_id: Uuid,
    pub company_id: Option<Uuid>,
    pub status: String,
    pub assigned_officer_id: Option<Uuid>,
    pub rejection_reason: Option<String>,
    pub revision_note: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A document under a case, with the decision on it.
#[derive(Debug, Clone, FromRow)]
pub struct CaseDocumentRecord {
    pub document_id: Uuid,
    pub kind: String,
    pub decision: Option<String>,
    pub rejection_reason: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct CheckRecord {
    pub check_name: String,
    pub passed: bool,
    /// passed, failed, cannot_screen or possible_match; none on results stored before codes.
    pub outcome: Option<String>,
    pub detail: String,
    pub ran_at: DateTime<Utc>,
}

/// A possible watch-list match and, once an officer judged it, the resolution.
#[derive(Debug, Clone, FromRow)]
pub struct HitRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub screened_name: String,
    pub entry_full_name: String,
    pub entry_list_name: String,
    pub entry_reference: String,
    pub entry_birth_date: Option<NaiveDate>,
    pub score: i16,
    pub found_at: DateTime<Utc>,
    pub resolution: Option<String>,
    pub resolution_reason: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A hit found by a screening, before it is stored.
#[derive(Debug, Clone)]
pub struct NewHit {
    pub screened_name: String,
    pub entry_full_name: String,
    pub entry_list_name: String,
    pub entry_reference: String,
    pub entry_birth_date: Option<NaiveDate>,
    pub score: u8,
}

const HIT_COLUMNS: &str = "id, case_id, screened_name, entry_full_name, entry_list_name,
    entry_reference, entry_birth_date, score, found_at, resolution, resolution_reason,
    resolved_by, resolved_at";

/// What an operation changed on a case, to be written back.
#[derive(Debug, Clone)]
pub struct CaseUpdate<'a> {
    pub status: &'a str,
    pub assigned_officer_id: Option<Uuid>,
    pub rejection_reason: Option<&'a str>,
    pub revision_note: Option<&'a str>,
    /// Set when the operation submitted the case.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Set when the operation decided the case (approved, rejected, sent back).
    pub decided_at: Option<DateTime<Utc>>,
}

const CASE_COLUMNS: &str = "id, client_id, company_id, status, assigned_officer_id, rejection_reason, revision_note, submitted_at, decided_at";

/// The case, locked for the rest of the transaction.
pub async fn lock_case(
    connection: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<CaseRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {CASE_COLUMNS} from kyc_case where id = $1 for update"
    ))
    .bind(case_id)
    .fetch_optional(connection)
    .await
}

/// The case of a person (`company_id` none) or of a company, locked.
pub async fn lock_subject_case(
    connection: &mut PgConnection,
    client_id: Uuid,
    company_id: Option<Uuid>,
) -> Result<Option<CaseRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {CASE_COLUMNS} from kyc_case
         where client_id = $1 and company_id is not distinct from $2 for update"
    ))
    .bind(client_id)
    .bind(company_id)
    .fetch_optional(connection)
    .await
}

pub async fn insert_case(
    connection: &mut PgConnection,
    case_id: Uuid,
    client_id: Uuid,
    company_id: Option<Uuid>,
) -> Result<CaseRecord, sqlx::Error> {
    sqlx::query_as(&format!(
        "insert into kyc_case (id, client_id, company_id) values ($1, $2, $3) returning {CASE_COLUMNS}"
    ))
    .bind(case_id)
    .bind(client_id)
    .bind(company_id)
    .fetch_one(connection)
    .await
}

pub async fn update_case(
    connection: &mut PgConnection,
    case_id: Uuid,
    update: &CaseUpdate<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update kyc_case set status = $2, assigned_officer_id = $3, rejection_reason = $4,
            revision_note = $5,
            submitted_at = coalesce($6, submitted_at),
            decided_at = coalesce($7, decided_at),
            updated_at = now()
         where id = $1",
    )
    .bind(case_id)
    .bind(update.status)
    .bind(update.assigned_officer_id)
    .bind(update.rejection_reason)
    .bind(update.revision_note)
    .bind(update.submitted_at)
    .bind(update.decided_at)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn case_documents(
    connection: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<CaseDocumentRecord>, sqlx::Error> {
    sqlx::query_as(
        "select c.document_id, d.kind, c.decision, c.rejection_reason, c.note
         from kyc_case_document c join document d on d.id = c.document_id
         where c.case_id = $1 order by c.attached_at, c.document_id",
    )
    .bind(case_id)
    .fetch_all(connection)
    .await
}

pub async fn attach_document(
    connection: &mut PgConnection,
    case_id: Uuid,
    document_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into kyc_case_document (case_id, document_id) values ($1, $2)")
        .bind(case_id)
        .bind(document_id)
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn save_document_decision(
    connection: &mut PgConnection,
    case_id: Uuid,
    document_id: Uuid,
    decision: &str,
    rejection_reason: Option<&str>,
    note: Option<&str>,
    decided_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update kyc_case_document set decision = $3, rejection_reason = $4, note = $5,
            decided_by = $6, decided_at = now()
         where case_id = $1 and document_id = $2",
    )
    .bind(case_id)
    .bind(document_id)
    .bind(decision)
    .bind(rejection_reason)
    .bind(note)
    .bind(decided_by)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn insert_check(
    connection: &mut PgConnection,
    case_id: Uuid,
    check_name: &str,
    outcome: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into kyc_check (id, case_id, check_name, passed, outcome, detail)
         values ($1, $2, $3, $4 = 'passed', $4, $5)",
    )
    .bind(imkon_platform::id::new_id())
    .bind(case_id)
    .bind(check_name)
    .bind(outcome)
    .bind(detail)
    .execute(connection)
    .await?;
    Ok(())
}

/// The checks of the case's latest submission.
pub async fn latest_checks(
    connection: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<CheckRecord>, sqlx::Error> {
    sqlx::query_as(
        "select check_name, passed, outcome, detail, ran_at from kyc_check
         where case_id = $1 and ran_at = (select max(ran_at) from kyc_check where case_id = $1)
         order by check_name",
    )
    .bind(case_id)
    .fetch_all(connection)
    .await
}

/// Stores a screening's hits on the case and answers how many are new.
///
/// A hit already on the case (same screened name and list entry) is kept as it is, with its
/// resolution: an officer's judgement is never silently dropped. Unresolved hits the screening
/// no longer finds are removed, since there is nothing left to review.
pub async fn record_hits(
    connection: &mut PgConnection,
    case_id: Uuid,
    watch_list_import_id: Uuid,
    hits: &[NewHit],
) -> Result<u64, sqlx::Error> {
    let names: Vec<&str> = hits.iter().map(|hit| hit.screened_name.as_str()).collect();
    let lists: Vec<&str> = hits
        .iter()
        .map(|hit| hit.entry_list_name.as_str())
        .collect();
    let references: Vec<&str> = hits
        .iter()
        .map(|hit| hit.entry_reference.as_str())
        .collect();
    sqlx::query(
        "delete from screening_hit
         where case_id = $1 and resolution is null
           and (screened_name, entry_list_name, entry_reference) not in
               (select * from unnest($2::text[], $3::text[], $4::text[]))",
    )
    .bind(case_id)
    .bind(&names)
    .bind(&lists)
    .bind(&references)
    .execute(&mut *connection)
    .await?;
    let mut new_hits = 0;
    for hit in hits {
        new_hits += sqlx::query(
            "insert into screening_hit (id, case_id, watch_list_import_id, screened_name,
                entry_full_name, entry_list_name, entry_reference, entry_birth_date, score)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             on conflict (case_id, screened_name, entry_list_name, entry_reference) do nothing",
        )
        .bind(imkon_platform::id::new_id())
        .bind(case_id)
        .bind(watch_list_import_id)
        .bind(&hit.screened_name)
        .bind(&hit.entry_full_name)
        .bind(&hit.entry_list_name)
        .bind(&hit.entry_reference)
        .bind(hit.entry_birth_date)
        .bind(i16::from(hit.score))
        .execute(&mut *connection)
        .await?
        .rows_affected();
    }
    Ok(new_hits)
}

pub async fn hits(
    connection: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<HitRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {HIT_COLUMNS} from screening_hit where case_id = $1
         order by score desc, entry_full_name, id"
    ))
    .bind(case_id)
    .fetch_all(connection)
    .await
}

/// The hit, locked for its resolution.
pub async fn lock_hit(
    connection: &mut PgConnection,
    hit_id: Uuid,
) -> Result<Option<HitRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {HIT_COLUMNS} from screening_hit where id = $1 for update"
    ))
    .bind(hit_id)
    .fetch_optional(connection)
    .await
}

pub async fn resolve_hit(
    connection: &mut PgConnection,
    hit_id: Uuid,
    resolution: &str,
    reason: &str,
    resolved_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update screening_hit set resolution = $2, resolution_reason = $3, resolved_by = $4,
            resolved_at = now()
         where id = $1",
    )
    .bind(hit_id)
    .bind(resolution)
    .bind(reason)
    .bind(resolved_by)
    .execute(connection)
    .await?;
    Ok(())
}

/// Hits no officer has judged yet, oldest first: the screening reviews to do.
pub async fn open_hits(
    connection: &mut PgConnection,
    limit: i64,
) -> Result<Vec<HitRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {HIT_COLUMNS} from screening_hit where resolution is null
         order by found_at, id limit $1"
    ))
    .bind(limit)
    .fetch_all(connection)
    .await
}

/// Every case with the given status, for screening them again.
pub async fn cases_with_status(
    connection: &mut PgConnection,
    status: &str,
) -> Result<Vec<CaseRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {CASE_COLUMNS} from kyc_case where status = $1 order by decided_at, id"
    ))
    .bind(status)
    .fetch_all(connection)
    .await
}

pub async fn insert_watch_list(
    connection: &mut PgConnection,
    imported_by: Uuid,
    csv_text: &str,
    entry_count: i32,
) -> Result<Uuid, sqlx::Error> {
    let id = imkon_platform::id::new_id();
    sqlx::query(
        "insert into watch_list_import (id, imported_by, csv_text, entry_count) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(imported_by)
    .bind(csv_text)
    .bind(entry_count)
    .execute(connection)
    .await?;
    Ok(id)
}

/// The id of the watch list in force: the latest import.
pub async fn latest_watch_list_id(
    connection: &mut PgConnection,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from watch_list_import order by imported_at desc, id desc limit 1",
    )
    .fetch_optional(connection)
    .await
}

/// An imported watch list's CSV text.
pub async fn watch_list_text(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("select csv_text from watch_list_import where id = $1")
        .bind(id)
        .fetch_one(connection)
        .await
}

/// Which assignee the queue is filtered by.
#[derive(Debug, Clone, Copy)]
pub enum AssigneeFilter {
    Any,
    Unassigned,
    Officer(Uuid),
}

/// Cases for the officers' queue, oldest submission first.
pub async fn queue(
    connection: &mut PgConnection,
    status: Option<&str>,
    assignee: AssigneeFilter,
    limit: i64,
) -> Result<Vec<CaseRecord>, sqlx::Error> {
    let (assignee_mode, officer_id) = match assignee {
        AssigneeFilter::Any => ("any", None),
        AssigneeFilter::Unassigned => ("none", None),
        AssigneeFilter::Officer(id) => ("officer", Some(id)),
    };
    sqlx::query_as(&format!(
        "select {CASE_COLUMNS} from kyc_case
         where ($1::text is null or status = $1)
           and ($2 = 'any' or ($2 = 'none' and assigned_officer_id is null)
                or ($2 = 'officer' and assigned_officer_id = $3))
         order by submitted_at nulls last, created_at, id
         limit $4"
    ))
    .bind(status)
    .bind(assignee_mode)
    .bind(officer_id)
    .bind(limit)
    .fetch_all(connection)
    .await
}

/// Every case of a person client: their own and their companies'.
pub async fn cases_of_client(
    connection: &mut PgConnection,
    client_id: Uuid,
) -> Result<Vec<CaseRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {CASE_COLUMNS} from kyc_case where client_id = $1
         order by company_id nulls first, created_at"
    ))
    .bind(client_id)
    .fetch_all(connection)
    .await
}

/// Other people on file with the same PINFL or passport number.
pub async fn people_sharing_identity(
    connection: &mut PgConnection,
    client_id: Uuid,
    pinfl: &str,
    passport_number: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from person
         where client_id <> $1 and (pinfl = $2 or passport_number = $3)",
    )
    .bind(client_id)
    .bind(pinfl)
    .bind(passport_number)
    .fetch_one(connection)
    .await
}

/// Other companies on file with the same STIR.
pub async fn companies_sharing_stir(
    connection: &mut PgConnection,
    company_id: Uuid,
    stir: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from company where id <> $1 and stir = $2")
        .bind(company_id)
        .bind(stir)
        .fetch_one(connection)
        .await
}

/// One audited action on a KYC case.
#[derive(Debug, Clone, FromRow)]
pub struct CaseEvent {
    pub case_id: Uuid,
    pub action: String,
    pub actor_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub status_after: Option<String>,
}

/// What happened to these cases, oldest first, from the audit trail the actions wrote.
pub async fn case_history(
    connection: &mut PgConnection,
    case_ids: &[Uuid],
) -> Result<Vec<CaseEvent>, sqlx::Error> {
    let ids: Vec<String> = case_ids.iter().map(Uuid::to_string).collect();
    sqlx::query_as(
        "select subject_id::uuid as case_id, action, actor_id, occurred_at,
            after ->> 'status' as status_after
         from audit_record
         where subject_type = 'kyc_case' and subject_id = any($1)
         order by occurred_at, id",
    )
    .bind(&ids)
    .fetch_all(connection)
    .await
}
