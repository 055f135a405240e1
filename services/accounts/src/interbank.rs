//! Payments to and from other banks through the clearing ([`crate::clearing`]).
//!
//! # Outgoing
//!
//! A client's payment is accepted with its money held on their current account towards the
//! bank's settlement account ([`crate::outgoing`]). At every cut-off (each half hour, on the
//! hour and the half hour, the last one of a day at midnight being the end-of-day cut-off) the
//! clearing run gathers the held payments accepted before it into one batch and hands the
//! batch to the clearing; when the clearing answers that the batch is settled, each payment's
//! hold is posted (the money left the bank) or voided (returned, with the reason), and the
//! client is told. The client sees each payment as accepted, sent, settled or returned.
//!
//! Nothing is lost in between: until the clearing decides, the money stays held, the batch
//! stays `formed` or `sent`, and the next run asks again. A batch is formed once per cut-off
//! (a unique cut-off), a payment is in one batch (its row lock and state), and each hold's
//! key is derived from the payment, so runs on two replicas do everything once.
//!
//! # Incoming
//!
//! A file from the clearing credits each record's payee from the settlement account, once per
//! clearing reference (the transfer's key is derived from it, and the reference is recorded).
//! A record the bank cannot credit is recorded as rejected, to go back to the payer's bank.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::idempotency;
use imkon_platform::money::{Currency, Money};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::clearing::{BatchStatus, IncomingFile, OutgoingBatch, OutgoingPayment, PaymentOutcome};
use crate::db;
use crate::db::interbank::{InterbankPaymentRow, NewIncomingPayment};
use crate::domain::account::{AccountId, AccountKind};
use crate::domain::account_number::AccountNumber;
use crate::domain::transfer::{
    IdempotencyKey, Transfer, TransferKind, TransferReference, TransferViolations,
};
use crate::error::AccountsError;
use crate::events::{self, Movement};
use crate::http::holds::{self, Settler};
use crate::ledger::{Booked, TransferRequest, LEDGER_SCOPE};
use crate::outgoing::{self, settlement_account, Leaving};
use crate::AppState;

/// The clearing's cut-offs fall every this many seconds from midnight UTC (every half hour,
/// which is also every half hour in Tashkent).
const CUT_OFF_EVERY_SECONDS: i64 = 1800;

/// How often the clearing run looks for work.
const RUN_EVERY: StdDuration = StdDuration::from_secs(60);

/// How old an accepted payment without a hold must be before the run holds it: younger ones
/// are likely still being held by their request.
const HOLD_AFTER: Duration = Duration::seconds(30);

/// The latest cut-off at or before `now`.
pub fn cut_off_at_or_before(now: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = now.timestamp();
    let cut_off = seconds - seconds.rem_euclid(CUT_OFF_EVERY_SECONDS);
    DateTime::from_timestamp(cut_off, 0).expect("a cut-off is a representable instant")
}

/// The run's actor in the ledger and the audit trail.
fn clearing_settler() -> Settler {
    Settler {
        id: Uuid::nil(),
        roles: vec!["job:clearing".to_owned()],
    }
}

fn amount_of(payment: &InterbankPaymentRow) -> Result<Money, AccountsError> {
    Money::new(payment.amount, Currency::Uzs).map_err(|error| {
        AccountsError::Inconsistent(format!("interbank payment {}: {error}", payment.id))
    })
}

/// Holds an accepted payment's money, or marks it refused when the money is not there.
/// Returns the refusal's code, if any. The caller holds the payment's row and commits.
pub async fn hold_accepted(
    connection: &mut sqlx::PgConnection,
    state: &AppState,
    payment: &InterbankPaymentRow,
    settler: &Settler,
) -> Result<Option<String>, AccountsError> {
    let held = outgoing::hold(
        &mut *connection,
        state,
        &Leaving {
            key: &format!("interbank:{}", payment.id),
            reference: &format!(
                "{} {} {}",
                payment.to_bank, payment.to_account, payment.recipient_name
            ),
            kind: TransferKind::Withdrawal,
            from: payment.from_account_id,
            amount: amount_of(payment)?,
        },
        settler,
    )
    .await?;
    match held {
        Ok(hold_id) => {
            db::interbank::set_hold(connection, payment.id, hold_id).await?;
            Ok(None)
        }
        Err(refusal) => {
            db::interbank::mark_refused(connection, payment.id, &refusal, state.calendar.now())
                .await?;
            Ok(Some(refusal))
        }
    }
}

