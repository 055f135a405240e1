//! Programmes and applications: the founder's way from a programme to a submitted application
//! (and its withdrawal), and the credit staff's queue, application page, reviewer assignment,
//! four-eyes decision (confirmed or sent back) and the programme exports.
//!
//! The frontend checks only what it must to build a request (numbers typed the visitor's way);
//! the rules are the service's, and its refusals come back beside the fields.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use chrono::Utc;
use imkon_platform::money::Currency;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use crate::api::CallError;
use crate::applications::{
    own_companies, path_segment, staff_with_role, Application, ApplicationsCalls, Company,
    DraftFields, Programme, Proposal, QueueFilter, Review,
};
use crate::auth::{see_other, SignedIn};
use crate::format::{format_date, format_money, parse_typed_decimal, TypedNumberError};
use crate::i18n::{Locale, Translator};
use crate::pages::download::attachment;
use crate::pages::forms::{problem_message, FormState};
use crate::pages::profile::{client_documents, Item};
use crate::pages::{render, Layout, PageContext, PageError, Section};
use crate::AppState;

/// The states an application passes through, for the queue's filter.
const STATES: [&str; 9] = [
    "draft",
    "submitted",
    "screening",
    "in_review",
    "info_requested",
    "decision",
    "approved",
    "rejected",
    "withdrawn",
];

/// The score bands, for the queue's filter.
const BANDS: [&str; 5] = ["A", "B", "C", "D", "E"];

/// The steps of the application form.
const STEPS: [&str; 3] = ["basics", "answers", "review"];

/// The states from which a founder may withdraw an application: before it is decided.
const WITHDRAWABLE_STATES: [&str; 5] = [
    "draft",
    "submitted",
    "screening",
    "in_review",
    "info_requested",
];

/// The states in which reviewers are assigned.
const REVIEW_STATES: [&str; 2] = ["in_review", "info_requested"];

/// The basic fields of a draft, named as the service names them.
const BASIC_FIELDS: [&str; 4] = [
    "company_id",
    "requested_amount",
    "term_months",
    "project_cost",
];

fn path_of(uri: &Uri) -> String {
    uri.path_and_query()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned())
}

/// An applications-service caller for the signed-in person.
async fn applications_token(
    state: &AppState,
    signed_in: &mut SignedIn,
    next: &str,
) -> Result<String, PageError> {
    signed_in
        .access_token(state, "applications")
        .await
        .map_err(|error| PageError::from_call(error, next))
}

fn calls<'a>(state: &'a AppState, token: &'a str) -> ApplicationsCalls<'a> {
    ApplicationsCalls {
        api: &state.applications,
        token,
    }
}

/// An amount of a programme's currency, written the visitor's way.
fn money(amount: Decimal, currency: &str, translator: &Translator) -> String {
    match currency.parse::<Currency>() {
        Ok(currency) => format_money(amount, currency, translator),
        Err(_) => format!("{amount} {currency}"),
    }
}

fn money_text(amount: Option<&str>, currency: &str, translator: &Translator) -> String {
    amount
        .and_then(|text| text.parse::<Decimal>().ok())
        .map(|amount| money(amount, currency, translator))
        .unwrap_or_default()
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
}

impl ProgrammeRow {
    fn new(programme: &Programme, translator: &Translator) -> ProgrammeRow {
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
        }
    }
}

#[derive(Template)]
#[template(path = "programmes.html")]
struct ProgrammesPage {
    t: Translator,
    layout: Layout,
    programmes: Vec<ProgrammeRow>,
    can_apply: bool,
    /// Credit staff download each programme's applications and reviews.
    can_export: bool,
}

/// The open programmes, in the visitor's language.
pub async fn programmes(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    uri: Uri,
) -> Result<Response, PageError> {
    let next = path_of(&uri);
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let programmes = calls(&state, &token)
        .programmes()
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    let today = Utc::now().date_naive();
    let rows = programmes
        .iter()
        .filter(|programme| programme.is_open(today))
        .map(|programme| ProgrammeRow::new(programme, &translator))
        .collect();
    Ok(render(
        StatusCode::OK,
        &ProgrammesPage {
            t: translator,
            layout: context.layout(Section::Programmes),
            programmes: rows,
            can_apply: signed_in.person.is_founder(),
            can_export: signed_in.person.is_credit_staff(),
        },
    ))
}

