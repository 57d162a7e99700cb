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
//! Every `audit.checkpoint_every_secs` the sealer also signs the chain's head (a checkpoint), so
//! whoever keeps a checkpoint outside the database can tell whether the chain up to it was
//! rewritten or cut short.
//!
//! The content digest hashes each field on its own before hashing the whole, so a field's value
//! can later be replaced by its digest (erasure) without breaking the seal or the chain.
//! `wiselink audit verify` ([`crate::services::audit`]) walks both.

pub mod keys;
pub mod syslog;

pub use keys::{PublicKeys, SealCheck, SigningKeys};

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
/// byte (absent or present) and, when present, the SHA-256 of its value. A field in `erased`
/// (by its position) is present with the digest kept in place of its value.
pub fn content(source: Source, fields: &[Option<&[u8]>], erased: &Erased) -> Hash {
    let mut h = Sha256::new();
    h.update(b"wiselink-audit-content-v1\0");
    h.update(source.as_str());
    for (i, field) in fields.iter().enumerate() {
        if let Some((_, digest)) = erased.iter().find(|(at, _)| *at == i) {
            h.update([1]);
            h.update(digest);
            continue;
        }
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

/// Fields whose values were erased, by position, each with the SHA-256 of the value it held: what
/// the row's seal and chain entry still commit to.
pub type Erased = Vec<(usize, Hash)>;

/// Erases field `at` holding `value`: the digest that stands for it from now on.
pub fn erase_field(at: usize, value: &str) -> (usize, Hash) {
    (at, Sha256::digest(value.as_bytes()).into())
}

/// `erased` as a row stores it: 33 bytes per field (its position, its digest).
pub fn encode_erased(erased: &Erased) -> Vec<u8> {
    erased
        .iter()
        .flat_map(|(at, digest)| std::iter::once(*at as u8).chain(digest.iter().copied()))
        .collect()
}

/// A row's stored erasures; `None` when the bytes are not whole records (then nothing verifies).
pub fn decode_erased(bytes: Option<&[u8]>) -> Option<Erased> {
    let Some(bytes) = bytes else {
        return Some(Vec::new());
    };
    if bytes.is_empty() || bytes.len() % 33 != 0 {
        return None;
    }
    bytes
        .chunks(33)
        .map(|c| Some((usize::from(c[0]), c[1..].try_into().ok()?)))
        .collect()
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

/// The digest a checkpoint's seal signs: the chain's head at `seq` and when it was taken.
pub fn checkpoint_digest(seq: i64, chain_hash: &Hash, at: NaiveDateTime) -> Hash {
    let mut h = Sha256::new();
    h.update(b"wiselink-audit-checkpoint-v1\0");
    h.update(seq.to_be_bytes());
    h.update(chain_hash);
    h.update(timestamp(at));
    h.finalize().into()
}

/// A row's fields by name, in the table's column order, as the audit trail hashes and exports
/// them (timestamps by [`timestamp`]).
pub type Fields = Vec<(&'static str, Option<String>)>;

/// The fields of each table, in column order.
pub const LINK_EVENT_FIELDS: [&str; 8] = [
    "link_id",
    "actor",
    "from_state",
    "to_state",
    "reason",
    "wise_trace_id",
    "created_at",
    "event",
];
/// Where `reason` is among [`LINK_EVENT_FIELDS`]: the field an erasure may replace by its digest.
pub const LINK_EVENT_REASON: usize = 4;
pub const STAFF_AUDIT_FIELDS: [&str; 5] = ["username", "event", "actor", "client_ip", "created_at"];

impl Source {
    /// The names of this table's fields, in column order.
    pub fn field_names(self) -> &'static [&'static str] {
        match self {
            Source::LinkEvents => &LINK_EVENT_FIELDS,
            Source::StaffAudit => &STAFF_AUDIT_FIELDS,
        }
    }
}

/// The content digest of a row of `source` from its fields.
pub fn content_of(source: Source, fields: &Fields) -> Hash {
    content_with(source, fields, &Vec::new())
}

/// The content digest of a row of `source` from its fields, some of them erased.
pub fn content_with(source: Source, fields: &Fields, erased: &Erased) -> Hash {
    let values: Vec<Option<&[u8]>> = fields
        .iter()
        .map(|(_, v)| v.as_deref().map(str::as_bytes))
        .collect();
    content(source, &values, erased)
}

/// The fields of a `link_events` row.
#[allow(clippy::too_many_arguments)]
pub fn link_event_fields(
    link_id: &str,
    actor: &str,
    from_state: Option<&str>,
    to_state: &str,
    reason: Option<&str>,
    wise_trace_id: Option<&str>,
    created_at: NaiveDateTime,
    event: Option<&str>,
) -> Fields {
    let values = [
        Some(link_id.to_owned()),
        Some(actor.to_owned()),
        from_state.map(str::to_owned),
        Some(to_state.to_owned()),
        reason.map(str::to_owned),
        wise_trace_id.map(str::to_owned),
        Some(timestamp(created_at)),
        event.map(str::to_owned),
    ];
    LINK_EVENT_FIELDS.into_iter().zip(values).collect()
}

/// The fields of a `staff_audit` row.
pub fn staff_audit_fields(
    username: &str,
    event: &str,
    actor: Option<&str>,
    client_ip: Option<&str>,
    created_at: NaiveDateTime,
) -> Fields {
    let values = [
        Some(username.to_owned()),
        Some(event.to_owned()),
        actor.map(str::to_owned),
        client_ip.map(str::to_owned),
        Some(timestamp(created_at)),
    ];
    STAFF_AUDIT_FIELDS.into_iter().zip(values).collect()
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
            content_of(
                Source::StaffAudit,
                &staff_audit_fields("a", "login", None, None, stored)
            ),
            content_of(
                Source::StaffAudit,
                &staff_audit_fields("a", "login", None, None, written)
            )
        );
    }

    #[test]
    fn an_erased_field_keeps_the_digest_and_only_its_own_value_matches() {
        let t = at("2026-12-06 10:00:00");
        let fields =
            |reason| link_event_fields("l", "staff:a", None, "rejected", reason, None, t, None);
        let kept = content_of(Source::LinkEvents, &fields(Some("DOB 1961-07-23 differs")));
        let erased = vec![erase_field(4, "DOB 1961-07-23 differs")];
        assert_eq!(
            content_with(Source::LinkEvents, &fields(None), &erased),
            kept
        );
        let other = vec![erase_field(4, "something else")];
        assert_ne!(
            content_with(Source::LinkEvents, &fields(None), &other),
            kept
        );
        assert_eq!(decode_erased(Some(&encode_erased(&erased))), Some(erased));
        assert_eq!(decode_erased(Some(&[4, 1, 2])), None);
        assert_eq!(decode_erased(None), Some(Vec::new()));
        assert_eq!(LINK_EVENT_FIELDS[LINK_EVENT_REASON], "reason");
    }

    #[test]
    fn an_absent_field_differs_from_an_empty_one_and_fields_do_not_run_together() {
        let t = at("2026-12-06 10:00:00");
        let digest =
            |u, e, a| content_of(Source::StaffAudit, &staff_audit_fields(u, e, a, None, t));
        assert_ne!(digest("a", "login", None), digest("a", "login", Some("")));
        assert_ne!(digest("ab", "c", None), digest("a", "bc", None));
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
