//! Term deposit products, clients' deposits, and the daily job's progress through their
//! interest.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A product as stored.
#[derive(Debug, Clone)]
pub struct ProductRow {
    pub id: Uuid,
    pub name: String,
    pub currency: String,
    pub term_months: i16,
    pub annual_rate: Decimal,
    pub early_withdrawal_rate: Decimal,
    pub min_amount: Decimal,
    pub interest_payout: String,
    pub capitalised: bool,
    pub state: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// What creating a product writes.
#[derive(Debug, Clone)]
pub struct NewProduct<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub currency: &'a str,
    pub term_months: i16,
    pub annual_rate: Decimal,
    pub early_withdrawal_rate: Decimal,
    pub min_amount: Decimal,
    pub interest_payout: &'a str,
    pub capitalised: bool,
    pub created_by: Uuid,
}

pub async fn insert_product(
    connection: &mut PgConnection,
    product: &NewProduct<'_>,
) -> sqlx::Result<ProductRow> {
    sqlx::query_as!(
        ProductRow,
        "insert into deposit_product (id, name, currency, term_months, annual_rate,
                                      early_withdrawal_rate, min_amount, interest_payout,
                                      capitalised, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         returning id, name, currency, term_months, annual_rate, early_withdrawal_rate,
                   min_amount, interest_payout, capitalised, state, created_by, created_at,
                   withdrawn_at",
        product.id,
        product.name,
        product.currency,
        product.term_months,
        product.annual_rate,
        product.early_withdrawal_rate,
        product.min_amount,
        product.interest_payout,
        product.capitalised,
        product.created_by
    )
    .fetch_one(connection)
    .await
}

/// Products, newest first: only those on offer unless `withdrawn_too`.
pub async fn list_products(
    executor: impl PgExecutor<'_>,
    withdrawn_too: bool,
) -> sqlx::Result<Vec<ProductRow>> {
    sqlx::query_as!(
        ProductRow,
        "select id, name, currency, term_months, annual_rate, early_withdrawal_rate,
                min_amount, interest_payout, capitalised, state, created_by, created_at,
                withdrawn_at
         from deposit_product
         where $1 or state = 'offered'
         order by created_at desc, id",
        withdrawn_too
    )
    .fetch_all(executor)
    .await
}