/// An application as a list shows it.
pub struct ApplicationRow {
    pub id: String,
    pub programme: String,
    pub state_key: String,
    pub amount: String,
    pub band: String,
    pub created: String,
}

fn application_row(
    application: &Application,
    programmes: &BTreeMap<String, Programme>,
    translator: &Translator,
) -> ApplicationRow {
    let programme = programmes.get(&application.programme_id);
    let currency = programme
        .map(|programme| programme.currency.as_str())
        .unwrap_or("UZS");
    ApplicationRow {
        id: application.id.clone(),
        programme: programme
            .map(|programme| programme.name.get(translator.locale()).to_owned())
            .unwrap_or_default(),
        state_key: format!("state-{}", application.state.replace('_', "-")),
        amount: money_text(
            application.requested_amount.as_deref(),
            currency,
            translator,
        ),
        band: application
            .score
            .as_ref()
            .map(|score| score.band.clone())
            .unwrap_or_default(),
        created: format_date(application.created_at.date_naive(), translator.locale()),
    }
}

/// A choice in a filter or drop-down.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ApplicationsPage {
    t: Translator,
    layout: Layout,
    rows: Vec<ApplicationRow>,
    is_queue: bool,
    state_choices: Vec<Choice>,
    programme_choices: Vec<Choice>,
    band_choices: Vec<Choice>,
    mine: bool,
    /// The programme the queue is filtered by, whose exports it links to.
    export_programme: Option<String>,
}

/// A founder's own applications, or the credit staff's queue with its filters.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    uri: Uri,
    Query(mut filter): Query<QueueFilter>,
) -> Result<Response, PageError> {
    let next = path_of(&uri);
    let person = signed_in.person.clone();
    if !person.is_founder() && !person.is_credit_staff() {
        return Err(PageError::WrongRole);
    }
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let calls = calls(&state, &token);
    let is_queue = person.is_credit_staff();
    // "Mine" is a filter of the queue by the signed-in officer as assignee.
    let mine = filter.assignee == "me";
    if mine {
        filter.assignee = person.id.clone();
    }
    if !is_queue {
        filter = QueueFilter::default();
    }
    let page = calls
        .list(&filter)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let programmes: BTreeMap<String, Programme> = calls
        .programmes()
        .await
        .map_err(|error| PageError::from_call(error, &next))?
        .into_iter()
        .map(|programme| (programme.id.clone(), programme))
        .collect();
    let translator = context.translator();
    let rows = page
        .items
        .iter()
        .map(|application| application_row(application, &programmes, &translator))
        .collect();
    let state_choices = STATES
        .iter()
        .map(|value| Choice {
            value: (*value).to_owned(),
            label: translator.t(&format!("state-{}", value.replace('_', "-"))),
            selected: filter.state == *value,
        })
        .collect();
    let programme_choices = programmes
        .values()
        .map(|programme| Choice {
            value: programme.id.clone(),
            label: programme.name.get(translator.locale()).to_owned(),
            selected: filter.programme_id == programme.id,
        })
        .collect();
    let band_choices = BANDS
        .iter()
        .map(|band| Choice {
            value: (*band).to_owned(),
            label: (*band).to_owned(),
            selected: filter.band == *band,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &ApplicationsPage {
            t: translator,
            layout: context.layout(Section::Applications),
            rows,
            is_queue,
            state_choices,
            programme_choices,
            band_choices,
            mine,
            export_programme: (is_queue && programmes.contains_key(&filter.programme_id))
                .then(|| filter.programme_id.clone()),
        },
    ))
}

/// A question of the form, with its answer as typed.
pub struct QuestionView {
    pub key: String,
    pub field: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub options: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "apply.html")]
struct ApplyPage {
    t: Translator,
    layout: Layout,
    programme: ProgrammeRow,
    application_id: Option<String>,
    step: &'static str,
    form: FormState,
    companies: Vec<Choice>,
    questions: Vec<QuestionView>,
    missing: Vec<String>,
}

impl ApplyPage {
    fn step_number(&self) -> usize {
        STEPS
            .iter()
            .position(|step| *step == self.step)
            .unwrap_or(0)
            + 1
    }

