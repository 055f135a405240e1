//! A client's payments to other banks: a form that pays an account at another bank, named by
//! its number and the bank's code (MFO), from one of the client's open current accounts in
//! sums; each payment's page with its state explained; and the list of their payments with
//! their states.
//!
//! The form carries an idempotency key made when the page was shown, as the deposit form does,
//! so the same form sent twice (a double click, a retry after a timeout) pays once. The accounts
//! service holds the money at once and hands the payment to the clearing at the next half-hour
//! cut-off, so a payment just sent is `accepted` and the page says what happens next.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;

use crate::clients::accounts::{own_accounts, Account};
use crate::clients::api::{form_idempotency_key, idempotency_key, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::pages::shared::forms::{
    code_in_context, problem_message, refusals_in_context, FormState,
};
use crate::pages::shared::signed_in::{accounts_token, require_client, see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_moment_of, parse_typed_decimal, TypedNumberError};
use crate::web::i18n::Translator;
use crate::AppState;

const PAGE: &str = "/other-banks";

/// Refusals whose shared words speak of transfers within the bank get this page's own.
const CONTEXT: &str = "interbank";

const FIELDS: [&str; 6] = [
    "from_account",
    "to_bank",
    "to_account",
    "recipient_name",
    "purpose",
    "amount",
];

/// A payment to another bank as the accounts service answers it.
#[derive(Debug, Deserialize)]
struct Payment {
    id: String,
    from_account: String,
    to_bank: String,
    to_account: String,
    recipient_name: String,
    purpose: String,
    amount: String,
    currency: String,
    state: String,
    reason: Option<String>,
    accepted_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
}

/// The catalogue key of a payment's state.
fn state_key(state: &str) -> String {
    format!("interbank-state-{state}")
}

/// The catalogue key of what a payment's state means for the client's money.
fn state_meaning_key(state: &str) -> String {
    format!("interbank-state-{state}-meaning")
}

/// Why a payment was returned or refused, in the reader's language; a reason the catalogues do
/// not name (another bank's own words) is shown as the clearing gave it.
fn reason_text(reason: &str, translator: &Translator) -> String {
    translator.t_or(
        &format!("interbank-reason-{}", reason.replace('_', "-")),
        reason,
    )
}

/// A payment as the list and its page show it.
pub struct PaymentView {
    pub id: String,
    pub from_account: String,
    pub to_bank: String,
    pub to_account: String,
    pub recipient_name: String,
    pub purpose: String,
    pub amount: String,
    pub state_key: String,
    pub state_meaning_key: String,
    /// Why it was returned or refused; empty otherwise.
    pub reason: String,
    pub accepted_at: String,
    /// When it went to the clearing and when the clearing decided; empty until then.
    pub sent_at: String,
    pub decided_at: String,
}

fn payment_view(payment: &Payment, state: &AppState, translator: &Translator) -> PaymentView {
    let moment = |at: Option<DateTime<Utc>>| {
        at.map(|at| format_moment_of(at, &state.calendar, translator.locale()))
            .unwrap_or_default()
    };
    PaymentView {
        id: payment.id.clone(),
        from_account: payment.from_account.clone(),
        to_bank: payment.to_bank.clone(),
        to_account: payment.to_account.clone(),
        recipient_name: payment.recipient_name.clone(),
        purpose: payment.purpose.clone(),
        amount: amount_text(&payment.amount, &payment.currency, translator),
        state_key: state_key(&payment.state),
        state_meaning_key: state_meaning_key(&payment.state),
        reason: payment
            .reason
            .as_deref()
            .map(|reason| reason_text(reason, translator))
            .unwrap_or_default(),
        accepted_at: moment(Some(payment.accepted_at)),
        sent_at: moment(payment.sent_at),
        decided_at: moment(payment.decided_at),
    }
}

/// One of the client's current accounts in sums, as the form offers it.
pub struct AccountChoice {
    pub number: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "other_banks.html")]
struct OtherBanksPage {
    t: Translator,
    layout: Layout,
    payments: Vec<PaymentView>,
    accounts: Vec<AccountChoice>,
    /// The form, with what was typed and why it was refused.
    form: FormState,
    /// The key the form carries, so the same form sent twice pays once.
    payment_key: String,
}

async fn list_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let payments: Vec<Payment> = send_json(state.accounts.authorized(
        Method::GET,
        "/v1/me/interbank-payments",
        token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, PAGE))?;
    // The clearing pays in sums only, and from a current account.
    let accounts: Vec<Account> = own_accounts(&state.accounts, token)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?
        .into_iter()
        .filter(|account| account.is_current() && account.currency == "UZS" && account.is_open())
        .collect();
    let translator = context.translator();
    Ok(render(
        status,
        &OtherBanksPage {
            payments: payments
                .iter()
                .map(|payment| payment_view(payment, state, &translator))
                .collect(),
            accounts: accounts
                .iter()
                .map(|account| AccountChoice {
                    number: account.number.clone(),
                    label: account.choice_label(&translator),
                })
                .collect(),
            form,
            payment_key: idempotency_key(),
            t: translator,
            layout: context.layout(Section::OtherBanks),
        },
    ))
}

