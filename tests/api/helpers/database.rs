//! A database per test: a temporary SQLite file, or a new PostgreSQL database when
//! TEST_DATABASE_URL names a server; and the settings a test app starts from.

use diesel::{Connection, PgConnection, RunQueryDsl};
use wiselink::db::Db;
use wiselink::settings::{Settings, Sources};

/// A database that exists only for one test and is dropped after it.
pub enum TestDatabase {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDatabase {
    /// A new empty database on the backend TEST_DATABASE_URL names (SQLite when unset).
    pub fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("wiselink_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is not reachable: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Self::Postgres {
                    admin_url,
                    name,
                    url: url.to_string(),
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("wiselink.sqlite3").display());
                Self::Sqlite { _dir: dir, url }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres {
            admin_url, name, ..
        } = self
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// Settings for a test: defaults, port 0, the given database, then `overrides`.
pub fn settings(database_url: &str, overrides: &[(&str, &str)]) -> Settings {
    let mut vars = vec![
        ("WISELINK__SERVER__PORT".to_owned(), "0".to_owned()),
        ("WISELINK__SERVER__WORKERS".to_owned(), "2".to_owned()),
        (
            "WISELINK__DATABASE__URL".to_owned(),
            database_url.to_owned(),
        ),
    ];
    vars.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    Settings::load(&Sources::defaults_with(vars)).expect("test settings are valid")
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub fn count_rows(db: &Db, sql: &str) -> i64 {
    let mut conn = db.get().expect("connection");
    diesel::sql_query(sql)
        .get_result::<Count>(&mut **conn)
        .expect("count query")
        .n
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    s: String,
}

/// The text column `s` of every row `sql` selects.
pub fn text_rows(db: &Db, sql: &str) -> Vec<String> {
    let mut conn = db.get().expect("connection");
    diesel::sql_query(sql)
        .load::<Text>(&mut **conn)
        .expect("text query")
        .into_iter()
        .map(|t| t.s)
        .collect()
}
