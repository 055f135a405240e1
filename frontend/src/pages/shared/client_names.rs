//! Clients by name on staff pages: a page gathers the client ids of its rows, asks onboarding
//! for all their names with one call (`POST /v1/staff/clients/names`), and shows each as a
//! link to the client page with the name in the reader's script first and the other script
//! beside it. When onboarding does not answer, the rows still show, each naming "a client"
//! rather than an identifier the reader cannot use.

use std::collections::HashMap;

use crate::clients::applications::path_segment;
use crate::clients::onboarding::{client_names, ClientName};
use crate::pages::shared::signed_in::SignedIn;
use crate::web::i18n::{Locale, Translator};
use crate::AppState;

/// A full name as the reader reads it: `name` in their script when the client gave it, the
/// other script in `other_name` (empty when there is none).
pub fn in_reader_script(latin: &str, cyrillic: Option<&str>, locale: Locale) -> (String, String) {
    match (locale, cyrillic) {
        (Locale::UzCyrl | Locale::Ru, Some(cyrillic)) => (cyrillic.to_owned(), latin.to_owned()),
        (_, Some(cyrillic)) => (latin.to_owned(), cyrillic.to_owned()),
        (_, None) => (latin.to_owned(), String::new()),
    }
}

/// The staff roles that read client files and names, as onboarding grants them
/// (administrators and founders are refused).
pub const CLIENT_READERS: [&str; 4] = ["kyc_officer", "credit_officer", "approver", "finance"];

/// Whether `signed_in` may read client files, names and the client search.
pub fn reads_clients(signed_in: &SignedIn) -> bool {
    CLIENT_READERS
        .iter()
        .any(|role| signed_in.person.has_role(role))
}

/// A client as a staff page names them, linking to `/clients/{id}` when the name was found
/// (a reader refused the names is refused the client page too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientLabel {
    pub id: String,
    pub name: String,
    pub other_name: String,
    pub linked: bool,
}

/// The names of the clients one page shows.
pub struct ClientNamer {
    names: HashMap<String, ClientName>,
    locale: Locale,
    unnamed: String,
}

impl ClientNamer {
    /// Looks up the names of `client_ids` (duplicates asked once) for the signed-in staff
    /// member. A failure leaves every client unnamed and is logged, never an error page: the
    /// rows are what the reader came for. A reader onboarding would refuse is not asked for.
    pub async fn lookup<'a>(
        state: &AppState,
        signed_in: &mut SignedIn,
        client_ids: impl IntoIterator<Item = &'a str>,
        translator: &Translator,
    ) -> ClientNamer {
        let mut ids: Vec<String> = client_ids
            .into_iter()
            .filter(|id| path_segment(id).is_ok())
            .map(str::to_owned)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut names = HashMap::new();
        if !ids.is_empty() && reads_clients(signed_in) {
            let answer = match signed_in.access_token(state, "onboarding").await {
                Ok(token) => client_names(&state.onboarding, &token, &ids).await,
                Err(error) => Err(error),
            };
            match answer {
                Ok(found) => {
                    names = found
                        .into_iter()
                        .map(|name| (name.client_id.clone(), name))
                        .collect();
                }
                Err(error) => tracing::warn!(%error, "the clients' names could not be read"),
            }
        }
        ClientNamer::from_names(names, translator)
    }

    fn from_names(names: HashMap<String, ClientName>, translator: &Translator) -> ClientNamer {
        ClientNamer {
            names,
            locale: translator.locale(),
            unnamed: translator.t("client-unnamed"),
        }
    }

    /// The client `id` as the page names them.
    pub fn label(&self, id: &str) -> ClientLabel {
        let found = self.names.get(id);
        let (name, other_name) = match found {
            Some(found) => in_reader_script(
                &found.latin_full_name,
                found.cyrillic_full_name.as_deref(),
                self.locale,
            ),
            None => (self.unnamed.clone(), String::new()),
        };
        ClientLabel {
            id: id.to_owned(),
            name,
            other_name,
            linked: found.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readers_script_comes_first_and_the_other_beside_it() {
        let names = HashMap::from([(
            "k".to_owned(),
            ClientName {
                client_id: "k".to_owned(),
                latin_full_name: "Karimov Aziz".to_owned(),
                cyrillic_full_name: Some("Каримов Азиз".to_owned()),
            },
        )]);
        let latin = ClientNamer::from_names(names.clone(), &Translator::new(Locale::En));
        assert_eq!(latin.label("k").name, "Karimov Aziz");
        assert_eq!(latin.label("k").other_name, "Каримов Азиз");
        let cyrillic = ClientNamer::from_names(names, &Translator::new(Locale::UzCyrl));
        assert_eq!(cyrillic.label("k").name, "Каримов Азиз");
        assert_eq!(cyrillic.label("k").other_name, "Karimov Aziz");
        assert!(cyrillic.label("k").linked);
        let unnamed = cyrillic.label("unknown");
        assert!(!unnamed.name.is_empty() && !unnamed.name.contains("unknown"));
        assert!(!unnamed.linked);
    }
}
