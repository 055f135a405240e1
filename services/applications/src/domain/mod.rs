//! The applications domain: types and rules, no I/O.
//!
//! A funding programme (grant or loan) states its limits, eligibility rules, form and review
//! rubric; a founder's application moves through a fixed state machine, is reviewed against the
//! rubric and is decided by two different officers. Every refusal is a distinct error value
//! implementing [`Refusal`], so the HTTP layer can answer with a stable code and the field at
//! fault without knowing the rules.

pub mod actor;
pub mod budget;
pub mod decision;
pub mod form;
pub mod notice;
pub mod programme;
pub mod review;
pub mod security_document;
pub mod state;
pub mod submission;
pub mod text;
pub mod timeline;

/// What every refusal in this domain tells its caller: a stable machine-readable code and, when
/// one field is at fault, that field's name (dotted for nested fields, such as
/// `answers.team_size`).
pub trait Refusal {
    /// A stable snake_case code such as `amount_out_of_range`; clients branch on it.
    fn code(&self) -> &'static str;

    /// The offending field, or `None` when the refusal is about the request as a whole.
    fn field(&self) -> Option<String>;
}
