use crate::helpers::{TestDatabase, settings};
use diesel::RunQueryDsl;
use wiselink::db::{Db, DbConnection, migrations};

#[test]
fn both_trees_list_the_same_migrations() {
    let (pg, sqlite) = migrations::embedded_names().unwrap();
    assert!(!pg.is_empty());
    assert_eq!(pg, sqlite);
    let on_disk = |dir: &str| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(on_disk("migrations/postgres"), on_disk("migrations/sqlite"));
}

/// Each migration's `down.sql` returns the schema exactly to where its `up.sql` found it, and the
/// migration applies again cleanly afterwards.
#[test]
fn every_down_reverses_its_up() {
    let database = TestDatabase::create();
    let db = Db::connect(&settings(database.url(), &[]).database).unwrap();
    let mut conn = db.get().unwrap();
    let mut applied = 0;
    loop {
        let before = schema(&mut conn);
        let Some(name) = migrations::run_next(&mut conn).unwrap() else {
            break;
        };
        let after_up = schema(&mut conn);
        if !declared_empty(&conn, &name) {
            assert_ne!(before, after_up, "{name} changes the schema");
        }
        migrations::revert_last(&mut conn).unwrap();
        assert_eq!(
            schema(&mut conn),
            before,
            "{name}: down.sql does not reverse up.sql"
        );
        migrations::run_next(&mut conn).unwrap();
        assert_eq!(
            schema(&mut conn),
            after_up,
            "{name} applies again after a revert"
        );
        applied += 1;
    }
    assert_eq!(applied, migrations::embedded_names().unwrap().0.len());
}

/// A migration may leave one backend's schema as it is when its `up.sql` there says so in a line
/// starting `-- No change on this backend:` (it exists to keep both trees' histories in step).
fn declared_empty(conn: &DbConnection, version: &str) -> bool {
    let tree = match conn {
        DbConnection::Postgresql(_) => "migrations/postgres",
        DbConnection::Sqlite(_) => "migrations/sqlite",
    };
    std::fs::read_dir(tree)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().replace('-', "");
            name.starts_with(version)
        })
        .map(|dir| std::fs::read_to_string(dir.join("up.sql")).unwrap())
        .is_some_and(|sql| {
            sql.lines()
                .any(|l| l.starts_with("-- No change on this backend:"))
        })
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Item {
    #[diesel(sql_type = diesel::sql_types::Text)]
    item: String,
}

/// Tables, columns, indexes and constraints, as sorted text.
fn schema(conn: &mut DbConnection) -> Vec<String> {
    let rows = match conn {
        DbConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable \
                 || ' default=' || coalesce(column_default, '') AS item \
               FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name <> '__diesel_schema_migrations' \
             UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' \
                 AND tablename <> '__diesel_schema_migrations' \
             UNION ALL SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint \
               WHERE connamespace = 'public'::regnamespace \
                 AND conrelid::regclass::text <> '__diesel_schema_migrations' \
             ORDER BY 1",
        )
        .load::<Item>(c),
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS item FROM sqlite_master \
              WHERE name NOT LIKE '__diesel%' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
        )
        .load::<Item>(c)
        .map(|rows| {
            rows.into_iter()
                .map(|r| Item {
                    item: sqlite_columns_in_any_order(&r.item),
                })
                .collect()
        }),
    };
    rows.unwrap().into_iter().map(|r| r.item).collect()
}

/// A `CREATE TABLE` statement as its sorted column and constraint definitions (comments and
/// spacing aside): SQLite changes a column's CHECK only by adding a replacement column at the end,
/// so a down migration restores the same definitions, though not their order. Anything else is
/// left as it is.
fn sqlite_columns_in_any_order(item: &str) -> String {
    let Some(rest) = item.strip_prefix("table ") else {
        return item.to_owned();
    };
    let Some(open) = rest.find('(') else {
        return item.to_owned();
    };
    let body: String = rest[open + 1..]
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let body = body.trim_end();
    let body = body.strip_suffix(')').unwrap_or(body);
    let (mut parts, mut depth, mut current) = (Vec::new(), 0, String::new());
    for ch in body.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    parts.push(current);
    let mut parts: Vec<String> = parts
        .iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    parts.sort();
    format!("table {} ({})", rest[..open].trim(), parts.join(", "))
}

