//! `WISELINK_ENV`: which environment file is read, and whether production's stricter rules apply.

/// The environment wiselink runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `WISELINK_ENV=production`: development defaults (keys, secrets, plain HTTP, the dev
    /// mailbox) are refused.
    Production,
    /// Any other name (`local` by default, `test` for the test suite): `config/{name}.toml`.
    Development(String),
}

impl Environment {
    pub fn parse(name: &str) -> Self {
        match name {
            "production" => Self::Production,
            other => Self::Development(other.to_owned()),
        }
    }

    /// The name, as in `config/{name}.toml`.
    pub fn name(&self) -> &str {
        match self {
            Self::Production => "production",
            Self::Development(name) => name,
        }
    }

    pub fn is_production(&self) -> bool {
        *self == Self::Production
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_production_is_production() {
        assert!(Environment::parse("production").is_production());
        for name in ["local", "test", "Production", "prod", ""] {
            let env = Environment::parse(name);
            assert!(!env.is_production(), "{name}");
            assert_eq!(env.name(), name);
        }
    }
}
