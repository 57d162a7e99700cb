//! PostgreSQL: a commit of transitions as one statement. The row update, the event rows, the
//! queued messages and the customer pin are data-modifying `WITH` clauses around the updated row,
//! so they happen together or not at all without `BEGIN`/`COMMIT` round trips; when the link is no
//! longer in the expected state the update matches nothing and neither does anything else.
//!
//! The statement is built from the same pieces as the portable path: the link comes back as
//! `links`', `link_tokens`' and `link_reviews`' columns (so `LinkRow` reads it as on SQLite), the event rows are the same
//! [`NewEvent`] values under the schema's column names, and the partner events and outbox rows the
//! same values as there.

use super::LinkRow;
use super::events::{NEW_EVENT_COLUMNS, NewEvent};
use super::transition::{Pin, Plan, SpentCode};
use crate::db::outbox::NEW_MESSAGE_COLUMNS;
use crate::db::schema::{link_reviews, link_tokens, links};
use crate::db::webhooks::NEW_PARTNER_EVENT_COLUMNS;
use crate::domain::LinkId;
use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AsChangeset, AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Binary, Nullable, Text, Timestamp};
use std::sync::LazyLock;

/// The column lists of the statements, joined once.
struct ColumnLists {
    events: String,
    events_from_v: String,
    published: String,
    published_from_v: String,
    messages: String,
}

static COLUMN_LISTS: LazyLock<ColumnLists> = LazyLock::new(|| ColumnLists {
    events: NEW_EVENT_COLUMNS.join(", "),
    events_from_v: NEW_EVENT_COLUMNS.map(|c| format!("v.{c}")).join(", "),
    published: NEW_PARTNER_EVENT_COLUMNS.join(", "),
    published_from_v: NEW_PARTNER_EVENT_COLUMNS
        .map(|c| format!("v.{c}"))
        .join(", "),
    messages: NEW_MESSAGE_COLUMNS.join(", "),
});

pub(super) fn commit(
    conn: &mut PgConnection,
    plan: &Plan<'_>,
    pin: Option<Pin>,
    now: NaiveDateTime,
) -> QueryResult<Option<LinkRow>> {
    let (own, tokens, review) = plan.changes.clone().split();
    let statement = Commit {
        values: (
            links::state.eq(plan.to.as_str()),
            links::updated_at.eq(now),
            &own,
        )
            .as_changeset(),
        tokens: (!tokens.is_empty()).then(|| tokens.as_changeset()),
        review: (!review.is_empty()).then(|| review.as_changeset()),
        queued: plan.messages.iter().map(|m| m.queued_as(now)).collect(),
        plan,
        pin,
        now,
    };
    Ok(statement.load::<LinkRow>(conn)?.pop())
}

struct Commit<'a, V, T, R> {
    values: V,
    /// What changes in the side tables, if anything.
    tokens: Option<T>,
    review: Option<R>,
    plan: &'a Plan<'a>,
    /// Each queued message's status and first attempt time.
    queued: Vec<(&'static str, NaiveDateTime)>,
    pin: Option<Pin>,
    now: NaiveDateTime,
}

impl<V, T, R> QueryId for Commit<'_, V, T, R> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<V, T, R> Query for Commit<'_, V, T, R> {
    type SqlType = (links::SqlType, link_tokens::SqlType, link_reviews::SqlType);
}

impl<V, T, R> RunQueryDsl<PgConnection> for Commit<'_, V, T, R> {}

/// Binds one event's values in [`NEW_EVENT_COLUMNS`] order.
fn bind_event<'b>(out: &mut AstPass<'_, 'b, Pg>, e: &'b NewEvent<'b>) -> QueryResult<()> {
    out.push_bind_param::<Text, _>(e.link_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(e.actor)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&e.from_state)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(e.to_state)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&e.reason)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&e.wise_trace_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Timestamp, _>(&e.created_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&e.event)?;
    out.push_sql(", ");
    out.push_bind_param::<Binary, _>(&e.seal)
}

