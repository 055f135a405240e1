//! Reviews: the rubric a programme scores by, who may review an application, and what a review
//! holds.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use imkon_platform::money::round_half_even;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::form::Key;
use super::text::LocalizedText;
use super::Refusal;

/// The highest score a criterion can get; the lowest is zero.
pub const MAX_SCORE: u8 = 5;

/// The most criteria a rubric may have.
pub const MAX_CRITERIA: usize = 50;

/// The largest weight a criterion may have; weights are relative, and a bound keeps the
/// weighted sum far from decimal overflow.
pub const MAX_WEIGHT: Decimal = Decimal::ONE_THOUSAND;

/// The longest review comment, in characters.
pub const MAX_COMMENT_LENGTH_CHARS: usize = 10_000;

/// One thing reviewers score, with its weight in the total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criterion {
    pub key: Key,
    pub label: LocalizedText,
    /// A positive weight up to [`MAX_WEIGHT`]; weights are relative, so 1, 2, 1 and 25, 50, 25 score alike.
    pub weight: Decimal,
}

/// Why a rubric was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RubricError {
    #[error("a rubric needs 1 to {MAX_CRITERIA} criteria")]
    CriteriaCountOutOfRange,
    #[error("the criterion `{key}` appears twice")]
    DuplicateCriterion { key: String },
    #[error("the weight of `{key}` must be positive and at most {MAX_WEIGHT}")]
    WeightOutOfRange { key: String },
}

impl Refusal for RubricError {
    fn code(&self) -> &'static str {
        match self {
            RubricError::CriteriaCountOutOfRange => "criteria_count_out_of_range",
            RubricError::DuplicateCriterion { .. } => "duplicate_criterion",
            RubricError::WeightOutOfRange { .. } => "weight_out_of_range",
        }
    }

    fn field(&self) -> Option<String> {
        Some(match self {
            RubricError::CriteriaCountOutOfRange => "rubric".to_owned(),
            RubricError::DuplicateCriterion { key } => format!("rubric.{key}"),
            RubricError::WeightOutOfRange { key } => format!("rubric.{key}.weight"),
        })
    }
}

/// A checked rubric: 1 to [`MAX_CRITERIA`] criteria, unique keys, positive weights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rubric {
    criteria: Vec<Criterion>,
}

impl Rubric {
    pub fn new(criteria: Vec<Criterion>) -> Result<Rubric, RubricError> {
        if criteria.is_empty() || criteria.len() > MAX_CRITERIA {
            return Err(RubricError::CriteriaCountOutOfRange);
        }
        let mut seen = BTreeSet::new();
        for criterion in &criteria {
            let key = criterion.key.as_str().to_owned();
            if !seen.insert(&criterion.key) {
                return Err(RubricError::DuplicateCriterion { key });
            }
            if criterion.weight <= Decimal::ZERO || criterion.weight > MAX_WEIGHT {
                return Err(RubricError::WeightOutOfRange { key });
            }
        }
        Ok(Rubric { criteria })
    }

    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    fn total_weight(&self) -> Decimal {
        self.criteria.iter().map(|criterion| criterion.weight).sum()
    }
}

/// What a reviewer recommends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Recommendation {
    Yes,
    Maybe,
    No,
}

impl Recommendation {
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Yes => "yes",
            Recommendation::Maybe => "maybe",
            Recommendation::No => "no",
        }
    }
}

/// Where a reviewer's conflict-of-interest declaration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declaration {
    /// Assigned, not yet declared: the reviewer may not see the application.
    Pending,
    /// Declared no conflict of interest: the reviewer may see and review the application.
    NoConflict { declared_at: DateTime<Utc> },
    /// Declared a conflict: the reviewer is recused and must be replaced.
    Conflict { declared_at: DateTime<Utc> },
}

/// Why an assignment, a declaration or a review was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("the reviewer is one of the applicant's own contacts")]
    ReviewerLinkedToApplicant,
    #[error("the reviewer has not declared whether they have a conflict of interest")]
    DeclarationMissing,
    #[error("the reviewer has already made their declaration")]
    AlreadyDeclared,
    #[error("the reviewer declared a conflict of interest and is recused")]
    ReviewerRecused,
    #[error("`{key}` is not a criterion of this rubric")]
    UnknownCriterion { key: String },
    #[error("`{key}` has not been scored")]
    CriterionNotScored { key: String },
    #[error("`{key}` must be scored from 0 to {MAX_SCORE}")]
    ScoreOutOfRange { key: String },
    #[error("a review needs a comment")]
    CommentMissing,
    #[error("a comment is at most {MAX_COMMENT_LENGTH_CHARS} characters")]
    CommentTooLong,
}

