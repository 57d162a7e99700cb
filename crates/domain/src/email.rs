use super::{Invalid, has_control};
use validator::ValidateEmail;

/// An email address as the partner gave it (surrounding white space removed).
///
/// Wise treats emails as unique without regard to case, so comparisons go through
/// [`EmailAddress::same_mailbox`].
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::new("required", "email must not be empty"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(Invalid::new(
                "too_long",
                format!("email must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let deliverable = s
            .rsplit_once('@')
            .is_some_and(|(local, domain)| !local.starts_with('"') && deliverable_domain(domain));
        if has_control(s)
            || s.chars().any(char::is_whitespace)
            || !s.validate_email()
            || !deliverable
        {
            return Err(Invalid::new(
                "invalid_email",
                "email is not a valid address",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Case-insensitive equality, as Wise applies it.
    pub fn same_mailbox(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.trim())
    }

    /// A form safe for logs: first character of the local part and the domain, `j***@example.com`.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

/// Whether mail can be sent to this domain the ordinary way: a DNS name of two or more labels
/// (letters, digits, hyphens, not at a label's ends), not an address literal (`[127.0.0.1]`) nor a
/// bare IP address. The syntax check alone accepts both, and neither wiselink's mail relay nor Wise
/// can use them.
fn deliverable_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

/// Masks any email-like string for logging. Never returns the local part beyond its first character.
pub fn mask_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().map(String::from).unwrap_or_default();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmailAddress({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("ada@example.com", Ok("ada@example.com")),
            (
                "  Ada.Lovelace+wise@Example.co.uk ",
                Ok("Ada.Lovelace+wise@Example.co.uk"),
            ),
            ("", Err("required")),
            ("   ", Err("required")),
            ("no-at-sign", Err("invalid_email")),
            ("two@@example.com", Err("invalid_email")),
            ("a b@example.com", Err("invalid_email")),
            ("line\nbreak@example.com", Err("invalid_email")),
            ("@example.com", Err("invalid_email")),
            ("ada@", Err("invalid_email")),
            // What the relay could never deliver, nor Wise accept.
            ("a@[127.0.0.1]", Err("invalid_email")),
            ("a@127.0.0.1", Err("invalid_email")),
            ("a@localhost", Err("invalid_email")),
            ("a@-bad.example.com", Err("invalid_email")),
            ("\"quoted\"@example.com", Err("invalid_email")),
            ("ada@b\u{fc}cher.example", Ok("ada@b\u{fc}cher.example")),
        ];
        for (input, expected) in cases {
            let got = EmailAddress::parse(input);
            match expected {
                Ok(v) => assert_eq!(got.as_ref().map(|e| e.as_str()), Ok(*v), "{input:?}"),
                Err(code) => assert_eq!(got.err().map(|e| e.code), Some(*code), "{input:?}"),
            }
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long).unwrap_err().code, "too_long");
    }

    #[test]
    fn every_accepted_address_is_one_the_mail_relay_can_address() {
        for raw in [
            "ada@example.com",
            "Ada.Lovelace+wise@Example.co.uk",
            "x_y-z@sub.domain-1.example.org",
        ] {
            let parsed = EmailAddress::parse(raw).unwrap();
            assert!(
                parsed.as_str().parse::<lettre::Address>().is_ok(),
                "{raw} is not addressable"
            );
        }
    }

    #[test]
    fn masks_for_logs() {
        let e = EmailAddress::parse("ada.lovelace@example.com").unwrap();
        assert_eq!(e.masked(), "a***@example.com");
        assert!(!format!("{e:?}").contains("lovelace"));
        assert_eq!(mask_email("garbage"), "***");
    }

    #[test]
    fn same_mailbox_ignores_case() {
        let e = EmailAddress::parse("Ada@Example.com").unwrap();
        assert!(e.same_mailbox("ada@example.COM"));
        assert!(!e.same_mailbox("ada2@example.com"));
    }

    proptest! {
        #[test]
        fn simple_addresses_parse(local in "[a-z][a-z0-9.]{0,20}[a-z0-9]", domain in "[a-z]{1,20}\\.[a-z]{2,6}") {
            let raw = format!("{local}@{domain}");
            if !raw.contains("..") {
                prop_assert!(EmailAddress::parse(&raw).is_ok(), "{}", raw);
            }
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = EmailAddress::parse(&s);
        }
    }
}
