//! The loan book for credit staff, approvers and finance: what the bank is owed on its loans
//! on the bank's today, per programme and currency, with the portfolio at risk; the money paid
//! out and repaid per month; each loan's line, as JSON pages or one CSV file; and the
//! reconciliation of each loan's outstanding principal with its loan account at the ledger.
//!
//! Amounts are never added across currencies. The portfolio at risk over N days (PAR30,
//! PAR90) is the outstanding principal of the loans whose oldest unpaid instalment is more than
//! N days past due, as a share of all outstanding principal in that currency. Written-off loans
//! are counted apart: their principal is no longer a claim the bank expects to collect.
//!
//! Two figures say what the loans earned besides interest: the arrangement fees collected and
//! the late charges levied. A late charge is added to the penalty owed when it is levied, so it
//! is part of the penalties (of which it is shown), never a sum to add to them; neither figure
//! touches the principal, so the reconciliation with the loan accounts is unchanged.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use imkon_auth::extract::{RequireRole, RoleRequirement};
use imkon_auth::Role;
use imkon_platform::problem::Problem;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::loan_book::{self, BookContractRow, BookFilter, ProgrammeTotalsRow};
use crate::error::DisbursementError;
use crate::AppState;

/// Who reads the loan book: the staff who lend, decide and account for the money.
pub enum LoanBookReader {}

impl RoleRequirement for LoanBookReader {
    const ALLOWED: &'static [Role] = &[
        Role::CreditOfficer,
        Role::Approver,
        Role::Finance,
        Role::Admin,
    ];
}

/// The most loans one CSV file holds; a larger book is read per programme.
const MAX_CSV_ROWS: i64 = 100_000;

#[derive(Debug, Deserialize, IntoParams)]
pub struct BookQuery {
    /// Only this programme's loans.
    pub programme_id: Option<Uuid>,
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// A set of loans in one currency, summed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookTotalsView {
    pub currency: String,
    /// Loans not yet repaid in full nor written off.
    pub active_contracts: i64,
    pub outstanding_principal: String,
    /// Interest of instalments due by today and not yet paid.
    pub interest_due: String,
    pub penalty_outstanding: String,
    pub par30_principal: String,
    /// `par30_principal` as a percentage of `outstanding_principal`, two decimals, half-even.
    pub par30_percent: String,
    pub par90_principal: String,
    pub par90_percent: String,
    pub written_off_contracts: i64,
    pub written_off_principal: String,
    /// Paid back on written-off loans since their write-off (credited to the loan losses).
    pub recovered: String,
    /// Arrangement fees the bank collected on these loans, written off or not.
    pub arrangement_fees_collected: String,
    /// Late-payment charges levied on these loans, written off or not. Of the penalties: each
    /// was added to the penalty owed when levied (and `penalty_outstanding` holds what of it is
    /// still unpaid), so it is never added to the penalties again.
    pub late_charges_applied: String,
}

/// One programme's loans in one currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProgrammeBookView {
    pub programme_id: Uuid,
    pub totals: BookTotalsView,
}

/// The money paid out and repaid on loans in one month (the bank's calendar) and currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MonthFlowView {
    /// `YYYY-MM`.
    pub month: String,
    pub currency: String,
    pub disbursed: String,
    pub repaid_principal: String,
    pub repaid_interest: String,
    pub repaid_penalty: String,
}

/// The loan book on the bank's today.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoanBookView {
    pub as_of: NaiveDate,
    /// One entry per currency with loans.
    pub currencies: Vec<BookTotalsView>,
    pub programmes: Vec<ProgrammeBookView>,
    /// Oldest month first.
    pub months: Vec<MonthFlowView>,
}

/// One loan's line in the book.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookContractView {
    pub contract_id: Uuid,
    pub client_id: Uuid,
    pub programme_id: Uuid,
    pub currency: String,
    /// `active`, `closed` or `written_off`.
    pub status: String,
    pub loan_account_number: Option<String>,
    pub disbursed: String,
    pub repaid_principal: String,
    pub outstanding_principal: String,
    pub interest_due: String,
    pub penalty_outstanding: String,
    /// Days since the oldest unpaid instalment fell due; 0 when nothing is past due.
    pub days_past_due: i32,
    /// The arrangement fee the bank collected on the loan; `"0.00"` for none.
    pub arrangement_fee_collected: String,
    /// The late-payment charges levied on the loan, part of its penalties; `"0.00"` for none.
    pub late_charges_applied: String,
}

