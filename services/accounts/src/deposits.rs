//! Term deposits through their life: the money placed, interest accrued day by day and paid
//! each period, the deposit paid back at maturity or closed early. The arithmetic is in
//! [`crate::domain::deposit`]; this module books it.
//!
//! # Postings
//!
//! | step | debit | credit |
//! |------|-------|--------|
//! | opening | the current account: the principal | the deposit's account |
//! | a day's accrual | the bank's interest expense | interest payable on deposits |
//! | a monthly period paid | interest payable | the current account, or the deposit's account when capitalised |
//! | maturity | the deposit's account (its balance) and interest payable (the last period) | the current account |
//! | early closure | the deposit's account and interest payable (what the period accrued) | the current account (what is returned); the difference goes back to (or, rarely, comes from) the interest expense |
//!
//! Every step is one balanced transfer in the deposit's currency, so the books balance per
//! currency throughout, and interest payable holds exactly what accrued and is not paid yet.
//!
//! # Once, whatever runs it
//!
//! Each step is decided in one transaction holding the deposit's row lock (the daily job
//! passes over a deposit another runner or a client's request holds). The step's transfer has
//! a key derived from the deposit and the step (`deposit:<id>:accrual:<day>`,
//! `…:interest:<period end>`, `…:maturity`, `…:opening`, `…:early-closure`), and its amounts
//! are derived from the deposit's row alone, so a run that dies after the ledger booked a step
//! and before its row was updated books nothing new the next time: the writer replays the
//! transfer and the row catches up. An opening and an early closure are written down first
//! (`opening`, `closing`) and finished by the request or, if it died, by the next run.

use std::time::Duration;

use chrono::NaiveDate;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::idempotency;
use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db;
use crate::db::deposits::DepositRow;
use crate::domain::account::{AccountId, AccountKind, AccountOwner, Side};
use crate::domain::deposit::{DepositTerms, InterestPayout, Period};
use crate::domain::posting::TransferError;
use crate::domain::transfer::{LegDraft, Transfer, TransferDraft, TransferKind};
use crate::error::AccountsError;
use crate::events::{self, Movement};
use crate::ledger::{Booked, TransferRequest, LEDGER_SCOPE};
use crate::opening::{open_once, AccountOpening};
use crate::AppState;

/// How often the job looks at the deposits.
const RUN_EVERY: Duration = Duration::from_secs(600);

/// Who the ledger and the audit trail say booked a deposit's scheduled steps.
const JOB_ACTOR: Uuid = Uuid::nil();

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    /// Days of interest booked.
    pub accrued_days: usize,
    /// Monthly periods paid or capitalised.
    pub periods_paid: usize,
    pub matured: usize,
    /// Openings and early closures a request left unfinished, finished now.
    pub finished: usize,
}

/// The terms a deposit was opened on.
pub fn terms_of(deposit: &DepositRow) -> Result<DepositTerms, AccountsError> {
    let inconsistent =
        |what: String| AccountsError::Inconsistent(format!("deposit {}: {what}", deposit.id));
    let payout = InterestPayout::parse(&deposit.interest_payout)
        .ok_or_else(|| inconsistent("unknown interest payout".to_owned()))?;
    let term_months =
        u32::try_from(deposit.term_months).map_err(|_| inconsistent("negative term".to_owned()))?;
    DepositTerms::new(
        term_months,
        deposit.annual_rate,
        deposit.early_withdrawal_rate,
        payout,
        deposit.capitalised,
        // A deposit keeps no minimum of its own; its principal passed the product's.
        money(deposit, deposit.principal)?,
    )
    .map_err(|error| inconsistent(error.to_string()))
}

/// An amount of the deposit's currency.
pub fn money(deposit: &DepositRow, amount: Decimal) -> Result<Money, AccountsError> {
    let currency: Currency = deposit
        .currency
        .parse()
        .map_err(|error| AccountsError::Inconsistent(format!("deposit {}: {error}", deposit.id)))?;
    Money::new(amount, currency)
        .map_err(|error| AccountsError::Inconsistent(format!("deposit {}: {error}", deposit.id)))
}

/// The interest period the deposit's job is in.
pub fn current_period(deposit: &DepositRow) -> Result<Period, AccountsError> {
    terms_of(deposit)?
        .periods(deposit.opened_on)
        .into_iter()
        .find(|period| period.starts_on == deposit.period_starts_on)
        .ok_or_else(|| {
            AccountsError::Inconsistent(format!(
                "deposit {}: no period starts on {}",
                deposit.id, deposit.period_starts_on
            ))
        })
}

