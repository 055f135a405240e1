//! The administrators' staff page: every member of staff with their roles and state, and the
//! actions on each (grant or revoke a role, disable or enable, unlock, issue a one-time
//! password), plus a form that creates a staff account. Onboarding decides every rule (never
//! one's own roles, never the last admin); this page shows its refusals in words.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;

use crate::clients::api::CallError;
use crate::clients::onboarding::{NewStaffAccount, StaffAction, StaffClient};
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::i18n::Translator;
use crate::AppState;

/// The page's address.
const PAGE: &str = "/admin/staff";

/// The staff roles an admin grants, in the order the page offers them.
const STAFF_ROLES: [&str; 5] = [
    "kyc_officer",
    "credit_officer",
    "approver",
    "finance",
    "admin",
];

/// One row of the list.
struct StaffRow {
    id: String,
    username: String,
    display_name: String,
    role_keys: Vec<String>,
    disabled: bool,
    locked: bool,
    must_change_password: bool,
    is_me: bool,
}

/// A role offered in the forms, with its catalogue key.
struct RoleChoice {
    value: &'static str,
    label_key: String,
}

#[derive(Template)]
#[template(path = "admin_staff.html")]
struct Page {
    t: Translator,
    layout: Layout,
    rows: Vec<StaffRow>,
    roles: Vec<RoleChoice>,
    form: FormState,
    /// A one-time password just issued, shown this once.
    issued_password: Option<(String, String)>,
}

fn role_key(role: &str) -> String {
    format!("role-{}", role.replace('_', "-"))
}

fn require_admin(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.person.has_role("admin") {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

async fn token(state: &AppState, signed_in: &mut SignedIn) -> Result<String, PageError> {
    signed_in
        .access_token(state, "onboarding")
        .await
        .map_err(|error| PageError::from_call(error, PAGE))
}

async fn page(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    form: FormState,
    issued_password: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let token = token(state, signed_in).await?;
    let staff = StaffClient {
        api: &state.onboarding,
        token: &token,
    }
    .list()
    .await
    .map_err(|error| PageError::from_call(error, PAGE))?;
    let me = signed_in.person.id.clone();
    Ok(render(
        status,
        &Page {
            rows: staff
                .into_iter()
                .map(|account| StaffRow {
                    is_me: account.id == me,
                    id: account.id,
                    username: account.username.unwrap_or_default(),
                    display_name: account.display_name,
                    role_keys: account.roles.iter().map(|role| role_key(role)).collect(),
                    disabled: account.disabled,
                    locked: account.locked_until.is_some(),
                    must_change_password: account.must_change_password,
                })
                .collect(),
            roles: STAFF_ROLES
                .iter()
                .map(|role| RoleChoice {
                    value: role,
                    label_key: role_key(role),
                })
                .collect(),
            form,
            issued_password,
            t: context.translator(),
            layout: context.layout(Section::StaffAdmin),
        },
    ))
}

/// The list of staff with their actions.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    page(
        &state,
        &context,
        &mut signed_in,
        FormState::default(),
        None,
        StatusCode::OK,
    )
    .await
}

/// Shows onboarding's refusal on the page, or fails the page for anything else.
async fn refused(
    state: &AppState,
    context: &PageContext,
    signed_in: &mut SignedIn,
    mut form: FormState,
    error: CallError,
) -> Result<Response, PageError> {
    let translator = context.translator();
    let status = match error {
        CallError::Refused {
            status,
            code,
            fields,
        } => {
            if fields.is_empty() {
                form.notice = Some(problem_message(&translator, &code));
            } else {
                form.refuse_all(
                    &translator,
                    &fields,
                    &["username", "password", "display_name", "roles"],
                );
            }
            status
        }
        CallError::Forbidden { code } if !code.is_empty() => {
            form.notice = Some(problem_message(&translator, &code));
            StatusCode::FORBIDDEN
        }
        error => return Err(PageError::from_call(error, PAGE)),
    };
    page(state, context, signed_in, form, None, status).await
}

/// Creates a staff account with one role.
pub async fn create(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let form = FormState::from_pairs(pairs);
    let token = token(&state, &mut signed_in).await?;
    let result = StaffClient {
        api: &state.onboarding,
        token: &token,
    }
    .create(&NewStaffAccount {
        username: form.value("username"),
        password: form.value("password"),
        display_name: form.value("display_name"),
        roles: [form.value("role")],
    })
    .await;
    match result {
        Ok(_) => Ok(see_other(PAGE)),
        Err(error) => refused(&state, &context, &mut signed_in, form, error).await,
    }
}

/// Grants or revokes the role chosen in the row's form.
pub async fn change_role(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, change)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let form = FormState::from_pairs(pairs);
    let revoke = match change.as_str() {
        "grant" => false,
        "revoke" => true,
        _ => return Err(PageError::NotFound),
    };
    let token = token(&state, &mut signed_in).await?;
    let result = StaffClient {
        api: &state.onboarding,
        token: &token,
    }
    .change_role(&id, form.value("role"), revoke)
    .await;
    match result {
        Ok(_) => Ok(see_other(PAGE)),
        Err(error) => refused(&state, &context, &mut signed_in, form, error).await,
    }
}

/// Disables, enables or unlocks an account, or issues it a one-time password, which the page
/// shows once instead of redirecting (it is stored nowhere).
pub async fn act(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Path((id, action)): Path<(String, String)>,
) -> Result<Response, PageError> {
    require_admin(&signed_in)?;
    let token = token(&state, &mut signed_in).await?;
    let staff = StaffClient {
        api: &state.onboarding,
        token: &token,
    };
    if action == "one-time-password" {
        return match staff.issue_one_time_password(&id).await {
            Ok(password) => {
                page(
                    &state,
                    &context,
                    &mut signed_in,
                    FormState::default(),
                    Some((id, password)),
                    StatusCode::OK,
                )
                .await
            }
            Err(error) => {
                refused(
                    &state,
                    &context,
                    &mut signed_in,
                    FormState::default(),
                    error,
                )
                .await
            }
        };
    }
    let action = StaffAction::parse(&action).ok_or(PageError::NotFound)?;
    match staff.act(&id, action).await {
        Ok(_) => Ok(see_other(PAGE)),
        Err(error) => {
            refused(
                &state,
                &context,
                &mut signed_in,
                FormState::default(),
                error,
            )
            .await
        }
    }
}
