//! A founder's own data at onboarding: registration, the profile, companies and documents.
//!
//! Form fields are named by the JSON paths onboarding uses (`passport.number`), so a refusal
//! naming a path lands beside the field of that name, and the request body is built from the
//! names.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::clients::api::idempotency_key;
use crate::clients::api::{send, send_json, CallError};
use crate::clients::onboarding::VisitorClaim;
use crate::pages::shared::documents::{
    document_items, fetch_document, own_companies, CompanyListed, DocumentListed, Item,
    DOCUMENT_KINDS,
};
use crate::pages::shared::forms::{problem_message, FormState};
use crate::pages::shared::login::continue_login;
use crate::pages::shared::signed_in::{see_other, SignedIn};
use crate::pages::shared::upload::{multipart_body, read_document_upload};
use crate::pages::shared::{render, Layout, PageContext, PageError, Section};
use crate::web::format::format_date;
use crate::web::i18n::Translator;
use crate::web::visitor::VisitorAddress;
use crate::AppState;

/// A choice of a drop-down, labelled from the catalogue or, for data such as a company's
/// name, by its own text.
#[derive(Clone, Debug)]
pub struct OptionSpec {
    pub value: String,
    pub label_key: &'static str,
    pub label: Option<String>,
}

/// A field of a form page.
#[derive(Clone, Debug)]
pub struct FieldSpec {
    /// The JSON path the service knows the field by.
    pub name: &'static str,
    pub label_key: &'static str,
    /// text, password, date, email, tel, select or textarea.
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    pub required: bool,
    pub hint_key: Option<&'static str>,
    pub options: Vec<OptionSpec>,
}

impl FieldSpec {
    const fn text(name: &'static str, label_key: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            label_key,
            input_type: "text",
            autocomplete: "off",
            required: true,
            hint_key: None,
            options: Vec::new(),
        }
    }

    fn kind(mut self, input_type: &'static str) -> FieldSpec {
        self.input_type = input_type;
        self
    }

    fn autocomplete(mut self, autocomplete: &'static str) -> FieldSpec {
        self.autocomplete = autocomplete;
        self
    }

    fn optional(mut self) -> FieldSpec {
        self.required = false;
        self
    }

    fn hint(mut self, hint_key: &'static str) -> FieldSpec {
        self.hint_key = Some(hint_key);
        self
    }

    fn choices(mut self, options: &[(&'static str, &'static str)]) -> FieldSpec {
        self.input_type = "select";
        self.options = options
            .iter()
            .map(|(value, label_key)| OptionSpec {
                value: (*value).to_owned(),
                label_key,
                label: None,
            })
            .collect();
        self
    }

    /// The element id: the name with dots made safe for CSS selectors.
    pub fn id(&self) -> String {
        self.name.replace('.', "-")
    }
}

/// The person's fields, shared by registration and the profile.
fn person_fields() -> Vec<FieldSpec> {
    vec![
        FieldSpec::text("latin_name.surname", "field-surname").autocomplete("family-name"),
        FieldSpec::text("latin_name.given_name", "field-given-name").autocomplete("given-name"),
        FieldSpec::text("latin_name.patronymic", "field-patronymic").optional(),
        FieldSpec::text("pinfl", "field-pinfl").hint("hint-pinfl"),
        FieldSpec::text("birth_date", "field-birth-date")
            .kind("date")
            .autocomplete("bday"),
        FieldSpec::text("passport.number", "field-passport-number").hint("hint-passport-number"),
        FieldSpec::text("passport.issue_date", "field-passport-issue-date").kind("date"),
        FieldSpec::text("passport.expiry_date", "field-passport-expiry-date").kind("date"),
        FieldSpec::text("phone", "field-phone")
            .kind("tel")
            .autocomplete("tel")
            .hint("hint-phone"),
        FieldSpec::text("email", "field-email")
            .kind("email")
            .autocomplete("email")
            .optional(),
        FieldSpec::text("address.region", "field-region"),
        FieldSpec::text("address.district", "field-district"),
        FieldSpec::text("address.street_line", "field-street-line").autocomplete("street-address"),
    ]
}

