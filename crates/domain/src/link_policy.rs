//! The rules of one link that an operator may tune (`[links]` in the configuration): attempts,
//! how long a code and a session last, how often a new code may be asked.

use super::ResendPolicy;
use chrono::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkPolicy {
    /// Wrong codes allowed per code window before the link locks.
    pub max_attempts: i32,
    /// How long the customer has to enter Wise's code (Wise's codes live 30 minutes).
    pub code_window: Duration,
    /// How long after its code window a session token still opens its link, so the customer can
    /// read how it ended.
    pub session_grace: Duration,
    /// Wrong codes one customer may type over all their links in a rolling 24 hours.
    pub wrong_codes_per_customer_per_day: i64,
    /// The longest one link request (or one recovery of a link) may spend on Wise, all its
    /// calls, retries and waits together; shorter than the recovery lease.
    pub wise_budget: Duration,
    pub resend: ResendPolicy,
    /// How long after a link begins waiting for the code a customer who has not typed it gets
    /// the one reminder; `None` sends none. Shorter than `code_window`.
    pub reminder_after: Option<Duration>,
}

impl Default for LinkPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            code_window: Duration::minutes(30),
            session_grace: Duration::hours(1),
            wrong_codes_per_customer_per_day: 20,
            wise_budget: Duration::seconds(40),
            resend: ResendPolicy::default(),
            reminder_after: Some(Duration::minutes(15)),
        }
    }
}
