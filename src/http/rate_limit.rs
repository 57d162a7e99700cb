//! Per-client-IP limits for the endpoints apps and browsers call with a link session token, and
//! for staff sign-in. Counted in memory per instance, in fixed one-minute windows. An IPv4 client
//! is its address; an IPv6 client is its /64, the block one subscriber or host is given (it can
//! use any of its 2^64 addresses, so counting single addresses would be no limit at all).

use super::client_ip::TrustedProxies;
use crate::clock::SharedClock;
use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked addresses, windows that have ended are dropped.
const PRUNE_ABOVE: usize = 10_000;

pub struct IpLimiter {
    per_window: u32,
    proxies: TrustedProxies,
    clock: SharedClock,
    windows: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
}

impl IpLimiter {
    /// `per_minute` requests per client address in each one-minute window of `clock`.
    pub fn new(per_minute: u32, proxies: TrustedProxies, clock: SharedClock) -> Self {
        Self {
            per_window: per_minute,
            proxies,
            clock,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request from `ip`. `Err(seconds)` when over the limit: retry after that long.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, self.clock.now_utc())
    }

    /// Counts one request from the client of `req` (behind trusted proxies, the address they
    /// report); a request whose address is unknown is not counted.
    pub fn check_request(&self, req: &HttpRequest) -> Result<(), u64> {
        self.proxies
            .client_ip(req)
            .map_or(Ok(()), |ip| self.check(ip))
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
