//! `[staff.sso]`: off by default, checked when set, the groups' roles, and who may still use a
//! password.

use super::*;
use crate::domain::Role;

const ON: [(&str, &str); 5] = [
    (
        "WISELINK__STAFF__SSO__ISSUER",
        "https://login.bank.example/tenant",
    ),
    ("WISELINK__STAFF__SSO__CLIENT_ID", "wiselink"),
    (
        "WISELINK__STAFF__SSO__CLIENT_SECRET",
        "s3cret-from-the-provider",
    ),
    ("WISELINK__STAFF__SSO__ADMIN_GROUPS", "wl-admins"),
    (
        "WISELINK__STAFF__SSO__REVIEWER_GROUPS",
        "wl-reviewers,kyc-team",
    ),
];

#[test]
fn single_sign_on_is_off_by_default_and_passwords_stay() {
    let s = load(&[]).unwrap();
    assert!(!s.staff.sso.enabled());
    assert!(s.staff.sso.allows_password("anyone"));
    assert!(!s.staff.sso.is_break_glass("anyone"));
}

#[test]
fn groups_give_the_highest_role_they_map_to() {
    let s = load(&ON).unwrap();
    let sso = &s.staff.sso;
    assert!(sso.enabled());
    assert_eq!(sso.role_for(["kyc-team", "wl-admins"]), Some(Role::Admin));
    assert_eq!(sso.role_for(["everyone", "kyc-team"]), Some(Role::Reviewer));
    assert_eq!(sso.role_for(["everyone"]), None);
    assert_eq!(sso.role_for([] as [&str; 0]), None);
    assert_eq!(sso.scopes, ["openid", "profile", "email", "offline_access"]);
}

#[test]
fn with_single_sign_on_only_the_break_glass_account_uses_a_password() {
    let s = load(&ON).unwrap();
    assert!(!s.staff.sso.allows_password("olga"));
    let mut vars = ON.to_vec();
    vars.push(("WISELINK__STAFF__SSO__BREAK_GLASS_USER", "glass"));
    let s = load(&vars).unwrap();
    assert!(s.staff.sso.allows_password("glass"));
    assert!(s.staff.sso.is_break_glass("glass"));
    assert!(!s.staff.sso.allows_password("olga"));
    vars.push(("WISELINK__STAFF__SSO__LOCAL_ACCOUNTS", "true"));
    let s = load(&vars).unwrap();
    assert!(s.staff.sso.allows_password("olga"));
}

#[test]
fn a_half_configured_provider_is_refused_and_its_secret_never_shown() {
    let err = load(&[
        ("WISELINK__STAFF__SSO__ISSUER", "http://login.bank.example"),
        ("WISELINK__STAFF__SSO__SCOPES", "profile,email"),
        ("WISELINK__STAFF__SSO__RECHECK_MINUTES", "0"),
        ("WISELINK__STAFF__SSO__BREAK_GLASS_USER", "Break Glass!"),
    ])
    .unwrap_err()
    .to_string();
    for expected in [
        "staff.sso.issuer must be an https URL",
        "staff.sso.client_id must be set",
        "staff.sso.client_secret must be set",
        "staff.sso.scopes must include openid",
        "staff.sso maps no group to a role",
        "staff.sso.recheck_minutes must be between 1 and 60",
        "staff.sso.break_glass_user \"Break Glass!\" is not a valid username",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
    // Loopback over plain HTTP is for development and tests; production wants HTTPS.
    let mut vars = ON.to_vec();
    vars[0] = ("WISELINK__STAFF__SSO__ISSUER", "http://127.0.0.1:9000");
    assert!(load(&vars).is_ok());
    let err = load(&[("WISELINK__STAFF__SSO__ISSUER", "not a url")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("staff.sso.issuer is not a URL"), "{err}");
    let debug = format!("{:?}", load(&ON).unwrap().staff.sso);
    assert!(!debug.contains("s3cret-from-the-provider"), "{debug}");
}
