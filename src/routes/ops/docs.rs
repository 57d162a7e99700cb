use crate::domain::{LinkState, PartnerEventType};
use crate::http::{FieldError, Problem};
use crate::routes::api::{customers, links, webhooks};
use actix_web::{HttpResponse, web};
use utoipa::openapi::RefOr;
use utoipa::openapi::content::{Content, ContentBuilder};
use utoipa::openapi::path::{Operation, Parameter};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Ref, Schema, Type};
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
        customers::delete::erase_customer,
        links::start_link,
        links::list_links,
        links::import_links,
        links::unlink,
        links::get_link,
        links::submit_code,
        links::authorization,
        links::authorization_url,
        links::resend,
        links::relink,
        links::claim,
        links::approve,
        links::reject,
        links::access_token,
        links::list_events,
        webhooks::create_endpoint,
        webhooks::list_endpoints,
        webhooks::get_endpoint,
        webhooks::update_endpoint,
        webhooks::delete_endpoint,
        webhooks::rotate_secret,
        webhooks::resend,
        webhooks::list_deliveries,
        webhooks::event_feed,
        crate::routes::api::stats::get_stats,
        crate::routes::api::test_triggers::pull_trigger,
        crate::routes::wise::receive,
        super::health::healthz,
        super::health::readyz,
        super::metrics::metrics,
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&ApiKeyScheme, &CommonAnswers, &WebhookEvents),
    tags(
        (name = "customers", description = "The partner's customers"),
        (name = "links", description = "Linking customers to their Wise accounts"),
        (name = "review", description = "Deciding links the identity check could not vouch for (the staff screen's decisions, for a partner's own back office)"),
        (name = "webhooks", description = "Events pushed to the partner's endpoints (signed per the Standard Webhooks specification; every event type is under `webhooks` in this document), the delivery log, and the same events as a pull feed"),
        (name = "wise", description = "Where Wise delivers its account events (users#state-change, profiles#verification-state-change); authenticated by Wise's signature, not an API key"),
        (name = "insights", description = "The linking funnel: links started, the steps they reached and where they dropped out, per day or week, by flow and language; time to active; refresh health; the review queue"),
        (name = "test mode", description = "Triggers a partner's CI pulls with a test API key (`wl_test_…`) against wiselink on the simulator, to make each unhappy path happen on demand; a live key gets 404"),
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

/// What every route enforces, written into each operation once instead of by hand in each:
/// every error response's problem body, the answers the shared extractors give (401, 404, 400 for bodies and `Idempotency-Key`, 408,
/// 409 and 422 for `Idempotency-Key`, 413, 415) and the constraints on shared parameters.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(p) = parameter {
                        constrain(p);
                    }
                }
                let has = |op: &Operation, name: &str| {
                    op.parameters.iter().flatten().any(|p| match p {
                        RefOr::T(p) => p.name == name,
                        RefOr::Ref(_) => false,
                    })
                };
                let keyed = has(operation, "Idempotency-Key");
                let body = operation.request_body.is_some();
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let answers = [
                    (
                        secured,
                        "401",
                        "Missing or invalid credentials (`missing_credentials`, `invalid_credentials`)",
                    ),
                    (
                        path.contains('{'),
                        "404",
                        "No such resource (an id that cannot exist is not found either)",
                    ),
                    (
                        body || keyed,
                        "400",
                        "Malformed JSON (`malformed_json`) or Idempotency-Key (`invalid_idempotency_key`)",
                    ),
                    (
                        body,
                        "408",
                        "The body did not arrive within `server.request_read_timeout_secs` (`request_timeout`)",
                    ),
                    (
                        keyed,
                        "409",
                        "A request with this Idempotency-Key is still running (`idempotency_request_in_progress`)",
                    ),
                    (body, "413", "Body too large (`payload_too_large`)"),
                    (body, "415", "Body is not JSON (`unsupported_media_type`)"),
                    (
                        keyed || body,
                        "422",
                        "Invalid fields (`validation_failed`), or the Idempotency-Key was used with another request (`idempotency_key_reused`)",
                    ),
                ];
                for (applies, status, description) in answers {
                    if applies && !operation.responses.responses.contains_key(status) {
                        operation
                            .responses
                            .responses
                            .insert(status.to_owned(), RefOr::T(problem(description)));
                    }
                }
                // Every error is a problem document: a route declares an error's status and
                // description, and the body is added here once.
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && (status.starts_with('4') || status.starts_with('5'))
                        && response.content.is_empty()
                    {
                        response
                            .content
                            .insert(PROBLEM_TYPE.to_owned(), RefOr::T(problem_content()));
                    }
                }
            }
        }
    }
}

/// The `webhooks` section: one entry per event type, the request wiselink sends to an endpoint
/// subscribed to it (the event as `/v1/events` shows it, with the Standard Webhooks headers), and
/// what it expects back.
struct WebhookEvents;

