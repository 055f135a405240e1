//! A programme's application form: typed questions, and the founder's answers to them.
//!
//! The HTTP layer turns each JSON answer into an [`AnswerValue`] (a JSON string into `Text`, a
//! JSON number into `Number`) and [`ApplicationForm::parse_answers`] checks each against its
//! question's type. Required answers are only demanded on submit
//! ([`ApplicationForm::missing_required`]), so a founder can save a half-filled draft.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use imkon_platform::money::{parse_decimal_literal, Currency, Money, MoneyError};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::text::LocalizedText;
use super::Refusal;

/// The longest key of a question, criterion or choice option, in characters.
pub const MAX_KEY_LENGTH_CHARS: usize = 64;

/// The most questions a form may ask; a limit on everything.
pub const MAX_QUESTIONS: usize = 200;

/// The longest text answer any question may allow, in characters.
pub const MAX_TEXT_ANSWER_LENGTH_CHARS: u32 = 20_000;

/// A stable machine key such as `team_size`: lowercase ASCII letters, digits and underscores,
/// starting with a letter, so it is safe in a dotted field name and as a JSON key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` must be 1 to {MAX_KEY_LENGTH_CHARS} lowercase letters, digits or underscores, starting with a letter")]
pub struct KeyError {
    pub field: String,
}

impl Refusal for KeyError {
    fn code(&self) -> &'static str {
        "invalid_key"
    }

    fn field(&self) -> Option<String> {
        Some(self.field.clone())
    }
}

impl Key {
    /// `field` names the key in errors, such as `questions[3].key`.
    pub fn parse(field: &str, text: &str) -> Result<Key, KeyError> {
        let starts_with_letter = text.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        let well_formed = text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if starts_with_letter && well_formed && text.len() <= MAX_KEY_LENGTH_CHARS {
            Ok(Key(text.to_owned()))
        } else {
            Err(KeyError {
                field: field.to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One option of a choice question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoiceOption {
    pub value: Key,
    pub label: LocalizedText,
}

/// What type of answer a question takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuestionKind {
    Text {
        max_length_chars: u32,
    },
    /// A number between `min` and `max` inclusive, such as a head count.
    Number {
        min: Decimal,
        max: Decimal,
    },
    /// A non-negative amount in `currency`, such as last year's revenue.
    Money {
        currency: Currency,
    },
    Date,
    Choice {
        options: Vec<ChoiceOption>,
    },
    /// The id of a document the founder uploaded; the HTTP layer checks it is theirs.
    File,
}

/// One question of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub key: Key,
    pub label: LocalizedText,
    pub kind: QuestionKind,
    pub required: bool,
}

/// Why a form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("a form asks at most {MAX_QUESTIONS} questions")]
    TooManyQuestions,
    #[error("the question key `{key}` appears twice")]
    DuplicateQuestion { key: String },
    #[error("question `{key}`: a text answer may be 1 to {MAX_TEXT_ANSWER_LENGTH_CHARS} characters long")]
    TextLimitOutOfRange { key: String },
    #[error("question `{key}`: the minimum is greater than the maximum")]
    NumberLimitsInverted { key: String },
    #[error("question `{key}`: a choice needs at least one option")]
    NoOptions { key: String },
    #[error("question `{key}`: the option `{value}` appears twice")]
    DuplicateOption { key: String, value: String },
}

impl Refusal for FormError {
    fn code(&self) -> &'static str {
        match self {
            FormError::TooManyQuestions => "too_many_questions",
            FormError::DuplicateQuestion { .. } => "duplicate_question",
            FormError::TextLimitOutOfRange { .. } => "text_limit_out_of_range",
            FormError::NumberLimitsInverted { .. } => "min_greater_than_max",
            FormError::NoOptions { .. } => "choice_without_options",
            FormError::DuplicateOption { .. } => "duplicate_option",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            FormError::TooManyQuestions => Some("questions".to_owned()),
            FormError::DuplicateQuestion { key } => Some(format!("questions.{key}")),
            FormError::TextLimitOutOfRange { key } => {
                Some(format!("questions.{key}.max_length_chars"))
            }
            FormError::NumberLimitsInverted { key } => Some(format!("questions.{key}.max")),
            FormError::NoOptions { key } | FormError::DuplicateOption { key, .. } => {
                Some(format!("questions.{key}.options"))
            }
        }
    }
}

/// A validated form: unique keys, sensible limits, at least one option per choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationForm {
    questions: Vec<Question>,
}

