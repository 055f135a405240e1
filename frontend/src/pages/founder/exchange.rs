//! A client exchanging money between their own accounts in two currencies at the bank's
//! published rates: a form beside the rates in force, a quote to confirm (valid a minute), and
//! the result.
//!
//! As with transfers, the quote (with its one-time confirmation token and the idempotency key
//! of its confirmation) is kept in the server-side session, so the browser never holds the token
//! and a confirmation sent twice books one exchange.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::clients::accounts::{current_rates, own_accounts, Account, CURRENCIES};
use crate::clients::api::{send_json, CallError};
use crate::clients::applications::path_segment;
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::quotes::{ClientQuote, Confirmed, Pending, QuoteFlow};
use crate::pages::shared::rates::{rate_row, rate_text, RateRow};
use crate::pages::shared::signed_in::{accounts_token, require_client, see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_day_of, parse_typed_decimal};
use crate::web::i18n::Translator;
use crate::AppState;

const PAGE: &str = "/exchange";

/// The session keeps one exchange at a time, as it does one transfer.
const EXCHANGES: QuoteFlow = QuoteFlow {
    pending_key: "exchange.pending",
    done_key: "exchange.done",
    confirm_path: "/v1/me/exchanges/confirm",
    transfer_id_field: "transfer_id",
};

const FIELDS: [&str; 4] = ["from_account", "to_account", "amount", "amount_side"];

/// One of the client's open current accounts, as the form offers it.
pub struct AccountChoice {
    pub number: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "exchange.html")]
struct ExchangePage {
    t: Translator,
    layout: Layout,
    accounts: Vec<AccountChoice>,
    rates: Vec<RateRow>,
    form: FormState,
}

async fn form_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    mut form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let accounts: Vec<Account> = own_accounts(&state.accounts, token)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?
        .into_iter()
        .filter(|account| account.is_current() && account.is_open())
        .filter(|account| CURRENCIES.contains(&account.currency.as_str()))
        .collect();
    // A first visit offers an exchange between two currencies, not an account and itself.
    if form.value("from_account").is_empty() {
        if let Some(first) = accounts.first() {
            form.set("from_account", first.number.clone());
            if let Some(other) = accounts
                .iter()
                .find(|account| account.currency != first.currency)
            {
                form.set("to_account", other.number.clone());
            }
        }
    }
    let rates = current_rates(&state.accounts, token)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let translator = context.translator();
    Ok(render(
        status,
        &ExchangePage {
            accounts: accounts
                .iter()
                .map(|account| AccountChoice {
                    number: account.number.clone(),
                    label: account.choice_label(&translator),
                })
                .collect(),
            rates: rates
                .iter()
                .map(|rate| rate_row(rate, &translator, &state.calendar))
                .collect(),
            form,
            t: translator,
            layout: context.layout(Section::Exchange),
        },
    ))
}

