//! Cash deposits at the counter, with four eyes: a member of finance staff (or an admin) keys
//! in the cash received for a client's current account with the counter's receipt number, and
//! a second member of staff confirms it, which credits the account. The page lists the cash
//! deposits waiting for a second person; the reader's own are shown without the buttons, since
//! accounts refuses the proposer's confirmation anyway.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::clients::api::{form_idempotency_key, idempotency_key, send, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_day_of, parse_typed_decimal, TypedNumberError};
use crate::web::i18n::Translator;
use crate::AppState;

const PAGE: &str = "/cash-deposits";

/// The reference prefix accounts gives a cash deposit's transfer.
const RECEIPT_REFERENCE: &str = "cash-receipt:";

/// Who keys in and confirms cash deposits: the roles accounts lets decide staff transfers.
fn may_handle_cash(signed_in: &SignedIn) -> bool {
    signed_in.person.has_role("finance") || signed_in.person.has_role("admin")
}

#[derive(Debug, Deserialize)]
struct ProposalPage {
    items: Vec<Proposal>,
}

#[derive(Debug, Deserialize)]
struct Proposal {
    id: String,
    proposed_by: String,
    proposed_at: chrono::DateTime<chrono::Utc>,
    transfer: Option<ProposedTransfer>,
}

#[derive(Debug, Deserialize)]
struct ProposedTransfer {
    reference: String,
    currency: String,
    legs: Vec<ProposedLeg>,
}

#[derive(Debug, Deserialize)]
struct ProposedLeg {
    account: String,
    side: String,
    amount: String,
}

/// A cash deposit waiting for its second person, as the list shows it.
pub struct PendingDeposit {
    pub id: String,
    pub receipt_number: String,
    pub account: String,
    pub amount: String,
    pub proposed_on: String,
    /// The reader recorded it, so someone else confirms it.
    pub own: bool,
}

#[derive(Template)]
#[template(path = "cash_deposits.html")]
struct CashDepositsPage {
    t: Translator,
    layout: Layout,
    form: FormState,
    /// `None` when accounts did not answer the list.
    pending: Option<Vec<PendingDeposit>>,
    /// The key the form carries, so the same form sent twice records one deposit.
    deposit_key: String,
}

/// The pending staff transfers that are cash deposits, oldest first.
fn pending_deposits(
    page: &ProposalPage,
    reader: &str,
    state: &AppState,
    translator: &Translator,
) -> Vec<PendingDeposit> {
    page.items
        .iter()
        .filter_map(|proposal| {
            let transfer = proposal.transfer.as_ref()?;
            let receipt_number = transfer.reference.strip_prefix(RECEIPT_REFERENCE)?;
            let credit = transfer.legs.iter().find(|leg| leg.side == "credit")?;
            Some(PendingDeposit {
                id: proposal.id.clone(),
                receipt_number: receipt_number.to_owned(),
                account: credit.account.clone(),
                amount: amount_text(&credit.amount, &transfer.currency, translator),
                proposed_on: format_day_of(
                    proposal.proposed_at,
                    &state.calendar,
                    translator.locale(),
                ),
                own: proposal.proposed_by == reader,
            })
        })
        .collect()
}

async fn page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let translator = context.translator();
    let token = signed_in
        .access_token(state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let pending = send_json::<ProposalPage>(state.accounts.authorized(
        Method::GET,
        "/v1/transfer-proposals",
        &token,
    ))
    .await
    .inspect_err(|error| tracing::warn!(%error, "the pending cash deposits could not be read"))
    .ok()
    .map(|page| pending_deposits(&page, &signed_in.person.id, state, &translator));
    Ok(render(
        status,
        &CashDepositsPage {
            form,
            pending,
            deposit_key: idempotency_key(),
            t: translator,
            layout: context.layout(Section::CashDeposits),
        },
    ))
}

