//! `WISELINK_ENV`: which environment file is read, and whether production's stricter rules apply.
//! Names are matched case-insensitively (`PRODUCTION` is production); a name that is neither
//! built in nor has its own file in the configuration folder is refused at start-up, so a typo
//! never quietly drops production's rules.

/// The environments that need no file of their own.
const BUILT_IN: [&str; 3] = ["local", "test", "production"];

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
    /// The environment named `name`, in any case and without surrounding blanks.
    pub fn parse(name: &str) -> Self {
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "production" => Self::Production,
            _ => Self::Development(name),
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

    /// Why this name cannot be used, given whether its file exists.
    pub fn problem(&self, file_exists: bool) -> Option<String> {
        let name = self.name();
        let well_formed = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !well_formed {
            return Some(format!(
                "WISELINK_ENV={name:?} is not an environment name (letters, digits, - and _; at most 32)"
            ));
        }
        if BUILT_IN.contains(&name) || file_exists {
            return None;
        }
        Some(format!(
            "WISELINK_ENV={name} is unknown: use {} or add config/{name}.toml",
            BUILT_IN.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_in_any_case_is_production() {
        for name in ["production", "PRODUCTION", "Production", " production\n"] {
            let env = Environment::parse(name);
            assert!(env.is_production(), "{name:?}");
            assert_eq!(env.problem(false), None);
        }
        for name in ["local", "test", "prod", "LOCAL"] {
            assert!(!Environment::parse(name).is_production(), "{name}");
        }
        assert_eq!(Environment::parse("LOCAL").name(), "local");
    }

    #[test]
    fn an_unknown_name_is_refused_unless_its_file_exists() {
        assert_eq!(Environment::parse("local").problem(false), None);
        assert_eq!(Environment::parse("Test").problem(false), None);
        let typo = Environment::parse("prodution");
        assert!(typo.problem(false).unwrap().contains("unknown"));
        assert_eq!(typo.problem(true), None, "config/prodution.toml exists");
        for bad in ["", "../etc", "a b", "x".repeat(33).as_str()] {
            assert!(Environment::parse(bad).problem(true).is_some(), "{bad:?}");
        }
    }
}
