use super::*;
use crate::brand::Brand;
use crate::i18n::Locale;
use std::sync::Arc;

fn words(locale: Locale) -> Words {
    Words::new(locale, Arc::new(Brand::named("Example Bank")))
}

fn at() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
        .unwrap()
        .and_hms_opt(14, 5, 0)
        .unwrap()
}

#[test]
fn finish_linking_carries_the_url_expiry_and_partner_in_both_parts_and_escapes_html() {
    let url = SecretString::from("https://link.example/link/wls_abc");
    let r = finish_linking(&words(Locale::En), "<Ada>", &url, at()).unwrap();
    assert_eq!(r.subject, "Finish linking your Wise account");
    for part in [&r.text, &r.html] {
        assert!(part.contains("https://link.example/link/wls_abc"), "{part}");
        assert!(part.contains("22 November 2026, 14:05 UTC"), "{part}");
        assert!(part.contains("to Example Bank"), "{part}");
    }
    assert!(r.text.contains("Hello <Ada>,"));
    assert!(r.html.contains("Hello &#60;Ada&#62;,") || r.html.contains("Hello &lt;Ada&gt;,"));
    assert!(r.html.contains(r#"<html lang="en">"#));
    assert!(!format!("{r:?}").contains("wls_abc"));
}

#[test]
fn a_message_is_written_in_the_customers_language() {
    let url = SecretString::from("https://link.example/link/wls_abc");
    let de = finish_linking(&words(Locale::De), "Ben", &url, at()).unwrap();
    assert!(de.html.contains(r#"<html lang="de">"#));
    assert!(
        de.text.contains("22. November 2026, 14:05 Uhr UTC"),
        "{}",
        de.text
    );
    assert_ne!(de.subject, "Finish linking your Wise account");
    let es = reconnect(&words(Locale::Es), "Cleo").unwrap();
    assert!(es.text.contains("Example Bank"), "{}", es.text);
    assert_ne!(es.subject, "Reconnect your Wise account");
}

#[test]
fn the_partners_contacts_close_every_message_when_configured() {
    let mut brand = Brand::named("Example Bank");
    brand.support = "help@bank.example".to_owned();
    brand.privacy_url = Some("https://bank.example/privacy".to_owned());
    let r = not_linked(&Words::new(Locale::En, Arc::new(brand)), "Ada").unwrap();
    for part in [&r.text, &r.html] {
        assert!(part.contains("help@bank.example"), "{part}");
        assert!(part.contains("https://bank.example/privacy"), "{part}");
    }
    let bare = not_linked(&words(Locale::En), "Ada").unwrap();
    assert!(!bare.text.contains("Privacy"), "{}", bare.text);
}

#[test]
fn the_built_message_keeps_the_given_message_id_and_has_two_parts() {
    let from: Mailbox = "wiselink <no-reply@wiselink.test>".parse().unwrap();
    let id = new_message_id(&from);
    assert!(id.ends_with("@wiselink.test>"), "{id}");
    let dispute = secrecy::SecretString::from("https://wl.example/dispute/wld_x".to_owned());
    let r = linked(
        &words(Locale::En),
        "Ada",
        "ada@example.com",
        false,
        &dispute,
    )
    .unwrap();
    assert!(
        r.text.contains("https://wl.example/dispute/wld_x"),
        "{}",
        r.text
    );
    let m = build(&from, "ada@example.com", &id, SystemTime::UNIX_EPOCH, &r).unwrap();
    let raw = String::from_utf8(m.formatted()).unwrap();
    assert!(raw.contains(&format!("Message-ID: {id}")), "{raw}");
    assert!(
        raw.contains("text/plain") && raw.contains("text/html"),
        "{raw}"
    );
    assert!(raw.contains("Subject: Your Wise account is linked"));
    assert!(build(&from, "not an address", &id, SystemTime::UNIX_EPOCH, &r).is_err());
}
