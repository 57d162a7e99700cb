//! The upgrade to sealed rows: what an earlier release wrote, and what an older instance writes
//! during a rolling upgrade.

use diesel::RunQueryDsl;

/// Rows an earlier release wrote carry no seal: the upgrade chains them ahead of every sealed
/// row. One without a seal chained after a sealed one (an older instance still writing during a
/// rolling upgrade, or SQL) is a finding until `audit accept-unsealed` accepts it, in a sealed row.
#[test]
fn rows_from_before_the_upgrade_are_chained_unsealed_and_later_ones_must_be_accepted() {
    use wiselink::audit::{SigningKeys, Source};
    use wiselink::db::{Db, audit as chain, migrations};
    use wiselink::services::audit::{Finding, accept_unsealed, verify};
    let database = crate::helpers::TestDatabase::create();
    let settings = crate::helpers::settings(database.url(), &[]);
    let db = Db::connect(&settings.database).unwrap();
    let mut conn = db.get().unwrap();
    while let Some(name) = migrations::run_next(&mut conn).unwrap() {
        if name.contains("000016") {
            break;
        }
    }
    let unsealed = "INSERT INTO staff_audit (username, event, actor, client_ip, created_at) \
                    VALUES ('ana', 'login', NULL, '127.0.0.1', '2026-12-01 09:00:00')";
    for _ in 0..3 {
        diesel::sql_query(unsealed).execute(&mut **conn).unwrap();
    }
    migrations::run_pending(&mut conn).unwrap();
    let now = chrono::Utc::now().naive_utc();
    assert_eq!(chain::seal_pending(&mut conn, 500, now).unwrap(), 3);
    let keys = SigningKeys::parse(&settings.audit.signing_keys).unwrap();
    let report = verify(&mut conn, keys.public_keys(), &[]).unwrap();
    assert!(report.holds(), "{:?}", report.findings);
    assert_eq!(report.entries, 3);

    wiselink::db::staff::audit(&mut conn, &keys, "ana", "login", None, None, now).unwrap();
    diesel::sql_query(unsealed).execute(&mut **conn).unwrap();
    chain::seal_pending(&mut conn, 500, now).unwrap();
    let report = verify(&mut conn, keys.public_keys(), &[]).unwrap();
    let late = Finding::Inserted {
        source: Source::StaffAudit,
        id: 5,
    };
    assert_eq!(report.findings, vec![late.clone()]);

    // An acceptance in SQL is no acceptance: it carries no seal.
    diesel::sql_query(
        "INSERT INTO staff_audit (username, event, created_at) \
         VALUES ('audit:staff_audit<=99', 'unsealed_rows_accepted', '2026-12-06 10:00:00')",
    )
    .execute(&mut **conn)
    .unwrap();
    chain::seal_pending(&mut conn, 500, now).unwrap();
    let report = verify(&mut conn, keys.public_keys(), &[]).unwrap();
    assert_eq!(report.findings[0], late);

    assert_eq!(
        accept_unsealed(&mut conn, &keys, "cli", now).unwrap(),
        (0, 6)
    );
    chain::seal_pending(&mut conn, 500, now).unwrap();
    let report = verify(&mut conn, keys.public_keys(), &[]).unwrap();
    assert!(report.holds(), "{:?}", report.findings);
    assert_eq!(report.entries, 7);
}

/// A check reads what is there: `audit verify` never migrates, and says what to run first.
#[test]
fn verify_refuses_a_database_this_release_has_not_migrated_and_leaves_it_as_it_was() {
    use wiselink::db::{Db, migrations};
    let database = crate::helpers::TestDatabase::create();
    let db = Db::connect(&crate::helpers::settings(database.url(), &[]).database).unwrap();
    let mut conn = db.get().unwrap();
    migrations::run_next(&mut conn).unwrap();
    let out = crate::helpers::run_cli(
        &["audit", "verify"],
        &[("WISELINK__DATABASE__URL", database.url())],
        None,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "the database has migrations of this release still to apply: run `wiselink migrate` first"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        migrations::any_pending(&mut conn).unwrap(),
        "nothing was migrated"
    );
}
