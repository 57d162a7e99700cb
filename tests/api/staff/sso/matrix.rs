//! The role × route table again, with identities from the provider: the gate gives each its
//! provider-mapped role, and every form is re-confirmed at the provider before it is taken.

use super::{app_signing_in_at, people};
use crate::helpers::{OpenIdProvider, in_review};
use crate::staff::matrix::{EXPECTED, path_of, walk};
use reqwest::StatusCode;
use wiselink::domain::Role;

/// The provider's person for each role.
fn person(role: Role) -> &'static str {
    match role {
        Role::Admin => "ada",
        Role::Reviewer => "rita",
        Role::Viewer => "victor",
    }
}

/// What an allowed caller gets where it differs for a session started at the provider: no
/// password to type (just signed in there), so the form's fields are checked instead.
fn allowed_status(table: u16) -> u16 {
    if table == 401 { 422 } else { table }
}

#[tokio::test]
async fn the_route_table_times_every_role_signed_in_at_the_provider() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;
    let link = in_review(&app, "matrix-sso").await;
    let mut walked = 0;
    for (method, pattern, needed, table_status) in EXPECTED {
        let Some(needed) = needed else { continue };
        let path = path_of(pattern, &link);
        for role in Role::ALL {
            let browser = app.sso_staff(&provider, person(role)).await;
            let answer = walk(&browser, method, &path).await;
            let expected = if role.allows(*needed) {
                allowed_status(*table_status)
            } else {
                StatusCode::FORBIDDEN.as_u16()
            };
            assert_eq!(answer.status().as_u16(), expected, "{role} {method} {path}");
            walked += 1;
        }
    }
    assert!(walked >= 60, "every guarded route for every role: {walked}");
    let refreshes = provider
        .log()
        .await
        .iter()
        .filter(|e| e["at"] == "token" && e["grant_type"] == "refresh_token")
        .count();
    let posts = EXPECTED
        .iter()
        .filter(|(m, _, needed, _)| *m == "POST" && needed.is_some())
        .count();
    assert_eq!(
        refreshes,
        posts * Role::ALL.len(),
        "every form was confirmed at the provider first"
    );
    assert_eq!(
        app.get_json(&format!("/v1/links/{link}")).await["state"],
        "needs_review",
        "the walk changed nothing"
    );
}
