//! Creating, replacing and reading the partner's customers.

use crate::db::customers::{self, CustomerRow, Upserted};
use crate::db::{self, Db, DbError};
use crate::domain::{CustomerDetails, CustomerRef};

pub async fn upsert(
    db: &Db,
    customer_ref: CustomerRef,
    details: CustomerDetails,
) -> Result<(CustomerRow, Upserted), DbError> {
    db.run(move |conn| customers::upsert(conn, &customer_ref, &details, db::now()))
        .await
}

pub async fn find(db: &Db, customer_ref: CustomerRef) -> Result<Option<CustomerRow>, DbError> {
    db.run(move |conn| customers::find(conn, &customer_ref))
        .await
}
