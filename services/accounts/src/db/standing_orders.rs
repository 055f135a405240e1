//! Payment templates, standing orders and what became of each standing order on each due date.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A template with its accounts' numbers and currency.
#[derive(Debug, Clone)]
pub struct TemplateRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub from_account_id: Uuid,
    pub from_account: String,
    pub to_account_id: Uuid,
    pub to_account: String,
    pub amount: Decimal,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_template(
    connection: &mut PgConnection,
    id: Uuid,
    client_id: Uuid,
    name: &str,
    from_account_id: Uuid,
    to_account_id: Uuid,
    amount: Decimal,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into payment_template (id, client_id, name, from_account_id, to_account_id, amount)
         values ($1, $2, $3, $4, $5, $6)",
        id,
        client_id,
        name,
        from_account_id,
        to_account_id,
        amount
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The client's templates, oldest first, or the one with `id` when given.
pub async fn templates_of(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    id: Option<Uuid>,
) -> sqlx::Result<Vec<TemplateRow>> {
    sqlx::query_as!(
        TemplateRow,
        "select t.id, t.client_id, t.name, t.from_account_id, f.number as from_account,
                t.to_account_id, d.number as to_account, t.amount, f.currency, t.created_at
         from payment_template t
         join account f on f.id = t.from_account_id
         join account d on d.id = t.to_account_id
         where t.client_id = $1 and ($2::uuid is null or t.id = $2)
         order by t.created_at, t.id",
        client_id,
        id
    )
    .fetch_all(executor)
    .await
}

/// A standing order with its last decided payment.
#[derive(Debug, Clone)]
pub struct StandingOrderRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub template_id: Uuid,
    pub day_of_month: i16,
    pub starts_on: NaiveDate,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub last_due_on: Option<NaiveDate>,
    pub last_outcome: Option<String>,
    pub last_reason: Option<String>,
}

pub async fn insert_standing_order(
    connection: &mut PgConnection,
    id: Uuid,
    client_id: Uuid,
    template_id: Uuid,
    day_of_month: i16,
    starts_on: NaiveDate,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into standing_order (id, client_id, template_id, day_of_month, starts_on, state)
         values ($1, $2, $3, $4, $5, 'active')",
        id,
        client_id,
        template_id,
        day_of_month,
        starts_on
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The client's standing orders, oldest first, or the one with `id` when given.
pub async fn standing_orders_of(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    id: Option<Uuid>,
) -> sqlx::Result<Vec<StandingOrderRow>> {
    sqlx::query_as!(
        StandingOrderRow,
        r#"select o.id, o.client_id, o.template_id, o.day_of_month, o.starts_on, o.state,
                  o.created_at, last.due_on as "last_due_on?", last.outcome as "last_outcome?",
                  last.reason as "last_reason?"
           from standing_order o
           left join lateral (
               select r.due_on, r.outcome, r.reason from standing_order_run r
               where r.standing_order_id = o.id order by r.due_on desc limit 1
           ) last on true
           where o.client_id = $1 and ($2::uuid is null or o.id = $2)
           order by o.created_at, o.id"#,
        client_id,
        id
    )
    .fetch_all(executor)
    .await
}

/// Cancels the client's active standing order; false when there is none with this id.
pub async fn cancel(
    connection: &mut PgConnection,
    id: Uuid,
    client_id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let cancelled = sqlx::query!(
        "update standing_order set state = 'cancelled', cancelled_at = $3
         where id = $1 and client_id = $2 and state = 'active'",
        id,
        client_id,
        at
    )
    .execute(connection)
    .await?;
    Ok(cancelled.rows_affected() == 1)
}

/// A standing order due on a date, with what its payment needs.
#[derive(Debug, Clone)]
pub struct DueOrder {
    pub id: Uuid,
    pub client_id: Uuid,
    pub from_account_id: Uuid,
    pub to_account_id: Uuid,
    pub amount: Decimal,
    pub currency: String,
}

/// The ids of the active standing orders due on `day` (their day of the month, on or after
/// their start) whose payment of that date is not decided yet.
pub async fn due_on(executor: impl PgExecutor<'_>, day: NaiveDate) -> sqlx::Result<Vec<Uuid>> {
    let day_of_month = i16::try_from(chrono::Datelike::day(&day)).unwrap_or(i16::MAX);
    sqlx::query_scalar!(
        "select o.id from standing_order o
         where o.state = 'active' and o.day_of_month = $1 and o.starts_on <= $2
           and not exists (select 1 from standing_order_run r
                           where r.standing_order_id = o.id and r.due_on = $2)
         order by o.id",
        day_of_month,
        day
    )
    .fetch_all(executor)
    .await
}

/// Locks one due order for its payment of `day`, unless another runner holds it or its
/// payment of that date is decided already (or it was cancelled meanwhile).
pub async fn lock_due(
    connection: &mut PgConnection,
    id: Uuid,
    day: NaiveDate,
) -> sqlx::Result<Option<DueOrder>> {
    sqlx::query_as!(
        DueOrder,
        "select o.id, o.client_id, t.from_account_id, t.to_account_id, t.amount, f.currency
         from standing_order o
         join payment_template t on t.id = o.template_id
         join account f on f.id = t.from_account_id
         where o.id = $1 and o.state = 'active'
           and not exists (select 1 from standing_order_run r
                           where r.standing_order_id = o.id and r.due_on = $2)
         for update of o skip locked",
        id,
        day
    )
    .fetch_optional(connection)
    .await
}

/// Whether the payment of `day` is decided. Asked again once the order's lock is held: the
/// statement that took the lock judged by a snapshot from before it waited, so it can miss the
/// decision of the runner it waited for; this statement's snapshot comes after.
pub async fn is_decided(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    day: NaiveDate,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from standing_order_run
                          where standing_order_id = $1 and due_on = $2) as "decided!""#,
        id,
        day
    )
    .fetch_one(executor)
    .await
}

/// Records what became of a standing order's payment of `day`.
pub async fn record_run(
    connection: &mut PgConnection,
    id: Uuid,
    day: NaiveDate,
    reason: Option<&str>,
    transfer_id: Option<Uuid>,
) -> sqlx::Result<()> {
    let outcome = if transfer_id.is_some() {
        "booked"
    } else {
        "skipped"
    };
    sqlx::query!(
        "insert into standing_order_run (standing_order_id, due_on, outcome, reason, transfer_id)
         values ($1, $2, $3, $4, $5)",
        id,
        day,
        outcome,
        reason,
        transfer_id
    )
    .execute(connection)
    .await?;
    Ok(())
}
