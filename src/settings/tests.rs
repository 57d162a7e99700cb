//! Loading and checking the configuration.

use super::*;

mod keys_and_audit;
mod sso;

fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigErrors> {
    let vars = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load(&Sources::defaults_with(vars))
}

#[test]
fn defaults_are_valid_and_use_sqlite() {
    let s = load(&[]).unwrap();
    assert_eq!(s.server.port, 8080);
    assert!(matches!(s.database.url, DatabaseUrl::Sqlite(_)));
    assert_eq!(s.log.format, LogFormat::Pretty);
}

#[test]
fn environment_variables_override() {
    let s = load(&[
        ("WISELINK__SERVER__PORT", "9090"),
        ("WISELINK__LOG__FORMAT", "json"),
        (
            "WISELINK__DATABASE__URL",
            "postgres://u@db.internal:5433/wiselink",
        ),
    ])
    .unwrap();
    assert_eq!(s.server.port, 9090);
    assert_eq!(s.log.format, LogFormat::Json);
    assert!(matches!(s.database.url, DatabaseUrl::Postgres(_)));
}

#[test]
fn every_problem_is_reported_on_its_own_line() {
    let err = load(&[
        ("WISELINK__SERVER__PUBLIC_URL", "not a url"),
        ("WISELINK__DATABASE__POOL_SIZE", "0"),
        ("WISELINK__IDEMPOTENCY__RETENTION_HOURS", "0"),
    ])
    .unwrap_err();
    assert_eq!(err.0.len(), 3, "{err}");
    assert!(err.0[0].contains("server.public_url"));
    assert!(err.0[1].contains("database.pool_size"));
    assert!(err.0[2].contains("idempotency.retention_hours"));
    assert_eq!(err.to_string().lines().count(), 3);
}

#[test]
fn type_errors_and_unknown_keys_are_refused() {
    let err = load(&[("WISELINK__SERVER__PORT", "eighty")]).unwrap_err();
    assert!(err.to_string().contains("port"), "{err}");
    let err = load(&[("WISELINK__SERVER__PROT", "1")]).unwrap_err();
    assert!(err.to_string().contains("prot"), "{err}");
}

#[test]
fn bad_database_scheme_is_refused() {
    let err = load(&[("WISELINK__DATABASE__URL", "mysql://x/y")]).unwrap_err();
    assert!(err.to_string().contains("sqlite://"), "{err}");
}

#[test]
fn production_refuses_development_defaults() {
    let mut sources = Sources::defaults_with(vec![]);
    sources.environment = Environment::Production;
    let err = Settings::load(&sources).unwrap_err().to_string();
    assert!(err.contains("server.public_url must use https"), "{err}");
    assert!(
        err.contains("wise.client_secret is the development default"),
        "{err}"
    );
    assert!(err.contains("wise.api_url must use https"), "{err}");
    assert!(
        err.contains("crypto.keys holds the development key"),
        "{err}"
    );
    assert!(err.contains("mail.transport = \"dev\""), "{err}");
    assert!(
        err.contains("wise_webhooks.public_keys names the simulator's key in production"),
        "{err}"
    );
}

