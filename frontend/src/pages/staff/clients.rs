//! The client search and the client page for the bank's staff (KYC officers, credit officers,
//! approvers, finance). Each part of the client page comes from the service that owns it:
//! identity, companies, KYC and documents from onboarding's client file (which audits each
//! opening and masks the PINFL for all but KYC officers), applications from the applications
//! service (credit officers and approvers only, as that service allows), contracts from
//! disbursement, accounts with their balances from accounts (read-only). A part the reader's
//! role may not see is not shown; a part the service cannot give now is left out with a note,
//! never an error page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::clients::accounts::client_accounts;
use crate::clients::applications::{path_segment, ApplicationsCalls, QueueFilter};
use crate::clients::disbursement::all_contracts;
use crate::clients::onboarding::{client_file, search_clients, ClientFile};
use crate::pages::shared::client_names::{in_reader_script, reads_clients};
use crate::pages::shared::kyc_case::status_key as kyc_status_key;
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::{amount_text, format_date, format_day_of};
use crate::web::i18n::Translator;
use crate::AppState;

/// Clients shown per page of search results.
const SEARCH_PAGE_SIZE: u32 = 20;

fn require_client_reader(signed_in: &SignedIn) -> Result<(), PageError> {
    if reads_clients(signed_in) {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

#[derive(Deserialize, Default)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u32>,
}

/// A client found, as the results list shows them.
pub struct HitRow {
    pub id: String,
    pub name: String,
    pub other_name: String,
    pub birth_date: String,
    pub pinfl: String,
    pub kyc_status_key: String,
    pub companies: String,
}

#[derive(Template)]
#[template(path = "clients.html")]
struct SearchPage {
    t: Translator,
    layout: Layout,
    query: String,
    /// Whether a search ran (a query was typed).
    searched: bool,
    /// The service's refusal of the query, in the reader's words.
    refusal: String,
    hits: Vec<HitRow>,
    total: i64,
    previous_page: Option<String>,
    next_page: Option<String>,
}

fn page_link(query: &str, page: u32) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("q", query)
        .append_pair("page", &page.to_string())
        .finish()
}

/// The client search: one box, paged results linking to each client's page.
pub async fn search(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Query(form): Query<SearchForm>,
) -> Result<Response, PageError> {
    require_client_reader(&signed_in)?;
    let translator = context.translator();
    let query = form.q.trim().to_owned();
    let page = form.page.unwrap_or(1).max(1);
    let mut view = SearchPage {
        t: translator,
        layout: context.layout(Section::Clients),
        searched: !query.is_empty(),
        query: query.clone(),
        refusal: String::new(),
        hits: Vec::new(),
        total: 0,
        previous_page: None,
        next_page: None,
    };
    if !query.is_empty() {
        let next = format!("/clients?{}", page_link(&query, page));
        let token = signed_in
            .access_token(&state, "onboarding")
            .await
            .map_err(|error| PageError::from_call(error, &next))?;
        match search_clients(&state.onboarding, &token, &query, page, SEARCH_PAGE_SIZE).await {
            Ok(found) => {
                let locale = translator.locale();
                view.total = found.total;
                view.hits = found
                    .clients
                    .iter()
                    .map(|hit| {
                        let (name, other_name) = in_reader_script(
                            &hit.latin_full_name,
                            hit.cyrillic_full_name.as_deref(),
                            locale,
                        );
                        HitRow {
                            id: hit.client_id.clone(),
                            name,
                            other_name,
                            birth_date: format_date(hit.birth_date, locale),
                            pinfl: hit.pinfl.clone(),
                            kyc_status_key: kyc_status_key(&hit.kyc_status),
                            companies: hit.company_names.join(", "),
                        }
                    })
                    .collect();
                let shown = i64::from(found.page) * i64::from(found.page_size);
                view.next_page = (shown < found.total).then(|| page_link(&query, found.page + 1));
                view.previous_page = (found.page > 1).then(|| page_link(&query, found.page - 1));
            }
            Err(crate::clients::api::CallError::Refused { .. }) => {
                view.refusal = translator.t("clients-search-refused");
            }
            Err(error) => return Err(PageError::from_call(error, &next)),
        }
    }
    Ok(render(StatusCode::OK, &view))
}

