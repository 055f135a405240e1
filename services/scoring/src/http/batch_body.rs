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
//! 3. The whole body is then parsed at once, on a blocking thread. Parsing from one slice is
//!    about twice as fast as parsing from a stream (serde_json reads a stream a byte at a time
//!    through `std::io::Read` and copies every raw number out of it), which is most of what a
//!    batch costs beside its scoring; the parser counts the rows again, so a body the scanner
//!    could not follow (a key written with escapes) is still held to the limit.
//! 4. Otherwise the rejections are those of every JSON body: 415 without a JSON content type,
//!    400 for malformed JSON, 422 for the wrong shape.

use std::cell::Cell;
use std::fmt;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use http_body_util::BodyExt;
use imkon_platform::problem::{has_json_content_type, Problem};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use tokio::time::Instant;

use super::numbers::{parse_input, UnreadableInput};
use crate::domain::evaluation::Inputs;
use crate::AppState;

/// The most rows one batch may hold.
pub const MAX_BATCH_ROWS: usize = 10_000;

/// A batch of 10 000 rows of a few dozen inputs is a few megabytes: more than the platform's
/// default body limit, which stays in force everywhere else.
pub const BATCH_BODY_LIMIT_BYTES: usize = 32 * 1024 * 1024;

/// The rows of a batch request (`{"rows": [...]}`), at most [`MAX_BATCH_ROWS`].
#[derive(Debug)]
pub struct BatchRows(pub Vec<BatchRow>);

/// One row of a batch, read straight into the domain's inputs: each value is parsed from its
/// JSON text where it lies in the body, so no row is first held as JSON text per input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub inputs: Inputs,
    /// The first input, by name, that is not a number, a category or null (as
    /// [`super::numbers::parse_inputs`] would report it); such an input is not in `inputs`.
    pub unreadable: Option<UnreadableInput>,
}

impl FromRequest<AppState> for BatchRows {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(request.headers()) {
            return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .with_detail("Send the body as JSON with `Content-Type: application/json`."));
        }
        let deadline = Instant::now() + state.limits.request_timeout;
        let body = read_counting_rows(request.into_body(), deadline).await?;
        // Parsing megabytes is CPU work: it runs off the request threads.
        tokio::task::spawn_blocking(move || parse_batch_rows(&body))
            .await
            .map_err(|error| Problem::internal_from(&error))?
            .map(BatchRows)
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
async fn read_counting_rows(mut body: Body, deadline: Instant) -> Result<Vec<u8>, Problem> {
    let mut bytes = Vec::new();
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

/// Parses a whole batch body (the service does so on a blocking thread): the rows, or the
/// problem that refuses the body.
pub fn parse_batch_rows(body: &[u8]) -> Result<Vec<BatchRow>, Problem> {
    let too_many = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = BatchSeed {
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
        while let Some(row) = sequence.next_element_seed(RowSeed)? {
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
struct RowSeed;

impl<'de> DeserializeSeed<'de> for RowSeed {
    type Value = BatchRow;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed {
    type Value = BatchRow;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a row: an object of inputs")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut inputs = Inputs::new();
        // Every unreadable input, so that a later value under the same name replaces an
        // earlier one as it would in a map of JSON values, and the first by name is reported.
        let mut unreadable: Vec<UnreadableInput> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let text: &'de RawValue = map.next_value()?;
            unreadable.retain(|earlier| earlier.input != name);
            match parse_input(&name, text.get()) {
                Ok(value) => {
                    inputs.insert(name, value);
                }
                Err(error) => {
                    inputs.remove(&name);
                    unreadable.push(error);
                }
            }
        }
        Ok(BatchRow {
            inputs,
            unreadable: unreadable.into_iter().min_by(|a, b| a.input.cmp(&b.input)),
        })
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

    #[test]
    fn a_row_reads_as_single_inputs_do_and_names_its_first_unreadable_input() {
        use super::super::numbers::{parse_inputs, JsonInputs};
        let body = r#"{"rows": [
            {"b": 1.50, "a": "car", "c": null, "d": 2e3},
            {"z": true, "b": [1], "a": 1},
            {"a": true, "a": 3}
        ]}"#;
        let rows = parse_batch_rows(body.as_bytes()).unwrap();
        let single = |row: &str| {
            let json: JsonInputs = serde_json::from_str(row).unwrap();
            parse_inputs(&json)
        };
        assert_eq!(
            Ok(rows[0].inputs.clone()),
            single(r#"{"b": 1.50, "a": "car", "c": null, "d": 2e3}"#)
        );
        assert_eq!(rows[0].unreadable, None);
        assert_eq!(
            rows[1].unreadable.as_ref(),
            single(r#"{"z": true, "b": [1], "a": 1}"#).err().as_ref()
        );
        assert_eq!(rows[1].unreadable.as_ref().unwrap().input, "b");
        assert_eq!(Ok(rows[2].inputs.clone()), single(r#"{"a": true, "a": 3}"#));
        assert_eq!(rows[2].unreadable, None);
    }
}
