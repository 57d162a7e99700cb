ALTER TABLE partner_events DROP COLUMN traceparent;
ALTER TABLE outbox DROP COLUMN traceparent;
