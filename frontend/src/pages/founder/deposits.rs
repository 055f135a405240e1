//! A client's term deposits: their deposits with what each has earned, a form that opens one
//! (a product on offer, one of their own open current accounts, an amount), and a deposit's
//! page with its figures, its interest schedule and, while it is open, what closing it early
//! today would pay, with the button that does.
//!
//! Opening and closing each carry an idempotency key made when the page was shown, as the
//! account opening form does, so the same form sent twice (a double click, a retry after a
//! timeout) opens one deposit or closes it once.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::NaiveDate;
use reqwest::Method;
use serde::Deserialize;

use crate::clients::accounts::{deposit_products, own_accounts, Account};
use crate::clients::api::{form_idempotency_key, idempotency_key, send, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::pages::shared::deposits::{payout_key, rate_text, term_text, ProductView};
use crate::pages::shared::forms::{problem_message, refusals_in_context, FormState};
use crate::pages::shared::signed_in::{accounts_token, require_client, see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_date, parse_typed_decimal, TypedNumberError};
use crate::web::i18n::Translator;
use crate::AppState;

const PAGE: &str = "/deposits";

/// Refusals whose shared words speak of transfers or programmes get the deposit pages' own.
const CONTEXT: &str = "deposit";

const FIELDS: [&str; 3] = ["product_id", "from_account", "amount"];

/// A deposit as the accounts service answers it.
#[derive(Clone, Debug, Deserialize)]
struct Deposit {
    id: String,
    product_name: String,
    currency: String,
    term_months: i16,
    annual_rate: String,
    early_withdrawal_rate: String,
    interest_payout: String,
    capitalised: bool,
    principal: String,
    balance: String,
    account_number: String,
    current_account: String,
    opened_on: NaiveDate,
    matures_on: NaiveDate,
    state: String,
    accrued_through: Option<NaiveDate>,
    interest_accrued: String,
    interest_paid: String,
    interest_capitalised: String,
    early_interest: Option<String>,
    returned: Option<String>,
    closed_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
struct SchedulePeriod {
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    base: String,
    interest: String,
    status: String,
}

#[derive(Debug, Deserialize)]
struct EarlyClosure {
    closed_on: NaiveDate,
    interest: String,
    credited: String,
    returned: String,
}

#[derive(Debug, Deserialize)]
struct DepositDetail {
    #[serde(flatten)]
    deposit: Deposit,
    schedule: Vec<SchedulePeriod>,
    early_closure: Option<EarlyClosure>,
}

/// The catalogue key of a deposit's state.
fn state_key(state: &str) -> String {
    format!("deposit-state-{}", state.replace('_', "-"))
}

/// A deposit as the list shows it.
pub struct DepositRow {
    pub id: String,
    pub product: String,
    pub principal: String,
    pub rate: String,
    pub matures_on: String,
    pub state_key: String,
    pub interest_accrued: String,
}

fn deposit_row(deposit: &Deposit, translator: &Translator) -> DepositRow {
    DepositRow {
        id: deposit.id.clone(),
        product: deposit.product_name.clone(),
        principal: amount_text(&deposit.principal, &deposit.currency, translator),
        rate: rate_text(&deposit.annual_rate, translator),
        matures_on: format_date(deposit.matures_on, translator.locale()),
        state_key: state_key(&deposit.state),
        interest_accrued: amount_text(&deposit.interest_accrued, &deposit.currency, translator),
    }
}

/// One of the client's open current accounts, as the form offers it.
pub struct AccountChoice {
    pub number: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "deposits.html")]
struct DepositsPage {
    t: Translator,
    layout: Layout,
    deposits: Vec<DepositRow>,
    products: Vec<ProductView>,
    accounts: Vec<AccountChoice>,
    /// The opening form, with what was typed and why it was refused.
    form: FormState,
    /// The key the opening form carries, so the same form sent twice opens one deposit.
    open_key: String,
}

async fn list_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let deposits: Vec<Deposit> = send_json(state.accounts.authorized(
        Method::GET,
        "/v1/me/deposits",
        token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, PAGE))?;
    let products = deposit_products(&state.accounts, token)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let accounts: Vec<Account> = own_accounts(&state.accounts, token)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?
        .into_iter()
        .filter(|account| account.kind == "client_current" && account.is_open())
        .collect();
    let translator = context.translator();
    Ok(render(
        status,
        &DepositsPage {
            deposits: deposits
                .iter()
                .map(|deposit| deposit_row(deposit, &translator))
                .collect(),
            products: products
                .iter()
                .filter(|product| product.is_offered())
                .map(|product| ProductView::new(product, &translator))
                .collect(),
            accounts: accounts
                .iter()
                .map(|account| AccountChoice {
                    number: account.number.clone(),
                    label: format!(
                        "{} · {}",
                        account.number,
                        amount_text(&account.available_balance, &account.currency, &translator)
                    ),
                })
                .collect(),
            form,
            open_key: idempotency_key(),
            t: translator,
            layout: context.layout(Section::Deposits),
        },
    ))
}

