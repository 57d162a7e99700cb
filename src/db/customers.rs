use super::schema::customers;
use super::{DbConnection, DbError, is_unique_violation};
use crate::domain::{CustomerDetails, CustomerRef};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
pub struct CustomerRow {
    pub id: i64,
    pub customer_ref: String,
    pub email: String,
    pub date_of_birth: NaiveDate,
    pub first_name: String,
    pub last_name: String,
    pub language: String,
    pub wise_user_id: Option<i64>,
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

/// Creates the customer or replaces its details, in one transaction.
///
/// The update comes first so that an SQLite transaction takes its write lock at once; if two
/// requests create the same new customer together, the loser's insert hits the unique index and it
/// retries as an update.
pub fn upsert(
    conn: &mut DbConnection,
    customer_ref: &CustomerRef,
    details: &CustomerDetails,
    now: NaiveDateTime,
) -> Result<(CustomerRow, Upserted), DbError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = conn.transaction(|c| {
            let changes = CustomerUpdate {
                email: details.email.as_str(),
                date_of_birth: details.date_of_birth.date(),
                first_name: details.first_name.as_str(),
                last_name: details.last_name.as_str(),
                language: details.language.as_str(),
                updated_at: now,
            };
            let updated = diesel::update(customers::table)
                .filter(customers::customer_ref.eq(customer_ref.as_str()))
                .set(&changes)
                .execute(c)?;
            let outcome = if updated == 0 {
                diesel::insert_into(customers::table)
                    .values(NewCustomer {
                        customer_ref: customer_ref.as_str(),
                        email: changes.email,
                        date_of_birth: changes.date_of_birth,
                        first_name: changes.first_name,
                        last_name: changes.last_name,
                        language: changes.language,
                        created_at: now,
                        updated_at: now,
                    })
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

pub fn find_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<CustomerRow>, DbError> {
    Ok(customers::table
        .filter(customers::id.eq(id))
        .load::<CustomerRow>(conn)?
        .pop())
}

/// Records the Wise user of the customer's first verified link, unless one is already pinned.
pub fn pin_wise_user(conn: &mut DbConnection, id: i64, wise_user_id: i64) -> Result<(), DbError> {
    diesel::update(customers::table)
        .filter(customers::id.eq(id))
        .filter(customers::wise_user_id.is_null())
        .set(customers::wise_user_id.eq(wise_user_id))
        .execute(conn)?;
    Ok(())
}
