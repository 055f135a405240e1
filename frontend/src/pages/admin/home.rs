//! The administration home: a link to every page of the menu an administrator may open
//! beyond the public ones, so that a page other work adds to the menu appears here too.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::pages::shared::holdings::Holdings;
use crate::pages::shared::menu::{menu_for, Audience, MenuLink, MENU};
use crate::pages::shared::signed_in::SignedIn;
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::i18n::Translator;

#[derive(Template)]
#[template(path = "admin_home.html")]
struct AdminHomePage {
    t: Translator,
    layout: Layout,
    links: Vec<MenuLink>,
}

/// The administration home, for administrators only.
pub async fn show(context: PageContext, signed_in: SignedIn) -> Result<Response, PageError> {
    if !signed_in.person.has_role("admin") {
        return Err(PageError::WrongRole);
    }
    let links = menu_for(Some(&signed_in.person), Holdings::default(), Section::Admin)
        .into_iter()
        .filter(|link| {
            link.path != "/admin"
                && MENU.iter().any(|entry| {
                    entry.path == link.path
                        && entry.key == link.key
                        && entry.audience != Audience::Everyone
                        && entry.audience != Audience::SignedIn
                })
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &AdminHomePage {
            t: context.translator(),
            layout: context.layout(Section::Admin),
            links,
        },
    ))
}
