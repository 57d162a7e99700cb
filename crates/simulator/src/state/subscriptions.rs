//! Wise's application webhook subscriptions and the deliveries they cause: who is subscribed to
//! what, which deliveries wait, and Wise's retry schedule. Pure data; `webhooks.rs` sends.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// The two application-level events wiselink subscribes to (`ref/wise-api.md` §11).
pub const USER_STATE_CHANGE: &str = "users#state-change";
pub const PROFILE_VERIFICATION_CHANGE: &str = "profiles#verification-state-change";
/// Every `trigger_on` the simulator accepts: the two above and the transfer events Wise's
/// OpenAPI models (subscribed to, never fired here).
pub const TRIGGERS: [&str; 4] = [
    USER_STATE_CHANGE,
    PROFILE_VERIFICATION_CHANGE,
    "transfers#state-change",
    "balances#credit",
];

/// Attempts per delivery before Wise gives up (its guide: about 25 over about two weeks).
pub const MAX_ATTEMPTS: u32 = 25;

/// Wise's backoff after the `attempts`-th failed attempt: 1, 2, 4 … minutes, doubling, at most
/// 16 hours between attempts (25 attempts then span about ten days).
pub fn retry_delay(attempts: u32) -> Duration {
    let minutes = 1_i64 << attempts.saturating_sub(1).min(10);
    Duration::minutes(minutes.min(16 * 60))
}

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: Uuid,
    pub name: String,
    pub trigger_on: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

/// How the simulator spoils a delivery's signature when a test asks it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forgery {
    /// Signed by the right key, then one byte of the signature changed.
    BadSignature,
    /// Signed by a key that is not Wise's.
    WrongKey,
    /// No `X-Signature-SHA256` header at all.
    Unsigned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its due time (or for `/__sim/webhooks/release` while held).
    Pending,
    Delivered,
    /// Every attempt failed.
    Abandoned,
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub delivery_id: Uuid,
    pub subscription_id: Uuid,
    pub event_type: String,
    pub url: String,
    /// The exact bytes sent (and signed).
    pub body: String,
    pub test: bool,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
    pub held: bool,
    /// Statuses answered so far (0: no answer).
    pub answers: Vec<u16>,
    #[serde(skip)]
    pub in_flight: bool,
}

/// One attempt handed to the sender.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub index: usize,
    pub delivery_id: Uuid,
    pub url: String,
    pub body: String,
    pub test: bool,
    pub forgery: Option<Forgery>,
}

#[derive(Default)]
pub struct Subscriptions {
    list: Vec<Subscription>,
    deliveries: Vec<Delivery>,
    hold: bool,
    forge_next: Vec<Forgery>,
}

impl Subscriptions {
    pub fn create(
        &mut self,
        name: String,
        trigger_on: String,
        url: String,
        now: DateTime<Utc>,
    ) -> Subscription {
        let sub = Subscription {
            id: Uuid::new_v4(),
            name,
            trigger_on,
            url,
            created_at: now,
        };
        self.list.push(sub.clone());
        sub
    }

    pub fn list(&self) -> &[Subscription] {
        &self.list
    }

    pub fn get(&self, id: Uuid) -> Option<&Subscription> {
        self.list.iter().find(|s| s.id == id)
    }

    pub fn delete(&mut self, id: Uuid) -> bool {
        let before = self.list.len();
        self.list.retain(|s| s.id != id);
        self.list.len() != before
    }

    /// Queues one delivery of `data` per subscription to `event_type`; `occurred_at` is inside
    /// `data`, `sent_at` is now.
    pub fn emit(&mut self, event_type: &str, data: Value, now: DateTime<Utc>) -> usize {
        let targets: Vec<Subscription> = self
            .list
            .iter()
            .filter(|s| s.trigger_on == event_type)
            .cloned()
            .collect();
        for sub in &targets {
            self.queue(sub, data.clone(), false, now);
        }
        targets.len()
    }

    /// A test notification for one subscription (`X-Test-Notification: true`).
    pub fn test_notification(&mut self, id: Uuid, now: DateTime<Utc>) -> Option<Uuid> {
        let sub = self.get(id)?.clone();
        let data = json!({"resource": {"type": "application", "id": 0}, "occurred_at": stamp(now)});
        Some(self.queue(&sub, data, true, now))
    }

    fn queue(&mut self, sub: &Subscription, data: Value, test: bool, now: DateTime<Utc>) -> Uuid {
        let body = json!({
            "data": data,
            "subscription_id": sub.id,
            "event_type": sub.trigger_on,
            "schema_version": "2.0.0",
            "sent_at": stamp(now),
        });
        let delivery_id = Uuid::new_v4();
        self.deliveries.push(Delivery {
            delivery_id,
            subscription_id: sub.id,
            event_type: sub.trigger_on.clone(),
            url: sub.url.clone(),
            body: body.to_string(),
            test,
            status: DeliveryStatus::Pending,
            attempts: 0,
            due_at: now,
            held: self.hold,
            answers: Vec::new(),
            in_flight: false,
        });
        delivery_id
    }

