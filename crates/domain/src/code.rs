use super::Invalid;

/// An authorization code as a customer types it: surrounding white space, inner spaces and dashes
/// are dropped; case is kept (Wise's codes are mixed-case, e.g. `G2s8EJ`). 4–64 letters and
/// digits after that. `Debug` is redacted: a code is a credential until it is used.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCode(String);

impl AuthorizationCode {
    pub const MIN_LEN: usize = 4;
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let normalised: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if normalised.is_empty() {
            return Err(Invalid::new("required", "code must not be empty"));
        }
        if !normalised.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new(
                "invalid_format",
                "code may contain only letters and digits",
            ));
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&normalised.len()) {
            return Err(Invalid::new(
                "invalid_length",
                format!(
                    "code must be {} to {} letters and digits",
                    Self::MIN_LEN,
                    Self::MAX_LEN
                ),
            ));
        }
        Ok(Self(normalised))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthorizationCode(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("G2s8EJ", Ok("G2s8EJ")),
            ("  g2s8ej ", Ok("g2s8ej")),
            ("G2s-8EJ", Ok("G2s8EJ")),
            ("G2 s8 EJ", Ok("G2s8EJ")),
            ("\tABCDEF\n", Ok("ABCDEF")),
            ("", Err("required")),
            (" - ", Err("required")),
            ("G2s8E!", Err("invalid_format")),
            ("G2s8É", Err("invalid_format")),
            ("abc", Err("invalid_length")),
        ];
        for (input, expected) in cases {
            let got = AuthorizationCode::parse(input);
            match expected {
                Ok(v) => assert_eq!(
                    got.as_ref().map(AuthorizationCode::expose),
                    Ok(*v),
                    "{input:?}"
                ),
                Err(code) => assert_eq!(got.err().map(|e| e.code), Some(*code), "{input:?}"),
            }
        }
        assert_eq!(
            AuthorizationCode::parse(&"a".repeat(65)).unwrap_err().code,
            "invalid_length"
        );
        assert!(!format!("{:?}", AuthorizationCode::parse("G2s8EJ").unwrap()).contains("G2s8EJ"));
    }

    proptest! {
        #[test]
        fn case_is_never_changed(code in "[A-Za-z0-9]{4,64}") {
            let parsed = AuthorizationCode::parse(&code).unwrap();
            prop_assert_eq!(parsed.expose(), code.as_str());
        }

        #[test]
        fn spaces_and_dashes_are_ignored(code in "[A-Za-z0-9]{4,20}", seps in proptest::collection::vec(prop_oneof![Just(" "), Just("-")], 0..5)) {
            let mut typed = String::new();
            for (i, c) in code.chars().enumerate() {
                typed.push(c);
                if let Some(sep) = seps.get(i) {
                    typed.push_str(sep);
                }
            }
            let parsed = AuthorizationCode::parse(&typed).unwrap();
            prop_assert_eq!(parsed.expose(), code.as_str());
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = AuthorizationCode::parse(&s);
        }
    }
}
