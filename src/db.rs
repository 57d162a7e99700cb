//! Storage: diesel over PostgreSQL or SQLite, chosen at run time from `database.url`.
//!
//! Queries live beside their models (`db/customers.rs`, …). Diesel is synchronous, so async code
//! reaches the database through [`Db::run`], which runs the closure on the blocking pool inside the
//! caller's tracing span.

pub mod api_keys;
pub mod audit;
pub mod authorization_states;
mod connection;
pub mod customers;
pub mod erasure;
pub mod idempotency;
pub mod ip_limits;
pub mod links;
pub mod migrations;
pub mod outbox;
mod reader;
pub mod schema;
pub mod sealed;
pub mod staff;
pub mod stats;
mod transaction;
pub mod webhooks;
pub mod wise_budget;
pub mod wise_events;

pub(crate) use connection::insert_rows;
pub use connection::{Backend, ConnectError, DbConnection};
pub use reader::Reader;
pub(crate) use reader::read;

use crate::settings::{DatabaseSettings, DatabaseUrl};
use anyhow::Context;
use connection::ConnectionManager;
use diesel::connection::SimpleConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    /// One permit per pooled connection: async callers wait here, cheaply, rather than as
    /// blocking threads queued on the pool.
    permits: Arc<Semaphore>,
    /// Where [`read!`] runs the hot reads.
    reader: Reader,
}

/// Why a database call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available")]
    Unavailable(#[from] r2d2::Error),
    #[error("database query failed")]
    Query(#[from] DieselError),
    #[error("database task was cancelled")]
    Cancelled,
    #[error("no connection for a read: {0}")]
    ReadPool(String),
}

impl Db {
    /// Opens the pool, failing with a message that names the database (password redacted) when it
    /// cannot be reached. An SQLite file and its folder are created if missing; a PostgreSQL URL is
    /// never turned into a file.
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        if let DatabaseUrl::Sqlite(path) = &settings.url
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create folder {}", dir.display()))?;
        }
        // One connection on this thread first: it fails fast with a message naming the database,
        // and on SQLite it switches the file to WAL once, before the pool opens connections.
        let mut probe = ConnectionManager::new(settings.url.clone()).open()?;
        let backend = match &settings.url {
            DatabaseUrl::Sqlite(_) => {
                probe
                    .batch_execute("PRAGMA journal_mode = WAL;")
                    .context("cannot switch the SQLite database to WAL mode")?;
                Backend::Sqlite
            }
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        drop(probe);
        let timeout = Duration::from_secs(settings.connect_timeout_secs);
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size)
            .test_on_check_out(false)
            // No connections opened in the background unasked: a process that exits while a
            // pool thread is inside libpq's connect can crash (seen as SIGSEGV in short CLI runs).
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(ConnectionManager::new(settings.url.clone()))
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("cannot open database {}", settings.url.redacted()))?;
        let permits = Arc::new(Semaphore::new(settings.pool_size as usize));
        let reader = match backend {
            Backend::Postgres => Reader::postgres(settings)?,
            Backend::Sqlite => Reader::Sqlite(reader::SqliteLane {
                pool: pool.clone(),
                permits: Arc::clone(&permits),
            }),
        };
        Ok(Self {
            pool,
            backend,
            permits,
            reader,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// A connection for synchronous callers (the CLI, tests, workers already on a blocking thread).
    pub fn get(&self) -> Result<PooledConnection, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| DbError::Cancelled)?;
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _permit = permit;
            span.in_scope(|| {
                let mut conn = pool.get()?;
                let result = f(&mut conn);
                if let Err(DbError::Query(e)) = &result
                    && is_connection_lost(e)
                {
                    conn.mark_broken();
                }
                result
            })
        })
        .await
        .map_err(|_| DbError::Cancelled)?
    }

    /// Connections open and idle, for `/metrics`.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }

    /// Answers whether the database responds to a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|conn| Ok(conn.batch_execute("SELECT 1")?)).await
    }
}

/// True when `e` means the server went away: the connection is useless and the call may be retried.
pub fn is_connection_lost(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | DieselError::BrokenTransactionManager
    )
}

/// True when `e` is a unique-constraint violation (a concurrent insert of the same key).
pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}