impl Refusal for ReviewError {
    fn code(&self) -> &'static str {
        match self {
            ReviewError::ReviewerLinkedToApplicant => "reviewer_linked_to_applicant",
            ReviewError::DeclarationMissing => "conflict_declaration_missing",
            ReviewError::AlreadyDeclared => "conflict_already_declared",
            ReviewError::ReviewerRecused => "reviewer_recused",
            ReviewError::UnknownCriterion { .. } => "unknown_criterion",
            ReviewError::CriterionNotScored { .. } => "criterion_not_scored",
            ReviewError::ScoreOutOfRange { .. } => "score_out_of_range",
            ReviewError::CommentMissing => "comment_missing",
            ReviewError::CommentTooLong => "comment_too_long",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ReviewError::ReviewerLinkedToApplicant => Some("reviewer_id".to_owned()),
            ReviewError::DeclarationMissing
            | ReviewError::AlreadyDeclared
            | ReviewError::ReviewerRecused => None,
            ReviewError::UnknownCriterion { key }
            | ReviewError::CriterionNotScored { key }
            | ReviewError::ScoreOutOfRange { key } => Some(format!("scores.{key}")),
            ReviewError::CommentMissing | ReviewError::CommentTooLong => Some("comment".to_owned()),
        }
    }
}

/// A reviewer assigned to one application, and their conflict-of-interest declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReviewerAssignment {
    reviewer_id: Uuid,
    declaration: Declaration,
}

impl ReviewerAssignment {
    /// Assigns `reviewer_id`, refused when the reviewer is among `applicant_linked_ids`: the
    /// applicant's founders, employees and other contacts the bank knows of.
    pub fn assign(
        reviewer_id: Uuid,
        applicant_linked_ids: &BTreeSet<Uuid>,
    ) -> Result<ReviewerAssignment, ReviewError> {
        if applicant_linked_ids.contains(&reviewer_id) {
            return Err(ReviewError::ReviewerLinkedToApplicant);
        }
        Ok(ReviewerAssignment {
            reviewer_id,
            declaration: Declaration::Pending,
        })
    }

    /// An assignment read back from storage, where it was checked when first made.
    pub fn from_stored(reviewer_id: Uuid, declaration: Declaration) -> ReviewerAssignment {
        ReviewerAssignment {
            reviewer_id,
            declaration,
        }
    }

    pub fn reviewer_id(&self) -> Uuid {
        self.reviewer_id
    }

    pub fn declaration(&self) -> Declaration {
        self.declaration
    }

    /// Records the reviewer's declaration; it is made once and never changed, so a reviewer
    /// who saw the application cannot later claim a conflict unnoticed, nor the reverse.
    pub fn declare(
        &self,
        has_conflict: bool,
        declared_at: DateTime<Utc>,
    ) -> Result<ReviewerAssignment, ReviewError> {
        if self.declaration != Declaration::Pending {
            return Err(ReviewError::AlreadyDeclared);
        }
        let declaration = if has_conflict {
            Declaration::Conflict { declared_at }
        } else {
            Declaration::NoConflict { declared_at }
        };
        Ok(ReviewerAssignment {
            reviewer_id: self.reviewer_id,
            declaration,
        })
    }

    /// Whether the reviewer may see the application: only after declaring no conflict.
    pub fn ensure_may_view(&self) -> Result<(), ReviewError> {
        match self.declaration {
            Declaration::NoConflict { .. } => Ok(()),
            Declaration::Pending => Err(ReviewError::DeclarationMissing),
            Declaration::Conflict { .. } => Err(ReviewError::ReviewerRecused),
        }
    }
}

/// A reviewer's scored review: every criterion of the rubric scored 0 to 5, a recommendation
/// and a comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    reviewer_id: Uuid,
    scores: BTreeMap<Key, u8>,
    recommendation: Recommendation,
    comment: String,
    weighted_total: Decimal,
}