impl<V, T, R> QueryFragment<Pg> for Commit<'_, V, T, R>
where
    V: QueryFragment<Pg>,
    T: QueryFragment<Pg>,
    R: QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let plan = self.plan;
        out.push_sql("WITH u AS (UPDATE links SET ");
        self.values.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(plan.link_id)?;
        out.push_sql(" AND state = ");
        out.push_bind_param::<Text, _>(plan.from.as_str())?;
        if let Some(updated_at) = &plan.unchanged_since {
            out.push_sql(" AND updated_at = ");
            out.push_bind_param::<Timestamp, _>(updated_at)?;
        }
        if let Some(generation) = &plan.lease_generation {
            out.push_sql(" AND EXISTS (SELECT 1 FROM link_tokens WHERE link_id = ");
            out.push_bind_param::<Text, _>(plan.link_id)?;
            out.push_sql(" AND refresh_generation = ");
            out.push_bind_param::<BigInt, _>(generation)?;
            out.push_sql(")");
        }
        out.push_sql(" RETURNING ");
        links::all_columns.walk_ast(out.reborrow())?;
        out.push_sql(")");

        // The side tables, only where something changes there (and only if the row update
        // matched); the answer below reads the others as they are.
        if let Some(tokens) = &self.tokens {
            side_update(&mut out, "t", "link_tokens", tokens, plan.link_id)?;
            link_tokens::all_columns.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        if let Some(review) = &self.review {
            side_update(&mut out, "r", "link_reviews", review, plan.link_id)?;
            link_reviews::all_columns.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }

        // One INSERT for all event rows, in order (so their ids keep the transitions' order), and
        // only if the update matched.
        let columns = &*COLUMN_LISTS;
        out.push_sql(", e AS (INSERT INTO link_events (");
        out.push_sql(&columns.events);
        out.push_sql(") SELECT ");
        out.push_sql(&columns.events_from_v);
        out.push_sql(" FROM u CROSS JOIN (VALUES ");
        for (i, event) in plan.events.iter().enumerate() {
            // The ordinal is ours, not input: written into the SQL text.
            out.push_sql(&format!("{}({i}, ", if i > 0 { ", " } else { "" }));
            bind_event(&mut out, event)?;
            out.push_sql(")");
        }
        out.push_sql(") AS v (n, ");
        out.push_sql(&columns.events);
        out.push_sql(") ORDER BY v.n)");

        // The partner's events, in order, only if the update matched. Their ids keep the order;
        // the dispatcher gives them their feed positions.
        if !plan.published.is_empty() {
            out.push_sql(", pe AS (INSERT INTO partner_events (");
            out.push_sql(&columns.published);
            out.push_sql(") SELECT ");
            out.push_sql(&columns.published_from_v);
            out.push_sql(" FROM u CROSS JOIN (VALUES ");
            for (i, e) in plan.published.iter().enumerate() {
                out.push_sql(&format!("{}({i}, ", if i > 0 { ", " } else { "" }));
                out.push_bind_param::<Text, _>(&e.event_id)?;
                out.push_sql(", ");
                out.push_bind_param::<Text, _>(e.event_type)?;
                out.push_sql(", ");
                out.push_bind_param::<Text, _>(e.link_id)?;
                out.push_sql(", ");
                out.push_bind_param::<Text, _>(e.state)?;
                out.push_sql(", ");
                out.push_bind_param::<Text, _>(e.reason)?;
                out.push_sql(", ");
                out.push_bind_param::<Timestamp, _>(&e.created_at)?;
                out.push_sql(", ");
                out.push_bind_param::<Nullable<Text>, _>(&e.traceparent)?;
                out.push_sql(")");
            }
            out.push_sql(") AS v (n, ");
            out.push_sql(&columns.published);
            out.push_sql(") ORDER BY v.n)");
        }

        let queued = &self.queued;
        for (i, m) in plan.messages.iter().enumerate() {
            out.push_sql(&format!(", o{i} AS (INSERT INTO outbox ("));
            out.push_sql(&columns.messages);
            out.push_sql(") SELECT ");
            out.push_bind_param::<Text, _>(&m.message_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(&m.link_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(m.kind.as_str())?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(&m.recipient)?;
            out.push_sql(", ");
            out.push_bind_param::<Binary, _>(&m.payload)?;
            out.push_sql(", ");
            let (status, next_attempt_at) = &queued[i];
            out.push_bind_param::<Text, _>(*status)?;
            out.push_sql(", 0, ");
            out.push_bind_param::<Timestamp, _>(next_attempt_at)?;
            out.push_sql(", ");
            out.push_bind_param::<Timestamp, _>(&self.now)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(&m.traceparent)?;
            out.push_sql(" FROM u)");
        }

        if plan.releases_reminder {
            // The same rule as `outbox::release_reminder`.
            out.push_sql(", rm AS (UPDATE outbox SET status = 'pending', next_attempt_at = ");
            out.push_bind_param::<Timestamp, _>(&self.now)?;
            out.push_sql(", created_at = ");
            out.push_bind_param::<Timestamp, _>(&self.now)?;
            out.push_sql(" WHERE link_id = ");
            out.push_bind_param::<Text, _>(plan.link_id)?;
            out.push_sql(
                " AND kind = 'reminder' AND status = 'scheduled' AND EXISTS (SELECT 1 FROM u))",
            );
        }

        for (i, code) in plan.spent_codes.iter().enumerate() {
            // A code already spent makes the INSERT, and with it the whole statement, fail on
            // the primary key: nothing is written.
            match code {
                SpentCode::Add(hash) => {
                    out.push_sql(&format!(
                        ", s{i} AS (INSERT INTO spent_codes (link_id, code_hash, spent_at) SELECT u.id, "
                    ));
                    out.push_bind_param::<Binary, _>(hash)?;
                    out.push_sql(", ");
                    out.push_bind_param::<Timestamp, _>(&self.now)?;
                    out.push_sql(" FROM u)");
                }
                SpentCode::Remove(hash) => {
                    out.push_sql(&format!(
                        ", s{i} AS (DELETE FROM spent_codes WHERE link_id = "
                    ));
                    out.push_bind_param::<Text, _>(plan.link_id)?;
                    out.push_sql(" AND code_hash = ");
                    out.push_bind_param::<Binary, _>(hash)?;
                    out.push_sql(" AND EXISTS (SELECT 1 FROM u))");
                }
            }
        }

        if let Some(pin) = &self.pin {
            // The same rule as `customers::pin_wise_user`: only a customer not yet pinned.
            out.push_sql(", p AS (UPDATE customers SET wise_user_id = ");
            out.push_bind_param::<BigInt, _>(&pin.wise_user_id)?;
            out.push_sql(" WHERE id = ");
            out.push_bind_param::<BigInt, _>(&pin.customer_id)?;
            out.push_sql(" AND wise_user_id IS NULL AND EXISTS (SELECT 1 FROM u))");
        }
        out.push_sql(" SELECT u.*, t.*, r.* FROM u");
        out.push_sql(match self.tokens {
            Some(_) => " CROSS JOIN t",
            None => " JOIN link_tokens t ON t.link_id = u.id",
        });
        out.push_sql(match self.review {
            Some(_) => " CROSS JOIN r",
            None => " JOIN link_reviews r ON r.link_id = u.id",
        });
        Ok(())
    }
}

/// `, <name> AS (UPDATE <table> SET <changes> WHERE link_id = <id> AND EXISTS (SELECT 1 FROM u)
/// RETURNING ` — the caller writes the returned columns and the closing parenthesis.
fn side_update<'b>(
    out: &mut AstPass<'_, 'b, Pg>,
    name: &str,
    table: &str,
    changes: &'b impl QueryFragment<Pg>,
    link_id: &'b LinkId,
) -> QueryResult<()> {
    out.push_sql(&format!(", {name} AS (UPDATE {table} SET "));
    changes.walk_ast(out.reborrow())?;
    out.push_sql(" WHERE link_id = ");
    out.push_bind_param::<Text, _>(link_id)?;
    out.push_sql(" AND EXISTS (SELECT 1 FROM u) RETURNING ");
    Ok(())
}

/// A new link, its (empty) token upkeep and review rows, and its first event row in one statement.
pub(super) fn insert<V>(conn: &mut PgConnection, row: V, event: &NewEvent<'_>) -> QueryResult<usize>
where
    V: Insertable<links::table>,
    diesel::query_builder::InsertStatement<links::table, V::Values>: QueryFragment<Pg>,
{
    Start {
        insert: diesel::insert_into(links::table).values(row),
        event,
    }
    .execute(conn)
}

struct Start<'a, I> {
    insert: I,
    event: &'a NewEvent<'a>,
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
        out.push_sql(" RETURNING id), t AS (INSERT INTO link_tokens (link_id) SELECT id FROM l)");
        out.push_sql(", r AS (INSERT INTO link_reviews (link_id) SELECT id FROM l)");
        out.push_sql(" INSERT INTO link_events (");
        out.push_sql(&COLUMN_LISTS.events);
        out.push_sql(") SELECT ");
        bind_event(&mut out, self.event)?;
        out.push_sql(" FROM l");
        Ok(())
    }
}
