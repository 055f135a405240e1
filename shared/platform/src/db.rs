//! The PostgreSQL pool and migrations of a service.
//!
//! Each service owns one database. Its schema is the platform's tables (idempotency records,
//! outbox, inbox: `migrations/platform`, versions below 1000) followed by its own
//! (`migrations/<service>`, versions from 1000), applied as one ordered list at start-up.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use crate::config::Secret;

/// The first migration version a service may use; lower ones belong to the platform.
pub const FIRST_SERVICE_MIGRATION_VERSION: i64 = 1000;

static PLATFORM_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/platform");

/// Why the database could not be used at start-up.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("bad database URL: {0}")]
    BadUrl(String),
    #[error("cannot reach the database {target}: {reason}")]
    Unreachable { target: String, reason: String },
    #[error("migrating the database {target} failed: {reason}")]
    Migration { target: String, reason: String },
}

/// The platform's migrations followed by the service's own, as one migrator.
pub fn migrator_with_platform(service: &Migrator) -> Migrator {
    let mut migrations: Vec<_> = PLATFORM_MIGRATIONS
        .migrations
        .iter()
        .chain(service.migrations.iter())
        .cloned()
        .collect();
    assert!(
        service
            .migrations
            .iter()
            .all(|m| m.version >= FIRST_SERVICE_MIGRATION_VERSION),
        "service migrations must be numbered from {FIRST_SERVICE_MIGRATION_VERSION}"
    );
    migrations.sort_by_key(|migration| migration.version);
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// Parses a URL, naming the problem without echoing the password.
pub fn connect_options(url: &Secret<String>) -> Result<PgConnectOptions, DatabaseError> {
    PgConnectOptions::from_str(url.expose())
        .map(|options| options.disable_statement_logging())
        .map_err(|error| DatabaseError::BadUrl(error.to_string()))
}

/// `host:port/database` of a connection, safe to print.
pub fn describe(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default)")
    )
}

/// Opens the pool and checks that the database answers within a few seconds.
pub async fn connect(url: &Secret<String>, max_connections: u32) -> Result<PgPool, DatabaseError> {
    let options = connect_options(url)?;
    let target = describe(&options);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|error| DatabaseError::Unreachable {
            target,
            reason: error.to_string(),
        })
}

/// Applies every pending migration.
pub async fn migrate(pool: &PgPool, migrator: &Migrator) -> Result<(), DatabaseError> {
    migrator
        .run(pool)
        .await
        .map_err(|error| DatabaseError::Migration {
            target: describe(&pool.connect_options()),
            reason: error.to_string(),
        })
}

/// Creates the database `name` on the server of `server_url` if it does not exist yet.
pub async fn ensure_database(server_url: &Secret<String>, name: &str) -> Result<(), DatabaseError> {
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "database names are chosen by the platform and are plain identifiers"
    );
    let options = connect_options(server_url)?.database("postgres");
    let target = describe(&options);
    let unreachable = |error: sqlx::Error| DatabaseError::Unreachable {
        target: target.clone(),
        reason: error.to_string(),
    };
    let mut connection = sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(unreachable)?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(name)
            .fetch_one(&mut connection)
            .await
            .map_err(unreachable)?;
    if !exists {
        let created = sqlx::query(&format!("create database {name}"))
            .execute(&mut connection)
            .await;
        // Two launchers racing to create the same database is harmless: the loser sees
        // duplicate_database (42P04) and the database exists either way.
        if let Err(error) = created {
            let duplicate = error
                .as_database_error()
                .and_then(|e| e.code())
                .is_some_and(|code| code == "42P04");
            if !duplicate {
                return Err(unreachable(error));
            }
        }
    }
    connection.close().await.map_err(unreachable)?;
    Ok(())
}

/// The URL of database `name` on the server of `server_url`.
pub fn database_url(
    server_url: &Secret<String>,
    name: &str,
) -> Result<Secret<String>, DatabaseError> {
    let mut url = server_url.expose().clone();
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base.to_owned(), Some(query.to_owned())),
        None => (url.clone(), None),
    };
    let Some(authority_start) = base.find("://").map(|i| i + 3) else {
        return Err(DatabaseError::BadUrl(
            "expected postgres://user@host:port/database".into(),
        ));
    };
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| i + authority_start);
    let server = match path_start {
        Some(index) => &base[..index],
        None => base.as_str(),
    };
    url = format!("{server}/{name}");
    if let Some(query) = query {
        url.push('?');
        url.push_str(&query);
    }
    Ok(Secret::new(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_only_the_database_name() {
        let server =
            Secret::new("postgres://user:pw@127.0.0.1:5432/postgres?sslmode=disable".to_owned());
        assert_eq!(
            database_url(&server, "imkon_scoring").unwrap().expose(),
            "postgres://user:pw@127.0.0.1:5432/imkon_scoring?sslmode=disable"
        );
        let bare = Secret::new("postgres://127.0.0.1".to_owned());
        assert_eq!(
            database_url(&bare, "x").unwrap().expose(),
            "postgres://127.0.0.1/x"
        );
    }

    #[test]
    fn platform_migrations_come_before_the_service_ones() {
        let service = Migrator::DEFAULT;
        let combined = migrator_with_platform(&service);
        assert!(!combined.migrations.is_empty());
        assert!(combined
            .migrations
            .iter()
            .all(|m| m.version < FIRST_SERVICE_MIGRATION_VERSION));
    }
}