/// Splitting the link record into `links`, `link_tokens` and `link_reviews` keeps every link an
/// installation already has: its tokens, lease, failures and last identity check move with it,
/// the link reads back whole, and reverting puts every value back into the one row.
#[test]
fn the_link_record_split_keeps_existing_links_and_reverts() {
    const SPLIT: &str = "2026-12-05-000010_link_upkeep_and_review";
    let database = TestDatabase::create();
    let db = Db::connect(&settings(database.url(), &[]).database).unwrap();
    let mut conn = db.get().unwrap();
    let names = migrations::embedded_names().unwrap().0;
    let split = names.iter().position(|n| n == SPLIT).unwrap();
    for _ in 0..split {
        migrations::run_next(&mut conn).unwrap().unwrap();
    }
    let (bytes_access, bytes_review) = match &**conn {
        DbConnection::Postgresql(_) => ("'\\x0a0b'::bytea", "'\\x0c'::bytea"),
        DbConnection::Sqlite(_) => ("X'0a0b'", "X'0c'"),
    };
    let statements = [
        "INSERT INTO customers (customer_ref, email, date_of_birth, first_name, last_name, language, created_at, updated_at) \
         VALUES ('old', 'old@example.com', '1990-01-01', 'O', 'L', 'en', '2026-12-01 10:00:00', '2026-12-01 10:00:00')"
            .to_owned(),
        format!(
            "INSERT INTO links (id, customer_id, flow, state, signup_email, access_token, refresh_token, \
               access_expires_at, attempts_remaining, created_at, updated_at, refresh_generation, \
               refresh_due_at, refresh_failures, refresh_failing_since, review_reason, checked_at, \
               checked_partner_dob, checked_partner_email, checked_wise, approvals, first_approved_by) \
             SELECT 'lnk_old', id, 'email_code', 'needs_review', 'old@example.com', {bytes_access}, {bytes_access}, \
               '2026-12-01 22:00:00', 5, '2026-12-01 10:00:00', '2026-12-01 11:00:00', 4, \
               '2026-12-01 16:00:00', 2, '2026-12-01 10:30:00', 'dob_mismatch', '2026-12-01 11:00:00', \
               '1990-01-01', 'old@example.com', {bytes_review}, 1, 'ana' FROM customers"
        ),
    ];
    for sql in &statements {
        diesel::sql_query(sql.as_str())
            .execute(&mut **conn)
            .unwrap();
    }

    assert_eq!(
        migrations::run_next(&mut conn).unwrap().as_deref(),
        Some("20261205000010")
    );
    // The migrations after it too (and back, below), so the link reads with today's columns.
    let later = migrations::run_pending(&mut conn).unwrap();
    let id = wiselink::domain::LinkId::from_stored("lnk_old".to_owned());
    let link = wiselink::db::links::find(&mut conn, &id).unwrap().unwrap();
    assert_eq!(link.state, wiselink::domain::LinkState::NeedsReview);
    assert_eq!(link.access_token.as_deref(), Some(&[0x0a, 0x0b][..]));
    assert_eq!(link.refresh_token.as_deref(), Some(&[0x0a, 0x0b][..]));
    assert_eq!((link.refresh_generation, link.refresh_failures), (4, 2));
    assert_eq!(
        link.refresh_due_at.map(|t| t.to_string()).as_deref(),
        Some("2026-12-01 16:00:00")
    );
    assert!(link.refresh_failing_since.is_some());
    assert_eq!(link.review_reason.map(|r| r.as_str()), Some("dob_mismatch"));
    assert_eq!(link.checked_wise.as_deref(), Some(&[0x0c][..]));
    assert_eq!(
        link.checked_partner_email.as_deref(),
        Some("old@example.com")
    );
    assert_eq!(
        (link.approvals, link.first_approved_by.as_deref()),
        (1, Some("ana"))
    );

    for _ in &later {
        migrations::revert_last(&mut conn).unwrap();
    }
    assert_eq!(
        migrations::revert_last(&mut conn).unwrap(),
        "20261205000010"
    );
    #[derive(diesel::QueryableByName)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let kept: Kept = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM links WHERE id = 'lnk_old' AND access_token IS NOT NULL \
           AND refresh_generation = 4 AND refresh_failures = 2 AND review_reason = 'dob_mismatch' \
           AND approvals = 1 AND first_approved_by = 'ana' AND checked_wise IS NOT NULL",
    )
    .get_result(&mut **conn)
    .unwrap();
    assert_eq!(kept.n, 1, "every value is back in the one row");
}
