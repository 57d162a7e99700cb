//! The messages wiselink sends, rendered from `templates/mail/` (a text and an HTML part each).

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

#[derive(Template)]
#[template(path = "mail/finish_linking.txt")]
struct FinishLinkingText<'a> {
    first_name: &'a str,
    code_entry_url: &'a str,
    expires_at: String,
}

#[derive(Template)]
#[template(path = "mail/finish_linking.html")]
struct FinishLinkingHtml<'a> {
    subject: &'a str,
    first_name: &'a str,
    code_entry_url: &'a str,
    expires_at: String,
}

#[derive(Template)]
#[template(path = "mail/linked.txt")]
struct LinkedText<'a> {
    first_name: &'a str,
    email: &'a str,
    created: bool,
}

#[derive(Template)]
#[template(path = "mail/linked.html")]
struct LinkedHtml<'a> {
    subject: &'a str,
    first_name: &'a str,
    email: &'a str,
    created: bool,
}

#[derive(Template)]
#[template(path = "mail/not_linked.txt")]
struct NotLinkedText<'a> {
    first_name: &'a str,
}

#[derive(Template)]
#[template(path = "mail/not_linked.html")]
struct NotLinkedHtml<'a> {
    subject: &'a str,
    first_name: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reconnect.txt")]
struct ReconnectText<'a> {
    first_name: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reconnect.html")]
struct ReconnectHtml<'a> {
    subject: &'a str,
    first_name: &'a str,
}

fn when(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// After Wise's 409: what to look for in Wise's email, and where to type the code.
pub fn finish_linking(
    first_name: &str,
    code_entry_url: &SecretString,
    expires_at: NaiveDateTime,
) -> Result<Rendered, askama::Error> {
    let subject = "Finish linking your Wise account";
    let url = code_entry_url.expose_secret();
    Ok(Rendered {
        subject: subject.to_owned(),
        text: FinishLinkingText {
            first_name,
            code_entry_url: url,
            expires_at: when(expires_at),
        }
        .render()?,
        html: FinishLinkingHtml {
            subject,
            first_name,
            code_entry_url: url,
            expires_at: when(expires_at),
        }
        .render()?,
    })
}

/// The link became active. `created` when Wise opened a new account for the partner.
pub fn linked(first_name: &str, email: &str, created: bool) -> Result<Rendered, askama::Error> {
    let subject = "Your Wise account is linked";
    Ok(Rendered {
        subject: subject.to_owned(),
        text: LinkedText {
            first_name,
            email,
            created,
        }
        .render()?,
        html: LinkedHtml {
            subject,
            first_name,
            email,
            created,
        }
        .render()?,
    })
}

/// Staff rejected the link. Neutral on purpose: it never says why (the customer may not be the
/// person the partner thinks).
pub fn not_linked(first_name: &str) -> Result<Rendered, askama::Error> {
    let subject = "We could not link your Wise account";
    Ok(Rendered {
        subject: subject.to_owned(),
        text: NotLinkedText { first_name }.render()?,
        html: NotLinkedHtml {
            subject,
            first_name,
        }
        .render()?,
    })
}

/// Wise refused the link's tokens for good: the customer must link again.
pub fn reconnect(first_name: &str) -> Result<Rendered, askama::Error> {
    let subject = "Reconnect your Wise account";
    Ok(Rendered {
        subject: subject.to_owned(),
        text: ReconnectText { first_name }.render()?,
        html: ReconnectHtml {
            subject,
            first_name,
        }
        .render()?,
    })
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
mod tests {
    use super::*;

    #[test]
    fn finish_linking_carries_the_url_and_expiry_in_both_parts_and_escapes_html() {
        let url = SecretString::from("https://link.example/link/wls_abc");
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(14, 5, 0)
            .unwrap();
        let r = finish_linking("<Ada>", &url, at).unwrap();
        assert_eq!(r.subject, "Finish linking your Wise account");
        for part in [&r.text, &r.html] {
            assert!(part.contains("https://link.example/link/wls_abc"), "{part}");
            assert!(part.contains("2026-11-22 14:05"), "{part}");
        }
        assert!(r.text.contains("Hello <Ada>,"));
        assert!(r.html.contains("Hello &#60;Ada&#62;,") || r.html.contains("Hello &lt;Ada&gt;,"));
        assert!(!format!("{r:?}").contains("wls_abc"));
    }

    #[test]
    fn the_built_message_keeps_the_given_message_id_and_has_two_parts() {
        let from: Mailbox = "wiselink <no-reply@wiselink.test>".parse().unwrap();
        let id = new_message_id(&from);
        assert!(id.ends_with("@wiselink.test>"), "{id}");
        let r = linked("Ada", "ada@example.com", false).unwrap();
        let m = build(&from, "ada@example.com", &id, SystemTime::UNIX_EPOCH, &r).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains(&format!("Message-ID: {id}")), "{raw}");
        assert!(
            raw.contains("text/plain") && raw.contains("text/html"),
            "{raw}"
        );
        assert!(raw.contains("Subject: Your Wise account is linked"));
        assert!(build(&from, "not an address", &id, SystemTime::UNIX_EPOCH, &r).is_err());
    }
}
