DELETE FROM outbox WHERE kind = 'reconnect';
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('finish_linking', 'linked', 'not_linked'));

CREATE INDEX links_state ON links (state, updated_at);
ALTER TABLE links RESET (fillfactor);
DROP INDEX links_refresh_due;
ALTER TABLE links
    DROP COLUMN refreshed_at,
    DROP COLUMN refresh_in_doubt_at,
    DROP COLUMN refresh_flagged_at,
    DROP COLUMN refresh_failing_since,
    DROP COLUMN refresh_failures,
    DROP COLUMN refresh_due_at,
    DROP COLUMN refresh_leased_until,
    DROP COLUMN refresh_generation;
