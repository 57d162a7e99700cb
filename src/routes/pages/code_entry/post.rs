use super::messages::{self, NEW_CODE_SENT, NOT_A_CODE, TYPE_THE_CODE, UNREADABLE_FORM};
use super::{CodePage, closed, cross_site, unavailable};
use crate::domain::AuthorizationCode;
use crate::http::rate_limit::IpLimiter;
use crate::http::same_origin::is_cross_site;
use crate::http::{RequestError, body};
use crate::routes::link_errors;
use crate::services::links::{LinkError, LinkService};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;

const ACTOR: &str = "customer";

/// The form fields: `code`, or `action=resend`.
#[derive(Deserialize)]
struct Form {
    code: Option<String>,
    action: Option<String>,
}

#[tracing::instrument(name = "code_page_submit", skip_all, fields(link.id = tracing::field::Empty))]
pub async fn submit(
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    links: web::Data<LinkService>,
    limiter: web::Data<IpLimiter>,
) -> HttpResponse {
    if is_cross_site(&req, &state.settings.server.public_url) {
        return cross_site();
    }
    let link = match links.open_session(&path).await {
        Ok(Some(link)) => link,
        Ok(None) => return closed(),
        Err(e) => return unavailable(&link_errors::problem(&LinkError::Db(e))),
    };
    tracing::Span::current().record("link.id", link.id.as_str());
    let rejected = |status: StatusCode, message: &str| {
        let mut page = CodePage::of(&link, &links);
        page.error = Some(message.to_owned());
        page.respond(status)
    };
    if let Err(retry_after_secs) = limiter.check_request(&req) {
        let message = messages::ip_limited(retry_after_secs);
        let response = rejected(StatusCode::TOO_MANY_REQUESTS, &message);
        return with_retry_after(response, Some(retry_after_secs));
    }
    let form = match body::read_form(&req, payload, &state.settings.server).await {
        Ok(bytes) => serde_urlencoded::from_bytes::<Form>(&bytes).ok(),
        Err(
            e @ (RequestError::UnsupportedMediaType
            | RequestError::PayloadTooLarge { .. }
            | RequestError::BodyTimeout { .. }),
        ) => {
            return rejected(e.status_code(), UNREADABLE_FORM);
        }
        Err(_) => None,
    };
    let Some(form) = form else {
        return rejected(StatusCode::BAD_REQUEST, UNREADABLE_FORM);
    };
    let link_id = link.id.clone();
    if form.action.as_deref() == Some("continue") {
        return match links.continue_to_wise(&link).await {
            Ok(trip) => crate::routes::pages::authorize::to_wise(trip),
            Err(LinkError::WrongState(_)) => CodePage::of(&link, &links).respond(StatusCode::OK),
            Err(e) => unavailable(&link_errors::problem(&e)),
        };
    }
    let outcome = match (form.action.as_deref(), form.code) {
        (Some("resend"), _) => links
            .resend(link, ACTOR)
            .await
            .map(|resent| (resent.link, Some(NEW_CODE_SENT))),
        (None, Some(code)) => match AuthorizationCode::parse(&code) {
            Ok(code) => links
                .submit_code(link, code, ACTOR)
                .await
                .map(|done| (done.link, None)),
            Err(_) => return rejected(StatusCode::UNPROCESSABLE_ENTITY, NOT_A_CODE),
        },
        _ => return rejected(StatusCode::UNPROCESSABLE_ENTITY, TYPE_THE_CODE),
    };
    match outcome {
        Ok((link, notice)) => {
            let mut page = CodePage::of(&link, &links);
            page.notice = notice.map(str::to_owned);
            page.respond(StatusCode::OK)
        }
        Err(e) => {
            let problem = link_errors::problem(&e);
            if let LinkError::Db(_) | LinkError::Unexpected(_) = e {
                return unavailable(&problem);
            }
            // The link as it is now, with what went wrong.
            let link = match links.find(&link_id).await {
                Ok(link) => link,
                Err(e) => return unavailable(&link_errors::problem(&e)),
            };
            let mut page = CodePage::of(&link, &links);
            let status = match e {
                // The page for the link's state says it all.
                LinkError::WrongState(_) => StatusCode::OK,
                LinkError::Locked => problem.status(),
                _ => {
                    page.error = Some(messages::error_message(&e));
                    problem.status()
                }
            };
            with_retry_after(page.respond(status), problem.retry_after_secs())
        }
    }
}

fn with_retry_after(mut response: HttpResponse, secs: Option<u64>) -> HttpResponse {
    if let Some(v) = secs.and_then(|s| s.to_string().parse().ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}
