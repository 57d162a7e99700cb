//! What tests arm and read through `/__sim`: faults, the calls received, and the variants of
//! behaviour Wise's documentation leaves open.

use super::Limiter;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

const CALLS_KEPT: usize = 10_000;

/// A fault armed for the next `count` calls to `endpoint`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub endpoint: String,
    pub status: Option<u16>,
    pub retry_after: Option<u64>,
    pub latency_ms: Option<u64>,
    /// Processes the call, then waits this long before answering (the answer is slow on its way
    /// back: Wise has acted and the caller does not know yet).
    pub answer_latency_ms: Option<u64>,
    #[serde(default)]
    pub drop_response: bool,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// One call received, as `/__sim/calls` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub at: DateTime<Utc>,
    pub body: serde_json::Value,
    /// The `x-trace-id` the answer carried.
    pub trace_id: String,
}

/// Switches for behaviour Wise's documentation leaves open.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Variants {
    /// Status of `invalid_grant` for a wrong registration code or a reclaimed user: 401 (API
    /// reference) or 400 (guides).
    pub reclaimed_status: u16,
    /// Status of a successful signup: 200 (documented) or 201.
    pub signup_status: u16,
    /// Status of a refresh after the user changed their email at Wise: 400 or 403.
    pub email_changed_status: u16,
    /// Whether a refresh returns a new refresh token (and retires the old one) or the same one.
    pub rotate_refresh_tokens: bool,
}

impl Default for Variants {
    fn default() -> Self {
        Self {
            reclaimed_status: 401,
            signup_status: 200,
            email_changed_status: 400,
            rotate_refresh_tokens: false,
        }
    }
}

impl Variants {
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if ![400, 401].contains(&self.reclaimed_status) {
            out.push("reclaimed_status must be 400 or 401".to_owned());
        }
        if ![200, 201].contains(&self.signup_status) {
            out.push("signup_status must be 200 or 201".to_owned());
        }
        if ![400, 403].contains(&self.email_changed_status) {
            out.push("email_changed_status must be 400 or 403".to_owned());
        }
        out
    }
}

#[derive(Default)]
pub struct Control {
    faults: Vec<Fault>,
    calls: VecDeque<Call>,
    variants: Variants,
    /// Wise's request limits, when enforced.
    pub limiter: Option<Limiter>,
}

impl Control {
    pub fn arm(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Takes one use of the first fault armed for `path`.
    pub fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|f| f.endpoint == path && f.count > 0)?;
        let fault = self.faults[i].clone();
        self.faults[i].count -= 1;
        if self.faults[i].count == 0 {
            self.faults.remove(i);
        }
        Some(fault)
    }

    /// Keeps a call, forgetting the oldest beyond the last 10,000.
    pub fn record(&mut self, call: Call) {
        if self.calls.len() == CALLS_KEPT {
            self.calls.pop_front();
        }
        self.calls.push_back(call);
    }

    pub fn calls(&self) -> &VecDeque<Call> {
        &self.calls
    }

    pub fn clear_calls(&mut self) {
        self.calls.clear();
    }

    pub fn variants(&self) -> &Variants {
        &self.variants
    }

    pub fn set_variants(&mut self, variants: Variants) {
        self.variants = variants;
    }
}
