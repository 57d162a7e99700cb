//! What a partner or an admin gives for an endpoint: its events, its description, its changes.

use crate::domain::{Invalid, PartnerEventType};

/// The longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// Which events an endpoint receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscription {
    All,
    Only(Vec<PartnerEventType>),
}

impl Subscription {
    /// From the API's list: `["*"]`, or event type names, each at most once.
    pub fn parse(names: &[String]) -> Result<Self, Invalid> {
        if names.is_empty() {
            return Err(Invalid::new(
                "no_events",
                "events must name at least one event type, or \"*\"",
            ));
        }
        if names.iter().any(|n| n == "*") {
            return if names.len() == 1 {
                Ok(Self::All)
            } else {
                Err(Invalid::new(
                    "wildcard_with_others",
                    "events is either [\"*\"] or a list of event types",
                ))
            };
        }
        let mut types = Vec::with_capacity(names.len());
        for name in names {
            let t = PartnerEventType::parse(name).ok_or_else(|| {
                Invalid::new(
                    "unknown_event_type",
                    format!("events: {name:?} is not an event type"),
                )
            })?;
            if types.contains(&t) {
                return Err(Invalid::new(
                    "duplicate_event_type",
                    format!("events names {name:?} twice"),
                ));
            }
            types.push(t);
        }
        Ok(Self::Only(types))
    }

    /// As stored: `*`, or the names separated by spaces.
    pub(super) fn column(&self) -> String {
        match self {
            Self::All => "*".to_owned(),
            Self::Only(types) => types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// As the API shows it.
    pub fn names(column: &str) -> Vec<String> {
        column.split(' ').map(str::to_owned).collect()
    }
}

/// A description as given: trimmed, at most [`MAX_DESCRIPTION_CHARS`], no control characters;
/// empty means none.
pub fn parse_description(raw: &str) -> Result<Option<String>, Invalid> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Invalid::new(
            "too_long",
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Invalid::new(
            "invalid_characters",
            "description must not contain control characters",
        ));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// A new endpoint as the partner describes it.
pub struct NewEndpoint {
    pub url: String,
    pub events: Subscription,
    pub description: Option<String>,
}

/// What a partner changes on an endpoint; `None` leaves it.
#[derive(Default)]
pub struct EndpointEdit {
    pub url: Option<String>,
    pub events: Option<Subscription>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}
