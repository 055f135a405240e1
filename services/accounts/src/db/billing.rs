//! The catalogue of payees, the simulated billing system's invoices, and clients' payments of
//! invoices.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PayeeRow {
    pub code: String,
    pub name: String,
    pub category: String,
}

pub async fn list_payees(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<PayeeRow>> {
    sqlx::query_as!(
        PayeeRow,
        "select code, name, category from billing_payee order by category, name"
    )
    .fetch_all(executor)
    .await
}

pub async fn find_payee(
    executor: impl PgExecutor<'_>,
    code: &str,
) -> sqlx::Result<Option<PayeeRow>> {
    sqlx::query_as!(
        PayeeRow,
        "select code, name, category from billing_payee where code = $1",
        code
    )
    .fetch_optional(executor)
    .await
}

/// Adds a payee unless its code is taken.
pub async fn insert_payee(
    connection: &mut PgConnection,
    code: &str,
    name: &str,
    category: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into billing_payee (code, name, category) values ($1, $2, $3)
         on conflict (code) do nothing",
        code,
        name,
        category
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// An invoice of the simulated billing system.
#[derive(Debug, Clone)]
pub struct InvoiceRow {
    pub number: String,
    pub payee_code: String,
    pub description: String,
    pub amount: Decimal,
    pub currency: String,
    pub expires_on: NaiveDate,
    pub paid_reference: Option<Uuid>,
    pub confirmation_number: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
}

pub async fn find_invoice(
    executor: impl PgExecutor<'_>,
    number: &str,
) -> sqlx::Result<Option<InvoiceRow>> {
    sqlx::query_as!(
        InvoiceRow,
        "select number, payee_code, description, amount, currency, expires_on, paid_reference,
                confirmation_number, paid_at
         from simulated_invoice where number = $1",
        number
    )
    .fetch_optional(executor)
    .await
}

pub async fn lock_invoice(
    connection: &mut PgConnection,
    number: &str,
) -> sqlx::Result<Option<InvoiceRow>> {
    sqlx::query_as!(
        InvoiceRow,
        "select number, payee_code, description, amount, currency, expires_on, paid_reference,
                confirmation_number, paid_at
         from simulated_invoice where number = $1 for update",
        number
    )
    .fetch_optional(connection)
    .await
}

pub async fn mark_invoice_paid(
    connection: &mut PgConnection,
    number: &str,
    reference: Uuid,
    confirmation_number: &str,
    paid_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update simulated_invoice
         set paid_reference = $2, confirmation_number = $3, paid_at = $4
         where number = $1",
        number,
        reference,
        confirmation_number,
        paid_at
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// What the demo seed writes for one invoice.
#[derive(Debug, Clone)]
pub struct NewInvoice<'a> {
    pub number: &'a str,
    pub payee_code: &'a str,
    pub description: &'a str,
    pub amount: Decimal,
    pub expires_on: NaiveDate,
}

/// Adds an invoice unless its number is taken.
pub async fn insert_invoice(
    connection: &mut PgConnection,
    invoice: &NewInvoice<'_>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into simulated_invoice (number, payee_code, description, amount, currency,
                                        expires_on)
         values ($1, $2, $3, $4, 'UZS', $5)
         on conflict (number) do nothing",
        invoice.number,
        invoice.payee_code,
        invoice.description,
        invoice.amount,
        invoice.expires_on
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// A client's payment of an invoice, with the payee's name and the account's number.
#[derive(Debug, Clone)]
pub struct BillPaymentRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub fingerprint: String,
    pub payee_code: String,
    pub payee_name: String,
    pub payee_category: String,
    pub invoice_number: String,
    pub description: String,
    pub amount: Decimal,
    pub currency: String,
    pub from_account_id: Uuid,
    pub from_account_number: String,
    pub hold_transfer_id: Option<Uuid>,
    pub state: String,
    pub confirmation_number: Option<String>,
    pub refusal: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

macro_rules! select_payment {
    ($where:literal, $($argument:expr),*) => {
        sqlx::query_as!(
            BillPaymentRow,
            "select b.id, b.client_id, b.fingerprint, b.payee_code, p.name as payee_name,
                    p.category as payee_category, b.invoice_number, b.description, b.amount,
                    b.currency, b.from_account_id, a.number as from_account_number,
                    b.hold_transfer_id, b.state, b.confirmation_number, b.refusal,
                    b.created_at, b.decided_at
             from bill_payment b
             join billing_payee p on p.code = b.payee_code
             join account a on a.id = b.from_account_id "
            + $where,
            $($argument),*
        )
    };
}

/// What writing a payment down records.
#[derive(Debug, Clone)]
pub struct NewBillPayment<'a> {
    pub id: Uuid,
    pub client_id: Uuid,
    pub idempotency_key: &'a str,
    pub fingerprint: &'a str,
    pub payee_code: &'a str,
    pub invoice_number: &'a str,
    pub description: &'a str,
    pub amount: Decimal,
    pub currency: &'a str,
    pub from_account_id: Uuid,
}

/// Writes a payment down as pending. `false` when the client's key or the invoice is taken
/// (the caller finds out which).
pub async fn insert_payment(
    connection: &mut PgConnection,
    payment: &NewBillPayment<'_>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "insert into bill_payment (id, client_id, idempotency_key, fingerprint, payee_code,
                                   invoice_number, description, amount, currency,
                                   from_account_id, state)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending')
         on conflict do nothing",
        payment.id,
        payment.client_id,
        payment.idempotency_key,
        payment.fingerprint,
        payment.payee_code,
        payment.invoice_number,
        payment.description,
        payment.amount,
        payment.currency,
        payment.from_account_id
    )
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The client's payment made under `key`, locked.
pub async fn lock_by_key(
    connection: &mut PgConnection,
    client_id: Uuid,
    key: &str,
) -> sqlx::Result<Option<BillPaymentRow>> {
    select_payment!(
        "where b.client_id = $1 and b.idempotency_key = $2 for update of b",
        client_id,
        key
    )
    .fetch_optional(connection)
    .await
}

