//! Importing the links a partner already holds (docs/import.md), from a file (`wiselink import`)
//! or a request body (`POST /v1/links/import`): records are read as the bytes arrive, a few rows
//! are proven at once, and each row's outcome is reported as it ends — so memory stays flat
//! however long the input is.

pub mod records;
pub mod row;

use crate::db::links::LinkRow;
use crate::db::links::import::ImportRefused;
use crate::domain::LinkState;
use crate::http::FieldError;
use crate::services::links::{Imported, LinkError, LinkService};
use futures_util::stream::{FuturesUnordered, Stream, StreamExt};
use records::{BadHeader, Record, Records};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Runs imports.
pub struct Importer {
    pub links: Arc<LinkService>,
    /// When an earlier run's unfinished link may be taken over (the recovery worker's rule).
    pub stale_after: chrono::Duration,
    /// Rows proven at once.
    pub concurrency: usize,
    /// Who the audit trail names.
    pub actor: String,
}

/// How one row ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Proven: the link is active.
    Imported,
    /// An earlier import (or link) already accounts for the row.
    Unchanged,
    /// Refused, or proven to be something other than an active link; `code` says which.
    Failed,
}

/// One row's report: where it is in the input, and how it ended. Holds no secret and no personal
/// data beyond the partner's own reference.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowReport {
    /// The row's line in the input, from 1 (a CSV header is line 1).
    pub line: u64,
    /// The row's customer, when it could be read.
    pub customer_ref: Option<String>,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_id: Option<String>,
    /// The link's state after the row (for `unchanged`, as it already was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// For `failed`: `malformed_row`, `invalid_fields`, `customer_erased`, `link_exists`,
    /// `signup_email_taken`, `wise_unavailable`, `not_finished`, `not_imported`, or why the proof
    /// did not end in `active` (a review reason such as `dob_mismatch`, `access_revoked`,
    /// `tokens_lost`, `no_profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For `invalid_fields`: each field's problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The counts of a run, and how the links it touched stand, by state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub imported: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub states: BTreeMap<String, u64>,
}

impl Summary {
    fn count(&mut self, report: &RowReport) {
        match report.outcome {
            Outcome::Imported => self.imported += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Failed => self.failed += 1,
        }
        if let Some(state) = &report.state {
            *self.states.entry(state.clone()).or_default() += 1;
        }
    }

    /// The last line of every summary.
    pub fn line(&self) -> String {
        format!(
            "imported {}, unchanged {}, failed {}",
            self.imported, self.unchanged, self.failed
        )
    }
}

/// Why a run stopped before its input ended.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}", .0.0)]
    Header(BadHeader),
    #[error("the input could not be read: {0}")]
    Read(String),
}

