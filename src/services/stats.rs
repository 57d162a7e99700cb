//! The linking funnel, as `GET /v1/stats` and the staff Insights page show it: what links did in
//! each day or week of a span, by flow and by language, how long they took to become active,
//! refresh health, and the review queue as it stands. Counted from `link_stats` (`db/stats.rs`).

use crate::db::stats::{self, Split};
use crate::db::{Db, DbError};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The longest span one read covers, in days (two years).
pub const MAX_DAYS: i64 = 731;

/// The start-to-active buckets the counts keep, in seconds; a time over the last is `None`.
pub const BUCKETS: [Option<i64>; 8] = [
    Some(60),
    Some(300),
    Some(900),
    Some(3_600),
    Some(21_600),
    Some(86_400),
    Some(604_800),
    None,
];

/// How long the review queue's links have waited, the ages the read counts past.
pub const QUEUE_AGES: [(&str, i64); 3] = [("hour", 3_600), ("day", 86_400), ("week", 604_800)];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    Week,
}

impl Granularity {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
        }
    }

    /// The first day of the period holding `day`: the day itself, or its week's Monday (ISO).
    fn period_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => day,
            Self::Week => day - Duration::days(day.weekday().num_days_from_monday().into()),
        }
    }
}

/// What to read: the days `from..=to` (UTC), in periods of `granularity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub granularity: Granularity,
}

/// Why a span cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanError {
    Reversed,
    TooLong,
}

impl Span {
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        granularity: Granularity,
    ) -> Result<Self, SpanError> {
        if from > to {
            return Err(SpanError::Reversed);
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(SpanError::TooLong);
        }
        Ok(Self {
            from,
            to,
            granularity,
        })
    }

    /// The 30 days up to `today`, by day.
    pub fn recent(today: NaiveDate) -> Self {
        Self {
            from: today - Duration::days(29),
            to: today,
            granularity: Granularity::Day,
        }
    }
}

/// How many links reached each step. An attempt counts once per step however often it returns
/// there (five wrong codes are one `code_entered`); a re-link is a new attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Funnel {
    /// Links started, re-linked or imported.
    pub started: i64,
    /// Reached `awaiting_code` (the email-code flow's wait for the customer).
    pub awaiting_code: i64,
    /// Reached `awaiting_authorization` (the redirect flow's wait for Wise's page).
    pub awaiting_authorization: i64,
    /// A code was entered, or Wise's page sent one back (`exchanging`).
    pub code_entered: i64,
    pub active: i64,
    pub needs_review: i64,
    pub rejected: i64,
    pub locked: i64,
    pub expired: i64,
    /// Unlinked before Wise answered for it (from `pending`, `awaiting_code`,
    /// `awaiting_authorization`, `expired` or `locked`).
    pub abandoned: i64,
}

impl Funnel {
    fn add(&mut self, kind: &str, name: &str, n: i64) {
        let slot = match (kind, name) {
            ("event", "started" | "relink_started" | "imported") => &mut self.started,
            ("reached", "awaiting_code") => &mut self.awaiting_code,
            ("reached", "awaiting_authorization") => &mut self.awaiting_authorization,
            ("reached", "exchanging") => &mut self.code_entered,
            ("reached", "active") => &mut self.active,
            ("reached", "needs_review") => &mut self.needs_review,
            ("reached", "rejected") => &mut self.rejected,
            ("reached", "locked") => &mut self.locked,
            ("reached", "expired") => &mut self.expired,
            ("reached", "abandoned") => &mut self.abandoned,
            _ => return,
        };
        *slot += n;
    }

    /// Links waiting for the customer: for the code, or at Wise's page.
    pub fn waiting(&self) -> i64 {
        self.awaiting_code + self.awaiting_authorization
    }
}

/// What the refresher met in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefreshHealth {
    /// Links whose refresh started failing (`refresh_failing`).
    pub failing: i64,
    /// Links whose refresh recovered (`refresh_recovered`).
    pub recovered: i64,
    /// Grants Wise revoked (`access_revoked`): the links need re-linking.
    pub revoked: i64,
    /// Links whose tokens were lost (`tokens_lost`): they need re-linking.
    pub tokens_lost: i64,
}

impl RefreshHealth {
    fn add(&mut self, kind: &str, name: &str, n: i64) {
        let slot = match (kind, name) {
            ("event", "refresh_failing") => &mut self.failing,
            ("event", "refresh_recovered") => &mut self.recovered,
            ("event", "access_revoked") => &mut self.revoked,
            ("event", "tokens_lost") => &mut self.tokens_lost,
            _ => return,
        };
        *slot += n;
    }
}

/// One day or week of the span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Period {
    /// The period's first day within the span.
    pub start: NaiveDate,
    /// Its last day within the span.
    pub end: NaiveDate,
    #[serde(flatten)]
    pub funnel: Funnel,
    /// The funnel per flow: `email_code`, `redirect`, `imported`.
    pub by_flow: BTreeMap<String, Funnel>,
    /// The funnel per customer language.
    pub by_language: BTreeMap<String, Funnel>,
    pub refresh: RefreshHealth,
}

/// How long links took from start to `active`, in the buckets the counts keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TimeToActive {
    /// Links that became active in the span.
    pub activated: i64,
    /// Half of them were active within this many seconds (`null`: more than a week, or none).
    pub median_within_seconds: Option<i64>,
    /// Nine in ten were active within this many seconds (`null`: more than a week, or none).
    pub p90_within_seconds: Option<i64>,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Bucket {
    /// The bucket's upper bound (`null`: more than a week).
    pub within_seconds: Option<i64>,
    pub links: i64,
}

/// The review queue now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QueueNow {
    /// Links in `needs_review`.
    pub waiting: i64,
    /// How long the longest-waiting one has waited, in seconds.
    pub oldest_waiting_seconds: Option<i64>,
    /// How many have waited more than an hour, a day, a week.
    pub over_an_hour: i64,
    pub over_a_day: i64,
    pub over_a_week: i64,
}

/// The funnel of a span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Stats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub granularity: Granularity,
    /// The whole span.
    pub totals: Funnel,
    pub totals_by_flow: BTreeMap<String, Funnel>,
    pub totals_by_language: BTreeMap<String, Funnel>,
    pub refresh: RefreshHealth,
    pub time_to_active: TimeToActive,
    pub review_queue: QueueNow,
    /// Every period of the span, oldest first, including those with nothing in them.
    pub periods: Vec<Period>,
}

/// Reads the funnel of `span`, and the review queue as of `now`.
pub async fn read(db: &Db, span: Span, now: NaiveDateTime) -> Result<Stats, DbError> {
    let thresholds: Vec<NaiveDateTime> = QUEUE_AGES
        .iter()
        .map(|(_, secs)| now - Duration::seconds(*secs))
        .collect();
    let (by_flow, by_language, queue) = db
        .run(move |conn| {
            let by_flow = stats::counts(conn, span.from, span.to, Split::Flow)?;
            let by_language = stats::counts(conn, span.from, span.to, Split::Language)?;
            let queue = stats::review_queue(conn, &thresholds)?;
            Ok::<_, DbError>((by_flow, by_language, queue))
        })
        .await?;
    Ok(tally(span, &by_flow, &by_language, &queue, now))
}

mod tally;

pub use tally::tally;

#[cfg(test)]
mod tests;
