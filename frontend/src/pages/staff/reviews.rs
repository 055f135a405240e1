//! Reviews: a reviewer sees their assignments, declares any conflict of interest before seeing
//! the application, and then scores it against the programme's rubric.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde_json::{json, Map, Value};

use crate::clients::api::CallError;
use crate::clients::applications::{ApplicationsCalls, Assignment};
use crate::pages::shared::client_names::{ClientLabel, ClientNamer};
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::format_day_of;
use crate::web::i18n::Translator;
use crate::AppState;

/// The scores a reviewer may give a criterion.
const SCORES: [&str; 6] = ["0", "1", "2", "3", "4", "5"];

/// What a reviewer may recommend.
const RECOMMENDATIONS: [&str; 3] = ["yes", "maybe", "no"];

fn require_staff(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.person.is_client() || signed_in.person.roles.is_empty() {
        Err(PageError::WrongRole)
    } else {
        Ok(())
    }
}

async fn token(
    state: &AppState,
    signed_in: &mut SignedIn,
    next: &str,
) -> Result<String, PageError> {
    signed_in
        .access_token(state, "applications")
        .await
        .map_err(|error| PageError::from_call(error, next))
}

/// An assignment in the list.
pub struct AssignmentRow {
    pub application_id: String,
    pub declaration_key: String,
    pub assigned: String,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsPage {
    t: Translator,
    layout: Layout,
    rows: Vec<AssignmentRow>,
}

fn declaration_key(declaration: &str) -> String {
    format!("review-declaration-{}", declaration.replace('_', "-"))
}

/// The reviewer's assignments.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_staff(&signed_in)?;
    let token = token(&state, &mut signed_in, "/reviews").await?;
    let assignments = ApplicationsCalls {
        api: &state.applications,
        token: &token,
    }
    .assignments()
    .await
    .map_err(|error| PageError::from_call(error, "/reviews"))?;
    let translator = context.translator();
    Ok(render(
        StatusCode::OK,
        &ReviewsPage {
            rows: assignments
                .iter()
                .map(|assignment| AssignmentRow {
                    application_id: assignment.application_id.clone(),
                    declaration_key: declaration_key(&assignment.declaration),
                    assigned: format_day_of(
                        assignment.assigned_at,
                        &state.calendar,
                        translator.locale(),
                    ),
                })
                .collect(),
            t: translator,
            layout: context.layout(Section::Reviews),
        },
    ))
}

/// A rubric criterion with the score chosen for it.
pub struct CriterionRow {
    pub field: String,
    pub label: String,
}

/// An answer of the application under review.
pub struct AnswerRow {
    pub question: String,
    pub answer: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    t: Translator,
    layout: Layout,
    id: String,
    declaration: String,
    /// The applicant by name, once the reviewer declared no conflict.
    client: Option<ClientLabel>,
    programme: String,
    answers: Vec<AnswerRow>,
    criteria: Vec<CriterionRow>,
    scores: [&'static str; 6],
    recommendations: [&'static str; 3],
    form: FormState,
}

impl ReviewPage {
    fn recommendation_key(&self, recommendation: &str) -> String {
        format!("review-recommendation-{recommendation}")
    }
}

async fn review_page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    require_staff(signed_in)?;
    let next = format!("/reviews/{id}");
    let token = token(state, signed_in, &next).await?;
    let calls = ApplicationsCalls {
        api: &state.applications,
        token: &token,
    };
    let assignments = calls
        .assignments()
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let assignment: &Assignment = assignments
        .iter()
        .find(|assignment| assignment.application_id == id)
        .ok_or(PageError::NotFound)?;
    let translator = context.translator();
    let locale = translator.locale();
    let mut page = ReviewPage {
        t: translator,
        layout: context.layout(Section::Reviews),
        id: id.to_owned(),
        declaration: assignment.declaration.clone(),
        client: None,
        programme: String::new(),
        answers: Vec::new(),
        criteria: Vec::new(),
        scores: SCORES,
        recommendations: RECOMMENDATIONS,
        form,
    };
    // The application is shown only after the reviewer declared no conflict of interest.
    if assignment.declaration == "no_conflict" {
        let application = calls
            .assigned_application(id)
            .await
            .map_err(|error| PageError::from_call(error, &next))?;
        let programme = calls
            .programme(&application.programme_id)
            .await
            .map_err(|error| PageError::from_call(error, &next))?;
        let names = ClientNamer::lookup(
            state,
            signed_in,
            [application.client_id.as_str()],
            &translator,
        )
        .await;
        page.client = Some(names.label(&application.client_id));
        page.programme = programme.name.get(locale).to_owned();
        page.answers = programme
            .questions
            .iter()
            .map(|question| AnswerRow {
                question: question.label.get(locale).to_owned(),
                answer: application.answer(&question.key),
            })
            .collect();
        page.criteria = programme
            .rubric
            .iter()
            .map(|criterion| CriterionRow {
                field: format!("scores.{}", criterion.key),
                label: criterion.label.get(locale).to_owned(),
            })
            .collect();
    }
    Ok(render(status, &page))
}

/// The declaration, or the application and the review form once declared.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    review_page(
        &state,
        &context,
        &mut signed_in,
        &id,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// A reviewer's call: `POST /v1/review-assignments/{id}/{action}` with `body`.
struct ReviewCall<'a> {
    action: &'a str,
    body: Value,
}

