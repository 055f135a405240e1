//! The interbank clearing interface: how payments leave for other banks and how payments from
//! them arrive. The platform reaches the clearing only through [`Clearing`] and the incoming
//! file format below; [`SimulatedClearing`] is the demo's clearing house, inside the platform.
//! A real adapter (the Central Bank's interbank payment system) implements the same trait and
//! delivers files in the same format.
//!
//! # Outgoing: batches
//!
//! The bank hands its outgoing payments over in batches, one per cut-off (see
//! [`crate::interbank`]). [`Clearing::submit`] is idempotent on the batch's id. Later,
//! [`Clearing::status`] answers whether the batch is settled and, for each payment, whether it
//! reached the other bank or was returned with a reason.
//!
//! # Incoming: files
//!
//! Payments from other banks arrive as a text file, UTF-8, one record per line:
//!
//! ```text
//! IMKON-CLEARING 1 INCOMING 2026-12-05
//! <reference>|<payer bank MFO>|<payer account>|<payer name>|<payee account>|<amount>|<purpose>
//! …
//! TOTAL <records>|<sum of amounts>
//! ```
//!
//! Amounts are sums (UZS) with a point and two decimals. The reference is the clearing's own,
//! unique across files, so a file delivered twice credits each payment once. A file whose
//! header, a record's shape or the total line is wrong is refused whole; a well-formed record
//! to an account that cannot take it (unknown, closed, not a current account) is rejected on
//! its own, to be returned to the payer's bank.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use imkon_platform::calendar::BankCalendar;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;

/// A boxed future, so that the trait can be used as `dyn Clearing`.
pub type ClearingFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ClearingError>> + Send + 'a>>;

/// One payment in an outgoing batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingPayment {
    pub id: Uuid,
    pub from_account: String,
    pub to_bank: String,
    pub to_account: String,
    pub recipient_name: String,
    pub purpose: String,
    pub amount: Decimal,
}

/// The payments of one cut-off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingBatch {
    pub id: Uuid,
    pub cut_off_at: DateTime<Utc>,
    pub payments: Vec<OutgoingPayment>,
}

/// What became of one payment of a settled batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    Settled,
    /// Sent back, with the reason the clearing or the other bank gave.
    Returned(String),
}

/// Where a batch stands at the clearing house.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchStatus {
    /// Received, not settled yet.
    Pending,
    /// Settled: every payment's outcome.
    Settled(Vec<(Uuid, PaymentOutcome)>),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClearingError {
    /// Not decided: the clearing did not answer. Ask again later.
    #[error("the clearing is unavailable: {0}")]
    Unavailable(String),
    #[error("the clearing does not know batch {0}")]
    UnknownBatch(Uuid),
}

/// The interbank clearing, as the bank reaches it.
pub trait Clearing: Send + Sync {
    /// Hands a batch over; idempotent on its id.
    fn submit<'a>(&'a self, batch: &'a OutgoingBatch) -> ClearingFuture<'a, ()>;

    /// Whether the batch is settled, and each payment's outcome when it is.
    fn status<'a>(&'a self, batch_id: Uuid) -> ClearingFuture<'a, BatchStatus>;
}

/// How long the simulated clearing house takes to settle a batch after receiving it.
pub const SIMULATED_SETTLEMENT_DELAY: Duration = Duration::minutes(5);

/// The demo's clearing house: it keeps what it receives in its own tables, returns a payment
/// to an account it knows to be closed (`account_closed`), settles the rest, and answers a
/// batch's outcome once [`SIMULATED_SETTLEMENT_DELAY`] has passed on the bank's clock.
pub struct SimulatedClearing {
    pool: PgPool,
    calendar: BankCalendar,
}

impl SimulatedClearing {
    pub fn new(pool: PgPool, calendar: BankCalendar) -> SimulatedClearing {
        SimulatedClearing { pool, calendar }
    }
}

fn unavailable(error: impl std::fmt::Display) -> ClearingError {
    ClearingError::Unavailable(error.to_string())
}

