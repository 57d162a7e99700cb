//! The resolver of webhook connections: every name is resolved again at each connection and only
//! the addresses the [`TargetPolicy`] allows are kept.

use crate::services::webhooks::target::TargetPolicy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};

/// Resolves names for webhook connections and keeps only the addresses the policy allows, so the
/// check holds at every connection, whatever the name resolved to at registration.
pub struct GuardedResolver {
    pub policy: TargetPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = policy.resolve(&host, 0).await?;
            let allowed = guard(&policy, &host, found)?;
            let addrs: Addrs = Box::new(allowed.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The addresses of `host` a connection may use; an error when none is left.
pub fn guard(
    policy: &TargetPolicy,
    host: &str,
    found: Vec<IpAddr>,
) -> Result<Vec<IpAddr>, Box<dyn std::error::Error + Send + Sync>> {
    if policy.host_allowed(host) {
        return Ok(found);
    }
    let allowed: Vec<IpAddr> = found
        .into_iter()
        .filter(|ip| policy.address_allowed(*ip))
        .collect();
    if allowed.is_empty() {
        return Err(format!("{host} resolves to no public address").into());
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_that_moved_to_a_private_address_is_refused_at_connection() {
        let production = TargetPolicy::new(true, &["hooks.internal".to_owned()]);
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let private: IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(
            guard(&production, "hooks.example", vec![public]).unwrap(),
            [public]
        );
        assert!(guard(&production, "hooks.example", vec![private]).is_err());
        // Only the public answers of a mixed set are used.
        assert_eq!(
            guard(&production, "hooks.example", vec![private, public]).unwrap(),
            [public]
        );
        assert_eq!(
            guard(&production, "hooks.internal", vec![private]).unwrap(),
            [private]
        );
    }
}