async fn act(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    id: &str,
    call: ReviewCall<'_>,
    mut form: FormState,
    shown_fields: &[&str],
) -> Result<Response, PageError> {
    require_staff(signed_in)?;
    let next = format!("/reviews/{id}");
    let token = token(state, signed_in, &next).await?;
    let result = ApplicationsCalls {
        api: &state.applications,
        token: &token,
    }
    .review_action(id, call.action, &call.body)
    .await;
    let translator = context.translator();
    let status = match result {
        Ok(()) => return Ok(see_other(&next)),
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            } else {
                form.refuse_all(&translator, &fields, shown_fields);
            }
            status
        }
        Err(CallError::Forbidden { code }) if !code.is_empty() => {
            form.notice = Some(problem_message(&translator, &code));
            StatusCode::FORBIDDEN
        }
        Err(error) => return Err(PageError::from_call(error, &next)),
    };
    review_page(state, context, signed_in, id, form, status).await
}

/// The conflict-of-interest declaration.
pub async fn declare(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormState::from_pairs(pairs);
    let has_conflict = match form.value("has_conflict") {
        "yes" => true,
        "no" => false,
        _ => {
            let mut form = form;
            form.refuse(&context.translator(), "has_conflict", "required");
            return review_page(
                &state,
                &context,
                &mut signed_in,
                &id,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    act(
        &state,
        &context,
        &mut signed_in,
        &id,
        ReviewCall {
            action: "declaration",
            body: json!({ "has_conflict": has_conflict }),
        },
        form,
        &["has_conflict"],
    )
    .await
}

/// The review: a score per criterion, a recommendation and a comment.
pub async fn submit(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut form = FormState::from_pairs(pairs.clone());
    let translator = context.translator();
    let mut scores = Map::new();
    for (name, value) in &pairs {
        if let Some(key) = name.strip_prefix("scores.") {
            match value.parse::<i64>() {
                Ok(score) => {
                    scores.insert(key.to_owned(), json!(score));
                }
                Err(_) => form.refuse(&translator, name, "required"),
            }
        }
    }
    if form.has_errors() {
        return review_page(
            &state,
            &context,
            &mut signed_in,
            &id,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let body = json!({
        "scores": scores,
        "recommendation": form.value("recommendation"),
        "comment": form.value("comment"),
    });
    let shown: Vec<String> = pairs.iter().map(|(name, _)| name.clone()).collect();
    let mut shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    shown.extend(["recommendation", "comment", "scores"]);
    act(
        &state,
        &context,
        &mut signed_in,
        &id,
        ReviewCall {
            action: "review",
            body,
        },
        form,
        &shown,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{catalogues, Locale};

    #[test]
    fn every_declaration_and_recommendation_has_words_in_every_language() {
        let mut keys: Vec<String> = ["pending", "no_conflict", "conflict"]
            .iter()
            .map(|declaration| declaration_key(declaration))
            .collect();
        keys.extend(
            RECOMMENDATIONS
                .iter()
                .map(|recommendation| format!("review-recommendation-{recommendation}")),
        );
        for locale in Locale::ALL {
            for key in &keys {
                assert!(
                    catalogues().message_ids(locale).contains(key),
                    "{} lacks {key}",
                    locale.code()
                );
            }
        }
    }
}
