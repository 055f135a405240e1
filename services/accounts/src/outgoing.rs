//! Money leaving the bank: a client's payment held on their current account towards the
//! bank's settlement (correspondent) account until whoever receives it outside the bank (a
//! billing system, the interbank clearing) confirms it, then posted, or voided when refused.

use imkon_platform::idempotency;
use imkon_platform::money::{Currency, Money};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::db;
use crate::domain::account::{AccountId, AccountKind, AccountOwner};
use crate::domain::hold::HoldError;
use crate::domain::transfer::{
    IdempotencyKey, Transfer, TransferKind, TransferReference, TransferViolations,
};
use crate::error::AccountsError;
use crate::http::holds::Settler;
use crate::ledger::{Booked, TransferRequest, LEDGER_SCOPE};
use crate::opening::{open_once, AccountOpening};
use crate::AppState;

/// The bank's settlement account in `currency`, read on `connection`, the caller's.
///
/// The account is opened (and committed, so that the ledger writer sees it) if the bank has
/// none yet, on a connection of its own rather than one from the pool: the caller already
/// holds one of the pool's connections, and under load every one of them may be held by a
/// request waiting right here, so asking the pool for another would wait until the request
/// times out.
pub async fn settlement_account(
    connection: &mut PgConnection,
    state: &AppState,
    currency: Currency,
) -> Result<AccountId, AccountsError> {
    let kind = AccountKind::BankSettlement;
    if let Some(account) =
        db::accounts::find_bank_account(&mut *connection, kind.code(), currency.code()).await?
    {
        return Ok(AccountId::from_uuid(account.id));
    }
    let mut own = PgConnection::connect_with(&state.pool.connect_options()).await?;
    let mut transaction = own.begin().await?;
    let account = open_once(
        &mut transaction,
        state.bank,
        &AccountOpening {
            kind,
            owner: AccountOwner::Bank,
            currency,
            allow_negative: true,
            name: Some("Settlement account at the Central Bank"),
        },
        "first payment leaving the bank in this currency",
    )
    .await?;
    transaction.commit().await?;
    Ok(AccountId::from_uuid(account.id))
}

/// A payment to hold: its ledger key (derived from the payment, so a retry holds once), what
/// the statement shows, the client's account and the amount.
pub struct Leaving<'a> {
    pub key: &'a str,
    pub reference: &'a str,
    pub kind: TransferKind,
    pub from: Uuid,
    pub amount: Money,
}

/// Holds the money; the ledger's refusal (money short, account closed) is returned as its code.
/// `connection` is the caller's (it holds the payment's row); the ledger writes on its own.
pub async fn hold(
    connection: &mut PgConnection,
    state: &AppState,
    leaving: &Leaving<'_>,
    settler: &Settler,
) -> Result<Result<Uuid, String>, AccountsError> {
    let settlement = settlement_account(connection, state, leaving.amount.currency()).await?;
    let violation = |violation| AccountsError::Violations(TransferViolations(vec![violation]));
    let transfer = Transfer::two_legs(
        IdempotencyKey::parse(leaving.key).map_err(violation)?,
        leaving.kind,
        TransferReference::parse(leaving.reference).map_err(violation)?,
        AccountId::from_uuid(leaving.from),
        settlement,
        leaving.amount,
    );
    let fingerprint = idempotency::fingerprint(
        "HOLD",
        leaving.key,
        format!("{}:{}", leaving.from, leaving.amount.amount()).as_bytes(),
    );
    let answer = state
        .ledger
        .submit(TransferRequest {
            scope: LEDGER_SCOPE.to_owned(),
            fingerprint,
            transfer,
            hold: true,
            actor_id: settler.id,
            actor_roles: settler.roles.clone(),
            request_id: imkon_platform::telemetry::current_request_id(),
        })
        .await;
    match answer {
        Ok(Booked::Created(record) | Booked::Replayed(record)) => Ok(Ok(record.id)),
        // A hold refused by the ledger comes back wrapped as a hold's error; either way the
        // refusal is the payment's answer, which the caller records, not a failure to retry.
        Err(
            AccountsError::Transfer(refusal) | AccountsError::Hold(HoldError::Transfer(refusal)),
        ) => Ok(Err(refusal.code().to_owned())),
        Err(error) => Err(error),
    }
}
