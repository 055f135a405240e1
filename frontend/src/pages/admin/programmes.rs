//! The administrator's programmes: every programme with its budget and eligibility rules; the
//! budget raised or lowered (never below what approvals committed: the service refuses it and
//! the page says why beside the field); closing and opening; and, while no application has been
//! submitted, the name in the four languages and the dates. A new programme is defined on its own
//! form (`/admin/programmes/new`) with every field the service takes, the eligibility rules as
//! labelled choices, the scorecard from scoring's list, and the application form's questions
//! and the review rubric as the service's JSON lists. Every change is one POST with the
//! CSRF token, made by the applications service, which audits it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::clients::api::CallError;
use crate::clients::applications::{path_segment, LocalizedText};
use crate::clients::programme_admin::{
    AdminProgramme, DefinitionChange, Eligibility, ProgrammeAdmin,
};
use crate::clients::scoring::{ScorecardSummary, Scorecards};
use crate::pages::shared::forms::{problem_message, FormState};
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

/// The application form's questions a new programme starts from, in the service's JSON: one
/// text question, which the administrator edits or extends.
const QUESTIONS_TEMPLATE: &str = r#"[
  {
    "key": "project_summary",
    "label": {"uz-Latn": "Loyiha haqida", "uz-Cyrl": "Лойиҳа ҳақида", "ru": "О проекте", "en": "About the project"},
    "kind": "text",
    "required": true,
    "max_length_chars": 2000
  }
]"#;

/// The review rubric a new programme starts from, in the service's JSON.
const RUBRIC_TEMPLATE: &str = r#"[
  {
    "key": "team",
    "label": {"uz-Latn": "Jamoa", "uz-Cyrl": "Жамоа", "ru": "Команда", "en": "Team"},
    "weight": "1"
  }
]"#;

/// A field of the new-programme form: its name (the service's JSON path, so a refusal lands
/// beside it), its label, and its input.
pub struct NewField {
    pub name: &'static str,
    pub label: String,
    /// text, number, date, select, textarea or checkbox.
    pub input_type: &'static str,
    pub hint: String,
    pub options: Vec<(String, String)>,
}

impl NewField {
    /// Whether `value` is the option the form holds.
    pub fn chosen(&self, form: &FormState, value: &str) -> bool {
        form.value(self.name) == value
    }
}

/// A group of fields under a heading.
pub struct FieldGroup {
    /// Which group: refusals of a whole group (`name`, `eligibility`) are shown under it.
    pub group: &'static str,
    pub heading: String,
    pub fields: Vec<NewField>,
}

/// The name and description fields of a new programme in each language, by the service's JSON
/// path.
const TEXT_FIELDS: [(Locale, &str, &str); 4] = [
    (Locale::UzLatn, "name.uz-Latn", "description.uz-Latn"),
    (Locale::UzCyrl, "name.uz-Cyrl", "description.uz-Cyrl"),
    (Locale::Ru, "name.ru", "description.ru"),
    (Locale::En, "name.en", "description.en"),
];

/// The amounts, typed in the reader's notation and sent as plain decimals.
const AMOUNT_FIELDS: [&str; 3] = ["total_budget", "min_amount", "max_amount"];
/// Whole numbers of months or years; empty when optional.
const WHOLE_NUMBER_FIELDS: [&str; 6] = [
    "min_term_months",
    "max_term_months",
    "max_grace_months",
    "eligibility.min_company_age_months",
    "eligibility.max_company_age_months",
    "eligibility.max_founder_age_years",
];
/// Percentages, sent as typed (the service reads them), left out when empty.
const PERCENT_FIELDS: [&str; 5] = [
    "annual_rate_min_percent",
    "annual_rate_max_percent",
    "penalty_rate_percent",
    "co_funding_cap_percent",
    "arrangement_fee_percent",
];
/// Amounts a programme may leave out, typed in the reader's notation.
const OPTIONAL_AMOUNT_FIELDS: [&str; 2] = ["arrangement_fee_fixed", "late_charge_fixed"];
/// Choices sent only when one is made: the service applies its default otherwise.
const OPTIONAL_CHOICES: [&str; 4] = [
    "repayment_method",
    "day_count",
    "interest_method",
    "arrangement_fee_collection",
];
const RULE_CHECKBOXES: [&str; 3] = [
    "eligibility.it_park_residency_required",
    "eligibility.kyc_approval_required",
    "eligibility.no_overdue_loan_required",
];

fn field(name: &'static str, label: String, input_type: &'static str) -> NewField {
    NewField {
        name,
        label,
        input_type,
        hint: String::new(),
        options: Vec::new(),
    }
}

