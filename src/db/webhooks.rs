//! What the partner hears: the events links publish, the webhook endpoints that receive them, one
//! delivery per endpoint and event, and the log of every attempt.
//!
//! An event row is written with the link change that causes it ([`super::links::apply`]).
//! [`dispatch`] then gives new events their place in the feed under one lock, so the feed's order
//! is the order in which events became visible (a cursor never skips an event committed late),
//! and fans each out to the endpoints subscribed to its type. [`claim_due`] leases deliveries the
//! way the outbox does, and never a link's later delivery to an endpoint while an earlier one is
//! still pending: a link's events arrive in order.

mod deliveries;
mod endpoints;
mod events;
mod log;

pub use deliveries::*;
pub use endpoints::*;
pub use events::*;
pub use log::*;

/// A delivery still to be made (or being retried).
pub const PENDING: &str = "pending";
/// The receiver answered 2xx.
pub const DELIVERED: &str = "delivered";
/// Every attempt of the schedule failed.
pub const FAILED: &str = "failed";