/// The bank's interest-payable and interest-expense accounts in `currency`, opened (and
/// committed, so that the ledger writer's own transaction sees them) the first time a deposit
/// in that currency needs them.
pub async fn bank_accounts(
    state: &AppState,
    currency: Currency,
) -> Result<(AccountId, AccountId), AccountsError> {
    let mut transaction = state.pool.begin().await?;
    let mut ids = [AccountId::from_uuid(Uuid::nil()); 2];
    let wanted = [
        (
            AccountKind::DepositInterestPayable,
            "Interest payable on term deposits",
        ),
        (
            AccountKind::InterestExpense,
            "Interest expense on term deposits",
        ),
    ];
    for (slot, (kind, name)) in ids.iter_mut().zip(wanted) {
        let account = open_once(
            &mut transaction,
            state.bank,
            &AccountOpening {
                kind,
                owner: AccountOwner::Bank,
                currency,
                allow_negative: false,
                name: Some(name),
            },
            "first term deposit in this currency",
        )
        .await?;
        *slot = AccountId::from_uuid(account.id);
    }
    transaction.commit().await?;
    Ok((ids[0], ids[1]))
}

/// One leg of a deposit's transfer.
fn leg(account: AccountId, side: Side, amount: Decimal, currency: Currency) -> LegDraft {
    LegDraft {
        account_id: account,
        side,
        amount,
        currency,
    }
}

/// Books a step's transfer under its key; the ledger's refusal is returned as such, so that a
/// caller can tell "not possible" from "failed".
pub async fn book(
    state: &AppState,
    key: &str,
    kind: TransferKind,
    legs: Vec<LegDraft>,
    actor: (Uuid, Vec<String>),
) -> Result<Result<Uuid, TransferError>, AccountsError> {
    let transfer = Transfer::validate(&TransferDraft {
        idempotency_key: key.to_owned(),
        kind,
        reference: key.to_owned(),
        legs,
    })?;
    let fingerprint = {
        let described: Vec<String> = transfer
            .legs()
            .iter()
            .map(|leg| {
                format!(
                    "{}:{}:{}",
                    leg.account_id(),
                    leg.side().code(),
                    leg.amount()
                )
            })
            .collect();
        idempotency::fingerprint("DEPOSIT", key, described.join(",").as_bytes())
    };
    let answer = state
        .ledger
        .submit(TransferRequest {
            scope: LEDGER_SCOPE.to_owned(),
            fingerprint,
            transfer,
            hold: false,
            actor_id: actor.0,
            actor_roles: actor.1,
            request_id: imkon_platform::telemetry::current_request_id(),
        })
        .await;
    match answer {
        Ok(Booked::Created(record) | Booked::Replayed(record)) => Ok(Ok(record.id)),
        Err(AccountsError::Transfer(error)) => Ok(Err(error)),
        Err(error) => Err(error),
    }
}

fn job_actor() -> (Uuid, Vec<String>) {
    (JOB_ACTOR, vec!["job:term_deposits".to_owned()])
}

/// Records a step the system made in the audit trail.
async fn audit_step(
    connection: &mut PgConnection,
    deposit: &DepositRow,
    action: &'static str,
    after: serde_json::Value,
) -> Result<(), AccountsError> {
    audit::record(
        connection,
        AuditEntry {
            actor_id: None,
            actor_roles: vec!["job:term_deposits".to_owned()],
            action,
            subject_type: "term_deposit",
            subject_id: deposit.id.to_string(),
            before: None,
            after: Some(after),
            source_address: None,
        },
    )
    .await?;
    Ok(())
}

/// Moves the principal from the current account to the deposit, for a deposit still
/// `opening`, and marks it open; or marks it refused when the money is not there (closing
/// its empty account). Returns the refusal, if any.
pub async fn finish_opening(
    connection: &mut PgConnection,
    state: &AppState,
    deposit: &DepositRow,
    actor: (Uuid, Vec<String>),
) -> Result<Option<TransferError>, AccountsError> {
    let currency = money(deposit, deposit.principal)?.currency();
    let booked = book(
        state,
        &format!("deposit:{}:opening", deposit.id),
        TransferKind::TermDeposit,
        vec![
            leg(
                AccountId::from_uuid(deposit.current_account_id),
                Side::Debit,
                deposit.principal,
                currency,
            ),
            leg(
                AccountId::from_uuid(deposit.account_id),
                Side::Credit,
                deposit.principal,
                currency,
            ),
        ],
        actor,
    )
    .await?;
    match booked {
        Ok(transfer_id) => {
            db::deposits::set_state(connection, deposit.id, "open").await?;
            events::announce_money_moved(
                connection,
                deposit.client_id,
                Movement::TermDeposit,
                transfer_id,
            )
            .await?;
            Ok(None)
        }
        Err(refusal) => {
            db::deposits::set_state(connection, deposit.id, "refused").await?;
            db::accounts::close(connection, deposit.account_id, state.calendar.now()).await?;
            Ok(Some(refusal))
        }
    }
}

