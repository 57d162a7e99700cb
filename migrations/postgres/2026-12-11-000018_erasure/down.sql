CREATE OR REPLACE FUNCTION link_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'link_events are append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
ALTER TABLE link_events DROP COLUMN erased;
DROP TRIGGER links_customer_not_erased ON links;
DROP FUNCTION links_customer_not_erased();
DROP INDEX idempotency_keys_subject;
ALTER TABLE idempotency_keys DROP COLUMN subject;
DROP INDEX links_retention_due;
ALTER TABLE links DROP COLUMN personal_data_erased_at;
ALTER TABLE customers
    DROP CONSTRAINT customers_erased_holds_nothing,
    DROP COLUMN erased_at,
    ALTER COLUMN email SET NOT NULL,
    ALTER COLUMN date_of_birth SET NOT NULL,
    ALTER COLUMN first_name SET NOT NULL,
    ALTER COLUMN last_name SET NOT NULL;
