//! The bodies of the endpoint writes and how each is read (every field's problem at once).

use crate::domain::Invalid;
use crate::http::fields::ObjectReader;
use crate::services::webhooks::{EndpointEdit, NewEndpoint, Subscription, parse_description};
use crate::settings::MAX_ROTATION_OVERLAP_SECS;
use serde_json::Value;
use utoipa::ToSchema;

/// The body of `POST /v1/webhook-endpoints`.
#[derive(ToSchema)]
pub struct EndpointInput {
    /// Where events are POSTed. In production `https` and a public address (checked now and at
    /// every delivery); in a development environment `http://127.0.0.1:…` works too.
    #[schema(example = "https://bank.example/hooks/wiselink", max_length = 2048)]
    url: String,
    /// Event types to receive, or `["*"]` for all of them.
    #[schema(value_type = Vec<String>, example = json!(["*"]), min_items = 1)]
    events: Subscription,
    #[schema(max_length = 200)]
    description: Option<String>,
}

/// The body of `PATCH /v1/webhook-endpoints/{endpoint_id}`: only the fields given change.
#[derive(ToSchema)]
pub struct EndpointPatch {
    #[schema(max_length = 2048)]
    url: Option<String>,
    #[schema(value_type = Option<Vec<String>>, min_items = 1)]
    events: Option<Subscription>,
    /// An empty string removes the description.
    #[schema(value_type = Option<String>, max_length = 200)]
    description: Option<Option<String>>,
    /// `false` stops deliveries (events meanwhile are not queued for this endpoint; resend them
    /// or read the feed); `true` starts them again, also after the endpoint was disabled for
    /// failing.
    enabled: Option<bool>,
}

/// The body of `POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret`.
#[derive(ToSchema)]
pub struct RotateInput {
    /// How long the previous secret keeps signing beside the new one (default
    /// `webhooks.rotation_overlap_secs`; 0 ends it at once; at most 7 days).
    #[schema(minimum = 0, maximum = 604800)]
    pub(super) overlap_secs: Option<u32>,
}

/// `events`, read as a subscription (`None` when refused).
fn read_events(reader: &mut ObjectReader, required: bool) -> Option<Option<Subscription>> {
    let refuse = |reader: &mut ObjectReader, invalid: Invalid| {
        reader.refuse("events", invalid.code, invalid.message);
        None
    };
    match reader.take("events") {
        None if required => refuse(reader, Invalid::new("required", "events is required")),
        None => Some(None),
        Some(Value::Array(items)) => {
            let names: Option<Vec<String>> = items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
            let Some(names) = names else {
                return refuse(
                    reader,
                    Invalid::new("invalid_type", "events must be an array of strings"),
                );
            };
            match Subscription::parse(&names) {
                Ok(s) => Some(Some(s)),
                Err(invalid) => refuse(reader, invalid),
            }
        }
        Some(_) => refuse(
            reader,
            Invalid::new("invalid_type", "events must be an array of strings"),
        ),
    }
}

fn read_url(raw: &str) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        return Err(Invalid::new("required", "url is required"));
    }
    Ok(raw.to_owned())
}

impl EndpointInput {
    pub(super) fn read(reader: &mut ObjectReader) -> Option<Self> {
        let url = reader.required("url", read_url);
        let events = read_events(reader, true);
        let description = reader.optional("description", parse_description);
        Some(Self {
            url: url?,
            events: events??,
            description: description?.flatten(),
        })
    }
}

impl From<EndpointInput> for NewEndpoint {
    fn from(input: EndpointInput) -> Self {
        Self {
            url: input.url,
            events: input.events,
            description: input.description,
        }
    }
}

impl From<EndpointPatch> for EndpointEdit {
    fn from(patch: EndpointPatch) -> Self {
        Self {
            url: patch.url,
            events: patch.events,
            description: patch.description,
            enabled: patch.enabled,
        }
    }
}

impl EndpointPatch {
    pub(super) fn read(reader: &mut ObjectReader) -> Option<Self> {
        let url = reader.optional("url", read_url);
        let events = read_events(reader, false);
        let description = reader.optional("description", parse_description);
        let enabled = match reader.take("enabled") {
            None => Some(None),
            Some(Value::Bool(b)) => Some(Some(b)),
            Some(_) => {
                reader.refuse("enabled", "invalid_type", "enabled must be true or false");
                None
            }
        };
        Some(Self {
            url: url?,
            events: events?,
            description: description?,
            enabled: enabled?,
        })
    }
}

impl RotateInput {
    pub(super) fn read(reader: &mut ObjectReader) -> Option<Self> {
        let overlap_secs = match reader.take("overlap_secs") {
            None => None,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(secs) if secs <= u64::from(MAX_ROTATION_OVERLAP_SECS) => Some(secs as u32),
                _ => {
                    reader.refuse(
                        "overlap_secs",
                        "out_of_range",
                        format!("overlap_secs must be 0 to {MAX_ROTATION_OVERLAP_SECS}"),
                    );
                    return None;
                }
            },
            Some(_) => {
                reader.refuse(
                    "overlap_secs",
                    "invalid_type",
                    "overlap_secs must be a number",
                );
                return None;
            }
        };
        Some(Self { overlap_secs })
    }
}
