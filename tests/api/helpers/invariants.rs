//! The invariant checked after every test: no active link without a DOB match, a staff approval
//! or a partner-created user.

use super::{TestApp, TestDatabase, count_rows, settings};
use diesel::RunQueryDsl;
use wiselink::db::Db;

/// Active links whose last entry into `active` was not a verified match, a staff approval, or a
/// partner-created user. Must always be zero.
const UNVOUCHED_ACTIVE_LINKS: &str = "SELECT COUNT(*) AS n FROM links l \
     WHERE l.state = 'active' AND NOT EXISTS ( \
       SELECT 1 FROM link_events e WHERE e.link_id = l.id AND e.to_state = 'active' \
         AND (e.from_state IN ('verifying', 'needs_review') OR (e.event = 'wise_user_created' AND l.origin = 'created')))";

impl Drop for TestApp {
    /// After every test: the invariant holds in that test's database.
    fn drop(&mut self) {
        if std::thread::panicking() || self.database.is_none() {
            return;
        }
        let unvouched = count_rows(&self.db, UNVOUCHED_ACTIVE_LINKS);
        assert_eq!(
            unvouched, 0,
            "an active link exists without a DOB match or staff approval"
        );
    }
}

#[test]
fn the_invariant_query_notices_an_unvouched_active_link() {
    let database = TestDatabase::create();
    let db = Db::connect(&settings(database.url(), &[]).database).unwrap();
    let mut conn = db.get().unwrap();
    wiselink::db::migrations::run_pending(&mut conn).unwrap();
    let now = "'2026-01-01 00:00:00'";
    for sql in [
        format!(
            "INSERT INTO customers (customer_ref, email, date_of_birth, first_name, last_name, language, created_at, updated_at) VALUES ('c', 'c@example.com', '1990-01-01', 'C', 'D', 'EN', {now}, {now})"
        ),
        format!(
            "INSERT INTO links (id, customer_id, flow, state, signup_email, attempts_remaining, created_at, updated_at) SELECT 'l', id, 'email_code', 'active', 'c@example.com', 5, {now}, {now} FROM customers"
        ),
    ] {
        diesel::sql_query(sql).execute(&mut **conn).unwrap();
    }
    assert_eq!(count_rows(&db, UNVOUCHED_ACTIVE_LINKS), 1);
}
