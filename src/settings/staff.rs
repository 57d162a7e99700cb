//! `[staff]`: the support staff's back office — sessions, sign-in throttling, password hashing,
//! second factors and four-eyes review.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    /// Approvals a link in review needs before it becomes active: 1, or 2 for four-eyes review
    /// (two different reviewers).
    pub approvals_required: i32,
    /// A session unused this long ends.
    pub session_idle_minutes: i64,
    /// A session ends this long after sign-in, however busy.
    pub session_absolute_hours: i64,
    /// Approving asks for the password again when it was last typed longer ago than this.
    pub reauth_minutes: i64,
    /// Wrong passwords a session's re-prompt takes before the session ends (the account's sign-in
    /// delay counts them too).
    pub reauth_failures_allowed: i32,
    /// Staff with the `admin` role must sign in with a TOTP code too.
    pub require_totp_for_admin: bool,
    /// Sign-in attempts per client IP per minute.
    pub logins_per_ip_per_minute: u32,
    /// Wrong passwords in a row before each further attempt for that account must wait (twice as
    /// long each time, at most `max_login_delay_secs`).
    pub free_login_failures: i32,
    pub max_login_delay_secs: i64,
    /// Password hashes computed at once (each takes 19 MiB and tens of milliseconds of CPU);
    /// further sign-ins wait their turn, so a flood cannot starve the service.
    pub hashing_concurrency: usize,
    /// Signing in at the bank's OpenID Connect provider.
    pub sso: super::SsoSettings,
}

impl StaffSettings {
    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if !(1..=2).contains(&self.approvals_required) {
            out.push("staff.approvals_required must be 1 or 2".to_owned());
        }
        if !(1..=240).contains(&self.session_idle_minutes) {
            out.push("staff.session_idle_minutes must be between 1 and 240".to_owned());
        }
        if !(1..=24).contains(&self.session_absolute_hours) {
            out.push("staff.session_absolute_hours must be between 1 and 24".to_owned());
        }
        if self.session_idle_minutes > self.session_absolute_hours * 60 {
            out.push(
                "staff.session_idle_minutes must not exceed staff.session_absolute_hours"
                    .to_owned(),
            );
        }
        if !(1..=60).contains(&self.reauth_minutes) {
            out.push("staff.reauth_minutes must be between 1 and 60".to_owned());
        }
        if !(1..=10).contains(&self.reauth_failures_allowed) {
            out.push("staff.reauth_failures_allowed must be between 1 and 10".to_owned());
        }
        if !(1..=1000).contains(&self.logins_per_ip_per_minute) {
            out.push("staff.logins_per_ip_per_minute must be between 1 and 1000".to_owned());
        }
        if !(1..=20).contains(&self.free_login_failures) {
            out.push("staff.free_login_failures must be between 1 and 20".to_owned());
        }
        if !(1..=3600).contains(&self.max_login_delay_secs) {
            out.push("staff.max_login_delay_secs must be between 1 and 3600".to_owned());
        }
        if !(1..=16).contains(&self.hashing_concurrency) {
            out.push("staff.hashing_concurrency must be between 1 and 16".to_owned());
        }
    }
}
