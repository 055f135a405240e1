//! A client's payment templates and standing orders: the templates saved to send again, the
//! standing orders that pay one on a day of every month (each with what became of its last due
//! date), a form for each, and the cancellation of an order.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::NaiveDate;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::clients::accounts::{own_accounts, own_templates, Account};
use crate::clients::api::{send, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_date, parse_typed_decimal, TypedNumberError};
use crate::web::i18n::Translator;
use crate::AppState;

const PAGE: &str = "/payments";

fn require_client(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.person.is_client() {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

#[derive(Debug, Deserialize)]
struct StandingOrder {
    id: String,
    template_id: String,
    day_of_month: i16,
    state: String,
    last_due_on: Option<NaiveDate>,
    last_outcome: Option<String>,
    last_reason: Option<String>,
}

/// A template as the page lists it.
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    pub from_account: String,
    pub to_account: String,
    pub amount: String,
}

/// A standing order as the page lists it.
pub struct OrderRow {
    pub id: String,
    pub template: String,
    pub day_of_month: i16,
    pub active: bool,
    /// What became of the last due date, in the reader's words; empty before the first.
    pub last: String,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct PaymentsPage {
    t: Translator,
    layout: Layout,
    accounts: Vec<String>,
    templates: Vec<TemplateRow>,
    orders: Vec<OrderRow>,
    /// The template form, or the standing-order form, with what was typed and why it was
    /// refused; a refused cancellation's reason is the notice.
    form: FormState,
}

fn last_decision(order: &StandingOrder, translator: &Translator) -> String {
    let (Some(day), Some(outcome)) = (order.last_due_on, order.last_outcome.as_deref()) else {
        return String::new();
    };
    let what = match (outcome, order.last_reason.as_deref()) {
        ("booked", _) => translator.t("order-outcome-booked"),
        (_, Some(reason)) => translator.t(&format!("order-reason-{}", reason.replace('_', "-"))),
        _ => translator.t("order-outcome-skipped"),
    };
    format!("{} · {what}", format_date(day, translator.locale()))
}

async fn page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let accounts: Vec<Account> = own_accounts(&state.accounts, token)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let templates = own_templates(&state.accounts, token)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let orders: Vec<StandingOrder> = send_json(state.accounts.authorized(
        Method::GET,
        "/v1/me/standing-orders",
        token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, PAGE))?;
    let translator = context.translator();
    let name_of = |id: &str| {
        templates
            .iter()
            .find(|template| template.id == id)
            .map(|template| template.name.clone())
            .unwrap_or_default()
    };
    Ok(render(
        status,
        &PaymentsPage {
            accounts: accounts
                .iter()
                .filter(|account| account.is_current() && account.is_open())
                .map(|account| account.number.clone())
                .collect(),
            templates: templates
                .iter()
                .map(|template| TemplateRow {
                    id: template.id.clone(),
                    name: template.name.clone(),
                    from_account: template.from_account.clone(),
                    to_account: template.to_account.clone(),
                    amount: amount_text(&template.amount, &template.currency, &translator),
                })
                .collect(),
            orders: orders
                .iter()
                .map(|order| OrderRow {
                    id: order.id.clone(),
                    template: name_of(&order.template_id),
                    day_of_month: order.day_of_month,
                    active: order.state == "active",
                    last: last_decision(order, &translator),
                })
                .collect(),
            form,
            t: translator,
            layout: context.layout(Section::Payments),
        },
    ))
}

async fn token(state: &AppState, signed_in: &mut SignedIn) -> Result<String, PageError> {
    signed_in
        .access_token(state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))
}

/// The templates, the standing orders and their forms.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = token(&state, &mut signed_in).await?;
    let mut form = FormState::default();
    form.set("day_of_month", "1");
    page(&state, &context, &token, form, StatusCode::OK).await
}

