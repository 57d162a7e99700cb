//! HTTP plumbing shared by every route: problem responses, body reading, authentication,
//! idempotency, request metrics, page headers.

pub mod body;
pub mod client_ip;
pub mod cookies;
pub mod custody;
pub mod fields;
pub mod html;
pub mod idempotency;
pub mod local_host;
pub mod metrics;
pub mod problem;
pub mod rate_limit;
pub mod request_error;
pub mod same_origin;

pub use problem::{FieldError, Problem, RequestError};
