//! `[branding]`: whose name the customer sees. Every customer page and email says which bank or
//! app the Wise account is being linked to, and how to reach its support.

use super::Environment;
use serde::Deserialize;

/// The name the compiled-in defaults carry; production must replace it.
pub const EXAMPLE_PARTNER: &str = "Example Partner";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingSettings {
    /// The partner's name as customers know it: "Link your Wise account to Example Bank".
    pub partner_name: String,
    /// A PNG, JPEG, WebP or SVG file (at most 256 KiB) shown on every customer page; empty for
    /// none (the name is shown instead). Read once, at start-up.
    pub logo_file: String,
    /// The colour of the pages' main buttons, `#rrggbb`; the text on them is black or white,
    /// whichever reads better on it.
    pub accent_colour: String,
    /// How customers reach the partner's support (an email address, phone number or URL).
    pub support_contact: String,
    /// The partner's privacy policy, linked from every customer page and email; empty for none.
    pub privacy_url: String,
}

const LOGO_TYPES: [(&str, &str); 5] = [
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
];

const MAX_LOGO_BYTES: u64 = 256 * 1024;

/// The content type of a logo file with extension `ext` (lower case).
pub fn logo_type(ext: &str) -> Option<&'static str> {
    LOGO_TYPES.iter().find(|(x, _)| *x == ext).map(|(_, t)| *t)
}

impl BrandingSettings {
    pub(super) fn problems(&self, environment: &Environment, out: &mut Vec<String>) {
        let name = self.partner_name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            out.push("branding.partner_name must be 1 to 80 characters".to_owned());
        }
        if environment.is_production() && name == EXAMPLE_PARTNER {
            out.push(format!(
                "branding.partner_name is still {EXAMPLE_PARTNER:?}: set the name your customers know"
            ));
        }
        if !is_hex_colour(&self.accent_colour) {
            out.push("branding.accent_colour must be a colour like #9fe870".to_owned());
        }
        if self.support_contact.trim().is_empty() || self.support_contact.chars().count() > 200 {
            out.push("branding.support_contact must be 1 to 200 characters".to_owned());
        }
        if !self.privacy_url.is_empty() {
            match url::Url::parse(&self.privacy_url) {
                Ok(u) if u.scheme() == "https" => {}
                Ok(u) if u.scheme() == "http" && !environment.is_production() => {}
                _ => out.push("branding.privacy_url must be an https URL, or empty".to_owned()),
            }
        }
        if !self.logo_file.is_empty() {
            let path = std::path::Path::new(&self.logo_file);
            let known = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| LOGO_TYPES.iter().any(|(x, _)| x.eq_ignore_ascii_case(e)));
            if !known {
                out.push("branding.logo_file must be a .png, .jpg, .webp or .svg file".to_owned());
            }
            match std::fs::metadata(path) {
                Ok(m) if m.len() <= MAX_LOGO_BYTES => {}
                Ok(_) => out.push("branding.logo_file is larger than 256 KiB".to_owned()),
                Err(e) => out.push(format!("branding.logo_file {}: {e}", self.logo_file)),
            }
        }
    }
}

/// `#rrggbb`.
fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}
