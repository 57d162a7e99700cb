//! What the black-box tests share: the app under test and its database, the simulated Wise, the
//! CLI, assertions on answers, the steps of a flow, and the invariant checked after every test.

mod app;
mod assert;
mod certs;
mod cli;
mod database;
mod flows;
mod invariants;
mod oidc;
mod sim;
mod staff;

pub use app::*;
pub use assert::*;
pub use certs::*;
pub use cli::*;
pub use database::*;
pub use flows::*;
pub use oidc::*;
pub use sim::*;
pub use staff::*;
