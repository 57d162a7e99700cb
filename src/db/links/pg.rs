//! PostgreSQL: a commit of transitions as one statement. The row update, the event rows, the
//! queued messages and the customer pin are data-modifying `WITH` clauses around the updated row,
//! so they happen together or not at all without `BEGIN`/`COMMIT` round trips; when the link is no
//! longer in the expected state the update matches nothing and neither does anything else.

use super::{LinkRow, Pin, Plan};
use crate::db::schema::links;
use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AsChangeset, AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Binary, Nullable, Text, Timestamp};

/// Columns in `LinkRow` order.
const COLUMNS: &str = "id, customer_id, flow, origin, state, signup_email, registration_code, \
     access_token, refresh_token, access_expires_at, wise_user_id, wise_profile_id, \
     attempts_remaining, code_expires_at, session_token_hash, spent_code_hash, last_resend_at, \
     resend_window_start, resends_in_window, created_at, updated_at";

pub(super) fn commit(
    conn: &mut PgConnection,
    plan: &Plan<'_>,
    pin: Option<Pin>,
    now: NaiveDateTime,
) -> QueryResult<Option<LinkRow>> {
    let statement = Commit {
        values: (
            links::state.eq(plan.to.as_str()),
            links::updated_at.eq(now),
            &plan.changes,
        )
            .as_changeset(),
        plan,
        pin,
        now,
    };
    Ok(statement.load::<LinkRow>(conn)?.pop())
}

struct Commit<'a, V> {
    values: V,
    plan: &'a Plan<'a>,
    pin: Option<Pin>,
    now: NaiveDateTime,
}

impl<V> QueryId for Commit<'_, V> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<V> Query for Commit<'_, V> {
    type SqlType = links::SqlType;
}

impl<V> RunQueryDsl<PgConnection> for Commit<'_, V> {}

impl<V: QueryFragment<Pg>> QueryFragment<Pg> for Commit<'_, V> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let plan = self.plan;
        out.push_sql("WITH u AS (UPDATE links SET ");
        self.values.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(plan.link_id)?;
        out.push_sql(" AND state = ");
        out.push_bind_param::<Text, _>(plan.from.as_str())?;
        out.push_sql(" RETURNING ");
        out.push_sql(COLUMNS);
        out.push_sql(")");

        // One INSERT for all event rows, in order, so their ids keep the order of the transitions.
        out.push_sql(
            ", e AS (INSERT INTO link_events (link_id, actor, from_state, to_state, reason, \
             wise_trace_id, created_at, event) SELECT u.id, v.actor, v.from_state, v.to_state, \
             v.reason, v.trace, v.at, v.event FROM u CROSS JOIN (VALUES ",
        );
        for (i, (t, to)) in plan.events.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            // The ordinal is ours, not input: written into the SQL text.
            out.push_sql(&format!("({i}, "));
            out.push_bind_param::<Text, _>(&t.actor)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(t.from.as_str())?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(to.as_str())?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(&t.reason)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(&t.wise_trace_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Timestamp, _>(&self.now)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(t.event.as_str())?;
            out.push_sql(")");
        }
        out.push_sql(
            ") AS v (n, actor, from_state, to_state, reason, trace, at, event) ORDER BY v.n)",
        );

        for (i, m) in plan.messages.iter().enumerate() {
            out.push_sql(&format!(
                ", o{i} AS (INSERT INTO outbox (message_id, link_id, kind, recipient, payload, \
                 status, attempts, next_attempt_at, created_at) SELECT "
            ));
            out.push_bind_param::<Text, _>(&m.message_id)?;
            out.push_sql(", u.id, ");
            out.push_bind_param::<Text, _>(m.kind.as_str())?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(&m.recipient)?;
            out.push_sql(", ");
            out.push_bind_param::<Binary, _>(&m.payload)?;
            out.push_sql(", 'pending', 0, ");
            out.push_bind_param::<Timestamp, _>(&self.now)?;
            out.push_sql(", ");
            out.push_bind_param::<Timestamp, _>(&self.now)?;
            out.push_sql(" FROM u)");
        }

        if let Some(pin) = &self.pin {
            out.push_sql(", p AS (UPDATE customers SET wise_user_id = ");
            out.push_bind_param::<BigInt, _>(&pin.wise_user_id)?;
            out.push_sql(" WHERE id = ");
            out.push_bind_param::<BigInt, _>(&pin.customer_id)?;
            out.push_sql(" AND wise_user_id IS NULL AND EXISTS (SELECT 1 FROM u))");
        }
        out.push_sql(" SELECT ");
        out.push_sql(COLUMNS);
        out.push_sql(" FROM u");
        Ok(())
    }
}

/// A new link and its first event row in one statement.
pub(super) fn insert(
    conn: &mut PgConnection,
    link: &super::NewLink<'_>,
    actor: &str,
) -> QueryResult<usize> {
    Start {
        insert: diesel::insert_into(links::table).values(link),
        actor,
        state: link.state,
        at: link.created_at,
    }
    .execute(conn)
}

struct Start<'a, I> {
    insert: I,
    actor: &'a str,
    state: &'a str,
    at: NaiveDateTime,
}

impl<I> QueryId for Start<'_, I> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<I> RunQueryDsl<PgConnection> for Start<'_, I> {}

impl<I: QueryFragment<Pg>> QueryFragment<Pg> for Start<'_, I> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH l AS (");
        self.insert.walk_ast(out.reborrow())?;
        out.push_sql(
            " RETURNING id) INSERT INTO link_events (link_id, actor, from_state, to_state, \
             reason, wise_trace_id, created_at, event) SELECT l.id, ",
        );
        out.push_bind_param::<Text, _>(self.actor)?;
        out.push_sql(", NULL, ");
        out.push_bind_param::<Text, _>(self.state)?;
        out.push_sql(", 'link started', NULL, ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(", NULL FROM l");
        Ok(())
    }
}
