//! `[crypto.hsm]` and `[audit.stream]`: checked when set, secrets never shown.

use super::*;

#[test]
fn the_audit_stream_is_off_by_default_and_checked_when_set() {
    assert!(!load(&[]).unwrap().audit.stream.enabled());
    let on = load(&[("WISELINK__AUDIT__STREAM__ADDRESS", "siem.bank.example:6514")]).unwrap();
    assert_eq!(
        on.audit.stream.host_port(),
        Some(("siem.bank.example", 6514))
    );
    assert_eq!(on.audit.stream.server_name(), "siem.bank.example");
    let err = load(&[
        ("WISELINK__AUDIT__STREAM__ADDRESS", "siem.bank.example"),
        ("WISELINK__AUDIT__STREAM__FACILITY", "24"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("audit.stream.address must be host:port"),
        "{err}"
    );
    let err = load(&[
        ("WISELINK__AUDIT__STREAM__ADDRESS", "[::1]:6514"),
        (
            "WISELINK__AUDIT__STREAM__CLIENT_CERT_FILE",
            "/etc/wl/client.pem",
        ),
        ("WISELINK__AUDIT__STREAM__FACILITY", "24"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("client_cert_file and client_key_file"),
        "{err}"
    );
    assert!(
        err.contains("audit.stream.facility must be between 0 and 23"),
        "{err}"
    );
    let mut sources = Sources::defaults_with(vec![
        (
            "WISELINK__AUDIT__STREAM__ADDRESS".into(),
            "siem.bank.example:514".into(),
        ),
        ("WISELINK__AUDIT__STREAM__TLS".into(), "false".into()),
    ]);
    sources.environment = Environment::Production;
    let err = Settings::load(&sources).unwrap_err().to_string();
    assert!(
        err.contains("audit.stream.tls must be on in production"),
        "{err}"
    );
}

#[test]
fn keys_wrapped_by_an_hsm_need_one_and_its_pin_is_never_shown() {
    let wrapped = "h1:hsm:wiselink-kek:AAAA";
    let err = load(&[("WISELINK__CRYPTO__KEYS", wrapped)])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("wrapped by an HSM key; set crypto.hsm.module"),
        "{err}"
    );
    let err = load(&[
        ("WISELINK__CRYPTO__KEYS", wrapped),
        (
            "WISELINK__CRYPTO__HSM__MODULE",
            "/usr/lib/softhsm/libsofthsm2.so",
        ),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("crypto.hsm.token_label must be set"), "{err}");
    let s = load(&[
        ("WISELINK__CRYPTO__KEYS", wrapped),
        (
            "WISELINK__CRYPTO__HSM__MODULE",
            "/usr/lib/softhsm/libsofthsm2.so",
        ),
        ("WISELINK__CRYPTO__HSM__TOKEN_LABEL", "wiselink"),
        ("WISELINK__CRYPTO__HSM__PIN", "pin-4711-secret"),
    ])
    .unwrap();
    let shown = format!("{:?}", s.crypto);
    assert!(
        shown.contains("\"h1\"") && !shown.contains("pin-4711"),
        "{shown}"
    );
}
