//! Paying an invoice of the state or a utility: the client's money is held, the payee's
//! billing system is told, and the hold is posted when the system confirms or voided when it
//! refuses. Nothing is lost in between: until the billing system decides, the money is
//! reserved on the client's account (the ledger's holds) and the payment stays `pending`, and
//! the retry run asks the billing system again.
//!
//! The hold debits the client's current account and credits the bank's settlement account in
//! the invoice's currency (the money leaves the bank for the payee's account at the treasury
//! or the utility's bank). Its key is derived from the payment (`bill-payment:<id>`), and the
//! billing system is asked with the payment's id as the reference, which it settles at most
//! once; so a retry after any failure holds, and pays, once.

use std::time::Duration;

use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::money::{Currency, Money};
use serde_json::json;
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::billing::{BillingError, Settlement};
use crate::db;
use crate::db::billing::BillPaymentRow;
use crate::domain::transfer::TransferKind;
use crate::error::AccountsError;
use crate::events::{self, Movement};
use crate::http::holds::{self, Settler};
use crate::outgoing::{self, Leaving};
use crate::AppState;

/// How often the retry run looks for payments their billing system has not decided.
const RETRY_EVERY: Duration = Duration::from_secs(60);

/// How old a pending payment must be before the retry run takes it: younger ones are likely
/// still being carried forward by their request.
const RETRY_AFTER: chrono::Duration = chrono::Duration::seconds(30);

/// What became of a pending payment when it was carried forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The billing system confirmed it and the money left the account.
    Paid,
    /// The money was not there, or the billing system refused; nothing left the account.
    Refused(String),
    /// The billing system did not answer: the money stays held, and the retry run asks again.
    Undecided,
}

fn amount_of(payment: &BillPaymentRow) -> Result<Money, AccountsError> {
    let inconsistent =
        |what: String| AccountsError::Inconsistent(format!("bill payment {}: {what}", payment.id));
    let currency: Currency = payment
        .currency
        .parse()
        .map_err(|error| inconsistent(format!("{error}")))?;
    Money::new(payment.amount, currency).map_err(|error| inconsistent(error.to_string()))
}

/// Holds the payment's money; the ledger's refusal (money short, account closed) is returned.
async fn hold_money(
    connection: &mut PgConnection,
    state: &AppState,
    payment: &BillPaymentRow,
    settler: &Settler,
) -> Result<Result<Uuid, String>, AccountsError> {
    outgoing::hold(
        connection,
        state,
        &Leaving {
            key: &format!("bill-payment:{}", payment.id),
            reference: &format!("{} {}", payment.payee_code, payment.invoice_number),
            kind: TransferKind::BillPayment,
            from: payment.from_account_id,
            amount: amount_of(payment)?,
        },
        settler,
    )
    .await
}

async fn audit_decision(
    connection: &mut PgConnection,
    payment: &BillPaymentRow,
    settler: &Settler,
    action: &'static str,
    after: serde_json::Value,
) -> Result<(), AccountsError> {
    audit::record(
        connection,
        AuditEntry {
            actor_id: Some(settler.id),
            actor_roles: settler.roles.clone(),
            action,
            subject_type: "bill_payment",
            subject_id: payment.id.to_string(),
            before: Some(json!({"state": "pending"})),
            after: Some(after),
            source_address: None,
        },
    )
    .await?;
    Ok(())
}

/// Carries a pending payment, whose row the caller holds locked in `connection`, as far as it
/// can go: holds the money, asks the billing system, then posts or voids the hold and records
/// the outcome. The caller commits.
pub async fn carry_forward(
    connection: &mut PgConnection,
    state: &AppState,
    payment: &BillPaymentRow,
    settler: &Settler,
) -> Result<Outcome, AccountsError> {
    let now = state.calendar.now();
    let hold_id = match payment.hold_transfer_id {
        Some(hold_id) => hold_id,
        None => match hold_money(&mut *connection, state, payment, settler).await? {
            Ok(hold_id) => {
                db::billing::set_hold(connection, payment.id, hold_id).await?;
                hold_id
            }
            Err(refusal) => {
                db::billing::mark_refused(connection, payment.id, &refusal, now).await?;
                audit_decision(
                    connection,
                    payment,
                    settler,
                    "bill_payment.refused",
                    json!({"state": "refused", "refusal": refusal}),
                )
                .await?;
                return Ok(Outcome::Refused(refusal));
            }
        },
    };
    let asked = state
        .billing
        .settle(&Settlement {
            invoice_number: payment.invoice_number.clone(),
            amount: amount_of(payment)?,
            reference: payment.id,
        })
        .await;
    match asked {
        Ok(confirmation) => {
            holds::settle(connection, settler, hold_id, holds::Settlement::Post(None)).await?;
            db::billing::mark_paid(connection, payment.id, &confirmation.number, now).await?;
            audit_decision(
                connection,
                payment,
                settler,
                "bill_payment.paid",
                json!({
                    "state": "paid",
                    "confirmation_number": confirmation.number,
                    "hold_transfer_id": hold_id,
                }),
            )
            .await?;
            events::announce_money_moved(
                connection,
                payment.client_id,
                Movement::BillPayment,
                hold_id,
            )
            .await?;
            Ok(Outcome::Paid)
        }
        Err(BillingError::Unavailable(reason)) => {
            tracing::warn!(payment = %payment.id, %reason, "the billing system did not decide; the money stays held");
            Ok(Outcome::Undecided)
        }
        Err(refusal) => {
            holds::settle(connection, settler, hold_id, holds::Settlement::Void).await?;
            db::billing::mark_refused(connection, payment.id, refusal.code(), now).await?;
            audit_decision(
                connection,
                payment,
                settler,
                "bill_payment.refused",
                json!({"state": "refused", "refusal": refusal.code(), "hold_transfer_id": hold_id}),
            )
            .await?;
            Ok(Outcome::Refused(refusal.code().to_owned()))
        }
    }
}

/// The retry run's actor in the ledger and the audit trail.
fn retry_settler() -> Settler {
    Settler {
        id: Uuid::nil(),
        roles: vec!["job:bill_payments".to_owned()],
    }
}

/// Carries forward every payment still pending a while after it was written down. Returns
/// how many were decided (paid or refused).
pub async fn retry_pending(state: &AppState) -> Result<usize, AccountsError> {
    let mut decided = 0;
    let before = state.calendar.now() - RETRY_AFTER;
    for id in db::billing::pending_before(&state.pool, before).await? {
        let mut transaction = state.pool.begin().await?;
        if db::billing::lock_unless_busy(&mut transaction, id)
            .await?
            .is_none()
        {
            continue;
        }
        // A fresh read: the locking statement's snapshot predates whoever released the lock.
        let Some(payment) = db::billing::find(&mut *transaction, id).await? else {
            continue;
        };
        if payment.state != "pending" {
            continue;
        }
        let outcome = carry_forward(&mut transaction, state, &payment, &retry_settler()).await?;
        transaction.commit().await?;
        if outcome != Outcome::Undecided {
            decided += 1;
        }
    }
    Ok(decided)
}

/// Retries undecided payments every minute until `shutdown`.
pub fn spawn_retries(state: AppState, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            if let Err(error) = retry_pending(&state).await {
                tracing::warn!(%error, "the bill payments' retry run failed; it will run again");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RETRY_EVERY) => {}
            }
        }
    });
}
