//! Every way a `/v1/links` request can fail, as a problem response.

use crate::http::{FieldError, Problem, RequestError};
use crate::routes::link_errors;
use crate::services::links::LinkError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum LinkApiError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("invalid request")]
    Validation(Vec<FieldError>),
    #[error(transparent)]
    Link(#[from] LinkError),
}

impl ResponseError for LinkApiError {
    fn status_code(&self) -> StatusCode {
        self.problem().status()
    }

    fn error_response(&self) -> HttpResponse {
        self.problem().response()
    }
}

impl LinkApiError {
    fn problem(&self) -> Problem {
        match self {
            Self::Request(e) => e.problem(),
            Self::Validation(errors) => Problem::validation(errors.clone()),
            Self::Link(e) => link_errors::problem(e),
        }
    }
}
