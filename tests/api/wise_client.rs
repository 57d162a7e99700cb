//! The Wise client against the simulator, over HTTP: every operation, error variant and fault,
//! one file per area.

mod budget;
mod client_token;
mod expiry;
mod faults;
mod mtls;
mod runtimes;
mod signup;
mod user_tokens;
