//! Links and their events. Every state change goes through [`apply`] / [`apply_all`], which check
//! it against the domain's state machine, change the row only if it is still in the expected
//! state, and write the event rows (and any queued mail) in the same transaction.
//!
//! - `row`: the link record (`links` joined with `link_tokens` and `link_reviews`), the insert and
//!   the changes a transition may make, per table;
//! - `find`: reading links (by id, by session, lists, the key-rotation walk);
//! - `page`: the narrow read behind the customer's link page;
//! - `hand_out`: the narrow read behind an access-token hand-out, and the rule of when a stored
//!   token may be handed out;
//! - `transition`: starting a link and planning the commit of transitions;
//! - `sqlite`: a commit as one SQLite transaction;
//! - `pg`: the same commits as single PostgreSQL statements, built from the same columns;
//! - `events`: the audit trail and what is counted from it;
//! - `sealed`: the encrypted columns;
//! - `recovery`: finding and claiming links a crash left mid-way;
//! - `refresh`: the token refresh lease (claim, settle).

mod changes;
mod events;
mod find;
mod hand_out;
mod holders;
pub mod import;
mod page;
mod pg;
mod queue;
mod recovery;
mod refresh;
mod row;
mod sealed;
mod sqlite;
mod transition;
mod unique_keys;

pub use events::{EventRow, WrongCodes, events, wrong_codes_since};
pub use find::{
    CustomerLink, ListFilter, batch_after, find, find_by_dispute, language_of, list,
    live_of_customer, read, read_by_session,
};
pub use hand_out::{HandOut, TokenTimes, read_hand_out};
pub use holders::{active_with_wise_user, holding_signup_email};
pub use page::{PageLink, read_page};
pub use queue::{
    QUEUE_STATES, QueueFilter, QueueItem, SentEmail, emails_of, oldest_first, oldest_in_review,
    queue, queue_counts,
};
pub use recovery::{claim, stale_in_flight};
pub use refresh::{
    Settlement, TokenHealth, claim_due, claim_one, expire_access_token, release, settle,
    token_health,
};
pub use row::{LinkChanges, LinkRow, NewLink, OwnChanges, ReviewChanges, TokenChanges, linked};
pub use sealed::{SealedColumn, replace_sealed};
pub use transition::{Pin, Refused, SpentCode, Subject, Transition, apply, apply_all, insert};
