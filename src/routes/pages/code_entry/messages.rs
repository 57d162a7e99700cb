//! What the page tells the customer when a post did not do what they asked, in their language
//! (the texts are in `templates/locales/`).

use crate::i18n::Words;
use crate::services::links::LinkError;

/// How the page says it: as an error tied to the code field, or as a calm notice.
pub enum Said {
    Error(String),
    Notice(String),
}

/// What went wrong with a code or a request for a new one.
pub fn about(e: &LinkError, words: &Words) -> Said {
    let secs = |s: i64| u64::try_from(s).unwrap_or(0);
    let error = |key: &str| Said::Error(words.t(key));
    match e {
        LinkError::InvalidCode { attempts_remaining } => {
            Said::Error(words.n("error-invalid-code", i64::from(*attempts_remaining).max(0)))
        }
        LinkError::CodeAlreadyUsed => error("error-code-used"),
        LinkError::CodeExpired => error("error-code-expired"),
        LinkError::ExchangeLost => error("error-exchange-lost"),
        LinkError::WiseUnavailable { .. } => error("error-wise-unavailable"),
        LinkError::Busy | LinkError::WiseUserBusy => error("error-busy"),
        LinkError::CustomerLimited { retry_after_secs } => {
            Said::Error(words.waiting("error-customer-limited", secs(*retry_after_secs)))
        }
        // Not a mistake: the code Wise just sent is still on its way.
        LinkError::ResendTooSoon { retry_after_secs } => {
            Said::Notice(words.waiting("notice-resend-too-soon", secs(*retry_after_secs)))
        }
        LinkError::ResendLimitReached { retry_after_secs } => {
            Said::Error(words.waiting("error-resend-limit", secs(*retry_after_secs)))
        }
        _ => error("error-other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brand::Brand;
    use crate::i18n::Locale;

    #[test]
    fn a_resend_asked_too_early_is_a_notice_and_a_wrong_code_is_an_error() {
        let words = Words::new(
            Locale::En,
            std::sync::Arc::new(Brand::named("Example Bank")),
        );
        let Said::Notice(text) = about(
            &LinkError::ResendTooSoon {
                retry_after_secs: 45,
            },
            &words,
        ) else {
            panic!("an error");
        };
        assert!(text.contains("45 seconds"), "{text}");
        let Said::Error(text) = about(
            &LinkError::InvalidCode {
                attempts_remaining: 1,
            },
            &words,
        ) else {
            panic!("a notice");
        };
        assert!(text.ends_with("1 attempt left."), "{text}");
    }
}
