//! Typed configuration from a file and the environment.
//!
//! Sources, the later winning: built-in defaults; the TOML file named by `IMKON_CONFIG`
//! (its `[common]` table, then the service's own table such as `[onboarding]`); the environment
//! (`IMKON_<FIELD>`, then `IMKON_<SERVICE>_<FIELD>`, for example `IMKON_ACCOUNTS_LISTEN_ADDR`).
//! Every value is parsed at start-up into a typed field, and a bad or missing value stops the
//! service with one line naming the setting and every place it may be given.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::calendar::BankCalendar;
use crate::telemetry::LogFormat;

/// A value that must never reach a log: its `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The secret itself; call it only where the value is used, never to log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why configuration could not be read; the message is the one line an operator sees.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing setting `{field}` for {service}: set {env} or `{field}` in the [{service}] table of the file named by IMKON_CONFIG")]
    Missing {
        service: String,
        field: String,
        env: String,
    },
    #[error("bad setting `{field}` for {service} (from {source_name}): {reason}")]
    Invalid {
        service: String,
        field: String,
        source_name: String,
        reason: String,
    },
    #[error("cannot read the configuration file {path}: {reason}")]
    File { path: String, reason: String },
}

/// The raw settings of one service, before parsing, with where each came from.
#[derive(Clone, Default)]
pub struct Settings {
    service: String,
    values: BTreeMap<String, (String, String)>,
}

/// Raw settings may hold secrets (keys, database passwords), so only their names and sources
/// are ever printed.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sources: BTreeMap<&str, &str> = self
            .values
            .iter()
            .map(|(field, (_, source))| (field.as_str(), source.as_str()))
            .collect();
        f.debug_struct("Settings")
            .field("service", &self.service)
            .field("sources", &sources)
            .finish()
    }
}

impl Settings {
    /// Reads the file named by `IMKON_CONFIG` (if set) and the process environment.
    pub fn load(service: &str) -> Result<Settings, ConfigError> {
        let file = match std::env::var("IMKON_CONFIG") {
            Ok(path) => Some(read_file(&path)?),
            Err(_) => None,
        };
        let environment: Vec<(String, String)> = std::env::vars().collect();
        Ok(Settings::from_sources(service, file.as_ref(), &environment))
    }

    /// Builds settings from explicit sources; the launcher and tests use it directly.
    pub fn from_sources(
        service: &str,
        file: Option<&toml::Table>,
        environment: &[(String, String)],
    ) -> Settings {
        let mut settings = Settings {
            service: service.to_owned(),
            values: BTreeMap::new(),
        };
        if let Some(file) = file {
            for table_name in ["common", service] {
                if let Some(toml::Value::Table(table)) = file.get(table_name) {
                    for (key, value) in table {
                        let text = match value {
                            toml::Value::String(text) => text.clone(),
                            other => other.to_string(),
                        };
                        settings.set(key, text, format!("[{table_name}].{key} in IMKON_CONFIG"));
                    }
                }
            }
        }
        let service_prefix = format!("IMKON_{}_", service.to_ascii_uppercase());
        let mut common = Vec::new();
        let mut own = Vec::new();
        for (name, value) in environment {
            if let Some(field) = name.strip_prefix(&service_prefix) {
                own.push((field.to_ascii_lowercase(), value.clone(), name.clone()));
            } else if let Some(field) = name.strip_prefix("IMKON_") {
                common.push((field.to_ascii_lowercase(), value.clone(), name.clone()));
            }
        }
        for (field, value, name) in common.into_iter().chain(own) {
            settings.set(&field, value, name);
        }
        settings
    }

    /// Sets one value by hand, as the launcher does for ports and database URLs it chose.
    pub fn set(&mut self, field: &str, value: String, source_name: String) {
        self.values.insert(field.to_owned(), (value, source_name));
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn env_name(&self, field: &str) -> String {
        format!(
            "IMKON_{}_{}",
            self.service.to_ascii_uppercase(),
            field.to_ascii_uppercase()
        )
    }

    /// A raw value, if given.
    pub fn raw(&self, field: &str) -> Option<&str> {
        self.values.get(field).map(|(value, _)| value.as_str())
    }

    /// A parsed value, or the default when the setting is absent.
    pub fn get_or<T>(&self, field: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.values.get(field) {
            None => Ok(default),
            Some((value, source_name)) => {
                value.parse().map_err(|error: T::Err| ConfigError::Invalid {
                    service: self.service.clone(),
                    field: field.to_owned(),
                    source_name: source_name.clone(),
                    reason: error.to_string(),
                })
            }
        }
    }

    /// A parsed value that has no default.
    pub fn require<T>(&self, field: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.values.get(field) {
            None => Err(ConfigError::Missing {
                service: self.service.clone(),
                field: field.to_owned(),
                env: self.env_name(field),
            }),
            Some((value, source_name)) => {
                value.parse().map_err(|error: T::Err| ConfigError::Invalid {
                    service: self.service.clone(),
                    field: field.to_owned(),
                    source_name: source_name.clone(),
                    reason: error.to_string(),
                })
            }
        }
    }

    /// The error for a value that was given but cannot be used.
    pub fn invalid(&self, field: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            service: self.service.clone(),
            field: field.to_owned(),
            source_name: self
                .values
                .get(field)
                .map(|(_, source)| source.clone())
                .unwrap_or_else(|| "the defaults".to_owned()),
            reason: reason.into(),
        }
    }