/// The client's deposits and the form that opens one.
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
pub struct OpenForm {
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    from_account: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    idempotency_key: String,
}

/// Opens a deposit; a refusal is shown beside the field it concerns.
pub async fn open(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<OpenForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = accounts_token(&state, &mut signed_in, PAGE).await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![
        ("product_id".to_owned(), submitted.product_id.clone()),
        ("from_account".to_owned(), submitted.from_account.clone()),
        ("amount".to_owned(), submitted.amount.clone()),
    ]);
    let product_id = path_segment(&submitted.product_id).ok();
    if product_id.is_none() {
        form.refuse(&translator, "product_id", "required");
    }
    if submitted.from_account.trim().is_empty() {
        form.refuse(&translator, "from_account", "required");
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
    let (Some(product_id), Some(amount), false) = (product_id, amount, form.has_errors()) else {
        return list_page(
            &state,
            &context,
            &token,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let answer = send(
        state
            .accounts
            .authorized(Method::POST, "/v1/me/deposits", &token)
            .header(
                "idempotency-key",
                form_idempotency_key(&submitted.idempotency_key),
            )
            .json(&serde_json::json!({
                "product_id": product_id,
                "from_account": submitted.from_account.trim(),
                "amount": amount.to_string(),
            })),
    )
    .await;
    let status = match answer {
        Ok(_) => return Ok(see_other(PAGE)),
        // The form offers only the client's own accounts and the products on offer, so what
        // is not found is an account that is no longer theirs to use.
        Err(CallError::NotFound) => {
            form.refuse(&translator, "from_account", "unknown_account");
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

/// One period of the schedule as the deposit's page shows it.
pub struct PeriodRow {
    pub period: String,
    pub base: String,
    pub interest: String,
    pub status_key: String,
}

/// What closing early today would settle, as the page shows it.
pub struct ClosureView {
    pub closed_on: String,
    pub interest: String,
    pub credited: String,
    pub returned: String,
}

/// A deposit's figures as its page shows them.
pub struct DepositView {
    pub id: String,
    pub product: String,
    pub state_key: String,
    pub principal: String,
    pub balance: String,
    pub rate: String,
    pub early_rate: String,
    pub term: String,
    pub payout_key: &'static str,
    pub opened_on: String,
    pub matures_on: String,
    pub account_number: String,
    pub current_account: String,
    pub interest_accrued: String,
    /// The last day whose interest is booked; empty before the first.
    pub accrued_through: String,
    pub interest_paid: String,
    pub interest_capitalised: String,
    /// What an early closure paid and returned, and when; empty unless closed early.
    pub early_interest: String,
    pub returned: String,
    pub closed_on: String,
}

fn deposit_view(deposit: &Deposit, translator: &Translator) -> DepositView {
    let locale = translator.locale();
    let money = |amount: &str| amount_text(amount, &deposit.currency, translator);
    let optional_money = |amount: &Option<String>| amount.as_deref().map(money).unwrap_or_default();
    let optional_date =
        |day: Option<NaiveDate>| day.map(|day| format_date(day, locale)).unwrap_or_default();
    DepositView {
        id: deposit.id.clone(),
        product: deposit.product_name.clone(),
        state_key: state_key(&deposit.state),
        principal: money(&deposit.principal),
        balance: money(&deposit.balance),
        rate: rate_text(&deposit.annual_rate, translator),
        early_rate: rate_text(&deposit.early_withdrawal_rate, translator),
        term: term_text(deposit.term_months, translator),
        payout_key: payout_key(&deposit.interest_payout, deposit.capitalised),
        opened_on: format_date(deposit.opened_on, locale),
        matures_on: format_date(deposit.matures_on, locale),
        account_number: deposit.account_number.clone(),
        current_account: deposit.current_account.clone(),
        interest_accrued: money(&deposit.interest_accrued),
        accrued_through: optional_date(deposit.accrued_through),
        interest_paid: money(&deposit.interest_paid),
        interest_capitalised: money(&deposit.interest_capitalised),
        early_interest: optional_money(&deposit.early_interest),
        returned: optional_money(&deposit.returned),
        closed_on: optional_date(deposit.closed_on),
    }
}

#[derive(Template)]
#[template(path = "deposit.html")]
struct DepositPage {
    t: Translator,
    layout: Layout,
    deposit: DepositView,
    schedule: Vec<PeriodRow>,
    closure: Option<ClosureView>,
    /// The key the close button's form carries, so a double click closes the deposit once.
    close_key: String,
    /// Why closing was refused.
    notice: Option<String>,
}

async fn deposit_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    id: &str,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let next = format!("{PAGE}/{id}");
    let detail: DepositDetail = send_json(state.accounts.authorized(
        Method::GET,
        &format!("/v1/me/deposits/{id}"),
        token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    let locale = translator.locale();
    let currency = &detail.deposit.currency;
    let money = |amount: &str| amount_text(amount, currency, &translator);
    Ok(render(
        status,
        &DepositPage {
            deposit: deposit_view(&detail.deposit, &translator),
            schedule: detail
                .schedule
                .iter()
                .map(|period| PeriodRow {
                    period: format!(
                        "{} – {}",
                        format_date(period.starts_on, locale),
                        format_date(period.ends_on, locale)
                    ),
                    base: money(&period.base),
                    interest: money(&period.interest),
                    status_key: format!("deposit-period-{}", period.status.replace('_', "-")),
                })
                .collect(),
            closure: detail.early_closure.as_ref().map(|closure| ClosureView {
                closed_on: format_date(closure.closed_on, locale),
                interest: money(&closure.interest),
                credited: money(&closure.credited),
                returned: money(&closure.returned),
            }),
            close_key: idempotency_key(),
            notice,
            t: translator,
            layout: context.layout(Section::Deposits),
        },
    ))
}

/// One of the client's deposits; another client's is not found.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let token = accounts_token(&state, &mut signed_in, &format!("{PAGE}/{id}")).await?;
    deposit_page(&state, &context, &token, id, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct CloseForm {
    #[serde(default)]
    idempotency_key: String,
}

/// Closes one of the client's deposits before maturity, at the early-withdrawal rate.
pub async fn close(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(submitted): Form<CloseForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("{PAGE}/{id}");
    let token = accounts_token(&state, &mut signed_in, &next).await?;
    let answer = send(
        state
            .accounts
            .authorized(Method::POST, &format!("/v1/me/deposits/{id}/close"), &token)
            .header(
                "idempotency-key",
                form_idempotency_key(&submitted.idempotency_key),
            ),
    )
    .await;
    match answer {
        Ok(_) => Ok(see_other(&next)),
        Err(CallError::Refused { status, code, .. }) => {
            let notice = Some(problem_message(&context.translator(), &code));
            deposit_page(&state, &context, &token, id, notice, status).await
        }
        Err(error) => Err(PageError::from_call(error, &next)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{catalogues, Locale};

    #[test]
    fn every_state_of_a_deposit_and_of_its_periods_is_named_in_every_language() {
        for locale in Locale::ALL {
            let ids = catalogues().message_ids(locale);
            for state in ["opening", "open", "closing", "matured", "closed_early"] {
                assert!(ids.contains(&state_key(state)), "{state}");
            }
            for status in ["paid", "capitalised", "accruing", "due", "not_paid"] {
                let key = format!("deposit-period-{}", status.replace('_', "-"));
                assert!(ids.contains(&key), "{status}");
            }
            for (payout, capitalised) in
                [("monthly", true), ("monthly", false), ("maturity", false)]
            {
                assert!(ids.contains(payout_key(payout, capitalised)));
            }
        }
    }
}
