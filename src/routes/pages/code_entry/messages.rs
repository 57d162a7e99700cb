//! What the page tells the customer, in their words.

use crate::services::links::LinkError;

pub const UNREADABLE_FORM: &str = "The form could not be read. Please try again.";
pub const NEW_CODE_SENT: &str =
    "Wise is emailing you a new code. Enter the new one: the old code no longer works.";
pub const NOT_A_CODE: &str =
    "That does not look like a code from Wise. Type the code from Wise's email.";
pub const TYPE_THE_CODE: &str = "Type the code from Wise's email.";

/// Too many attempts from one address.
pub fn ip_limited(retry_after_secs: u64) -> String {
    format!(
        "Too many attempts from your network. Please wait {} and try again.",
        wait(retry_after_secs)
    )
}

/// What went wrong with a code or a request for a new one.
pub fn error_message(e: &LinkError) -> String {
    let secs = |s: i64| u64::try_from(s).unwrap_or(0);
    match e {
        LinkError::InvalidCode { attempts_remaining } => format!(
            "Wise did not accept that code. Check the email from Wise and try again: {} left.",
            count(u64::try_from(*attempts_remaining).unwrap_or(0), "attempt")
        ),
        LinkError::CodeAlreadyUsed => {
            "That code has already been used. Ask for a new code below.".to_owned()
        }
        LinkError::CodeExpired => {
            "The time to enter this code has run out. Ask for a new code below.".to_owned()
        }
        LinkError::ExchangeLost => "Wise did not answer when we checked that code, and a code \
                                    works only once. Ask for a new code below."
            .to_owned(),
        LinkError::WiseUnavailable { .. } => {
            "Wise is not answering right now. Please try again in a minute.".to_owned()
        }
        LinkError::Busy => {
            "We are still checking a code you sent. This page updates in a moment.".to_owned()
        }
        LinkError::CustomerLimited { retry_after_secs } => format!(
            "Too many wrong codes today. You can try again in {}.",
            wait(secs(*retry_after_secs))
        ),
        LinkError::ResendTooSoon { retry_after_secs } => format!(
            "Wise has only just sent a code. You can ask for a new one in {}.",
            wait(secs(*retry_after_secs))
        ),
        LinkError::ResendLimitReached { retry_after_secs } => format!(
            "You have asked for as many new codes as a day allows. You can ask again in {}.",
            wait(secs(*retry_after_secs))
        ),
        _ => "This cannot be done any more. Start again from the app.".to_owned(),
    }
}

/// `40 seconds`, `3 minutes`, `5 hours`.
fn wait(secs: u64) -> String {
    match secs {
        0..=90 => count(secs.max(1), "second"),
        91..=5400 => count(secs.div_ceil(60), "minute"),
        _ => count(secs.div_ceil(3600), "hour"),
    }
}

/// `1 attempt`, `4 attempts`.
fn count(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_the_largest_sensible_unit() {
        assert_eq!(wait(0), "1 second");
        assert_eq!(wait(45), "45 seconds");
        assert_eq!(wait(91), "2 minutes");
        assert_eq!(wait(3600), "60 minutes");
        assert_eq!(wait(86_000), "24 hours");
        assert_eq!(count(1, "attempt"), "1 attempt");
    }
}