/// An answer as the HTTP layer read it from JSON, not yet checked against its question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerValue {
    /// A JSON string. Amounts, dates, choices and document ids arrive this way.
    Text(String),
    /// A JSON number, already read exactly into a decimal.
    Number(Decimal),
}

/// An answer checked against its question's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Text(String),
    Number(Decimal),
    Money(Money),
    Date(NaiveDate),
    Choice(Key),
    Document(Uuid),
}

/// A set of answers, each checked against its question. Holding one does not mean every
/// required question is answered: that is checked on submit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answers {
    by_key: BTreeMap<Key, Answer>,
}

impl Answers {
    pub fn get(&self, key: &str) -> Option<&Answer> {
        self.by_key
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, answer)| answer)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Answer)> {
        self.by_key.iter()
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// Why one answer was refused. Every variant names its question key; the field is
/// `answers.<key>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the form has no question `{key}`")]
    UnknownQuestion { key: String },
    #[error("`{key}` expects {expected}")]
    WrongType { key: String, expected: &'static str },
    #[error("`{key}` is longer than {max_length_chars} characters")]
    TooLong { key: String, max_length_chars: u32 },
    #[error("`{key}` must be between {min} and {max}")]
    OutOfRange {
        key: String,
        min: Decimal,
        max: Decimal,
    },
    #[error("`{key}`: {reason}")]
    InvalidAmount { key: String, reason: MoneyError },
    #[error("`{key}` must not be negative")]
    NegativeAmount { key: String },
    #[error("`{key}` is not a date such as 2025-03-31")]
    InvalidDate { key: String },
    #[error("`{key}` is not one of the offered options")]
    InvalidChoice { key: String },
    #[error("`{key}` is not a document id")]
    InvalidDocumentId { key: String },
    #[error("`{key}` is required")]
    Missing { key: String },
}

impl AnswerError {
    pub fn key(&self) -> &str {
        match self {
            AnswerError::UnknownQuestion { key }
            | AnswerError::WrongType { key, .. }
            | AnswerError::TooLong { key, .. }
            | AnswerError::OutOfRange { key, .. }
            | AnswerError::InvalidAmount { key, .. }
            | AnswerError::NegativeAmount { key }
            | AnswerError::InvalidDate { key }
            | AnswerError::InvalidChoice { key }
            | AnswerError::InvalidDocumentId { key }
            | AnswerError::Missing { key } => key,
        }
    }
}

impl Refusal for AnswerError {
    fn code(&self) -> &'static str {
        match self {
            AnswerError::UnknownQuestion { .. } => "unknown_question",
            AnswerError::WrongType { .. } => "wrong_answer_type",
            AnswerError::TooLong { .. } => "answer_too_long",
            AnswerError::OutOfRange { .. } => "answer_out_of_range",
            AnswerError::InvalidAmount { .. } => "invalid_amount",
            AnswerError::NegativeAmount { .. } => "amount_negative",
            AnswerError::InvalidDate { .. } => "invalid_date",
            AnswerError::InvalidChoice { .. } => "invalid_choice",
            AnswerError::InvalidDocumentId { .. } => "invalid_document_id",
            AnswerError::Missing { .. } => "answer_required",
        }
    }

    fn field(&self) -> Option<String> {
        Some(format!("answers.{}", self.key()))
    }
}

