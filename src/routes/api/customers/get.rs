use super::CustomerView;
use crate::http::Problem;
use crate::routes::api::auth::ApiKeyAuth;
use crate::services::customers::CustomerService;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

/// No customer has the `customer_ref`.
fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "customer_not_found",
        "Customer not found",
    )
    .detail("No customer has this customer_ref.")
}

/// Read a customer.
#[utoipa::path(
    get,
    path = "/v1/customers/{customer_ref}",
    tag = "customers",
    params(("customer_ref" = String, Path, description = "The partner's id for the customer")),
    responses(
        (status = 200, description = "The customer", body = CustomerView),
        (status = 401, description = "Missing or invalid API key"),
        (status = 404, description = "No such customer"),
        (status = 410, description = "The customer was erased (`customer_erased`)"),
        (status = 422, description = "Malformed customer_ref"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "get_customer", skip_all)]
pub async fn get_customer(
    _auth: ApiKeyAuth,
    path: web::Path<String>,
    customers: web::Data<CustomerService>,
) -> Result<HttpResponse, Problem> {
    let customer_ref = super::path_ref(&path).map_err(|p| *p)?;
    let row = customers
        .find(customer_ref)
        .await?
        .ok_or_else(not_found)?
        .live()
        .map_err(|_| crate::routes::link_errors::customer_erased())?;
    Ok(HttpResponse::Ok().json(CustomerView::from(row)))
}
