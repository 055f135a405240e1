//! Statements of an account for a period: JSON with cursor paging, and CSV and PDF downloads,
//! each with the opening and closing balance. The period is in the bank's days (Tashkent time,
//! as the daily limit counts them), `from` and `to` both included.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use imkon_platform::calendar::BankCalendar;
use imkon_platform::config::HttpLimits;
use imkon_platform::language::Language;
use imkon_platform::problem::validation_problem;
use imkon_platform::spreadsheet::neutralise_cell;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidateArgs};

use super::accounts::visible_account;
use super::caller::Caller;
use super::statement_document::{self, Statement};
use super::{amount_text, invalid, page_size_within};
use crate::db;
use crate::db::accounts::AccountRow;
use crate::db::statements::StatementLine;
use crate::error::AccountsError;
use crate::AppState;

/// The most lines one CSV or PDF download carries; a longer period is refused with a 422
/// asking for a shorter one, so a download cannot exhaust the service.
pub const MAX_DOWNLOAD_LINES: i64 = 100_000;

/// The default JSON page size.
const DEFAULT_PAGE_SIZE: u32 = 50;

/// The longest period a statement covers: a little over a year.
const MAX_PERIOD_DAYS: i64 = 366;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/accounts/{number}/statement", get(statement_json))
        .route("/v1/accounts/{number}/statement.csv", get(statement_csv))
        .route("/v1/accounts/{number}/statement.pdf", get(statement_pdf))
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[validate(context = HttpLimits)]
pub struct StatementQuery {
    /// First day, YYYY-MM-DD; 30 days before `to` when left out.
    pub from: Option<NaiveDate>,
    /// Last day, YYYY-MM-DD, included; today when left out.
    pub to: Option<NaiveDate>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Lines per page, at most the service's maximum page size.
    #[validate(custom(function = page_size_within, use_context))]
    #[param(minimum = 1)]
    pub limit: Option<u32>,
    /// The PDF's language: `uz-Latn`, `uz-Cyrl`, `ru` or `en`; when left out, the first of
    /// them in `Accept-Language`, else `uz-Latn`.
    pub lang: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatementLineDto {
    pub booked_at: DateTime<Utc>,
    pub transfer_id: Uuid,
    pub kind: String,
    pub reference: String,
    pub side: String,
    pub amount: String,
    pub balance_after: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatementDto {
    pub account: String,
    pub currency: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The balance at the start of `from`.
    pub opening_balance: String,
    /// The balance at the end of `to`.
    pub closing_balance: String,
    pub entries: Vec<StatementLineDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl From<&StatementLine> for StatementLineDto {
    fn from(line: &StatementLine) -> StatementLineDto {
        StatementLineDto {
            booked_at: line.booked_at,
            transfer_id: line.transfer_id,
            kind: line.kind.clone(),
            reference: line.reference.clone(),
            side: line.side.clone(),
            amount: amount_text(line.amount),
            balance_after: amount_text(line.balance_after),
        }
    }
}

/// A statement's period as instants: [start of `from`, start of the day after `to`).
struct Period {
    from: NaiveDate,
    to: NaiveDate,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn period(query: &StatementQuery, calendar: &BankCalendar) -> Result<Period, AccountsError> {
    let to = query.to.unwrap_or_else(|| calendar.today());
    let from = query.from.unwrap_or(to - Duration::days(30));
    if from > to {
        return Err(invalid("from", "period_reversed", "`from` is after `to`"));
    }
    if (to - from).num_days() > MAX_PERIOD_DAYS {
        return Err(invalid(
            "to",
            "period_too_long",
            "a statement covers at most 366 days",
        ));
    }
    Ok(Period {
        from,
        to,
        start: calendar.start_of(from),
        end: calendar.start_of(to + Duration::days(1)),
    })
}

async fn opening_and_closing(
    state: &AppState,
    account: &AccountRow,
    period: &Period,
) -> Result<(Decimal, Decimal), AccountsError> {
    let opening = db::statements::balance_before(&state.pool, account.id, period.start).await?;
    let closing = db::statements::balance_before(&state.pool, account.id, period.end).await?;
    Ok((opening, closing))
}

/// An account's statement for a period, a page at a time: staff, services, or the owner.
#[utoipa::path(get, path = "/v1/accounts/{number}/statement", tag = "accounts",
    params(("number" = String, Path, description = "20-digit account number"), StatementQuery),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin", "service"])),
    responses((status = 200, body = StatementDto), (status = 401),
              (status = 404, description = "no such account, or another client's"), (status = 422)))]
#[tracing::instrument(skip_all, fields(caller = %caller.subject(), number = %number))]
pub async fn statement_json(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Query(query): Query<StatementQuery>,
) -> Result<Json<StatementDto>, AccountsError> {
    let account = visible_account(&state, &caller, "number", &number).await?;
    let period = period(&query, &state.calendar)?;
    query
        .validate_with_args(&state.limits)
        .map_err(|errors| validation_problem(&errors))?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    let after_entry_id = match query.cursor.as_deref() {
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|id| *id >= 0)
            .ok_or_else(|| {
                invalid(
                    "cursor",
                    "invalid_cursor",
                    "pass a page's next_cursor back unchanged",
                )
            })?,
        None => 0,
    };
    let (opening, closing) = opening_and_closing(&state, &account, &period).await?;
    let mut lines = db::statements::lines(
        &state.pool,
        account.id,
        period.start,
        period.end,
        after_entry_id,
        i64::from(limit) + 1,
    )
    .await?;
    let next_cursor = if lines.len() > limit as usize {
        lines.truncate(limit as usize);
        lines.last().map(|line| line.entry_id.to_string())
    } else {
        None
    };
    Ok(Json(StatementDto {
        account: account.number.clone(),
        currency: account.currency.clone(),
        from: period.from,
        to: period.to,
        opening_balance: amount_text(opening),
        closing_balance: amount_text(closing),
        entries: lines.iter().map(StatementLineDto::from).collect(),
        next_cursor,
    }))
}

/// Everything a download shows: the account, the period, its edges and every line.
struct Download {
    account: AccountRow,
    period: Period,
    opening: Decimal,
    closing: Decimal,
    lines: Vec<StatementLine>,
}

async fn download(
    state: &AppState,
    caller: &Caller,
    number: &str,
    query: &StatementQuery,
) -> Result<Download, AccountsError> {
    let account = visible_account(state, caller, "number", number).await?;
    let period = period(query, &state.calendar)?;
    let (opening, closing) = opening_and_closing(state, &account, &period).await?;
    let lines = db::statements::lines(
        &state.pool,
        account.id,
        period.start,
        period.end,
        0,
        MAX_DOWNLOAD_LINES + 1,
    )
    .await?;
    if lines.len() as i64 > MAX_DOWNLOAD_LINES {
        return Err(invalid(
            "from",
            "period_too_long",
            "the period has more lines than one download carries; ask for a shorter one",
        ));
    }
    Ok(Download {
        account,
        period,
        opening,
        closing,
        lines,
    })
}

/// A download: the body with its content type and the file name a browser saves it as.
pub fn attachment(content_type: &'static str, file_name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The statement as CSV: an opening-balance row, one row per entry, a closing-balance row.
#[utoipa::path(get, path = "/v1/accounts/{number}/statement.csv", tag = "accounts",
    params(("number" = String, Path, description = "20-digit account number"), StatementQuery),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin", "service"])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(caller = %caller.subject(), number = %number))]
pub async fn statement_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Query(query): Query<StatementQuery>,
) -> Result<Response, AccountsError> {
    let statement = download(&state, &caller, &number, &query).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write = |writer: &mut csv::Writer<Vec<u8>>, record: [&str; 7]| {
        writer
            .write_record(record.map(|cell| neutralise_cell(cell).into_owned()))
            .map_err(|error| AccountsError::Inconsistent(format!("csv: {error}")))
    };
    write(
        &mut writer,
        [
            "booked_at",
            "transfer_id",
            "kind",
            "reference",
            "side",
            "amount",
            "balance_after",
        ],
    )?;
    let opening = amount_text(statement.opening);
    write(
        &mut writer,
        [
            &statement.period.start.to_rfc3339(),
            "",
            "opening_balance",
            "",
            "",
            "",
            &opening,
        ],
    )?;
    for line in &statement.lines {
        write(
            &mut writer,
            [
                &line.booked_at.to_rfc3339(),
                &line.transfer_id.to_string(),
                &line.kind,
                &line.reference,
                &line.side,
                &amount_text(line.amount),
                &amount_text(line.balance_after),
            ],
        )?;
    }
    let closing = amount_text(statement.closing);
    write(
        &mut writer,
        [
            &statement.period.end.to_rfc3339(),
            "",
            "closing_balance",
            "",
            "",
            "",
            &closing,
        ],
    )?;
    let body = writer
        .into_inner()
        .map_err(|error| AccountsError::Inconsistent(format!("csv: {error}")))?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        format!(
            "statement-{}-{}-{}.csv",
            statement.account.number, statement.period.from, statement.period.to
        ),
        body,
    ))
}

