use super::{LinkView, load};
use crate::domain::AuthorizationCode;
use crate::http::Problem;
use crate::http::RequestError;
use crate::http::fields::{ObjectReader, read_body};
use crate::routes::api::auth::LinkCaller;
use crate::routes::api::write::Write;
use crate::services::links::LinkService;
use actix_web::{HttpResponse, web};
use utoipa::ToSchema;

/// The body of `POST /v1/links/{link_id}/code`.
#[derive(ToSchema)]
pub struct CodeInput {
    /// The code from Wise's email. Spaces and dashes are ignored; case matters.
    #[schema(value_type = String, example = "G2s8EJ", pattern = r"^[ \t-]*([A-Za-z0-9][ \t-]*){4,64}$")]
    code: AuthorizationCode,
}

impl CodeInput {
    fn read(reader: &mut ObjectReader) -> Option<Self> {
        let code = reader.required("code", AuthorizationCode::parse);
        Some(Self { code: code? })
    }
}

/// Submit the code the customer received from Wise.
///
/// The code is exchanged with Wise exactly once. The answer is the link: `active` when the Wise
/// profile's date of birth and email match, `needs_review` when support staff must decide,
/// `rejected` when the Wise account has no profile.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/code",
    tag = "links",
    params(
        ("link_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer (1–255 visible ASCII characters; scoped to the API key, or to the link for a session token)"),
    ),
    request_body(content = CodeInput, content_type = "application/json"),
    responses(
        (status = 400, description = "Malformed Idempotency-Key (`invalid_idempotency_key`)"),
        (status = 200, description = "Code exchanged; the link's new state", body = LinkView),
        (status = 409, description = "Not awaiting a code (`invalid_state`), another submission is in progress (`link_busy`), or another customer's link with the same email is exchanging its code or being verified (`wise_user_busy`, retry). A code whose email's Wise user is already linked to another customer is not exchanged: the answer is 200 with the link in `needs_review` (`review_reason: wise_user_linked_elsewhere`)"),
        (status = 410, description = "The code window has closed"),
        (status = 422, description = "Malformed code, wrong code (`invalid_code` with `attempts_remaining`) or a code already used"),
        (status = 429, description = "`locked` after too many wrong codes, `customer_rate_limited` (too many wrong codes for the customer in 24 h) or `rate_limited` (too many submissions from the caller's IP); the last two carry Retry-After"),
        (status = 502, description = "Wise did not answer the exchange; a new code is needed"),
    ),
    security(("api_key" = []), ("link_session" = []))
)]
#[tracing::instrument(name = "submit_code", skip_all, fields(link.id = %path))]
pub async fn submit_code(
    write: Write<LinkCaller>,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, RequestError> {
    write
        .run(take_code(&links, &write.caller, &path, write.body()))
        .await
}

async fn take_code(
    links: &LinkService,
    caller: &LinkCaller,
    path: &str,
    body: &[u8],
) -> Result<HttpResponse, Problem> {
    let input = read_body(body, CodeInput::read)?;
    let link = load(links, caller, path).await?;
    let outcome = links.submit_code(link, input.code, &caller.actor()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(LinkView::new(&outcome, links.policy())))
}
