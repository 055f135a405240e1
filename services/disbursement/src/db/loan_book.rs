//! The loan book: what the bank is owed on its loans on a date, read through the `loan_book`
//! SQL function (migration 1050), which computes each loan's figures in one place, with each
//! loan's arrangement fee and late charges added in one query text (`BOOK_WITH_CHARGES`) that
//! the totals and the pages share.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgExecutor;
use uuid::Uuid;

/// One loan's line in the book.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BookContractRow {
    pub contract_id: Uuid,
    pub client_id: Uuid,
    pub programme_id: Uuid,
    pub currency: String,
    pub status: String,
    pub loan_account_number: Option<String>,
    pub disbursed: Decimal,
    pub repaid_principal: Decimal,
    pub outstanding_principal: Decimal,
    pub interest_due: Decimal,
    pub penalty_outstanding: Decimal,
    pub days_past_due: i32,
    /// The arrangement fee the bank collected on the loan (kept back from the first payout or
    /// paid at signing); zero when none was charged or it was refunded.
    pub arrangement_fee_collected: Decimal,
    /// The late-payment charges levied on the loan by the book date. They were added to the
    /// penalty owed, so they are part of the penalties, never an amount beside them.
    pub late_charges_applied: Decimal,
}

/// A programme's loans in one currency, summed. Written-off loans are counted apart and left
/// out of the outstanding figures and of the portfolio at risk; the fees collected and the late
/// charges levied are what happened on every loan, written off or not.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgrammeTotalsRow {
    pub programme_id: Uuid,
    pub currency: String,
    pub active_contracts: i64,
    pub outstanding_principal: Decimal,
    pub interest_due: Decimal,
    pub penalty_outstanding: Decimal,
    pub par30_principal: Decimal,
    pub par90_principal: Decimal,
    pub written_off_contracts: i64,
    pub written_off_principal: Decimal,
    /// Paid back on written-off loans since their write-off.
    pub recovered: Decimal,
    pub arrangement_fees_collected: Decimal,
    /// Part of the penalties levied, as [`BookContractRow::late_charges_applied`].
    pub late_charges_applied: Decimal,
}

/// Each loan of the book on `$1` with its fee and late-charge figures, for the queries below
/// to filter and sum. A fee counts once its transfer is recorded and while no refund of it is
/// (a refunded fee belongs to a cancelled contract, which the book never holds; the condition
/// keeps the figure true should that ever change). Each instalment is charged at most once, on
/// the day it keeps in `late_charged_on`, at the contract's charge fixed at approval.
const BOOK_WITH_CHARGES: &str = "
    select loan_book.*,
           case when c.arrangement_fee_transfer_id is not null
                     and c.arrangement_fee_refund_transfer_id is null
                then c.arrangement_fee else 0 end as arrangement_fee_collected,
           c.late_charge * (select count(*) from installment i
                            where i.contract_id = c.id and i.late_charged_on <= $1)
               as late_charges_applied
    from loan_book($1)
    join contract c on c.id = loan_book.contract_id";

/// Money paid out on loans in one month and currency.
#[derive(Debug, Clone)]
pub struct MonthDisbursedRow {
    pub month: NaiveDate,
    pub currency: String,
    pub amount: Decimal,
}

/// Money repaid on loans in one month and currency, by part.
#[derive(Debug, Clone)]
pub struct MonthRepaidRow {
    pub month: NaiveDate,
    pub currency: String,
    pub principal: Decimal,
    pub interest: Decimal,
    pub penalty: Decimal,
}