/// The page again with why accounts refused what was asked, beside the fields it names.
async fn refused(
    state: &AppState,
    context: &PageContext,
    token: &str,
    mut form: FormState,
    fields: &[&str],
    error: CallError,
) -> Result<Response, PageError> {
    let translator = context.translator();
    let status = match error {
        CallError::Refused {
            status,
            code,
            fields: refusals,
        } => {
            form.refuse_all(&translator, &refusals, fields);
            if refusals.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            }
            status
        }
        CallError::NotFound => {
            form.notice = Some(problem_message(&translator, "not_found"));
            StatusCode::NOT_FOUND
        }
        other => return Err(PageError::from_call(other, PAGE)),
    };
    page(state, context, token, form, status).await
}

#[derive(Deserialize, Default)]
pub struct TemplateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    from_account: String,
    #[serde(default)]
    to_account: String,
    #[serde(default)]
    amount: String,
}

const TEMPLATE_FIELDS: [&str; 4] = ["name", "from_account", "to_account", "amount"];

/// Saves a template.
pub async fn save_template(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<TemplateForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = token(&state, &mut signed_in).await?;
    let translator = context.translator();
    let to_account: String = submitted
        .to_account
        .chars()
        .filter(|character| !character.is_whitespace())
        .collect();
    let mut form = FormState::from_pairs(vec![
        ("name".to_owned(), submitted.name.clone()),
        ("from_account".to_owned(), submitted.from_account.clone()),
        ("to_account".to_owned(), to_account.clone()),
        ("amount".to_owned(), submitted.amount.clone()),
        ("day_of_month".to_owned(), "1".to_owned()),
    ]);
    if submitted.name.trim().is_empty() {
        form.refuse(&translator, "name", "required");
    }
    if to_account.is_empty() {
        form.refuse(&translator, "to_account", "required");
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
    let (Some(amount), false) = (amount, form.has_errors()) else {
        return page(
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
            .authorized(Method::POST, "/v1/me/payment-templates", &token)
            .json(&json!({
                "name": submitted.name.trim(),
                "from_account": submitted.from_account,
                "to_account": to_account,
                "amount": amount.to_string(),
            })),
    )
    .await;
    match answer {
        Ok(_) => Ok(see_other(PAGE)),
        Err(error) => refused(&state, &context, &token, form, &TEMPLATE_FIELDS, error).await,
    }
}

#[derive(Deserialize, Default)]
pub struct OrderForm {
    #[serde(default)]
    template_id: String,
    #[serde(default)]
    day_of_month: String,
}

/// Creates a standing order of one of the client's templates.
pub async fn create_order(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<OrderForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = token(&state, &mut signed_in).await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![
        ("template_id".to_owned(), submitted.template_id.clone()),
        ("day_of_month".to_owned(), submitted.day_of_month.clone()),
    ]);
    let day = submitted
        .day_of_month
        .trim()
        .parse::<i16>()
        .ok()
        .filter(|day| (1..=28).contains(day));
    if day.is_none() {
        form.refuse(&translator, "day_of_month", "day_of_month_out_of_range");
    }
    let template_id = path_segment(&submitted.template_id).ok();
    if template_id.is_none() {
        form.refuse(&translator, "template_id", "required");
    }
    let (Some(day), Some(template_id)) = (day, template_id) else {
        return page(
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
            .authorized(Method::POST, "/v1/me/standing-orders", &token)
            .json(&json!({"template_id": template_id, "day_of_month": day})),
    )
    .await;
    match answer {
        Ok(_) => Ok(see_other(PAGE)),
        Err(error) => {
            refused(
                &state,
                &context,
                &token,
                form,
                &["template_id", "day_of_month"],
                error,
            )
            .await
        }
    }
}

/// Cancels one of the client's standing orders.
pub async fn cancel_order(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let token = token(&state, &mut signed_in).await?;
    let answer = send(state.accounts.authorized(
        Method::POST,
        &format!("/v1/me/standing-orders/{id}/cancel"),
        &token,
    ))
    .await;
    match answer {
        Ok(_) => Ok(see_other(PAGE)),
        Err(error) => refused(&state, &context, &token, FormState::default(), &[], error).await,
    }
}
