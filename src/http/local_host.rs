//! Routes that exist only on a developer's machine (the dev mailbox, the demo's start page)
//! answer only requests that name this machine in `Host`: a loopback name or address, or the
//! host of `server.public_url`. A page on another name that a DNS server re-points at 127.0.0.1
//! (DNS rebinding) is same-origin with itself, not with wiselink, and its requests carry its own
//! name — so they are not answered.

use crate::local_names::names_this_machine;
use actix_web::dev::RequestHead;
use actix_web::guard::{self, Guard};

/// A guard admitting requests from a loopback peer whose `Host` names this machine.
pub fn guard(public_url: &str) -> impl Guard + use<> {
    let public_host = url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    guard::fn_guard(move |ctx| admits(ctx.head(), public_host.as_deref()))
}

fn admits(head: &RequestHead, public_host: Option<&str>) -> bool {
    let peer_local = head.peer_addr.is_some_and(|a| a.ip().is_loopback());
    let host = head
        .headers
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| head.uri.host());
    peer_local && host.is_some_and(|h| names_this_machine(h, public_host))
}

#[cfg(test)]
mod tests {
    use super::admits;
    use actix_web::test::TestRequest;

    #[test]
    fn only_clients_on_this_machine_naming_it_are_admitted() {
        let admitted = |addr: &str, host: &str| {
            admits(
                TestRequest::default()
                    .peer_addr(addr.parse().unwrap())
                    .insert_header(("Host", host))
                    .to_http_request()
                    .head(),
                Some("wiselink.test"),
            )
        };
        assert!(admitted("127.0.0.1:40000", "127.0.0.1:8080"));
        assert!(admitted("[::1]:40000", "localhost:8080"));
        assert!(!admitted("10.1.2.3:40000", "127.0.0.1:8080"));
        assert!(
            !admitted("127.0.0.1:40000", "rebind.example:8080"),
            "a loopback peer naming another host is a rebound page"
        );
        let forwarded = TestRequest::default()
            .peer_addr("10.1.2.3:40000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "127.0.0.1"))
            .insert_header(("Host", "localhost"))
            .to_http_request();
        assert!(
            !admits(forwarded.head(), None),
            "a proxy header does not make a client local"
        );
        assert!(!admits(
            TestRequest::default().to_http_request().head(),
            None
        ));
    }
}
