//! What every form page shares: the values as typed, and refusals beside their fields in the
//! visitor's language.
//!
//! A refusal's code, from the frontend or a service, is explained by the catalogue message
//! `error-<code>` (underscores as dashes); a code the catalogues do not explain is shown as the
//! generic "not valid", so a new rule in a service still shows a message beside its field. A
//! refusal of the whole request (a problem code) is explained by `problem-<code>`.

use std::collections::BTreeMap;

use crate::clients::api::FieldRefusal;
use crate::web::i18n::{catalogues, Translator};

/// A form as the visitor typed it, with what was refused.
#[derive(Clone, Debug, Default)]
pub struct FormState {
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    /// A message about the whole form rather than one field.
    pub notice: Option<String>,
}

impl FormState {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> FormState {
        FormState {
            values: pairs.into_iter().collect(),
            ..FormState::default()
        }
    }

    /// The value typed into `field`, or empty.
    pub fn value(&self, field: &str) -> &str {
        self.values
            .get(field)
            .map(String::as_str)
            .unwrap_or_default()
    }

    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        self.values.insert(field.to_owned(), value.into());
    }

    /// The message beside `field`, if it was refused.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.notice.is_some()
    }

    /// Every refusal, for the summary at the top of the form.
    pub fn errors(&self) -> impl Iterator<Item = (&String, &String)> {
        self.errors.iter()
    }

    /// Refuses `field` with `code`, explained in the visitor's language. The first refusal of
    /// a field is the one shown.
    pub fn refuse(&mut self, translator: &Translator, field: &str, code: &str) {
        let message = field_message(translator, code);
        self.errors.entry(field.to_owned()).or_insert(message);
    }

    /// Refuses the fields a service named; a field the form does not show is reported under
    /// the whole form so it is never silently lost.
    pub fn refuse_all(
        &mut self,
        translator: &Translator,
        refusals: &[FieldRefusal],
        shown_fields: &[&str],
    ) {
        for refusal in refusals {
            let field = visible_field(&refusal.field, shown_fields);
            match field {
                Some(field) => self.refuse(translator, &field, &refusal.code),
                None => {
                    tracing::info!(
                        field = refusal.field,
                        code = refusal.code,
                        "a refused field the form does not show"
                    );
                    self.notice = Some(field_message(translator, &refusal.code));
                }
            }
        }
    }
}

/// The field of the form a service's field path lands on: `answers.team_size` is the form's
/// `answers.team_size`; `founders[0].share` lands on `founders` when only that is shown.
fn visible_field(path: &str, shown_fields: &[&str]) -> Option<String> {
    if shown_fields.contains(&path) {
        return Some(path.to_owned());
    }
    let stem = path.split(['[', '.']).next().unwrap_or(path);
    shown_fields
        .contains(&stem)
        .then(|| stem.to_owned())
        .or_else(|| shown_fields.is_empty().then(|| path.to_owned()))
}

/// The explanation of a field refusal's code.
pub fn field_message(translator: &Translator, code: &str) -> String {
    let key = format!("error-{}", code.replace('_', "-"));
    translator.t_or(&key, &translator.t("error-invalid"))
}

/// The explanation of a refusal of a whole request by its problem code.
pub fn problem_message(translator: &Translator, code: &str) -> String {
    let key = format!("problem-{}", code.replace('_', "-"));
    translator.t_or(&key, &translator.t("problem-generic"))
}

/// A refusal's code as a page about `context` explains it: some codes (`rate_out_of_range`,
/// `term_out_of_range`) have shared words written for programmes, so a page about something
/// else gives them its own as `error-<context>-<code>` and keeps the shared words for the rest.
pub fn code_in_context(translator: &Translator, context: &str, code: &str) -> String {
    let own = format!("{context}_{code}");
    let key = format!("error-{}", own.replace('_', "-"));
    if catalogues().message_ids(translator.locale()).contains(&key) {
        own
    } else {
        code.to_owned()
    }
}

/// A service's refusals with the codes [`code_in_context`] gives them on a page about
/// `context`.
pub fn refusals_in_context(
    translator: &Translator,
    context: &str,
    refusals: Vec<FieldRefusal>,
) -> Vec<FieldRefusal> {
    refusals
        .into_iter()
        .map(|refusal| FieldRefusal {
            code: code_in_context(translator, context, &refusal.code),
            field: refusal.field,
        })
        .collect()
}

/// A choice of a filter or drop-down, labelled from the catalogue.
pub struct KeyedChoice {
    pub value: &'static str,
    pub label_key: String,
    pub selected: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Locale;

    #[test]
    fn a_refusal_is_explained_beside_its_field_and_unknown_codes_still_say_something() {
        let translator = Translator::new(Locale::En);
        let mut form = FormState::from_pairs(vec![("username".to_owned(), "aziz".to_owned())]);
        form.refuse_all(
            &translator,
            &[
                FieldRefusal {
                    field: "username".to_owned(),
                    code: "required".to_owned(),
                },
                FieldRefusal {
                    field: "answers.team_size".to_owned(),
                    code: "a_rule_added_later".to_owned(),
                },
            ],
            &["username", "answers.team_size"],
        );
        assert_eq!(form.error("username"), Some("Fill in this field."));
        assert_eq!(
            form.error("answers.team_size"),
            Some("This value is not valid.")
        );
        assert_eq!(form.value("username"), "aziz");
        assert!(form.notice.is_none());
    }

    #[test]
    fn a_field_the_form_does_not_show_is_reported_for_the_whole_form() {
        let translator = Translator::new(Locale::Ru);
        let mut form = FormState::default();
        form.refuse_all(
            &translator,
            &[FieldRefusal {
                field: "passport.number".to_owned(),
                code: "required".to_owned(),
            }],
            &["username"],
        );
        assert!(form.notice.is_some());
        assert!(form.has_errors());
        assert_eq!(
            visible_field("founders[0].share", &["founders"]),
            Some("founders".to_owned())
        );
    }

    #[test]
    fn a_page_gives_a_shared_code_its_own_words_where_it_has_them() {
        let translator = Translator::new(Locale::En);
        assert_eq!(
            code_in_context(&translator, "deposit", "rate_out_of_range"),
            "deposit_rate_out_of_range"
        );
        assert_eq!(
            code_in_context(&translator, "deposit", "insufficient_funds"),
            "insufficient_funds"
        );
    }

    #[test]
    fn problems_without_their_own_words_get_the_generic_ones() {
        let translator = Translator::new(Locale::En);
        assert_eq!(
            problem_message(&translator, "no_such_problem"),
            translator.t("problem-generic")
        );
        assert_ne!(
            problem_message(&translator, "four_eyes_violation"),
            translator.t("problem-generic")
        );
    }
}
