//! The events this service consumes and those it raises.
//!
//! `client.kyc_approved` (from onboarding, payload `{"client_id": uuid, ...}`): the client
//! passed KYC, so they get a current account in sums. Applying it twice opens one account:
//! the inbox drops repeated deliveries, and opening checks for an existing account as well.
//!
//! `company.kyc_approved` (from onboarding, payload `{"company_id": uuid, "client_id": uuid,
//! "stir": "9 digits", "approved_at": timestamp}`): the company passed KYC, so it gets a current
//! account in sums of its own (kind `company_current`, the legal entities' chart code, the
//! company's own owner code), and the founder named by `client_id` is recorded as the one who
//! operates it. Opening it once holds as for a person's account; a later approval of the same
//! company keeps the founder of the first.
//!
//! `account.money_moved` (to applications, which keeps the clients' inbox), payload
//! `{"client_id", "movement", "transfer_id"}`: a client's money moved by their own hand (an
//! exchange, a transfer sent, a standing order paid) or to them (a transfer received); or
//! `{"client_id", "movement": "standing_order_skipped", "standing_order_id"}` when a standing
//! order's payment was skipped; or `"movement": "cash_deposit"` / `"bank_posting"` with the
//! transfer's id when staff's four-eyes transfer proposal moved money on a client's account
//! (cash paid in at a counter; anything else). It is written to the outbox in the transaction
//! that records the movement's quote (or proposal) as confirmed, so it exists exactly when that
//! record does; the relay delivers it at least once and the receiver's inbox applies it once.

use imkon_platform::events::EventHandler;
use imkon_platform::money::Currency;
use imkon_platform::outbox::EventEnvelope;
use imkon_platform::problem::Problem;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::accounts::CompanyRow;
use crate::domain::account::{AccountKind, AccountOwner, ClientId};
use crate::domain::account_number::BankCode;
use crate::opening::{open_company_account, open_once, AccountOpening};

pub const KYC_APPROVED_TOPIC: &str = "client.kyc_approved";

pub const COMPANY_KYC_APPROVED_TOPIC: &str = "company.kyc_approved";

pub const MONEY_MOVED_TOPIC: &str = "account.money_moved";

/// How a client's money moved, as `account.money_moved` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    /// Between two of the client's own accounts in different currencies.
    Exchange,
    /// From the client's account to another client's.
    TransferSent,
    /// From another client's account to the client's.
    TransferReceived,
    /// A standing order's payment that the daily run skipped (money short, an account closed,
    /// the daily limit): nothing moved, and the client must know.
    StandingOrderSkipped,
    /// Cash paid in at the bank's counter, booked once a second member of staff confirmed it.
    CashDeposit,
    /// Any other transfer on the client's account that the bank's staff proposed and a second
    /// member confirmed (a cash withdrawal, an adjustment, a reversal).
    BankPosting,
    /// A term deposit's money moved: placed, its interest paid, returned at maturity or on
    /// early closure.
    TermDeposit,
    /// An invoice of the state or a utility paid from the client's account.
    BillPayment,
    /// A payment to another bank settled or returned, or a payment from another bank
    /// credited.
    InterbankPayment,
}

impl Movement {
    pub fn code(self) -> &'static str {
        match self {
            Movement::Exchange => "exchange",
            Movement::TransferSent => "transfer_sent",
            Movement::TransferReceived => "transfer_received",
            Movement::StandingOrderSkipped => "standing_order_skipped",
            Movement::CashDeposit => "cash_deposit",
            Movement::BankPosting => "bank_posting",
            Movement::TermDeposit => "term_deposit",
            Movement::BillPayment => "bill_payment",
            Movement::InterbankPayment => "interbank_payment",
        }
    }

    /// The payload's field that names what the movement is about.
    fn subject_field(self) -> &'static str {
        match self {
            Movement::StandingOrderSkipped => "standing_order_id",
            _ => "transfer_id",
        }
    }
}

