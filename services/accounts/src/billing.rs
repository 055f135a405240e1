//! The billing interface: how the bank finds an invoice of the state or a utility and tells
//! the payee's billing system that it was paid. The platform talks to billing systems only
//! through [`BillingSystem`]; [`SimulatedBilling`] is the demo's system, inside the platform,
//! with a handful of invoices of its own. A real adapter (the state's payment gateway, a
//! utility's API) implements the same trait.
//!
//! # The contract an implementation keeps
//!
//! - [`BillingSystem::lookup`] answers an invoice's payee, amount and whether it can still be
//!   paid (paid already, or past its expiry date).
//! - [`BillingSystem::settle`] marks an invoice paid by the bank's payment `reference` and
//!   answers the system's confirmation number. It is idempotent on the reference: settling
//!   again with the same reference answers the same confirmation, so the bank may retry after
//!   a timeout without paying twice. It refuses an invoice paid by another reference, an
//!   expired invoice and an amount that is not the invoice's.
//! - [`BillingError::Unavailable`] means "not decided": the bank keeps the money held and
//!   asks again later.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, NaiveDate, Utc};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::money::{Currency, Money};
use rand::rngs::OsRng;
use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;

/// A boxed future, so that the trait can be used as `dyn BillingSystem`.
pub type BillingFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, BillingError>> + Send + 'a>>;

/// Whether an invoice can be paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceStatus {
    Payable,
    Paid,
    Expired,
}

impl InvoiceStatus {
    pub fn code(self) -> &'static str {
        match self {
            InvoiceStatus::Payable => "payable",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Expired => "expired",
        }
    }
}

/// An invoice as its billing system describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub number: String,
    pub payee_code: String,
    pub description: String,
    pub amount: Money,
    pub expires_on: NaiveDate,
    pub status: InvoiceStatus,
}

/// What the bank asks a billing system to record as paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    pub invoice_number: String,
    pub amount: Money,
    /// The bank's payment id: settling twice with it settles once.
    pub reference: Uuid,
}

/// The billing system's word that an invoice is paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    pub number: String,
    pub paid_at: DateTime<Utc>,
}

/// Why a billing system did not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    #[error("no invoice has this number")]
    NotFound,
    #[error("the invoice is already paid")]
    AlreadyPaid,
    #[error("the invoice expired on {0}")]
    Expired(NaiveDate),
    #[error("the amount is not the invoice's")]
    AmountMismatch,
    /// Not decided: the system did not answer or failed. Ask again later.
    #[error("the billing system is unavailable: {0}")]
    Unavailable(String),
}

impl BillingError {
    /// The stable code a client is refused with.
    pub fn code(&self) -> &'static str {
        match self {
            BillingError::NotFound => "invoice_not_found",
            BillingError::AlreadyPaid => "invoice_already_paid",
            BillingError::Expired(_) => "invoice_expired",
            BillingError::AmountMismatch => "invoice_amount_mismatch",
            BillingError::Unavailable(_) => "billing_unavailable",
        }
    }
}

/// A payee's billing system, as the bank reaches it.
pub trait BillingSystem: Send + Sync {
    /// The invoice with this number.
    fn lookup<'a>(&'a self, number: &'a str) -> BillingFuture<'a, Invoice>;

    /// Records the invoice paid by `settlement.reference`; idempotent on the reference.
    fn settle<'a>(&'a self, settlement: &'a Settlement) -> BillingFuture<'a, Confirmation>;
}

/// The demo's billing system: its invoices are rows of `simulated_invoice` in the service's
/// own database, and "today" is the bank's calendar's.
pub struct SimulatedBilling {
    pool: PgPool,
    calendar: BankCalendar,
}

impl SimulatedBilling {
    pub fn new(pool: PgPool, calendar: BankCalendar) -> SimulatedBilling {
        SimulatedBilling { pool, calendar }
    }

    fn status(&self, invoice: &db::billing::InvoiceRow) -> InvoiceStatus {
        if invoice.paid_at.is_some() {
            InvoiceStatus::Paid
        } else if self.calendar.today() > invoice.expires_on {
            InvoiceStatus::Expired
        } else {
            InvoiceStatus::Payable
        }
    }
}

fn unavailable(error: impl std::fmt::Display) -> BillingError {
    BillingError::Unavailable(error.to_string())
}

/// A confirmation number as the simulated system issues them: `SB-` and twelve digits.
fn new_confirmation_number() -> String {
    format!("SB-{:012}", OsRng.next_u64() % 1_000_000_000_000)
}

impl BillingSystem for SimulatedBilling {
    fn lookup<'a>(&'a self, number: &'a str) -> BillingFuture<'a, Invoice> {
        Box::pin(async move {
            let row = db::billing::find_invoice(&self.pool, number)
                .await
                .map_err(unavailable)?
                .ok_or(BillingError::NotFound)?;
            let currency: Currency = row.currency.parse().map_err(unavailable)?;
            Ok(Invoice {
                status: self.status(&row),
                amount: Money::new(row.amount, currency).map_err(unavailable)?,
                number: row.number,
                payee_code: row.payee_code,
                description: row.description,
                expires_on: row.expires_on,
            })
        })
    }

    fn settle<'a>(&'a self, settlement: &'a Settlement) -> BillingFuture<'a, Confirmation> {
        Box::pin(async move {
            let mut transaction = self.pool.begin().await.map_err(unavailable)?;
            let row = db::billing::lock_invoice(&mut transaction, &settlement.invoice_number)
                .await
                .map_err(unavailable)?
                .ok_or(BillingError::NotFound)?;
            if let (Some(reference), Some(number), Some(paid_at)) =
                (row.paid_reference, &row.confirmation_number, row.paid_at)
            {
                return if reference == settlement.reference {
                    Ok(Confirmation {
                        number: number.clone(),
                        paid_at,
                    })
                } else {
                    Err(BillingError::AlreadyPaid)
                };
            }
            if self.status(&row) == InvoiceStatus::Expired {
                return Err(BillingError::Expired(row.expires_on));
            }
            if row.amount != settlement.amount.amount()
                || row.currency != settlement.amount.currency().code()
            {
                return Err(BillingError::AmountMismatch);
            }
            let confirmation = Confirmation {
                number: new_confirmation_number(),
                paid_at: self.calendar.now(),
            };
            db::billing::mark_invoice_paid(
                &mut transaction,
                &row.number,
                settlement.reference,
                &confirmation.number,
                confirmation.paid_at,
            )
            .await
            .map_err(unavailable)?;
            transaction.commit().await.map_err(unavailable)?;
            Ok(confirmation)
        })
    }
}
