//! The administrator's programmes: every programme with its budget and eligibility rules; the
//! budget raised or lowered (never below what approvals committed: the service refuses it and
//! the page says why beside the field); closing and opening; and, while no application has been
//! submitted, the name in the four languages and the dates. Every change is one POST with the
//! CSRF token, made by the applications service, which audits it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::clients::api::CallError;
use crate::clients::applications::{path_segment, LocalizedText};
use crate::clients::programme_admin::{
    AdminProgramme, DefinitionChange, Eligibility, ProgrammeAdmin,
};
use crate::pages::shared::forms::problem_message;
use crate::pages::shared::signed_in::{require_admin, see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_date, parse_typed_decimal};
use crate::web::i18n::{catalogues, Locale, Translator};
use crate::AppState;

const AUDIENCE: &str = "applications";
const LIST: &str = "/admin/programmes";

/// The rules in words, in the reader's language.
fn rules(eligibility: &Eligibility, translator: &Translator) -> Vec<String> {
    let mut rules = Vec::new();
    if let Some(months) = eligibility.min_company_age_months {
        rules.push(translator.t_with(
            "admin-rule-min-company-age",
            &[("months", &months.to_string())],
        ));
    }
    if let Some(months) = eligibility.max_company_age_months {
        rules.push(translator.t_with(
            "admin-rule-max-company-age",
            &[("months", &months.to_string())],
        ));
    }
    if eligibility.it_park_residency_required {
        rules.push(translator.t("admin-rule-it-park"));
    }
    if eligibility.kyc_approval_required {
        rules.push(translator.t("admin-rule-kyc"));
    }
    if let Some(years) = eligibility.max_founder_age_years {
        rules.push(translator.t_with(
            "admin-rule-max-founder-age",
            &[("years", &years.to_string())],
        ));
    }
    if eligibility.no_overdue_loan_required {
        rules.push(translator.t("admin-rule-no-overdue"));
    }
    if rules.is_empty() {
        rules.push(translator.t("admin-rule-none"));
    }
    rules
}

/// One language's name field of the edit form.
pub struct NameField {
    pub code: &'static str,
    pub field: &'static str,
    pub label: String,
    pub value: String,
}

/// A programme as the page lists it.
pub struct ProgrammeCard {
    pub id: String,
    pub name: String,
    pub kind_key: String,
    pub closed: bool,
    pub frozen: bool,
    pub dates: String,
    pub amounts: String,
    pub total: String,
    pub committed: String,
    /// The committed amount as a plain decimal, for a test or a script to read.
    pub committed_plain: String,
    pub available: String,
    pub rules: Vec<String>,
    pub budget_label: String,
    pub budget_value: String,
    pub budget_error: Option<String>,
    pub names: Vec<NameField>,
    pub opens_on: String,
    pub closes_on: String,
}

/// The languages of a programme's name, with the form field each is edited in.
const NAME_LANGUAGES: [(Locale, &str); 4] = [
    (Locale::UzLatn, "uz_latn"),
    (Locale::UzCyrl, "uz_cyrl"),
    (Locale::Ru, "ru"),
    (Locale::En, "en"),
];

fn name_in(name: &LocalizedText, locale: Locale) -> &str {
    match locale {
        Locale::UzLatn => &name.uz_latn,
        Locale::UzCyrl => &name.uz_cyrl,
        Locale::Ru => &name.ru,
        Locale::En => &name.en,
    }
}

