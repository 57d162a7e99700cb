use super::Invalid;

/// A language Wise accepts at signup. Case-insensitive on input; stored upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language(&'static str);

impl Language {
    /// The values Wise's user-create endpoint documents.
    pub const SUPPORTED: [&'static str; 15] = [
        "EN", "US", "PT", "ES", "FR", "DE", "IT", "JA", "RU", "PL", "HU", "TR", "RO", "NL", "HK",
    ];

    pub const DEFAULT: Language = Language("EN");

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        Self::SUPPORTED
            .iter()
            .find(|code| code.eq_ignore_ascii_case(s))
            .map(|code| Self(code))
            .ok_or_else(|| {
                Invalid::new(
                    "unknown_language",
                    format!("language must be one of {}", Self::SUPPORTED.join(", ")),
                )
            })
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("EN", Some("EN")),
            ("de", Some("DE")),
            (" hk ", Some("HK")),
            ("", None),
            ("english", None),
            ("XX", None),
            ("E", None),
        ];
        for (input, expected) in cases {
            let got = Language::parse(input).ok().map(|l| l.as_str());
            assert_eq!(got, *expected, "input {input:?}");
        }
    }

    #[test]
    fn every_supported_code_parses_in_lower_case() {
        for code in Language::SUPPORTED {
            assert_eq!(
                Language::parse(&code.to_lowercase()).unwrap().as_str(),
                code
            );
        }
    }
}
