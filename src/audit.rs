//! The audit trail's proofs.
//!
//! Two tables hold the audit trail: `link_events` (every state change of every link) and
//! `staff_audit` (every sign-in, account change and staff decision). Each row proves itself twice:
//!
//! - **Its seal**, written with the row: an Ed25519 signature, by the newest key in
//!   `audit.signing_keys`, over the row's [`content`] digest and a random nonce. The database
//!   holds no signing key, so a row written or changed in SQL has no valid seal; the nonce makes
//!   every seal unique, so a copied row shows as a second use of one seal.
//! - **Its place in the chain** (`audit_chain`): the sealer ([`crate::workers::audit_sealer`])
//!   appends every committed row, and each entry's hash commits to the entry before it, so a row
//!   removed after it was chained leaves an entry without its row, and an entry removed or changed
//!   breaks every hash after it.
//!
//! The content digest hashes each field on its own before hashing the whole, so a field's value
//! can later be replaced by its digest (erasure) without breaking the seal or the chain.
//! `wiselink audit verify` ([`crate::services::audit`]) walks both.

pub mod keys;

pub use keys::{SealCheck, SigningKeys};

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

/// The tables of the audit trail, by their names in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    LinkEvents,
    StaffAudit,
}

impl Source {
    pub const ALL: [Source; 2] = [Source::LinkEvents, Source::StaffAudit];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::LinkEvents => "link_events",
            Source::StaffAudit => "staff_audit",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A digest of 32 bytes.
pub type Hash = [u8; 32];

/// The hash before the first chain entry.
pub const GENESIS: Hash = [0; 32];

/// A timestamp as the audit trail hashes it: to the microsecond, which both backends keep.
pub fn timestamp(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// The digest of one audit row's fields, in the table's column order: each field as a marker
/// byte (absent or present) and, when present, the SHA-256 of its value.
pub fn content(source: Source, fields: &[Option<&[u8]>]) -> Hash {
    let mut h = Sha256::new();
    h.update(b"wiselink-audit-content-v1\0");
    h.update(source.as_str());
    for field in fields {
        match field {
            None => h.update([0]),
            Some(value) => {
                h.update([1]);
                h.update(Sha256::digest(value));
            }
        }
    }
    h.finalize().into()
}

/// The digest a chain entry holds for a row: its table, its id, its content and its seal.
pub fn entry_hash(source: Source, id: i64, content: &Hash, seal: Option<&[u8]>) -> Hash {
    let mut h = Sha256::new();
    h.update(b"wiselink-audit-entry-v1\0");
    h.update(source.as_str());
    h.update(id.to_be_bytes());
    h.update(content);
    match seal {
        None => h.update([0]),
        Some(seal) => {
            h.update([1]);
            h.update((seal.len() as u64).to_be_bytes());
            h.update(seal);
        }
    }
    h.finalize().into()
}

/// The digest a chain entry holds for a row that was queued for the chain but was gone when the
/// sealer came to it.
pub fn missing_hash(source: Source, id: i64) -> Hash {
    let mut h = Sha256::new();
    h.update(b"wiselink-audit-missing-v1\0");
    h.update(source.as_str());
    h.update(id.to_be_bytes());
    h.finalize().into()
}

/// The hash of chain entry `seq`: it commits to the entry before it and to this entry's row.
pub fn chain_hash(previous: &Hash, seq: i64, entry: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(b"wiselink-audit-chain-v1\0");
    h.update(previous);
    h.update(seq.to_be_bytes());
    h.update(entry);
    h.finalize().into()
}

/// The content digest of a `link_events` row.
#[allow(clippy::too_many_arguments)]
pub fn link_event_content(
    link_id: &str,
    actor: &str,
    from_state: Option<&str>,
    to_state: &str,
    reason: Option<&str>,
    wise_trace_id: Option<&str>,
    created_at: NaiveDateTime,
    event: Option<&str>,
) -> Hash {
    let at = timestamp(created_at);
    content(
        Source::LinkEvents,
        &[
            Some(link_id.as_bytes()),
            Some(actor.as_bytes()),
            from_state.map(str::as_bytes),
            Some(to_state.as_bytes()),
            reason.map(str::as_bytes),
            wise_trace_id.map(str::as_bytes),
            Some(at.as_bytes()),
            event.map(str::as_bytes),
        ],
    )
}

/// The content digest of a `staff_audit` row.
pub fn staff_audit_content(
    username: &str,
    event: &str,
    actor: Option<&str>,
    client_ip: Option<&str>,
    created_at: NaiveDateTime,
) -> Hash {
    let at = timestamp(created_at);
    content(
        Source::StaffAudit,
        &[
            Some(username.as_bytes()),
            Some(event.as_bytes()),
            actor.map(str::as_bytes),
            client_ip.map(str::as_bytes),
            Some(at.as_bytes()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn timestamps_are_hashed_to_the_microsecond() {
        let stored = at("2026-12-06 10:00:00.123456");
        let written = at("2026-12-06 10:00:00.123456789");
        assert_eq!(
            staff_audit_content("a", "login", None, None, stored),
            staff_audit_content("a", "login", None, None, written)
        );
    }

    #[test]
    fn an_absent_field_differs_from_an_empty_one_and_fields_do_not_run_together() {
        let t = at("2026-12-06 10:00:00");
        assert_ne!(
            staff_audit_content("a", "login", None, None, t),
            staff_audit_content("a", "login", Some(""), None, t)
        );
        assert_ne!(
            staff_audit_content("ab", "c", None, None, t),
            staff_audit_content("a", "bc", None, None, t)
        );
    }

    #[test]
    fn each_chain_hash_commits_to_the_one_before() {
        let e = entry_hash(Source::StaffAudit, 1, &[7; 32], None);
        let first = chain_hash(&GENESIS, 1, &e);
        assert_ne!(chain_hash(&first, 2, &e), chain_hash(&GENESIS, 2, &e));
        assert_ne!(chain_hash(&first, 2, &e), chain_hash(&first, 3, &e));
        assert_ne!(
            entry_hash(Source::StaffAudit, 1, &[7; 32], None),
            entry_hash(Source::LinkEvents, 1, &[7; 32], None)
        );
    }
}