impl ProgrammeCard {
    fn new(programme: &AdminProgramme, translator: &Translator) -> ProgrammeCard {
        let locale = translator.locale();
        let money = |amount: &str| amount_text(amount, &programme.currency, translator);
        ProgrammeCard {
            id: programme.id.clone(),
            name: programme.name.get(locale).to_owned(),
            kind_key: format!("programme-kind-{}", programme.kind),
            closed: programme.closed_at.is_some(),
            frozen: programme.has_submitted_applications,
            dates: format!(
                "{} – {}",
                format_date(programme.opens_on, locale),
                format_date(programme.closes_on, locale)
            ),
            amounts: translator.t_with(
                "programme-amounts",
                &[
                    ("min", &money(&programme.min_amount)),
                    ("max", &money(&programme.max_amount)),
                ],
            ),
            total: money(&programme.total_budget),
            committed: money(&programme.committed_amount),
            committed_plain: programme.committed_amount.clone(),
            available: money(&programme.available_amount),
            rules: rules(&programme.eligibility, translator),
            budget_label: translator.t_with(
                "admin-programme-new-total",
                &[("currency", &programme.currency)],
            ),
            budget_value: programme.total_budget.clone(),
            budget_error: None,
            names: NAME_LANGUAGES
                .into_iter()
                .map(|(language, field)| NameField {
                    code: language.code(),
                    field,
                    label: translator.t_with(
                        "admin-programme-name",
                        &[(
                            "language",
                            &catalogues().format(language, "language-name", &[]),
                        )],
                    ),
                    value: name_in(&programme.name, language).to_owned(),
                })
                .collect(),
            opens_on: programme.opens_on.to_string(),
            closes_on: programme.closes_on.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_programmes.html")]
struct ProgrammesPage {
    t: Translator,
    layout: Layout,
    programmes: Vec<ProgrammeCard>,
    notice: Option<String>,
}

async fn token(state: &AppState, signed_in: &mut SignedIn) -> Result<String, PageError> {
    signed_in
        .access_token(state, AUDIENCE)
        .await
        .map_err(|error| PageError::from_call(error, LIST))
}

fn admin<'a>(state: &'a AppState, token: &'a str) -> ProgrammeAdmin<'a> {
    ProgrammeAdmin {
        api: &state.applications,
        token,
    }
}

/// After a change: back to the list, at the programme.
fn back_to(id: &str) -> Response {
    see_other(&format!("{LIST}#programme-{id}"))
}

/// A refusal as a notice at the top of the list.
async fn refused(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    error: CallError,
) -> Result<Response, PageError> {
    match error {
        CallError::Refused { status, code, .. } => {
            let refusal = Refusal {
                notice: Some(problem_message(&context.translator(), &code)),
                budget: None,
            };
            list_page(state, context, signed_in, status, refusal).await
        }
        error => Err(PageError::from_call(error, LIST)),
    }
}

/// What a refused change leaves on the page: a notice, or an error beside one programme's
/// budget field with the value the administrator typed.
#[derive(Default)]
struct Refusal {
    notice: Option<String>,
    budget: Option<(String, String, String)>,
}

async fn list_page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    status: StatusCode,
    refusal: Refusal,
) -> Result<Response, PageError> {
    let token = token(state, signed_in).await?;
    let programmes = admin(state, &token)
        .programmes()
        .await
        .map_err(|error| PageError::from_call(error, LIST))?;
    let translator = context.translator();
    let mut cards: Vec<ProgrammeCard> = programmes
        .iter()
        .map(|programme| ProgrammeCard::new(programme, &translator))
        .collect();
    if let Some((id, value, error)) = refusal.budget {
        if let Some(card) = cards.iter_mut().find(|card| card.id == id) {
            card.budget_value = value;
            card.budget_error = Some(error);
        }
    }
    Ok(render(
        status,
        &ProgrammesPage {
            programmes: cards,
            notice: refusal.notice,
            t: translator,
            layout: context.layout(Section::AdminProgrammes),
        },
    ))
}

/// The programmes page.
pub async fn programmes(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    list_page(
        &state,
        &context,
        &mut signed_in,
        StatusCode::OK,
        Refusal::default(),
    )
    .await
}

/// The new total budget as typed.
#[derive(Deserialize)]
pub struct BudgetForm {
    #[serde(default)]
    pub total_budget: String,
}

/// Changes a programme's budget; a refusal is shown beside the field.
pub async fn change_budget(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<BudgetForm>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let id = path_segment(&id)
        .map_err(|_| PageError::NotFound)?
        .to_owned();
    let translator = context.translator();
    let refuse = |message: String| Refusal {
        notice: None,
        budget: Some((id.clone(), form.total_budget.clone(), message)),
    };
    let total: Decimal = match parse_typed_decimal(&form.total_budget, translator.locale()) {
        Ok(total) => total,
        Err(_) => {
            let refusal = refuse(problem_message(&translator, "invalid_amount"));
            return list_page(
                &state,
                &context,
                &mut signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                refusal,
            )
            .await;
        }
    };
    let token = token(&state, &mut signed_in).await?;
    match admin(&state, &token).change_budget(&id, total).await {
        Ok(()) => Ok(back_to(&id)),
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            let code = fields.first().map_or(code, |field| field.code.clone());
            let refusal = refuse(problem_message(&translator, &code));
            list_page(&state, &context, &mut signed_in, status, refusal).await
        }
        Err(error) => Err(PageError::from_call(error, LIST)),
    }
}

/// Closes or opens a programme.
async fn set_open(
    state: AppState,
    context: PageContext,
    mut signed_in: SignedIn,
    id: String,
    open: bool,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let id = path_segment(&id)
        .map_err(|_| PageError::NotFound)?
        .to_owned();
    let token = token(&state, &mut signed_in).await?;
    match admin(&state, &token).set_open(&id, open).await {
        Ok(()) => Ok(back_to(&id)),
        Err(error) => refused(&state, &context, &mut signed_in, error).await,
    }
}

/// Closes a programme to new applications.
pub async fn close(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    set_open(state, context, signed_in, id, false).await
}

/// Opens a closed programme again.
pub async fn open(
    State(state): State<AppState>,
    context: PageContext,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    set_open(state, context, signed_in, id, true).await
}

/// The name in four languages and the dates, as typed.
#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    pub name_uz_latn: String,
    #[serde(default)]
    pub name_uz_cyrl: String,
    #[serde(default)]
    pub name_ru: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub opens_on: String,
    #[serde(default)]
    pub closes_on: String,
}

/// Changes the name and dates of a programme to which nothing has been submitted.
pub async fn edit(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let id = path_segment(&id)
        .map_err(|_| PageError::NotFound)?
        .to_owned();
    let change = DefinitionChange {
        name: vec![
            ("uz-Latn", form.name_uz_latn.trim().to_owned()),
            ("uz-Cyrl", form.name_uz_cyrl.trim().to_owned()),
            ("ru", form.name_ru.trim().to_owned()),
            ("en", form.name_en.trim().to_owned()),
        ],
        opens_on: form.opens_on.trim().to_owned(),
        closes_on: form.closes_on.trim().to_owned(),
    };
    let token = token(&state, &mut signed_in).await?;
    match admin(&state, &token).edit(&id, &change).await {
        Ok(()) => Ok(back_to(&id)),
        Err(error) => refused(&state, &context, &mut signed_in, error).await,
    }
}
