//! Single sign-on across instances on one database: a sign-in started at one instance finishes at
//! another, and a session's periodic re-check is made once however many instances it reaches.

use super::{app_signing_in_at, people};
use crate::helpers::{OpenIdProvider, ProviderBrowser};
use chrono::Duration;
use reqwest::StatusCode;

#[tokio::test]
async fn a_sign_in_started_at_one_instance_finishes_at_another_and_is_re_checked_once() {
    let provider = OpenIdProvider::start(people());
    let first = app_signing_in_at(&provider, &[]).await;
    let settings = provider.settings();
    let overrides: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let second = first.second_instance(&overrides).await;

    let mut at_first = first.anonymous();
    let back = at_first
        .sso_authorize(&provider, &mut ProviderBrowser::default(), "rita", "")
        .await;
    let mut at_second = second.anonymous();
    at_second.sso_cookie = at_first.sso_cookie.clone();
    assert_eq!(at_second.sso_callback(&back).await.status(), StatusCode::OK);
    let mut back_at_first = first.anonymous();
    back_at_first.cookie = at_second.cookie.clone();
    assert_eq!(back_at_first.get("/staff").await.status(), StatusCode::OK);

    // The re-check falls due; both instances get the session's next pages at the same moment.
    first.advance(Duration::minutes(5));
    let (a, b) = tokio::join!(back_at_first.get("/staff"), at_second.get("/staff"));
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let refreshes = provider
        .log()
        .await
        .iter()
        .filter(|e| e["at"] == "token" && e["grant_type"] == "refresh_token")
        .count();
    assert_eq!(
        refreshes, 1,
        "one instance asked the provider, the other trusted its claim"
    );
}
