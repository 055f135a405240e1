//! The daily job: collects what is due from each client's current account, then marks overdue
//! instalments, counts days past due, accrues the day's penalty and raises `loan.overdue` when
//! a loan falls into arrears or into an older bucket; last, it reminds clients of the
//! instalments falling due in the next few days (`loan.instalment_due`).
//!
//! Collection comes first, each loan in its own transaction: the ledger transfer's key is
//! `contract:<id>:due:<date>:<amount>`, so running a date again after a crash between the
//! ledger and the commit finds the transfer already made. A client without the money is
//! skipped (the instalment falls overdue and is tried again the next day); only the whole
//! amount due is collected. The limit this shares with every call to another system: if the
//! process dies after the ledger posted and the client pays the same instalment by hand before
//! the job runs again, the first transfer is left for reconciliation.
//!
//! Each date is assessed once per loan: a loan's day is booked in one transaction with its
//! `arrears_day` row, and `arrears_run` records when every loan has been assessed for a date;
//! a second runner (another replica, a retried request) skips what is booked. After downtime the job assesses every missed date in order, so each day's
//! penalty is booked exactly once. One limit of the catch-up: a missed date is assessed
//! against what has been paid by the time the job runs, not by that date.
//!
//! Reminders are sent once per instalment and due date: each loan's are written under its row
//! lock, in one transaction with their `installment_reminder` rows, and an instalment with a
//! row is skipped, so a rerun or a second replica reminds no one twice. The job does not run
//! on the bank's days off, so a run reminds of every instalment due before the third day after
//! the next run: on a Friday, of those due up to Wednesday, which no later run could remind of
//! three days ahead. Only the run's last date reminds: a catch-up after downtime does not send
//! reminders of instalments already due.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::money::Money;
use imkon_platform::outbox;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use crate::db::contracts::{self, ContractRow};
use crate::db::{arrears, installments};
use crate::domain::arrears::assess_arrears;
use crate::domain::contract::ContractStatus;
use crate::error::DisbursementError;
use crate::ledger::{Ledger, LedgerError};
use crate::loans::{current_schedule, money, penalty_rate};
use crate::money_flows::collect_repayment;
use crate::repaying::{amount_due, close_when_repaid, record_payment_of_due};

/// The topic raised when a loan falls overdue or moves to an older ageing bucket.
pub const LOAN_OVERDUE: &str = "loan.overdue";

/// The topic raised once per instalment a few days before it falls due.
pub const LOAN_INSTALMENT_DUE: &str = "loan.instalment_due";

/// How many days before its due date a client is reminded of an instalment, at the least.
pub const REMINDER_DAYS_BEFORE_DUE: u64 = 3;

/// The most days one catch-up assesses; older missed dates are skipped with a warning, so a
/// job that was off for years cannot hold the database for hours.
pub const MAX_CATCH_UP_DAYS: u64 = 400;

/// How long the job waits after a failed run before trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(300);

/// What one assessed date found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateAssessed {
    pub as_of: NaiveDate,
    pub contracts_overdue: i32,
}

/// Collects and assesses every date after the last one assessed, through `as_of`, then sends
/// the reminders due on `as_of`. Before the first run ever, it starts on the earliest first
/// due date of an active loan.
pub async fn run_through(
    pool: &PgPool,
    ledger: &dyn Ledger,
    calendar: &BankCalendar,
    as_of: NaiveDate,
) -> Result<Vec<DateAssessed>, DisbursementError> {
    let mut connection = pool.acquire().await?;
    let first = match arrears::last_run(&mut *connection).await? {
        Some(last) => last.checked_add_days(Days::new(1)),
        None => arrears::earliest_first_due_date(&mut connection).await?,
    }
    .unwrap_or(as_of);
    drop(connection);
    let earliest_allowed = as_of
        .checked_sub_days(Days::new(MAX_CATCH_UP_DAYS))
        .unwrap_or(as_of);
    if first < earliest_allowed {
        tracing::warn!(%first, %earliest_allowed, "arrears dates older than the catch-up limit are skipped");
    }
    let mut assessed = Vec::new();
    let mut date = first.max(earliest_allowed);
    while date <= as_of {
        collect_due(pool, ledger, date).await?;
        if let Some(contracts_overdue) = run_for_date(pool, date).await? {
            assessed.push(DateAssessed {
                as_of: date,
                contracts_overdue,
            });
        }
        let Some(next) = date.checked_add_days(Days::new(1)) else {
            break;
        };
        date = next;
    }
    remind_due_soon(pool, calendar, as_of).await?;
    Ok(assessed)
}