/// Every programme's totals on `book_date`, by currency then programme.
pub async fn programme_totals<'e>(
    executor: impl PgExecutor<'e>,
    book_date: NaiveDate,
) -> Result<Vec<ProgrammeTotalsRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "with book as ({BOOK_WITH_CHARGES})
         select programme_id,
                currency,
                count(*) filter (where status = 'active') as active_contracts,
                coalesce(sum(outstanding_principal) filter (where status <> 'written_off'), 0)
                    as outstanding_principal,
                coalesce(sum(interest_due) filter (where status <> 'written_off'), 0)
                    as interest_due,
                coalesce(sum(penalty_outstanding) filter (where status <> 'written_off'), 0)
                    as penalty_outstanding,
                coalesce(sum(outstanding_principal)
                    filter (where status <> 'written_off' and days_past_due > 30), 0)
                    as par30_principal,
                coalesce(sum(outstanding_principal)
                    filter (where status <> 'written_off' and days_past_due > 90), 0)
                    as par90_principal,
                count(*) filter (where status = 'written_off') as written_off_contracts,
                coalesce(sum(outstanding_principal) filter (where status = 'written_off'), 0)
                    as written_off_principal,
                coalesce(sum(recovered.amount), 0) as recovered,
                coalesce(sum(arrangement_fee_collected), 0) as arrangement_fees_collected,
                coalesce(sum(late_charges_applied), 0) as late_charges_applied
         from book
         left join lateral (
             select sum(r.amount) as amount from recovery r where r.contract_id = book.contract_id
         ) recovered on true
         group by programme_id, currency
         order by currency, programme_id"
    ))
    .bind(book_date)
    .fetch_all(executor)
    .await
}

/// Which of the book's loans a page holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct BookFilter {
    /// Only this programme's loans.
    pub programme_id: Option<Uuid>,
    /// Only the loans with a loan account at the ledger, which the reconciliation compares.
    pub with_loan_account: bool,
}

/// A page of the book's loans after `cursor` (by contract id), as `filter` narrows them.
pub async fn contracts_page<'e>(
    executor: impl PgExecutor<'e>,
    book_date: NaiveDate,
    filter: BookFilter,
    cursor: Option<Uuid>,
    limit: i64,
) -> Result<Vec<BookContractRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select * from ({BOOK_WITH_CHARGES}) book
         where ($2::uuid is null or programme_id = $2)
           and (not $3 or loan_account_number is not null)
           and ($4::uuid is null or contract_id > $4)
         order by contract_id
         limit $5"
    ))
    .bind(book_date)
    .bind(filter.programme_id)
    .bind(filter.with_loan_account)
    .bind(cursor)
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// Loan money paid out per month (the bank's calendar, Tashkent) and currency, oldest first.
pub async fn disbursed_by_month<'e>(
    executor: impl PgExecutor<'e>,
) -> Result<Vec<MonthDisbursedRow>, sqlx::Error> {
    sqlx::query_as!(
        MonthDisbursedRow,
        r#"select date_trunc('month', t.disbursed_at at time zone 'Asia/Tashkent')::date
                      as "month!",
                  c.currency as "currency!",
                  sum(t.amount) as "amount!"
           from tranche t
           join contract c on c.id = t.contract_id
           where c.programme_kind = 'loan' and t.status = 'disbursed'
           group by 1, 2
           order by 1, 2"#
    )
    .fetch_all(executor)
    .await
}

/// Loan repayments per month and currency, by part, oldest first.
pub async fn repaid_by_month<'e>(
    executor: impl PgExecutor<'e>,
) -> Result<Vec<MonthRepaidRow>, sqlx::Error> {
    sqlx::query_as!(
        MonthRepaidRow,
        r#"select date_trunc('month', r.repaid_on)::date as "month!",
                  c.currency as "currency!",
                  sum(r.principal) as "principal!",
                  sum(r.interest) as "interest!",
                  sum(r.penalty) as "penalty!"
           from repayment r
           join contract c on c.id = r.contract_id
           group by 1, 2
           order by 1, 2"#
    )
    .fetch_all(executor)
    .await
}

/// What a loan's client still owes as principal: paid out less principal repaid.
pub async fn outstanding_principal<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Decimal, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select (select coalesce(sum(amount), 0) from tranche
                   where contract_id = $1 and status = 'disbursed')
                - (select coalesce(sum(principal), 0) from repayment where contract_id = $1)
                as "outstanding!""#,
        contract_id
    )
    .fetch_one(executor)
    .await
}
