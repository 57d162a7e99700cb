//! Typed ids, so a customer's id cannot be passed where a Wise user's is expected. Each reads and
//! writes as its plain column type (the `diesel` impls are in `sql.rs`).

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;

macro_rules! integer_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
        #[derive(AsExpression, FromSqlRow)]
        #[diesel(sql_type = BigInt)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl AsRef<i64> for $name {
            fn as_ref(&self) -> &i64 {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

integer_id!(
    /// A customer's row id in wiselink (not the partner's `customer_ref`).
    CustomerId
);
integer_id!(
    /// A Wise user's id.
    WiseUserId
);
integer_id!(
    /// A Wise profile's id.
    WiseProfileId
);

/// A link's id: `lnk_` and 32 hex digits.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, AsExpression, FromSqlRow,
)]
#[diesel(sql_type = Text)]
#[serde(transparent)]
pub struct LinkId(String);

impl LinkId {
    pub const PREFIX: &'static str = "lnk_";

    /// A new random id.
    pub fn generate() -> Self {
        Self(format!("{}{}", Self::PREFIX, uuid::Uuid::new_v4().simple()))
    }

    /// An id as a client sent it. Anything that cannot be a link id is refused, so it never
    /// reaches a query.
    pub fn parse(raw: &str) -> Option<Self> {
        let hex = raw.strip_prefix(Self::PREFIX)?;
        (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(raw.to_owned()))
    }

    /// An id read back from storage (trusted as written).
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LinkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_ids_parse_only_in_their_own_shape() {
        let id = LinkId::generate();
        assert_eq!(LinkId::parse(id.as_str()), Some(id.clone()));
        for bad in [
            "",
            "lnk_",
            "lnk_xyz",
            "cus_0123456789abcdef0123456789abcdef",
            "lnk_0123456789abcdef0123456789abcdeg",
        ] {
            assert_eq!(LinkId::parse(bad), None, "{bad}");
        }
        assert_eq!(WiseUserId::new(7).get(), 7);
    }
}
