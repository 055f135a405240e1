//! Accounts: opening them, issuing their numbers, finding them.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// An account as stored, with its current balances (in normal-side sign).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: Uuid,
    pub number: String,
    pub kind: String,
    /// The person who owns it; none for a company's or the bank's account.
    pub owner_client_id: Option<Uuid>,
    /// The company that owns it (a `company_current` account); none otherwise.
    pub owner_company_id: Option<Uuid>,
    pub currency: String,
    pub normal_side: String,
    pub allow_negative: bool,
    pub name: Option<String>,
    pub posted_balance: Decimal,
    pub pending_holds: Decimal,
    pub created_at: DateTime<Utc>,
    /// When the client closed it; a closed account is empty and takes no new entries.
    pub closed_at: Option<DateTime<Utc>>,
}

/// What opening an account writes.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub id: Uuid,
    pub number: &'a str,
    pub kind: &'a str,
    pub owner_client_id: Option<Uuid>,
    pub owner_company_id: Option<Uuid>,
    pub currency: &'a str,
    pub normal_side: &'a str,
    pub allow_negative: bool,
    pub name: Option<&'a str>,
}

/// The 8-digit owner code of a client, a person or a company (keyed by the company's id),
/// assigned on first use.
pub async fn client_code(connection: &mut PgConnection, client_id: Uuid) -> sqlx::Result<i32> {
    sqlx::query!(
        "insert into client_code (client_id) values ($1) on conflict do nothing",
        client_id
    )
    .execute(&mut *connection)
    .await?;
    sqlx::query_scalar!(
        "select code from client_code where client_id = $1",
        client_id
    )
    .fetch_one(&mut *connection)
    .await
}

/// The serial after the highest one used by accounts with this prefix (balance account and currency, 8 digits) and
/// owner code gets. Holds a transaction-scoped lock on the pair, so two openings for the same
/// owner cannot pick the same serial; the lock ends with the caller's transaction.
pub async fn next_serial(
    connection: &mut PgConnection,
    prefix: &str,
    owner_code: &str,
) -> sqlx::Result<i64> {
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtext('account-serial:' || $1 || ':' || $2))",
        prefix,
        owner_code
    )
    .execute(&mut *connection)
    .await?;
    let highest_serial = sqlx::query_scalar!(
        r#"select coalesce(max(substr(number, 18, 3)::int8), 0) as "highest_serial!" from account
         where substr(number, 1, 8) = $1 and substr(number, 10, 8) = $2"#,
        prefix,
        owner_code
    )
    .fetch_one(&mut *connection)
    .await?;
    Ok(highest_serial + 1)
}

pub async fn insert(
    connection: &mut PgConnection,
    account: &NewAccount<'_>,
) -> sqlx::Result<AccountRow> {
    sqlx::query_as!(
        AccountRow,
        "insert into account (id, number, kind, owner_client_id, owner_company_id, currency, normal_side,
                              allow_negative, name)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         returning id, number, kind, owner_client_id, owner_company_id, currency, normal_side, allow_negative, name,
               posted_balance, pending_holds, created_at, closed_at",
        account.id,
        account.number,
        account.kind,
        account.owner_client_id,
        account.owner_company_id,
        account.currency,
        account.normal_side,
        account.allow_negative,
        account.name
    )
    .fetch_one(connection)
    .await
}

pub async fn find_by_number(
    executor: impl PgExecutor<'_>,
    number: &str,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        "select id, number, kind, owner_client_id, owner_company_id, currency, normal_side, allow_negative, name,
               posted_balance, pending_holds, created_at, closed_at
         from account where number = $1",
        number
    )
    .fetch_optional(executor)
    .await
}

pub async fn find_by_id(
    executor: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        "select id, number, kind, owner_client_id, owner_company_id, currency, normal_side, allow_negative, name,
               posted_balance, pending_holds, created_at, closed_at
         from account where id = $1",
        id
    )
    .fetch_optional(executor)
    .await
}

/// The ids of the accounts with these numbers; numbers without an account are left out.
pub async fn ids_by_numbers(
    executor: impl PgExecutor<'_>,
    numbers: &[String],
) -> sqlx::Result<Vec<(String, Uuid)>> {
    let rows = sqlx::query!(
        "select number, id from account where number = any($1)",
        numbers
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|row| (row.number, row.id)).collect())
}

