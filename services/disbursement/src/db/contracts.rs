//! Contracts and their tranches.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A contract as stored.
#[derive(Debug, Clone)]
pub struct ContractRow {
    pub id: Uuid,
    pub application_id: Uuid,
    pub programme_id: Uuid,
    pub programme_kind: String,
    pub client_id: Uuid,
    pub company_id: Uuid,
    pub currency: String,
    pub principal: Decimal,
    pub annual_rate_percent: Option<Decimal>,
    pub repayment_method: Option<String>,
    pub term_months: i32,
    pub grace_months: i32,
    pub day_count: String,
    pub interest_method: String,
    pub penalty_rate_percent: Decimal,
    pub disbursement_date: Option<NaiveDate>,
    pub first_due_date: Option<NaiveDate>,
    pub status: String,
    pub penalty_outstanding: Decimal,
    pub loan_account_number: Option<String>,
    pub approved_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub signed_by: Option<Uuid>,
    pub activated_at: Option<DateTime<Utc>>,
    pub activated_by: Option<Uuid>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Zero when the programme charges no arrangement fee.
    pub arrangement_fee: Decimal,
    /// `deducted` or `upfront` when there is a fee.
    pub arrangement_fee_collection: Option<String>,
    /// The ledger transfer that collected the fee, once collected.
    pub arrangement_fee_transfer_id: Option<Uuid>,
    /// Added to the penalty owed once for each instalment that falls overdue; zero for none.
    pub late_charge: Decimal,
}

/// A contract to make from an approved application.
#[derive(Debug, Clone)]
pub struct NewContract {
    pub id: Uuid,
    pub application_id: Uuid,
    pub programme_id: Uuid,
    pub programme_kind: &'static str,
    pub client_id: Uuid,
    pub company_id: Uuid,
    pub currency: &'static str,
    pub principal: Decimal,
    pub annual_rate_percent: Option<Decimal>,
    pub repayment_method: Option<&'static str>,
    pub term_months: i32,
    pub grace_months: i32,
    pub day_count: &'static str,
    pub interest_method: &'static str,
    pub penalty_rate_percent: Decimal,
    pub arrangement_fee: Decimal,
    pub arrangement_fee_collection: Option<&'static str>,
    pub late_charge: Decimal,
    pub approved_at: DateTime<Utc>,
}

/// A tranche as stored.
#[derive(Debug, Clone)]
pub struct TrancheRow {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub number: i32,
    pub amount: Decimal,
    pub purpose: String,
    pub status: String,
    pub request_note: Option<String>,
    pub requested_by: Option<Uuid>,
    pub requested_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub transfer_id: Option<Uuid>,
    pub disbursed_at: Option<DateTime<Utc>>,
}

/// Inserts a draft contract unless one exists for the application; true when inserted.
pub async fn insert_draft(
    connection: &mut PgConnection,
    contract: &NewContract,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "insert into contract (id, application_id, programme_id, programme_kind, client_id,
             company_id, currency, principal, annual_rate_percent, repayment_method, term_months,
             grace_months, day_count, interest_method, penalty_rate_percent, status, approved_at,
             arrangement_fee, arrangement_fee_collection, late_charge)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'draft', $16,
             $17, $18, $19)
         on conflict (application_id) do nothing",
        contract.id,
        contract.application_id,
        contract.programme_id,
        contract.programme_kind,
        contract.client_id,
        contract.company_id,
        contract.currency,
        contract.principal,
        contract.annual_rate_percent,
        contract.repayment_method,
        contract.term_months,
        contract.grace_months,
        contract.day_count,
        contract.interest_method,
        contract.penalty_rate_percent,
        contract.approved_at,
        contract.arrangement_fee,
        contract.arrangement_fee_collection,
        contract.late_charge
    )
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn insert_planned_tranche(
    connection: &mut PgConnection,
    contract_id: Uuid,
    number: i32,
    amount: Decimal,
    purpose: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into tranche (id, contract_id, number, amount, purpose, status)
         values ($1, $2, $3, $4, $5, 'planned')",
        imkon_platform::id::new_id(),
        contract_id,
        number,
        amount,
        purpose
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn find<'e>(
    executor: impl PgExecutor<'e>,
    id: Uuid,
) -> Result<Option<ContractRow>, sqlx::Error> {
    sqlx::query_as!(
        ContractRow,
        "select id, application_id, programme_id, programme_kind, client_id, company_id,
             currency, principal, annual_rate_percent, repayment_method, term_months,
             grace_months, day_count, interest_method, penalty_rate_percent, disbursement_date, first_due_date,
             status, penalty_outstanding, loan_account_number, approved_at, created_at,
             signed_at, signed_by, activated_at, activated_by, closed_at, arrangement_fee,
             arrangement_fee_collection, arrangement_fee_transfer_id, late_charge
         from contract where id = $1",
        id
    )
    .fetch_optional(executor)
    .await
}

