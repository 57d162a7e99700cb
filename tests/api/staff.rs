//! The support staff's back office over HTTP, one file per concern: accounts from the CLI,
//! signing in (and its throttling), sessions, cross-site refusals, the role × route matrix, and
//! the review screen's decisions.

mod accounts;
mod erase;
mod four_eyes;
pub mod matrix;
mod reauth;
mod review_screen;
mod second_factor;
mod sessions;
mod sign_in;
mod sso;
