use super::Invalid;
use chrono::NaiveDate;

/// A calendar date of birth: strictly `YYYY-MM-DD`, a real date, not in the future and not
/// before 1900-01-01.
///
/// `Debug` is redacted: a DOB is personal data and must not reach logs through `{:?}`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DateOfBirth(NaiveDate);

impl DateOfBirth {
    /// Parses `raw`, judging "future" against `today` (the caller's clock, in UTC).
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, Invalid> {
        if raw.is_empty() {
            return Err(Invalid::new("required", "date_of_birth must not be empty"));
        }
        let shape_ok = raw.len() == 10
            && raw.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shape_ok {
            return Err(Invalid::new(
                "invalid_format",
                "date_of_birth must be a date in the form YYYY-MM-DD",
            ));
        }
        let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
            Invalid::new("invalid_date", "date_of_birth is not a real calendar date")
        })?;
        Self::from_date(date, today)
    }

    /// Checks the range rules for an already-typed date (as read back from storage or Wise).
    pub fn from_date(date: NaiveDate, today: NaiveDate) -> Result<Self, Invalid> {
        if date > today {
            return Err(Invalid::new(
                "in_future",
                "date_of_birth must not be in the future",
            ));
        }
        if date < Self::earliest() {
            return Err(Invalid::new(
                "too_early",
                "date_of_birth must be 1900-01-01 or later",
            ));
        }
        Ok(Self(date))
    }

    /// Wraps a date that was validated when it was stored.
    pub fn from_stored(date: NaiveDate) -> Self {
        Self(date)
    }

    fn earliest() -> NaiveDate {
        // 1900-01-01 is a valid date, so this never falls back.
        NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }

    /// `YYYY-MM-DD`, for API responses to the partner (never for logs).
    pub fn to_iso(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

impl std::fmt::Debug for DateOfBirth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DateOfBirth(****-**-**)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("1990-04-17", None),
            ("2000-02-29", None),
            ("1900-01-01", None),
            ("2026-11-22", None),
            ("", Some("required")),
            ("1990-4-17", Some("invalid_format")),
            ("17/04/1990", Some("invalid_format")),
            ("1990-04-17T00:00:00Z", Some("invalid_format")),
            ("+1990-04-1", Some("invalid_format")),
            ("1990-02-30", Some("invalid_date")),
            ("2023-02-29", Some("invalid_date")),
            ("1990-13-01", Some("invalid_date")),
            ("1990-00-10", Some("invalid_date")),
            ("2026-11-23", Some("in_future")),
            ("1899-12-31", Some("too_early")),
        ];
        for (input, expected) in cases {
            let got = DateOfBirth::parse(input, today()).err().map(|e| e.code);
            assert_eq!(got, *expected, "input {input:?}");
        }
    }

    #[test]
    fn debug_is_redacted() {
        let d = DateOfBirth::parse("1990-04-17", today()).unwrap();
        assert!(!format!("{d:?}").contains("1990"));
        assert_eq!(d.to_iso(), "1990-04-17");
    }

    proptest! {
        #[test]
        fn valid_dates_round_trip(days in 0i64..(126 * 365)) {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            prop_assume!(date <= today());
            let iso = date.format("%Y-%m-%d").to_string();
            prop_assert_eq!(DateOfBirth::parse(&iso, today()).unwrap().date(), date);
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = DateOfBirth::parse(&s, today());
        }
    }
}
