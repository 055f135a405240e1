//! The events this service consumes: onboarding's KYC decisions, kept as a local copy so that
//! submission does not depend on onboarding answering at that moment, disbursement's news
//! of a founder's loan (a contract to sign, a tranche paid, an instalment due soon or overdue),
//! and accounts' news of a client's money (an exchange, a transfer sent or received); each
//! also tells the client through a notification.

use chrono::{DateTime, Utc};
use imkon_platform::events::EventHandler;
use imkon_platform::outbox::EventEnvelope;
use imkon_platform::problem::Problem;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use imkon_platform::language::Language;

use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::money::Money;

use crate::db;
use crate::domain::actor::{Actor, ActorRole};
use crate::domain::budget::Budget;
use crate::domain::notice;
use crate::domain::state::Event;
use crate::workflow;

pub const CLIENT_KYC_APPROVED: &str = "client.kyc_approved";
pub const CLIENT_KYC_REJECTED: &str = "client.kyc_rejected";
pub const LOAN_OVERDUE: &str = "loan.overdue";
pub const CONTRACT_READY_TO_SIGN: &str = "contract.ready_to_sign";
pub const TRANCHE_PAID: &str = "tranche.paid";
pub const LOAN_INSTALMENT_DUE: &str = "loan.instalment_due";
pub const CONTRACT_CANCELLED: &str = "contract.cancelled";

/// The actor that moves an application to `cancelled` when disbursement cancels its contract,
/// as the timeline shows it (a fixed id, as automated screening has its own).
pub const CONTRACT_CANCELLATION_ID: Uuid =
    Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_0000_0000_ca9c);
pub const ACCOUNT_MONEY_MOVED: &str = "account.money_moved";

/// The part of `account.money_moved` the notification needs.
#[derive(Debug, Deserialize)]
struct MoneyMovedPayload {
    client_id: Uuid,
    movement: String,
}

/// The payload of both client KYC events; `approved_at` is absent from rejections, whose time
/// is the event's.
#[derive(Debug, Deserialize)]
struct ClientKycPayload {
    client_id: Uuid,
    #[serde(default)]
    approved_at: Option<DateTime<Utc>>,
}

/// The part of disbursement's events about a founder's loan that the notification needs.
#[derive(Debug, Deserialize)]
struct LoanEventPayload {
    client_id: Uuid,
    application_id: Uuid,
}

/// Applies `client.kyc_approved` and `client.kyc_rejected` to the local KYC copy, and tells the
/// founder of those and of disbursement's events about their loan.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsumedEvents;

impl EventHandler for ConsumedEvents {
    fn topics(&self) -> &'static [&'static str] {
        &[
            CLIENT_KYC_APPROVED,
            CLIENT_KYC_REJECTED,
            LOAN_OVERDUE,
            CONTRACT_READY_TO_SIGN,
            TRANCHE_PAID,
            LOAN_INSTALMENT_DUE,
            CONTRACT_CANCELLED,
            ACCOUNT_MONEY_MOVED,
        ]
    }

    async fn apply(
        &self,
        connection: &mut PgConnection,
        event: &EventEnvelope,
    ) -> Result<(), Problem> {
        if event.topic == CONTRACT_CANCELLED {
            let payload: ContractCancelledPayload = serde_json::from_value(event.payload.clone())
                .map_err(|error| {
                Problem::unprocessable("invalid_payload", error.to_string())
            })?;
            if !release_budget(connection, event, &payload).await? {
                return Ok(());
            }
            cancel_application(connection, event, payload.application_id).await?;
            return notify(
                connection,
                event,
                payload.client_id,
                Some(payload.application_id),
                notice::CONTRACT_CANCELLED_KIND,
            )
            .await;
        }
        if event.topic == ACCOUNT_MONEY_MOVED {
            let payload: MoneyMovedPayload = serde_json::from_value(event.payload.clone())
                .map_err(|error| Problem::unprocessable("invalid_payload", error.to_string()))?;
            let kind = match payload.movement.as_str() {
                "exchange" => notice::MONEY_EXCHANGED_KIND,
                "transfer_sent" => notice::MONEY_SENT_KIND,
                "transfer_received" => notice::MONEY_RECEIVED_KIND,
                "standing_order_skipped" => notice::STANDING_ORDER_SKIPPED_KIND,
                "cash_deposit" => notice::CASH_DEPOSIT_KIND,
                "bank_posting" => notice::BANK_POSTING_KIND,
                "term_deposit" => notice::TERM_DEPOSIT_KIND,
                "bill_payment" => notice::BILL_PAYMENT_KIND,
                "interbank_payment" => notice::INTERBANK_PAYMENT_KIND,
                other => {
                    return Err(Problem::unprocessable(
                        "invalid_payload",
                        format!("`{other}` is not a movement of money"),
                    ))
                }
            };
            return notify(connection, event, payload.client_id, None, kind).await;
        }
        if let Some(kind) = loan_notice_kind(&event.topic) {
            let payload: LoanEventPayload = serde_json::from_value(event.payload.clone())
                .map_err(|error| Problem::unprocessable("invalid_payload", error.to_string()))?;
            return notify(
                connection,
                event,
                payload.client_id,
                Some(payload.application_id),
                kind,
            )
            .await;
        }
        let payload: ClientKycPayload = serde_json::from_value(event.payload.clone())
            .map_err(|error| Problem::unprocessable("invalid_payload", error.to_string()))?;
        let status = if event.topic == CLIENT_KYC_APPROVED {
            "approved"
        } else {
            "rejected"
        };
        let changed_at = payload.approved_at.unwrap_or(event.occurred_at);
        db::kyc::record(&mut *connection, payload.client_id, status, changed_at).await?;
        let kind = notice::kyc_kind(status == "approved");
        notify(connection, event, payload.client_id, None, kind).await
    }
}