pub async fn find_product(
    executor: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<ProductRow>> {
    sqlx::query_as!(
        ProductRow,
        "select id, name, currency, term_months, annual_rate, early_withdrawal_rate,
                min_amount, interest_payout, capitalised, state, created_by, created_at,
                withdrawn_at
         from deposit_product where id = $1",
        id
    )
    .fetch_optional(executor)
    .await
}

/// Withdraws an offered product; `None` when there is no such product on offer.
pub async fn withdraw_product(
    connection: &mut PgConnection,
    id: Uuid,
    by: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<Option<ProductRow>> {
    sqlx::query_as!(
        ProductRow,
        "update deposit_product set state = 'withdrawn', withdrawn_by = $2, withdrawn_at = $3
         where id = $1 and state = 'offered'
         returning id, name, currency, term_months, annual_rate, early_withdrawal_rate,
                   min_amount, interest_payout, capitalised, state, created_by, created_at,
                   withdrawn_at",
        id,
        by,
        at
    )
    .fetch_optional(connection)
    .await
}

/// A deposit as stored.
#[derive(Debug, Clone)]
pub struct DepositRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub product_id: Uuid,
    pub product_name: String,
    pub currency: String,
    pub term_months: i16,
    pub annual_rate: Decimal,
    pub early_withdrawal_rate: Decimal,
    pub interest_payout: String,
    pub capitalised: bool,
    pub principal: Decimal,
    pub account_id: Uuid,
    pub account_number: String,
    pub current_account_id: Uuid,
    pub current_account_number: String,
    pub opened_on: NaiveDate,
    pub matures_on: NaiveDate,
    pub state: String,
    pub open_fingerprint: String,
    pub accrued_through: Option<NaiveDate>,
    pub period_starts_on: NaiveDate,
    pub period_base: Decimal,
    pub period_accrued: Decimal,
    pub interest_paid: Decimal,
    pub interest_capitalised: Decimal,
    pub early_interest: Option<Decimal>,
    pub returned: Option<Decimal>,
    pub closed_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

/// What opening a deposit writes.
#[derive(Debug, Clone)]
pub struct NewDeposit<'a> {
    pub id: Uuid,
    pub client_id: Uuid,
    pub product: &'a ProductRow,
    pub principal: Decimal,
    pub account_id: Uuid,
    pub current_account_id: Uuid,
    pub opened_on: NaiveDate,
    pub matures_on: NaiveDate,
    pub open_key: &'a str,
    pub open_fingerprint: &'a str,
}

/// Records a deposit as `opening`; `None` when the client used the key already (the caller
/// then reads that deposit).
pub async fn insert_deposit(
    connection: &mut PgConnection,
    deposit: &NewDeposit<'_>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "insert into term_deposit (id, client_id, product_id, currency, term_months, annual_rate,
                                   early_withdrawal_rate, interest_payout, capitalised,
                                   principal, account_id, current_account_id, opened_on,
                                   matures_on, state, open_key, open_fingerprint,
                                   period_starts_on, period_base)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'opening', $15,
                 $16, $13, $10)
         on conflict (client_id, open_key) do nothing",
        deposit.id,
        deposit.client_id,
        deposit.product.id,
        deposit.product.currency,
        deposit.product.term_months,
        deposit.product.annual_rate,
        deposit.product.early_withdrawal_rate,
        deposit.product.interest_payout,
        deposit.product.capitalised,
        deposit.principal,
        deposit.account_id,
        deposit.current_account_id,
        deposit.opened_on,
        deposit.matures_on,
        deposit.open_key,
        deposit.open_fingerprint
    )
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The deposit, with its product's name and its accounts' numbers; locked when `lock`, and
/// then skipped (not waited for) when `skip_locked` and another transaction holds it.
macro_rules! select_deposit {
    ($where:literal, $($argument:expr),*) => {
        sqlx::query_as!(
            DepositRow,
            "select d.id, d.client_id, d.product_id, p.name as product_name, d.currency,
                    d.term_months, d.annual_rate, d.early_withdrawal_rate, d.interest_payout,
                    d.capitalised, d.principal, d.account_id, a.number as account_number,
                    d.current_account_id, c.number as current_account_number, d.opened_on,
                    d.matures_on, d.state, d.open_fingerprint, d.accrued_through,
                    d.period_starts_on, d.period_base, d.period_accrued, d.interest_paid,
                    d.interest_capitalised, d.early_interest, d.returned, d.closed_on,
                    d.created_at
             from term_deposit d
             join deposit_product p on p.id = d.product_id
             join account a on a.id = d.account_id
             join account c on c.id = d.current_account_id "
            + $where,
            $($argument),*
        )
    };
}

/// The client's deposit opened under `key`, locked.
pub async fn lock_by_key(
    connection: &mut PgConnection,
    client_id: Uuid,
    key: &str,
) -> sqlx::Result<Option<DepositRow>> {
    select_deposit!(
        "where d.client_id = $1 and d.open_key = $2 for update of d",
        client_id,
        key
    )
    .fetch_optional(connection)
    .await
}

/// The deposit, locked; another client's is not found.
pub async fn lock_for_client(
    connection: &mut PgConnection,
    id: Uuid,
    client_id: Uuid,
) -> sqlx::Result<Option<DepositRow>> {
    select_deposit!(
        "where d.id = $1 and d.client_id = $2 for update of d",
        id,
        client_id
    )
    .fetch_optional(connection)
    .await
}

