//! The Insights page's content: its tables' rows and its charts, from the figures of a span.

use super::charts::{Columns, HBars, columns, hbars, percent};
use super::words::{BUCKET_NAMES, day_label, flow_name, within};
use crate::routes::staff::pages::{self, Chrome};
use crate::services::stats::{self, Funnel, Granularity, Stats};
use askama::Template;
use chrono::Datelike;

struct Step {
    name: &'static str,
    links: i64,
    share: String,
    lost: String,
}

struct PeriodRow {
    label: String,
    funnel: Funnel,
    refresh: stats::RefreshHealth,
}

struct SplitTable {
    caption: &'static str,
    heading: &'static str,
    rows: Vec<SplitRow>,
}

struct SplitRow {
    name: String,
    funnel: Funnel,
    conversion: String,
}

#[derive(Template)]
#[template(path = "staff/insights.html")]
pub(super) struct InsightsPage {
    chrome: Option<Chrome>,
    error: Option<String>,
    notice: Option<String>,
    from: String,
    to: String,
    by_week: bool,
    period_name: &'static str,
    span: String,
    steps: Vec<Step>,
    outcomes: Vec<Step>,
    funnel_chart: HBars,
    trend: Columns,
    periods: Vec<PeriodRow>,
    splits: Vec<SplitTable>,
    split_chart: HBars,
    time: stats::TimeToActive,
    median: String,
    p90: String,
    time_chart: HBars,
    time_rows: Vec<(String, i64, String)>,
    queue: stats::QueueNow,
    oldest: String,
    refresh: Columns,
}

