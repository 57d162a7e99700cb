//! `[staff.sso]`: staff sign in at the bank's OpenID Connect provider. Off unless `issuer` is set.

use super::Environment;
use crate::domain::{Role, Username};
use secrecy::SecretString;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoSettings {
    /// The provider's issuer URL (its discovery document is under it); empty: no single sign-on.
    pub issuer: String,
    /// What the back office's sign-in button calls the provider ("Contoso Entra ID").
    pub provider_name: String,
    /// wiselink's client at the provider, and its secret (`client_secret_basic`).
    pub client_id: String,
    pub client_secret: SecretString,
    /// Scopes asked for: `openid` and whatever makes the provider put the groups claim in the ID
    /// token (and `offline_access`, where the provider gives refresh tokens only for it).
    pub scopes: Vec<String>,
    /// The ID token claim that lists the person's groups.
    pub groups_claim: String,
    /// Provider groups that make an admin, a reviewer, a viewer; the highest role matched wins.
    /// A person in none of them is refused.
    pub admin_groups: Vec<String>,
    pub reviewer_groups: Vec<String>,
    pub viewer_groups: Vec<String>,
    /// A session's groups are read again at the provider when they are older than this, and
    /// always before a form is taken.
    pub recheck_minutes: i64,
    /// Local accounts (password) may still sign in. Off: only `break_glass_user` may.
    pub local_accounts: bool,
    /// The one local administrator who may sign in with a password while local accounts are off;
    /// every such sign-in is audited and alerted on. Empty: none.
    pub break_glass_user: String,
    /// PEM certificates trusted for the provider; empty: the public web's roots built in.
    pub ca_file: String,
    /// Longest one call to the provider may take.
    pub timeout_ms: u64,
}

impl SsoSettings {
    pub fn enabled(&self) -> bool {
        !self.issuer.is_empty()
    }

    /// The role the groups give: the highest one any of them maps to.
    pub fn role_for<'a>(&self, groups: impl IntoIterator<Item = &'a str> + Clone) -> Option<Role> {
        [
            (Role::Admin, &self.admin_groups),
            (Role::Reviewer, &self.reviewer_groups),
            (Role::Viewer, &self.viewer_groups),
        ]
        .into_iter()
        .find(|(_, mapped)| {
            groups
                .clone()
                .into_iter()
                .any(|g| mapped.iter().any(|m| m == g))
        })
        .map(|(role, _)| role)
    }

    /// Whether `username` may sign in with a password.
    pub fn allows_password(&self, username: &str) -> bool {
        !self.enabled()
            || self.local_accounts
            || (!self.break_glass_user.is_empty() && self.break_glass_user == username)
    }

    pub fn is_break_glass(&self, username: &str) -> bool {
        self.enabled() && !self.break_glass_user.is_empty() && self.break_glass_user == username
    }

    pub fn ca_file(&self) -> Option<PathBuf> {
        (!self.ca_file.is_empty()).then(|| PathBuf::from(&self.ca_file))
    }

    pub(super) fn problems(&self, environment: &Environment, out: &mut Vec<String>) {
        if !self.enabled() {
            return;
        }
        match url::Url::parse(&self.issuer) {
            Ok(url) => {
                let loopback = url.host().is_some_and(|h| match h {
                    url::Host::Domain(d) => d == "localhost",
                    url::Host::Ipv4(ip) => ip.is_loopback(),
                    url::Host::Ipv6(ip) => ip.is_loopback(),
                });
                if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                    out.push("staff.sso.issuer must be an https URL".to_owned());
                }
                if url.scheme() == "http" && environment.is_production() {
                    out.push("staff.sso.issuer must be https in production".to_owned());
                }
            }
            Err(e) => out.push(format!("staff.sso.issuer is not a URL: {e}")),
        }
        if self.client_id.is_empty() {
            out.push("staff.sso.client_id must be set with staff.sso.issuer".to_owned());
        }
        if secrecy::ExposeSecret::expose_secret(&self.client_secret).is_empty() {
            out.push("staff.sso.client_secret must be set with staff.sso.issuer".to_owned());
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            out.push("staff.sso.scopes must include openid".to_owned());
        }
        if self.groups_claim.is_empty() {
            out.push("staff.sso.groups_claim must name a claim".to_owned());
        }
        if self.admin_groups.is_empty()
            && self.reviewer_groups.is_empty()
            && self.viewer_groups.is_empty()
        {
            out.push(
                "staff.sso maps no group to a role: set admin_groups, reviewer_groups or viewer_groups"
                    .to_owned(),
            );
        }
        if !(1..=60).contains(&self.recheck_minutes) {
            out.push("staff.sso.recheck_minutes must be between 1 and 60".to_owned());
        }
        if !self.break_glass_user.is_empty() && Username::parse(&self.break_glass_user).is_err() {
            out.push(format!(
                "staff.sso.break_glass_user {:?} is not a valid username",
                self.break_glass_user
            ));
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            out.push(format!(
                "staff.sso.timeout_ms must be between 100 and 60000, got {}",
                self.timeout_ms
            ));
        }
    }
}
