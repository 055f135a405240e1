//! The programmes and the applications list: a founder's own applications, or the credit
//! staff's queue with its filters; and the application page itself (see
//! `pages::shared::application_view`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use crate::clients::applications::{Application, Programme, QueueFilter};
use crate::pages::shared::application_view::{
    application_page, applications_token, calls, money_text, path_of, Choice, ProgrammeRow, STATES,
};
use crate::pages::shared::client_names::{ClientLabel, ClientNamer};
use crate::pages::shared::download::attachment;
use crate::pages::shared::forms::FormState;
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::format_day_of;
use crate::web::i18n::Translator;
use crate::AppState;

/// The score bands, for the queue's filter.
const BANDS: [&str; 5] = ["A", "B", "C", "D", "E"];

#[derive(Template)]
#[template(path = "programmes.html")]
struct ProgrammesPage {
    t: Translator,
    layout: Layout,
    programmes: Vec<ProgrammeRow>,
    can_apply: bool,
    /// Credit staff download each programme's applications and reviews.
    can_export: bool,
}

/// The open programmes, in the visitor's language.
pub async fn programmes(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    uri: Uri,
) -> Result<Response, PageError> {
    let next = path_of(&uri);
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let programmes = calls(&state, &token)
        .programmes()
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    let today = state.calendar.today();
    let rows = programmes
        .iter()
        .filter(|programme| programme.is_open(today))
        .map(|programme| ProgrammeRow::new(programme, &translator))
        .collect();
    Ok(render(
        StatusCode::OK,
        &ProgrammesPage {
            t: translator,
            layout: context.layout(Section::Programmes),
            programmes: rows,
            can_apply: signed_in.person.is_client(),
            can_export: signed_in.person.is_credit_staff(),
        },
    ))
}

/// An application as a list shows it.
pub struct ApplicationRow {
    pub id: String,
    pub programme: String,
    pub state_key: String,
    pub amount: String,
    pub band: String,
    pub created: String,
    /// The applicant by name, on the staff's queue; empty on a founder's own list.
    pub client: ClientLabel,
}

fn application_row(
    application: &Application,
    programmes: &BTreeMap<String, Programme>,
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
) -> ApplicationRow {
    let programme = programmes.get(&application.programme_id);
    let currency = programme
        .map(|programme| programme.currency.as_str())
        .unwrap_or("UZS");
    ApplicationRow {
        id: application.id.clone(),
        programme: programme
            .map(|programme| programme.name.get(translator.locale()).to_owned())
            .unwrap_or_default(),
        state_key: format!("state-{}", application.state.replace('_', "-")),
        amount: money_text(
            application.requested_amount.as_deref(),
            currency,
            translator,
        ),
        band: application
            .score
            .as_ref()
            .map(|score| score.band.clone())
            .unwrap_or_default(),
        created: format_day_of(application.created_at, calendar, translator.locale()),
        client: ClientLabel::default(),
    }
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ApplicationsPage {
    t: Translator,
    layout: Layout,
    rows: Vec<ApplicationRow>,
    is_queue: bool,
    state_choices: Vec<Choice>,
    programme_choices: Vec<Choice>,
    band_choices: Vec<Choice>,
    mine: bool,
    /// The programme the queue is filtered by, whose exports it links to.
    export_programme: Option<String>,
}

/// A founder's own applications, or the credit staff's queue with its filters.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    uri: Uri,
    Query(mut filter): Query<QueueFilter>,
) -> Result<Response, PageError> {
    let next = path_of(&uri);
    let person = signed_in.person.clone();
    if !person.is_client() && !person.is_credit_staff() {
        return Err(PageError::WrongRole);
    }
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let calls = calls(&state, &token);
    let is_queue = person.is_credit_staff();
    // "Mine" is a filter of the queue by the signed-in officer as assignee.
    let mine = filter.assignee == "me";
    if mine {
        filter.assignee = person.id.clone();
    }
    if !is_queue {
        filter = QueueFilter::default();
    }
    let page = calls
        .list(&filter)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let programmes: BTreeMap<String, Programme> = calls
        .programmes()
        .await
        .map_err(|error| PageError::from_call(error, &next))?
        .into_iter()
        .map(|programme| (programme.id.clone(), programme))
        .collect();
    let translator = context.translator();
    let names = if is_queue {
        Some(
            ClientNamer::lookup(
                &state,
                &mut signed_in,
                page.items
                    .iter()
                    .map(|application| application.client_id.as_str()),
                &translator,
            )
            .await,
        )
    } else {
        None
    };
    let rows = page
        .items
        .iter()
        .map(|application| ApplicationRow {
            client: names
                .as_ref()
                .map(|names| names.label(&application.client_id))
                .unwrap_or_default(),
            ..application_row(application, &programmes, &translator, &state.calendar)
        })
        .collect();
    let state_choices = STATES
        .iter()
        .map(|value| Choice {
            value: (*value).to_owned(),
            label: translator.t(&format!("state-{}", value.replace('_', "-"))),
            selected: filter.state == *value,
        })
        .collect();
    let programme_choices = programmes
        .values()
        .map(|programme| Choice {
            value: programme.id.clone(),
            label: programme.name.get(translator.locale()).to_owned(),
            selected: filter.programme_id == programme.id,
        })
        .collect();
    let band_choices = BANDS
        .iter()
        .map(|band| Choice {
            value: (*band).to_owned(),
            label: (*band).to_owned(),
            selected: filter.band == *band,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &ApplicationsPage {
            t: translator,
            layout: context.layout(Section::Applications),
            rows,
            is_queue,
            state_choices,
            programme_choices,
            band_choices,
            mine,
            export_programme: (is_queue && programmes.contains_key(&filter.programme_id))
                .then(|| filter.programme_id.clone()),
        },
    ))
}

/// An application with its answers, score, reviews and timeline.
pub async fn show(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    application_page(
        &state,
        &context,
        &mut signed_in,
        &id,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// The media types a security's document may have; anything else is passed on as opaque bytes.
const SECURITY_DOCUMENT_MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// A document backing a security, streamed from the applications service as an attachment so
/// the browser saves it rather than rendering it on our origin. The service decides who may
/// open it: the application's founder, and the officers who review it.
pub async fn security_document(
    State(state): State<AppState>,
    mut signed_in: SignedIn,
    Path((id, security_id, document_id)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let next = format!("/applications/{id}");
    let token = applications_token(&state, &mut signed_in, &next).await?;
    let upstream = calls(&state, &token)
        .security_document(&id, &security_id, &document_id)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let content_type = upstream
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            SECURITY_DOCUMENT_MEDIA_TYPES
                .into_iter()
                .find(|allowed| value.starts_with(allowed))
        })
        .unwrap_or("application/octet-stream");
    // The name is ours (the id, which the call checked to be a UUID), never the uploader's.
    Ok(attachment(
        upstream,
        content_type,
        &format!("security-document-{document_id}"),
    ))
}
