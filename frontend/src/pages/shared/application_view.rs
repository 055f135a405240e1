//! The application page, which founders and credit staff both see (each what their roles
//! allow), and what the pages acting on an application share: the applications-service
//! caller, the page re-rendered after an action with the service's refusal beside the fields.

use askama::Template;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use imkon_platform::money::Currency;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::clients::api::idempotency_key;
use crate::clients::api::CallError;
use crate::clients::applications::{staff_with_role, ApplicationsCalls, Programme, Review};
use crate::pages::shared::client_names::{ClientLabel, ClientNamer};
use crate::pages::shared::documents::{client_documents, Item};
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::securities::{
    security_document_items, SecurityLine, COLLATERAL_TYPES, SECURITY_DOCUMENT_KINDS,
};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_date, format_day_of, format_money};
use crate::web::i18n::{Locale, Translator};
use crate::AppState;

/// The states from which a founder may withdraw an application: before it is decided.
/// The states an application passes through, for the queue's filter.
pub const STATES: [&str; 10] = [
    "draft",
    "submitted",
    "screening",
    "in_review",
    "info_requested",
    "decision",
    "approved",
    "rejected",
    "withdrawn",
    "cancelled",
];

pub const WITHDRAWABLE_STATES: [&str; 5] = [
    "draft",
    "submitted",
    "screening",
    "in_review",
    "info_requested",
];

/// The states in which reviewers are assigned.
pub const REVIEW_STATES: [&str; 2] = ["in_review", "info_requested"];

pub fn path_of(uri: &Uri) -> String {
    uri.path_and_query()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned())
}

/// An applications-service caller for the signed-in person.
pub async fn applications_token(
    state: &AppState,
    signed_in: &mut SignedIn,
    next: &str,
) -> Result<String, PageError> {
    signed_in
        .access_token(state, "applications")
        .await
        .map_err(|error| PageError::from_call(error, next))
}

pub fn calls<'a>(state: &'a AppState, token: &'a str) -> ApplicationsCalls<'a> {
    ApplicationsCalls {
        api: &state.applications,
        token,
    }
}

/// An amount of a programme's currency, written the visitor's way.
pub fn money(amount: Decimal, currency: &str, translator: &Translator) -> String {
    match currency.parse::<Currency>() {
        Ok(currency) => format_money(amount, currency, translator),
        Err(_) => format!("{amount} {currency}"),
    }
}

pub fn money_text(amount: Option<&str>, currency: &str, translator: &Translator) -> String {
    amount
        .and_then(|text| text.parse::<Decimal>().ok())
        .map(|amount| money(amount, currency, translator))
        .unwrap_or_default()
}

/// A choice in a filter or drop-down.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One step of the timeline, in the visitor's language.
pub struct TimelineRow {
    pub at: String,
    pub what: String,
    pub who_key: String,
    pub detail: String,
}

/// One scored characteristic, named and explained in the visitor's language.
pub struct CharacteristicRow {
    pub name: String,
    pub bin: String,
    pub points: String,
    /// Why the bin earned its points, in words where the catalogues have them.
    pub reason: String,
    /// The scorecard's reason code, shown beside the words so that an officer can name it to
    /// the scoring team; `None` where `reason` already is the code.
    pub reason_code: Option<String>,
}

/// What a scored characteristic is called: the label of the form's question that feeds it,
/// else the catalogue's name for an input the form does not ask (one the service works out, or
/// a knockout's), else the scorecard's own name.
pub fn characteristic_name(input: &str, programme: &Programme, translator: &Translator) -> String {
    match programme.question(input) {
        Some(question) => question.label.get(translator.locale()).to_owned(),
        None => translator.t_or(&format!("score-input-{}", input.replace('_', "-")), input),
    }
}

/// Why a bin earned its points, or the scorecard's reason code itself where the catalogues have
/// no words for it yet (a scorecard imported after this build).
pub fn reason_words(code: &str, translator: &Translator) -> String {
    let key = format!("score-reason-{}", code.to_lowercase().replace('_', "-"));
    translator.t_or(&key, code)
}

