//! A bank client's money: their accounts with posted and available balances (opened in sums,
//! dollars or euros from the page, named, and closed when empty), an account's statement by
//! period with its CSV and PDF downloads, and a transfer to another client's account by number
//! (form, quote, confirmation showing the daily limit, result).
//!
//! A transfer is quoted first and confirmed second. The quote, with its one-time confirmation
//! token and the idempotency key of its confirmation, is kept in the server-side session, so the
//! browser never holds the token and a confirmation sent twice (a double click, a retry after a
//! timeout) books the transfer once.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::clients::accounts::{own_accounts, own_templates, Account, CURRENCIES};
use crate::clients::api::{form_idempotency_key, idempotency_key};
use crate::clients::api::{send, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::pages::shared::download::attachment;
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::holdings;
use crate::pages::shared::quotes::{ClientQuote, Confirmed, Pending, QuoteFlow};
use crate::pages::shared::signed_in::{accounts_token, require_client, see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::amount_text;
use crate::web::format::{format_date, format_day_of, parse_typed_decimal};
use crate::web::i18n::Translator;
use crate::AppState;

/// An account number is twenty digits; anything else in the URL cannot name one.
fn account_segment(number: &str) -> Result<&str, PageError> {
    if number.len() == 20 && number.bytes().all(|byte| byte.is_ascii_digit()) {
        Ok(number)
    } else {
        Err(PageError::NotFound)
    }
}

#[derive(Clone, Debug, Deserialize)]
struct Limit {
    currency: String,
    daily_limit: String,
    sent_today: String,
    remaining: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Limits {
    limits: Vec<Limit>,
}

/// An account as the pages list it.
pub struct AccountRow {
    pub number: String,
    pub kind_key: String,
    /// Whether the client holds it themselves or operates it for their company.
    pub holder_key: &'static str,
    pub name: String,
    pub posted: String,
    pub available: String,
    /// An empty current account, which its owner may close.
    pub closable: bool,
}

fn is_zero(amount: &str) -> bool {
    amount
        .parse::<rust_decimal::Decimal>()
        .is_ok_and(|amount| amount.is_zero())
}

/// The daily limit of one currency as the pages show it.
pub struct LimitRow {
    pub limit: String,
    pub sent_today: String,
    pub remaining: String,
}

/// Whether an open current account may be closed from the page: it is empty and, for a
/// company's account in sums, the company keeps another open one in sums (the accounts service
/// refuses to close a company's last one, which its funding is paid into).
fn closable(account: &Account, accounts: &[Account]) -> bool {
    let empty = account.is_current()
        && account.is_open()
        && is_zero(&account.posted_balance)
        && is_zero(&account.available_balance);
    let keeps_one_in_sums = |company: &str| {
        account.currency != "UZS"
            || accounts.iter().any(|other| {
                other.number != account.number
                    && other.is_current()
                    && other.is_open()
                    && other.currency == "UZS"
                    && other.company_id() == Some(company)
            })
    };
    empty && account.company_id().is_none_or(keeps_one_in_sums)
}

fn account_row(account: &Account, accounts: &[Account], translator: &Translator) -> AccountRow {
    AccountRow {
        number: account.number.clone(),
        kind_key: format!("account-kind-{}", account.kind.replace('_', "-")),
        holder_key: if account.company_id().is_some() {
            "account-holder-company"
        } else {
            "account-holder-you"
        },
        name: account.name.clone().unwrap_or_default(),
        posted: amount_text(&account.posted_balance, &account.currency, translator),
        available: amount_text(&account.available_balance, &account.currency, translator),
        closable: closable(account, accounts),
    }
}

/// The limits of the currencies the client holds accounts in: a limit in a currency they
/// cannot send would only be noise.
fn held_limits<'a>(limits: &'a [Limit], accounts: &[Account]) -> Vec<&'a Limit> {
    limits
        .iter()
        .filter(|limit| {
            accounts
                .iter()
                .any(|account| account.currency == limit.currency)
        })
        .collect()
}

fn limit_row(limit: &Limit, translator: &Translator) -> LimitRow {
    LimitRow {
        limit: amount_text(&limit.daily_limit, &limit.currency, translator),
        sent_today: amount_text(&limit.sent_today, &limit.currency, translator),
        remaining: amount_text(&limit.remaining, &limit.currency, translator),
    }
}

async fn my_accounts(state: &AppState, token: &str, next: &str) -> Result<Vec<Account>, PageError> {
    own_accounts(&state.accounts, token)
        .await
        .map_err(|error| PageError::from_call(error, next))
}

async fn my_limits(state: &AppState, token: &str, next: &str) -> Result<Vec<Limit>, PageError> {
    let limits: Limits = send_json(
        state
            .accounts
            .authorized(Method::GET, "/v1/me/limits", token),
    )
    .await
    .map_err(|error| PageError::from_call(error, next))?;
    Ok(limits.limits)
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    t: Translator,
    layout: Layout,
    accounts: Vec<AccountRow>,
    limits: Vec<LimitRow>,
    /// The form that opens an account, with what was typed and why it was refused.
    form: FormState,
    /// The currencies the client holds no open current account in.
    openable: Vec<&'static str>,
    /// The key the opening form carries, so the same form sent twice opens one account.
    open_key: String,
    /// Two currencies or more: the client can exchange between them.
    can_exchange: bool,
    /// For each company the client operates accounts of, the currencies it holds none in.
    company_openings: Vec<CompanyOpening>,
}

/// The form that opens another current account for a company the client founded.
struct CompanyOpening {
    company_id: String,
    currencies: Vec<&'static str>,
    key: String,
}

async fn accounts_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let next = "/accounts";
    let accounts: Vec<Account> = my_accounts(state, token, next)
        .await?
        .into_iter()
        .filter(Account::is_open)
        .collect();
    let limits = my_limits(state, token, next).await?;
    let translator = context.translator();
    // Each holder (the client, or a company they founded) has its own currencies: an account is
    // opened, and money exchanged, within one holder's accounts.
    let held_by = |company: Option<&str>, currency: &str| {
        accounts.iter().any(|account| {
            account.is_current() && account.company_id() == company && account.currency == currency
        })
    };
    let mut holders: Vec<Option<&str>> = Vec::new();
    for account in accounts.iter().filter(|account| account.is_current()) {
        if !holders.contains(&account.company_id()) {
            holders.push(account.company_id());
        }
    }
    let openable_for = |company: Option<&str>| -> Vec<&'static str> {
        CURRENCIES
            .into_iter()
            .filter(|currency| !held_by(company, currency))
            .collect()
    };
    let openable = if holders.contains(&None) {
        openable_for(None)
    } else {
        Vec::new()
    };
    let company_openings = holders
        .iter()
        .flatten()
        .map(|company| CompanyOpening {
            company_id: (*company).to_owned(),
            currencies: openable_for(Some(company)),
            key: idempotency_key(),
        })
        .filter(|opening| !opening.currencies.is_empty())
        .collect();
    let can_exchange = holders.iter().any(|holder| {
        CURRENCIES
            .into_iter()
            .filter(|currency| held_by(*holder, currency))
            .count()
            >= 2
    });
    Ok(render(
        status,
        &AccountsPage {
            accounts: accounts
                .iter()
                .map(|account| account_row(account, &accounts, &translator))
                .collect(),
            company_openings,
            limits: held_limits(&limits, &accounts)
                .into_iter()
                .map(|limit| limit_row(limit, &translator))
                .collect(),
            form,
            openable,
            open_key: idempotency_key(),
            can_exchange,
            t: translator,
            layout: context.layout(Section::Accounts),
        },
    ))
}

