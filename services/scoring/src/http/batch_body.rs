//! A batch's body, its rows counted as it arrives.
//!
//! A batch may be up to 32 MiB, so waiting for the whole body before counting its rows would
//! let any caller make the service wait for, and hold, 32 MiB for a batch it will refuse
//! anyway. So:
//!
//! 1. The body is read a chunk at a time; past [`BATCH_BODY_LIMIT_BYTES`] reading stops with a
//!    413, and past the service's request timeout with a 408.
//! 2. Each chunk is scanned as it arrives ([`RowCounter`]: strings, nesting and commas only, no
//!    parsing); the row after [`MAX_BATCH_ROWS`] stops reading with a 422 `too_many_rows`,
//!    before the rest of the body is read.
//! 3. Once the scorecard version is known (a missing one is a 404 before the body is parsed),
//!    the whole body is parsed at once, on a blocking thread, each row straight into one value
//!    per name the scorecard reads ([`parse_batch_rows`]). Parsing from one slice is about
//!    twice as fast as parsing from a stream (serde_json reads a stream a byte at a time through
//!    `std::io::Read` and copies every raw number out of it), and reading a row by the
//!    scorecard's names needs no map and no copy of any name per row; that is most of what a
//!    batch costs beside its scoring. The parser counts the rows again, so a body the scanner
//!    could not follow (a key written with escapes) is still held to the limit.
//! 4. Otherwise the rejections are those of every JSON body: 415 without a JSON content type,
//!    400 for malformed JSON, 422 for the wrong shape.

use std::cell::Cell;
use std::fmt;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use http_body_util::BodyExt;
use imkon_platform::problem::{has_json_content_type, Problem};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use tokio::time::Instant;

use super::numbers::{parse_input, UnreadableInput};
use crate::domain::evaluation::InputValue;
use crate::domain::scorecard::{InputName, Scorecard};
use crate::AppState;

/// The most rows one batch may hold.
pub const MAX_BATCH_ROWS: usize = 10_000;

/// A batch of 10 000 rows of a few dozen inputs is a few megabytes: more than the platform's
/// default body limit, which stays in force everywhere else.
pub const BATCH_BODY_LIMIT_BYTES: usize = 32 * 1024 * 1024;

/// The body of a batch request, read whole, its rows counted (at most [`MAX_BATCH_ROWS`]) as
/// it arrived; [`parse_batch_rows`] reads it.
#[derive(Debug)]
pub struct BatchBody(pub Vec<u8>);

/// One row of a batch, read straight into one value per name the scorecard reads (by read
/// index, see [`Scorecard::reads`]; absent when not given): each value is parsed from its JSON
/// text where it lies in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub values: Vec<InputValue>,
    /// Why the row cannot be scored, when that is known from reading it.
    pub problem: Option<RowProblem>,
}

/// What reading a row finds wrong, in the order a single evaluation reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// The first input, by name, that is not a number, a category or null.
    Unreadable(UnreadableInput),
    /// The first input, by name, that the scorecard does not read.
    Unknown(String),
}

impl FromRequest<AppState> for BatchBody {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(request.headers()) {
            return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .with_detail("Send the body as JSON with `Content-Type: application/json`."));
        }
        let deadline = Instant::now() + state.limits.request_timeout;
        let announced = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(0);
        read_counting_rows(request.into_body(), announced, deadline)
            .await
            .map(BatchBody)
    }
}

fn too_many_rows() -> Problem {
    Problem::invalid_field(
        "rows",
        "too_many_rows",
        format!("a batch holds at most {MAX_BATCH_ROWS} rows"),
    )
}