/// The exchange form beside the rates in force.
pub async fn form(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = accounts_token(&state, &mut signed_in, PAGE).await?;
    let mut form = FormState::default();
    form.set("amount_side", "sell");
    form_page(&state, &context, &token, form, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct ExchangeForm {
    #[serde(default)]
    from_account: String,
    #[serde(default)]
    to_account: String,
    #[serde(default)]
    amount: String,
    /// `sell`: the amount is what leaves the first account; `buy`: what reaches the second.
    #[serde(default)]
    amount_side: String,
}

/// A quote as accounts answers it, kept in the session until it is confirmed.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct Quote {
    quote_id: String,
    from_account: String,
    to_account: String,
    sell_currency: String,
    sell_amount: String,
    buy_currency: String,
    buy_amount: String,
    rate: String,
    confirmation_token: String,
    expires_at: DateTime<Utc>,
}

impl ClientQuote for Quote {
    fn quote_id(&self) -> &str {
        &self.quote_id
    }

    fn confirmation_token(&self) -> &str {
        &self.confirmation_token
    }
}

/// Asks for a quote; on success the confirmation page shows it.
pub async fn quote(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<ExchangeForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = accounts_token(&state, &mut signed_in, PAGE).await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![
        ("from_account".to_owned(), submitted.from_account.clone()),
        ("to_account".to_owned(), submitted.to_account.clone()),
        ("amount".to_owned(), submitted.amount.clone()),
        ("amount_side".to_owned(), submitted.amount_side.clone()),
    ]);
    let side_field = match submitted.amount_side.as_str() {
        "sell" => Some("sell_amount"),
        "buy" => Some("buy_amount"),
        _ => {
            form.refuse(&translator, "amount_side", "required");
            None
        }
    };
    let amount = match parse_typed_decimal(&submitted.amount, translator.locale()) {
        Ok(amount) => Some(amount),
        Err(crate::web::format::TypedNumberError::Empty) => {
            form.refuse(&translator, "amount", "required");
            None
        }
        Err(crate::web::format::TypedNumberError::NotANumber) => {
            form.refuse(&translator, "amount", "not_a_number");
            None
        }
    };
    let (Some(amount), Some(side_field), false) = (amount, side_field, form.has_errors()) else {
        return form_page(
            &state,
            &context,
            &token,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let mut body = serde_json::json!({
        "from_account": submitted.from_account,
        "to_account": submitted.to_account,
    });
    body[side_field] = serde_json::Value::from(amount.to_string());
    let answer: Result<Quote, CallError> = send_json(
        state
            .accounts
            .authorized(Method::POST, "/v1/me/exchanges/quote", &token)
            .json(&body),
    )
    .await;
    let status = match answer {
        Ok(quote) => {
            let quote_id = quote.quote_id.clone();
            EXCHANGES.keep(&state, &mut signed_in, quote, PAGE).await?;
            return Ok(see_other(&format!("/exchange/{quote_id}")));
        }
        Err(CallError::NotFound) => {
            form.refuse(&translator, "to_account", "unknown_account");
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            // The service names the amount by the side it is on; the form has one field.
            let fields: Vec<_> = fields
                .into_iter()
                .map(|mut refusal| {
                    if refusal.field == "sell_amount" || refusal.field == "buy_amount" {
                        "amount".clone_into(&mut refusal.field);
                    }
                    refusal
                })
                .collect();
            form.refuse_all(&translator, &fields, &FIELDS);
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            }
            status
        }
        Err(error) => return Err(PageError::from_call(error, PAGE)),
    };
    form_page(&state, &context, &token, form, status).await
}

/// A quote as the confirmation and result pages show it.
pub struct QuoteView {
    pub id: String,
    pub from_account: String,
    pub to_account: String,
    pub sell: String,
    pub buy: String,
    pub rate: String,
    pub expires_at: String,
}

fn quote_view(
    quote: &Quote,
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
) -> QuoteView {
    QuoteView {
        id: quote.quote_id.clone(),
        from_account: quote.from_account.clone(),
        to_account: quote.to_account.clone(),
        sell: amount_text(&quote.sell_amount, &quote.sell_currency, translator),
        buy: amount_text(&quote.buy_amount, &quote.buy_currency, translator),
        rate: rate_text(&quote.rate, translator),
        expires_at: format!(
            "{} {} UTC",
            format_day_of(quote.expires_at, calendar, translator.locale()),
            quote.expires_at.format("%H:%M:%S")
        ),
    }
}

#[derive(Template)]
#[template(path = "exchange_confirm.html")]
struct ConfirmationPage {
    t: Translator,
    layout: Layout,
    quote: QuoteView,
    notice: Option<String>,
}

/// The quote to confirm: what leaves, what arrives, the rate and until when it holds.
pub async fn confirmation(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(quote_id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let quote_id = path_segment(&quote_id).map_err(|_| PageError::NotFound)?;
    if EXCHANGES.done(&signed_in, quote_id).is_some() {
        return Ok(see_other(&format!("/exchange/{quote_id}/done")));
    }
    let pending: Pending<Quote> = EXCHANGES
        .pending(&signed_in, quote_id)
        .ok_or(PageError::NotFound)?;
    let translator = context.translator();
    Ok(render(
        StatusCode::OK,
        &ConfirmationPage {
            quote: quote_view(&pending.quote, &translator, &state.calendar),
            notice: None,
            t: translator,
            layout: context.layout(Section::Exchange),
        },
    ))
}

/// Confirms the quote with the key made for it; a repeat books nothing more.
pub async fn confirm(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(quote_id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let quote_id = path_segment(&quote_id)
        .map_err(|_| PageError::NotFound)?
        .to_owned();
    let next = format!("/exchange/{quote_id}");
    let done = format!("/exchange/{quote_id}/done");
    if EXCHANGES.done(&signed_in, &quote_id).is_some() {
        return Ok(see_other(&done));
    }
    let pending: Pending<Quote> = EXCHANGES
        .pending(&signed_in, &quote_id)
        .ok_or(PageError::NotFound)?;
    let token = accounts_token(&state, &mut signed_in, &next).await?;
    match EXCHANGES
        .confirm(&state, &mut signed_in, &token, &pending, &next)
        .await?
    {
        Confirmed::Booked => Ok(see_other(&done)),
        Confirmed::Refused { status, code } => {
            let translator = context.translator();
            Ok(render(
                status,
                &ConfirmationPage {
                    quote: quote_view(&pending.quote, &translator, &state.calendar),
                    notice: Some(problem_message(&translator, &code)),
                    t: translator,
                    layout: context.layout(Section::Exchange),
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "exchange_done.html")]
struct ResultPage {
    t: Translator,
    layout: Layout,
    quote: QuoteView,
    transfer_id: String,
}

/// The booked exchange.
pub async fn result(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(quote_id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let quote_id = path_segment(&quote_id).map_err(|_| PageError::NotFound)?;
    let transfer_id = EXCHANGES
        .done(&signed_in, quote_id)
        .ok_or(PageError::NotFound)?;
    let pending: Pending<Quote> = EXCHANGES
        .pending(&signed_in, quote_id)
        .ok_or(PageError::NotFound)?;
    let translator = context.translator();
    Ok(render(
        StatusCode::OK,
        &ResultPage {
            quote: quote_view(&pending.quote, &translator, &state.calendar),
            transfer_id,
            t: translator,
            layout: context.layout(Section::Exchange),
        },
    ))
}
