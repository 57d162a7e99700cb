//! How a link reaches Wise (its flow) and whose Wise account it reaches (its origin): both stored
//! and sent by name.

use crate::LinkState;
use std::fmt;

/// An enum stored (and sent) by its names: the variants with their names, `as_str`, `parse`,
/// `Display`, and what diesel needs to read and write it as text (`sql.rs`).
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident { $($(#[$vmeta:meta])* $variant:ident => $name:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $ty {
            $($(#[$vmeta])* $variant,)+
        }

        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw {
                    $($name => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// How the customer gives Wise their consent, which decides where a link waits for them.
    pub enum LinkFlow {
        /// Wise emails a code, typed into the partner's app or wiselink's page.
        EmailCode => "email_code",
        /// Wise's authorization page in the customer's browser.
        Redirect => "redirect",
    }
}

impl LinkFlow {
    /// Where a link of this flow waits for the customer: a code typed in, or a trip to Wise's
    /// page.
    pub fn waiting_state(self) -> LinkState {
        match self {
            Self::EmailCode => LinkState::AwaitingCode,
            Self::Redirect => LinkState::AwaitingAuthorization,
        }
    }
}

named_enum! {
    /// Whose Wise account a link reaches, once Wise has answered the signup.
    pub enum LinkOrigin {
        /// The email already had a Wise account (signup answered 409): the customer links it.
        Linked => "linked",
        /// The partner created the Wise user (signup answered 200): it can later be claimed.
        Created => "created",
    }
}
