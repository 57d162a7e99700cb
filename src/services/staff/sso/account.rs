//! The staff account a provider's subject signs in as, and signing out at the provider.

use super::provider::Identity;
use super::{SsoRefusal, refresh_aad};
use crate::db::staff::{self, StaffRow, sso as rows};
use crate::domain::Role;
use crate::services::staff::StaffService;
use secrecy::SecretString;

/// A username from what the provider calls the person: lower case, `@` as `.`, other characters
/// no username takes as `-`.
pub(super) fn username_for(name: &str) -> String {
    let mut out: String = name
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
            '@' => '.',
            _ => '-',
        })
        .take(64)
        .collect();
    if out.len() < 2 {
        out = format!("sso-{out}");
    }
    out
}

/// Why the provider's subject has no account to sign in as.
enum Refused {
    /// Its username is another account's.
    Taken,
    /// Its account is disabled here.
    Disabled(String),
}

impl StaffService {
    /// The account of the provider's subject, made at its first sign-in, its role the one its
    /// groups give now; none for a username another account has, or an account disabled here.
    pub(super) async fn sso_account(
        &self,
        identity: &Identity,
        role: Role,
    ) -> Result<StaffRow, SsoRefusal> {
        let (subject, now) = (identity.subject.clone(), self.clock.now());
        let username = username_for(&identity.name);
        let name = username.clone();
        let audit = self.audit.clone();
        let row = self
            .db
            .run(move |conn| {
                let Some(row) = rows::account(conn, &subject)? else {
                    let made = rows::create_account(conn, &subject, &name, role.as_str(), now)?;
                    if made.is_some() {
                        staff::audit(
                            conn,
                            &audit,
                            &name,
                            "sso_account_created",
                            Some(&format!("sso:{}", role.as_str())),
                            None,
                            now,
                        )?;
                    }
                    return Ok(made.ok_or(Refused::Taken));
                };
                if row.disabled_at.is_some() {
                    return Ok(Err(Refused::Disabled(row.username)));
                }
                if row.role != role.as_str() {
                    rows::set_role(conn, row.id, role.as_str(), now)?;
                    staff::audit(
                        conn,
                        &audit,
                        &row.username,
                        "sso_role_changed",
                        Some(&format!("sso:{}", role.as_str())),
                        None,
                        now,
                    )?;
                }
                Ok::<_, crate::db::DbError>(Ok(StaffRow {
                    role: role.as_str().to_owned(),
                    ..row
                }))
            })
            .await?;
        row.map_err(|refused| match refused {
            Refused::Taken => SsoRefusal::NameTaken { name: username },
            Refused::Disabled(username) => SsoRefusal::Disabled { username },
        })
    }
}

impl StaffService {
    /// After a session started at the provider ended here: its refresh token revoked at the
    /// provider, and where the browser signs out there. Both are best effort: the session here is
    /// already over.
    pub(in crate::services::staff) async fn sso_sign_out(
        &self,
        id_hash: &[u8],
        sealed: Option<Vec<u8>>,
    ) -> Option<url::Url> {
        let provider = self.sso.as_deref()?;
        let row_name = hex::encode(id_hash);
        let token = sealed
            .and_then(|s| self.keys.open(&s, refresh_aad(&row_name)).ok())
            .and_then(|t| String::from_utf8(t).ok());
        if let Some(token) = token
            && let Err(e) = provider.revoke(&SecretString::from(token)).await
        {
            tracing::warn!(error = %e, "the refresh token could not be revoked at the identity provider");
        }
        match provider.end_session_url().await {
            Ok(url) => url,
            Err(e) => {
                tracing::warn!(error = %e, "the identity provider's sign-out address is unknown");
                None
            }
        }
    }
}