impl Review {
    /// Checks a review against the rubric, reporting every problem at once. `scores` maps
    /// criterion keys to the scores as received.
    pub fn new(
        assignment: &ReviewerAssignment,
        rubric: &Rubric,
        scores: &BTreeMap<String, i64>,
        recommendation: Recommendation,
        comment: &str,
    ) -> Result<Review, Vec<ReviewError>> {
        assignment.ensure_may_view().map_err(|error| vec![error])?;
        let mut errors = Vec::new();
        for key in scores.keys() {
            if !rubric
                .criteria
                .iter()
                .any(|criterion| criterion.key.as_str() == key)
            {
                errors.push(ReviewError::UnknownCriterion { key: key.clone() });
            }
        }
        let mut checked = BTreeMap::new();
        for criterion in &rubric.criteria {
            let key = criterion.key.as_str();
            match scores.get(key).map(|score| u8::try_from(*score)) {
                None => errors.push(ReviewError::CriterionNotScored {
                    key: key.to_owned(),
                }),
                Some(Ok(score)) if score <= MAX_SCORE => {
                    checked.insert(criterion.key.clone(), score);
                }
                Some(_) => errors.push(ReviewError::ScoreOutOfRange {
                    key: key.to_owned(),
                }),
            }
        }
        let comment = comment.trim();
        if comment.is_empty() {
            errors.push(ReviewError::CommentMissing);
        } else if comment.chars().count() > MAX_COMMENT_LENGTH_CHARS {
            errors.push(ReviewError::CommentTooLong);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let weighted_total = weighted_total(rubric, &checked);
        Ok(Review {
            reviewer_id: assignment.reviewer_id,
            scores: checked,
            recommendation,
            comment: comment.to_owned(),
            weighted_total,
        })
    }

    pub fn reviewer_id(&self) -> Uuid {
        self.reviewer_id
    }

    pub fn scores(&self) -> &BTreeMap<Key, u8> {
        &self.scores
    }

    pub fn recommendation(&self) -> Recommendation {
        self.recommendation
    }

    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// The weighted mean score on the 0–5 scale, rounded half-even to two decimals.
    pub fn weighted_total(&self) -> Decimal {
        self.weighted_total
    }
}

/// Σ(weight × score) / Σ weight over a complete set of scores.
fn weighted_total(rubric: &Rubric, scores: &BTreeMap<Key, u8>) -> Decimal {
    let weighted_sum: Decimal = rubric
        .criteria
        .iter()
        .map(|criterion| {
            let score = scores
                .get(&criterion.key)
                .expect("every criterion was scored above");
            criterion.weight * Decimal::from(*score)
        })
        .sum();
    round_half_even(weighted_sum / rubric.total_weight(), 2)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::form::tests::{key, label};
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn criterion(name: &str, weight: Decimal) -> Criterion {
        Criterion {
            key: key(name),
            label: label(name),
            weight,
        }
    }

    /// Team weighs 2, market 1, product 1.
    pub(crate) fn sample_rubric() -> Rubric {
        Rubric::new(vec![
            criterion("team", dec!(2)),
            criterion("market", dec!(1)),
            criterion("product", dec!(1)),
        ])
        .unwrap()
    }

    fn reviewer() -> Uuid {
        Uuid::from_u128(9)
    }

    fn cleared_assignment() -> ReviewerAssignment {
        ReviewerAssignment::assign(reviewer(), &BTreeSet::new())
            .unwrap()
            .declare(false, DateTime::UNIX_EPOCH)
            .unwrap()
    }

    fn scores(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs
            .iter()
            .map(|(key, score)| ((*key).to_owned(), *score))
            .collect()
    }

    fn review(pairs: &[(&str, i64)], comment: &str) -> Result<Review, Vec<ReviewError>> {
        Review::new(
            &cleared_assignment(),
            &sample_rubric(),
            &scores(pairs),
            Recommendation::Yes,
            comment,
        )
    }

    #[test]
    fn the_weighted_total_weighs_each_criterion() {
        let review = review(&[("team", 5), ("market", 2), ("product", 3)], "Strong team").unwrap();
        assert_eq!(review.weighted_total(), dec!(3.75));
        assert_eq!(review.recommendation().as_str(), "yes");
        assert_eq!(review.reviewer_id(), reviewer());
    }

    #[test]
    fn the_weighted_total_is_rounded_half_even() {
        let rubric = Rubric::new(vec![
            criterion("a", dec!(1)),
            criterion("b", dec!(1)),
            criterion("c", dec!(1)),
        ])
        .unwrap();
        let review = Review::new(
            &cleared_assignment(),
            &rubric,
            &scores(&[("a", 1), ("b", 0), ("c", 0)]),
            Recommendation::Maybe,
            "Weak",
        )
        .unwrap();
        assert_eq!(review.weighted_total(), dec!(0.33));
    }

    #[test]
    fn a_reviewer_linked_to_the_applicant_is_refused() {
        let linked = BTreeSet::from([Uuid::from_u128(1), reviewer()]);
        let error = ReviewerAssignment::assign(reviewer(), &linked).unwrap_err();
        assert_eq!(error.code(), "reviewer_linked_to_applicant");
        assert_eq!(error.field().as_deref(), Some("reviewer_id"));
    }

    #[test]
    fn a_reviewer_sees_nothing_before_declaring() {
        let assignment = ReviewerAssignment::assign(reviewer(), &BTreeSet::new()).unwrap();
        assert_eq!(
            assignment.ensure_may_view(),
            Err(ReviewError::DeclarationMissing)
        );
        let errors = Review::new(
            &assignment,
            &sample_rubric(),
            &scores(&[("team", 5), ("market", 5), ("product", 5)]),
            Recommendation::Yes,
            "Fine",
        )
        .unwrap_err();
        assert_eq!(errors, [ReviewError::DeclarationMissing]);
    }

    #[test]
    fn a_reviewer_with_a_conflict_is_recused() {
        let assignment = ReviewerAssignment::assign(reviewer(), &BTreeSet::new())
            .unwrap()
            .declare(true, DateTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(
            assignment.ensure_may_view(),
            Err(ReviewError::ReviewerRecused)
        );
    }

    #[test]
    fn a_declaration_cannot_be_changed() {
        let error = cleared_assignment()
            .declare(true, DateTime::UNIX_EPOCH)
            .unwrap_err();
        assert_eq!(error.code(), "conflict_already_declared");
    }

    #[test]
    fn every_criterion_must_be_scored() {
        let errors = review(&[("team", 5)], "Good").unwrap_err();
        let fields: Vec<_> = errors.iter().filter_map(Refusal::field).collect();
        assert_eq!(fields, ["scores.market", "scores.product"]);
        assert!(errors
            .iter()
            .all(|error| error.code() == "criterion_not_scored"));
    }

    #[test]
    fn a_score_above_five_or_below_zero_is_refused() {
        let errors = review(&[("team", 6), ("market", -1), ("product", 0)], "Hm").unwrap_err();
        assert_eq!(
            errors,
            [
                ReviewError::ScoreOutOfRange {
                    key: "team".to_owned()
                },
                ReviewError::ScoreOutOfRange {
                    key: "market".to_owned()
                },
            ]
        );
    }

    #[test]
    fn a_score_for_an_unknown_criterion_is_refused() {
        let errors = review(
            &[("team", 1), ("market", 1), ("product", 1), ("luck", 5)],
            "Hm",
        )
        .unwrap_err();
        assert_eq!(
            errors,
            [ReviewError::UnknownCriterion {
                key: "luck".to_owned()
            }]
        );
    }

    #[test]
    fn a_review_needs_a_comment() {
        let errors = review(&[("team", 1), ("market", 1), ("product", 1)], "  ").unwrap_err();
        assert_eq!(errors, [ReviewError::CommentMissing]);
        assert_eq!(errors[0].field().as_deref(), Some("comment"));
    }

    #[test]
    fn a_rubric_needs_positive_weights_and_unique_keys() {
        assert_eq!(
            Rubric::new(vec![]).unwrap_err().code(),
            "criteria_count_out_of_range"
        );
        let zero = Rubric::new(vec![criterion("team", dec!(0))]).unwrap_err();
        assert_eq!(zero.field().as_deref(), Some("rubric.team.weight"));
        let heavy = Rubric::new(vec![criterion("team", dec!(1000.01))]).unwrap_err();
        assert_eq!(heavy.code(), "weight_out_of_range");
        let twice =
            Rubric::new(vec![criterion("team", dec!(1)), criterion("team", dec!(2))]).unwrap_err();
        assert_eq!(twice.code(), "duplicate_criterion");
    }

    proptest! {
        #[test]
        fn the_weighted_total_stays_between_the_lowest_and_highest_score(
            team in 0i64..=5, market in 0i64..=5, product in 0i64..=5
        ) {
            let review = review(&[("team", team), ("market", market), ("product", product)], "ok")
                .unwrap();
            let lowest = Decimal::from(team.min(market).min(product));
            let highest = Decimal::from(team.max(market).max(product));
            prop_assert!(lowest <= review.weighted_total() && review.weighted_total() <= highest);
        }
    }
}