/// The client's open accounts, what is left of today's transfer limit, and the form that opens
/// an account in a currency the client does not hold yet.
pub async fn accounts(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let token = accounts_token(&state, &mut signed_in, "/accounts").await?;
    accounts_page(
        &state,
        &context,
        &token,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct OpenAccountForm {
    #[serde(default)]
    currency: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    idempotency_key: String,
    /// Present when the account is opened for a company the client founded.
    #[serde(default)]
    company_id: String,
}

/// The accounts page again with why accounts refused what was asked.
async fn accounts_refused(
    state: &AppState,
    context: &PageContext,
    token: &str,
    mut form: FormState,
    error: CallError,
) -> Result<Response, PageError> {
    let translator = context.translator();
    let status = match error {
        CallError::Refused {
            status,
            code,
            fields,
        } => {
            form.refuse_all(&translator, &fields, &["currency", "name"]);
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            }
            status
        }
        CallError::Forbidden { code } => {
            form.notice = Some(problem_message(&translator, &code));
            StatusCode::FORBIDDEN
        }
        CallError::NotFound => {
            form.notice = Some(problem_message(&translator, "not_found"));
            StatusCode::NOT_FOUND
        }
        other => return Err(PageError::from_call(other, "/accounts")),
    };
    accounts_page(state, context, token, form, status).await
}

/// Opens a current account in the chosen currency.
pub async fn open_account(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<OpenAccountForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let next = "/accounts";
    let token = accounts_token(&state, &mut signed_in, next).await?;
    let name = submitted.name.trim();
    let form = FormState::from_pairs(vec![
        ("currency".to_owned(), submitted.currency.clone()),
        ("name".to_owned(), submitted.name.clone()),
    ]);
    let mut body = serde_json::json!({"currency": submitted.currency});
    if !name.is_empty() {
        body["name"] = serde_json::Value::from(name);
    }
    if !submitted.company_id.is_empty() {
        body["company_id"] = serde_json::Value::from(submitted.company_id.as_str());
    }
    let answer = send(
        state
            .accounts
            .authorized(Method::POST, "/v1/me/accounts", &token)
            .header(
                "idempotency-key",
                form_idempotency_key(&submitted.idempotency_key),
            )
            .json(&body),
    )
    .await;
    match answer {
        Ok(_) => {
            holdings::forget(&state, &mut signed_in).await;
            Ok(see_other(next))
        }
        Err(error) => accounts_refused(&state, &context, &token, form, error).await,
    }
}

/// Closes an empty current account of the client's.
pub async fn close_account(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let number = account_segment(&number)?;
    let next = "/accounts";
    let token = accounts_token(&state, &mut signed_in, next).await?;
    let answer = send(state.accounts.authorized(
        Method::POST,
        &format!("/v1/me/accounts/{number}/close"),
        &token,
    ))
    .await;
    match answer {
        Ok(_) => Ok(see_other(next)),
        Err(error) => accounts_refused(&state, &context, &token, FormState::default(), error).await,
    }
}

#[derive(Deserialize, Default)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

/// Names one of the client's accounts (an empty name clears it), then shows its statement.
pub async fn rename_account(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(number): Path<String>,
    Form(submitted): Form<RenameForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let number = account_segment(&number)?;
    let next = format!("/accounts/{number}");
    let token = accounts_token(&state, &mut signed_in, &next).await?;
    let name = submitted.name.trim();
    let body = if name.is_empty() {
        serde_json::json!({"name": null})
    } else {
        serde_json::json!({"name": name})
    };
    let answer = send(
        state
            .accounts
            .authorized(Method::PATCH, &format!("/v1/me/accounts/{number}"), &token)
            .json(&body),
    )
    .await;
    match answer {
        Ok(_) => Ok(see_other(&next)),
        Err(error) => {
            let form = FormState::from_pairs(vec![("name".to_owned(), submitted.name.clone())]);
            accounts_refused(&state, &context, &token, form, error).await
        }
    }
}

/// The statement's filter as typed, and the page to show.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StatementFilter {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: String,
}

