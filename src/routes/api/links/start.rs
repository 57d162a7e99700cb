use super::LinkView;
use crate::domain::{CustomerRef, Invalid, LinkFlow};
use crate::http::Problem;
use crate::http::RequestError;
use crate::http::fields::{ObjectReader, read_body};
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::write::Write;
use crate::services::links::{Flow, LinkService, Started};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret;
use utoipa::ToSchema;

/// The body of `POST /v1/links`.
#[derive(ToSchema)]
pub struct StartInput {
    #[schema(
        value_type = String,
        example = "cust-1042",
        pattern = r"^[A-Za-z0-9._:-]{1,64}$",
        max_length = 64
    )]
    customer_ref: CustomerRef,
    /// `email_code` (the default) or `redirect` (Wise's authorization page; Wise's preferred
    /// flow).
    #[schema(value_type = Option<String>, pattern = "^(email_code|redirect)$")]
    flow: Option<LinkFlow>,
    /// Redirect flow: where the customer's browser goes after Wise's page. Must equal one of
    /// the configured `links.return_urls`; without it, wiselink's own result page is shown.
    #[schema(example = "https://bank.example/wise/linked", max_length = 2048)]
    return_url: Option<String>,
}

impl StartInput {
    fn read(reader: &mut ObjectReader, allowed: &[String]) -> Option<Self> {
        let customer_ref = reader.required("customer_ref", CustomerRef::parse);
        let (flow, return_url) = read_flow(reader, allowed);
        Some(Self {
            customer_ref: customer_ref?,
            flow: flow?,
            return_url: return_url?,
        })
    }
}

/// Start linking a customer to Wise.
///
/// wiselink asks Wise to create a user for the customer's email. If the email already has a Wise
/// account, Wise emails the customer a code: the link is `awaiting_code`, `next_action` says to
/// enter the code, and `link_session_token` lets an app read the link and submit the code. If Wise
/// created a new user, the link is `active` at once (`origin: created`).
#[utoipa::path(
    post,
    path = "/v1/links",
    tag = "links",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer; after a 503, the retry resumes the pending link (1–255 visible ASCII characters)")),
    request_body(content = StartInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Link started", body = LinkView),
        (status = 404, description = "No such customer"),
        (status = 409, description = "The customer already has a live link"),
        (status = 410, description = "The customer was erased (`customer_erased`)"),
        (status = 422, description = "Invalid body, or Wise refused the details"),
        (status = 503, description = "Wise unavailable; retry with the same Idempotency-Key"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "start_link", skip_all)]
pub async fn start_link(
    write: Write<ApiKeyAuth>,
    state: web::Data<AppState>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, RequestError> {
    let allowed = &state.settings.links.return_urls;
    let actor = write.caller.actor();
    write
        .run(start(&links, allowed, write.body(), &actor))
        .await
}

async fn start(
    links: &LinkService,
    allowed: &[String],
    body: &[u8],
    actor: &str,
) -> Result<HttpResponse, Problem> {
    let input = read_body(body, |reader| StartInput::read(reader, allowed))?;
    let flow = chosen_flow(input.flow, input.return_url);
    let started = links.start(input.customer_ref, flow, actor).await?;
    let view = started_view(links, started);
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}

/// `flow` and `return_url` of a start or re-link body, each `None` when refused: `return_url`
/// must be an allowed one, and only with the redirect flow.
pub(super) fn read_flow(
    reader: &mut ObjectReader,
    allowed: &[String],
) -> (Option<Option<LinkFlow>>, Option<Option<String>>) {
    let flow = reader.optional("flow", |f| {
        LinkFlow::parse(f)
            .ok_or_else(|| Invalid::new("unknown_flow", "flow must be email_code or redirect"))
    });
    let return_url = reader.optional("return_url", |u| {
        if allowed.iter().any(|a| a == u) {
            Ok(u.to_owned())
        } else {
            Err(Invalid::new(
                "return_url_not_allowed",
                "return_url must be one of the URLs configured in links.return_urls",
            ))
        }
    });
    let redirect = flow.flatten() == Some(LinkFlow::Redirect);
    if return_url.as_ref().is_some_and(Option::is_some) && !redirect {
        reader.refuse(
            "return_url",
            "return_url_without_redirect",
            "return_url needs flow redirect",
        );
        return (flow, None);
    }
    (flow, return_url)
}

/// The flow a start or re-link asked for (the email code when none was named).
pub(super) fn chosen_flow(flow: Option<LinkFlow>, return_url: Option<String>) -> Flow {
    match flow {
        Some(LinkFlow::Redirect) => Flow::Redirect { return_url },
        Some(LinkFlow::EmailCode) | None => Flow::EmailCode,
    }
}

/// The answer to a start or a re-link: the link, with the session token and (redirect flow)
/// Wise's URL, each shown this once.
pub(super) fn started_view(links: &LinkService, started: Started) -> LinkView {
    let mut view = LinkView::new(&started.link, links.policy());
    view.link_session_token = started
        .session_token
        .map(|s| s.token.expose_secret().to_owned());
    if let (Some(trip), Some(next)) = (started.redirect, view.next_action.as_mut()) {
        next.url = Some(trip.url.expose_secret().to_owned());
        next.expires_at = Some(crate::routes::api::customers::timestamp(trip.expires_at));
    }
    view
}
