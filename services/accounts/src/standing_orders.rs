//! The standing orders' daily run: each active order due on a date (its day of the month, on or
//! after its start) pays its template's amount from the client's account to the template's
//! destination, once, through the ledger writer; or is skipped, never overdrawing, when the
//! money is short, an account is closed or the client's daily limit would be passed. Either way
//! the client is told (`account.money_moved`).
//!
//! # Once per date, whatever runs it
//!
//! Each order's payment of a date is decided in one transaction that holds the order's row lock
//! (`for update skip locked`, so a second runner, another replica, passes over it) from before
//! the transfer is submitted until its `standing_order_run` row and the client's notice are
//! written; once the lock is held, a fresh statement asks whether the date is decided, since
//! the locking statement's snapshot predates the runner whose commit released the lock. The transfer's key is the order and the date (`standing-order:<id>:<date>`), so a
//! run that dies after the ledger booked it and before that commit finds the same transfer
//! again the next time (the writer replays it) and records it then. A skipped payment is final
//! for its date: the order is paid again on its next due date, not retried.
//!
//! # Catching up
//!
//! The run looks back [`CATCH_UP_DAYS`] days, so a payment due while the service was down is
//! made late rather than never; older ones are left undecided.

use std::time::Duration;

use chrono::NaiveDate;
use imkon_platform::idempotency;
use imkon_platform::money::{Currency, Money};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db;
use crate::db::standing_orders::DueOrder;
use crate::domain::account::AccountId;
use crate::domain::posting::TransferError;
use crate::domain::transfer::{IdempotencyKey, Transfer, TransferKind, TransferReference};
use crate::error::AccountsError;
use crate::events::{self, Movement};
use crate::ledger::{Booked, TransferRequest};
use crate::AppState;

/// How many days back a run pays what was due and not yet decided.
pub const CATCH_UP_DAYS: u64 = 7;

/// How often the run looks for due orders.
const RUN_EVERY: Duration = Duration::from_secs(600);

/// Who the ledger and the audit trail say asked for a standing order's transfer: the job, on
/// the client's standing instruction (the order names the client).
const JOB_ACTOR: Uuid = Uuid::nil();

/// What one run decided.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub booked: usize,
    pub skipped: usize,
}

/// Decides every payment due from `CATCH_UP_DAYS` days before `today` through `today`.
pub async fn run_through(state: &AppState, today: NaiveDate) -> Result<RunReport, AccountsError> {
    let mut report = RunReport::default();
    for back in (0..=CATCH_UP_DAYS).rev() {
        let Some(day) = today.checked_sub_days(chrono::Days::new(back)) else {
            continue;
        };
        let decided = run_for_date(state, day).await?;
        report.booked += decided.booked;
        report.skipped += decided.skipped;
    }
    Ok(report)
}

/// Decides every payment due on `day` that is not decided yet.
pub async fn run_for_date(state: &AppState, day: NaiveDate) -> Result<RunReport, AccountsError> {
    let mut report = RunReport::default();
    for id in db::standing_orders::due_on(&state.pool, day).await? {
        let mut transaction = state.pool.begin().await?;
        let Some(order) = db::standing_orders::lock_due(&mut transaction, id, day).await? else {
            continue;
        };
        if db::standing_orders::is_decided(&mut *transaction, order.id, day).await? {
            continue;
        }
        match pay(state, &order, day).await? {
            Paid::Booked(transfer_id) => {
                db::standing_orders::record_run(
                    &mut transaction,
                    order.id,
                    day,
                    None,
                    Some(transfer_id),
                )
                .await?;
                events::announce_money_moved(
                    &mut transaction,
                    order.client_id,
                    Movement::TransferSent,
                    transfer_id,
                )
                .await?;
                let recipient =
                    match db::accounts::find_by_id(&mut *transaction, order.to_account_id).await? {
                        Some(account) => {
                            db::accounts::operator_of(&mut *transaction, &account).await?
                        }
                        None => None,
                    }
                    .filter(|recipient| *recipient != order.client_id);
                if let Some(recipient) = recipient {
                    events::announce_money_moved(
                        &mut transaction,
                        recipient,
                        Movement::TransferReceived,
                        transfer_id,
                    )
                    .await?;
                }
                report.booked += 1;
            }
            Paid::Skipped(reason) => {
                db::standing_orders::record_run(
                    &mut transaction,
                    order.id,
                    day,
                    Some(reason),
                    None,
                )
                .await?;
                events::announce_money_moved(
                    &mut transaction,
                    order.client_id,
                    Movement::StandingOrderSkipped,
                    order.id,
                )
                .await?;
                tracing::info!(order = %order.id, %day, reason, "standing order skipped");
                report.skipped += 1;
            }
        }
        transaction.commit().await?;
    }
    Ok(report)
}

