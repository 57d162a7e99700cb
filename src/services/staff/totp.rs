//! The optional second factor: RFC 6238 codes (SHA-1, 6 digits, 30 s, one step of skew), each
//! accepted once. The secret is sealed with the key ring (staff_users, totp_secret, username).

use super::{AccountError, StaffService};
use crate::crypto::Aad;
use crate::db::staff::{self, StaffChanges, StaffRow};
use crate::domain::Username;
use secrecy::SecretString;
use totp_rs::{Algorithm, Totp};

const ISSUER: &str = "wiselink";

/// What enrolment hands the staff member: the `otpauth://` URI (it holds the secret) and the same
/// as a QR code for the terminal.
pub struct Enrolment {
    pub uri: SecretString,
    pub qr: String,
}

/// What binds a sealed TOTP secret to its account (also used by key rotation).
pub fn totp_aad(username: &str) -> Aad<'_> {
    Aad {
        table: "staff_users",
        column: "totp_secret",
        row: username,
    }
}

fn totp(secret: Vec<u8>, username: &str) -> anyhow::Result<Totp> {
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(username)
        .build()
        .map_err(|e| anyhow::anyhow!("TOTP set-up failed: {e:?}"))
}

impl StaffService {
    /// Gives the account a new TOTP secret (replacing any earlier one) and ends its sessions.
    pub async fn enroll_totp(
        &self,
        username: &str,
        actor: &str,
    ) -> Result<Enrolment, AccountError> {
        let name = Username::parse(username)?.to_string();
        let secret: [u8; 20] = rand::random();
        let totp = totp(secret.to_vec(), &name)?;
        let uri = totp
            .to_url()
            .map_err(|e| anyhow::anyhow!("TOTP URI failed: {e:?}"))?;
        let qr = qrcode::QrCode::new(uri.as_bytes())
            .map_err(|e| anyhow::anyhow!("QR code failed: {e}"))?
            .render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build();
        let changes = StaffChanges {
            totp_secret: Some(Some(self.keys.seal(&secret, totp_aad(&name)))),
            totp_last_step: Some(None),
            ..StaffChanges::default()
        };
        let (now, actor_name, lookup) = (self.clock.now(), actor.to_owned(), name.clone());
        let audit = self.audit.clone();
        let found = self
            .db
            .run(move |conn| {
                let found = staff::change(conn, &lookup, &changes, true, now)?;
                if found {
                    staff::audit(
                        conn,
                        &audit,
                        &lookup,
                        "totp_enrolled",
                        Some(&actor_name),
                        None,
                        now,
                    )?;
                }
                Ok::<_, crate::db::DbError>(found)
            })
            .await?;
        if !found {
            return Err(AccountError::NotFound(name));
        }
        Ok(Enrolment {
            uri: SecretString::from(uri),
            qr,
        })
    }

    /// Checks a TOTP code for the account and takes its time step, so it works once.
    pub(super) async fn take_totp(&self, row: &StaffRow, code: &str) -> anyhow::Result<bool> {
        let Some(sealed) = &row.totp_secret else {
            return Ok(false);
        };
        let secret = self.keys.open(sealed, totp_aad(&row.username))?;
        let totp = totp(secret, &row.username)?;
        let now = self.clock.now_utc().timestamp().max(0) as u64;
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let Some(step) = totp.check(&code, now) else {
            return Ok(false);
        };
        let id = row.id;
        Ok(self
            .db
            .run(move |conn| staff::take_totp_step(conn, id, step as i64))
            .await?)
    }

    /// The current code for an account's secret: for tests and the demo, never served.
    pub fn totp_code_for(&self, sealed: &[u8], username: &str) -> anyhow::Result<String> {
        let totp = totp(self.keys.open(sealed, totp_aad(username))?, username)?;
        let now = self.clock.now_utc().timestamp().max(0) as u64;
        Ok(totp.generate(now).to_string())
    }
}
