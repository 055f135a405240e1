//! The founder's notifications: the inbox lists them a page at a time, newest first, unread
//! ones marked; opening one shows it whole and marks it read (the applications service keeps
//! the read state, and answers only for the founder's own notifications).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::clients::applications::{ApplicationsCalls, InboxNotification};
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::format_day_of;
use crate::web::i18n::Translator;
use crate::AppState;

/// The inbox's address.
const INBOX: &str = "/inbox";

/// Notifications on one page of the inbox.
const PAGE_SIZE: u32 = 20;

/// A notification as the page shows it.
struct NotificationItem {
    id: String,
    application_id: Option<String>,
    subject: String,
    body: String,
    received: String,
    unread: bool,
}

fn item(
    notification: InboxNotification,
    state: &AppState,
    translator: &Translator,
) -> NotificationItem {
    NotificationItem {
        received: format_day_of(
            notification.created_at,
            &state.calendar,
            translator.locale(),
        ),
        unread: notification.read_at.is_none(),
        id: notification.id,
        application_id: notification.application_id,
        subject: notification.subject,
        body: notification.body,
    }
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    t: Translator,
    layout: Layout,
    items: Vec<NotificationItem>,
    unread: i64,
    newer: Option<String>,
    older: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox_notification.html")]
struct NotificationPage {
    t: Translator,
    layout: Layout,
    notification: NotificationItem,
}

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    offset: u32,
}

/// A token for the applications service, for a founder only.
async fn founder_token(
    state: &AppState,
    signed_in: &mut SignedIn,
    next: &str,
) -> Result<String, PageError> {
    if !signed_in.person.is_client() {
        return Err(PageError::WrongRole);
    }
    signed_in
        .access_token(state, "applications")
        .await
        .map_err(|error| PageError::from_call(error, next))
}

fn page_link(offset: u32) -> String {
    if offset == 0 {
        INBOX.to_owned()
    } else {
        format!("{INBOX}?offset={offset}")
    }
}

/// A page of the inbox.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Query(query): Query<InboxQuery>,
) -> Result<Response, PageError> {
    let next = page_link(query.offset);
    let token = founder_token(&state, &mut signed_in, &next).await?;
    let calls = ApplicationsCalls {
        api: &state.applications,
        token: &token,
    };
    let inbox = calls
        .inbox(query.offset, PAGE_SIZE)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    let newer = (query.offset > 0).then(|| page_link(query.offset.saturating_sub(PAGE_SIZE)));
    let older = inbox.next_offset.map(page_link);
    let page = InboxPage {
        items: inbox
            .items
            .into_iter()
            .map(|notification| item(notification, &state, &translator))
            .collect(),
        unread: inbox.unread,
        newer,
        older,
        layout: context.layout(Section::Inbox),
        t: translator,
    };
    Ok(render(StatusCode::OK, &page))
}

/// One notification, opened: the service marks it read.
pub async fn open(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let next = format!("{INBOX}/{id}");
    let token = founder_token(&state, &mut signed_in, &next).await?;
    let calls = ApplicationsCalls {
        api: &state.applications,
        token: &token,
    };
    let notification = calls
        .open_notification(&id)
        .await
        .map_err(|error| PageError::from_call(error, &next))?;
    let translator = context.translator();
    // The menu's count was read before the opening marked this one read.
    let mut context = context;
    context.notification_opened();
    let page = NotificationPage {
        notification: item(notification, &state, &translator),
        layout: context.layout(Section::Inbox),
        t: translator,
    };
    Ok(render(StatusCode::OK, &page))
}
