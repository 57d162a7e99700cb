use serde_json::Value;
use std::time::Duration;

/// Why a call to Wise failed.
#[derive(Debug, thiserror::Error)]
pub enum WiseError {
    /// No HTTP answer: connection refused, reset, dropped, or timed out.
    #[error("could not reach Wise for {operation}")]
    Transport {
        operation: &'static str,
        /// True when the request never reached Wise (so it cannot have had an effect).
        connect: bool,
        timeout: bool,
        #[source]
        source: reqwest::Error,
    },
    /// Wise answered with an error status.
    #[error("Wise answered {} to {}", .0.status, .0.operation)]
    Api(Box<ApiError>),
    /// Wise answered 2xx with a body we cannot read.
    #[error("unreadable answer from Wise to {operation}: {reason}")]
    Decode {
        operation: &'static str,
        reason: String,
        trace_id: Option<String>,
    },
    /// Not sent: the link step it belongs to has no time left for Wise
    /// ([`deadline`](super::deadline)).
    #[error("no time left to call Wise for {operation}")]
    OutOfTime { operation: &'static str },
    /// Not sent: the Wise call budget had no room within the time this call could wait
    /// ([`budget`](super::budget)).
    #[error("the Wise call budget had no room for {operation}")]
    Throttled {
        operation: &'static str,
        retry_after: Duration,
    },
    /// The client could not be built from the configuration.
    #[error("invalid Wise client configuration: {0}")]
    Config(String),
}

/// A non-2xx answer, with everything needed to decide and to quote to Wise support.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub operation: &'static str,
    pub status: u16,
    pub body: ErrorBody,
    /// Wise's `x-trace-id`.
    pub trace_id: Option<String>,
    pub retry_after: Option<Duration>,
}

/// The shapes Wise's error bodies take.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorBody {
    /// `{"error", "error_description"}` — token endpoint and bad bearer tokens. The description of
    /// an `invalid_token` error echoes the token, so it is dropped here.
    OAuth {
        error: String,
        description: Option<String>,
    },
    /// `{"errors": [{code, message, path, arguments}]}` — validation and conflicts.
    Errors(Vec<ErrorItem>),
    /// `{"timestamp", "status", "error", "message", "path"}` — 403s and server errors.
    Spring {
        error: Option<String>,
        message: Option<String>,
        path: Option<String>,
    },
    /// Any other JSON.
    Unknown(Value),
    /// Not JSON at all (or empty).
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorItem {
    pub code: String,
    pub message: Option<String>,
    pub path: Option<String>,
    pub arguments: Vec<String>,
}

