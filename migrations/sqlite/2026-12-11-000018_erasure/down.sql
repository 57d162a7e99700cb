DROP TRIGGER link_events_no_update;
CREATE TRIGGER link_events_no_update BEFORE UPDATE ON link_events
BEGIN
    SELECT RAISE(ABORT, 'link_events are append-only');
END;
ALTER TABLE link_events DROP COLUMN erased;
DROP TRIGGER links_customer_not_erased;
DROP INDEX idempotency_keys_subject;
ALTER TABLE idempotency_keys DROP COLUMN subject;
DROP INDEX links_retention_due;
ALTER TABLE links DROP COLUMN personal_data_erased_at;
-- The customers table is rebuilt as it was. Dropping it leaves the links without their
-- customers until the rows are back, which deferred foreign keys allow within the transaction.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE customers_erasable AS SELECT * FROM customers;
DROP TABLE customers;
CREATE TABLE customers (
    id            INTEGER PRIMARY KEY NOT NULL,
    customer_ref  TEXT    NOT NULL UNIQUE CHECK (length(customer_ref) BETWEEN 1 AND 64),
    email         TEXT    NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    date_of_birth TEXT    NOT NULL,
    first_name    TEXT    NOT NULL,
    last_name     TEXT    NOT NULL,
    language      TEXT    NOT NULL CHECK (length(language) = 2),
    wise_user_id  BIGINT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
INSERT INTO customers (id, customer_ref, email, date_of_birth, first_name, last_name, language,
                       wise_user_id, created_at, updated_at)
    SELECT id, customer_ref, email, date_of_birth, first_name, last_name, language, wise_user_id,
           created_at, updated_at
    FROM customers_erasable;
DROP TABLE customers_erasable;
CREATE INDEX customers_email ON customers (email);
