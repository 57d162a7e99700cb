-- The audit trail proves itself (docs/security.md, "An audit trail that proves itself").
--
-- Each new row of link_events and staff_audit carries `seal`: an Ed25519 signature, by a key in
-- audit.signing_keys, over a digest of each of its fields. The database never holds the signing
-- key, so a row written or changed in SQL has no valid seal.
ALTER TABLE link_events ADD COLUMN seal BLOB;
ALTER TABLE staff_audit ADD COLUMN seal BLOB;

-- The chain: one entry per audit row, in the order the sealer met them, each committing to the
-- entry before it. A row is queued in audit_pending by a trigger in the transaction that writes
-- it; the sealer appends the queued rows to the chain and takes them off the queue.
CREATE TABLE audit_chain (
    seq        INTEGER PRIMARY KEY NOT NULL,
    source     TEXT    NOT NULL CHECK (source IN ('link_events', 'staff_audit')),
    source_id  INTEGER NOT NULL,
    entry_hash BLOB    NOT NULL,
    chain_hash BLOB    NOT NULL,
    sealed_at  TEXT    NOT NULL,
    UNIQUE (source, source_id)
);

CREATE TABLE audit_pending (
    id        INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    source    TEXT    NOT NULL,
    source_id INTEGER NOT NULL
);

CREATE TRIGGER link_events_audit_pending AFTER INSERT ON link_events
BEGIN
    INSERT INTO audit_pending (source, source_id) VALUES ('link_events', NEW.id);
END;
CREATE TRIGGER staff_audit_audit_pending AFTER INSERT ON staff_audit
BEGIN
    INSERT INTO audit_pending (source, source_id) VALUES ('staff_audit', NEW.id);
END;

-- Rows written before this release carry no seal. They are queued for the chain here, in id
-- order, ahead of every sealed row: `audit verify` accepts a row without a seal only before the
-- first sealed one, or up to a bound a sealed staff audit row accepted (`audit accept-unsealed`).
INSERT INTO audit_pending (source, source_id)
    SELECT 'link_events', id FROM link_events ORDER BY id;
INSERT INTO audit_pending (source, source_id)
    SELECT 'staff_audit', id FROM staff_audit ORDER BY id;

-- Signed checkpoints: the chain's head at a moment, sealed with the audit signing key. Whoever
-- keeps one outside the database (an export carries them) can tell whether the chain up to it was
-- rewritten or cut short.
CREATE TABLE audit_checkpoints (
    seq        INTEGER PRIMARY KEY NOT NULL,
    chain_hash BLOB    NOT NULL,
    created_at TEXT    NOT NULL,
    seal       BLOB    NOT NULL
);

-- The staff audit and the chain are append-only, like link_events.
CREATE TRIGGER staff_audit_no_update BEFORE UPDATE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
CREATE TRIGGER staff_audit_no_delete BEFORE DELETE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
BEGIN
    SELECT RAISE(ABORT, 'audit_chain is append-only');
END;
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN
    SELECT RAISE(ABORT, 'audit_chain is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