    fn action(&self) -> String {
        match &self.application_id {
            Some(id) => format!("/applications/{id}/edit"),
            None => format!("/programmes/{}/apply", self.programme.id),
        }
    }
}

fn company_choices(companies: &[Company], selected: &str) -> Vec<Choice> {
    companies
        .iter()
        .map(|company| Choice {
            value: company.company_id.clone(),
            label: format!("{} ({})", company.name, company.stir),
            selected: company.company_id == selected,
        })
        .collect()
}

fn question_views(programme: &Programme, form: &FormState, locale: Locale) -> Vec<QuestionView> {
    programme
        .questions
        .iter()
        .map(|question| {
            let field = format!("answers.{}", question.key);
            QuestionView {
                key: question.key.clone(),
                label: question.label.get(locale).to_owned(),
                kind: question.kind.clone(),
                required: question.required,
                options: question
                    .options
                    .iter()
                    .flatten()
                    .map(|option| Choice {
                        value: option.value.clone(),
                        label: option.label.get(locale).to_owned(),
                        selected: form.value(&field) == option.value,
                    })
                    .collect(),
                field,
            }
        })
        .collect()
}

/// What the service will refuse at submission that the founder can see now: required fields
/// and questions left empty.
fn missing_items(
    application: &Application,
    programme: &Programme,
    translator: &Translator,
) -> Vec<String> {
    let mut missing = Vec::new();
    if application.requested_amount.is_none() {
        missing.push(translator.t("field-requested-amount"));
    }
    if application.term_months.is_none() {
        missing.push(translator.t("field-term-months"));
    }
    for question in &programme.questions {
        if question.required && application.answer(&question.key).trim().is_empty() {
            missing.push(question.label.get(translator.locale()).to_owned());
        }
    }
    missing
}

/// The form values of a stored draft.
fn draft_form(application: &Application, programme: &Programme, locale: Locale) -> FormState {
    let mut form = FormState::default();
    form.set("company_id", application.company_id.clone());
    let typed = |text: &Option<String>| {
        text.as_deref()
            .and_then(|text| text.parse::<Decimal>().ok())
            .map(|amount| crate::format::format_number(amount, 2, locale))
            .unwrap_or_default()
    };
    form.set("requested_amount", typed(&application.requested_amount));
    form.set("project_cost", typed(&application.project_cost));
    form.set(
        "term_months",
        application
            .term_months
            .map(|months| months.to_string())
            .unwrap_or_default(),
    );
    for question in &programme.questions {
        form.set(
            &format!("answers.{}", question.key),
            application.answer(&question.key),
        );
    }
    form
}

/// Reads the basic fields of the form into a draft, refusing what cannot be read.
fn read_basics(form: &mut FormState, translator: &Translator) -> DraftFields {
    let locale = translator.locale();
    let mut fields = DraftFields::default();
    let amount = |name: &str, form: &mut FormState| -> Option<String> {
        match parse_typed_decimal(form.value(name), locale) {
            Ok(amount) => Some(amount.to_string()),
            Err(TypedNumberError::Empty) => None,
            Err(TypedNumberError::NotANumber) => {
                form.refuse(translator, name, "not_a_number");
                None
            }
        }
    };
    fields.requested_amount = amount("requested_amount", form);
    fields.project_cost = amount("project_cost", form);
    let term = form.value("term_months").trim().to_owned();
    if !term.is_empty() {
        match term.parse::<u32>() {
            Ok(months) => fields.term_months = Some(months),
            Err(_) => form.refuse(translator, "term_months", "not_a_whole_number"),
        }
    }
    fields
}

/// Reads the answers of the form: numbers and amounts the visitor's way into plain decimals,
/// an emptied answer as `null` so the service removes it.
fn read_answers(
    form: &mut FormState,
    programme: &Programme,
    translator: &Translator,
) -> BTreeMap<String, Value> {
    let mut answers = BTreeMap::new();
    for question in &programme.questions {
        let field = format!("answers.{}", question.key);
        let typed = form.value(&field).trim().to_owned();
        let value = if typed.is_empty() {
            Value::Null
        } else if question.kind == "number" || question.kind == "money" {
            match parse_typed_decimal(&typed, translator.locale()) {
                Ok(number) => Value::String(number.to_string()),
                Err(_) => {
                    form.refuse(translator, &field, "not_a_number");
                    continue;
                }
            }
        } else {
            Value::String(typed)
        };
        answers.insert(question.key.clone(), value);
    }
    answers
}

