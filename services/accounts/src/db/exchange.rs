//! Exchange rates (proposed, published, rejected), clients' exchange quotes, and the FX
//! position report.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A rate as stored.
#[derive(Debug, Clone)]
pub struct RateRow {
    pub id: Uuid,
    pub base_currency: String,
    pub quote_currency: String,
    pub buy_rate: Decimal,
    pub sell_rate: Decimal,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub state: String,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
}

/// A rate to propose.
#[derive(Debug, Clone)]
pub struct NewRate<'a> {
    pub id: Uuid,
    pub base_currency: &'a str,
    pub quote_currency: &'a str,
    pub buy_rate: Decimal,
    pub sell_rate: Decimal,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
}

pub async fn insert_rate(
    connection: &mut PgConnection,
    rate: &NewRate<'_>,
) -> sqlx::Result<RateRow> {
    sqlx::query_as!(
        RateRow,
        "insert into fx_rate (id, base_currency, quote_currency, buy_rate, sell_rate, valid_from,
                              valid_until, state, proposed_by, proposed_at)
         values ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8, $9)
         returning id, base_currency, quote_currency, buy_rate, sell_rate, valid_from,
                   valid_until, state, proposed_by, proposed_at, decided_by, decided_at,
                   rejection_reason",
        rate.id,
        rate.base_currency,
        rate.quote_currency,
        rate.buy_rate,
        rate.sell_rate,
        rate.valid_from,
        rate.valid_until,
        rate.proposed_by,
        rate.proposed_at
    )
    .fetch_one(connection)
    .await
}

/// Rates in one state (or all), newest proposal first, after the cursor `before` (a proposal
/// time) when given.
pub async fn list_rates(
    executor: impl PgExecutor<'_>,
    state: Option<&str>,
    before: Option<DateTime<Utc>>,
    limit: i64,
) -> sqlx::Result<Vec<RateRow>> {
    sqlx::query_as!(
        RateRow,
        "select id, base_currency, quote_currency, buy_rate, sell_rate, valid_from, valid_until,
                state, proposed_by, proposed_at, decided_by, decided_at, rejection_reason
         from fx_rate
         where ($1::text is null or state = $1) and ($2::timestamptz is null or proposed_at < $2)
         order by proposed_at desc, id
         limit $3",
        state,
        before,
        limit
    )
    .fetch_all(executor)
    .await
}

