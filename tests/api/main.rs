//! Black-box tests: the real server on port 0, a fresh database per test (SQLite by default,
//! PostgreSQL when TEST_DATABASE_URL names one), real HTTP.

mod audit;
mod auth;
mod canary;
mod cli;
mod contract;
mod customers;
mod demo;
mod dns_server;
mod erasure;
mod fault_matrix;
mod helpers;
mod idempotency;
mod idempotency_everywhere;
mod keys;
mod limits;
mod links;
mod mail;
mod mail_sink;
mod migrations;
mod ops;
mod otlp_receiver;
mod pages;
mod recovery;
mod review;
mod simulator;
mod slow_clients;
mod staff;
mod syslog_receiver;
mod tokens;
mod traces;
mod webhook_receiver;
mod webhook_signature;
mod webhooks;
mod wise_client;
mod wise_events;
