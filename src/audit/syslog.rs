//! The audit trail as RFC 5424 syslog messages, framed for TCP and TLS by octet counting (RFC 6587
//! section 3.4.1, the framing RFC 5425 requires over TLS).
//!
//! Each message carries one record of `wiselink audit export --format jsonl` as its MSG (UTF-8,
//! with the BOM RFC 5424 asks for), so whatever the collector keeps can be checked offline with
//! `wiselink audit check-export` and the public keys alone. The header says what it is without
//! parsing the JSON: MSGID `audit-entry` or `audit-checkpoint`, the entry's sealing time (or the
//! checkpoint's signing time) as TIMESTAMP, and no structured data.

use chrono::NaiveDateTime;

/// APP-NAME of every message.
pub const APP_NAME: &str = "wiselink";
/// RFC 5424 severity of every message: informational.
const SEVERITY: u8 = 6;
/// The byte-order mark that marks MSG as UTF-8.
const BOM: &str = "\u{feff}";

/// What a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgId {
    Entry,
    Checkpoint,
}

impl MsgId {
    fn as_str(self) -> &'static str {
        match self {
            MsgId::Entry => "audit-entry",
            MsgId::Checkpoint => "audit-checkpoint",
        }
    }
}

/// The parts of the header that are the same for every message a process sends.
#[derive(Debug, Clone)]
pub struct Sender {
    /// RFC 5424 facility, 0 to 23 (13 is "log audit").
    pub facility: u8,
    pub hostname: String,
    pub procid: String,
}

impl Sender {
    /// A sender on this machine (its hostname, or `hostname` when set) with this process's id.
    pub fn new(facility: u8, hostname: &str) -> Self {
        let hostname = if hostname.is_empty() {
            hostname::get()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            hostname.to_owned()
        };
        Self {
            facility,
            hostname: header_field(&hostname, 255),
            procid: std::process::id().to_string(),
        }
    }

    /// One message, framed: `LENGTH SP SYSLOG-MSG`.
    pub fn frame(&self, msgid: MsgId, at: NaiveDateTime, msg: &str) -> Vec<u8> {
        let message = format!(
            "<{pri}>1 {timestamp} {host} {APP_NAME} {procid} {msgid} - {BOM}{msg}",
            pri = u16::from(self.facility) * 8 + u16::from(SEVERITY),
            timestamp = at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
            host = self.hostname,
            procid = self.procid,
            msgid = msgid.as_str(),
        );
        let mut framed = format!("{} ", message.len()).into_bytes();
        framed.extend_from_slice(message.as_bytes());
        framed
    }
}

/// A header field as RFC 5424 allows it: printable US-ASCII without spaces, at most `max` long;
/// the NILVALUE `-` when nothing is left.
fn header_field(value: &str, max: usize) -> String {
    let kept: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if kept.is_empty() {
        "-".to_owned()
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 6)
            .unwrap()
            .and_hms_micro_opt(23, 4, 5, 120)
            .unwrap()
    }

    #[test]
    fn a_frame_is_its_length_in_bytes_then_an_rfc5424_message() {
        let sender = Sender {
            facility: 13,
            hostname: "wl-1".into(),
            procid: "42".into(),
        };
        let framed = sender.frame(MsgId::Entry, at(), r#"{"type":"entry","name":"Zoë"}"#);
        let text = String::from_utf8(framed).unwrap();
        let (length, message) = text.split_once(' ').unwrap();
        assert_eq!(length.parse::<usize>().unwrap(), message.len());
        assert_eq!(
            message,
            "<110>1 2026-12-06T23:04:05.000120Z wl-1 wiselink 42 audit-entry - \u{feff}\
             {\"type\":\"entry\",\"name\":\"Zoë\"}"
        );
    }

    #[test]
    fn the_facility_sets_the_priority_and_checkpoints_say_so() {
        let sender = Sender {
            facility: 16,
            hostname: "h".into(),
            procid: "1".into(),
        };
        let text = String::from_utf8(sender.frame(MsgId::Checkpoint, at(), "{}")).unwrap();
        assert!(text.contains(" <134>1 "), "{text}");
        assert!(text.contains(" audit-checkpoint - "), "{text}");
    }

    #[test]
    fn header_fields_hold_only_printable_ascii() {
        assert_eq!(header_field("bank host\u{e9}1", 255), "bankhost1");
        assert_eq!(header_field(" \t", 255), "-");
        assert_eq!(header_field(&"a".repeat(300), 255).len(), 255);
        let sender = Sender::new(13, "my host");
        assert_eq!(sender.hostname, "myhost");
    }
}
