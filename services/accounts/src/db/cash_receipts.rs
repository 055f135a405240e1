//! Receipts of cash paid in at a counter, one per deposit proposal.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// A receipt as recorded with its deposit's proposal.
#[derive(Debug, Clone)]
pub struct NewCashReceipt<'a> {
    pub receipt_number: &'a str,
    pub proposal_id: Uuid,
    pub account_id: Uuid,
    pub amount: Decimal,
    pub currency: &'a str,
    pub recorded_by: Uuid,
}

/// Records the receipt; false when its number was used before, by any deposit.
pub async fn insert(
    connection: &mut PgConnection,
    receipt: &NewCashReceipt<'_>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "insert into cash_receipt
            (receipt_number, proposal_id, account_id, amount, currency, recorded_by)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (receipt_number) do nothing",
        receipt.receipt_number,
        receipt.proposal_id,
        receipt.account_id,
        receipt.amount,
        receipt.currency,
        receipt.recorded_by,
    )
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
