//! Creating, replacing and reading the partner's customers.

use crate::clock::SharedClock;
use crate::db::customers::{self, Customer, CustomerRow, ErasedCustomer, Upserted};
use crate::db::{Db, DbError};
use crate::domain::{CustomerDetails, CustomerRef};
use chrono::NaiveDate;

/// The partner's customers: the database and the clock their times come from.
pub struct CustomerService {
    db: Db,
    clock: SharedClock,
}

impl CustomerService {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    /// Today's date, by which a date of birth is judged (not in the future, an adult).
    pub fn today(&self) -> NaiveDate {
        self.clock.now_utc().date_naive()
    }

    pub async fn upsert(
        &self,
        customer_ref: CustomerRef,
        details: CustomerDetails,
    ) -> Result<Result<(CustomerRow, Upserted), ErasedCustomer>, DbError> {
        let now = self.clock.now();
        self.db
            .run(move |conn| customers::upsert(conn, &customer_ref, &details, now))
            .await
    }

    pub async fn find(&self, customer_ref: CustomerRef) -> Result<Option<Customer>, DbError> {
        customers::read(&self.db, &customer_ref).await
    }
}
