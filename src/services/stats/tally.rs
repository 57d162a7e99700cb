//! Folding the day counts of `link_stats` into the periods and totals of a span.

use super::{BUCKETS, Bucket, Funnel, Period, QueueNow, RefreshHealth, Span, Stats, TimeToActive};
use crate::db::stats::{DayCount, ReviewQueue};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use std::collections::BTreeMap;

/// Folds the day counts into the span's periods and totals.
pub fn tally(
    span: Span,
    by_flow: &[DayCount],
    by_language: &[DayCount],
    queue: &ReviewQueue,
    now: NaiveDateTime,
) -> Stats {
    let mut periods: BTreeMap<NaiveDate, Period> = BTreeMap::new();
    let mut day = span.from;
    while day <= span.to {
        let start = span.granularity.period_of(day).max(span.from);
        periods
            .entry(start)
            .and_modify(|p| p.end = day)
            .or_insert_with(|| Period {
                start,
                end: day,
                funnel: Funnel::default(),
                by_flow: BTreeMap::new(),
                by_language: BTreeMap::new(),
                refresh: RefreshHealth::default(),
            });
        day += Duration::days(1);
    }
    let mut totals = Funnel::default();
    let mut totals_by_flow: BTreeMap<String, Funnel> = BTreeMap::new();
    let mut totals_by_language: BTreeMap<String, Funnel> = BTreeMap::new();
    let mut refresh = RefreshHealth::default();
    let mut buckets = [0i64; BUCKETS.len()];
    // The period of a day of the span; none for a day outside it.
    let period_of = |day: NaiveDate| {
        (span.from..=span.to)
            .contains(&day)
            .then(|| span.granularity.period_of(day).max(span.from))
    };
    for c in by_flow {
        let Some(period) = period_of(c.day).and_then(|p| periods.get_mut(&p)) else {
            continue;
        };
        period.funnel.add(&c.kind, &c.name, c.n);
        period.refresh.add(&c.kind, &c.name, c.n);
        totals.add(&c.kind, &c.name, c.n);
        refresh.add(&c.kind, &c.name, c.n);
        let mut both = [&mut period.by_flow, &mut totals_by_flow];
        for split in &mut both {
            split
                .entry(c.by.clone())
                .or_default()
                .add(&c.kind, &c.name, c.n);
        }
        if c.kind == "active_within" {
            let bound = c.name.parse::<i64>().ok();
            if let Some(i) = BUCKETS.iter().position(|b| *b == bound) {
                buckets[i] += c.n;
            }
        }
    }
    for c in by_language {
        let Some(period) = period_of(c.day).and_then(|p| periods.get_mut(&p)) else {
            continue;
        };
        let mut both = [&mut period.by_language, &mut totals_by_language];
        for split in &mut both {
            split
                .entry(c.by.clone())
                .or_default()
                .add(&c.kind, &c.name, c.n);
        }
    }
    // A flow or language whose only counts were other events shows no funnel.
    let non_empty =
        |split: &mut BTreeMap<String, Funnel>| split.retain(|_, f| *f != Funnel::default());
    non_empty(&mut totals_by_flow);
    non_empty(&mut totals_by_language);
    for period in periods.values_mut() {
        non_empty(&mut period.by_flow);
        non_empty(&mut period.by_language);
    }
    Stats {
        from: span.from,
        to: span.to,
        granularity: span.granularity,
        totals,
        totals_by_flow,
        totals_by_language,
        refresh,
        time_to_active: time_to_active(&buckets),
        review_queue: QueueNow {
            waiting: queue.waiting,
            oldest_waiting_seconds: queue.oldest.map(|at| (now - at).num_seconds().max(0)),
            over_an_hour: queue.older_than.first().copied().unwrap_or(0),
            over_a_day: queue.older_than.get(1).copied().unwrap_or(0),
            over_a_week: queue.older_than.get(2).copied().unwrap_or(0),
        },
        periods: periods.into_values().collect(),
    }
}

/// The median and the 90th percentile as the bound of the bucket they fall in.
fn time_to_active(counts: &[i64; BUCKETS.len()]) -> TimeToActive {
    let activated: i64 = counts.iter().sum();
    let within = |share: f64| -> Option<i64> {
        if activated == 0 {
            return None;
        }
        let rank = (share * activated as f64).ceil() as i64;
        let mut seen = 0;
        for (bound, n) in BUCKETS.iter().zip(counts) {
            seen += n;
            if seen >= rank {
                return *bound;
            }
        }
        None
    };
    TimeToActive {
        activated,
        median_within_seconds: within(0.5),
        p90_within_seconds: within(0.9),
        buckets: BUCKETS
            .iter()
            .zip(counts)
            .map(|(bound, n)| Bucket {
                within_seconds: *bound,
                links: *n,
            })
            .collect(),
    }
}