/// An answer with its question.
pub struct AnswerRow {
    pub question: String,
    pub answer: String,
}

#[derive(Template)]
#[template(path = "application.html")]
pub struct ApplicationPageView {
    t: Translator,
    layout: Layout,
    id: String,
    /// The applicant by name, for staff; `None` on the founder's own page.
    client: Option<ClientLabel>,
    programme: String,
    state_key: String,
    amount: String,
    term_months: String,
    answers: Vec<AnswerRow>,
    score: Option<(String, String, String)>,
    characteristics: Vec<CharacteristicRow>,
    decision: Option<(String, String)>,
    reviews: Vec<Review>,
    timeline: Vec<TimelineRow>,
    can_edit: bool,
    can_answer: bool,
    can_propose: bool,
    can_confirm: bool,
    can_request_info: bool,
    /// A credit officer may restart screening that an outage left unfinished.
    can_retry_screening: bool,
    can_withdraw: bool,
    can_assign: bool,
    /// The credit officers who may be assigned as reviewers, the signed-in one left out (they
    /// have "review it myself").
    reviewer_choices: Vec<Choice>,
    /// The applicant's documents, for credit staff; `None` when onboarding could not list them.
    documents: Option<Vec<Item>>,
    /// A loan application's collateral and guarantors; `None` for a grant.
    securities: Option<Vec<SecurityLine>>,
    /// The founder may still add and remove securities and attach their documents: a draft
    /// loan application.
    can_secure: bool,
    collateral_types: Vec<(&'static str, String)>,
    /// The kinds of document that back a security, for the attachment form.
    security_document_kinds: Vec<(&'static str, String)>,
    form: FormState,
    confirmation_key: String,
}

impl ApplicationPageView {
    /// The label of a field of the proposal form.
    fn proposal_label(&self, name: &str) -> &'static str {
        match name {
            "amount" => "field-amount",
            "term_months" => "field-term-months",
            "annual_rate_percent" => "field-annual-rate",
            _ => "field-grace-months",
        }
    }
}

pub fn timeline_row(
    entry: &crate::clients::applications::TimelineEntry,
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
) -> TimelineRow {
    let kind_key = format!("timeline-{}", entry.kind.replace('_', "-"));
    let what = translator.t_or(&kind_key, &entry.kind);
    let state_label = |name: &str| {
        entry
            .details
            .get(name)
            .and_then(Value::as_str)
            .map(|state| translator.t(&format!("state-{}", state.replace('_', "-"))))
    };
    let detail = match (state_label("from"), state_label("to")) {
        (Some(from), Some(to)) => format!("{from} → {to}"),
        _ => knockout_text(&entry.details, translator).unwrap_or_else(|| {
            ["message", "reason", "comment"]
                .iter()
                .find_map(|name| entry.details.get(*name).and_then(Value::as_str))
                .unwrap_or_default()
                .to_owned()
        }),
    };
    TimelineRow {
        at: format!(
            "{} {}",
            format_day_of(entry.at, calendar, translator.locale()),
            entry.at.format("%H:%M")
        ),
        what,
        who_key: format!(
            "role-{}",
            entry
                .actor_role
                .as_deref()
                .unwrap_or("system")
                .replace('_', "-")
        ),
        detail,
    }
}

/// A screening knock-out in the reader's language: an eligibility rule's words with its
/// figures, or the scorecard reason's words. `None` unless the catalogue has words for every
/// code, and the service's English reason is shown instead.
pub fn knockout_text(details: &Value, translator: &Translator) -> Option<String> {
    let knockouts = details.get("knockouts")?.as_array()?;
    let known = crate::web::i18n::catalogues().message_ids(translator.locale());
    let mut sentences = Vec::with_capacity(knockouts.len());
    for knockout in knockouts {
        let code = knockout
            .get("code")?
            .as_str()?
            .to_lowercase()
            .replace('_', "-");
        let rule = format!("knockout-{code}");
        let scorecard_reason = format!("score-reason-{code}");
        if known.contains(&rule) {
            let figures: Vec<(String, String)> = knockout
                .get("figures")
                .and_then(Value::as_object)
                .map(|figures| {
                    figures
                        .iter()
                        .map(|(name, value)| (name.clone(), value.to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let arguments: Vec<(&str, &str)> = figures
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect();
            sentences.push(translator.t_with(&rule, &arguments));
        } else if known.contains(&scorecard_reason) {
            // A scorecard reason is a phrase; on the timeline it stands as a sentence.
            sentences.push(format!("{}.", translator.t(&scorecard_reason)));
        } else {
            return None;
        }
    }
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

/// Loads everything the application page shows and renders it with `form` and `status`.
pub async fn application_page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(state, signed_in, &next).await?;
    let calls = calls(state, &token);
    let application = calls
        .get(id)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let timeline = calls
        .timeline(id)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let programme = calls
        .programme(&application.programme_id)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let person = &signed_in.person;
    let reviews = if person.is_credit_staff() {
        calls
            .reviews(id)
            .await
            .map_err(|error| PageError::from_call(error, &next))?
    } else {
        Vec::new()
    };
    let translator = context.translator();
    let locale = translator.locale();
    let currency = programme.currency.as_str();
    let answers = programme
        .questions
        .iter()
        .map(|question| {
            let answer = application.answer(&question.key);
            // A choice is shown by its label in the visitor's language, not its stored value.
            let label = question
                .options
                .iter()
                .flatten()
                .find(|option| option.value == answer)
                .map(|option| option.label.get(locale).to_owned());
            AnswerRow {
                question: question.label.get(locale).to_owned(),
                answer: label.unwrap_or(answer),
            }
        })
        .collect();
    let characteristics = application
        .score
        .iter()
        .flat_map(|score| &score.characteristics)
        .map(|scored| {
            let reason = reason_words(&scored.reason_code, &translator);
            CharacteristicRow {
                name: characteristic_name(&scored.characteristic, &programme, &translator),
                bin: scored.bin.clone(),
                points: readable_number(&scored.points.to_string(), locale),
                reason_code: (reason != scored.reason_code).then(|| scored.reason_code.clone()),
                reason,
            }
        })
        .collect();
    let score = application.score.as_ref().map(|score| {
        (
            readable_number(&score.score, locale),
            score.band.clone(),
            score.recommendation.clone(),
        )
    });
    let decision = application.decision.as_ref().map(|decision| {
        let amount = money_text(decision.amount.as_deref(), currency, &translator);
        let detail = if decision.reasons.is_empty() {
            amount
        } else {
            decision.reasons.join(", ")
        };
        (
            translator.t(&format!("decision-{}", decision.outcome)),
            detail,
        )
    });
    let state_name = application.state.clone();
    let can_assign =
        person.has_role("credit_officer") && REVIEW_STATES.contains(&state_name.as_str());
    let reviewer_choices = if can_assign {
        reviewer_choices(state, signed_in, form.value("reviewer_id")).await
    } else {
        Vec::new()
    };
    let documents = if signed_in.person.is_credit_staff() {
        applicant_documents(state, signed_in, &application.client_id, &translator).await
    } else {
        Some(Vec::new())
    };
    let client = if signed_in.person.is_client() {
        None
    } else {
        let names = ClientNamer::lookup(
            state,
            signed_in,
            [application.client_id.as_str()],
            &translator,
        )
        .await;
        Some(names.label(&application.client_id))
    };
    let securities = if programme.kind == "loan" {
        Some(
            calls
                .securities(id)
                .await
                .map_err(|error| PageError::from_call(error, &next))?
                .iter()
                .map(|security| {
                    let mut line = SecurityLine::new(
                        &security.id,
                        security.collateral_type.as_deref(),
                        security.guarantor_name.as_deref(),
                        &security.value,
                        &security.currency,
                        &security.description,
                        &translator,
                    );
                    line.documents = security_document_items(
                        &application.id,
                        &security.id,
                        &security.documents,
                        &translator,
                        &state.calendar,
                    );
                    line
                })
                .collect(),
        )
    } else {
        None
    };
    let person = &signed_in.person;
    let page = ApplicationPageView {
        can_secure: person.is_client() && state_name == "draft" && securities.is_some(),
        securities,
        collateral_types: COLLATERAL_TYPES
            .iter()
            .map(|kind| {
                (
                    *kind,
                    translator.t(&format!("collateral-type-{}", kind.replace('_', "-"))),
                )
            })
            .collect(),
        security_document_kinds: SECURITY_DOCUMENT_KINDS
            .iter()
            .map(|(kind, key)| (*kind, translator.t(key)))
            .collect(),
        layout: context.layout(Section::Applications),
        id: application.id.clone(),
        client,
        programme: programme.name.get(locale).to_owned(),
        state_key: format!("state-{}", state_name.replace('_', "-")),
        amount: money_text(
            application.requested_amount.as_deref(),
            currency,
            &translator,
        ),
        term_months: application
            .term_months
            .map(|months| months.to_string())
            .unwrap_or_default(),
        answers,
        score,
        characteristics,
        decision,
        reviews,
        timeline: timeline
            .iter()
            .map(|entry| timeline_row(entry, &translator, &state.calendar))
            .collect(),
        can_edit: person.is_client() && state_name == "draft",
        can_answer: person.is_client() && state_name == "info_requested",
        can_propose: person.has_role("credit_officer") && state_name == "in_review",
        can_confirm: person.has_role("approver") && state_name == "decision",
        can_request_info: person.has_role("credit_officer") && state_name == "in_review",
        can_retry_screening: person.has_role("credit_officer") && state_name == "screening",
        can_withdraw: person.is_client() && WITHDRAWABLE_STATES.contains(&state_name.as_str()),
        can_assign,
        reviewer_choices,
        documents,
        form,
        confirmation_key: idempotency_key(),
        t: translator,
    };
    Ok(render(status, &page))
}

/// The applicant's documents for credit staff. If onboarding does not answer, the page says
/// the documents cannot be shown now rather than failing as a whole.
pub async fn applicant_documents(
    state: &AppState,
    signed_in: &mut SignedIn,
    client_id: &str,
    translator: &Translator,
) -> Option<Vec<Item>> {
    let documents = match signed_in.access_token(state, "onboarding").await {
        Ok(token) => client_documents(state, &token, client_id, translator).await,
        Err(error) => Err(error),
    };
    documents
        .inspect_err(|error| tracing::warn!(%error, "the applicant's documents could not be read"))
        .ok()
}

/// The credit officers a reviewer may be chosen from, `selected` marked. Without the directory
/// (onboarding not answering) the list is empty and the form says nobody can be chosen, rather
/// than the whole application page failing.
pub async fn reviewer_choices(
    state: &AppState,
    signed_in: &mut SignedIn,
    selected: &str,
) -> Vec<Choice> {
    let officers = match signed_in.access_token(state, "onboarding").await {
        Ok(token) => staff_with_role(&state.onboarding, &token, "credit_officer").await,
        Err(error) => Err(error),
    };
    let officers = officers.unwrap_or_else(|error| {
        tracing::warn!(%error, "the staff directory could not be read");
        Vec::new()
    });
    officers
        .into_iter()
        .filter(|officer| officer.id != signed_in.person.id)
        .map(|officer| Choice {
            selected: officer.id == selected,
            label: match &officer.username {
                Some(username) => format!("{} ({username})", officer.display_name),
                None => officer.display_name.clone(),
            },
            value: officer.id,
        })
        .collect()
}

/// A decimal from a service written the visitor's way without trailing zeros (`640.0000`
/// is shown as `640`); text that is not a decimal is shown as it came.
pub fn readable_number(text: &str, locale: Locale) -> String {
    match text.parse::<Decimal>() {
        Ok(number) => {
            let number = number.normalize();
            crate::web::format::format_number(number, number.scale(), locale)
        }
        Err(_) => text.to_owned(),
    }
}

/// The application page again with what the visitor must correct, before any service was
/// asked to act.
pub async fn corrections_page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    form: FormState,
) -> Result<Response, PageError> {
    application_page(
        state,
        context,
        signed_in,
        id,
        form,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// After an action: back to the application, or the page again with the refusal.
pub async fn after_action<T>(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    mut form: FormState,
    result: Result<T, CallError>,
    shown_fields: &[&str],
) -> Result<Response, PageError> {
    let translator = context.translator();
    let status = match result {
        Ok(_) => return Ok(see_other(&format!("/applications/{id}"))),
        Err(CallError::Forbidden { code }) if !code.is_empty() => {
            form.notice = Some(problem_message(&translator, &code));
            StatusCode::FORBIDDEN
        }
        Err(error) => {
            let status = match &error {
                CallError::Refused { status, .. } => *status,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            refuse_form(
                &mut form,
                &translator,
                error,
                shown_fields,
                &format!("/applications/{id}"),
            )?;
            status
        }
    };
    application_page(state, context, signed_in, id, form, status).await
}

/// A programme as the list shows it.
pub struct ProgrammeRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind_key: String,
    pub amounts: String,
    pub terms: String,
    pub closes_on: String,
    pub available: String,
    /// A loan's arrangement fee and how it is collected, in words; empty when none.
    pub fee: String,
    /// A loan's charge for each instalment paid late; empty when none.
    pub late_charge: String,
}

impl ProgrammeRow {
    pub fn new(programme: &Programme, translator: &Translator) -> ProgrammeRow {
        let locale = translator.locale();
        let min = money(programme.min_amount, &programme.currency, translator);
        let max = money(programme.max_amount, &programme.currency, translator);
        ProgrammeRow {
            id: programme.id.clone(),
            name: programme.name.get(locale).to_owned(),
            description: programme.description.get(locale).to_owned(),
            kind_key: format!("programme-kind-{}", programme.kind),
            amounts: translator.t_with("programme-amounts", &[("min", &min), ("max", &max)]),
            terms: translator.t_with(
                "programme-terms",
                &[
                    ("min", &programme.min_term_months.to_string()),
                    ("max", &programme.max_term_months.to_string()),
                ],
            ),
            closes_on: format_date(programme.closes_on, locale),
            available: money(programme.available_amount, &programme.currency, translator),
            fee: arrangement_fee_text(programme, translator),
            late_charge: programme
                .late_charge_fixed
                .as_deref()
                .map(|charge| amount_text(charge, &programme.currency, translator))
                .unwrap_or_default(),
        }
    }
}

/// A programme's arrangement fee as a founder reads it before applying: the amount or share,
/// and when it is taken.
fn arrangement_fee_text(programme: &Programme, translator: &Translator) -> String {
    let charge = match (
        &programme.arrangement_fee_fixed,
        &programme.arrangement_fee_percent,
    ) {
        (Some(fixed), _) => amount_text(fixed, &programme.currency, translator),
        (None, Some(percent)) => {
            translator.t_with("programme-fee-percent", &[("percent", percent)])
        }
        (None, None) => return String::new(),
    };
    let collection = programme
        .arrangement_fee_collection
        .as_deref()
        .unwrap_or("deducted");
    format!(
        "{charge} · {}",
        translator.t(&format!("fee-collection-{collection}"))
    )
}

/// Puts a service's refusal onto the form; what is not a refusal of the form ends the page.
pub fn refuse_form(
    form: &mut FormState,
    translator: &Translator,
    error: CallError,
    shown_fields: &[&str],
    next: &str,
) -> Result<(), PageError> {
    match error {
        CallError::Refused { code, fields, .. } => {
            if fields.is_empty() {
                form.notice = Some(problem_message(translator, &code));
            } else {
                form.refuse_all(translator, &fields, shown_fields);
            }
            Ok(())
        }
        CallError::Forbidden { code } if !code.is_empty() => {
            form.notice = Some(problem_message(translator, &code));
            Ok(())
        }
        error => Err(PageError::from_call(error, next)),
    }
}

#[cfg(test)]
/// A programme with two questions, for the tests of the pages that show one.
pub fn sample_programme() -> Programme {
    let text = |value: &str| crate::clients::applications::LocalizedText {
        uz_latn: value.to_owned(),
        uz_cyrl: value.to_owned(),
        ru: value.to_owned(),
        en: value.to_owned(),
    };
    Programme {
        id: "p".to_owned(),
        kind: "grant".to_owned(),
        name: text("Grant"),
        description: text("For start-ups"),
        currency: "UZS".to_owned(),
        min_amount: Decimal::from(1_000_000),
        max_amount: Decimal::from(100_000_000),
        min_term_months: 6,
        max_term_months: 24,
        opens_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        closes_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        available_amount: Decimal::from(500_000_000),
        co_funding_cap_percent: None,
        arrangement_fee_fixed: None,
        arrangement_fee_percent: None,
        arrangement_fee_collection: None,
        late_charge_fixed: None,
        rubric: Vec::new(),
        questions: vec![
            crate::clients::applications::Question {
                key: "team_size".to_owned(),
                label: text("Team size"),
                kind: "number".to_owned(),
                required: true,
                options: None,
            },
            crate::clients::applications::Question {
                key: "pitch".to_owned(),
                label: text("Pitch"),
                kind: "text".to_owned(),
                required: false,
                options: None,
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::applications::LocalizedText;

    fn knocked_out(knockouts: Value) -> crate::clients::applications::TimelineEntry {
        serde_json::from_value(serde_json::json!({
            "at": "2026-11-26T09:00:00Z", "kind": "screening_knocked_out",
            "actor_role": "service",
            "details": { "reason": "the English reason", "knockouts": knockouts }
        }))
        .unwrap()
    }

    #[test]
    fn a_programmes_fee_is_told_with_when_it_is_taken_and_none_is_told_as_nothing() {
        let english = Translator::new(Locale::En);
        let mut programme = sample_programme();
        assert_eq!(arrangement_fee_text(&programme, &english), "");
        programme.arrangement_fee_percent = Some("1.5".to_owned());
        assert_eq!(
            arrangement_fee_text(&programme, &english),
            "1.5% of the loan · Kept back from the first payout"
        );
        programme.arrangement_fee_percent = None;
        programme.arrangement_fee_fixed = Some("250000.00".to_owned());
        programme.arrangement_fee_collection = Some("upfront".to_owned());
        assert_eq!(
            arrangement_fee_text(&programme, &Translator::new(Locale::Ru)).replace('\u{a0}', " "),
            "250 000,00 сум · Списывается с текущего счёта при подписании"
        );
    }

    #[test]
    fn a_knock_out_is_told_in_the_readers_language_with_its_figures() {
        let entry = knocked_out(serde_json::json!([
            { "code": "founder_too_old", "figures": { "number": 2, "age_years": 46, "max_age_years": 30 } },
            { "code": "SCREENING_LIST_MATCH" }
        ]));
        let russian = timeline_row(
            &entry,
            &Translator::new(Locale::Ru),
            &imkon_platform::calendar::BankCalendar::default(),
        )
        .detail;
        assert!(
            russian.starts_with("Возраст учредителя № 2 в списке компании — 46, а программа — для учредителей не старше 30."),
            "{russian}"
        );
        let english = timeline_row(
            &entry,
            &Translator::new(Locale::En),
            &imkon_platform::calendar::BankCalendar::default(),
        )
        .detail;
        assert!(
            english.starts_with("Founder 2 in the company's list is 46;"),
            "{english}"
        );
        assert!(!english.contains("the English reason"), "{english}");
        for locale in Locale::ALL {
            let detail = timeline_row(
                &entry,
                &Translator::new(locale),
                &imkon_platform::calendar::BankCalendar::default(),
            )
            .detail;
            assert!(
                detail.contains("46") && detail.contains("30"),
                "{locale:?}: {detail}"
            );
        }
    }

    #[test]
    fn a_knock_out_with_a_code_the_catalogue_lacks_keeps_the_services_words() {
        let entry = knocked_out(serde_json::json!([
            { "code": "founder_too_old", "figures": { "number": 1, "age_years": 31, "max_age_years": 30 } },
            { "code": "A_RULE_ADDED_LATER" }
        ]));
        let detail = timeline_row(
            &entry,
            &Translator::new(Locale::UzLatn),
            &imkon_platform::calendar::BankCalendar::default(),
        )
        .detail;
        assert_eq!(detail, "the English reason");
        let without_codes = knocked_out(serde_json::json!([]));
        let detail = timeline_row(
            &without_codes,
            &Translator::new(Locale::En),
            &imkon_platform::calendar::BankCalendar::default(),
        )
        .detail;
        assert_eq!(
            detail, "the English reason",
            "entries recorded before the codes"
        );
    }
    /// Labels built from a service's names at run time, which the template scan cannot see.
    #[test]
    fn every_state_role_timeline_and_decision_label_exists_in_every_language() {
        let mut keys: Vec<String> = STATES
            .iter()
            .map(|state| format!("state-{}", state.replace('_', "-")))
            .collect();
        keys.extend(
            [
                "founder",
                "credit-officer",
                "approver",
                "kyc-officer",
                "finance",
                "admin",
                "service",
                "system",
            ]
            .iter()
            .map(|role| format!("role-{role}")),
        );
        keys.extend(
            [
                "created",
                "state-changed",
                "screening-knocked-out",
                "info-requested",
                "info-answered",
                "reviewer-assigned",
                "conflict-declared",
                "review-submitted",
                "decision-proposed",
                "decision-sent-back",
                "decision-confirmed",
                "internal-note",
            ]
            .iter()
            .map(|kind| format!("timeline-{kind}")),
        );
        keys.extend(
            ["approve", "reject", "approved", "rejected"]
                .iter()
                .map(|outcome| format!("decision-{outcome}")),
        );
        keys.extend([
            "programme-kind-grant".to_owned(),
            "programme-kind-loan".to_owned(),
        ]);
        for locale in Locale::ALL {
            for key in &keys {
                assert!(
                    crate::web::i18n::catalogues()
                        .message_ids(locale)
                        .contains(key),
                    "{} lacks {key}",
                    locale.code()
                );
            }
        }
    }

    #[test]
    fn a_reason_code_reads_as_words_in_every_language_and_an_unknown_one_as_itself() {
        let words: Vec<String> = Locale::ALL
            .iter()
            .map(|locale| reason_words("REVENUE_TREND_GROWING", &Translator::new(*locale)))
            .collect();
        assert_eq!(
            words,
            [
                "Daromad oʻsmoqda",
                "Даромад ўсмоқда",
                "Выручка растёт",
                "Revenue is growing"
            ]
        );
        for locale in Locale::ALL {
            assert_eq!(
                reason_words("NOT_IN_ANY_CATALOGUE", &Translator::new(locale)),
                "NOT_IN_ANY_CATALOGUE"
            );
        }
    }

    #[test]
    fn a_characteristic_is_named_by_its_question_else_the_catalogue_else_itself() {
        let mut programme = sample_programme();
        programme.questions[0].label = LocalizedText {
            uz_latn: "Jamoa hajmi".to_owned(),
            uz_cyrl: "Жамоа ҳажми".to_owned(),
            ru: "Размер команды".to_owned(),
            en: "Team size".to_owned(),
        };
        // A question keyed like a catalogued input still wins: the programme's own words.
        programme.questions[1].key = "founder_age_years".to_owned();
        let names = |input: &str| -> Vec<String> {
            Locale::ALL
                .iter()
                .map(|locale| characteristic_name(input, &programme, &Translator::new(*locale)))
                .collect()
        };
        assert_eq!(
            names("team_size"),
            ["Jamoa hajmi", "Жамоа ҳажми", "Размер команды", "Team size"]
        );
        assert_eq!(names("founder_age_years"), ["Pitch"; 4]);
        assert_eq!(
            names("monthly_revenue_growth_percent"),
            [
                "Oylik daromad oʻsishi (%)",
                "Ойлик даромад ўсиши (%)",
                "Рост выручки за месяц (%)",
                "Monthly revenue growth (%)"
            ]
        );
        assert_eq!(names("x01"), ["x01"; 4]);
    }

    #[test]
    fn scores_are_written_the_visitors_way_without_trailing_zeros() {
        assert_eq!(readable_number("640.0000", Locale::En), "640");
        assert_eq!(readable_number("12.50", Locale::Ru), "12,5");
        assert_eq!(readable_number("n/a", Locale::En), "n/a");
    }
}
