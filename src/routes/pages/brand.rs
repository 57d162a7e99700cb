//! The partner's two brand assets: the logo and the stylesheet carrying its accent colour.

use crate::brand::Brand;
use crate::http::Problem;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

pub async fn logo(brand: web::Data<Brand>) -> HttpResponse {
    match brand.logo() {
        Some((content_type, bytes)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header(("Cache-Control", "public, max-age=3600"))
            // An SVG opened on its own runs nothing and loads nothing.
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'",
            ))
            .body(bytes.clone()),
        None => {
            Problem::new(StatusCode::NOT_FOUND, "not_found", "No logo is configured").response()
        }
    }
}

pub async fn stylesheet(brand: web::Data<Brand>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(brand.css().to_owned())
}
