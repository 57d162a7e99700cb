// The audit chain's own tables (the rows it chains are `link_events` and `staff_audit`).

diesel::table! {
    audit_chain (seq) {
        seq -> BigInt,
        source -> Text,
        source_id -> BigInt,
        entry_hash -> Binary,
        chain_hash -> Binary,
        sealed_at -> Timestamp,
    }
}

diesel::table! {
    audit_checkpoints (seq) {
        seq -> BigInt,
        chain_hash -> Binary,
        created_at -> Timestamp,
        seal -> Binary,
    }
}

diesel::table! {
    audit_stream_cursors (name) {
        name -> Text,
        entry_seq -> BigInt,
        checkpoint_seq -> BigInt,
        holder -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_pending (id) {
        id -> BigInt,
        source -> Text,
        source_id -> BigInt,
    }
}
