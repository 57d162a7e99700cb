-- The one reminder a customer gets when they have not typed the code: queued `scheduled` with the
-- link's start, released by the transition that sends it, or `cancelled` (its content dropped)
-- when the link moved on first.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('finish_linking', 'linked', 'not_linked', 'reconnect', 'reminder'));
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'failed', 'scheduled', 'cancelled'));
