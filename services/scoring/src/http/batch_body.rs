//! A batch's body, read row by row as it arrives.
//!
//! A batch may be up to 32 MiB, so reading it whole before counting its rows would let any
//! caller make the service hold 32 MiB for a batch it will refuse anyway. Instead the body is
//! parsed while it streams in, on a blocking thread (serde_json reads from `std::io::Read`):
//!
//! 1. The body is pulled a chunk at a time; past [`BATCH_BODY_LIMIT_BYTES`] reading stops
//!    with a 413, and past the service's request timeout with a 408 (a caller sending slowly
//!    holds a blocking thread, so not for longer than any request may take).
//! 2. Rows are counted as each one is parsed; the row after [`MAX_BATCH_ROWS`] stops reading
//!    with a 422 `too_many_rows`, before the rest of the body is read.
//! 3. Otherwise the rejections are those of every JSON body: 415 without a JSON content type,
//!    400 for malformed JSON, 422 for the wrong shape.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufReader, Read};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use http_body_util::BodyExt;
use imkon_platform::problem::{has_json_content_type, Problem};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use tokio::runtime::Handle;
use tokio::time::Instant;

use super::numbers::JsonInputs;
use crate::AppState;

/// The most rows one batch may hold.
pub const MAX_BATCH_ROWS: usize = 10_000;

/// A batch of 10 000 rows of a few dozen inputs is a few megabytes: more than the platform's
/// default body limit, which stays in force everywhere else.
pub const BATCH_BODY_LIMIT_BYTES: usize = 32 * 1024 * 1024;

/// How much of the body the parser reads at a time.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// The rows of a batch request (`{"rows": [...]}`), at most [`MAX_BATCH_ROWS`].
#[derive(Debug)]
pub struct BatchRows(pub Vec<JsonInputs>);

impl FromRequest<AppState> for BatchRows {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(request.headers()) {
            return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .with_detail("Send the body as JSON with `Content-Type: application/json`."));
        }
        let body = request.into_body();
        let runtime = Handle::current();
        let deadline = Instant::now() + state.limits.request_timeout;
        tokio::task::spawn_blocking(move || read_batch_rows(body, &runtime, deadline))
            .await
            .map_err(|error| Problem::internal_from(&error))?
            .map(BatchRows)
    }
}

/// Parses the body as it arrives; runs on a blocking thread, pulling chunks through `runtime`.
fn read_batch_rows(
    body: Body,
    runtime: &Handle,
    deadline: Instant,
) -> Result<Vec<JsonInputs>, Problem> {
    let over_limit = Cell::new(false);
    let too_slow = Cell::new(false);
    let too_many_rows = Cell::new(false);
    let reader = BufReader::with_capacity(
        READ_BUFFER_BYTES,
        BodyReader {
            body,
            runtime,
            deadline,
            chunk: Bytes::new(),
            read_bytes: 0,
            over_limit: &over_limit,
            too_slow: &too_slow,
            too_many_rows: &too_many_rows,
        },
    );
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let parsed = BatchSeed {
        too_many_rows: &too_many_rows,
    }
    .deserialize(&mut deserializer)
    .and_then(|rows| deserializer.end().map(|()| rows));
    match parsed {
        Ok(rows) => Ok(rows),
        Err(_) if over_limit.get() => Err(Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE)),
        Err(_) if too_slow.get() => Err(Problem::for_status(StatusCode::REQUEST_TIMEOUT)),
        Err(_) if too_many_rows.get() => Err(Problem::invalid_field(
            "rows",
            "too_many_rows",
            format!("a batch holds at most {MAX_BATCH_ROWS} rows"),
        )),
        Err(error) if error.is_data() => {
            Err(Problem::unprocessable("invalid_body", error.to_string()))
        }
        Err(error) if error.is_io() => Err(Problem::bad_request(
            "unreadable_body",
            "The request body could not be read.",
        )),
        Err(error) => Err(Problem::bad_request("malformed_json", error.to_string())),
    }
}

/// The request body as `std::io::Read`, each chunk awaited on the runtime.
struct BodyReader<'a> {
    body: Body,
    runtime: &'a Handle,
    deadline: Instant,
    chunk: Bytes,
    read_bytes: usize,
    over_limit: &'a Cell<bool>,
    too_slow: &'a Cell<bool>,
    too_many_rows: &'a Cell<bool>,
}

impl Read for BodyReader<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        // serde_json still looks for the end of the array after a refusal; once refused,
        // nothing more is read, or it would wait for the rest of the body.
        if self.too_many_rows.get() || self.over_limit.get() || self.too_slow.get() {
            return Err(io::Error::other("the batch was refused"));
        }
        while self.chunk.is_empty() {
            let next_frame = self
                .runtime
                .block_on(tokio::time::timeout_at(self.deadline, self.body.frame()));
            let Ok(next_frame) = next_frame else {
                self.too_slow.set(true);
                return Err(io::Error::other("the batch arrived too slowly"));
            };
            let Some(frame) = next_frame else {
                return Ok(0);
            };
            let Ok(data) = frame.map_err(io::Error::other)?.into_data() else {
                // Trailers carry no body bytes.
                continue;
            };
            self.read_bytes = self.read_bytes.saturating_add(data.len());
            if self.read_bytes > BATCH_BODY_LIMIT_BYTES {
                self.over_limit.set(true);
                return Err(io::Error::other("the batch is larger than its limit"));
            }
            self.chunk = data;
        }
        let length = buffer.len().min(self.chunk.len());
        buffer[..length].copy_from_slice(&self.chunk.split_to(length));
        Ok(length)
    }
}

/// `{"rows": [...]}` and nothing else, recording when the rows go past the limit.
struct BatchSeed<'a> {
    too_many_rows: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for BatchSeed<'_> {
    type Value = Vec<JsonInputs>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BatchSeed<'_> {
    type Value = Vec<JsonInputs>;

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
    type Value = Vec<JsonInputs>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = Vec<JsonInputs>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Self::Value, A::Error> {
        let mut rows = Vec::new();
        while let Some(row) = sequence.next_element::<JsonInputs>()? {
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