struct ApplyContext {
    programme: Programme,
    companies: Vec<Company>,
}

async fn apply_context(
    state: &AppState,
    signed_in: &mut SignedIn,
    token: &str,
    programme_id: &str,
    next: &str,
) -> Result<ApplyContext, PageError> {
    let programme = calls(state, token)
        .programme(programme_id)
        .await
        .map_err(|error| PageError::from_call(error, next))?;
    let onboarding_token = signed_in
        .access_token(state, "onboarding")
        .await
        .map_err(|error| PageError::from_call(error, next))?;
    let companies = own_companies(&state.onboarding, &onboarding_token)
        .await
        .map_err(|error| PageError::from_call(error, next))?;
    Ok(ApplyContext {
        programme,
        companies,
    })
}

fn apply_page(
    context: &PageContext,
    apply: &ApplyContext,
    application_id: Option<String>,
    step: &'static str,
    form: FormState,
    missing: Vec<String>,
) -> ApplyPage {
    let translator = context.translator();
    ApplyPage {
        programme: ProgrammeRow::new(&apply.programme, &translator),
        companies: company_choices(&apply.companies, form.value("company_id")),
        questions: question_views(&apply.programme, &form, translator.locale()),
        t: translator,
        layout: context.layout(Section::Programmes),
        application_id,
        step,
        form,
        missing,
    }
}