#[test]
fn wise_s_webhook_keys_are_pem_rsa_keys_or_files_holding_them() {
    let dir = std::env::temp_dir().join(format!("wl-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("wise.pem");
    std::fs::write(&file, wiselink_simulator::webhook_public_key_pem()).unwrap();
    let both = format!("{},simulator", file.display());
    let settings = load(&[("WISELINK__WISE_WEBHOOKS__PUBLIC_KEYS", &both)]).unwrap();
    assert_eq!(settings.wise_webhooks.keys().unwrap().len(), 1);
    assert!(settings.wise_webhooks.trusts_simulator());

    let short_rsa = "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDp2KRK+c3Ffm68+qjV1b7D4sfL\nQUOxKgMMB17i08EiXEOdFT/Pu57Xqb8wYvKbX6NNsDOjs7GTxHRWSmKLOZz51FMl\nZ+y+vBXPvz1vvlSNY6vCLEplrRwcPOPqUOcXF00qGzNAUEaJRYmB81WSZyU9b1si\ngSUPb6midM3awHzt6wIDAQAB\n-----END PUBLIC KEY-----";
    let ec = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEW9xqPHfIO14bdN2/L4XllVJjTyFP\nocXtUdg394R4YFy2SFKAB3oxRK6xmC8LgKuKDIRGLqkx21d3oHEqVmGMHw==\n-----END PUBLIC KEY-----";
    for (bad, why) in [
        ("/nonexistent/wise.pem", "cannot read /nonexistent/wise.pem"),
        (
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "not an RSA public key",
        ),
        (short_rsa, "not an RSA public key"),
        (ec, "not an RSA public key"),
    ] {
        let err = load(&[("WISELINK__WISE_WEBHOOKS__PUBLIC_KEYS", bad)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("wise_webhooks.public_keys[0]"), "{err}");
        assert!(err.contains(why), "{bad}: {err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn mail_transports_need_their_settings_and_never_echo_the_smtp_password() {
    let err = load(&[
        ("WISELINK__MAIL__TRANSPORT", "smtp"),
        ("WISELINK__MAIL__SMTP_URL", "http://user:hunter2@mail"),
        ("WISELINK__MAIL__FROM", "not an address"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("mail.smtp_url must look like"), "{err}");
    assert!(err.contains("mail.from must be an address"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let s = load(&[
        ("WISELINK__MAIL__TRANSPORT", "smtp"),
        (
            "WISELINK__MAIL__SMTP_URL",
            "smtps://u:hunter2@mail.example.com:465",
        ),
    ])
    .unwrap();
    assert_eq!(s.mail.transport, MailTransport::Smtp);
    assert!(!format!("{:?}", s.mail).contains("hunter2"));
    let err = load(&[
        ("WISELINK__MAIL__TRANSPORT", "file"),
        ("WISELINK__MAIL__FILE_DIR", " "),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("mail.file_dir"), "{err}");
}

#[test]
fn crypto_keys_come_from_the_environment_as_a_list_and_are_checked() {
    let a = crate::crypto::KeyRing::generate_entry("a");
    let b = crate::crypto::KeyRing::generate_entry("b");
    let s = load(&[("WISELINK__CRYPTO__KEYS", &format!("{a},{b}"))]).unwrap();
    assert_eq!(s.crypto.keys, [a.clone(), b]);
    assert!(
        !format!("{:?}", s.crypto).contains(a.split(':').nth(1).unwrap()),
        "Debug hides key material"
    );
    let err = load(&[("WISELINK__CRYPTO__KEYS", "broken")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("crypto.keys[0] must look like ID:BASE64KEY"),
        "{err}"
    );
}

#[test]
fn the_link_policy_comes_from_links_and_is_checked() {
    let s = load(&[
        ("WISELINK__LINKS__MAX_ATTEMPTS", "3"),
        ("WISELINK__LINKS__CODE_WINDOW_MINUTES", "10"),
        ("WISELINK__LINKS__REMINDER_AFTER_MINUTES", "5"),
    ])
    .unwrap();
    let policy = s.links.policy(&s.limits);
    assert_eq!(policy.max_attempts, 3);
    assert_eq!(policy.code_window, chrono::Duration::minutes(10));
    assert_eq!(policy.reminder_after, Some(chrono::Duration::minutes(5)));
    assert_eq!(policy.resend, crate::domain::ResendPolicy::default());
    let err = load(&[
        ("WISELINK__LINKS__CODE_WINDOW_MINUTES", "45"),
        ("WISELINK__LINKS__MAX_ATTEMPTS", "0"),
    ])
    .unwrap_err();
    assert_eq!(err.0.len(), 2, "{err}");
    assert!(err.0[0].contains("links.max_attempts"), "{err}");
    assert!(
        err.0[1].contains("links.code_window_minutes must be between 1 and 30"),
        "{err}"
    );
}

#[test]
fn the_reminder_comes_while_the_code_works_or_not_at_all() {
    let s = load(&[]).unwrap();
    assert_eq!(
        s.links.policy(&s.limits).reminder_after,
        Some(chrono::Duration::minutes(15))
    );
    let off = load(&[("WISELINK__LINKS__REMINDER_AFTER_MINUTES", "0")]).unwrap();
    assert_eq!(off.links.policy(&off.limits).reminder_after, None);
    for (window, after) in [("30", "30"), ("10", "15"), ("30", "-1")] {
        let err = load(&[
            ("WISELINK__LINKS__CODE_WINDOW_MINUTES", window),
            ("WISELINK__LINKS__REMINDER_AFTER_MINUTES", after),
        ])
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("links.reminder_after_minutes must be 0 (no reminder) or between 1 and"),
            "{err}"
        );
    }
}

#[test]
fn mtls_files_come_in_pairs() {
    let err = load(&[("WISELINK__WISE__MTLS_CERT", "/etc/wiselink/cert.pem")]).unwrap_err();
    assert!(
        err.to_string().contains("mtls_cert and wise.mtls_key"),
        "{err}"
    );
}

#[test]
fn the_wise_budget_must_end_before_the_recovery_lease() {
    let err = load(&[
        ("WISELINK__LINKS__WISE_BUDGET_SECS", "55"),
        ("WISELINK__WORKERS__RECOVERY_STALE_AFTER_SECS", "60"),
    ])
    .unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert!(err.0[0].contains("links.wise_budget_secs (55)"), "{err}");
    let err = load(&[
        ("WISELINK__LINKS__WISE_BUDGET_SECS", "5"),
        ("WISELINK__WISE__REQUEST_TIMEOUT_MS", "6000"),
    ])
    .unwrap_err();
    assert!(err.0[0].contains("wise.request_timeout_ms (6000)"), "{err}");
    assert!(load(&[("WISELINK__LINKS__WISE_BUDGET_SECS", "50")]).is_ok());
}

#[test]
fn token_upkeep_is_checked_and_the_old_margin_key_points_to_its_replacement() {
    let s = load(&[("WISELINK__TOKENS__HAND_OUT_MARGIN_SECS", "120")]).unwrap();
    let policy = s.tokens.policy();
    assert_eq!(policy.hand_out_margin, chrono::Duration::seconds(120));
    assert_eq!(policy.refresh_margin, chrono::Duration::hours(6));

    let moved = load(&[("WISELINK__LINKS__REFRESH_MARGIN_SECS", "300")]).unwrap_err();
    assert!(
        moved
            .to_string()
            .contains("moved to tokens.hand_out_margin_secs"),
        "{moved}"
    );
    // The lease must outlast the refresh's Wise calls.
    let short = load(&[
        ("WISELINK__TOKENS__LEASE_SECS", "10"),
        ("WISELINK__WISE__REQUEST_TIMEOUT_MS", "15000"),
    ])
    .unwrap_err();
    assert!(
        short
            .to_string()
            .contains("tokens.lease_secs (10) must cover two Wise calls"),
        "{short}"
    );
    let inverted = load(&[
        ("WISELINK__TOKENS__HAND_OUT_MARGIN_SECS", "3600"),
        ("WISELINK__TOKENS__REFRESH_MARGIN_SECS", "1800"),
    ])
    .unwrap_err();
    assert!(
        inverted
            .to_string()
            .contains("hand_out_margin_secs must be under"),
        "{inverted}"
    );
}

#[test]
fn return_urls_are_absolute_and_never_script() {
    let s = load(&[(
        "WISELINK__LINKS__RETURN_URLS",
        "https://bank.example/done,com.example.bank:/wise",
    )])
    .unwrap();
    assert_eq!(s.links.return_urls.len(), 2);
    for bad in ["/relative/path", "javascript:alert(1)"] {
        let err = load(&[("WISELINK__LINKS__RETURN_URLS", bad)]).unwrap_err();
        assert!(
            err.to_string().contains("links.return_urls"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn the_webhooks_dns_server_is_an_address_and_port() {
    let s = load(&[("WISELINK__WEBHOOKS__DNS_SERVER", "10.0.0.2:53")]).unwrap();
    assert_eq!(s.webhooks.dns_server.as_deref(), Some("10.0.0.2:53"));
    assert_eq!(load(&[]).unwrap().webhooks.dns_server, None);
    let err = load(&[("WISELINK__WEBHOOKS__DNS_SERVER", "dns.internal")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("webhooks.dns_server: \"dns.internal\" is not an address and port"),
        "{err}"
    );
}
