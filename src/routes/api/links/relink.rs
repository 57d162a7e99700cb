use super::LinkView;
use super::start::{chosen_flow, read_flow, started_view};
use crate::domain::LinkFlow;
use crate::http::Problem;
use crate::http::RequestError;
use crate::http::fields::{ObjectReader, read_body};
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::write::Write;
use crate::services::links::LinkService;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use utoipa::ToSchema;

/// The body of `POST /v1/links/{link_id}/relink` (may be empty: `{}` re-links by email code).
#[derive(ToSchema)]
pub struct RelinkInput {
    /// `email_code` (the default) or `redirect`.
    #[schema(value_type = Option<String>, pattern = "^(email_code|redirect)$")]
    flow: Option<LinkFlow>,
    /// Redirect flow: one of the configured `links.return_urls`.
    #[schema(max_length = 2048)]
    return_url: Option<String>,
}

impl RelinkInput {
    fn read(reader: &mut ObjectReader, allowed: &[String]) -> Option<Self> {
        let (flow, return_url) = read_flow(reader, allowed);
        Some(Self {
            flow: flow?,
            return_url: return_url?,
        })
    }
}

/// Re-link in place (partner API key only).
///
/// A link in `relink_required` (Wise revoked access, or its tokens were lost) or `unlinked` starts
/// again with either flow, as a new link would — new signup, new code window or authorization
/// URL, new `link_session_token` — but keeps its id and its audit trail. The Wise account must be
/// the one the customer was linked to before; another one goes to staff review
/// (`different_wise_user`). 409 `link_exists` when the customer has another live link.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/relink",
    tag = "links",
    params(
        ("link_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer"),
    ),
    request_body(content = RelinkInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Started again: `awaiting_code`, `awaiting_authorization` (with `next_action.url`) or `active`", body = LinkView),
        (status = 409, description = "Not in `relink_required` or `unlinked`, or the customer has another live link"),
        (status = 410, description = "The customer was erased (`customer_erased`)"),
        (status = 422, description = "Invalid body, or Wise refused the details"),
        (status = 503, description = "Wise unavailable; the link stays `pending` and is resumed"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "relink", skip_all, fields(link.id = %path))]
pub async fn relink(
    write: Write<ApiKeyAuth>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, RequestError> {
    let allowed = &state.settings.links.return_urls;
    let actor = write.caller.actor();
    write
        .run(relink_link(&links, allowed, &path, write.body(), &actor))
        .await
}

async fn relink_link(
    links: &LinkService,
    allowed: &[String],
    path: &str,
    body: &[u8],
    actor: &str,
) -> Result<HttpResponse, Problem> {
    let input = read_body(body, |reader| RelinkInput::read(reader, allowed))?;
    let flow = chosen_flow(input.flow, input.return_url);
    let link = links.find(&super::link_id(path)?).await?;
    let started = links.relink(link, flow, actor).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(started_view(links, started)))
}
