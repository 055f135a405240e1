//! The approver's home: every proposal awaiting their confirmation, whichever service holds
//! it. Application decisions proposed by a credit officer (applications), tranches another
//! officer requested, and write-offs another approver proposed (disbursement), each naming
//! the client and linking to the page where it is confirmed. What the reader proposed or
//! requested themselves is left out: four eyes means someone else confirms it. A service that
//! does not answer leaves its part out with a note, the other parts still shown.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::clients::applications::{Programme, QueueFilter};
use crate::clients::disbursement::{all_contracts, Contract};
use crate::pages::shared::application_view::calls;
use crate::pages::shared::client_names::{ClientLabel, ClientNamer};
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_day_of};
use crate::web::i18n::Translator;
use crate::AppState;

/// A proposal awaiting the reader's confirmation, as the list shows it.
pub struct ProposalRow {
    pub client: ClientLabel,
    /// Where the proposal is confirmed.
    pub path: String,
    /// What is proposed, in the reader's words.
    pub what: String,
    pub amount: String,
}

/// One kind of proposal: its heading and rows, `None` when the service did not answer.
pub struct ProposalPart {
    pub key: &'static str,
    pub rows: Option<Vec<ProposalRow>>,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    t: Translator,
    layout: Layout,
    parts: Vec<ProposalPart>,
}

/// The application state in which a proposed decision waits for an approver.
const AWAITING_CONFIRMATION: &str = "decision";

/// The tranches of `contracts` requested by someone other than `reader`, waiting for approval.
fn requested_tranches<'a>(
    contracts: &'a [Contract],
    reader: &'a str,
) -> impl Iterator<Item = (&'a Contract, &'a crate::clients::disbursement::Tranche)> {
    contracts.iter().flat_map(move |contract| {
        contract
            .tranches
            .iter()
            .filter(move |tranche| {
                tranche.status == "requested" && tranche.requested_by.as_deref() != Some(reader)
            })
            .map(move |tranche| (contract, tranche))
    })
}

/// The active contracts of `contracts` with a write-off proposed by someone other than
/// `reader` and not yet confirmed.
fn proposed_write_offs<'a>(
    contracts: &'a [Contract],
    reader: &'a str,
) -> impl Iterator<Item = &'a Contract> {
    contracts.iter().filter(move |contract| {
        contract.status == "active"
            && contract
                .write_off_proposal
                .as_ref()
                .is_some_and(|proposal| {
                    proposal.confirmed_by.is_none() && proposal.proposed_by != reader
                })
    })
}

/// The approver's proposals awaiting confirmation.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    if !signed_in.person.has_role("approver") {
        return Err(PageError::WrongRole);
    }
    let reader = signed_in.person.id.clone();
    let translator = context.translator();
    let applications = match signed_in.access_token(&state, "applications").await {
        Ok(token) => {
            let calls = calls(&state, &token);
            let filter = QueueFilter {
                state: AWAITING_CONFIRMATION.to_owned(),
                ..QueueFilter::default()
            };
            match (calls.list(&filter).await, calls.programmes().await) {
                (Ok(page), Ok(programmes)) => Ok((page.items, programmes)),
                (Err(error), _) | (_, Err(error)) => Err(error),
            }
        }
        Err(error) => Err(error),
    }
    .inspect_err(|error| tracing::warn!(%error, "the decisions to confirm could not be read"))
    .ok();
    let contracts = match signed_in.access_token(&state, "disbursement").await {
        Ok(token) => all_contracts(&state.contracts, &token).await,
        Err(error) => Err(error),
    }
    .inspect_err(|error| tracing::warn!(%error, "the contracts could not be read"))
    .ok();
    let mut client_ids: Vec<String> = Vec::new();
    if let Some((items, _)) = &applications {
        client_ids.extend(items.iter().map(|item| item.client_id.clone()));
    }
    if let Some(contracts) = &contracts {
        client_ids.extend(contracts.iter().map(|contract| contract.client_id.clone()));
    }
    let names = ClientNamer::lookup(
        &state,
        &mut signed_in,
        client_ids.iter().map(String::as_str),
        &translator,
    )
    .await;
    let decisions = applications.as_ref().map(|(items, programmes)| {
        items
            .iter()
            .map(|application| {
                let programme: Option<&Programme> = programmes
                    .iter()
                    .find(|programme| programme.id == application.programme_id);
                let currency = programme.map_or("UZS", |programme| programme.currency.as_str());
                ProposalRow {
                    client: names.label(&application.client_id),
                    path: format!("/applications/{}", application.id),
                    what: programme
                        .map(|programme| programme.name.get(translator.locale()).to_owned())
                        .unwrap_or_default(),
                    amount: application
                        .decision
                        .as_ref()
                        .and_then(|decision| decision.amount.as_deref())
                        .or(application.requested_amount.as_deref())
                        .map(|amount| amount_text(amount, currency, &translator))
                        .unwrap_or_default(),
                }
            })
            .collect()
    });
    let tranches = contracts.as_ref().map(|contracts| {
        requested_tranches(contracts, &reader)
            .map(|(contract, tranche)| ProposalRow {
                client: names.label(&contract.client_id),
                path: format!("/contracts/{}", contract.id),
                what: format!(
                    "{} {} · {}",
                    translator.t("payouts-tranche"),
                    tranche.number,
                    tranche.purpose
                ),
                amount: amount_text(&tranche.amount, &contract.currency, &translator),
            })
            .collect()
    });
    let write_offs = contracts.as_ref().map(|contracts| {
        proposed_write_offs(contracts, &reader)
            .map(|contract| ProposalRow {
                client: names.label(&contract.client_id),
                path: format!("/contracts/{}", contract.id),
                what: format!(
                    "{} · {}",
                    format_day_of(contract.created_at, &state.calendar, translator.locale()),
                    contract
                        .write_off_proposal
                        .as_ref()
                        .map(|proposal| proposal.reason.as_str())
                        .unwrap_or_default()
                ),
                amount: amount_text(&contract.principal, &contract.currency, &translator),
            })
            .collect()
    });
    Ok(render(
        StatusCode::OK,
        &ApprovalsPage {
            parts: vec![
                ProposalPart {
                    key: "approvals-decisions",
                    rows: decisions,
                },
                ProposalPart {
                    key: "approvals-tranches",
                    rows: tranches,
                },
                ProposalPart {
                    key: "approvals-write-offs",
                    rows: write_offs,
                },
            ],
            t: translator,
            layout: context.layout(Section::Approvals),
        },
    ))
}
