use crate::http::{FieldError, Problem};
use crate::routes::api::{customers, links};
use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

/// The OpenAPI description of the public API, served at `/openapi.json` and browsable at `/docs/`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "wiselink",
        description = "Links a partner's customers to their Wise accounts. Errors are RFC 9457 problem documents with a stable `code`."
    ),
    paths(
        customers::put::put_customer,
        customers::get::get_customer,
        links::start_link,
        links::list_links,
        links::unlink,
        links::get_link,
        links::submit_code,
        links::resend,
        links::access_token,
        links::list_events,
        super::health::healthz,
        super::health::readyz,
        super::metrics::metrics,
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&ApiKeyScheme),
    tags(
        (name = "customers", description = "The partner's customers"),
        (name = "links", description = "Linking customers to their Wise accounts"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "link_session",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()))
        .route(
            "/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header(("Location", "/docs/"))
                    .finish()
            }),
        );
}
