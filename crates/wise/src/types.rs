//! Wise's response shapes, read leniently: every documented variant is accepted.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

/// A user's tokens from any of the three user grants.
pub struct UserTokens {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub expires_at: DateTime<Utc>,
    pub refresh_token_expires_at: Option<DateTime<Utc>>,
    pub scope: Option<String>,
}

impl std::fmt::Debug for UserTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserTokens")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's answer. Older payloads lack the `*_at` fields; fractions of seconds vary.
#[derive(Deserialize)]
pub(super) struct TokenResponse {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<i64>,
    pub expires_at: Option<String>,
    pub refresh_token_expires_in: Option<i64>,
    pub refresh_token_expires_at: Option<String>,
    pub scope: Option<String>,
    pub created_at: Option<String>,
}

impl TokenResponse {
    /// When the access token expires: `expires_at`, else `created_at + expires_in`, else
    /// `now + expires_in`, else 12 hours from now.
    pub fn access_expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let start = self
            .created_at
            .as_deref()
            .and_then(timestamp)
            .unwrap_or(now);
        self.expires_at
            .as_deref()
            .and_then(timestamp)
            .unwrap_or_else(|| start + Duration::seconds(self.expires_in.unwrap_or(43_199)))
    }

    pub fn refresh_expiry(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.refresh_token_expires_at
            .as_deref()
            .and_then(timestamp)
            .or_else(|| {
                self.refresh_token_expires_in
                    .map(|s| now + Duration::seconds(s))
            })
    }
}

/// RFC 3339 with any number of fractional digits; a timestamp without zone is taken as UTC.
pub(super) fn timestamp(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// Answer to user creation: created, or the email already has a Wise account (409 NOT_UNIQUE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateUserOutcome {
    Created(CreatedUser),
    AlreadyExists { trace_id: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedUser {
    pub id: i64,
    pub trace_id: Option<String>,
}

/// The v1 user (`/v1/me`, `/v1/users/{id}`, signup).
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub details: Option<UserDetails>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDetails {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    date_of_birth: Option<String>,
}

impl User {
    /// `details.dateOfBirth`, when present and a real date.
    pub fn date_of_birth(&self) -> Option<NaiveDate> {
        let raw = self.details.as_ref()?.date_of_birth.as_deref()?;
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    Personal,
    Business,
}

/// A profile in either documented shape: v2 (`type: "PERSONAL"`, top-level `dateOfBirth`) or v1
/// (`type: "personal"`, `details.dateOfBirth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub id: i64,
    pub user_id: Option<i64>,
    pub kind: ProfileKind,
    pub date_of_birth: Option<NaiveDate>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl Profile {
    pub fn from_json(v: &Value) -> Result<Self, String> {
        let id = v
            .get("id")
            .and_then(Value::as_i64)
            .ok_or("profile without a numeric id")?;
        let kind = match v
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("PERSONAL") => ProfileKind::Personal,
            Some("BUSINESS") => ProfileKind::Business,
            other => return Err(format!("profile {id} has unknown type {other:?}")),
        };
        let details = v.get("details");
        let field = |k: &str| {
            v.get(k)
                .or_else(|| details.and_then(|d| d.get(k)))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let date_of_birth =
            field("dateOfBirth").and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        Ok(Self {
            id,
            user_id: v.get("userId").and_then(Value::as_i64),
            kind,
            date_of_birth: if kind == ProfileKind::Personal {
                date_of_birth
            } else {
                None
            },
            first_name: field("firstName"),
            last_name: field("lastName"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_both_profile_shapes() {
        let v2 = json!({"type": "PERSONAL", "id": 14575282, "userId": 9889627, "dateOfBirth": "1985-05-20", "firstName": "Sarah"});
        let v1 = json!({"id": 30000001, "type": "personal", "details": {"firstName": "Ada", "dateOfBirth": "1977-01-01"}});
        let business = json!({"type": "BUSINESS", "id": 14599371, "userId": 9889627, "businessName": "Innovate"});
        let p2 = Profile::from_json(&v2).unwrap();
        assert_eq!(
            (p2.kind, p2.user_id, p2.date_of_birth),
            (
                ProfileKind::Personal,
                Some(9889627),
                NaiveDate::from_ymd_opt(1985, 5, 20)
            )
        );
        let p1 = Profile::from_json(&v1).unwrap();
        assert_eq!(
            (p1.kind, p1.date_of_birth),
            (ProfileKind::Personal, NaiveDate::from_ymd_opt(1977, 1, 1))
        );
        assert_eq!(p1.first_name.as_deref(), Some("Ada"));
        assert_eq!(
            Profile::from_json(&business).unwrap().kind,
            ProfileKind::Business
        );
        assert!(Profile::from_json(&json!({"id": 1, "type": "ROBOT"})).is_err());
        let no_dob = Profile::from_json(&json!({"id": 2, "type": "PERSONAL"})).unwrap();
        assert_eq!(no_dob.date_of_birth, None);
    }

    #[test]
    fn token_expiry_accepts_every_documented_form() {
        let now = timestamp("2026-11-22T00:00:00Z").unwrap();
        let full: TokenResponse = serde_json::from_value(json!({
            "access_token": "a", "expires_in": 43199, "expires_at": "2025-04-11T03:43:28.148Z",
            "created_at": "2023-12-06T18:28:14.206824830Z"
        }))
        .unwrap();
        assert_eq!(
            full.access_expiry(now),
            timestamp("2025-04-11T03:43:28.148Z").unwrap()
        );
        let old: TokenResponse =
            serde_json::from_value(json!({"access_token": "a", "expires_in": 30021})).unwrap();
        assert_eq!(old.access_expiry(now), now + Duration::seconds(30021));
        let created_only: TokenResponse =
            serde_json::from_value(json!({"access_token": "a", "expires_in": 100, "created_at": "2026-11-21T00:00:00.12345Z"})).unwrap();
        assert_eq!(
            created_only.access_expiry(now),
            timestamp("2026-11-21T00:01:40.12345Z").unwrap()
        );
        for raw in [
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.1Z",
            "2026-01-01T00:00:00.123456789Z",
            "2026-01-01T00:00:00+02:00",
            "2023-01-15T10:30:00",
        ] {
            assert!(timestamp(raw).is_some(), "{raw}");
        }
    }

    #[test]
    fn user_dob_from_details() {
        let u: User = serde_json::from_value(json!({"id": 101, "name": null, "email": "p@example.com", "active": true, "details": {"dateOfBirth": "1977-01-01"}})).unwrap();
        assert_eq!(u.date_of_birth(), NaiveDate::from_ymd_opt(1977, 1, 1));
        let fresh: User = serde_json::from_value(json!({"id": 12345, "name": null, "email": "n@domain.com", "active": true, "details": null})).unwrap();
        assert_eq!(fresh.date_of_birth(), None);
    }
}