/// The statement query a service understands, from a filter whose dates have been read.
#[derive(Serialize)]
struct StatementQuery<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<NaiveDate>,
    #[serde(skip_serializing_if = "str::is_empty")]
    cursor: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
}

/// How many lines one page of a statement shows.
const STATEMENT_PAGE_LINES: u32 = 25;

/// Reads the filter's dates; a date that does not read is refused beside its field.
fn read_filter<'a>(
    filter: &'a StatementFilter,
    translator: &Translator,
    form: &mut FormState,
) -> Option<StatementQuery<'a>> {
    let mut read = |field: &str, text: &str| -> Option<Option<NaiveDate>> {
        if text.trim().is_empty() {
            return Some(None);
        }
        match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(date) => Some(Some(date)),
            Err(_) => {
                form.refuse(translator, field, "not_a_date");
                None
            }
        }
    };
    let from = read("from", &filter.from);
    let to = read("to", &filter.to);
    Some(StatementQuery {
        from: from?,
        to: to?,
        cursor: filter.cursor.as_str(),
        limit: Some(STATEMENT_PAGE_LINES),
    })
}

#[derive(Clone, Debug, Deserialize)]
struct StatementLine {
    booked_at: DateTime<Utc>,
    kind: String,
    reference: String,
    side: String,
    amount: String,
    balance_after: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Statement {
    currency: String,
    from: NaiveDate,
    to: NaiveDate,
    opening_balance: String,
    closing_balance: String,
    entries: Vec<StatementLine>,
    next_cursor: Option<String>,
}

/// A line of a statement as the page shows it.
pub struct LineRow {
    pub booked: String,
    pub kind: String,
    pub reference: String,
    pub is_credit: bool,
    pub amount: String,
    pub balance_after: String,
}

/// The statement as the page shows it.
pub struct StatementView {
    pub period: String,
    pub opening: String,
    pub closing: String,
    pub lines: Vec<LineRow>,
}

fn statement_view(
    statement: &Statement,
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
) -> StatementView {
    let locale = translator.locale();
    StatementView {
        period: format!(
            "{} – {}",
            format_date(statement.from, locale),
            format_date(statement.to, locale)
        ),
        opening: amount_text(&statement.opening_balance, &statement.currency, translator),
        closing: amount_text(&statement.closing_balance, &statement.currency, translator),
        lines: statement
            .entries
            .iter()
            .map(|line| LineRow {
                booked: format_day_of(line.booked_at, calendar, locale),
                kind: transfer_kind_label(&line.kind, translator),
                reference: line.reference.clone(),
                is_credit: line.side == "credit",
                amount: amount_text(&line.amount, &statement.currency, translator),
                balance_after: amount_text(&line.balance_after, &statement.currency, translator),
            })
            .collect(),
    }
}

/// What kind of transfer a statement line is, in the visitor's language; a kind the catalogues
/// do not name yet is shown as the service wrote it.
fn transfer_kind_label(kind: &str, translator: &Translator) -> String {
    translator.t_or(&format!("transfer-kind-{}", kind.replace('_', "-")), kind)
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    t: Translator,
    layout: Layout,
    account: AccountRow,
    /// The reader owns this current account and may name it.
    renamable: bool,
    form: FormState,
    statement: Option<StatementView>,
    /// The query of the downloads and of the first page: the period without a cursor.
    period_query: String,
    next_page_query: Option<String>,
    is_later_page: bool,
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        if !value.is_empty() {
            serializer.append_pair(name, value);
        }
    }
    serializer.finish()
}