/// What one clearing run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CycleReport {
    /// Payments a request left accepted without a hold, held (or refused) now.
    pub held: usize,
    /// Payments put in a batch at a cut-off.
    pub batched: usize,
    pub settled: usize,
    pub returned: usize,
}

/// Holds what requests left unheld, forms the batch of the latest cut-off, hands formed
/// batches to the clearing and applies the outcome of every batch it has settled.
pub async fn run_cycle(state: &AppState) -> Result<CycleReport, AccountsError> {
    let mut report = CycleReport::default();
    let now = state.calendar.now();
    for id in db::interbank::unheld_before(&state.pool, now - HOLD_AFTER).await? {
        let mut transaction = state.pool.begin().await?;
        let Some(payment) = db::interbank::lock_unless_busy(&mut transaction, id).await? else {
            continue;
        };
        if payment.state == "accepted" && payment.hold_transfer_id.is_none() {
            hold_accepted(&mut transaction, state, &payment, &clearing_settler()).await?;
            report.held += 1;
        }
        transaction.commit().await?;
    }

    report.batched = form_batch(state, cut_off_at_or_before(now)).await?;

    for batch in db::interbank::open_batches(&state.pool).await? {
        let mut transaction = state.pool.begin().await?;
        let Some(batch) = db::interbank::lock_open_batch(&mut transaction, batch.id).await? else {
            continue;
        };
        let payments = db::interbank::batch_payments(&mut *transaction, batch.id).await?;
        if batch.state == "formed" {
            let outgoing = OutgoingBatch {
                id: batch.id,
                cut_off_at: batch.cut_off_at,
                payments: payments
                    .iter()
                    .map(|payment| OutgoingPayment {
                        id: payment.id,
                        from_account: payment.from_account_number.clone(),
                        to_bank: payment.to_bank.clone(),
                        to_account: payment.to_account.clone(),
                        recipient_name: payment.recipient_name.clone(),
                        purpose: payment.purpose.clone(),
                        amount: payment.amount,
                    })
                    .collect(),
            };
            match state.clearing.submit(&outgoing).await {
                Ok(()) => {
                    db::interbank::mark_batch_sent(
                        &mut transaction,
                        batch.id,
                        state.calendar.now(),
                    )
                    .await?;
                }
                Err(error) => {
                    tracing::warn!(batch = %batch.id, %error, "the clearing did not take the batch; the next run sends it again");
                    continue;
                }
            }
        }
        match state.clearing.status(batch.id).await {
            Ok(BatchStatus::Settled(outcomes)) => {
                let settler = clearing_settler();
                for payment in payments.iter().filter(|payment| payment.state == "sent") {
                    let outcome = outcomes
                        .iter()
                        .find(|(id, _)| *id == payment.id)
                        .map(|(_, outcome)| outcome.clone())
                        .unwrap_or(PaymentOutcome::Returned("not_in_settlement".to_owned()));
                    let hold_id = payment.hold_transfer_id.ok_or_else(|| {
                        AccountsError::Inconsistent(format!("payment {} sent unheld", payment.id))
                    })?;
                    let reason = match &outcome {
                        PaymentOutcome::Settled => {
                            holds::settle(
                                &mut transaction,
                                &settler,
                                hold_id,
                                holds::Settlement::Post(None),
                            )
                            .await?;
                            report.settled += 1;
                            None
                        }
                        PaymentOutcome::Returned(reason) => {
                            holds::settle(
                                &mut transaction,
                                &settler,
                                hold_id,
                                holds::Settlement::Void,
                            )
                            .await?;
                            report.returned += 1;
                            Some(reason.as_str())
                        }
                    };
                    db::interbank::decide_payment(
                        &mut transaction,
                        payment.id,
                        reason,
                        state.calendar.now(),
                    )
                    .await?;
                    events::announce_money_moved(
                        &mut transaction,
                        payment.client_id,
                        Movement::InterbankPayment,
                        hold_id,
                    )
                    .await?;
                }
                db::interbank::mark_batch_settled(&mut transaction, batch.id, state.calendar.now())
                    .await?;
            }
            Ok(BatchStatus::Pending) => {}
            Err(error) => {
                tracing::warn!(batch = %batch.id, %error, "the clearing did not answer for the batch; the next run asks again");
            }
        }
        transaction.commit().await?;
    }
    Ok(report)
}