/// The whole body, refused as soon as it is too large, too slow or holds too many rows.
///
/// The buffer is sized once from the length the client announced (never beyond the limit):
/// grown as the frames arrived, a batch of 10 000 rows (2.4 MB) was moved to a buffer twice the
/// size about twenty times, each one fresh memory the kernel zeroes page by page. A client that
/// announces more than it sends costs no more than the limit allows anyway.
async fn read_counting_rows(
    mut body: Body,
    announced_length: usize,
    deadline: Instant,
) -> Result<Vec<u8>, Problem> {
    let mut bytes = Vec::with_capacity(announced_length.min(BATCH_BODY_LIMIT_BYTES));
    let mut rows = RowCounter::default();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(Problem::for_status(StatusCode::REQUEST_TIMEOUT)),
            Ok(None) => return Ok(bytes),
            Ok(Some(Err(_))) => {
                return Err(Problem::bad_request(
                    "unreadable_body",
                    "The request body could not be read.",
                ))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers carry no body bytes.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if bytes.len().saturating_add(data.len()) > BATCH_BODY_LIMIT_BYTES {
            return Err(Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE));
        }
        if rows.scan(&data) > MAX_BATCH_ROWS {
            return Err(too_many_rows());
        }
        bytes.extend_from_slice(&data);
    }
}

/// Counts the rows of `{"rows": [...]}` as the body's bytes arrive, without parsing them: it
/// follows strings (and their escapes), nesting and commas, and counts each value that starts
/// inside the array of the top-level key `rows`. For valid JSON the count is exact; for
/// anything else the parser's answer decides.
#[derive(Debug, Default)]
struct RowCounter {
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The body is an object, so its top level has keys.
    top_is_object: bool,
    /// At the top level, the next string is a key.
    expecting_key: bool,
    /// The string being read is a top-level key.
    reading_key: bool,
    /// The key's first bytes: enough to tell `rows` from any other.
    key: Vec<u8>,
    key_is_rows: bool,
    /// Inside the array of `rows`.
    in_rows: bool,
    /// Inside the array of `rows`, the next value is a new row.
    expecting_row: bool,
    rows: usize,
}

impl RowCounter {
    /// Reads the next bytes and answers how many rows have started so far.
    fn scan(&mut self, bytes: &[u8]) -> usize {
        for &byte in bytes {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                    if self.reading_key {
                        self.reading_key = false;
                        self.key_is_rows = self.key == b"rows";
                    }
                } else if self.reading_key && self.key.len() <= b"rows".len() {
                    self.key.push(byte);
                }
                continue;
            }
            if self.in_rows
                && self.depth == 2
                && self.expecting_row
                && !matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b',' | b']')
            {
                self.rows += 1;
                self.expecting_row = false;
            }
            match byte {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 && self.expecting_key {
                        self.reading_key = true;
                        self.expecting_key = false;
                        self.key.clear();
                    }
                }
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth == 1 {
                        self.top_is_object = byte == b'{';
                        self.expecting_key = self.top_is_object;
                    } else if self.depth == 2 {
                        self.in_rows = byte == b'[' && self.key_is_rows;
                        self.expecting_row = true;
                    }
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth < 2 {
                        self.in_rows = false;
                    }
                }
                b',' if self.depth == 1 => self.expecting_key = self.top_is_object,
                b',' if self.depth == 2 => self.expecting_row = true,
                _ => {}
            }
        }
        self.rows
    }
}

/// Parses a whole batch body for `scorecard` (the service does so on a blocking thread): the
/// rows, or the problem that refuses the body.
pub fn parse_batch_rows(scorecard: &Scorecard, body: &[u8]) -> Result<Vec<BatchRow>, Problem> {
    let too_many = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = BatchSeed {
        scorecard,
        too_many_rows: &too_many,
    }
    .deserialize(&mut deserializer)
    .and_then(|rows| deserializer.end().map(|()| rows));
    match parsed {
        Ok(rows) => Ok(rows),
        Err(_) if too_many.get() => Err(too_many_rows()),
        Err(error) if error.is_data() => {
            Err(Problem::unprocessable("invalid_body", error.to_string()))
        }
        Err(error) => Err(Problem::bad_request("malformed_json", error.to_string())),
    }
}

