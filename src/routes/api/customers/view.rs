use crate::db::customers::CustomerRow;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of `PUT /v1/customers/{customer_ref}`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the request shape for OpenAPI; the handler reads the body field by field
pub struct CustomerInput {
    /// The customer's email address, as used for their Wise account. At most 254 characters.
    #[schema(example = "ada@example.com")]
    email: String,
    /// Calendar date `YYYY-MM-DD`; not in the future, not before 1900-01-01.
    #[schema(example = "1990-04-17", format = Date)]
    date_of_birth: String,
    /// 1–100 characters.
    #[schema(example = "Ada")]
    first_name: String,
    /// 1–100 characters.
    #[schema(example = "Lovelace")]
    last_name: String,
    /// A language Wise supports: EN, US, PT, ES, FR, DE, IT, JA, RU, PL, HU, TR, RO, NL, HK.
    /// Case-insensitive; defaults to EN.
    #[schema(example = "EN")]
    language: Option<String>,
}

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
