use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;

/// Which database to use, decided by the URL scheme and nothing else.
///
/// A PostgreSQL URL may hold a password, so it is kept secret and shown redacted.
#[derive(Clone)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(SecretString),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "database.url sqlite:// needs a file path, e.g. sqlite://data/wiselink.sqlite3"
                        .into(),
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw)
                .map_err(|e| format!("database.url is not a valid PostgreSQL URL: {e}"))?;
            return Ok(Self::Postgres(SecretString::from(raw.to_owned())));
        }
        Err("database.url must start with sqlite:// or postgres://".into())
    }

    /// The URL with any password replaced by `***`: safe for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(secret) => match url::Url::parse(secret.expose_secret()) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        // Only fails for URLs that cannot have a password, which these can.
                        let _ = u.set_password(Some("***"));
                    }
                    u.to_string()
                }
                Err(_) => "postgres://***".to_owned(),
            },
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert!(
            matches!(DatabaseUrl::parse("sqlite://data/x.db"), Ok(DatabaseUrl::Sqlite(p)) if p.as_path() == std::path::Path::new("data/x.db"))
        );
        assert!(
            matches!(DatabaseUrl::parse("sqlite:///tmp/x.db"), Ok(DatabaseUrl::Sqlite(p)) if p.as_path() == std::path::Path::new("/tmp/x.db"))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("host=localhost dbname=x").is_err());
        assert!(DatabaseUrl::parse("data/wiselink.sqlite3").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn redacts_passwords() {
        let url = DatabaseUrl::parse("postgres://app:hunter2@db:5432/wiselink").unwrap();
        assert_eq!(url.redacted(), "postgres://app:***@db:5432/wiselink");
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
