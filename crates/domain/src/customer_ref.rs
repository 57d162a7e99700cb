use super::Invalid;

/// The partner's own identifier for a customer: 1–64 characters of `A–Z a–z 0–9 . _ : -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerRef(String);

impl CustomerRef {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() {
            return Err(Invalid::new("required", "customer_ref must not be empty"));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(Invalid::new(
                "too_long",
                format!("customer_ref must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
        if !raw.chars().all(allowed) {
            return Err(Invalid::new(
                "invalid_format",
                "customer_ref may contain only letters, digits and . _ : -",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("cust-1", None),
            ("A.b_c:d-9", None),
            ("", Some("required")),
            ("has space", Some("invalid_format")),
            ("slash/inside", Some("invalid_format")),
            ("ünïcode", Some("invalid_format")),
            (&"x".repeat(64), None),
            (&"x".repeat(65), Some("too_long")),
        ];
        for (input, expected) in cases {
            let got = CustomerRef::parse(input).err().map(|e| e.code);
            assert_eq!(got, *expected, "input {input:?}");
        }
    }

    proptest! {
        #[test]
        fn accepted_refs_round_trip(s in "[A-Za-z0-9._:-]{1,64}") {
            let parsed = CustomerRef::parse(&s).unwrap();
            prop_assert_eq!(parsed.as_str(), s.as_str());
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = CustomerRef::parse(&s);
        }
    }
}
