//! Paying the state and utilities: the catalogue of payees by category, an invoice looked up by
//! its number, paid from one of the client's own open current accounts in its currency, the
//! payment's result (paid, with the billing system's confirmation number and a receipt; or
//! pending, the money held until the payee's system answers; or refused), the client's payments,
//! and a paid one's receipt as a PDF in the page's language.
//!
//! Nothing is quoted first: the invoice the page shows is what is paid, and the accounts
//! service refuses the payment if the billing system's amount has changed since. The pay form
//! carries an idempotency key made when the page was shown, as the account-opening form does,
//! so the same form sent twice pays once; the service also pays an invoice once whatever the
//! key, so a fresh page (and key) cannot pay it twice either.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Method;
use serde::Deserialize;

use crate::clients::accounts::{own_accounts, Account};
use crate::clients::api::{
    form_idempotency_key, idempotency_key, send, send_json, send_naming_fields, CallError,
};
use crate::clients::applications::path_segment;
use crate::pages::shared::download::attachment;
use crate::pages::shared::forms::{field_message, problem_message, FormState};
use crate::pages::shared::signed_in::{accounts_token, require_client, see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_date, format_day_of};
use crate::web::i18n::Translator;
use crate::AppState;

const PAGE: &str = "/bills";

/// The fields of the two forms on the page: the invoice number looked up (and paid), and the
/// account it is paid from.
const FIELDS: [&str; 2] = ["invoice_number", "from_account"];

/// The payees' categories in the order the catalogue lists them.
const CATEGORIES: [&str; 4] = ["state_duty", "fine", "tax", "utility"];

