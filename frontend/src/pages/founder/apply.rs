//! The founder's way from a programme to a submitted application, its withdrawal, and the
//! answer to a request for information.
//!
//! The frontend checks only what it must to build a request (numbers typed the visitor's way);
//! the rules are the service's, and its refusals come back beside the fields.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use crate::clients::api::CallError;
use crate::clients::applications::{
    own_companies, Application, ApplicationsCalls, Company, DraftFields, Programme,
};
use crate::pages::shared::application_view::{
    after_action, applications_token, calls, corrections_page, path_of, refuse_form, Choice,
    ProgrammeRow,
};
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::holdings;
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{parse_typed_decimal, TypedNumberError};
use crate::web::i18n::{Locale, Translator};
use crate::AppState;

/// The steps of the application form.
const STEPS: [&str; 3] = ["basics", "answers", "review"];

/// The basic fields of a draft, named as the service names them.
const BASIC_FIELDS: [&str; 4] = [
    "company_id",
    "requested_amount",
    "term_months",
    "project_cost",
];

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
            .map(|amount| crate::web::format::format_number(amount, 2, locale))
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
    if signed_in.person.is_client() {
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
                holdings::forget(&state, &mut signed_in).await;
                return Ok(see_other(&format!(
                    "/applications/{}/edit?step=answers",
                    application.id
                )));
            }
            Err(error) => refuse_form(&mut form, &translator, error, &BASIC_FIELDS, &next)?,
        }
    }
    Ok(render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &apply_page(&context, &apply, None, "basics", form, Vec::new()),
    ))
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
                missing.push(crate::pages::shared::forms::field_message(
                    translator,
                    &field.code,
                ));
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
    use crate::pages::shared::application_view::sample_programme;

    #[test]
    fn answers_are_read_the_visitors_way_and_an_emptied_one_is_removed() {
        let translator = Translator::new(Locale::Ru);
        let mut form = FormState::from_pairs(vec![
            ("answers.team_size".to_owned(), "1 250,5".to_owned()),
            ("answers.pitch".to_owned(), "  ".to_owned()),
        ]);
        let answers = read_answers(&mut form, &sample_programme(), &translator);
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
        let missing = missing_items(&application, &sample_programme(), &translator);
        assert_eq!(
            missing,
            [translator.t("field-term-months"), "Team size".to_owned()]
        );
    }
}