impl Modify for WebhookEvents {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
        use utoipa::openapi::request_body::RequestBodyBuilder;
        use utoipa::openapi::{PathItem, PathsBuilder, Required};
        let header = |name: &str, description: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build()
        };
        let mut paths = PathsBuilder::new();
        for event_type in PartnerEventType::ALL {
            let name = event_type.as_str();
            let body = ObjectBuilder::new()
                .property(
                    "id",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some("The event's id, also in `webhook-id`: the same on every attempt, so a receiver drops repeats")),
                )
                .required("id")
                .property(
                    "type",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some([name])),
                )
                .required("type")
                .property(
                    "created_at",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::DateTime,
                        ))),
                )
                .required("created_at")
                .property("data", Ref::from_schema_name("EventData"))
                .required("data");
            let operation = OperationBuilder::new()
                .summary(Some(event_description(event_type)))
                .description(Some(
                    "Verify the signature before trusting the body: `webhook-signature` holds                      one or more space-separated `v1,<base64 HMAC-SHA256>` of                      `{webhook-id}.{webhook-timestamp}.{body}` under the endpoint's secret                      (two during a secret rotation); the Standard Webhooks libraries do this.                      Answer 2xx within `webhooks.timeout_secs`; anything else is retried on the                      schedule in docs/webhooks.md. A link's events arrive in order.",
                ))
                .tag("webhooks")
                .parameter(header("webhook-id", "The event's id (`evt_…`)"))
                .parameter(header(
                    "webhook-timestamp",
                    "Unix seconds when the attempt was sent; refuse one far from your clock",
                ))
                .parameter(header("webhook-signature", "`v1,<signature>`, space-separated"))
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .content("application/json", ContentBuilder::new().schema(Some(body)).build())
                        .required(Some(Required::True))
                        .build(),
                ))
                .response("200", Response::new("Received (any 2xx ends the delivery)"));
            paths = paths.path(name, PathItem::new(HttpMethod::Post, operation));
        }
        openapi.webhooks = Some(paths.build());
    }
}

/// One line on what an event type means.
fn event_description(t: PartnerEventType) -> &'static str {
    match t {
        PartnerEventType::LinkAwaitingCode => {
            "The link waits for the code Wise emailed the customer"
        }
        PartnerEventType::LinkAwaitingAuthorization => {
            "The link waits for the customer to come back from Wise's page"
        }
        PartnerEventType::LinkActive => "The link is active: access tokens can be had",
        PartnerEventType::LinkNeedsReview => {
            "The identity check could not vouch for the link, or the Wise account's owner said it was not them (`reason`: customer_disputed): support staff decide"
        }
        PartnerEventType::LinkRejected => "Staff rejected the link",
        PartnerEventType::LinkLocked => "Too many wrong codes: the link is locked",
        PartnerEventType::LinkExpired => "The code window passed without a code",
        PartnerEventType::LinkRelinkRequired => "Wise revoked access: the customer must link again",
        PartnerEventType::LinkUnlinked => "The link was unlinked",
        PartnerEventType::ReviewDecided => {
            "Staff decided a link in review (`reason`: staff_approved or staff_rejected)"
        }
        PartnerEventType::ClaimCompleted => {
            "The customer claimed the Wise account the partner created"
        }
        PartnerEventType::RefreshFailing => {
            "Refreshing the link's tokens has failed for a while; the link keeps its tokens"
        }
        PartnerEventType::RefreshRecovered => {
            "A refresh worked again after the link was flagged failing"
        }
        PartnerEventType::ReminderSent => {
            "The customer had not typed the code `links.reminder_after_minutes` after the start, and was sent the one reminder email"
        }
        PartnerEventType::WiseUserChanged => {
            "Wise changed the linked user's state (`reason`: wise_user_withdraw_only, wise_user_reactivated or wise_user_deactivated; a deactivated user's link is unlinked)"
        }
        PartnerEventType::ProfileVerificationChanged => {
            "Wise changed the linked profile's verification (`reason`: profile_verified or profile_unverified)"
        }
    }
}

const PROBLEM_TYPE: &str = crate::http::problem::CONTENT_TYPE;

fn problem_content() -> Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_TYPE, problem_content())
        .build()
}

/// The rules the server applies to a parameter, as schema.
fn constrain(p: &mut Parameter) {
    let text = |min: usize, max: usize, pattern: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(min))
            .max_length(Some(max))
            .pattern(Some(pattern))
            .build()
    };
    let schema = match p.name.as_str() {
        "Idempotency-Key" => text(1, 255, "^[!-~]{1,255}$"),
        "customer_ref" => text(1, 64, "^[A-Za-z0-9._:-]{1,64}$"),
        "endpoint_id" => text(35, 35, "^we_[0-9a-f]{32}$"),
        "event_id" => text(36, 36, "^evt_[0-9a-f]{32}$"),
        "after" => text(1, 18, "^[0-9]{1,18}$"),
        "limit" => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(200))
            .build(),
        "state" => ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(LinkState::ALL.map(LinkState::as_str)))
            .build(),
        _ => return,
    };
    p.schema = Some(RefOr::T(Schema::Object(schema)));
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
