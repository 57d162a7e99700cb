-- The W3C traceparent of the span that queued a message or published a partner event, so the
-- worker that delivers it continues the same trace (NULL when traces are off). Added columns only:
-- a release without them keeps writing and reading these tables.
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
ALTER TABLE partner_events ADD COLUMN traceparent TEXT;