    /// A required secret, refused when empty.
    pub fn require_secret(&self, field: &str) -> Result<Secret<String>, ConfigError> {
        let value: String = self.require(field)?;
        if value.trim().is_empty() {
            return Err(ConfigError::Missing {
                service: self.service.clone(),
                field: field.to_owned(),
                env: self.env_name(field),
            });
        }
        Ok(Secret::new(value))
    }
}

fn read_file(path: &str) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::File {
        path: path.to_owned(),
        reason: error.to_string(),
    })?;
    text.parse::<toml::Table>()
        .map_err(|error| ConfigError::File {
            path: path.to_owned(),
            reason: error.to_string(),
        })
}

/// What every service needs to start: where to listen, its database, its limits.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub service: String,
    pub listen_addr: SocketAddr,
    pub database_url: Secret<String>,
    pub database_max_connections: u32,
    pub log_format: LogFormat,
    pub limits: HttpLimits,
    /// Load the demo data at start (`imkon up`); never set in production.
    pub demo_data: bool,
    /// The bank's calendar and the clock it reads (`bank_utc_offset`, `bank_holidays`,
    /// `bank_end_of_day_cutoff`); tests replace its clock with a settable one.
    pub calendar: BankCalendar,
    /// The settings this service reads beyond the common ones (keys, peers' URLs).
    pub settings: Settings,
}

/// The limits every HTTP endpoint runs under.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    pub max_page_size: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_page_size: 200,
        }
    }
}

impl ServiceConfig {
    /// Parses the common settings; `default_port` is this service's port in development.
    pub fn from_settings(
        settings: Settings,
        default_port: u16,
    ) -> Result<ServiceConfig, ConfigError> {
        let defaults = HttpLimits::default();
        let request_timeout_ms: u64 = settings.get_or(
            "request_timeout_ms",
            defaults.request_timeout.as_millis() as u64,
        )?;
        Ok(ServiceConfig {
            service: settings.service().to_owned(),
            listen_addr: settings.get_or(
                "listen_addr",
                SocketAddr::from(([127, 0, 0, 1], default_port)),
            )?,
            database_url: settings.require_secret("database_url")?,
            database_max_connections: settings.get_or("database_max_connections", 10)?,
            log_format: settings.get_or("log_format", LogFormat::Pretty)?,
            limits: HttpLimits {
                body_limit_bytes: settings.get_or("body_limit_bytes", defaults.body_limit_bytes)?,
                request_timeout: Duration::from_millis(request_timeout_ms),
                max_page_size: settings.get_or("max_page_size", defaults.max_page_size)?,
            },
            demo_data: settings.get_or("demo_data", false)?,
            calendar: BankCalendar::from_settings(&settings)?,
            settings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let settings = Settings::from_sources(
            "accounts",
            None,
            &env(&[(
                "IMKON_ACCOUNTS_DATABASE_URL",
                "postgres://u:hunter2@db/accounts",
            )]),
        );
        let config = ServiceConfig::from_settings(settings, 8085).unwrap();
        let printed = format!("{config:?}");
        assert!(printed.contains("[redacted]"));
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn the_service_table_and_variables_override_the_common_ones() {
        let file: toml::Table = toml::from_str(
            "[common]\nlisten_addr = \"127.0.0.1:1\"\nmax_page_size = 50\n[scoring]\nlisten_addr = \"127.0.0.1:2\"\n",
        )
        .unwrap();
        let settings = Settings::from_sources(
            "scoring",
            Some(&file),
            &env(&[
                ("IMKON_DATABASE_URL", "postgres://x/y"),
                ("IMKON_SCORING_MAX_PAGE_SIZE", "70"),
            ]),
        );
        let config = ServiceConfig::from_settings(settings, 8083).unwrap();
        assert_eq!(config.listen_addr, SocketAddr::from(([127, 0, 0, 1], 2)));
        assert_eq!(config.limits.max_page_size, 70);
    }

    #[test]
    fn a_missing_database_url_names_the_variable_to_set() {
        let error =
            ServiceConfig::from_settings(Settings::from_sources("onboarding", None, &[]), 8081)
                .unwrap_err()
                .to_string();
        assert!(error.contains("IMKON_ONBOARDING_DATABASE_URL"), "{error}");
    }

    #[test]
    fn a_malformed_value_names_its_source() {
        let settings = Settings::from_sources(
            "accounts",
            None,
            &env(&[
                ("IMKON_DATABASE_URL", "postgres://x/y"),
                ("IMKON_ACCOUNTS_LISTEN_ADDR", "nowhere"),
            ]),
        );
        let error = ServiceConfig::from_settings(settings, 8085)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("listen_addr") && error.contains("IMKON_ACCOUNTS_LISTEN_ADDR"),
            "{error}"
        );
    }
}