/// The kind of notification a disbursement topic makes; `None` for the KYC topics.
fn loan_notice_kind(topic: &str) -> Option<&'static str> {
    match topic {
        LOAN_OVERDUE => Some(notice::LOAN_OVERDUE_KIND),
        CONTRACT_READY_TO_SIGN => Some(notice::CONTRACT_READY_TO_SIGN_KIND),
        TRANCHE_PAID => Some(notice::TRANCHE_PAID_KIND),
        LOAN_INSTALMENT_DUE => Some(notice::INSTALMENT_DUE_KIND),
        _ => None,
    }
}

/// Tells the founder what `event` means for them: an inbox row in English and, from its kind,
/// an email in their language. The platform's event inbox applies each event once, so a
/// redelivery writes no second row; the row takes the event's id as a second guard.
async fn notify(
    connection: &mut PgConnection,
    event: &EventEnvelope,
    client_id: Uuid,
    application_id: Option<Uuid>,
    kind: &str,
) -> Result<(), Problem> {
    let (subject, body) = notice::event_notice(Language::En, kind).ok_or_else(Problem::internal)?;
    let notification = db::notifications::NotificationRow {
        id: event.id,
        client_id,
        application_id,
        subject,
        body,
        created_at: event.occurred_at,
        sent_at: None,
    };
    db::notifications::insert_with_kind(connection, &notification, Some(kind)).await?;
    Ok(())
}

/// The part of `contract.cancelled` the budget needs.
#[derive(Debug, Deserialize)]
struct ContractCancelledPayload {
    contract_id: Uuid,
    application_id: Uuid,
    client_id: Uuid,
}

/// Gives the programme back what the application's approval committed, once per application:
/// the platform's inbox applies each event once, and the `budget_release` row (keyed by the
/// application) keeps a second event about the same contract from releasing it again. The
/// amount is this service's own record of the confirmed decision, not the event's. False when
/// the application's budget was released already, by an earlier event about its contract.
/// Moves the approved application whose contract was cancelled to `cancelled`, on its
/// timeline as the platform's doing, in the transaction that released its budget.
async fn cancel_application(
    connection: &mut PgConnection,
    event: &EventEnvelope,
    application_id: Uuid,
) -> Result<(), Problem> {
    let row = db::applications::lock(&mut *connection, application_id)
        .await?
        .ok_or_else(|| {
            Problem::unprocessable("unknown_application", "no such application was approved")
        })?;
    let platform = Actor::new(CONTRACT_CANCELLATION_ID, ActorRole::Service);
    workflow::apply(
        connection,
        &row,
        &Event::ContractCancelled,
        &platform,
        event.occurred_at,
    )
    .await?;
    Ok(())
}

async fn release_budget(
    connection: &mut PgConnection,
    event: &EventEnvelope,
    payload: &ContractCancelledPayload,
) -> Result<bool, Problem> {
    let application = db::applications::lock(&mut *connection, payload.application_id)
        .await?
        .ok_or_else(|| {
            Problem::unprocessable("unknown_application", "no such application was approved")
        })?;
    let amount = db::decisions::confirmed(&mut *connection, application.id)
        .await?
        // A cancelled application was approved: a second event about its contract, with an
        // id of its own, finds its release recorded below and changes nothing.
        .filter(|_| matches!(application.state.as_str(), "approved" | "cancelled"))
        .and_then(|decision| decision.amount)
        .ok_or_else(|| {
            Problem::conflict(
                "application_not_approved",
                "the application has no approved amount to release",
            )
        })?;
    let fresh = db::budget_releases::insert(
        &mut *connection,
        &db::budget_releases::BudgetRelease {
            application_id: application.id,
            programme_id: application.programme_id,
            contract_id: payload.contract_id,
            amount,
            released_at: event.occurred_at,
            event_id: event.id,
        },
    )
    .await?;
    if !fresh {
        return Ok(false);
    }
    let programme = crate::http::programmes::load(&mut *connection, application.programme_id)
        .await
        .map_err(|_| Problem::internal())?
        .ok_or_else(Problem::internal)?;
    let currency = programme.parsed.programme.currency();
    let (total, committed) =
        db::programmes::lock_budget(&mut *connection, application.programme_id).await?;
    let money = |amount| Money::new(amount, currency).map_err(|_| Problem::internal());
    let before = Budget::new(money(total)?, money(committed)?).map_err(|_| Problem::internal())?;
    let after = before
        .release(money(amount)?)
        .map_err(|error| Problem::conflict("budget_release_refused", error.to_string()))?;
    db::programmes::set_committed(
        &mut *connection,
        application.programme_id,
        after.committed().amount(),
    )
    .await?;
    audit::record(
        &mut *connection,
        AuditEntry {
            actor_id: None,
            actor_roles: Vec::new(),
            action: "programme.budget_released",
            subject_type: "programme",
            subject_id: application.programme_id.to_string(),
            before: Some(serde_json::json!({ "committed_amount": committed.to_string() })),
            after: Some(serde_json::json!({
                "committed_amount": after.committed().amount().to_string(),
                "application_id": application.id,
                "contract_id": payload.contract_id,
                "released": amount.to_string(),
                "event_id": event.id,
            })),
            source_address: None,
        },
    )
    .await?;
    Ok(true)
}
