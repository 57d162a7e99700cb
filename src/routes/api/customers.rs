//! `PUT`, `GET` and `DELETE /v1/customers/{customer_ref}`.

pub mod delete;
pub mod get;
pub mod put;
mod view;

pub use view::timestamp;

pub use put::CustomerInput;
pub use view::CustomerView;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        super::super::resource("/v1/customers/{customer_ref}", "PUT, GET, DELETE")
            .route(web::put().to(put::put_customer))
            .route(web::get().to(get::get_customer))
            .route(web::delete().to(delete::erase_customer)),
    );
}

/// The path's `customer_ref`, or the 422 that names it (boxed: a problem is large).
fn path_ref(raw: &str) -> Result<crate::domain::CustomerRef, Box<crate::http::Problem>> {
    crate::domain::CustomerRef::parse(raw).map_err(|e| {
        Box::new(crate::http::Problem::validation(vec![
            crate::http::FieldError {
                field: "customer_ref".into(),
                code: e.code.into(),
                message: e.message,
            },
        ]))
    })
}
