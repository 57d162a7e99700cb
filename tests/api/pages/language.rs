//! The customer's language and the partner's brand on the page and in the emails.

use super::*;
use crate::helpers::customer_body;

/// The page at `path`, as the customer's browser gets it.
async fn get(app: &TestApp, path: &str) -> Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

/// A customer who speaks `language`, with a link awaiting the code: (session, email).
async fn speaking(app: &TestApp, customer_ref: &str, language: &str) -> (String, String) {
    let email = format!("{customer_ref}@example.com");
    let mut body = customer_body();
    body["email"] = json!(email);
    body["language"] = json!(language);
    assert_eq!(
        app.put_customer(customer_ref, &body).await.status(),
        StatusCode::CREATED
    );
    app.sim().seed(&email, json!({})).await;
    let link = json(start(app, customer_ref).await).await;
    let session = link["link_session_token"].as_str().unwrap().to_owned();
    (session, email)
}

#[tokio::test]
async fn a_german_speaking_customer_reads_the_page_and_the_email_in_german() {
    let app = spawn_app().await;
    let (session, email) = speaking(&app, "l-de", "DE").await;
    let page = html(open(&app, &session).await).await;
    assert!(page.contains(r#"<html lang="de">"#), "{page}");
    assert!(page.contains("<h1>Code von Wise eingeben</h1>"), "{page}");
    assert!(
        page.contains("Example Partner"),
        "the partner is named: {page}"
    );
    assert!(page.contains("Uhr UTC</time>"), "{page}");

    let mail = app.mail.wait_for(&email, 1).await;
    assert_eq!(mail[0].subject, "Verknüpfung Ihres Wise-Kontos abschließen");
    assert!(
        mail[0].html.contains(r#"<html lang="de">"#),
        "{}",
        mail[0].html
    );
    assert!(mail[0].text.contains("Hallo Ada"), "{}", mail[0].text);

    // A wrong code is explained in German too, with German plurals.
    let wrong = html(post_form(&app, &session, &[("code", "Wrong1")]).await).await;
    assert!(wrong.contains("noch 4 Versuche"), "{wrong}");
}

#[tokio::test]
async fn the_language_switch_overrides_the_customers_language_and_keeps_to_its_choice() {
    let app = spawn_app().await;
    let (session, _) = speaking(&app, "l-es", "es").await;
    let spanish = html(open(&app, &session).await).await;
    assert!(
        spanish.contains("<h1>Introduce el código de Wise</h1>"),
        "{spanish}"
    );
    for (code, name) in [("en", "English"), ("de", "Deutsch")] {
        let link = format!(r#"<a href="?lang={code}" lang="{code}" hreflang="{code}">{name}</a>"#);
        assert!(spanish.contains(&link), "{link} in {spanish}");
    }
    assert!(
        spanish.contains(r#"hreflang="es" aria-current="true">Español</a>"#),
        "{spanish}"
    );

    let english = get(&app, &format!("/link/{session}?lang=en")).await;
    let english = html(english).await;
    assert!(english.contains(r#"<html lang="en">"#), "{english}");
    assert!(
        english.contains("<h1>Enter the code from Wise</h1>"),
        "{english}"
    );
    // An unknown language is no language: the customer's own is kept.
    let odd = get(&app, &format!("/link/{session}?lang=xx")).await;
    assert!(html(odd).await.contains(r#"<html lang="es">"#));
    // A language is a language in any case.
    let upper = get(&app, &format!("/link/{session}?lang=DE")).await;
    assert!(html(upper).await.contains(r#"<html lang="de">"#));
}

#[tokio::test]
async fn a_page_without_a_customer_speaks_the_browsers_language() {
    let app = spawn_app().await;
    let closed = app
        .client
        .get(app.url("/link/wls_unknown"))
        .header("Accept-Language", "fr-CH, de;q=0.8, en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::NOT_FOUND);
    assert!(
        html(closed)
            .await
            .contains("<h1>Dieser Link ist abgelaufen</h1>")
    );

    let result = get(&app, "/oauth/result?result=linked&lang=es").await;
    let result = html(result).await;
    assert!(
        result.contains("<h1>Tu cuenta de Wise está vinculada</h1>"),
        "{result}"
    );
    assert!(
        result.contains(r#"<p class="done"><svg"#),
        "a visible mark: {result}"
    );
    assert!(
        result.contains(r#"href="?result=linked&#38;lang=de""#),
        "{result}"
    );
}

#[tokio::test]
async fn the_partners_brand_is_on_the_page_its_assets_and_its_emails() {
    let dir = std::env::temp_dir().join(format!("wiselink-brand-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let logo = dir.join("logo.svg");
    std::fs::write(
        &logo,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"/>"#,
    )
    .unwrap();
    let app = spawn_app_with(&[
        ("WISELINK__BRANDING__PARTNER_NAME", "Example Bank"),
        ("WISELINK__BRANDING__LOGO_FILE", logo.to_str().unwrap()),
        ("WISELINK__BRANDING__ACCENT_COLOUR", "#0a66c2"),
        ("WISELINK__BRANDING__SUPPORT_CONTACT", "help@bank.example"),
        (
            "WISELINK__BRANDING__PRIVACY_URL",
            "https://bank.example/privacy",
        ),
    ])
    .await;
    let (session, email) = speaking(&app, "l-brand", "en").await;
    let page = html(open(&app, &session).await).await;
    assert!(
        page.contains(r#"<img src="/assets/brand/logo" alt="Example Bank""#),
        "{page}"
    );
    assert!(
        page.contains("Example Bank asked Wise to link your Wise account."),
        "{page}"
    );
    assert!(
        page.contains("Questions? Contact Example Bank: help@bank.example"),
        "{page}"
    );
    assert!(page.contains(r#"<a href="https://bank.example/privacy">Privacy policy</a>"#));

    let served = get(&app, "/assets/brand/logo").await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/svg+xml");
    assert!(
        served.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert_eq!(
        served.text().await.unwrap(),
        std::fs::read_to_string(&logo).unwrap()
    );
    let css = get(&app, "/assets/brand.css").await;
    let css = css.text().await.unwrap();
    assert!(
        css.contains("--accent: #0a66c2; --on-accent: #ffffff;"),
        "{css}"
    );

    let mail = app.mail.wait_for(&email, 1).await;
    for part in [&mail[0].text, &mail[0].html] {
        assert!(
            part.contains("link your Wise account to Example Bank"),
            "{part}"
        );
        assert!(part.contains("help@bank.example"), "{part}");
        assert!(part.contains("https://bank.example/privacy"), "{part}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn without_a_logo_the_page_names_the_partner_and_no_logo_is_served() {
    let app = spawn_app().await;
    let (session, _) = speaking(&app, "l-plain", "en").await;
    let page = html(open(&app, &session).await).await;
    assert!(
        page.contains(r#"<p class="partner">Example Partner</p>"#),
        "{page}"
    );
    assert!(!page.contains("/assets/brand/logo"), "{page}");
    let served = get(&app, "/assets/brand/logo").await;
    assert_eq!(served.status(), StatusCode::NOT_FOUND);
}
