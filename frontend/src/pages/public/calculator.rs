//! The public loan calculator: the visitor types loan terms, the disbursement service computes
//! the schedule, and the page shows it as a table and a chart.
//!
//! The frontend reads what it can (numbers in the visitor's own format, dates, the choices of
//! the drop-downs) and leaves the loan rules to the service, whose refusals come back naming
//! the field and are shown beside it in the visitor's language, with what they typed kept.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{Months, NaiveDate};
use imkon_platform::money::Currency;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::clients::disbursement::{PreviewError, PreviewRequest, SchedulePreview};
use crate::pages::shared::{render, Layout, PageContext, Section};
use crate::web::chart::{stacked_bars, Chart, Stack};
use crate::web::format::{
    format_date, format_money, format_number, parse_typed_decimal, TypedNumberError,
};
use crate::web::i18n::{catalogues, Locale, Translator};
use crate::AppState;

/// The codes of field errors the page can explain in every language: the frontend's own, and
/// the disbursement service's for loan terms. Any other code is shown as a generic "not valid"
/// beside its field.
const EXPLAINED_ERROR_CODES: [&str; 22] = [
    "required",
    "not_a_number",
    "not_a_whole_number",
    "not_a_date",
    "principal_not_positive",
    "principal_too_many_decimals",
    "principal_too_large",
    "rate_negative",
    "rate_above_hundred_percent",
    "rate_too_many_decimals",
    "term_not_positive",
    "term_too_long",
    "grace_negative",
    "grace_not_shorter_than_term",
    "first_due_date_not_after_disbursement",
    "first_due_date_too_late",
    "due_dates_out_of_range",
    "unknown_repayment_method",
    "unknown_day_count",
    "unknown_interest_method",
    "unknown_currency",
    "invalid",
];

/// The form's fields, named as the service names them so its errors land on the right field.
const FIELDS: [&str; 10] = [
    "principal",
    "currency",
    "annual_rate_percent",
    "term_months",
    "method",
    "grace_months",
    "day_count",
    "interest_method",
    "disbursement_date",
    "first_due_date",
];

/// What the visitor typed, kept as text so a refused form comes back exactly as it was.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CalculatorForm {
    pub principal: String,
    pub currency: String,
    pub annual_rate_percent: String,
    pub term_months: String,
    pub method: String,
    pub grace_months: String,
    pub day_count: String,
    pub interest_method: String,
    pub disbursement_date: String,
    pub first_due_date: String,
}

impl CalculatorForm {
    /// A sensible first loan: ten million sum over a year at 24%, paid out today.
    fn example(locale: Locale, today: NaiveDate) -> CalculatorForm {
        let first_due = today.checked_add_months(Months::new(1)).unwrap_or(today);
        CalculatorForm {
            principal: format_number(Decimal::from(10_000_000), 2, locale),
            currency: Currency::Uzs.code().to_owned(),
            annual_rate_percent: "24".to_owned(),
            term_months: "12".to_owned(),
            method: "annuity".to_owned(),
            grace_months: "0".to_owned(),
            day_count: "30/360".to_owned(),
            interest_method: "declining_balance".to_owned(),
            disbursement_date: today.to_string(),
            first_due_date: first_due.to_string(),
        }
    }

