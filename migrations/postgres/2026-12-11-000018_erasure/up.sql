-- Erasure (GDPR art. 17) and retention. An erased customer keeps its row, so its links and their
-- audit trail still say who decided what, when and why; what identified the person is gone. The
-- CHECK keeps the two shapes apart: a live customer has every detail, an erased one none.
ALTER TABLE customers
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN date_of_birth DROP NOT NULL,
    ALTER COLUMN first_name DROP NOT NULL,
    ALTER COLUMN last_name DROP NOT NULL,
    ADD COLUMN erased_at TIMESTAMP,
    ADD CONSTRAINT customers_erased_holds_nothing CHECK (
        (erased_at IS NULL AND email IS NOT NULL AND date_of_birth IS NOT NULL
            AND first_name IS NOT NULL AND last_name IS NOT NULL)
        OR (erased_at IS NOT NULL AND email IS NULL AND date_of_birth IS NULL
            AND first_name IS NULL AND last_name IS NULL));

-- When a link's personal data was erased: by the customer's erasure, or by retention once the
-- link had been final for `retention.final_link_days`.
ALTER TABLE links ADD COLUMN personal_data_erased_at TIMESTAMP;
CREATE INDEX links_retention_due ON links (updated_at)
    WHERE personal_data_erased_at IS NULL AND state IN ('rejected', 'unlinked', 'expired');

-- Whom a stored answer is about (`customer:REF` or `link:ID`), so an erasure can delete it.
ALTER TABLE idempotency_keys ADD COLUMN subject TEXT;
CREATE INDEX idempotency_keys_subject ON idempotency_keys (subject) WHERE subject IS NOT NULL;

-- No new link for an erased customer. FOR SHARE waits for an erasure that holds the customer's
-- row, so a start that read the customer just before it was erased cannot slip a link in after.
CREATE FUNCTION links_customer_not_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT erased_at FROM customers WHERE id = NEW.customer_id FOR SHARE) IS NOT NULL THEN
        RAISE EXCEPTION 'the customer is erased' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER links_customer_not_erased BEFORE INSERT ON links
    FOR EACH ROW EXECUTE FUNCTION links_customer_not_erased();

-- A reason a person typed (staff, or the partner through the API) may hold personal data. An
-- erasure replaces it by its SHA-256 in `erased` (the field's position, then the digest), which is
-- what the row's seal and chain entry commit to, so the trail still verifies. That one change is
-- the only update link_events allow, and the digest must be the reason's.
ALTER TABLE link_events ADD COLUMN erased BYTEA;
CREATE OR REPLACE FUNCTION link_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.erased IS NULL AND OLD.reason IS NOT NULL AND NEW.reason IS NULL
        AND NEW.erased = '\x04'::bytea || sha256(convert_to(OLD.reason, 'UTF8'))
        AND (NEW.id, NEW.link_id, NEW.actor, NEW.to_state, NEW.created_at)
            = (OLD.id, OLD.link_id, OLD.actor, OLD.to_state, OLD.created_at)
        AND NEW.from_state IS NOT DISTINCT FROM OLD.from_state
        AND NEW.wise_trace_id IS NOT DISTINCT FROM OLD.wise_trace_id
        AND NEW.event IS NOT DISTINCT FROM OLD.event
        AND NEW.seal IS NOT DISTINCT FROM OLD.seal
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'link_events are append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
