//! The JSON shape of a programme, and its parsing into the domain's checked `Programme`.
//!
//! The same shape is what an administrator posts and what the database keeps for the texts,
//! rules, form and rubric, so a stored programme is read back through the very checks that
//! admitted it.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use imkon_platform::money::{parse_decimal_literal, Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::domain::budget::Budget;
use crate::domain::form::{
    ApplicationForm, ChoiceOption, Key, Question, QuestionKind, MAX_QUESTIONS,
};
use crate::domain::programme::{
    ArrangementFee, DayCount, EligibilityRules, FeeCharge, FeeCollection, GrantTerms,
    InterestMethod, LoanTerms, Percent, Programme, ProgrammeSpec, ProgrammeTerms, RateRange,
    RepaymentMethod, MAX_TERM_MONTHS,
};
use crate::domain::review::{Criterion, Rubric, MAX_CRITERIA};
use crate::domain::text::LocalizedText;
use crate::error::ApiError;

/// The domain's limits on a form's questions and a rubric's criteria, as the `u64` the
/// validator's length limits take.
const MAX_QUESTIONS_IN_FORM: u64 = MAX_QUESTIONS as u64;
const MAX_CRITERIA_IN_RUBRIC: u64 = MAX_CRITERIA as u64;

/// A text in the four languages of the web UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LocalizedTextDto {
    #[serde(rename = "uz-Latn")]
    pub uz_latn: String,
    #[serde(rename = "uz-Cyrl")]
    pub uz_cyrl: String,
    pub ru: String,
    pub en: String,
}

impl LocalizedTextDto {
    pub fn parse(&self, field: &str) -> Result<LocalizedText, ApiError> {
        LocalizedText::new(field, &self.uz_latn, &self.uz_cyrl, &self.ru, &self.en)
            .map_err(|error| ApiError::refused(&error, field))
    }
}

/// Who may apply; each rule is off when absent or false.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EligibilityDto {
    #[serde(default)]
    pub min_company_age_months: Option<u32>,
    #[serde(default)]
    pub max_company_age_months: Option<u32>,
    #[serde(default)]
    pub it_park_residency_required: bool,
    #[serde(default)]
    pub kyc_approval_required: bool,
    /// For youth programmes: every founder at most this old, in full years.
    #[serde(default)]
    pub max_founder_age_years: Option<u32>,
    #[serde(default)]
    pub no_overdue_loan_required: bool,
}

/// One offered option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChoiceOptionDto {
    pub value: String,
    pub label: LocalizedTextDto,
}

/// One question of the application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuestionDto {
    /// Lowercase letters, digits and underscores; also the scorecard input name it feeds.
    pub key: String,
    pub label: LocalizedTextDto,
    /// `text`, `number`, `money` (in the programme's currency), `date`, `choice` or `file`.
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    /// Text questions: the longest answer, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length_chars: Option<u32>,
    /// Number questions: the smallest and largest answers, as decimal strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// Choice questions: the offered options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<ChoiceOptionDto>>,
}

/// One criterion of the review rubric, scored 0 to 5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CriterionDto {
    pub key: String,
    pub label: LocalizedTextDto,
    /// A positive decimal string such as "2".
    pub weight: String,
}

