//! The messages wiselink sends, rendered from `templates/mail/` (a text and an HTML part each).

use crate::i18n::{Arg, Words};
use askama::Template;
use chrono::NaiveDateTime;
use lettre::message::{Mailbox, MultiPart, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// A rendered message. It may carry the code-entry URL with its session token, so it is sealed
/// at rest and its `Debug` shows only the subject.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// One paragraph of a message: a numbered step when `number` is set, with a link under it when
/// `link` is.
struct Block {
    number: Option<u8>,
    text: String,
    link: Option<String>,
}

impl Block {
    fn text(text: String) -> Self {
        Self {
            number: None,
            text,
            link: None,
        }
    }

    fn step(number: u8, text: String, link: Option<&str>) -> Self {
        Self {
            number: Some(number),
            text,
            link: link.map(str::to_owned),
        }
    }
}

/// Every message wiselink sends has this shape: the partner's name, a greeting, paragraphs and
/// a footer with the partner's contacts, as text and as HTML.
#[derive(Template)]
#[template(path = "mail/letter.txt")]
struct LetterText<'a> {
    partner: &'a str,
    greeting: &'a str,
    blocks: &'a [Block],
    footer: &'a [String],
}

#[derive(Template)]
#[template(path = "mail/letter.html")]
struct LetterHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    partner: &'a str,
    greeting: &'a str,
    blocks: &'a [Block],
    footer: &'a [String],
}

fn letter(
    words: &Words,
    subject_key: &str,
    first_name: &str,
    blocks: &[Block],
) -> Result<Rendered, askama::Error> {
    let subject = words.t(subject_key);
    let greeting = words.with("mail-hello", &[("name", Arg::from(first_name))]);
    let mut footer = Vec::new();
    if !words.brand.support.is_empty() {
        footer.push(words.t("support-line"));
    }
    if let Some(url) = &words.brand.privacy_url {
        footer.push(words.with("mail-privacy", &[("url", Arg::from(url.as_str()))]));
    }
    let partner = words.partner();
    Ok(Rendered {
        text: LetterText {
            partner,
            greeting: &greeting,
            blocks,
            footer: &footer,
        }
        .render()?,
        html: LetterHtml {
            lang: words.lang(),
            subject: &subject,
            partner,
            greeting: &greeting,
            blocks,
            footer: &footer,
        }
        .render()?,
        subject,
    })
}

/// After Wise's 409: what to look for in Wise's email, and where to type the code.
pub fn finish_linking(
    words: &Words,
    first_name: &str,
    code_entry_url: &SecretString,
    expires_at: NaiveDateTime,
) -> Result<Rendered, askama::Error> {
    let url = code_entry_url.expose_secret();
    let blocks = [
        Block::text(words.t("mail-finish-intro")),
        Block::step(1, words.t("mail-finish-step-wise"), None),
        Block::step(2, words.t("mail-finish-step-enter"), Some(url)),
        Block::text(words.when_text("mail-finish-until", expires_at, expires_at)),
        Block::text(words.t("mail-finish-ignore")),
    ];
    letter(words, "mail-finish-subject", first_name, &blocks)
}

/// The one reminder, when the customer has not typed the code some time after the first email.
pub fn reminder(
    words: &Words,
    first_name: &str,
    code_entry_url: &SecretString,
) -> Result<Rendered, askama::Error> {
    let blocks = [
        Block::text(words.t("mail-reminder-intro")),
        Block {
            number: None,
            text: words.t("mail-reminder-step-enter"),
            link: Some(code_entry_url.expose_secret().to_owned()),
        },
        Block::text(words.t("mail-reminder-expiry")),
        Block::text(words.t("mail-reminder-once")),
    ];
    letter(words, "mail-reminder-subject", first_name, &blocks)
}

/// The link became active. `created` when Wise opened a new account for the partner. Ends with
/// the one-time "this wasn't me" link.
pub fn linked(
    words: &Words,
    first_name: &str,
    email: &str,
    created: bool,
    dispute_url: &SecretString,
) -> Result<Rendered, askama::Error> {
    let what = if created {
        "mail-linked-created"
    } else {
        "mail-linked-existing"
    };
    let blocks = [
        Block::text(words.with(what, &[("email", Arg::from(email))])),
        Block::text(words.t("mail-linked-withdraw")),
        Block {
            number: None,
            text: words.t("mail-linked-unexpected"),
            link: Some(dispute_url.expose_secret().to_owned()),
        },
    ];
    letter(words, "mail-linked-subject", first_name, &blocks)
}

/// Staff rejected the link. Neutral on purpose: it never says why (the customer may not be the
/// person the partner thinks).
pub fn not_linked(words: &Words, first_name: &str) -> Result<Rendered, askama::Error> {
    let blocks = [
        Block::text(words.t("mail-not-linked-body")),
        Block::text(words.t("mail-not-linked-help")),
    ];
    letter(words, "mail-not-linked-subject", first_name, &blocks)
}

/// Wise refused the link's tokens for good: the customer must link again.
pub fn reconnect(words: &Words, first_name: &str) -> Result<Rendered, askama::Error> {
    let blocks = [
        Block::text(words.t("mail-reconnect-body")),
        Block::text(words.t("mail-reconnect-how")),
        Block::text(words.t("mail-reconnect-safe")),
    ];
    letter(words, "mail-reconnect-subject", first_name, &blocks)
}

/// A fresh `Message-ID`, under the sender's domain. Chosen once, when the message is queued, so
/// every delivery attempt carries the same one and receivers can drop duplicates.
pub fn new_message_id(from: &Mailbox) -> String {
    format!(
        "<{}@{}>",
        uuid::Uuid::new_v4().simple(),
        from.email.domain()
    )
}

/// The MIME message for one delivery attempt: always the same bytes apart from transport headers.
pub fn build(
    from: &Mailbox,
    to: &str,
    message_id: &str,
    date: SystemTime,
    rendered: &Rendered,
) -> Result<lettre::Message, lettre::error::Error> {
    let to: Mailbox = to.parse().map_err(|_| lettre::error::Error::MissingTo)?;
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(message_id.to_owned()))
        .date(date)
        .header(header::MIME_VERSION_1_0)
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
}

#[cfg(test)]
mod tests;
