//! What the benchmark programs share: their command line and their statistics.
//!
//! Each benchmark is a `harness = false` program run by `cargo bench`, printing its figures
//! beside a baseline measured in the same run.

use std::time::Duration;

/// The program's `--flag value` pairs, in order. `cargo bench` passes `--bench` to every bench
/// program; it means nothing to them and is left out. A flag without a value is an error.
pub fn flag_values(
    arguments: impl IntoIterator<Item = String>,
) -> Result<Vec<(String, String)>, String> {
    let mut arguments = arguments.into_iter();
    let mut pairs = Vec::new();
    while let Some(flag) = arguments.next() {
        if flag == "--bench" {
            continue;
        }
        let value = arguments
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        pairs.push((flag, value));
    }
    Ok(pairs)
}

/// A flag's value as a whole number, or an error naming the flag.
pub fn whole_number(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} needs a number, not {value}"))
}

/// The median of `values` (the mean of the middle two for an even count); NaN for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// The latency below which `fraction` of the sorted `latencies` fall (the nearest rank);
/// zero for none.
pub fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * fraction) as usize).min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_flag_is_skipped_and_a_missing_value_is_refused() {
        let arguments = ["--rounds", "3", "--bench", "--clients", "16,64"].map(str::to_owned);
        assert_eq!(
            flag_values(arguments).unwrap(),
            vec![
                ("--rounds".to_owned(), "3".to_owned()),
                ("--clients".to_owned(), "16,64".to_owned())
            ]
        );
        assert_eq!(
            flag_values(["--rounds".to_owned()]),
            Err("--rounds needs a value".to_owned())
        );
        assert_eq!(
            whole_number("--rounds", "three"),
            Err("--rounds needs a number, not three".to_owned())
        );
    }

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 0.50), Duration::from_millis(51));
        assert_eq!(percentile(&sorted, 0.99), Duration::from_millis(100));
        assert_eq!(percentile(&[], 0.99), Duration::ZERO);
    }
}
