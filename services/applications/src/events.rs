//! The events this service consumes: onboarding's KYC decisions, kept as a local copy so that
//! submission does not depend on onboarding answering at that moment.

use chrono::{DateTime, Utc};
use imkon_platform::events::EventHandler;
use imkon_platform::outbox::EventEnvelope;
use imkon_platform::problem::Problem;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use imkon_platform::language::Language;

use crate::db;
use crate::domain::notice;

pub const CLIENT_KYC_APPROVED: &str = "client.kyc_approved";
pub const CLIENT_KYC_REJECTED: &str = "client.kyc_rejected";

/// The payload of both client KYC events; `approved_at` is absent from rejections, whose time
/// is the event's.
#[derive(Debug, Deserialize)]
struct ClientKycPayload {
    client_id: Uuid,
    #[serde(default)]
    approved_at: Option<DateTime<Utc>>,
}

/// Applies `client.kyc_approved` and `client.kyc_rejected` to the local KYC copy.
#[derive(Clone, Copy, Debug, Default)]
pub struct KycEvents;

impl EventHandler for KycEvents {
    fn topics(&self) -> &'static [&'static str] {
        &[CLIENT_KYC_APPROVED, CLIENT_KYC_REJECTED]
    }

    async fn apply(
        &self,
        connection: &mut PgConnection,
        event: &EventEnvelope,
    ) -> Result<(), Problem> {
        let payload: ClientKycPayload = serde_json::from_value(event.payload.clone())
            .map_err(|error| Problem::unprocessable("invalid_payload", error.to_string()))?;
        let status = if event.topic == CLIENT_KYC_APPROVED {
            "approved"
        } else {
            "rejected"
        };
        let changed_at = payload.approved_at.unwrap_or(event.occurred_at);
        db::kyc::record(&mut *connection, payload.client_id, status, changed_at).await?;
        notify_kyc_decision(connection, payload.client_id, status == "approved", event).await
    }
}

/// Tells the founder of the KYC decision: an inbox row in English and, from its kind, an email
/// in their language. The platform's event inbox applies each event once, so a redelivery
/// writes no second row; the row takes the event's id as a second guard.
async fn notify_kyc_decision(
    connection: &mut PgConnection,
    client_id: Uuid,
    approved: bool,
    event: &EventEnvelope,
) -> Result<(), Problem> {
    let (subject, body) = notice::kyc_notice(Language::En, approved);
    let notification = db::notifications::NotificationRow {
        id: event.id,
        client_id,
        application_id: None,
        subject,
        body,
        created_at: event.occurred_at,
        sent_at: None,
    };
    db::notifications::insert_with_kind(
        connection,
        &notification,
        Some(notice::kyc_kind(approved)),
    )
    .await?;
    Ok(())
}
