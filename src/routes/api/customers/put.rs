use super::CustomerView;
use crate::db::customers::Upserted;
use crate::domain::{
    CustomerDetails, CustomerRef, DateOfBirth, EmailAddress, Language, PersonName,
};
use crate::http::fields::{ObjectReader, read_body};
use crate::http::{Problem, RequestError};
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::write::Write;
use crate::services::customers::CustomerService;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use utoipa::ToSchema;

/// The body of `PUT /v1/customers/{customer_ref}`.
#[derive(ToSchema)]
pub struct CustomerInput {
    /// The customer's email address, as used for their Wise account. At most 254 characters.
    #[schema(value_type = String, example = "ada@example.com")]
    email: EmailAddress,
    /// Calendar date `YYYY-MM-DD`; not in the future, not before 1900-01-01.
    #[schema(value_type = String, example = "1990-04-17", format = Date)]
    date_of_birth: DateOfBirth,
    /// 1–100 characters.
    #[schema(value_type = String, example = "Ada")]
    first_name: PersonName,
    /// 1–100 characters.
    #[schema(value_type = String, example = "Lovelace")]
    last_name: PersonName,
    /// A language Wise supports: EN, US, PT, ES, FR, DE, IT, JA, RU, PL, HU, TR, RO, NL, HK.
    /// Case-insensitive; defaults to EN.
    #[schema(value_type = Option<String>, example = "EN")]
    language: Option<Language>,
}

impl CustomerInput {
    /// Every field, a date of birth judged by `today`.
    fn read(reader: &mut ObjectReader, today: NaiveDate) -> Option<Self> {
        let email = reader.required("email", EmailAddress::parse);
        let date_of_birth = reader.required("date_of_birth", |s| DateOfBirth::parse(s, today));
        let first_name = reader.required("first_name", PersonName::parse);
        let last_name = reader.required("last_name", PersonName::parse);
        let language = reader.optional("language", Language::parse);
        Some(Self {
            email: email?,
            date_of_birth: date_of_birth?,
            first_name: first_name?,
            last_name: last_name?,
            language: language?,
        })
    }

    fn into_details(self) -> CustomerDetails {
        CustomerDetails {
            email: self.email,
            date_of_birth: self.date_of_birth,
            first_name: self.first_name,
            last_name: self.last_name,
            language: self.language.unwrap_or(Language::DEFAULT),
        }
    }
}

/// Create or replace a customer.
///
/// Every field is replaced. Answers 201 when the customer is new and 200 when it existed.
#[utoipa::path(
    put,
    path = "/v1/customers/{customer_ref}",
    tag = "customers",
    params(
        ("customer_ref" = String, Path, description = "The partner's id for the customer: 1–64 of A–Z a–z 0–9 . _ : -"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first response"),
    ),
    request_body(content = CustomerInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Customer replaced", body = CustomerView),
        (status = 201, description = "Customer created", body = CustomerView),
        (status = 400, description = "Malformed JSON or Idempotency-Key"),
        (status = 401, description = "Missing or invalid API key"),
        (status = 409, description = "A request with this Idempotency-Key is in progress"),
        (status = 410, description = "The customer was erased (`customer_erased`); a customer who comes back needs a new customer_ref"),
        (status = 413, description = "Body too large"),
        (status = 415, description = "Body is not JSON"),
        (status = 422, description = "Invalid fields, or Idempotency-Key reused with another body"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "put_customer", skip_all)]
pub async fn put_customer(
    write: Write<ApiKeyAuth>,
    path: web::Path<String>,
    customers: web::Data<CustomerService>,
) -> Result<HttpResponse, RequestError> {
    write.run(upsert(&customers, &path, write.body())).await
}

async fn upsert(
    customers: &CustomerService,
    raw_ref: &str,
    body: &[u8],
) -> Result<HttpResponse, Problem> {
    // The path's customer_ref is refused in the same 422 as the body's fields.
    let (customer_ref, input) = read_body(body, |reader| {
        let customer_ref = match CustomerRef::parse(raw_ref) {
            Ok(r) => Some(r),
            Err(e) => {
                reader.refuse("customer_ref", e.code, e.message);
                None
            }
        };
        let input = CustomerInput::read(reader, customers.today());
        Some((customer_ref?, input?))
    })?;
    let (row, outcome) = customers
        .upsert(customer_ref, input.into_details())
        .await?
        .map_err(|_| crate::routes::link_errors::customer_erased())?;
    let status = match outcome {
        Upserted::Created => StatusCode::CREATED,
        Upserted::Replaced => StatusCode::OK,
    };
    tracing::info!(customer.id = %row.id, outcome = ?outcome, "customer saved");
    Ok(HttpResponse::build(status).json(CustomerView::from(row)))
}