/// A founder of a company, as the client page lists them.
pub struct FounderRow {
    pub client_id: String,
    pub name: String,
    pub share_percent: String,
}

pub struct CompanyRow {
    pub name: String,
    pub stir: String,
    pub kyc_status_key: String,
    pub founders: Vec<FounderRow>,
}

pub struct HistoryRow {
    pub when: String,
    pub action_key: String,
    pub status_key: String,
}

pub struct DocumentRow {
    pub id: String,
    pub kind_key: String,
    pub file_name: String,
    pub uploaded: String,
}

pub struct ContractRow {
    pub id: String,
    pub kind_key: String,
    pub status_key: String,
    pub principal: String,
    pub penalty: String,
}

/// What onboarding's file gives the client page.
pub struct Identity {
    pub name: String,
    pub other_name: String,
    pub birth_date: String,
    pub pinfl: String,
    pub passport_number: String,
    pub passport_validity: String,
    pub passport_valid: bool,
    pub phone: String,
    pub email: String,
    pub kyc_status_key: String,
    pub history: Vec<HistoryRow>,
    pub companies: Vec<CompanyRow>,
    pub documents: Vec<DocumentRow>,
}

/// An application of the client, as the client page lists it.
pub struct ApplicationRow {
    pub id: String,
    pub programme: String,
    pub state_key: String,
    pub requested: String,
    pub created: String,
}

/// An account of the client with its balances.
pub struct AccountRow {
    pub number: String,
    pub kind_key: String,
    pub posted: String,
    pub available: String,
}

/// The roles the applications service lets list a client's applications.
const APPLICATION_READERS: [&str; 2] = ["credit_officer", "approver"];

#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage {
    t: Translator,
    layout: Layout,
    identity: Identity,
    /// Whether the reader's role may see the client's applications at all.
    shows_applications: bool,
    /// None when the applications service did not answer.
    applications: Option<Vec<ApplicationRow>>,
    /// None when disbursement did not answer or refused the reader.
    contracts: Option<Vec<ContractRow>>,
    /// None when the accounts service did not answer or refused the reader.
    accounts: Option<Vec<AccountRow>>,
}

fn identity(file: &ClientFile, state: &AppState, translator: &Translator) -> Identity {
    let locale = translator.locale();
    let (name, other_name) = in_reader_script(
        &file.latin_name.full_name,
        file.cyrillic_name
            .as_ref()
            .map(|name| name.full_name.as_str()),
        locale,
    );
    Identity {
        name,
        other_name,
        birth_date: format_date(file.birth_date, locale),
        pinfl: file.pinfl.clone(),
        passport_number: file.passport.number.clone(),
        passport_validity: format!(
            "{} – {}",
            format_date(file.passport.issue_date, locale),
            format_date(file.passport.expiry_date, locale)
        ),
        passport_valid: file.passport.valid_today,
        phone: file.phone.clone(),
        email: file.email.clone().unwrap_or_default(),
        kyc_status_key: kyc_status_key(&file.kyc_status),
        history: file
            .kyc_history
            .iter()
            .map(|event| HistoryRow {
                when: format_day_of(event.occurred_at, &state.calendar, locale),
                action_key: format!("client-event-{}", event.action.replace(['.', '_'], "-")),
                status_key: event
                    .status_after
                    .as_deref()
                    .map(kyc_status_key)
                    .unwrap_or_default(),
            })
            .collect(),
        companies: file
            .companies
            .iter()
            .map(|company| CompanyRow {
                name: company.name.clone(),
                stir: company.stir.clone(),
                kyc_status_key: kyc_status_key(&company.kyc_status),
                founders: company
                    .founders
                    .iter()
                    .map(|founder| FounderRow {
                        client_id: founder.client_id.clone().unwrap_or_default(),
                        name: founder
                            .full_name
                            .clone()
                            .or_else(|| founder.pinfl.clone())
                            .unwrap_or_default(),
                        share_percent: founder.share_percent.clone(),
                    })
                    .collect(),
            })
            .collect(),
        documents: file
            .documents
            .iter()
            .map(|document| DocumentRow {
                id: document.document_id.clone(),
                kind_key: format!("document-kind-{}", document.kind.replace('_', "-")),
                file_name: document.original_file_name.clone().unwrap_or_default(),
                uploaded: format_day_of(document.uploaded_at, &state.calendar, locale),
            })
            .collect(),
    }
}