/// Writes `account.money_moved` for `client_id` into the outbox, in the caller's transaction;
/// `subject` is the transfer (or, for a skipped standing order, the order).
pub async fn announce_money_moved(
    connection: &mut PgConnection,
    client_id: Uuid,
    movement: Movement,
    subject: Uuid,
) -> Result<(), sqlx::Error> {
    let mut payload = serde_json::json!({
        "client_id": client_id,
        "movement": movement.code(),
    });
    payload[movement.subject_field()] = serde_json::Value::from(subject.to_string());
    imkon_platform::outbox::enqueue(connection, MONEY_MOVED_TOPIC, &payload).await?;
    Ok(())
}

/// Opens a founder's current account when their KYC is approved, and a company's when the
/// company's is.
#[derive(Clone, Copy, Debug)]
pub struct KycApprovedConsumer {
    pub bank: BankCode,
}

/// The payload's member `field` as a UUID, or a 422 naming it and the topic.
fn uuid_of(event: &EventEnvelope, field: &str, code: &str) -> Result<Uuid, Problem> {
    event
        .payload
        .get(field)
        .and_then(|value| value.as_str())
        .and_then(|text| Uuid::parse_str(text).ok())
        .ok_or_else(|| {
            Problem::invalid_field(
                format!("payload.{field}"),
                code,
                format!("a {} event carries {field} as a UUID", event.topic),
            )
        })
}

/// The company `company.kyc_approved` describes, checked: two UUIDs, a nine-digit STIR and the
/// approval's time.
fn approved_company(event: &EventEnvelope) -> Result<CompanyRow, Problem> {
    let company_id = uuid_of(event, "company_id", "missing_company_id")?;
    let founder_client_id = uuid_of(event, "client_id", "missing_client_id")?;
    let stir = event
        .payload
        .get("stir")
        .and_then(|value| value.as_str())
        .filter(|text| text.len() == 9 && text.bytes().all(|byte| byte.is_ascii_digit()))
        .ok_or_else(|| {
            Problem::invalid_field(
                "payload.stir",
                "malformed_stir",
                "a company.kyc_approved event carries the company's STIR as nine digits",
            )
        })?;
    let approved_at = event
        .payload
        .get("approved_at")
        .and_then(|value| value.as_str())
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
        .ok_or_else(|| {
            Problem::invalid_field(
                "payload.approved_at",
                "missing_approved_at",
                "a company.kyc_approved event carries when it was approved (RFC 3339)",
            )
        })?;
    Ok(CompanyRow {
        company_id,
        founder_client_id,
        stir: stir.to_owned(),
        approved_at: approved_at.with_timezone(&chrono::Utc),
    })
}

impl KycApprovedConsumer {
    async fn open_company_account(
        &self,
        connection: &mut PgConnection,
        event: &EventEnvelope,
    ) -> Result<(), Problem> {
        let company = approved_company(event)?;
        let account =
            open_company_account(connection, self.bank, &company, COMPANY_KYC_APPROVED_TOPIC)
                .await
                .map_err(|error| error.to_problem())?;
        tracing::info!(
            company_id = %company.company_id,
            number = %account.number,
            "company current account opened after the company's KYC approval"
        );
        Ok(())
    }
}

impl EventHandler for KycApprovedConsumer {
    fn topics(&self) -> &'static [&'static str] {
        &[KYC_APPROVED_TOPIC, COMPANY_KYC_APPROVED_TOPIC]
    }

    async fn apply(
        &self,
        connection: &mut PgConnection,
        event: &EventEnvelope,
    ) -> Result<(), Problem> {
        if event.topic == COMPANY_KYC_APPROVED_TOPIC {
            return self.open_company_account(connection, event).await;
        }
        let client_id = uuid_of(event, "client_id", "missing_client_id")?;
        let account = open_once(
            connection,
            self.bank,
            &AccountOpening {
                kind: AccountKind::ClientCurrent,
                owner: AccountOwner::Client(ClientId::from_uuid(client_id)),
                currency: Currency::Uzs,
                allow_negative: false,
                name: Some("Current account"),
            },
            KYC_APPROVED_TOPIC,
        )
        .await
        .map_err(|error| error.to_problem())?;
        tracing::info!(%client_id, number = %account.number, "current account opened after KYC approval");
        Ok(())
    }
}