fn require_founder(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.person.is_founder() {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

/// The first step of applying to a programme: the company and the amount.
pub async fn start_form(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    uri: Uri,
    Path(programme_id): Path<String>,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let next = path_of(&uri);
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let apply = apply_context(&state, &mut signed_in, &token, &programme_id, &next).await?;
    let mut form = FormState::default();
    if let Some(company) = apply.companies.first() {
        form.set("company_id", company.company_id.clone());
    }
    Ok(render(
        StatusCode::OK,
        &apply_page(&context, &apply, None, "basics", form, Vec::new()),
    ))
}

/// Saves the first step as a new draft and moves on to the questions.
pub async fn start(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(programme_id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let next = format!("/programmes/{programme_id}/apply");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let apply = apply_context(&state, &mut signed_in, &token, &programme_id, &next).await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(pairs);
    let mut fields = read_basics(&mut form, &translator);
    fields.programme_id = Some(apply.programme.id.clone());
    fields.company_id = Some(form.value("company_id").to_owned());
    if form.value("company_id").is_empty() {
        form.refuse(&translator, "company_id", "required");
    }
    if !form.has_errors() {
        match calls(&state, &token).create_draft(&fields).await {
            Ok(application) => {
                return Ok(see_other(&format!(
                    "/applications/{}/edit?step=answers",
                    application.id
                )))
            }
            Err(error) => refuse_form(&mut form, &translator, error, &BASIC_FIELDS, &next)?,
        }
    }
    Ok(render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &apply_page(&context, &apply, None, "basics", form, Vec::new()),
    ))
}

/// Puts a service's refusal onto the form; what is not a refusal of the form ends the page.
fn refuse_form(
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

#[derive(Deserialize)]
pub struct StepQuery {
    #[serde(default)]
    step: String,
}

fn step_named(name: &str) -> &'static str {
    STEPS
        .into_iter()
        .find(|step| *step == name)
        .unwrap_or("basics")
}

/// A step of a draft, filled with what was saved.
pub async fn edit_form(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    uri: Uri,
    Path(id): Path<String>,
    Query(query): Query<StepQuery>,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let next = path_of(&uri);
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let application = calls(&state, &token)
        .get(&id)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    if application.state != "draft" {
        return Ok(see_other(&format!("/applications/{}", application.id)));
    }
    let apply = apply_context(
        &state,
        &mut signed_in,
        &token,
        &application.programme_id,
        &next,
    )
    .await?;
    let step = step_named(&query.step);
    let translator = context.translator();
    let form = draft_form(&application, &apply.programme, translator.locale());
    let missing = missing_items(&application, &apply.programme, &translator);
    Ok(render(
        StatusCode::OK,
        &apply_page(&context, &apply, Some(application.id), step, form, missing),
    ))
}

/// Saves a step of a draft (or submits it from the last step) and moves on.
pub async fn edit(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let next = format!("/applications/{id}/edit");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let application = calls(&state, &token)
        .get(&id)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let apply = apply_context(
        &state,
        &mut signed_in,
        &token,
        &application.programme_id,
        &next,
    )
    .await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(pairs);
    let step = step_named(form.value("step"));
    let calls = calls(&state, &token);
    let (result, shown_fields, next_step): (_, Vec<String>, &str) = match step {
        "basics" => {
            let fields = read_basics(&mut form, &translator);
            (
                (!form.has_errors()).then_some(fields),
                BASIC_FIELDS
                    .iter()
                    .map(|field| (*field).to_owned())
                    .collect(),
                "answers",
            )
        }
        "answers" => {
            let answers = read_answers(&mut form, &apply.programme, &translator);
            let fields = DraftFields {
                answers,
                ..DraftFields::default()
            };
            (
                (!form.has_errors()).then_some(fields),
                apply
                    .programme
                    .questions
                    .iter()
                    .map(|question| format!("answers.{}", question.key))
                    .collect(),
                "review",
            )
        }
        _ => {
            return submit(&context, &calls, &apply, application, &translator).await;
        }
    };
    let shown: Vec<&str> = shown_fields.iter().map(String::as_str).collect();
    if let Some(fields) = result {
        match calls.update_draft(&application.id, &fields).await {
            Ok(saved) => {
                return Ok(see_other(&format!(
                    "/applications/{}/edit?step={next_step}",
                    saved.id
                )))
            }
            Err(error) => refuse_form(&mut form, &translator, error, &shown, &next)?,
        }
    }
    if form.value("company_id").is_empty() {
        form.set("company_id", application.company_id.clone());
    }
    let missing = missing_items(&application, &apply.programme, &translator);
    Ok(render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &apply_page(&context, &apply, Some(application.id), step, form, missing),
    ))
}

async fn submit(
    context: &PageContext,
    calls: &ApplicationsCalls<'_>,
    apply: &ApplyContext,
    application: Application,
    translator: &Translator,
) -> Result<Response, PageError> {
    let next = format!("/applications/{}/edit?step=review", application.id);
    let mut form = draft_form(&application, &apply.programme, translator.locale());
    match calls
        .act(&application.id, "submit", &serde_json::json!({}))
        .await
    {
        Ok(submitted) => Ok(see_other(&format!("/applications/{}", submitted.id))),
        Err(CallError::Refused { code, fields, .. }) => {
            // Every reason is listed on the review step, whichever field it names.
            let mut missing = missing_items(&application, &apply.programme, translator);
            for field in &fields {
                missing.push(crate::pages::forms::field_message(translator, &field.code));
            }
            form.notice = Some(problem_message(translator, &code));
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &apply_page(
                    context,
                    apply,
                    Some(application.id),
                    "review",
                    form,
                    missing,
                ),
            ))
        }
        Err(error) => Err(PageError::from_call(error, &next)),
    }
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
fn characteristic_name(input: &str, programme: &Programme, translator: &Translator) -> String {
    match programme.question(input) {
        Some(question) => question.label.get(translator.locale()).to_owned(),
        None => translator.t_or(&format!("score-input-{}", input.replace('_', "-")), input),
    }
}

