//! The bank's exchange rates, with four eyes: a member of finance proposes a pair's buy and sell
//! rates for a number of hours, and a second member of finance or an admin publishes or rejects
//! them. The page also shows the rates in force and, to finance, the day's FX position per
//! currency. The reader's own proposals are shown without the buttons, since accounts refuses
//! the proposer's decision anyway.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::clients::accounts::{current_rates, Rate};
use crate::clients::api::{send, send_json, CallError};
use crate::clients::applications::path_segment;
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::rates::{rate_row, rate_text, RateRow};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_day_of, parse_typed_decimal, TypedNumberError};
use crate::web::i18n::Translator;
use crate::AppState;

const PAGE: &str = "/fx";

/// The pairs the bank quotes, as accounts names them.
const PAIRS: [&str; 3] = ["USD/UZS", "EUR/UZS", "EUR/USD"];

/// The longest a proposed rate may hold, in hours (accounts allows 31 days).
const MAX_VALID_HOURS: i64 = 31 * 24;

fn may_decide(signed_in: &SignedIn) -> bool {
    signed_in.person.has_role("finance") || signed_in.person.has_role("admin")
}

#[derive(Debug, Deserialize)]
struct ProposedRate {
    id: String,
    pair: String,
    buy_rate: String,
    sell_rate: String,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    proposed_by: String,
}

/// A proposal waiting for its second person, as the page lists it.
pub struct PendingRate {
    pub id: String,
    pub pair: String,
    pub buy: String,
    pub sell: String,
    pub window: String,
    /// The reader proposed it, so someone else decides it.
    pub own: bool,
}

#[derive(Debug, Deserialize)]
struct PositionLine {
    currency: String,
    opening: String,
    closing: String,
    bought: String,
    sold: String,
    income: String,
    exchanges: i64,
}

#[derive(Debug, Deserialize)]
struct Position {
    lines: Vec<PositionLine>,
}

/// One currency's line of the day's position, as the page shows it.
pub struct PositionRow {
    pub currency: String,
    pub opening: String,
    pub bought: String,
    pub sold: String,
    pub closing: String,
    pub income: String,
    pub exchanges: i64,
}

