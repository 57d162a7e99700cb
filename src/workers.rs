//! Background work that runs inside `wiselink serve`.

pub mod recovery;
