//! The cookies wiselink sets, built one way: `__Host-` names (only this origin, over HTTPS,
//! for the whole site, never a subdomain's), `Secure`, `HttpOnly`, a stated `SameSite`.

use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

/// The staff session id: strict, for the browser session.
pub const STAFF_SESSION: &str = "__Host-wiselink-staff";

/// A staff sign-in's binding to the browser that started it at the identity provider: lax, so it
/// comes back with the browser from the provider's page.
pub const STAFF_SSO: &str = "__Host-wiselink-staff-sso";

/// The redirect flow's binding of a state to the browser that started it: lax, so it comes back
/// with the customer from Wise's page.
pub const AUTHORIZE: &str = "__Host-wiselink-authorize";

/// A cookie named `name` holding `value`; `max_age` `None` lasts the browser session.
pub fn set(
    name: &'static str,
    value: &str,
    same_site: SameSite,
    max_age: Option<Duration>,
) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, value.to_owned())
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(same_site)
        .finish();
    if let Some(age) = max_age {
        cookie.set_max_age(age);
    }
    cookie
}

/// The cookie that clears `name` from the browser.
pub fn cleared(name: &'static str, same_site: SameSite) -> Cookie<'static> {
    let mut cookie = set(name, "", same_site, None);
    cookie.make_removal();
    cookie
}

/// `response` with `cookie` added. A cookie the header cannot carry is never one of ours (the
/// values are ids and base64url tokens); it is logged and left out.
pub fn with(mut response: HttpResponse, cookie: &Cookie<'_>) -> HttpResponse {
    if let Err(e) = response.add_cookie(cookie) {
        tracing::error!(error = %e, cookie = cookie.name(), "cookie could not be set");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cookie_is_host_only_secure_and_http_only() {
        let c = set(AUTHORIZE, "v", SameSite::Lax, Some(Duration::minutes(30))).to_string();
        assert_eq!(
            c,
            "__Host-wiselink-authorize=v; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=1800"
        );
        let gone = cleared(STAFF_SESSION, SameSite::Strict).to_string();
        assert!(
            gone.starts_with("__Host-wiselink-staff=; HttpOnly; SameSite=Strict; Secure; Path=/"),
            "{gone}"
        );
        assert!(gone.contains("Max-Age=0"), "{gone}");
    }
}
