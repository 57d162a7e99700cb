//! `GET /staff/links/{id}`: one link — who, why it is here as a side-by-side comparison, its whole
//! timeline and the emails sent for it. `POST /staff/links/{id}/{action}` (the decisions) is in
//! `decide`.

mod compare;
mod decide;
mod erase;

pub use decide::decide;
pub use erase::erase_customer;

use super::gate::{AnyStaff, Signed};
use super::pages::{self, Chrome, ERASED, Page};
use super::queue::{label, why};
use crate::db::customers::Customer;
use crate::db::links::LinkRow;
use crate::domain::{LinkId, LinkState};
use crate::services::links::{LinkError, LinkService};
use crate::services::staff::{StaffService, StaffSession};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use compare::{Comparison, compare};
use serde::Deserialize;

struct Action {
    name: &'static str,
    label: &'static str,
    effect: &'static str,
    needs_password: bool,
}

struct EventLine {
    at: String,
    event: String,
    to_state: String,
    actor: String,
    reason: Option<String>,
    /// The reason was typed by a person and erased with the customer (its digest stays).
    reason_erased: bool,
    trace: Option<String>,
}

struct EmailLine {
    kind: String,
    status: String,
    queued: String,
    sent: String,
}

#[derive(Template)]
#[template(path = "staff/link.html")]
struct LinkPage {
    chrome: Option<Chrome>,
    error: Option<String>,
    notice: Option<String>,
    id: String,
    state: &'static str,
    state_label: &'static str,
    why: Option<String>,
    customer_ref: String,
    customer_name: String,
    /// When the link's personal data was erased, if it was.
    erased_at: Option<String>,
    wise_user_id: String,
    wise_profile_id: String,
    approvals: i32,
    approvals_required: i32,
    first_approved_by: Option<String>,
    comparison: Option<Comparison>,
    actions: Vec<Action>,
    /// An admin may erase the customer (not yet erased).
    can_erase: bool,
    csrf: String,
    seen: i64,
    events: Vec<EventLine>,
    emails: Vec<EmailLine>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show(
    signed: Signed<AnyStaff>,
    path: web::Path<String>,
    done: web::Query<Done>,
    state: web::Data<AppState>,
    staff: web::Data<StaffService>,
    links: web::Data<LinkService>,
) -> HttpResponse {
    let session = signed.session;
    let notice = done
        .done
        .as_deref()
        .and_then(done_notice)
        .map(str::to_owned);
    let ctx = Ctx::new(&session, &staff, &links, &state);
    ctx.respond(&path, StatusCode::OK, None, notice).await
}

fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "approved" => "Approved: the link is active and the customer was told.",
        "first_approval" => {
            "Your approval is recorded. A second reviewer must approve before the link is active."
        }
        "rejected" => {
            "Rejected: the tokens are destroyed and the customer was told we could not link the account."
        }
        "unlocked" => {
            "Unlocked: Wise was asked to email a new code, and the customer got a new link to enter it."
        }
        "unlinked" => "Unlinked: the tokens are destroyed.",
        "erased" => {
            "Erased: the customer's links are ended and their personal data is gone. The links and the audit trail stay."
        }
        _ => return None,
    })
}

/// What a page for one link is built from.
struct Ctx<'a> {
    session: &'a StaffSession,
    staff: &'a StaffService,
    links: &'a LinkService,
    approvals_required: i32,
}

impl<'a> Ctx<'a> {
    fn new(
        session: &'a StaffSession,
        staff: &'a StaffService,
        links: &'a LinkService,
        state: &AppState,
    ) -> Self {
        Self {
            session,
            staff,
            links,
            approvals_required: state.settings.staff.approvals_required,
        }
    }

    /// The link's page with why `done` (e.g. "Not decided") did not happen: the problem's words,
    /// logged when the fault is ours.
    async fn refuse_for(&self, raw_id: &str, done: &str, e: &LinkError) -> HttpResponse {
        let problem = crate::routes::link_errors::problem(e);
        if problem.status().is_server_error() {
            problem.log();
        }
        let detail = problem.detail.clone().unwrap_or_default();
        let message = format!("{done}: {}. {detail}", problem.title);
        self.respond(raw_id, problem.status(), Some(message), None)
            .await
    }