impl Clearing for SimulatedClearing {
    fn submit<'a>(&'a self, batch: &'a OutgoingBatch) -> ClearingFuture<'a, ()> {
        Box::pin(async move {
            let mut outcomes = Map::new();
            for payment in &batch.payments {
                let closed = db::interbank::simulated_account_closed(
                    &self.pool,
                    &payment.to_bank,
                    &payment.to_account,
                )
                .await
                .map_err(unavailable)?;
                let outcome = if closed {
                    Value::String("account_closed".to_owned())
                } else {
                    Value::Null
                };
                outcomes.insert(payment.id.to_string(), outcome);
            }
            let received_at = self.calendar.now();
            db::interbank::simulated_receive(
                &self.pool,
                batch.id,
                received_at,
                received_at + SIMULATED_SETTLEMENT_DELAY,
                &Value::Object(outcomes),
            )
            .await
            .map_err(unavailable)
        })
    }

    fn status<'a>(&'a self, batch_id: Uuid) -> ClearingFuture<'a, BatchStatus> {
        Box::pin(async move {
            let (settles_at, outcomes) = db::interbank::simulated_batch(&self.pool, batch_id)
                .await
                .map_err(unavailable)?
                .ok_or(ClearingError::UnknownBatch(batch_id))?;
            if self.calendar.now() < settles_at {
                return Ok(BatchStatus::Pending);
            }
            let mut settled = Vec::new();
            for (id, outcome) in outcomes.as_object().into_iter().flatten() {
                let id = Uuid::parse_str(id).map_err(unavailable)?;
                let outcome = match outcome.as_str() {
                    Some(reason) => PaymentOutcome::Returned(reason.to_owned()),
                    None => PaymentOutcome::Settled,
                };
                settled.push((id, outcome));
            }
            Ok(BatchStatus::Settled(settled))
        })
    }
}

/// The first line of an incoming file, before its date.
pub const INCOMING_HEADER: &str = "IMKON-CLEARING 1 INCOMING ";

/// The longest incoming file accepted, in records.
pub const MAX_INCOMING_RECORDS: usize = 10_000;

/// One payment from another bank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingRecord {
    pub reference: String,
    pub payer_bank: String,
    pub payer_account: String,
    pub payer_name: String,
    pub payee_account: String,
    pub amount: Decimal,
    pub purpose: String,
}

/// A parsed incoming file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingFile {
    pub date: NaiveDate,
    pub records: Vec<IncomingRecord>,
}

/// Why an incoming file was refused whole; `line` is 1-based.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FileError {
    pub line: usize,
    pub message: String,
}

fn file_error(line: usize, message: impl Into<String>) -> FileError {
    FileError {
        line,
        message: message.into(),
    }
}

fn digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// An amount of sums as the format writes it: digits, a point, two decimals, above zero.
fn parse_amount(text: &str) -> Option<Decimal> {
    let (whole, fraction) = text.split_once('.')?;
    if whole.is_empty() || !digits(fraction, 2) || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: Decimal = text.parse().ok()?;
    (amount > Decimal::ZERO).then_some(amount)
}

