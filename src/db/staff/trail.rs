//! The staff audit: every sign-in, failure, sign-out and account change, each row sealed as it is
//! written ([`crate::audit`]).

use crate::audit::{Fields, SigningKeys, Source, content_of, staff_audit_fields};
use crate::db::schema::staff_audit;
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One row of the sign-in record. Fields in the table's column order.
#[derive(Debug, Clone, Queryable)]
pub struct AuditRow {
    pub id: i64,
    pub username: String,
    pub event: String,
    pub actor: Option<String>,
    pub client_ip: Option<String>,
    pub created_at: NaiveDateTime,
    pub seal: Option<Vec<u8>>,
}

impl AuditRow {
    /// The row's fields as the audit trail hashes and exports them.
    pub fn fields(&self) -> Fields {
        staff_audit_fields(
            &self.username,
            &self.event,
            self.actor.as_deref(),
            self.client_ip.as_deref(),
            self.created_at,
        )
    }

    /// The row's content digest, as its seal signed it.
    pub fn content(&self) -> crate::audit::Hash {
        content_of(Source::StaffAudit, &self.fields())
    }
}

/// Writes a row of the staff audit, sealed with the newest audit signing key.
pub fn audit(
    conn: &mut DbConnection,
    keys: &SigningKeys,
    username: &str,
    event: &str,
    actor: Option<&str>,
    client_ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let fields = staff_audit_fields(username, event, actor, client_ip, now);
    let seal = keys.seal(&content_of(Source::StaffAudit, &fields));
    diesel::insert_into(staff_audit::table)
        .values((
            staff_audit::username.eq(username),
            staff_audit::event.eq(event),
            staff_audit::actor.eq(actor),
            staff_audit::client_ip.eq(client_ip),
            staff_audit::created_at.eq(now),
            staff_audit::seal.eq(seal),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest rows of the sign-in record.
pub fn recent_audit(conn: &mut DbConnection, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    Ok(staff_audit::table
        .order(staff_audit::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// Who created `subject` (an account's username, or `api_key:<id>`) at or after `since`, as
/// the creation's audit row names them (`staff:<user>`, `cli`), if that happened then.
pub fn created_since_by(
    conn: &mut DbConnection,
    subject: &str,
    since: NaiveDateTime,
) -> Result<Option<String>, DbError> {
    let actor: Option<Option<String>> = staff_audit::table
        .select(staff_audit::actor)
        .filter(staff_audit::username.eq(subject))
        .filter(staff_audit::event.eq_any(["added", "api_key_created"]))
        .filter(staff_audit::created_at.ge(since))
        .order(staff_audit::id.asc())
        .first(conn)
        .optional()?;
    Ok(actor.flatten())
}
