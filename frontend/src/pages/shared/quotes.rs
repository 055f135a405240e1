//! The quote-and-confirm flow that a client's transfer and currency exchange share.
//!
//! The accounts service quotes first (amounts, fees or rate, a confirmation token, an expiry)
//! and books only on confirmation. The site keeps the latest quote in the session on the server
//! with the idempotency key made for its confirmation, so a confirmation sent twice (a double
//! click, a retried form) books once; once booked, the session remembers which transfer the
//! quote became, for the result page. The session keeps one quote per flow: a new quote
//! replaces the last and forgets its confirmation, so quote after quote never grows it.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clients::api::{idempotency_key, send_json, CallError};
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::PageError;
use crate::AppState;

/// What the flow needs of a quote the accounts service answered.
pub trait ClientQuote: Serialize + DeserializeOwned {
    fn quote_id(&self) -> &str;
    fn confirmation_token(&self) -> &str;
}

/// A quote awaiting confirmation, and the idempotency key made for its confirmation.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Pending<Q> {
    pub quote: Q,
    pub idempotency_key: String,
}

/// One flow: where it keeps its quote in the session, and where the service confirms it.
pub struct QuoteFlow {
    /// The session's name for the latest quote awaiting confirmation.
    pub pending_key: &'static str,
    /// The session's name for `<quote id> <transfer id>` of the confirmed quote.
    pub done_key: &'static str,
    /// The accounts service's confirmation endpoint.
    pub confirm_path: &'static str,
    /// The field of the confirmation's answer that holds the booked transfer's id.
    pub transfer_id_field: &'static str,
}

/// What became of a confirmation the service answered.
pub enum Confirmed {
    /// Booked (now or before, under the same key); the result page shows it.
    Booked,
    /// Refused, with the answer's status and problem code, for the confirmation page.
    Refused {
        status: axum::http::StatusCode,
        code: String,
    },
}

impl QuoteFlow {
    /// Keeps `quote` as the one awaiting confirmation, with a fresh idempotency key, and forgets
    /// the last confirmed one; `next` is where a lapsed sign-in returns to.
    pub async fn keep<Q: ClientQuote>(
        &self,
        state: &AppState,
        signed_in: &mut SignedIn,
        quote: Q,
        next: &str,
    ) -> Result<(), PageError> {
        let pending = Pending {
            quote,
            idempotency_key: idempotency_key(),
        };
        let kept = serde_json::to_string(&pending).map_err(|error| {
            tracing::error!(%error, flow = self.pending_key, "a quote could not be written down");
            PageError::Unavailable
        })?;
        signed_in
            .keep(state, self.done_key, None)
            .await
            .map_err(|error| PageError::from_call(error, next))?;
        signed_in
            .keep(state, self.pending_key, Some(kept))
            .await
            .map_err(|error| PageError::from_call(error, next))
    }

    /// The session's quote awaiting confirmation, if it is `quote_id`.
    pub fn pending<Q: ClientQuote>(
        &self,
        signed_in: &SignedIn,
        quote_id: &str,
    ) -> Option<Pending<Q>> {
        signed_in
            .session_value(self.pending_key)
            .and_then(|kept| serde_json::from_str::<Pending<Q>>(kept).ok())
            .filter(|pending| pending.quote.quote_id() == quote_id)
    }

    /// The transfer booked for `quote_id` in this session, if that quote was the one confirmed.
    pub fn done(&self, signed_in: &SignedIn, quote_id: &str) -> Option<String> {
        let (done_quote, transfer_id) = signed_in.session_value(self.done_key)?.split_once(' ')?;
        (done_quote == quote_id).then(|| transfer_id.to_owned())
    }

    /// Confirms `pending` with its own key (a repeat books nothing more) and, once booked,
    /// remembers the transfer for the result page.
    pub async fn confirm<Q: ClientQuote>(
        &self,
        state: &AppState,
        signed_in: &mut SignedIn,
        token: &str,
        pending: &Pending<Q>,
        next: &str,
    ) -> Result<Confirmed, PageError> {
        let answer: Result<serde_json::Value, CallError> = send_json(
            state
                .accounts
                .authorized(Method::POST, self.confirm_path, token)
                .header("idempotency-key", &pending.idempotency_key)
                .json(&serde_json::json!({
                    "quote_id": pending.quote.quote_id(),
                    "confirmation_token": pending.quote.confirmation_token(),
                })),
        )
        .await;
        let booked = match answer {
            Ok(booked) => booked,
            Err(CallError::Refused { status, code, .. }) => {
                return Ok(Confirmed::Refused { status, code })
            }
            Err(error) => return Err(PageError::from_call(error, next)),
        };
        let transfer_id = booked[self.transfer_id_field].as_str().ok_or_else(|| {
            tracing::error!(
                flow = self.pending_key,
                "a confirmation's answer named no transfer"
            );
            PageError::Unavailable
        })?;
        signed_in
            .keep(
                state,
                self.done_key,
                Some(format!("{} {transfer_id}", pending.quote.quote_id())),
            )
            .await
            .map_err(|error| PageError::from_call(error, next))?;
        Ok(Confirmed::Booked)
    }
}
