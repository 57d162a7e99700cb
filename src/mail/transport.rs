//! Where messages go: an SMTP server, `.eml` files, or the database (dev).

use crate::settings::{MailSettings, MailTransport};
use anyhow::Context;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    /// Nothing leaves: the relay marks the message sent and keeps it for `/dev/mailbox`.
    Dev,
}

/// A delivery that did not happen. `permanent` when the server refused it for good (5xx).
#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
pub struct SendError {
    pub permanent: bool,
    pub detail: String,
}

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<Self> {
        Ok(match settings.transport {
            MailTransport::Smtp => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(
                    settings.smtp_url.expose_secret(),
                )
                // lettre's message names the part of the URL it disliked, never the password.
                .context("mail.smtp_url is not a usable SMTP URL")?
                .timeout(Some(Duration::from_secs(settings.smtp_timeout_secs)))
                .build();
                Self::Smtp(transport)
            }
            MailTransport::File => {
                std::fs::create_dir_all(&settings.file_dir).with_context(|| {
                    format!("cannot create mail.file_dir {:?}", settings.file_dir)
                })?;
                Self::File(AsyncFileTransport::new(&settings.file_dir))
            }
            MailTransport::Dev => Self::Dev,
        })
    }

    pub fn transport(&self) -> MailTransport {
        match self {
            Self::Smtp(_) => MailTransport::Smtp,
            Self::File(_) => MailTransport::File,
            Self::Dev => MailTransport::Dev,
        }
    }

    pub async fn send(&self, message: lettre::Message) -> Result<(), SendError> {
        match self {
            Self::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| SendError {
                permanent: e.is_permanent(),
                detail: format!("SMTP: {e}"),
            }),
            Self::File(file) => file.send(message).await.map(drop).map_err(|e| SendError {
                permanent: false,
                detail: format!("file: {e}"),
            }),
            Self::Dev => Ok(()),
        }
    }
}
