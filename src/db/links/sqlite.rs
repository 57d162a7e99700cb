//! SQLite: a commit of transitions as one transaction, writing the same rows as the PostgreSQL
//! statement (`pg`).

use super::LinkRow;
use super::row::linked;
use super::transition::{Pin, Plan, SpentCode};
use crate::db::DbConnection;
use crate::db::outbox;
use crate::db::schema::{
    link_events, link_reviews, link_tokens, links, partner_events, spent_codes,
};
use crate::domain::LinkState;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

/// SQLite: the guarded row update first (it takes the database's write lock, so nothing changes
/// between it and the commit), then the side tables. The state is written before tokens are
/// taken away and after new ones are stored, so the triggers that keep every active link with
/// tokens hold after each statement.
pub(super) fn commit(
    c: &mut DbConnection,
    plan: &Plan<'_>,
    pin: Option<Pin>,
    now: NaiveDateTime,
) -> Result<Option<LinkRow>, diesel::result::Error> {
    let (own, tokens, review) = plan.changes.clone().split();
    let state_after_tokens = plan.to == LinkState::Active && !tokens.is_empty();
    let state = (!state_after_tokens).then_some(plan.to.as_str());
    let n = diesel::update(links::table)
        .filter(links::id.eq(plan.link_id))
        .filter(links::state.eq(plan.from.as_str()))
        // `updated_at = guard OR no guard`: one statement text either way.
        .filter(
            links::updated_at
                .nullable()
                .eq(plan.unchanged_since)
                .or(plan.unchanged_since.is_none().into_sql::<Bool>()),
        )
        .filter(diesel::dsl::exists(
            link_tokens::table
                .filter(link_tokens::link_id.eq(plan.link_id))
                .filter(
                    link_tokens::refresh_generation
                        .nullable()
                        .eq(plan.lease_generation)
                        .or(plan.lease_generation.is_none().into_sql::<Bool>()),
                ),
        ))
        .set((
            state.map(|s| links::state.eq(s)),
            links::updated_at.eq(now),
            &own,
        ))
        .execute(c)?;
    if n == 0 {
        return Ok(None);
    }
    if !tokens.is_empty() {
        diesel::update(link_tokens::table.find(plan.link_id))
            .set(&tokens)
            .execute(c)?;
    }
    if !review.is_empty() {
        diesel::update(link_reviews::table.find(plan.link_id))
            .set(&review)
            .execute(c)?;
    }
    if state_after_tokens {
        diesel::update(links::table.find(plan.link_id))
            .set(links::state.eq(plan.to.as_str()))
            .execute(c)?;
    }
    for event in &plan.events {
        diesel::insert_into(link_events::table)
            .values(event)
            .execute(c)?;
    }
    for event in &plan.published {
        diesel::insert_into(partner_events::table)
            .values(event)
            .execute(c)?;
    }
    outbox::enqueue(c, plan.messages.iter().copied(), now)?;
    if plan.releases_reminder {
        outbox::release_reminder(c, plan.link_id.as_str(), now)?;
    }
    for code in &plan.spent_codes {
        match code {
            SpentCode::Add(hash) => diesel::insert_into(spent_codes::table)
                .values((
                    spent_codes::link_id.eq(plan.link_id),
                    spent_codes::code_hash.eq(hash),
                    spent_codes::spent_at.eq(now),
                ))
                .execute(c)?,
            SpentCode::Remove(hash) => diesel::delete(
                spent_codes::table
                    .filter(spent_codes::link_id.eq(plan.link_id))
                    .filter(spent_codes::code_hash.eq(hash)),
            )
            .execute(c)?,
        };
    }
    if let Some(p) = pin {
        crate::db::customers::pin_wise_user(c, p.customer_id, p.wise_user_id)?;
    }
    Ok(linked()
        .filter(links::id.eq(plan.link_id))
        .load::<LinkRow>(c)?
        .pop())
}