/// Books an early closure already decided (`closing`, with its figures on the row), closes
/// the deposit's account and marks the deposit closed.
pub async fn finish_closing(
    connection: &mut PgConnection,
    state: &AppState,
    deposit: &DepositRow,
    actor: (Uuid, Vec<String>),
) -> Result<(), AccountsError> {
    let currency = money(deposit, deposit.principal)?.currency();
    let returned = deposit.returned.ok_or_else(|| {
        AccountsError::Inconsistent(format!("deposit {}: closing without figures", deposit.id))
    })?;
    let balance = deposit.principal + deposit.interest_capitalised;
    let (payable, expense) = bank_accounts(state, currency).await?;
    let mut legs = vec![leg(
        AccountId::from_uuid(deposit.account_id),
        Side::Debit,
        balance,
        currency,
    )];
    if deposit.period_accrued > Decimal::ZERO {
        legs.push(leg(payable, Side::Debit, deposit.period_accrued, currency));
    }
    if returned > Decimal::ZERO {
        legs.push(leg(
            AccountId::from_uuid(deposit.current_account_id),
            Side::Credit,
            returned,
            currency,
        ));
    }
    // What the expense gives back: the interest booked (paid, capitalised or accrued) above
    // what the early rate earned. Below it, the expense pays the difference.
    let given_back = balance + deposit.period_accrued - returned;
    if given_back > Decimal::ZERO {
        legs.push(leg(expense, Side::Credit, given_back, currency));
    } else if given_back < Decimal::ZERO {
        legs.push(leg(expense, Side::Debit, -given_back, currency));
    }
    let transfer_id = book(
        state,
        &format!("deposit:{}:early-closure", deposit.id),
        TransferKind::TermDeposit,
        legs,
        actor,
    )
    .await?
    .map_err(AccountsError::Transfer)?;
    db::deposits::set_state(connection, deposit.id, "closed_early").await?;
    db::accounts::close(connection, deposit.account_id, state.calendar.now()).await?;
    events::announce_money_moved(
        connection,
        deposit.client_id,
        Movement::TermDeposit,
        transfer_id,
    )
    .await?;
    Ok(())
}

/// What one step of a deposit did.
enum Step {
    Accrued,
    PeriodPaid,
    Matured,
    Finished,
    /// Nothing is due before `today`, or another runner holds the deposit.
    Idle,
}

/// Takes the deposit's next step due before `today`, in one transaction.
async fn step(state: &AppState, id: Uuid, today: NaiveDate) -> Result<Step, AccountsError> {
    let mut transaction = state.pool.begin().await?;
    if db::deposits::lock_unless_busy(&mut transaction, id)
        .await?
        .is_none()
    {
        return Ok(Step::Idle);
    }
    let deposit = db::deposits::find(&mut *transaction, id)
        .await?
        .ok_or(AccountsError::NotFound("deposit"))?;
    let done = match deposit.state.as_str() {
        "opening" => {
            finish_opening(&mut transaction, state, &deposit, job_actor()).await?;
            Step::Finished
        }
        "closing" => {
            finish_closing(&mut transaction, state, &deposit, job_actor()).await?;
            Step::Finished
        }
        "open" => open_step(&mut transaction, state, &deposit, today).await?,
        _ => Step::Idle,
    };
    transaction.commit().await?;
    Ok(done)
}