#[derive(Clone, Debug, Deserialize)]
struct Payee {
    name: String,
    category: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Invoice {
    number: String,
    payee: Payee,
    description: String,
    amount: String,
    currency: String,
    expires_on: NaiveDate,
    status: String,
}

#[derive(Clone, Debug, Deserialize)]
struct BillPayment {
    id: String,
    payee: Payee,
    invoice_number: String,
    description: String,
    amount: String,
    currency: String,
    from_account: String,
    state: String,
    confirmation_number: Option<String>,
    refusal: Option<String>,
    created_at: DateTime<Utc>,
}

/// One of the client's accounts the invoice can be paid from, as the pay form offers it.
pub struct AccountChoice {
    pub number: String,
    pub label: String,
}

/// A category of the catalogue with its payees' names.
pub struct CategoryView {
    pub name: String,
    pub payees: Vec<String>,
}

/// The category's name in the reader's language; one the catalogues do not name yet is shown
/// as the service wrote it.
fn category_name(category: &str, translator: &Translator) -> String {
    translator.t_or(
        &format!("bills-category-{}", category.replace('_', "-")),
        category,
    )
}

/// The payees grouped by category, the known categories first in their order and any other
/// after them, so a category added to the catalogue later is still listed.
fn categories(payees: &[Payee], translator: &Translator) -> Vec<CategoryView> {
    let mut order: Vec<&str> = CATEGORIES.to_vec();
    for payee in payees {
        if !order.contains(&payee.category.as_str()) {
            order.push(&payee.category);
        }
    }
    order
        .into_iter()
        .map(|category| CategoryView {
            name: category_name(category, translator),
            payees: payees
                .iter()
                .filter(|payee| payee.category == category)
                .map(|payee| payee.name.clone())
                .collect(),
        })
        .filter(|view| !view.payees.is_empty())
        .collect()
}

/// An invoice as the page shows it.
pub struct InvoiceView {
    pub number: String,
    pub payee: String,
    pub category: String,
    pub description: String,
    pub amount: String,
    pub expires_on: String,
    pub status: String,
    pub payable: bool,
    pub paid: bool,
    pub expired: bool,
}

fn invoice_view(invoice: &Invoice, translator: &Translator) -> InvoiceView {
    InvoiceView {
        number: invoice.number.clone(),
        payee: invoice.payee.name.clone(),
        category: category_name(&invoice.payee.category, translator),
        description: invoice.description.clone(),
        amount: amount_text(&invoice.amount, &invoice.currency, translator),
        expires_on: format_date(invoice.expires_on, translator.locale()),
        status: translator.t_or(&format!("bills-status-{}", invoice.status), &invoice.status),
        payable: invoice.status == "payable",
        paid: invoice.status == "paid",
        expired: invoice.status == "expired",
    }
}

/// A payment as the list and its own page show it.
pub struct PaymentView {
    pub id: String,
    pub payee: String,
    pub invoice_number: String,
    pub description: String,
    pub amount: String,
    pub from_account: String,
    pub created: String,
    pub state: String,
    pub paid: bool,
    pub pending: bool,
    /// Why it was refused, in the reader's words; empty unless refused.
    pub refusal: String,
    /// The billing system's confirmation number; empty until paid.
    pub confirmation_number: String,
}

fn payment_view(
    payment: &BillPayment,
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
) -> PaymentView {
    PaymentView {
        id: payment.id.clone(),
        payee: payment.payee.name.clone(),
        invoice_number: payment.invoice_number.clone(),
        description: payment.description.clone(),
        amount: amount_text(&payment.amount, &payment.currency, translator),
        from_account: payment.from_account.clone(),
        created: format_day_of(payment.created_at, calendar, translator.locale()),
        state: translator.t_or(&format!("bills-state-{}", payment.state), &payment.state),
        paid: payment.state == "paid",
        pending: payment.state == "pending",
        refusal: payment
            .refusal
            .as_deref()
            .map(|code| field_message(translator, code))
            .unwrap_or_default(),
        confirmation_number: payment.confirmation_number.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "bills.html")]
struct BillsPage {
    t: Translator,
    layout: Layout,
    categories: Vec<CategoryView>,
    /// The invoice number typed and the account chosen, with why either was refused.
    form: FormState,
    invoice: Option<InvoiceView>,
    /// The client's open current accounts in the invoice's currency.
    accounts: Vec<AccountChoice>,
    /// The currency the invoice is paid in, for the words when no account holds it.
    currency: String,
    /// The key the pay form carries, so the same form sent twice pays once.
    pay_key: String,
    payments: Vec<PaymentView>,
}

async fn bills_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    invoice: Option<Invoice>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let payees: Vec<Payee> = send_json(state.accounts.authorized(
        Method::GET,
        "/v1/billing/payees",
        token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, PAGE))?;
    let payments: Vec<BillPayment> = send_json(state.accounts.authorized(
        Method::GET,
        "/v1/me/bill-payments",
        token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, PAGE))?;
    let accounts: Vec<Account> = match &invoice {
        Some(invoice) if invoice.status == "payable" => own_accounts(&state.accounts, token)
            .await
            .map_err(|error| PageError::from_call(error, PAGE))?
            .into_iter()
            .filter(|account| {
                account.is_current() && account.is_open() && account.currency == invoice.currency
            })
            .collect(),
        _ => Vec::new(),
    };
    let translator = context.translator();
    Ok(render(
        status,
        &BillsPage {
            categories: categories(&payees, &translator),
            form,
            accounts: accounts
                .iter()
                .map(|account| AccountChoice {
                    number: account.number.clone(),
                    label: account.choice_label(&translator),
                })
                .collect(),
            currency: invoice
                .as_ref()
                .map(|invoice| invoice.currency.clone())
                .unwrap_or_default(),
            invoice: invoice
                .as_ref()
                .map(|invoice| invoice_view(invoice, &translator)),
            pay_key: idempotency_key(),
            payments: payments
                .iter()
                .map(|payment| payment_view(payment, &translator, &state.calendar))
                .collect(),
            t: translator,
            layout: context.layout(Section::Bills),
        },
    ))
}

