//! The arrears job's record of the dates it ran and what it found.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A contract overdue on a date.
#[derive(Debug, Clone)]
pub struct NewArrearsDay {
    pub contract_id: Uuid,
    pub as_of: NaiveDate,
    pub total_overdue: Decimal,
    pub penalty: Decimal,
    pub days_past_due: i32,
    pub bucket: &'static str,
    pub overdue_installments: i32,
}

/// A row of the officers' arrears list.
#[derive(Debug, Clone)]
pub struct ArrearsItemRow {
    pub contract_id: Uuid,
    pub client_id: Uuid,
    pub company_id: Uuid,
    pub currency: String,
    pub total_overdue: Decimal,
    pub penalty_outstanding: Decimal,
    pub days_past_due: i32,
    pub bucket: String,
    pub overdue_installments: i32,
}

/// A bucket's count and total in one currency.
#[derive(Debug, Clone)]
pub struct BucketTotalRow {
    pub bucket: String,
    pub currency: String,
    pub contracts: i64,
    pub total_overdue: Decimal,
}

/// Records that a date is being assessed; true when it was completed before.
pub async fn start_date(
    connection: &mut PgConnection,
    as_of: NaiveDate,
) -> Result<bool, sqlx::Error> {
    sqlx::query!(
        "insert into arrears_run (as_of) values ($1) on conflict (as_of) do nothing",
        as_of
    )
    .execute(&mut *connection)
    .await?;
    sqlx::query_scalar!(
        r#"select completed_at is not null as "completed!" from arrears_run where as_of = $1"#,
        as_of
    )
    .fetch_one(connection)
    .await
}

/// Marks a date assessed for every loan; answers how many were overdue on it.
pub async fn complete_date(
    connection: &mut PgConnection,
    as_of: NaiveDate,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(
        "update arrears_run
         set completed_at = now(),
             contracts_overdue = (select count(*) from arrears_day where as_of = $1)
         where as_of = $1
         returning contracts_overdue",
        as_of
    )
    .fetch_one(connection)
    .await
}

/// Whether the contract was assessed for the date already.
pub async fn day_exists(
    connection: &mut PgConnection,
    contract_id: Uuid,
    as_of: NaiveDate,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from arrears_day where contract_id = $1 and as_of = $2) as "exists!""#,
        contract_id,
        as_of
    )
    .fetch_one(connection)
    .await
}

/// The latest date every loan was assessed for.
pub async fn last_run<'e>(executor: impl PgExecutor<'e>) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar!("select max(as_of) from arrears_run where completed_at is not null")
        .fetch_one(executor)
        .await
}

/// The earliest first due date of the active loans: the first date anything can be overdue.
pub async fn earliest_first_due_date(
    connection: &mut PgConnection,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar!(
"select min(first_due_date) from contract where status = 'active' and programme_kind = 'loan'"
)
    .fetch_one(connection)
    .await
}

/// The active loans disbursed by `as_of`, by id.
pub async fn active_loans(
    connection: &mut PgConnection,
    as_of: NaiveDate,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "select id from contract
         where status = 'active' and programme_kind = 'loan' and disbursement_date <= $1
         order by id",
        as_of
    )
    .fetch_all(connection)
    .await
}

pub async fn insert_day(
    connection: &mut PgConnection,
    day: &NewArrearsDay,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
"insert into arrears_day (contract_id, as_of, total_overdue, penalty, days_past_due, bucket,
             overdue_installments)
         values ($1, $2, $3, $4, $5, $6, $7)",
day.contract_id,
day.as_of,
day.total_overdue,
day.penalty,
day.days_past_due,
day.bucket,
day.overdue_installments
)
    .execute(connection)
    .await?;
    Ok(())
}

/// The contract's bucket on a date, if it was overdue then.
pub async fn bucket_on(
    connection: &mut PgConnection,
    contract_id: Uuid,
    as_of: NaiveDate,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select bucket from arrears_day where contract_id = $1 and as_of = $2",
        contract_id,
        as_of
    )
    .fetch_optional(connection)
    .await
}

/// The active contracts overdue on `as_of`, optionally in one bucket, by contract id after the
/// cursor.
pub async fn list_overdue<'e>(
    executor: impl PgExecutor<'e>,
    as_of: NaiveDate,
    bucket: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ArrearsItemRow>, sqlx::Error> {
    sqlx::query_as!(
        ArrearsItemRow,
        "select d.contract_id, c.client_id, c.company_id, c.currency, d.total_overdue,
             c.penalty_outstanding, d.days_past_due, d.bucket, d.overdue_installments
         from arrears_day d join contract c on c.id = d.contract_id
         where d.as_of = $1 and c.status = 'active'
           and ($2::text is null or d.bucket = $2) and ($3::uuid is null or d.contract_id > $3)
         order by d.contract_id limit $4",
        as_of,
        bucket,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}

/// Counts and totals per bucket and currency on `as_of`.
pub async fn bucket_totals<'e>(
    executor: impl PgExecutor<'e>,
    as_of: NaiveDate,
) -> Result<Vec<BucketTotalRow>, sqlx::Error> {
    sqlx::query_as!(
        BucketTotalRow,
        // Each group has a row, so its count and its sum of a not-null column are never null.
        r#"select d.bucket, c.currency, count(*) as "contracts!",
             sum(d.total_overdue) as "total_overdue!"
         from arrears_day d join contract c on c.id = d.contract_id
         where d.as_of = $1 and c.status = 'active'
         group by d.bucket, c.currency order by d.bucket, c.currency"#,
        as_of
    )
    .fetch_all(executor)
    .await
}
