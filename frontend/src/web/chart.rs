//! The geometry of the schedule chart: one stacked bar per instalment, principal below and
//! interest above, drawn by the template as SVG so the page needs no script.
//!
//! The portfolio's charts are rows of horizontal bars, one per category ([`row_bars`]).
//!
//! Coordinates are computed in `Decimal` and written with two decimals: exact, and the
//! drawing is the same on every machine.

use rust_decimal::Decimal;

/// One instalment as the chart draws it: its number and its two parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stack {
    pub number: u32,
    pub principal: Decimal,
    pub interest: Decimal,
}

/// The SVG's coordinate space; the stylesheet scales it to the page's width.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 300;
/// Room at the bottom for instalment numbers.
const AXIS_HEIGHT: u32 = 24;
/// The part of each slot a bar fills; the rest is the gap between bars.
const BAR_FILL_PERCENT: u32 = 80;
/// Numbers under the bars are written for at most this many bars; the rest would overlap.
const MAX_AXIS_LABELS: usize = 12;

/// One instalment's bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub number: u32,
    pub x: String,
    pub width: String,
    pub principal_y: String,
    pub principal_height: String,
    pub interest_y: String,
    pub interest_height: String,
    pub label_x: String,
    /// Whether the instalment number is written under this bar.
    pub labelled: bool,
}

/// The whole chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    pub bars: Vec<Bar>,
    pub baseline_y: u32,
    pub label_y: u32,
    pub width: u32,
    pub height: u32,
}

/// Lays out the bars so the largest instalment fills the plot's height.
pub fn stacked_bars(installments: &[Stack]) -> Chart {
    let plot_height = Decimal::from(HEIGHT - AXIS_HEIGHT);
    let largest = installments
        .iter()
        .map(|installment| installment.principal + installment.interest)
        .max()
        .unwrap_or_default();
    let count = installments.len().max(1);
    let slot = Decimal::from(WIDTH) / Decimal::from(count);
    let bar_width = slot * Decimal::from(BAR_FILL_PERCENT) / Decimal::ONE_HUNDRED;
    let label_every = count.div_ceil(MAX_AXIS_LABELS);
    let scale = |amount: Decimal| {
        if largest.is_zero() || amount <= Decimal::ZERO {
            Decimal::ZERO
        } else {
            amount * plot_height / largest
        }
    };
    let bars = installments
        .iter()
        .enumerate()
        .map(|(index, installment)| {
            let slot_start = slot * Decimal::from(index);
            let x = slot_start + (slot - bar_width) / Decimal::TWO;
            let principal_height = scale(installment.principal);
            let interest_height = scale(installment.interest);
            let principal_y = plot_height - principal_height;
            let interest_y = principal_y - interest_height;
            Bar {
                number: installment.number,
                x: coordinate(x),
                width: coordinate(bar_width),
                principal_y: coordinate(principal_y),
                principal_height: coordinate(principal_height),
                interest_y: coordinate(interest_y),
                interest_height: coordinate(interest_height),
                label_x: coordinate(slot_start + slot / Decimal::TWO),
                labelled: index % label_every == 0 || index + 1 == installments.len(),
            }
        })
        .collect();
    Chart {
        bars,
        baseline_y: HEIGHT - AXIS_HEIGHT,
        label_y: HEIGHT - AXIS_HEIGHT / 3,
        width: WIDTH,
        height: HEIGHT,
    }
}

/// The width of a row chart; the label column is on its left, the bars on its right.
pub const ROW_CHART_WIDTH: u32 = 800;
/// The space a row takes, bar and gap.
const ROW_HEIGHT: u32 = 28;
/// The part of a row's height the bar fills.
const ROW_BAR_HEIGHT: u32 = 20;
/// Where the bars start: the labels are written to the left of this.
const ROW_LABEL_WIDTH: u32 = 260;
/// Room right of the longest bar for its value.
const ROW_VALUE_WIDTH: u32 = 200;

/// One category's bar of a row chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowBar {
    pub label: String,
    pub value: String,
    pub y: String,
    pub text_y: String,
    pub width: String,
    pub value_x: String,
}

/// A chart of one horizontal bar per category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowChart {
    pub rows: Vec<RowBar>,
    pub width: u32,
    pub height: u32,
    pub bar_x: u32,
    pub bar_height: u32,
}