/// The contract, locked until the transaction ends: every change to a contract or its
/// tranches, schedule and repayments takes this lock first, so they never interleave.
pub async fn find_for_update(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ContractRow>, sqlx::Error> {
    sqlx::query_as!(
        ContractRow,
        "select id, application_id, programme_id, programme_kind, client_id, company_id,
             currency, principal, annual_rate_percent, repayment_method, term_months,
             grace_months, day_count, interest_method, penalty_rate_percent, disbursement_date, first_due_date,
             status, penalty_outstanding, loan_account_number, approved_at, created_at,
             signed_at, signed_by, activated_at, activated_by, closed_at, arrangement_fee,
             arrangement_fee_collection, arrangement_fee_transfer_id, late_charge
         from contract where id = $1 for update",
        id
    )
    .fetch_optional(connection)
    .await
}

pub async fn find_by_application<'e>(
    executor: impl PgExecutor<'e>,
    application_id: Uuid,
) -> Result<Option<ContractRow>, sqlx::Error> {
    sqlx::query_as!(
        ContractRow,
        "select id, application_id, programme_id, programme_kind, client_id, company_id,
             currency, principal, annual_rate_percent, repayment_method, term_months,
             grace_months, day_count, interest_method, penalty_rate_percent, disbursement_date, first_due_date,
             status, penalty_outstanding, loan_account_number, approved_at, created_at,
             signed_at, signed_by, activated_at, activated_by, closed_at, arrangement_fee,
             arrangement_fee_collection, arrangement_fee_transfer_id, late_charge
         from contract where application_id = $1",
        application_id
    )
    .fetch_optional(executor)
    .await
}

