//! The JSON form of a scorecard definition, for `POST /v1/scorecards`, version drafts and
//! responses; it is also how a version is stored (a `jsonb` column), so a stored version reads
//! back through the same checks as a new one.
//!
//! Every number is an exact decimal ([`JsonDecimal`]). The shapes are flat (a `condition` name
//! beside optional fields) rather than tagged unions, so a client writes them by hand easily
//! and the exact-number reader sees every number as sent.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::numbers::JsonDecimal;
use crate::domain::scorecard::{
    Band, Bin, BinCondition, Characteristic, CharacteristicKind, InputName, Interval,
    KnockoutCondition, KnockoutRule, ReasonCode, Recommendation, ScoreScaling, Scorecard,
    ScorecardError, ScorecardParts,
};

/// The domain's longest input name and reason code, in the `u64` that `validator` counts in.
/// Both are ASCII when valid, so characters and bytes agree.
const INPUT_NAME_MAX: u64 = InputName::MAX_LENGTH as u64;
const REASON_CODE_MAX: u64 = ReasonCode::MAX_LENGTH as u64;

/// A complete scorecard definition.
///
/// Its shape is declared with `validator` for `ValidatedJson` and the OpenAPI schema: at least
/// one characteristic, bin and band, a name, and the lengths of input names and reason codes, each with
/// the code the domain gives the same refusal. Which fields a condition needs (a threshold for
/// `number_below`, categories for `category_in`) is read by [`ScorecardDefinition::to_scorecard`]
/// as it builds each condition, because a stored version is read back through that same path
/// and never through the edge; the domain's constructors keep their own checks for the same
/// reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ScorecardDefinition {
    #[validate(length(min = 1, code = "empty_name"))]
    #[schema(min_length = 1)]
    pub name: String,
    /// Points every applicant starts from.
    pub base_points: JsonDecimal,
    pub scaling: ScalingDefinition,
    /// Rules that decline whatever the points.
    #[serde(default)]
    #[validate(nested)]
    pub knockouts: Vec<KnockoutDefinition>,
    #[validate(length(min = 1, code = "no_characteristics"), nested)]
    #[schema(min_items = 1)]
    pub characteristics: Vec<CharacteristicDefinition>,
    /// Best first; the last band has no `min_score` and takes every lower score.
    #[validate(length(min = 1, code = "no_bands"))]
    #[schema(min_items = 1)]
    pub bands: Vec<BandDefinition>,
}