impl ApplicationForm {
    pub fn new(questions: Vec<Question>) -> Result<ApplicationForm, FormError> {
        if questions.len() > MAX_QUESTIONS {
            return Err(FormError::TooManyQuestions);
        }
        let mut seen = BTreeSet::new();
        for question in &questions {
            let key = question.key.as_str().to_owned();
            if !seen.insert(question.key.clone()) {
                return Err(FormError::DuplicateQuestion { key });
            }
            match &question.kind {
                QuestionKind::Text { max_length_chars } => {
                    if !(1..=MAX_TEXT_ANSWER_LENGTH_CHARS).contains(max_length_chars) {
                        return Err(FormError::TextLimitOutOfRange { key });
                    }
                }
                QuestionKind::Number { min, max } => {
                    if min > max {
                        return Err(FormError::NumberLimitsInverted { key });
                    }
                }
                QuestionKind::Choice { options } => {
                    if options.is_empty() {
                        return Err(FormError::NoOptions { key });
                    }
                    let mut values = BTreeSet::new();
                    for option in options {
                        if !values.insert(&option.value) {
                            let value = option.value.as_str().to_owned();
                            return Err(FormError::DuplicateOption { key, value });
                        }
                    }
                }
                QuestionKind::Money { .. } | QuestionKind::Date | QuestionKind::File => {}
            }
        }
        Ok(ApplicationForm { questions })
    }

    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions
            .iter()
            .find(|question| question.key.as_str() == key)
    }

    /// Checks every answer against its question and reports every refusal at once, so the
    /// founder fixes the whole page in one go. A blank text counts as no answer: browsers send
    /// empty strings for fields left alone.
    pub fn parse_answers(
        &self,
        values: &BTreeMap<String, AnswerValue>,
    ) -> Result<Answers, Vec<AnswerError>> {
        let mut answers = Answers::default();
        let mut errors = Vec::new();
        for (key, value) in values {
            let Some(question) = self.question(key) else {
                errors.push(AnswerError::UnknownQuestion { key: key.clone() });
                continue;
            };
            if matches!(value, AnswerValue::Text(text) if text.trim().is_empty()) {
                continue;
            }
            match parse_answer(question, value) {
                Ok(answer) => {
                    answers.by_key.insert(question.key.clone(), answer);
                }
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(errors)
        }
    }

    /// Every required question without an answer, in form order.
    pub fn missing_required(&self, answers: &Answers) -> Vec<AnswerError> {
        self.questions
            .iter()
            .filter(|question| question.required && !answers.by_key.contains_key(&question.key))
            .map(|question| AnswerError::Missing {
                key: question.key.as_str().to_owned(),
            })
            .collect()
    }
}

