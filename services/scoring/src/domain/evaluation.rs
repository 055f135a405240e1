//! Evaluation: a pure function from a scorecard and inputs to an explained result.
//!
//! Nothing is ever scored as a silent zero: an input of the wrong type, a value no bin takes,
//! or an input name the scorecard does not know is an error naming it.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;

use super::scorecard::{
    Bin, BinCondition, Characteristic, CharacteristicKind, CharacteristicKindName, InputName,
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
    reject_unknown_inputs(scorecard, inputs)?;
    let absent = InputValue::Absent;
    let value_of = |name: &InputName| inputs.get(name.as_str()).unwrap_or(&absent);

    let mut knockouts = Vec::new();
    for rule in scorecard.knockouts() {
        if knockout_fires(rule, value_of(rule.input()))? {
            knockouts.push(FiredKnockout {
                input: rule.input().clone(),
                reason_code: rule.reason_code().clone(),
                description: rule.description().to_owned(),
            });
        }
    }

    let mut characteristics = Vec::with_capacity(scorecard.characteristics().len());
    let mut total_score = scorecard.base_points();
    for characteristic in scorecard.characteristics() {
        let value = value_of(characteristic.name());
        let bin = matching_bin(characteristic, value)?;
        total_score += bin.points();
        characteristics.push(CharacteristicScore {
            characteristic: characteristic.name().clone(),
            value: value.clone(),
            bin_label: bin.label().to_owned(),
            points: bin.points(),
            reason_code: bin.reason_code().clone(),
        });
    }

    let probability_of_default = scorecard
        .scaling()
        .probability_of_default(total_score)
        .ok_or(EvaluationError::ScoreOutsideScaling { score: total_score })?;
    let band = scorecard.band_for(total_score);
    let recommendation = if knockouts.is_empty() {
        band.recommendation()
    } else {
        Recommendation::Decline
    };
    Ok(Evaluation {
        base_points: scorecard.base_points(),
        total_score,
        probability_of_default,
        band: band.name().to_owned(),
        recommendation,
        knockouts,
        characteristics,
    })
}

fn reject_unknown_inputs(scorecard: &Scorecard, inputs: &Inputs) -> Result<(), EvaluationError> {
    let is_read = |name: &str| {
        scorecard
            .characteristics()
            .iter()
            .any(|characteristic| characteristic.name().as_str() == name)
            || scorecard
                .knockouts()
                .iter()
                .any(|rule| rule.input().as_str() == name)
    };
    match inputs.keys().find(|name| !is_read(name)) {
        Some(unknown) => Err(EvaluationError::UnknownInput {
            input: unknown.clone(),
        }),
        None => Ok(()),
    }
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

fn matching_bin<'a>(
    characteristic: &'a Characteristic,
    value: &InputValue,
) -> Result<&'a Bin, EvaluationError> {
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
        .find(|bin| match (value, bin.condition()) {
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
