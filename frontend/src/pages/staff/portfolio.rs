//! The portfolio dashboard for the bank's staff: applications per state, the approval rate of
//! each programme, the amounts paid out per month and the arrears by ageing bucket, each a
//! chart drawn on the server as SVG so the page needs no script.
//!
//! The figures are counted here from the services' lists, paged through to the end (up to a
//! bound, so a very large portfolio cannot hold a page for long). A source the viewer's role
//! may not read leaves its chart out rather than failing the page.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use reqwest::Method;
use rust_decimal::Decimal;

use crate::clients::api::{send_json, CallError};
use crate::clients::applications::{ApplicationPage, ApplicationsCalls};
use crate::clients::disbursement::{all_contracts, arrears_buckets, ARREARS_BUCKETS};
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::chart::{row_bars, RowChart};
use crate::web::format::amount_text;
use crate::web::i18n::Translator;
use crate::AppState;

/// The most pages of a list the dashboard reads.
const MAX_PAGES: usize = 50;
/// Items asked for per page.
const PAGE_SIZE: &str = "100";

/// The states of an application, in the order of the workflow.
const APPLICATION_STATES: [&str; 10] = [
    "draft",
    "submitted",
    "screening",
    "in_review",
    "info_requested",
    "decision",
    "approved",
    "rejected",
    "withdrawn",
    "cancelled",
];

/// A chart with its title, or the reason it is left out.
pub struct Panel {
    pub title_key: &'static str,
    pub chart: Option<RowChart>,
}

#[derive(Template)]
#[template(path = "portfolio.html")]
struct DashboardPage {
    t: Translator,
    layout: Layout,
    panels: Vec<Panel>,
}

/// Whether a failed call means only that this viewer may not read the source.
fn left_out<T>(answer: Result<T, CallError>, next: &str) -> Result<Option<T>, PageError> {
    match answer {
        Ok(value) => Ok(Some(value)),
        Err(CallError::Forbidden { .. }) => Ok(None),
        Err(error) => Err(PageError::from_call(error, next)),
    }
}

/// Every application the viewer may see, paged through.
async fn all_applications(
    state: &AppState,
    token: &str,
) -> Result<Vec<crate::clients::applications::Application>, CallError> {
    let mut applications = Vec::new();
    let mut offset = 0u32;
    for _ in 0..MAX_PAGES {
        let page: ApplicationPage = send_json(
            state
                .applications
                .authorized(Method::GET, "/v1/applications", token)
                .query(&[("limit", PAGE_SIZE), ("offset", &offset.to_string())]),
        )
        .await?;
        applications.extend(page.items);
        match page.next_offset {
            Some(next) if next > offset => offset = next,
            _ => break,
        }
    }
    Ok(applications)
}

/// Applications per state, in the workflow's order.
fn per_state(
    applications: &[crate::clients::applications::Application],
    translator: &Translator,
) -> RowChart {
    let categories: Vec<(String, Decimal, String)> = APPLICATION_STATES
        .iter()
        .map(|state| {
            let count = applications
                .iter()
                .filter(|application| application.state == *state)
                .count();
            (
                translator.t(&format!("state-{}", state.replace('_', "-"))),
                Decimal::from(count),
                count.to_string(),
            )
        })
        .collect();
    row_bars(&categories)
}

/// The share of decided applications (approved or rejected) that were approved, by programme.
/// An application cancelled with its unsigned contract was approved, and counts as such.
fn approval_rates(
    applications: &[crate::clients::applications::Application],
    programme_names: &BTreeMap<String, String>,
) -> RowChart {
    let mut decided: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for application in applications {
        let entry = decided
            .entry(application.programme_id.as_str())
            .or_default();
        match application.state.as_str() {
            "approved" | "cancelled" => entry.0 += 1,
            "rejected" => entry.1 += 1,
            _ => {}
        }
    }
    let categories: Vec<(String, Decimal, String)> = decided
        .into_iter()
        .filter(|(_, (approved, rejected))| approved + rejected > 0)
        .map(|(programme, (approved, rejected))| {
            let percent = (Decimal::from(approved) * Decimal::ONE_HUNDRED
                / Decimal::from(approved + rejected))
            .round_dp(0);
            (
                programme_names
                    .get(programme)
                    .cloned()
                    .unwrap_or_else(|| programme.to_owned()),
                percent,
                format!("{percent}% ({approved}/{})", approved + rejected),
            )
        })
        .collect();
    row_bars(&categories)
}

/// The amounts paid out per calendar month (UTC), per currency, oldest first.
fn disbursed_per_month(
    contracts: &[crate::clients::disbursement::Contract],
    translator: &Translator,
) -> RowChart {
    let mut totals: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for contract in contracts {
        for tranche in &contract.tranches {
            let (Some(paid_at), Ok(amount)) =
                (tranche.disbursed_at, tranche.amount.parse::<Decimal>())
            else {
                continue;
            };
            *totals
                .entry((
                    paid_at.format("%Y-%m").to_string(),
                    contract.currency.clone(),
                ))
                .or_default() += amount;
        }
    }
    let categories: Vec<(String, Decimal, String)> = totals
        .into_iter()
        .map(|((month, currency), amount)| {
            (
                month,
                amount,
                amount_text(&amount.to_string(), &currency, translator),
            )
        })
        .collect();
    row_bars(&categories)
}