impl IncomingFile {
    /// Parses a file, refusing it whole at the first line that breaks the format.
    pub fn parse(text: &str) -> Result<IncomingFile, FileError> {
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .first()
            .ok_or_else(|| file_error(1, "the file is empty"))?;
        let date = header
            .strip_prefix(INCOMING_HEADER)
            .and_then(|date| date.trim().parse::<NaiveDate>().ok())
            .ok_or_else(|| {
                file_error(1, format!("the header must be `{INCOMING_HEADER}<date>`"))
            })?;
        let Some((total_index, total_line)) = lines
            .iter()
            .enumerate()
            .rev()
            .find(|(_, line)| !line.trim().is_empty())
            .filter(|(index, _)| *index > 0)
        else {
            return Err(file_error(lines.len() + 1, "the TOTAL line is missing"));
        };
        let mut records = Vec::new();
        for (index, line) in lines.iter().enumerate().take(total_index).skip(1) {
            let number = index + 1;
            let fields: Vec<&str> = line.split('|').collect();
            let [reference, payer_bank, payer_account, payer_name, payee_account, amount, purpose] =
                fields[..]
            else {
                return Err(file_error(
                    number,
                    "a record has seven fields separated by |",
                ));
            };
            if reference.is_empty() || reference.len() > 64 {
                return Err(file_error(number, "the reference is 1 to 64 characters"));
            }
            if !digits(payer_bank, 5) {
                return Err(file_error(number, "the payer's bank code is five digits"));
            }
            if !digits(payer_account, 20) || !digits(payee_account, 20) {
                return Err(file_error(number, "account numbers are twenty digits"));
            }
            if payer_name.trim().is_empty() || payer_name.chars().count() > 100 {
                return Err(file_error(
                    number,
                    "the payer's name is 1 to 100 characters",
                ));
            }
            if purpose.trim().is_empty() || purpose.chars().count() > 140 {
                return Err(file_error(number, "the purpose is 1 to 140 characters"));
            }
            let amount = parse_amount(amount)
                .ok_or_else(|| file_error(number, "the amount is like 1250.00, above zero"))?;
            records.push(IncomingRecord {
                reference: reference.to_owned(),
                payer_bank: payer_bank.to_owned(),
                payer_account: payer_account.to_owned(),
                payer_name: payer_name.trim().to_owned(),
                payee_account: payee_account.to_owned(),
                amount,
                purpose: purpose.trim().to_owned(),
            });
            if records.len() > MAX_INCOMING_RECORDS {
                return Err(file_error(number, "too many records in one file"));
            }
        }
        let total_number = total_index + 1;
        let (count, sum) = total_line
            .strip_prefix("TOTAL ")
            .and_then(|rest| rest.split_once('|'))
            .and_then(|(count, sum)| Some((count.parse::<usize>().ok()?, parse_amount(sum)?)))
            .ok_or_else(|| file_error(total_number, "the last line is `TOTAL <records>|<sum>`"))?;
        let actual: Decimal = records.iter().map(|record| record.amount).sum();
        if count != records.len() || sum != actual {
            return Err(file_error(
                total_number,
                format!(
                    "the TOTAL line says {count} records of {sum}; the file holds {} of {actual}",
                    records.len()
                ),
            ));
        }
        Ok(IncomingFile { date, records })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const RECORD: &str =
        "CLR-1|00440|20208000300000000101|OOO Sample|20206000900000000101|1250.00|Invoice 7";

    #[test]
    fn a_well_formed_file_parses_record_by_record() {
        let text = format!(
            "{INCOMING_HEADER}2026-12-05\n{RECORD}\nCLR-2|00440|20208000300000000101|OOO Sample|20206000900000000202|0.50|Refund\nTOTAL 2|1250.50\n"
        );
        let file = IncomingFile::parse(&text).unwrap();
        assert_eq!(file.date, NaiveDate::from_ymd_opt(2026, 12, 5).unwrap());
        assert_eq!(file.records.len(), 2);
        assert_eq!(file.records[0].amount, dec!(1250.00));
        assert_eq!(file.records[1].reference, "CLR-2");
    }

    #[test]
    fn a_broken_file_is_refused_naming_the_line() {
        let refused = |text: String| IncomingFile::parse(&text).unwrap_err().line;
        assert_eq!(refused(String::new()), 1);
        assert_eq!(refused(format!("HELLO\n{RECORD}\nTOTAL 1|1250.00")), 1);
        assert_eq!(
            refused(format!(
                "{INCOMING_HEADER}2026-12-05\n{RECORD}\nTOTAL 2|1250.00"
            )),
            3
        );
        assert_eq!(
            refused(format!(
                "{INCOMING_HEADER}2026-12-05\n{RECORD}\nTOTAL 1|1250.01"
            )),
            3
        );
        let bad_amount = RECORD.replace("1250.00", "1250");
        assert_eq!(
            refused(format!(
                "{INCOMING_HEADER}2026-12-05\n{bad_amount}\nTOTAL 1|1250.00"
            )),
            2
        );
        let negative = RECORD.replace("1250.00", "-1.00");
        assert_eq!(
            refused(format!(
                "{INCOMING_HEADER}2026-12-05\n{negative}\nTOTAL 1|1.00"
            )),
            2
        );
        let short = "CLR-1|00440|1";
        assert_eq!(
            refused(format!(
                "{INCOMING_HEADER}2026-12-05\n{short}\nTOTAL 1|1250.00"
            )),
            2
        );
        assert_eq!(refused(format!("{INCOMING_HEADER}2026-12-05\n{RECORD}")), 2);
    }
}
