//! Finance's home: the tranches approved and waiting to be paid out, each naming the client
//! and linking to its contract, where the payout is made.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::clients::disbursement::{all_contracts, Contract};
use crate::pages::shared::client_names::{ClientLabel, ClientNamer};
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::amount_text;
use crate::web::i18n::Translator;
use crate::AppState;

/// A tranche waiting for its payout, as the list shows it.
pub struct PayoutRow {
    pub contract_id: String,
    pub client: ClientLabel,
    pub number: i32,
    pub amount: String,
    pub purpose: String,
}

/// The approved tranches of `contracts`, in the contracts' order.
fn waiting_payouts(
    contracts: &[Contract],
    names: &ClientNamer,
    translator: &Translator,
) -> Vec<PayoutRow> {
    contracts
        .iter()
        .flat_map(|contract| {
            contract
                .tranches
                .iter()
                .filter(|tranche| tranche.status == "approved")
                .map(|tranche| PayoutRow {
                    contract_id: contract.id.clone(),
                    client: names.label(&contract.client_id),
                    number: tranche.number,
                    amount: amount_text(&tranche.amount, &contract.currency, translator),
                    purpose: tranche.purpose.clone(),
                })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "payouts.html")]
struct PayoutsPage {
    t: Translator,
    layout: Layout,
    rows: Vec<PayoutRow>,
}

/// The tranches waiting to be paid; the disbursement service decides who may list contracts.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    const NEXT: &str = "/payouts";
    if !signed_in.person.is_portfolio_staff() {
        return Err(PageError::WrongRole);
    }
    let token = signed_in
        .access_token(&state, "disbursement")
        .await
        .map_err(|error| PageError::from_call(error, NEXT))?;
    let contracts = all_contracts(&state.contracts, &token)
        .await
        .map_err(|error| PageError::from_call(error, NEXT))?;
    let translator = context.translator();
    // Only the contracts with a tranche to pay are named.
    let waiting: Vec<&str> = contracts
        .iter()
        .filter(|contract| {
            contract
                .tranches
                .iter()
                .any(|tranche| tranche.status == "approved")
        })
        .map(|contract| contract.client_id.as_str())
        .collect();
    let names = ClientNamer::lookup(&state, &mut signed_in, waiting, &translator).await;
    Ok(render(
        StatusCode::OK,
        &PayoutsPage {
            rows: waiting_payouts(&contracts, &names, &translator),
            t: translator,
            layout: context.layout(Section::Payouts),
        },
    ))
}
