DROP TABLE staff_audit;
DROP TABLE staff_sessions;
DROP TABLE staff_users;

DELETE FROM outbox WHERE kind = 'not_linked';
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('finish_linking', 'linked'));

DROP TRIGGER link_events_append_only ON link_events;
DROP FUNCTION link_events_append_only();
DROP TRIGGER links_active_has_tokens ON links;
DROP FUNCTION links_active_has_tokens();

DROP INDEX customers_email;
DROP INDEX links_queue;
ALTER TABLE links
    DROP COLUMN first_approved_by,
    DROP COLUMN approvals,
    DROP COLUMN checked_wise,
    DROP COLUMN checked_partner_email,
    DROP COLUMN checked_partner_dob,
    DROP COLUMN checked_at,
    DROP COLUMN review_reason;
