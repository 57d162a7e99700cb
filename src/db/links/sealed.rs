//! The encrypted columns of a link, named as their associated data names them.

use super::LinkRow;
use crate::db::schema::{link_reviews, link_tokens, links};
use crate::db::{DbConnection, DbError};
use diesel::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedColumn {
    RegistrationCode,
    AccessToken,
    RefreshToken,
    /// Wise's side of the last identity check (JSON).
    CheckedWise,
}

impl SealedColumn {
    pub const ALL: [SealedColumn; 4] = [
        Self::RegistrationCode,
        Self::AccessToken,
        Self::RefreshToken,
        Self::CheckedWise,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::RegistrationCode => "registration_code",
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
            Self::CheckedWise => "checked_wise",
        }
    }

    pub fn of(self, link: &LinkRow) -> Option<&[u8]> {
        match self {
            Self::RegistrationCode => link.registration_code.as_deref(),
            Self::AccessToken => link.access_token.as_deref(),
            Self::RefreshToken => link.refresh_token.as_deref(),
            Self::CheckedWise => link.checked_wise.as_deref(),
        }
    }
}

/// Replaces one sealed value, only if it still holds exactly `old` (the service may have written
/// a newer one meanwhile). Returns whether it was replaced.
pub fn replace_sealed(
    conn: &mut DbConnection,
    id: &str,
    column: SealedColumn,
    old: &[u8],
    new: &[u8],
) -> Result<bool, DbError> {
    let tokens = link_tokens::table.filter(link_tokens::link_id.eq(id));
    let n = match column {
        SealedColumn::RegistrationCode => diesel::update(
            links::table
                .filter(links::id.eq(id))
                .filter(links::registration_code.eq(old)),
        )
        .set(links::registration_code.eq(new))
        .execute(conn)?,
        SealedColumn::AccessToken => {
            diesel::update(tokens.filter(link_tokens::access_token.eq(old)))
                .set(link_tokens::access_token.eq(new))
                .execute(conn)?
        }
        SealedColumn::RefreshToken => {
            diesel::update(tokens.filter(link_tokens::refresh_token.eq(old)))
                .set(link_tokens::refresh_token.eq(new))
                .execute(conn)?
        }
        SealedColumn::CheckedWise => diesel::update(
            link_reviews::table
                .filter(link_reviews::link_id.eq(id))
                .filter(link_reviews::checked_wise.eq(old)),
        )
        .set(link_reviews::checked_wise.eq(new))
        .execute(conn)?,
    };
    Ok(n == 1)
}
