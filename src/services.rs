//! Use cases that combine domain rules with storage. Routes and the CLI call these.

pub mod api_keys;
pub mod audit;
pub mod customers;
pub mod import;
pub mod keys;
pub mod links;
pub mod outbox;
pub mod staff;
pub mod stats;
pub mod test_mode;
pub mod webhooks;
pub mod wise_events;