/// An account's statement for a period, a page at a time.
pub async fn statement(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(number): Path<String>,
    Query(filter): Query<StatementFilter>,
) -> Result<Response, PageError> {
    let number = account_segment(&number)?;
    let next = format!("/accounts/{number}");
    let token = accounts_token(&state, &mut signed_in, &next).await?;
    let account: Account = send_json(state.accounts.authorized(
        Method::GET,
        &format!("/v1/accounts/{number}"),
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![
        ("from".to_owned(), filter.from.clone()),
        ("to".to_owned(), filter.to.clone()),
    ]);
    let mut status = StatusCode::OK;
    let mut statement = None;
    if let Some(query) = read_filter(&filter, &translator, &mut form) {
        let answer: Result<Statement, CallError> = send_json(
            state
                .accounts
                .authorized(
                    Method::GET,
                    &format!("/v1/accounts/{number}/statement"),
                    &token,
                )
                .query(&query),
        )
        .await;
        match answer {
            Ok(answer) => statement = Some(answer),
            Err(CallError::Refused {
                status: refused,
                code,
                fields,
            }) => {
                status = refused;
                form.refuse_all(&translator, &fields, &["from", "to"]);
                if fields.is_empty() {
                    form.notice = Some(problem_message(&translator, &code));
                }
            }
            Err(error) => return Err(PageError::from_call(error, &next)),
        }
    } else {
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    let period_query = query_string(&[("from", &filter.from), ("to", &filter.to)]);
    let next_page_query = statement
        .as_ref()
        .and_then(|statement| statement.next_cursor.as_deref())
        .map(|cursor| {
            query_string(&[
                ("from", &filter.from),
                ("to", &filter.to),
                ("cursor", cursor),
            ])
        });
    Ok(render(
        status,
        &StatementPage {
            renamable: signed_in.person.is_client() && account.is_current() && account.is_open(),
            account: account_row(&account, std::slice::from_ref(&account), &translator),
            statement: statement
                .as_ref()
                .map(|statement| statement_view(statement, &translator, &state.calendar)),
            form,
            period_query,
            next_page_query,
            is_later_page: !filter.cursor.is_empty(),
            t: translator,
            layout: context.layout(Section::Accounts),
        },
    ))
}

/// What a statement download is.
#[derive(Clone, Copy)]
enum DownloadKind {
    Csv,
    Pdf,
}

impl DownloadKind {
    fn extension(self) -> &'static str {
        match self {
            DownloadKind::Csv => "csv",
            DownloadKind::Pdf => "pdf",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            DownloadKind::Csv => "text/csv; charset=utf-8",
            DownloadKind::Pdf => "application/pdf",
        }
    }
}

async fn download(
    state: AppState,
    context: PageContext,
    mut signed_in: SignedIn,
    number: String,
    filter: StatementFilter,
    kind: DownloadKind,
) -> Result<Response, PageError> {
    let number = account_segment(&number)?;
    let next = format!("/accounts/{number}");
    let token = accounts_token(&state, &mut signed_in, &next).await?;
    // A date that does not read is left out, so the service's default period applies; the
    // statement page refuses it beside its field before a download link is offered.
    let date = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    let query = StatementQuery {
        from: date(&filter.from),
        to: date(&filter.to),
        cursor: "",
        limit: None,
    };
    let upstream = send(
        state
            .accounts
            .authorized(
                Method::GET,
                &format!("/v1/accounts/{number}/statement.{}", kind.extension()),
                &token,
            )
            .query(&query)
            // The PDF is written in the page's language; the CSV's column names are fixed.
            .query(&[("lang", context.translator().locale().code())]),
    )
    .await
    .map_err(|error| PageError::from_call(error, &next))?;
    // The number is twenty digits (checked above), so the name needs no escaping.
    Ok(attachment(
        upstream,
        kind.content_type(),
        &format!("statement-{number}.{}", kind.extension()),
    ))
}

/// The statement of a period as CSV, streamed from the accounts service as an attachment.
pub async fn statement_csv(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(number): Path<String>,
    Query(filter): Query<StatementFilter>,
) -> Result<Response, PageError> {
    download(state, context, signed_in, number, filter, DownloadKind::Csv).await
}

/// The statement of a period as PDF, streamed from the accounts service as an attachment.
pub async fn statement_pdf(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(number): Path<String>,
    Query(filter): Query<StatementFilter>,
) -> Result<Response, PageError> {
    download(state, context, signed_in, number, filter, DownloadKind::Pdf).await
}

#[derive(Template)]
#[template(path = "transfer.html")]
struct TransferPage {
    t: Translator,
    layout: Layout,
    accounts: Vec<AccountRow>,
    limits: Vec<LimitRow>,
    form: FormState,
}

const TRANSFER_FIELDS: [&str; 3] = ["from_account", "to_account", "amount"];

async fn transfer_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let next = "/transfers/new";
    let accounts = my_accounts(state, token, next).await?;
    let limits = my_limits(state, token, next).await?;
    let translator = context.translator();
    Ok(render(
        status,
        &TransferPage {
            accounts: accounts
                .iter()
                .filter(|account| account.is_current())
                .map(|account| account_row(account, &accounts, &translator))
                .collect(),
            limits: held_limits(&limits, &accounts)
                .into_iter()
                .map(|limit| limit_row(limit, &translator))
                .collect(),
            form,
            t: translator,
            layout: context.layout(Section::Accounts),
        },
    ))
}