/// The last due date the run on `as_of` reminds of: the day before the third day after the
/// next business day, when the job runs again. On a business day followed by another, three
/// days after `as_of`.
pub fn reminder_horizon(calendar: &BankCalendar, as_of: NaiveDate) -> NaiveDate {
    let next_run = calendar.business_day_on_or_after(
        as_of
            .checked_add_days(Days::new(1))
            .expect("dates this side of the year 262143 have a next day"),
    );
    next_run
        .checked_add_days(Days::new(REMINDER_DAYS_BEFORE_DUE - 1))
        .expect("dates this side of the year 262143 have days after them")
}

/// Raises `loan.instalment_due` for each unsettled instalment of an active loan falling due
/// after `as_of` and by the reminder horizon, once per instalment; answers how many it sent.
pub async fn remind_due_soon(
    pool: &PgPool,
    calendar: &BankCalendar,
    as_of: NaiveDate,
) -> Result<usize, DisbursementError> {
    let through = reminder_horizon(calendar, as_of);
    let mut connection = pool.acquire().await?;
    let loans = installments::loans_to_remind(&mut connection, as_of, through).await?;
    drop(connection);
    let mut reminded = 0;
    for id in loans {
        let mut transaction = pool.begin().await?;
        let Some(contract) = contracts::find_for_update(&mut transaction, id).await? else {
            continue;
        };
        if contract.status != ContractStatus::Active.name() {
            continue;
        }
        for row in installments::list(&mut *transaction, id).await? {
            if row.due_date <= as_of || row.due_date > through || row.is_settled() {
                continue;
            }
            if installments::was_reminded(&mut transaction, id, row.number, row.due_date).await? {
                continue;
            }
            let amount_due = money(&contract, row.unpaid_interest() + row.unpaid_principal());
            let event_id = outbox::enqueue(
                &mut transaction,
                LOAN_INSTALMENT_DUE,
                &json!({
                    "contract_id": contract.id,
                    "application_id": contract.application_id,
                    "client_id": contract.client_id,
                    "company_id": contract.company_id,
                    "installment_number": row.number,
                    "due_date": row.due_date,
                    "currency": contract.currency,
                    "amount_due": amount_due.amount().to_string(),
                }),
            )
            .await?;
            installments::insert_reminder(
                &mut transaction,
                &installments::NewReminder {
                    contract_id: id,
                    number: row.number,
                    due_date: row.due_date,
                    amount_due: amount_due.amount(),
                    reminded_on: as_of,
                    event_id,
                },
            )
            .await?;
            reminded += 1;
        }
        transaction.commit().await?;
    }
    tracing::info!(%as_of, %through, reminded, "instalment reminders sent");
    Ok(reminded)
}

