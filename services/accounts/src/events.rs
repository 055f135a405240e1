//! The events this service consumes.
//!
//! `client.kyc_approved` (from onboarding, payload `{"client_id": uuid, ...}`): the client
//! passed KYC, so they get a current account in sums. Applying it twice opens one account:
//! the inbox drops repeated deliveries, and opening checks for an existing account as well.

use imkon_platform::events::EventHandler;
use imkon_platform::money::Currency;
use imkon_platform::outbox::EventEnvelope;
use imkon_platform::problem::Problem;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::account::{AccountKind, AccountOwner, ClientId};
use crate::domain::account_number::BankCode;
use crate::opening::{open_once, AccountOpening};

pub const KYC_APPROVED_TOPIC: &str = "client.kyc_approved";

/// Opens a founder's current account when their KYC is approved.
#[derive(Clone, Copy, Debug)]
pub struct KycApprovedConsumer {
    pub bank: BankCode,
}

impl EventHandler for KycApprovedConsumer {
    fn topics(&self) -> &'static [&'static str] {
        &[KYC_APPROVED_TOPIC]
    }

    async fn apply(
        &self,
        connection: &mut PgConnection,
        event: &EventEnvelope,
    ) -> Result<(), Problem> {
        let client_id = event
            .payload
            .get("client_id")
            .and_then(|value| value.as_str())
            .and_then(|text| Uuid::parse_str(text).ok())
            .ok_or_else(|| {
                Problem::invalid_field(
                    "payload.client_id",
                    "missing_client_id",
                    "a client.kyc_approved event carries the client's id as a UUID",
                )
            })?;
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