/// Score-to-odds scaling: `anchor_score` points mean good:bad odds of
/// `anchor_odds_good_to_bad`, and every `points_to_double_odds` more points double them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingDefinition {
    pub anchor_score: JsonDecimal,
    pub anchor_odds_good_to_bad: JsonDecimal,
    pub points_to_double_odds: JsonDecimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KnockoutConditionName {
    /// The input is a number below `threshold`.
    NumberBelow,
    /// The input is a number at or above `threshold`.
    NumberAtLeast,
    /// The input is one of `categories`.
    CategoryIn,
    /// The input is missing.
    Missing,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct KnockoutDefinition {
    #[validate(length(min = 1, max = INPUT_NAME_MAX, code = "invalid_input_name"))]
    #[schema(min_length = 1, max_length = 64)]
    pub input: String,
    pub condition: KnockoutConditionName,
    /// For `number_below` and `number_at_least`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<JsonDecimal>,
    /// For `category_in`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    #[validate(length(min = 1, max = REASON_CODE_MAX, code = "invalid_reason_code"))]
    #[schema(min_length = 1, max_length = 100)]
    pub reason_code: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CharacteristicKindDefinition {
    Numeric,
    Categorical,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CharacteristicDefinition {
    /// The input it reads.
    #[validate(length(min = 1, max = INPUT_NAME_MAX, code = "invalid_input_name"))]
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    pub kind: CharacteristicKindDefinition,
    /// For a numeric characteristic: its ranges cover the whole number line (checked).
    #[serde(default)]
    pub complete: bool,
    #[validate(length(min = 1, code = "no_bins"), nested)]
    #[schema(min_items = 1)]
    pub bins: Vec<BinDefinition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BinConditionName {
    /// A number in `[lower, upper)`; an absent end is infinite.
    Range,
    /// One of `categories`.
    Categories,
    /// Only a missing value.
    Missing,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct BinDefinition {
    pub label: String,
    pub condition: BinConditionName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<JsonDecimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<JsonDecimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// A range or category bin that also takes a missing value.
    #[serde(default)]
    pub takes_missing: bool,
    pub points: JsonDecimal,
    #[validate(length(min = 1, max = REASON_CODE_MAX, code = "invalid_reason_code"))]
    #[schema(min_length = 1, max_length = 100)]
    pub reason_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationName {
    Approve,
    Review,
    Decline,
}

impl From<Recommendation> for RecommendationName {
    fn from(recommendation: Recommendation) -> RecommendationName {
        match recommendation {
            Recommendation::Approve => RecommendationName::Approve,
            Recommendation::Review => RecommendationName::Review,
            Recommendation::Decline => RecommendationName::Decline,
        }
    }
}

impl From<RecommendationName> for Recommendation {
    fn from(recommendation: RecommendationName) -> Recommendation {
        match recommendation {
            RecommendationName::Approve => Recommendation::Approve,
            RecommendationName::Review => Recommendation::Review,
            RecommendationName::Decline => Recommendation::Decline,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BandDefinition {
    pub name: String,
    /// The lowest score in the band; absent only on the last band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<JsonDecimal>,
    pub recommendation: RecommendationName,
}

/// What is wrong with a definition, and where: `field` is a JSON path such as
/// `characteristics[2].bins[0].upper`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DefinitionError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl DefinitionError {
    fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        DefinitionError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    /// A domain refusal, at the path where it was found.
    pub fn from_domain(field: impl Into<String>, error: &ScorecardError) -> Self {
        DefinitionError::new(field, scorecard_error_code(error), error.to_string())
    }
}

/// The stable code of each domain refusal.
pub fn scorecard_error_code(error: &ScorecardError) -> &'static str {
    match error {
        ScorecardError::InvalidInputName(_) => "invalid_input_name",
        ScorecardError::InvalidReasonCode(_) => "invalid_reason_code",
        ScorecardError::EmptyScorecardName => "empty_name",
        ScorecardError::EmptyBinLabel { .. } => "empty_bin_label",
        ScorecardError::DuplicateBinLabel { .. } => "duplicate_bin_label",
        ScorecardError::EmptyCategorySet { .. } => "empty_category_set",
        ScorecardError::InvalidCategory { .. } => "invalid_category",
        ScorecardError::NoBins { .. } => "no_bins",
        ScorecardError::BinKindMismatch { .. } => "bin_kind_mismatch",
        ScorecardError::OverlappingBins { .. } => "overlapping_bins",
        ScorecardError::GapInCoverage { .. } => "gap_in_coverage",
        ScorecardError::DuplicateCategory { .. } => "duplicate_category",
        ScorecardError::MissingCoveredTwice { .. } => "missing_covered_twice",
        ScorecardError::DuplicateCharacteristic { .. } => "duplicate_characteristic",
        ScorecardError::NoCharacteristics => "no_characteristics",
        ScorecardError::EmptyKnockoutCategories { .. } => "empty_knockout_categories",
        ScorecardError::KnockoutTypeMismatch { .. } => "knockout_type_mismatch",
        ScorecardError::KnockoutInputsDisagree { .. } => "knockout_inputs_disagree",
        ScorecardError::NonPositiveOdds(_) => "non_positive_odds",
        ScorecardError::NonPositivePointsToDoubleOdds(_) => "non_positive_points_to_double_odds",
        ScorecardError::NoBands => "no_bands",
        ScorecardError::EmptyBandName(_) => "empty_band_name",
        ScorecardError::BandsNotOrdered { .. } => "bands_not_ordered",
        ScorecardError::LowestBandMustBeOpen { .. } => "lowest_band_must_be_open",
        ScorecardError::OnlyLowestBandMayBeOpen { .. } => "only_lowest_band_may_be_open",
        ScorecardError::DuplicateBand { .. } => "duplicate_band",
    }
}

/// The path of the part of a whole scorecard that [`Scorecard::new`] refused.
fn scorecard_level_field(error: &ScorecardError) -> &'static str {
    match error {
        ScorecardError::EmptyScorecardName => "name",
        ScorecardError::NoCharacteristics | ScorecardError::DuplicateCharacteristic { .. } => {
            "characteristics"
        }
        ScorecardError::KnockoutTypeMismatch { .. }
        | ScorecardError::KnockoutInputsDisagree { .. } => "knockouts",
        _ => "bands",
    }
}

impl ScorecardDefinition {
    /// Checks the definition through the domain's constructors.
    pub fn to_scorecard(&self) -> Result<Scorecard, DefinitionError> {
        let scaling = ScoreScaling::new(
            self.scaling.anchor_score.0,
            self.scaling.anchor_odds_good_to_bad.0,
            self.scaling.points_to_double_odds.0,
        )
        .map_err(|error| {
            let field = match error {
                ScorecardError::NonPositiveOdds(_) => "scaling.anchor_odds_good_to_bad",
                _ => "scaling.points_to_double_odds",
            };
            DefinitionError::from_domain(field, &error)
        })?;
        let knockouts = self
            .knockouts
            .iter()
            .enumerate()
            .map(|(index, knockout)| knockout.to_rule(&format!("knockouts[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let characteristics = self
            .characteristics
            .iter()
            .enumerate()
            .map(|(index, characteristic)| {
                characteristic.to_characteristic(&format!("characteristics[{index}]"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let bands = self
            .bands
            .iter()
            .map(|band| {
                Band::new(
                    &band.name,
                    band.min_score.map(|score| score.0),
                    band.recommendation.into(),
                )
            })
            .collect();
        Scorecard::new(ScorecardParts {
            name: self.name.clone(),
            base_points: self.base_points.0,
            scaling,
            knockouts,
            characteristics,
            bands,
        })
        .map_err(|error| DefinitionError::from_domain(scorecard_level_field(&error), &error))
    }

    /// The JSON form of a checked scorecard.
    pub fn from_scorecard(scorecard: &Scorecard) -> ScorecardDefinition {
        let scaling = scorecard.scaling();
        ScorecardDefinition {
            name: scorecard.name().to_owned(),
            base_points: scorecard.base_points().into(),
            scaling: ScalingDefinition {
                anchor_score: scaling.anchor_score().into(),
                anchor_odds_good_to_bad: scaling.anchor_odds_good_to_bad().into(),
                points_to_double_odds: scaling.points_to_double_odds().into(),
            },
            knockouts: scorecard
                .knockouts()
                .iter()
                .map(KnockoutDefinition::from_rule)
                .collect(),
            characteristics: scorecard
                .characteristics()
                .iter()
                .map(CharacteristicDefinition::from_characteristic)
                .collect(),
            bands: scorecard
                .bands()
                .iter()
                .map(|band| BandDefinition {
                    name: band.name().to_owned(),
                    min_score: band.min_score().map(JsonDecimal),
                    recommendation: band.recommendation().into(),
                })
                .collect(),
        }
    }
}

fn parse_name(field: &str, text: &str) -> Result<InputName, DefinitionError> {
    InputName::parse(text).map_err(|error| DefinitionError::from_domain(field, &error))
}

fn parse_reason_code(field: &str, text: &str) -> Result<ReasonCode, DefinitionError> {
    ReasonCode::parse(text).map_err(|error| DefinitionError::from_domain(field, &error))
}

fn category_set(
    field: &str,
    categories: &Option<Vec<String>>,
) -> Result<BTreeSet<String>, DefinitionError> {
    let categories = categories.as_ref().ok_or_else(|| {
        DefinitionError::new(
            field,
            "required",
            "this condition needs a list of categories",
        )
    })?;
    let mut set = BTreeSet::new();
    for category in categories {
        if !set.insert(category.clone()) {
            return Err(DefinitionError::new(
                field,
                "duplicate_category",
                format!("category `{category}` is listed twice"),
            ));
        }
    }
    Ok(set)
}

fn refuse_present<T>(
    field: &str,
    value: &Option<T>,
    condition: &str,
) -> Result<(), DefinitionError> {
    match value {
        Some(_) => Err(DefinitionError::new(
            field,
            "not_allowed",
            format!(
                "a `{condition}` condition takes no `{}`",
                field.rsplit('.').next().unwrap_or(field)
            ),
        )),
        None => Ok(()),
    }
}

impl KnockoutDefinition {
    fn to_rule(&self, path: &str) -> Result<KnockoutRule, DefinitionError> {
        let input = parse_name(&format!("{path}.input"), &self.input)?;
        let reason_code = parse_reason_code(&format!("{path}.reason_code"), &self.reason_code)?;
        let threshold_field = format!("{path}.threshold");
        let categories_field = format!("{path}.categories");
        let threshold = || {
            self.threshold.map(|threshold| threshold.0).ok_or_else(|| {
                DefinitionError::new(
                    &threshold_field,
                    "required",
                    "this condition needs a threshold",
                )
            })
        };
        let condition = match self.condition {
            KnockoutConditionName::NumberBelow => {
                refuse_present(&categories_field, &self.categories, "number_below")?;
                KnockoutCondition::NumberBelow(threshold()?)
            }
            KnockoutConditionName::NumberAtLeast => {
                refuse_present(&categories_field, &self.categories, "number_at_least")?;
                KnockoutCondition::NumberAtLeast(threshold()?)
            }
            KnockoutConditionName::CategoryIn => {
                refuse_present(&threshold_field, &self.threshold, "category_in")?;
                KnockoutCondition::CategoryIn(category_set(&categories_field, &self.categories)?)
            }
            KnockoutConditionName::Missing => {
                refuse_present(&threshold_field, &self.threshold, "missing")?;
                refuse_present(&categories_field, &self.categories, "missing")?;
                KnockoutCondition::Missing
            }
        };
        KnockoutRule::new(input, condition, reason_code, &self.description)
            .map_err(|error| DefinitionError::from_domain(categories_field.as_str(), &error))
    }

    fn from_rule(rule: &KnockoutRule) -> KnockoutDefinition {
        let (condition, threshold, categories) = match rule.condition() {
            KnockoutCondition::NumberBelow(threshold) => (
                KnockoutConditionName::NumberBelow,
                Some(JsonDecimal(*threshold)),
                None,
            ),
            KnockoutCondition::NumberAtLeast(threshold) => (
                KnockoutConditionName::NumberAtLeast,
                Some(JsonDecimal(*threshold)),
                None,
            ),
            KnockoutCondition::CategoryIn(categories) => (
                KnockoutConditionName::CategoryIn,
                None,
                Some(categories.iter().cloned().collect()),
            ),
            KnockoutCondition::Missing => (KnockoutConditionName::Missing, None, None),
        };
        KnockoutDefinition {
            input: rule.input().as_str().to_owned(),
            condition,
            threshold,
            categories,
            reason_code: rule.reason_code().as_str().to_owned(),
            description: rule.description().to_owned(),
        }
    }
}

impl CharacteristicDefinition {
    fn to_characteristic(&self, path: &str) -> Result<Characteristic, DefinitionError> {
        let name = parse_name(&format!("{path}.name"), &self.name)?;
        let kind = match self.kind {
            CharacteristicKindDefinition::Numeric => CharacteristicKind::Numeric {
                complete: self.complete,
            },
            CharacteristicKindDefinition::Categorical => {
                if self.complete {
                    return Err(DefinitionError::new(
                        format!("{path}.complete"),
                        "not_allowed",
                        "only a numeric characteristic can be declared complete",
                    ));
                }
                CharacteristicKind::Categorical
            }
        };
        let bins = self
            .bins
            .iter()
            .enumerate()
            .map(|(index, bin)| bin.to_bin(&format!("{path}.bins[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Characteristic::new(name, kind, bins)
            .map_err(|error| DefinitionError::from_domain(format!("{path}.bins"), &error))
    }

    fn from_characteristic(characteristic: &Characteristic) -> CharacteristicDefinition {
        let (kind, complete) = match characteristic.kind() {
            CharacteristicKind::Numeric { complete } => {
                (CharacteristicKindDefinition::Numeric, complete)
            }
            CharacteristicKind::Categorical => (CharacteristicKindDefinition::Categorical, false),
        };
        CharacteristicDefinition {
            name: characteristic.name().as_str().to_owned(),
            kind,
            complete,
            bins: characteristic
                .bins()
                .iter()
                .map(BinDefinition::from_bin)
                .collect(),
        }
    }
}

impl BinDefinition {
    fn to_bin(&self, path: &str) -> Result<Bin, DefinitionError> {
        let reason_code = parse_reason_code(&format!("{path}.reason_code"), &self.reason_code)?;
        let lower_field = format!("{path}.lower");
        let upper_field = format!("{path}.upper");
        let categories_field = format!("{path}.categories");
        let condition = match self.condition {
            BinConditionName::Range => {
                refuse_present(&categories_field, &self.categories, "range")?;
                let interval =
                    Interval::new(self.lower.map(|end| end.0), self.upper.map(|end| end.0))
                        .ok_or_else(|| {
                            DefinitionError::new(
                                &upper_field,
                                "empty_interval",
                                "the upper end must be above the lower end",
                            )
                        })?;
                BinCondition::Range(interval)
            }
            BinConditionName::Categories => {
                refuse_present(&lower_field, &self.lower, "categories")?;
                refuse_present(&upper_field, &self.upper, "categories")?;
                BinCondition::Categories(category_set(&categories_field, &self.categories)?)
            }
            BinConditionName::Missing => {
                refuse_present(&lower_field, &self.lower, "missing")?;
                refuse_present(&upper_field, &self.upper, "missing")?;
                refuse_present(&categories_field, &self.categories, "missing")?;
                BinCondition::Missing
            }
        };
        Ok(Bin::new(
            &self.label,
            condition,
            self.takes_missing,
            self.points.0,
            reason_code,
        ))
    }

    fn from_bin(bin: &Bin) -> BinDefinition {
        let (condition, lower, upper, categories) = match bin.condition() {
            BinCondition::Range(interval) => (
                BinConditionName::Range,
                interval.lower().map(JsonDecimal),
                interval.upper().map(JsonDecimal),
                None,
            ),
            BinCondition::Categories(categories) => (
                BinConditionName::Categories,
                None,
                None,
                Some(categories.iter().cloned().collect()),
            ),
            BinCondition::Missing => (BinConditionName::Missing, None, None, None),
        };
        BinDefinition {
            label: bin.label().to_owned(),
            condition,
            lower,
            upper,
            categories,
            takes_missing: bin.takes_missing() && *bin.condition() != BinCondition::Missing,
            points: bin.points().into(),
            reason_code: bin.reason_code().as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seeds::{
        it_startup_grant_scorecard, startup_loan_scorecard, synthetic_scorecard,
    };

    #[test]
    fn every_seed_survives_a_round_trip_through_its_json_form() {
        for scorecard in [
            it_startup_grant_scorecard(),
            startup_loan_scorecard(),
            synthetic_scorecard(),
        ] {
            let text =
                serde_json::to_string(&ScorecardDefinition::from_scorecard(&scorecard)).unwrap();
            let definition: ScorecardDefinition = serde_json::from_str(&text).unwrap();
            assert_eq!(definition.to_scorecard().unwrap(), scorecard);
        }
    }

    #[test]
    fn an_empty_interval_is_refused_naming_the_bin() {
        let mut definition = ScorecardDefinition::from_scorecard(&synthetic_scorecard());
        let bin = &mut definition.characteristics[1].bins[2];
        bin.upper = bin.lower;
        let error = definition.to_scorecard().unwrap_err();
        assert_eq!(error.field, "characteristics[1].bins[2].upper");
        assert_eq!(error.code, "empty_interval");
    }

    #[test]
    fn overlapping_bins_are_refused_naming_the_characteristic() {
        let mut definition = ScorecardDefinition::from_scorecard(&synthetic_scorecard());
        definition.characteristics[3].bins[1].upper =
            Some(JsonDecimal(rust_decimal::Decimal::from(30)));
        let error = definition.to_scorecard().unwrap_err();
        assert_eq!(error.field, "characteristics[3].bins");
        assert_eq!(error.code, "overlapping_bins");
        assert!(error.message.contains("x04"), "{}", error.message);
    }
}
