//! The demo's sample customers, set up the way a partner would: Wise accounts in the simulator
//! through its control API, customers through wiselink's own API with the demo key.

use anyhow::Context;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::time::Duration;

/// What the simulated Wise knows about a sample customer's email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WiseAccount {
    /// A personal profile with this date of birth.
    Personal(&'static str),
    /// A business profile only.
    BusinessOnly,
    /// No Wise account: Wise creates one for the partner.
    None,
}

/// A sample customer, as the partner holds it and as Wise knows it.
#[derive(Debug)]
pub struct Sample {
    pub customer_ref: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: &'static str,
    pub date_of_birth: &'static str,
    pub language: &'static str,
    pub wise: WiseAccount,
    /// What linking them shows.
    pub shows: &'static str,
}

pub const SAMPLES: &[Sample] = &[
    Sample {
        customer_ref: "demo-ana",
        first_name: "Ana",
        last_name: "Martins",
        email: "ana.martins@example.com",
        date_of_birth: "1990-04-12",
        language: "en",
        wise: WiseAccount::Personal("1990-04-12"),
        shows: "Wise knows the same date of birth: the link becomes active.",
    },
    Sample {
        customer_ref: "demo-ben",
        first_name: "Ben",
        last_name: "Keller",
        email: "ben.keller@example.com",
        date_of_birth: "1985-07-01",
        language: "de",
        wise: WiseAccount::Personal("1985-01-07"),
        shows: "Wise has 7 January, the partner 1 July: the link waits for staff review.",
    },
    Sample {
        customer_ref: "demo-cleo",
        first_name: "Cleo",
        last_name: "Ruiz",
        email: "cleo.ruiz@example.com",
        date_of_birth: "1978-11-30",
        language: "es",
        wise: WiseAccount::None,
        shows: "New to Wise: Wise creates the account, which she can then claim.",
    },
    Sample {
        customer_ref: "demo-dana",
        first_name: "Dana",
        last_name: "Novak",
        email: "dana.novak@example.com",
        date_of_birth: "1982-02-14",
        language: "en",
        wise: WiseAccount::BusinessOnly,
        shows: "Her Wise account has only a business profile.",
    },
];

/// A staff password for the demo: 18 random letters and digits, far past the strength check.
pub fn password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..18)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Gives each sample customer their Wise account and adds them at wiselink, once `api` answers.
pub async fn everyone(api: &str, sim: &str, key: &SecretString) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    wait_until_up(&http, &format!("{api}/healthz")).await?;
    for s in SAMPLES {
        let account = match s.wise {
            WiseAccount::Personal(dob) => Some(json!({"date_of_birth": dob})),
            WiseAccount::BusinessOnly => Some(json!({"business": true})),
            WiseAccount::None => None,
        };
        if let Some(mut account) = account {
            account["email"] = json!(s.email);
            account["first_name"] = json!(s.first_name);
            account["last_name"] = json!(s.last_name);
            let answer = http
                .post(format!("{sim}/__sim/users"))
                .json(&account)
                .send()
                .await?;
            anyhow::ensure!(
                answer.status().is_success(),
                "the simulator refused {}: {}",
                s.email,
                answer.status()
            );
        }
        let answer = http
            .put(format!("{api}/v1/customers/{}", s.customer_ref))
            .bearer_auth(key.expose_secret())
            .json(&json!({
                "email": s.email,
                "date_of_birth": s.date_of_birth,
                "first_name": s.first_name,
                "last_name": s.last_name,
                "language": s.language,
            }))
            .send()
            .await
            .with_context(|| format!("cannot add {}", s.customer_ref))?;
        anyhow::ensure!(
            answer.status().is_success(),
            "wiselink refused {}: {}",
            s.customer_ref,
            answer.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

async fn wait_until_up(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    for _ in 0..100 {
        if http
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("wiselink did not answer {url} within 10 seconds")
}
