use super::schema::customers;
use super::{DbConnection, DbError, is_unique_violation};
use crate::domain::{CustomerDetails, CustomerId, CustomerRef, WiseUserId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
pub struct CustomerRow {
    pub id: CustomerId,
    pub customer_ref: String,
    pub email: String,
    pub date_of_birth: NaiveDate,
    pub first_name: String,
    pub last_name: String,
    pub language: String,
    pub wise_user_id: Option<WiseUserId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
// NULL rather than DEFAULT for `None`: one SQL text, so the prepared statement is cached.
#[diesel(table_name = customers, treat_none_as_default_value = false)]
struct NewCustomer<'a> {
    customer_ref: &'a str,
    email: &'a str,
    date_of_birth: NaiveDate,
    first_name: &'a str,
    last_name: &'a str,
    language: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(AsChangeset)]
#[diesel(table_name = customers)]
struct CustomerUpdate<'a> {
    email: &'a str,
    date_of_birth: NaiveDate,
    first_name: &'a str,
    last_name: &'a str,
    language: &'a str,
    updated_at: NaiveDateTime,
}

/// Whether an upsert created the customer or replaced an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Replaced,
}

pub fn find(
    conn: &mut DbConnection,
    customer_ref: &CustomerRef,
) -> Result<Option<CustomerRow>, DbError> {
    // customer_ref is unique, so this is zero or one row; without LIMIT the statement has no
    // clause that keeps diesel's multi-backend layer from caching it prepared.
    Ok(customers::table
        .filter(customers::customer_ref.eq(customer_ref.as_str()))
        .load::<CustomerRow>(conn)?
        .pop())
}

/// Creates the customer or replaces its details, atomically.
///
/// PostgreSQL: one `INSERT … ON CONFLICT DO UPDATE`, which also says whether the row is new.
/// SQLite: a transaction whose update comes first, so that it takes its write lock at once; if two
/// requests create the same new customer together, the loser's insert hits the unique index and it
/// retries as an update.
pub fn upsert(
    conn: &mut DbConnection,
    customer_ref: &CustomerRef,
    details: &CustomerDetails,
    now: NaiveDateTime,
) -> Result<(CustomerRow, Upserted), DbError> {
    let new = NewCustomer {
        customer_ref: customer_ref.as_str(),
        email: details.email.as_str(),
        date_of_birth: details.date_of_birth.date(),
        first_name: details.first_name.as_str(),
        last_name: details.last_name.as_str(),
        language: details.language.as_str(),
        created_at: now,
        updated_at: now,
    };
    if let DbConnection::Postgresql(pg) = conn {
        return Ok(upsert_pg(pg, &new)?);
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = conn.write_transaction(|c| {
            let changes = CustomerUpdate {
                email: new.email,
                date_of_birth: new.date_of_birth,
                first_name: new.first_name,
                last_name: new.last_name,
                language: new.language,
                updated_at: now,
            };
            let updated = diesel::update(customers::table)
                .filter(customers::customer_ref.eq(customer_ref.as_str()))
                .set(&changes)
                .execute(c)?;
            let outcome = if updated == 0 {
                diesel::insert_into(customers::table)
                    .values(&new)
                    .execute(c)?;
                Upserted::Created
            } else {
                Upserted::Replaced
            };
            let row = customers::table
                .filter(customers::customer_ref.eq(customer_ref.as_str()))
                .first::<CustomerRow>(c)?;
            Ok::<_, diesel::result::Error>((row, outcome))
        });
        match result {
            Err(e) if attempt == 1 && is_unique_violation(&e) => continue,
            other => return Ok(other?),
        }
    }
}

fn upsert_pg(
    conn: &mut diesel::PgConnection,
    new: &NewCustomer<'_>,
) -> Result<(CustomerRow, Upserted), diesel::result::Error> {
    use diesel::upsert::excluded;
    // `xmax` is 0 on a row version this statement inserted, and set when it updated one.
    let (row, inserted): (CustomerRow, bool) = diesel::insert_into(customers::table)
        .values(new)
        .on_conflict(customers::customer_ref)
        .do_update()
        .set((
            customers::email.eq(excluded(customers::email)),
            customers::date_of_birth.eq(excluded(customers::date_of_birth)),
            customers::first_name.eq(excluded(customers::first_name)),
            customers::last_name.eq(excluded(customers::last_name)),
            customers::language.eq(excluded(customers::language)),
            customers::updated_at.eq(excluded(customers::updated_at)),
        ))
        .returning((
            customers::all_columns,
            diesel::dsl::sql::<diesel::sql_types::Bool>("xmax = 0"),
        ))
        .get_result(conn)?;
    let outcome = if inserted {
        Upserted::Created
    } else {
        Upserted::Replaced
    };
    Ok((row, outcome))
}

pub fn find_by_id(conn: &mut DbConnection, id: CustomerId) -> Result<Option<CustomerRow>, DbError> {
    Ok(customers::table
        .filter(customers::id.eq(id))
        .load::<CustomerRow>(conn)?
        .pop())
}

/// Records the Wise user of the customer's first verified link, unless one is already pinned.
/// Runs inside the transaction of the link's transition (the PostgreSQL path writes the same
/// update as part of its single statement).
pub fn pin_wise_user(
    conn: &mut DbConnection,
    id: CustomerId,
    wise_user_id: WiseUserId,
) -> Result<(), diesel::result::Error> {
    diesel::update(customers::table)
        .filter(customers::id.eq(id))
        .filter(customers::wise_user_id.is_null())
        .set(customers::wise_user_id.eq(wise_user_id))
        .execute(conn)?;
    Ok(())
}