/// Collects from each active loan's client what is due on `as_of`, one loan per transaction.
/// A refusal (no money, no current account) skips the loan; an unreachable ledger stops the
/// run, which is retried later with the same keys.
pub async fn collect_due(
    pool: &PgPool,
    ledger: &dyn Ledger,
    as_of: NaiveDate,
) -> Result<(), DisbursementError> {
    let mut connection = pool.acquire().await?;
    let loans = arrears::active_loans(&mut connection, as_of).await?;
    drop(connection);
    for id in loans {
        let mut transaction = pool.begin().await?;
        let Some(contract) = contracts::find_for_update(&mut transaction, id).await? else {
            continue;
        };
        if contract.status != ContractStatus::Active.name() {
            continue;
        }
        let Some(due) = amount_due(&mut transaction, &contract, as_of).await? else {
            continue;
        };
        let key = format!("contract:{id}:due:{as_of}:{}", due.parts.total().amount());
        let transfer_id = match collect_repayment(ledger, &contract, key, due.parts).await {
            Ok(transfer_id) => transfer_id,
            Err(DisbursementError::Ledger(LedgerError::Refused { code, .. })) => {
                tracing::info!(contract_id = %id, %as_of, %code, "what is due could not be collected");
                continue;
            }
            Err(DisbursementError::NoCurrentAccount { .. }) => {
                tracing::info!(contract_id = %id, %as_of, "no current account to collect from");
                continue;
            }
            Err(other) => return Err(other),
        };
        let repayment_id = imkon_platform::id::new_id();
        record_payment_of_due(
            &mut transaction,
            &contract,
            &due,
            repayment_id,
            transfer_id,
            as_of,
        )
        .await?;
        let closed = close_when_repaid(&mut transaction, id).await?;
        audit::record(
            &mut transaction,
            AuditEntry {
                actor_id: None,
                actor_roles: Vec::new(),
                action: "repayment.collected",
                subject_type: "repayment",
                subject_id: repayment_id.to_string(),
                before: None,
                after: Some(json!({
                    "contract_id": id,
                    "as_of": as_of,
                    "amount": due.parts.total().amount(),
                    "penalty": due.parts.penalty.amount(),
                    "interest": due.parts.interest.amount(),
                    "principal": due.parts.principal.amount(),
                    "transfer_id": transfer_id,
                    "contract_closed": closed,
                })),
                source_address: None,
            },
        )
        .await?;
        transaction.commit().await?;
    }
    Ok(())
}

/// Assesses one date unless it was completed before; answers how many loans were overdue.
///
/// Each loan is assessed in its own short transaction under its row lock, and skipped when its
/// `arrears_day` row for the date exists (or it was current then, which assessing again finds
/// the same way). So locks are held for one loan at a time, and a run interrupted half-way is
/// completed by the next without booking any loan's day twice.
pub async fn run_for_date(
    pool: &PgPool,
    as_of: NaiveDate,
) -> Result<Option<i32>, DisbursementError> {
    let mut connection = pool.acquire().await?;
    if arrears::start_date(&mut connection, as_of).await? {
        return Ok(None);
    }
    let loans = arrears::active_loans(&mut connection, as_of).await?;
    drop(connection);
    for id in loans {
        let mut transaction = pool.begin().await?;
        let Some(contract) = contracts::find_for_update(&mut transaction, id).await? else {
            continue;
        };
        if contract.status != ContractStatus::Active.name()
            || arrears::day_exists(&mut transaction, id, as_of).await?
        {
            continue;
        }
        assess_contract(&mut transaction, &contract, as_of).await?;
        transaction.commit().await?;
    }
    let mut connection = pool.acquire().await?;
    let overdue = arrears::complete_date(&mut connection, as_of).await?;
    tracing::info!(%as_of, contracts_overdue = overdue, "arrears assessed");
    Ok(Some(overdue))
}

