//! Managing staff accounts. Each change is recorded; the changes that alter what someone may do
//! (disable, password reset, role change) end all of that account's sessions in the same
//! transaction.

use super::StaffService;
use crate::db::staff::{self, NewStaff, StaffChanges, StaffRow};
use crate::db::{DbError, is_unique_violation};
use crate::domain::{Invalid, Role, Username, check_password};
use chrono::NaiveDateTime;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{}", .0.message)]
    Invalid(Invalid),
    #[error("no staff member {0}")]
    NotFound(String),
    #[error("a staff member {0} already exists")]
    Exists(String),
    /// The change would leave no enabled administrator: nobody could manage staff from the web.
    #[error("{0} is the only enabled administrator; make another administrator first")]
    LastAdmin(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<Invalid> for AccountError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

/// What the staff list shows: never the password hash or the TOTP secret.
#[derive(Debug, Clone)]
pub struct StaffSummary {
    pub username: String,
    pub role: String,
    pub disabled: bool,
    pub totp: bool,
    pub created_at: NaiveDateTime,
}

impl From<StaffRow> for StaffSummary {
    fn from(row: StaffRow) -> Self {
        Self {
            username: row.username,
            role: row.role,
            disabled: row.disabled_at.is_some(),
            totp: row.totp_secret.is_some(),
            created_at: row.created_at,
        }
    }
}

/// What an account change does, as the sign-in record names it.
#[derive(Debug, Clone, Copy)]
enum Change {
    Disabled,
    Enabled,
    PasswordReset,
    RoleChanged,
}

impl Change {
    fn event(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Enabled => "enabled",
            Self::PasswordReset => "password_reset",
            Self::RoleChanged => "role_changed",
        }
    }
}

impl StaffService {
    /// Adds a staff member. `actor` is who did it (`cli`, or `staff:<admin>`).
    pub async fn add(
        &self,
        username: &str,
        role: &str,
        password: &SecretString,
        actor: &str,
    ) -> Result<(), AccountError> {
        let username = Username::parse(username)?;
        let role = parse_role(role)?;
        check_password(password.expose_secret(), &username)?;
        let hash = self.hash_password(password).await?;
        let now = self.clock.now();
        let (name, actor) = (username.to_string(), actor.to_owned());
        let audit = self.audit.clone();
        let added = self
            .db
            .run(move |conn| {
                let row = NewStaff {
                    username: &name,
                    role: role.as_str(),
                    password_hash: &hash,
                    created_at: now,
                    updated_at: now,
                };
                match staff::insert(conn, &row) {
                    Ok(()) => {}
                    Err(DbError::Query(e)) if is_unique_violation(&e) => return Ok(false),
                    Err(e) => return Err(e),
                }
                staff::audit(conn, &audit, &name, "added", Some(&actor), None, now)?;
                Ok(true)
            })
            .await?;
        if !added {
            return Err(AccountError::Exists(username.to_string()));
        }
        tracing::info!(staff.username = %username, role = role.as_str(), "staff member added");
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<StaffSummary>, AccountError> {
        let rows = self.db.run(staff::list).await?;
        Ok(rows.into_iter().map(StaffSummary::from).collect())
    }

    pub async fn disable(&self, username: &str, actor: &str) -> Result<(), AccountError> {
        let changes = StaffChanges {
            disabled_at: Some(Some(self.clock.now())),
            ..StaffChanges::default()
        };
        self.change(username, changes, Change::Disabled, actor)
            .await
    }

    pub async fn enable(&self, username: &str, actor: &str) -> Result<(), AccountError> {
        let changes = StaffChanges {
            disabled_at: Some(None),
            failed_logins: Some(0),
            last_failed_at: Some(None),
            ..StaffChanges::default()
        };
        self.change(username, changes, Change::Enabled, actor).await
    }

    pub async fn reset_password(
        &self,
        username: &str,
        password: &SecretString,
        actor: &str,
    ) -> Result<(), AccountError> {
        let name = Username::parse(username)?;
        check_password(password.expose_secret(), &name)?;
        let changes = StaffChanges {
            password_hash: Some(self.hash_password(password).await?),
            failed_logins: Some(0),
            last_failed_at: Some(None),
            ..StaffChanges::default()
        };
        self.change(username, changes, Change::PasswordReset, actor)
            .await
    }

    pub async fn set_role(
        &self,
        username: &str,
        role: &str,
        actor: &str,
    ) -> Result<(), AccountError> {
        let changes = StaffChanges {
            role: Some(parse_role(role)?.as_str().to_owned()),
            ..StaffChanges::default()
        };
        self.change(username, changes, Change::RoleChanged, actor)
            .await
    }

    /// Applies `changes` to the account and records them; every change but enabling ends the
    /// account's sessions.
    async fn change(
        &self,
        username: &str,
        changes: StaffChanges,
        change: Change,
        actor: &str,
    ) -> Result<(), AccountError> {
        let name = Username::parse(username)?.to_string();
        let end_sessions = !matches!(change, Change::Enabled);
        // From the back office, disabling or demoting never takes away the last enabled
        // administrator: nobody could manage staff there any more. (The operator's CLI can, and
        // is also how a new administrator is made.)
        let from_back_office = actor.starts_with("staff:");
        let removes_admin = from_back_office
            && (matches!(change, Change::Disabled)
                || (matches!(change, Change::RoleChanged)
                    && changes.role.as_deref() != Some(Role::Admin.as_str())));
        let (now, actor) = (self.clock.now(), actor.to_owned());
        let found = {
            let name = name.clone();
            let audit = self.audit.clone();
            self.db
                .run(move |conn| {
                    conn.write_transaction(|conn| {
                        if removes_admin && staff::only_enabled_admin(conn, &name)? {
                            return Ok(Err(AccountError::LastAdmin(name.clone())));
                        }
                        let found = staff::change(conn, &name, &changes, end_sessions, now)?;
                        if found {
                            staff::audit(
                                conn,
                                &audit,
                                &name,
                                change.event(),
                                Some(&actor),
                                None,
                                now,
                            )?;
                        }
                        Ok::<_, DbError>(Ok(found))
                    })
                })
                .await??
        };
        if !found {
            return Err(AccountError::NotFound(name));
        }
        tracing::info!(staff.username = %name, change = change.event(), "staff account changed");
        Ok(())
    }
}

fn parse_role(raw: &str) -> Result<Role, Invalid> {
    Role::parse(raw.trim())
        .ok_or_else(|| Invalid::new("invalid_role", "the role is viewer, reviewer or admin"))
}
