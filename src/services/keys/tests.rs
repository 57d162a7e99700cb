//! The rotation covers every sealed column of the schema.
use super::SEALED_COLUMNS;
use crate::db::links::SealedColumn;
use std::collections::BTreeSet;

/// `(table, column)` of every binary column in the diesel schema (both of its files).
fn binary_columns() -> BTreeSet<(String, String)> {
    let schema = [
        include_str!("../../db/schema.rs"),
        include_str!("../../db/schema/audit.rs"),
    ]
    .concat();
    let mut table = String::new();
    let mut out = BTreeSet::new();
    for line in schema.lines().map(str::trim) {
        if let Some(name) = line
            .strip_suffix('{')
            .and_then(|l| l.split_whitespace().next())
        {
            table = name.to_owned();
        } else if let Some((column, kind)) = line.split_once("->")
            && kind.contains("Binary")
        {
            out.insert((table.clone(), column.trim().to_owned()));
        }
    }
    out
}

#[test]
fn rotation_covers_every_binary_column_that_is_not_a_hash() {
    let sealed: BTreeSet<(String, String)> = binary_columns()
        .into_iter()
        // Audit seals are signatures, not sealed secrets: each names the key that made it and
        // stays as written, since the audit chain commits to it. An erased field's record holds
        // digests, like the hashes.
        .filter(|(t, c)| {
            !c.ends_with("_hash")
                && c != "request_fingerprint"
                && c != "seal"
                && (t.as_str(), c.as_str()) != ("link_events", "erased")
        })
        .collect();
    let rotated: BTreeSet<(String, String)> = SEALED_COLUMNS
        .iter()
        .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(
        sealed, rotated,
        "a binary column holds a sealed value: add it to SEALED_COLUMNS and to rotate()"
    );
    let links: BTreeSet<&str> = SEALED_COLUMNS
        .iter()
        .filter(|(t, _)| ["links", "link_tokens", "link_reviews"].contains(t))
        .map(|(_, c)| *c)
        .collect();
    assert_eq!(
        links,
        SealedColumn::ALL
            .map(SealedColumn::name)
            .into_iter()
            .collect(),
        "the links walk re-seals exactly these"
    );
    assert!(
        binary_columns().len() > SEALED_COLUMNS.len(),
        "hashes are read too"
    );
}