fn registration_fields() -> Vec<FieldSpec> {
    let mut fields = vec![
        FieldSpec::text("username", "field-username").autocomplete("username"),
        FieldSpec::text("password", "field-password")
            .kind("password")
            .autocomplete("new-password")
            .hint("hint-new-password"),
    ];
    fields.extend(person_fields());
    fields
}

fn company_fields() -> Vec<FieldSpec> {
    vec![
        FieldSpec::text("name", "field-company-name").autocomplete("organization"),
        FieldSpec::text("stir", "field-stir").hint("hint-stir"),
        FieldSpec::text("legal_form", "field-legal-form").choices(&[
            ("llc", "legal-form-llc"),
            ("jsc", "legal-form-jsc"),
            ("private_enterprise", "legal-form-private-enterprise"),
            ("family_enterprise", "legal-form-family-enterprise"),
            ("sole_proprietor", "legal-form-sole-proprietor"),
        ]),
        FieldSpec::text("registration_date", "field-registration-date").kind("date"),
        FieldSpec::text("founders", "field-own-share").hint("hint-own-share"),
        FieldSpec::text(
            "it_park_residency.certificate_number",
            "field-it-park-certificate",
        )
        .optional(),
        FieldSpec::text("it_park_residency.valid_from", "field-it-park-valid-from")
            .kind("date")
            .optional(),
        FieldSpec::text("it_park_residency.valid_until", "field-it-park-valid-until")
            .kind("date")
            .optional(),
    ]
}

/// The upload form's fields: the kind, and whose document it is (the founder's own, or one of
/// their companies').
fn document_fields(companies: &[CompanyListed]) -> Vec<FieldSpec> {
    let mut owner = FieldSpec::text("company_id", "field-document-owner")
        .choices(&[("", "document-owner-myself")])
        .optional();
    owner
        .options
        .extend(companies.iter().map(|company| OptionSpec {
            value: company.company_id.clone(),
            label_key: "document-owner-myself",
            label: Some(company.name.clone()),
        }));
    vec![
        FieldSpec::text("kind", "field-document-kind").choices(&DOCUMENT_KINDS),
        owner,
    ]
}

/// The JSON object the form's dotted names describe; an empty optional field is left out, and
/// an optional group left wholly empty (IT Park residency) is left out with it.
fn nested_json(form: &FormState, fields: &[FieldSpec]) -> Map<String, Value> {
    let mut root = Map::new();
    for field in fields {
        let value = form.value(field.name).trim();
        if value.is_empty() && !field.required {
            continue;
        }
        let mut target = &mut root;
        let mut parts = field.name.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                target.insert(part.to_owned(), Value::String(value.to_owned()));
            } else {
                let entry = target
                    .entry(part.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(object) = entry else {
                    break;
                };
                target = object;
            }
        }
    }
    root
}

/// A fact shown above a form.
pub struct Fact {
    pub label_key: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "form_page.html")]
struct FormPage {
    t: Translator,
    layout: Layout,
    title_key: &'static str,
    intro_key: &'static str,
    saved_key: Option<&'static str>,
    facts: Vec<Fact>,
    items: Vec<Item>,
    form_heading_key: Option<&'static str>,
    action: &'static str,
    submit_key: &'static str,
    multipart: bool,
    fields: Vec<FieldSpec>,
    form: FormState,
}

impl FormPage {
    fn new(
        context: &PageContext,
        section: Section,
        keys: (&'static str, &'static str, &'static str),
        action: &'static str,
        fields: Vec<FieldSpec>,
        form: FormState,
    ) -> FormPage {
        FormPage {
            t: context.translator(),
            layout: context.layout(section),
            title_key: keys.0,
            intro_key: keys.1,
            submit_key: keys.2,
            saved_key: None,
            facts: Vec::new(),
            items: Vec::new(),
            form_heading_key: None,
            action,
            multipart: false,
            fields,
            form,
        }
    }
}

fn shown_names(fields: &[FieldSpec]) -> Vec<&'static str> {
    fields.iter().map(|field| field.name).collect()
}

