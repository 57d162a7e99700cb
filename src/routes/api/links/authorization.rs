use super::{LinkView, load};
use crate::http::Problem;
use crate::http::RequestError;
use crate::http::fields::{ObjectReader, read_body};
use crate::routes::api::auth::LinkCaller;
use crate::routes::api::write::Write;
use crate::services::links::{LinkService, Returned};
use actix_web::{HttpResponse, web};
use utoipa::ToSchema;

/// The body of `POST /v1/links/{link_id}/authorization`: what Wise's page sent to the app's own
/// `redirect_uri`.
#[derive(ToSchema)]
pub struct AuthorizationInput {
    /// `code` from the redirect.
    #[schema(example = "G2s8EJ", max_length = 64)]
    code: String,
    /// `state` from the redirect, unchanged.
    #[schema(max_length = 128)]
    state: String,
    /// `profileId` from the redirect (informational: the profile is read from Wise's API).
    #[schema(example = "30000000", max_length = 32)]
    // Checked for its length, then not used: the profile comes from Wise, not from the caller.
    #[allow(dead_code)]
    profile_id: Option<String>,
}

impl AuthorizationInput {
    fn read(reader: &mut ObjectReader) -> Option<Self> {
        let text = |max: usize| {
            move |v: &str| {
                if v.is_empty() || v.len() > max {
                    Err(crate::domain::Invalid::new(
                        "invalid_length",
                        format!("must be 1 to {max} characters"),
                    ))
                } else {
                    Ok(v.to_owned())
                }
            }
        };
        let code = reader.required("code", text(64));
        let state = reader.required("state", text(128));
        let profile_id = reader.optional("profile_id", text(32));
        Some(Self {
            code: code?,
            state: state?,
            profile_id: profile_id?,
        })
    }
}

/// Forward what Wise's authorization page returned to a native app.
///
/// When the configured `redirect_uri` is the app's own URL (Wise's guide: a deep link returns the
/// customer to the app), the app sends the `code` and `state` it received. The state must be one
/// wiselink issued for this link, unused and under 10 minutes old, and not bound to a browser;
/// otherwise nothing is sent to Wise. Then the code is exchanged exactly once and the identity
/// checked, as in the email flow.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/authorization",
    tag = "links",
    params(
        ("link_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer"),
    ),
    request_body(content = AuthorizationInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Code exchanged; the link's new state", body = LinkView),
        (status = 400, description = "State missing, unknown, another link's or another browser's (`state_missing`, `state_unknown`, `state_foreign`, `state_other_browser`), or no code"),
        (status = 409, description = "State already used (`state_used`), or the link is not awaiting authorization"),
        (status = 410, description = "State expired (`state_expired`) or the link's window closed"),
        (status = 422, description = "Malformed body, or Wise refused the code"),
        (status = 429, description = "Too many submissions from the caller's IP"),
        (status = 502, description = "Wise did not answer the exchange; start again"),
    ),
    security(("api_key" = []), ("link_session" = []))
)]
#[tracing::instrument(name = "native_authorization", skip_all, fields(link.id = %path))]
pub async fn authorization(
    write: Write<LinkCaller>,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, RequestError> {
    write
        .run(authorize(&links, &write.caller, &path, write.body()))
        .await
}

async fn authorize(
    links: &LinkService,
    caller: &LinkCaller,
    path: &str,
    body: &[u8],
) -> Result<HttpResponse, Problem> {
    let input = read_body(body, AuthorizationInput::read)?;
    let link = load(links, caller, path).await?;
    let returned = Returned {
        state: Some(input.state),
        code: Some(input.code),
        error: None,
    };
    let outcome = links.authorize_native(&link.id, returned).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(LinkView::new(&outcome, links.policy())))
}