/// The form's fields, labelled in the reader's language; the scorecards offered are those the
/// scoring service lists.
fn new_programme_groups(
    translator: &Translator,
    scorecards: &[ScorecardSummary],
) -> Vec<FieldGroup> {
    let t = |key: &str| translator.t(key);
    let language = |language: Locale| catalogues().format(language, "language-name", &[]);
    let names: Vec<NewField> = TEXT_FIELDS
        .into_iter()
        .map(|(locale, name, _)| {
            let label =
                translator.t_with("admin-programme-name", &[("language", &language(locale))]);
            field(name, label, "text")
        })
        .chain(TEXT_FIELDS.into_iter().map(|(locale, _, description)| {
            let label = translator.t_with(
                "admin-programme-description",
                &[("language", &language(locale))],
            );
            field(description, label, "textarea")
        }))
        .collect();
    let mut kind = field("kind", t("admin-programme-kind"), "select");
    kind.options = ["grant", "loan"]
        .into_iter()
        .map(|kind| (kind.to_owned(), t(&format!("programme-kind-{kind}"))))
        .collect();
    let mut currency = field("currency", t("admin-programme-currency"), "select");
    currency.options = ["UZS", "USD", "EUR"]
        .into_iter()
        .map(|code| (code.to_owned(), code.to_owned()))
        .collect();
    let mut method = field(
        "repayment_method",
        t("admin-programme-repayment-method"),
        "select",
    );
    method.options = vec![
        (String::new(), t("choose-one")),
        ("annuity".to_owned(), t("admin-programme-annuity")),
        (
            "equal_principal".to_owned(),
            t("admin-programme-equal-principal"),
        ),
    ];
    method.hint = t("admin-programme-loans-only");
    let mut day_count = field("day_count", t("admin-programme-day-count"), "select");
    day_count.options = vec![
        (String::new(), t("choose-one")),
        ("30/360".to_owned(), t("day-count-thirty-360")),
        ("actual/365".to_owned(), t("day-count-actual-365")),
        (
            "actual/actual-isda".to_owned(),
            t("day-count-actual-actual-isda"),
        ),
    ];
    day_count.hint = t("admin-programme-day-count-hint");
    let mut interest_method = field(
        "interest_method",
        t("admin-programme-interest-method"),
        "select",
    );
    interest_method.options = vec![
        (String::new(), t("choose-one")),
        (
            "declining_balance".to_owned(),
            t("interest-method-declining-balance"),
        ),
        ("flat".to_owned(), t("interest-method-flat")),
    ];
    interest_method.hint = t("admin-programme-interest-method-hint");
    let mut fee_collection = field(
        "arrangement_fee_collection",
        t("admin-programme-fee-collection"),
        "select",
    );
    fee_collection.options = vec![
        (String::new(), t("choose-one")),
        ("deducted".to_owned(), t("fee-collection-deducted")),
        ("upfront".to_owned(), t("fee-collection-upfront")),
    ];
    fee_collection.hint = t("admin-programme-fee-collection-hint");
    let mut fee_fixed = field(
        "arrangement_fee_fixed",
        t("admin-programme-fee-fixed"),
        "text",
    );
    fee_fixed.hint = t("admin-programme-fee-hint");
    let mut fee_percent = field(
        "arrangement_fee_percent",
        t("admin-programme-fee-percent"),
        "text",
    );
    fee_percent.hint = t("admin-programme-fee-hint");
    let mut late_charge = field(
        "late_charge_fixed",
        t("admin-programme-late-charge"),
        "text",
    );
    late_charge.hint = t("admin-programme-late-charge-hint");
    let loan_only = |name, key: &str| {
        let mut loan_field = field(name, t(key), "text");
        loan_field.hint = t("admin-programme-loans-only");
        loan_field
    };
    let mut co_funding = field(
        "co_funding_cap_percent",
        t("admin-programme-co-funding-cap"),
        "text",
    );
    co_funding.hint = t("admin-programme-grants-only");
    let scorecard = if scorecards.is_empty() {
        let mut typed = field("scorecard_id", t("admin-programme-scorecard"), "text");
        typed.hint = t("admin-programme-scorecard-id-hint");
        typed
    } else {
        let mut chosen = field("scorecard_id", t("admin-programme-scorecard"), "select");
        chosen.options = scorecards
            .iter()
            .map(|card| (card.id.clone(), card.name.clone()))
            .collect();
        chosen
    };
    let mut scoring_inputs = field(
        "scoring_inputs",
        t("admin-programme-scoring-inputs"),
        "text",
    );
    scoring_inputs.hint = t("admin-programme-scoring-inputs-hint");
    let mut questions = field("questions", t("admin-programme-questions"), "textarea");
    questions.hint = t("admin-programme-json-hint");
    let mut rubric = field("rubric", t("admin-programme-rubric"), "textarea");
    rubric.hint = t("admin-programme-json-hint");
    vec![
        FieldGroup {
            group: "identity",
            heading: t("admin-programme-group-identity"),
            fields: std::iter::once(kind).chain(names).collect(),
        },
        FieldGroup {
            group: "money",
            heading: t("admin-programme-group-money"),
            fields: vec![
                currency,
                field("total_budget", t("admin-programme-total"), "text"),
                field("min_amount", t("admin-programme-min-amount"), "text"),
                field("max_amount", t("admin-programme-max-amount"), "text"),
                field("min_term_months", t("admin-programme-min-term"), "number"),
                field("max_term_months", t("admin-programme-max-term"), "number"),
                loan_only("annual_rate_min_percent", "admin-programme-rate-min"),
                loan_only("annual_rate_max_percent", "admin-programme-rate-max"),
                method,
                day_count,
                interest_method,
                loan_only("max_grace_months", "admin-programme-max-grace"),
                loan_only("penalty_rate_percent", "admin-programme-penalty-rate"),
                fee_fixed,
                fee_percent,
                fee_collection,
                late_charge,
                co_funding,
                field("opens_on", t("admin-programme-opens-on"), "date"),
                field("closes_on", t("admin-programme-closes-on"), "date"),
            ],
        },
        FieldGroup {
            group: "eligibility",
            heading: t("admin-programme-eligibility"),
            fields: vec![
                field(
                    "eligibility.min_company_age_months",
                    t("admin-programme-min-company-age"),
                    "number",
                ),
                field(
                    "eligibility.max_company_age_months",
                    t("admin-programme-max-company-age"),
                    "number",
                ),
                field(
                    "eligibility.max_founder_age_years",
                    t("admin-programme-max-founder-age"),
                    "number",
                ),
                field(
                    "eligibility.it_park_residency_required",
                    t("admin-rule-it-park"),
                    "checkbox",
                ),
                field(
                    "eligibility.kyc_approval_required",
                    t("admin-rule-kyc"),
                    "checkbox",
                ),
                field(
                    "eligibility.no_overdue_loan_required",
                    t("admin-rule-no-overdue"),
                    "checkbox",
                ),
            ],
        },
        FieldGroup {
            group: "assessment",
            heading: t("admin-programme-group-assessment"),
            fields: vec![scorecard, scoring_inputs, questions, rubric],
        },
    ]
}

