//! Support staff: their roles, what each may do, their usernames, and the password rule.

use super::Invalid;
use std::fmt;

/// What a staff member may do. Each role includes the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads the queue and links, with customers' emails and dates of birth masked.
    Viewer,
    /// Also decides links: approve, reject, unlock, unlink.
    Reviewer,
    /// Also manages staff and API keys.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Self::Viewer, Self::Reviewer, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Reviewer => "reviewer",
            Self::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }

    /// Whether personal data (email, date of birth) is shown unmasked.
    pub fn sees_personal_data(self) -> bool {
        self >= Self::Reviewer
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A staff username: 2–64 characters of lower-case letters, digits, `.`, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim().to_ascii_lowercase();
        if !(2..=64).contains(&name.len()) {
            return Err(Invalid::new(
                "invalid_username",
                "a username has 2 to 64 characters",
            ));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        {
            return Err(Invalid::new(
                "invalid_username",
                "a username uses only letters, digits, '.', '_' and '-'",
            ));
        }
        Ok(Self(name))
    }

    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Whether `password` may be a staff password: at least 12 characters, and not guessable by
/// zxcvbn's estimate (score 3 of 4 or better, with the username and "wiselink" as known words).
pub fn check_password(password: &str, username: &Username) -> Result<(), Invalid> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Invalid::new(
            "password_too_short",
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.chars().count() > 256 {
        return Err(Invalid::new(
            "password_too_long",
            "a password has at most 256 characters",
        ));
    }
    let estimate = zxcvbn::zxcvbn(password, &[username.as_str(), "wiselink", "wise"]);
    if (estimate.score() as u8) < 3 {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(": {}", w.to_string().trim_end_matches('.')))
            .unwrap_or_default();
        return Err(Invalid::new(
            "password_too_weak",
            format!("this password is too easy to guess{hint}; try a few unrelated words"),
        ));
    }
    Ok(())
}

/// `a•••@example.com`: enough for a viewer to tell customers apart, not to contact them.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

/// `••••-••-12`: a date of birth with only the day visible.
pub fn mask_dob(date: chrono::NaiveDate) -> String {
    format!("••••-••-{}", date.format("%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.allows(Role::Reviewer));
        assert!(Role::Reviewer.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Reviewer));
        assert!(!Role::Reviewer.allows(Role::Admin));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Ada.L ").unwrap().as_str(), "ada.l");
        for bad in ["a", "ada lovelace", "ada@example", &"x".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        let user = Username::parse("ada").unwrap();
        let refused = |p: &str| check_password(p, &user).unwrap_err().code;
        assert_eq!(refused("short1!"), "password_too_short");
        assert_eq!(refused("password1234"), "password_too_weak");
        assert_eq!(refused("adaada123456"), "password_too_weak");
        assert_eq!(refused("wiselink2026!"), "password_too_weak");
        assert!(check_password("correct horse battery staple", &user).is_ok());
        assert!(check_password("violet-otter-27-lantern", &user).is_ok());
    }

    #[test]
    fn masks() {
        assert_eq!(mask_email("ada@example.com"), "a•••@example.com");
        let d = chrono::NaiveDate::from_ymd_opt(1990, 4, 12).unwrap();
        assert_eq!(mask_dob(d), "••••-••-12");
    }
}
