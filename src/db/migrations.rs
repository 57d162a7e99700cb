//! Embedded migrations, one tree per backend with identical names.

use super::DbConnection;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// An arbitrary constant that identifies wiselink's migration lock among PostgreSQL advisory locks.
const PG_MIGRATION_LOCK: i64 = 0x7769_7365_6c6e_6b01;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration and returns the names applied. On PostgreSQL an advisory lock
/// keeps instances that start together from migrating at the same time.
pub fn run_pending(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))?;
            let result = pending_of(c, POSTGRES);
            c.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))?;
            result
        }
        DbConnection::Sqlite(c) => pending_of(c, SQLITE),
    };
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Reverts the most recent migration (used by the migration round-trip test).
pub fn revert_last(conn: &mut DbConnection) -> Result<String, BoxError> {
    match conn {
        DbConnection::Postgresql(c) => Ok(c.revert_last_migration(POSTGRES)?.to_string()),
        DbConnection::Sqlite(c) => Ok(c.revert_last_migration(SQLITE)?.to_string()),
    }
}

/// Whether any embedded migration is not applied yet.
pub fn any_pending(conn: &mut DbConnection) -> Result<bool, BoxError> {
    Ok(match conn {
        DbConnection::Postgresql(c) => c.has_pending_migration(POSTGRES)?,
        DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE)?,
    })
}

/// Applies only the next pending migration, if any, and returns its name.
pub fn run_next(conn: &mut DbConnection) -> Result<Option<String>, BoxError> {
    match conn {
        DbConnection::Postgresql(c) => next_of(c, POSTGRES),
        DbConnection::Sqlite(c) => next_of(c, SQLITE),
    }
}

fn next_of<DB, C>(conn: &mut C, source: EmbeddedMigrations) -> Result<Option<String>, BoxError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let Some(next) = conn.pending_migrations(source)?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(conn.run_migration(&*next)?.to_string()))
}

/// Names of the embedded migrations of each backend, in order.
pub fn embedded_names() -> Result<(Vec<String>, Vec<String>), BoxError> {
    let pg = MigrationSource::<Pg>::migrations(&POSTGRES)?;
    let sqlite = MigrationSource::<Sqlite>::migrations(&SQLITE)?;
    Ok((
        pg.iter().map(|m| m.name().to_string()).collect(),
        sqlite.iter().map(|m| m.name().to_string()).collect(),
    ))
}

fn pending_of<DB, C>(conn: &mut C, source: EmbeddedMigrations) -> Result<Vec<String>, BoxError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let pending = conn.pending_migrations(source)?;
    let names = pending.iter().map(|m| m.name().to_string()).collect();
    conn.run_migrations(&pending)?;
    Ok(names)
}