/// The client page.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_client_reader(&signed_in)?;
    let next = format!("/clients/{id}");
    path_segment(&id).map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    let token = signed_in
        .access_token(&state, "onboarding")
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let file = client_file(&state.onboarding, &token, &id)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let contracts = match signed_in.access_token(&state, "disbursement").await {
        Ok(token) => all_contracts(&state.contracts, &token).await,
        Err(error) => Err(error),
    }
    .inspect_err(|error| tracing::warn!(%error, "the client's contracts could not be read"))
    .ok()
    .map(|contracts| {
        contracts
            .iter()
            .filter(|contract| contract.client_id == id)
            .map(|contract| ContractRow {
                id: contract.id.clone(),
                kind_key: format!("contract-kind-{}", contract.programme_kind),
                status_key: format!("contract-status-{}", contract.status.replace('_', "-")),
                principal: amount_text(&contract.principal, &contract.currency, &translator),
                penalty: amount_text(
                    &contract.penalty_outstanding,
                    &contract.currency,
                    &translator,
                ),
            })
            .collect()
    });
    let shows_applications = APPLICATION_READERS
        .iter()
        .any(|role| signed_in.person.has_role(role));
    let applications = if shows_applications {
        client_applications(&state, &mut signed_in, &id, &translator)
            .await
            .inspect_err(
                |error| tracing::warn!(%error, "the client's applications could not be read"),
            )
            .ok()
    } else {
        None
    };
    let accounts = match signed_in.access_token(&state, "accounts").await {
        Ok(token) => client_accounts(&state.accounts, &token, &id).await,
        Err(error) => Err(error),
    }
    .inspect_err(|error| tracing::warn!(%error, "the client's accounts could not be read"))
    .ok()
    .map(|accounts| {
        accounts
            .iter()
            .map(|account| AccountRow {
                number: account.number.clone(),
                kind_key: format!("account-kind-{}", account.kind.replace('_', "-")),
                posted: amount_text(&account.posted_balance, &account.currency, &translator),
                available: amount_text(&account.available_balance, &account.currency, &translator),
            })
            .collect()
    });
    Ok(render(
        StatusCode::OK,
        &ClientPage {
            identity: identity(&file, &state, &translator),
            shows_applications,
            applications,
            contracts,
            accounts,
            t: translator,
            layout: context.layout(Section::Clients),
        },
    ))
}

/// The client's applications, newest programme names in the reader's language, through the
/// officers' queue filtered to the one client.
async fn client_applications(
    state: &AppState,
    signed_in: &mut SignedIn,
    client_id: &str,
    translator: &Translator,
) -> Result<Vec<ApplicationRow>, crate::clients::api::CallError> {
    let token = signed_in.access_token(state, "applications").await?;
    let calls = ApplicationsCalls {
        api: &state.applications,
        token: &token,
    };
    let programmes = calls.programmes().await?;
    let page = calls
        .list(&QueueFilter {
            client_id: client_id.to_owned(),
            ..QueueFilter::default()
        })
        .await?;
    let locale = translator.locale();
    Ok(page
        .items
        .iter()
        .map(|application| {
            let programme = programmes
                .iter()
                .find(|programme| programme.id == application.programme_id);
            ApplicationRow {
                id: application.id.clone(),
                programme: programme
                    .map(|programme| programme.name.get(locale).to_owned())
                    .unwrap_or_default(),
                state_key: format!("state-{}", application.state.replace('_', "-")),
                requested: match (&application.requested_amount, programme) {
                    (Some(amount), Some(programme)) => {
                        amount_text(amount, &programme.currency, translator)
                    }
                    _ => String::new(),
                },
                created: format_day_of(application.created_at, &state.calendar, locale),
            }
        })
        .collect())
}