/// A programme as an administrator defines it. Its counts and term bounds are declared here
/// for `ValidatedJson` and the OpenAPI schema, with the codes the domain gives the same limits
/// (the domain keeps them too, for programmes read back from the database); everything that
/// needs the programme as a whole, such as a minimum above its maximum, is the domain's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Validate)]
pub struct ProgrammeInput {
    /// `grant` or `loan`.
    pub kind: String,
    pub name: LocalizedTextDto,
    pub description: LocalizedTextDto,
    /// `UZS`, `USD` or `EUR`.
    pub currency: String,
    pub total_budget: String,
    pub min_amount: String,
    pub max_amount: String,
    #[validate(range(min = 1, code = "not_positive"))]
    #[schema(minimum = 1)]
    pub min_term_months: u32,
    #[validate(range(max = MAX_TERM_MONTHS, code = "term_too_long"))]
    #[schema(maximum = 360)]
    pub max_term_months: u32,
    /// Loans: the range the decision picks the annual rate from, in percent.
    #[serde(default)]
    pub annual_rate_min_percent: Option<String>,
    #[serde(default)]
    pub annual_rate_max_percent: Option<String>,
    /// Loans: `annuity` or `equal_principal` (differentiated).
    #[serde(default)]
    pub repayment_method: Option<String>,
    /// Loans: how the contracts count interest days, `30/360` (the default), `actual/365` or
    /// `actual/actual-isda`.
    #[serde(default)]
    #[schema(example = "actual/365")]
    pub day_count: Option<String>,
    /// Loans: what each period's interest is charged on, `declining_balance` (the default) or
    /// `flat` (the principal a schedule starts from).
    #[serde(default)]
    #[schema(example = "flat")]
    pub interest_method: Option<String>,
    /// Loans: the longest grace on principal a decision may grant.
    #[serde(default)]
    pub max_grace_months: Option<u32>,
    /// Loans: an arrangement fee of this fixed amount in the programme's currency, below
    /// `min_amount`; at most one of this and `arrangement_fee_percent`, neither for no fee.
    #[serde(default)]
    #[schema(example = "250000.00")]
    pub arrangement_fee_fixed: Option<String>,
    /// Loans: an arrangement fee of this percent of each loan's principal, above 0 and below
    /// 100.
    #[serde(default)]
    #[schema(example = "1.5")]
    pub arrangement_fee_percent: Option<String>,
    /// Loans with a fee: `deducted` from the first payout (the default) or `upfront`, paid from
    /// the founder's current account when they sign.
    #[serde(default)]
    #[schema(example = "deducted")]
    pub arrangement_fee_collection: Option<String>,
    /// Loans: a late-payment charge of this fixed amount in the programme's currency, added to
    /// the penalty owed once for each instalment that falls overdue; none when absent.
    #[serde(default)]
    #[schema(example = "50000.00")]
    pub late_charge_fixed: Option<String>,
    /// Loans: the annual penalty rate on overdue amounts, passed on to the contract.
    #[serde(default)]
    pub penalty_rate_percent: Option<String>,
    /// Grants: the largest share of the project cost a grant may cover, in percent.
    #[serde(default)]
    pub co_funding_cap_percent: Option<String>,
    pub opens_on: NaiveDate,
    /// The last day applications are accepted, inclusive.
    pub closes_on: NaiveDate,
    #[serde(default)]
    pub eligibility: EligibilityDto,
    pub scorecard_id: Uuid,
    /// The question keys whose answers screening sends to the scorecard, under the same names.
    #[serde(default)]
    pub scoring_inputs: Vec<String>,
    #[validate(length(max = MAX_QUESTIONS_IN_FORM, code = "too_many_questions"))]
    #[schema(max_items = 200)]
    pub questions: Vec<QuestionDto>,
    #[validate(length(min = 1, max = MAX_CRITERIA_IN_RUBRIC, code = "criteria_count_out_of_range"))]
    #[schema(min_items = 1, max_items = 50)]
    pub rubric: Vec<CriterionDto>,
}

/// A parsed programme with what the domain does not model but the service passes on.
#[derive(Debug, Clone)]
pub struct ParsedProgramme {
    pub programme: Programme,
    pub penalty_rate: Option<Percent>,
    pub scoring_inputs: Vec<String>,
}

fn decimal(field: &str, text: &str) -> Result<Decimal, ApiError> {
    parse_decimal_literal(text)
        .map_err(|error| ApiError::field(field, "invalid_number", error.to_string()))
}

fn money(field: &str, text: &str, currency: Currency) -> Result<Money, ApiError> {
    Money::parse(text, currency)
        .map_err(|error| ApiError::field(field, "invalid_amount", error.to_string()))
}

fn percent(field: &'static str, text: &str) -> Result<Percent, ApiError> {
    Percent::new(field, decimal(field, text)?).map_err(|error| ApiError::refused(&error, field))
}

fn key(field: &str, text: &str) -> Result<Key, ApiError> {
    Key::parse(field, text).map_err(|error| ApiError::refused(&error, field))
}

fn required<'a, T>(field: &str, value: &'a Option<T>) -> Result<&'a T, ApiError> {
    value
        .as_ref()
        .ok_or_else(|| ApiError::field(field, "required", "is required for this kind"))
}

fn not_applicable<T>(field: &str, value: &Option<T>, kind: &str) -> Result<(), ApiError> {
    match value {
        Some(_) => Err(ApiError::field(
            field,
            "not_applicable",
            format!("a {kind} programme has no {field}"),
        )),
        None => Ok(()),
    }
}