#[derive(Template)]
#[template(path = "admin_programme_new.html")]
struct NewProgrammePage {
    t: Translator,
    layout: Layout,
    groups: Vec<FieldGroup>,
    form: FormState,
}

/// The scorecards a programme may use; none when scoring does not answer, and the form then
/// takes the scorecard's id as typed.
async fn scorecards_offered(state: &AppState, signed_in: &mut SignedIn) -> Vec<ScorecardSummary> {
    let Ok(token) = signed_in.access_token(state, "scoring").await else {
        return Vec::new();
    };
    let scorecards = Scorecards {
        api: &state.scoring,
        token: &token,
    };
    scorecards.list().await.unwrap_or_else(|error| {
        tracing::warn!(%error, "the scorecards could not be listed for the programme form");
        Vec::new()
    })
}

async fn new_programme_page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let scorecards = scorecards_offered(state, signed_in).await;
    let translator = context.translator();
    Ok(render(
        status,
        &NewProgrammePage {
            groups: new_programme_groups(&translator, &scorecards),
            form,
            t: translator,
            layout: context.layout(Section::AdminProgrammes),
        },
    ))
}

/// The form for a new programme, with a question and a criterion to start from.
pub async fn new_programme_form(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let mut form = FormState::default();
    form.set("kind", "grant");
    form.set("currency", "UZS");
    form.set("questions", QUESTIONS_TEMPLATE);
    form.set("rubric", RUBRIC_TEMPLATE);
    form.set("eligibility.kyc_approval_required", "true");
    new_programme_page(&state, &context, &mut signed_in, form, StatusCode::OK).await
}

/// Sets `value` at the dotted `path` of `object` (`eligibility.min_company_age_months`).
fn set_path(object: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((head, rest)) => {
            let inner = object
                .entry(head)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = inner {
                set_path(inner, rest, value);
            }
        }
        None => {
            object.insert(path.to_owned(), value);
        }
    }
}