/// Puts a refusal onto the form; what is not about the form ends the page.
fn refuse(
    form: &mut FormState,
    translator: &Translator,
    error: CallError,
    fields: &[FieldSpec],
    next: &str,
) -> Result<StatusCode, PageError> {
    match error {
        CallError::Refused {
            status,
            code,
            fields: refused,
        } => {
            if refused.is_empty() {
                form.notice = Some(problem_message(translator, &code));
            } else {
                let mut shown = shown_names(fields);
                shown.push("file");
                form.refuse_all(translator, &refused, &shown);
            }
            Ok(status)
        }
        error => Err(PageError::from_call(error, next)),
    }
}

fn require_founder(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.person.is_client() {
        Ok(())
    } else {
        Err(PageError::WrongRole)
    }
}

async fn onboarding_token(
    state: &AppState,
    signed_in: &mut SignedIn,
    next: &str,
) -> Result<String, PageError> {
    signed_in
        .access_token(state, "onboarding")
        .await
        .map_err(|error| PageError::from_call(error, next))
}

const REGISTRATION_KEYS: (&str, &str, &str) =
    ("register-title", "register-intro", "register-submit");

/// The registration form for a new founder.
pub async fn registration_form(context: PageContext) -> Response {
    render(
        StatusCode::OK,
        &FormPage::new(
            &context,
            Section::SignIn,
            REGISTRATION_KEYS,
            "/register",
            registration_fields(),
            FormState::default(),
        ),
    )
}

/// Registers the founder at onboarding and signs them in.
pub async fn register(
    State(state): State<AppState>,
    context: PageContext,
    visitor: VisitorAddress,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let translator = context.translator();
    let fields = registration_fields();
    let mut form = FormState::from_pairs(pairs);
    let mut body = nested_json(&form, &fields);
    // The page's language becomes the founder's preferred one, the language their
    // notification emails are written in.
    body.insert("language".to_owned(), Value::from(context.locale.code()));
    let result = send(
        state
            .onboarding
            .request(Method::POST, "/v1/registrations")
            .json(&body),
    )
    .await;
    let status = match result {
        Ok(_) => {
            let username = form.value("username").trim().to_owned();
            let password = form.value("password").to_owned();
            return Ok(
                match state
                    .identity
                    .login_with_password(
                        &username,
                        &password,
                        VisitorClaim::of(state.client_secret.as_ref(), visitor),
                    )
                    .await
                {
                    Ok(step) => continue_login(&state, &headers, step, "/profile").await,
                    Err(_) => see_other("/login?next=%2Fprofile"),
                },
            );
        }
        Err(error) => refuse(&mut form, &translator, error, &fields, "/register")?,
    };
    // The password is never sent back to the page.
    form.set("password", "");
    Ok(render(
        status,
        &FormPage::new(
            &context,
            Section::SignIn,
            REGISTRATION_KEYS,
            "/register",
            fields,
            form,
        ),
    ))
}

/// The form values of a stored profile.
fn profile_form(profile: &Value) -> FormState {
    let mut form = FormState::default();
    for field in person_fields() {
        let mut value = profile;
        for part in field.name.split('.') {
            value = value.get(part).unwrap_or(&Value::Null);
        }
        if let Some(text) = value.as_str() {
            form.set(field.name, text);
        }
    }
    form
}

const PROFILE_KEYS: (&str, &str, &str) = ("profile-title", "profile-intro", "profile-submit");

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

/// The founder's profile, ready to edit.
pub async fn profile(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    axum::extract::Query(query): axum::extract::Query<SavedQuery>,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let token = onboarding_token(&state, &mut signed_in, "/profile").await?;
    let stored: Value = send_json(state.onboarding.authorized(
        Method::GET,
        "/v1/me/profile",
        &token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, "/profile"))?;
    let mut page = FormPage::new(
        &context,
        Section::Profile,
        PROFILE_KEYS,
        "/profile",
        person_fields(),
        profile_form(&stored),
    );
    if !query.saved.is_empty() {
        page.saved_key = Some("saved-notice");
    }
    Ok(render(StatusCode::OK, &page))
}

