//! Per-client-IP limits for the endpoints apps and browsers call with a link session token, and
//! for staff sign-in, in one-minute windows that start at a client's first request. On PostgreSQL
//! the whole fleet counts together in the database (a client spreading its requests over the
//! instances behind a proxy gets no more); on SQLite, which serves one instance, in memory. An
//! IPv4 client is its address; an IPv6 client is its /64, the block one subscriber or host is
//! given (it can use any of its 2^64 addresses, so counting single addresses would be no limit at
//! all).

use super::client_ip::TrustedProxies;
use crate::clock::SharedClock;
use crate::db::{Backend, Db, ip_limits};
use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked addresses, windows that have ended are dropped.
const PRUNE_ABOVE: usize = 10_000;
/// The shared windows that ended are deleted once every this many requests an instance counts.
const PRUNE_EVERY: u64 = 1_000;

pub struct IpLimiter {
    per_window: u32,
    proxies: TrustedProxies,
    clock: SharedClock,
    windows: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
    shared: Option<Shared>,
}

/// The fleet's count in the database, under the limit's name.
struct Shared {
    db: Db,
    scope: &'static str,
    counted: AtomicU64,
}

impl IpLimiter {
    /// `per_minute` requests per client address in each one-minute window of `clock`.
    pub fn new(per_minute: u32, proxies: TrustedProxies, clock: SharedClock) -> Self {
        Self {
            per_window: per_minute,
            proxies,
            clock,
            windows: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Counts in `db` under `scope` when it is PostgreSQL, so every instance on it counts
    /// together.
    pub fn shared_through(mut self, db: &Db, scope: &'static str) -> Self {
        if db.backend() == Backend::Postgres {
            self.shared = Some(Shared {
                db: db.clone(),
                scope,
                counted: AtomicU64::new(0),
            });
        }
        self
    }

    /// Counts one request from `ip`. `Err(seconds)` when over the limit: retry after that long.
    pub async fn check(&self, ip: IpAddr) -> Result<(), u64> {
        match &self.shared {
            Some(shared) => self.check_shared(shared, client_block(ip)).await,
            None => self.check_at(ip, self.clock.now_utc()),
        }
    }

    /// Counts one request from the client of `req` (behind trusted proxies, the address they
    /// report); a request whose address is unknown is not counted.
    pub async fn check_request(&self, req: &HttpRequest) -> Result<(), u64> {
        match self.proxies.client_ip(req) {
            Some(ip) => self.check(ip).await,
            None => Ok(()),
        }
    }

    /// The fleet's count. A database that cannot count lets the request through (it needs the
    /// database itself, and fails on its own if that is down); the limit is protection against
    /// floods, not the guard of a code (five wrong codes lock a link, in the database).
    async fn check_shared(&self, shared: &Shared, client: IpAddr) -> Result<(), u64> {
        let now = self.clock.now();
        let window = chrono::Duration::from_std(WINDOW).expect("a minute");
        let ended_by = now - window;
        let prune = shared.counted.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1;
        let scope = shared.scope;
        let counted = shared
            .db
            .run(move |c| {
                if prune {
                    ip_limits::prune(c, ended_by)?;
                }
                ip_limits::count(c, scope, &client.to_string(), now, ended_by)
            })
            .await;
        match counted {
            Ok(w) if u32::try_from(w.requests).unwrap_or(u32::MAX) > self.per_window => {
                let left = (w.window_start + window - now).num_seconds();
                Err(u64::try_from(left).unwrap_or(0).max(1))
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, limit = scope, "cannot count against the per-address limit; request let through");
                Ok(())
            }
        }
    }

    fn check_at(&self, ip: IpAddr, now: DateTime<Utc>) -> Result<(), u64> {
        let since = |start: DateTime<Utc>| (now - start).to_std().unwrap_or_default();
        let ip = client_block(ip);
        // A poisoned lock only means another thread panicked mid-count; the map is still usable.
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (start, _)| since(*start) < WINDOW);
        }
        let entry = windows.entry(ip).or_insert((now, 0));
        if since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_window {
            let left = WINDOW.saturating_sub(since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// What one client is counted as: an IPv4 address (IPv4-mapped IPv6 too), or an IPv6 address's
/// /64 network.
fn client_block(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let limiter = IpLimiter::new(2, TrustedProxies::default(), crate::clock::Clock::system());
        let t0 = Utc::now();
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:fffe".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limiter.check_at(a, t0), Ok(()));
        assert_eq!(limiter.check_at(b, t0), Ok(()));
        assert!(limiter.check_at(a, t0).is_err(), "one /64, one budget");
        assert_eq!(limiter.check_at(other, t0), Ok(()), "another /64");
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        let v4: IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(limiter.check_at(mapped, t0), Ok(()));
        assert_eq!(limiter.check_at(v4, t0), Ok(()));
        assert!(
            limiter.check_at(v4, t0).is_err(),
            "a mapped address is its IPv4 address"
        );
    }

    #[test]
    fn allows_the_limit_per_window_per_address_then_says_how_long_to_wait() {
        let limiter = IpLimiter::new(3, TrustedProxies::default(), crate::clock::Clock::system());
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Utc::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(a, t0), Ok(()));
        }
        assert_eq!(
            limiter.check_at(a, t0 + chrono::Duration::seconds(15)),
            Err(45)
        );
        assert_eq!(
            limiter.check_at(b, t0),
            Ok(()),
            "addresses are counted apart"
        );
        assert_eq!(
            limiter.check_at(a, t0 + chrono::Duration::seconds(60)),
            Ok(()),
            "a new window starts"
        );
    }
}