/// A page of the book's loans.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookContractPage {
    pub as_of: NaiveDate,
    pub items: Vec<BookContractView>,
    pub next_cursor: Option<Uuid>,
}

/// One loan's outstanding principal beside its loan account's balance at the ledger.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReconciliationItemView {
    pub contract_id: Uuid,
    pub currency: String,
    pub loan_account_number: String,
    /// What the book says the client still owes as principal.
    pub book_principal: String,
    /// The loan account's posted balance at the ledger.
    pub ledger_principal: String,
    /// `ledger_principal - book_principal`; zero when the two agree.
    pub difference: String,
    pub reconciled: bool,
}

/// A page of the reconciliation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReconciliationPage {
    pub as_of: NaiveDate,
    pub checked: usize,
    /// How many loans on this page disagree with the ledger.
    pub unreconciled: usize,
    pub items: Vec<ReconciliationItemView>,
    pub next_cursor: Option<Uuid>,
}

/// An amount with its two decimals always written, as every amount of the API is.
fn amount(value: Decimal) -> String {
    format!("{:.2}", value.round_dp(2))
}

/// `part` as a percentage of `whole`, two decimals, half-even; zero of nothing is zero.
fn percent(part: Decimal, whole: Decimal) -> String {
    if whole.is_zero() {
        return "0.00".to_owned();
    }
    let share = (part * Decimal::ONE_HUNDRED / whole).round_dp(2);
    format!("{share:.2}")
}

/// Running sums of a set of loans in one currency.
#[derive(Default)]
struct Sums {
    active_contracts: i64,
    outstanding_principal: Decimal,
    interest_due: Decimal,
    penalty_outstanding: Decimal,
    par30_principal: Decimal,
    par90_principal: Decimal,
    written_off_contracts: i64,
    written_off_principal: Decimal,
    recovered: Decimal,
    arrangement_fees_collected: Decimal,
    late_charges_applied: Decimal,
}

impl Sums {
    fn add(&mut self, row: &ProgrammeTotalsRow) {
        self.active_contracts += row.active_contracts;
        self.outstanding_principal += row.outstanding_principal;
        self.interest_due += row.interest_due;
        self.penalty_outstanding += row.penalty_outstanding;
        self.par30_principal += row.par30_principal;
        self.par90_principal += row.par90_principal;
        self.written_off_contracts += row.written_off_contracts;
        self.written_off_principal += row.written_off_principal;
        self.recovered += row.recovered;
        self.arrangement_fees_collected += row.arrangement_fees_collected;
        self.late_charges_applied += row.late_charges_applied;
    }

    fn view(&self, currency: &str) -> BookTotalsView {
        BookTotalsView {
            currency: currency.to_owned(),
            active_contracts: self.active_contracts,
            outstanding_principal: amount(self.outstanding_principal),
            interest_due: amount(self.interest_due),
            penalty_outstanding: amount(self.penalty_outstanding),
            par30_principal: amount(self.par30_principal),
            par30_percent: percent(self.par30_principal, self.outstanding_principal),
            par90_principal: amount(self.par90_principal),
            par90_percent: percent(self.par90_principal, self.outstanding_principal),
            written_off_contracts: self.written_off_contracts,
            written_off_principal: amount(self.written_off_principal),
            recovered: amount(self.recovered),
            arrangement_fees_collected: amount(self.arrangement_fees_collected),
            late_charges_applied: amount(self.late_charges_applied),
        }
    }
}

fn contract_view(row: BookContractRow) -> BookContractView {
    BookContractView {
        contract_id: row.contract_id,
        client_id: row.client_id,
        programme_id: row.programme_id,
        currency: row.currency,
        status: row.status,
        loan_account_number: row.loan_account_number,
        disbursed: amount(row.disbursed),
        repaid_principal: amount(row.repaid_principal),
        outstanding_principal: amount(row.outstanding_principal),
        interest_due: amount(row.interest_due),
        penalty_outstanding: amount(row.penalty_outstanding),
        days_past_due: row.days_past_due,
        arrangement_fee_collected: amount(row.arrangement_fee_collected),
        late_charges_applied: amount(row.late_charges_applied),
    }
}