fn parse_answer(question: &Question, value: &AnswerValue) -> Result<Answer, AnswerError> {
    let key = || question.key.as_str().to_owned();
    let wrong_type = |expected| AnswerError::WrongType {
        key: key(),
        expected,
    };
    match (&question.kind, value) {
        (QuestionKind::Text { max_length_chars }, AnswerValue::Text(text)) => {
            let text = text.trim();
            if text.chars().count() > *max_length_chars as usize {
                return Err(AnswerError::TooLong {
                    key: key(),
                    max_length_chars: *max_length_chars,
                });
            }
            Ok(Answer::Text(text.to_owned()))
        }
        (QuestionKind::Text { .. }, AnswerValue::Number(_)) => Err(wrong_type("text")),
        (QuestionKind::Number { min, max }, value) => {
            let number = match value {
                AnswerValue::Number(number) => *number,
                AnswerValue::Text(text) => {
                    parse_decimal_literal(text.trim()).map_err(|_| wrong_type("a number"))?
                }
            };
            if number < *min || number > *max {
                return Err(AnswerError::OutOfRange {
                    key: key(),
                    min: *min,
                    max: *max,
                });
            }
            Ok(Answer::Number(number))
        }
        (QuestionKind::Money { currency }, AnswerValue::Text(text)) => {
            let money = Money::parse(text.trim(), *currency)
                .map_err(|reason| AnswerError::InvalidAmount { key: key(), reason })?;
            if money.is_negative() {
                return Err(AnswerError::NegativeAmount { key: key() });
            }
            Ok(Answer::Money(money))
        }
        // Amounts travel as strings so that no client rounds them through a binary float.
        (QuestionKind::Money { .. }, AnswerValue::Number(_)) => {
            Err(wrong_type("an amount as a string such as \"1250.00\""))
        }
        (QuestionKind::Date, AnswerValue::Text(text)) => {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map(Answer::Date)
                .map_err(|_| AnswerError::InvalidDate { key: key() })
        }
        (QuestionKind::Date, AnswerValue::Number(_)) => {
            Err(AnswerError::InvalidDate { key: key() })
        }
        (QuestionKind::Choice { options }, AnswerValue::Text(text)) => options
            .iter()
            .find(|option| option.value.as_str() == text.trim())
            .map(|option| Answer::Choice(option.value.clone()))
            .ok_or_else(|| AnswerError::InvalidChoice { key: key() }),
        (QuestionKind::Choice { .. }, AnswerValue::Number(_)) => {
            Err(AnswerError::InvalidChoice { key: key() })
        }
        (QuestionKind::File, AnswerValue::Text(text)) => Uuid::parse_str(text.trim())
            .map(Answer::Document)
            .map_err(|_| AnswerError::InvalidDocumentId { key: key() }),
        (QuestionKind::File, AnswerValue::Number(_)) => {
            Err(AnswerError::InvalidDocumentId { key: key() })
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    pub(crate) fn label(text: &str) -> LocalizedText {
        LocalizedText::new("label", text, text, text, text).unwrap()
    }

    pub(crate) fn key(text: &str) -> Key {
        Key::parse("key", text).unwrap()
    }

    pub(crate) fn question(name: &str, kind: QuestionKind, required: bool) -> Question {
        Question {
            key: key(name),
            label: label(name),
            kind,
            required,
        }
    }

    /// A form with one question of every kind; `pitch` and `team_size` are required.
    pub(crate) fn sample_form() -> ApplicationForm {
        ApplicationForm::new(vec![
            question(
                "pitch",
                QuestionKind::Text {
                    max_length_chars: 10,
                },
                true,
            ),
            question(
                "team_size",
                QuestionKind::Number {
                    min: dec!(1),
                    max: dec!(500),
                },
                true,
            ),
            question(
                "revenue_last_year",
                QuestionKind::Money {
                    currency: Currency::Uzs,
                },
                false,
            ),
            question("founded_on", QuestionKind::Date, false),
            question(
                "sector",
                QuestionKind::Choice {
                    options: vec![
                        ChoiceOption {
                            value: key("fintech"),
                            label: label("Fintech"),
                        },
                        ChoiceOption {
                            value: key("edtech"),
                            label: label("Edtech"),
                        },
                    ],
                },
                false,
            ),
            question("business_plan", QuestionKind::File, false),
        ])
        .unwrap()
    }

    fn values(pairs: &[(&str, AnswerValue)]) -> BTreeMap<String, AnswerValue> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.clone()))
            .collect()
    }

    fn text(value: &str) -> AnswerValue {
        AnswerValue::Text(value.to_owned())
    }

    fn single_error(pairs: &[(&str, AnswerValue)]) -> AnswerError {
        let mut errors = sample_form().parse_answers(&values(pairs)).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.remove(0)
    }

    #[test]
    fn well_typed_answers_are_parsed() {
        let answers = sample_form()
            .parse_answers(&values(&[
                ("pitch", text(" AI tutor ")),
                ("team_size", AnswerValue::Number(dec!(4))),
                ("revenue_last_year", text("1250.50")),
                ("founded_on", text("2024-02-29")),
                ("sector", text("edtech")),
                (
                    "business_plan",
                    text("0190a0b2-7c1e-7d3a-9f00-1a2b3c4d5e6f"),
                ),
            ]))
            .unwrap();
        assert_eq!(answers.len(), 6);
        assert_eq!(
            answers.get("pitch"),
            Some(&Answer::Text("AI tutor".to_owned()))
        );
        assert_eq!(answers.get("team_size"), Some(&Answer::Number(dec!(4))));
        assert_eq!(
            answers.get("revenue_last_year"),
            Some(&Answer::Money(
                Money::new(dec!(1250.50), Currency::Uzs).unwrap()
            ))
        );
        assert_eq!(answers.get("sector"), Some(&Answer::Choice(key("edtech"))));
    }

    #[test]
    fn a_number_may_arrive_as_a_string() {
        let answers = sample_form()
            .parse_answers(&values(&[("team_size", text("12"))]))
            .unwrap();
        assert_eq!(answers.get("team_size"), Some(&Answer::Number(dec!(12))));
    }

    #[test]
    fn an_unknown_question_is_refused() {
        let error = single_error(&[("favourite_colour", text("blue"))]);
        assert_eq!(error.code(), "unknown_question");
        assert_eq!(error.field().as_deref(), Some("answers.favourite_colour"));
    }

    #[test]
    fn a_number_for_a_text_question_is_refused() {
        let error = single_error(&[("pitch", AnswerValue::Number(dec!(3)))]);
        assert_eq!(error.code(), "wrong_answer_type");
        assert_eq!(error.field().as_deref(), Some("answers.pitch"));
    }

    #[test]
    fn an_overlong_text_is_refused() {
        let error = single_error(&[("pitch", text("ĸ".repeat(11).as_str()))]);
        assert_eq!(
            error,
            AnswerError::TooLong {
                key: "pitch".to_owned(),
                max_length_chars: 10
            }
        );
        assert!(sample_form()
            .parse_answers(&values(&[("pitch", text("ĸ".repeat(10).as_str()))]))
            .is_ok());
    }

    #[test]
    fn a_number_outside_its_limits_is_refused() {
        let error = single_error(&[("team_size", AnswerValue::Number(dec!(501)))]);
        assert_eq!(error.code(), "answer_out_of_range");
        assert_eq!(error.field().as_deref(), Some("answers.team_size"));
        assert_eq!(
            single_error(&[("team_size", text("many"))]).code(),
            "wrong_answer_type"
        );
    }

    #[test]
    fn a_money_answer_with_three_decimals_is_refused() {
        let error = single_error(&[("revenue_last_year", text("10.005"))]);
        assert_eq!(error.code(), "invalid_amount");
        assert_eq!(error.field().as_deref(), Some("answers.revenue_last_year"));
    }

    #[test]
    fn a_negative_money_answer_is_refused() {
        let error = single_error(&[("revenue_last_year", text("-5.00"))]);
        assert_eq!(error.code(), "amount_negative");
    }

    #[test]
    fn a_money_answer_as_a_json_number_is_refused() {
        let error = single_error(&[("revenue_last_year", AnswerValue::Number(dec!(5)))]);
        assert_eq!(error.code(), "wrong_answer_type");
    }

    #[test]
    fn an_impossible_date_is_refused() {
        assert_eq!(
            single_error(&[("founded_on", text("2023-02-29"))]).code(),
            "invalid_date"
        );
    }

    #[test]
    fn an_option_not_offered_is_refused() {
        assert_eq!(
            single_error(&[("sector", text("agritech"))]).code(),
            "invalid_choice"
        );
    }

    #[test]
    fn a_file_answer_must_be_a_document_id() {
        let error = single_error(&[("business_plan", text("plan.pdf"))]);
        assert_eq!(error.code(), "invalid_document_id");
    }

    #[test]
    fn every_bad_answer_is_reported_at_once() {
        let errors = sample_form()
            .parse_answers(&values(&[("sector", text("x")), ("team_size", text("0"))]))
            .unwrap_err();
        let fields: Vec<_> = errors.iter().filter_map(|error| error.field()).collect();
        assert_eq!(fields, ["answers.sector", "answers.team_size"]);
    }

    #[test]
    fn missing_required_answers_are_all_listed_and_blank_counts_as_missing() {
        let form = sample_form();
        let answers = form
            .parse_answers(&values(&[("pitch", text("   "))]))
            .unwrap();
        let missing: Vec<_> = form
            .missing_required(&answers)
            .iter()
            .map(|e| e.field())
            .collect();
        assert_eq!(
            missing,
            [
                Some("answers.pitch".to_owned()),
                Some("answers.team_size".to_owned())
            ]
        );
        assert!(form
            .missing_required(&answers)
            .iter()
            .all(|e| e.code() == "answer_required"));
    }

    #[test]
    fn keys_are_lowercase_identifiers() {
        assert!(Key::parse("key", "team_size_2").is_ok());
        for bad in [
            "",
            "Team",
            "2team",
            "team-size",
            "team.size",
            &"a".repeat(65),
        ] {
            let error = Key::parse("questions[0].key", bad).unwrap_err();
            assert_eq!(
                error.field().as_deref(),
                Some("questions[0].key"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_duplicate_question_key_is_refused() {
        let text_kind = QuestionKind::Text {
            max_length_chars: 5,
        };
        let error = ApplicationForm::new(vec![
            question("pitch", text_kind.clone(), true),
            question("pitch", text_kind, false),
        ])
        .unwrap_err();
        assert_eq!(error.code(), "duplicate_question");
        assert_eq!(error.field().as_deref(), Some("questions.pitch"));
    }

    #[test]
    fn inverted_number_limits_are_refused() {
        let kind = QuestionKind::Number {
            min: dec!(5),
            max: dec!(1),
        };
        let error = ApplicationForm::new(vec![question("team_size", kind, true)]).unwrap_err();
        assert_eq!(error.code(), "min_greater_than_max");
        assert_eq!(error.field().as_deref(), Some("questions.team_size.max"));
    }

    #[test]
    fn a_text_limit_of_zero_is_refused() {
        let kind = QuestionKind::Text {
            max_length_chars: 0,
        };
        let error = ApplicationForm::new(vec![question("pitch", kind, true)]).unwrap_err();
        assert_eq!(error.code(), "text_limit_out_of_range");
    }

    #[test]
    fn a_choice_needs_distinct_options() {
        let none = QuestionKind::Choice { options: vec![] };
        let error = ApplicationForm::new(vec![question("sector", none, true)]).unwrap_err();
        assert_eq!(error.code(), "choice_without_options");
        let twice = QuestionKind::Choice {
            options: vec![
                ChoiceOption {
                    value: key("a"),
                    label: label("A"),
                },
                ChoiceOption {
                    value: key("a"),
                    label: label("A again"),
                },
            ],
        };
        let error = ApplicationForm::new(vec![question("sector", twice, true)]).unwrap_err();
        assert_eq!(error.code(), "duplicate_option");
    }
}