/// Overdue contracts per ageing bucket, youngest first.
fn arrears_per_bucket(buckets: &[crate::clients::disbursement::Bucket]) -> RowChart {
    let categories: Vec<(String, Decimal, String)> = ARREARS_BUCKETS
        .iter()
        .map(|name| {
            let contracts = buckets
                .iter()
                .find(|bucket| bucket.bucket == *name)
                .map_or(0, |bucket| bucket.contracts);
            (
                (*name).to_owned(),
                Decimal::from(contracts),
                contracts.to_string(),
            )
        })
        .collect();
    row_bars(&categories)
}

/// The portfolio dashboard.
pub async fn dashboard(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    if !signed_in.person.is_portfolio_staff() {
        return Err(PageError::WrongRole);
    }
    let next = "/portfolio";
    let translator = context.translator();
    let applications_token = signed_in
        .access_token(&state, "applications")
        .await
        .map_err(|error| PageError::from_call(error, next))?;
    let contracts_token = signed_in
        .access_token(&state, "disbursement")
        .await
        .map_err(|error| PageError::from_call(error, next))?;
    let applications = left_out(all_applications(&state, &applications_token).await, next)?;
    let calls = ApplicationsCalls {
        api: &state.applications,
        token: &applications_token,
    };
    let programme_names: BTreeMap<String, String> = left_out(calls.programmes().await, next)?
        .unwrap_or_default()
        .into_iter()
        .map(|programme| {
            let name = programme.name.get(translator.locale()).to_owned();
            (programme.id, name)
        })
        .collect();
    let contracts = left_out(
        all_contracts(&state.contracts, &contracts_token).await,
        next,
    )?;
    let buckets = left_out(
        arrears_buckets(&state.contracts, &contracts_token).await,
        next,
    )?;
    let panels = vec![
        Panel {
            title_key: "portfolio-applications-per-state",
            chart: applications
                .as_ref()
                .map(|applications| per_state(applications, &translator)),
        },
        Panel {
            title_key: "portfolio-approval-rate",
            chart: applications
                .as_ref()
                .map(|applications| approval_rates(applications, &programme_names)),
        },
        Panel {
            title_key: "portfolio-disbursed-per-month",
            chart: contracts
                .as_ref()
                .map(|contracts| disbursed_per_month(contracts, &translator)),
        },
        Panel {
            title_key: "portfolio-arrears-per-bucket",
            chart: buckets.as_ref().map(|buckets| arrears_per_bucket(buckets)),
        },
    ];
    Ok(render(
        StatusCode::OK,
        &DashboardPage {
            panels,
            t: translator,
            layout: context.layout(Section::Portfolio),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{catalogues, Locale};

    fn application(programme_id: &str, state: &str) -> crate::clients::applications::Application {
        serde_json::from_value(serde_json::json!({
            "id": "a", "programme_id": programme_id, "client_id": "k", "company_id": "c",
            "state": state,
            "requested_amount": null, "term_months": null, "project_cost": null,
            "submitted_at": null, "created_at": "2026-11-01T00:00:00Z",
            "score": null, "decision": null,
        }))
        .unwrap()
    }

    #[test]
    fn the_approval_rate_counts_decided_applications_only() {
        let applications = [
            application("p1", "approved"),
            application("p1", "approved"),
            application("p1", "rejected"),
            application("p1", "in_review"),
            application("p2", "draft"),
        ];
        let names = BTreeMap::from([("p1".to_owned(), "Start-up loans".to_owned())]);
        let chart = approval_rates(&applications, &names);
        assert_eq!(
            chart.rows.len(),
            1,
            "a programme with no decision yet has no rate"
        );
        assert_eq!(chart.rows[0].label, "Start-up loans");
        assert_eq!(chart.rows[0].value, "67% (2/3)");
    }

    #[test]
    fn payouts_are_summed_per_month_and_currency() {
        let contract: crate::clients::disbursement::Contract =
            serde_json::from_value(serde_json::json!({
                "id": "c", "programme_kind": "loan", "status": "active", "currency": "UZS",
                "principal": "300.00", "annual_rate_percent": "14", "term_months": 6,
                "disbursement_date": null, "first_due_date": null, "penalty_outstanding": "0.00",
                "loan_account_number": null, "created_at": "2026-10-01T00:00:00Z",
                "tranches": [
                    {"number": 1, "amount": "100.00", "purpose": "a", "status": "disbursed",
                     "disbursed_at": "2026-10-03T10:00:00Z"},
                    {"number": 2, "amount": "50.00", "purpose": "b", "status": "disbursed",
                     "disbursed_at": "2026-10-20T10:00:00Z"},
                    {"number": 3, "amount": "150.00", "purpose": "c", "status": "approved",
                     "disbursed_at": null},
                ],
            }))
            .unwrap();
        let chart = disbursed_per_month(&[contract], &Translator::new(Locale::En));
        assert_eq!(chart.rows.len(), 1);
        assert_eq!(chart.rows[0].label, "2026-10");
        assert_eq!(chart.rows[0].value, "UZS\u{a0}150.00");
    }

    #[test]
    fn every_application_state_has_a_label_in_every_language() {
        for locale in Locale::ALL {
            for state in APPLICATION_STATES {
                let key = format!("state-{}", state.replace('_', "-"));
                assert!(catalogues().message_ids(locale).contains(&key), "{key}");
            }
        }
    }
}