/// Locks a rate for its decision.
pub async fn lock_rate(connection: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<RateRow>> {
    sqlx::query_as!(
        RateRow,
        "select id, base_currency, quote_currency, buy_rate, sell_rate, valid_from, valid_until,
                state, proposed_by, proposed_at, decided_by, decided_at, rejection_reason
         from fx_rate where id = $1 for update",
        id
    )
    .fetch_optional(connection)
    .await
}

/// Publishes or rejects a proposed rate.
pub async fn decide_rate(
    connection: &mut PgConnection,
    id: Uuid,
    state: &str,
    decided_by: Uuid,
    decided_at: DateTime<Utc>,
    rejection_reason: Option<&str>,
) -> sqlx::Result<RateRow> {
    sqlx::query_as!(
        RateRow,
        "update fx_rate set state = $2, decided_by = $3, decided_at = $4, rejection_reason = $5
         where id = $1 and state = 'proposed'
         returning id, base_currency, quote_currency, buy_rate, sell_rate, valid_from,
                   valid_until, state, proposed_by, proposed_at, decided_by, decided_at,
                   rejection_reason",
        id,
        state,
        decided_by,
        decided_at,
        rejection_reason
    )
    .fetch_one(connection)
    .await
}

/// The published rate of each pair in force at `at`: of those whose window holds `at`, the
/// one that took effect last (the one published last, if two took effect together).
pub async fn rates_in_force(
    executor: impl PgExecutor<'_>,
    at: DateTime<Utc>,
) -> sqlx::Result<Vec<RateRow>> {
    sqlx::query_as!(
        RateRow,
        "select distinct on (base_currency, quote_currency)
                id, base_currency, quote_currency, buy_rate, sell_rate, valid_from, valid_until,
                state, proposed_by, proposed_at, decided_by, decided_at, rejection_reason
         from fx_rate
         where state = 'published' and valid_from <= $1 and valid_until > $1
         order by base_currency, quote_currency, valid_from desc, decided_at desc",
        at
    )
    .fetch_all(executor)
    .await
}

/// A rate by id, in any state.
pub async fn find_rate(executor: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<RateRow>> {
    sqlx::query_as!(
        RateRow,
        "select id, base_currency, quote_currency, buy_rate, sell_rate, valid_from, valid_until,
                state, proposed_by, proposed_at, decided_by, decided_at, rejection_reason
         from fx_rate where id = $1",
        id
    )
    .fetch_optional(executor)
    .await
}

/// A client's exchange quote as stored.
#[derive(Debug, Clone)]
pub struct ExchangeQuoteRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub rate_id: Uuid,
    pub from_account_id: Uuid,
    pub to_account_id: Uuid,
    pub sell_amount: Decimal,
    pub buy_amount: Decimal,
    pub applied_rate: Decimal,
    pub mid_rate: Decimal,
    pub confirmation_token: String,
    pub expires_at: DateTime<Utc>,
    pub transfer_id: Option<Uuid>,
}

pub async fn insert_quote(
    connection: &mut PgConnection,
    quote: &ExchangeQuoteRow,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into exchange_quote (id, client_id, rate_id, from_account_id, to_account_id,
                                     sell_amount, buy_amount, applied_rate, mid_rate,
                                     confirmation_token, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        quote.id,
        quote.client_id,
        quote.rate_id,
        quote.from_account_id,
        quote.to_account_id,
        quote.sell_amount,
        quote.buy_amount,
        quote.applied_rate,
        quote.mid_rate,
        quote.confirmation_token,
        quote.expires_at
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Deletes up to `batch` expired, unconfirmed quotes of anyone.
pub async fn forget_expired_quotes(
    connection: &mut PgConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from exchange_quote where id in (
             select id from exchange_quote
             where transfer_id is null and expires_at < $1
             limit $2)",
        now,
        batch
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// How many of the client's quotes await confirmation, counted under a per-client lock that
/// lasts until the caller's transaction ends, so two quotes at once cannot both squeeze in.
pub async fn count_open_quotes_locked(
    connection: &mut PgConnection,
    client_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtextextended('exchange_quote:' || $1::uuid::text, 0))",
        client_id
    )
    .execute(&mut *connection)
    .await?;
    sqlx::query_scalar!(
        r#"select count(*) as "open!" from exchange_quote
         where client_id = $1 and transfer_id is null and expires_at >= $2"#,
        client_id,
        now
    )
    .fetch_one(connection)
    .await
}

/// Locks the client's quote for its confirmation; another client's quote is not found.
pub async fn lock_quote(
    connection: &mut PgConnection,
    id: Uuid,
    client_id: Uuid,
) -> sqlx::Result<Option<ExchangeQuoteRow>> {
    sqlx::query_as!(
        ExchangeQuoteRow,
        "select id, client_id, rate_id, from_account_id, to_account_id, sell_amount, buy_amount,
                applied_rate, mid_rate, confirmation_token, expires_at, transfer_id
         from exchange_quote where id = $1 and client_id = $2 for update",
        id,
        client_id
    )
    .fetch_optional(connection)
    .await
}

pub async fn mark_confirmed(
    connection: &mut PgConnection,
    id: Uuid,
    transfer_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update exchange_quote set transfer_id = $2 where id = $1",
        id,
        transfer_id
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// One currency's line of the FX position report.
#[derive(Debug, Clone)]
pub struct PositionLine {
    pub currency: String,
    /// The position account's balance when the day began and when it ended.
    pub opening: Decimal,
    pub closing: Decimal,
    /// What the bank bought from clients (credits) and sold to them (debits) that day.
    pub bought: Decimal,
    pub sold: Decimal,
    /// The exchange income booked that day, net of losses.
    pub income: Decimal,
    /// The exchanges that moved this currency's position that day.
    pub exchanges: i64,
}

/// The bank's FX position per currency over [start, end), from the entries of its position
/// and income accounts. A currency without a position account has no line.
pub async fn position_between(
    executor: impl PgExecutor<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> sqlx::Result<Vec<PositionLine>> {
    sqlx::query_as!(
        PositionLine,
        r#"select p.currency as "currency!",
                  coalesce((select e.balance_after from entry e
                            where e.account_id = p.id and e.created_at < $1
                            order by e.created_at desc, e.id desc limit 1), 0) as "opening!",
                  coalesce((select e.balance_after from entry e
                            where e.account_id = p.id and e.created_at < $2
                            order by e.created_at desc, e.id desc limit 1), 0) as "closing!",
                  coalesce(day.bought, 0) as "bought!",
                  coalesce(day.sold, 0) as "sold!",
                  coalesce((select sum(case when e.side = 'credit' then e.amount else -e.amount end)
                            from account i join entry e on e.account_id = i.id
                            where i.kind = 'fx_income' and i.owner_client_id is null
                              and i.currency = p.currency
                              and e.created_at >= $1 and e.created_at < $2), 0) as "income!",
                  coalesce(day.exchanges, 0) as "exchanges!"
           from account p
           left join lateral (
               select sum(e.amount) filter (where e.side = 'credit') as bought,
                      sum(e.amount) filter (where e.side = 'debit') as sold,
                      count(distinct e.transfer_id) as exchanges
               from entry e
               where e.account_id = p.id and e.created_at >= $1 and e.created_at < $2
           ) day on true
           where p.kind = 'fx_position' and p.owner_client_id is null
           order by p.currency"#,
        start,
        end
    )
    .fetch_all(executor)
    .await
}