/// The service's JSON from the form as typed, or the form with each field the page itself can
/// refuse (an amount, a whole number, a date, a JSON list) explained beside it.
fn programme_definition(form: &mut FormState, translator: &Translator) -> Option<Value> {
    let mut definition = Map::new();
    let texts = TEXT_FIELDS
        .into_iter()
        .flat_map(|(_, name, description)| [name, description]);
    for name in ["kind", "currency", "scorecard_id"]
        .into_iter()
        .chain(OPTIONAL_CHOICES)
        .chain(texts)
    {
        let value = form.value(name).trim().to_owned();
        if OPTIONAL_CHOICES.contains(&name) && value.is_empty() {
            continue;
        }
        set_path(&mut definition, name, Value::String(value));
    }
    for name in OPTIONAL_AMOUNT_FIELDS {
        if form.value(name).trim().is_empty() {
            continue;
        }
        match parse_typed_decimal(form.value(name), translator.locale()) {
            Ok(amount) => set_path(&mut definition, name, Value::String(amount.to_string())),
            Err(_) => form.refuse(translator, name, "not_a_number"),
        }
    }
    for name in AMOUNT_FIELDS {
        match parse_typed_decimal(form.value(name), translator.locale()) {
            Ok(amount) => set_path(&mut definition, name, Value::String(amount.to_string())),
            Err(_) => form.refuse(translator, name, "not_a_number"),
        }
    }
    for name in WHOLE_NUMBER_FIELDS {
        let typed = form.value(name).trim().to_owned();
        if typed.is_empty() {
            if name.ends_with("term_months") {
                form.refuse(translator, name, "required");
            }
            continue;
        }
        match typed.parse::<u32>() {
            Ok(number) => set_path(&mut definition, name, Value::from(number)),
            Err(_) => form.refuse(translator, name, "not_a_whole_number"),
        }
    }
    for name in PERCENT_FIELDS {
        let typed = form.value(name).trim().replace(',', ".");
        if !typed.is_empty() {
            set_path(&mut definition, name, Value::String(typed));
        }
    }
    for name in ["opens_on", "closes_on"] {
        match chrono::NaiveDate::parse_from_str(form.value(name).trim(), "%Y-%m-%d") {
            Ok(day) => set_path(&mut definition, name, Value::String(day.to_string())),
            Err(_) => form.refuse(translator, name, "not_a_date"),
        }
    }
    for name in RULE_CHECKBOXES {
        set_path(
            &mut definition,
            name,
            Value::Bool(form.value(name) == "true"),
        );
    }
    let inputs: Vec<Value> = form
        .value("scoring_inputs")
        .split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(|key| Value::String(key.to_owned()))
        .collect();
    definition.insert("scoring_inputs".to_owned(), Value::Array(inputs));
    for name in ["questions", "rubric"] {
        match serde_json::from_str::<Value>(form.value(name)) {
            Ok(list @ Value::Array(_)) => {
                definition.insert(name.to_owned(), list);
            }
            _ => form.refuse(translator, name, "not_a_json_list"),
        }
    }
    (!form.has_errors()).then_some(Value::Object(definition))
}

/// Every field of the form, for placing the service's refusals.
fn new_programme_fields() -> Vec<&'static str> {
    let mut fields = vec![
        "kind",
        "name",
        "description",
        "currency",
        "scorecard_id",
        "scoring_inputs",
        "questions",
        "rubric",
        "opens_on",
        "closes_on",
        "eligibility",
    ];
    fields.extend(OPTIONAL_CHOICES);
    fields.extend(AMOUNT_FIELDS);
    fields.extend(OPTIONAL_AMOUNT_FIELDS);
    fields.extend(WHOLE_NUMBER_FIELDS);
    fields.extend(PERCENT_FIELDS);
    fields.extend(RULE_CHECKBOXES);
    fields
}

/// Defines a programme; a refusal, the page's or the service's, is shown beside its field.
pub async fn create_programme(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let translator = context.translator();
    let mut form = FormState::from_pairs(
        pairs
            .into_iter()
            .filter(|(name, _)| name != "csrf_token")
            .collect(),
    );
    let Some(definition) = programme_definition(&mut form, &translator) else {
        return new_programme_page(
            &state,
            &context,
            &mut signed_in,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let token = token(&state, &mut signed_in).await?;
    match admin(&state, &token).create(&definition).await {
        Ok(()) => Ok(see_other(LIST)),
        Err(CallError::Refused {
            status,
            code,
            fields,
        }) => {
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            }
            form.refuse_all(&translator, &fields, &new_programme_fields());
            new_programme_page(&state, &context, &mut signed_in, form, status).await
        }
        Err(error) => Err(PageError::from_call(error, LIST)),
    }
}