    /// Deliveries queued from now on wait for [`Subscriptions::release`].
    pub fn hold(&mut self) {
        self.hold = true;
    }

    /// Sends the held deliveries, newest first when `reverse`, each twice when `duplicate`
    /// (same `X-Delivery-Id`), and stops holding.
    pub fn release(&mut self, reverse: bool, duplicate: bool, now: DateTime<Utc>) -> usize {
        self.hold = false;
        let mut held: Vec<Delivery> = Vec::new();
        self.deliveries.retain(|d| {
            if d.held {
                held.push(d.clone());
            }
            !d.held
        });
        if reverse {
            held.reverse();
        }
        let released = held.len();
        for mut d in held {
            d.held = false;
            d.due_at = now;
            if duplicate {
                self.deliveries.push(d.clone());
            }
            self.deliveries.push(d);
        }
        released
    }

    /// The next `count` attempts are forged the given way.
    pub fn forge(&mut self, forgery: Forgery, count: u32) {
        self.forge_next.extend((0..count).map(|_| forgery));
    }

    /// Due attempts, in queue order, marked in flight so no other pass sends them.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Attempt> {
        let mut out = Vec::new();
        for (index, d) in self.deliveries.iter_mut().enumerate() {
            if d.status == DeliveryStatus::Pending && !d.held && !d.in_flight && d.due_at <= now {
                d.in_flight = true;
                let forgery = (!self.forge_next.is_empty()).then(|| self.forge_next.remove(0));
                out.push(Attempt {
                    index,
                    delivery_id: d.delivery_id,
                    url: d.url.clone(),
                    body: d.body.clone(),
                    test: d.test,
                    forgery,
                });
            }
        }
        out
    }

    /// What the receiver answered (`None`: no answer); schedules the retry on a failure.
    pub fn record(&mut self, index: usize, answer: Option<u16>, now: DateTime<Utc>) {
        let Some(d) = self.deliveries.get_mut(index) else {
            return;
        };
        d.in_flight = false;
        d.attempts += 1;
        d.answers.push(answer.unwrap_or(0));
        if answer.is_some_and(|s| (200..300).contains(&s)) {
            d.status = DeliveryStatus::Delivered;
        } else if d.attempts >= MAX_ATTEMPTS {
            d.status = DeliveryStatus::Abandoned;
        } else {
            d.due_at = now + retry_delay(d.attempts);
        }
    }

    pub fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }
}

/// Wise's timestamps in webhook bodies: RFC 3339, UTC, seconds.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn the_backoff_doubles_from_a_minute_and_stops_growing_at_sixteen_hours() {
        let minutes: Vec<i64> = (1..=12).map(|a| retry_delay(a).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 960, 960]);
        let total: i64 = (1..MAX_ATTEMPTS)
            .map(|a| retry_delay(a).num_minutes())
            .sum();
        assert!((9 * 24 * 60..=14 * 24 * 60).contains(&total), "{total}");
    }

    #[test]
    fn an_event_goes_to_its_subscribers_only_and_a_failure_is_retried_on_schedule() {
        let mut subs = Subscriptions::default();
        subs.create(
            "u".into(),
            USER_STATE_CHANGE.into(),
            "http://a".into(),
            now(),
        );
        subs.create(
            "p".into(),
            PROFILE_VERIFICATION_CHANGE.into(),
            "http://b".into(),
            now(),
        );
        assert_eq!(subs.emit(USER_STATE_CHANGE, json!({}), now()), 1);
        let due = subs.due(now());
        assert_eq!(due.len(), 1);
        assert!(subs.due(now()).is_empty(), "in flight is not due twice");
        subs.record(due[0].index, Some(503), now());
        assert!(subs.due(now() + Duration::seconds(59)).is_empty());
        let again = subs.due(now() + Duration::seconds(60));
        assert_eq!(again[0].delivery_id, due[0].delivery_id);
        subs.record(again[0].index, Some(200), now());
        assert_eq!(subs.deliveries()[0].status, DeliveryStatus::Delivered);
        assert_eq!(subs.deliveries()[0].answers, [503, 200]);
    }

    #[test]
    fn held_deliveries_are_released_newest_first_and_duplicated_on_request() {
        let mut subs = Subscriptions::default();
        subs.create(
            "u".into(),
            USER_STATE_CHANGE.into(),
            "http://a".into(),
            now(),
        );
        subs.hold();
        subs.emit(USER_STATE_CHANGE, json!({"n": 1}), now());
        subs.emit(USER_STATE_CHANGE, json!({"n": 2}), now());
        assert!(subs.due(now()).is_empty());
        assert_eq!(subs.release(true, true, now()), 2);
        let bodies: Vec<Value> = subs
            .due(now())
            .iter()
            .map(|a| serde_json::from_str::<Value>(&a.body).unwrap()["data"]["n"].clone())
            .collect();
        assert_eq!(bodies, [json!(2), json!(2), json!(1), json!(1)]);
    }
}
