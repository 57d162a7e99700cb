//! The emails the simulated Wise sent.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// An email the simulated Wise sent.
#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub authorization_code: Option<String>,
    pub sent_at: DateTime<Utc>,
}

/// Every email Wise sent, in order, with an index by recipient (case-insensitive) so that reading
/// one customer's mail does not scan everyone's while the state lock is held.
#[derive(Default)]
pub struct Mailbox {
    mails: Vec<Mail>,
    by_recipient: HashMap<String, Vec<usize>>,
}

impl Mailbox {
    pub fn push(&mut self, mail: Mail) {
        self.by_recipient
            .entry(mail.to.to_ascii_lowercase())
            .or_default()
            .push(self.mails.len());
        self.mails.push(mail);
    }

    /// Messages to `to`, or all of them, oldest first.
    pub fn to(&self, to: Option<&str>) -> Vec<&Mail> {
        match to {
            None => self.mails.iter().collect(),
            Some(to) => self
                .by_recipient
                .get(&to.to_ascii_lowercase())
                .map(|ids| ids.iter().map(|&i| &self.mails[i]).collect())
                .unwrap_or_default(),
        }
    }
}
