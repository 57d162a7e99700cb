//! `wiselink wise …`: wiselink's application subscriptions at Wise.

use crate::cli::WiseCommand;
use crate::services::wise_events::{PROFILE_VERIFICATION_CHANGE, USER_STATE_CHANGE};
use crate::settings::Settings;
use crate::wise::{Subscription, WiseClient};
use anyhow::Context;
use std::io::Write;

/// The events wiselink acts on, and the name each subscription gets.
const EVENTS: [(&str, &str); 2] = [
    (USER_STATE_CHANGE, "wiselink: user state"),
    (
        PROFILE_VERIFICATION_CHANGE,
        "wiselink: profile verification",
    ),
];

pub async fn run(settings: &Settings, command: WiseCommand) -> anyhow::Result<()> {
    let wise = WiseClient::new(settings.wise.clone()).context("cannot build the Wise client")?;
    let mut out = std::io::stdout().lock();
    match command {
        WiseCommand::Subscribe { url } => {
            let url = url.unwrap_or_else(|| default_url(settings));
            for line in subscribe(&wise, &url).await? {
                writeln!(out, "{line}")?;
            }
        }
        WiseCommand::Subscriptions => {
            let list = wise
                .subscriptions()
                .await
                .context("Wise did not list the subscriptions")?;
            if list.is_empty() {
                writeln!(out, "no subscriptions")?;
            }
            for s in list {
                writeln!(out, "{}  {}  {}", s.id, s.trigger_on, s.delivery.url)?;
            }
        }
        WiseCommand::Unsubscribe { id } => {
            wise.unsubscribe(&id)
                .await
                .with_context(|| format!("Wise did not delete subscription {id}"))?;
            writeln!(out, "deleted {id}")?;
        }
    }
    Ok(())
}

/// Where Wise delivers by default: this service's own receiving route.
pub fn default_url(settings: &Settings) -> String {
    format!(
        "{}/wise/webhooks",
        settings.server.public_url.trim_end_matches('/')
    )
}

/// Subscribes `url` to each event wiselink acts on that is not already subscribed there; one
/// line per event saying what happened.
pub async fn subscribe(wise: &WiseClient, url: &str) -> anyhow::Result<Vec<String>> {
    let existing: Vec<Subscription> = wise
        .subscriptions()
        .await
        .context("Wise did not list the subscriptions")?;
    let mut lines = Vec::new();
    for (trigger, name) in EVENTS {
        let present = existing
            .iter()
            .find(|s| s.trigger_on == trigger && s.delivery.url == url);
        match present {
            Some(s) => lines.push(format!("kept {trigger} → {url} ({})", s.id)),
            None => {
                let s = wise
                    .subscribe(name, trigger, url)
                    .await
                    .with_context(|| format!("Wise did not subscribe {url} to {trigger}"))?;
                lines.push(format!("subscribed {trigger} → {url} ({})", s.id));
            }
        }
    }
    Ok(lines)
}