/// Saves the profile.
pub async fn save_profile(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let token = onboarding_token(&state, &mut signed_in, "/profile").await?;
    let translator = context.translator();
    let fields = person_fields();
    let mut form = FormState::from_pairs(pairs);
    let body = nested_json(&form, &fields);
    let result = send(
        state
            .onboarding
            .authorized(Method::PUT, "/v1/me/profile", &token)
            .json(&body),
    )
    .await;
    let status = match result {
        Ok(_) => return Ok(see_other("/profile?saved=1")),
        Err(error) => refuse(&mut form, &translator, error, &fields, "/profile")?,
    };
    Ok(render(
        status,
        &FormPage::new(
            &context,
            Section::Profile,
            PROFILE_KEYS,
            "/profile",
            fields,
            form,
        ),
    ))
}

const COMPANY_KEYS: (&str, &str, &str) = ("companies-title", "companies-intro", "company-submit");

async fn companies_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let companies: Vec<CompanyListed> = send_json(state.onboarding.authorized(
        Method::GET,
        "/v1/me/companies",
        token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, "/companies"))?;
    let locale = context.locale;
    let mut page = FormPage::new(
        context,
        Section::Profile,
        COMPANY_KEYS,
        "/companies",
        company_fields(),
        form,
    );
    page.items = companies
        .iter()
        .map(|company| Item {
            title: company.name.clone(),
            detail: format!(
                "{} · {}",
                company.stir,
                format_date(company.registration_date, locale)
            ),
            link: None,
            preview: ("", String::new()),
        })
        .collect();
    page.form_heading_key = Some("company-add");
    Ok(render(status, &page))
}

/// The founder's companies and the form to add one.
pub async fn companies(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let token = onboarding_token(&state, &mut signed_in, "/companies").await?;
    let mut form = FormState::default();
    form.set("legal_form", "llc");
    form.set("founders", "100");
    companies_page(&state, &context, &token, form, StatusCode::OK).await
}