/// The deposit, locked, unless another transaction holds it (a second runner passes over it).
pub async fn lock_unless_busy(
    connection: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<DepositRow>> {
    select_deposit!("where d.id = $1 for update of d skip locked", id)
        .fetch_optional(connection)
        .await
}

/// The deposit as it is now (a fresh read after a lock, whose statement's snapshot predates
/// the transaction that released it).
pub async fn find(executor: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<DepositRow>> {
    select_deposit!("where d.id = $1", id)
        .fetch_optional(executor)
        .await
}

/// The client's deposits, newest first; an opening refused for want of money is left out.
pub async fn list_for_client(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
) -> sqlx::Result<Vec<DepositRow>> {
    select_deposit!(
        "where d.client_id = $1 and d.state <> 'refused' order by d.created_at desc, d.id",
        client_id
    )
    .fetch_all(executor)
    .await
}

/// Deposits the daily job still has work on: opening, open or closing.
pub async fn unsettled(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "select id from term_deposit where state in ('opening', 'open', 'closing') order by id"
    )
    .fetch_all(executor)
    .await
}

pub async fn set_state(connection: &mut PgConnection, id: Uuid, state: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update term_deposit set state = $2 where id = $1",
        id,
        state
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Books one day's accrual: the day's row and the deposit's progress.
pub async fn record_accrual(
    connection: &mut PgConnection,
    id: Uuid,
    day: NaiveDate,
    amount: Decimal,
    transfer_id: Option<Uuid>,
) -> sqlx::Result<()> {
    if let Some(transfer_id) = transfer_id {
        sqlx::query!(
            "insert into deposit_accrual (deposit_id, day, amount, transfer_id)
             values ($1, $2, $3, $4)",
            id,
            day,
            amount,
            transfer_id
        )
        .execute(&mut *connection)
        .await?;
    }
    sqlx::query!(
        "update term_deposit
         set accrued_through = $2, period_accrued = period_accrued + $3
         where id = $1",
        id,
        day,
        amount
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Records a monthly period's interest paid (or capitalised) and starts the next period on
/// `next_base`.
pub async fn record_period_paid(
    connection: &mut PgConnection,
    deposit: &DepositRow,
    period_ends_on: NaiveDate,
    transfer_id: Option<Uuid>,
    next_base: Decimal,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into deposit_interest_payment
             (deposit_id, period_ends_on, amount, capitalised, transfer_id)
         values ($1, $2, $3, $4, $5)",
        deposit.id,
        period_ends_on,
        deposit.period_accrued,
        deposit.capitalised,
        transfer_id
    )
    .execute(&mut *connection)
    .await?;
    sqlx::query!(
        "update term_deposit
         set period_starts_on = $2, period_base = $3, period_accrued = 0,
             interest_paid = interest_paid
                 + case when capitalised then 0::numeric else $4::numeric end,
             interest_capitalised = interest_capitalised
                 + case when capitalised then $4::numeric else 0::numeric end
         where id = $1",
        deposit.id,
        period_ends_on,
        next_base,
        deposit.period_accrued
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Records the maturity: the last period's interest paid with the principal.
pub async fn record_matured(
    connection: &mut PgConnection,
    deposit: &DepositRow,
    transfer_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into deposit_interest_payment
             (deposit_id, period_ends_on, amount, capitalised, transfer_id)
         values ($1, $2, $3, false, $4)",
        deposit.id,
        deposit.matures_on,
        deposit.period_accrued,
        transfer_id
    )
    .execute(&mut *connection)
    .await?;
    sqlx::query!(
        "update term_deposit
         set state = 'matured', closed_on = matures_on, period_starts_on = matures_on,
             interest_paid = interest_paid + period_accrued, period_accrued = 0
         where id = $1",
        deposit.id
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Decides an early closure: the day and its settlement, before its transfer is booked.
pub async fn record_closing(
    connection: &mut PgConnection,
    id: Uuid,
    closed_on: NaiveDate,
    early_interest: Decimal,
    returned: Decimal,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update term_deposit
         set state = 'closing', closed_on = $2, early_interest = $3, returned = $4
         where id = $1 and state = 'open'",
        id,
        closed_on,
        early_interest,
        returned
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// One row of a deposit's interest history.
#[derive(Debug, Clone)]
pub struct InterestPaymentRow {
    pub period_ends_on: NaiveDate,
    pub amount: Decimal,
    pub capitalised: bool,
}

pub async fn interest_payments(
    executor: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Vec<InterestPaymentRow>> {
    sqlx::query_as!(
        InterestPaymentRow,
        "select period_ends_on, amount, capitalised from deposit_interest_payment
         where deposit_id = $1 order by period_ends_on",
        id
    )
    .fetch_all(executor)
    .await
}
