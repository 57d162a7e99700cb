//! wiselink: links a partner's customers to their Wise accounts.
//!
//! The service crate. Below it in the workspace: `wiselink-domain` (pure types and rules, and the
//! clock), `wiselink-wise` (Wise's wire types and client) and `wiselink-simulator` (Wise's test
//! double, for `wiselink sim`, the demo and the tests). They are re-exported under the names the
//! service's modules use.

pub use wiselink_domain as domain;
pub use wiselink_domain::{clock, local_names};
pub use wiselink_wise as wise;

pub mod audit;
pub mod brand;
pub mod cli;
pub mod commands;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod http;
pub mod i18n;
pub mod layers;
pub mod mail;
pub mod markup;
pub mod routes;
pub mod services;
pub mod settings;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod workers;
