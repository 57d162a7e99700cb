//! wiselink's own emails: the templated messages and the transports that deliver them. Messages
//! are never sent from a request: they go through the outbox (`db::outbox`) and the relay worker.

mod message;
mod transport;

pub use message::{
    Rendered, build, finish_linking, linked, new_message_id, not_linked, reconnect, reminder,
};
pub use transport::{Mailer, SendError};
