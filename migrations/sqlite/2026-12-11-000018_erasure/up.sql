-- Erasure (GDPR art. 17) and retention. An erased customer keeps its row, so its links and their
-- audit trail still say who decided what, when and why; what identified the person is gone.
-- SQLite cannot drop NOT NULL in place: each personal column is copied into a nullable one.
DROP INDEX customers_email;
ALTER TABLE customers ADD COLUMN email_next TEXT
    CHECK (email_next IS NULL OR length(email_next) BETWEEN 3 AND 254);
UPDATE customers SET email_next = email;
ALTER TABLE customers DROP COLUMN email;
ALTER TABLE customers RENAME COLUMN email_next TO email;
ALTER TABLE customers ADD COLUMN date_of_birth_next TEXT;
UPDATE customers SET date_of_birth_next = date_of_birth;
ALTER TABLE customers DROP COLUMN date_of_birth;
ALTER TABLE customers RENAME COLUMN date_of_birth_next TO date_of_birth;
ALTER TABLE customers ADD COLUMN first_name_next TEXT;
UPDATE customers SET first_name_next = first_name;
ALTER TABLE customers DROP COLUMN first_name;
ALTER TABLE customers RENAME COLUMN first_name_next TO first_name;
ALTER TABLE customers ADD COLUMN last_name_next TEXT;
UPDATE customers SET last_name_next = last_name;
ALTER TABLE customers DROP COLUMN last_name;
ALTER TABLE customers RENAME COLUMN last_name_next TO last_name;
CREATE INDEX customers_email ON customers (email);
-- A live customer has every detail, an erased one none.
ALTER TABLE customers ADD COLUMN erased_at TEXT CHECK (
    (erased_at IS NULL AND email IS NOT NULL AND date_of_birth IS NOT NULL
        AND first_name IS NOT NULL AND last_name IS NOT NULL)
    OR (erased_at IS NOT NULL AND email IS NULL AND date_of_birth IS NULL
        AND first_name IS NULL AND last_name IS NULL));

-- When a link's personal data was erased: by the customer's erasure, or by retention once the
-- link had been final for `retention.final_link_days`.
ALTER TABLE links ADD COLUMN personal_data_erased_at TEXT;
CREATE INDEX links_retention_due ON links (updated_at)
    WHERE personal_data_erased_at IS NULL AND state IN ('rejected', 'unlinked', 'expired');

-- Whom a stored answer is about (`customer:REF` or `link:ID`), so an erasure can delete it.
ALTER TABLE idempotency_keys ADD COLUMN subject TEXT;
CREATE INDEX idempotency_keys_subject ON idempotency_keys (subject) WHERE subject IS NOT NULL;

-- No new link for an erased customer (the insert holds the write lock, so it sees an erasure
-- that committed before it).
CREATE TRIGGER links_customer_not_erased BEFORE INSERT ON links
    WHEN (SELECT erased_at FROM customers WHERE id = NEW.customer_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'the customer is erased');
END;

-- A reason a person typed (staff, or the partner through the API) may hold personal data. An
-- erasure replaces it by its SHA-256 in `erased` (the field's position, then the digest), which is
-- what the row's seal and chain entry commit to, so the trail still verifies. That one change is
-- the only update link_events allow (SQLite cannot check the digest; `audit verify` does).
ALTER TABLE link_events ADD COLUMN erased BLOB;
DROP TRIGGER link_events_no_update;
CREATE TRIGGER link_events_no_update BEFORE UPDATE ON link_events
    WHEN NOT (OLD.erased IS NULL AND OLD.reason IS NOT NULL AND NEW.reason IS NULL
        AND length(NEW.erased) = 33 AND substr(NEW.erased, 1, 1) = x'04'
        AND NEW.id = OLD.id AND NEW.link_id = OLD.link_id AND NEW.actor = OLD.actor
        AND NEW.from_state IS OLD.from_state AND NEW.to_state = OLD.to_state
        AND NEW.wise_trace_id IS OLD.wise_trace_id AND NEW.created_at = OLD.created_at
        AND NEW.event IS OLD.event AND NEW.seal IS OLD.seal)
BEGIN
    SELECT RAISE(ABORT, 'link_events are append-only');
END;
