//! `POST /staff/links/{id}/erase-customer`: an admin erases the link's customer (GDPR art. 17),
//! with a reason that stays on the audit trail and the password typed again, every time: it
//! cannot be undone. The same erasure as `DELETE /v1/customers/{ref}`.

use super::Ctx;
use crate::db::customers::Customer;
use crate::domain::{CustomerRef, DecisionReason, LinkId};
use crate::routes::staff::gate::{self, Admin, Confirmation, Posted};
use crate::routes::staff::pages::{self, Page};
use crate::services::links::{LinkError, LinkService};
use crate::services::staff::StaffService;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    reason: String,
    password: Option<String>,
}

pub async fn erase_customer(
    posted: Posted<Admin, EraseForm>,
    path: web::Path<String>,
    state: web::Data<AppState>,
    staff: web::Data<StaffService>,
    links: web::Data<LinkService>,
) -> HttpResponse {
    let Posted { session, form, .. } = posted;
    let raw_id = path.into_inner();
    let ctx = Ctx::new(&session, &staff, &links, &state);
    let refuse =
        |status: StatusCode, message: String| ctx.respond(&raw_id, status, Some(message), None);
    let Some(id) = LinkId::parse(&raw_id) else {
        return pages::not_found(Some(Page::chrome(&session)));
    };
    let reason = match DecisionReason::parse(&form.reason) {
        Ok(r) => r,
        Err(e) => {
            let message = format!("Not erased: {}.", e.message);
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, message).await;
        }
    };
    let customer = match links.find(&id).await {
        Ok(link) => links.customer(&link).await,
        Err(e) => Err(e),
    };
    let customer_ref = match customer {
        Ok(Customer::Live(c)) => c.customer_ref,
        Ok(Customer::Erased(_)) => {
            let message = "Not erased: the customer already was.".to_owned();
            return refuse(StatusCode::CONFLICT, message).await;
        }
        Err(LinkError::LinkNotFound) => return pages::not_found(Some(Page::chrome(&session))),
        Err(e) => return ctx.refuse_for(&raw_id, "Not erased", &e).await,
    };
    match gate::confirm_password(&staff, &session, form.password.as_deref(), "erased").await {
        Confirmation::Confirmed => {}
        Confirmation::Refused(status, message) => return refuse(status, message).await,
        Confirmation::Answered(response) => return response,
    }
    let Ok(customer_ref) = CustomerRef::parse(&customer_ref) else {
        return pages::unavailable();
    };
    let actor = session.actor();
    match links
        .erase_customer(customer_ref, &actor, reason.as_str())
        .await
    {
        Ok(_) => pages::see_other(&format!("/staff/links/{id}?done=erased")),
        Err(LinkError::Busy) => {
            let message = "Not erased: a link of this customer is being exchanged with Wise this \
                           moment. Try again in a few seconds."
                .to_owned();
            refuse(StatusCode::CONFLICT, message).await
        }
        Err(e) => ctx.refuse_for(&raw_id, "Not erased", &e).await,
    }
}
