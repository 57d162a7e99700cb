-- How far the audit trail's live stream (RFC 5424 syslog to the operator's collector) has sent
-- the chain: its entries and signed checkpoints up to these sequence numbers were written to the
-- collector's connection. One instance at a time streams, holding the lease until lease_until.
CREATE TABLE audit_stream_cursors (
    name           TEXT      PRIMARY KEY,
    entry_seq      BIGINT    NOT NULL DEFAULT 0,
    checkpoint_seq BIGINT    NOT NULL DEFAULT 0,
    holder         TEXT,
    lease_until    TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL
);
