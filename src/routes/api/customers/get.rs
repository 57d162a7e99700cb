use super::CustomerView;
use crate::db::DbError;
use crate::domain::CustomerRef;
use crate::http::{FieldError, Problem, RequestError};
use crate::routes::api::auth::ApiKeyAuth;
use crate::services::customers;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};

#[derive(Debug, thiserror::Error)]
pub enum GetCustomerError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("invalid customer_ref")]
    InvalidRef(FieldError),
    #[error("customer not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ResponseError for GetCustomerError {
    fn status_code(&self) -> StatusCode {
        self.problem().status()
    }

    fn error_response(&self) -> HttpResponse {
        self.problem().response()
    }
}

impl GetCustomerError {
    fn problem(&self) -> Problem {
        match self {
            Self::Request(e) => e.problem(),
            Self::InvalidRef(e) => Problem::validation(vec![e.clone()]),
            Self::NotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "customer_not_found",
                "Customer not found",
            )
            .detail("No customer has this customer_ref."),
            Self::Db(e) => Problem::database(e),
        }
    }
}

/// Read a customer.
#[utoipa::path(
    get,
    path = "/v1/customers/{customer_ref}",
    tag = "customers",
    params(("customer_ref" = String, Path, description = "The partner's id for the customer")),
    responses(
        (status = 200, description = "The customer", body = CustomerView),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed customer_ref", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "get_customer", skip_all)]
pub async fn get_customer(
    _auth: ApiKeyAuth,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GetCustomerError> {
    let customer_ref = CustomerRef::parse(&path).map_err(|e| {
        GetCustomerError::InvalidRef(FieldError {
            field: "customer_ref".into(),
            code: e.code.into(),
            message: e.message,
        })
    })?;
    let row = customers::find(&state.db, customer_ref)
        .await?
        .ok_or(GetCustomerError::NotFound)?;
    Ok(HttpResponse::Ok().json(CustomerView::from(row)))
}
