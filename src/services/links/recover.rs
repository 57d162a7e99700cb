//! Finishing links a crash, a lost answer or a Wise outage left in `pending`, `exchanging` or
//! `verifying` (an import's unfinished proof among them). Each stale link is claimed with a
//! compare-and-set on `updated_at`, so any number of instances sharing one PostgreSQL can run
//! this and no link is handled twice at once.

use super::start::Signup;
use super::{LinkError, LinkService};
use crate::db::links::{self, LinkRow, OwnChanges, SealedColumn, Transition};
use crate::domain::{LinkEvent, LinkState};
use chrono::Duration;

const ACTOR: &str = "recovery";
/// Stale links taken per pass.
const BATCH: i64 = 50;

impl LinkService {
    /// One pass: claims links untouched for `stale_after` and moves each on. Returns how many
    /// changed state.
    pub async fn recover_stale(&self, stale_after: Duration) -> usize {
        let before = self.clock.now() - stale_after;
        let stale = match self
            .db
            .run(move |conn| links::stale_in_flight(conn, before, BATCH))
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "recovery: cannot read stale links");
                return 0;
            }
        };
        let mut resolved = 0;
        for candidate in stale {
            let now = self.clock.now();
            let claimed = match self
                .db
                .run(move |conn| links::claim(conn, &candidate, &OwnChanges::default(), now))
                .await
            {
                Ok(Some(claimed)) => claimed,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "recovery: cannot claim a link");
                    continue;
                }
            };
            let (id, from) = (claimed.id.clone(), claimed.state);
            match self.bounded(self.recover(claimed)).await {
                Ok(to) if to != from => {
                    resolved += 1;
                    tracing::info!(link.id = %id, from = %from, to = %to, "recovered link");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::info!(link.id = %id, state = %from, error = %e, "recovery will retry later");
                }
            }
        }
        resolved
    }

    /// Moves one claimed link on. An interrupted exchange is never repeated: the customer needs
    /// a new code.
    async fn recover(&self, link: LinkRow) -> Result<LinkState, LinkError> {
        match link.state {
            LinkState::Exchanging => {
                let t = Transition::new(
                    &link,
                    LinkState::Exchanging,
                    LinkEvent::ExchangeLost,
                    ACTOR,
                    "interrupted exchange: outcome unknown, a new code is needed",
                );
                Ok(self.apply(t).await?.state)
            }
            // An import cut off mid-proof: finished from where it stands.
            LinkState::Verifying if link.imported_at.is_some() => {
                Ok(self.finish_imported(&link, true, ACTOR).await?.state)
            }
            LinkState::Verifying => {
                let customer = self.customer_of(&link).await?;
                Ok(self.verify_stored(&link, &customer, ACTOR).await?.state)
            }
            LinkState::Pending => {
                let customer = self.customer_of(&link).await?;
                let code = self.open_secret(&link, SealedColumn::RegistrationCode)?;
                match self
                    .signup((&link).into(), &customer, &code, ACTOR, Signup::Repeat)
                    .await
                {
                    Ok(started) => Ok(started.link.link.state),
                    Err(LinkError::WiseRefused { .. }) => Ok(LinkState::Rejected),
                    Err(e) => Err(e),
                }
            }
            other => Ok(other),
        }
    }
}