/// Whether any of the accounts numbered `numbers` belongs to `client_id` or to a company they
/// operate: a member of staff who founded a company moves its money no more than their own.
pub async fn any_owned_by(
    executor: impl PgExecutor<'_>,
    numbers: &[String],
    client_id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from account
                          where number = any($1)
                            and (owner_client_id = $2
                                 or owner_company_id in (select company_id from company
                                                         where founder_client_id = $2)))
               as "owned!""#,
        numbers,
        client_id
    )
    .fetch_one(executor)
    .await
}

/// Whether any of the accounts with these ids belongs to `client_id` or to a company they
/// operate.
pub async fn any_id_owned_by(
    executor: impl PgExecutor<'_>,
    ids: &[Uuid],
    client_id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from account
                          where id = any($1)
                            and (owner_client_id = $2
                                 or owner_company_id in (select company_id from company
                                                         where founder_client_id = $2)))
               as "owned!""#,
        ids,
        client_id
    )
    .fetch_one(executor)
    .await
}

/// A client's accounts, optionally of one kind, oldest first.
pub async fn list_for_client(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    kind: Option<&str>,
) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        "select id, number, kind, owner_client_id, owner_company_id, currency, normal_side, allow_negative, name,
               posted_balance, pending_holds, created_at, closed_at
         from account
         where owner_client_id = $1 and ($2::text is null or kind = $2)
         order by created_at, number",
        client_id,
        kind
    )
    .fetch_all(executor)
    .await
}

/// The bank's first account of a kind in a currency, if one is open.
pub async fn find_bank_account(
    executor: impl PgExecutor<'_>,
    kind: &str,
    currency: &str,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        "select id, number, kind, owner_client_id, owner_company_id, currency, normal_side, allow_negative, name,
               posted_balance, pending_holds, created_at, closed_at
         from account
         where owner_client_id is null and kind = $1 and currency = $2
         order by created_at, number limit 1",
        kind,
        currency
    )
    .fetch_optional(executor)
    .await
}

/// Serialises the openings of one owner's accounts of one kind, so that "open one if there is
/// none" cannot open two.
pub async fn lock_owner_kind(
    connection: &mut PgConnection,
    owner: &str,
    kind: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtext('account-owner:' || $1 || ':' || $2))",
        owner,
        kind
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Whether the client has ever held a current account: one is opened when their KYC is
/// approved, so this is the ledger's knowledge that they passed it.
pub async fn has_current_account(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from account
                          where owner_client_id = $1 and kind = 'client_current') as "held!""#,
        client_id
    )
    .fetch_one(executor)
    .await
}

/// How many open current accounts the client has in `currency`.
pub async fn count_open_current(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    currency: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "open!" from account
         where owner_client_id = $1 and kind = 'client_current' and currency = $2
           and closed_at is null"#,
        client_id,
        currency
    )
    .fetch_one(executor)
    .await
}

pub async fn rename(
    connection: &mut PgConnection,
    id: Uuid,
    name: Option<&str>,
) -> sqlx::Result<AccountRow> {
    sqlx::query_as!(
        AccountRow,
        "update account set name = $2 where id = $1
         returning id, number, kind, owner_client_id, owner_company_id, currency, normal_side, allow_negative, name,
               posted_balance, pending_holds, created_at, closed_at",
        id,
        name
    )
    .fetch_one(connection)
    .await
}

pub async fn close(
    connection: &mut PgConnection,
    id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<AccountRow> {
    sqlx::query_as!(
        AccountRow,
        "update account set closed_at = $2 where id = $1
         returning id, number, kind, owner_client_id, owner_company_id, currency, normal_side, allow_negative, name,
               posted_balance, pending_holds, created_at, closed_at",
        id,
        at
    )
    .fetch_one(connection)
    .await
}

// The statements below are checked when they run (`sqlx::query_as` rather than the macros):
// they are new with companies' accounts, and the columns they read are those of `AccountRow`.

/// The columns of an [`AccountRow`], for the statements below.
const ACCOUNT_COLUMNS: &str = "a.id, a.number, a.kind, a.owner_client_id, a.owner_company_id,
    a.currency, a.normal_side, a.allow_negative, a.name, a.posted_balance, a.pending_holds,
    a.created_at, a.closed_at";

/// A company as accounts knows it: approved by onboarding, operated by its founder.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyRow {
    pub company_id: Uuid,
    pub founder_client_id: Uuid,
    pub stir: String,
    pub approved_at: DateTime<Utc>,
}