fn page_limit(state: &AppState, limit: Option<u32>) -> i64 {
    i64::from(limit.unwrap_or(50).clamp(1, state.limits.max_page_size))
}

fn next_cursor<T>(items: &[T], limit: i64, id: impl Fn(&T) -> Uuid) -> Option<Uuid> {
    if items.len() as i64 == limit {
        items.last().map(id)
    } else {
        None
    }
}

/// The loan book's totals per currency and programme, and the money moved per month.
#[utoipa::path(get, path = "/v1/loan-book", tag = "loan book",
    security(("bearer" = ["credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = LoanBookView), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all)]
pub async fn loan_book_totals(
    State(state): State<AppState>,
    _reader: RequireRole<LoanBookReader>,
) -> Result<Json<LoanBookView>, Problem> {
    let as_of = state.calendar.today();
    let rows = loan_book::programme_totals(&state.pool, as_of).await?;
    let mut per_currency: BTreeMap<String, Sums> = BTreeMap::new();
    let programmes = rows
        .iter()
        .map(|row| {
            per_currency
                .entry(row.currency.clone())
                .or_default()
                .add(row);
            let mut sums = Sums::default();
            sums.add(row);
            ProgrammeBookView {
                programme_id: row.programme_id,
                totals: sums.view(&row.currency),
            }
        })
        .collect();
    let currencies = per_currency
        .iter()
        .map(|(currency, sums)| sums.view(currency))
        .collect();
    let months = month_flows(&state).await?;
    Ok(Json(LoanBookView {
        as_of,
        currencies,
        programmes,
        months,
    }))
}

/// The disbursed and repaid figures joined by month and currency.
async fn month_flows(state: &AppState) -> Result<Vec<MonthFlowView>, Problem> {
    #[derive(Default)]
    struct Flow {
        disbursed: Decimal,
        principal: Decimal,
        interest: Decimal,
        penalty: Decimal,
    }
    let mut flows: BTreeMap<(NaiveDate, String), Flow> = BTreeMap::new();
    for row in loan_book::disbursed_by_month(&state.pool).await? {
        flows
            .entry((row.month, row.currency))
            .or_default()
            .disbursed += row.amount;
    }
    for row in loan_book::repaid_by_month(&state.pool).await? {
        let flow = flows.entry((row.month, row.currency)).or_default();
        flow.principal += row.principal;
        flow.interest += row.interest;
        flow.penalty += row.penalty;
    }
    Ok(flows
        .into_iter()
        .map(|((month, currency), flow)| MonthFlowView {
            month: month.format("%Y-%m").to_string(),
            currency,
            disbursed: amount(flow.disbursed),
            repaid_principal: amount(flow.principal),
            repaid_interest: amount(flow.interest),
            repaid_penalty: amount(flow.penalty),
        })
        .collect())
}

/// A page of the book's loans, each with what is owed on it.
#[utoipa::path(get, path = "/v1/loan-book/contracts", tag = "loan book", params(BookQuery),
    security(("bearer" = ["credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = BookContractPage), (status = 400), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all)]
pub async fn loan_book_contracts(
    State(state): State<AppState>,
    _reader: RequireRole<LoanBookReader>,
    Query(query): Query<BookQuery>,
) -> Result<Json<BookContractPage>, Problem> {
    let as_of = state.calendar.today();
    let limit = page_limit(&state, query.limit);
    let filter = BookFilter {
        programme_id: query.programme_id,
        with_loan_account: false,
    };
    let rows = loan_book::contracts_page(&state.pool, as_of, filter, query.cursor, limit).await?;
    let next_cursor = next_cursor(&rows, limit, |row| row.contract_id);
    Ok(Json(BookContractPage {
        as_of,
        items: rows.into_iter().map(contract_view).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CsvQuery {
    /// Only this programme's loans.
    pub programme_id: Option<Uuid>,
}

/// Every loan of the book (or of one programme) as CSV, one row per loan.
#[utoipa::path(get, path = "/v1/loan-book/contracts.csv", tag = "loan book", params(CsvQuery),
    security(("bearer" = ["credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401),
        (status = 403), (status = 422, description = "More loans than one file holds (`too_many_rows`): ask per programme")))]
#[tracing::instrument(skip_all)]
pub async fn loan_book_csv(
    State(state): State<AppState>,
    _reader: RequireRole<LoanBookReader>,
    Query(query): Query<CsvQuery>,
) -> Result<Response, Problem> {
    let as_of = state.calendar.today();
    let filter = BookFilter {
        programme_id: query.programme_id,
        with_loan_account: false,
    };
    let rows =
        loan_book::contracts_page(&state.pool, as_of, filter, None, MAX_CSV_ROWS + 1).await?;
    if rows.len() as i64 > MAX_CSV_ROWS {
        return Err(DisbursementError::InvalidField {
            field: "programme_id",
            code: "too_many_rows",
            message: format!("the book holds more than {MAX_CSV_ROWS} loans: ask per programme"),
        }
        .into());
    }
    let body = book_csv(rows).map_err(|error| Problem::internal_from(&error))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"loan-book-{as_of}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

fn book_csv(rows: Vec<BookContractRow>) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "contract_id",
        "client_id",
        "programme_id",
        "currency",
        "status",
        "loan_account_number",
        "disbursed",
        "repaid_principal",
        "outstanding_principal",
        "interest_due",
        "penalty_outstanding",
        "days_past_due",
        "arrangement_fee_collected",
        "late_charges_applied",
    ])?;
    for row in rows.into_iter().map(contract_view) {
        writer.write_record([
            row.contract_id.to_string(),
            row.client_id.to_string(),
            row.programme_id.to_string(),
            row.currency,
            row.status,
            row.loan_account_number.unwrap_or_default(),
            row.disbursed,
            row.repaid_principal,
            row.outstanding_principal,
            row.interest_due,
            row.penalty_outstanding,
            row.days_past_due.to_string(),
            row.arrangement_fee_collected,
            row.late_charges_applied,
        ])?;
    }
    writer
        .into_inner()
        .map_err(|error| csv::Error::from(error.into_error()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReconciliationQuery {
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// A page of loans with their outstanding principal beside the balance of their loan account
/// at the ledger: each must agree, since every disbursement debits the loan account, every
/// principal repaid credits it, and a write-off credits what was left (so a written-off loan's
/// account must hold nothing).
#[utoipa::path(get, path = "/v1/loan-book/reconciliation", tag = "loan book",
    params(ReconciliationQuery),
    security(("bearer" = ["credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = ReconciliationPage), (status = 401), (status = 403),
        (status = 503, description = "The ledger could not be asked")))]
#[tracing::instrument(skip_all)]
pub async fn loan_book_reconciliation(
    State(state): State<AppState>,
    _reader: RequireRole<LoanBookReader>,
    Query(query): Query<ReconciliationQuery>,
) -> Result<Json<ReconciliationPage>, Problem> {
    let as_of = state.calendar.today();
    let limit = page_limit(&state, query.limit);
    let filter = BookFilter {
        programme_id: None,
        with_loan_account: true,
    };
    let rows = loan_book::contracts_page(&state.pool, as_of, filter, query.cursor, limit).await?;
    let next_cursor = next_cursor(&rows, limit, |row| row.contract_id);
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(number) = row.loan_account_number else {
            continue;
        };
        let ledger_principal = state
            .ledger
            .account_balance(number.clone())
            .await
            .map_err(DisbursementError::from)?;
        // A written-off loan's principal went to the bank's losses: its account holds nothing.
        let book_principal = if row.status == "written_off" {
            Decimal::ZERO
        } else {
            row.outstanding_principal
        };
        let difference = ledger_principal - book_principal;
        items.push(ReconciliationItemView {
            contract_id: row.contract_id,
            currency: row.currency,
            loan_account_number: number,
            book_principal: amount(book_principal),
            ledger_principal: amount(ledger_principal),
            difference: amount(difference),
            reconciled: difference.is_zero(),
        });
    }
    Ok(Json(ReconciliationPage {
        as_of,
        checked: items.len(),
        unreconciled: items.iter().filter(|item| !item.reconciled).count(),
        items,
        next_cursor,
    }))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/loan-book", get(loan_book_totals))
        .route("/v1/loan-book/contracts", get(loan_book_contracts))
        .route("/v1/loan-book/contracts.csv", get(loan_book_csv))
        .route(
            "/v1/loan-book/reconciliation",
            get(loan_book_reconciliation),
        )
}
