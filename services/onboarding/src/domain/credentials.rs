//! Local login credentials: the username and the password a person chooses.

use thiserror::Error;

/// The shortest password accepted when one is chosen. Length is what makes a password hard
/// to guess; composition rules only make it hard to remember (NIST SP 800-63B).
pub const PASSWORD_MIN_CHARS: usize = 12;

/// The longest password accepted, in bytes: hashing cost grows with length, and an unbounded
/// input would let one request occupy a core.
pub const PASSWORD_MAX_BYTES: usize = 256;

/// Why a username or password is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CredentialError {
    #[error("a username is 3 to 64 lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit")]
    MalformedUsername,
    #[error("a password has at least {PASSWORD_MIN_CHARS} characters")]
    PasswordTooShort,
    #[error("a password has at most {PASSWORD_MAX_BYTES} bytes")]
    PasswordTooLong,
}

impl CredentialError {
    pub fn field(&self) -> String {
        match self {
            CredentialError::MalformedUsername => "username",
            CredentialError::PasswordTooShort | CredentialError::PasswordTooLong => "password",
        }
        .to_owned()
    }
}

/// A login name in canonical (lowercase) form, so that `Founder1` and `founder1` are one name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Username, CredentialError> {
        let canonical = text.trim().to_ascii_lowercase();
        let bytes = canonical.as_bytes();
        let well_formed = (3..=64).contains(&bytes.len())
            && bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(byte));
        if well_formed {
            Ok(Username(canonical))
        } else {
            Err(CredentialError::MalformedUsername)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password someone chooses: long enough and bounded. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("NewPassword(..)")
    }
}

impl NewPassword {
    pub fn parse(text: &str) -> Result<NewPassword, CredentialError> {
        if text.len() > PASSWORD_MAX_BYTES {
            return Err(CredentialError::PasswordTooLong);
        }
        if text.chars().count() < PASSWORD_MIN_CHARS {
            return Err(CredentialError::PasswordTooShort);
        }
        Ok(NewPassword(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_is_kept_in_lowercase() {
        assert_eq!(Username::parse(" Founder1 ").unwrap().as_str(), "founder1");
    }

    #[test]
    fn usernames_with_spaces_or_too_short_are_refused() {
        for text in ["ab", "a b c", "-leading", "ok@domain", &"x".repeat(65)] {
            assert_eq!(
                Username::parse(text),
                Err(CredentialError::MalformedUsername),
                "{text}"
            );
        }
    }

    #[test]
    fn a_short_password_is_refused_and_names_the_password_field() {
        let error = NewPassword::parse("short-pass").unwrap_err();
        assert_eq!(error, CredentialError::PasswordTooShort);
        assert_eq!(error.field(), "password");
    }

    #[test]
    fn an_overlong_password_is_refused() {
        assert_eq!(
            NewPassword::parse(&"p".repeat(PASSWORD_MAX_BYTES + 1)),
            Err(CredentialError::PasswordTooLong)
        );
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }
}
