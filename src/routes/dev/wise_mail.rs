//! The simulated Wise's emails, beside wiselink's on the dev mailbox page, when `wise.api_url` is
//! on this machine (the simulator: the demo's, or `wiselink sim`). Real Wise is never asked.

use crate::http::html::escape;
use serde::Deserialize;
use std::time::Duration;

/// One email the simulator sent, as its `/__sim/mailbox` lists it.
#[derive(Deserialize)]
pub struct WiseMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub sent_at: String,
}

/// What the page can show of Wise's mailbox.
pub enum WiseBox {
    /// `wise.api_url` is not the simulator: nothing to show.
    NotSimulated,
    Unreadable,
    Mails(Vec<WiseMail>),
}

/// The simulator's emails to `to` (or all), newest last.
pub async fn read(api_url: &str, to: Option<&str>) -> WiseBox {
    let Ok(mut url) = url::Url::parse(&format!("{api_url}/__sim/mailbox")) else {
        return WiseBox::NotSimulated;
    };
    let local = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !local {
        return WiseBox::NotSimulated;
    }
    if let Some(to) = to {
        url.query_pairs_mut().append_pair("to", to);
    }
    let answer = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    match answer {
        Ok(r) if r.status().is_success() => match r.json::<Vec<WiseMail>>().await {
            Ok(mails) => WiseBox::Mails(mails),
            Err(_) => WiseBox::Unreadable,
        },
        _ => WiseBox::Unreadable,
    }
}

/// `text` as HTML: escaped, with each `http(s)://` address made a link.
pub fn linked_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(at) = find_url(rest) {
        out.push_str(&escape(&rest[..at]));
        let url_part = &rest[at..];
        let end = url_part
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .unwrap_or(url_part.len());
        // A sentence's full stop or comma after an address is not part of it.
        let url = url_part[..end].trim_end_matches(['.', ',', ')', ';', ':']);
        let escaped = escape(url);
        out.push_str(&format!("<a href=\"{escaped}\">{escaped}</a>"));
        rest = &url_part[url.len()..];
    }
    out.push_str(&escape(rest));
    out
}

fn find_url(s: &str) -> Option<usize> {
    match (s.find("http://"), s.find("https://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::linked_text;

    #[test]
    fn addresses_become_links_and_everything_else_stays_text() {
        assert_eq!(
            linked_text("Open http://127.0.0.1:8080/link/abc. Then <b>go</b>"),
            "Open <a href=\"http://127.0.0.1:8080/link/abc\">http://127.0.0.1:8080/link/abc</a>. \
             Then &lt;b&gt;go&lt;/b&gt;"
        );
        assert_eq!(linked_text("no links & fine"), "no links &amp; fine");
        assert_eq!(
            linked_text("a https://x.test/?q=\"1\" b"),
            "a <a href=\"https://x.test/?q=\">https://x.test/?q=</a>&quot;1&quot; b"
        );
    }
}
