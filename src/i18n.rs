//! The customer's language: the code-entry page, the redirect result pages and every customer
//! email, in English, German or Spanish, from the Fluent files in `templates/locales/` (compiled
//! in). A customer's `language` picks the locale; any other language falls back to English.
//! Plurals follow each language's rules; dates are written out per language, in UTC.

use chrono::{Datelike, NaiveDateTime};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;

mod words;
pub use words::{Choice, Words};

static_loader! {
    static LOCALES = {
        locales: "./templates/locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would end up in emails' text parts.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the customer's pages and emails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    De,
    Es,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::En, Locale::De, Locale::Es];

    /// The locale a page's `?lang=` asks for, if it is one of ours.
    pub fn from_query(query: &str) -> Option<Self> {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| {
                Self::ALL
                    .into_iter()
                    .find(|l| l.code().eq_ignore_ascii_case(v.trim()))
            })
    }

    /// The first of a browser's `Accept-Language` choices that is one of ours (the order given
    /// is taken as the order of preference; weights are not re-sorted).
    pub fn from_accept_language(header: &str) -> Option<Self> {
        header.split(',').find_map(|choice| {
            let tag = choice.split(';').next()?.trim();
            let primary = tag.split('-').next()?;
            Self::ALL
                .into_iter()
                .find(|l| l.code().eq_ignore_ascii_case(primary))
        })
    }

    /// The locale for a customer's `language` (a Wise language code, any case): English unless
    /// it is one wiselink is translated into.
    pub fn for_language(language: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(language.trim()))
            .unwrap_or(Self::En)
    }

    /// `en`, `de`, `es`: the page's `lang` and the language switch's value.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Es => "es",
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Self::En => langid!("en"),
            Self::De => langid!("de"),
            Self::Es => langid!("es"),
        }
    }

    /// The text of `key` in this locale.
    pub fn text(self, key: &str) -> String {
        self.text_with(key, &[])
    }

    /// The text of `key` with its placeholders filled.
    pub fn text_with(self, key: &str, args: &[(&str, Arg)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Arg::Text(s) => FluentValue::from(s.as_str()),
                    Arg::Number(n) => FluentValue::from(*n),
                };
                (Cow::Owned((*name).to_owned()), value)
            })
            .collect();
        LOCALES
            .try_lookup_with_args(&self.id(), key, &args)
            .unwrap_or_else(|| {
                tracing::error!(key, locale = self.code(), "missing text");
                key.to_owned()
            })
    }

    /// `2 December 2026, 19:22 UTC` in this locale's words.
    pub fn date_time(self, t: NaiveDateTime) -> String {
        let month = self.text(&format!("month-{}", t.month()));
        self.text_with(
            "date-time",
            &[
                ("day", Arg::Number(i64::from(t.day()))),
                ("month", Arg::Text(month)),
                ("year", Arg::Number(i64::from(t.year()))),
                ("time", Arg::Text(t.format("%H:%M").to_string())),
            ],
        )
    }

    /// How far `secs` ahead is, in the largest sensible unit: `in 28 minutes`.
    pub fn relative(self, secs: i64) -> String {
        let secs = secs.max(1);
        let (key, count) = match secs {
            0..=90 => ("in-seconds", secs),
            91..=5400 => ("in-minutes", (secs + 59) / 60),
            5401..=172_800 => ("in-hours", (secs + 3599) / 3600),
            _ => ("in-days", (secs + 86_399) / 86_400),
        };
        self.text_with(key, &[("count", Arg::Number(count))])
    }

    /// How long to wait, in the largest sensible unit: `3 minutes`.
    pub fn wait(self, secs: u64) -> String {
        let secs = i64::try_from(secs.max(1)).unwrap_or(i64::MAX);
        let (key, count) = match secs {
            0..=90 => ("wait-seconds", secs),
            91..=5400 => ("wait-minutes", (secs + 59) / 60),
            _ => ("wait-hours", (secs + 3599) / 3600),
        };
        self.text_with(key, &[("count", Arg::Number(count))])
    }
}

/// A value for a placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Number(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

#[cfg(test)]
mod tests;