/// `{"rows": [...]}` and nothing else, recording when the rows go past the limit.
struct BatchSeed<'a> {
    scorecard: &'a Scorecard,
    too_many_rows: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for BatchSeed<'_> {
    type Value = Vec<BatchRow>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BatchSeed<'_> {
    type Value = Vec<BatchRow>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object with `rows`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut rows = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "rows" if rows.is_some() => return Err(de::Error::duplicate_field("rows")),
                "rows" => {
                    rows = Some(map.next_value_seed(RowsSeed {
                        scorecard: self.scorecard,
                        too_many_rows: self.too_many_rows,
                    })?);
                }
                other => return Err(de::Error::unknown_field(other, &["rows"])),
            }
        }
        rows.ok_or_else(|| de::Error::missing_field("rows"))
    }
}

/// The rows array, refused at the first row past [`MAX_BATCH_ROWS`].
struct RowsSeed<'a> {
    scorecard: &'a Scorecard,
    too_many_rows: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = Vec<BatchRow>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = Vec<BatchRow>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Self::Value, A::Error> {
        let mut rows = Vec::new();
        let mut key_hints = Vec::new();
        while let Some(row) = sequence.next_element_seed(RowSeed {
            scorecard: self.scorecard,
            key_hints: &mut key_hints,
        })? {
            if rows.len() == MAX_BATCH_ROWS {
                self.too_many_rows.set(true);
                return Err(de::Error::custom(format!(
                    "a batch holds at most {MAX_BATCH_ROWS} rows"
                )));
            }
            rows.push(row);
        }
        Ok(rows)
    }
}

/// One row: an object of inputs, each value borrowed from the body while it is parsed.
struct RowSeed<'a> {
    scorecard: &'a Scorecard,
    /// The read index of each key of the row before, by position: rows written by one program
    /// name their inputs in the same order, so a key is first compared with the name at its
    /// position in the row before, and looked up among all names only when it differs.
    key_hints: &'a mut Vec<Option<usize>>,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = BatchRow;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = BatchRow;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a row: an object of inputs")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let reads = self.scorecard.reads();
        let mut values = vec![InputValue::Absent; reads.len()];
        // Every unreadable input, so that a later value under the same name replaces an
        // earlier one as it would in a map of JSON values, and the first by name is reported.
        let mut unreadable: Vec<UnreadableInput> = Vec::new();
        let mut first_unknown: Option<String> = None;
        let mut position = 0;
        while let Some(key) = map.next_key_seed(ReadName {
            reads,
            hint: self.key_hints.get(position).copied().flatten(),
        })? {
            let read = key.as_ref().ok().copied();
            match self.key_hints.get_mut(position) {
                Some(hint) => *hint = read,
                None => self.key_hints.push(read),
            }
            position += 1;
            let text: &'de RawValue = map.next_value()?;
            let name = match &key {
                Ok(read) => reads[*read].as_str(),
                Err(unknown) => unknown.as_str(),
            };
            unreadable.retain(|earlier| earlier.input != name);
            match parse_input(name, text.get()) {
                Ok(value) => {
                    if let Ok(read) = key {
                        values[read] = value;
                    }
                }
                Err(error) => unreadable.push(error),
            }
            if let Err(unknown) = key {
                if first_unknown.as_ref().is_none_or(|first| unknown < *first) {
                    first_unknown = Some(unknown);
                }
            }
        }
        let problem = match unreadable.into_iter().min_by(|a, b| a.input.cmp(&b.input)) {
            Some(error) => Some(RowProblem::Unreadable(error)),
            None => first_unknown.map(RowProblem::Unknown),
        };
        Ok(BatchRow { values, problem })
    }
}

