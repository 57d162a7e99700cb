//! How the Insights page words its figures.

use chrono::NaiveDate;

/// A day as the page names it: "8 Dec 2026", or "8 Dec" in a span within one year.
pub(super) fn day_label(day: NaiveDate, one_year: bool) -> String {
    let format = if one_year { "%-d %b" } else { "%-d %b %Y" };
    day.format(format).to_string()
}

pub(super) const BUCKET_NAMES: [&str; 8] = [
    "Within a minute",
    "1 to 5 minutes",
    "5 to 15 minutes",
    "15 minutes to an hour",
    "1 to 6 hours",
    "6 to 24 hours",
    "1 to 7 days",
    "Over a week",
];

/// A bucket's bound in words: "1 minute", "6 hours", …
pub(super) fn within(bound: Option<i64>, activated: i64) -> String {
    match bound {
        _ if activated == 0 => "—".to_owned(),
        None => "over a week".to_owned(),
        Some(s) if s < 3_600 => count(s / 60, "minute"),
        Some(s) if s < 86_400 => count(s / 3_600, "hour"),
        Some(s) => count(s / 86_400, "day"),
    }
}

fn count(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

pub(super) fn flow_name(flow: &str) -> &str {
    match flow {
        "email_code" => "Email code",
        "redirect" => "Wise's page (redirect)",
        "imported" => "Imported",
        other => other,
    }
}
