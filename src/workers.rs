//! Background work that runs inside `wiselink serve`.

pub mod outbox;
pub mod recovery;
pub mod refresher;
