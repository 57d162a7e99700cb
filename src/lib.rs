//! wiselink: links a partner's customers to their Wise accounts.

pub mod brand;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod local_names;
pub mod mail;
pub mod routes;
pub mod services;
pub mod settings;
pub mod simulator;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod wise;
pub mod workers;