/// A client's contracts, newest first, after the cursor (a contract id), at most `limit`.
pub async fn list_for_client<'e>(
    executor: impl PgExecutor<'e>,
    client_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ContractRow>, sqlx::Error> {
    sqlx::query_as!(
        ContractRow,
        "select id, application_id, programme_id, programme_kind, client_id, company_id,
             currency, principal, annual_rate_percent, repayment_method, term_months,
             grace_months, day_count, interest_method, penalty_rate_percent, disbursement_date, first_due_date,
             status, penalty_outstanding, loan_account_number, approved_at, created_at,
             signed_at, signed_by, activated_at, activated_by, closed_at, arrangement_fee,
             arrangement_fee_collection, arrangement_fee_transfer_id, late_charge
         from contract
         where client_id = $1 and ($2::uuid is null or id < $2)
         order by id desc limit $3",
        client_id,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}

/// Contracts for staff, filtered by status, newest first, after the cursor.
pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ContractRow>, sqlx::Error> {
    sqlx::query_as!(
        ContractRow,
        "select id, application_id, programme_id, programme_kind, client_id, company_id,
             currency, principal, annual_rate_percent, repayment_method, term_months,
             grace_months, day_count, interest_method, penalty_rate_percent, disbursement_date, first_due_date,
             status, penalty_outstanding, loan_account_number, approved_at, created_at,
             signed_at, signed_by, activated_at, activated_by, closed_at, arrangement_fee,
             arrangement_fee_collection, arrangement_fee_transfer_id, late_charge
         from contract
         where ($1::text is null or status = $1) and ($2::uuid is null or id < $2)
         order by id desc limit $3",
        status,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}

pub async fn mark_signed(
    connection: &mut PgConnection,
    id: Uuid,
    signed_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update contract set status = 'signed', signed_at = now(), signed_by = $2 where id = $1",
        id,
        signed_by
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn mark_active(
    connection: &mut PgConnection,
    id: Uuid,
    activated_by: Uuid,
    disbursement_date: NaiveDate,
    first_due_date: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update contract set status = 'active', activated_at = now(), activated_by = $2,
             disbursement_date = $3, first_due_date = $4
         where id = $1",
        id,
        activated_by,
        disbursement_date,
        first_due_date
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn mark_closed(connection: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update contract set status = 'closed', closed_at = now() where id = $1",
        id
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn set_loan_account(
    connection: &mut PgConnection,
    id: Uuid,
    number: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update contract set loan_account_number = $2 where id = $1",
        id,
        number
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Records the ledger transfer that collected the contract's arrangement fee.
pub async fn set_arrangement_fee_transfer(
    connection: &mut PgConnection,
    id: Uuid,
    transfer_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update contract set arrangement_fee_transfer_id = $2 where id = $1",
        id,
        transfer_id
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Records the transfer that refunded the contract's up-front arrangement fee at its
/// cancellation; the database accepts it only on a cancelled contract whose fee was collected.
pub async fn set_arrangement_fee_refund_transfer(
    connection: &mut PgConnection,
    id: Uuid,
    transfer_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("update contract set arrangement_fee_refund_transfer_id = $2 where id = $1")
        .bind(id)
        .bind(transfer_id)
        .execute(connection)
        .await?;
    Ok(())
}

/// The transfer that refunded the contract's arrangement fee, if it was refunded.
pub async fn arrangement_fee_refund_transfer<'e>(
    executor: impl PgExecutor<'e>,
    id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select arrangement_fee_refund_transfer_id from contract where id = $1")
        .bind(id)
        .fetch_optional(executor)
        .await
        .map(Option::flatten)
}

/// Adds `change` (negative when paid) to the contract's unpaid penalty.
pub async fn add_penalty(
    connection: &mut PgConnection,
    id: Uuid,
    change: Decimal,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update contract set penalty_outstanding = penalty_outstanding + $2 where id = $1",
        id,
        change
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn tranches<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Vec<TrancheRow>, sqlx::Error> {
    sqlx::query_as!(
        TrancheRow,
        "select id, contract_id, number, amount, purpose, status, request_note, requested_by,
             requested_at, approved_by, approved_at, transfer_id, disbursed_at
         from tranche where contract_id = $1 order by number",
        contract_id
    )
    .fetch_all(executor)
    .await
}

pub async fn tranche_for_update(
    connection: &mut PgConnection,
    contract_id: Uuid,
    number: i32,
) -> Result<Option<TrancheRow>, sqlx::Error> {
    sqlx::query_as!(
        TrancheRow,
        "select id, contract_id, number, amount, purpose, status, request_note, requested_by,
             requested_at, approved_by, approved_at, transfer_id, disbursed_at
         from tranche where contract_id = $1 and number = $2 for update",
        contract_id,
        number
    )
    .fetch_optional(connection)
    .await
}

pub async fn mark_tranche_requested(
    connection: &mut PgConnection,
    id: Uuid,
    requested_by: Uuid,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update tranche set status = 'requested', requested_by = $2, requested_at = now(),
             request_note = $3
         where id = $1",
        id,
        requested_by,
        note
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn mark_tranche_approved(
    connection: &mut PgConnection,
    id: Uuid,
    approved_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
"update tranche set status = 'approved', approved_by = $2, approved_at = now() where id = $1",
id,
approved_by
)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn mark_tranche_disbursed(
    connection: &mut PgConnection,
    id: Uuid,
    transfer_id: Uuid,
    disbursed_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update tranche set status = 'disbursed', transfer_id = $2, disbursed_by = $3,
                disbursed_at = now()
         where id = $1",
        id,
        transfer_id,
        disbursed_by
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn mark_tranche_cancelled(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!("update tranche set status = 'cancelled' where id = $1", id)
        .execute(connection)
        .await?;
    Ok(())
}

/// The sum of the contract's disbursed tranches.
pub async fn disbursed_total(
    connection: &mut PgConnection,
    contract_id: Uuid,
) -> Result<Decimal, sqlx::Error> {
    sqlx::query_scalar!(
        // A sum over no rows is null; the coalesce makes it zero, which Postgres cannot see.
        r#"select coalesce(sum(amount), 0) as "total!" from tranche
           where contract_id = $1 and status = 'disbursed'"#,
        contract_id
    )
    .fetch_one(connection)
    .await
}

/// Removes every tranche of a contract that has not been activated, before a new plan.
pub async fn delete_planned_tranches(
    connection: &mut PgConnection,
    contract_id: Uuid,
) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query!(
        "delete from tranche where contract_id = $1 and status = 'planned'",
        contract_id
    )
    .execute(connection)
    .await?;
    Ok(deleted.rows_affected())
}

/// Marks a contract the transaction holds locked written off, keeping the principal the
/// write-off moved to the losses, which caps later recoveries.
pub async fn mark_written_off(
    connection: &mut PgConnection,
    id: Uuid,
    principal_written_off: Decimal,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update contract set status = 'written_off', closed_at = now(),
             written_off_principal = $2
         where id = $1",
        id,
        principal_written_off
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Cancels a contract the transaction holds locked, recording who did it and why.
pub async fn mark_cancelled(
    connection: &mut PgConnection,
    id: Uuid,
    cancelled_by: Uuid,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update contract set status = 'cancelled', cancelled_at = $2, cancelled_by = $3,
            cancel_reason = $4
         where id = $1",
        id,
        at,
        cancelled_by,
        reason,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// A contract's write-off proposal.
#[derive(Debug, Clone)]
pub struct WriteOffProposalRow {
    pub reason: String,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub confirmed_by: Option<Uuid>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

pub async fn write_off_proposal(
    connection: &mut PgConnection,
    contract_id: Uuid,
) -> Result<Option<WriteOffProposalRow>, sqlx::Error> {
    sqlx::query_as!(
        WriteOffProposalRow,
        "select reason, proposed_by, proposed_at, confirmed_by, confirmed_at
         from write_off_proposal where contract_id = $1",
        contract_id
    )
    .fetch_optional(connection)
    .await
}

pub async fn propose_write_off(
    connection: &mut PgConnection,
    contract_id: Uuid,
    reason: &str,
    proposed_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into write_off_proposal (contract_id, reason, proposed_by) values ($1, $2, $3)",
        contract_id,
        reason,
        proposed_by
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn confirm_write_off(
    connection: &mut PgConnection,
    contract_id: Uuid,
    confirmed_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update write_off_proposal set confirmed_by = $2, confirmed_at = now()
         where contract_id = $1",
        contract_id,
        confirmed_by
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The document a founder signed.
#[derive(Debug, Clone)]
pub struct SignedDocumentRow {
    pub language: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// Keeps the signed document; called in the signing transaction.
pub async fn insert_signed_document(
    connection: &mut PgConnection,
    contract_id: Uuid,
    language: &str,
    sha256: &str,
    content: &[u8],
    signed_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into contract_document (contract_id, language, sha256, content, signed_by) \
         values ($1, $2, $3, $4, $5)",
        contract_id,
        language,
        sha256,
        content,
        signed_by
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The signed document's language and hash, without its bytes (for the contract's view).
pub async fn signed_document_hash(
    executor: impl PgExecutor<'_>,
    contract_id: Uuid,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let document = sqlx::query!(
        "select language, sha256 from contract_document where contract_id = $1",
        contract_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(document.map(|document| (document.language, document.sha256)))
}

pub async fn signed_document(
    executor: impl PgExecutor<'_>,
    contract_id: Uuid,
) -> Result<Option<SignedDocumentRow>, sqlx::Error> {
    sqlx::query_as!(
        SignedDocumentRow,
        "select language, sha256, content from contract_document where contract_id = $1",
        contract_id
    )
    .fetch_optional(executor)
    .await
}

/// Collateral or a guarantor securing a contract.
#[derive(Debug, Clone)]
pub struct SecurityRow {
    pub kind: String,
    pub collateral_type: Option<String>,
    pub description: String,
    pub value: Decimal,
    pub guarantor_name: Option<String>,
}

/// Records the contract's securities, numbered in the order given.
pub async fn insert_securities(
    connection: &mut PgConnection,
    contract_id: Uuid,
    securities: &[SecurityRow],
) -> Result<(), sqlx::Error> {
    for (position, security) in (1..).zip(securities) {
        sqlx::query!(
            "insert into contract_security (contract_id, position, kind, collateral_type,
                 description, value, guarantor_name)
             values ($1, $2, $3, $4, $5, $6, $7)",
            contract_id,
            position,
            security.kind,
            security.collateral_type,
            security.description,
            security.value,
            security.guarantor_name
        )
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// The contract's securities in order.
pub async fn securities<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_as!(
        SecurityRow,
        "select kind, collateral_type, description, value, guarantor_name
         from contract_security where contract_id = $1 order by position",
        contract_id
    )
    .fetch_all(executor)
    .await
}