/// Puts a refusal beside the field it names (the invoice number or the account) or, when it
/// names none, above the forms; answers the status the page is shown with. A 404 naming a
/// field (an invoice or an account the service does not know) is a refused field of a page that
/// exists, so the page answers 422.
fn refused(
    form: &mut FormState,
    translator: &Translator,
    error: CallError,
) -> Result<StatusCode, PageError> {
    match error {
        CallError::Refused {
            status,
            code,
            fields,
        } => {
            form.refuse_all(translator, &fields, &FIELDS);
            if fields.is_empty() {
                form.notice = Some(problem_message(translator, &code));
            }
            Ok(if status == StatusCode::NOT_FOUND {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                status
            })
        }
        other => Err(PageError::from_call(other, PAGE)),
    }
}

/// Looks the invoice up by the number typed. A number that finds none is refused beside the
/// field, and the inner `Err` is the status to show the page with.
async fn look_up(
    state: &AppState,
    token: &str,
    number: &str,
    translator: &Translator,
    form: &mut FormState,
) -> Result<Result<Invoice, StatusCode>, PageError> {
    let number = number.trim();
    if number.is_empty() {
        form.refuse(translator, "invoice_number", "required");
        return Ok(Err(StatusCode::UNPROCESSABLE_ENTITY));
    }
    // The number becomes a segment of the service's path, so only the characters any invoice
    // number is made of go there; the service checks the rest of the rule.
    if !number
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || character == '-')
    {
        form.refuse(translator, "invoice_number", "invalid_invoice_number");
        return Ok(Err(StatusCode::UNPROCESSABLE_ENTITY));
    }
    let answer = send_naming_fields(state.accounts.authorized(
        Method::GET,
        &format!("/v1/billing/invoices/{number}"),
        token,
    ))
    .await;
    let read = match answer {
        Ok(response) => response
            .json::<Invoice>()
            .await
            .map_err(|error| CallError::Unavailable(format!("unreadable answer: {error}"))),
        Err(error) => Err(error),
    };
    match read {
        Ok(invoice) => Ok(Ok(invoice)),
        Err(error) => refused(form, translator, error).map(Err),
    }
}

/// What the invoice form sends: the number to look up.
#[derive(Deserialize, Default)]
pub struct LookupQuery {
    invoice_number: Option<String>,
}

/// The catalogue of payees, the invoice form (and the invoice looked up, with the pay form
/// when it can be paid), and the client's payments.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Query(query): Query<LookupQuery>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = accounts_token(&state, &mut signed_in, PAGE).await?;
    let Some(number) = query.invoice_number else {
        return bills_page(
            &state,
            &context,
            &token,
            FormState::default(),
            None,
            StatusCode::OK,
        )
        .await;
    };
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![("invoice_number".to_owned(), number.clone())]);
    let (invoice, status) = match look_up(&state, &token, &number, &translator, &mut form).await? {
        Ok(invoice) => (Some(invoice), StatusCode::OK),
        Err(status) => (None, status),
    };
    bills_page(&state, &context, &token, form, invoice, status).await
}

#[derive(Deserialize, Default)]
pub struct PayForm {
    #[serde(default)]
    invoice_number: String,
    #[serde(default)]
    from_account: String,
    #[serde(default)]
    idempotency_key: String,
}

/// Pays the invoice from the account chosen; the payment's page shows what became of it. A
/// refusal shows the invoice again as it now stands, the reason beside its field.
pub async fn pay(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<PayForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = accounts_token(&state, &mut signed_in, PAGE).await?;
    let answer = send_naming_fields(
        state
            .accounts
            .authorized(Method::POST, "/v1/me/bill-payments", &token)
            .header(
                "idempotency-key",
                form_idempotency_key(&submitted.idempotency_key),
            )
            .json(&serde_json::json!({
                "invoice_number": submitted.invoice_number.trim(),
                "from_account": submitted.from_account,
            })),
    )
    .await;
    let error = match answer {
        Ok(response) => {
            let payment: BillPayment = response.json().await.map_err(|error| {
                tracing::error!(%error, "a bill payment's answer could not be read");
                PageError::Unavailable
            })?;
            let id = path_segment(&payment.id).map_err(|_| PageError::Unavailable)?;
            return Ok(see_other(&format!("/bills/payments/{id}")));
        }
        Err(error) => error,
    };
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![
        (
            "invoice_number".to_owned(),
            submitted.invoice_number.clone(),
        ),
        ("from_account".to_owned(), submitted.from_account.clone()),
    ]);
    let status = refused(&mut form, &translator, error)?;
    // The invoice as it stands now: one paid or expired meanwhile shows why it cannot be paid.
    let invoice = look_up(
        &state,
        &token,
        &submitted.invoice_number,
        &translator,
        &mut form,
    )
    .await?
    .ok();
    bills_page(&state, &context, &token, form, invoice, status).await
}

