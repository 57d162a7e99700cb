//! The side-by-side comparison of a link's last identity check, as the link page shows it.

use super::super::pages;
use crate::db::links::LinkRow;
use crate::domain::{WiseSide, dob_hint, mask_dob, mask_email};
use chrono::NaiveDateTime;

pub struct Comparison {
    pub checked_at: String,
    pub partner_dob: String,
    pub wise_dob: String,
    pub dob_differs: bool,
    pub dob_note: String,
    pub partner_email: String,
    pub wise_email: String,
    pub email_differs: bool,
    pub profile_type: String,
    pub profile_note: String,
}

/// The side-by-side comparison of the last identity check; masked for viewers.
pub fn compare(
    link: &LinkRow,
    checked_at: NaiveDateTime,
    wise: Option<&WiseSide>,
    unmasked: bool,
) -> Comparison {
    let dob = |d: Option<chrono::NaiveDate>| match d {
        None => "none".to_owned(),
        Some(d) if unmasked => d.format("%Y-%m-%d").to_string(),
        Some(d) => mask_dob(d),
    };
    let email = |e: Option<&str>| match e {
        None => "none".to_owned(),
        Some(e) if unmasked => e.to_owned(),
        Some(e) => mask_email(e),
    };
    let partner_dob = link.checked_partner_dob;
    let wise_dob = wise.and_then(|w| w.date_of_birth);
    let (dob_differs, dob_note) = match (partner_dob, wise_dob) {
        (Some(p), Some(w)) if p == w => (false, "same".to_owned()),
        (Some(p), Some(w)) => (
            true,
            dob_hint(p, w).map_or("differs".to_owned(), |h| format!("differs — {h}")),
        ),
        (_, None) => (true, "Wise holds no date of birth".to_owned()),
        (None, Some(_)) => (true, "the partner held no date of birth".to_owned()),
    };
    let partner_email = link.checked_partner_email.as_deref();
    let wise_email = wise.and_then(|w| w.email.as_deref());
    let email_differs =
        !matches!((partner_email, wise_email), (Some(p), Some(w)) if p.eq_ignore_ascii_case(w));
    let profile_type = wise
        .and_then(|w| w.profile_type.clone())
        .unwrap_or_else(|| "none".to_owned());
    let profile_note = match profile_type.as_str() {
        "personal" => "as expected".to_owned(),
        "business" => "only business profiles: no personal profile to check".to_owned(),
        _ => "no profile".to_owned(),
    };
    Comparison {
        checked_at: pages::at(checked_at),
        partner_dob: dob(partner_dob),
        wise_dob: dob(wise_dob),
        dob_differs,
        dob_note,
        partner_email: email(partner_email),
        wise_email: email(wise_email),
        email_differs,
        profile_type,
        profile_note,
    }
}