impl ErrorBody {
    pub fn parse(bytes: &[u8]) -> Self {
        let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
            let text = String::from_utf8_lossy(bytes);
            return Self::Text(text.chars().take(500).collect());
        };
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        if let Some(items) = value.get("errors").and_then(Value::as_array) {
            return Self::Errors(
                items
                    .iter()
                    .map(|i| ErrorItem {
                        code: text(i, "code").unwrap_or_default(),
                        message: text(i, "message"),
                        path: text(i, "path"),
                        arguments: i
                            .get("arguments")
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .map(|x| {
                                        x.as_str().map_or_else(|| x.to_string(), str::to_owned)
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect(),
            );
        }
        if value.get("timestamp").is_some() && value.get("status").is_some() {
            return Self::Spring {
                error: text(&value, "error"),
                message: text(&value, "message"),
                path: text(&value, "path"),
            };
        }
        if let Some(error) = text(&value, "error") {
            let description = if error == "invalid_token" {
                None
            } else {
                text(&value, "error_description")
            };
            return Self::OAuth { error, description };
        }
        Self::Unknown(value)
    }

    /// The OAuth `error` code, if this is an OAuth-style body.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Self::OAuth { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The first `errors[]` item with this code.
    pub fn item(&self, code: &str) -> Option<&ErrorItem> {
        match self {
            Self::Errors(items) => items.iter().find(|i| i.code == code),
            _ => None,
        }
    }
}

impl WiseError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.status),
            _ => None,
        }
    }

    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e.as_ref()),
            _ => None,
        }
    }

    /// `invalid_grant`, whatever the status (Wise documents 400 and 401): the credential is dead.
    pub fn is_invalid_grant(&self) -> bool {
        self.api()
            .is_some_and(|e| e.body.oauth_error() == Some("invalid_grant"))
    }

    /// The exchange was refused for its `redirect_uri` (`invalid_grant` or `invalid_request`
    /// whose description names the redirect URI): `wise.redirect_uri` is not the URL registered
    /// with Wise — wiselink's misconfiguration, not the customer's code. (Wise does not document
    /// the description; RFC 6749 §5.2 puts this case under `invalid_grant`.)
    pub fn is_redirect_uri_refused(&self) -> bool {
        self.api().is_some_and(|e| match &e.body {
            ErrorBody::OAuth {
                error,
                description: Some(description),
            } => {
                matches!(error.as_str(), "invalid_grant" | "invalid_request")
                    && description.to_ascii_lowercase().contains("redirect")
            }
            _ => false,
        })
    }

    /// 401 `invalid_token`: the bearer token is unknown, expired or revoked.
    pub fn is_invalid_token(&self) -> bool {
        self.api()
            .is_some_and(|e| e.status == 401 && e.body.oauth_error() == Some("invalid_token"))
    }

    /// Wise cannot have acted on the request: it never connected, or Wise answered 429 (or 503
    /// with `Retry-After`), which it does before processing anything. A code sent with it is
    /// still good; any other failure (a timeout, a dropped answer, a bare 5xx) may have used it.
    pub fn proves_unprocessed(&self) -> bool {
        match self {
            Self::Transport { connect, .. } => *connect,
            Self::OutOfTime { .. } | Self::Throttled { .. } => true,
            Self::Api(e) => e.status == 429 || (e.status == 503 && e.retry_after.is_some()),
            _ => false,
        }
    }

    /// Wise may have acted on the request although no good answer arrived: a timeout or a
    /// dropped answer after sending, a bare 5xx, or a 2xx that could not be read. Wise's 4xx
    /// refusals, 429 and connection failures prove it did nothing.
    pub fn may_have_acted(&self) -> bool {
        match self {
            Self::Api(e) if e.status < 500 => false,
            Self::Decode { .. } => true,
            Self::Config(_) => false,
            _ => !self.proves_unprocessed(),
        }
    }

    /// Worth trying again later: no answer, 408, 429 or 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::OutOfTime { .. } | Self::Throttled { .. } => true,
            Self::Api(e) => matches!(e.status, 408 | 429) || e.status >= 500,
            _ => false,
        }
    }

    /// Not sent because the call budget had no room in time.
    pub fn is_throttled(&self) -> bool {
        matches!(self, Self::Throttled { .. })
    }

    pub fn trace_id(&self) -> Option<&str> {
        match self {
            Self::Api(e) => e.trace_id.as_deref(),
            Self::Decode { trace_id, .. } => trace_id.as_deref(),
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        if let Self::Throttled { retry_after, .. } = self {
            return Some(*retry_after);
        }
        self.api().and_then(|e| e.retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_shape() {
        let cases: Vec<(&str, ErrorBody)> = vec![
            (
                r#"{"error":"invalid_grant","error_description":"Invalid user credentials."}"#,
                ErrorBody::OAuth {
                    error: "invalid_grant".into(),
                    description: Some("Invalid user credentials.".into()),
                },
            ),
            (
                r#"{"error":"invalid_token","error_description":"01234567-89ab-cdef-0123-456789abcdef"}"#,
                ErrorBody::OAuth {
                    error: "invalid_token".into(),
                    description: None,
                },
            ),
            (
                r#"{"errors":[{"code":"NOT_UNIQUE","message":"You’re already a member. Please login","path":"email","arguments":["email","class com.transferwise.fx.api.ApiRegisterCommand","existing.user@domain.com"]}]}"#,
                ErrorBody::Errors(vec![ErrorItem {
                    code: "NOT_UNIQUE".into(),
                    message: Some("You’re already a member. Please login".into()),
                    path: Some("email".into()),
                    arguments: vec![
                        "email".into(),
                        "class com.transferwise.fx.api.ApiRegisterCommand".into(),
                        "existing.user@domain.com".into(),
                    ],
                }]),
            ),
            (
                r#"{"timestamp":"2026-01-01T00:00:00.000Z","status":403,"error":"unauthorized","message":"Unauthorized","path":null}"#,
                ErrorBody::Spring {
                    error: Some("unauthorized".into()),
                    message: Some("Unauthorized".into()),
                    path: None,
                },
            ),
            (
                r#"{"message":"Too Many Requests"}"#,
                ErrorBody::Unknown(serde_json::json!({"message":"Too Many Requests"})),
            ),
            (
                "<html>Bad gateway</html>",
                ErrorBody::Text("<html>Bad gateway</html>".into()),
            ),
            ("", ErrorBody::Text(String::new())),
        ];
        for (raw, expected) in cases {
            assert_eq!(ErrorBody::parse(raw.as_bytes()), expected, "{raw}");
        }
    }
}