#[derive(Template)]
#[template(path = "bill_payment.html")]
struct PaymentPage {
    t: Translator,
    layout: Layout,
    payment: PaymentView,
}

/// One of the client's payments: paid with its confirmation number and receipt, pending while
/// the money is held, or refused and why. Another client's payment is not found.
pub async fn payment(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/bills/payments/{id}");
    let token = accounts_token(&state, &mut signed_in, &next).await?;
    let payment: BillPayment = send_json(state.accounts.authorized(
        Method::GET,
        &format!("/v1/me/bill-payments/{id}"),
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    Ok(render(
        StatusCode::OK,
        &PaymentPage {
            payment: payment_view(&payment, &translator, &state.calendar),
            t: translator,
            layout: context.layout(Section::Bills),
        },
    ))
}

/// A paid payment's receipt as a PDF in the page's language, streamed from the accounts
/// service as an attachment.
pub async fn receipt(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/bills/payments/{id}");
    let token = accounts_token(&state, &mut signed_in, &next).await?;
    let upstream = send(
        state
            .accounts
            .authorized(
                Method::GET,
                &format!("/v1/me/bill-payments/{id}/receipt.pdf"),
                &token,
            )
            .query(&[("lang", context.translator().locale().code())]),
    )
    .await
    .map_err(|error| match error {
        // A payment that is not paid has no receipt (yet): the address names nothing to send.
        CallError::Refused { ref code, .. } if code == "receipt_not_ready" => PageError::NotFound,
        error => PageError::from_call(error, &next),
    })?;
    // The id is a UUID (checked above), so the name needs no escaping.
    Ok(attachment(
        upstream,
        "application/pdf",
        &format!("receipt-{id}.pdf"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Locale;

    fn payee(name: &str, category: &str) -> Payee {
        Payee {
            name: name.to_owned(),
            category: category.to_owned(),
        }
    }

    #[test]
    fn payees_are_grouped_by_category_in_the_catalogues_order_with_unknown_ones_last() {
        let translator = Translator::new(Locale::En);
        let grouped = categories(
            &[
                payee("Gas", "utility"),
                payee("Lottery", "charity"),
                payee("Passport", "state_duty"),
                payee("Power", "utility"),
            ],
            &translator,
        );
        let names: Vec<(&str, Vec<&str>)> = grouped
            .iter()
            .map(|view| {
                (
                    view.name.as_str(),
                    view.payees.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("State duties", vec!["Passport"]),
                ("Utilities", vec!["Gas", "Power"]),
                ("charity", vec!["Lottery"]),
            ]
        );
    }

    #[test]
    fn every_category_state_and_refusal_is_named_in_every_language() {
        for locale in Locale::ALL {
            let translator = Translator::new(locale);
            for category in CATEGORIES {
                assert_ne!(category_name(category, &translator), category);
            }
            for key in [
                "bills-status-payable",
                "bills-status-paid",
                "bills-status-expired",
                "bills-state-pending",
                "bills-state-paid",
                "bills-state-refused",
            ] {
                assert_ne!(translator.t_or(key, key), key);
            }
            for code in [
                "invoice_not_found",
                "invalid_invoice_number",
                "billing_unavailable",
                "invoice_already_paid",
                "invoice_expired",
                "invoice_amount_mismatch",
                "insufficient_funds",
                "currency_mismatch",
                "account_closed",
                "unknown_account",
            ] {
                assert_ne!(
                    field_message(&translator, code),
                    translator.t("error-invalid"),
                    "{code}"
                );
            }
        }
    }
}
