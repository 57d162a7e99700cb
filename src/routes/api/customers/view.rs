use crate::db::customers::CustomerRow;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A customer as wiselink holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    #[schema(example = "cust-1042")]
    pub customer_ref: String,
    pub email: String,
    #[schema(format = Date)]
    pub date_of_birth: String,
    pub first_name: String,
    pub last_name: String,
    pub language: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<CustomerRow> for CustomerView {
    fn from(row: CustomerRow) -> Self {
        Self {
            customer_ref: row.customer_ref,
            email: row.email,
            date_of_birth: row.date_of_birth.format("%Y-%m-%d").to_string(),
            first_name: row.first_name,
            last_name: row.last_name,
            language: row.language,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        }
    }
}

/// RFC 3339 in UTC with microseconds, e.g. `2026-11-22T10:30:00.123456Z`.
pub fn timestamp(t: NaiveDateTime) -> String {
    DateTime::<Utc>::from_naive_utc_and_offset(t, Utc).to_rfc3339_opts(SecondsFormat::Micros, true)
}