/// The next step of an open deposit: a day's accrual, a period's payment or the maturity.
async fn open_step(
    connection: &mut PgConnection,
    state: &AppState,
    deposit: &DepositRow,
    today: NaiveDate,
) -> Result<Step, AccountsError> {
    let terms = terms_of(deposit)?;
    let currency = terms.currency();
    let period = current_period(deposit)?;
    let next_day = deposit
        .accrued_through
        .and_then(|day| day.succ_opt())
        .unwrap_or(deposit.opened_on);

    // A day is accrued once it is over.
    if next_day < period.ends_on && next_day < today {
        let base = money(deposit, deposit.period_base)?;
        let amount = period.accrual_on(base, terms.annual_rate(), next_day);
        let transfer_id = if amount.is_positive() {
            let (payable, expense) = bank_accounts(state, currency).await?;
            let booked = book(
                state,
                &format!("deposit:{}:accrual:{next_day}", deposit.id),
                TransferKind::DepositInterest,
                vec![
                    leg(expense, Side::Debit, amount.amount(), currency),
                    leg(payable, Side::Credit, amount.amount(), currency),
                ],
                job_actor(),
            )
            .await?
            .map_err(AccountsError::Transfer)?;
            Some(booked)
        } else {
            None
        };
        db::deposits::record_accrual(
            connection,
            deposit.id,
            next_day,
            amount.amount(),
            transfer_id,
        )
        .await?;
        return Ok(Step::Accrued);
    }
    if next_day < period.ends_on || today < period.ends_on {
        return Ok(Step::Idle);
    }

    let (payable, _) = bank_accounts(state, currency).await?;
    if period.ends_on == deposit.matures_on {
        let balance = deposit.principal + deposit.interest_capitalised;
        let mut legs = vec![leg(
            AccountId::from_uuid(deposit.account_id),
            Side::Debit,
            balance,
            currency,
        )];
        if deposit.period_accrued > Decimal::ZERO {
            legs.push(leg(payable, Side::Debit, deposit.period_accrued, currency));
        }
        legs.push(leg(
            AccountId::from_uuid(deposit.current_account_id),
            Side::Credit,
            balance + deposit.period_accrued,
            currency,
        ));
        let transfer_id = book(
            state,
            &format!("deposit:{}:maturity", deposit.id),
            TransferKind::TermDeposit,
            legs,
            job_actor(),
        )
        .await?
        .map_err(AccountsError::Transfer)?;
        db::deposits::record_matured(connection, deposit, transfer_id).await?;
        db::accounts::close(connection, deposit.account_id, state.calendar.now()).await?;
        audit_step(
            connection,
            deposit,
            "deposit.matured",
            json!({
                "returned": (balance + deposit.period_accrued).to_string(),
                "interest": (deposit.interest_paid + deposit.interest_capitalised
                    + deposit.period_accrued).to_string(),
                "transfer_id": transfer_id,
            }),
        )
        .await?;
        events::announce_money_moved(
            connection,
            deposit.client_id,
            Movement::TermDeposit,
            transfer_id,
        )
        .await?;
        return Ok(Step::Matured);
    }

    let destination = if deposit.capitalised {
        deposit.account_id
    } else {
        deposit.current_account_id
    };
    let transfer_id = if deposit.period_accrued > Decimal::ZERO {
        let booked = book(
            state,
            &format!("deposit:{}:interest:{}", deposit.id, period.ends_on),
            TransferKind::DepositInterest,
            vec![
                leg(payable, Side::Debit, deposit.period_accrued, currency),
                leg(
                    AccountId::from_uuid(destination),
                    Side::Credit,
                    deposit.period_accrued,
                    currency,
                ),
            ],
            job_actor(),
        )
        .await?
        .map_err(AccountsError::Transfer)?;
        Some(booked)
    } else {
        None
    };
    let next_base = if deposit.capitalised {
        deposit.period_base + deposit.period_accrued
    } else {
        deposit.period_base
    };
    db::deposits::record_period_paid(connection, deposit, period.ends_on, transfer_id, next_base)
        .await?;
    audit_step(
        connection,
        deposit,
        if deposit.capitalised {
            "deposit.interest_capitalised"
        } else {
            "deposit.interest_paid"
        },
        json!({
            "period_ends_on": period.ends_on,
            "amount": deposit.period_accrued.to_string(),
            "transfer_id": transfer_id,
        }),
    )
    .await?;
    if let (Some(transfer_id), false) = (transfer_id, deposit.capitalised) {
        events::announce_money_moved(
            connection,
            deposit.client_id,
            Movement::TermDeposit,
            transfer_id,
        )
        .await?;
    }
    Ok(Step::PeriodPaid)
}

/// Takes every step due before `today` on every deposit with work left.
pub async fn run_through(state: &AppState, today: NaiveDate) -> Result<RunReport, AccountsError> {
    let mut report = RunReport::default();
    for id in db::deposits::unsettled(&state.pool).await? {
        loop {
            match step(state, id, today).await? {
                Step::Accrued => report.accrued_days += 1,
                Step::PeriodPaid => report.periods_paid += 1,
                Step::Matured => report.matured += 1,
                Step::Finished => report.finished += 1,
                Step::Idle => break,
            }
        }
    }
    Ok(report)
}

/// Runs the deposits every ten minutes until `shutdown`, through the bank's today.
pub fn spawn_daily(state: AppState, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            let today = state.calendar.today();
            if let Err(error) = run_through(&state, today).await {
                tracing::warn!(%error, "the term deposits' run failed; it will retry");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RUN_EVERY) => {}
            }
        }
    });
}