pub(super) fn page(chrome: Chrome, s: &Stats) -> InsightsPage {
    let t = &s.totals;
    let one_year = s.from.year() == s.to.year();
    let by_week = s.granularity == Granularity::Week;
    let chain = [
        ("Started", t.started),
        ("Waiting for the customer", t.waiting()),
        ("Code entered", t.code_entered),
        ("Active", t.active),
    ];
    let steps = chain
        .iter()
        .enumerate()
        .map(|(i, (name, links))| Step {
            name,
            links: *links,
            share: percent(*links, t.started),
            lost: match i.checked_sub(1).map(|p| chain[p].1 - links) {
                Some(lost) if lost > 0 => format!("{lost} ({})", percent(lost, chain[i - 1].1)),
                Some(_) => "none".to_owned(),
                None => "—".to_owned(),
            },
        })
        .collect::<Vec<_>>();
    let outcomes = [
        ("In review", t.needs_review),
        ("Rejected", t.rejected),
        ("Locked after wrong codes", t.locked),
        ("Code expired", t.expired),
        ("Abandoned", t.abandoned),
    ]
    .into_iter()
    .map(|(name, links)| Step {
        name,
        links,
        share: percent(links, t.started),
        lost: String::new(),
    })
    .collect::<Vec<_>>();
    let funnel_rows: Vec<(String, i64, String)> = steps
        .iter()
        .chain(&outcomes)
        .map(|s| {
            (
                s.name.to_owned(),
                s.links,
                format!("{} · {}", s.links, s.share),
            )
        })
        .collect();
    let funnel_chart = hbars(
        "funnel",
        "The linking funnel",
        format!(
            "{} links started; {} waited for the customer; {} entered a code; {} became active.",
            t.started,
            t.waiting(),
            t.code_entered,
            t.active
        ),
        &funnel_rows,
        None,
    );
    let labels: Vec<String> = s
        .periods
        .iter()
        .map(|p| day_label(p.start, one_year))
        .collect();
    let trend = columns(
        "trend",
        if by_week {
            "Links started and activated per week"
        } else {
            "Links started and activated per day"
        },
        format!(
            "{} periods from {} to {}; at most {} in one period.",
            labels.len(),
            day_label(s.from, false),
            day_label(s.to, false),
            s.periods
                .iter()
                .map(|p| p.funnel.started.max(p.funnel.active))
                .max()
                .unwrap_or(0)
        ),
        &labels,
        &[
            (
                "started",
                s.periods.iter().map(|p| p.funnel.started).collect(),
            ),
            (
                "active",
                s.periods.iter().map(|p| p.funnel.active).collect(),
            ),
        ],
    );
    let refresh = columns(
        "refresh",
        "Refresh health",
        format!(
            "Over the span: {} links started failing to refresh, {} recovered, Wise revoked {} grants, {} lost their tokens.",
            s.refresh.failing, s.refresh.recovered, s.refresh.revoked, s.refresh.tokens_lost
        ),
        &labels,
        &[
            (
                "started failing",
                s.periods.iter().map(|p| p.refresh.failing).collect(),
            ),
            (
                "recovered",
                s.periods.iter().map(|p| p.refresh.recovered).collect(),
            ),
            (
                "revoked by Wise",
                s.periods.iter().map(|p| p.refresh.revoked).collect(),
            ),
            (
                "tokens lost",
                s.periods.iter().map(|p| p.refresh.tokens_lost).collect(),
            ),
        ],
    );
    let split = |m: &std::collections::BTreeMap<String, Funnel>, name: fn(&str) -> String| {
        m.iter()
            .map(|(k, f)| SplitRow {
                name: name(k),
                funnel: *f,
                conversion: percent(f.active, f.started),
            })
            .collect::<Vec<_>>()
    };
    let flows = split(&s.totals_by_flow, |k| flow_name(k).to_owned());
    let languages = split(&s.totals_by_language, str::to_owned);
    let split_rows: Vec<(String, i64, String)> = flows
        .iter()
        .chain(&languages)
        .map(|r| {
            let rate = (r.funnel.active * 1000)
                .checked_div(r.funnel.started)
                .unwrap_or(0);
            (
                r.name.clone(),
                rate,
                format!("{} active of {} started", r.conversion, r.funnel.started),
            )
        })
        .collect();
    let split_chart = hbars(
        "split",
        "Share of started links that became active, by flow and by language",
        format!("{} flows and {} languages.", flows.len(), languages.len()),
        &split_rows,
        Some(1000),
    );
    let time_rows: Vec<(String, i64, String)> = s
        .time_to_active
        .buckets
        .iter()
        .zip(BUCKET_NAMES)
        .map(|(b, name)| {
            (
                name.to_owned(),
                b.links,
                format!(
                    "{} · {}",
                    b.links,
                    percent(b.links, s.time_to_active.activated)
                ),
            )
        })
        .collect();
    let time_chart = hbars(
        "time",
        "Time from start to active",
        format!(
            "{} links became active; half within {}, nine in ten within {}.",
            s.time_to_active.activated,
            within(
                s.time_to_active.median_within_seconds,
                s.time_to_active.activated
            ),
            within(
                s.time_to_active.p90_within_seconds,
                s.time_to_active.activated
            )
        ),
        &time_rows,
        None,
    );
    InsightsPage {
        chrome: Some(chrome),
        error: None,
        notice: None,
        from: s.from.to_string(),
        to: s.to.to_string(),
        by_week,
        period_name: if by_week { "Week from" } else { "Day" },
        span: format!(
            "{} to {}, {}",
            day_label(s.from, false),
            day_label(s.to, false),
            if by_week {
                "by week (Monday first)"
            } else {
                "by day"
            }
        ),
        steps,
        outcomes,
        funnel_chart,
        trend,
        periods: s
            .periods
            .iter()
            .zip(labels)
            .map(|(p, label)| PeriodRow {
                label,
                funnel: p.funnel,
                refresh: p.refresh,
            })
            .collect(),
        splits: vec![
            SplitTable {
                caption: "By flow",
                heading: "Flow",
                rows: flows,
            },
            SplitTable {
                caption: "By customer language",
                heading: "Language",
                rows: languages,
            },
        ],
        split_chart,
        median: within(
            s.time_to_active.median_within_seconds,
            s.time_to_active.activated,
        ),
        p90: within(
            s.time_to_active.p90_within_seconds,
            s.time_to_active.activated,
        ),
        time: s.time_to_active.clone(),
        time_chart,
        time_rows,
        queue: s.review_queue.clone(),
        oldest: s
            .review_queue
            .oldest_waiting_seconds
            .map(|secs| pages::age_of(secs / 60))
            .unwrap_or_else(|| "nobody waits".to_owned()),
        refresh,
    }
}