/// An input's name: its read index when the scorecard reads it, else the name itself. A name
/// is looked up where it lies in the body; only a name the scorecard does not read is copied.
struct ReadName<'a> {
    reads: &'a [InputName],
    /// The read index this key most likely has.
    hint: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for ReadName<'_> {
    type Value = Result<usize, String>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ReadName<'_> {
    type Value = Result<usize, String>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an input's name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        if let Some(hint) = self.hint {
            if self.reads[hint].as_str() == name {
                return Ok(Ok(hint));
            }
        }
        Ok(self
            .reads
            .binary_search_by(|read| read.as_str().cmp(name))
            .map_err(|_| name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_in(body: &str) -> usize {
        RowCounter::default().scan(body.as_bytes())
    }

    #[test]
    fn the_counter_counts_the_rows_of_valid_batches_exactly() {
        assert_eq!(rows_in(r#"{"rows": []}"#), 0);
        assert_eq!(rows_in(r#"{"rows": [ ]}"#), 0);
        assert_eq!(rows_in(r#"{"rows":[{}]}"#), 1);
        assert_eq!(
            rows_in(r#" { "rows" : [ {"a": [1, 2], "b": {"c": ","}} , {"d": "]"}, {} ] } "#),
            3
        );
        assert_eq!(
            rows_in(r#"{"rows": [{"a": "\"],[,"}, {"b": "\\"}, {"c": null}]}"#),
            3
        );
    }

    #[test]
    fn the_counter_ignores_arrays_under_other_keys_and_in_strings() {
        assert_eq!(rows_in(r#"{"other": [1, 2, 3], "rows": [{}]}"#), 1);
        assert_eq!(rows_in(r#"{"rowsx": [1, 2, 3]}"#), 0);
        assert_eq!(rows_in(r#"{"row": [1, 2, 3]}"#), 0);
        assert_eq!(rows_in(r#"{"rows": "[1, 2, 3]"}"#), 0);
        assert_eq!(rows_in(r#"[{"rows": [1, 2, 3]}]"#), 0);
        assert_eq!(rows_in(r#"["a", "rows", [1, 2, 3]]"#), 0);
    }

    #[test]
    fn the_counter_gives_the_same_count_whichever_way_the_body_is_cut() {
        let body = r#"{"rows": [{"a": "x\"y"}, {"b": [1, {"c": 2}]}, {"d": "\\"}]}"#;
        for cut in 0..=body.len() {
            let mut counter = RowCounter::default();
            counter.scan(&body.as_bytes()[..cut]);
            assert_eq!(counter.scan(&body.as_bytes()[cut..]), 3, "cut at {cut}");
        }
    }

    /// Each row read by read index gives the inputs a single evaluation reads from the same
    /// JSON, and the problem it would report first.
    #[test]
    fn a_row_reads_as_single_inputs_do_and_names_its_first_problem() {
        use super::super::numbers::{parse_inputs, JsonInputs};
        use crate::domain::evaluation::{evaluate, EvaluationError};
        use crate::domain::seeds::startup_loan_scorecard;
        let scorecard = startup_loan_scorecard();
        let rows = [
            r#"{"revenue_trend": "growing", "debt_service_coverage_ratio": 1.50, "worst_days_overdue": null, "years_in_business": 2e1}"#,
            r#"{"zz": 1, "revenue_trend": true, "debt_service_coverage_ratio": [1], "aa": 2}"#,
            r#"{"revenue_trend": true, "revenue_trend": "stable"}"#,
            r#"{"zz": 1, "revenue_trend": "stable", "aa": true, "aa": 2}"#,
            r#"{"shoe_size": 44}"#,
        ];
        let body = format!(r#"{{"rows": [{}]}}"#, rows.join(","));
        let read = parse_batch_rows(&scorecard, body.as_bytes()).unwrap();
        assert_eq!(read.len(), rows.len());
        for (row, read) in rows.iter().zip(&read) {
            let json: JsonInputs = serde_json::from_str(row).unwrap();
            let problem = match parse_inputs(&json) {
                Err(error) => Some(RowProblem::Unreadable(error)),
                Ok(inputs) => match evaluate(&scorecard, &inputs) {
                    Err(EvaluationError::UnknownInput { input }) => {
                        Some(RowProblem::Unknown(input))
                    }
                    _ => {
                        for (index, name) in scorecard.reads().iter().enumerate() {
                            let given = inputs.get(name.as_str()).unwrap_or(&InputValue::Absent);
                            assert_eq!(&read.values[index], given, "{row}");
                        }
                        None
                    }
                },
            };
            assert_eq!(read.problem, problem, "{row}");
        }
        assert!(
            matches!(&read[1].problem, Some(RowProblem::Unreadable(error)) if error.input == "debt_service_coverage_ratio")
        );
        assert_eq!(read[3].problem, Some(RowProblem::Unknown("aa".to_owned())));
    }
}
