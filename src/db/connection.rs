use crate::settings::DatabaseUrl;
use diesel::connection::SimpleConnection;
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};
use secrecy::ExposeSecret;

/// One connection to whichever database the URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Inserts `$rows` (a `Vec` of insertable values) into `$table` through `$conn` (an identifier
/// of a `&mut DbConnection`): in one statement on PostgreSQL, one statement per row on SQLite,
/// whose multi-row insert the multi-backend connection cannot express (in-process and sharing
/// the transaction's commit, those statements cost little). Evaluates to `QueryResult<usize>`.
macro_rules! insert_rows {
    ($conn:ident, $table:expr, $rows:expr) => {{
        let rows = $rows;
        match $conn {
            $crate::db::DbConnection::Postgresql(pg) => {
                diesel::insert_into($table).values(&rows).execute(pg)
            }
            $crate::db::DbConnection::Sqlite(_) => rows.into_iter().try_fold(0, |n, row| {
                diesel::insert_into($table)
                    .values(row)
                    .execute($conn)
                    .map(|one| n + one)
            }),
        }
    }};
}
pub(crate) use insert_rows;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}

/// Why a connection could not be opened. The driver's cause is part of the message and not also
/// a `source()`, so a printed error chain says it once.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to PostgreSQL at {target}: {cause}")]
    Postgres {
        target: String,
        cause: ConnectionError,
    },
    #[error("cannot open SQLite database {target}: {cause}")]
    Sqlite {
        target: String,
        cause: ConnectionError,
    },
    #[error("cannot prepare the database connection: {0}")]
    Setup(#[from] diesel::result::Error),
}

/// A pooled connection that remembers when it lost its server, so the pool discards it instead of
/// handing it out again. Connections are not pinged on every checkout (that would double the round
/// trips of a one-query request); a failed query marks them instead.
pub struct PoolConnection {
    conn: DbConnection,
    broken: bool,
}

impl PoolConnection {
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
}

impl std::ops::Deref for PoolConnection {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PoolConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// An r2d2 manager that picks the backend from the URL scheme alone.
///
/// diesel's derived `establish` tries each backend in turn and hides the real error; with
/// PostgreSQL down it can even create an SQLite file named after the connection string. This
/// manager never falls back from one backend to the other.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn open(&self) -> Result<DbConnection, ConnectError> {
        match &self.url {
            DatabaseUrl::Postgres(secret) => PgConnection::establish(secret.expose_secret())
                .map(DbConnection::Postgresql)
                .map_err(|cause| ConnectError::Postgres {
                    target: self.url.redacted(),
                    cause,
                }),
            DatabaseUrl::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(&path.to_string_lossy()).map_err(|cause| {
                        ConnectError::Sqlite {
                            target: self.url.redacted(),
                            cause,
                        }
                    })?;
                // `secure_delete` zeroes what a delete or update frees, so erased personal data
                // does not linger in the file's free space.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
                )?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = PoolConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<PoolConnection, ConnectError> {
        Ok(PoolConnection {
            conn: self.open()?,
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut PoolConnection) -> Result<(), ConnectError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, conn: &mut PoolConnection) -> bool {
        use diesel::connection::TransactionManager;
        conn.broken
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(
                &mut conn.conn,
            )
    }
}
