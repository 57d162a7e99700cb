//! Who holds a Wise user: one active link per Wise user, and in the email-code flow one link per
//! signup email (in any case) exchanging, verifying or active — the unique indexes
//! `links_one_active_per_wise_user` and `links_one_exchange_per_signup_email` keep both; these
//! reads find the holder when a transition is refused by them.

use super::LinkRow;
use super::row::linked;
use crate::db::schema::links;
use crate::db::{DbConnection, DbError};
use crate::domain::{LinkFlow, LinkId, LinkState, WiseUserId};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

/// The active link, other than `except`, holding `wise_user_id`.
pub fn active_with_wise_user(
    conn: &mut DbConnection,
    wise_user_id: WiseUserId,
    except: &LinkId,
) -> Result<Option<LinkRow>, DbError> {
    Ok(linked()
        .filter(links::wise_user_id.eq(wise_user_id))
        .filter(links::state.eq(LinkState::Active.as_str()))
        .filter(links::id.ne(except))
        .load::<LinkRow>(conn)?
        .pop())
}

/// The email-code link, other than `except`, exchanging a code for `email`, verifying, or active
/// with it.
pub fn holding_signup_email(
    conn: &mut DbConnection,
    email: &str,
    except: &LinkId,
) -> Result<Option<LinkRow>, DbError> {
    let holding = [
        LinkState::Exchanging,
        LinkState::Verifying,
        LinkState::Active,
    ]
    .map(LinkState::as_str);
    Ok(linked()
        .filter(links::flow.eq(LinkFlow::EmailCode.as_str()))
        .filter(links::state.eq_any(holding))
        .filter(links::id.ne(except))
        .filter(
            sql::<Bool>("lower(links.signup_email) = lower(")
                .bind::<Text, _>(email.to_owned())
                .sql(")"),
        )
        .load::<LinkRow>(conn)?
        .pop())
}
