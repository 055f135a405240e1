//! The onboarding domain: types and rules, no I/O.
//!
//! Every type here is parsed once from untrusted input and is valid while held. Every error
//! has a `field()` naming the request field it is about (`pinfl`, `passport.expiry_date`,
//! `founders[2].share_percent`), so the HTTP layer can answer 422 and say what to fix.

pub mod company;
pub mod contact;
pub mod credentials;
pub mod document;
pub mod ids;
pub mod kyc;
pub mod lockout;
pub mod passport;
pub mod password_mail;
pub mod person;
pub mod person_name;
pub mod pinfl;
pub mod screening;
pub mod token_keys;
pub mod totp;