    async fn respond(
        &self,
        raw_id: &str,
        status: StatusCode,
        error: Option<String>,
        notice: Option<String>,
    ) -> HttpResponse {
        let chrome = Page::chrome(self.session);
        let Some(id) = LinkId::parse(raw_id) else {
            return pages::not_found(Some(chrome));
        };
        match self.page(&id, error, notice).await {
            Ok(page) => pages::render(status, &page),
            Err(LinkError::LinkNotFound) => pages::not_found(Some(chrome)),
            Err(e) => {
                tracing::error!(error = %e, "staff link page could not be built");
                pages::unavailable()
            }
        }
    }

    async fn page(
        &self,
        id: &LinkId,
        error: Option<String>,
        notice: Option<String>,
    ) -> Result<LinkPage, LinkError> {
        let links = self.links;
        let link = links.find(id).await?;
        let customer = links.customer(&link).await?;
        let events = links.events(id).await?;
        let emails = links.emails_of(id).await?;
        let wise = links.compared_wise(&link)?;
        let unmasked = self.session.role.sees_personal_data();
        // Once erased, nothing compared is left to show.
        let comparison = link
            .checked_at
            .filter(|_| link.personal_data_erased_at.is_none())
            .map(|at| compare(&link, at, wise.as_ref(), unmasked));
        Ok(LinkPage {
            chrome: Some(Page::chrome(self.session)),
            error,
            notice,
            id: link.id.to_string(),
            state: link.state.as_str(),
            state_label: label(link.state),
            why: Some(why(&link)).filter(|w| !w.is_empty()),
            customer_ref: customer.customer_ref().to_owned(),
            erased_at: link.personal_data_erased_at.map(pages::at),
            customer_name: match &customer {
                Customer::Live(c) => format!("{} {}", c.first_name, c.last_name),
                Customer::Erased(c) => format!("{ERASED} {}", pages::at(c.erased_at)),
            },
            wise_user_id: link
                .wise_user_id
                .map(|u| u.get().to_string())
                .unwrap_or_else(|| "—".to_owned()),
            wise_profile_id: link
                .wise_profile_id
                .map(|p| p.get().to_string())
                .unwrap_or_else(|| "—".to_owned()),
            approvals: link.approvals,
            approvals_required: self.approvals_required,
            first_approved_by: link.first_approved_by.clone(),
            comparison,
            actions: self.actions(&link),
            can_erase: self.session.role.allows(crate::domain::Role::Admin)
                && matches!(customer, Customer::Live(_)),
            csrf: self.session.csrf_token.clone(),
            seen: link.updated_at.and_utc().timestamp_micros(),
            events: events
                .into_iter()
                .map(|e| EventLine {
                    at: pages::at(e.created_at),
                    event: e.event.unwrap_or_else(|| "started".to_owned()),
                    to_state: e.to_state,
                    actor: e.actor,
                    reason: e.reason,
                    reason_erased: e.erased.is_some(),
                    trace: e.wise_trace_id,
                })
                .collect(),
            emails: emails
                .into_iter()
                .map(|m| EmailLine {
                    kind: m.kind,
                    status: m.status,
                    queued: pages::at(m.created_at),
                    sent: m.sent_at.map(pages::at).unwrap_or_else(|| "—".to_owned()),
                })
                .collect(),
        })
    }

    /// The decisions this staff member may take on the link as it is.
    fn actions(&self, link: &LinkRow) -> Vec<Action> {
        if !self.session.role.allows(crate::domain::Role::Reviewer) {
            return Vec::new();
        }
        let approve = Action {
            name: "approve",
            label: "Approve",
            effect: "The link becomes active and the customer gets the \"linked\" email.",
            needs_password: !self.staff.recently_authenticated(self.session),
        };
        let reject = Action {
            name: "reject",
            label: "Reject",
            effect: "Tokens and registration code are destroyed; the customer gets a neutral \"we could not link your account\" email.",
            needs_password: false,
        };
        let unlock = Action {
            name: "unlock",
            label: "Unlock",
            effect: "Wise emails the customer a new code; they get a new code window, their attempts back and a new link to enter it.",
            needs_password: false,
        };
        let unlink = Action {
            name: "unlink",
            label: "Unlink",
            effect: "Tokens and registration code are destroyed; the link ends.",
            needs_password: false,
        };
        match link.state {
            // Nothing to activate (its Wise user's tokens went to another customer's link, or
            // were never asked for): only rejecting or unlinking is offered.
            LinkState::NeedsReview if link.access_token.is_none() => vec![reject, unlink],
            LinkState::NeedsReview => vec![approve, reject, unlink],
            LinkState::Locked => vec![unlock, reject, unlink],
            s if s.is_final() || matches!(s, LinkState::Exchanging | LinkState::Verifying) => {
                Vec::new()
            }
            _ => vec![unlink],
        }
    }
}