/// The reader's language: the `lang` parameter, else `Accept-Language`, else Uzbek in Latin
/// script; an unknown `lang` is refused rather than answered in a language not asked for.
pub fn reader_language(lang: Option<&str>, headers: &HeaderMap) -> Result<Language, AccountsError> {
    if let Some(tag) = lang {
        return Language::from_tag(tag).ok_or_else(|| {
            invalid(
                "lang",
                "unknown_language",
                "one of uz-Latn, uz-Cyrl, ru, en",
            )
        });
    }
    Ok(headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(Language::from_accept_language)
        .unwrap_or_default())
}

/// The statement as a PDF document in the reader's language, with an embedded Unicode font.
#[utoipa::path(get, path = "/v1/accounts/{number}/statement.pdf", tag = "accounts",
    params(("number" = String, Path, description = "20-digit account number"), StatementQuery),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin", "service"])),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(caller = %caller.subject(), number = %number))]
pub async fn statement_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Query(query): Query<StatementQuery>,
    headers: HeaderMap,
) -> Result<Response, AccountsError> {
    let language = reader_language(query.lang.as_deref(), &headers)?;
    let statement = download(&state, &caller, &number, &query).await?;
    let file_name = format!(
        "statement-{}-{}-{}.pdf",
        statement.account.number, statement.period.from, statement.period.to
    );
    // Laying out and subsetting fonts for up to MAX_DOWNLOAD_LINES lines is CPU work that
    // must not hold up the runtime's threads serving other requests.
    let document = tokio::task::spawn_blocking(move || {
        statement_document::render(
            &Statement {
                account: &statement.account,
                from: statement.period.from,
                to: statement.period.to,
                opening: statement.opening,
                closing: statement.closing,
                lines: &statement.lines,
            },
            language,
        )
    })
    .await
    .map_err(|error| AccountsError::Inconsistent(format!("pdf: {error}")))?
    .map_err(|error| AccountsError::Inconsistent(error.to_string()))?;
    Ok(attachment("application/pdf", file_name, document))
}
