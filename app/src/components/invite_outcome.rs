//! What happened to one invited address: the link to hand over (no mail server), "sent to …", or
//! why sending failed — each line carrying the address so that tests and people can find it.

use leptos::prelude::*;

use crate::api::workspaces::{Delivery, InviteResult};

use super::copy_box::CopyBox;

#[component]
pub fn InviteOutcome(
    result: InviteResult,
    /// Prefix of the copy box's id; the address follows with `@` and `.` turned into `-`.
    #[prop(into)]
    id_prefix: String,
) -> impl IntoView {
    let key = result.email.replace(['@', '.'], "-");
    let message = result.delivery.message(&result.email);
    let account = match (result.existing_user, result.verified_user) {
        (true, true) => Some("has an account"),
        (true, false) => Some("has an unverified account"),
        _ => None,
    };
    let badge = account.map(|a| view! { <span class="badge">{a}</span> });
    match result.delivery {
        Delivery::Link { link } => view! {
            <div class="invite-result" data-email=result.email.clone() data-delivery="link">
                <p>{message}" "{badge}</p>
                <CopyBox id=format!("{id_prefix}-{key}") text=link label="Copy link"/>
            </div>
        }
        .into_any(),
        Delivery::Sent => view! {
            <div class="invite-result" data-email=result.email.clone() data-delivery="sent">
                <p class="invite-sent" id=format!("{id_prefix}-sent-{key}")>{message}" "{badge}</p>
            </div>
        }
        .into_any(),
        Delivery::Failed { .. } => view! {
            <div class="invite-result" data-email=result.email.clone() data-delivery="failed">
                <p class="error-note" role="alert" id=format!("{id_prefix}-failed-{key}")>{message}</p>
            </div>
        }
        .into_any(),
    }
}