/// Why a bin earned its points, or the scorecard's reason code itself where the catalogues have
/// no words for it yet (a scorecard imported after this build).
fn reason_words(code: &str, translator: &Translator) -> String {
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
struct ApplicationPageView {
    t: Translator,
    layout: Layout,
    id: String,
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
    can_withdraw: bool,
    can_assign: bool,
    /// The credit officers who may be assigned as reviewers, the signed-in one left out (they
    /// have "review it myself").
    reviewer_choices: Vec<Choice>,
    /// The applicant's documents, for credit staff; `None` when onboarding could not list them.
    documents: Option<Vec<Item>>,
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

fn timeline_row(
    entry: &crate::applications::TimelineEntry,
    translator: &Translator,
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
            format_date(entry.at.date_naive(), translator.locale()),
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
fn knockout_text(details: &Value, translator: &Translator) -> Option<String> {
    let knockouts = details.get("knockouts")?.as_array()?;
    let known = crate::i18n::catalogues().message_ids(translator.locale());
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
async fn application_page(
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
        calls.reviews(id).await.unwrap_or_default()
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
    let person = &signed_in.person;
    let page = ApplicationPageView {
        layout: context.layout(Section::Applications),
        id: application.id.clone(),
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
            .map(|entry| timeline_row(entry, &translator))
            .collect(),
        can_edit: person.is_founder() && state_name == "draft",
        can_answer: person.is_founder() && state_name == "info_requested",
        can_propose: person.has_role("credit_officer") && state_name == "in_review",
        can_confirm: person.has_role("approver") && state_name == "decision",
        can_request_info: person.has_role("credit_officer") && state_name == "in_review",
        can_withdraw: person.is_founder() && WITHDRAWABLE_STATES.contains(&state_name.as_str()),
        can_assign,
        reviewer_choices,
        documents,
        form,
        confirmation_key: new_idempotency_key(),
        t: translator,
    };
    Ok(render(status, &page))
}

/// The applicant's documents for credit staff. If onboarding does not answer, the page says
/// the documents cannot be shown now rather than failing as a whole.
async fn applicant_documents(
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
async fn reviewer_choices(
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
fn readable_number(text: &str, locale: Locale) -> String {
    match text.parse::<Decimal>() {
        Ok(number) => {
            let number = number.normalize();
            crate::format::format_number(number, number.scale(), locale)
        }
        Err(_) => text.to_owned(),
    }
}

/// A random key that makes a repeated confirmation (a double click, a retry) harmless.
pub(crate) fn new_idempotency_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An application with its answers, score, reviews and timeline.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    application_page(
        &state,
        &context,
        &mut signed_in,
        &id,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// The application page again with what the visitor must correct, before any service was
/// asked to act.
async fn corrections_page(
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
async fn after_action<T>(
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

/// The credit officer's proposed decision.
pub async fn propose(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(pairs);
    let locale = translator.locale();
    let decimal =
        |name: &str, form: &mut FormState| match parse_typed_decimal(form.value(name), locale) {
            Ok(value) => Some(value.to_string()),
            Err(TypedNumberError::Empty) => None,
            Err(TypedNumberError::NotANumber) => {
                form.refuse(&translator, name, "not_a_number");
                None
            }
        };
    let amount = decimal("amount", &mut form);
    let annual_rate_percent = decimal("annual_rate_percent", &mut form);
    let whole = |name: &str, form: &mut FormState| {
        let text = form.value(name).trim().to_owned();
        if text.is_empty() {
            return None;
        }
        text.parse::<u32>()
            .map_err(|_| form.refuse(&translator, name, "not_a_whole_number"))
            .ok()
    };
    let term_months = whole("term_months", &mut form);
    let grace_months = whole("grace_months", &mut form);
    let reasons: Vec<String> = form
        .value("reasons")
        .lines()
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .map(str::to_owned)
        .collect();
    let proposal = Proposal {
        outcome: form.value("outcome").to_owned(),
        amount,
        term_months,
        annual_rate_percent,
        grace_months,
        reasons,
    };
    if form.has_errors() {
        return corrections_page(&state, &context, &mut signed_in, &id, form).await;
    }
    let result = calls(&state, &token)
        .act(&id, "decision/proposal", &proposal)
        .await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &[
            "outcome",
            "amount",
            "term_months",
            "annual_rate_percent",
            "grace_months",
            "reasons",
        ],
    )
    .await
}

/// The approver's confirmation of the proposed decision.
pub async fn confirm(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let form = FormState::from_pairs(pairs);
    let key = match form.value("confirmation_key") {
        "" => new_idempotency_key(),
        key => key.to_owned(),
    };
    let result = calls(&state, &token).confirm(&id, &key).await;
    after_action(&state, &context, &mut signed_in, &id, form, result, &[]).await
}

/// The credit officer's request for information from the founder.
pub async fn request_info(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let form = FormState::from_pairs(pairs);
    let body = serde_json::json!({ "message": form.value("message") });
    let result = calls(&state, &token).act(&id, "info-requests", &body).await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &["message"],
    )
    .await
}

/// The credit officer takes the application for review themselves.
pub async fn review_myself(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let result = calls(&state, &token)
        .assign_reviewer(&id, &signed_in.person.id)
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/reviews/{id}"))),
        Err(error) => {
            let mut form = FormState::default();
            refuse_form(&mut form, &context.translator(), error, &[], &next)?;
            application_page(
                &state,
                &context,
                &mut signed_in,
                &id,
                form,
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

/// The founder withdraws their application, once they ticked that they mean it. The service
/// decides whether the application may still be withdrawn; its refusal (a decided application)
/// is shown on the page.
pub async fn withdraw(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let mut form = FormState::from_pairs(pairs);
    if form.value("withdraw_confirmed") != "yes" {
        form.refuse(
            &context.translator(),
            "withdraw_confirmed",
            "withdrawal_not_confirmed",
        );
        return corrections_page(&state, &context, &mut signed_in, &id, form).await;
    }
    let result = calls(&state, &token)
        .act(&id, "withdraw", &serde_json::json!({}))
        .await;
    after_action(&state, &context, &mut signed_in, &id, form, result, &[]).await
}

/// A credit officer assigns another member of staff to review the application.
pub async fn assign_reviewer(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let mut form = FormState::from_pairs(pairs);
    let reviewer_id = form.value("reviewer_id").trim().to_owned();
    let code = if reviewer_id.is_empty() {
        Some("required")
    } else if path_segment(&reviewer_id).is_err() {
        Some("invalid_choice")
    } else {
        None
    };
    if let Some(code) = code {
        form.refuse(&context.translator(), "reviewer_id", code);
        return corrections_page(&state, &context, &mut signed_in, &id, form).await;
    }
    let result = calls(&state, &token)
        .assign_reviewer(&id, &reviewer_id)
        .await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &["reviewer_id"],
    )
    .await
}

/// An approver sends the proposed decision back to review, saying why.
pub async fn send_back(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(pairs);
    if form.value("reason").trim().is_empty() {
        form.refuse(&translator, "reason", "required");
        return corrections_page(&state, &context, &mut signed_in, &id, form).await;
    }
    let body = serde_json::json!({ "reason": form.value("reason") });
    let result = calls(&state, &token)
        .act(&id, "decision/send-back", &body)
        .await;
    // The four-eyes rule reads differently here than for a confirmation: the proposer may
    // neither confirm nor send back their own proposal.
    let result = match result {
        Err(CallError::Forbidden { code }) if code == "four_eyes_violation" => {
            form.notice = Some(translator.t("problem-send-back-four-eyes"));
            return application_page(
                &state,
                &context,
                &mut signed_in,
                &id,
                form,
                StatusCode::FORBIDDEN,
            )
            .await;
        }
        other => other,
    };
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &["reason"],
    )
    .await
}

/// A programme's applications, with their scores and mean review score, as CSV.
pub async fn applications_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    programme_export(state, signed_in, &id, "applications").await
}

/// Every review of a programme's applications, as CSV.
pub async fn reviews_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    programme_export(state, signed_in, &id, "reviews").await
}

/// Streams the applications service's `{export}.csv` of a programme as an attachment, with the
/// signed-in person's token: the service decides who may have it (officers), and anyone else
/// gets the wrong-role page.
async fn programme_export(
    state: AppState,
    mut signed_in: SignedIn,
    id: &str,
    export: &'static str,
) -> Result<Response, PageError> {
    let next = "/programmes";
    let id = path_segment(id).map_err(|error| PageError::from_call(error, next))?;
    let token = applications_token(&state, &mut signed_in, next).await?;
    let upstream = crate::api::send(state.applications.authorized(
        reqwest::Method::GET,
        &format!("/v1/programmes/{id}/{export}.csv"),
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, next))?;
    // The id is a UUID (checked above), so the name needs no escaping.
    Ok(attachment(
        upstream,
        "text/csv; charset=utf-8",
        &format!("{export}-{id}.csv"),
    ))
}

/// The founder's answer to a request for information.
pub async fn answer_info(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let form = FormState::from_pairs(pairs);
    let body = serde_json::json!({ "message": form.value("message") });
    let result = calls(&state, &token)
        .act(&id, "info-responses", &body)
        .await;
    after_action(
        &state,
        &context,
        &mut signed_in,
        &id,
        form,
        result,
        &["message"],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knocked_out(knockouts: Value) -> crate::applications::TimelineEntry {
        serde_json::from_value(serde_json::json!({
            "at": "2026-11-26T09:00:00Z", "kind": "screening_knocked_out",
            "actor_role": "service",
            "details": { "reason": "the English reason", "knockouts": knockouts }
        }))
        .unwrap()
    }

    #[test]
    fn a_knock_out_is_told_in_the_readers_language_with_its_figures() {
        let entry = knocked_out(serde_json::json!([
            { "code": "founder_too_old", "figures": { "number": 2, "age_years": 46, "max_age_years": 30 } },
            { "code": "SCREENING_LIST_MATCH" }
        ]));
        let russian = timeline_row(&entry, &Translator::new(Locale::Ru)).detail;
        assert!(
            russian.starts_with("Возраст учредителя № 2 в списке компании — 46, а программа — для учредителей не старше 30."),
            "{russian}"
        );
        let english = timeline_row(&entry, &Translator::new(Locale::En)).detail;
        assert!(
            english.starts_with("Founder 2 in the company's list is 46;"),
            "{english}"
        );
        assert!(!english.contains("the English reason"), "{english}");
        for locale in Locale::ALL {
            let detail = timeline_row(&entry, &Translator::new(locale)).detail;
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
        let detail = timeline_row(&entry, &Translator::new(Locale::UzLatn)).detail;
        assert_eq!(detail, "the English reason");
        let without_codes = knocked_out(serde_json::json!([]));
        let detail = timeline_row(&without_codes, &Translator::new(Locale::En)).detail;
        assert_eq!(
            detail, "the English reason",
            "entries recorded before the codes"
        );
    }
    use crate::applications::LocalizedText;

    fn programme() -> Programme {
        let text = |value: &str| LocalizedText {
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
            rubric: Vec::new(),
            questions: vec![
                crate::applications::Question {
                    key: "team_size".to_owned(),
                    label: text("Team size"),
                    kind: "number".to_owned(),
                    required: true,
                    options: None,
                },
                crate::applications::Question {
                    key: "pitch".to_owned(),
                    label: text("Pitch"),
                    kind: "text".to_owned(),
                    required: false,
                    options: None,
                },
            ],
        }
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
                    crate::i18n::catalogues().message_ids(locale).contains(key),
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
        let mut programme = programme();
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

    #[test]
    fn answers_are_read_the_visitors_way_and_an_emptied_one_is_removed() {
        let translator = Translator::new(Locale::Ru);
        let mut form = FormState::from_pairs(vec![
            ("answers.team_size".to_owned(), "1 250,5".to_owned()),
            ("answers.pitch".to_owned(), "  ".to_owned()),
        ]);
        let answers = read_answers(&mut form, &programme(), &translator);
        assert_eq!(answers["team_size"], Value::String("1250.5".to_owned()));
        assert_eq!(answers["pitch"], Value::Null);
        assert!(!form.has_errors());
    }

    #[test]
    fn an_unreadable_amount_is_refused_beside_its_field_and_kept() {
        let translator = Translator::new(Locale::En);
        let mut form = FormState::from_pairs(vec![
            ("requested_amount".to_owned(), "lots".to_owned()),
            ("term_months".to_owned(), "12".to_owned()),
        ]);
        let fields = read_basics(&mut form, &translator);
        assert_eq!(fields.requested_amount, None);
        assert_eq!(fields.term_months, Some(12));
        assert!(form.error("requested_amount").is_some());
        assert_eq!(form.value("requested_amount"), "lots");
    }

    #[test]
    fn the_review_step_lists_what_submission_would_refuse() {
        let translator = Translator::new(Locale::En);
        let application: Application = serde_json::from_value(serde_json::json!({
            "id": "a", "programme_id": "p", "client_id": "k", "company_id": "c", "state": "draft",
            "requested_amount": "5000000.00", "term_months": null, "project_cost": null,
            "answers": {"pitch": "An app"}, "submitted_at": null,
            "created_at": "2026-11-26T09:00:00Z", "score": null, "decision": null
        }))
        .unwrap();
        let missing = missing_items(&application, &programme(), &translator);
        assert_eq!(
            missing,
            [translator.t("field-term-months"), "Team size".to_owned()]
        );
    }
}
