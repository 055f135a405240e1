//! Contracts: a founder's contracts, a contract's schedule and what is due next, signing,
//! repaying what is due and repaying early, and a grant's tranche request with its milestone
//! report; for the bank's staff, the contracts list, activation, tranche requests (with a
//! note), approvals (four eyes), cancellations and payouts, the credit committee's write-off,
//! and the arrears list with its ageing buckets and the administrator's run of the daily job.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::NaiveDate;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::clients::api::{form_idempotency_key, idempotency_key};
use crate::clients::api::{send, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::clients::disbursement::{Arrears, Bucket, Contract, ContractPage, ARREARS_BUCKETS};
use crate::pages::shared::client_names::{ClientLabel, ClientNamer};
use crate::pages::shared::download::attachment;
use crate::pages::shared::forms::KeyedChoice;
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::securities::{contract_document_items, SecurityLine};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::amount_text;
use crate::web::format::{format_date, format_day_of, parse_typed_decimal, TypedNumberError};
use crate::web::i18n::Translator;
use crate::AppState;

use super::reschedules::{self, ReschedulingSection};

const AUDIENCE: &str = "disbursement";

/// The statuses of a contract, for labels and the staff list's filter.
pub const CONTRACT_STATUSES: [&str; 5] = ["draft", "signed", "active", "closed", "written_off"];

pub(super) async fn token(
    state: &AppState,
    signed_in: &mut SignedIn,
    next: &str,
) -> Result<String, PageError> {
    signed_in
        .access_token(state, AUDIENCE)
        .await
        .map_err(|error| PageError::from_call(error, next))
}

pub(super) fn require_founder_or_staff(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.person.is_client() || signed_in.person.is_portfolio_staff() {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

fn status_key(status: &str) -> String {
    format!("contract-status-{}", status.replace('_', "-"))
}

/// A contract as a list shows it.
pub struct ContractRow {
    pub id: String,
    /// The borrower by name, on the staff's list; empty on a founder's own.
    pub client: ClientLabel,
    pub kind_key: String,
    pub status_key: String,
    pub principal: String,
    pub term_months: i32,
    pub created: String,
}

fn contract_row(
    contract: &Contract,
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
) -> ContractRow {
    ContractRow {
        id: contract.id.clone(),
        client: ClientLabel::default(),
        kind_key: format!("contract-kind-{}", contract.programme_kind),
        status_key: status_key(&contract.status),
        principal: amount_text(&contract.principal, &contract.currency, translator),
        term_months: contract.term_months,
        created: format_day_of(contract.created_at, calendar, translator.locale()),
    }
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ContractsPage {
    t: Translator,
    layout: Layout,
    is_staff: bool,
    contracts: Vec<ContractRow>,
    statuses: Vec<KeyedChoice>,
    next_page_query: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ContractFilter {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
}

/// A founder's contracts, or the staff's list filtered by status.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Query(filter): Query<ContractFilter>,
) -> Result<Response, PageError> {
    require_founder_or_staff(&signed_in)?;
    let next = "/contracts";
    let is_staff = signed_in.person.is_portfolio_staff();
    let token = token(&state, &mut signed_in, next).await?;
    let path = if is_staff {
        "/v1/contracts"
    } else {
        "/v1/me/contracts"
    };
    let page: ContractPage = send_json(
        state
            .contracts
            .authorized(Method::GET, path, &token)
            .query(&filter),
    )
    .await
    .map_err(|error| PageError::from_call(error, next))?;
    let translator = context.translator();
    let names = if is_staff {
        Some(
            ClientNamer::lookup(
                &state,
                &mut signed_in,
                page.items
                    .iter()
                    .map(|contract| contract.client_id.as_str()),
                &translator,
            )
            .await,
        )
    } else {
        None
    };
    let next_page_query = page.next_cursor.as_ref().map(|cursor| {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        if !filter.status.is_empty() {
            serializer.append_pair("status", &filter.status);
        }
        serializer.append_pair("cursor", cursor);
        serializer.finish()
    });
    Ok(render(
        StatusCode::OK,
        &ContractsPage {
            is_staff,
            contracts: page
                .items
                .iter()
                .map(|contract| ContractRow {
                    client: names
                        .as_ref()
                        .map(|names| names.label(&contract.client_id))
                        .unwrap_or_default(),
                    ..contract_row(contract, &translator, &state.calendar)
                })
                .collect(),
            statuses: CONTRACT_STATUSES
                .iter()
                .map(|status| KeyedChoice {
                    value: status,
                    label_key: status_key(status),
                    selected: filter.status == *status,
                })
                .collect(),
            next_page_query,
            t: translator,
            layout: context.layout(Section::Contracts),
        },
    ))
}

#[derive(Clone, Debug, Deserialize)]
struct Installment {
    number: i32,
    due_date: NaiveDate,
    principal: String,
    interest: String,
    total: String,
    paid: String,
    status: String,
    days_past_due: i32,
}

#[derive(Clone, Debug, Deserialize)]
struct Schedule {
    currency: String,
    installments: Vec<Installment>,
    total_payable: String,
    due_today: String,
}

/// An instalment as the schedule table shows it.
pub struct InstallmentRow {
    pub number: i32,
    pub due_date: String,
    pub principal: String,
    pub interest: String,
    pub total: String,
    pub paid: String,
    pub status_key: String,
    pub days_past_due: i32,
}

/// The schedule as the contract page shows it.
pub struct ScheduleView {
    pub installments: Vec<InstallmentRow>,
    pub total_payable: String,
    pub due_today: String,
    pub anything_due: bool,
    /// The first instalment not yet paid: what is due next. Only while the contract is active:
    /// a closed or written-off loan's schedule is its history, and nothing falls due on it.
    pub next_due: Option<String>,
}

fn schedule_view(schedule: &Schedule, translator: &Translator) -> ScheduleView {
    let locale = translator.locale();
    let money = |amount: &str| amount_text(amount, &schedule.currency, translator);
    ScheduleView {
        installments: schedule
            .installments
            .iter()
            .map(|installment| InstallmentRow {
                number: installment.number,
                due_date: format_date(installment.due_date, locale),
                principal: money(&installment.principal),
                interest: money(&installment.interest),
                total: money(&installment.total),
                paid: money(&installment.paid),
                status_key: format!("installment-status-{}", installment.status),
                days_past_due: installment.days_past_due,
            })
            .collect(),
        total_payable: money(&schedule.total_payable),
        due_today: money(&schedule.due_today),
        anything_due: schedule
            .due_today
            .parse::<rust_decimal::Decimal>()
            .is_ok_and(|due| due > rust_decimal::Decimal::ZERO),
        next_due: schedule
            .installments
            .iter()
            .find(|installment| installment.status != "paid")
            .map(|installment| {
                translator.t_with(
                    "contract-next-due",
                    &[
                        ("amount", &money(&installment.total)),
                        ("date", &format_date(installment.due_date, locale)),
                    ],
                )
            }),
    }
}

/// The early-settlement quote as disbursement gives it.
#[derive(Clone, Debug, Deserialize)]
struct SettlementQuote {
    currency: String,
    date: NaiveDate,
    penalty: String,
    due_interest: String,
    due_principal: String,
    accrued_interest: String,
    remaining_principal: String,
    total: String,
}

/// The early-settlement quote as the contract page shows it.
pub struct SettlementView {
    /// The quote's date as the date field takes it (`YYYY-MM-DD`).
    pub date_value: String,
    /// The sentence naming the date and the total.
    pub headline: String,
    pub owed_now: String,
    pub accrued_interest: String,
    pub remaining_principal: String,
}

fn settlement_view(quote: &SettlementQuote, translator: &Translator) -> SettlementView {
    let money = |amount: &str| amount_text(amount, &quote.currency, translator);
    let owed_now = [&quote.penalty, &quote.due_interest, &quote.due_principal]
        .into_iter()
        .filter_map(|amount| amount.parse::<rust_decimal::Decimal>().ok())
        .sum::<rust_decimal::Decimal>();
    SettlementView {
        date_value: quote.date.to_string(),
        headline: translator.t_with(
            "settlement-total",
            &[
                ("amount", &money(&quote.total)),
                ("date", &format_date(quote.date, translator.locale())),
            ],
        ),
        owed_now: money(&owed_now.to_string()),
        accrued_interest: money(&quote.accrued_interest),
        remaining_principal: money(&quote.remaining_principal),
    }
}

/// A tranche as the contract page shows it, with what the viewer may do with it.
pub struct TrancheRow {
    pub number: i32,
    pub amount: String,
    pub purpose: String,
    pub status_key: String,
    /// The note or milestone report sent with the request.
    pub note: String,
    pub may_request: bool,
    /// What the request form's note is called: a grant's founder reports a milestone.
    pub note_label_key: &'static str,
    /// The note as typed, when this tranche's request was refused.
    pub typed_note: String,
    pub note_error: Option<String>,
    pub may_approve: bool,
    pub may_cancel: bool,
    pub may_disburse: bool,
}

/// What the viewer may do on the contract page.
pub struct Abilities {
    pub sign: bool,
    /// Call off the contract before any payout: its founder, while it is a draft or signed
    /// (a signed contract is paid out only once activated).
    pub cancel: bool,
    /// The contract to call off is signed: its founder is told that a fee paid when signing
    /// comes back.
    pub cancel_signed: bool,
    pub repay: bool,
    /// Pay towards a written-off loan: its founder, while some of it is still owed.
    pub recover: bool,
    /// Ask what settles an active loan on a date: anyone who sees it.
    pub quote_settlement: bool,
    pub activate: bool,
    /// Propose a write-off: an approver, while none is pending.
    pub write_off: bool,
    /// Confirm the pending write-off: an approver other than its proposer.
    pub confirm_write_off: bool,
    /// Propose a rescheduling: a credit officer, on an active loan with a schedule, while none
    /// is pending.
    pub reschedule: bool,
    /// Confirm or reject the pending rescheduling: an approver other than its proposer.
    pub decide_reschedule: bool,
}

/// A write-off waiting for its second approver, as staff see it on the contract page.
pub struct PendingWriteOff {
    pub reason: String,
    /// The viewer proposed it, so another approver must confirm it.
    pub proposed_by_viewer: bool,
}

/// The contract document as the page offers it: the hash of what the link gives, and the
/// language it is in (both go back with the founder's signature).
pub struct DocumentView {
    pub sha256: String,
    pub language: String,
    /// The document was signed: the hash is the one recorded with the signature.
    pub signed: bool,
}

/// The contract as its page shows it.
pub struct ContractView {
    pub id: String,
    pub kind_key: String,
    pub status_key: String,
    pub principal: String,
    pub rate: String,
    /// The catalogue key of what a loan's interest is charged on; empty for a grant.
    pub interest_method_key: String,
    /// The arrangement fee with how it is collected, in words; empty when none is charged.
    pub arrangement_fee: String,
    /// The charge for each instalment paid late; empty when none.
    pub late_charge: String,
    /// The collateral and guarantors securing the loan.
    pub securities: Vec<SecurityLine>,
    pub term_months: i32,
    pub disbursement_date: String,
    pub first_due_date: String,
    pub penalty: String,
    pub loan_account: String,
    pub written_off: Option<WrittenOffFigures>,
}

/// A written-off loan's figures as the page shows them, in the contract's currency.
pub struct WrittenOffFigures {
    pub principal_written_off: String,
    pub recovered: String,
    pub still_owed: String,
}

fn contract_view(contract: &Contract, translator: &Translator) -> ContractView {
    let date = |date: Option<NaiveDate>| {
        date.map(|date| format_date(date, translator.locale()))
            .unwrap_or_default()
    };
    ContractView {
        id: contract.id.clone(),
        kind_key: format!("contract-kind-{}", contract.programme_kind),
        status_key: status_key(&contract.status),
        principal: amount_text(&contract.principal, &contract.currency, translator),
        rate: contract
            .annual_rate_percent
            .as_ref()
            .map(|rate| format!("{rate}%"))
            .unwrap_or_default(),
        interest_method_key: if contract.programme_kind == "loan" {
            let method = contract
                .interest_method
                .as_deref()
                .unwrap_or("declining_balance");
            format!("interest-method-{}", method.replace('_', "-"))
        } else {
            String::new()
        },
        arrangement_fee: contract
            .arrangement_fee
            .as_ref()
            .map(|fee| {
                let mut text = format!(
                    "{} · {}",
                    amount_text(&fee.amount, &contract.currency, translator),
                    translator.t(&format!("fee-collection-{}", fee.collection))
                );
                if fee.transfer_id.is_some() {
                    text.push_str(&format!(" · {}", translator.t("fee-collected")));
                }
                if fee.refund_transfer_id.is_some() {
                    text.push_str(&format!(" · {}", translator.t("fee-refunded")));
                }
                text
            })
            .unwrap_or_default(),
        late_charge: contract
            .late_charge
            .as_deref()
            .filter(|charge| {
                charge
                    .parse::<rust_decimal::Decimal>()
                    .is_ok_and(|charge| charge > rust_decimal::Decimal::ZERO)
            })
            .map(|charge| amount_text(charge, &contract.currency, translator))
            .unwrap_or_default(),
        securities: contract
            .securities
            .iter()
            .map(|security| {
                let mut line = SecurityLine::new(
                    "",
                    security.collateral_type.as_deref(),
                    security.guarantor_name.as_deref(),
                    &security.value,
                    &contract.currency,
                    &security.description,
                    translator,
                );
                line.documents = contract_document_items(&security.documents, translator);
                line
            })
            .collect(),
        term_months: contract.term_months,
        disbursement_date: date(contract.disbursement_date),
        first_due_date: date(contract.first_due_date),
        penalty: amount_text(
            &contract.penalty_outstanding,
            &contract.currency,
            translator,
        ),
        loan_account: contract.loan_account_number.clone().unwrap_or_default(),
        written_off: contract
            .written_off
            .as_ref()
            .map(|figures| WrittenOffFigures {
                principal_written_off: amount_text(
                    &figures.principal_written_off,
                    &contract.currency,
                    translator,
                ),
                recovered: amount_text(&figures.recovered, &contract.currency, translator),
                still_owed: amount_text(&figures.still_owed, &contract.currency, translator),
            }),
    }
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPageTemplate {
    t: Translator,
    layout: Layout,
    contract: ContractView,
    /// The borrower by name, for staff; `None` on the founder's own contract.
    client: Option<ClientLabel>,
    schedule: Option<ScheduleView>,
    /// An active loan's early-settlement quote, for the date asked for (today by default).
    settlement: Option<SettlementView>,
    tranches: Vec<TrancheRow>,
    can: Abilities,
    document: Option<DocumentView>,
    pending_write_off: Option<PendingWriteOff>,
    /// A loan's pending rescheduling and the schedules earlier ones replaced.
    rescheduling: Option<ReschedulingSection>,
    form: FormState,
    /// The key a repayment form carries, so the same form sent twice pays once.
    repayment_key: String,
}

pub(super) async fn contract_page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let next = format!("/contracts/{id}");
    let token = token(state, signed_in, &next).await?;
    let contract: Contract = send_json(state.contracts.authorized(
        Method::GET,
        &format!("/v1/contracts/{id}"),
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, &next))?;
    let schedule = if contract.programme_kind == "loan" && contract.status != "draft" {
        match send_json::<Schedule>(state.contracts.authorized(
            Method::GET,
            &format!("/v1/contracts/{id}/schedule"),
            &token,
        ))
        .await
        {
            Ok(schedule) => Some(schedule),
            // No schedule yet (nothing paid out): the page shows the contract without one.
            Err(CallError::Refused { .. } | CallError::NotFound) => None,
            Err(error) => return Err(PageError::from_call(error, &next)),
        }
    } else {
        None
    };
    let mut form = form;
    let has_instalments = schedule
        .as_ref()
        .is_some_and(|schedule| !schedule.installments.is_empty());
    let settlement = if contract.status == "active" && has_instalments {
        let settle_on = form.value("settle_on").trim();
        let path = format!("/v1/contracts/{id}/settlement-quote");
        let date = match settle_on {
            "" => Ok(None),
            typed => NaiveDate::parse_from_str(typed, "%Y-%m-%d").map(Some),
        };
        let quote = match date {
            Ok(None) => Some(path),
            Ok(Some(date)) => Some(format!("{path}?date={date}")),
            Err(_) => {
                form.refuse(&context.translator(), "settle_on", "not_a_date");
                None
            }
        };
        match quote {
            None => None,
            Some(path) => match send_json::<SettlementQuote>(state.contracts.authorized(
                Method::GET,
                &path,
                &token,
            ))
            .await
            {
                Ok(quote) => Some(settlement_view(&quote, &context.translator())),
                // A date the service refuses (one before today) is named beside the field.
                Err(CallError::Refused { fields, .. }) if !fields.is_empty() => {
                    for refusal in &fields {
                        form.refuse(&context.translator(), "settle_on", &refusal.code);
                    }
                    None
                }
                // Nothing to settle (no schedule yet): the page shows the contract without a quote.
                Err(CallError::Refused { .. }) => None,
                Err(error) => return Err(PageError::from_call(error, &next)),
            },
        }
    } else {
        None
    };
    let client = if signed_in.person.is_client() {
        None
    } else {
        let names = ClientNamer::lookup(
            state,
            signed_in,
            [contract.client_id.as_str()],
            &context.translator(),
        )
        .await;
        Some(names.label(&contract.client_id))
    };
    let person = &signed_in.person;
    let is_founder = person.is_client();
    let is_officer = person.has_role("credit_officer");
    let may_approve = is_officer || person.has_role("approver");
    let may_disburse = is_officer || person.has_role("finance");
    let is_active = contract.status == "active";
    let is_grant = contract.programme_kind == "grant";
    let translator = context.translator();
    let refused_tranche = form.value("tranche");
    let tranches = contract
        .tranches
        .iter()
        .map(|tranche| {
            let was_refused = refused_tranche == tranche.number.to_string();
            TrancheRow {
                number: tranche.number,
                amount: amount_text(&tranche.amount, &contract.currency, &translator),
                purpose: tranche_purpose(&tranche.purpose, &translator),
                status_key: format!("tranche-status-{}", tranche.status),
                note: tranche.request_note.clone().unwrap_or_default(),
                may_request: is_active
                    && tranche.status == "planned"
                    && (is_officer || (is_founder && is_grant)),
                note_label_key: if is_grant && !is_officer {
                    "tranche-milestone-report"
                } else {
                    "tranche-note"
                },
                typed_note: if was_refused {
                    form.value("note").to_owned()
                } else {
                    String::new()
                },
                note_error: form
                    .error("note")
                    .filter(|_| was_refused)
                    .map(str::to_owned),
                may_approve: is_active && tranche.status == "requested" && may_approve,
                // Staff who approve may also stop a tranche before it is paid out.
                may_cancel: matches!(tranche.status.as_str(), "requested" | "approved")
                    && may_approve,
                may_disburse: is_active && tranche.status == "approved" && may_disburse,
            }
        })
        .collect();
    let schedule_view = schedule
        .as_ref()
        .map(|schedule| schedule_view(schedule, &translator))
        .map(|view| {
            if is_active {
                view
            } else {
                ScheduleView {
                    anything_due: false,
                    next_due: None,
                    ..view
                }
            }
        });
    let pending_write_off = contract
        .write_off_proposal
        .as_ref()
        .filter(|proposal| proposal.confirmed_by.is_none() && is_active && !is_founder)
        .map(|proposal| PendingWriteOff {
            reason: proposal.reason.clone(),
            proposed_by_viewer: proposal.proposed_by == person.id,
        });
    let rescheduling = if schedule.is_some() {
        Some(
            reschedules::section(
                state,
                &token,
                id,
                &contract.currency,
                &person.id,
                &translator,
            )
            .await
            .map_err(|error| PageError::from_call(error, &next))?,
        )
    } else {
        None
    };
    let pending_reschedule = rescheduling
        .as_ref()
        .and_then(|section| section.pending.as_ref());
    let can = Abilities {
        reschedule: is_officer && is_active && has_instalments && pending_reschedule.is_none(),
        decide_reschedule: person.has_role("approver")
            && is_active
            && pending_reschedule.is_some_and(|pending| !pending.proposed_by_viewer),
        sign: is_founder && contract.status == "draft",
        cancel: is_founder && matches!(contract.status.as_str(), "draft" | "signed"),
        cancel_signed: contract.status == "signed",
        repay: is_founder && is_active && schedule.is_some(),
        recover: is_founder
            && contract
                .written_off
                .as_ref()
                .and_then(|figures| figures.still_owed.parse::<rust_decimal::Decimal>().ok())
                .is_some_and(|owed| owed > rust_decimal::Decimal::ZERO),
        quote_settlement: is_active && has_instalments,
        activate: is_officer && contract.status == "signed",
        write_off: person.has_role("approver") && is_active && pending_write_off.is_none(),
        confirm_write_off: person.has_role("approver")
            && is_active
            && pending_write_off
                .as_ref()
                .is_some_and(|pending| !pending.proposed_by_viewer),
    };
    let document = match (&contract.document_sha256, &contract.document_language) {
        (Some(sha256), Some(language)) => Some(DocumentView {
            sha256: sha256.clone(),
            language: language.clone(),
            signed: true,
        }),
        // Before signing, the founder is shown the hash of the document the link gives in the
        // page's language; the sign form sends it back, and the service refuses a different one.
        _ if can.sign => {
            let language = translator.locale().code();
            let upstream = document_request(state, &token, id, language)
                .await
                .map_err(|error| PageError::from_call(error, &next))?;
            upstream
                .headers()
                .get("x-document-sha256")
                .and_then(|value| value.to_str().ok())
                .map(|sha256| DocumentView {
                    sha256: sha256.to_owned(),
                    language: language.to_owned(),
                    signed: false,
                })
        }
        _ => None,
    };
    Ok(render(
        status,
        &ContractPageTemplate {
            client,
            document,
            contract: contract_view(&contract, &translator),
            schedule: schedule_view,
            settlement,
            tranches,
            can,
            pending_write_off,
            rescheduling,
            form,
            repayment_key: idempotency_key(),
            t: translator,
            layout: context.layout(Section::Contracts),
        },
    ))
}

/// The contract page's query: the date an active loan's settlement is quoted for.
#[derive(Debug, Default, Deserialize)]
pub struct ContractQuery {
    #[serde(default)]
    pub settle_on: Option<String>,
}

/// A contract with its tranches, schedule, what is due next and, for an active loan, what
/// settles it on a date.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<ContractQuery>,
) -> Result<Response, PageError> {
    require_founder_or_staff(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let form = FormState::from_pairs(
        query
            .settle_on
            .map(|date| ("settle_on".to_owned(), date))
            .into_iter()
            .collect(),
    );
    contract_page(&state, &context, &mut signed_in, id, form, StatusCode::OK).await
}

/// What a refused action means for the contract page: a message at the top of the page, or
/// beside a field of the early-repayment form; a role refusal is the wrong-role page.
pub(super) async fn refused(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    error: CallError,
    mut form: FormState,
) -> Result<Response, PageError> {
    let translator = context.translator();
    let next = format!("/contracts/{id}");
    let status = match error {
        // The four-eyes rule is not a missing role: the page says who must act instead.
        CallError::Forbidden { code } if code == "four_eyes_violation" => {
            form.notice = Some(translator.t("problem-tranche-four-eyes"));
            StatusCode::FORBIDDEN
        }
        CallError::Refused {
            status,
            code,
            fields,
        } => {
            form.refuse_all(
                &translator,
                &fields,
                &["amount", "option", "note", "reason", "kind", "months"],
            );
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            }
            status
        }
        error => return Err(PageError::from_call(error, &next)),
    };
    contract_page(state, context, signed_in, id, form, status).await
}

/// A tranche's purpose in the reader's language: the service writes `loan` for a loan's tranche
/// and `milestone N` for a grant's; anything else (an officer's own words) is shown as written.
fn tranche_purpose(purpose: &str, translator: &Translator) -> String {
    if purpose == "loan" {
        return translator.t("tranche-purpose-loan");
    }
    match purpose
        .strip_prefix("milestone ")
        .and_then(|number| number.parse::<u32>().ok())
    {
        Some(number) => translator.t_with(
            "tranche-purpose-milestone",
            &[("number", &number.to_string())],
        ),
        None => purpose.to_owned(),
    }
}

/// The contract document from the disbursement service, in `language` while it is a draft.
async fn document_request(
    state: &AppState,
    token: &str,
    id: &str,
    language: &str,
) -> Result<reqwest::Response, CallError> {
    send(
        state
            .contracts
            .authorized(
                Method::GET,
                &format!("/v1/contracts/{id}/document.pdf"),
                token,
            )
            .query(&[("lang", language)]),
    )
    .await
}

/// The contract document as a PDF attachment: the draft in the page's language, or the
/// document signed.
pub async fn document(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_founder_or_staff(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/contracts/{id}");
    let token = token(&state, &mut signed_in, &next).await?;
    let language = context.translator().locale().code();
    let upstream = document_request(&state, &token, id, language)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    // The id passed `path_segment`, so the name needs no escaping.
    Ok(attachment(
        upstream,
        "application/pdf",
        &format!("contract-{id}.pdf"),
    ))
}

/// What the sign form sends: the hash and language of the document the page offered.
#[derive(Deserialize, Default)]
pub struct SignForm {
    #[serde(default)]
    document_sha256: String,
    #[serde(default)]
    language: String,
}

/// The founder signs the contract document the page offered.
pub async fn sign(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(submitted): Form<SignForm>,
) -> Result<Response, PageError> {
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/contracts/{id}");
    let token = token(&state, &mut signed_in, &next).await?;
    match send(
        state
            .contracts
            .authorized(Method::POST, &format!("/v1/contracts/{id}/sign"), &token)
            .json(&json!({
                "document_sha256": submitted.document_sha256.trim(),
                "language": submitted.language.trim(),
            })),
    )
    .await
    {
        Ok(_) => Ok(see_other(&next)),
        Err(error) => {
            refused(
                &state,
                &context,
                &mut signed_in,
                id,
                error,
                FormState::default(),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RepaymentForm {
    /// `due` pays everything due today; `early` repays principal ahead of schedule.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    option: String,
    #[serde(default)]
    idempotency_key: String,
}

/// Pays what is due or a part of it, or repays early keeping the term or the instalment.
pub async fn repay(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(submitted): Form<RepaymentForm>,
) -> Result<Response, PageError> {
    if !signed_in.person.is_client() {
        return Err(PageError::WrongRole);
    }
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/contracts/{id}");
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![
        ("amount".to_owned(), submitted.amount.clone()),
        ("option".to_owned(), submitted.option.clone()),
    ]);
    let body = if submitted.kind == "early" || submitted.kind == "part" {
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
        // A part of what is due names no option; an early repayment must.
        let part = submitted.kind == "part";
        if !part && !matches!(submitted.option.as_str(), "keep_term" | "keep_installment") {
            form.refuse(&translator, "option", "invalid_choice");
        }
        match amount {
            Some(amount) if !form.has_errors() && part => json!({"amount": amount.to_string()}),
            Some(amount) if !form.has_errors() => {
                json!({"amount": amount.to_string(), "option": submitted.option})
            }
            _ => {
                return contract_page(
                    &state,
                    &context,
                    &mut signed_in,
                    id,
                    form,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        }
    } else {
        json!({})
    };
    // The same form sent twice pays once.
    let key = form_idempotency_key(&submitted.idempotency_key);
    let token = token(&state, &mut signed_in, &next).await?;
    match send(
        state
            .contracts
            .authorized(
                Method::POST,
                &format!("/v1/contracts/{id}/repayments"),
                &token,
            )
            .header("idempotency-key", key)
            .json(&body),
    )
    .await
    {
        Ok(_) => Ok(see_other(&next)),
        Err(error) => refused(&state, &context, &mut signed_in, id, error, form).await,
    }
}

#[derive(Deserialize, Default)]
pub struct RecoveryForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    idempotency_key: String,
}

/// Pays towards a written-off loan from the founder's current account.
pub async fn recover(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(submitted): Form<RecoveryForm>,
) -> Result<Response, PageError> {
    if !signed_in.person.is_client() {
        return Err(PageError::WrongRole);
    }
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/contracts/{id}");
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![(
        "recovery_amount".to_owned(),
        submitted.amount.clone(),
    )]);
    let amount = match parse_typed_decimal(&submitted.amount, translator.locale()) {
        Ok(amount) => amount,
        Err(error) => {
            let code = match error {
                TypedNumberError::Empty => "required",
                TypedNumberError::NotANumber => "not_a_number",
            };
            form.refuse(&translator, "recovery_amount", code);
            return contract_page(
                &state,
                &context,
                &mut signed_in,
                id,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    // The same form sent twice pays once.
    let key = form_idempotency_key(&submitted.idempotency_key);
    let token = token(&state, &mut signed_in, &next).await?;
    match send(
        state
            .contracts
            .authorized(
                Method::POST,
                &format!("/v1/contracts/{id}/recoveries"),
                &token,
            )
            .header("idempotency-key", key)
            .json(&json!({"amount": amount.to_string()})),
    )
    .await
    {
        Ok(_) => Ok(see_other(&next)),
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            // The service names the field `amount`; the page's field for it is
            // `recovery_amount`, apart from the early-repayment form's amount.
            for refusal in &fields {
                form.refuse(&translator, "recovery_amount", &refusal.code);
            }
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            }
            contract_page(&state, &context, &mut signed_in, id, form, status).await
        }
        Err(error) => refused(&state, &context, &mut signed_in, id, error, form).await,
    }
}

#[derive(Deserialize, Default)]
pub struct ActivationForm {
    #[serde(default)]
    disbursement_date: String,
    #[serde(default)]
    first_due_date: String,
}

/// A credit officer activates a signed contract, fixing its dates.
pub async fn activate(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(submitted): Form<ActivationForm>,
) -> Result<Response, PageError> {
    if !signed_in.person.has_role("credit_officer") {
        return Err(PageError::WrongRole);
    }
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/contracts/{id}");
    let form = FormState::from_pairs(vec![
        (
            "disbursement_date".to_owned(),
            submitted.disbursement_date.clone(),
        ),
        (
            "first_due_date".to_owned(),
            submitted.first_due_date.clone(),
        ),
    ]);
    let mut body = serde_json::Map::new();
    for (name, value) in [
        ("disbursement_date", &submitted.disbursement_date),
        ("first_due_date", &submitted.first_due_date),
    ] {
        if !value.trim().is_empty() {
            body.insert(name.to_owned(), json!(value.trim()));
        }
    }
    let token = token(&state, &mut signed_in, &next).await?;
    match send(
        state
            .contracts
            .authorized(
                Method::POST,
                &format!("/v1/contracts/{id}/activate"),
                &token,
            )
            .json(&body),
    )
    .await
    {
        Ok(_) => Ok(see_other(&next)),
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            let translator = context.translator();
            let mut form = form;
            form.refuse_all(
                &translator,
                &fields,
                &["disbursement_date", "first_due_date"],
            );
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            }
            contract_page(&state, &context, &mut signed_in, id, form, status).await
        }
        Err(error) => refused(&state, &context, &mut signed_in, id, error, form).await,
    }
}

/// Requests (with a note or a grant's milestone report), approves, cancels or pays out a
/// tranche.
pub async fn tranche_action(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, number, action)): Path<(String, u32, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require_founder_or_staff(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/contracts/{id}");
    let path = format!("/v1/contracts/{id}/tranches/{number}/{action}");
    let mut form = FormState::from_pairs(pairs);
    form.set("tranche", number.to_string());
    let token = token(&state, &mut signed_in, &next).await?;
    let request = match action.as_str() {
        "request" => {
            let note = form.value("note").trim();
            let body = if note.is_empty() {
                json!({})
            } else {
                json!({ "note": note })
            };
            state
                .contracts
                .authorized(Method::POST, &path, &token)
                .json(&body)
        }
        "approve" | "cancel" => state.contracts.authorized(Method::POST, &path, &token),
        // A payout is keyed by its tranche: a second click, or a retry after the ledger was
        // slow to answer, gets the first payout back and pays nothing more.
        "disburse" => state
            .contracts
            .authorized(Method::POST, &path, &token)
            .header("idempotency-key", format!("tranche-{id}-{number}-disburse")),
        _ => return Err(PageError::NotFound),
    };
    match send(request).await {
        Ok(_) => Ok(see_other(&next)),
        Err(error) => refused(&state, &context, &mut signed_in, id, error, form).await,
    }
}

/// The credit committee writes an active contract off, with its reason, once the approver
/// ticked that they mean it. The service decides who may (approvers) and when (an active
/// contract); its refusals are shown on the page.
pub async fn write_off(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require_founder_or_staff(&signed_in)?;
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/contracts/{id}");
    let translator = context.translator();
    let mut form = FormState::from_pairs(pairs);
    if form.value("reason").trim().is_empty() {
        form.refuse(&translator, "reason", "required");
    }
    if form.value("write_off_confirmed") != "yes" {
        form.refuse(
            &translator,
            "write_off_confirmed",
            "write_off_not_confirmed",
        );
    }
    if form.has_errors() {
        return contract_page(
            &state,
            &context,
            &mut signed_in,
            id,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let token = token(&state, &mut signed_in, &next).await?;
    let body = json!({ "reason": form.value("reason").trim() });
    match send(
        state
            .contracts
            .authorized(
                Method::POST,
                &format!("/v1/contracts/{id}/write-off"),
                &token,
            )
            .json(&body),
    )
    .await
    {
        Ok(_) => Ok(see_other(&next)),
        Err(error) => refused(&state, &context, &mut signed_in, id, error, form).await,
    }
}

/// The founder calls off a contract nothing was paid out under; the service refunds a fee paid
/// when signing and releases the programme budget it held. The reason is required here as at
/// the service.
pub async fn cancel(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let next = format!("/contracts/{id}");
    let translator = context.translator();
    let mut form = FormState::from_pairs(pairs);
    if form.value("cancel_reason").trim().is_empty() {
        form.refuse(&translator, "cancel_reason", "required");
    }
    if form.has_errors() {
        return contract_page(
            &state,
            &context,
            &mut signed_in,
            id,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let token = token(&state, &mut signed_in, &next).await?;
    let body = json!({ "reason": form.value("cancel_reason").trim() });
    match send(
        state
            .contracts
            .authorized(Method::POST, &format!("/v1/contracts/{id}/cancel"), &token)
            .json(&body),
    )
    .await
    {
        Ok(_) => Ok(see_other(&next)),
        Err(error) => refused(&state, &context, &mut signed_in, id, error, form).await,
    }
}

/// A second approver confirms the write-off another approver proposed. The service refuses the
/// proposer (four eyes); the page then says that another approver must confirm.
pub async fn confirm_write_off(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    decide_proposal(
        &state,
        &context,
        &mut signed_in,
        &id,
        "write-off/confirm",
        "problem-write-off-four-eyes",
    )
    .await
}

/// Posts a decision on a proposal another member of staff made (`action`, such as
/// `write-off/confirm`) and returns to the contract. The service refuses the proposer (four
/// eyes); the page then says so with the words of `four_eyes_key`.
pub(super) async fn decide_proposal(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    action: &str,
    four_eyes_key: &str,
) -> Result<Response, PageError> {
    require_founder_or_staff(signed_in)?;
    let id = path_segment(id).map_err(|_| PageError::NotFound)?;
    let next = format!("/contracts/{id}");
    let token = token(state, signed_in, &next).await?;
    match send(state.contracts.authorized(
        Method::POST,
        &format!("/v1/contracts/{id}/{action}"),
        &token,
    ))
    .await
    {
        Ok(_) => Ok(see_other(&next)),
        Err(CallError::Forbidden { code }) if code == "four_eyes_violation" => {
            let mut form = FormState::default();
            form.notice = Some(context.translator().t(four_eyes_key));
            contract_page(state, context, signed_in, id, form, StatusCode::FORBIDDEN).await
        }
        Err(error) => refused(state, context, signed_in, id, error, FormState::default()).await,
    }
}

/// An overdue contract as the arrears list shows it.
pub struct ArrearsRow {
    pub contract_id: String,
    pub client: ClientLabel,
    pub overdue: String,
    pub penalty: String,
    pub days_past_due: i32,
    pub bucket: String,
    pub installments: i32,
}

/// A bucket as the arrears page shows it.
pub struct BucketRow {
    pub bucket: String,
    pub contracts: i64,
    pub overdue: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "arrears.html")]
struct ArrearsPage {
    t: Translator,
    layout: Layout,
    as_of: String,
    buckets: Vec<BucketRow>,
    items: Vec<ArrearsRow>,
    next_page_query: Option<String>,
    /// Administrators run the daily job from the page.
    can_run_job: bool,
    /// What the last run of the daily job did, right after it.
    run_report: Option<String>,
    form: FormState,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ArrearsFilter {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    bucket: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
    /// After a run of the daily job: how many dates it assessed, and the last one. Read once
    /// from the redirect, never carried into the paging links.
    #[serde(default, skip_serializing)]
    ran: Option<usize>,
    #[serde(default, skip_serializing)]
    through: Option<NaiveDate>,
}

/// What the daily job answered: one entry per date it assessed.
#[derive(Deserialize)]
struct ArrearsRun {
    assessed: Vec<AssessedDate>,
}

#[derive(Deserialize)]
struct AssessedDate {
    as_of: NaiveDate,
}

/// What the page says after a run of the daily job, in the visitor's language.
fn run_report(filter: &ArrearsFilter, translator: &Translator) -> Option<String> {
    match (filter.ran?, filter.through) {
        (0, _) | (_, None) => Some(translator.t("arrears-run-nothing")),
        (days, Some(through)) => Some(translator.t_with(
            "arrears-run-done",
            &[
                ("days", days.to_string().as_str()),
                ("date", format_date(through, translator.locale()).as_str()),
            ],
        )),
    }
}

/// Every currency's total of a bucket, in the visitor's language.
fn bucket_totals(bucket: &Bucket, translator: &Translator) -> String {
    bucket
        .total_overdue
        .iter()
        .map(|(currency, amount)| amount_text(amount, currency, translator))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Overdue contracts by ageing bucket.
pub async fn arrears(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Query(filter): Query<ArrearsFilter>,
) -> Result<Response, PageError> {
    arrears_page(
        &state,
        &context,
        &mut signed_in,
        filter,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// An administrator runs the daily job (collection of what is due, then arrears) through
/// today. The service allows administrators only and runs each date once, so a second click
/// changes nothing; a refusal other than the role is shown on the page.
pub async fn run_arrears(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    let next = "/arrears";
    let token = token(&state, &mut signed_in, next).await?;
    match send(
        state
            .contracts
            .authorized(Method::POST, "/v1/arrears/run", &token),
    )
    .await
    {
        Ok(answer) => {
            let run: ArrearsRun = answer.json().await.map_err(|error| {
                PageError::from_call(CallError::Unavailable(error.to_string()), next)
            })?;
            let mut target = format!("{next}?ran={}", run.assessed.len());
            if let Some(last) = run.assessed.last() {
                target.push_str(&format!("&through={}", last.as_of));
            }
            Ok(see_other(&target))
        }
        Err(CallError::Refused { status, code, .. }) => {
            let mut form = FormState::default();
            form.notice = Some(problem_message(&context.translator(), &code));
            arrears_page(
                &state,
                &context,
                &mut signed_in,
                ArrearsFilter::default(),
                form,
                status,
            )
            .await
        }
        Err(error) => Err(PageError::from_call(error, next)),
    }
}

async fn arrears_page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    filter: ArrearsFilter,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    if !signed_in.person.is_portfolio_staff() {
        return Err(PageError::WrongRole);
    }
    let next = "/arrears";
    if !filter.bucket.is_empty() && !ARREARS_BUCKETS.contains(&filter.bucket.as_str()) {
        return Err(PageError::NotFound);
    }
    let token = token(state, signed_in, next).await?;
    let arrears: Arrears = send_json(
        state
            .contracts
            .authorized(Method::GET, "/v1/arrears", &token)
            .query(&filter),
    )
    .await
    .map_err(|error| PageError::from_call(error, next))?;
    let translator = context.translator();
    let names = ClientNamer::lookup(
        state,
        signed_in,
        arrears.items.iter().map(|item| item.client_id.as_str()),
        &translator,
    )
    .await;
    let next_page_query = arrears.next_cursor.as_ref().map(|cursor| {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        if !filter.bucket.is_empty() {
            serializer.append_pair("bucket", &filter.bucket);
        }
        serializer.append_pair("cursor", cursor);
        serializer.finish()
    });
    Ok(render(
        status,
        &ArrearsPage {
            as_of: arrears
                .as_of
                .map(|date| format_date(date, translator.locale()))
                .unwrap_or_default(),
            buckets: arrears
                .buckets
                .iter()
                .map(|bucket| BucketRow {
                    bucket: bucket.bucket.clone(),
                    contracts: bucket.contracts,
                    overdue: bucket_totals(bucket, &translator),
                    selected: bucket.bucket == filter.bucket,
                })
                .collect(),
            items: arrears
                .items
                .iter()
                .map(|item| ArrearsRow {
                    contract_id: item.contract_id.clone(),
                    client: names.label(&item.client_id),
                    overdue: amount_text(&item.total_overdue, &item.currency, &translator),
                    penalty: amount_text(&item.penalty_outstanding, &item.currency, &translator),
                    days_past_due: item.days_past_due,
                    bucket: item.bucket.clone(),
                    installments: item.overdue_installments,
                })
                .collect(),
            next_page_query,
            run_report: run_report(&filter, &translator),
            can_run_job: signed_in.person.has_role("admin"),
            form,
            t: translator,
            layout: context.layout(Section::Arrears),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{catalogues, Locale};

    #[test]
    fn every_contract_status_and_kind_has_a_label_in_every_language() {
        for locale in Locale::ALL {
            let ids = catalogues().message_ids(locale);
            for status in CONTRACT_STATUSES {
                assert!(ids.contains(&status_key(status)), "{status}");
            }
            for kind in ["grant", "loan"] {
                assert!(ids.contains(&format!("contract-kind-{kind}")));
            }
            for status in ["planned", "requested", "approved", "disbursed", "cancelled"] {
                assert!(ids.contains(&format!("tranche-status-{status}")));
            }
            for status in ["paid", "overdue", "due", "upcoming"] {
                assert!(ids.contains(&format!("installment-status-{status}")));
            }
            assert!(ids.contains("problem-tranche-four-eyes"));
        }
    }

    #[test]
    fn the_next_due_instalment_is_the_first_not_yet_paid() {
        let installment = |number, status: &str| Installment {
            number,
            due_date: NaiveDate::from_ymd_opt(2026, 12, number as u32).unwrap(),
            principal: "100.00".to_owned(),
            interest: "5.00".to_owned(),
            total: "105.00".to_owned(),
            paid: "0.00".to_owned(),
            status: status.to_owned(),
            days_past_due: 0,
        };
        let schedule = Schedule {
            currency: "UZS".to_owned(),
            installments: vec![installment(1, "paid"), installment(2, "upcoming")],
            total_payable: "210.00".to_owned(),
            due_today: "0.00".to_owned(),
        };
        let view = schedule_view(&schedule, &Translator::new(Locale::En));
        assert!(!view.anything_due);
        assert_eq!(
            view.next_due.as_deref(),
            Some("Next payment: UZS\u{a0}105.00 on 2 Dec 2026")
        );
    }
}
