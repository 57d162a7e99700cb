//! The typed ids and the link state read and written as their plain column types, on either
//! backend. A stored state the domain does not know is an error, never quietly another state.

use crate::{
    CustomerId, LinkFlow, LinkId, LinkOrigin, LinkState, ReviewReason, WiseProfileId, WiseUserId,
};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{BigInt, Text};

macro_rules! integer_column {
    ($name:ident) => {
        impl<DB: Backend> FromSql<BigInt, DB> for $name
        where
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map(Self::new)
            }
        }

        impl<DB: Backend> ToSql<BigInt, DB> for $name
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <i64 as ToSql<BigInt, DB>>::to_sql(self.as_ref(), out)
            }
        }
    };
}

integer_column!(CustomerId);
integer_column!(WiseUserId);
integer_column!(WiseProfileId);

impl<DB: Backend> FromSql<Text, DB> for LinkId
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(bytes).map(LinkId::from_stored)
    }
}

impl<DB: Backend> ToSql<Text, DB> for LinkId
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
    }
}

impl<DB: Backend> FromSql<Text, DB> for LinkState
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let raw = String::from_sql(bytes)?;
        LinkState::parse(&raw)
            .ok_or_else(|| format!("unknown link state {raw:?} in storage").into())
    }
}

/// A closed set of names stored as text: written by `as_str`, read by `parse`, and a stored name
/// the domain does not know fails the read.
macro_rules! named_column {
    ($name:ident, $what:literal) => {
        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let raw = String::from_sql(bytes)?;
                $name::parse(&raw).ok_or_else(|| {
                    format!(concat!("unknown ", $what, " {:?} in storage"), raw).into()
                })
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }
    };
}

named_column!(LinkFlow, "link flow");
named_column!(LinkOrigin, "link origin");
named_column!(ReviewReason, "review reason");
