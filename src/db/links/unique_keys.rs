//! Which unique key a violation names, on either backend.

use crate::db::is_unique_violation;

/// How each backend names the two holder keys in a violation: PostgreSQL by the index, SQLite by
/// the index for an expression and by the column otherwise.
pub(super) const SIGNUP_EMAIL_KEY: [&str; 1] = ["links_one_exchange_per_signup_email"];
pub(super) const ERASED_KEY: [&str; 1] = ["the customer is erased"];
pub(super) const WISE_USER_KEY: [&str; 2] =
    ["links_one_active_per_wise_user", "links.wise_user_id"];

/// Whether `e` is the unique index that keeps a signup email to one email-code link exchanging,
/// verifying or active.
pub(super) fn takes_signup_email(e: &diesel::result::Error) -> bool {
    is_unique_violation(e) && names(e, &SIGNUP_EMAIL_KEY)
}

pub(super) fn names(e: &diesel::result::Error, key: &[&str]) -> bool {
    let diesel::result::Error::DatabaseError(_, info) = e else {
        return false;
    };
    let said = [Some(info.message()), info.constraint_name()];
    said.into_iter()
        .flatten()
        .any(|text| key.iter().any(|k| text.contains(k)))
}
