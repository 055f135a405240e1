//! The administrator's term deposit products: every product, offered or withdrawn, with its
//! terms; a form that sets up a new one (refusals beside their fields in the reader's
//! language); and withdrawing a product, after which no one opens it but the deposits already
//! open keep their terms. The accounts service makes each change and audits it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::clients::accounts::{deposit_products, CURRENCIES};
use crate::clients::api::{send, CallError};
use crate::clients::applications::path_segment;
use crate::pages::shared::deposits::ProductView;
use crate::pages::shared::forms::{
    code_in_context, problem_message, refusals_in_context, FormState,
};
use crate::pages::shared::signed_in::{require_admin, see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{parse_typed_decimal, TypedNumberError};
use crate::web::i18n::Translator;
use crate::AppState;

const PAGE: &str = "/admin/deposit-products";

/// Refusals whose shared words speak of programmes (`rate_out_of_range`) get the products'
/// own.
const CONTEXT: &str = "deposit";

const FIELDS: [&str; 8] = [
    "name",
    "currency",
    "term_months",
    "annual_rate",
    "early_withdrawal_rate",
    "min_amount",
    "interest_payout",
    "capitalised",
];

/// How interest may be paid, as the service names it, with the catalogue key of its words.
const PAYOUTS: [(&str, &str); 2] = [
    ("monthly", "deposit-payout-monthly"),
    ("maturity", "deposit-payout-maturity"),
];

#[derive(Template)]
#[template(path = "admin_deposit_products.html")]
struct ProductsPage {
    t: Translator,
    layout: Layout,
    products: Vec<ProductView>,
    currencies: [&'static str; 3],
    payouts: [(&'static str, &'static str); 2],
    /// The new product's form, with what was typed and why it was refused; a refused
    /// withdrawal's reason is its notice.
    form: FormState,
}

async fn token(state: &AppState, signed_in: &mut SignedIn) -> Result<String, PageError> {
    signed_in
        .access_token(state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))
}

async fn page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let products = deposit_products(&state.accounts, token)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let translator = context.translator();
    Ok(render(
        status,
        &ProductsPage {
            products: products
                .iter()
                .map(|product| ProductView::new(product, &translator))
                .collect(),
            currencies: CURRENCIES,
            payouts: PAYOUTS,
            form,
            t: translator,
            layout: context.layout(Section::AdminDepositProducts),
        },
    ))
}

/// The products and the form that sets up a new one.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let token = token(&state, &mut signed_in).await?;
    let mut form = FormState::default();
    form.set("interest_payout", "monthly");
    page(&state, &context, &token, form, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct ProductForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    term_months: String,
    #[serde(default)]
    annual_rate: String,
    #[serde(default)]
    early_withdrawal_rate: String,
    #[serde(default)]
    min_amount: String,
    #[serde(default)]
    interest_payout: String,
    /// `true` when the box is ticked; a browser sends nothing for an unticked one.
    #[serde(default)]
    capitalised: String,
}

/// Reads a number typed in the reader's notation, refusing its field with `not_a_number_code`
/// when it does not read.
fn typed_decimal(
    form: &mut FormState,
    translator: &Translator,
    field: &str,
    text: &str,
    not_a_number_code: &str,
) -> Option<rust_decimal::Decimal> {
    match parse_typed_decimal(text, translator.locale()) {
        Ok(number) => Some(number),
        Err(TypedNumberError::Empty) => {
            form.refuse(translator, field, "required");
            None
        }
        Err(TypedNumberError::NotANumber) => {
            form.refuse(translator, field, not_a_number_code);
            None
        }
    }
}

/// Sets up a product; a refusal is shown beside its field with what was typed.
pub async fn create(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<ProductForm>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let token = token(&state, &mut signed_in).await?;
    let translator = context.translator();
    let capitalised = submitted.capitalised == "true";
    let mut form = FormState::from_pairs(vec![
        ("name".to_owned(), submitted.name.clone()),
        ("currency".to_owned(), submitted.currency.clone()),
        ("term_months".to_owned(), submitted.term_months.clone()),
        ("annual_rate".to_owned(), submitted.annual_rate.clone()),
        (
            "early_withdrawal_rate".to_owned(),
            submitted.early_withdrawal_rate.clone(),
        ),
        ("min_amount".to_owned(), submitted.min_amount.clone()),
        (
            "interest_payout".to_owned(),
            submitted.interest_payout.clone(),
        ),
        ("capitalised".to_owned(), capitalised.to_string()),
    ]);
    let name = submitted.name.trim();
    if name.is_empty() {
        form.refuse(&translator, "name", "required");
    }
    let term_months = match submitted.term_months.trim() {
        "" => {
            form.refuse(&translator, "term_months", "required");
            None
        }
        typed => typed.parse::<u32>().ok().or_else(|| {
            form.refuse(&translator, "term_months", "not_a_whole_number");
            None
        }),
    };
    let not_a_rate = code_in_context(&translator, CONTEXT, "not_a_rate");
    let annual_rate = typed_decimal(
        &mut form,
        &translator,
        "annual_rate",
        &submitted.annual_rate,
        &not_a_rate,
    );
    let early_rate = typed_decimal(
        &mut form,
        &translator,
        "early_withdrawal_rate",
        &submitted.early_withdrawal_rate,
        &not_a_rate,
    );
    let min_amount = typed_decimal(
        &mut form,
        &translator,
        "min_amount",
        &submitted.min_amount,
        "not_a_number",
    );
    let (Some(term_months), Some(annual_rate), Some(early_rate), Some(min_amount), false) = (
        term_months,
        annual_rate,
        early_rate,
        min_amount,
        form.has_errors(),
    ) else {
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
            .authorized(Method::POST, "/v1/deposit-products", &token)
            .json(&json!({
                "name": name,
                "currency": submitted.currency,
                "term_months": term_months,
                "annual_rate": annual_rate.to_string(),
                "early_withdrawal_rate": early_rate.to_string(),
                "min_amount": min_amount.to_string(),
                "interest_payout": submitted.interest_payout,
                "capitalised": capitalised,
            })),
    )
    .await;
    let status = match answer {
        Ok(_) => return Ok(see_other(PAGE)),
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
    page(&state, &context, &token, form, status).await
}

/// Stops offering a product.
pub async fn withdraw(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let token = token(&state, &mut signed_in).await?;
    let answer = send(state.accounts.authorized(
        Method::POST,
        &format!("/v1/deposit-products/{id}/withdraw"),
        &token,
    ))
    .await;
    match answer {
        // The service answers "not found" for a product no longer on offer: a second click on
        // the button finds what the first one asked for already done.
        Ok(_) | Err(CallError::NotFound) => Ok(see_other(PAGE)),
        Err(CallError::Refused { status, code, .. }) => {
            let mut form = FormState::default();
            form.notice = Some(problem_message(&context.translator(), &code));
            page(&state, &context, &token, form, status).await
        }
        Err(error) => Err(PageError::from_call(error, PAGE)),
    }
}
