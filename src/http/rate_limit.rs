//! Per-client-IP limits for the endpoints apps and browsers call with a link session token.
//! Counted in memory per instance, in fixed one-minute windows.

use super::client_ip::TrustedProxies;
use actix_web::HttpRequest;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked addresses, windows that have ended are dropped.
const PRUNE_ABOVE: usize = 10_000;

pub struct IpLimiter {
    per_window: u32,
    proxies: TrustedProxies,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl IpLimiter {
    pub fn new(per_minute: u32, proxies: TrustedProxies) -> Self {
        Self {
            per_window: per_minute,
            proxies,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request from `ip`. `Err(seconds)` when over the limit: retry after that long.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, Instant::now())
    }

    /// Counts one request from the client of `req` (behind trusted proxies, the address they
    /// report); a request whose address is unknown is not counted.
    pub fn check_request(&self, req: &HttpRequest) -> Result<(), u64> {
        self.proxies
            .client_ip(req)
            .map_or(Ok(()), |ip| self.check(ip))
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        // A poisoned lock only means another thread panicked mid-count; the map is still usable.
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_window {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_per_window_per_address_then_says_how_long_to_wait() {
        let limiter = IpLimiter::new(3, TrustedProxies::default());
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(a, t0), Ok(()));
        }
        assert_eq!(limiter.check_at(a, t0 + Duration::from_secs(15)), Err(45));
        assert_eq!(
            limiter.check_at(b, t0),
            Ok(()),
            "addresses are counted apart"
        );
        assert_eq!(
            limiter.check_at(a, t0 + WINDOW),
            Ok(()),
            "a new window starts"
        );
    }
}
