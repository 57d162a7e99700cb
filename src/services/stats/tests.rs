use super::*;
use crate::db::stats::{DayCount, ReviewQueue};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn count(d: &str, kind: &str, name: &str, by: &str, n: i64) -> DayCount {
    DayCount {
        day: day(d),
        kind: kind.into(),
        name: name.into(),
        by: by.into(),
        n,
    }
}

fn empty_queue() -> ReviewQueue {
    ReviewQueue {
        waiting: 0,
        oldest: None,
        older_than: vec![0, 0, 0],
    }
}

fn noon(d: &str) -> NaiveDateTime {
    day(d).and_hms_opt(12, 0, 0).unwrap()
}

#[test]
fn weeks_start_on_monday_and_are_clipped_to_the_span() {
    // 2026-12-02 is a Wednesday; 2026-12-16 a Wednesday too.
    let span = Span::new(day("2026-12-02"), day("2026-12-16"), Granularity::Week).unwrap();
    let counts = [
        count("2026-12-02", "event", "started", "email_code", 2),
        count("2026-12-06", "reached", "active", "email_code", 1),
        count("2026-12-07", "event", "relink_started", "redirect", 3),
        count("2026-12-16", "reached", "locked", "email_code", 1),
    ];
    let stats = tally(span, &counts, &[], &empty_queue(), noon("2026-12-16"));
    let bounds: Vec<(NaiveDate, NaiveDate)> =
        stats.periods.iter().map(|p| (p.start, p.end)).collect();
    assert_eq!(
        bounds,
        vec![
            (day("2026-12-02"), day("2026-12-06")),
            (day("2026-12-07"), day("2026-12-13")),
            (day("2026-12-14"), day("2026-12-16")),
        ]
    );
    assert_eq!(stats.periods[0].funnel.started, 2);
    assert_eq!(stats.periods[0].funnel.active, 1);
    assert_eq!(stats.periods[1].funnel.started, 3);
    assert_eq!(stats.periods[1].by_flow["redirect"].started, 3);
    assert_eq!(stats.periods[2].funnel.locked, 1);
    assert_eq!(stats.totals.started, 5);
    assert_eq!(stats.totals_by_flow["email_code"].started, 2);
}

#[test]
fn every_day_of_the_span_is_a_period_even_when_nothing_happened() {
    let span = Span::new(day("2026-12-01"), day("2026-12-03"), Granularity::Day).unwrap();
    let stats = tally(span, &[], &[], &empty_queue(), noon("2026-12-03"));
    assert_eq!(stats.periods.len(), 3);
    assert!(stats.periods.iter().all(|p| p.funnel == Funnel::default()));
    assert_eq!(stats.time_to_active.median_within_seconds, None);
}

#[test]
fn the_median_and_p90_are_the_bounds_of_their_buckets() {
    let span = Span::new(day("2026-12-01"), day("2026-12-01"), Granularity::Day).unwrap();
    let counts = [
        count("2026-12-01", "active_within", "60", "email_code", 4),
        count("2026-12-01", "active_within", "300", "redirect", 1),
        count("2026-12-01", "active_within", "3600", "email_code", 4),
        count("2026-12-01", "active_within", "inf", "email_code", 1),
    ];
    let stats = tally(span, &counts, &[], &empty_queue(), noon("2026-12-01"));
    let t = &stats.time_to_active;
    assert_eq!(t.activated, 10);
    // Ranks 5 and 9 of 10: the 5th is in the 300 s bucket, the 9th in the hour's.
    assert_eq!(t.median_within_seconds, Some(300));
    assert_eq!(t.p90_within_seconds, Some(3_600));
    assert_eq!(t.buckets.last().unwrap().links, 1);
}

#[test]
fn counts_outside_the_span_and_unknown_names_change_nothing() {
    let span = Span::new(day("2026-12-01"), day("2026-12-01"), Granularity::Day).unwrap();
    let counts = [
        count("2026-11-30", "event", "started", "email_code", 7),
        count("2026-12-01", "event", "code_resent", "email_code", 2),
        count("2026-12-01", "event", "refresh_failing", "email_code", 2),
    ];
    let langs = [count("2026-12-01", "event", "started", "de", 1)];
    let stats = tally(span, &counts, &langs, &empty_queue(), noon("2026-12-01"));
    assert_eq!(stats.totals, Funnel::default());
    assert_eq!(stats.refresh.failing, 2);
    assert!(stats.totals_by_flow.is_empty());
    assert_eq!(stats.totals_by_language["de"].started, 1);
}

#[test]
fn spans_run_forwards_and_at_most_two_years() {
    let d = day("2026-12-01");
    assert_eq!(
        Span::new(d, d - Duration::days(1), Granularity::Day),
        Err(SpanError::Reversed)
    );
    assert!(Span::new(d - Duration::days(MAX_DAYS - 1), d, Granularity::Week).is_ok());
    assert_eq!(
        Span::new(d - Duration::days(MAX_DAYS), d, Granularity::Week),
        Err(SpanError::TooLong)
    );
}

#[test]
fn the_queue_reads_its_oldest_wait_from_now() {
    let span = Span::recent(day("2026-12-01"));
    let queue = ReviewQueue {
        waiting: 3,
        oldest: Some(noon("2026-11-29")),
        older_than: vec![3, 2, 0],
    };
    let stats = tally(span, &[], &[], &queue, noon("2026-12-01"));
    assert_eq!(stats.review_queue.oldest_waiting_seconds, Some(2 * 86_400));
    assert_eq!(stats.review_queue.over_a_day, 2);
    assert_eq!(stats.periods.len(), 30);
}