    /// Reads the form into a preview request, or says which fields could not be read.
    fn to_request(&self, locale: Locale) -> Result<PreviewRequest, FieldErrors> {
        let mut errors = FieldErrors::default();
        let principal = read_decimal(&self.principal, locale)
            .map_err(|code| errors.add("principal", code))
            .ok();
        let currency = self
            .currency
            .parse::<Currency>()
            .map_err(|_| errors.add("currency", "unknown_currency"))
            .ok();
        let annual_rate_percent = read_decimal(&self.annual_rate_percent, locale)
            .map_err(|code| errors.add("annual_rate_percent", code))
            .ok();
        let term_months = read_whole_number(&self.term_months)
            .map_err(|code| errors.add("term_months", code))
            .ok();
        let grace_months = read_whole_number(&self.grace_months)
            .map_err(|code| errors.add("grace_months", code))
            .ok();
        let disbursement_date = read_date(&self.disbursement_date)
            .map_err(|code| errors.add("disbursement_date", code))
            .ok();
        let first_due_date = read_date(&self.first_due_date)
            .map_err(|code| errors.add("first_due_date", code))
            .ok();
        match (
            principal,
            currency,
            annual_rate_percent,
            term_months,
            grace_months,
            disbursement_date,
            first_due_date,
        ) {
            (
                Some(principal),
                Some(currency),
                Some(annual_rate_percent),
                Some(term_months),
                Some(grace_months),
                Some(disbursement_date),
                Some(first_due_date),
            ) if errors.is_empty() => Ok(PreviewRequest {
                principal,
                currency,
                annual_rate_percent,
                term_months,
                method: self.method.clone(),
                grace_months,
                day_count: self.day_count.clone(),
                // A form from before the calculator offered the choice sends none: it meant
                // the declining balance, which every loan had then.
                interest_method: if self.interest_method.is_empty() {
                    "declining_balance".to_owned()
                } else {
                    self.interest_method.clone()
                },
                disbursement_date,
                first_due_date,
            }),
            _ => Err(errors),
        }
    }
}

fn read_decimal(text: &str, locale: Locale) -> Result<Decimal, &'static str> {
    parse_typed_decimal(text, locale).map_err(|error| match error {
        TypedNumberError::Empty => "required",
        TypedNumberError::NotANumber => "not_a_number",
    })
}

/// The longest whole number read; the service's own limits are far below it.
const WHOLE_NUMBER_MAX_DIGITS: usize = 6;

fn read_whole_number(text: &str) -> Result<i64, &'static str> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("required");
    }
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    if digits.is_empty()
        || digits.len() > WHOLE_NUMBER_MAX_DIGITS
        || !digits.bytes().all(|byte| byte.is_ascii_digit())
    {
        return Err("not_a_whole_number");
    }
    trimmed.parse().map_err(|_| "not_a_whole_number")
}

fn read_date(text: &str) -> Result<NaiveDate, &'static str> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("required");
    }
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").map_err(|_| "not_a_date")
}

/// Refusals by field, as codes; translated when the page renders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors {
    by_field: BTreeMap<String, &'static str>,
}

impl FieldErrors {
    fn add(&mut self, field: &str, code: &str) {
        let code = EXPLAINED_ERROR_CODES
            .into_iter()
            .find(|known| *known == code)
            .unwrap_or("invalid");
        let field = if FIELDS.contains(&field) {
            field
        } else {
            // A field the form does not have still deserves a visible message.
            tracing::warn!(
                field,
                code,
                "the service refused a field the form does not show"
            );
            "form"
        };
        self.by_field.entry(field.to_owned()).or_insert(code);
    }

    fn is_empty(&self) -> bool {
        self.by_field.is_empty()
    }
}

fn error_message_key(code: &str) -> String {
    format!("error-{}", code.replace('_', "-"))
}

/// A translated refusal beside its field.
#[derive(Clone, Debug)]
pub struct FieldMessage {
    pub field: String,
    pub label_key: &'static str,
    pub message: String,
}

/// A choice in a drop-down.
#[derive(Clone, Debug)]
pub struct Choice {
    pub value: &'static str,
    pub label_key: &'static str,
}

/// A schedule row, formatted for the visitor's language.
#[derive(Clone, Debug)]
pub struct RowView {
    pub number: u32,
    pub due_date: String,
    pub principal: String,
    pub interest: String,
    pub total: String,
    pub balance: String,
}

/// The schedule, formatted.
#[derive(Clone, Debug)]
pub struct ScheduleView {
    pub rows: Vec<RowView>,
    pub total_principal: String,
    pub total_interest: String,
    pub total_payable: String,
    pub chart: Chart,
}

