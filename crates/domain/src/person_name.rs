use super::{Invalid, has_control};

/// A first or last name: trimmed, 1–100 characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::new("required", "must not be empty"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(
                "too_long",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if has_control(s) {
            return Err(Invalid::new(
                "invalid_characters",
                "must not contain control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PersonName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonName(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("Ada", Ok("Ada")),
            ("  Zoë  ", Ok("Zoë")),
            ("O'Brien-Šimůnek", Ok("O'Brien-Šimůnek")),
            ("", Err("required")),
            ("   ", Err("required")),
            ("tab\there", Err("invalid_characters")),
            ("nul\0", Err("invalid_characters")),
        ];
        for (input, expected) in cases {
            let got = PersonName::parse(input);
            match expected {
                Ok(v) => assert_eq!(got.as_ref().map(|n| n.as_str()), Ok(*v), "{input:?}"),
                Err(code) => assert_eq!(got.err().map(|e| e.code), Some(*code), "{input:?}"),
            }
        }
        assert!(PersonName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            PersonName::parse(&"é".repeat(101)).unwrap_err().code,
            "too_long"
        );
    }

    proptest! {
        #[test]
        fn parsed_names_are_trimmed_and_bounded(s in "\\PC{0,150}") {
            if let Ok(n) = PersonName::parse(&s) {
                prop_assert_eq!(n.as_str(), n.as_str().trim());
                prop_assert!(n.as_str().chars().count() <= PersonName::MAX_CHARS);
            }
        }
    }
}
