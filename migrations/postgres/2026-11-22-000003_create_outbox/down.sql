DROP INDEX links_customer;
ALTER TABLE link_events DROP COLUMN event;
DROP TABLE outbox;
