use super::messages::{self, Said};
use super::{CodePage, closed, cross_site, page_locale, unavailable};
use crate::db::links::PageLink;
use crate::domain::AuthorizationCode;
use crate::http::rate_limit::IpLimiter;
use crate::http::same_origin::is_cross_site;
use crate::http::{RequestError, body};
use crate::i18n::Words;
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
        return cross_site(&req, &links);
    }
    let (link, locale) = match links.open_page(&path).await {
        Ok(Some((link, customer))) => (link, page_locale(&req, customer)),
        Ok(None) => return closed(&req, &links),
        Err(e) => return unavailable(&req, &links, &link_errors::problem(&LinkError::Db(e))),
    };
    tracing::Span::current().record("link.id", link.id.as_str());
    // The link's page again, with what was wrong with the post.
    let rejected = |status: StatusCode, error: String| {
        let mut page = CodePage::of(&PageLink::from(&link), &links, locale);
        page.error = Some(error);
        page.respond(status)
    };
    let words = Words::new(locale, links.brand().clone());
    if let Err(retry_after_secs) = limiter.check_request(&req).await {
        let message = words.waiting("error-ip-limited", retry_after_secs);
        let response = rejected(StatusCode::TOO_MANY_REQUESTS, message);
        return with_retry_after(response, Some(retry_after_secs));
    }
    let form = match body::read_form(&req, payload, &state.settings.server).await {
        Ok(bytes) => serde_urlencoded::from_bytes::<Form>(&bytes).ok(),
        Err(
            e @ (RequestError::UnsupportedMediaType
            | RequestError::PayloadTooLarge { .. }
            | RequestError::BodyTimeout { .. }),
        ) => {
            return rejected(e.status_code(), words.t("error-unreadable-form"));
        }
        Err(_) => None,
    };
    let Some(form) = form else {
        return rejected(StatusCode::BAD_REQUEST, words.t("error-unreadable-form"));
    };
    let link_id = link.id.clone();
    if form.action.as_deref() == Some("continue") {
        return match links.continue_to_wise(&link).await {
            Ok(trip) => crate::routes::pages::authorize::to_wise(trip),
            Err(LinkError::WrongState(_)) => {
                CodePage::of(&PageLink::from(&link), &links, locale).respond(StatusCode::OK)
            }
            Err(e) => unavailable(&req, &links, &link_errors::problem(&e)),
        };
    }
    let outcome = match (form.action.as_deref(), form.code) {
        (Some("resend"), _) => links
            .resend(link, ACTOR)
            .await
            .map(|resent| (resent.link, Some("notice-new-code"))),
        (None, Some(code)) => match AuthorizationCode::parse(&code) {
            Ok(code) => links
                .submit_code(link, code, ACTOR)
                .await
                .map(|done| (done.link, None)),
            Err(_) => {
                return rejected(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    words.t("error-not-a-code"),
                );
            }
        },
        _ => {
            return rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                words.t("error-type-the-code"),
            );
        }
    };
    match outcome {
        Ok((link, notice)) => {
            let mut page = CodePage::of(&PageLink::from(&link), &links, locale);
            page.notice = notice.map(|key| page.words.t(key));
            page.respond(StatusCode::OK)
        }
        Err(e) => {
            let problem = link_errors::problem(&e);
            if let LinkError::Db(_) | LinkError::Unexpected(_) = e {
                return unavailable(&req, &links, &problem);
            }
            // The link as it is now, with what went wrong.
            let link = match links.find(&link_id).await {
                Ok(link) => link,
                Err(e) => return unavailable(&req, &links, &link_errors::problem(&e)),
            };
            let mut page = CodePage::of(&PageLink::from(&link), &links, locale);
            let status = match e {
                // The page for the link's state says it all.
                LinkError::WrongState(_) => StatusCode::OK,
                LinkError::Locked => problem.status(),
                _ => {
                    match messages::about(&e, &page.words) {
                        Said::Error(text) => page.error = Some(text),
                        Said::Notice(text) => page.notice = Some(text),
                    }
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