/// Adds a company, the founder holding the share they typed.
pub async fn add_company(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let token = onboarding_token(&state, &mut signed_in, "/companies").await?;
    let translator = context.translator();
    let fields = company_fields();
    let mut form = FormState::from_pairs(pairs);
    let mut body = nested_json(&form, &fields);
    let share = crate::web::format::parse_typed_decimal(form.value("founders"), context.locale);
    match share {
        Ok(share) => {
            body.insert(
                "founders".to_owned(),
                serde_json::json!([{
                    "client_id": signed_in.person.client_id,
                    "share_percent": format!("{:.2}", share),
                }]),
            );
        }
        Err(_) => form.refuse(&translator, "founders", "not_a_number"),
    }
    if !form.has_errors() {
        let result = send(
            state
                .onboarding
                .authorized(Method::POST, "/v1/me/companies", &token)
                .json(&body),
        )
        .await;
        match result {
            Ok(_) => return Ok(see_other("/companies")),
            Err(error) => {
                let status = refuse(&mut form, &translator, error, &fields, "/companies")?;
                return companies_page(&state, &context, &token, form, status).await;
            }
        }
    }
    companies_page(
        &state,
        &context,
        &token,
        form,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

const DOCUMENT_KEYS: (&str, &str, &str) = ("documents-title", "documents-intro", "document-submit");

async fn documents_page(
    state: &AppState,
    context: &PageContext,
    token: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let documents: Vec<DocumentListed> = send_json(state.onboarding.authorized(
        Method::GET,
        "/v1/me/documents",
        token,
    ))
    .await
    .map_err(|error| PageError::from_call(error, "/documents"))?;
    let companies = own_companies(state, token, "/documents").await?;
    let translator = context.translator();
    let mut page = FormPage::new(
        context,
        Section::Profile,
        DOCUMENT_KEYS,
        "/documents",
        document_fields(&companies),
        form,
    );
    page.multipart = true;
    page.items = document_items(&documents, &translator, &state.calendar);
    page.form_heading_key = Some("document-add");
    Ok(render(status, &page))
}

/// The founder's documents and the upload form.
pub async fn documents(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let token = onboarding_token(&state, &mut signed_in, "/documents").await?;
    documents_page(
        &state,
        &context,
        &token,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// The largest upload passed on: onboarding's and applications' document limit (10 MiB) and room
/// for the form's fields.
pub const UPLOAD_MAX_BYTES: usize = 10 * 1024 * 1024 + 64 * 1024;

/// Uploads a document: the browser's multipart form is read here and passed on to onboarding,
/// which judges the file by its content.
pub async fn upload_document(
    State(state): State<AppState>,
    context: PageContext,
    mut signed_in: SignedIn,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    require_founder(&signed_in)?;
    let token = onboarding_token(&state, &mut signed_in, "/documents").await?;
    let translator = context.translator();
    let Ok((upload, mut form)) = read_document_upload(&mut multipart).await else {
        return Ok(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    };
    let fields = document_fields(&[]);
    let Some(upload) = upload else {
        form.refuse(&translator, "file", "required");
        return documents_page(
            &state,
            &context,
            &token,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let boundary = format!("imkon-{}", idempotency_key());
    let mut text_fields = vec![("kind", form.value("kind"))];
    if !form.value("company_id").is_empty() {
        text_fields.push(("company_id", form.value("company_id")));
    }
    let body = multipart_body(
        &boundary,
        &text_fields,
        &upload.file_name,
        &upload.content_type,
        &upload.bytes,
    );
    let result = send(
        state
            .onboarding
            .authorized(Method::POST, "/v1/me/documents", &token)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body),
    )
    .await;
    match result {
        Ok(_) => Ok(see_other("/documents")),
        Err(error) => {
            let status = refuse(&mut form, &translator, error, &fields, "/documents")?;
            documents_page(&state, &context, &token, form, status).await
        }
    }
}

/// A document, streamed from onboarding as an attachment so the browser saves it rather than
/// rendering it on our origin. Onboarding decides who may read it: the owner or a KYC officer.
pub async fn download_document(
    State(state): State<AppState>,
    mut signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (upstream, content_type) =
        fetch_document(&state, &mut signed_in, &id, "/documents").await?;
    // The name is ours (the id), never the uploader's, so nothing odd reaches the header; the
    // id was checked to be a UUID before onboarding was asked.
    Ok(crate::pages::shared::download::attachment(
        upstream,
        content_type,
        &format!("document-{id}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_names_become_the_nested_body_and_empty_optional_groups_are_left_out() {
        let form = FormState::from_pairs(vec![
            ("latin_name.surname".to_owned(), "Karimov".to_owned()),
            ("latin_name.given_name".to_owned(), "Aziz".to_owned()),
            ("latin_name.patronymic".to_owned(), "".to_owned()),
            ("passport.number".to_owned(), "AA1234567".to_owned()),
            ("email".to_owned(), " ".to_owned()),
        ]);
        let body = nested_json(&form, &person_fields());
        assert_eq!(body["latin_name"]["surname"], "Karimov");
        assert!(body["latin_name"].get("patronymic").is_none());
        assert_eq!(body["passport"]["number"], "AA1234567");
        assert!(body.get("email").is_none());
        assert_eq!(
            body["pinfl"], "",
            "a required field is sent for the service to refuse"
        );
        let company = nested_json(&FormState::default(), &company_fields());
        assert!(company.get("it_park_residency").is_none());
    }

    #[test]
    fn every_field_label_hint_and_choice_exists_in_every_language() {
        let all = registration_fields()
            .into_iter()
            .chain(company_fields())
            .chain(document_fields(&[]));
        for field in all {
            let mut keys = vec![field.label_key];
            keys.extend(field.hint_key);
            keys.extend(field.options.iter().map(|option| option.label_key));
            for locale in crate::web::i18n::Locale::ALL {
                for key in &keys {
                    assert!(
                        crate::web::i18n::catalogues()
                            .message_ids(locale)
                            .contains(*key),
                        "{} lacks {key}",
                        locale.code()
                    );
                }
            }
        }
    }

    #[test]
    fn an_uploaded_file_name_cannot_break_out_of_its_header() {
        let body = multipart_body(
            "b",
            &[("kind", "other")],
            "evil\"\r\nX: 1.pdf",
            "application/pdf",
            b"%PDF",
        );
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("filename=\"evilX: 1.pdf\""), "{text}");
        assert!(text.ends_with("--b--\r\n"));
    }
}