/// The deposit form and the deposits waiting for a second person.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    if !may_handle_cash(&signed_in) {
        return Err(PageError::WrongRole);
    }
    page(
        &state,
        &context,
        &mut signed_in,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct DepositForm {
    #[serde(default)]
    account: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    receipt_number: String,
    #[serde(default)]
    idempotency_key: String,
}

/// Records cash received: a proposal that a second member of staff confirms.
pub async fn record(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<DepositForm>,
) -> Result<Response, PageError> {
    if !may_handle_cash(&signed_in) {
        return Err(PageError::WrongRole);
    }
    let translator = context.translator();
    let account: String = submitted
        .account
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let receipt_number = submitted.receipt_number.trim().to_uppercase();
    let mut form = FormState::from_pairs(vec![
        ("account".to_owned(), account.clone()),
        ("amount".to_owned(), submitted.amount.clone()),
        ("receipt_number".to_owned(), receipt_number.clone()),
    ]);
    if account.is_empty() {
        form.refuse(&translator, "account", "required");
    }
    if receipt_number.is_empty() {
        form.refuse(&translator, "receipt_number", "required");
    }
    let amount = match parse_typed_decimal(&submitted.amount, translator.locale()) {
        Ok(amount) => Some(amount),
        Err(TypedNumberError::Empty) => {
            form.refuse(&translator, "amount", "required");
            None
        }
        Err(TypedNumberError::NotANumber) => {
            form.refuse(&translator, "amount", "not_a_number");
            None
        }
    };
    let Some(amount) = amount.filter(|_| !form.has_errors()) else {
        return page(
            &state,
            &context,
            &mut signed_in,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    // The same form sent twice records one deposit.
    let key = form_idempotency_key(&submitted.idempotency_key);
    let token = signed_in
        .access_token(&state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let body = json!({
        "account": account,
        "amount": amount.to_string(),
        "receipt_number": receipt_number,
    });
    match send(
        state
            .accounts
            .authorized(Method::POST, "/v1/cash-deposits", &token)
            .header("idempotency-key", key)
            .json(&body),
    )
    .await
    {
        Ok(_) => Ok(see_other(PAGE)),
        Err(error) => refused(&state, &context, &mut signed_in, form, error).await,
    }
}

/// A refusal from accounts shown on the page: beside the field it names, or above the form.
async fn refused(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    mut form: FormState,
    error: CallError,
) -> Result<Response, PageError> {
    let translator = context.translator();
    match error {
        CallError::Refused {
            status,
            code,
            fields,
        } => {
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            } else {
                form.refuse_all(
                    &translator,
                    &fields,
                    &["account", "amount", "receipt_number"],
                );
            }
            page(state, context, signed_in, form, status).await
        }
        CallError::Forbidden { code } if code == "own_account" => {
            form.notice = Some(problem_message(&translator, &code));
            page(state, context, signed_in, form, StatusCode::FORBIDDEN).await
        }
        CallError::NotFound => {
            form.refuse(&translator, "account", "unknown_account");
            page(state, context, signed_in, form, StatusCode::NOT_FOUND).await
        }
        other => Err(PageError::from_call(other, PAGE)),
    }
}

/// Confirms (books) or rejects a pending cash deposit; accounts refuses the proposer.
pub async fn decide(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, decision)): Path<(String, String)>,
) -> Result<Response, PageError> {
    if !may_handle_cash(&signed_in) {
        return Err(PageError::WrongRole);
    }
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let verb = match decision.as_str() {
        "confirm" | "reject" => decision.as_str(),
        _ => return Err(PageError::NotFound),
    };
    let token = signed_in
        .access_token(&state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    // One key per proposal and decision: pressing the button twice decides once.
    let key = format!("cash-deposit-{id}-{verb}");
    match send(
        state
            .accounts
            .authorized(
                Method::POST,
                &format!("/v1/transfer-proposals/{id}/{verb}"),
                &token,
            )
            .header("idempotency-key", key)
            .json(&json!({})),
    )
    .await
    {
        Ok(_) => Ok(see_other(PAGE)),
        // Already decided (409) or the reader's own deposit (403): said above the list.
        Err(CallError::Refused { code, status, .. }) => {
            decision_refused(&state, &context, &mut signed_in, &code, status).await
        }
        Err(CallError::Forbidden { code }) => {
            decision_refused(
                &state,
                &context,
                &mut signed_in,
                &code,
                StatusCode::FORBIDDEN,
            )
            .await
        }
        Err(error) => Err(PageError::from_call(error, PAGE)),
    }
}

/// The page again, with why accounts refused a decision above the list.
async fn decision_refused(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    code: &str,
    status: StatusCode,
) -> Result<Response, PageError> {
    let mut form = FormState::default();
    form.notice = Some(problem_message(&context.translator(), code));
    page(state, context, signed_in, form, status).await
}
