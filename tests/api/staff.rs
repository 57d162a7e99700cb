//! The support staff's back office over HTTP, one file per concern: accounts from the CLI,
//! signing in (and its throttling), sessions, cross-site refusals, the role × route matrix, and
//! the review screen's decisions.

mod accounts;
mod four_eyes;
mod reauth;
mod second_factor;
mod matrix;
mod review_screen;
mod sessions;
mod sign_in;
