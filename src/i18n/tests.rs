use super::*;

/// Each `key =` that starts a message in a Fluent file.
fn keys(ftl: &str) -> Vec<&str> {
    ftl.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim()))
        .collect()
}

const EN: &str = include_str!("../../templates/locales/en.ftl");
const OTHERS: [(&str, &str); 2] = [
    ("de", include_str!("../../templates/locales/de.ftl")),
    ("es", include_str!("../../templates/locales/es.ftl")),
];

#[test]
fn every_locale_has_every_key_of_the_english_file_and_no_other() {
    let english = keys(EN);
    assert!(english.len() > 100, "{}", english.len());
    for (code, ftl) in OTHERS {
        let theirs = keys(ftl);
        let missing: Vec<_> = english.iter().filter(|k| !theirs.contains(k)).collect();
        let extra: Vec<_> = theirs.iter().filter(|k| !english.contains(k)).collect();
        assert!(missing.is_empty(), "{code} lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{code} has keys English does not: {extra:?}"
        );
    }
}

#[test]
fn every_key_reads_as_text_in_every_locale_without_falling_back() {
    let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
    for name in [
        "partner", "contact", "url", "name", "email", "when", "relative", "wait", "month", "time",
    ] {
        args.insert(Cow::Borrowed(name), FluentValue::from("x"));
    }
    for name in ["count", "day", "year"] {
        args.insert(Cow::Borrowed(name), FluentValue::from(2));
    }
    for locale in Locale::ALL {
        for key in keys(EN) {
            let text = LOCALES
                .try_lookup_with_args(&locale.id(), key, &args)
                .unwrap_or_else(|| panic!("{key} in {}", locale.code()));
            assert!(!text.trim().is_empty(), "{key} in {}", locale.code());
        }
    }
}

#[test]
fn a_customers_language_picks_the_locale_and_anything_else_is_english() {
    assert_eq!(Locale::for_language("DE"), Locale::De);
    assert_eq!(Locale::for_language("es"), Locale::Es);
    assert_eq!(Locale::for_language("EN"), Locale::En);
    assert_eq!(Locale::for_language("FR"), Locale::En);
    assert_eq!(Locale::for_language(""), Locale::En);
}

#[test]
fn plurals_and_dates_follow_the_language() {
    let attempts = |l: Locale, n: i64| l.text_with("attempts-left", &[("count", Arg::Number(n))]);
    assert_eq!(attempts(Locale::En, 1), "1 attempt left.");
    assert_eq!(attempts(Locale::En, 4), "4 attempts left.");
    assert_eq!(attempts(Locale::De, 1), "Noch 1 Versuch.");
    assert_eq!(attempts(Locale::De, 4), "Noch 4 Versuche.");
    assert_eq!(attempts(Locale::Es, 1), "Queda 1 intento.");
    assert_eq!(attempts(Locale::Es, 4), "Quedan 4 intentos.");
    let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
        .unwrap()
        .and_hms_opt(19, 22, 0)
        .unwrap();
    assert_eq!(Locale::En.date_time(t), "2 December 2026, 19:22 UTC");
    assert_eq!(Locale::De.date_time(t), "2. Dezember 2026, 19:22 Uhr UTC");
    assert_eq!(Locale::Es.date_time(t), "2 de diciembre de 2026, 19:22 UTC");
    assert_eq!(Locale::En.relative(28 * 60), "in 28 minutes");
    assert_eq!(Locale::De.relative(60), "in 60 Sekunden");
    assert_eq!(Locale::Es.relative(3 * 3600), "dentro de 3 horas");
    assert_eq!(Locale::En.wait(0), "1 second");
    assert_eq!(Locale::En.wait(91), "2 minutes");
    assert_eq!(Locale::En.wait(86_000), "24 hours");
    assert_eq!(Locale::De.wait(45), "45 Sekunden");
}

#[test]
fn a_time_in_a_sentence_is_a_time_element_and_everything_else_is_escaped() {
    let brand = std::sync::Arc::new(crate::brand::Brand::named("Bank <b>&</b>"));
    let words = Words::new(Locale::En, brand);
    let now = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
        .unwrap()
        .and_hms_opt(18, 54, 0)
        .unwrap();
    let at = now + chrono::Duration::minutes(28);
    let html = words.when_html("continue-until", at, now);
    assert_eq!(
        html,
        "Possible until <time datetime=\"2026-12-02T19:22:00Z\" data-local>2 December 2026, \
         19:22 UTC</time> (in 28 minutes). Bank &lt;b&gt;&amp;&lt;/b&gt; never sees your Wise \
         password."
    );
    assert_eq!(
        Locale::from_accept_language("fr-CH, es;q=0.9, de;q=0.8"),
        Some(Locale::Es)
    );
    assert_eq!(Locale::from_accept_language("fr, it"), None);
    assert_eq!(
        Locale::from_query("result=linked&lang=de"),
        Some(Locale::De)
    );
    assert_eq!(Locale::from_query("lang=DE"), Some(Locale::De), "any case");
    assert_eq!(Locale::from_query("lang=fr"), None);
}