/// Puts every held payment accepted before `cut_off` and not yet sent into the cut-off's
/// batch; returns how many. Nothing when the cut-off has its batch already.
async fn form_batch(state: &AppState, cut_off: DateTime<Utc>) -> Result<usize, AccountsError> {
    let mut transaction = state.pool.begin().await?;
    let ready = db::interbank::lock_ready_for_batch(&mut transaction, cut_off).await?;
    if ready.is_empty() {
        return Ok(0);
    }
    let total = ready.iter().map(|payment| payment.amount).sum();
    let count = i32::try_from(ready.len())
        .map_err(|_| AccountsError::Inconsistent("a batch of more than 2^31 payments".into()))?;
    let batch_id = imkon_platform::id::new_id();
    let now = state.calendar.now();
    if !db::interbank::insert_batch(&mut transaction, batch_id, cut_off, count, total, now).await? {
        // Another runner formed this cut-off's batch; what it did not take waits for the next.
        return Ok(0);
    }
    let ids: Vec<Uuid> = ready.iter().map(|payment| payment.id).collect();
    db::interbank::assign_to_batch(&mut transaction, &ids, batch_id, now).await?;
    transaction.commit().await?;
    Ok(ready.len())
}

/// Runs the clearing every minute until `shutdown`.
pub fn spawn_clearing(state: AppState, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            if let Err(error) = run_cycle(&state).await {
                tracing::warn!(%error, "the clearing run failed; it will run again");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RUN_EVERY) => {}
            }
        }
    });
}

/// What receiving a file did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct IncomingReport {
    pub credited: usize,
    /// Records seen in an earlier delivery, credited (or rejected) then.
    pub already_received: usize,
    /// Records the bank could not credit, each with its reference and reason.
    pub rejected: Vec<RejectedRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RejectedRecord {
    pub reference: String,
    /// invalid_account_number, unknown_account, not_a_current_account, account_closed or
    /// currency_mismatch.
    pub reason: String,
}

/// Why the bank cannot credit an account named in an incoming record, if it cannot.
async fn payee_refusal(
    state: &AppState,
    account: &str,
) -> Result<Result<(Uuid, Uuid), &'static str>, AccountsError> {
    let Ok(number) = AccountNumber::parse(account, state.bank) else {
        return Ok(Err("invalid_account_number"));
    };
    let Some(row) = db::accounts::find_by_number(&state.pool, &number.to_string()).await? else {
        return Ok(Err("unknown_account"));
    };
    if !row
        .kind
        .parse::<AccountKind>()
        .is_ok_and(AccountKind::is_current)
    {
        return Ok(Err("not_a_current_account"));
    }
    if row.closed_at.is_some() {
        return Ok(Err("account_closed"));
    }
    if row.currency != Currency::Uzs.code() {
        return Ok(Err("currency_mismatch"));
    }
    let operator = db::accounts::operator_of(&state.pool, &row)
        .await?
        .ok_or_else(|| {
            AccountsError::Inconsistent(format!("current account {} has no owner", row.id))
        })?;
    Ok(Ok((row.id, operator)))
}