/// What the transfer form may start from: one of the client's payment templates.
#[derive(Deserialize, Default)]
pub struct TransferPrefill {
    template: Option<String>,
}

/// The transfer form, with today's limit shown before it is reached, filled in from a payment
/// template when the payments page sent the client here with one. A template that is not the
/// client's own (or no longer exists) is not found: nobody learns another client's accounts
/// from its id.
pub async fn transfer_form(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Query(prefill): Query<TransferPrefill>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let next = "/transfers/new";
    let token = accounts_token(&state, &mut signed_in, next).await?;
    let form = match prefill.template {
        None => FormState::default(),
        Some(id) => {
            let templates = own_templates(&state.accounts, &token)
                .await
                .map_err(|error| PageError::from_call(error, next))?;
            let template = templates
                .into_iter()
                .find(|template| template.id == id)
                .ok_or(PageError::NotFound)?;
            FormState::from_pairs(vec![
                ("from_account".to_owned(), template.from_account),
                ("to_account".to_owned(), template.to_account),
                ("amount".to_owned(), template.amount),
            ])
        }
    };
    transfer_page(&state, &context, &token, form, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct TransferForm {
    #[serde(default)]
    from_account: String,
    #[serde(default)]
    to_account: String,
    #[serde(default)]
    amount: String,
}

/// A quote as the accounts service answers it, kept in the session until it is confirmed.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct Quote {
    quote_id: String,
    from_account: String,
    to_account: String,
    currency: String,
    amount: String,
    fee: String,
    total_debit: String,
    confirmation_token: String,
    expires_at: DateTime<Utc>,
    daily_limit: String,
    remaining_daily_limit: String,
}

impl ClientQuote for Quote {
    fn quote_id(&self) -> &str {
        &self.quote_id
    }

    fn confirmation_token(&self) -> &str {
        &self.confirmation_token
    }
}

/// The session keeps one transfer at a time: the latest quote awaiting confirmation and, once
/// confirmed, its booked transfer.
const TRANSFERS: QuoteFlow = QuoteFlow {
    pending_key: "transfer.pending",
    done_key: "transfer.done",
    confirm_path: "/v1/me/transfers/confirm",
    transfer_id_field: "id",
};

/// Asks for a quote; on success the confirmation page shows it.
pub async fn quote(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<TransferForm>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let next = "/transfers/new";
    let token = accounts_token(&state, &mut signed_in, next).await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![
        ("from_account".to_owned(), submitted.from_account.clone()),
        ("to_account".to_owned(), submitted.to_account.clone()),
        ("amount".to_owned(), submitted.amount.clone()),
    ]);
    let to_account: String = submitted
        .to_account
        .chars()
        .filter(|character| !character.is_whitespace())
        .collect();
    if to_account.is_empty() {
        form.refuse(&translator, "to_account", "required");
    }
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
    let (Some(amount), false) = (amount, form.has_errors()) else {
        return transfer_page(
            &state,
            &context,
            &token,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let answer: Result<Quote, CallError> = send_json(
        state
            .accounts
            .authorized(Method::POST, "/v1/me/transfers/quote", &token)
            .json(&serde_json::json!({
                "from_account": submitted.from_account,
                "to_account": to_account,
                "amount": amount.to_string(),
            })),
    )
    .await;
    let status = match answer {
        Ok(quote) => {
            let quote_id = quote.quote_id.clone();
            TRANSFERS.keep(&state, &mut signed_in, quote, next).await?;
            return Ok(see_other(&format!("/transfers/{quote_id}")));
        }
        // The source is not the client's: as far as the form is concerned, not theirs to use.
        Err(CallError::NotFound) => {
            form.refuse(&translator, "from_account", "unknown_account");
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            form.refuse_all(&translator, &fields, &TRANSFER_FIELDS);
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            }
            status
        }
        Err(error) => return Err(PageError::from_call(error, next)),
    };
    transfer_page(&state, &context, &token, form, status).await
}

/// A quote as the confirmation and result pages show it.
pub struct QuoteView {
    pub id: String,
    pub from_account: String,
    pub to_account: String,
    pub amount: String,
    pub fee: String,
    pub total_debit: String,
    pub daily_limit: String,
    pub remaining_daily_limit: String,
    pub expires_at: String,
}

fn quote_view(
    quote: &Quote,
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
) -> QuoteView {
    let money = |amount: &str| amount_text(amount, &quote.currency, translator);
    QuoteView {
        id: quote.quote_id.clone(),
        from_account: quote.from_account.clone(),
        to_account: quote.to_account.clone(),
        amount: money(&quote.amount),
        fee: money(&quote.fee),
        total_debit: money(&quote.total_debit),
        daily_limit: money(&quote.daily_limit),
        remaining_daily_limit: money(&quote.remaining_daily_limit),
        expires_at: format!(
            "{} {} UTC",
            format_day_of(quote.expires_at, calendar, translator.locale()),
            quote.expires_at.format("%H:%M")
        ),
    }
}

#[derive(Template)]
#[template(path = "transfer_confirm.html")]
struct ConfirmationPage {
    t: Translator,
    layout: Layout,
    quote: QuoteView,
    notice: Option<String>,
}

/// The quote to confirm: amount, recipient, fee and what is left of today's limit.
pub async fn confirmation(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(quote_id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let quote_id = path_segment(&quote_id).map_err(|_| PageError::NotFound)?;
    if TRANSFERS.done(&signed_in, quote_id).is_some() {
        return Ok(see_other(&format!("/transfers/{quote_id}/done")));
    }
    let pending: Pending<Quote> = TRANSFERS
        .pending(&signed_in, quote_id)
        .ok_or(PageError::NotFound)?;
    let translator = context.translator();
    Ok(render(
        StatusCode::OK,
        &ConfirmationPage {
            quote: quote_view(&pending.quote, &translator, &state.calendar),
            notice: None,
            t: translator,
            layout: context.layout(Section::Accounts),
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
    let next = format!("/transfers/{quote_id}");
    let done = format!("/transfers/{quote_id}/done");
    if TRANSFERS.done(&signed_in, &quote_id).is_some() {
        return Ok(see_other(&done));
    }
    let pending: Pending<Quote> = TRANSFERS
        .pending(&signed_in, &quote_id)
        .ok_or(PageError::NotFound)?;
    let token = accounts_token(&state, &mut signed_in, &next).await?;
    match TRANSFERS
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
                    layout: context.layout(Section::Accounts),
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "transfer_done.html")]
struct ResultPage {
    t: Translator,
    layout: Layout,
    quote: QuoteView,
    transfer_id: String,
}

/// The booked transfer.
pub async fn result(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(quote_id): Path<String>,
) -> Result<Response, PageError> {
    require_client(&signed_in)?;
    let quote_id = path_segment(&quote_id).map_err(|_| PageError::NotFound)?;
    let transfer_id = TRANSFERS
        .done(&signed_in, quote_id)
        .ok_or(PageError::NotFound)?;
    let pending: Pending<Quote> = TRANSFERS
        .pending(&signed_in, quote_id)
        .ok_or(PageError::NotFound)?;
    let translator = context.translator();
    Ok(render(
        StatusCode::OK,
        &ResultPage {
            quote: quote_view(&pending.quote, &translator, &state.calendar),
            transfer_id,
            t: translator,
            layout: context.layout(Section::Accounts),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Locale;

    #[test]
    fn amounts_are_written_in_the_visitors_language_with_their_currency() {
        let english = Translator::new(Locale::En);
        assert_eq!(
            amount_text("1250000.00", "UZS", &english),
            "UZS\u{a0}1,250,000.00"
        );
        assert_eq!(amount_text("n/a", "UZS", &english), "n/a UZS");
    }

    #[test]
    fn every_kind_of_transfer_the_ledger_books_is_named_in_every_language() {
        for locale in Locale::ALL {
            let translator = Translator::new(locale);
            for kind in [
                "disbursement",
                "repayment",
                "client_transfer",
                "reversal",
                "adjustment",
                "deposit",
                "withdrawal",
                "write_off",
                "exchange",
                "fee",
                "term_deposit",
                "deposit_interest",
                "bill_payment",
            ] {
                assert_ne!(transfer_kind_label(kind, &translator), kind, "{kind}");
            }
        }
    }

    #[test]
    fn only_twenty_digits_name_an_account() {
        assert!(account_segment("20206000873000000011").is_ok());
        assert!(account_segment("2020600087300000001").is_err());
        assert!(account_segment("../v1/accounts/xxxxxx").is_err());
    }

    #[test]
    fn a_date_that_does_not_read_is_refused_beside_its_field() {
        let translator = Translator::new(Locale::En);
        let mut form = FormState::default();
        let filter = StatementFilter {
            from: "yesterday".to_owned(),
            to: "2026-11-30".to_owned(),
            cursor: String::new(),
        };
        assert!(read_filter(&filter, &translator, &mut form).is_none());
        assert!(form.error("from").is_some() && form.error("to").is_none());
    }

    #[test]
    fn each_quote_gets_its_own_idempotency_key() {
        let first = idempotency_key();
        assert_eq!(first.len(), 32);
        assert_ne!(first, idempotency_key());
    }
}