/// The payment, locked, unless another transaction holds it.
pub async fn lock_unless_busy(
    connection: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<BillPaymentRow>> {
    select_payment!("where b.id = $1 for update of b skip locked", id)
        .fetch_optional(connection)
        .await
}

pub async fn find(executor: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<BillPaymentRow>> {
    select_payment!("where b.id = $1", id)
        .fetch_optional(executor)
        .await
}

/// Whether the invoice is paid, or being paid, by a payment that was not refused.
pub async fn invoice_taken(
    executor: impl PgExecutor<'_>,
    payee_code: &str,
    invoice_number: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from bill_payment
                          where payee_code = $1 and invoice_number = $2
                            and state <> 'refused') as "taken!""#,
        payee_code,
        invoice_number
    )
    .fetch_one(executor)
    .await
}

/// The client's payments, newest first.
pub async fn list_for_client(
    executor: impl PgExecutor<'_>,
    client_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<BillPaymentRow>> {
    select_payment!(
        "where b.client_id = $1 order by b.created_at desc, b.id limit $2",
        client_id,
        limit
    )
    .fetch_all(executor)
    .await
}

/// Pending payments written down before `before`: the retry run's work.
pub async fn pending_before(
    executor: impl PgExecutor<'_>,
    before: DateTime<Utc>,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "select id from bill_payment where state = 'pending' and created_at < $1
         order by created_at",
        before
    )
    .fetch_all(executor)
    .await
}

pub async fn set_hold(
    connection: &mut PgConnection,
    id: Uuid,
    hold_transfer_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update bill_payment set hold_transfer_id = $2 where id = $1",
        id,
        hold_transfer_id
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn mark_paid(
    connection: &mut PgConnection,
    id: Uuid,
    confirmation_number: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update bill_payment set state = 'paid', confirmation_number = $2, decided_at = $3
         where id = $1 and state = 'pending'",
        id,
        confirmation_number,
        at
    )
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn mark_refused(
    connection: &mut PgConnection,
    id: Uuid,
    refusal: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update bill_payment set state = 'refused', refusal = $2, decided_at = $3
         where id = $1 and state = 'pending'",
        id,
        refusal,
        at
    )
    .execute(connection)
    .await?;
    Ok(())
}