impl Importer {
    /// Imports every record in `chunks`, calling `report` as each row ends (not in input order
    /// when rows run at once; each report carries its line).
    pub async fn run<S, B, E>(
        &self,
        mut chunks: S,
        mut report: impl FnMut(RowReport),
    ) -> Result<Summary, ImportError>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let mut summary = Summary::default();
        let mut records = Records::default();
        let mut ready: VecDeque<Record> = VecDeque::new();
        let mut input_done = false;
        let mut running = FuturesUnordered::new();
        let mut end = |r: RowReport, summary: &mut Summary| {
            summary.count(&r);
            report(r);
        };
        loop {
            while running.len() < self.concurrency.max(1)
                && let Some(record) = ready.pop_front()
            {
                running.push(self.one(record));
            }
            let reading = !input_done && ready.is_empty();
            tokio::select! {
                chunk = chunks.next(), if reading => {
                    let more = match chunk {
                        Some(Ok(bytes)) => records.push(bytes.as_ref()),
                        Some(Err(e)) => return Err(ImportError::Read(e.to_string())),
                        None => {
                            input_done = true;
                            records.finish()
                        }
                    };
                    ready.extend(more.map_err(ImportError::Header)?);
                }
                Some(done) = running.next(), if !running.is_empty() => end(done, &mut summary),
                else => break,
            }
        }
        Ok(summary)
    }

    async fn one(&self, (line, record): Record) -> RowReport {
        let blank = RowReport {
            line,
            customer_ref: None,
            outcome: Outcome::Failed,
            link_id: None,
            state: None,
            code: None,
            message: None,
            errors: Vec::new(),
        };
        let object = match record {
            Ok(object) => object,
            Err(why) => return blank.failed("malformed_row", why),
        };
        let (customer_ref, row) = row::read(object, self.links.clock().now_utc().date_naive());
        let blank = RowReport {
            customer_ref,
            ..blank
        };
        let row = match row {
            Ok(row) => row,
            Err(errors) => {
                return RowReport {
                    errors,
                    ..blank.failed("invalid_fields", "the row has invalid fields".to_owned())
                };
            }
        };
        match self.links.import(row, self.stale_after, &self.actor).await {
            Ok(Imported::Proven(link)) => blank.proven(&link),
            Ok(Imported::Unchanged(link)) => RowReport {
                outcome: Outcome::Unchanged,
                ..blank.at(&link)
            },
            Ok(Imported::Refused(why)) => refused(blank, why),
            Err(LinkError::WiseUnavailable { .. }) => blank.failed(
                "wise_unavailable",
                "Wise could not be reached; the link stays verifying, and the next run or the recovery worker finishes it".to_owned(),
            ),
            Err(e) => {
                tracing::error!(line, error = %e, "an import row could not be written");
                blank.failed("not_imported", "the row could not be written; run the import again".to_owned())
            }
        }
    }
}

fn refused(blank: RowReport, why: ImportRefused) -> RowReport {
    let (code, message) = match why {
        ImportRefused::CustomerErased => (
            "customer_erased",
            "the customer was erased; a customer who comes back needs a new customer_ref"
                .to_owned(),
        ),
        ImportRefused::LinkExists(state) => (
            "link_exists",
            format!(
                "the customer already has a link ({state}) with another Wise user; unlink it first"
            ),
        ),
        ImportRefused::SignupEmailTaken => (
            "signup_email_taken",
            "another link already holds this signup email".to_owned(),
        ),
    };
    blank.failed(code, message)
}

impl RowReport {
    fn failed(self, code: &str, message: String) -> Self {
        Self {
            outcome: Outcome::Failed,
            code: Some(code.to_owned()),
            message: Some(message),
            ..self
        }
    }

    fn at(self, link: &LinkRow) -> Self {
        Self {
            link_id: Some(link.id.as_str().to_owned()),
            state: Some(link.state.as_str().to_owned()),
            ..self
        }
    }

    /// A proven link: imported when active; otherwise failed, with the reason it is where it is
    /// (the review's reason, or the event that put it there).
    fn proven(self, link: &LinkRow) -> Self {
        let at = self.at(link);
        if link.state == LinkState::Active {
            return Self {
                outcome: Outcome::Imported,
                ..at
            };
        }
        let code = match (link.state, link.review_reason) {
            (LinkState::NeedsReview, Some(reason)) => reason.as_str().to_owned(),
            _ => link
                .state_reason
                .clone()
                .unwrap_or_else(|| link.state.as_str().to_owned()),
        };
        if link.state == LinkState::Verifying {
            // Taken up by recovery (or another run) meanwhile: it finishes the proof.
            let message =
                "the link is still verifying: the recovery worker or the next run finishes it";
            return at.failed("not_finished", message.to_owned());
        }
        let message = match link.state {
            LinkState::NeedsReview => {
                "the identity check did not match: the link waits for support staff's review"
            }
            LinkState::RelinkRequired => {
                "Wise refused the refresh token: the customer must link again"
            }
            LinkState::Rejected => "the Wise account has no profile: the link is rejected",
            _ => "the link is not active",
        };
        at.failed(&code, message.to_owned())
    }
}
