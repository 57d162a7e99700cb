//! The client for Wise's API: typed requests and responses that accept every documented variant,
//! one error type, retries only where repeating a call is safe, and a cached client-credentials
//! token. Tokens, codes and secrets are `SecretString`s and never logged.

pub mod budget;
mod client;
pub mod deadline;
mod error;
mod operations;
pub mod pem;
mod runtime;
mod settings;
mod types;

pub use client::WiseClient;
pub use error::{ApiError, ErrorBody, ErrorItem, WiseError};
pub use operations::{Subscription, SubscriptionDelivery};
pub use settings::WiseSettings;
pub use types::{
    CreateUserOutcome, CreatedUser, Profile, ProfileKind, User, UserDetails, UserTokens,
};