/// Lays out one bar per `(label, amount, value text)` so the largest amount fills the width
/// left for bars; a negative or zero amount draws no bar but keeps its row and value.
pub fn row_bars(categories: &[(String, Decimal, String)]) -> RowChart {
    let largest = categories
        .iter()
        .map(|(_, amount, _)| *amount)
        .max()
        .unwrap_or_default();
    let plot_width = Decimal::from(ROW_CHART_WIDTH - ROW_LABEL_WIDTH - ROW_VALUE_WIDTH);
    let rows = categories
        .iter()
        .enumerate()
        .map(|(index, (label, amount, value))| {
            let width = if largest <= Decimal::ZERO || *amount <= Decimal::ZERO {
                Decimal::ZERO
            } else {
                *amount * plot_width / largest
            };
            let top = Decimal::from(ROW_HEIGHT) * Decimal::from(index);
            RowBar {
                label: label.clone(),
                value: value.clone(),
                y: coordinate(top),
                text_y: coordinate(
                    top + Decimal::from(ROW_BAR_HEIGHT) * Decimal::from(3) / Decimal::from(4),
                ),
                width: coordinate(width),
                value_x: coordinate(Decimal::from(ROW_LABEL_WIDTH) + width + Decimal::from(6)),
            }
        })
        .collect::<Vec<_>>();
    RowChart {
        height: ROW_HEIGHT * (rows.len().max(1) as u32),
        rows,
        width: ROW_CHART_WIDTH,
        bar_x: ROW_LABEL_WIDTH,
        bar_height: ROW_BAR_HEIGHT,
    }
}

fn coordinate(value: Decimal) -> String {
    let mut rounded = value.round_dp(2);
    rounded.rescale(2);
    rounded.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn installment(number: u32, principal: Decimal, interest: Decimal) -> Stack {
        Stack {
            number,
            principal,
            interest,
        }
    }

    fn number(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn the_largest_instalment_fills_the_plot_and_the_parts_stack_on_the_baseline() {
        let chart = stacked_bars(&[
            installment(1, dec!(200), dec!(50)),
            installment(2, dec!(100), dec!(25)),
        ]);
        let first = &chart.bars[0];
        assert_eq!(first.principal_height, "220.80");
        assert_eq!(first.interest_height, "55.20");
        assert_eq!(first.interest_y, "0.00");
        assert_eq!(
            number(&first.principal_y) + number(&first.principal_height),
            Decimal::from(chart.baseline_y)
        );
        let second = &chart.bars[1];
        assert_eq!(second.principal_height, "110.40");
        assert_eq!(second.interest_height, "27.60");
        assert_eq!(
            number(&second.interest_y) + number(&second.interest_height),
            number(&second.principal_y)
        );
    }

    #[test]
    fn bars_share_the_width_without_overlapping() {
        let installments: Vec<_> = (1..=4)
            .map(|number| installment(number, dec!(10), dec!(1)))
            .collect();
        let chart = stacked_bars(&installments);
        assert_eq!(chart.bars[0].x, "20.00");
        assert_eq!(chart.bars[0].width, "160.00");
        assert_eq!(chart.bars[3].x, "620.00");
        assert!(number(&chart.bars[3].x) + number(&chart.bars[3].width) <= Decimal::from(WIDTH));
    }

    #[test]
    fn long_schedules_label_only_some_bars_but_always_the_first_and_last() {
        let installments: Vec<_> = (1..=360)
            .map(|number| installment(number, dec!(10), dec!(1)))
            .collect();
        let chart = stacked_bars(&installments);
        let labelled: Vec<u32> = chart
            .bars
            .iter()
            .filter(|bar| bar.labelled)
            .map(|bar| bar.number)
            .collect();
        assert!(labelled.len() <= MAX_AXIS_LABELS + 1);
        assert_eq!(labelled.first(), Some(&1));
        assert_eq!(labelled.last(), Some(&360));
    }

    #[test]
    fn the_largest_category_fills_the_bar_column_and_a_zero_draws_no_bar() {
        let chart = row_bars(&[
            ("approved".to_owned(), dec!(30), "30".to_owned()),
            ("rejected".to_owned(), dec!(15), "15".to_owned()),
            ("withdrawn".to_owned(), dec!(0), "0".to_owned()),
        ]);
        assert_eq!(chart.rows[0].width, "340.00");
        assert_eq!(chart.rows[1].width, "170.00");
        assert_eq!(chart.rows[2].width, "0.00");
        assert_eq!(chart.rows[1].y, "28.00");
        assert_eq!(chart.height, 84);
        assert!(number(&chart.rows[0].value_x) < Decimal::from(ROW_CHART_WIDTH));
    }

    #[test]
    fn an_empty_row_chart_still_has_a_height() {
        assert_eq!(row_bars(&[]).height, 28);
    }

    #[test]
    fn an_interest_free_schedule_draws_no_interest() {
        let chart = stacked_bars(&[installment(1, dec!(100), dec!(0))]);
        assert_eq!(chart.bars[0].interest_height, "0.00");
        assert_eq!(chart.bars[0].principal_height, "276.00");
    }
}
