//! The loan book for the staff who lend, decide and account for the money: what the bank is
//! owed per currency and programme with the portfolio at risk, the arrangement fees collected
//! and the late charges levied (shown as part of the penalties, which already hold them), the
//! money paid out and repaid per month, and every loan as a CSV file. The figures are the disbursement service's; this
//! page only names the programmes and writes the amounts the visitor's way.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use reqwest::Method;

use crate::clients::api::{send, send_json, CallError};
use crate::clients::applications::ApplicationsCalls;
use crate::clients::disbursement::{BookTotals, LoanBook};
use crate::pages::shared::download::attachment;
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_date};
use crate::web::i18n::Translator;
use crate::AppState;

const NEXT: &str = "/loan-book";

/// A set of loans in one currency as the table shows it.
pub struct TotalsRow {
    /// The programme's name on the programme table; the currency on the currency table.
    pub label: String,
    pub active_contracts: i64,
    pub outstanding: String,
    pub interest_due: String,
    pub penalty: String,
    pub par30: String,
    pub par90: String,
    pub written_off_contracts: i64,
    pub written_off: String,
    /// Paid back on the written-off loans since their write-off.
    pub recovered: String,
    pub fees_collected: String,
    /// Of the penalties: the late charges levied.
    pub late_charges: String,
}

/// A month's money, as the table shows it.
pub struct MonthRow {
    pub month: String,
    pub disbursed: String,
    pub repaid_principal: String,
    pub repaid_interest: String,
    pub repaid_penalty: String,
}

#[derive(Template)]
#[template(path = "loan_book.html")]
struct LoanBookPage {
    t: Translator,
    layout: Layout,
    as_of: String,
    currencies: Vec<TotalsRow>,
    programmes: Vec<TotalsRow>,
    months: Vec<MonthRow>,
}

/// A share of the outstanding principal: the amount, then the percentage the service computed.
fn at_risk(principal: &str, percent: &str, currency: &str, translator: &Translator) -> String {
    format!(
        "{} ({percent} %)",
        amount_text(principal, currency, translator)
    )
}

fn totals_row(label: String, totals: &BookTotals, translator: &Translator) -> TotalsRow {
    let money = |amount: &str| amount_text(amount, &totals.currency, translator);
    TotalsRow {
        label,
        active_contracts: totals.active_contracts,
        outstanding: money(&totals.outstanding_principal),
        interest_due: money(&totals.interest_due),
        penalty: money(&totals.penalty_outstanding),
        par30: at_risk(
            &totals.par30_principal,
            &totals.par30_percent,
            &totals.currency,
            translator,
        ),
        par90: at_risk(
            &totals.par90_principal,
            &totals.par90_percent,
            &totals.currency,
            translator,
        ),
        written_off_contracts: totals.written_off_contracts,
        written_off: money(&totals.written_off_principal),
        recovered: money(&totals.recovered),
        fees_collected: money(&totals.arrangement_fees_collected),
        late_charges: money(&totals.late_charges_applied),
    }
}

/// The programmes' names in the visitor's language by id; a programme the list does not hold
/// (or a list that cannot be read) is shown by the words "Programme" and its short id.
async fn programme_names(
    state: &AppState,
    signed_in: &mut SignedIn,
    translator: &Translator,
) -> HashMap<String, String> {
    let Ok(token) = signed_in.access_token(state, "applications").await else {
        return HashMap::new();
    };
    let calls = ApplicationsCalls {
        api: &state.applications,
        token: &token,
    };
    calls
        .programmes()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|programme| {
            let name = programme.name.get(translator.locale()).to_owned();
            (programme.id, name)
        })
        .collect()
}

/// The loan book page; the disbursement service decides who may read the book.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    if !signed_in.person.is_portfolio_staff() {
        return Err(PageError::WrongRole);
    }
    let token = signed_in
        .access_token(&state, "disbursement")
        .await
        .map_err(|error| PageError::from_call(error, NEXT))?;
    let book: LoanBook = send_json(state.contracts.authorized(
        Method::GET,
        "/v1/loan-book",
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, NEXT))?;
    let translator = context.translator();
    let names = programme_names(&state, &mut signed_in, &translator).await;
    let currencies = book
        .currencies
        .iter()
        .map(|totals| totals_row(totals.currency.clone(), totals, &translator))
        .collect();
    let programmes = book
        .programmes
        .iter()
        .map(|programme| {
            let label = names
                .get(&programme.programme_id)
                .cloned()
                .unwrap_or_else(|| {
                    let short: String = programme.programme_id.chars().take(8).collect();
                    format!("{} {short}", translator.t("loan-book-programme"))
                });
            totals_row(
                format!("{label} · {}", programme.totals.currency),
                &programme.totals,
                &translator,
            )
        })
        .collect();
    let months = book
        .months
        .iter()
        .map(|flow| {
            let money = |amount: &str| amount_text(amount, &flow.currency, &translator);
            MonthRow {
                month: format!("{} · {}", flow.month, flow.currency),
                disbursed: money(&flow.disbursed),
                repaid_principal: money(&flow.repaid_principal),
                repaid_interest: money(&flow.repaid_interest),
                repaid_penalty: money(&flow.repaid_penalty),
            }
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &LoanBookPage {
            as_of: format_date(book.as_of, translator.locale()),
            currencies,
            programmes,
            months,
            t: translator,
            layout: context.layout(Section::LoanBook),
        },
    ))
}

/// Every loan of the book as CSV, streamed from the disbursement service.
pub async fn csv(
    State(state): State<AppState>,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    if !signed_in.person.is_portfolio_staff() {
        return Err(PageError::WrongRole);
    }
    let token = signed_in
        .access_token(&state, "disbursement")
        .await
        .map_err(|error| PageError::from_call(error, NEXT))?;
    let upstream = send(state.contracts.authorized(
        Method::GET,
        "/v1/loan-book/contracts.csv",
        &token,
    ))
    .await
    .map_err(|error: CallError| PageError::from_call(error, NEXT))?;
    Ok(attachment(
        upstream,
        "text/csv; charset=utf-8",
        "loan-book.csv",
    ))
}
