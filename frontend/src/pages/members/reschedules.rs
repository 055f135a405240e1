//! Rescheduling on the contract page: a credit officer proposes a payment holiday or a longer
//! term, an approver who did not propose it confirms or rejects it, and everyone who sees the
//! contract sees the proposal's new rows and the schedules earlier reschedulings replaced.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use reqwest::Method;
use serde_json::json;

use super::contracts::{contract_page, decide_proposal, refused, require_founder_or_staff, token};
use crate::clients::api::{send, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::clients::disbursement::{Reschedules, ScheduleFigures};
use crate::pages::shared::forms::FormState;
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{PageContext, PageError};
use crate::web::format::{amount_text, format_date};
use crate::web::i18n::Translator;
use crate::AppState;

/// The most months one rescheduling adds, as the service allows.
const MAX_MONTHS: u32 = 24;

/// One row of a proposed or replaced schedule, formatted.
pub struct FiguresRow {
    pub number: i64,
    pub due_date: String,
    pub principal: String,
    pub interest: String,
    pub total: String,
    pub balance: String,
}

/// A rescheduling waiting for an approver.
pub struct PendingReschedule {
    /// What it changes, in words: "a payment holiday of 2 months".
    pub what: String,
    pub reason: String,
    /// The viewer proposed it, so another approver must decide.
    pub proposed_by_viewer: bool,
    /// The rows it would give if confirmed today.
    pub rows: Vec<FiguresRow>,
}

/// A schedule an earlier rescheduling replaced.
pub struct ReplacedSchedule {
    pub version: i32,
    /// The id of its table on the page.
    pub table_id: String,
    /// "Before the payment holiday of 2 months from 15 March 2024".
    pub title: String,
    pub rows: Vec<FiguresRow>,
}

/// The contract page's rescheduling section.
pub struct ReschedulingSection {
    pub pending: Option<PendingReschedule>,
    pub replaced: Vec<ReplacedSchedule>,
}

fn figures(rows: &[ScheduleFigures], currency: &str, translator: &Translator) -> Vec<FiguresRow> {
    let money = |amount: &str| amount_text(amount, currency, translator);
    rows.iter()
        .map(|row| FiguresRow {
            number: row.number,
            due_date: format_date(row.due_date, translator.locale()),
            principal: money(&row.principal),
            interest: money(&row.interest),
            total: money(&row.total),
            balance: money(&row.balance),
        })
        .collect()
}

fn what_changes(kind: &str, months: u32, translator: &Translator) -> String {
    translator.t_count(
        &format!("reschedule-kind-{}", kind.replace('_', "-")),
        "months",
        &months,
    )
}

/// The section for a loan the service reports reschedulings of.
pub async fn section(
    state: &AppState,
    token: &str,
    id: &str,
    currency: &str,
    viewer: &str,
    translator: &Translator,
) -> Result<ReschedulingSection, CallError> {
    let history: Reschedules = send_json(state.contracts.authorized(
        Method::GET,
        &format!("/v1/contracts/{id}/reschedules"),
        token,
    ))
    .await?;
    let pending = history
        .reschedules
        .iter()
        .find(|change| change.status == "proposed")
        .map(|change| PendingReschedule {
            what: what_changes(&change.kind, change.months, translator),
            reason: change.reason.clone(),
            proposed_by_viewer: change.proposed_by == viewer,
            rows: figures(
                change.proposed_installments.as_deref().unwrap_or_default(),
                currency,
                translator,
            ),
        });
    let replaced = history
        .versions
        .iter()
        .filter_map(|version| {
            let change = history
                .reschedules
                .iter()
                .find(|change| change.id == version.reschedule_id)?;
            let effective_on = change
                .effective_on
                .map(|day| format_date(day, translator.locale()))
                .unwrap_or_default();
            Some(ReplacedSchedule {
                version: version.version,
                table_id: format!("schedule-version-rows-{}", version.version),
                title: translator.t_with(
                    "reschedule-replaced-title",
                    &[
                        (
                            "change",
                            &what_changes(&change.kind, change.months, translator),
                        ),
                        ("date", &effective_on),
                    ],
                ),
                rows: figures(&version.installments, currency, translator),
            })
        })
        .collect();
    Ok(ReschedulingSection { pending, replaced })
}

/// A credit officer proposes a rescheduling; the kind, months and reason are checked here
/// first, then by the service.
pub async fn propose(
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
    let kind = form.value("kind").to_owned();
    if !matches!(kind.as_str(), "payment_holiday" | "longer_term") {
        form.refuse(&translator, "kind", "required");
    }
    let months = form.value("months").trim().parse::<u32>().ok();
    if !months.is_some_and(|months| (1..=MAX_MONTHS).contains(&months)) {
        form.refuse(&translator, "months", "months_out_of_range");
    }
    let reason = form.value("reschedule_reason").trim().to_owned();
    if reason.is_empty() {
        form.refuse(&translator, "reschedule_reason", "required");
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
    let body = json!({"kind": kind, "months": months, "reason": reason});
    match send(
        state
            .contracts
            .authorized(
                Method::POST,
                &format!("/v1/contracts/{id}/reschedule"),
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

/// An approver confirms (`confirm`) or rejects (`reject`) the pending rescheduling. The
/// service refuses its proposer; the page then says another approver must decide.
pub async fn decide(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, decision)): Path<(String, String)>,
) -> Result<Response, PageError> {
    if !matches!(decision.as_str(), "confirm" | "reject") {
        return Err(PageError::NotFound);
    }
    decide_proposal(
        &state,
        &context,
        &mut signed_in,
        &id,
        &format!("reschedule/{decision}"),
        "problem-reschedule-four-eyes",
    )
    .await
}
