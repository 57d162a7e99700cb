//! Transactions that write.
//!
//! SQLite starts a plain `BEGIN` as a reader and upgrades to a writer at the first write. In WAL
//! mode that upgrade fails at once with `SQLITE_BUSY` when another connection committed since the
//! transaction read: its snapshot is stale, and waiting cannot help, so `busy_timeout` does not
//! apply. A refresher pass that read the due links while the mail worker wrote would claim
//! nothing. `BEGIN IMMEDIATE` takes the write lock first, so the transaction waits its turn under
//! `busy_timeout` instead. On PostgreSQL every transaction is an ordinary one (row locks and
//! `SKIP LOCKED` do the ordering there).

use super::DbConnection;
use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::Error;

impl DbConnection {
    /// Runs `f` in a transaction that may write: committed if `f` returns `Ok`, rolled back
    /// otherwise. Inside another transaction it is a savepoint of that one.
    ///
    /// Every transaction in wiselink goes through here (clippy's `disallowed-methods` refuses a
    /// bare `Connection::transaction`), so no SQLite transaction can read before it holds the
    /// write lock.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        let sqlite_outermost = match self {
            DbConnection::Sqlite(sqlite) => {
                AnsiTransactionManager::transaction_manager_status_mut(sqlite)
                    .transaction_depth()?
                    .is_none()
            }
            DbConnection::Postgresql(_) => false,
        };
        if !sqlite_outermost {
            return self.savepoint_or_transaction(f);
        }
        if let DbConnection::Sqlite(sqlite) = self {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        }
        type Manager = <DbConnection as Connection>::TransactionManager;
        match f(self) {
            Ok(value) => {
                Manager::commit_transaction(self)?;
                Ok(value)
            }
            Err(failed) => match Manager::rollback_transaction(self) {
                Ok(()) | Err(Error::BrokenTransactionManager) => Err(failed),
                Err(rollback) => Err(rollback.into()),
            },
        }
    }

    /// The multi-backend connection's own transaction: a savepoint when one is open.
    #[allow(clippy::disallowed_methods)]
    fn savepoint_or_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        self.transaction(f)
    }
}

#[cfg(test)]
mod tests {
    use super::super::connection::ConnectionManager;
    use super::*;
    use crate::settings::DatabaseUrl;
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    fn count(conn: &mut DbConnection) -> i64 {
        diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT COUNT(*) FROM t")
            .get_result(conn)
            .unwrap()
    }

    /// Another connection commits between this transaction's read and its write: the write must
    /// not fail. (A plain `BEGIN` gets `SQLITE_BUSY` at the write, at once, whatever the
    /// `busy_timeout`.)
    #[test]
    fn an_sqlite_transaction_that_reads_then_writes_holds_the_write_lock_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let manager = ConnectionManager::new(DatabaseUrl::Sqlite(dir.path().join("t.sqlite3")));
        let mut first = manager.open().unwrap();
        first
            .batch_execute("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER);")
            .unwrap();
        let mut other = manager.open().unwrap();
        other.batch_execute("PRAGMA busy_timeout = 50;").unwrap();

        let result: Result<i64, Error> = first.write_transaction(|c| {
            let before = count(c);
            let elsewhere = other.batch_execute("INSERT INTO t VALUES (1)");
            assert!(elsewhere.is_err(), "the other writer waits its turn");
            c.batch_execute("INSERT INTO t VALUES (2)")?;
            Ok(before)
        });
        assert_eq!(result.unwrap(), 0);
        other.batch_execute("INSERT INTO t VALUES (3)").unwrap();
        assert_eq!(count(&mut first), 2);
    }

    #[test]
    fn a_nested_write_transaction_is_a_savepoint_that_rolls_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let manager = ConnectionManager::new(DatabaseUrl::Sqlite(dir.path().join("t.sqlite3")));
        let mut conn = manager.open().unwrap();
        conn.batch_execute("CREATE TABLE t (n INTEGER);").unwrap();
        conn.write_transaction(|c| {
            c.batch_execute("INSERT INTO t VALUES (1)")?;
            let inner: Result<(), Error> = c.write_transaction(|c| {
                c.batch_execute("INSERT INTO t VALUES (2)")?;
                Err(Error::RollbackTransaction)
            });
            assert!(inner.is_err());
            Ok::<_, Error>(())
        })
        .unwrap();
        assert_eq!(count(&mut conn), 1);
    }
}