/// Credits each record of an incoming file once, rejecting those the bank cannot credit.
pub async fn receive_file(
    state: &AppState,
    file_name: &str,
    file: &IncomingFile,
    settler: &Settler,
) -> Result<IncomingReport, AccountsError> {
    let mut report = IncomingReport::default();
    let settlement = {
        let mut connection = state.pool.acquire().await?;
        settlement_account(&mut connection, state, Currency::Uzs).await?
    };
    for record in &file.records {
        if db::interbank::incoming_seen(&state.pool, &record.reference).await? {
            report.already_received += 1;
            continue;
        }
        let received_at = state.calendar.now();
        let mut incoming = NewIncomingPayment {
            reference: &record.reference,
            file_name,
            payer_bank: &record.payer_bank,
            payer_account: &record.payer_account,
            payer_name: &record.payer_name,
            to_account_id: None,
            amount: record.amount,
            purpose: &record.purpose,
            reject_reason: None,
            transfer_id: None,
            received_at,
        };
        let mut transaction = state.pool.begin().await?;
        match payee_refusal(state, &record.payee_account).await? {
            Err(reason) => {
                incoming.reject_reason = Some(reason);
                if db::interbank::insert_incoming(&mut transaction, &incoming).await? {
                    report.rejected.push(RejectedRecord {
                        reference: record.reference.clone(),
                        reason: reason.to_owned(),
                    });
                }
            }
            Ok((account_id, client_id)) => {
                let transfer_id = credit(state, settlement, account_id, record, settler).await?;
                incoming.to_account_id = Some(account_id);
                incoming.transfer_id = Some(transfer_id);
                if db::interbank::insert_incoming(&mut transaction, &incoming).await? {
                    events::announce_money_moved(
                        &mut transaction,
                        client_id,
                        Movement::InterbankPayment,
                        transfer_id,
                    )
                    .await?;
                    report.credited += 1;
                } else {
                    report.already_received += 1;
                }
            }
        }
        transaction.commit().await?;
    }
    audit::record(
        &mut *state.pool.acquire().await?,
        AuditEntry {
            actor_id: Some(settler.id),
            actor_roles: settler.roles.clone(),
            action: "clearing.incoming_file_received",
            subject_type: "clearing_file",
            subject_id: file_name.to_owned(),
            before: None,
            after: Some(json!({
                "date": file.date,
                "records": file.records.len(),
                "credited": report.credited,
                "already_received": report.already_received,
                "rejected": report.rejected.len(),
            })),
            source_address: None,
        },
    )
    .await?;
    Ok(report)
}

/// Books one incoming record to its payee, once per clearing reference.
async fn credit(
    state: &AppState,
    settlement: AccountId,
    account_id: Uuid,
    record: &crate::clearing::IncomingRecord,
    settler: &Settler,
) -> Result<Uuid, AccountsError> {
    let key = format!("incoming:{}", record.reference);
    let reference: String = format!("{}: {}", record.payer_name, record.purpose)
        .chars()
        .take(crate::domain::transfer::MAX_REFERENCE_CHARS)
        .collect();
    let violation = |violation| AccountsError::Violations(TransferViolations(vec![violation]));
    let amount = Money::new(record.amount, Currency::Uzs)
        .map_err(|error| AccountsError::Inconsistent(error.to_string()))?;
    let transfer = Transfer::two_legs(
        IdempotencyKey::parse(&key).map_err(violation)?,
        TransferKind::Deposit,
        TransferReference::parse(&reference).map_err(violation)?,
        settlement,
        AccountId::from_uuid(account_id),
        amount,
    );
    let booked = state
        .ledger
        .submit(TransferRequest {
            scope: LEDGER_SCOPE.to_owned(),
            fingerprint: idempotency::fingerprint(
                "INCOMING",
                &key,
                record.amount.to_string().as_bytes(),
            ),
            transfer,
            hold: false,
            actor_id: settler.id,
            actor_roles: settler.roles.clone(),
            request_id: imkon_platform::telemetry::current_request_id(),
        })
        .await?;
    Ok(match booked {
        Booked::Created(record) | Booked::Replayed(record) => record.id,
    })
}
