//! Writing one imported link: the customer (created, or replaced like `PUT /v1/customers`), and a
//! link in `verifying` that holds only the partner's refresh token (sealed) until its proof
//! decides it — all in one transaction, so a crash leaves either nothing or a link the next run
//! (or the recovery worker) proves.

use super::events::NewEvent;
use super::row::linked;
use super::unique_keys::takes_signup_email;
use super::{LinkRow, NewLink};
use crate::audit::SigningKeys;
use crate::db::customers::{self, Customer};
use crate::db::schema::{link_events, link_reviews, link_tokens, links};
use crate::db::{DbConnection, DbError, is_unique_violation};
use crate::domain::{
    CustomerDetails, CustomerRef, IMPORTED, LinkFlow, LinkId, LinkOrigin, LinkState, WiseProfileId,
    WiseUserId,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One row of an import, ready to write: its secrets already sealed for `link_id`.
pub struct NewImport<'a> {
    pub link_id: &'a LinkId,
    pub customer_ref: &'a CustomerRef,
    pub details: &'a CustomerDetails,
    pub signup_email: &'a str,
    pub origin: LinkOrigin,
    pub wise_user_id: WiseUserId,
    pub wise_profile_id: WiseProfileId,
    pub refresh_token: &'a [u8],
    pub registration_code: Option<&'a [u8]>,
    pub attempts_remaining: i32,
    pub actor: &'a str,
}

/// What writing an imported row found.
pub enum Begun {
    /// A new link in `verifying`, for the caller to prove.
    Inserted(LinkRow),
    /// An earlier import of the customer was cut off before its proof ended: its link is still
    /// `verifying`, with the refresh token as that import left it.
    Unfinished(LinkRow),
    /// Nothing to do: the customer's newest link was imported already, or the customer's live
    /// link holds the row's Wise user.
    Unchanged(LinkRow),
    Refused(ImportRefused),
}

/// Why a row was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportRefused {
    CustomerErased,
    /// The customer has a live link with another Wise user (or none yet).
    LinkExists(LinkState),
    /// Another link holds the signup email (exchanging, verifying or active).
    SignupEmailTaken,
}

/// Writes `row` unless the customer's links say it is there already (or cannot be). One
/// transaction; two imports of one customer at once leave one link (the live-link index decides).
pub fn begin(
    conn: &mut DbConnection,
    row: &NewImport<'_>,
    keys: &SigningKeys,
    now: NaiveDateTime,
) -> Result<Begun, DbError> {
    let written = conn.write_transaction(|conn| -> Result<Begun, DbError> {
        let customer = match customers::find(conn, row.customer_ref)? {
            Some(Customer::Erased(_)) => return Ok(Begun::Refused(ImportRefused::CustomerErased)),
            Some(Customer::Live(customer)) => {
                if let Some(found) = already_there(conn, customer.id, row.wise_user_id)? {
                    return Ok(found);
                }
                customer
            }
            None => match customers::upsert(conn, row.customer_ref, row.details, now)? {
                Ok((customer, _)) => customer,
                Err(_) => return Ok(Begun::Refused(ImportRefused::CustomerErased)),
            },
        };
        if !same_details(&customer, row.details) {
            // The file is the partner's word on the customer, as a PUT would be.
            if customers::upsert(conn, row.customer_ref, row.details, now)?.is_err() {
                return Ok(Begun::Refused(ImportRefused::CustomerErased));
            }
        }
        insert(conn, row, customer.id, keys, now)?;
        let link = linked()
            .filter(links::id.eq(row.link_id))
            .first::<LinkRow>(conn)?;
        Ok(Begun::Inserted(link))
    });
    // The unique indexes decide, not a search beforehand: a signup email held by another link
    // (whose index a query with bound values cannot use on SQLite), or another import (or start)
    // of the same customer that got there first.
    match written {
        Err(DbError::Query(e)) if takes_signup_email(&e) => {
            Ok(Begun::Refused(ImportRefused::SignupEmailTaken))
        }
        Err(DbError::Query(e)) if is_unique_violation(&e) => Ok(Begun::Refused(
            ImportRefused::LinkExists(LinkState::Verifying),
        )),
        other => other,
    }
}

/// Whether the customer's links already account for the row: the newest one imported (finished
/// or not), or a live one with the row's Wise user. A live link with another Wise user refuses it.
fn already_there(
    conn: &mut DbConnection,
    customer_id: crate::domain::CustomerId,
    wise_user_id: WiseUserId,
) -> Result<Option<Begun>, DbError> {
    let Some(newest) = linked()
        .filter(links::customer_id.eq(customer_id))
        .order((links::created_at.desc(), links::id.desc()))
        .limit(1)
        .load::<LinkRow>(conn)?
        .pop()
    else {
        return Ok(None);
    };
    Ok(if newest.imported_at.is_some() {
        Some(if newest.state == LinkState::Verifying {
            Begun::Unfinished(newest)
        } else {
            Begun::Unchanged(newest)
        })
    } else if newest.state.is_final() {
        None
    } else if newest.wise_user_id == Some(wise_user_id) {
        Some(Begun::Unchanged(newest))
    } else {
        Some(Begun::Refused(ImportRefused::LinkExists(newest.state)))
    })
}

fn insert(
    conn: &mut DbConnection,
    row: &NewImport<'_>,
    customer_id: crate::domain::CustomerId,
    keys: &SigningKeys,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let link = NewLink {
        id: row.link_id,
        customer_id,
        flow: LinkFlow::EmailCode,
        signup_email: row.signup_email,
        registration_code: row.registration_code,
        return_url: None,
        attempts_remaining: row.attempts_remaining,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(links::table)
        .values((
            &link,
            links::state.eq(LinkState::Verifying.as_str()),
            links::state_reason.eq(IMPORTED),
            links::origin.eq(row.origin.as_str()),
            links::wise_user_id.eq(row.wise_user_id.get()),
            links::wise_profile_id.eq(row.wise_profile_id.get()),
            links::imported_at.eq(now),
        ))
        .execute(conn)?;
    diesel::insert_into(link_tokens::table)
        .values((
            link_tokens::link_id.eq(row.link_id),
            link_tokens::refresh_token.eq(row.refresh_token),
        ))
        .execute(conn)?;
    diesel::insert_into(link_reviews::table)
        .values(link_reviews::link_id.eq(row.link_id))
        .execute(conn)?;
    let event = NewEvent::imported(row.link_id, row.actor, now, keys);
    diesel::insert_into(link_events::table)
        .values(&event)
        .execute(conn)?;
    Ok(())
}

fn same_details(customer: &customers::CustomerRow, details: &CustomerDetails) -> bool {
    customer.email == details.email.as_str()
        && customer.date_of_birth == details.date_of_birth.date()
        && customer.first_name == details.first_name.as_str()
        && customer.last_name == details.last_name.as_str()
        && customer.language == details.language.as_str()
}
