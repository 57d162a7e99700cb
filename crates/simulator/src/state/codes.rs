//! Authorization codes (single use, 30 minutes, bound to the client and redirect URI), claim
//! codes (5 minutes), and the tickets of the email-flow page that reveals a code.

use super::Client;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use std::collections::HashMap;

pub const AUTH_CODE_MINUTES: i64 = 30;
pub const CLAIM_CODE_MINUTES: i64 = 5;

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub used: bool,
}

#[derive(Debug, Clone)]
pub struct ClaimCode {
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct Codes {
    auth_codes: HashMap<String, AuthCode>,
    claim_codes: HashMap<String, ClaimCode>,
    /// Email-flow page ticket → authorization code it reveals.
    email_tickets: HashMap<String, String>,
}

impl Codes {
    pub fn new_auth_code(&mut self, client: &Client, user_id: i64, now: DateTime<Utc>) -> String {
        let code = short_code();
        self.auth_codes.insert(
            code.clone(),
            AuthCode {
                client_id: client.id.clone(),
                redirect_uri: client.redirect_uri.clone(),
                user_id,
                created_at: now,
                used: false,
            },
        );
        code
    }

    pub fn new_claim_code(&mut self, user_id: i64, now: DateTime<Utc>) -> String {
        let code = uuid::Uuid::new_v4().to_string();
        self.claim_codes.insert(
            code.clone(),
            ClaimCode {
                user_id,
                expires_at: now + Duration::minutes(CLAIM_CODE_MINUTES),
            },
        );
        code
    }

    pub fn auth_code(&self, code: &str) -> Option<&AuthCode> {
        self.auth_codes.get(code)
    }

    pub fn auth_code_mut(&mut self, code: &str) -> Option<&mut AuthCode> {
        self.auth_codes.get_mut(code)
    }

    pub fn claim_code(&self, code: &str) -> Option<&ClaimCode> {
        self.claim_codes.get(code)
    }

    /// Uses up a claim code.
    pub fn take_claim_code(&mut self, code: &str) -> Option<ClaimCode> {
        self.claim_codes.remove(code)
    }

    /// A ticket for the email-flow page that reveals `code`.
    pub fn add_email_ticket(&mut self, ticket: String, code: String) {
        self.email_tickets.insert(ticket, code);
    }

    /// The code the email-flow page with this ticket reveals.
    pub fn email_ticket(&self, ticket: &str) -> Option<&String> {
        self.email_tickets.get(ticket)
    }
}

/// A code shaped like Wise's examples (`G2s8EJ`): six mixed-case letters and digits.
pub fn short_code() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(6)
        .map(char::from)
        .collect()
}