impl QuestionDto {
    fn parse(&self, index: usize, currency: Currency) -> Result<Question, ApiError> {
        let field = format!("questions[{index}]");
        let key = key(&format!("{field}.key"), &self.key)?;
        let label = self.label.parse(&format!("{field}.label"))?;
        let kind = match self.kind.as_str() {
            "text" => QuestionKind::Text {
                max_length_chars: *required(
                    &format!("{field}.max_length_chars"),
                    &self.max_length_chars,
                )?,
            },
            "number" => QuestionKind::Number {
                min: decimal(
                    &format!("{field}.min"),
                    required(&format!("{field}.min"), &self.min)?,
                )?,
                max: decimal(
                    &format!("{field}.max"),
                    required(&format!("{field}.max"), &self.max)?,
                )?,
            },
            "money" => QuestionKind::Money { currency },
            "date" => QuestionKind::Date,
            "file" => QuestionKind::File,
            "choice" => {
                let options = required(&format!("{field}.options"), &self.options)?;
                let mut parsed = Vec::with_capacity(options.len());
                for (option_index, option) in options.iter().enumerate() {
                    let option_field = format!("{field}.options[{option_index}]");
                    parsed.push(ChoiceOption {
                        value: Key::parse(&format!("{option_field}.value"), &option.value)
                            .map_err(|error| ApiError::refused(&error, &option_field))?,
                        label: option.label.parse(&format!("{option_field}.label"))?,
                    });
                }
                QuestionKind::Choice { options: parsed }
            }
            _ => {
                return Err(ApiError::field(
                    format!("{field}.kind"),
                    "invalid_question_kind",
                    "must be one of text, number, money, date, choice, file",
                ))
            }
        };
        Ok(Question {
            key,
            label,
            kind,
            required: self.required,
        })
    }
}

impl ProgrammeInput {
    /// A loan programme's arrangement fee: a fixed amount or a percent, never both, and how it
    /// is collected (only with a fee).
    fn arrangement_fee(&self, currency: Currency) -> Result<Option<ArrangementFee>, ApiError> {
        let charge = match (&self.arrangement_fee_fixed, &self.arrangement_fee_percent) {
            (None, None) => {
                return match self.arrangement_fee_collection {
                    Some(_) => Err(ApiError::field(
                        "arrangement_fee_collection",
                        "not_applicable",
                        "a programme without an arrangement fee collects none",
                    )),
                    None => Ok(None),
                }
            }
            (Some(fixed), None) => {
                FeeCharge::Fixed(money("arrangement_fee_fixed", fixed, currency)?)
            }
            (None, Some(share)) => FeeCharge::Percent(percent("arrangement_fee_percent", share)?),
            (Some(_), Some(_)) => {
                return Err(ApiError::field(
                    "arrangement_fee_percent",
                    "fee_fixed_and_percent",
                    "an arrangement fee is a fixed amount or a percent, not both",
                ))
            }
        };
        let collection = match self.arrangement_fee_collection.as_deref() {
            None => FeeCollection::Deducted,
            Some(text) => FeeCollection::parse(text).ok_or_else(|| {
                ApiError::field(
                    "arrangement_fee_collection",
                    "invalid_fee_collection",
                    "must be deducted or upfront",
                )
            })?,
        };
        Ok(Some(ArrangementFee { charge, collection }))
    }