impl ScheduleView {
    fn new(preview: &SchedulePreview, currency: Currency, translator: &Translator) -> ScheduleView {
        let locale = translator.locale();
        let money = |amount: Decimal| format_money(amount, currency, translator);
        ScheduleView {
            rows: preview
                .installments
                .iter()
                .map(|installment| RowView {
                    number: installment.number,
                    due_date: format_date(installment.due_date, locale),
                    principal: money(installment.principal),
                    interest: money(installment.interest),
                    total: money(installment.total),
                    balance: money(installment.balance),
                })
                .collect(),
            total_principal: money(preview.total_principal),
            total_interest: money(preview.total_interest),
            total_payable: money(preview.total_payable),
            chart: stacked_bars(
                &preview
                    .installments
                    .iter()
                    .map(|installment| Stack {
                        number: installment.number,
                        principal: installment.principal,
                        interest: installment.interest,
                    })
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "calculator.html")]
struct CalculatorPage {
    t: Translator,
    layout: Layout,
    form: CalculatorForm,
    messages: Vec<FieldMessage>,
    service_unavailable: bool,
    schedule: Option<ScheduleView>,
    currencies: Vec<Choice>,
    methods: Vec<Choice>,
    day_counts: Vec<Choice>,
    interest_methods: Vec<Choice>,
}

impl CalculatorPage {
    fn new(context: &PageContext, form: CalculatorForm) -> CalculatorPage {
        CalculatorPage {
            t: context.translator(),
            layout: context.layout(Section::Calculator),
            form,
            messages: Vec::new(),
            service_unavailable: false,
            schedule: None,
            currencies: vec![
                Choice {
                    value: "UZS",
                    label_key: "currency-uzs",
                },
                Choice {
                    value: "USD",
                    label_key: "currency-usd",
                },
                Choice {
                    value: "EUR",
                    label_key: "currency-eur",
                },
            ],
            methods: vec![
                Choice {
                    value: "annuity",
                    label_key: "method-annuity",
                },
                Choice {
                    value: "equal_principal",
                    label_key: "method-equal-principal",
                },
            ],
            day_counts: vec![
                Choice {
                    value: "30/360",
                    label_key: "day-count-thirty-360",
                },
                Choice {
                    value: "actual/365",
                    label_key: "day-count-actual-365",
                },
                Choice {
                    value: "actual/actual-isda",
                    label_key: "day-count-actual-actual-isda",
                },
            ],
            interest_methods: vec![
                Choice {
                    value: "declining_balance",
                    label_key: "interest-method-declining-balance",
                },
                Choice {
                    value: "flat",
                    label_key: "interest-method-flat",
                },
            ],
        }
    }

    fn with_errors(mut self, errors: &FieldErrors) -> CalculatorPage {
        let locale = self.t.locale();
        self.messages = errors
            .by_field
            .iter()
            .map(|(field, code)| {
                let key = error_message_key(code);
                let key = if catalogues().message_ids(locale).contains(&key) {
                    key
                } else {
                    error_message_key("invalid")
                };
                FieldMessage {
                    field: field.clone(),
                    label_key: label_key(field),
                    message: self.t.t(&key),
                }
            })
            .collect();
        self
    }

    /// The refusal shown beside `field`, if any; the template asks for each field.
    fn error(&self, field: &str) -> Option<&str> {
        self.messages
            .iter()
            .find(|message| message.field == field)
            .map(|message| message.message.as_str())
    }
}

fn label_key(field: &str) -> &'static str {
    match field {
        "principal" => "field-principal",
        "currency" => "field-currency",
        "annual_rate_percent" => "field-annual-rate",
        "term_months" => "field-term-months",
        "method" => "field-method",
        "grace_months" => "field-grace-months",
        "day_count" => "field-day-count",
        "interest_method" => "field-interest-method",
        "disbursement_date" => "field-disbursement-date",
        "first_due_date" => "field-first-due-date",
        _ => "calculator-title",
    }
}

/// The empty calculator, filled with an example loan.
pub async fn show(State(state): State<AppState>, context: PageContext) -> Response {
    let form = CalculatorForm::example(context.locale, state.calendar.today());
    render(StatusCode::OK, &CalculatorPage::new(&context, form))
}

/// Computes the schedule for the posted terms.
pub async fn calculate(
    State(state): State<AppState>,
    context: PageContext,
    Form(form): Form<CalculatorForm>,
) -> Response {
    let request = match form.to_request(context.locale) {
        Ok(request) => request,
        Err(errors) => {
            let page = CalculatorPage::new(&context, form).with_errors(&errors);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    match state.disbursement.preview_schedule(&request).await {
        Ok(preview) => {
            let mut page = CalculatorPage::new(&context, form);
            page.schedule = Some(ScheduleView::new(&preview, request.currency, &page.t));
            render(StatusCode::OK, &page)
        }
        Err(PreviewError::Invalid(refusals)) => {
            let mut errors = FieldErrors::default();
            for refusal in &refusals {
                errors.add(&refusal.field, &refusal.code);
            }
            if errors.is_empty() {
                errors.add("form", "invalid");
            }
            let page = CalculatorPage::new(&context, form).with_errors(&errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(PreviewError::Unavailable(reason)) => {
            tracing::warn!(%reason, "schedule preview failed");
            let mut page = CalculatorPage::new(&context, form);
            page.service_unavailable = true;
            render(StatusCode::SERVICE_UNAVAILABLE, &page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled_form() -> CalculatorForm {
        CalculatorForm {
            principal: "1 250 000,00".to_owned(),
            currency: "UZS".to_owned(),
            annual_rate_percent: "9,4822".to_owned(),
            term_months: "6".to_owned(),
            method: "annuity".to_owned(),
            grace_months: "0".to_owned(),
            day_count: "30/360".to_owned(),
            interest_method: "declining_balance".to_owned(),
            disbursement_date: "2024-01-01".to_owned(),
            first_due_date: "2024-02-01".to_owned(),
        }
    }

    #[test]
    fn a_well_filled_form_becomes_a_preview_request() {
        let request = filled_form().to_request(Locale::UzLatn).unwrap();
        assert_eq!(request.principal, Decimal::new(125_000_000, 2));
        assert_eq!(request.annual_rate_percent, Decimal::new(94822, 4));
        assert_eq!(request.term_months, 6);
        assert_eq!(request.currency, Currency::Uzs);
    }

    #[test]
    fn every_unreadable_field_is_named_at_once() {
        let form = CalculatorForm {
            principal: "lots".to_owned(),
            currency: "XYZ".to_owned(),
            term_months: "6.5".to_owned(),
            grace_months: String::new(),
            first_due_date: "01.02.2024".to_owned(),
            ..filled_form()
        };
        let errors = form.to_request(Locale::En).unwrap_err();
        let expected: BTreeMap<String, &str> = [
            ("principal", "not_a_number"),
            ("currency", "unknown_currency"),
            ("term_months", "not_a_whole_number"),
            ("grace_months", "required"),
            ("first_due_date", "not_a_date"),
        ]
        .into_iter()
        .map(|(field, code)| (field.to_owned(), code))
        .collect();
        assert_eq!(errors.by_field, expected);
    }

    #[test]
    fn negative_whole_numbers_are_passed_on_for_the_service_to_judge() {
        assert_eq!(read_whole_number("-3"), Ok(-3));
        assert_eq!(read_whole_number("9999999"), Err("not_a_whole_number"));
        assert_eq!(read_whole_number("-"), Err("not_a_whole_number"));
    }

    #[test]
    fn every_explained_code_has_a_message_in_every_language() {
        for locale in Locale::ALL {
            for code in EXPLAINED_ERROR_CODES {
                let key = error_message_key(code);
                assert!(
                    catalogues().message_ids(locale).contains(&key),
                    "{} lacks {key}",
                    locale.code()
                );
            }
        }
    }

    #[test]
    fn unknown_codes_and_fields_still_produce_a_visible_message() {
        let mut errors = FieldErrors::default();
        errors.add("principal", "some_new_rule");
        errors.add("collateral", "required");
        assert_eq!(errors.by_field.get("principal"), Some(&"invalid"));
        assert_eq!(errors.by_field.get("form"), Some(&"required"));
    }

    #[test]
    fn every_drop_down_choice_has_a_label_in_every_language() {
        let page = CalculatorPage::new(
            &PageContext::anonymous(Locale::En),
            CalculatorForm::default(),
        );
        let choices = page
            .currencies
            .iter()
            .chain(&page.methods)
            .chain(&page.day_counts)
            .chain(&page.interest_methods);
        for choice in choices {
            for locale in Locale::ALL {
                assert!(catalogues().message_ids(locale).contains(choice.label_key));
            }
        }
    }

    #[test]
    fn every_field_has_a_label_in_every_language() {
        for locale in Locale::ALL {
            for field in FIELDS {
                assert!(catalogues().message_ids(locale).contains(label_key(field)));
            }
        }
    }
}
