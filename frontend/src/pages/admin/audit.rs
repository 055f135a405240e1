//! The administrator's audit trail. Each service keeps its own trail and serves it at
//! `GET /v1/audit` to administrators; this page reads one service's at a time (the reader picks
//! it), so paging is the service's own keyset paging and never has to merge cursors of several
//! services. Filters: who, kind of object, which object, and dates (the `to` date inclusive);
//! each entry shows the data before and after; the CSV export passes on the service's file,
//! whose cells the service has already made safe for spreadsheets.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use imkon_platform::calendar::BankCalendar;
use serde::Deserialize;
use serde_json::Value;

use crate::clients::api::{CallError, ServiceApi};
use crate::clients::audit::{AuditPage, AuditRecord, AuditTrail};
use crate::pages::shared::download::attachment;
use crate::pages::shared::forms::{problem_message, KeyedChoice};
use crate::pages::shared::signed_in::{require_admin, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::format_date;
use crate::web::i18n::Translator;
use crate::AppState;

/// The services whose trail the page reads: form value, token audience, label.
const SERVICES: [(&str, &str); 5] = [
    ("applications", "audit-service-applications"),
    ("onboarding", "audit-service-onboarding"),
    ("disbursement", "audit-service-disbursement"),
    ("accounts", "audit-service-accounts"),
    ("scoring", "audit-service-scoring"),
];

const PAGE: &str = "/admin/audit";

/// The filters as the form sends them; every field may be empty.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub subject_type: String,
    #[serde(default)]
    pub subject_id: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub cursor: String,
}

/// The service's query: empty filters left out, dates turned into the instants they begin
/// (the `to` date's following midnight, so that it is inclusive).
fn service_query(filter: &AuditFilter) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    for (name, value) in [
        ("actor", &filter.actor),
        ("subject_type", &filter.subject_type),
        ("subject_id", &filter.subject_id),
        ("cursor", &filter.cursor),
    ] {
        if !value.trim().is_empty() {
            query.push((name, value.trim().to_owned()));
        }
    }
    let midnight = |date: NaiveDate| {
        date.and_hms_opt(0, 0, 0)
            .map(|time| time.and_utc().to_rfc3339())
    };
    if let Some(from) = filter.from.parse::<NaiveDate>().ok().and_then(midnight) {
        query.push(("from", from));
    }
    if let Some(to) = filter
        .to
        .parse::<NaiveDate>()
        .ok()
        .and_then(|date| date.checked_add_days(Days::new(1)))
        .and_then(midnight)
    {
        query.push(("to", to));
    }
    query
}

/// The filters (not the cursor) as a query string of this page, for the export and the pager.
fn filter_query(filter: &AuditFilter) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("service", filter.service.as_str()),
            ("actor", filter.actor.as_str()),
            ("subject_type", filter.subject_type.as_str()),
            ("subject_id", filter.subject_id.as_str()),
            ("from", filter.from.as_str()),
            ("to", filter.to.as_str()),
        ])
        .finish()
}

/// The chosen service, applications when none (or an unknown one) is named.
fn chosen(filter: &AuditFilter) -> &'static str {
    SERVICES
        .iter()
        .map(|(service, _)| *service)
        .find(|service| *service == filter.service)
        .unwrap_or(SERVICES[0].0)
}

fn api<'a>(state: &'a AppState, service: &str) -> &'a ServiceApi {
    match service {
        "onboarding" => &state.onboarding,
        "disbursement" => &state.contracts,
        "accounts" => &state.accounts,
        "scoring" => &state.scoring,
        _ => &state.applications,
    }
}

/// One entry as the table shows it.
pub struct AuditRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub subject: String,
    pub before: String,
    pub after: String,
}

fn json_text(value: &Option<Value>, nothing: &str) -> String {
    match value {
        Some(value) => serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()),
        None => nothing.to_owned(),
    }
}

/// An entry's row; its time is the bank's (the day from the bank's calendar, the time of day
/// counted from that day's start), as every other date on the site.
fn row(record: &AuditRecord, translator: &Translator, calendar: &BankCalendar) -> AuditRow {
    let nothing = translator.t("audit-nothing");
    let who = match &record.actor_id {
        Some(actor) if record.actor_roles.is_empty() => actor.clone(),
        Some(actor) => format!("{actor} ({})", record.actor_roles.join(", ")),
        None => nothing.clone(),
    };
    AuditRow {
        when: {
            let day = calendar.day_of(record.occurred_at);
            let seconds = (record.occurred_at - calendar.start_of(day)).num_seconds();
            format!(
                "{} {:02}:{:02}:{:02}",
                format_date(day, translator.locale()),
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            )
        },
        who,
        action: record.action.clone(),
        subject: format!("{} {}", record.subject_type, record.subject_id),
        before: json_text(&record.before, &nothing),
        after: json_text(&record.after, &nothing),
    }
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditTrailPage {
    t: Translator,
    layout: Layout,
    services: Vec<KeyedChoice>,
    filter: AuditFilter,
    /// The filters as a query string, for the export and the pager.
    query: String,
    records: Vec<AuditRow>,
    older: Option<String>,
    paged: bool,
    notice: Option<String>,
}

/// The audit page.
pub async fn audit(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Query(filter): Query<AuditFilter>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let service = chosen(&filter);
    let token = signed_in
        .access_token(&state, service)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let translator = context.translator();
    let answer = AuditTrail {
        api: api(&state, service),
        token: &token,
    }
    .page(&service_query(&filter))
    .await;
    let (page, notice, status) = match answer {
        Ok(page) => (page, None, StatusCode::OK),
        Err(CallError::Refused { status, code, .. }) => (
            AuditPage::default(),
            Some(problem_message(&translator, &code)),
            status,
        ),
        Err(error) => return Err(PageError::from_call(error, PAGE)),
    };
    let mut shown = filter.clone();
    shown.service = service.to_owned();
    let query = filter_query(&shown);
    Ok(render(
        status,
        &AuditTrailPage {
            services: SERVICES
                .iter()
                .map(|(value, label_key)| KeyedChoice {
                    value,
                    label_key: label_key.to_string(),
                    selected: *value == service,
                })
                .collect(),
            records: page
                .items
                .iter()
                .map(|record| row(record, &translator, &state.calendar))
                .collect(),
            older: page.next_cursor,
            paged: !filter.cursor.is_empty(),
            query,
            filter: shown,
            notice,
            t: translator,
            layout: context.layout(Section::AdminAudit),
        },
    ))
}

/// The chosen service's trail under the same filters as a CSV file.
pub async fn audit_csv(
    State(state): State<AppState>,
    mut signed_in: SignedIn,
    Query(filter): Query<AuditFilter>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let service = chosen(&filter);
    let token = signed_in
        .access_token(&state, service)
        .await
        .map_err(|error| PageError::from_call(error, PAGE))?;
    let upstream = AuditTrail {
        api: api(&state, service),
        token: &token,
    }
    .csv(&service_query(&filter))
    .await
    .map_err(|error| PageError::from_call(error, PAGE))?;
    Ok(attachment(
        upstream,
        "text/csv; charset=utf-8",
        &format!("audit-{service}.csv"),
    ))
}
