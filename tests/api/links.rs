//! The email-code linking flow end to end, one file per use case: wiselink over HTTP, the simulated
//! Wise over HTTP, a real database. The steps every flow shares are in `helpers/flows.rs`.

mod access_token;
mod claim;
mod code;
mod dispute;
mod import;
mod lost_answers;
mod one_customer;
mod queries;
mod races;
mod redirect;
mod redirect_again;
mod resend;
mod spent_codes;
mod start;
mod verify;
