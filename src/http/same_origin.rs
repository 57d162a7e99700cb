//! Refusing cross-site form posts. Every current browser sends `Sec-Fetch-Site` with a form post:
//! only `same-origin` (our own page) and `none` (the user's own doing) are taken. Without it, the
//! `Origin` must be this service's own (`server.public_url`); `Origin: null` is refused, since
//! another site's page can make its posts say that. Our pages send no referrer, which makes a
//! browser post `Origin: null` even from our own page, so `Sec-Fetch-Site` is what lets them
//! through. A client that sends neither header (curl, a server) is not a browser another site can
//! drive, and is served.

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderName, ORIGIN};

const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Whether `req` was sent by a page of another site than `public_url`'s.
pub fn is_cross_site(req: &HttpRequest, public_url: &str) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get(SEC_FETCH_SITE) {
        let site = site.as_bytes();
        return !(site.eq_ignore_ascii_case(b"same-origin") || site.eq_ignore_ascii_case(b"none"));
    }
    match headers.get(ORIGIN).map(|o| o.to_str()) {
        None => false,
        Some(Ok(origin)) => !same_origin(origin, public_url),
        // An Origin that is not even text is nobody's own.
        Some(Err(_)) => true,
    }
}

/// `Origin` (`scheme://host[:port]`, or `null`) against the origin of `public_url`.
fn same_origin(origin: &str, public_url: &str) -> bool {
    let (Ok(theirs), Ok(ours)) = (url::Url::parse(origin), url::Url::parse(public_url)) else {
        return false;
    };
    theirs.origin() == ours.origin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    const OURS: &str = "https://link.example.com";

    fn request(headers: &[(&str, &str)]) -> HttpRequest {
        let mut r = TestRequest::post();
        for (k, v) in headers {
            r = r.insert_header((*k, *v));
        }
        r.to_http_request()
    }

    #[test]
    fn only_our_own_pages_may_post() {
        let table: &[(&[(&str, &str)], bool)] = &[
            (&[], false),
            (&[("Origin", "https://link.example.com")], false),
            (&[("Origin", "https://link.example.com:443")], false),
            (
                &[("Sec-Fetch-Site", "same-origin"), ("Origin", OURS)],
                false,
            ),
            (&[("Sec-Fetch-Site", "none")], false),
            (&[("Sec-Fetch-Site", "cross-site")], true),
            (&[("Sec-Fetch-Site", "cross-site"), ("Origin", OURS)], true),
            (&[("Origin", "https://evil.example")], true),
            (&[("Origin", "http://link.example.com")], true),
            (&[("Origin", "https://link.example.com:8443")], true),
            (&[("Origin", "null")], true),
        ];
        for (headers, cross) in table {
            assert_eq!(
                is_cross_site(&request(headers), OURS),
                *cross,
                "{headers:?}"
            );
        }
    }
}
