DROP TRIGGER link_stats_count ON link_events;
DROP FUNCTION link_stats_count();
DROP VIEW link_stats_counts;
DROP VIEW link_stats_attempts;
DROP TABLE link_stats;