enum Paid {
    Booked(Uuid),
    Skipped(&'static str),
}

/// Books the order's payment of `day` through the ledger writer, or says why it is skipped.
async fn pay(state: &AppState, order: &DueOrder, day: NaiveDate) -> Result<Paid, AccountsError> {
    let inconsistent =
        |what: String| AccountsError::Inconsistent(format!("standing order {}: {what}", order.id));
    let currency: Currency = order
        .currency
        .parse()
        .map_err(|error| inconsistent(format!("{error}")))?;
    let amount =
        Money::new(order.amount, currency).map_err(|error| inconsistent(error.to_string()))?;
    let scope = format!("client:{}", order.client_id);
    let key_text = format!("standing-order:{}:{day}", order.id);

    // The client's daily limit counts a standing order's payment as any transfer of theirs.
    let sent = db::quotes::sent_on_day(
        &state.pool,
        order.client_id,
        currency.code(),
        day,
        state.calendar.start_of(day),
        state.calendar.start_of(day + chrono::Duration::days(1)),
    )
    .await?;
    let already_booked = db::quotes::transfer_by_reference(&state.pool, &scope, &key_text).await?;
    if already_booked.is_none()
        && sent + amount.amount() > state.client_transfer_policy.daily_limit(currency).amount()
    {
        return Ok(Paid::Skipped("daily_limit_exceeded"));
    }

    let violation = |violation| {
        AccountsError::Violations(crate::domain::transfer::TransferViolations(vec![violation]))
    };
    let transfer = Transfer::two_legs(
        IdempotencyKey::parse(&key_text).map_err(violation)?,
        TransferKind::ClientTransfer,
        TransferReference::parse(&key_text).map_err(violation)?,
        AccountId::from_uuid(order.from_account_id),
        AccountId::from_uuid(order.to_account_id),
        amount,
    );
    let answer = state
        .ledger
        .submit(TransferRequest {
            scope,
            fingerprint: idempotency::fingerprint("JOB", "/standing-orders", key_text.as_bytes()),
            transfer,
            hold: false,
            actor_id: JOB_ACTOR,
            actor_roles: vec!["job:standing_orders".to_owned()],
            request_id: None,
        })
        .await;
    match answer {
        Ok(Booked::Created(record) | Booked::Replayed(record)) => Ok(Paid::Booked(record.id)),
        Err(AccountsError::Transfer(TransferError::InsufficientFunds { .. })) => {
            Ok(Paid::Skipped("insufficient_funds"))
        }
        Err(AccountsError::Transfer(TransferError::AccountClosed { .. })) => {
            Ok(Paid::Skipped("account_closed"))
        }
        Err(error) => Err(error),
    }
}

/// Runs the standing orders every ten minutes until `shutdown`: each run decides what is due
/// through the bank's today and not decided yet, so a due date is paid on its day.
pub fn spawn_daily(state: AppState, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            let today = state.calendar.today();
            if let Err(error) = run_through(&state, today).await {
                tracing::warn!(%error, "the standing orders' run failed; it will retry");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RUN_EVERY) => {}
            }
        }
    });
}
