//! The partner's brand as the customer sees it, loaded once from `[branding]`: its name, logo,
//! accent colour, support contact and privacy policy, and the two assets wiselink serves for it
//! (served by `routes/pages/brand.rs` at `/assets/brand/logo` and `/assets/brand.css`).

use crate::settings::BrandingSettings;
use anyhow::Context;

pub struct Brand {
    pub partner: String,
    pub support: String,
    pub privacy_url: Option<String>,
    logo: Option<(&'static str, bytes::Bytes)>,
    css: String,
}

impl Brand {
    pub fn load(settings: &BrandingSettings) -> anyhow::Result<Self> {
        let logo = if settings.logo_file.is_empty() {
            None
        } else {
            let path = std::path::Path::new(&settings.logo_file);
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let content_type = crate::settings::branding_logo_type(&ext)
                .context("branding.logo_file has an unknown type")?;
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read branding.logo_file {}", path.display()))?;
            Some((content_type, bytes::Bytes::from(bytes)))
        };
        Ok(Self {
            partner: settings.partner_name.trim().to_owned(),
            support: settings.support_contact.trim().to_owned(),
            privacy_url: Some(settings.privacy_url.clone()).filter(|u| !u.is_empty()),
            logo,
            css: stylesheet_for(&settings.accent_colour),
        })
    }

    /// A brand with only a name (tests, and pages rendered before settings are read).
    pub fn named(partner: &str) -> Self {
        Self {
            partner: partner.to_owned(),
            support: String::new(),
            privacy_url: None,
            logo: None,
            css: stylesheet_for("#9fe870"),
        }
    }

    pub fn has_logo(&self) -> bool {
        self.logo.is_some()
    }

    /// The logo's content type and bytes, when one is configured.
    pub fn logo(&self) -> Option<&(&'static str, bytes::Bytes)> {
        self.logo.as_ref()
    }

    /// The stylesheet carrying the accent colour.
    pub fn css(&self) -> &str {
        &self.css
    }
}

/// The accent colour, and black or white text on it, whichever contrasts more (WCAG's relative
/// luminance).
fn stylesheet_for(accent: &str) -> String {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&accent[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    // Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05).
    let on_accent = if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) {
        "#0e0f0c"
    } else {
        "#ffffff"
    };
    format!(":root {{ --accent: {accent}; --on-accent: {on_accent}; }}\n")
}

#[cfg(test)]
mod tests {
    use super::stylesheet_for;

    #[test]
    fn the_text_on_the_accent_is_whichever_of_black_and_white_reads_better() {
        assert!(stylesheet_for("#9fe870").contains("--on-accent: #0e0f0c"));
        assert!(stylesheet_for("#163300").contains("--on-accent: #ffffff"));
        assert!(stylesheet_for("#0a66c2").contains("--on-accent: #ffffff"));
        assert!(stylesheet_for("#ffeb69").contains("--on-accent: #0e0f0c"));
    }
}