/// Records a company whose KYC was approved, unless it is known already. Answers the stored
/// row, so a repeated approval keeps the founder and figures of the first, and whether this
/// call recorded it.
pub async fn record_company(
    connection: &mut PgConnection,
    company: &CompanyRow,
) -> sqlx::Result<(CompanyRow, bool)> {
    let inserted = sqlx::query(
        "insert into company (company_id, founder_client_id, stir, approved_at)
         values ($1, $2, $3, $4) on conflict (company_id) do nothing",
    )
    .bind(company.company_id)
    .bind(company.founder_client_id)
    .bind(&company.stir)
    .bind(company.approved_at)
    .execute(&mut *connection)
    .await?
    .rows_affected()
        == 1;
    let stored = sqlx::query_as(
        "select company_id, founder_client_id, stir, approved_at from company where company_id = $1",
    )
    .bind(company.company_id)
    .fetch_one(&mut *connection)
    .await?;
    Ok((stored, inserted))
}

/// The founder who operates the company's accounts, if the company is known.
pub async fn company_founder(
    executor: impl PgExecutor<'_>,
    company_id: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("select founder_client_id from company where company_id = $1")
        .bind(company_id)
        .fetch_optional(executor)
        .await
}

/// A company's accounts, optionally of one kind, oldest first.
pub async fn list_for_company(
    executor: impl PgExecutor<'_>,
    company_id: Uuid,
    kind: Option<&str>,
) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from account a
         where a.owner_company_id = $1 and ($2::text is null or a.kind = $2)
         order by a.created_at, a.number"
    ))
    .bind(company_id)
    .bind(kind)
    .fetch_all(executor)
    .await
}

/// The accounts a client may use: their own, then those of the companies they found, each
/// group oldest first.
pub async fn list_operated_by(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from account a
         where a.owner_client_id = $1
            or a.owner_company_id in (select company_id from company where founder_client_id = $1)
         order by a.owner_company_id is not null, a.created_at, a.number"
    ))
    .bind(client_id)
    .fetch_all(executor)
    .await
}

/// The condition that the account `a` is one the client `$2` may use: their own, or one of a
/// company they founded, since a company acts online through its founder.
const OPERATED_BY_CLIENT: &str = "(a.owner_client_id = $2
     or a.owner_company_id in (select company_id from company where founder_client_id = $2))";

/// The account with this number if the client may use it; anyone else's is not found.
pub async fn find_operated(
    executor: impl PgExecutor<'_>,
    number: &str,
    client_id: Uuid,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from account a where a.number = $1 and {OPERATED_BY_CLIENT}"
    ))
    .bind(number)
    .bind(client_id)
    .fetch_optional(executor)
    .await
}

/// Locks the account with this number if the client may use it; anyone else's is not found.
pub async fn lock_operated(
    connection: &mut PgConnection,
    number: &str,
    client_id: Uuid,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from account a where a.number = $1 and {OPERATED_BY_CLIENT}
         for update of a"
    ))
    .bind(number)
    .bind(client_id)
    .fetch_optional(connection)
    .await
}

/// The client who acts for the account: its owner, or the founder of the company owning it.
/// The bank's own accounts have none.
pub async fn operator_of(
    executor: impl PgExecutor<'_>,
    account: &AccountRow,
) -> sqlx::Result<Option<Uuid>> {
    match (account.owner_client_id, account.owner_company_id) {
        (Some(client_id), _) => Ok(Some(client_id)),
        (None, Some(company_id)) => company_founder(executor, company_id).await,
        (None, None) => Ok(None),
    }
}

/// How many open current accounts in `currency` the company of this account holds.
pub async fn count_open_company_current(
    executor: impl PgExecutor<'_>,
    company_id: Uuid,
    currency: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from account
         where owner_company_id = $1 and kind = 'company_current' and currency = $2
           and closed_at is null",
    )
    .bind(company_id)
    .bind(currency)
    .fetch_one(executor)
    .await
}

/// Whether the row is a current account, a person's or a company's.
pub fn is_current(row: &AccountRow) -> bool {
    row.kind
        .parse::<crate::domain::account::AccountKind>()
        .is_ok_and(crate::domain::account::AccountKind::is_current)
}
