//! Identifiers of the things onboarding owns.
//!
//! Each is a UUID in its own type so that an officer's id can never be passed where a client's
//! is expected; the conflict-of-interest rules compare exactly these.

use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> $name {
                $name(imkon_platform::id::new_id())
            }

            /// The id stored under `uuid`, as read back from the database.
            pub fn from_uuid(uuid: Uuid) -> $name {
                $name(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(formatter)
            }
        }
    };
}

id_type!(
    /// An onboarded client: a person or a company.
    ClientId
);
id_type!(
    /// A member of staff who reviews KYC cases.
    OfficerId
);
id_type!(
    /// An uploaded document.
    DocumentId
);
id_type!(
    /// A KYC case.
    KycCaseId
);
