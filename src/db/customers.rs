use super::schema::customers;
use super::{Db, DbConnection, DbError, is_unique_violation, read};
use crate::domain::{CustomerDetails, CustomerId, CustomerRef, WiseUserId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl;
use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;

/// A customer who has not been erased: every detail is there.
#[derive(Debug, Clone)]
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

/// A customer whose personal data was erased: the row stays, so its links and their audit trail
/// still say what was decided, but nothing that identified the person is left.
#[derive(Debug, Clone)]
pub struct ErasedCustomer {
    pub id: CustomerId,
    pub customer_ref: String,
    pub erased_at: NaiveDateTime,
}

/// A customer as stored: live or erased (a CHECK keeps the row in one of the two shapes).
#[derive(Debug, Clone)]
pub enum Customer {
    Live(CustomerRow),
    Erased(ErasedCustomer),
}

impl Customer {
    /// The partner's reference, which an erasure keeps.
    pub fn customer_ref(&self) -> &str {
        match self {
            Customer::Live(c) => &c.customer_ref,
            Customer::Erased(c) => &c.customer_ref,
        }
    }

    /// The live customer, or the erasure that ended it.
    pub fn live(self) -> Result<CustomerRow, ErasedCustomer> {
        match self {
            Customer::Live(c) => Ok(c),
            Customer::Erased(c) => Err(c),
        }
    }
}

/// The row as the database holds it.
#[derive(Queryable)]
struct Stored {
    id: CustomerId,
    customer_ref: String,
    email: Option<String>,
    date_of_birth: Option<NaiveDate>,
    first_name: Option<String>,
    last_name: Option<String>,
    language: String,
    wise_user_id: Option<WiseUserId>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    erased_at: Option<NaiveDateTime>,
}

impl From<Stored> for Customer {
    fn from(s: Stored) -> Self {
        match (
            s.erased_at,
            s.email,
            s.date_of_birth,
            s.first_name,
            s.last_name,
        ) {
            (None, Some(email), Some(date_of_birth), Some(first_name), Some(last_name)) => {
                Customer::Live(CustomerRow {
                    id: s.id,
                    customer_ref: s.customer_ref,
                    email,
                    date_of_birth,
                    first_name,
                    last_name,
                    language: s.language,
                    wise_user_id: s.wise_user_id,
                    created_at: s.created_at,
                    updated_at: s.updated_at,
                })
            }
            // `customers_erased_holds_nothing` allows no other shape; a row with a detail missing
            // and no erasure is read as erased at its last change rather than half-alive.
            (erased_at, ..) => Customer::Erased(ErasedCustomer {
                id: s.id,
                customer_ref: s.customer_ref,
                erased_at: erased_at.unwrap_or(s.updated_at),
            }),
        }
    }
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

/// The customer with `customer_ref`: zero or one row, as the column is unique. Without `LIMIT`
/// the statement has no clause that keeps it out of diesel's prepared-statement cache.
fn by_ref(customer_ref: &CustomerRef) -> ByRef<'_> {
    customers::table.filter(customers::customer_ref.eq(customer_ref.as_str()))
}

type ByRef<'a> = dsl::Filter<customers::table, dsl::Eq<customers::customer_ref, &'a str>>;

pub fn find(
    conn: &mut DbConnection,
    customer_ref: &CustomerRef,
) -> Result<Option<Customer>, DbError> {
    Ok(by_ref(customer_ref)
        .load::<Stored>(conn)?
        .pop()
        .map(Customer::from))
}

/// [`find`] as a hot read, off the blocking pool ([`read!`]).
pub async fn read(db: &Db, customer_ref: &CustomerRef) -> Result<Option<Customer>, DbError> {
    let mut rows: Vec<Stored> = read!(db, load, by_ref(customer_ref))?;
    Ok(rows.pop().map(Customer::from))
}

fn by_id(id: CustomerId) -> dsl::Filter<customers::table, dsl::Eq<customers::id, CustomerId>> {
    customers::table.filter(customers::id.eq(id))
}

pub fn find_by_id(conn: &mut DbConnection, id: CustomerId) -> Result<Option<Customer>, DbError> {
    Ok(by_id(id).load::<Stored>(conn)?.pop().map(Customer::from))
}

/// [`find_by_id`] as a hot read ([`read!`]).
pub async fn read_by_id(db: &Db, id: CustomerId) -> Result<Option<Customer>, DbError> {
    let mut rows: Vec<Stored> = read!(db, load, by_id(id))?;
    Ok(rows.pop().map(Customer::from))
}

/// Creates the customer or replaces its details, atomically; an erased customer stays erased
/// (`customers_erased_holds_nothing` refuses the write, whichever request came first).
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
) -> Result<Result<(CustomerRow, Upserted), ErasedCustomer>, DbError> {
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
    let written = match conn {
        DbConnection::Postgresql(pg) => upsert_pg(pg, &new),
        DbConnection::Sqlite(_) => upsert_sqlite(conn, &new, now),
    };
    match written {
        Ok((Customer::Live(row), outcome)) => Ok(Ok((row, outcome))),
        Ok((Customer::Erased(erased), _)) => Ok(Err(erased)),
        Err(e @ diesel::result::Error::DatabaseError(DatabaseErrorKind::CheckViolation, _)) => {
            match find(conn, customer_ref)?.map(Customer::live) {
                Some(Err(erased)) => Ok(Err(erased)),
                _ => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

fn upsert_sqlite(
    conn: &mut DbConnection,
    new: &NewCustomer<'_>,
    now: NaiveDateTime,
) -> Result<(Customer, Upserted), diesel::result::Error> {
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
                .filter(customers::customer_ref.eq(new.customer_ref))
                .set(&changes)
                .execute(c)?;
            let outcome = if updated == 0 {
                diesel::insert_into(customers::table)
                    .values(new)
                    .execute(c)?;
                Upserted::Created
            } else {
                Upserted::Replaced
            };
            let row = customers::table
                .filter(customers::customer_ref.eq(new.customer_ref))
                .first::<Stored>(c)?;
            Ok::<_, diesel::result::Error>((row.into(), outcome))
        });
        match result {
            Err(e) if attempt == 1 && is_unique_violation(&e) => continue,
            other => return other,
        }
    }
}

fn upsert_pg(
    conn: &mut diesel::PgConnection,
    new: &NewCustomer<'_>,
) -> Result<(Customer, Upserted), diesel::result::Error> {
    use diesel::upsert::excluded;
    // `xmax` is 0 on a row version this statement inserted, and set when it updated one.
    let (row, inserted): (Stored, bool) = diesel::insert_into(customers::table)
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
    Ok((row.into(), outcome))
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
