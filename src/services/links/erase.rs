//! Erasing a customer (GDPR art. 17): every live link unlinked, the personal data gone, the
//! record of what was decided kept ([`crate::db::erasure`]).

use super::{LinkError, LinkService, wiped};
use crate::db::erasure::{self, EraseError, Eraser, Erasure};
use crate::db::links::LinkChanges;
use crate::domain::CustomerRef;

/// The reason an erasure's unlink events give when the partner's backend asked for it.
pub const PARTNER_ERASURE: &str = "customer erased at the partner's request";

impl LinkService {
    /// Erases the customer, all or nothing; an erased customer answers its first erasure.
    /// A link mid-exchange makes it [`LinkError::Busy`] (nothing written; try again).
    pub async fn erase_customer(
        &self,
        customer_ref: CustomerRef,
        actor: &str,
        reason: &str,
    ) -> Result<Erasure, LinkError> {
        let (actor, reason) = (actor.to_owned(), reason.to_owned());
        let audit = self.audit.clone();
        let now = self.clock.now();
        let unlink_changes = LinkChanges {
            registration_code: Some(None),
            ..wiped()
        };
        let outcome = self
            .db
            .run(move |conn| {
                let by = Eraser {
                    actor: &actor,
                    reason: &reason,
                    unlink_changes,
                    keys: &audit,
                    now,
                };
                Ok(erasure::erase_customer(conn, &customer_ref, &by))
            })
            .await?;
        let erased = match outcome {
            Ok(erased) => erased,
            Err(EraseError::NotFound) => return Err(LinkError::CustomerNotFound),
            Err(EraseError::LinkBusy(refused)) => {
                tracing::info!(reason = %refused, "erasure waits for a link mid-exchange");
                return Err(LinkError::Busy);
            }
            Err(EraseError::Db(e)) => return Err(e.into()),
        };
        if erased.now {
            if let Err(e) = self.db.run(erasure::flush_freed).await {
                tracing::warn!(error = %e, "the erased pages could not be checkpointed yet");
            }
            // The unlinks published events for the partner.
            self.events_wake.notify_one();
            tracing::info!(links = erased.links.len(), "customer erased");
        }
        Ok(erased)
    }
}