/// Books one loan's arrears for the date. A loan current on the date leaves no row, so a rerun
/// assesses it again and, payments only ever adding up, finds it current again.
async fn assess_contract(
    connection: &mut PgConnection,
    contract: &ContractRow,
    as_of: NaiveDate,
) -> Result<(), DisbursementError> {
    let Some(schedule) = current_schedule(connection, contract).await? else {
        return Ok(());
    };
    let numbers: BTreeSet<u32> = schedule
        .installments()
        .iter()
        .map(|row| row.number())
        .collect();
    let rows = installments::list(&mut *connection, contract.id).await?;
    let paid: BTreeMap<u32, Money> = rows
        .iter()
        .filter_map(|row| {
            let number = u32::try_from(row.number).ok()?;
            (numbers.contains(&number) && !row.paid().is_zero())
                .then(|| (number, money(contract, row.paid())))
        })
        .collect();
    let report = match assess_arrears(&schedule, &paid, as_of, penalty_rate(contract)) {
        Ok(report) => report,
        Err(error) => {
            tracing::warn!(contract_id = %contract.id, %error, "arrears could not be assessed");
            return Ok(());
        }
    };
    let Some(bucket) = report.bucket else {
        return Ok(());
    };
    let days_past_due = i32::try_from(report.days_past_due)
        .expect("days between two calendar dates fit in i32: chrono spans under 100 million days");
    // The programme's late-payment charge is added once for each instalment on the first day
    // it is found overdue; the instalment keeps that day, so a rerun charges nothing again.
    let newly_late: Vec<i32> = if contract.late_charge > Decimal::ZERO {
        report
            .overdue
            .iter()
            .filter_map(|item| i32::try_from(item.number).ok())
            .filter(|number| {
                rows.iter()
                    .any(|row| row.number == *number && row.late_charged_on.is_none())
            })
            .collect()
    } else {
        Vec::new()
    };
    let late_charges = money(
        contract,
        contract.late_charge * Decimal::from(newly_late.len()),
    );
    let penalty_added = report
        .penalty_for_day
        .checked_add(&late_charges)
        .expect("a penalty and the contract's charges are in its currency");
    arrears::insert_day(
        connection,
        &arrears::NewArrearsDay {
            contract_id: contract.id,
            as_of,
            total_overdue: report.total_overdue.amount(),
            penalty: penalty_added.amount(),
            days_past_due,
            bucket: bucket.label(),
            overdue_installments: i32::try_from(report.overdue.len())
                .expect("a schedule has at most 360 instalments"),
        },
    )
    .await?;
    contracts::add_penalty(connection, contract.id, penalty_added.amount()).await?;
    if !newly_late.is_empty() {
        installments::mark_late_charged(connection, contract.id, &newly_late, as_of).await?;
        audit::record(
            connection,
            AuditEntry {
                actor_id: None,
                actor_roles: Vec::new(),
                action: "late_charge.applied",
                subject_type: "contract",
                subject_id: contract.id.to_string(),
                before: Some(json!({"penalty_outstanding": contract.penalty_outstanding})),
                after: Some(json!({
                    "as_of": as_of,
                    "installments": newly_late,
                    "charge": late_charges.amount(),
                })),
                source_address: None,
            },
        )
        .await?;
    }
    for item in &report.overdue {
        installments::set_days_past_due(
            connection,
            contract.id,
            i32::try_from(item.number).expect("instalment numbers are at most 360"),
            i32::try_from(item.days_past_due).expect("days between two calendar dates fit in i32"),
        )
        .await?;
    }
    if !report.penalty_for_day.is_zero() {
        audit::record(
            connection,
            AuditEntry {
                actor_id: None,
                actor_roles: Vec::new(),
                action: "penalty.accrued",
                subject_type: "contract",
                subject_id: contract.id.to_string(),
                before: Some(json!({"penalty_outstanding": contract.penalty_outstanding})),
                after: Some(json!({
                    "as_of": as_of,
                    "penalty": report.penalty_for_day.amount(),
                    "total_overdue": report.total_overdue.amount(),
                })),
                source_address: None,
            },
        )
        .await?;
    }
    let yesterday = as_of.checked_sub_days(Days::new(1)).unwrap_or(as_of);
    let previous = arrears::bucket_on(connection, contract.id, yesterday).await?;
    if previous.as_deref() != Some(bucket.label()) {
        let penalty_outstanding = contract.penalty_outstanding + penalty_added.amount();
        outbox::enqueue(
            connection,
            LOAN_OVERDUE,
            &json!({
                "contract_id": contract.id,
                "application_id": contract.application_id,
                "client_id": contract.client_id,
                "company_id": contract.company_id,
                "as_of": as_of,
                "days_past_due": report.days_past_due,
                "bucket": bucket.label(),
                "currency": contract.currency,
                "total_overdue": report.total_overdue.amount().to_string(),
                "penalty_outstanding": money(contract, penalty_outstanding).amount().to_string(),
            }),
        )
        .await?;
    }
    Ok(())
}