/// The form that pays another bank and the client's payments to other banks.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = accounts_token(&state, &mut signed_in, PAGE).await?;
    list_page(
        &state,
        &context,
        &token,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct PaymentForm {
    #[serde(default)]
    from_account: String,
    #[serde(default)]
    to_bank: String,
    #[serde(default)]
    to_account: String,
    #[serde(default)]
    recipient_name: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    idempotency_key: String,
}

/// A code or number as typed, without the spaces people copy from an invoice
/// (`20208 000 6 12345678 001`).
fn without_spaces(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Sends a payment; it is shown on its own page, and a refusal beside the field it concerns.
pub async fn pay(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<PaymentForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = accounts_token(&state, &mut signed_in, PAGE).await?;
    let translator = context.translator();
    let to_bank = without_spaces(&submitted.to_bank);
    let to_account = without_spaces(&submitted.to_account);
    let recipient_name = submitted.recipient_name.trim();
    let purpose = submitted.purpose.trim();
    let mut form = FormState::from_pairs(vec![
        ("from_account".to_owned(), submitted.from_account.clone()),
        ("to_bank".to_owned(), to_bank.clone()),
        ("to_account".to_owned(), to_account.clone()),
        ("recipient_name".to_owned(), recipient_name.to_owned()),
        ("purpose".to_owned(), purpose.to_owned()),
        ("amount".to_owned(), submitted.amount.clone()),
    ]);
    for (field, value) in [
        ("from_account", submitted.from_account.trim()),
        ("to_bank", to_bank.as_str()),
        ("to_account", to_account.as_str()),
        ("recipient_name", recipient_name),
        ("purpose", purpose),
    ] {
        if value.is_empty() {
            form.refuse(&translator, field, "required");
        }
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
        return list_page(
            &state,
            &context,
            &token,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let answer: Result<Payment, CallError> = send_json(
        state
            .accounts
            .authorized(Method::POST, "/v1/me/interbank-payments", &token)
            .header(
                "idempotency-key",
                form_idempotency_key(&submitted.idempotency_key),
            )
            .json(&serde_json::json!({
                "from_account": submitted.from_account.trim(),
                "to_bank": to_bank,
                "to_account": to_account,
                "recipient_name": recipient_name,
                "purpose": purpose,
                "amount": amount.to_string(),
            })),
    )
    .await;
    let status = match answer {
        Ok(payment) => return Ok(see_other(&format!("{PAGE}/{}", payment.id))),
        // The form offers only the client's own current accounts in sums, so what is not
        // found is an account that is no longer theirs to pay from.
        Err(CallError::NotFound) => {
            let code = code_in_context(&translator, CONTEXT, "unknown_account");
            form.refuse(&translator, "from_account", &code);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            form.refuse_all(
                &translator,
                &refusals_in_context(&translator, CONTEXT, fields),
                &FIELDS,
            );
            if !form.has_errors() {
                form.notice = Some(problem_message(&translator, &code));
            }
            status
        }
        Err(error) => return Err(PageError::from_call(error, PAGE)),
    };
    list_page(&state, &context, &token, form, status).await
}

#[derive(Template)]
#[template(path = "other_bank_payment.html")]
struct PaymentPage {
    t: Translator,
    layout: Layout,
    payment: PaymentView,
}

/// One of the client's payments to other banks, with what its state means; another client's
/// is not found.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("{PAGE}/{id}");
    let token = accounts_token(&state, &mut signed_in, &next).await?;
    let payment: Payment = send_json(state.accounts.authorized(
        Method::GET,
        &format!("/v1/me/interbank-payments/{id}"),
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    Ok(render(
        StatusCode::OK,
        &PaymentPage {
            payment: payment_view(&payment, &state, &translator),
            t: translator,
            layout: context.layout(Section::OtherBanks),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{catalogues, Locale};

    #[test]
    fn every_state_of_a_payment_is_named_and_explained_in_every_language() {
        for locale in Locale::ALL {
            let ids = catalogues().message_ids(locale);
            for state in ["accepted", "sent", "settled", "returned", "refused"] {
                assert!(ids.contains(&state_key(state)), "{state}");
                assert!(ids.contains(&state_meaning_key(state)), "{state}");
            }
            let translator = Translator::new(locale);
            for reason in ["account_closed", "insufficient_funds", "not_in_settlement"] {
                assert_ne!(reason_text(reason, &translator), reason, "{reason}");
            }
            assert_eq!(
                reason_text("R03 no such account", &translator),
                "R03 no such account"
            );
        }
    }

    #[test]
    fn every_refusal_of_a_payment_is_explained_in_every_language() {
        for locale in Locale::ALL {
            let translator = Translator::new(locale);
            for code in [
                "invalid_bank_code",
                "same_bank",
                "invalid_account_number",
                "currency_not_cleared",
                "recipient_name_length",
                "purpose_length",
                "insufficient_funds",
                "account_closed",
                "account_number_wrong_length",
                "not_positive",
                "not_an_amount",
                "too_many_decimals",
                "unknown_account",
                "currency_mismatch",
            ] {
                let code = code_in_context(&translator, CONTEXT, code);
                let key = format!("error-{}", code.replace('_', "-"));
                assert!(
                    catalogues().message_ids(locale).contains(&key),
                    "{key} in {}",
                    locale.code()
                );
            }
            assert_ne!(
                problem_message(&translator, "idempotency_key_reused"),
                translator.t("problem-generic")
            );
        }
    }

    #[test]
    fn spaces_copied_from_an_invoice_are_dropped_from_codes_and_numbers() {
        assert_eq!(
            without_spaces(" 20208 000 6 12345678 001 "),
            "20208000612345678001"
        );
    }
}
