use super::CustomerView;
use crate::db::customers::Upserted;
use crate::domain::{
    CustomerDetails, CustomerRef, DateOfBirth, EmailAddress, Language, PersonName,
};
use crate::http::fields::ObjectReader;
use crate::http::{FieldError, Problem, RequestError, body};
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::write::Write;
use crate::services::customers::CustomerService;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde_json::{Map, Value};

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
    request_body(content = super::CustomerInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Customer replaced", body = CustomerView),
        (status = 201, description = "Customer created", body = CustomerView),
        (status = 400, description = "Malformed JSON or Idempotency-Key"),
        (status = 401, description = "Missing or invalid API key"),
        (status = 409, description = "A request with this Idempotency-Key is in progress"),
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
    let object = body::parse_object(body)?;
    let (customer_ref, details) =
        parse(raw_ref, object, customers.today()).map_err(Problem::validation)?;
    let (row, outcome) = customers.upsert(customer_ref, details).await?;
    let status = match outcome {
        Upserted::Created => StatusCode::CREATED,
        Upserted::Replaced => StatusCode::OK,
    };
    tracing::info!(customer.id = %row.id, outcome = ?outcome, "customer saved");
    Ok(HttpResponse::build(status).json(CustomerView::from(row)))
}

/// Parses the path and body together so that the client learns of every problem at once.
fn parse(
    raw_ref: &str,
    object: Map<String, Value>,
    today: NaiveDate,
) -> Result<(CustomerRef, CustomerDetails), Vec<FieldError>> {
    let mut reader = ObjectReader::new(object);
    let customer_ref = match CustomerRef::parse(raw_ref) {
        Ok(r) => Some(r),
        Err(e) => {
            reader.refuse("customer_ref", e.code, e.message);
            None
        }
    };
    let email = reader.required("email", EmailAddress::parse);
    let date_of_birth = reader.required("date_of_birth", |s| DateOfBirth::parse(s, today));
    let first_name = reader.required("first_name", PersonName::parse);
    let last_name = reader.required("last_name", PersonName::parse);
    let language = reader.optional("language", Language::parse);
    reader.finish()?;
    match (
        customer_ref,
        email,
        date_of_birth,
        first_name,
        last_name,
        language,
    ) {
        (
            Some(customer_ref),
            Some(email),
            Some(date_of_birth),
            Some(first_name),
            Some(last_name),
            Some(language),
        ) => {
            let details = CustomerDetails {
                email,
                date_of_birth,
                first_name,
                last_name,
                language: language.unwrap_or(Language::DEFAULT),
            };
            Ok((customer_ref, details))
        }
        // Every `None` above recorded an error, so `finish` has already returned them.
        _ => Err(Vec::new()),
    }
}
