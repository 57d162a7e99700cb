//! The words of one customer page or email: a locale and the partner's brand, so every text can
//! name the partner and its support contact without each caller passing them.

use super::{Arg, Locale};
use crate::brand::Brand;
use crate::markup::escape;
use chrono::NaiveDateTime;
use std::sync::Arc;

/// Stands in for an HTML fragment while the text around it is escaped (a private-use character:
/// no locale file and no customer input can contain it, because both are escaped first).
const HOLE: &str = "\u{e000}";

#[derive(Clone)]
pub struct Words {
    pub locale: Locale,
    pub brand: Arc<Brand>,
    /// The page's query without `lang` (`result=linked&`), for the language switch's links.
    here: String,
}

/// One entry of the language switch.
pub struct Choice {
    pub code: &'static str,
    pub name: String,
    pub href: String,
    pub current: bool,
}

impl Words {
    pub fn new(locale: Locale, brand: Arc<Brand>) -> Self {
        Self {
            locale,
            brand,
            here: String::new(),
        }
    }

    /// The same words on a page whose address keeps `query` (`result=linked`) when the language
    /// switch is used.
    pub fn keeping(mut self, query: &str) -> Self {
        self.here = if query.is_empty() {
            String::new()
        } else {
            format!("{query}&")
        };
        self
    }

    pub fn lang(&self) -> &'static str {
        self.locale.code()
    }

    pub fn partner(&self) -> &str {
        &self.brand.partner
    }

    /// The text of `key`; `$partner` and `$contact` are always filled.
    pub fn t(&self, key: &str) -> String {
        self.with(key, &[])
    }

    /// `key` with `$count`.
    pub fn n(&self, key: &str, count: i64) -> String {
        self.with(key, &[("count", Arg::Number(count))])
    }

    /// `key` with these placeholders, `$partner` and `$contact`.
    pub fn with(&self, key: &str, args: &[(&str, Arg)]) -> String {
        let mut all = vec![
            ("partner", Arg::Text(self.brand.partner.clone())),
            ("contact", Arg::Text(self.brand.support.clone())),
        ];
        all.extend(args.iter().cloned());
        self.locale.text_with(key, &all)
    }

    /// `key` with `$wait`: how long to wait, in words.
    pub fn waiting(&self, key: &str, secs: u64) -> String {
        self.with(key, &[("wait", Arg::Text(self.locale.wait(secs)))])
    }

    /// `key` with `$when` (the date and time in UTC) and `$relative` ("in 28 minutes"), as HTML
    /// whose `$when` is a `<time>` the page's script rewrites into the browser's local time.
    pub fn when_html(&self, key: &str, at: NaiveDateTime, now: NaiveDateTime) -> String {
        let text = self.with(
            key,
            &[
                ("when", Arg::Text(HOLE.to_owned())),
                ("relative", Arg::Text(self.relative(at, now))),
            ],
        );
        let time = format!(
            r#"<time datetime="{}" data-local>{}</time>"#,
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            escape(&self.locale.date_time(at))
        );
        escape(&text).replace(HOLE, &time)
    }

    /// `key` with `$when` and `$relative` as plain text (emails).
    pub fn when_text(&self, key: &str, at: NaiveDateTime, now: NaiveDateTime) -> String {
        self.with(
            key,
            &[
                ("when", Arg::Text(self.locale.date_time(at))),
                ("relative", Arg::Text(self.relative(at, now))),
            ],
        )
    }

    fn relative(&self, at: NaiveDateTime, now: NaiveDateTime) -> String {
        self.locale.relative((at - now).num_seconds())
    }

    /// The language switch: every locale, in its own name, linking to this page in it.
    pub fn choices(&self) -> Vec<Choice> {
        Locale::ALL
            .into_iter()
            .map(|l| Choice {
                code: l.code(),
                name: l.text("language-name"),
                href: format!("?{}lang={}", self.here, l.code()),
                current: l == self.locale,
            })
            .collect()
    }
}