    /// Checks everything, naming the first field at fault.
    pub fn parse(&self) -> Result<ParsedProgramme, ApiError> {
        let currency: Currency =
            self.currency
                .parse()
                .map_err(|error: imkon_platform::money::MoneyError| {
                    ApiError::field("currency", "unknown_currency", error.to_string())
                })?;
        let total = money("total_budget", &self.total_budget, currency)?;
        let budget = Budget::new(total, Money::zero(currency))
            .map_err(|error| ApiError::refused(&error, "total_budget"))?;
        let terms = match self.kind.as_str() {
            "loan" => {
                not_applicable(
                    "co_funding_cap_percent",
                    &self.co_funding_cap_percent,
                    "loan",
                )?;
                let min = percent(
                    "annual_rate_min_percent",
                    required("annual_rate_min_percent", &self.annual_rate_min_percent)?,
                )?;
                let max = percent(
                    "annual_rate_max_percent",
                    required("annual_rate_max_percent", &self.annual_rate_max_percent)?,
                )?;
                let annual_rate = RateRange::new(min, max)
                    .map_err(|error| ApiError::refused(&error, "annual_rate_max_percent"))?;
                let repayment_method =
                    match required("repayment_method", &self.repayment_method)?.as_str() {
                        "annuity" => RepaymentMethod::Annuity,
                        "equal_principal" => RepaymentMethod::EqualPrincipal,
                        _ => {
                            return Err(ApiError::field(
                                "repayment_method",
                                "invalid_repayment_method",
                                "must be annuity or equal_principal",
                            ))
                        }
                    };
                let day_count = match self.day_count.as_deref() {
                    None => DayCount::Thirty360,
                    Some(text) => DayCount::parse(text).ok_or_else(|| {
                        ApiError::field(
                            "day_count",
                            "invalid_day_count",
                            "must be 30/360, actual/365 or actual/actual-isda",
                        )
                    })?,
                };
                let interest_method = match self.interest_method.as_deref() {
                    None => InterestMethod::DecliningBalance,
                    Some(text) => InterestMethod::parse(text).ok_or_else(|| {
                        ApiError::field(
                            "interest_method",
                            "invalid_interest_method",
                            "must be declining_balance or flat",
                        )
                    })?,
                };
                ProgrammeTerms::Loan(LoanTerms {
                    annual_rate,
                    repayment_method,
                    day_count,
                    interest_method,
                    max_grace_months: *required("max_grace_months", &self.max_grace_months)?,
                    arrangement_fee: self.arrangement_fee(currency)?,
                    late_charge: self
                        .late_charge_fixed
                        .as_deref()
                        .map(|text| money("late_charge_fixed", text, currency))
                        .transpose()?,
                })
            }
            "grant" => {
                not_applicable(
                    "annual_rate_min_percent",
                    &self.annual_rate_min_percent,
                    "grant",
                )?;
                not_applicable(
                    "annual_rate_max_percent",
                    &self.annual_rate_max_percent,
                    "grant",
                )?;
                not_applicable("repayment_method", &self.repayment_method, "grant")?;
                not_applicable("day_count", &self.day_count, "grant")?;
                not_applicable("interest_method", &self.interest_method, "grant")?;
                not_applicable("max_grace_months", &self.max_grace_months, "grant")?;
                not_applicable(
                    "arrangement_fee_fixed",
                    &self.arrangement_fee_fixed,
                    "grant",
                )?;
                not_applicable(
                    "arrangement_fee_percent",
                    &self.arrangement_fee_percent,
                    "grant",
                )?;
                not_applicable(
                    "arrangement_fee_collection",
                    &self.arrangement_fee_collection,
                    "grant",
                )?;
                not_applicable("late_charge_fixed", &self.late_charge_fixed, "grant")?;
                not_applicable("penalty_rate_percent", &self.penalty_rate_percent, "grant")?;
                let co_funding_cap = self
                    .co_funding_cap_percent
                    .as_deref()
                    .map(|text| percent("co_funding_cap_percent", text))
                    .transpose()?;
                ProgrammeTerms::Grant(GrantTerms { co_funding_cap })
            }
            _ => {
                return Err(ApiError::field(
                    "kind",
                    "invalid_kind",
                    "must be grant or loan",
                ))
            }
        };
        let penalty_rate = self
            .penalty_rate_percent
            .as_deref()
            .map(|text| percent("penalty_rate_percent", text))
            .transpose()?;
        let mut questions = Vec::with_capacity(self.questions.len());
        for (index, question) in self.questions.iter().enumerate() {
            questions.push(question.parse(index, currency)?);
        }
        let form = ApplicationForm::new(questions)
            .map_err(|error| ApiError::refused(&error, "questions"))?;
        let mut scoring_inputs = BTreeSet::new();
        for (index, input) in self.scoring_inputs.iter().enumerate() {
            let field = format!("scoring_inputs[{index}]");
            let scorable = form.question(input).is_some_and(|question| {
                !matches!(question.kind, QuestionKind::Date | QuestionKind::File)
            });
            if !scorable {
                return Err(ApiError::field(
                    field,
                    "not_a_scorable_question",
                    "must be the key of a text, number, money or choice question",
                ));
            }
            scoring_inputs.insert(input.clone());
        }
        let mut criteria = Vec::with_capacity(self.rubric.len());
        for (index, criterion) in self.rubric.iter().enumerate() {
            let field = format!("rubric[{index}]");
            criteria.push(Criterion {
                key: key(&format!("{field}.key"), &criterion.key)?,
                label: criterion.label.parse(&format!("{field}.label"))?,
                weight: decimal(&format!("{field}.weight"), &criterion.weight)?,
            });
        }
        let rubric = Rubric::new(criteria).map_err(|error| ApiError::refused(&error, "rubric"))?;
        let eligibility = &self.eligibility;
        let spec = ProgrammeSpec {
            name: self.name.parse("name")?,
            description: self.description.parse("description")?,
            currency,
            budget,
            min_amount: money("min_amount", &self.min_amount, currency)?,
            max_amount: money("max_amount", &self.max_amount, currency)?,
            min_term_months: self.min_term_months,
            max_term_months: self.max_term_months,
            terms,
            opens_on: self.opens_on,
            closes_on: self.closes_on,
            eligibility: EligibilityRules {
                min_company_age_months: eligibility.min_company_age_months,
                max_company_age_months: eligibility.max_company_age_months,
                it_park_residency_required: eligibility.it_park_residency_required,
                kyc_approval_required: eligibility.kyc_approval_required,
                max_founder_age_years: eligibility.max_founder_age_years,
                no_overdue_loan_required: eligibility.no_overdue_loan_required,
            },
            scorecard_id: self.scorecard_id,
            form,
            rubric,
        };
        let programme =
            Programme::new(spec).map_err(|error| ApiError::refused(&error, "programme"))?;
        Ok(ParsedProgramme {
            programme,
            penalty_rate,
            scoring_inputs: scoring_inputs.into_iter().collect(),
        })
    }
}
