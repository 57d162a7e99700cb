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
        assert_ne!(before, after_up, "{name} changes the schema");
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
