//! The hot reads — the access token a partner asks for, the customer it reads, the link an app
//! polls, the session every customer page looks up — without the hand-off to the blocking pool.
//!
//! On PostgreSQL they go through `diesel-async`'s [`AsyncPgConnection`] on a deadpool pool of
//! their own (`database.read_pool_size`), which hands a connection back without a round trip
//! (`RecyclingMethod::Fast`: a connection that lost its server is dropped, not pinged first). On
//! SQLite, a read is a few microseconds in the process: it runs on the calling thread, holding a
//! permit for one of the pool's connections. The query is written once, with diesel's DSL, and
//! [`read!`](crate::db::read) runs it on whichever backend is open. Writes, transactions and row
//! claims stay on [`Db::run`](super::Db::run).

mod tls;

use super::connection::ConnectionManager;
use super::{DbError, PooledConnection};
use crate::settings::{DatabaseSettings, DatabaseUrl};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Where [`read!`](crate::db::read) runs a query.
#[derive(Clone)]
pub enum Reader {
    Postgres(Pool<AsyncPgConnection>),
    Sqlite(SqliteLane),
}

/// SQLite's reads: the pool's connections, taken on the calling thread once a permit is held.
#[derive(Clone)]
pub struct SqliteLane {
    pub(super) pool: r2d2::Pool<ConnectionManager>,
    pub(super) permits: Arc<Semaphore>,
}

/// An SQLite connection taken for one read, with the permit that reserved it.
pub struct SqliteRead {
    conn: PooledConnection,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for SqliteRead {
    type Target = super::DbConnection;

    fn deref(&self) -> &Self::Target {
        &self.conn
    }
}

impl std::ops::DerefMut for SqliteRead {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conn
    }
}

impl SqliteLane {
    /// A connection for one read. The permit guarantees one is idle or may be opened, so taking
    /// it does not wait on the pool.
    pub async fn take(&self) -> Result<SqliteRead, DbError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| DbError::Cancelled)?;
        Ok(SqliteRead {
            conn: self.pool.get()?,
            _permit: permit,
        })
    }
}

impl Reader {
    /// The PostgreSQL read pool, with connections opened on first use.
    pub(super) fn postgres(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let DatabaseUrl::Postgres(url) = &settings.url else {
            anyhow::bail!("the async read pool is for PostgreSQL");
        };
        let connect = tls::Connect::from_url(url.expose_secret())?;
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        config.custom_setup = Box::new(move |_| connect.clone().establish());
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            url.expose_secret(),
            config,
        );
        let wait = Duration::from_secs(settings.connect_timeout_secs);
        let pool = Pool::builder(manager)
            .max_size(settings.read_pool_size as usize)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(wait))
            .create_timeout(Some(wait))
            .build()?;
        Ok(Self::Postgres(pool))
    }

    /// Connections open and idle, and the most there may be, for `/metrics` (PostgreSQL only).
    pub fn pool_state(&self) -> Option<(u32, u32, u32)> {
        let Self::Postgres(pool) = self else {
            return None;
        };
        let status = pool.status();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Some((
            count(status.size),
            count(status.available),
            count(status.max_size),
        ))
    }
}

impl From<PoolError> for DbError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Backend(diesel_async::pooled_connection::PoolError::QueryError(e)) => {
                Self::Query(e)
            }
            other => Self::ReadPool(other.to_string()),
        }
    }
}

/// Runs one read, `$query.$method(conn)` with `$method` one of diesel's `load`, `first`,
/// `get_result` or `get_results`, on the backend [`Db`](super::Db) opened: on PostgreSQL through
/// the async pool, on SQLite on the calling thread. Evaluates to `Result<T, DbError>`.
///
/// `$query` is spelled once and built for each backend, so it must be a diesel query both can
/// run (the whole DSL the service uses is).
macro_rules! read {
    ($db:expr, $method:ident, $query:expr) => {
        async {
            match $db.reader() {
                $crate::db::Reader::Postgres(pool) => {
                    let mut conn = pool.get().await?;
                    let out = diesel_async::RunQueryDsl::$method($query, &mut *conn).await;
                    Ok::<_, $crate::db::DbError>(out?)
                }
                $crate::db::Reader::Sqlite(lane) => {
                    let mut conn = lane.take().await?;
                    let out = diesel::RunQueryDsl::$method($query, &mut *conn);
                    Ok::<_, $crate::db::DbError>(out?)
                }
            }
        }
        .await
    };
}
pub(crate) use read;