/// Runs the job now and then after each of the bank's midnights (plus the end-of-day
/// cut-off), until `shutdown`. It runs only when the operating day is a business day: a
/// weekend's or a holiday's dates are assessed, in order, by the next business day's run
/// (`run_through` catches up every date since the last one assessed).
pub fn spawn_daily(
    pool: PgPool,
    ledger: Arc<dyn Ledger>,
    calendar: BankCalendar,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            let now = calendar.now();
            let outcome = match day_to_run(&calendar, now) {
                Some(day) => run_through(&pool, ledger.as_ref(), &calendar, day)
                    .await
                    .map(drop),
                None => Ok(()),
            };
            let pause = match outcome {
                Ok(()) => until_next_run(&calendar, now),
                Err(error) => {
                    tracing::warn!(%error, "the arrears job failed; it will retry");
                    RETRY_AFTER_FAILURE
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    });
}

/// The date the job runs through at `now`: the operating day, if the bank works that day.
pub fn day_to_run(
    calendar: &BankCalendar,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<NaiveDate> {
    let day = calendar.operating_day(now);
    calendar.is_business_day(day).then_some(day)
}

/// A margin after the start of the next operating day, so that a clock a little behind the
/// database's does not wake the job a moment before its day has begun.
const AFTER_DAY_STARTS: chrono::Duration = chrono::Duration::minutes(5);

/// The time from `now` to a few minutes after the next operating day starts.
fn until_next_run(calendar: &BankCalendar, now: chrono::DateTime<chrono::Utc>) -> Duration {
    (calendar.next_operating_day_starts(now) + AFTER_DAY_STARTS - now)
        .to_std()
        .unwrap_or(RETRY_AFTER_FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_five_minutes_past_the_banks_coming_midnight() {
        let calendar = BankCalendar::default();
        let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert_eq!(
            until_next_run(&calendar, at("2024-02-28T18:59:59Z")),
            Duration::from_secs(5 * 60 + 1),
            "23:59:59 in Tashkent: the run for the leap day is due in five minutes and a second"
        );
        assert_eq!(
            until_next_run(&calendar, at("2024-02-28T19:00:00Z")),
            Duration::from_secs(24 * 3600 + 5 * 60),
            "midnight in Tashkent: the leap day's run is now, the next one tomorrow"
        );
    }

    #[test]
    fn a_run_reminds_of_what_falls_due_before_the_next_run_could_give_three_days_notice() {
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        let calendar = BankCalendar::default().with_holidays([day("2024-03-08")]);
        assert_eq!(
            reminder_horizon(&calendar, day("2024-03-05")),
            day("2024-03-08"),
            "a Tuesday followed by a business day: three days ahead"
        );
        assert_eq!(
            reminder_horizon(&calendar, day("2024-03-07")),
            day("2024-03-13"),
            "the Thursday before a holiday and a weekend: the next run is Monday the 11th"
        );
        assert_eq!(
            reminder_horizon(&calendar, day("2024-03-11")),
            day("2024-03-14"),
            "Monday: three days ahead"
        );
    }

    #[test]
    fn the_job_runs_on_business_days_after_the_banks_midnight() {
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let calendar = BankCalendar::default().with_holidays([day("2024-03-08")]);
        assert_eq!(
            day_to_run(&calendar, at("2024-02-28T18:59:59Z")),
            Some(day("2024-02-28"))
        );
        assert_eq!(
            day_to_run(&calendar, at("2024-02-28T19:00:00Z")),
            Some(day("2024-02-29")),
            "the leap day, from Tashkent's midnight"
        );
        assert_eq!(
            day_to_run(&calendar, at("2024-03-07T19:00:00Z")),
            None,
            "a holiday"
        );
        assert_eq!(
            day_to_run(&calendar, at("2024-03-09T12:00:00Z")),
            None,
            "a Saturday"
        );
        assert_eq!(
            day_to_run(&calendar, at("2024-03-10T19:00:00Z")),
            Some(day("2024-03-11")),
            "Monday's run catches up the holiday and the weekend"
        );
    }
}