#[derive(Template)]
#[template(path = "fx.html")]
struct FxPage {
    t: Translator,
    layout: Layout,
    form: FormState,
    pairs: [&'static str; 3],
    current: Option<Vec<RateRow>>,
    pending: Option<Vec<PendingRate>>,
    /// Finance proposes; an admin only decides.
    may_propose: bool,
    /// The day's position, for finance; `None` for admins or when accounts did not answer.
    position: Option<Vec<PositionRow>>,
}

async fn page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let translator = context.translator();
    let token = signed_in
        .access_token(state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let calendar = &state.calendar;
    let current = current_rates(&state.accounts, &token)
        .await
        .inspect_err(|error| tracing::warn!(%error, "the rates in force could not be read"))
        .ok()
        .map(|rates: Vec<Rate>| {
            rates
                .iter()
                .map(|rate| rate_row(rate, &translator, calendar))
                .collect()
        });
    let moment = |instant: DateTime<Utc>| {
        format!(
            "{} {} UTC",
            format_day_of(instant, calendar, translator.locale()),
            instant.format("%H:%M")
        )
    };
    let pending = send_json::<Vec<ProposedRate>>(
        state
            .accounts
            .authorized(Method::GET, "/v1/fx/rates", &token)
            .query(&[("state", "proposed")]),
    )
    .await
    .inspect_err(|error| tracing::warn!(%error, "the proposed rates could not be read"))
    .ok()
    .map(|proposals| {
        proposals
            .iter()
            .map(|proposal| PendingRate {
                id: proposal.id.clone(),
                pair: proposal.pair.clone(),
                buy: rate_text(&proposal.buy_rate, &translator),
                sell: rate_text(&proposal.sell_rate, &translator),
                window: format!(
                    "{} – {}",
                    moment(proposal.valid_from),
                    moment(proposal.valid_until)
                ),
                own: proposal.proposed_by == signed_in.person.id,
            })
            .collect()
    });
    let is_finance = signed_in.person.has_role("finance");
    let position = if is_finance {
        send_json::<Position>(
            state
                .accounts
                .authorized(Method::GET, "/v1/fx/position", &token),
        )
        .await
        .inspect_err(|error| tracing::warn!(%error, "the FX position could not be read"))
        .ok()
        .map(|position| {
            position
                .lines
                .iter()
                .map(|line| {
                    let money = |amount: &str| amount_text(amount, &line.currency, &translator);
                    PositionRow {
                        currency: line.currency.clone(),
                        opening: money(&line.opening),
                        bought: money(&line.bought),
                        sold: money(&line.sold),
                        closing: money(&line.closing),
                        income: money(&line.income),
                        exchanges: line.exchanges,
                    }
                })
                .collect()
        })
    } else {
        None
    };
    Ok(render(
        status,
        &FxPage {
            form,
            pairs: PAIRS,
            current,
            pending,
            may_propose: is_finance,
            position,
            t: translator,
            layout: context.layout(Section::Fx),
        },
    ))
}

/// The rates in force, the proposals awaiting a second person, and the proposal form.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    if !may_decide(&signed_in) {
        return Err(PageError::WrongRole);
    }
    let mut form = FormState::default();
    form.set("valid_hours", "24");
    page(&state, &context, &mut signed_in, form, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct ProposalForm {
    #[serde(default)]
    pair: String,
    #[serde(default)]
    buy_rate: String,
    #[serde(default)]
    sell_rate: String,
    #[serde(default)]
    valid_hours: String,
}

/// Proposes a pair's rates from now for the hours given.
pub async fn propose(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(submitted): Form<ProposalForm>,
) -> Result<Response, PageError> {
    if !signed_in.person.has_role("finance") {
        return Err(PageError::WrongRole);
    }
    let translator = context.translator();
    let mut form = FormState::from_pairs(vec![
        ("pair".to_owned(), submitted.pair.clone()),
        ("buy_rate".to_owned(), submitted.buy_rate.clone()),
        ("sell_rate".to_owned(), submitted.sell_rate.clone()),
        ("valid_hours".to_owned(), submitted.valid_hours.clone()),
    ]);
    let mut rate = |field: &str, text: &str| match parse_typed_decimal(text, translator.locale()) {
        Ok(rate) => Some(rate),
        Err(TypedNumberError::Empty) => {
            form.refuse(&translator, field, "required");
            None
        }
        Err(TypedNumberError::NotANumber) => {
            form.refuse(&translator, field, "not_a_number");
            None
        }
    };
    let buy = rate("buy_rate", &submitted.buy_rate);
    let sell = rate("sell_rate", &submitted.sell_rate);
    let hours = submitted
        .valid_hours
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|hours| (1..=MAX_VALID_HOURS).contains(hours));
    if hours.is_none() {
        form.refuse(&translator, "valid_hours", "valid_hours_out_of_range");
    }
    let (Some(buy), Some(sell), Some(hours), false) = (buy, sell, hours, form.has_errors()) else {
        return page(
            &state,
            &context,
            &mut signed_in,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let token = signed_in
        .access_token(&state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let body = json!({
        "pair": submitted.pair,
        "buy_rate": buy.to_string(),
        "sell_rate": sell.to_string(),
        "valid_until": state.calendar.now() + Duration::hours(hours),
    });
    match send(
        state
            .accounts
            .authorized(Method::POST, "/v1/fx/rates", &token)
            .json(&body),
    )
    .await
    {
        Ok(_) => Ok(see_other(PAGE)),
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            form.refuse_all(
                &translator,
                &fields,
                &["pair", "buy_rate", "sell_rate", "valid_until"],
            );
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            }
            page(&state, &context, &mut signed_in, form, status).await
        }
        Err(error) => Err(PageError::from_call(error, PAGE)),
    }
}

#[derive(Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    reason: String,
}

/// Publishes or rejects a proposed rate; accounts refuses the proposer.
pub async fn decide(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, decision)): Path<(String, String)>,
    Form(submitted): Form<DecisionForm>,
) -> Result<Response, PageError> {
    if !may_decide(&signed_in) {
        return Err(PageError::WrongRole);
    }
    let id = path_segment(&id).map_err(|_| PageError::NotFound)?;
    let translator = context.translator();
    let body = match decision.as_str() {
        "publish" => json!({}),
        "reject" => {
            let reason = submitted.reason.trim();
            if reason.is_empty() {
                let mut form = FormState::default();
                form.notice = Some(translator.t("rate-reject-reason-required"));
                return page(
                    &state,
                    &context,
                    &mut signed_in,
                    form,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            json!({"reason": reason})
        }
        _ => return Err(PageError::NotFound),
    };
    let token = signed_in
        .access_token(&state, "accounts")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let answer = send(
        state
            .accounts
            .authorized(
                Method::POST,
                &format!("/v1/fx/rates/{id}/{decision}"),
                &token,
            )
            .json(&body),
    )
    .await;
    let (code, status) = match answer {
        Ok(_) => return Ok(see_other(PAGE)),
        Err(CallError::Refused { code, status, .. }) => (code, status),
        Err(CallError::Forbidden { code }) => (code, StatusCode::FORBIDDEN),
        Err(error) => return Err(PageError::from_call(error, PAGE)),
    };
    let mut form = FormState::default();
    form.notice = Some(problem_message(&translator, &code));
    page(&state, &context, &mut signed_in, form, status).await
}
